"""One registry of primitives, each with its derivative templates (JAX's design).

A primitive is any callable the compiler does not look inside: NumPy functions, ufuncs, the
operators behind `+`, `@`, `x[i]`. Everything else is differentiated from its source and so
composes out of these.
"""
import threading

from .template import Template

class _Notation:
    """`d[x]` in a rule template: the adjoint (reverse mode) or tangent (forward mode) of `x`.
    Templates are parsed, never run; importing `d` only keeps linters quiet."""

    def __getitem__(self, key):
        raise TypeError("d[...] is rule-template notation; tangent_lite reads it, it never runs")


d = _Notation()

_table = {}
_lock = threading.Lock()
_version = [0]


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
    """`np.tanh`, `np.linalg.norm`, `operator.add`: how the table and messages name `func`."""
    module = getattr(func, "__module__", None) or "numpy"
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", repr(func))
    if module.startswith("numpy"):
        sub = module.split(".")[1:]
        sub = [s for s in sub if not s.startswith("_") and s not in ("core", "fromnumeric",
                                                                       "multiarray", "numeric")]
        return ".".join(["np"] + sub + [name])
    if module == "builtins":
        return name
    return f"{module}.{name}"


def _entry(func):
    prim = _table.get(func)
    if prim is None:
        prim = _table[func] = Primitive(func, display_name(func))
    return prim


def _bump():
    _version[0] += 1


def _registrar(slot, funcs):
    def register(template_func):
        template = Template(template_func)
        with _lock:
            for func in funcs:
                prim = _entry(func)
                setattr(prim, slot, template)
                prim.nondiff = False
            _bump()
        return template_func
    return register


def adjoint(*funcs):
    """Register the decorated template as the reverse-mode rule of each of `funcs`.

    The template's parameters are the result followed by the function's own parameters; its
    body assigns `d[arg] = ...` in terms of `d[result]`.
    """
    return _registrar("adjoint", funcs)


def tangent_rule(*funcs):
    """Register the decorated template as the forward-mode rule of each of `funcs`.

    The template's parameters are the result followed by the function's own parameters; its
    body assigns `d[result]` as a sum of terms, each linear in one `d[arg]`. Terms whose
    argument carries no tangent are dropped.
    """
    return _registrar("tangent", funcs)


def nondifferentiable(*funcs, constant_inputs=False):
    """Mark `funcs` as having no gradient: their results are constants to the compiler.

    With constant_inputs=True the result does depend on its arguments' values, so the compiler
    refuses a call whose arguments depend on what is differentiated instead of dropping it.
    """
    with _lock:
        for func in funcs:
            prim = _entry(func)
            prim.nondiff = "constant-inputs" if constant_inputs else "zero"
            prim.adjoint = None
            prim.tangent = None
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


def snapshot():
    """The table's current state, for restore() (tests that register rules use this)."""
    with _lock:
        return {func: (p.adjoint, p.tangent, p.nondiff, p.name) for func, p in _table.items()}


def restore(state):
    """Put the table back as snapshot() saw it; cached derivatives are invalidated."""
    with _lock:
        _table.clear()
        for func, (adj, tan, nondiff, name) in state.items():
            prim = _table[func] = Primitive(func, name)
            prim.adjoint, prim.tangent, prim.nondiff = adj, tan, nondiff
        _bump()
