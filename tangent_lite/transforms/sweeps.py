"""Reverse mode, phase 3: writing the two sweeps from the adjoints (phase 1) and the stack plan
(phase 2).

The forward sweep is the function itself with `stack.push(v)` before the statements the plan
names (dead assignments left out); the backward sweep walks the adjoint nodes with the pops
before (or, for `v = f(v)`, around) each statement's adjoint code, loops running their recorded
trip counts backwards and branches testing their recorded conditions.
"""
import gast

from .. import ir
from ..analysis.activity import operand_names
from ..analysis.aliasing import VIEW_FUNCS
from ..ir import Comment
from ..ir import syntax as s
from ..ir.syntax import name_node
from ..ir.uses import names_read, writes_in_place
from . import checkpoint
from .adjoints import RESULT, BranchAdjoint, LoopAdjoint, StmtAdjoint, rename
from .common import alias_checks, loop_statement


class SweepWriter:
    """Writes both sweeps; everything it reads is given to it here."""

    def __init__(self, ctx, plan, dead, guards, stack, numbers, detach=(), groups=None,
                 split=False):
        self.ctx = ctx
        self.plan = plan          # transforms.plan.StackPlan
        self.dead = dead          # ids of forward assignments not to write
        self.guards = guards      # statement id -> [(other name, "file:line")] alias checks
        self.stack = stack        # the stack's name, None if nothing is saved
        self.numbers = numbers    # names that hold a number wherever they are bound
        # arrays whose elements the forward sweep overwrites and a separate backward sweep
        # restores into a copy: what the backward sweep reads of them is saved as a copy,
        # not kept as a view the forward sweep's later writes would change (split sweeps)
        self.detach = set(detach)
        self.split = split        # a pullback's backward sweep, which may run again
        # a split sweep that restores arrays: each call's copies of them, one per original
        # (`copies`, runtime owned_in), and the names whose pops may hold one or look into it
        self.copies = ctx.namer.fresh("copies") if split and self.detach else None
        self.followed = set(self.detach).union(*(groups().get(v, {v}) for v in self.detach)) \
            if self.copies else set()
        # names a run-time alias check reads, and names that may share memory with one written
        # in place (other than through the restored arrays themselves): kept as the views they
        # are, so the check sees the memory they share and the write goes where NumPy's goes
        # (a copy would pass the check and take the write: `a1 = y[:4]; a1 /= d`)
        self.checked = ({m for checks in guards.values() for m, _ in checks}
                        | _sharing_a_written_name(ctx.fn, self.detach, groups))
        # checkpointed loops (transforms/checkpoint.py): what their snapshots hold
        self.states = checkpoint.loop_states(ctx, plan, dead)
        self.recording = True     # pushes written (off in a checkpointed loop's advance)
        self.replaying = False    # writing a step of a checkpointed loop again: no `break`
        self.depth = 0            # loops around the statement being written

    def plain(self, stmts):
        """The forward sweep of a checkpointed loop's body: nothing recorded."""
        saved = self.recording
        self.recording = False
        try:
            return self.forward(stmts)
        finally:
            self.recording = saved

    def replay(self, stmts, recording):
        """A checkpointed loop's body once more, for the backward sweep: recording its
        pushes (to reverse the step) or not (to advance)."""
        saved = self.recording, self.replaying, self.depth
        self.recording, self.replaying, self.depth = recording, True, self.depth + 1
        try:
            return [s.clone(st) for st in self.forward(stmts)]
        finally:
            self.recording, self.replaying, self.depth = saved

    def push(self, value):
        return s.expr(s.call(s.attr(self.stack, "push"), [value]))

    def pop(self):
        return s.call(s.attr(self.stack, "pop"), [])

    # -- the forward sweep ------------------------------------------------------------------

    def forward(self, stmts, last=None):
        """The forward sweep of `stmts`; `last`: the line whose comment is already written
        (a branch added for the same line needs no second one)."""
        out = []
        for stmt in stmts:
            if isinstance(stmt, ir.Hook) or id(stmt) in self.dead:
                continue   # hooks run in the backward sweep only
            if isinstance(stmt, ir.Break) and self.replaying:
                continue   # a replayed step is one the forward sweep ran to its end
            if not isinstance(stmt, ir.Break) and stmt.lineno != last:
                out.append(self.ctx.line_comment(stmt.lineno))
                last = stmt.lineno
            out.extend(alias_checks(self.ctx, stmt, self.guards))
            out.extend(self.saves(stmt))
            if isinstance(stmt, ir.If):
                body = self.forward(stmt.body, stmt.lineno)
                orelse = self.forward(stmt.orelse, stmt.lineno)
                if body or orelse:   # else nothing in either branch is needed
                    out.append(gast.If(test=name_node(stmt.test), body=body or [gast.Pass()],
                                       orelse=orelse))
                last = None
            elif isinstance(stmt, (ir.For, ir.While)):
                out.extend(self.forward_loop(stmt))
                last = None
            else:
                out.append(self.primal(stmt))
                if self.detached_read(stmt):
                    out[-1].value = self.ctx.call("saved", [out[-1].value])
        return out

    def detached_read(self, stmt):
        """`t = y[i]` (or another view) of an array in `detach` whose value the backward
        sweep reads."""
        op = getattr(stmt, "op", None)
        return (op is not None and op.func in VIEW_FUNCS and len(stmt.targets) == 1
                and isinstance(op.args[0], gast.Name) and op.args[0].id in self.detach
                and stmt.target in self.plan.values_read and stmt.target not in self.checked)

    def saves(self, stmt):
        """The pushes the plan puts before `stmt`."""
        out = []
        if not self.recording:
            return out
        for name in self.plan.pushes.get(id(stmt), ()):
            if isinstance(stmt, ir.SetItem):
                saved = self.ctx.call("saved", [gast.Subscript(
                    value=name_node(name), slice=s.copy(stmt.index), ctx=gast.Load())])
            elif name not in self.plan.values_read:
                # The backward sweep needs only its shape: keep a placeholder that has it.
                saved = self.ctx.call("shaped", [name_node(name)])
            else:
                saved = name_node(name)
            out.append(self.push(saved))
        return out

    @staticmethod
    def primal(stmt):
        """A simple statement of the core language as Python."""
        if isinstance(stmt, ir.Break):
            return gast.Break()
        if isinstance(stmt, ir.Effect):
            return stmt.node
        if isinstance(stmt, ir.SetItem):
            target = gast.Subscript(value=name_node(stmt.target), slice=s.copy(stmt.index),
                                    ctx=gast.Store())
            return gast.Assign(targets=[target], value=stmt.value, type_comment=None)
        if len(stmt.targets) == 1:
            return s.assign(stmt.target, stmt.value)
        target = gast.Tuple(elts=[name_node(t, store=True) for t in stmt.targets],
                            ctx=gast.Store())
        return gast.Assign(targets=[target], value=stmt.value, type_comment=None)

    def forward_loop(self, stmt):
        state = self.states.get(id(stmt))
        # a `break` inside this loop ends this loop, not a replayed checkpointed step: kept
        replaying, self.replaying = self.replaying, False
        self.depth += 1
        try:
            if state is not None:
                return checkpoint.forward(self, stmt, state, self.depth > 1)
            body = self.forward(stmt.body)
        finally:
            self.depth -= 1
            self.replaying = replaying
        out = []
        counter = stmt.counter
        if counter:
            out.append(s.assign(counter, s.const(0)))
            body.insert(0, gast.AugAssign(target=name_node(counter, store=True), op=gast.Add(),
                                          value=s.const(1)))
        out.append(loop_statement(stmt, body))
        if id(stmt) in self.plan.counted and self.recording:
            out.append(self.push(name_node(counter)))
        return out

    # -- the backward sweep -----------------------------------------------------------------

    def backward(self, nodes, last=None):
        out = []
        for node in nodes:
            stmt = node.stmt
            if isinstance(node, LoopAdjoint) and not self.plan.replays(node):
                # Nothing to replay, but the loop variable it overwrote may need restoring.
                out.extend(self.pops_after_loop(stmt))
                continue
            if not self.plan.live(node):
                continue
            if isinstance(node, StmtAdjoint):
                if stmt.lineno != last:
                    out.append(self.ctx.line_comment(stmt.lineno))
                    last = stmt.lineno
                out.extend(self.with_pop(stmt, node.items))
                continue
            if isinstance(node, BranchAdjoint):
                if stmt.lineno != last:
                    out.append(self.ctx.line_comment(stmt.lineno))
                body = self.backward(node.body, stmt.lineno) + self.zeros(node.zero_body)
                orelse = self.backward(node.orelse, stmt.lineno) + self.zeros(node.zero_orelse)
                test = name_node(stmt.test)
                if not body:
                    body, orelse = orelse, []
                    test = gast.UnaryOp(op=gast.Not(), operand=test)
                out.append(gast.If(test=test, body=body, orelse=orelse))
            else:
                out.extend(self.backward_loop(node))
            last = None
        return out

    def backward_loop(self, node):
        stmt = node.stmt
        state = self.states.get(id(stmt))
        self.depth += 1
        try:
            if state is not None:
                return checkpoint.backward(self, node, state, self.depth > 1)
            return self.recorded_loop(node)
        finally:
            self.depth -= 1

    def recorded_loop(self, node):
        """The backward sweep of a loop whose every step the forward sweep recorded."""
        stmt = node.stmt
        out = [self.ctx.line_comment(stmt.lineno)] + self.zeros(node.zero_before)
        counter = stmt.counter
        if id(stmt) in self.plan.counted:
            out.append(s.assign(counter, self.pop()))
        body = self.recompute(stmt, self.backward(node.body)) + self.zeros(node.zero_end)
        if isinstance(stmt, ir.For):
            seq = name_node(stmt.iter)
            if counter:
                seq = gast.Subscript(value=seq, slice=gast.Slice(lower=None, upper=name_node(
                    counter), step=None), ctx=gast.Load())
            out.append(gast.For(target=name_node(stmt.target, store=True),
                                iter=s.call("reversed", [seq]), body=body, orelse=[],
                                type_comment=None))
            out.extend(self.pops_after_loop(stmt))
        else:
            it = self.ctx.namer.fresh("_")
            out.append(gast.For(target=name_node(it, store=True),
                                iter=s.call("range", [name_node(counter)]), body=body,
                                orelse=[], type_comment=None))
        return out

    def recompute(self, loop, body):
        """The step's backward code with the loop's reads `v = a[i]` made again
        (optimize/recompute.py), each just before the first statement reading v. Placed last
        first, so a read made from another (`t = weight[:b]` of `weight = P[2 * i]`) finds
        the one it reads placed before it."""
        for st in reversed(self.plan.recomputed.get(id(loop), ())):
            at = next((k for k, node in enumerate(body) if not isinstance(node, Comment)
                       and st.target in names_read(node)), None)
            if at is not None:
                body.insert(at, s.assign(st.target, s.copy(st.value)))
        return body

    def pops_after_loop(self, stmt):
        return [s.assign(name, self.pop()) for name in self.plan.pushes.get(id(stmt), ())]

    def zeros(self, names):
        """Zero adjoints: float arrays of the values' shapes (owned, so updated in place);
        0.0 for a value that is a number wherever it is bound."""
        return [s.assign(self.ctx.namer.adjoint(v), s.const(0.0) if v in self.numbers
                         else self.ctx.call("zeros_grad", [name_node(v)])) for v in names]

    def popped(self, v):
        """`stack.pop()`; in split sweeps, what the backward sweep changes is popped as its
        own copy, as the stack a pullback called again copies holds the forward sweep's: a
        restored array (the restores write into it) and any value that may look into one,
        through the call's one copy per array (owned_in), a checkpointed loop's snapshots."""
        if v in self.followed:
            return self.ctx.call("owned_in", [name_node(self.copies), self.pop()])
        if self.split and v in {c.checkpoints for c in self.states.values()}:
            return s.call(s.attr(self.pop(), "replay"), [])
        return self.pop()

    def with_pop(self, stmt, items):
        names = self.plan.pushes.get(id(stmt), ())
        if isinstance(stmt, ir.SetItem):
            pops = [gast.Assign(targets=[gast.Subscript(
                value=name_node(stmt.target), slice=s.copy(stmt.index), ctx=gast.Store())],
                value=self.pop(), type_comment=None)] if names else []
            # restored first: the adjoint of `y[i] = v` reads y only for the shape of what the
            # write overwrote (unset's, of a list entry that may have held another shape)
            return pops + items
        pops = [s.assign(v, self.popped(v)) for v in reversed(names)]
        if not isinstance(stmt, ir.Assign) or len(stmt.targets) > 1 or stmt.op is None or \
                stmt.target not in operand_names(stmt.op):
            return items + pops
        # v = f(v, ...): the rule may need the result (before the pop) and the old operand
        # (after it).
        v = stmt.target
        if any(RESULT in names_read(n) for n in items):
            if not pops:
                rename(items, RESULT, v)
                return items
            keep = self.ctx.namer.fresh(f"{v}_out")
            rename(items, RESULT, keep)
            return [s.assign(keep, name_node(v))] + pops + items
        return pops + items


def _sharing_a_written_name(fn, restored, groups):
    """The names that may share memory with a name f writes in place, other than the arrays
    in `restored` (the split sweep's detached bases, whose writes it restores); groups() is
    analysis.aliasing.alias_groups(fn), computed once per compile."""
    if not restored:
        return set()
    written = {writes_in_place(st) for st in ir.walk(fn.body)} - {None} - set(restored)
    if not written:
        return set()
    return {n for n, group in groups().items() if group & written}
