"""The last piece of a concatenation's gradient is what is left of it: the backward sweep does
not need the last array joined, only the others' lengths.

The rule of `y = np.concatenate([a, b, c], axis)` splits the gradient with
`unconcatenate(dy, [a, b, c], axis)`, which reads every array for its length along the axis.
The last one's length is dy's length there minus the others', so this pass binds the rule to
`[a, b, None]` (runtime/shapes.py `unconcatenate` gives the last piece the rest of dy): where
`c` is a temporary read by nothing else (the ODE's `x[1:] * y[:-1]` in a vjp, which returns
no value), the forward sweep no longer computes it, and it is never kept for the backward one.

What it proves: dy is the gradient of the concatenation, with its shape (every gradient has
its value's shape), so the pieces are the same slices of dy. Only for a list or tuple written
in place and an axis written as an int (the default 0): with `axis=None` the pieces are
reshaped to the arrays' shapes, which the last array alone gives.
"""
import gast
import numpy as np

from . import enabled
from ..ir.syntax import int_literal


def rest_for_last(op, binding):
    """The binding of np.concatenate's adjoint rule with the last array written `None`, or
    the binding itself where the pass does not apply (another function, another axis)."""
    if not enabled("pieces") or op.func is not np.concatenate:
        return binding
    arrays, axis = binding.get("arrays"), binding.get("axis")
    if not isinstance(arrays, (gast.List, gast.Tuple)) or not arrays.elts:
        return binding
    if axis is not None and not _int_literal(axis):
        return binding
    if any(isinstance(e, gast.Starred) for e in arrays.elts):
        return binding
    elts = list(arrays.elts[:-1]) + [gast.Constant(value=None, kind=None)]
    out = dict(binding)
    out["arrays"] = type(arrays)(elts=elts, ctx=gast.Load())
    return out


def _int_literal(node):
    """`0`, `1`, `-1`: an int written in the call (negated or not; not a bool)."""
    return int_literal(node) is not None
