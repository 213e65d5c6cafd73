"""Reverse mode: a forward sweep that records, then a backward sweep that replays.

The forward sweep is the function itself in the core language, with `stack.push(v)` before an
assignment that overwrites a value the backward sweep will read. The backward sweep walks the
statements in reverse: each operation's rule template is filled in with the caller's names,
branches test the same condition variables, loops run their recorded trip counts backwards, and
`v = stack.pop()` restores what the forward sweep overwrote, so every rule sees the values it
saw going forward.

Adjoints are tracked statically: the first contribution to `dv` is assigned, later ones are
added, and where control flow joins paths that disagree, the missing adjoint is set to zeros.
"""
import dataclasses
import inspect
import os

import gast

from .. import ir
from ..analysis.activity import (check_refusals, differentiable_inputs, is_varied,
                                 misused_sequence, names_read, operand_names, sequence_names,
                                 varied_names)
from ..errors import MissingRuleError, UnsupportedSyntaxError
from ..template import TemplateError, name_node
from . import syntax as s

RESULT = "__tl_result__"     # stands for an operation's result where it also is an operand


@dataclasses.dataclass
class Comment:
    """A comment line in generated code."""

    text: str


@dataclasses.dataclass
class Derivative:
    """The transform's output: what emit needs to write and compile df."""

    name: str
    params: list
    docstring: str
    body: list            # gast statements and Comments


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


