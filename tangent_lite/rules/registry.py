"""One registry of primitives, each with its derivative templates (JAX's design).

A primitive is any callable the compiler does not look inside: NumPy functions, ufuncs, the
operators behind `+`, `@`, `x[i]`. Everything else is differentiated from its source and so
composes out of these.
"""
import builtins
import collections
import functools
import inspect
import sys
import threading
import types
from typing import Any, Callable, TypeVar

from ..errors import MissingRuleError, SourceUnavailableError, user_facing
from .template import Shape, Template, linear_source

F = TypeVar("F", bound=Callable[..., Any])


class _Notation:
    """`d[x]` in a rule template: the adjoint (reverse mode) or tangent (forward mode) of `x`.
    Templates are parsed, never run; importing `d` only keeps linters quiet."""

    def __getitem__(self, key: Any) -> Any:
        raise TypeError("d[...] is rule-template notation; tangent_lite reads it, it never runs")

    def __setitem__(self, key: Any, value: Any) -> None:   # `d[x] = ...` type-checks
        self.__getitem__(key)


d = _Notation()

_table = {}
_lock = threading.Lock()
_version = [0]
_log = []

PACKAGE = __name__.rpartition(".")[0]   # tangent_lite.rules: the modules of the built-in table

Registration = collections.namedtuple("Registration", "func mode module filename lineno")
Registration.__doc__ = """One registration: `func` got a rule for `mode` ("adjoint", "tangent")
or was marked "nondifferentiable", by the module `module`, at filename:lineno."""


class Primitive:
    """What the compiler knows about one callable."""

    __slots__ = ("func", "name", "adjoint", "tangent", "nondiff")

    def __init__(self, func, name):
        self.func = func
        self.name = name
        self.adjoint = None
        self.tangent = None
        self.nondiff = False

    def __repr__(self):
        kind = "non-differentiable" if self.nondiff else "differentiable"
        return f"<primitive {self.name} ({kind})>"


def display_name(func):
    """`np.tanh`, `np.linalg.norm`, `operator.add`, `scipy.special.expit`: how the table and
    messages name `func`."""
    module = getattr(func, "__module__", None) or _ufunc_module(func)
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", repr(func))
    if module.startswith("scipy."):     # scipy.special._logsumexp.logsumexp: its public name
        return ".".join([p for p in module.split(".") if not p.startswith("_")] + [name])
    if module.startswith("numpy"):
        sub = module.split(".")[1:]
        sub = [s for s in sub if not s.startswith("_")
               and s not in ("core", "fromnumeric", "multiarray", "numeric")]
        return ".".join(["np"] + sub + [name])
    if module == "builtins":
        return name
    return f"{module}.{name}"


def _ufunc_module(func):
    """A ufunc has no __module__: NumPy's, unless it is one of scipy.special's."""
    special = sys.modules.get("scipy.special")
    name = getattr(func, "__name__", None)
    if special is not None and name and getattr(special, name, None) is func:
        return "scipy.special"
    return "numpy"


def _entry(func):
    prim = _table.get(func)
    if prim is None:
        prim = _table[func] = Primitive(func, display_name(func))
    return prim


def _bump():
    _version[0] += 1


def _register(funcs, mode, template):
    module = template.module or ""
    if not (module == "tangent_lite" or module.startswith("tangent_lite.")):
        check_names(template, funcs, mode)   # the package's own templates: in the test suite
    filename, lineno = template.location()
    with _lock:
        for func in funcs:
            prim = _entry(func)
            setattr(prim, mode, template)
            prim.nondiff = False
            _log.append(Registration(func, mode, module, filename, lineno))
        _bump()


