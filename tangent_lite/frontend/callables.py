"""Callables other than plain functions, resolved to a Python function and its bound constants.

A bound method (`model.loss`), a callable object (`layer`, whose class defines `__call__` in
Python) and a `functools.partial` are each a Python function with some of its parameters fixed:

- a bound method fixes its first parameter (`self`, or `cls` for a classmethod) to the instance;
- a callable object is its bound `__call__` method;
- a partial fixes leading positional parameters to its arguments, and its keywords become
  keyword-only parameters with those defaults (exactly the signature `inspect.signature`
  reports for it: `partial(huber, delta=1.0)` is `(r, *, delta=1.0)`).

Fixed parameters are constants: they leave the parameter list and become free variables of the
function (closure cells), so `self.W` reads the instance's attribute as a constant and
`self.predict` resolves to the bound method it denotes. The function's source is then read and
differentiated like any other function's.
"""
import dataclasses
import functools
import inspect
import types
import weakref

import gast


@dataclasses.dataclass
class Target:
    """The Python function behind a callable, with what the callable fixes."""

    function: types.FunctionType
    constants: dict           # parameter name -> the value it is fixed to
    keywords: dict            # parameter name -> its new default (a partial's keywords)
    label: str                # how messages name the callable ("Model.loss", "partial(huber)")


def target_of(obj):
    """The Target of a bound method, callable object or partial whose function is written in
    Python; None for anything else (a plain function, a builtin, a class)."""
    if inspect.ismethod(obj):
        target = _inner_target(obj.__func__)
        if target is None:
            return None
        free = _free_positional(target)
        if not free:
            return None
        constants = dict(target.constants)
        constants[free[0]] = obj.__self__
        return Target(target.function, constants, dict(target.keywords),
                      f"{_owner_name(obj.__self__)}.{obj.__name__}")
    if isinstance(obj, functools.partial):
        target = _inner_target(obj.func)
        if target is None:
            return None
        free = _free_positional(target)
        if len(obj.args) > len(free):
            return None
        constants = dict(target.constants)
        constants.update(zip(free, obj.args))
        keywords = dict(target.keywords)
        names = _parameter_names(target.function)
        for key, value in obj.keywords.items():
            if key not in names or key in constants:
                return None     # into **kwargs, or a parameter already fixed: not supported
            keywords[key] = value
        return Target(target.function, constants, keywords, f"partial({target.label})")
    if _python_call(obj):
        return target_of(obj.__call__)
    return None


def _inner_target(inner):
    """The Target of what a method or partial wraps (nothing fixed yet for a function)."""
    if inspect.isfunction(inner):
        return Target(inner, {}, {}, inner.__qualname__)
    return target_of(inner)


def user_callable(obj):
    """What a call of `obj` inside a differentiated function calls, when obj is not a plain
    function: the bound `__call__` of a callable object, or obj itself (a bound method, a
    partial) when its function is written in Python; None otherwise."""
    if isinstance(obj, (StarredCall, MethodOf)):
        return obj
    if _python_call(obj):
        return obj.__call__
    if (inspect.ismethod(obj) or isinstance(obj, functools.partial)) and \
            target_of(obj) is not None:
        return obj
    return None


def callee_name(func, fallback):
    """A readable stem for the derivative of a called callable (`vjp_<stem>`)."""
    if isinstance(func, functools.partial):
        return callee_name(func.func, fallback)
    name = getattr(func, "__name__", None)
    if name == "__call__" and fallback == "call" and inspect.ismethod(func):
        return type(func.__self__).__name__      # `self.layers[0](x)`: vjp_Dense
    if not name or name.startswith("__") or name == "<lambda>":
        return fallback
    return name


def same_attribute(base, attr, value):
    """A check that `base.attr` still denotes `value` (for a bound method: the same function
    bound to the same object; each read makes a new bound method)."""
    def identity(v):
        return (v.__func__, v.__self__) if inspect.ismethod(v) else (v, None)
    want = identity(value)

    def check():
        now = identity(getattr(base, attr, None))
        return now[0] is want[0] and now[1] is want[1]
    return check


def same_item(base, key, value):
    """A check that `base[key]` still is `value` (an element of a list the user may change)."""
    def check():
        try:
            return base[key] is value
        except (IndexError, KeyError, TypeError):
            return False
    return check


def python_method(cls, name, after=None):
    """The Python function `name` defined by class `cls` or a base (a plain method, not a
    staticmethod, classmethod or property), or None; with `after`, only the classes after it
    in cls's method resolution order count (what `super(after, obj).name` finds)."""
    mro = cls.__mro__
    if after is not None:
        if after not in mro:
            return None
        mro = mro[mro.index(after) + 1:]
    for klass in mro:
        if name in vars(klass):
            value = vars(klass)[name]
            return value if inspect.isfunction(value) else None
    return None


