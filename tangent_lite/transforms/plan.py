"""Reverse mode, phase 2: the stack plan — what the forward sweep saves for the backward sweep.

A value is pushed before an assignment that overwrites it when the backward sweep reads it (a
rule needs the old value, or only its shape: then a placeholder with that shape is pushed); a
loop's trip count is pushed when the loop sits inside another loop or can break early. Saving
makes more backward code live (a branch holding a pop must test its condition, so the condition
is read), so the plan is a fixpoint over the names the backward sweep reads.
"""
import dataclasses

import gast

from .. import ir, runtime
from ..analysis.aliasing import VIEW_FUNCS, alias_groups
from ..analysis.fixpoint import fixpoint
from ..ir.uses import all_names, names_read, writes_in_place
from ..optimize.recompute import recomputed_reads
from . import checkpoint
from .adjoints import RESULT, BranchAdjoint, StmtAdjoint



@dataclasses.dataclass
class StackPlan:
    """Phase 2's result."""

    pushes: dict          # id(statement) -> the names pushed just before it runs
    unbound: set          # pushed names that may not be bound yet when pushed (None first)
    counted: set          # ids of the loops whose trip counts are pushed
    checkpointed: set = dataclasses.field(default_factory=set)  # ids of checkpointed loops
    reads: set = dataclasses.field(default_factory=set)        # names the backward sweep reads
    # id(loop) -> its statements `v = a[i]` recomputed in the backward sweep, not pushed
    recomputed: dict = dataclasses.field(default_factory=dict)
    values_read: set = dataclasses.field(default_factory=set)  # ... for more than their shape

    @property
    def uses_stack(self):
        return bool(self.pushes or self.counted)

    def live(self, node):
        """Whether a backward node emits anything (adjoint code or a pop)."""
        if isinstance(node, StmtAdjoint):
            return bool(node.items) or id(node.stmt) in self.pushes
        if isinstance(node, BranchAdjoint):
            return bool(node.zero_body or node.zero_orelse) or any(
                self.live(n) for n in node.body + node.orelse)
        return self.replays(node) or id(node.stmt) in self.pushes

    def replays(self, node):
        """Whether a loop's backward sweep runs anything (else only its own pops remain)."""
        return bool(node.zero_before or node.zero_end) or any(self.live(n) for n in node.body)


def plan_stack(fn, adjoints, wrt, numbers, spelled, groups=None):
    """The StackPlan of fn given its Adjoints. numbers: names that hold a number wherever they
    are bound (zeroing their adjoints reads nothing); spelled(helper): how the generated code
    spells a runtime helper (None if it does not use it); groups(): fn's alias_groups, which
    the caller may cache for its own later use (it is computed only where fn writes in
    place)."""
    bases = view_bases(fn)
    sharing = _written_sharers(fn, groups or (lambda: alias_groups(fn)))
    recomputed = recomputed_reads(fn)
    again = {id(st): st for sts in recomputed.values() for st in sts}

    def step(reads):
        plan = _pushes(fn, reads, again)
        more, _ = _backward_reads(plan, adjoints.nodes, numbers, spelled)
        # what recomputing a loop read the backward sweep needs reads (optimize/recompute.py)
        more |= {n for st in again.values() if st.target in reads | more
                 for n in names_read(st.value)}
        # A view the backward sweep reads shows its base's memory: when the forward sweep
        # writes into the base later, the base is saved and restored like any value read.
        # So does any value that may share memory with an array written in place (a view
        # taken out of a list of views, `rows = [B[j] ...]; r = rows[0]`), whether or not
        # the written array is differentiated.
        found = reads | more
        return found | {bases[n] for n in found if n in bases} | {
            m for n in found for m in sharing(n)}

    # A checkpointed loop's steps run again in the backward sweep: what they read and do not
    # write must still hold the value the loop saw (transforms/checkpoint.py).
    replayed = checkpoint.extra_reads(fn)
    reads = fixpoint(step, frozenset(wrt) | replayed, len(all_names(fn)), "stack plan")
    plan = _pushes(fn, reads, again)
    _, plan.values_read = _backward_reads(plan, adjoints.nodes, numbers, spelled)
    plan.recomputed = {loop: [st for st in sts if st.target in reads]
                       for loop, sts in recomputed.items()}
    plan.values_read |= {n for sts in plan.recomputed.values() for st in sts
                         for n in names_read(st.value)}
    plan.values_read |= replayed
    plan.reads = set(reads)
    # An array the backward sweep restores by writing into it (`y[i] = stack.pop()`) must be
    # a real array then, not a placeholder that only has its shape.
    plan.values_read |= {st.target for st in ir.walk(fn.body)
                         if isinstance(st, ir.SetItem) and id(st) in plan.pushes}
    # A loop whose backward sweep is empty replays nothing: its trip count needn't be saved.
    plan.counted = {i for i in plan.counted if plan.replays(adjoints.loops[i])}
    # A checkpointed loop whose backward sweep runs nothing is an ordinary loop.
    plan.checkpointed = {id(st) for st in checkpoint.checkpointed_loops(fn)
                         if plan.replays(adjoints.loops[id(st)])}
    plan.counted -= plan.checkpointed
    return plan


