"""The order of the stages, for one function and one set of options:

    frontend (parse, normalize) -> analysis (aliasing; activity and shapes run inside the
    transforms) -> transforms (reverse: adjoints -> stack plan -> sweeps; or forward), with the
    optimize passes they call -> emit (source, compile) -> cache

Each entry point (reverse, vjp, jvp) returns a cached compiled.Compiled.
"""
import dataclasses
import inspect
import threading

from . import cache, higher, ir
from .analysis.aliasing import CHECKPOINTED, check_aliasing
from .analysis.concrete import ConcreteShapes, callee_results
from .analysis.shapes import ShapeFacts, resolver, summaries
from .compiled import Bindings, Compiled, finish, unique
from .emit import Namer, compile_function, to_source
from .errors import USER_ERRORS, TangentLiteError, UnsupportedSyntaxError
from .frontend.normalize import normalize
from .frontend.parse import parse_function
from .optimize import enabled, inplace, numbers, specialise
from .specialiser import Specialiser
from .rules import registry_version
from .transforms.common import Context
from .transforms.forward import ForwardTransform
from .transforms.list_aliases import resolve_list_aliases
from .transforms.memory import lower_views
from .transforms.reverse import ReverseOptions, reverse_mode, with_bindings


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
            collected = [p.name for p in params if p.kind is p.VAR_POSITIONAL]
            if collected and not -len(names) <= item < len(names):
                name = getattr(func, "__name__", "f")
                raise TangentLiteError(
                    f"wrt={item}: argument {item} of {name} is collected in *{collected[0]}, "
                    f"and tangent_lite differentiates with respect to a named parameter only",
                    hint=f"instead: give the value to differentiate a parameter of its own, "
                         f"as in `def {name}(x, *{collected[0]})`, and pass wrt=0 or wrt='x'",
                    **where)
            if not -len(names) <= item < len(names):
                raise TangentLiteError(
                    f"wrt={item} is out of range: {func.__name__} has {len(names)} "
                    f"argument(s) {tuple(names)}", **where)
            item = names[item]
        elif item not in names and item in {p.name for p in params}:   # *args, **kwargs
            raise TangentLiteError(
                f"wrt={item!r}: {getattr(func, '__name__', 'f')} collects several arguments "
                f"in {item}; instead: give each value to differentiate a named parameter",
                **where)
        elif item not in names:
            raise TangentLiteError(f"wrt={item!r}: {func.__name__} has no argument of that "
                                   f"name; its arguments are {tuple(names)}", **where)
        if item in out:
            raise TangentLiteError(f"wrt names the argument {item!r} twice", **where)
        out.append(item)
    return tuple(out)


_building = threading.local()


def reverse(func, wrt, as_tuple=False, with_value=False, split=False, taped=False):
    """The cached Compiled gradient of `func` with respect to the parameter names `wrt`.

    with_value: df returns (value, gradient); split: df is the forward sweep, returning
    (value, state), and Compiled.backward(state, weights) the backward sweep; taped: every
    step of every loop recorded, checkpointed(...) markers ignored (for forward mode over the
    gradient: higher.py)."""
    key = (("tuple",) if as_tuple else ()) + tuple(wrt)
    mode = "split" if split else "value_and_grad" if with_value else \
        "taped" if taped else "reverse"
    return cache.get(func, (key, mode), lambda: compile_reverse(
        func, wrt, as_tuple, with_value=with_value, split=split, taped=taped))


def vjp(func, wrt):
    """The cached Compiled vector-Jacobian product of a function called from differentiated
    code: vjp(d_result, *args) returns the gradients of the parameters `wrt`."""
    generated = getattr(func, "__tangent_lite__", None)
    if generated is not None:   # a gradient called from differentiated code: compose
        return cache.get(func, (tuple(wrt), "vjp"),
                         lambda: higher.vjp_of_derivative(generated, wrt, reverse, jvp))
    return cache.get(func, (tuple(wrt), "vjp"), lambda: compile_reverse(func, wrt, seeded=True))


