"""Unbroadcast elision: `unbroadcast(g, x)` sums a gradient back to the shape of the operand x of
a broadcasting operation; it is the identity when no other operand can widen the result beyond
x's shape.

What it proves, with the shape analysis (analysis/shapes.py: each value's shape is the broadcast
of a known set of parameters' shapes): every other operand is a number, x itself, or shaped by a
subset of x's set of parameters, so the result has x's shape and g already has it. Applies to
operations whose result has their operands' broadcast shape (not np.matmul, not user rules).
"""
import gast

from ..analysis.shapes import broadcasting
from ..rules.template import is_number
from . import enabled


def identity_test(shapes, stmt):
    """For the template filled in for `stmt`: a function (binding, parameter) -> whether
    `unbroadcast(g, parameter)` is certainly the identity there; None where nothing is known."""
    if not enabled("unbroadcast") or not broadcasting(stmt.op.func):
        return None
    shape_of = shapes.at(stmt)

    def identity(binding, param):
        mine = binding[param]
        return all(_within(shape_of, other, mine) for k, other in binding.items()
                   if k != param)
    return identity


def _within(shape_of, other, mine):
    """Whether `other`'s shape broadcast with `mine`'s is certainly `mine`'s."""
    if is_number(other) or (isinstance(other, gast.Name) and isinstance(mine, gast.Name)
                            and other.id == mine.id):
        return True
    theirs, ours = shape_of(other), shape_of(mine)
    return theirs is not None and ours is not None and theirs <= ours
