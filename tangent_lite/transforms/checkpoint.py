"""Reverse mode for checkpointed loops: revolve written out as code.

A loop marked `for t in checkpointed(range(T), snapshots=s):` (or `while checkpointed(cond,
snapshots=s):`, or every outermost loop with grad(f, checkpoint=s)) is not recorded step by
step. Its forward sweep runs the plain loop and keeps, at the steps runtime/revolve.py picks,
a snapshot of the loop's state; its backward sweep follows the schedule's actions:

    for action, step in checkpoints.actions():
        if action == "restore":     h, c = checkpoints.restore(step)
        elif action == "advance":   <the loop body, recording nothing>
        elif action == "snapshot":  checkpoints.take(step, (h, c))
        else:                       <the loop body with its pushes; then its backward sweep>

so the tape holds one step at a time (inner loops and branches of that step included: the
body's own stack plan is unchanged), and at most s snapshots are alive.

What a snapshot holds (LoopState): the names live at the loop's head (read by some step before
the step writes them) that the loop writes: the loop-carried state, nothing else. Values the
loop reads but never writes stay bound (the stack plan saves them if later code overwrites
them: `extra_reads`); arrays the loop writes in place are copied into the snapshot and copied
back into the same array, so other names for their memory follow; values the plain stack plan
pushes inside the loop and code before the loop reads are kept once, at loop entry, and put
back after the schedule (a checkpointed step's tape restores values of its own step only).

The pushes inside the body read old values only for the backward sweep of code before the
loop; they are not part of the state, which is why the liveness below leaves them out.

Not supported, refused with a message: a checkpointed loop inside another checkpointed loop
(checkpoint the outer one, the inner is recorded per step); random numbers drawn in the body
(recomputing a step would draw new ones).
"""
import dataclasses
import math

import gast

from .. import ir
from ..errors import UnsupportedSyntaxError
from ..ir import Comment
from ..ir import syntax as s
from ..ir.syntax import name_node
from ..ir.uses import binds, names_read, reads, writes


@dataclasses.dataclass
class LoopState:
    """What one checkpointed loop's snapshots hold, and what it keeps at entry."""

    names: list           # the loop-carried state, in snapshot order
    copied: list          # of those, the arrays the loop writes in place
    entry: list           # pushed inside the loop and read by the backward sweep before it
    unbound: list         # state names that may be unbound when the loop starts
    checkpoints: str      # the Checkpoints object's name in generated code
    kept: str             # the name of the entry values (if any)
    step: str             # the step counter's name
    action: str           # the schedule action's name


def mark_outermost(body, snapshots, force=False):
    """grad(f, checkpoint=s): checkpoint every outermost loop not marked in the source;
    force: set every loop's snapshots (0: record every step, markers ignored)."""
    for stmt in body:
        if isinstance(stmt, (ir.For, ir.While)):
            if force:
                stmt.snapshots = snapshots
                mark_outermost(stmt.body, snapshots, force)
            else:
                stmt.snapshots = stmt.snapshots or snapshots
        elif isinstance(stmt, ir.If):
            mark_outermost(stmt.body, snapshots, force)
            mark_outermost(stmt.orelse, snapshots, force)


def checkpointed_loops(fn):
    return [st for st in ir.walk(fn.body)
            if isinstance(st, (ir.For, ir.While)) and st.snapshots]


def refuse(ctx):
    """Raise for what checkpointing cannot recompute faithfully."""
    for loop in checkpointed_loops(ctx.fn):
        for inner in ir.walk(loop.body):
            if isinstance(inner, (ir.For, ir.While)) and inner.snapshots:
                raise ctx.error(UnsupportedSyntaxError, inner,
                                "tangent_lite cannot differentiate a checkpointed loop inside "
                                "another checkpointed loop",
                                hint="instead: checkpoint the outer loop only; the inner loop "
                                     "is then recorded one outer step at a time")
            node = getattr(inner, "value", None) or getattr(inner, "node", None)
            if node is not None and any(
                    isinstance(n, gast.Attribute) and n.attr == "random"
                    for n in gast.walk(node)):
                raise ctx.error(UnsupportedSyntaxError, inner,
                                "tangent_lite cannot checkpoint a loop that draws random "
                                "numbers (recomputing a step would draw new ones)",
                                hint="instead: draw them before the loop (an array of T "
                                     "draws) and index it in the loop, or remove the "
                                     "checkpointed(...) marker")


