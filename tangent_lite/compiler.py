"""Run the pipeline for one function and one set of options; return source and function."""
import dataclasses
import inspect
import threading

import numpy as np

from . import cache, optimize, runtime
from .analysis.aliasing import check_aliasing
from .analysis.shapes import ShapeFacts, resolver, summaries
from .emit import Namer, compile_function, to_source
from .errors import TangentLiteError, UnsupportedSyntaxError
from .frontend.normalize import normalize
from .frontend.parse import parse_function
from .rules import registry_version
from .optimize import numbers
from .transforms.common import Context
from .transforms.forward import ForwardTransform
from .transforms.reverse import ReverseOptions, reverse_mode

# What generated code may name without the user's module providing it.
BUILTIN_BINDINGS = {"np": np}
BUILTIN_BINDINGS.update({n: getattr(runtime, n) for n in runtime.__all__})


class Bindings:
    """Free names of generated code (numpy, runtime helpers) and the objects they denote.

    A name keeps its natural spelling (`np`, `unbroadcast`) unless the user's function uses that
    name for something else; then it gets a fresh one, so nothing the user wrote is shadowed.
    """

    def __init__(self, namer, parsed):
        self.namer = namer
        self.parsed = parsed
        self.objects = {}     # generated name -> object
        self._spelled = {}    # (free name, id(object)) -> generated name

    def spelled(self, free):
        """How `free` is spelled if generated code already uses it, else None."""
        obj = BUILTIN_BINDINGS.get(free)
        return self._spelled.get((free, id(obj))) if obj is not None else None

    def name(self, free, obj=None):
        if obj is None:
            obj = BUILTIN_BINDINGS[free]
        key = (free, id(obj))
        spelled = self._spelled.get(key)
        if spelled is None:
            mine = self.parsed.resolve_name(free)
            if (free not in self.namer.taken or mine is obj) and free not in self.objects:
                spelled = free
            else:
                spelled = self.namer.fresh(free)
            # A name, once bound to an object, is never handed out again (trial runs of loop
            # bodies restore the namer; these names survive that).
            self.namer.reserve(spelled, permanent=True)
            self._spelled[key] = spelled
            self.objects[spelled] = obj
        return spelled


@dataclasses.dataclass
class Compiled:
    """A compiled derivative and what it was made from."""

    func: object
    wrt: tuple
    mode: str                 # "grad", "vjp" (seeded backward sweep) or "jvp"
    source: str
    df: object
    code: object
    registry_version: int
    globals_used: dict
    deps: list = dataclasses.field(default_factory=list)   # Compiled callees it calls
    bindings: dict = dataclasses.field(default_factory=dict)  # free name in source -> object
    tangent_params: dict = dataclasses.field(default_factory=dict)  # jvp: param -> its tangent
    numbers: object = None    # the Compiled variant df dispatches to for numbers, if any
    # (globals, {name: object}) of the functions whose shapes the compile relied on
    watched: list = dataclasses.field(default_factory=list)
    backward: object = None   # split mode: the compiled backward sweep (df is the forward)
    passes: int = dataclasses.field(default_factory=optimize.version)   # see cache._valid


