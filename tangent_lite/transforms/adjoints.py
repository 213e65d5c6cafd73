"""Reverse mode, phase 1: the adjoint statements of each forward statement.

Walking the function backwards, each operation's rule template is filled in with the caller's
names. Which adjoints hold a value is tracked statically: the first contribution to `dv` is
assigned, later ones are added, and where control flow joins paths that disagree, the missing
adjoint is set to zeros (the zeros lists of BranchAdjoint and LoopAdjoint). A loop's body runs
its adjoint once per iteration, so the adjoints live at its head are a fixpoint.

The output is data (Adjoints): a tree of backward nodes, one per forward statement, that the
stack plan (plan.py) and the sweep writer (sweeps.py) read.
"""
import dataclasses

import gast

from .. import ir
from ..analysis.activity import differentiable_inputs, is_varied, operand_names
from ..analysis.fixpoint import fixpoint
from ..ir import syntax as s
from ..ir.syntax import name_node
from ..optimize import enabled, specialise, unbroadcast
from ..optimize.inplace import fresh_value
from ..optimize.fused import fuse_products
from ..optimize.squares import merge_repeats
from ..optimize.pieces import rest_for_last
from ..frontend.callables import callee_name
from .common import bind_rule, bind_user_call, call_of, compile_callee, spelling

RESULT = "__tl_result__"     # stands for an operation's result where it also is an operand


@dataclasses.dataclass
class StmtAdjoint:
    """The adjoint code of one simple statement (empty when it has none)."""

    stmt: object
    items: list


@dataclasses.dataclass
class BranchAdjoint:
    stmt: ir.If
    body: list
    orelse: list
    zero_body: list       # adjoints live after the branch that this side leaves unset
    zero_orelse: list


@dataclasses.dataclass
class LoopAdjoint:
    stmt: object          # ir.For or ir.While
    body: list
    zero_before: list     # adjoints live at the head but not after the loop
    zero_end: list        # adjoints live at the head that the body leaves unset


@dataclasses.dataclass
class Adjoints:
    """Phase 1's result."""

    nodes: list           # backward nodes of the function body, last statement first
    final: set            # names whose adjoint holds a value at the function's start
    loops: dict           # id(loop statement) -> its LoopAdjoint
    callees: list         # Compiled vjps of the user functions called
    proven_entries: dict  # id -> add_item/unset call on a list of one entry shape (entries.py)


def build_adjoints(ctx, varied, seqs, shapes, callee, real=True):
    """Phase 1 for ctx.fn: varied are the names that carry a gradient, seqs the names holding
    Python lists, shapes the shape analysis, callee(func, wrt) the Compiled vjp of a helper;
    real: no value or adjoint can be complex (optimize/inplace.complex_free), so adjoints may
    be accumulated in place (a real array refuses a complex `+=`)."""
    builder = _Builder(ctx, varied, seqs, shapes, callee)
    builder.real = real
    nodes = builder.block(ctx.fn.body)
    return Adjoints(nodes=nodes, final=set(builder.defined), loops=builder.loops,
                    proven_entries=builder.proven_entries,
                    callees=builder.callees)


def rename(nodes, old, new):
    for node in nodes:
        for n in gast.walk(node):
            if isinstance(n, gast.Name) and n.id == old:
                n.id = new


