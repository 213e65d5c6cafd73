"""Comprehensions, generator expressions and the walrus operator, lowered to statements.

- `[e for v in seq if c]` becomes the loop a person would write, so the loop machinery
  (trip counts, saved values) differentiates it:

      squares = []
      for v in seq:
          if c:
              squares.append(e)

  Nested `for`s become nested loops. The comprehension's variables do not leak: one that the
  function uses elsewhere is renamed apart (`v2`).
- `sum(e for v in seq)` accumulates as Python's `sum` does (`total = 0`, then
  `total = total + e` in order); `list`, `tuple`, `min`, `max`, `any`, `all` and `sorted` of a
  generator expression take the list the loop builds. A generator expression anywhere else
  (passed to a function that may consume it lazily, or kept as a value) is refused.
- `(y := e)` becomes `y = e` before the statement, where that is what Python does: refused
  where `e` would run only conditionally (after `and`/`or`, in a conditional expression, in a
  `while` test), where the statement reads `y` before the walrus, and where moving `e` ahead
  would reorder it with a call that is not a pure NumPy function.
"""
import builtins

import gast

from .. import ir, runtime
from ..ir.syntax import clone
from ..rules import lookup
from .expressions import load
from .inline import Rename

# Consumers of a generator expression that take the whole sequence at once.
_LIST_CONSUMERS = (builtins.list, builtins.tuple, builtins.min, builtins.max, builtins.any,
                   builtins.all, builtins.sorted)
_COMPREHENSIONS = (gast.ListComp, gast.GeneratorExp, gast.SetComp, gast.DictComp)