def taped_vjp(func, wrt):
    """vjp for a taped compile (forward mode differentiates it again, for an hvp): the callee's
    vjp taped too, without the dispatch to shape-specialised variants, which forward mode
    cannot follow (the variant is picked at run time)."""
    if getattr(func, "__tangent_lite__", None) is not None:
        return vjp(func, wrt)
    return cache.get(func, (tuple(wrt), "taped_vjp"),
                     lambda: compile_reverse(func, wrt, seeded=True, taped=True))


def jvp(func, wrt):
    """The cached Compiled forward-mode derivative of `func` with respect to `wrt`:
    jvp_f(*args, **{tangent name: tangent}) returns (result, its tangent)."""
    return cache.get(func, (tuple(wrt), "jvp"), lambda: compile_forward(func, wrt))


def compile_forward(func, wrt):
    """Differentiate `func` in forward mode with respect to the parameters named `wrt`."""
    with _building_guard(func):
        parsed, namer, bindings, fn = _front(func)
        # Gradient code tangent_lite generated (hvp: forward over reverse) writes only into
        # arrays it owns (owned/saved copies): its memory discipline is the compiler's own.
        copied, guards = ((), {}) if _generated(func) else check_aliasing(fn, parsed)
        transform = ForwardTransform(Context(fn, parsed, namer, bindings), wrt, callee=jvp,
                                     copied=copied, guards=guards)
        deriv = transform.run()
        tangents = ", ".join(transform.tangent_params[p] for p in wrt)
        signature, kwarg = fn.signature, parsed.node.args.kwarg
        rest = ""     # `**kwargs` stays last
        if tangents and kwarg is not None and signature.endswith(f"**{kwarg.id}"):
            signature, rest = signature[:-len(kwarg.id) - 2].rstrip(", "), f", **{kwarg.id}"
        if not tangents:
            pass
        elif "*" in signature.replace("**", ""):
            signature = f"{signature}, {tangents}"
        else:
            signature = f"{signature}, *, {tangents}" if signature else f"*, {tangents}"
        signature += rest
        compiled = finish(func, wrt, "jvp", parsed, fn, deriv, signature, bindings,
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


def compile_reverse(func, wrt, as_tuple=False, seeded=False, with_value=False, split=False,
                    checkpoint=0, taped=False):
    """Differentiate `func` in reverse mode with respect to the parameters named `wrt`;
    checkpoint: snapshots for every outermost loop; taped: record every step of every loop."""
    with _building_guard(func):
        return _compile_reverse(func, wrt, as_tuple, seeded, with_value, split, checkpoint,
                                taped)


def _front(func):
    """Parse and normalize `func`: (parsed, namer, bindings, core-language function)."""
    parsed = parse_function(func)
    namer = Namer()
    bindings = Bindings(namer, parsed)
    fn = normalize(parsed, namer, bindings)
    if not _generated(func):
        resolve_list_aliases(fn)
        lower_views(Context(fn, parsed, namer, bindings))
    return parsed, namer, bindings, fn


def _generated(func):
    """Whether `func` is gradient code tangent_lite wrote (differentiated again)."""
    return getattr(inspect.unwrap(func), "__tangent_lite__", None) is not None


def _reverse(func, options, summary):
    """Run reverse mode on `func`'s source: (context, transforms.reverse.Reversed)."""
    parsed, namer, bindings, fn = _front(func)
    for p in options.wrt:
        if p not in fn.params:
            raise UnsupportedSyntaxError(f"cannot differentiate with respect to {p!r}",
                                         filename=parsed.filename, lineno=fn.lineno)
    copied, guards = check_aliasing(fn, parsed, replayed=_replayed(fn, options))
    ctx = Context(fn, parsed, namer, bindings)
    return ctx, reverse_mode(ctx, options, copied=copied, guards=guards,
                             callee=taped_vjp if options.taped else vjp, summary=summary)


def _replayed(fn, options):
    """For check_aliasing: loop ids around a write -> CHECKPOINTED where a checkpointed loop
    replays the write's backward sweep from its snapshots, else None (a pullback's sweep
    restores one copy per array: runtime owned_in)."""
    if options.checkpoint:     # every outermost loop is checkpointed
        return lambda loops: CHECKPOINTED if loops else None
    marked = {id(st) for st in ir.walk(fn.body) if getattr(st, "snapshots", 0)}
    return lambda loops: CHECKPOINTED if marked.intersection(loops) else None


def _compile_reverse(func, wrt, as_tuple, seeded, with_value, split, checkpoint=0,
                     taped=False):
    summary = summaries(_shape_facts)
    options = ReverseOptions(tuple(wrt), as_tuple=as_tuple, seeded=seeded, split=split,
                             with_value=with_value, checkpoint=checkpoint, taped=taped)
    ctx, out = _reverse(func, options, summary)
    if inplace.reads_complex(ctx.parsed):   # a complex value f reads from outside
        options = dataclasses.replace(options, complex_data=True)
        ctx, out = _reverse(func, options, summary)
    parsed, fn, bindings, deriv = ctx.parsed, ctx.fn, ctx.bindings, out.derivative
    if split:
        fwd, bwd = deriv, out.backward
        source = to_source(fwd, fn.signature) + "\n\n" + to_source(bwd, bwd.signature)
        real = parsed.func
        funcs = compile_function(source, [fwd.name, bwd.name], real.__globals__,
                                 bindings.objects, parsed.closure, parsed.defaults,
                                 parsed.kwdefaults,
                                 label=f"{fwd.name} from {parsed.filename}:{fn.lineno}",
                                 on_error=USER_ERRORS)
        funcs[bwd.name].__defaults__ = funcs[bwd.name].__kwdefaults__ = None
        return Compiled(func=func, wrt=tuple(wrt), mode="split", source=source,
                        df=funcs[fwd.name], code=real.__code__,
                        registry_version=registry_version(),
                        globals_used=parsed.globals_used, deps=unique(out.callees),
                        bindings=dict(bindings.objects), backward=funcs[bwd.name],
                        watched=summary.watched, checks=list(parsed.checks))
    signature = fn.signature
    if seeded:
        signature = f"{deriv.seed}, {signature}" if signature else deriv.seed
    callees = list(out.callees)
    specialiser = None
    if (not taped and enabled("specialise") and specialise.specialisable(parsed)
            and specialise.worthwhile(deriv.body, bindings, seeded)):
        mode = "vjp" if seeded else "value_and_grad" if with_value else "grad"
        seed = deriv.seed if seeded else None
        specialiser = Specialiser(func, options, fn, signature, mode,
                                  lambda variant: _specialised(func, variant), seed=seed,
                                  returned=lambda shapes: _returned_shape(func, shapes))
        deriv.body[:0] = specialise.dispatch(fn, parsed, bindings, specialiser, seed)
    if specialiser is None and not (seeded or taped):
        _complex_dispatch(ctx, func, options, signature, summary, deriv, callees)
    variant = None
    if not seeded and numbers.wanted(fn, parsed, summary):
        variant = _numbers_variant(func, options, deriv, signature, summary)
        if variant is not None:
            deriv.body[:0] = numbers.dispatch(fn, parsed, bindings, variant.df)
            callees.append(variant)
    mode = "vjp" if seeded else ("value_and_grad" if with_value else "grad")
    compiled = finish(func, wrt, mode, parsed, fn, deriv, signature, bindings, callees)
    compiled.numbers = variant
    compiled.specialiser = specialiser
    if specialiser is not None:
        specialiser.attach(compiled.df)
    compiled.watched = summary.watched
    return compiled


def _specialised(func, options):
    """Reverse mode on `func` for a shape-specialised variant (specialiser.py, at df's first
    call with arrays): (context, transforms.reverse.Reversed)."""
    with _building_guard(func):
        summary = summaries(_shape_facts)
        summary.concrete = callee_results(_concrete_shapes)   # what the variant may assume
        return _reverse(func, options, summary)


def _returned_shape(func, shapes):
    """The shape of func's result given its parameters' shapes (a specialised vjp's seed must
    have it: specialiser.py), or None where the concrete analysis cannot tell."""
    try:
        return _concrete_shapes(func, shapes, callee_results(_concrete_shapes)).returned
    except TangentLiteError:
        return None


def _concrete_shapes(func, shapes, callee):
    """The shapes in a function called from a specialised variant, given its arguments'."""
    parsed, _, bindings, fn = _front(func)
    return ConcreteShapes(fn, shapes, with_bindings(resolver(parsed), bindings.objects), callee)


def _shape_facts(func, summary):
    """The shape analysis of a function called from differentiated code (for its summary)."""
    parsed, _, _, fn = _front(func)
    facts = ShapeFacts(fn, False, resolver(parsed), summary)
    return facts, (parsed.func.__globals__, parsed.globals_used)


def _complex_dispatch(ctx, func, options, signature, summary, deriv, callees):
    """Where the generic df adds adjoints in place and no specialiser compiles variants for
    its arguments' dtypes: df's first statements send arguments holding complex values to
    the variant that adds nothing in place. A data argument's complex values make complex
    adjoints of real ones; a differentiated argument's are refused (grad_like, at the end of
    that variant) before a real array meets a complex `+=` (a raw NumPy error)."""
    if options.complex_data or not inplace.adds_in_place(deriv.body):
        return
    data = list(ctx.fn.params)
    if enabled("specialise"):   # compiled at the first call with a complex argument
        variant = _ComplexVariant(func, options, signature, summary, deriv.name)
    else:   # a module ahead of time (aot/) carries every variant's source: compiled now
        compiled = _complex_variant(func, options, signature, summary)
        callees.append(compiled)
        variant = compiled.df
    deriv.body[:0] = inplace.dispatch(data, ctx.parsed, ctx.bindings, variant)


class _ComplexVariant:
    """The generic df's variant for arguments holding complex values (complex data: the
    adjoints of real values are complex then, and a real array refuses them in place),
    compiled at the first call that needs it: it adds no adjoint in place."""

    def __init__(self, func, options, signature, summary, name):
        self.func, self.options, self.signature, self.summary = func, options, signature, summary
        self.__name__ = f"{name}_complex"
        self.df = None
        self.lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        if self.df is None:
            with self.lock:
                if self.df is None:
                    self.df = _complex_variant(self.func, self.options, self.signature,
                                               self.summary).df
        return self.df(*args, **kwargs)


def _complex_variant(func, options, signature, summary):
    """The Compiled generic gradient of `func` that adds no adjoint in place."""
    options = dataclasses.replace(options, complex_data=True)
    ctx, out = _reverse(func, options, summary)
    mode = "value_and_grad" if options.with_value else "grad"
    compiled = finish(func, options.wrt, mode, ctx.parsed, ctx.fn, out.derivative, signature,
                      ctx.bindings, out.callees)
    compiled.watched = summary.watched
    return compiled


def _numbers_variant(func, options, generic, signature, summary):
    """The Compiled gradient of `func` for arguments that are all numbers (optimize/numbers.py);
    None where the generic gradient is already as lean."""
    ctx, out = _reverse(func, dataclasses.replace(options, numbers=True), summary)
    deriv = out.derivative
    same = dataclasses.replace(deriv, name=generic.name, docstring=generic.docstring)
    if to_source(same, signature) == to_source(generic, signature):
        return None
    compiled = finish(func, options.wrt, "grad", ctx.parsed, ctx.fn, deriv, signature,
                       ctx.bindings, out.callees)
    compiled.watched = summary.watched
    return compiled


