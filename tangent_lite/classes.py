"""Gradients of functions that call methods of their arguments: `loss(model, x, y)` calling
`model.forward(x)`, with `model` differentiated (a dataclass or registered pytree of arrays).

Which method runs depends on the class of what is passed, which is unknown when grad(loss)
compiles. Such a compile raises ArgumentMethodError (frontend/objects.py); the API then returns
a gradient function that looks at the classes of those arguments at each call and runs the
derivative compiled for exactly those classes (a TypedArguments view of f, whose source is read
with the classes known, so `model.forward` is the class's method, differentiated from its
source). Each tuple of classes is compiled once, at its first call, and cached like any other
derivative; a subclass gets its own. The objects with methods such an argument holds in its
attributes (`model.first`, a list `model.layers` of one class) are typed with it, so that
`self.first(h)` in a method runs the __call__ of the layer's own class.
"""
import dataclasses
import inspect
import threading

from .compiled import Compiled
from .errors import ArgumentMethodError
from .frontend.callables import TypedArguments
from .rules import registry_version
from . import optimize


@dataclasses.dataclass
class ByClass:
    """The derivatives of `func` per tuple of classes of its arguments `names`."""

    func: object
    names: list
    build: object          # build(view) -> the Compiled derivative of a TypedArguments view
    error: object          # the refusal, raised for an array, a number or a builtin container
    variants: dict = dataclasses.field(default_factory=dict)
    lock: object = dataclasses.field(default_factory=threading.Lock)
    items: set = dataclasses.field(default_factory=set)   # names of lists of objects
    # (names, their positions among f's positional parameters) as _positions last found them
    _positioned: tuple = dataclasses.field(default=None, init=False, repr=False)

    def __post_init__(self):
        self.signature = inspect.signature(self.func)
        if self.error.items:
            self.items.add(self.error.argument)

    def key(self, args, kwargs):
        """What the derivative depends on: the class of each argument in `names`, and for a
        list of objects ("items", the one class of its items); then (path, class) of the
        objects with methods those arguments hold (`("model.first", Dense)`)."""
        positions = self._positions()
        if not kwargs and positions is not None and len(args) > max(positions):
            values = [args[k] for k in positions]     # the common call: no binding needed
        else:
            values = _values(self.signature, self.names, args, kwargs)
        key = []
        for name, v in zip(self.names, values):
            if name not in self.items:
                key.append(type(v))
                continue
            classes = {type(item) for item in v} if isinstance(v, (list, tuple)) else set()
            if len(classes) != 1:    # several classes: which __call__ runs varies by item
                raise self.error.with_traceback(None)
            key.append(("items", classes.pop()))
        for name, v in zip(self.names, values):     # the objects a model holds
            if name not in self.items:
                key.extend(_held(name, v))
        return tuple(key)

    def _positions(self):
        """The positions of `names` among f's positional parameters, or None where one is
        keyword-only or comes after a `*args`."""
        if self._positioned is not None and self._positioned[0] == self.names:
            return self._positioned[1]
        params = list(self.signature.parameters.values())
        positional = []
        for p in params:
            if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                break
            positional.append(p.name)
        found = [positional.index(n) for n in self.names if n in positional]
        positions = found if len(found) == len(self.names) else None
        self._positioned = (list(self.names), positions)
        return positions

    def variant(self, args, kwargs):
        """The Compiled derivative for the classes of these arguments (compiled now if new)."""
        found = self.variants.get(self.key(args, kwargs))
        if found is not None:
            return found
        with self.lock:
            return self._compile(args, kwargs)

    def _compile(self, args, kwargs):
        while True:    # a method of another argument may come to light once one is typed
            key = self.key(args, kwargs)
            if key in self.variants:
                return self.variants[key]
            classes, held = key[:len(self.names)], key[len(self.names):]
            if any(_not_a_model(c[1] if isinstance(c, tuple) else c) for c in classes):
                raise self.error.with_traceback(None)
            try:
                found = self.build(TypedArguments(self.func,
                                                  tuple(zip(self.names, classes)) + held))
            except ArgumentMethodError as exc:
                if exc.function is not self.func or exc.argument in self.names:
                    raise
                self.names.append(exc.argument)
                if exc.items:
                    self.items.add(exc.argument)
                self.variants.clear()
                continue
            self.variants[key] = found
            return found


