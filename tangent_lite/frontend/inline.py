"""Nested functions and lambdas are inlined where they are called.

A nested `def` or a `lambda` is a closure over the enclosing function's variables, which may
be the very values being differentiated. Inlining its body at each call (parameters and locals
renamed apart) makes those dependencies ordinary data flow, with the call's own branches, loops
and early returns normalized like any other code.
"""

import gast

from ..ir.syntax import clone
from .expressions import load


class Inliner:
    """Mixin of Normalizer: inlines calls of nested functions and lambdas."""

    # -- nested functions and lambdas ----------------------------------------------------------

    def is_inline_call(self, node):
        return isinstance(node, gast.Call) and (
            isinstance(node.func, gast.Lambda) or (
                isinstance(node.func, gast.Name) and node.func.id in self.local_funcs))

    def inline(self, call):
        """Inline a call of a nested function or lambda; return the name of its result.

        The body is normalized in place, its parameters and locals renamed apart, so it sees
        the enclosing function's variables as a closure would when called.
        """
        fdef = call.func if isinstance(call.func, gast.Lambda) else self.local_funcs[
            call.func.id]
        label = "lambda" if isinstance(fdef, gast.Lambda) else fdef.name
        if label in self.inlining:
            raise self.unsupported(call, f"recursion in the nested function `{label}`: write "
                                         "it as a loop")
        body = [gast.copy_location(gast.Return(value=fdef.body), fdef.body)] if isinstance(
            fdef, gast.Lambda) else list(fdef.body)
        if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value,
                                                                  gast.Constant):
            body = body[1:]
        args = fdef.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
            raise self.unsupported(call, f"calling `{label}`, which has *args, **kwargs or "
                                         "keyword-only parameters: give it plain parameters")
        if not always_returns(body):
            raise self.unsupported(call, f"calling `{label}`, which can end without "
                                         "returning a value: end every path with `return`")
        params = [a.id for a in args.args]
        local = set(params) | {n.id for st in body for n in gast.walk(st)
                               if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        rename = {n: self.namer.fresh(f"{n}_{label}") for n in sorted(local)}
        values = self.bind_call(call, params, args.defaults, label)
        for p, value in zip(params, values):
            self.assign(rename[p], value)
        body = [Rename(rename).visit(clone(st)) for st in body]
        saved = (self.loop, self.result, self.returned)
        self.loop, self.returned = None, None
        self.result = self.namer.temp(label)
        self.inlining.append(label)
        start = len(self.out)
        try:
            self.statements(body, tail=True)
            if self.returned:
                self.out.insert(start, self.flag(self.returned, False))
            return load(self.result)
        finally:
            self.inlining.pop()
            self.loop, self.result, self.returned = saved

    def bind_call(self, call, params, defaults, label):
        if any(isinstance(a, gast.Starred) for a in call.args) or any(
                k.arg is None for k in call.keywords):
            raise self.unsupported(call, f"*args or **kwargs in the call of `{label}`: pass "
                                         "the arguments one by one")
        values = dict(zip(params, call.args))
        if len(call.args) > len(params):
            raise self.unsupported(call, f"too many arguments for `{label}`: pass "
                                         f"{len(params)}")
        for k in call.keywords:
            if k.arg not in params or k.arg in values:
                raise self.unsupported(call, f"the keyword `{k.arg}` in the call of "
                                             f"`{label}`: pass each parameter once")
            values[k.arg] = k.value
        for p, default in zip(params[len(params) - len(defaults):], defaults):
            values.setdefault(p, default)
        missing = [p for p in params if p not in values]
        if missing:
            raise self.unsupported(call, f"the call of `{label}` without `{missing[0]}`: pass "
                                         "every parameter")
        return [values[p] for p in params]


def always_returns(stmts):
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, (gast.Return, gast.Raise)):   # a raise ends the path too
        return True
    if isinstance(last, gast.If):
        return always_returns(last.body) and always_returns(last.orelse)
    return False


class Rename(gast.NodeTransformer):
    """Rename variables by a mapping."""

    def __init__(self, mapping):
        self.mapping = mapping

    def visit_Name(self, node):
        if node.id in self.mapping:
            node.id = self.mapping[node.id]
        return node