def wrt_names(func, wrt):
    """Parameter names for `wrt` (an index, a name, or a tuple of them)."""
    if not inspect.isfunction(inspect.unwrap(func)):
        parse_function(func)   # raises SourceUnavailableError, naming where it was asked
    params = [p for p in inspect.signature(func).parameters.values()]
    names = [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    items = wrt if isinstance(wrt, (tuple, list)) else (wrt,)
    code = getattr(func, "__code__", None)
    where = dict(filename=code.co_filename, lineno=code.co_firstlineno) if code else {}
    out = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise TangentLiteError(f"wrt={wrt!r}: give an argument index or name, or a tuple "
                                   "of them", **where)
        if isinstance(item, int):
            if not -len(names) <= item < len(names):
                raise TangentLiteError(
                    f"wrt={item} is out of range: {func.__name__} has {len(names)} "
                    f"argument(s) {tuple(names)}", **where)
            item = names[item]
        elif item not in names:
            raise TangentLiteError(f"wrt={item!r}: {func.__name__} has no argument of that "
                                   f"name; its arguments are {tuple(names)}", **where)
        if item in out:
            raise TangentLiteError(f"wrt names the argument {item!r} twice", **where)
        out.append(item)
    return tuple(out)


_building = threading.local()


def reverse(func, wrt, as_tuple=False, with_value=False, split=False):
    """The cached Compiled gradient of `func` with respect to the parameter names `wrt`.

    with_value: df returns (value, gradient); split: df is the forward sweep, returning
    (value, state), and Compiled.backward(state, weights) the backward sweep."""
    key = (("tuple",) if as_tuple else ()) + tuple(wrt)
    mode = "split" if split else "value_and_grad" if with_value else "reverse"
    return cache.get(func, (key, mode), lambda: compile_reverse(
        func, wrt, as_tuple, with_value=with_value, split=split))


def vjp(func, wrt):
    """The cached Compiled vector-Jacobian product of a function called from differentiated
    code: vjp(d_result, *args) returns the gradients of the parameters `wrt`."""
    generated = getattr(func, "__tangent_lite__", None)
    if generated is not None:
        from . import higher   # composes derivatives of this module's making
        return cache.get(func, (tuple(wrt), "vjp"),
                         lambda: higher.vjp_of_derivative(generated, wrt))
    return cache.get(func, (tuple(wrt), "vjp"), lambda: compile_reverse(func, wrt, seeded=True))


def jvp(func, wrt):
    """The cached Compiled forward-mode derivative of `func` with respect to `wrt`:
    jvp_f(*args, **{tangent name: tangent}) returns (result, its tangent)."""
    return cache.get(func, (tuple(wrt), "jvp"), lambda: compile_forward(func, wrt))


def compile_forward(func, wrt):
    """Differentiate `func` in forward mode with respect to the parameters named `wrt`."""
    with _building_guard(func):
        parsed, namer, bindings, fn = _front(func)
        transform = ForwardTransform(Context(fn, parsed, namer, bindings), wrt, callee=jvp)
        deriv = transform.run()
        tangents = ", ".join(transform.tangent_params[p] for p in wrt)
        signature = fn.signature
        if not tangents:
            pass
        elif "*" in signature.replace("**", ""):
            signature = f"{signature}, {tangents}"
        else:
            signature = f"{signature}, *, {tangents}" if signature else f"*, {tangents}"
        compiled = _finish(func, wrt, "jvp", parsed, fn, deriv, signature, bindings,
                           transform.callees)
        compiled.tangent_params = dict(transform.tangent_params)
        return compiled


class _building_guard:
    """Refuses recursion: a function whose derivative needs its own derivative."""

    def __init__(self, func):
        self.real = inspect.unwrap(func)

    def __enter__(self):
        active = getattr(_building, "active", None)
        if active is None:
            active = _building.active = []
        if any(f is self.real for f in active):
            chain = " -> ".join(f.__name__ for f in active + [self.real])
            code = self.real.__code__
            raise UnsupportedSyntaxError(
                f"recursion ({chain}) cannot be differentiated by source transformation",
                filename=code.co_filename, lineno=code.co_firstlineno,
                hint="instead: write the recursion as a loop, or register a rule for the "
                     "function with @tangent_lite.adjoint")
        active.append(self.real)

    def __exit__(self, *exc):
        _building.active.pop()


def compile_reverse(func, wrt, as_tuple=False, seeded=False, with_value=False, split=False):
    """Differentiate `func` in reverse mode with respect to the parameters named `wrt`."""
    with _building_guard(func):
        return _compile_reverse(func, wrt, as_tuple, seeded, with_value, split)


def _front(func):
    """Parse and normalize `func`: (parsed, namer, bindings, core-language function)."""
    parsed = parse_function(func)
    namer = Namer()
    bindings = Bindings(namer, parsed)
    return parsed, namer, bindings, normalize(parsed, namer, bindings)


def _reverse(func, options, summary):
    """Run reverse mode on `func`'s source: (context, transforms.reverse.Reversed)."""
    parsed, namer, bindings, fn = _front(func)
    for p in options.wrt:
        if p not in fn.params:
            raise UnsupportedSyntaxError(f"cannot differentiate with respect to {p!r}",
                                         filename=parsed.filename, lineno=fn.lineno)
    copied, guards = check_aliasing(fn, parsed)
    ctx = Context(fn, parsed, namer, bindings)
    return ctx, reverse_mode(ctx, options, copied=copied, guards=guards, callee=vjp,
                             summary=summary)


def _compile_reverse(func, wrt, as_tuple, seeded, with_value, split):
    summary = summaries(_shape_facts)
    options = ReverseOptions(tuple(wrt), as_tuple=as_tuple, seeded=seeded, split=split,
                             with_value=with_value)
    ctx, out = _reverse(func, options, summary)
    parsed, fn, bindings, deriv = ctx.parsed, ctx.fn, ctx.bindings, out.derivative
    if split:
        fwd, bwd = deriv, out.backward
        source = to_source(fwd, fn.signature) + "\n\n" + to_source(bwd, bwd.signature)
        real = parsed.func
        funcs = compile_function(source, [fwd.name, bwd.name], real.__globals__,
                                 bindings.objects, parsed.closure, real.__defaults__,
                                 real.__kwdefaults__,
                                 label=f"{fwd.name} from {parsed.filename}:{fn.lineno}")
        funcs[bwd.name].__defaults__ = funcs[bwd.name].__kwdefaults__ = None
        return Compiled(func=func, wrt=tuple(wrt), mode="split", source=source,
                        df=funcs[fwd.name], code=real.__code__,
                        registry_version=registry_version(),
                        globals_used=parsed.globals_used, deps=_unique(out.callees),
                        bindings=dict(bindings.objects), backward=funcs[bwd.name],
                        watched=summary.watched)
    signature = fn.signature
    if seeded:
        signature = f"{deriv.seed}, {signature}" if signature else deriv.seed
    callees = list(out.callees)
    variant = None
    if not seeded and numbers.wanted(fn, parsed, summary):
        variant = _numbers_variant(func, options, deriv, signature, summary)
        if variant is not None:
            deriv.body[:0] = numbers.dispatch(fn, parsed, bindings, variant.df)
            callees.append(variant)
    compiled = _finish(func, wrt, "vjp" if seeded else "grad", parsed, fn, deriv, signature,
                       bindings, callees)
    compiled.numbers = variant
    compiled.watched = summary.watched
    return compiled


def _shape_facts(func, summary):
    """The shape analysis of a function called from differentiated code (for its summary)."""
    parsed, _, _, fn = _front(func)
    facts = ShapeFacts(fn, False, resolver(parsed), summary)
    return facts, (parsed.func.__globals__, parsed.globals_used)


def _numbers_variant(func, options, generic, signature, summary):
    """The Compiled gradient of `func` for arguments that are all numbers (optimize/numbers.py);
    None where the generic gradient is already as lean."""
    ctx, out = _reverse(func, dataclasses.replace(options, numbers=True), summary)
    deriv = out.derivative
    same = dataclasses.replace(deriv, name=generic.name, docstring=generic.docstring)
    if to_source(same, signature) == to_source(generic, signature):
        return None
    compiled = _finish(func, options.wrt, "grad", ctx.parsed, ctx.fn, deriv, signature,
                       ctx.bindings, out.callees)
    compiled.watched = summary.watched
    return compiled


def _finish(func, wrt, mode, parsed, fn, deriv, signature, bindings, callees):
    """Write, compile and record a derivative."""
    source = to_source(deriv, signature)
    real = parsed.func
    df = compile_function(source, deriv.name, real.__globals__, bindings.objects,
                          parsed.closure, real.__defaults__, real.__kwdefaults__,
                          label=f"{deriv.name} from {parsed.filename}:{fn.lineno}")
    df.__doc__ = deriv.docstring
    compiled = Compiled(func=func, wrt=tuple(wrt), mode=mode, source=source, df=df,
                        code=real.__code__, registry_version=registry_version(),
                        globals_used=parsed.globals_used, deps=_unique(callees),
                        bindings=dict(bindings.objects))
    df.__tangent_lite__ = compiled
    return compiled


def _unique(callees):
    """Each callee once (a helper called on several lines shares one vjp), so that checking
    a cached gradient is still current checks each only once."""
    out = []
    for c in callees:
        if not any(c is o for o in out):
            out.append(c)
    return out


def signature_of(func):
    """func's parameter list as source, without defaults (they are attached as objects)."""
    out, kinds = [], inspect.Parameter
    seen_kwonly = False
    params = list(inspect.signature(func).parameters.values())
    for i, p in enumerate(params):
        if p.kind is kinds.KEYWORD_ONLY and not seen_kwonly:
            out.append("*")
            seen_kwonly = True
        if p.kind is kinds.VAR_POSITIONAL or p.kind is kinds.VAR_KEYWORD:
            raise UnsupportedSyntaxError(f"{func.__name__} has *args or **kwargs")
        out.append(p.name)
        if p.kind is kinds.POSITIONAL_ONLY and (
                i + 1 == len(params) or params[i + 1].kind is not kinds.POSITIONAL_ONLY):
            out.append("/")
    return ", ".join(out)


def compile_helper(func, target, name, source, bindings, deps, mode):
    """Compile a small generated function that composes other derivatives of `func` (e.g. a
    second derivative); `target` is the function it is the derivative of."""
    objects = dict(BUILTIN_BINDINGS)
    objects.update(bindings)
    real = inspect.unwrap(func)
    df = compile_function(source, name, real.__globals__, objects, {}, real.__defaults__,
                          real.__kwdefaults__, label=f"{name}")
    compiled = Compiled(func=target, wrt=(), mode=mode, source=source, df=df,
                        code=getattr(target, "__code__", None),
                        registry_version=registry_version(), globals_used={}, deps=list(deps),
                        bindings=objects)
    df.__tangent_lite__ = compiled
    return compiled
