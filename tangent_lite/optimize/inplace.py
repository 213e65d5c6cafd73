"""In-place accumulation: where the adjoint `dx` holds an array no other variable refers to
("owned"), a further contribution is added in place, `dx += e` (or `add_at(dx, i, g)` for an
index's gradient), instead of `dx = dx + e`, which allocates.

What it proves: dx is owned when its last assignment made a fresh array (an arithmetic
expression, or a helper whose result is always new) and nothing since has copied the
reference (a plain `dy = dx`, a hook, a Python list of gradients). The tracking itself runs in
transforms/adjoints.py, statement by statement (switched off, nothing is owned); this module
says which values are fresh.
"""
import gast

from .. import runtime

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