class Comprehensions:
    """Mixin of the Normalizer: comprehensions into loops, walrus into assignments."""

    # -- comprehensions --------------------------------------------------------------------------

    def is_comprehension(self, node):
        """Whether `node` is a list comprehension, or a call that consumes a generator
        expression whole (`sum(e for v in x)`)."""
        if isinstance(node, (gast.ListComp, gast.DictComp)):
            return True
        return self._consumer(node) is not None

    def _consumer(self, node):
        if not (isinstance(node, gast.Call) and len(node.args) >= 1 and
                isinstance(node.args[0], gast.GeneratorExp)):
            return None
        func = self.parsed.resolve(node.func)
        if func is builtins.sum and len(node.args) <= 2 and not node.keywords:
            return func
        if func in _LIST_CONSUMERS and len(node.args) == 1:
            return func
        return None

    def comprehension(self, node, target=None):
        """Emit the loop of a comprehension (see is_comprehension); return the name holding
        its value, `target` when it is given and the comprehension does not read it."""
        reads = {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}
        if isinstance(node, gast.DictComp):
            return self._dict_comprehension(node, target, reads)
        consumer = self._consumer(node)
        if consumer is builtins.sum:
            gen = node.args[0]
            start = node.args[1] if len(node.args) > 1 else gast.Constant(value=0, kind=None)
            name = target if target is not None and target not in reads else \
                self.namer.temp("sum")
            self.assign(name, start)

            def step(elt):   # name = name + elt, in order, as sum adds
                return gast.Assign(targets=[_store(name)], value=gast.BinOp(
                    left=load(name), op=gast.Add(), right=elt), type_comment=None)
            self._loops(gen, step)
            return name
        comp = node.args[0] if consumer is not None else node
        direct = consumer is None or consumer is builtins.list
        name = target if direct and target is not None and target not in reads else \
            self.namer.temp("list")
        self.assign(name, gast.List(elts=[], ctx=gast.Load()))
        self._loops(comp, lambda elt: gast.Expr(value=gast.Call(
            func=gast.Attribute(value=load(name), attr="append", ctx=gast.Load()),
            args=[elt], keywords=[])))
        if direct:
            return name
        call = gast.Call(func=node.func, args=[load(name)], keywords=[])
        gast.copy_location(call, node)
        result = target if target is not None else self.namer.temp(
            getattr(consumer, "__name__", "call"))
        self.assign(result, call)
        return result

    def _dict_comprehension(self, node, target, reads):
        """`{k: e for k in seq}`: the loop appends each key and each value to its own list
        (keys first, as Python evaluates them), then `dict_of(keys, values)` makes the dict,
        whose rule (rules/pytrees.py) gives each value the gradient at its key."""
        name = target if target is not None and target not in reads else \
            self.namer.temp("dict")
        keys, values = self.namer.fresh(f"{name}_keys"), self.namer.fresh(f"{name}_values")
        for lst in (keys, values):
            self.assign(lst, gast.List(elts=[], ctx=gast.Load()))
        pair = gast.ListComp(elt=gast.Tuple(elts=[node.key, node.value], ctx=gast.Load()),
                             generators=node.generators)
        gast.copy_location(pair, node)
        self._loops(pair, lambda elt: [_append(keys, elt.elts[0]),
                                       _append(values, elt.elts[1])])
        args = [load(keys), load(values)]
        call = gast.Call(func=load(self.bindings.name("dict_of", runtime.dict_of)),
                         args=args, keywords=[])
        op = self.op(runtime.dict_of, "a dict comprehension", args, {}, node, hint="dict")
        self.emit(ir.Assign(targets=[name], value=call, op=op, lineno=self.lineno))
        return name

    def _loops(self, comp, step):
        """Emit nested for loops (and ifs) of comp's generators around step(elt)."""
        comp = clone(comp)
        _rename_inside(comp, _Rename(self._comprehension_names(comp)))
        body = step(comp.elt)
        body = body if isinstance(body, list) else [body]
        for gen in reversed(comp.generators):
            if gen.is_async:
                raise self.unsupported(comp, "an async comprehension: write a for loop")
            for cond in reversed(gen.ifs):
                body = [gast.If(test=cond, body=body, orelse=[])]
            body = [gast.For(target=gen.target, iter=gen.iter, body=body, orelse=[],
                             type_comment=None)]
        loop = body[0]
        for n in gast.walk(loop):
            if isinstance(n, (gast.stmt, gast.expr)):
                n.lineno = getattr(n, "lineno", None) or comp.lineno
                n.col_offset = getattr(n, "col_offset", None) or comp.col_offset
        saved = self.lineno
        self.for_(loop)
        self.lineno = saved

    def _comprehension_names(self, comp):
        """The comprehension's variables the function also uses outside it -> fresh names."""
        outside = self._names_outside_comprehensions()
        rename = {}
        for gen in comp.generators:
            for n in gast.walk(gen.target):
                if isinstance(n, gast.Name) and n.id in outside and n.id not in rename:
                    rename[n.id] = self.namer.fresh(n.id)
                    self.parsed.local_names.add(rename[n.id])
        return rename

    def _names_outside_comprehensions(self):
        names = getattr(self, "_outside", None)
        if names is None:
            names = self._outside = _names_outside(self.parsed.node)
        return names

    # -- the walrus operator ---------------------------------------------------------------------

    def hoist_walrus(self, stmt):
        """Emit `y = e` for each `(y := e)` in stmt's own expressions (not in its nested
        statements); return stmt with the walruses replaced by their names."""
        if isinstance(stmt, gast.While):
            for n in gast.walk(stmt.test):
                if isinstance(n, gast.NamedExpr):
                    raise self.unsupported(n, "the walrus operator `:=` in a `while` test (it "
                                              "runs again before every iteration): assign "
                                              "before the loop and again at the end of its "
                                              "body")
            return stmt
        fields = _own_expressions(stmt)
        walruses = [w for f in fields for w in _walruses(getattr(stmt, f))]
        if not walruses:
            return stmt
        if isinstance(stmt, gast.AugAssign):   # `s += e` reads s before e runs
            read = {n.id for n in gast.walk(stmt.target) if isinstance(n, gast.Name)}
            for w in walruses:
                if w.target.id in read:
                    raise self.unsupported(w, f"the walrus operator `{w.target.id} := ...` "
                                              "in an augmented assignment that reads "
                                              f"`{w.target.id}` first: assign with `=` on "
                                              "its own line")
        stmt = clone(stmt)
        fields_nodes = [getattr(stmt, f) for f in fields]
        for field, root in zip(fields, fields_nodes):
            order = _evaluation_order(root)
            for w in [w for w in order if isinstance(w, gast.NamedExpr)]:
                self._check_walrus(w, root, order)
            for w in [w for w in order if isinstance(w, gast.NamedExpr)]:
                self.assign_to(w.target, w.value, stmt)
            setattr(stmt, field, _Unwalrus().visit(root))
        return stmt

    def _check_walrus(self, w, root, order):
        name = w.target.id
        spelled = f"`{name} := ...`"
        conditional = _conditional_nodes(root)
        if any(w is n for n in conditional):
            raise self.unsupported(w, f"the walrus operator {spelled} where it runs only "
                                      "sometimes (after `and`/`or`, or in a conditional "
                                      "expression): assign with `=` on its own line")
        inner = {id(n) for n in gast.walk(w.value)}
        position = next(i for i, n in enumerate(order) if n is w)
        before = [n for n in order[:position] if id(n) not in inner]
        if any(isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Load)
               for n in before):
            raise self.unsupported(w, f"the walrus operator {spelled} in a statement that "
                                      f"reads `{name}` before it: assign with `=` on its own "
                                      "line")
        if not all(self._pure(c) for c in before if isinstance(c, gast.Call)) and not all(
                self._pure(c) for c in gast.walk(w.value) if isinstance(c, gast.Call)):
            raise self.unsupported(w, f"the walrus operator {spelled} after a call that may "
                                      "have effects (its value would be computed first): "
                                      "assign with `=` on its own line")

    def _pure(self, call):
        func = self.parsed.resolve(call.func)
        return lookup(func) is not None or func in (builtins.len, builtins.range,
                                                    builtins.abs, builtins.float)