def class_member(cls, name, kind):
    """The Python function behind the staticmethod or property (kind) `name` of class `cls`
    or a base (a property's getter), or None."""
    for klass in cls.__mro__:
        if name in vars(klass):
            value = vars(klass)[name]
            func = value.__func__ if kind is staticmethod and isinstance(value, staticmethod) \
                else value.fget if kind is property and isinstance(value, property) else None
            return func if inspect.isfunction(func) else None
    return None


def _python_call(obj):
    return (not isinstance(obj, (type, functools.partial, StarredCall, MethodOf))
            and not inspect.isroutine(obj)
            and python_method(type(obj), "__call__") is not None)


def _owner_name(obj):
    return obj.__name__ if isinstance(obj, type) else type(obj).__name__


def _parameter_names(func):
    code = func.__code__
    return code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]


def _free_positional(target):
    """The positional parameters of target's function not yet fixed, in order."""
    code = target.function.__code__
    names = code.co_varnames[:code.co_argcount]
    return [n for n in names if n not in target.constants and n not in target.keywords]


def bind_constants(parsed, target, cell):
    """Fix `target`'s constants in `parsed` (a ParsedFunction of target.function): each leaves
    the parameter list and becomes a closure cell; a partial's keywords become keyword-only
    parameters with their new defaults. The runtime defaults (parsed.defaults,
    parsed.kwdefaults) follow the new parameter list."""
    func = target.function
    args = parsed.node.args
    positional = list(args.posonlyargs) + list(args.args)
    defaults = list(func.__defaults__ or ())
    values = [None] * (len(positional) - len(defaults)) + [(d,) for d in defaults]
    kwdefaults = dict(func.__kwdefaults__ or {})
    kept_pos, kept_defaults, moved = [], [], []
    posonly = {a.id for a in args.posonlyargs}
    for arg, value in zip(positional, values):
        name = arg.id
        if name in target.constants:
            continue
        if name in target.keywords:
            moved.append(arg)
            kwdefaults[name] = target.keywords[name]
        elif moved:   # after a parameter given by keyword: keyword-only, as in a partial
            moved.append(arg)
            if value is not None:
                kwdefaults[name] = value[0]
        else:
            kept_pos.append(arg)
            kept_defaults.append(value)
    for arg in args.kwonlyargs:
        if arg.id in target.keywords:
            kwdefaults[arg.id] = target.keywords[arg.id]
    first_default = next((i for i, v in enumerate(kept_defaults) if v is not None),
                         len(kept_defaults))
    args.posonlyargs = [a for a in kept_pos if a.id in posonly]
    args.args = [a for a in kept_pos if a.id not in posonly]
    args.kwonlyargs = moved + [a for a in args.kwonlyargs if a.id not in target.constants]
    args.defaults = [gast.Constant(value=None, kind=None)] * (len(kept_pos) - first_default)
    args.kw_defaults = [gast.Constant(value=None, kind=None) if a.id in kwdefaults else None
                        for a in args.kwonlyargs]
    parsed.defaults = tuple(v[0] for v in kept_defaults[first_default:]) or None
    parsed.kwdefaults = {a.id: kwdefaults[a.id] for a in args.kwonlyargs
                         if a.id in kwdefaults} or None
    assigned = {n.id for n in gast.walk(parsed.node) if isinstance(n, gast.Name)
                and isinstance(n.ctx, (gast.Store, gast.Del))}
    for name, value in target.constants.items():
        if name in assigned:
            # The function assigns to the fixed parameter: it starts as a local holding the
            # constant, read from a cell of another name.
            held = _unused(f"{name}_bound", parsed.node)
            parsed.closure[held] = cell(value)
            start = gast.Assign(targets=[gast.Name(id=name, ctx=gast.Store(), annotation=None,
                                                   type_comment=None)],
                                value=gast.Name(id=held, ctx=gast.Load(), annotation=None,
                                                type_comment=None), type_comment=None)
            gast.copy_location(start, parsed.node.body[0])
            parsed.node.body.insert(_docstring_end(parsed.node), start)
        else:
            parsed.closure[name] = cell(value)
    parsed.label = target.label
    return parsed


def _unused(base, node):
    taken = {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}
    name, k = base, 2
    while name in taken:
        name, k = f"{base}{k}", k + 1
    return name


def _docstring_end(fdef):
    body = fdef.body
    return 1 if body and isinstance(body[0], gast.Expr) and isinstance(
        body[0].value, gast.Constant) and isinstance(body[0].value.value, str) else 0