def view_bases(fn):
    """name -> the array it may be a view of (`t = B[0]`, `t = B.T`, `t = B.reshape(...)`)."""
    out = {}
    for stmt in ir.walk(fn.body):
        if isinstance(stmt, ir.Assign) and stmt.op is not None and len(stmt.targets) == 1 \
                and stmt.op.func in VIEW_FUNCS and isinstance(stmt.op.args[0], gast.Name):
            out[stmt.target] = stmt.op.args[0].id
    return out


def _written_sharers(fn, groups):
    """name -> the names written in place (`y[i] = e`, `y += e`) that may share its memory
    (groups(): analysis/aliasing.py's points-to sets, asked for only where fn writes in
    place)."""
    written = {w for st in ir.walk(fn.body) for w in [writes_in_place(st)] if w is not None}
    if not written:
        return lambda name: ()
    shared = groups()
    return lambda name: shared.get(name, set()) & written


def _pushes(fn, reads, again):
    plan = StackPlan(pushes={}, unbound=set(), counted=set())
    _block(plan, fn.body, set(fn.params), set(fn.params), False, reads, again)
    return plan


def _block(plan, stmts, maybe, must, in_loop, reads, again):
    """maybe / must: the names possibly / certainly bound before each statement; again: the
    statements recomputed in the backward sweep (never pushed)."""
    for stmt in stmts:
        if isinstance(stmt, ir.Assign):
            names = [t for t in stmt.targets if t in reads and (t in maybe or in_loop)
                     and id(stmt) not in again]
            if names:
                plan.pushes[id(stmt)] = names
                plan.unbound.update(t for t in names if t not in must)
            maybe.update(stmt.targets)
            must.update(stmt.targets)
        elif isinstance(stmt, ir.SetItem):
            if stmt.target in reads:
                plan.pushes[id(stmt)] = [stmt.target]
        elif isinstance(stmt, ir.If):
            m1, m2 = set(must), set(must)
            _block(plan, stmt.body, maybe, m1, in_loop, reads, again)
            _block(plan, stmt.orelse, maybe, m2, in_loop, reads, again)
            must.update(m1 & m2)
        elif isinstance(stmt, (ir.For, ir.While)):
            if isinstance(stmt, ir.For) and stmt.target in reads and stmt.target in maybe:
                plan.pushes[id(stmt)] = [stmt.target]
                plan.unbound.update([stmt.target] if stmt.target not in must else [])
            if in_loop and (isinstance(stmt, ir.While) or stmt.counter):
                plan.counted.add(id(stmt))
            _block(plan, stmt.body, maybe, set(must), True, reads, again)
            if isinstance(stmt, ir.For):
                maybe.add(stmt.target)


def _backward_reads(plan, nodes, numbers, spelled):
    """(names read, names read for their values) by the live parts of a backward block."""
    reads, values = set(), set()

    def visit(nodes):
        for node in nodes:
            if not plan.live(node):
                continue
            if isinstance(node, StmtAdjoint):
                for item in node.items:
                    found = names_read(item)
                    found_values = _value_reads(item, spelled)
                    if RESULT in found:
                        found.discard(RESULT)
                        found.add(node.stmt.target)
                        found_values.add(node.stmt.target)
                    reads.update(found)
                    values.update(found_values)
                if isinstance(node.stmt, ir.SetItem) and id(node.stmt) in plan.pushes:
                    # its restore, `x[index] = stack.pop()`, reads the index as it was then
                    # (a mask `B < 0.05` made again in each step of a loop)
                    index = names_read(node.stmt.index)
                    reads.update(index)
                    values.update(index)
            elif isinstance(node, BranchAdjoint):
                reads.add(node.stmt.test)
                values.add(node.stmt.test)
                reads.update(zeroed_shapes(node.zero_body + node.zero_orelse, numbers))
                visit(node.body)
                visit(node.orelse)
            elif plan.replays(node):
                if isinstance(node.stmt, ir.For):
                    reads.add(node.stmt.iter)
                    values.add(node.stmt.iter)
                reads.update(zeroed_shapes(node.zero_before + node.zero_end, numbers))
                visit(node.body)

    visit(nodes)
    return reads, values


# The helpers that read some argument for its shape alone.
_SHAPE_READERS = [name for name in runtime.__all__ if runtime.shape_args(name)]


def zeroed_shapes(names, numbers):
    """The values whose shapes zeroing the adjoints of `names` reads (see sweeps.zeros)."""
    return [v for v in names if v not in numbers]


def _value_reads(node, spelled):
    """Names `node` reads for their values, not only for their shapes (the runtime helpers
    declare the arguments they read for their shapes: runtime.shape_args)."""
    skip = set()
    for call in gast.walk(node):
        if isinstance(call, gast.Call) and isinstance(call.func, gast.Name):
            for helper in _SHAPE_READERS:
                if call.func.id == spelled(helper):
                    skip.update(id(call.args[k]) for k in runtime.shape_args(helper)
                                if k < len(call.args) and isinstance(call.args[k], gast.Name))
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Load) and id(n) not in skip}