class ReverseTransform:
    """Builds the reverse-mode derivative of one ir.Function."""

    def __init__(self, fn, parsed, wrt, namer, bindings, as_tuple=False, copied=(),
                 seeded=False, callee=None, guards=None):
        self.fn = fn
        self.guards = guards or {}     # statement id -> [(other name, message)]
        self.seeded = seeded           # df takes the result's adjoint as its first argument
        self.callee = callee           # (func, wrt) -> Compiled vjp of a called user function
        self.callees = []
        self.copied = sorted(copied)   # parameters written in place: df works on copies
        self.parsed = parsed
        self.wrt = list(wrt)
        self.namer = namer
        self.bindings = bindings    # spells numpy and runtime helpers in generated code
        self.as_tuple = as_tuple

    def name(self, free):
        return self.bindings.name(free)

    def np(self, attr):
        return s.attr(self.name("np"), attr)

    # -- the whole function ---------------------------------------------------------------------

    def run(self):
        fn = self.fn
        self.varied = varied_names(fn, self.wrt)
        check_refusals(fn, self.varied)
        self.seqs = sequence_names(fn)
        misused = misused_sequence(fn, self.varied, self.seqs)
        if misused:
            stmt, name = misused
            raise self.parsed.error(
                UnsupportedSyntaxError, stmt,
                f"`{name}` is a Python list of differentiated values, and {stmt.op.label} would "
                "treat it as an array",
                hint=f"instead: make it an array first, e.g. `np.stack({name})`")
        self.defined = {fn.result}
        backward = self.block(fn.body)
        final = set(self.defined)
        self.plan(backward)
        self.stack = self.namer.fresh("stack") if self.uses_stack else None
        prologue = []
        if self.copied:
            prologue.append(Comment(f"{self.fn.name} writes into these arguments: work on "
                                    "copies, the caller's arrays stay as they are"))
            prologue.extend(s.assign(p, s.call(self.name("owned"), [name_node(p)]))
                            for p in self.copied)
        if self.stack:
            prologue.append(s.assign(self.stack, s.call(self.name("Stack"), [])))
        if self.unbound:
            prologue.append(Comment("saved before their first assignment"))
            prologue.extend(s.assign(v, s.const(None)) for v in sorted(self.unbound))
        forward = self.forward(fn.body, in_loop=False)
        seed = self.namer.adjoint(fn.result)
        backward_code = [Comment(""), Comment("Backward sweep")]
        if not self.seeded:
            backward_code.append(
                s.assign(seed, s.call(self.np("ones_like"), [name_node(fn.result)])))
        backward_code += self.emit_backward(backward)
        backward_code += self.returns(final)
        prefix = "vjp" if self.seeded else "grad"
        deriv = Derivative(name=self.namer.fresh(f"{prefix}_{fn.name}"), params=fn.params,
                           docstring=self.docstring(), body=prologue + forward + backward_code)
        deriv.seed = seed
        return deriv

    def docstring(self):
        wrt = ", ".join(self.wrt)
        where = f"{os.path.basename(self.parsed.filename)}:{self.fn.lineno}"
        if self.seeded:
            return (f"Vector-Jacobian product of {self.fn.name} ({where}) with respect to "
                    f"{wrt}.\n\nGiven {self.namer.adjoint(self.fn.result)}, the gradient of "
                    f"some output with respect to\n{self.fn.name}'s result, returns the "
                    f"gradient with respect to {wrt}.")
        return (f"Gradient of {self.fn.name} ({where}) with respect to {wrt}.\n\n"
                "Reverse mode, generated by tangent_lite: the forward sweep runs "
                f"{self.fn.name}, the\nbackward sweep carries the gradient of its result "
                f"back to {wrt}.")

    def line_comment(self, lineno):
        return Comment(f"line {lineno}: {self.parsed.line(lineno).strip()}")

    # -- phase 1: adjoint statements, with static tracking of which adjoints are live --------------

    def block(self, stmts):
        out = []
        for stmt in reversed(stmts):
            if isinstance(stmt, ir.If):
                out.append(self.if_(stmt))
            elif isinstance(stmt, (ir.For, ir.While)):
                out.append(self.loop(stmt))
            elif isinstance(stmt, ir.Assign):
                out.append(_BStmt(stmt, self.assign(stmt)))
            elif isinstance(stmt, ir.SetItem):
                out.append(_BStmt(stmt, self.setitem(stmt)))
            else:
                out.append(_BStmt(stmt, []))
        return out

    def if_(self, stmt):
        before = set(self.defined)
        body = self.block(stmt.body)
        after_body, self.defined = self.defined, set(before)
        orelse = self.block(stmt.orelse)
        after_else = self.defined
        joined = after_body | after_else
        self.defined = joined
        return _BIf(stmt, body, orelse, sorted(joined - after_body), sorted(joined - after_else))

    def loop(self, stmt):
        """The loop body's adjoint runs once per iteration, so the adjoints live at its start
        must be a fixpoint: those live after the loop plus those the body leaves live."""
        before = set(self.defined)
        head = set(before)
        for _ in range(8):
            saved = self.namer.snapshot()
            self.defined = set(head)
            self.block(stmt.body)
            self.namer.restore(saved)
            if self.defined <= head:
                break
            head |= self.defined
        self.defined = set(head)
        body = self.block(stmt.body)
        zero_end = sorted(head - self.defined)
        self.defined = head
        return _BLoop(stmt, body, sorted(head - before), zero_end)

    def assign(self, stmt):
        v = stmt.target
        if len(stmt.targets) > 1 or v not in self.defined:
            self.defined.difference_update(stmt.targets)
            return []
        dv = self.namer.adjoint(v)
        if stmt.op is None:
            self.defined.discard(v)
            if isinstance(stmt.value, gast.Name) and stmt.value.id in self.varied:
                return self.contribute(stmt.value.id, name_node(dv))
            return []
        op = stmt.op
        if (op.prim is not None and op.prim.nondiff) or not any(
                is_varied(a, self.varied) for a in differentiable_inputs(op)):
            self.defined.discard(v)
            return []
        self_update = v in operand_names(op)
        if op.prim is None:
            items = self.user_call(stmt, dv)
        else:
            items = self.fill(stmt, name_node(RESULT if self_update else v), dv)
        out = [node for kind, *rest in items if kind == "stmt" for node in rest]
        self.defined.discard(v)
        own = []
        for kind, *rest in items:
            if kind != "grad":
                continue
            prelude, pairs = self.expand(*rest)
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
                total = s.call(self.name("add_grads"), own)
            out.append(s.assign(dv, total))
            self.defined.add(v)
        return out

    def setitem(self, stmt):
        """`y[i] = e`: e receives dy[i]; the overwritten part of y receives nothing."""
        y = stmt.target
        if y not in self.defined:
            return []
        dy = self.namer.adjoint(y)
        index = stmt.index
        out = []
        if is_varied(stmt.value, self.varied):
            part = gast.Subscript(value=name_node(dy), slice=s.copy(index), ctx=gast.Load())
            if not isinstance(stmt.value, gast.Name):
                raise AssertionError("setitem value is not an atom")
            out += self.contribute(stmt.value.id, s.call(self.name("unbroadcast"),
                                                         [part, name_node(stmt.value.id)]))
        out.append(s.assign(dy, s.call(self.name("unset"), [name_node(dy),
                                                             self.index_value(index)])))
        return out

    def fill(self, stmt, result, dv):
        op = stmt.op
        template = op.prim.adjoint
        args = list(op.args)
        if op.func is _getitem:
            args[1] = self.index_value(args[1])
        try:
            binding = template.bind(args, op.keywords)
        except TemplateError as exc:
            raise self.parsed.error(
                MissingRuleError, stmt, f"the derivative rule of {op.prim.name} does not "
                f"accept these arguments ({exc})",
                hint="call it with the arguments its rule supports, or register a rule with "
                     "@tangent_lite.adjoint") from None
        grads = template.differentiable_params()
        for pname, node in binding.items():
            if pname not in grads and is_varied(node, self.varied):
                raise self.parsed.error(
                    MissingRuleError, stmt,
                    f"{op.prim.name} has no derivative with respect to its argument "
                    f"`{pname}`, which depends on what is differentiated here",
                    hint="pass a constant there, or register a fuller rule with "
                         "@tangent_lite.adjoint")
        self.binding = binding
        names = _Spelling(self.bindings, template.func.__globals__)
        return template.fill(binding, result, dv, names,
                             fresh=lambda base: self.namer.fresh(f"{base}_{dv}"))

    def user_call(self, stmt, dv):
        """`y = helper(a, b)`: the backward sweep calls helper's own vjp, compiled (and
        cached) from its source: `da, db = vjp_helper(dy, a, b)`."""
        op = stmt.op
        func = op.func
        try:
            bound = inspect.signature(func).bind(*op.args, **op.keywords)
        except TypeError as exc:
            raise self.parsed.error(MissingRuleError, stmt, f"cannot call {op.label} with "
                                    f"these arguments ({exc})") from None
        wrt, targets = [], []
        for pname, node in bound.arguments.items():
            if is_varied(node, self.varied):
                if not isinstance(node, gast.Name):
                    raise self.parsed.error(
                        MissingRuleError, stmt, f"passing a list or tuple of differentiated "
                        f"values as `{pname}` to {op.label}",
                        hint="instead: pass the arrays as separate arguments")
                wrt.append(pname)
                targets.append(node.id)
        compiled = self.callee(func, tuple(wrt))
        self.callees.append(compiled)
        fname = self.bindings.name(f"vjp_{func.__name__}", compiled.df)
        call = s.call(fname, [name_node(dv)] + [s.copy(a) for a in op.args],
                      [gast.keyword(arg=k, value=s.copy(v)) for k, v in op.keywords.items()])
        self.binding = {t: name_node(t) for t in targets}
        if len(targets) == 1:
            return [("grad", targets[0], call)]
        parts = self.namer.fresh(f"d_{func.__name__}")
        out = [("stmt", s.assign(parts, call))]
        for k, t in enumerate(targets):
            out.append(("grad", t, gast.Subscript(value=name_node(parts), slice=s.const(k),
                                                  ctx=gast.Load())))
        return out

    def index_value(self, index):
        """The index of `x[...]` as a value: slices need `np.s_[...]` outside brackets."""
        index = s.copy(index)
        if any(isinstance(n, gast.Slice) for n in gast.walk(index)):
            return gast.Subscript(value=self.np("s_"), slice=index, ctx=gast.Load())
        return index

    def expand(self, target, value):
        """(statements, [(name, contribution)]) for a template's `d[param] = value`."""
        node = self.binding[target]
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
        """`dname = expr` for a first contribution, `dname = dname + expr` after."""
        dname = self.namer.adjoint(name)
        if name in self.defined and name in self.seqs:
            expr = s.call(self.name("add_grads"), [name_node(dname), expr])
        elif name in self.defined:
            expr = gast.BinOp(left=name_node(dname), op=gast.Add(), right=expr)
        self.defined.add(name)
        return [s.assign(dname, expr)]

    def returns(self, final):
        stmts = []
        grads = []
        for p in self.wrt:
            dp = self.namer.adjoint(p)
            if p not in final:
                stmts.append(Comment(f"{self.fn.result} does not depend on {p}"))
                stmts.append(s.assign(dp, s.call(self.np("zeros_like"), [name_node(p)])))
            grads.append(dp)
        if self.seeded:
            names = [name_node(g) for g in grads]
            stmts.append(gast.Return(value=names[0] if len(names) == 1 else s.tuple_(names)))
            return stmts
        if len(self.wrt) == 1 and not self.as_tuple:
            p = self.wrt[0]
            value = s.call(self.name("grad_like"), [name_node(grads[0]), name_node(p),
                                                    s.const(p)])
        else:
            value = s.call(self.name("grads_like"), [
                s.tuple_([name_node(g) for g in grads]),
                s.tuple_([name_node(p) for p in self.wrt]),
                s.tuple_([s.const(p) for p in self.wrt])])
        stmts.append(gast.Return(value=value))
        return stmts

    # -- phase 2: what the forward sweep must save ------------------------------------------------

    def plan(self, backward):
        """Decide the pushes: a value is saved when an assignment overwrites it and the
        backward sweep reads it. Saving makes more backward code live (a branch with a pop in
        it must test its condition), so iterate to a fixpoint."""
        reads = set(self.wrt)
        while True:
            self.pushes, self.unbound, self.counted = {}, set(), set()
            self.plan_block(self.fn.body, set(self.fn.params), set(self.fn.params), False,
                            reads)
            more = set(reads)
            self.collect_reads(backward, more)
            if more == reads:
                break
            reads = more
        self.uses_stack = bool(self.pushes or self.counted)

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
                    if RESULT in found:
                        found.discard(RESULT)
                        found.add(node.stmt.target)
                    reads |= found
            elif isinstance(node, _BIf):
                reads.add(node.stmt.test)
                reads.update(node.zero_body + node.zero_orelse)
                self.collect_reads(node.body, reads)
                self.collect_reads(node.orelse, reads)
            else:
                if isinstance(node.stmt, ir.For):
                    reads.add(node.stmt.iter)
                reads.update(node.zero_before + node.zero_end)
                self.collect_reads(node.body, reads)

    def live(self, node):
        """Whether a backward node emits anything (adjoint code or a pop)."""
        if isinstance(node, _BStmt):
            return bool(node.items) or id(node.stmt) in self.pushes
        if isinstance(node, _BIf):
            return bool(node.zero_body or node.zero_orelse) or any(
                self.live(n) for n in node.body + node.orelse)
        return bool(node.zero_before or node.zero_end) or any(self.live(n) for n in node.body)

    # -- phase 3: write both sweeps ----------------------------------------------------------------

    def forward(self, stmts, in_loop):
        out = []
        last = None
        for stmt in stmts:
            if not isinstance(stmt, ir.Break) and stmt.lineno != last:
                out.append(self.line_comment(stmt.lineno))
                last = stmt.lineno
            for other, message in self.guards.get(id(stmt), ()):
                out.append(s.expr(s.call(self.name("unshared"), [
                    name_node(stmt.target), name_node(other), s.const(message)])))
            for name in self.pushes.get(id(stmt), ()):
                saved = name_node(name)
                if isinstance(stmt, ir.SetItem):
                    saved = s.call(self.name("saved"), [gast.Subscript(
                        value=name_node(name), slice=s.copy(stmt.index), ctx=gast.Load())])
                out.append(s.expr(s.call(s.attr(self.stack, "push"), [saved])))
            if isinstance(stmt, ir.If):
                body = self.forward(stmt.body, in_loop) or [gast.Pass()]
                node = gast.If(test=name_node(stmt.test), body=body,
                               orelse=self.forward(stmt.orelse, in_loop))
                out.append(node)
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
            if not self.live(node):
                continue
            stmt = node.stmt
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
            for name in self.pushes.get(id(stmt), ()):
                out.append(s.assign(name, s.call(s.attr(self.stack, "pop"), [])))
        else:
            it = self.namer.fresh("_")
            out.append(gast.For(target=name_node(it, store=True),
                                iter=s.call("range", [name_node(counter)]), body=body,
                                orelse=[], type_comment=None))
        return out

    def zeros(self, names):
        return [s.assign(self.namer.adjoint(v), s.call(
            self.name("zeros_grad") if v in self.seqs else self.np("zeros_like"),
            [name_node(v)])) for v in names]

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
                _rename(items, RESULT, v)
                return items
            keep = self.namer.fresh(f"{v}_out")
            _rename(items, RESULT, keep)
            return [s.assign(keep, name_node(v))] + pops + items
        return pops + items


_getitem = __import__("operator").getitem


class _Spelling:
    """A template's free names (np, runtime helpers) -> their names in generated code."""

    def __init__(self, bindings, namespace):
        self.bindings = bindings
        self.namespace = namespace

    def __contains__(self, key):
        return key in self.namespace

    def __getitem__(self, key):
        return self.bindings.name(key, self.namespace[key])


def _rename(nodes, old, new):
    for node in nodes:
        for n in gast.walk(node):
            if isinstance(n, gast.Name) and n.id == old:
                n.id = new