def check_names(template, funcs, mode):
    """Raise MissingRuleError, naming file:line, if the template uses a name that is neither
    defined in its module nor a builtin: filling it in would fail at the first call. A template
    whose source cannot be read (built with exec) could
    never be filled in: SourceUnavailableError, at registration too."""
    kind = "reverse-mode (@adjoint)" if mode == "adjoint" else "forward-mode (@tangent_rule)"
    which = ", ".join(display_name(f) for f in funcs)
    try:
        unknown = template.unknown_names(forward=mode == "tangent")
    except OSError as exc:
        filename, lineno = template.location()
        raise SourceUnavailableError(
            f"cannot read the source of the {kind} rule of {which}: {exc}", filename=filename,
            lineno=lineno, hint="a rule is read from its source: write it in a .py file, a "
                                "notebook cell or at the prompt, not in exec'd text") from None
    if unknown:
        name, lineno = unknown[0]
        hint = f"define or import `{name}` in that module before the rule is registered: a " \
               f"rule's names are those of its module"
        if name == "zeros_grad":
            hint = "a term that reads several tangents is filled in with zeros_grad for those " \
                   "missing: import it there (from tangent_lite.runtime import zeros_grad)"
        raise MissingRuleError(
            f"the {kind} rule of {which} uses the name `{name}`, which is neither defined in "
            f"its module {template.module} nor a builtin", filename=template.location()[0],
            lineno=lineno, hint=hint)


def _registrar(mode, funcs):
    @user_facing
    def register(template_func):
        _register(funcs, mode, Template(template_func))
        return template_func
    return register


def adjoint(*funcs: Callable[..., Any]) -> Callable[[F], F]:
    """Register the decorated template as the reverse-mode rule of each of `funcs`.

    The template's parameters are the result followed by the function's own parameters; its
    body assigns `d[arg] = ...` in terms of `d[result]`. A name it uses must be defined in its
    module (or be a builtin) when it is registered. Registering again replaces the rule.
    """
    return _registrar("adjoint", funcs)


def tangent_rule(*funcs: Callable[..., Any]) -> Callable[[F], F]:
    """Register the decorated template as the forward-mode rule of each of `funcs`.

    The template's parameters are the result followed by the function's own parameters; its
    body assigns `d[result]` as a sum of terms, each linear in one `d[arg]`. Terms whose
    argument carries no tangent are dropped. Names and replacing: as for adjoint().
    """
    return _registrar("tangent", funcs)


def linear(*funcs, params=None, wrt=None):
    """Register the forward-mode rule of each of `funcs` as the function itself applied to the
    tangents: `d[y] = f(d[a], <the other arguments>)`, for functions linear in the arguments
    they are differentiated in (np.transpose, np.sum, np.fft.fft, ...).

    The template is written out as text and parsed like a hand-written one, e.g. for
    np.transpose `def _(y, a, axes=None): d[y] = np.transpose(d[a], axes=axes)`: parameters
    without a default are passed by position, the others by keyword.

    params: the template's parameters, result first (`"y, g, x: Shape, axis=None"`); by
    default those of the adjoint already registered for the function, so both modes accept the
    same calls. wrt: the parameters the function is linear in, by default the first after the
    result; several (`wrt=("arr", "values")`) only where the function is linear in them
    jointly, as np.append is.
    """
    frame = sys._getframe(1)
    namespace, filename, lineno = frame.f_globals, frame.f_code.co_filename, frame.f_lineno
    del frame
    for func in funcs:
        adjoint_template = None
        if params is None:
            prim = _table.get(func)
            adjoint_template = prim and prim.adjoint
            if adjoint_template is None:
                raise TypeError(f"linear({display_name(func)}): no adjoint is registered for it "
                                f"to take the parameters from; pass params=")
        spelled = spelling(func, namespace)
        if spelled is None:
            raise MissingRuleError(
                f"linear({display_name(func)}): its module {namespace.get('__name__')} has no "
                f"name for the function", filename=filename, lineno=lineno,
                hint="import it there: the rule is written in that module's names")
        template = Template.from_text(
            functools.partial(_linear_text, spelled, params, adjoint_template, wrt), namespace,
            filename, lineno)
        _register((func,), "tangent", template)


def _linear_text(spelled, params, adjoint_template, wrt):
    """(text, signature) of linear()'s template: written on first use, not at import."""
    signature = None
    if params is None:
        signature = inspect.signature(adjoint_template.func)
        params = _parameters_text(signature)
    return linear_source(params, spelled, wrt), signature


