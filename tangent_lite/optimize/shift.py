"""Shift-invariant maxima: the max subtracted in a max-shifted softmax or log-softmax receives
no gradient, so its adjoint (`extremum_mask` and the sums that feed it) is not written.

    m = np.max(a, axis=k, keepdims=True)        m = np.max(a, axis=k, keepdims=True)
    z = a - m                                   z = a - m
    e = np.exp(z)                               e = np.exp(z)
    s = np.sum(e, axis=k, keepdims=True)        s = np.sum(e, axis=k, keepdims=True)
    r = np.log(s)                               p = e / s
    l = z - r

What it proves: l (the log-softmax) and p (the softmax) are the same for any value of m that is
constant along axis k: shifting z by c there multiplies e and s by exp(c), adds c to z and to
r. m is such a value (keepdims, and `z = a - m` directly follows it, so `a` is the array of
the max and axis k of m is axis k of z), and reaches the rest of f only through l or p, since every
name of the pattern is assigned once and read only where the pattern reads it. So d l / d m
and d p / d m are zero, m is treated as a constant, and a receives its gradient through
`z = a - m` alone. The rewrite is sound only for the composition: `x - np.max(x)` alone, or
followed by anything else, is left to the max's own rule.
"""
import operator

import gast
import numpy as np

from .. import ir
from ..ir.uses import reads
from . import enabled

_MAXIMA = (np.max, np.amax)
_SUMS = (np.sum,)


def invariant_maxima(fn):
    """The names m of f assigned as in the patterns above: constants for differentiation."""
    if not enabled("shift"):
        return set()
    assigns, readers = {}, {}
    for st in ir.walk(fn.body):
        if isinstance(st, ir.Assign):
            for t in st.targets:
                assigns.setdefault(t, []).append(st)
        for name in reads(st):
            readers.setdefault(name, []).append(st)
    places = {}
    _blocks(fn.body, places)
    out = set()
    for name, sts in assigns.items():
        if len(sts) == 1 and _pattern(sts[0], assigns, readers, fn.result, places):
            out.add(name)
    return out


def _blocks(body, places):
    """places[id(statement)] = (id of its block, its position there), for every statement."""
    for k, st in enumerate(body):
        places[id(st)] = (id(body), k)
        for child in ir.children(st):
            _blocks(child, places)


def _op(st, funcs, nargs):
    """st's Op when st is a one-target Assign of one of `funcs` on `nargs` plain names."""
    op = getattr(st, "op", None)
    if (isinstance(st, ir.Assign) and len(st.targets) == 1 and op is not None
            and any(op.func is f for f in funcs) and len(op.args) == nargs
            and all(isinstance(a, gast.Name) for a in op.args)):
        return op
    return None


def _reduction_axis(op):
    """The axis of `np.max(a, axis=k, keepdims=True)` (an int or tuple constant), else None."""
    keys = op.keywords
    if set(keys) != {"axis", "keepdims"}:
        return None
    keep, axis = keys["keepdims"], keys["axis"]
    if not (isinstance(keep, gast.Constant) and keep.value is True):
        return None
    sign = 1
    if isinstance(axis, gast.UnaryOp) and isinstance(axis.op, gast.USub):
        axis, sign = axis.operand, -1
    if isinstance(axis, gast.Constant) and type(axis.value) is int:
        return sign * axis.value      # compared as written: -1 and 1 count as different axes
    return None


def _pattern(m_st, assigns, readers, result, places):
    op = _op(m_st, _MAXIMA, 1)
    if op is None or _reduction_axis(op) is None:
        return False
    axis, a, m = _reduction_axis(op), op.args[0].id, m_st.targets[0]

    def only(name):
        """The single statement assigning `name`, if name is assigned once and not f's
        result; else None."""
        sts = assigns.get(name, [])
        return sts[0] if len(sts) == 1 and name != result else None

    def in_order(sts):
        """Whether the statements follow each other in one block (one loop step), so each
        reads the value the one before assigned."""
        where = [places.get(id(st)) for st in sts]
        return (None not in where and len({block for block, _ in where}) == 1
                and [k for _, k in where] == sorted(k for _, k in where)
                and len({k for _, k in where}) == len(where))

    def next_to(first, second):
        """Whether `second` directly follows `first` in one block: then `a` in `z = a - m` is
        the array m is the max of, so axis k of m is axis k of z (same rank)."""
        one, two = places.get(id(first)), places.get(id(second))
        return one is not None and two is not None and one[0] == two[0] and two[1] == one[1] + 1

    def read_by(name, allowed):
        return {id(st) for st in readers.get(name, [])} == {id(st) for st in allowed}

    z_st = next((st for st in readers.get(m, [])), None)
    z_op = _op(z_st, (operator.sub, np.subtract), 2)
    if (z_op is None or [x.id for x in z_op.args] != [a, m] or not read_by(m, [z_st])
            or only(z_st.targets[0]) is None or not next_to(m_st, z_st)):
        return False
    z = z_st.targets[0]
    z_readers = readers.get(z, [])
    e_st = next((st for st in z_readers if _op(st, (np.exp,), 1)), None)
    if e_st is None or only(e_st.targets[0]) is None:
        return False
    e = e_st.targets[0]
    s_st = next((st for st in readers.get(e, []) if _op(st, _SUMS, 1)), None)
    if (s_st is None or only(s_st.targets[0]) is None
            or _reduction_axis(s_st.op) != axis):
        return False
    s = s_st.targets[0]
    # the log-softmax: r = np.log(s); l = z - r
    r_st = next((st for st in readers.get(s, []) if _op(st, (np.log,), 1)), None)
    if r_st is not None:
        r = r_st.targets[0]
        l_st = next((st for st in readers.get(r, [])), None)
        l_op = _op(l_st, (operator.sub, np.subtract), 2)
        return (only(r) is not None and l_op is not None
                and [x.id for x in l_op.args] == [z, r] and read_by(r, [l_st])
                and read_by(s, [r_st]) and read_by(e, [s_st]) and read_by(z, [e_st, l_st])
                and in_order([m_st, z_st, e_st, s_st, r_st, l_st]))
    # the softmax: p = e / s
    p_st = next((st for st in readers.get(s, []) if _op(st, (operator.truediv,
                                                           np.divide), 2)), None)
    return (p_st is not None and [x.id for x in p_st.op.args] == [e, s]
            and read_by(s, [p_st]) and read_by(e, [s_st, p_st]) and read_by(z, [e_st])
            and in_order([m_st, z_st, e_st, s_st, p_st]))