def _not_a_model(cls):
    """Arrays, numbers and builtin containers: their methods are NumPy's or Python's (a
    method without a rule stays refused), not a model's written in Python."""
    module = getattr(cls, "__module__", "") or ""
    return module.split(".")[0] in ("builtins", "numpy", "dask", "cupy")


def _values(signature, names, args, kwargs):
    """The values f receives for the parameters `names` from a call with args, kwargs."""
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    return [bound.arguments[n] for n in names]


_MAX_DEPTH = 4     # models holding models holding layers...: deeper objects are not typed


def _held(path, obj, depth=0):
    """(dotted path, class) of each object with methods written in Python held in an
    attribute of `obj` (`model.encoder`, `model.encoder.first`), and (dotted path, ("items",
    class)) of each list or tuple of such objects of one class (`model.layers`): which
    __call__ or method `self.first(h)` runs depends on it, as for the argument itself."""
    if depth >= _MAX_DEPTH:
        return []
    out = []
    for attr in _attributes(obj):
        value = getattr(obj, attr, None)
        cls = type(value)
        if _has_methods(cls):
            out.append((f"{path}.{attr}", cls))
            out.extend(_held(f"{path}.{attr}", value, depth + 1))
        elif (cls is list or cls is tuple) and value and _has_methods(type(value[0])):
            # `self.layers`: a list of layers of one class (of several: not typed, refused
            # where called); a list of arrays or numbers is not looked through
            first = type(value[0])
            if all(type(item) is first for item in value):
                out.append((f"{path}.{attr}", ("items", first)))
    return out


def _attributes(obj):
    """The attribute names of an object's fields: a dataclass's or namedtuple's fields, or
    its instance dictionary (a registered pytree, a plain object)."""
    cls = type(obj)
    names = _FIELDS.get(cls)
    if names is None:
        if dataclasses.is_dataclass(cls):
            names = tuple(f.name for f in dataclasses.fields(cls))
        elif issubclass(cls, tuple) and hasattr(cls, "_fields"):
            names = tuple(cls._fields)
        elif _not_a_model(cls):
            names = ()
        else:
            return tuple(getattr(obj, "__dict__", ()))
        _FIELDS[cls] = names
    return names


_FIELDS = {}    # class -> its fields' names (dataclasses, namedtuples; () for builtin types)
_METHODS = {}   # class -> whether it has methods written in Python


def _has_methods(cls):
    found = _METHODS.get(cls)
    if found is None:
        found = _METHODS[cls] = not _not_a_model(cls) and any(
            inspect.isfunction(v) for k in cls.__mro__[:-1] for v in vars(k).values())
    return found


def dispatching(func, error, build, mode, wrt):
    """A Compiled record whose df runs, for each call, the derivative of `func` compiled for
    the classes of the arguments that have methods called on them (`error` names the first).
    split mode: df returns (value, state) and backward(state, weights) runs the backward
    sweep of the same variant."""
    by_class = ByClass(func, [error.argument], build, error)

    if mode == "split":
        def df(*args, **kwargs):
            variant = by_class.variant(args, kwargs)
            value, state = variant.df(*args, **kwargs)
            return value, (variant, state)

        def backward(state, weights):
            variant, inner = state
            return variant.backward(inner, weights)
    else:
        backward = None

        def df(*args, **kwargs):
            return by_class.variant(args, kwargs).df(*args, **kwargs)

    df.__name__ = f"grad_{getattr(func, '__name__', 'f')}"
    df.__qualname__ = df.__name__
    df.__signature__ = by_class.signature
    df.__doc__ = (f"Gradient of {getattr(func, '__name__', 'f')}, compiled for the classes of "
                  f"the arguments {', '.join(by_class.names)} at the first call with each.")
    source = (f"# The gradient of {getattr(func, '__name__', 'f')} is compiled for the classes "
              f"of its arguments {', '.join(by_class.names)},\n# at the first call with each: "
              "see tangent_lite.source(f, specialised_for=args).\n")
    compiled = Compiled(func=func, wrt=tuple(wrt), mode=mode, source=source, df=df,
                        code=func.__code__, registry_version=registry_version(),
                        globals_used={}, backward=backward, passes=optimize.version(),
                        by_class=by_class)
    df.__tangent_lite__ = compiled
    return compiled

