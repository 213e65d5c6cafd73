"""The two sweeps of reverse mode, written around the adjoint statements.

ReverseTransform produces one backward node per forward statement. Here we decide what the
forward sweep must save (a value is pushed when an assignment overwrites it and the backward
sweep reads it), then write the forward sweep with its pushes and the backward sweep with its
pops, loops run backwards over their recorded trip counts and branches on their recorded
conditions.
"""
import dataclasses

import gast

from .. import ir
from ..analysis.activity import names_read, operand_names
from ..ir.syntax import name_node
from ..ir import syntax as s

RESULT = "__tl_result__"     # stands for an operation's result where it also is an operand




# The backward sweep before pushes are planned: one node per forward statement.
@dataclasses.dataclass
class _BStmt:
    stmt: object
    items: list


@dataclasses.dataclass
class _BIf:
    stmt: ir.If
    body: list
    orelse: list
    zero_body: list
    zero_orelse: list


@dataclasses.dataclass
class _BLoop:
    stmt: object
    body: list
    zero_before: list
    zero_end: list


class SweepWriter:
    """Mixin of ReverseTransform: plans the stack and writes both sweeps."""

    # -- phase 2: what the forward sweep must save ------------------------------------------------

    def plan(self, backward):
        """Decide the pushes: a value is saved when an assignment overwrites it and the
        backward sweep reads it. Saving makes more backward code live (a branch with a pop in
        it must test its condition), so iterate to a fixpoint."""
        reads = set(self.wrt)
        while True:
            self.values_read = set()
            self.pushes, self.unbound, self.counted = {}, set(), set()
            self.plan_block(self.fn.body, set(self.fn.params), set(self.fn.params), False,
                            reads)
            more = set(reads)
            self.collect_reads(backward, more)
            if more == reads:
                break
            reads = more
        # A loop whose backward sweep is empty replays nothing: its trip count needn't be saved.
        self.counted = {i for i in self.counted if self.replays(self.loop_nodes[i])}
        self.uses_stack = bool(self.pushes or self.counted)
        self.dead = self.dead_assignments(reads)

    def plan_block(self, stmts, maybe, must, in_loop, reads):
        for stmt in stmts:
            if isinstance(stmt, ir.Assign):
                names = [t for t in stmt.targets if t in reads and (t in maybe or in_loop)]
                if names:
                    self.pushes[id(stmt)] = names
                    self.unbound.update(t for t in names if t not in must)
                maybe.update(stmt.targets)
                must.update(stmt.targets)
            elif isinstance(stmt, ir.SetItem):
                if stmt.target in reads:
                    self.pushes[id(stmt)] = [stmt.target]
            elif isinstance(stmt, ir.If):
                m1, m2 = set(must), set(must)
                self.plan_block(stmt.body, maybe, m1, in_loop, reads)
                self.plan_block(stmt.orelse, maybe, m2, in_loop, reads)
                must.update(m1 & m2)
            elif isinstance(stmt, (ir.For, ir.While)):
                if isinstance(stmt, ir.For) and stmt.target in reads and stmt.target in maybe:
                    self.pushes[id(stmt)] = [stmt.target]
                    self.unbound.update([stmt.target] if stmt.target not in must else [])
                if in_loop and (isinstance(stmt, ir.While) or stmt.counter):
                    self.counted.add(id(stmt))
                self.plan_block(stmt.body, maybe, set(must), True, reads)
                if isinstance(stmt, ir.For):
                    maybe.add(stmt.target)

    def collect_reads(self, nodes, reads):
        """Add the primal names read by the live parts of a backward block to `reads`."""
        for node in nodes:
            if not self.live(node):
                continue
            if isinstance(node, _BStmt):
                for item in node.items:
                    found = names_read(item)
                    values = self.value_reads(item)
                    if RESULT in found:
                        found.discard(RESULT)
                        found.add(node.stmt.target)
                        values.add(node.stmt.target)
                    reads |= found
                    self.values_read |= values
            elif isinstance(node, _BIf):
                reads.add(node.stmt.test)
                self.values_read.add(node.stmt.test)
                reads.update(self.shape_of_zeros(node.zero_body + node.zero_orelse))
                self.collect_reads(node.body, reads)
                self.collect_reads(node.orelse, reads)
            elif self.replays(node):
                if isinstance(node.stmt, ir.For):
                    reads.add(node.stmt.iter)
                    self.values_read.add(node.stmt.iter)
                reads.update(self.shape_of_zeros(node.zero_before + node.zero_end))
                self.collect_reads(node.body, reads)

    # Helper arguments read only for their shape, dtype and type (runtime.py's `x: Shape`).
    SHAPE_ARGS = {"unbroadcast": (1,), "unreduce": (1,), "unindex": (1,), "zeros_grad": (0,),
                  "matmul_lhs": (1,), "matmul_rhs": (2,), "dot_lhs": (1,), "dot_rhs": (2,),
                  "grad_like": (1,)}

    def value_reads(self, node):
        """Names `node` reads for their values, not only for their shapes."""
        skip = set()
        for call in gast.walk(node):
            if isinstance(call, gast.Call) and isinstance(call.func, gast.Name):
                for helper, positions in self.SHAPE_ARGS.items():
                    if call.func.id == self.bindings.spelled(helper):
                        skip.update(id(call.args[k]) for k in positions
                                    if k < len(call.args) and isinstance(call.args[k],
                                                                         gast.Name))
        return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)
                and isinstance(n.ctx, gast.Load) and id(n) not in skip}

    def live(self, node):
        """Whether a backward node emits anything (adjoint code or a pop)."""
        if isinstance(node, _BStmt):
            return bool(node.items) or id(node.stmt) in self.pushes
        if isinstance(node, _BIf):
            return bool(node.zero_body or node.zero_orelse) or any(
                self.live(n) for n in node.body + node.orelse)
        return self.replays(node) or id(node.stmt) in self.pushes

    def replays(self, node):
        """Whether a loop's backward sweep runs anything (else only its own pops remain)."""
        return bool(node.zero_before or node.zero_end) or any(self.live(n) for n in node.body)

    # -- phase 3: write both sweeps ----------------------------------------------------------------

    def dead_assignments(self, reads):
        """Forward assignments whose values neither the result nor the backward sweep need,
        directly or through other values (pure operations only: calls into user code stay)."""
        live = set(reads) | self.seed_reads
        assigns = []
        for stmt in ir.walk(self.fn.body):
            if isinstance(stmt, ir.Assign):
                assigns.append(stmt)
            elif isinstance(stmt, ir.Effect):
                live |= names_read(stmt.node)
            elif isinstance(stmt, ir.SetItem):
                live |= {stmt.target} | names_read(stmt.value) | names_read(stmt.index)
            elif isinstance(stmt, ir.While):
                live |= names_read(stmt.test)
            elif isinstance(stmt, ir.If):
                live.add(stmt.test)
            elif isinstance(stmt, ir.For):
                live.add(stmt.iter)
            elif isinstance(stmt, ir.Push):
                live |= names_read(stmt.value)
        for stmt_id, guards in self.guards.items():
            live |= {other for other, _ in guards}
        changed = True
        while changed:
            changed = False
            for stmt in assigns:
                if live.isdisjoint(stmt.targets) and not _impure(stmt):
                    continue
                found = names_read(stmt.value) - live
                if found:
                    live |= found
                    changed = True
        return {id(st) for st in assigns if live.isdisjoint(st.targets) and not _impure(st)}

    def forward(self, stmts, in_loop):
        out = []
        last = None
        for stmt in stmts:
            if isinstance(stmt, ir.Hook) or id(stmt) in self.dead:
                continue   # hooks run in the backward sweep only
            if not isinstance(stmt, ir.Break) and stmt.lineno != last:
                out.append(self.line_comment(stmt.lineno))
                last = stmt.lineno
            for other, where in self.guards.get(id(stmt), ()):
                out.append(s.expr(s.call(self.name("unshared"), [
                    name_node(stmt.target), name_node(other),
                    s.const(f"{stmt.target} {other}"), s.const(where)])))
            for name in self.pushes.get(id(stmt), ()):
                saved = name_node(name)
                if name not in self.values_read and not isinstance(stmt, ir.SetItem):
                    # The backward sweep needs only its shape: keep a placeholder that has it.
                    saved = s.call(self.name("shaped"), [saved])
                if isinstance(stmt, ir.SetItem):
                    saved = s.call(self.name("saved"), [gast.Subscript(
                        value=name_node(name), slice=s.copy(stmt.index), ctx=gast.Load())])
                out.append(s.expr(s.call(s.attr(self.stack, "push"), [saved])))
            if isinstance(stmt, ir.If):
                body = self.forward(stmt.body, in_loop)
                orelse = self.forward(stmt.orelse, in_loop)
                if body or orelse:   # else nothing in either branch is needed
                    out.append(gast.If(test=name_node(stmt.test), body=body or [gast.Pass()],
                                       orelse=orelse))
                last = None
            elif isinstance(stmt, (ir.For, ir.While)):
                out.extend(self.forward_loop(stmt))
                last = None
            elif isinstance(stmt, ir.Break):
                out.append(gast.Break())
            elif isinstance(stmt, ir.Effect):
                out.append(stmt.node)
            elif isinstance(stmt, ir.SetItem):
                target = gast.Subscript(value=name_node(stmt.target), slice=s.copy(stmt.index),
                                        ctx=gast.Store())
                out.append(gast.Assign(targets=[target], value=stmt.value, type_comment=None))
            elif len(stmt.targets) == 1:
                out.append(s.assign(stmt.target, stmt.value))
            else:
                target = gast.Tuple(elts=[name_node(t, store=True) for t in stmt.targets],
                                    ctx=gast.Store())
                out.append(gast.Assign(targets=[target], value=stmt.value, type_comment=None))
        return out

    def forward_loop(self, stmt):
        out = []
        counter = stmt.counter
        body = self.forward(stmt.body, True)
        if counter:
            out.append(s.assign(counter, s.const(0)))
            body.insert(0, gast.AugAssign(target=name_node(counter, store=True), op=gast.Add(),
                                          value=s.const(1)))
        if isinstance(stmt, ir.For):
            out.append(gast.For(target=name_node(stmt.target, store=True),
                                iter=name_node(stmt.iter), body=body, orelse=[],
                                type_comment=None))
        else:
            out.append(gast.While(test=stmt.test, body=body, orelse=[]))
        if id(stmt) in self.counted:
            out.append(s.expr(s.call(s.attr(self.stack, "push"), [name_node(counter)])))
        return out

    def emit_backward(self, nodes):
        out = []
        last = None
        for node in nodes:
            stmt = node.stmt
            if isinstance(node, _BLoop) and not self.replays(node):
                # Nothing to replay, but the loop variable it overwrote may need restoring.
                out.extend(self.pops_after_loop(stmt))
                continue
            if not self.live(node):
                continue
            if isinstance(node, _BStmt):
                if stmt.lineno != last:
                    out.append(self.line_comment(stmt.lineno))
                    last = stmt.lineno
                out.extend(self.with_pop(stmt, node.items))
                continue
            last = None
            if isinstance(node, _BIf):
                out.append(self.line_comment(stmt.lineno))
                body = self.emit_backward(node.body) + self.zeros(node.zero_body)
                orelse = self.emit_backward(node.orelse) + self.zeros(node.zero_orelse)
                test = name_node(stmt.test)
                if not body:
                    body, orelse = orelse, []
                    test = gast.UnaryOp(op=gast.Not(), operand=test)
                out.append(gast.If(test=test, body=body, orelse=orelse))
            else:
                out.extend(self.backward_loop(node))
        return out

    def backward_loop(self, node):
        stmt = node.stmt
        out = [self.line_comment(stmt.lineno)] + self.zeros(node.zero_before)
        counter = stmt.counter
        if id(stmt) in self.counted:
            out.append(s.assign(counter, s.call(s.attr(self.stack, "pop"), [])))
        body = self.emit_backward(node.body) + self.zeros(node.zero_end)
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
            it = self.namer.fresh("_")
            out.append(gast.For(target=name_node(it, store=True),
                                iter=s.call("range", [name_node(counter)]), body=body,
                                orelse=[], type_comment=None))
        return out

    def pops_after_loop(self, stmt):
        return [s.assign(name, s.call(s.attr(self.stack, "pop"), []))
                for name in self.pushes.get(id(stmt), ())]

    def shape_of_zeros(self, names):
        """The values whose shapes zeroing the adjoints of `names` reads (see zeros)."""
        return [v for v in names if v not in self.shapes.numbers]

    def zeros(self, names):
        """Zero adjoints: float arrays of the values' shapes (owned, so updated in place);
        0.0 for a value that is a number wherever it is bound."""
        return [s.assign(self.namer.adjoint(v), s.const(0.0) if v in self.shapes.numbers
                         else s.call(self.name("zeros_grad"), [name_node(v)])) for v in names]

    def with_pop(self, stmt, items):
        names = self.pushes.get(id(stmt), ())
        if isinstance(stmt, ir.SetItem):
            pops = [gast.Assign(targets=[gast.Subscript(
                value=name_node(stmt.target), slice=s.copy(stmt.index), ctx=gast.Store())],
                value=s.call(s.attr(self.stack, "pop"), []), type_comment=None)] if names else []
            return items + pops
        pops = [s.assign(v, s.call(s.attr(self.stack, "pop"), [])) for v in reversed(names)]
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
            keep = self.namer.fresh(f"{v}_out")
            rename(items, RESULT, keep)
            return [s.assign(keep, name_node(v))] + pops + items
        return pops + items


_getitem = __import__("operator").getitem


def _impure(stmt):
    """Whether an assignment may do more than compute its value (calls into user code, or a
    pop, which moves the stack)."""
    op = stmt.op
    return isinstance(stmt, ir.Pop) or (op is not None and op.prim is None)


def rename(nodes, old, new):
    for node in nodes:
        for n in gast.walk(node):
            if isinstance(n, gast.Name) and n.id == old:
                n.id = new
