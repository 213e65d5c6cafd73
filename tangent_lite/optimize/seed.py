"""The seed of a loss: f ending in `return np.sum(v)` or `return np.mean(v)` (the last statement,
the only one assigning the result) needs its gradient, not its value. The backward sweep is
seeded with `unit_of(v)` (a one of v's dtype), and the forward sweep does not compute the sum.

What it proves: the adjoint of a full sum or mean of v is a one broadcast over v (divided by
v's size for the mean, which the rule does), whatever v's values; so the reduction's value is
dead unless df returns it (value_and_grad, split sweeps), which the caller checks.
"""
import gast
import numpy as np

from .. import ir

FULL_SUMS = (np.sum, np.mean)


def reduced_result(fn, seqs):
    """The name `v` when fn returns np.sum(v) or np.mean(v) as described above, else None.
    seqs: the names that hold Python lists (their sum is not an array's)."""
    body, result = fn.body, fn.result
    last = body[-1] if body else None
    if not (isinstance(last, ir.Assign) and last.targets == [result] and last.op
            and last.op.func in FULL_SUMS and len(last.op.args) == 1
            and not last.op.keywords and isinstance(last.op.args[0], gast.Name)):
        return None
    if sum(isinstance(st, ir.Assign) and result in st.targets for st in ir.walk(body)) != 1:
        return None
    v = last.op.args[0].id
    return None if v in seqs else v
