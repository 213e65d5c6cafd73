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
import operator
import os

import gast
import numpy as np

from .. import ir
from ..analysis.activity import (check_refusals, differentiable_inputs, is_varied,
                                 misused_sequence, names_read, operand_names, sequence_names,
                                 varied_names)
from ..analysis.fixpoint import fixpoint
from ..analysis.shapes import SCALAR, ShapeFacts, broadcasting, resolver
from ..errors import MissingRuleError, UnsupportedSyntaxError
from ..rules.template import TemplateError
from ..ir.syntax import name_node
from ..ir import syntax as s
from .copies import propagate_copies
from ..ir import Comment
from .sweeps import RESULT, SweepWriter, _BIf, _BLoop, _BStmt, rename


@dataclasses.dataclass
class Derivative:
    """The transform's output: what emit needs to write and compile df."""

    name: str
    params: list
    docstring: str
    body: list            # gast statements and Comments


_FULL_SUMS = (np.sum, np.mean)


class ReverseTransform(SweepWriter):
    """Builds the reverse-mode derivative of one ir.Function: the adjoint of each statement
    here, the two sweeps around them in SweepWriter."""

    def __init__(self, fn, parsed, wrt, namer, bindings, as_tuple=False, copied=(),
                 seeded=False, callee=None, guards=None, split=False, with_value=False,
                 numbers=False, summary=lambda func: None):
        self.fn = fn
        self.summary = summary         # a user function -> its result's shape set, or None
        self.numbers = numbers         # the variant of df for arguments that are all numbers
        self.split = split             # two functions: forward sweep, then a re-runnable backward
        self.with_value = with_value   # df returns (value, gradient)
        self.guards = guards or {}     # statement id -> [(other name, message)]
        self.seeded = seeded           # df takes the result's adjoint as its first argument
        self.callee = callee           # (func, wrt) -> Compiled vjp of a called user function
        self.callees = []
        self.loop_nodes = {}           # id(loop statement) -> its backward node
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
        several = getattr(fn, "returns_several", None)
        if several is not None:
            raise self.parsed.error(
                UnsupportedSyntaxError, several, "tangent_lite cannot differentiate returning "
                "several values in reverse mode: grad needs one output",
                hint="instead: return one value, or their sum (jvp accepts several)")
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
        for hook in ir.walk(fn.body):
            if isinstance(hook, ir.Hook):
                self.namer.claim_adjoint(hook.var, hook.alias)
        self.shapes = ShapeFacts(fn, self.numbers, resolver(self.parsed), self.summary)
        self.defined = {fn.result}
        self.owned = set()         # adjoints whose array no other variable refers to
        backward = self.block(fn.body)
        final = set(self.defined)
        # The forward sweep computes f's value when df returns it or reads it for the seed.
        self.seed_one = self.numbers and self.shapes.result == SCALAR
        reduced = None if self.with_value else self.reduced_result()
        # What the seed (or df's return) reads of the forward sweep's results.
        if self.with_value or self.split:
            self.seed_reads = {fn.result}
        elif self.seeded or self.seed_one:
            self.seed_reads = set()
        else:
            self.seed_reads = {reduced or fn.result}
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
        value = fn.result
        if self.with_value and any(value in names for names in self.pushes.values()):
            # The backward sweep pops earlier values of the result back: keep the final one.
            value = self.namer.fresh("value")
            forward.append(s.assign(value, name_node(fn.result)))
        seed = self.namer.adjoint(fn.result)
        backward_code = [Comment(""), Comment("Backward sweep")]
        if self.seeded or self.split:
            pass
        elif self.seed_one:
            # f computes a number from numbers: its adjoint starts as the number 1.0, and the
            # forward sweep need not compute f's value unless it is returned.
            backward_code.append(s.assign(seed, s.const(1.0)))
        elif reduced:
            # f returns the sum or mean of `reduced`: the seed needs only its dtype, so the
            # forward sweep need not compute the reduction.
            backward_code.append(
                s.assign(seed, s.call(self.name("unit_of"), [name_node(reduced)])))
        else:
            backward_code.append(
                s.assign(seed, s.call(self.name("unit_like"), [name_node(fn.result)])))
        backward_code += self.emit_backward(backward)
        backward_code += self.returns(final)
        propagate_copies(backward_code, prologue + forward + backward_code)
        if self.split:
            return self.split_sweeps(prologue + forward, backward_code[2:], seed)
        prefix = "vjp" if self.seeded else "grad"
        suffix = "_numbers" if self.numbers else ""
        deriv = Derivative(name=self.namer.fresh(f"{prefix}_{fn.name}{suffix}"), params=fn.params,
                           docstring=self.docstring(), body=prologue + forward + backward_code)
        deriv.seed = seed
        if self.with_value:
            ret = deriv.body[-1]
            ret.value = s.tuple_([name_node(value), ret.value])
        return deriv

    def reduced_result(self):
        """The array `v` when f ends with `return np.sum(v)` or `np.mean(v)` (the last
        statement, the only one assigning the result): a loss, whose value df needn't compute."""
        body, result = self.fn.body, self.fn.result
        last = body[-1] if body else None
        if not (isinstance(last, ir.Assign) and last.targets == [result] and last.op
                and last.op.func in _FULL_SUMS and len(last.op.args) == 1
                and not last.op.keywords and isinstance(last.op.args[0], gast.Name)):
            return None
        if sum(isinstance(st, ir.Assign) and result in st.targets
               for st in ir.walk(body)) != 1:
            return None
        v = last.op.args[0].id
        return None if v in self.seqs else v

    def split_sweeps(self, forward, backward, seed):
        """The forward sweep and the backward sweep as two functions, for a pullback that runs
        the backward sweep as often as it is called: the forward sweep returns its result and
        the state the backward sweep reads; the backward sweep works on copies of it."""
        assigned = set(self.fn.params)
        for node in forward:
            if not isinstance(node, Comment):
                assigned |= {n.id for n in gast.walk(node) if isinstance(n, gast.Name)
                             and isinstance(n.ctx, gast.Store)}
        read = set()
        for node in backward:
            if not isinstance(node, Comment):
                read |= names_read(node)
        state = sorted(read & assigned)
        restored = sorted({st.target for st in ir.walk(self.fn.body) if isinstance(
            st, ir.SetItem) and id(st) in self.pushes} & set(state))
        name = self.fn.name
        bound = ir.must_assigned(self.fn.body, self.fn.params) | set(self.unbound)
        maybe_unbound = [v for v in state if v not in bound and v != self.stack]
        if maybe_unbound:
            forward = [Comment("bound on some paths only")] + [
                s.assign(v, s.const(None)) for v in maybe_unbound] + forward
        fwd = Derivative(
            name=self.namer.fresh(f"forward_{name}"), params=self.fn.params,
            docstring=f"The forward sweep of {name}: its result, and what the backward sweep "
                      "needs.", body=forward + [gast.Return(value=s.tuple_([
                          name_node(self.fn.result),
                          s.tuple_([name_node(v) for v in state])]))])
        state_name = self.namer.fresh("state")
        unpack = gast.Assign(targets=[gast.Tuple(elts=[name_node(v, store=True) for v in state],
                                                 ctx=gast.Store())],
                             value=name_node(state_name), type_comment=None)
        prologue = [unpack] if state else []
        if self.stack:
            prologue.append(Comment("each call replays the sweep on its own copy"))
            prologue.append(s.assign(self.stack, s.call(self.name("Stack"),
                                                        [name_node(self.stack)])))
        prologue += [s.assign(v, s.call(self.name("owned"), [name_node(v)])) for v in restored]
        wrt = ", ".join(self.wrt)
        bwd = Derivative(
            name=self.namer.fresh(f"backward_{name}"), params=[state_name, seed],
            docstring=f"The backward sweep of {name}: given {seed}, the weights of its result, "
                      f"the gradient with respect to {wrt}.", body=prologue + backward)
        bwd.signature = f"{state_name}, {seed}"
        return fwd, bwd

    def docstring(self):
        wrt = ", ".join(self.wrt)
        where = f"{os.path.basename(self.parsed.filename)}:{self.fn.lineno}"
        if self.seeded:
            return (f"Vector-Jacobian product of {self.fn.name} ({where}) with respect to "
                    f"{wrt}.\n\nGiven {self.namer.adjoint(self.fn.result)}, the gradient of "
                    f"some output with respect to\n{self.fn.name}'s result, returns the "
                    f"gradient with respect to {wrt}.")
        if self.numbers:
            return (f"Gradient of {self.fn.name} ({where}) with respect to {wrt}, for "
                    "numbers.\n\nCalled when every argument is a Python or NumPy float (or "
                    "an int): every value\nis then a number, so the sweeps need none of the "
                    "shape bookkeeping arrays need,\nand the forward sweep computes only what "
                    "the backward sweep reads.")
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
            elif isinstance(stmt, ir.Hook):
                out.append(_BStmt(stmt, self.hook(stmt)))
            else:
                out.append(_BStmt(stmt, []))
        return out

    def hook(self, stmt):
        """`with grad_of(h) as dh:` runs here, where the adjoint of h is complete."""
        dh = self.namer.adjoint(stmt.var)
        items = []
        if stmt.var not in self.defined:
            items.append(s.assign(dh, s.call(self.np("zeros_like"), [name_node(stmt.var)])))
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
        return _BIf(stmt, body, orelse, sorted(zero_body), sorted(zero_else))

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
        node = _BLoop(stmt, body, sorted(head - before), zero_end)
        self.loop_nodes[id(stmt)] = node
        return node

    def trial(self, body, defined, owned):
        """Run the adjoint tracking over `body` from the given state without keeping anything
        (names it makes are handed out again): the (defined, owned) sets it ends with."""
        saved = self.namer.snapshot()
        self.defined, self.owned = set(defined), set(owned)
        self.block(body)
        self.namer.restore(saved)
        return self.defined, self.owned

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
            if not (isinstance(total, gast.Name) and total.id == dv):   # not `dv = dv`
                out.append(s.assign(dv, total))
            self.defined.add(v)
            self.set_owned(v, self.fresh_value(total))
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
        if is_varied(stmt.value, self.varied):
            part = gast.Subscript(value=name_node(dy), slice=s.copy(index), ctx=gast.Load())
            if in_place:   # dy[i] is about to be zeroed in place: take a copy, not a view
                part = s.call(self.name("saved"), [part])
            out += self.contribute(stmt.value.id, s.call(self.name("unbroadcast"),
                                                         [part, name_node(stmt.value.id)]))
        if in_place:
            out.append(gast.Assign(targets=[gast.Subscript(
                value=name_node(dy), slice=s.copy(index), ctx=gast.Store())],
                value=s.const(0.0), type_comment=None))
        else:
            out.append(s.assign(dy, s.call(self.name("unset"), [name_node(dy),
                                                                 self.index_value(index)])))
            self.set_owned(y, True)
        return out

    def fill(self, stmt, result, dv):
        op = stmt.op
        template = op.prim.adjoint
        args = list(op.args)
        if op.func is operator.getitem:
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
                             fresh=lambda base: self.namer.fresh(f"{base}_{dv}"),
                             shapes=self.shapes.at(stmt) if broadcasting(op.func) else None)

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
        return s.index_value(index, self.name("np"))

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
        """`dname = expr` for a first contribution, `dname = dname + expr` after, and
        `dname += expr` in place when dname's array is ours alone (owned)."""
        dname = self.namer.adjoint(name)
        if name in self.defined and name in self.seqs:
            self.owned.discard(name)
            return [s.assign(dname, s.call(self.name("add_grads"), [name_node(dname), expr]))]
        if name in self.defined and name in self.owned:
            if self.is_helper_call(expr, "unindex"):
                g, _, index = expr.args
                return [s.assign(dname, s.call(self.name("add_at"), [name_node(dname), index,
                                                                      g]))]
            return [gast.AugAssign(target=name_node(dname, store=True), op=gast.Add(),
                                   value=expr)]
        if name in self.defined:
            expr = gast.BinOp(left=name_node(dname), op=gast.Add(), right=expr)
        self.defined.add(name)
        self.set_owned(name, self.fresh_value(expr))
        return [s.assign(dname, expr)]

    def set_owned(self, name, owned):
        if owned and name not in self.seqs:
            self.owned.add(name)
        else:
            self.owned.discard(name)

    # Helpers whose result is a new array no other variable refers to.
    FRESH = {"unindex", "matmul_lhs", "matmul_rhs", "dot_lhs", "dot_rhs", "prod_adjoint",
             "norm_adjoint", "unset"}

    def fresh_value(self, expr):
        """Whether `expr` evaluates to a new array (so updating it in place is safe)."""
        if isinstance(expr, (gast.BinOp, gast.UnaryOp)):
            return True
        if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name):
            if self.is_helper_call(expr, "unbroadcast"):
                return self.fresh_value(expr.args[0])
            return any(self.is_helper_call(expr, h) for h in self.FRESH)
        return False

    def is_helper_call(self, expr, helper):
        spelled = self.bindings.spelled(helper)
        return (spelled is not None and isinstance(expr, gast.Call)
                and isinstance(expr.func, gast.Name) and expr.func.id == spelled)

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

class _Spelling:
    """A template's free names (np, runtime helpers) -> their names in generated code."""

    def __init__(self, bindings, namespace):
        self.bindings = bindings
        self.namespace = namespace

    def __contains__(self, key):
        return key in self.namespace

    def __getitem__(self, key):
        return self.bindings.name(key, self.namespace[key])
