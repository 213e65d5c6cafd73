"""What a compiled derivative is: the Compiled record the cache keeps, the names generated code
binds (numpy, runtime helpers), and compiling generated source into one.

Below the pipeline (pipeline.py), which makes Compiled records, and higher.py, which composes
them into second derivatives: both build on this module, neither on the other.
"""
import dataclasses
import inspect

import numpy as np

from . import optimize, runtime
from .emit import compile_function, to_source
from .errors import USER_ERRORS, UnsupportedSyntaxError
from .rules import registry_version

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
    mode: str                 # "grad", "value_and_grad", "vjp" (seeded backward sweep), "jvp"
    source: str
    df: object
    code: object
    registry_version: int
    globals_used: dict
    deps: list = dataclasses.field(default_factory=list)   # Compiled callees it calls
    bindings: dict = dataclasses.field(default_factory=dict)  # free name in source -> object
    tangent_params: dict = dataclasses.field(default_factory=dict)  # jvp: param -> its tangent
    numbers: object = None    # the Compiled variant df dispatches to for numbers, if any
    specialiser: object = None   # its shape-specialised variants (specialiser.py), if any
    # (globals, {name: object}) of the functions whose shapes the compile relied on
    watched: list = dataclasses.field(default_factory=list)
    backward: object = None   # split mode: the compiled backward sweep (df is the forward)
    # Whether what the compile read of objects still holds (a method `self.predict` resolved
    # to, the class of the objects in a list): each returns False once it does not.
    checks: list = dataclasses.field(default_factory=list)
    passes: int = dataclasses.field(default_factory=optimize.version)   # see cache._valid
    # A gradient compiled per class of the arguments it calls methods of (classes.py): df
    # dispatches to the derivative of the classes passed; `source` has no code of its own.
    by_class: object = None


def finish(func, wrt, mode, parsed, fn, deriv, signature, bindings, callees):
    """Write, compile and record a derivative."""
    source = to_source(deriv, signature)
    real = parsed.func
    df = compile_function(source, deriv.name, real.__globals__, bindings.objects,
                          parsed.closure, parsed.defaults, parsed.kwdefaults,
                          label=f"{deriv.name} from {parsed.filename}:{fn.lineno}",
                          on_error=USER_ERRORS)
    df.__doc__ = deriv.docstring
    compiled = Compiled(func=func, wrt=tuple(wrt), mode=mode, source=source, df=df,
                        code=real.__code__, registry_version=registry_version(),
                        globals_used=parsed.globals_used, deps=unique(callees),
                        bindings=dict(bindings.objects), checks=list(parsed.checks))
    df.__tangent_lite__ = compiled
    return compiled


def unique(callees):
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
                          real.__kwdefaults__, label=f"{name}", on_error=USER_ERRORS)
    compiled = Compiled(func=target, wrt=(), mode=mode, source=source, df=df,
                        code=getattr(target, "__code__", None),
                        registry_version=registry_version(), globals_used={}, deps=list(deps),
                        bindings=objects)
    df.__tangent_lite__ = compiled
    return compiled