class _Builder:
    """Walks the statements backwards; `defined` and `owned` are the state of the walk: which
    adjoints hold a value, and which of those arrays no other variable refers to."""

    def __init__(self, ctx, varied, seqs, shapes, callee):
        self.ctx = ctx
        self.namer = ctx.namer
        self.varied = varied
        self.seqs = seqs
        self.shapes = shapes
        self.callee = callee
        self.callees = []
        self.loops = {}
        self.defined = {ctx.fn.result}
        self.owned = set()
        # the add_item/unset calls on a list's gradient whose list is proved to have entries
        # of one shape (id -> the call): optimize/entries.py may update them in place
        self.proven_entries = {}
        self.entry_read = False
        self.inplace = enabled("inplace")
        self.real = True   # no adjoint can be complex: `dx += e` into a real dx is safe
        # names that only ever hold loop counters (ints): `y[i] = v` writes one element
        stmts = list(ir.walk(ctx.fn.body))
        self.counters = {st.target for st in stmts if isinstance(st, ir.For)} - {
            t for st in stmts if isinstance(st, ir.Assign) for t in st.targets}

    def block(self, stmts):
        out = []
        for stmt in reversed(stmts):
            if isinstance(stmt, ir.If):
                out.append(self.if_(stmt))
            elif isinstance(stmt, (ir.For, ir.While)):
                out.append(self.loop(stmt))
            elif isinstance(stmt, ir.Assign):
                out.append(StmtAdjoint(stmt, self.assign(stmt)))
            elif isinstance(stmt, ir.SetItem):
                out.append(StmtAdjoint(stmt, self.setitem(stmt)))
            elif isinstance(stmt, ir.Hook):
                out.append(StmtAdjoint(stmt, self.hook(stmt)))
            else:
                out.append(StmtAdjoint(stmt, []))
        return out

    def hook(self, stmt):
        """`with grad_of(h) as dh:` runs here, where the adjoint of h is complete."""
        dh = self.namer.adjoint(stmt.var)
        items = []
        if stmt.var not in self.defined:
            items.append(s.assign(dh, s.call(self.ctx.np("zeros_like"), [name_node(stmt.var)])))
            self.defined.add(stmt.var)
        self.owned.discard(stmt.var)   # the hook may keep a reference to it
        body = [s.copy(node) for node in stmt.body]
        if stmt.alias != dh:
            rename(body, stmt.alias, dh)
        return items + body

    def if_(self, stmt):
        before, owned = set(self.defined), set(self.owned)
        body = self.block(stmt.body)
        after_body, owned_body = self.defined, self.owned
        self.defined, self.owned = set(before), set(owned)
        orelse = self.block(stmt.orelse)
        after_else, owned_else = self.defined, self.owned
        joined = after_body | after_else
        zero_body, zero_else = joined - after_body, joined - after_else
        self.defined = joined
        self.owned = {n for n in (owned_body | zero_body) & (owned_else | zero_else)
                      if n not in self.seqs}
        return BranchAdjoint(stmt, body, orelse, sorted(zero_body), sorted(zero_else))

    def loop(self, stmt):
        """The loop body's adjoint runs once per iteration, so the adjoints live at its start
        must be a fixpoint: those live after the loop plus those the body leaves live."""
        before, owned = set(self.defined), set(self.owned)
        height = len(self.varied | before)

        def grow(head):
            defined, _ = self.trial(stmt.body, head, set())
            return head | defined

        head = fixpoint(grow, frozenset(before), height, "adjoints live at a loop's head")

        # Owned at the head: owned (or zeroed) before the loop and again at the body's end.
        def narrow(owned_head):
            defined, owned_end = self.trial(stmt.body, head, owned_head)
            return owned_head & (owned_end | (head - defined))

        owned_head = fixpoint(narrow, frozenset(n for n in (owned & head) | (head - before)
                                                if n not in self.seqs),
                              height, "adjoints owned at a loop's head")
        self.defined, self.owned = set(head), set(owned_head)
        body = self.block(stmt.body)
        zero_end = sorted(head - self.defined)
        self.defined, self.owned = set(head), set(owned_head)
        node = LoopAdjoint(stmt, body, sorted(head - before), zero_end)
        self.loops[id(stmt)] = node
        return node

    def trial(self, body, defined, owned):
        """Run the tracking over `body` from the given state without keeping anything (names
        it makes are handed out again): the (defined, owned) sets it ends with."""
        saved = self.namer.snapshot()
        self.defined, self.owned = set(defined), set(owned)
        self.block(body)
        self.namer.restore(saved)
        return self.defined, self.owned

    def carries(self, node):
        return is_varied(node, self.varied)

    def assign(self, stmt):
        v = stmt.target
        if len(stmt.targets) > 1 or v not in self.defined:
            self.defined.difference_update(stmt.targets)
            self.owned.difference_update(stmt.targets)
            return []
        dv = self.namer.adjoint(v)
        self.owned.discard(v)
        if stmt.op is None:
            self.defined.discard(v)
            if isinstance(stmt.value, gast.Name) and stmt.value.id in self.varied:
                return self.contribute(stmt.value.id, name_node(dv))
            return []
        op = stmt.op
        if (op.prim is not None and op.prim.nondiff) or not any(
                self.carries(a) for a in differentiable_inputs(op)):
            self.defined.discard(v)
            return []
        self_update = v in operand_names(op)
        if op.prim is None:
            items = self.user_call(stmt, dv)
        else:
            items = self.fill(stmt, name_node(RESULT if self_update else v), dv)
        self.entry_read = specialise.list_entry(getattr(self.shapes, "concrete", None), stmt)
        try:
            return self.collect(v, dv, items)
        finally:
            self.entry_read = False

    def collect(self, v, dv, items):
        """The statements of a filled-in rule: its temporaries, then each `d[arg] = e`
        contributed to arg's adjoint; v's own contributions (`v = f(v)`) summed in one."""
        out = [node for kind, *rest in items if kind == "stmt" for node in rest]
        self.defined.discard(v)
        own = []
        grads = [rest for kind, *rest in items if kind == "grad"]
        if enabled("squares") and len(grads) > 1 and not any(prelude for prelude, _ in grads):
            grads = [([], merge_repeats([p for _, pairs in grads for p in pairs], self.calls))]
        for prelude, pairs in grads:
            pairs = fuse_products(pairs, self.calls, self.ctx.call)
            out.extend(prelude)
            for name, expr in pairs:
                if name == v:
                    own.append(expr)
                elif name in self.varied:
                    out.extend(self.contribute(name, expr))
        if own:
            # All of v's own contributions read dv, so they are summed in one statement.
            total = own[0]
            for e in own[1:]:
                total = gast.BinOp(left=total, op=gast.Add(), right=e)
            if len(own) > 1 and v in self.seqs:
                total = self.ctx.call("add_grads", own)
            if not (isinstance(total, gast.Name) and total.id == dv):   # not `dv = dv`
                out.append(s.assign(dv, total))
            self.defined.add(v)
            self.set_owned(v, self.fresh(total))
        return out

    def setitem(self, stmt):
        """`y[i] = e`: e receives dy[i]; the overwritten part of y receives nothing."""
        y = stmt.target
        if y not in self.defined:
            return []
        dy = self.namer.adjoint(y)
        index = stmt.index
        out = []
        in_place = y in self.owned
        if self.carries(stmt.value):
            if self.selects_once(index):
                part = gast.Subscript(value=name_node(dy), slice=s.copy(index), ctx=gast.Load())
            else:   # an index array may repeat an element: only NumPy's last write counts
                part = self.ctx.call("written", [name_node(dy), self.ctx.index_value(index)])
            if in_place:   # dy[i] is about to be zeroed in place: take a copy, not a view
                part = self.ctx.call("saved", [part])
            if stmt.value.id == y:   # `y[...] = y` (np.copyto(y, y)): y's own gradient is
                kept = self.namer.fresh(f"{dy}_part")   # added after the part is cleared
                out.append(s.assign(kept, part))
                part = name_node(kept)
            elif specialise.fills(getattr(self.shapes, "concrete", None), stmt):
                out += self.contribute(stmt.value.id, part)   # the part has v's shape
            else:
                out += self.contribute(stmt.value.id, self.ctx.call(
                    "unbroadcast", [part, name_node(stmt.value.id)]))
        if in_place:
            out.append(gast.Assign(targets=[gast.Subscript(
                value=name_node(dy), slice=s.copy(index), ctx=gast.Store())],
                value=s.const(0.0), type_comment=None))
        else:
            # a list's entry may have held a value of another shape: unset reads the list
            # as the backward sweep restored it (sweeps.with_pop restores first)
            shape = [name_node(y)] if y in self.seqs else []
            cleared = self.ctx.call("unset", [name_node(dy), self.ctx.index_value(index)]
                                    + shape)
            if specialise.list_entry(getattr(self.shapes, "concrete", None), stmt):
                self.proven_entries[id(cleared)] = cleared
            out.append(s.assign(dy, cleared))
            self.set_owned(y, True)
        if self.carries(stmt.value) and stmt.value.id == y:
            out += self.contribute(y, self.ctx.call("unbroadcast", [part, name_node(y)]))
        return out

    def selects_once(self, index):
        """Whether an index certainly selects each element at most once, whatever values its
        names hold: ints, slices and `...` written out, and loop counters."""
        items = index.elts if isinstance(index, gast.Tuple) else [index]
        return all(self._basic(i) for i in items)

    def _basic(self, node):
        if isinstance(node, gast.Slice):
            return True
        if isinstance(node, gast.Constant):
            return node.value is None or node.value is Ellipsis or (
                isinstance(node.value, int) and not isinstance(node.value, bool))
        if s.negated(node) is not None:
            return self._basic(s.negated(node))
        return isinstance(node, gast.Name) and node.id in self.counters

    def fill(self, stmt, result, dv):
        """The rule template of stmt's primitive, filled in: [("stmt", node)] temporaries and
        [("grad", prelude, [(name, contribution)])] for each `d[param] = ...`."""
        template, binding = bind_rule(self.ctx, stmt, "adjoint", self.carries)
        identity = specialise.elision(getattr(self.shapes, "concrete", None), stmt) \
            or unbroadcast.identity_test(self.shapes, stmt)
        filled = template.fill(rest_for_last(stmt.op, binding), result, dv,
                               spelling(self.ctx, template),
                               fresh=lambda base: self.namer.fresh(f"{base}_{dv}"),
                               elide=identity)
        return [item if item[0] == "stmt" else ("grad", *self.expand(binding, *item[1:]))
                for item in filled]

    def user_call(self, stmt, dv):
        """`y = helper(a, b)`: the backward sweep calls helper's own vjp, compiled (and
        cached) from its source: `da, db = vjp_helper(dy, a, b)`."""
        func = stmt.op.func
        pairs = bind_user_call(self.ctx, stmt, self.carries)
        compiled = compile_callee(self.ctx, stmt, self.callee, tuple(p for p, _ in pairs))
        self.callees.append(compiled)
        stem = callee_name(func, stmt.op.hint)
        call = call_of(self.ctx, f"vjp_{stem}", compiled, stmt, first=[name_node(dv)])
        targets = [node.id for _, node in pairs]
        if len(targets) == 1:
            return [("grad", [], [(targets[0], call)])]
        parts = self.namer.fresh(f"d_{stem}")
        return [("stmt", s.assign(parts, call)), ("grad", [], [
            (t, gast.Subscript(value=name_node(parts), slice=s.const(k), ctx=gast.Load()))
            for k, t in enumerate(targets)])]

    def expand(self, binding, target, value):
        """(statements, [(name, contribution)]) for a template's `d[param] = value`."""
        node = binding[target]
        if isinstance(node, gast.Name):
            return [], [(node.id, value)]
        if isinstance(node, (gast.List, gast.Tuple)):
            # d[arrays] = pieces: one contribution per differentiated element.
            active = [(k, e.id) for k, e in enumerate(node.elts)
                      if isinstance(e, gast.Name) and e.id in self.varied]
            if not active:
                return [], []
            parts = self.namer.fresh("parts")
            return [s.assign(parts, value)], [
                (name, gast.Subscript(value=name_node(parts), slice=s.const(k),
                                      ctx=gast.Load())) for k, name in active]
        return [], []

    def contribute(self, name, expr):
        """`dname = expr` for a first contribution, `dname = dname + expr` after, and
        `dname += expr` in place when dname's array is ours alone (owned)."""
        dname = self.namer.adjoint(name)
        if name in self.defined and name in self.seqs:
            self.owned.discard(name)
            if self.calls(expr, "unindex") and len(expr.args) == 3 and not expr.keywords:
                g, x, index = expr.args   # a list's entry read: add to that entry alone
                added = self.ctx.call("add_item", [name_node(dname), index, g, x])
                if self.entry_read and isinstance(g, gast.Name):
                    self.proven_entries[id(added)] = added
                return [s.assign(dname, added)]
            return [s.assign(dname, self.ctx.call("add_grads", [name_node(dname), expr]))]
        if name in self.defined and name in self.owned:
            if self.calls(expr, "unindex"):
                g, _, index = expr.args
                return [s.assign(dname, self.ctx.call("add_at", [name_node(dname), index, g]))]
            if self.real:
                return [gast.AugAssign(target=name_node(dname, store=True), op=gast.Add(),
                                       value=expr)]
        if name in self.defined:
            expr = gast.BinOp(left=name_node(dname), op=gast.Add(), right=expr)
        self.defined.add(name)
        self.set_owned(name, self.fresh(expr))
        return [s.assign(dname, expr)]

    def set_owned(self, name, owned):
        if owned and self.inplace and name not in self.seqs:
            self.owned.add(name)
        else:
            self.owned.discard(name)

    def fresh(self, expr):
        return fresh_value(expr, self.calls)

    def calls(self, expr, helper):
        """Whether `expr` is a call of the runtime helper `helper`."""
        spelled = self.ctx.bindings.spelled(helper)
        return (spelled is not None and isinstance(expr, gast.Call)
                and isinstance(expr.func, gast.Name) and expr.func.id == spelled)
