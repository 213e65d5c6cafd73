"""Names that certainly hold different arrays: swapped buffers.

The alias analysis (aliasing.py) is flow-insensitive: after `u, new = new, u` in a loop, each of
`u` and `new` may hold either array, so a write into `new` "may" change `u`. But a swap only
permutes which name holds which array; two buffers made apart stay apart, which is how stencils
and time steppers are written:

    u, new = x.copy(), np.empty_like(x)
    for step in range(n):
        new[1:-1] = 0.5 * (u[:-2] + u[2:])
        u, new = new, u

This analysis proves such pairs apart at each statement, for the names it can follow: names
that only ever hold an array of their own (never a list, a parameter or a callee's result):
each binding of them allocates (`np.zeros`, `np.empty_like`, `x.copy()`, a ufunc's or an
arithmetic result), copies another such name, or updates it in place (`x += e`); and views of
them (`t = u[:-2]`). A copy or a view shows its source's array, so it is apart from whatever its
source is apart from; a new array is apart from every other. A swap is three copies
(`u_old = u; u = new; new = u_old`). Loops run to a fixpoint (the pairs at a loop's head are
those that hold on entry and after every iteration, and at its exit those at each `break`
too); branches keep the pairs both keep.
"""
import operator

import gast
import numpy as np

from .. import ir
from ..ir.uses import binds, writes_in_place
from .fixpoint import fixpoint

# Calls that make a new array of their own (as an inactive expression or an operation).
_ALLOCATIONS = (np.zeros, np.empty, np.ones, np.full, np.zeros_like, np.empty_like,
                np.ones_like, np.full_like, np.copy, np.eye, np.identity, np.arange,
                np.linspace)

# Operations whose result is a new array (or a number) whatever their arrays' memory.
_NEW_RESULTS = _ALLOCATIONS + (np.dot, np.matmul, np.outer, np.inner, np.sum, np.mean,
                               np.prod, np.concatenate, np.stack, np.where, np.clip)

# Arithmetic: a new array when an operand is an array of its own or a float (never a list:
# `items * 2` repeats a list, `items * 2.0` raises).
_ARITHMETIC = (operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
               operator.mod, operator.pow, operator.matmul)
_UNARY = (operator.neg, operator.pos, abs)


def _one_of(func, funcs):
    return any(func is f for f in funcs)


def _array_operand(node, tracked, resolve):
    """Whether an operand certainly makes arithmetic give a new array or number: a tracked
    name, a float, an allocation, or arithmetic on one."""
    if isinstance(node, gast.Name):
        return node.id in tracked
    if isinstance(node, gast.Constant):
        return type(node.value) in (float, complex)
    return _fresh_value(node, tracked, resolve)


def _fresh_value(value, tracked, resolve):
    """Whether an inactive expression certainly makes a new array or number."""
    if isinstance(value, gast.Constant):
        return True
    if isinstance(value, gast.Call):
        return _one_of(resolve(value.func), _ALLOCATIONS)
    if isinstance(value, gast.UnaryOp):
        return isinstance(value.op, (gast.USub, gast.UAdd))
    if isinstance(value, gast.BinOp):
        return any(_array_operand(v, tracked, resolve) for v in (value.left, value.right))
    return False


def _binding(st, tracked, resolve, views):
    """How `st` binds its one target: "new" (an array or number of its own), "same" (the
    array it holds, changed in place), the tracked name whose memory it shows (a copy `a = b`
    or a view `a = b[1:]`), or None (anything else)."""
    if isinstance(st, ir.For):
        return "new"                         # a counter over a range: an int
    if not isinstance(st, ir.Assign) or isinstance(st, ir.Pop) or len(st.targets) != 1:
        return None
    if st.inplace:
        return "same"
    value, op = st.value, st.op
    if op is None:
        if isinstance(value, gast.Name):
            return value.id if value.id in tracked else None
        return "new" if _fresh_value(value, tracked, resolve) else None
    if op.user or "out" in op.keywords:
        return None
    if _one_of(op.func, views):
        base = op.args[0] if op.args else None
        return base.id if isinstance(base, gast.Name) and base.id in tracked else None
    if isinstance(op.func, np.ufunc) or _one_of(op.func, _NEW_RESULTS + _UNARY) \
            or getattr(op.func, "__module__", None) == "math" or (
            _one_of(op.func, _ARITHMETIC)
            and any(_array_operand(a, tracked, resolve) for a in op.args)):
        return "new"
    return None


