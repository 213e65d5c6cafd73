"""Recomputed loop reads: `t_item = xs[t]` in a loop over t, of an array nothing ever writes, is
made again in the backward sweep's step (just before the step's first read of it) instead of
pushed in the forward sweep and popped in the backward one (issue 14): an LSTM's
`np.dot(xs[t], W)`, a convolution's tap weight `w[k]`, a loop over an array's elements. Indexing
by the loop's index alone costs what a push and a pop cost (0.12-0.19 µs against 0.23 µs on
this project's machine), and the stack no longer holds a reference per step. A slice
(`x[:, k:k + L]`, 0.64 µs to make) of an array stays pushed: recomputing it would cost more than
it saves. A slice of a row that is itself recomputed (the ADBench LSTM's `weight[:b]` of
`weight = main_params[2 * i]`, ~0.2 µs) is made again too: the alternative pushes every gate's
slice, or a `shaped()` placeholder of it, at every step.

What it proves, for `v = a[index]` directly in the body of a `for i in ...` loop (never inside
a branch of the body: recomputing it on every step would run an indexing the forward sweep may
not have run):
- v is a temporary of that step: assigned by this statement only, read only by statements after
  it in the same loop body (so the backward sweep of the step, which reads v, runs after the
  recomputation and before any other step's), not f's result;
- the index is i, bound by this loop alone, or an integer expression of i, int constants and
  loop-invariant names (`2 * i`, `2 * i + 1`, `i - 1`; a name is loop-invariant when it is a
  parameter never rebound or is assigned once, outside every loop), so it names the same
  element again;
- or, for `v = row[lo:hi]`, row is such a read recomputed earlier in the same body and the
  bounds are expressions of that kind (the backward step makes row first, then v);
- a never changes either, and no array that may share its memory is written (no `y[j] = e` or
  `y += e` on any name of its alias group, analysis/aliasing.py), passed to a call tangent_lite
  does not know (a user function, a statement run for its effect) or given as `out=`;
- the loop is not checkpointed, nor inside a checkpointed loop (those replay their steps).
So at the top of each backward step `a[index]` is the very view the forward step made.
"""
import operator

import gast

from .. import ir
from ..analysis.aliasing import alias_groups
from ..ir.syntax import negated
from ..ir.uses import binds, names_read, reads, writes_in_place
from . import enabled


def recomputed_reads(fn):
    """id(loop) -> the statements `v = a[index]` of its body to recompute (in body order);
    {} when the pass is off or nothing qualifies."""
    if not enabled("recompute"):
        return {}
    loops = [st for st in ir.walk(fn.body) if isinstance(st, ir.For) and any(
        _candidate(b) for b in st.body)]
    if not loops:
        return {}       # the common case: no indexing directly in a for loop's body
    facts = _Facts(fn)
    out = {}
    for loop in loops:
        found = []
        for k, st in enumerate(loop.body):
            if _candidate(st) and facts.qualifies(loop, k, st, {f.target for f in found}):
                found.append(st)
        if found:
            out[id(loop)] = found
    return out


def _is_name(node, name):
    return isinstance(node, gast.Name) and node.id == name


def _candidate(st):
    op = getattr(st, "op", None)
    return (type(st) is ir.Assign and len(st.targets) == 1 and not st.inplace and op is not None
            and op.func is operator.getitem and isinstance(st.value, gast.Subscript)
            and isinstance(st.value.value, gast.Name))


