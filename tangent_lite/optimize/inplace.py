"""In-place accumulation: where the adjoint `dx` holds an array no other variable refers to
("owned"), a further contribution is added in place, `dx += e` (or `add_at(dx, i, g)` for an
index's gradient), instead of `dx = dx + e`, which allocates.

What it proves: dx is owned when its last assignment made a fresh array (an arithmetic
expression, or a helper whose result is always new) and nothing since has copied the
reference (a plain `dy = dx`, a hook, a Python list of gradients). The tracking itself runs in
transforms/adjoints.py, statement by statement (switched off, nothing is owned); this module
says which values are fresh.
"""
import inspect

import gast
import numpy as np

from .. import ir, runtime
from ..ir import Comment
from ..ir import syntax as s
from .specialise import entries

# Runtime helpers whose result is a new array no other variable refers to (`-> "fresh"`).
FRESH = [name for name in runtime.__all__ if runtime.is_fresh(name)]


def fresh_value(expr, calls):
    """Whether `expr` certainly evaluates to a new array (so updating it in place is safe).
    calls(expr, helper): whether expr is a call of the runtime helper `helper`."""
    if isinstance(expr, (gast.BinOp, gast.UnaryOp)):
        return True
    if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name):
        if calls(expr, "unbroadcast"):
            return fresh_value(expr.args[0], calls)
        return any(calls(expr, h) for h in FRESH)
    return False


# Functions that may make a complex value of real operands (and names that spell a complex
# dtype: `dtype=np.complex128`, `astype("complex")`, `complex(a, b)`).
_COMPLEX_MODULES = ("numpy.fft", "numpy.lib.scimath", "numpy.lib._scimath_impl", "numpy.emath")
_COMPLEX_FUNCS = {np.linalg.eig, np.linalg.eigvals, np.roots, np.vectorize, complex,
                  np.complex64, np.complex128}


def complex_free(fn, signature=None):
    """Whether no value of f and no adjoint can be complex: no argument is (signature: a
    specialised variant's, whose guard checks the dtypes; None for the generic df, whose
    arguments are not known), no constant is, and no call can make one of real values.

    An adjoint added in place into an array made real (`dx += e`, `dx[index] += e` into the
    zeros of a real x) would otherwise meet a complex contribution, which NumPy refuses to
    cast: a real value's complex adjoint is reduced to its real part by the helpers instead
    (add_at, grad_like), which allocate. A name, a keyword or a string that mentions
    "complex" counts as one (a dtype), as do "c8" and "c16"."""
    if signature is not None and not real_signature(signature):
        return False
    for st in ir.walk(fn.body):
        op = getattr(st, "op", None)
        if op is not None and (_makes_complex(op.func) or any(
                _names_complex(k) for k in op.keywords)):
            return False
        for node in gast.walk(getattr(st, "value", None) or gast.Pass()):
            if _complex_node(node):
                return False
        for node in gast.walk(getattr(st, "node", None) or gast.Pass()):   # an Effect's
            if _complex_node(node):
                return False
    return True


def real_signature(signature):
    """Whether no entry of a specialised variant's signature is complex."""
    return all(_real_entry(v) for e in signature for _, v in entries(e))


def _real_entry(e):
    if e[0] == "array":
        return np.dtype(e[1]).kind != "c"
    return e[0] in ("float", "int")


def _makes_complex(func):
    try:
        if func in _COMPLEX_FUNCS:
            return True
    except TypeError:   # an unhashable callable
        return False
    return str(getattr(func, "__module__", "") or "").startswith(_COMPLEX_MODULES)


_COMPLEX_CODES = {"c8", "c16", "<c8", "<c16", ">c8", ">c16", "csingle", "cdouble",
                  "clongdouble"}


def _names_complex(text):
    return "complex" in str(text).lower() or text in _COMPLEX_CODES


def _complex_node(node):
    if isinstance(node, gast.Constant):
        return isinstance(node.value, complex) or (
            isinstance(node.value, str) and _names_complex(node.value))
    if isinstance(node, gast.Name):
        return _names_complex(node.id)
    if isinstance(node, gast.Attribute):
        return _names_complex(node.attr)
    return False


def reads_complex(parsed):
    """Whether f reads a complex value from outside its arguments, as they hold when f is
    compiled: a global, a closure cell, an attribute of one (`self.taps` of a bound method's
    instance, `cfg.phases`; a list or dict there is searched too)."""
    cells = []
    for cell in parsed.closure.values():
        try:
            cells.append(cell.cell_contents)
        except ValueError:   # an empty cell
            pass
    if runtime.any_complex(*parsed.globals_used.values(), *cells):
        return True
    for node in gast.walk(parsed.node):
        if isinstance(node, gast.Attribute) and isinstance(node.ctx, gast.Load):
            value = parsed.resolve(node)
            if not inspect.ismodule(value) and runtime.any_complex(value):
                return True
    return False


def adds_in_place(body):
    """Whether df's statements `body` add an adjoint in place (`dx += e`)."""
    return any(isinstance(node, gast.AugAssign) for st in body
               if not isinstance(st, Comment) for node in gast.walk(st))


def dispatch(data, parsed, bindings, variant):
    """`if any_complex(...)`: `return grad_f_complex(...)`, the generic df's first statements
    when it adds adjoints in place: an argument (one of the names `data`) holding a complex
    value makes complex adjoints of real values, which a real array refuses to add in place
    (and a differentiated one is refused by that variant, with InputError)."""
    from .numbers import variant_call   # numbers imports the analyses: imported late
    test = s.call(bindings.name("any_complex"), [s.name(p) for p in data])
    call = variant_call(parsed, bindings, variant)
    return [Comment("for complex arguments, the gradient that adds nothing in place"),
            gast.If(test=test, body=[gast.Return(value=call)], orelse=[])]
