"""Shift-invariant maxima: the max subtracted in a max-shifted softmax, log-softmax or
log-sum-exp receives no gradient, so its adjoint (`extremum_mask` and the sums that feed it) is
not written.

    m = np.max(a, axis=k, keepdims=True)    (or np.max(a): every axis)
    z = a - m
    e = np.exp(z)
    s = np.sum(e, axis=k, keepdims=True)    (the same reduction as the max)
    r = np.log(s)       |  p = e / s        |  r = np.log(s)
    l = z - r           |                   |  out = r + m
    (log-softmax)          (softmax)           (log-sum-exp)

The log-sum-exp is also recognised with the axis dropped and put back by an index
(`m = np.max(a, axis=1); z = a - m[:, None]; ...; out = np.log(np.sum(e, axis=1)) + m`).

What it proves: l, p and out are the same for any value of m that is constant along axis k:
shifting z by c there multiplies e and s by exp(c), adds c to z and to r (and takes it from
out's m). m is such a value (the reduction keeps or restores axis k, and `z = a - m` directly
follows it, so `a` is the array of the max and axis k of m is axis k of z), and reaches the
rest of f only through l, p or out, since every name of the pattern is assigned once and read
only where the pattern reads it. So their derivatives with respect to m are zero, m is treated
as a constant, and a receives its gradient through `z = a - m` alone. The rewrite is sound only
for the composition: `x - np.max(x)` alone, or followed by anything else, is left to the max's
own rule.
"""
import operator

import gast
import numpy as np

from .. import ir
from ..ir.syntax import int_literal
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


def _reduction(op):
    """How `op` (np.max or np.sum) reduces: (axis, keepdims) with axis an int as written (-1
    and 1 count as different axes) or None for every axis; None when it is not one of these
    forms (an axis tuple, a computed axis, another keyword)."""
    keys = dict(op.keywords)
    keep = keys.pop("keepdims", None)
    axis = keys.pop("axis", None)
    if keys:
        return None
    if keep is None:
        keep = False
    elif isinstance(keep, gast.Constant) and type(keep.value) is bool:
        keep = keep.value
    else:
        return None
    if axis is None or (isinstance(axis, gast.Constant) and axis.value is None):
        return None, keep
    value = int_literal(axis)
    return None if value is None else (value, keep)


def _is_full_slice(node):
    return (isinstance(node, gast.Slice) and node.lower is None and node.upper is None
            and node.step is None)


def _is_constant(node, value):
    return isinstance(node, gast.Constant) and node.value is value


def _expands_axis(st, m, axis):
    """Whether st is `mm = m[index]` whose index puts m's dropped axis back at `axis` and
    leaves the others in place: `m[:, None]` for axis 1, `m[None]` for 0, `m[..., None]`
    for -1 (full slices, one None, at most one Ellipsis)."""
    op = getattr(st, "op", None)
    if not (isinstance(st, ir.Assign) and len(st.targets) == 1 and op is not None
            and op.func is operator.getitem and len(op.args) == 2
            and isinstance(op.args[0], gast.Name) and op.args[0].id == m):
        return False
    index = op.args[1]
    items = list(index.elts) if isinstance(index, gast.Tuple) else [index]
    nones = [k for k, it in enumerate(items) if _is_constant(it, None)]
    dots = [k for k, it in enumerate(items) if _is_constant(it, Ellipsis)]
    if (len(nones) != 1 or len(dots) > 1
            or len(nones) + len(dots) + sum(map(_is_full_slice, items)) != len(items)):
        return False
    at = nones[0]
    if dots and dots[0] < at:         # counted from the end
        return axis < 0 and axis == -(len(items) - at)
    return axis >= 0 and axis == at


class _Facts:
    """What the pattern checks of f's statements: who assigns and who reads each name, where
    each statement is, and f's result."""

    def __init__(self, assigns, readers, result, places):
        self.assigns, self.readers, self.result, self.places = assigns, readers, result, places

    def only(self, name):
        """The single statement assigning `name`, if name is assigned once and not f's
        result; else None."""
        sts = self.assigns.get(name, [])
        return sts[0] if len(sts) == 1 and name != self.result else None

    def in_order(self, sts):
        """Whether the statements follow each other in one block (one loop step), so each
        reads the value the one before assigned."""
        where = [self.places.get(id(st)) for st in sts]
        return (None not in where and len({block for block, _ in where}) == 1
                and [k for _, k in where] == sorted(k for _, k in where)
                and len({k for _, k in where}) == len(where))

    def next_to(self, first, second):
        """Whether `second` directly follows `first` in one block: then `a` in `z = a - m` is
        the array m is the max of, so axis k of m is axis k of z (same rank)."""
        one, two = self.places.get(id(first)), self.places.get(id(second))
        return one is not None and two is not None and one[0] == two[0] and two[1] == one[1] + 1

    def read_by(self, name, allowed):
        """Whether exactly the statements `allowed` read `name`."""
        return {id(st) for st in self.readers.get(name, [])} == {id(st) for st in allowed}

    def first_reader(self, name):
        return next(iter(self.readers.get(name, [])), None)

    def reader(self, name, funcs, nargs):
        """The statement reading `name` that is a call of `funcs`, if any."""
        return next((st for st in self.readers.get(name, []) if _op(st, funcs, nargs)), None)


