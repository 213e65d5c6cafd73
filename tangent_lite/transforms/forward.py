"""Forward mode: each statement is followed by the statement computing its tangent.

`jvp_f(x, W, *, dx, dW)` runs f and, alongside, the tangents of every value that depends on
`dx` and `dW`; it returns `(result, dresult)`. No stack is needed: tangents flow forward with
the values, through the same branches and loops.

Which tangents exist is tracked statically, like adjoints in reverse mode: a term of a rule
whose argument has no tangent is dropped; where control flow joins paths that disagree, the
missing tangent is set to zeros; loops take the fixpoint of what their body leaves defined.
"""
import gast

from .. import ir
from ..analysis.activity import (check_refusals, differentiable_inputs, operand_names,
                                 varied_names)
from ..analysis.fixpoint import fixpoint
from ..ir import Comment
from ..ir import syntax as s
from ..ir.syntax import name_node
from ..ir.uses import names_read
from ..frontend.callables import callee_name
from .common import (Derivative, alias_checks, bind_rule, bind_user_call, bound_for_checks,
                     call_of, compile_callee, copied_arguments, loop_statement,
                     refuse_misused_sequences, spelling)


class ForwardTransform:
    """Builds the forward-mode derivative (jvp) of one ir.Function."""

    def __init__(self, ctx, wrt, callee=None, copied=(), guards=None):
        self.ctx = ctx
        self.copied = copied           # parameters written in place: work on copies
        self.guards = guards or {}     # statement id -> run-time alias checks (aliasing.py)
        self.fn = ctx.fn
        self.wrt = list(wrt)
        self.namer = ctx.namer
        self.callee = callee           # (func, wrt) -> Compiled jvp of a called user function
        self.callees = []

    def name(self, free):
        return self.ctx.name(free)

    def run(self):
        fn = self.fn
        self.varied = varied_names(fn, self.wrt)
        check_refusals(fn, self.varied)
        if not hasattr(self.ctx.parsed.func, "__tangent_lite__"):
            # the user's lists (generated gradient code, differentiated for hvp, passes
            # lists of adjoints to runtime helpers that take them as lists)
            refuse_misused_sequences(self.ctx, self.varied)
        self.defined = set(self.wrt)          # names whose tangent holds a value here
        self.heads = []                       # tangents live at the heads of enclosing loops
        self.exists = set(fn.params)          # names certainly bound here
        self.tangent_params = {p: self.namer.adjoint(p) for p in self.wrt}
        body = copied_arguments(self.ctx, self.copied) + bound_for_checks(
            self.ctx, self.guards) + self.block(fn.body)
        result = fn.result
        dresult = self.namer.adjoint(result)
        if result not in self.defined:
            body.append(Comment(f"{result} does not depend on {', '.join(self.wrt)}"))
            body.append(s.assign(dresult, s.call(self.name("zeros_grad"), [name_node(result)])))
        body.append(gast.Return(value=s.tuple_([name_node(result), name_node(dresult)])))
        wrt = ", ".join(self.wrt)
        doc = (f"Forward-mode derivative of {fn.name} with respect to {wrt}.\n\n"
               f"Returns ({fn.name}'s result, its tangent): the directional derivative along "
               f"the tangents\n{', '.join(self.tangent_params.values())}, computed alongside "
               "the values by tangent_lite.")
        deriv = Derivative(name=self.namer.fresh(f"jvp_{fn.name}"), params=fn.params,
                           docstring=doc, body=body)
        return deriv

    # -- statements ---------------------------------------------------------------------------

    def block(self, stmts):
        out = []
        last = None
        for stmt in stmts:
            if isinstance(stmt, ir.Hook):
                continue   # gradient hooks belong to reverse mode
            if not isinstance(stmt, ir.Break) and stmt.lineno != last:
                out.append(self.ctx.line_comment(stmt.lineno))
                last = stmt.lineno
            out.extend(alias_checks(self.ctx, stmt, self.guards))
            if isinstance(stmt, ir.If):
                out.append(self.if_(stmt))
                last = None
            elif isinstance(stmt, (ir.For, ir.While)):
                out.extend(self.loop(stmt))
                last = None
            elif isinstance(stmt, ir.Break):
                # the loop head expects the tangents live there: those the body has made
                # undefined so far are zeros when leaving early (the body's end is skipped)
                out.extend(self.zeros(self.heads[-1] - self.defined, self.exists))
                out.append(gast.Break())
            elif isinstance(stmt, ir.Effect):
                out.append(stmt.node)
            elif isinstance(stmt, ir.Push):
                out.extend(self.push(stmt))
            elif isinstance(stmt, ir.SetItem):
                out.extend(self.setitem(stmt))
            else:
                out.extend(self.assign(stmt))
        return out

    def if_(self, stmt):
        before, exists = set(self.defined), set(self.exists)
        body = self.block(stmt.body) or [gast.Pass()]
        after_body, exists_body = self.defined, self.exists
        self.defined, self.exists = set(before), set(exists)
        orelse = self.block(stmt.orelse)
        after_else, exists_else = self.defined, self.exists
        self.exists = exists_body & exists_else
        body += self.zeros(after_else - after_body, exists_body)
        orelse += self.zeros(after_body - after_else, exists_else)
        self.defined = after_body | after_else
        return gast.If(test=name_node(stmt.test), body=body, orelse=orelse)

    def loop(self, stmt):
        """Tangents live at the loop head: those live before it, plus those the body leaves
        live (a loop-carried value's tangent from the previous iteration)."""
        before, exists = set(self.defined), set(self.exists)

        def grow(head):
            saved = self.namer.snapshot()
            self.defined, self.exists = set(head), set(exists)
            self.heads.append(head)
            self.block(stmt.body)
            self.heads.pop()
            self.namer.restore(saved)
            return head | (self.defined & exists)

        head = fixpoint(grow, frozenset(before), len(self.varied | before),
                        "tangents live at a loop's head")
        self.defined, self.exists = set(head), set(exists)
        self.heads.append(head)
        body = self.block(stmt.body)
        self.heads.pop()
        after = set(self.defined)
        body += self.zeros(head - self.defined, self.exists)
        out = self.zeros(head - before, exists)
        out.append(loop_statement(stmt, body))
        # Values first bound in the body exist after the loop only if it ran: then so do
        # their tangents.
        self.defined, self.exists = set(head | after), exists
        return out

    def zeros(self, names, exists):
        """Set missing tangents to zeros (None where the value itself may not exist: then
        the code that would read the tangent cannot run either)."""
        out = []
        for v in sorted(names):
            value = s.call(self.name("zeros_grad"), [name_node(v)]) if v in exists \
                else s.const(None)
            out.append(s.assign(self.namer.adjoint(v), value))
        return out

    def push(self, stmt):
        """`stack.push(v)` also saves v's tangent (None for a value without one), so every
        pop takes a value and its tangent."""
        v = stmt.value
        tangent = s.const(None)
        if isinstance(v, gast.Name) and v.id in self.varied:
            tangent = name_node(self.namer.adjoint(v.id)) if v.id in self.defined else \
                s.call(self.name("zeros_grad"), [name_node(v.id)])
        return [s.expr(s.call(s.attr(stmt.stack, "push"), [s.copy(v)])),
                s.expr(s.call(s.attr(stmt.stack, "push"), [tangent]))]

    def setitem(self, stmt):
        y = stmt.target
        target = gast.Subscript(value=name_node(y), slice=s.copy(stmt.index), ctx=gast.Store())
        out = [gast.Assign(targets=[target], value=s.copy(stmt.value), type_comment=None)]
        tv = self.tangent_of(stmt.value)
        if y not in self.defined and tv is None:
            return out
        dy = self.namer.adjoint(y)
        current = name_node(dy) if y in self.defined else s.const(0.0)
        out.append(s.assign(dy, s.call(self.name("with_item"), [
            current, name_node(y), self.ctx.index_value(stmt.index),
            tv if tv is not None else s.const(0.0)])))
        self.defined.add(y)
        return out

    def assign(self, stmt):
        targets = stmt.targets
        primal = _primal(stmt)
        self.exists.update(targets)
        if len(targets) > 1:
            self.defined.difference_update(targets)
            return [primal]
        v = stmt.target
        dv = self.namer.adjoint(v)
        op = stmt.op
        if isinstance(stmt, ir.Pop):
            # v = stack.pop(): the tangent was pushed after the value.
            pop = s.call(s.attr(stmt.stack, "pop"), [])
            if v not in self.varied:
                return [s.expr(pop), primal]
            self.defined.add(v)
            return [s.assign(dv, pop), primal]
        if op is None:
            tangent = self.tangent_of(stmt.value) if isinstance(stmt.value, gast.Name) else None
            return self.finish(v, [primal], [], tangent)
        if (op.prim is not None and op.prim.nondiff) or not any(
                self.tangent_of(a) is not None for a in differentiable_inputs(op)):
            return self.finish(v, [primal], [], None)
        if op.prim is None:
            return self.user_call(stmt)
        if v not in operand_names(op):
            stmts, tangent = self.fill(stmt, name_node(v))
            return self.finish(v, [primal], stmts, tangent)
        # v = f(v, ...): the tangent may need the old v, the new one, or both.
        new = self.namer.fresh(f"{v}_new")
        saved = self.namer.snapshot()
        stmts, tangent = self.fill(stmt, name_node(new))
        reads = set().union(*(names_read(n) for n in stmts + [tangent])) if tangent else set()
        if new in reads and v in reads:
            compute = s.assign(new, s.copy(stmt.value))
            return self.finish(v, [compute], stmts, tangent, then=[s.assign(v, name_node(new))])
        self.namer.restore(saved)
        if new in reads:
            stmts, tangent = self.fill(stmt, name_node(v))
            return self.finish(v, [primal], stmts, tangent)
        self.finish(v, [], stmts, tangent)
        return stmts + ([s.assign(dv, tangent)] if tangent is not None else []) + [primal]

    def finish(self, v, primal, stmts, tangent, then=()):
        if tangent is None:
            self.defined.discard(v)
            return list(primal) + list(then)
        self.defined.add(v)
        return list(primal) + stmts + [s.assign(self.namer.adjoint(v), tangent)] + list(then)

    def fill(self, stmt, result):
        template, binding = bind_rule(self.ctx, stmt, "tangent", self.carries)
        return template.fill_tangent(binding, result, lambda p: self.tangent_of(binding[p]),
                                     spelling(self.ctx, template), fresh=lambda base:
                                     self.namer.fresh(f"{base}_{result.id}"))

    def carries(self, node):
        return self.tangent_of(node) is not None

    def tangent_of(self, node):
        """The tangent of an argument node: a name, a list of tangents, or None (zero)."""
        if isinstance(node, gast.Name):
            if node.id in self.varied and node.id in self.defined:
                return name_node(self.namer.adjoint(node.id))
            return None
        if isinstance(node, (gast.List, gast.Tuple)):
            parts = [self.tangent_of(e) for e in node.elts]
            if all(p is None for p in parts):
                return None
            return type(node)(elts=[p if p is not None else s.call(
                self.name("zeros_grad"), [s.copy(e)]) for p, e in zip(parts, node.elts)],
                ctx=gast.Load())
        return None


    def user_call(self, stmt):
        """`y = helper(a, b)` -> `y, dy = jvp_helper(a, b, da=da)`: helper's own forward
        derivative, compiled and cached from its source."""
        v = stmt.target
        pairs = bind_user_call(self.ctx, stmt, self.carries)
        compiled = compile_callee(self.ctx, stmt, self.callee, tuple(p for p, _ in pairs))
        self.callees.append(compiled)
        stem = callee_name(stmt.op.func, stmt.op.hint)
        call = call_of(self.ctx, f"jvp_{stem}", compiled, stmt, keywords=[
            gast.keyword(arg=compiled.tangent_params[p], value=self.tangent_of(node))
            for p, node in pairs])
        target = gast.Tuple(elts=[name_node(v, store=True),
                                  name_node(self.namer.adjoint(v), store=True)],
                            ctx=gast.Store())
        self.defined.add(v)
        return [gast.Assign(targets=[target], value=call, type_comment=None)]

def _primal(stmt):
    if len(stmt.targets) == 1:
        return s.assign(stmt.target, s.copy(stmt.value))
    target = gast.Tuple(elts=[name_node(t, store=True) for t in stmt.targets], ctx=gast.Store())
    return gast.Assign(targets=[target], value=s.copy(stmt.value), type_comment=None)