def tracked_names(fn, resolve, views):
    """The names of fn that only ever hold an array (or number) of their own, or a view of a
    tracked name's array: see the module docstring. resolve(node): what a global name or an
    attribute denotes (frontend/parse.py); views: the functions whose result may be a view
    of their first argument (aliasing.VIEW_FUNCS)."""
    stmts = [st for st in ir.walk(fn.body) if binds(st)]

    def step(tracked):
        out = set(tracked)
        for st in stmts:
            if _binding(st, tracked, resolve, views) is None:
                out -= set(binds(st))
        return frozenset(out)

    start = frozenset(n for st in stmts for n in binds(st)) - set(fn.params)
    return fixpoint(step, start, len(start), "own-array analysis")


def _linked(fn, tracked, resolve, views):
    """The tracked names linked to an array written in place by copies and views (either
    way): only their pairs can decide a write's refusal, since a name bound only to new
    arrays, never copied, viewed or written, cannot share memory with a written one. The
    pairs are kept for these alone, which keeps the analysis small in long functions."""
    edges = {}
    for st in ir.walk(fn.body):
        for t in binds(st):
            how = _binding(st, tracked, resolve, views) if t in tracked else None
            if how not in (None, "new", "same"):
                edges.setdefault(t, set()).add(how)
                edges.setdefault(how, set()).add(t)
    todo = [w for st in ir.walk(fn.body) for w in [writes_in_place(st)] if w in tracked]
    linked = set()
    while todo:
        n = todo.pop()
        if n not in linked:
            linked.add(n)
            todo.extend(edges.get(n, ()))
    return linked


def apart_at(fn, resolve, views):
    """statement id -> the pairs (frozensets of two names) of tracked names whose arrays
    certainly share no memory when the statement runs (arguments as for tracked_names), for
    the names linked to a write in place (_linked)."""
    full = tracked_names(fn, resolve, views)
    tracked = frozenset(_linked(fn, full, resolve, views))
    every = frozenset(frozenset((a, b)) for a in tracked for b in tracked if a < b)
    at = {}

    def transfer(st, pairs):
        for t in binds(st):
            if t not in tracked:
                continue
            how = _binding(st, full, resolve, views)
            if how == "same":
                continue                     # the same array, changed in place
            kept = frozenset(p for p in pairs if t not in p)
            if how == "new":                 # apart from every other
                pairs = kept | {frozenset((t, c)) for c in tracked if c != t}
            else:                            # apart from what its source is apart from
                pairs = kept | {frozenset((t, c)) for p in kept if how in p
                                for c in p - {how} if c != t}
        return pairs

    def block(body, pairs, breaks):
        for st in body:
            at[id(st)] = pairs
            if isinstance(st, ir.If):
                pairs = block(st.body, pairs, breaks) & block(st.orelse, pairs, breaks)
            elif isinstance(st, (ir.For, ir.While)):
                pairs = loop(st, pairs)
            elif isinstance(st, ir.Break):
                breaks.append(pairs)
            else:
                pairs = transfer(st, pairs)
        return pairs

    def loop(st, entry):
        exits = []

        def step(head):
            exits.clear()
            return head & block(st.body, head, exits)

        head = fixpoint(step, entry, len(every), "own-array analysis")
        for pairs in exits:
            head &= pairs
        return head

    block(fn.body, every, [])
    return at