def _append(name, value):
    return gast.Expr(value=gast.Call(
        func=gast.Attribute(value=load(name), attr="append", ctx=gast.Load()),
        args=[value], keywords=[]))


def _store(name):
    return gast.Name(id=name, ctx=gast.Store(), annotation=None, type_comment=None)


def _names_outside(fdef):
    """Names the function uses outside comprehensions (and its parameters)."""
    args = fdef.args
    names = {a.id for a in list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs)}
    todo = list(fdef.body)
    while todo:
        n = todo.pop()
        if isinstance(n, _COMPREHENSIONS):
            # Only the first iterable runs in the enclosing scope.
            todo.append(n.generators[0].iter)
            continue
        if isinstance(n, gast.Name):
            names.add(n.id)
        todo.extend(gast.iter_child_nodes(n))
    return names


class _Rename(Rename):
    """Rename variables, except where a nested comprehension binds the same name again."""

    def _nested(self, node):
        node.generators[0].iter = self.visit(node.generators[0].iter)
        bound = {n.id for g in node.generators for n in gast.walk(g.target)
                 if isinstance(n, gast.Name)}
        _rename_inside(node, _Rename({k: v for k, v in self.mapping.items()
                                      if k not in bound}))
        return node

    visit_ListComp = visit_GeneratorExp = visit_SetComp = visit_DictComp = _nested


def _rename_inside(comp, renamer):
    """Rename in what runs in comp's own scope: all but its first iterable."""
    for k, g in enumerate(comp.generators):
        g.target = renamer.visit(g.target)
        if k:
            g.iter = renamer.visit(g.iter)
        g.ifs = [renamer.visit(c) for c in g.ifs]
    for field in ("elt", "key", "value"):
        if hasattr(comp, field):
            setattr(comp, field, renamer.visit(getattr(comp, field)))


class _Unwalrus(gast.NodeTransformer):
    """Each walrus of a statement's own evaluation replaced by its name (those in lambdas and
    comprehensions run in their own time and stay)."""

    def visit_NamedExpr(self, node):
        return load(node.target.id)

    def _own_scope(self, node):
        return node

    visit_Lambda = visit_ListComp = visit_GeneratorExp = visit_SetComp = visit_DictComp = \
        _own_scope


def _own_expressions(stmt):
    """The fields of stmt holding expressions it evaluates itself (not nested statements)."""
    if isinstance(stmt, (gast.If, gast.While)):
        return ["test"]
    if isinstance(stmt, gast.For):
        return ["iter"]
    if isinstance(stmt, (gast.Assign, gast.AugAssign, gast.AnnAssign, gast.Expr,
                         gast.Return)):
        return ["value"] if getattr(stmt, "value", None) is not None else []
    if isinstance(stmt, gast.Assert):
        return ["test"]
    if isinstance(stmt, gast.Raise):
        return ["exc"] if stmt.exc is not None else []
    return []


def _walruses(node):
    """The walruses of an expression, not inside lambdas or comprehensions (those run in
    their own time: a comprehension's are lowered with it)."""
    out, todo = [], [node]
    while todo:
        n = todo.pop()
        if isinstance(n, (gast.Lambda,) + _COMPREHENSIONS):
            continue
        if isinstance(n, gast.NamedExpr):
            out.append(n)
        todo.extend(gast.iter_child_nodes(n))
    return out


def _evaluation_order(node):
    """The nodes of an expression in the order Python evaluates them (operands before the
    operation), not descending into lambdas or comprehensions."""
    out = []

    def visit(n):
        if isinstance(n, (gast.Lambda,) + _COMPREHENSIONS):
            out.append(n)
            return
        if isinstance(n, gast.NamedExpr):
            visit(n.value)
            out.append(n)
            return
        for child in gast.iter_child_nodes(n):
            visit(child)
        out.append(n)
    visit(node)
    return out


def _conditional_nodes(root):
    """Nodes that run only sometimes: the operands of `and`/`or` after the first, and the
    branches of a conditional expression."""
    out = []
    for n in gast.walk(root):
        if isinstance(n, gast.BoolOp):
            for v in n.values[1:]:
                out.extend(gast.walk(v))
        elif isinstance(n, gast.IfExp):
            out.extend(gast.walk(n.body))
            out.extend(gast.walk(n.orelse))
    return out