def _pattern(m_st, assigns, readers, result, places):
    """Whether m_st's max is shifted out of a log-sum-exp, log-softmax or softmax (above)."""
    op = _op(m_st, _MAXIMA, 1)
    reduced = op and _reduction(op)
    if not reduced or m_st.targets[0] == result:
        return False
    facts = _Facts(assigns, readers, result, places)
    axis, keep = reduced
    shift = _shift(m_st, op.args[0].id, axis, keep, facts)
    if shift is None:
        return False
    z = shift[-1].targets[0]
    e_st = facts.reader(z, (np.exp,), 1)
    if e_st is None or facts.only(e_st.targets[0]) is None:
        return False
    s_st = facts.reader(e_st.targets[0], _SUMS, 1)
    if s_st is None or facts.only(s_st.targets[0]) is None or \
            _reduction(s_st.op) != (axis, keep):
        return False
    chain = shift + [e_st, s_st]
    aligned = keep or axis is None      # r and s line up with z without an index
    if facts.reader(s_st.targets[0], (np.log,), 1) is not None:
        return _log_sum_exp(chain, facts) or (aligned and _log_softmax(chain, facts))
    return aligned and _softmax(chain, facts)


def _shift(m_st, a, axis, keep, facts):
    """The statements [m = max(a), (mm = m[:, None],) z = a - m(m)] when m's reduced axis is
    kept (keepdims, or every axis reduced) or put back by an index right before the shift,
    and each follows the one before; else None."""
    m = m_st.targets[0]
    shift = [m_st]
    shifted = m
    if not (keep or axis is None):
        mm_st = facts.first_reader(m)
        if (mm_st is None or not _expands_axis(mm_st, m, axis)
                or facts.only(mm_st.targets[0]) is None or not facts.next_to(m_st, mm_st)):
            return None
        shift.append(mm_st)
        shifted = mm_st.targets[0]
    z_st = facts.first_reader(shifted)
    z_op = _op(z_st, (operator.sub, np.subtract), 2)
    if (z_op is None or [x.id for x in z_op.args] != [a, shifted]
            or (shifted != m and not facts.read_by(shifted, [z_st]))   # m's: by each ending
            or facts.only(z_st.targets[0]) is None
            or not facts.next_to(shift[-1], z_st)):
        return None
    return shift + [z_st]


def _log_of(chain, facts):
    """`r = np.log(s)`, r assigned once, s read by it alone and e by the sum alone; else
    None."""
    e_st, s_st = chain[-2:]
    r_st = facts.reader(s_st.targets[0], (np.log,), 1)
    if (facts.only(r_st.targets[0]) is None or not facts.read_by(s_st.targets[0], [r_st])
            or not facts.read_by(e_st.targets[0], [s_st])):
        return None
    return r_st


def _log_sum_exp(chain, facts):
    """`r = np.log(s); out = r + m`: any value of m gives the same out."""
    z_st, e_st, _ = chain[-3:]
    m, z = chain[0].targets[0], z_st.targets[0]
    r_st = _log_of(chain, facts)
    if r_st is None:
        return False
    r = r_st.targets[0]
    out_st = facts.first_reader(r)
    out_op = _op(out_st, (operator.add, np.add), 2)
    return (out_op is not None and sorted(x.id for x in out_op.args) == sorted([r, m])
            and r != m and facts.read_by(r, [out_st]) and facts.read_by(m, [chain[1], out_st])
            and facts.read_by(z, [e_st]) and facts.in_order(chain + [r_st, out_st]))


def _log_softmax(chain, facts):
    """`r = np.log(s); l = z - r`, m's axis kept so that r lines up with z."""
    z_st, e_st, _ = chain[-3:]
    m, z = chain[0].targets[0], z_st.targets[0]
    r_st = _log_of(chain, facts)
    if r_st is None:
        return False
    r = r_st.targets[0]
    l_st = facts.first_reader(r)
    l_op = _op(l_st, (operator.sub, np.subtract), 2)
    return (l_op is not None and [x.id for x in l_op.args] == [z, r]
            and facts.read_by(r, [l_st]) and facts.read_by(m, [z_st])
            and facts.read_by(z, [e_st, l_st]) and facts.in_order(chain + [r_st, l_st]))


def _softmax(chain, facts):
    """`p = e / s`, m's axis kept so that s lines up with e."""
    z_st, e_st, s_st = chain[-3:]
    m, z, e, s = (st.targets[0] for st in (chain[0], z_st, e_st, s_st))
    p_st = facts.reader(s, (operator.truediv, np.divide), 2)
    return (p_st is not None and [x.id for x in p_st.op.args] == [e, s]
            and facts.read_by(s, [p_st]) and facts.read_by(e, [s_st, p_st])
            and facts.read_by(z, [e_st]) and facts.read_by(m, [z_st])
            and facts.in_order(chain + [p_st]))