class _View:
    """A Python function seen one particular way (a subclass says which): one object per
    function and key, so the cache finds its derivatives again; what the cache checks of a
    function (its code, its globals) is the function's own, read live."""

    def __new__(cls, function, key):
        per_func = cls._made.setdefault(function, {})
        made = per_func.get(key)
        if made is None:
            made = per_func[key] = super().__new__(cls)
            made.function = function
            made.__name__, made.__qualname__ = function.__name__, function.__qualname__
            made.__signature__ = made.signature(key)
        return made

    @property
    def __code__(self):
        return self.function.__code__

    @property
    def __globals__(self):
        return self.function.__globals__

    def __call__(self, *args, **kwargs):
        return self.function(*args, **kwargs)


class StarredCall(_View):
    """A function with `*args`, as called with `count` arguments into them: its source is
    read with `*args` replaced by that many parameters (`xs_0, xs_1`) and `xs = (xs_0, xs_1)`
    first in its body, so each argument can be differentiated like a named parameter."""

    _made = weakref.WeakKeyDictionary()

    def signature(self, count):
        self.count = count
        return _starred_signature(self.function, count)

    def __repr__(self):
        return f"<{self.function.__qualname__} called with {self.count} *args>"


def starred_call(func, args):
    """The StarredCall of a Python function with `*args` called with the argument nodes
    `args` (none starred), or None when func has no `*args`."""
    if not inspect.isfunction(func) or not func.__code__.co_flags & inspect.CO_VARARGS:
        return None
    named = func.__code__.co_argcount
    return StarredCall(func, max(len(args) - named, 0))


def starred_names(func, count):
    """The parameter names that replace `*args` (`xs_0, xs_1, ...`), clear of other names."""
    code = func.__code__
    star = code.co_varnames[code.co_argcount + code.co_kwonlyargcount]
    taken = set(code.co_varnames) | set(code.co_names)
    names = []
    for k in range(count):
        name, j = f"{star}_{k}", 2
        while name in taken:
            name, j = f"{star}_{k}_{j}", j + 1
        taken.add(name)
        names.append(name)
    return star, names


def _starred_signature(func, count):
    sig = inspect.signature(func)
    _, names = starred_names(func, count)
    params = []
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            params.extend(inspect.Parameter(n, inspect.Parameter.POSITIONAL_ONLY)
                          for n in names)
        elif p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            params.append(p.replace(kind=p.POSITIONAL_ONLY, default=p.empty))
        else:
            params.append(p)
    return sig.replace(parameters=params)


def expand_starred(parsed, view):
    """Replace `*args` in `parsed` (of view.function) by view.count positional parameters, and
    bind args to their tuple first in the body."""
    star, names = starred_names(view.function, view.count)
    args = parsed.node.args
    new = [gast.Name(id=n, ctx=gast.Param(), annotation=None, type_comment=None)
           for n in names]
    args.posonlyargs = list(args.posonlyargs) + list(args.args) + new
    args.args = []
    args.defaults = []      # every positional parameter before *args was passed
    args.vararg = None
    parsed.defaults = None
    tuple_ = gast.Tuple(elts=[gast.Name(id=n, ctx=gast.Load(), annotation=None,
                                        type_comment=None) for n in names], ctx=gast.Load())
    start = gast.Assign(targets=[gast.Name(id=star, ctx=gast.Store(), annotation=None,
                                           type_comment=None)], value=tuple_,
                        type_comment=None)
    gast.copy_location(start, parsed.node)
    for n in gast.walk(start):
        n.lineno, n.col_offset = parsed.node.lineno, parsed.node.col_offset
    parsed.node.body.insert(_docstring_end(parsed.node), start)
    return parsed


class TypedArguments(_View):
    """A function whose parameters hold instances of exactly the classes `key` names (pairs of
    parameter name and class: a model passed to a loss that calls `model.forward(x)`): its
    source is read knowing those classes, so a method called on them resolves. classes.py
    compiles one per tuple of classes a gradient function is called with."""

    _made = weakref.WeakKeyDictionary()

    def signature(self, key):
        self.classes = dict(key)
        return inspect.signature(self.function)

    def __repr__(self):
        typed = ", ".join(f"{n}: list of {c[1].__name__}" if isinstance(c, tuple) else
                          f"{n}: {c.__name__}" for n, c in self.classes.items())
        return f"<{self.function.__qualname__} with {typed}>"


class MethodOf(_View):
    """A method of class `cls` called with an instance of exactly that class as its first
    argument (`layer(h)` in `for layer in self.layers`): its source is read knowing the class
    of that parameter, so `self.act(h)` in it resolves to the class's method too. `fields`:
    (attribute path, class) pairs of the objects the instance holds (`("second", Dense)`: its
    `self.second(h)` calls Dense's __call__), known from the call's argument (classes.py)."""

    _made = weakref.WeakKeyDictionary()

    def __new__(cls, owner, function, fields=()):
        return super().__new__(cls, function, (owner, tuple(fields)))

    def signature(self, key):
        self.cls, self.fields = key
        return inspect.signature(self.function)

    def __repr__(self):
        return f"<{self.function.__qualname__} on {self.cls.__name__} objects>"