def extra_reads(fn):
    """Names the replayed steps read that the loops do not write: the backward sweep needs
    their values as the loop saw them (the stack plan keeps them from later overwrites)."""
    out = set()
    for loop in checkpointed_loops(fn):
        read, written = set(), set()
        for st in ir.walk(loop.body):
            read |= reads(st)
            written.update(writes(st))
        out |= read - written - {loop.target if isinstance(loop, ir.For) else None}
    return out


def loop_states(ctx, plan, dead):
    """{id(loop): LoopState} for the checkpointed loops the backward sweep replays."""
    out = {}
    before = _bound_before(ctx.fn)
    for loop in checkpointed_loops(ctx.fn):
        if id(loop) not in plan.checkpointed:
            continue
        maybe, must = before[id(loop)]
        names = sorted(_carried(loop, dead))
        inner = list(ir.walk(loop.body))
        in_place = {st.target for st in inner if isinstance(st, ir.SetItem)}
        pushed = {n for st in inner for n in plan.pushes.get(id(st), ())}
        entry = sorted((pushed - set(names)) & plan.reads & maybe)
        out[id(loop)] = LoopState(
            names=names, copied=[n for n in names if n in in_place], entry=entry,
            unbound=[n for n in names if n not in must],
            checkpoints=ctx.namer.fresh("checkpoints"),
            kept=ctx.namer.fresh("entry_values") if entry else "",
            step=ctx.namer.fresh("step"), action=ctx.namer.fresh("action"))
    return out


def _carried(loop, dead):
    """The names live at the head of `loop` that the loop writes."""
    own = {loop.target} if isinstance(loop, ir.For) else set()
    live = set()
    while True:
        new = _live_in(loop.body, live, dead) - own
        if new == live:
            break
        live = new
    written = set()
    for st in ir.walk(loop.body):
        if id(st) not in dead:
            written.update(writes(st))
    return live & written


def _live_in(stmts, live, dead):
    """The names read before being rebound, running `stmts` with `live` needed after."""
    live = set(live)
    for st in reversed(stmts):
        if id(st) in dead or isinstance(st, (ir.Hook, ir.Break)):
            continue
        if isinstance(st, ir.If):
            live = _live_in(st.body, live, dead) | _live_in(st.orelse, live, dead) | {st.test}
        elif isinstance(st, (ir.For, ir.While)):
            head = set(live)
            while True:
                body = _live_in(st.body, head, dead)
                if isinstance(st, ir.For):
                    body.discard(st.target)
                new = live | reads(st) | body
                if new == head:
                    break
                head = new
            live = head
        else:
            live = (live - set(binds(st))) | reads(st)
    return live


def _bound_before(fn):
    """{id(loop): (names maybe bound, names certainly bound) when the loop starts}."""
    out = {}

    def block(stmts, maybe, must):
        for st in stmts:
            if isinstance(st, (ir.For, ir.While)):
                out[id(st)] = (set(maybe), set(must))
                block(st.body, maybe, set(must))
                if isinstance(st, ir.For):
                    maybe.add(st.target)
            elif isinstance(st, ir.If):
                m1, m2 = set(must), set(must)
                block(st.body, maybe, m1)
                block(st.orelse, maybe, m2)
                must |= m1 & m2
            else:
                maybe.update(writes(st))
                must.update(binds(st))

    block(fn.body, set(fn.params), set(fn.params))
    return out


# -- the code --------------------------------------------------------------------------------

def _snapshot(writer, state):
    return s.tuple_([writer.ctx.call("saved", [name_node(n)]) if n in state.copied
                     else name_node(n) for n in state.names])


def _take(writer, state, step):
    return s.expr(s.call(s.attr(state.checkpoints, "take"),
                         [name_node(step), _snapshot(writer, state)]))


def _restore(writer, state, step):
    """`h, c, y_kept = checkpoints.restore(step)`, arrays written in place copied back."""
    if not state.names:
        return [gast.Pass()]
    kept = {n: writer.ctx.namer.fresh(f"{n}_kept") for n in state.copied}
    targets = [name_node(kept.get(n, n), store=True) for n in state.names]
    out = [gast.Assign(targets=[gast.Tuple(elts=targets, ctx=gast.Store())],
                       value=s.call(s.attr(state.checkpoints, "restore"), [name_node(step)]),
                       type_comment=None)]
    out += [s.expr(writer.ctx.call("copy_into", [name_node(n), name_node(kept[n])]))
            for n in state.copied]
    return out


def _loads(stmts, name):
    return any(isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Load)
               for st in stmts if not isinstance(st, Comment) for n in gast.walk(st))


