"""The seed of a loss: f ending in `return np.sum(v)` or `return np.mean(v)` (the last statement,
the only one assigning the result) needs its gradient, not its value. The backward sweep is
seeded with `unit_of(v)` (a one of v's dtype), and the forward sweep does not compute the sum.
The same holds through a scaling of the sum by numbers, the way losses are often written:
`return np.sum(d * d) / d.size`, `-np.sum(...) / X.shape[0]`, `0.5 * np.sum(r ** 2)`.

What it proves: the adjoint of a full sum or mean of v is a one broadcast over v (divided by
v's size for the mean, which the rule does), whatever v's values; so the reduction's value is
dead unless df returns it (value_and_grad, split sweeps), which the caller checks. A scaling
`t / n`, `t * n`, `n * t`, `-t` of the sum by an operand the shape analysis knows to be a
number keeps the result a number, so its seed is still a single one; each link of that chain
is assigned once, at the top level of f, and read only by the next link (the rules of these
operators read neither t nor the result for the gradient of t, so they are dead too).
"""
import operator

import gast
import numpy as np

from .. import ir
from ..ir.uses import reads
from ..analysis.shapes import SCALAR

FULL_SUMS = (np.sum, np.mean)
_SCALINGS = (operator.truediv, operator.mul, np.divide, np.multiply)
_NEGATIONS = (operator.neg, np.negative)


def reduced_result(fn, seqs, shapes=None):
    """The name whose dtype seeds the gradient (`v`, or x for `v = x * x`) when fn returns
    np.sum(v) or np.mean(v), possibly scaled by numbers, as described above, else None.
    seqs: the names that hold Python lists (their sum is not an array's); shapes: the shape
    analysis (analysis/shapes.py), None to follow no scaling."""
    body = fn.body
    assigned = {}
    for st in ir.walk(body):
        if isinstance(st, ir.Assign):
            for t in st.targets:
                assigned[t] = assigned.get(t, 0) + 1
    top = {st.targets[0]: st for st in body
           if isinstance(st, ir.Assign) and len(st.targets) == 1}
    name, last = fn.result, True
    while True:
        st = top.get(name)
        if st is None or assigned.get(name) != 1 or st.op is None or st.op.keywords:
            return None
        if not last and _reads(fn, name) != 1:
            return None
        args, func = st.op.args, st.op.func
        if _is(func, FULL_SUMS) and len(args) == 1 and isinstance(args[0], gast.Name):
            v = args[0].id
            return None if v in seqs else _dtype_source(top, assigned, v)
        if shapes is None:
            return None
        if _is(func, _NEGATIONS) and len(args) == 1 and isinstance(args[0], gast.Name):
            name = args[0].id
        elif _is(func, _SCALINGS) and len(args) == 2:
            shape_of = shapes.at(st)
            left, right = args
            if isinstance(left, gast.Name) and shape_of(right) == SCALAR:
                name = left.id
            elif (_is(func, (operator.mul, np.multiply)) and isinstance(right, gast.Name)
                  and shape_of(left) == SCALAR):
                name = right.id
            else:
                return None
        else:
            return None
        last = False


def _dtype_source(top, assigned, v):
    """The name the seed takes its dtype from: v, or x where v is `x * x` (assigned once, at
    the top level), which has x's dtype; then the square itself need not be computed where
    the gradient does not read it (squares.py gives x the contribution `2.0 * dv * x`)."""
    st = top.get(v)
    if (st is not None and assigned.get(v) == 1 and st.op is not None
            and _is(st.op.func, (operator.mul, np.multiply)) and not st.op.keywords
            and len(st.op.args) == 2 and all(isinstance(a, gast.Name) for a in st.op.args)
            and st.op.args[0].id == st.op.args[1].id):
        return st.op.args[0].id
    return v


def _is(func, table):
    return any(func is f for f in table)


def _reads(fn, name):
    """How many statements of fn read `name` (each link of a chain is read by the next one
    alone)."""
    return sum(name in reads(st) for st in ir.walk(fn.body))