class _Facts:
    """What the conditions above read of f: where each name is bound and read, which loops
    hold which statements, which names are written in place or escape."""

    def __init__(self, fn):
        self.fn = fn
        self.bound = {}        # name -> [(statement, inside some loop)]
        self.readers = {}      # name -> [statement]
        self.checkpointed = set()   # ids of statements inside (or being) checkpointed loops
        self.touched = set()   # names written in place, passed to unknown calls, or out=
        self._scan(fn.body, False, False)
        self._unsafe = None

    @property
    def unsafe(self):
        """The names that may share memory with one written in place or escaping (computed
        on first use: the alias analysis is the costly part)."""
        if self._unsafe is None:
            groups = alias_groups(self.fn) if self.touched else {}
            self._unsafe = set()
            for name in self.touched:
                self._unsafe |= groups.get(name, {name}) | {name}
        return self._unsafe

    def _scan(self, body, in_loop, in_checkpoint):
        for st in body:
            if in_checkpoint:
                self.checkpointed.add(id(st))
            for name in binds(st):
                self.bound.setdefault(name, []).append((st, in_loop))
            for name in reads(st):
                self.readers.setdefault(name, []).append(st)
            written = writes_in_place(st)
            if written is not None:
                self.touched.add(written)
            op = getattr(st, "op", None)
            if isinstance(st, ir.Effect) or (op is not None and (op.prim is None or op.user)):
                self.touched |= reads(st)     # a call that may write into its arguments
            if op is not None and "out" in op.keywords:
                self.touched |= names_read(op.keywords["out"])
            if isinstance(st, ir.Hook):
                self.touched.add(st.var)
            inner = in_checkpoint or (isinstance(st, (ir.For, ir.While)) and st.snapshots > 0)
            if inner and isinstance(st, (ir.For, ir.While)):
                self.checkpointed.add(id(st))
            for child in ir.children(st):
                self._scan(child, in_loop or isinstance(st, (ir.For, ir.While)), inner)

    def invariant(self, name):
        """Whether `name` holds one value while df runs: a parameter never rebound, or a name
        assigned once, outside every loop."""
        places = self.bound.get(name, [])
        if name in self.fn.params:
            return not places
        return len(places) == 1 and not places[0][1]

    def qualifies(self, loop, k, st, recomputed):
        v, value = st.target, st.value
        array = value.value.id
        if array in recomputed:     # a slice of a row made again: `weight[:b]`
            if not self.loop_slice(value.slice, loop.target):
                return False
        elif not self.loop_index(value.slice, loop.target):
            return False        # a slice costs more to make again than a push and a pop
        if id(loop) in self.checkpointed or v == self.fn.result or v in self.fn.params:
            return False
        if [b for b, _ in self.bound.get(v, [])] != [st]:
            return False
        if [b for b, _ in self.bound.get(loop.target, [])] != [loop]:
            return False
        later = {id(s) for s in ir.walk(loop.body[k + 1:])}
        if any(id(r) not in later for r in self.readers.get(v, [])):
            return False
        if array in recomputed:
            return array not in self.unsafe
        if not self.invariant(array) or array in self.unsafe:
            return False
        return True

    def loop_slice(self, node, i):
        """Whether `node` is a 1-D basic slice whose bounds are loop_index expressions (or
        absent): `:b`, `b:2 * b`, `3 * b:`."""
        if not isinstance(node, gast.Slice):
            return False
        return all(part is None or self.loop_index(part, i)
                   for part in (node.lower, node.upper, node.step))

    def loop_index(self, node, i):
        """Whether `node` is an integer index that names the same element in the backward
        step as in the forward one: the loop's index `i`, an int constant, a loop-invariant
        name, or `+`, `-`, `*` and unary `-` of those (`2 * i + 1`, `i - 1`, `i + offset`).
        A name rebound anywhere in a loop (`j = i + 1`) is not: its value at the backward step
        is not the forward step's."""
        if isinstance(node, gast.Name):
            return node.id == i or self.invariant(node.id)
        if isinstance(node, gast.Constant):
            return type(node.value) is int
        if isinstance(node, gast.UnaryOp):
            return negated(node) is not None and self.loop_index(negated(node), i)
        if isinstance(node, gast.BinOp):
            return (isinstance(node.op, (gast.Add, gast.Sub, gast.Mult))
                    and self.loop_index(node.left, i) and self.loop_index(node.right, i))
        return False