def forward(writer, stmt, state, in_loop):
    """The forward sweep of a checkpointed loop: the plain loop, keeping snapshots."""
    ctx = writer.ctx
    step = state.step
    out = [Comment(f"checkpointed: at most {stmt.snapshots} snapshots of "
                   f"({', '.join(state.names)})" if state.names else
                   f"checkpointed: at most {stmt.snapshots} snapshots (no state is carried)")]
    if state.entry:
        out.append(s.assign(state.kept, s.tuple_([name_node(n) for n in state.entry])))
    planned = s.const(None) if isinstance(stmt, ir.While) else \
        s.call("len", [name_node(stmt.iter)])
    out.append(s.assign(state.checkpoints, ctx.call("Checkpoints", [
        planned, s.const(stmt.snapshots)])))
    take = gast.If(test=s.call(s.attr(state.checkpoints, "due"), [name_node(step)]),
                   body=[_take(writer, state, step)], orelse=[])
    body = writer.plain(stmt.body)
    if isinstance(stmt, ir.For):
        loop = gast.For(target=gast.Tuple(elts=[name_node(step, store=True), name_node(
            stmt.target, store=True)], ctx=gast.Store()), iter=s.call("enumerate", [
                name_node(stmt.iter)]), body=[take] + body, orelse=[], type_comment=None)
        out.append(loop)
    else:
        out.append(s.assign(step, s.const(0)))
        count = gast.AugAssign(target=name_node(step, store=True), op=gast.Add(),
                               value=s.const(1))
        out.append(gast.While(test=stmt.test, body=[take, count] + body, orelse=[]))
    if in_loop:
        saved = [state.checkpoints] + ([state.kept] if state.entry else [])
        out += [writer.push(name_node(n)) for n in saved]
    return out


def backward(writer, node, state, in_loop):
    """The backward sweep of a checkpointed loop: the schedule's actions."""
    ctx, stmt = writer.ctx, node.stmt
    step, action = state.step, state.action
    out = [ctx.line_comment(stmt.lineno)]
    if in_loop:
        saved = [state.checkpoints] + ([state.kept] if state.entry else [])
        out += [s.assign(n, writer.popped(n)) for n in reversed(saved)]
    s_ = stmt.snapshots
    out.append(Comment(f"revolve with s = {s_} snapshots: each step is recomputed at most r "
                       f"times, r the least number"))
    bounds = ", ".join(f"{r} up to {math.comb(s_ + r, s_):,}" for r in range(2, 5))
    out.append(Comment(f"with C(s + r, s) >= T: r = 1 up to T = {s_ + 1}, {bounds}"
                       if isinstance(stmt, ir.For) else
                       f"with C(s + r, s) >= T, T the steps it ran (the doubling grid of "
                       f"snapshots adds about one)"))
    out += writer.zeros(node.zero_before)
    bind = [s.assign(stmt.target, gast.Subscript(value=name_node(stmt.iter), slice=name_node(
        step), ctx=gast.Load()))] if isinstance(stmt, ir.For) else []
    advance = writer.replay(stmt.body, recording=False)
    record = writer.replay(stmt.body, recording=True)
    reverse = writer.backward(node.body) + writer.zeros(node.zero_end)
    if bind and not _loads(advance + record + reverse, stmt.target):
        bind = []    # the steps do not read the loop variable
    is_ = lambda kind: gast.Compare(left=name_node(action), ops=[gast.Eq()],  # noqa: E731
                                    comparators=[s.const(kind)])
    schedule = gast.If(test=is_("restore"), body=_restore(writer, state, step), orelse=[
        gast.If(test=is_("advance"), body=[s.clone(b) for b in bind] + (advance or [
            gast.Pass()]), orelse=[
            gast.If(test=is_("snapshot"), body=[_take(writer, state, step)], orelse=[
                Comment("reverse: the step again, recording its tape, then its backward "
                        "sweep")] + [s.clone(b) for b in bind] + record + reverse)])])
    out.append(gast.For(target=gast.Tuple(elts=[name_node(action, store=True), name_node(
        step, store=True)], ctx=gast.Store()), iter=s.call(s.attr(state.checkpoints,
                                                                  "actions"), []),
        body=[schedule], orelse=[], type_comment=None))
    if state.entry:
        out.append(gast.Assign(targets=[gast.Tuple(elts=[name_node(n, store=True)
                                                         for n in state.entry],
                                                   ctx=gast.Store())],
                               value=name_node(state.kept), type_comment=None))
    if isinstance(stmt, ir.For):
        out.extend(writer.pops_after_loop(stmt))
    return out