def _parameters_text(signature):
    """A signature's parameters as written in a `def`, annotations and defaults included."""
    out, star = [], False
    parameters = list(signature.parameters.values())
    for i, p in enumerate(parameters):
        if i and parameters[i - 1].kind is p.POSITIONAL_ONLY and p.kind is not p.POSITIONAL_ONLY:
            out.append("/")
        if p.kind is p.KEYWORD_ONLY and not star:
            out.append("*")
        star = star or p.kind in (p.KEYWORD_ONLY, p.VAR_POSITIONAL)
        text = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "") + p.name
        if p.annotation is Shape:
            text += ": Shape"
        if p.default is not p.empty:
            text += f"={p.default!r}" if p.annotation is p.empty else f" = {p.default!r}"
        out.append(text)
    if parameters and parameters[-1].kind is inspect.Parameter.POSITIONAL_ONLY:
        out.append("/")
    return ", ".join(out)


def spelling(func, namespace):
    """How the module whose globals are `namespace` names `func` (`unreduce`, `np.fft.fft`,
    `runtime.astype`, `float`), or None."""
    name = getattr(func, "__name__", None)
    if name is not None and namespace.get(name) is func:
        return name
    path = display_name(func).split(".")
    root = namespace.get(path[0], getattr(builtins, path[0], None))
    obj = root
    for part in path[1:]:
        obj = getattr(obj, part, None)
    if root is not None and obj is func:
        return ".".join(path)
    for key, value in namespace.items():
        if value is func:
            return key
        if isinstance(value, types.ModuleType) and getattr(value, name or "", None) is func:
            return f"{key}.{name}"
    return None


def nondifferentiable(*funcs, constant_inputs=False):
    """Mark `funcs` as having no gradient: their results are constants to the compiler.

    With constant_inputs=True the result does depend on its arguments' values, so the compiler
    refuses a call whose arguments depend on what is differentiated instead of dropping it.
    """
    frame = sys._getframe(1)
    where = (frame.f_globals.get("__name__"), frame.f_code.co_filename, frame.f_lineno)
    del frame
    with _lock:
        for func in funcs:
            prim = _entry(func)
            prim.nondiff = "constant-inputs" if constant_inputs else "zero"
            prim.adjoint = None
            prim.tangent = None
            _log.append(Registration(func, "nondifferentiable", *where))
        _bump()


def lookup(func):
    """The Primitive registered for `func`, or None."""
    try:
        return _table.get(func)
    except TypeError:  # unhashable objects (arrays, lists) are never primitives
        return None


def registry_version():
    """A number that changes whenever a rule is (re)registered, for cache invalidation."""
    return _version[0]


def all_primitives():
    """Every registered primitive, for documentation and the rule-table test."""
    return list(_table.values())


def registrations():
    """Every registration made so far, in order, as Registration tuples (func, mode, module,
    filename, lineno): a later one of the same function and mode replaced the earlier."""
    with _lock:
        return list(_log)


def duplicates(package=PACKAGE):
    """Registrations by modules of `package` that replace (or clear) one made by a module of
    `package` before: [(earlier, later)]. Users replacing a rule are not counted; the built-in
    table must hold one rule per function and mode, so that no rule is dead code."""
    def ours(r):
        return r.module == package or (r.module or "").startswith(package + ".")
    seen, out = {}, []
    for r in registrations():
        if not ours(r):
            continue
        try:
            key = r.func
            hash(key)
        except TypeError:
            key = id(r.func)
        clashes = ("adjoint", "tangent", "nondifferentiable") if r.mode == "nondifferentiable" \
            else (r.mode, "nondifferentiable")
        for mode in clashes:
            if (key, mode) in seen:
                out.append((seen[key, mode], r))
        seen[key, r.mode] = r
    return out


class _Snapshot(dict):
    log = ()


def snapshot():
    """The table's current state, for restore() (tests that register rules use this)."""
    with _lock:
        state = _Snapshot({func: (p.adjoint, p.tangent, p.nondiff, p.name)
                           for func, p in _table.items()})
        state.log = tuple(_log)
        return state


def restore(state):
    """Put the table back as snapshot() saw it; cached derivatives are invalidated."""
    with _lock:
        _table.clear()
        for func, (adj, tan, nondiff, name) in state.items():
            prim = _table[func] = Primitive(func, name)
            prim.adjoint, prim.tangent, prim.nondiff = adj, tan, nondiff
        if isinstance(state, _Snapshot):
            _log[:] = state.log
        _bump()
