"""Desugar a parsed function into the core language.

Control flow is made explicit here so the transforms stay simple:
- `a if c else b` becomes an if statement; every branch condition is assigned to a name;
- `for v in seq`, `enumerate`, `zip` become loops over a range object with an index;
- an early `return` outside loops moves the rest of the function into the else branch;
- `break`, `continue` and `return` that are followed by more statements set flags, and the
  statements after them run under `if not flag` guards, so every statement that ran in the
  forward sweep can be found again in the backward sweep;
- `x += e` becomes `x = x + e`, `y[i] += e` becomes `y[i] = y[i] + e` (after an aliasing check);
- a loop marked `checkpointed(...)` carries its snapshot count (checkpointed.py).
Anything outside the supported language stops here with an UnsupportedSyntaxError.
"""
import builtins
import copy
import dataclasses

import gast

from .. import ir, runtime
from ..hooks import grad_of
from .expressions import ExpressionNormalizer, load
from .inline import Inliner, always_returns
from .assignments import Assignments
from .checkpointed import CheckpointMarkers
from .inplace import InplaceLowering
from .comprehensions import Comprehensions
from .objects import Objects, explicit_super
from .unpack import Unpacking, lower_scratch_dicts
from .dict_methods import lower_dict_get
from .list_growth import extended
from .dict_writes import updated
from .star_calls import expand_star_calls
from .parse import UNRESOLVED
from ..ir.syntax import negate

_STMT_HINTS = {
    gast.With: "a `with` block: only `with tangent_lite.grad_of(...)` is planned; move the "
               "block out of the differentiated function",
    gast.Try: "try/except: move the error handling out of the differentiated function",
    gast.ClassDef: "a class defined inside the function: define it at module level",
    gast.Global: "`global`: pass the value in as an argument and return the new one",
    gast.Nonlocal: "`nonlocal`: pass the value in as an argument and return the new one",
    gast.Delete: "`del`: leave the name alone (it is freed when the function returns)",
    gast.Import: "an import inside the function: import at module level",
    gast.ImportFrom: "an import inside the function: import at module level",
    gast.AsyncFor: "`async for`: differentiate a plain function",
    gast.AsyncWith: "`async with`: differentiate a plain function",
}


def _unsupported_ending(stmts):
    """The statement tangent_lite refuses (a `try`, ...) that ends a path through `stmts`, if
    any: a function whose every path returns inside a `try` is refused for the `try`, not for
    reaching its end."""
    last = stmts[-1] if stmts else None
    if isinstance(last, gast.If):
        return _unsupported_ending(last.body) or _unsupported_ending(last.orelse)
    if type(last) in _STMT_HINTS and not isinstance(last, gast.With):
        return last
    return None


@dataclasses.dataclass
class _Loop:
    broke: str = None        # flag set by a `break` that has statements after it
    skipped: str = None      # flag set by a `continue` that has statements after it
    returns: bool = False    # a flagged `return` inside this loop


class Normalizer(Inliner, Assignments, Unpacking, InplaceLowering, Objects, Comprehensions,
                 CheckpointMarkers, ExpressionNormalizer):
    """Turns one ParsedFunction into an ir.Function."""

    def __init__(self, parsed, namer, bindings):
        super().__init__(parsed, namer, bindings)
        self.loop = None
        self.returns_several = None   # a `return a, b` (forward mode only)
        self.returned = None      # flag of a `return` that cannot end the function in place
        self.result = None

    # -- the function ---------------------------------------------------------------------------

    def function(self):
        node = self.parsed.node
        args = node.args
        # *args and **kwargs are parameters too; never differentiated (wrt names only the
        # named ones), their values are constants.
        params = [a.id for a in list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs)
                  + [a for a in (args.vararg, args.kwarg) if a is not None]]
        for n in _walk_own(node):
            if isinstance(n, (gast.Yield, gast.YieldFrom)):
                raise self.unsupported(n, "a generator (`yield`): return an array instead")
        body = list(node.body)
        if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:]  # the docstring
        self.result = self.result_name(body)
        if not always_returns(body):
            ending = _unsupported_ending(body)
            if ending is not None:   # `try: return a / except: return b`: say what is wrong
                raise self.unsupported(ending, _STMT_HINTS[type(ending)])
            raise self.parsed.error(
                type(self.unsupported(node, "x")), node,
                f"{node.name} can reach its end without returning a value",
                hint="end every path through the function with `return <value>`")
        self.statements(body, tail=True)
        if self.returned:
            self.out.insert(0, self.flag(self.returned, False))
        return ir.Function(name=self.parsed.name, params=params, body=self.out,
                           result=self.result, lineno=node.lineno,
                           signature=_signature(args))

    def result_name(self, body):
        returns = [n for s in body for n in gast.walk(s) if isinstance(n, gast.Return)]
        last = body[-1] if body else None
        if (len(returns) == 1 and last is returns[0] and isinstance(last.value, gast.Name)
                and last.value.id not in {a.id for a in self.parsed.node.args.args}):
            return last.value.id
        return self.namer.fresh("result")

    # -- statement lists and jumps ----------------------------------------------------------------

    def statements(self, stmts, tail=False, loop_tail=False):
        """Normalize a block; return the jump flags it may set.

        `tail`: nothing runs after the block in the function; `loop_tail`: nothing runs after
        it in the innermost loop's body. A jump in tail position needs no flag.
        """
        flags = set()
        for idx, stmt in enumerate(stmts):
            rest = stmts[idx + 1:]
            self.lineno = stmt.lineno
            stmt = self.hoist_walrus(stmt)      # comprehensions.py
            if isinstance(stmt, gast.If) and rest and self.loop is None:
                # An early return outside loops: the rest of the block is the other branch.
                if always_returns(stmt.body) and not always_returns(stmt.orelse):
                    stmt, rest = _copy_if(stmt, stmt.body, stmt.orelse + rest), []
                elif always_returns(stmt.orelse):
                    stmt, rest = _copy_if(stmt, stmt.body + rest, stmt.orelse), []
            self.lineno = stmt.lineno
            last = not rest
            mine = self.statement(stmt, tail and last, loop_tail and last)
            flags |= mine
            if last:
                return flags   # the rest (if any) was moved into a branch
            if rest and mine:
                test = gast.UnaryOp(op=gast.Not(), operand=_or([load(f) for f in sorted(mine)]))
                cond = self.condition(test)
                inner = set()
                body = self.block(lambda: inner.update(
                    self.statements(rest, tail, loop_tail)))
                self.emit(ir.If(test=cond, body=body, orelse=[], lineno=self.lineno))
                return flags | inner
            if isinstance(stmt, (gast.Return, gast.Break, gast.Continue)):
                return flags  # what follows can never run
        return flags

    def flag(self, name, value):
        return ir.Assign(targets=[name], value=gast.Constant(value=value, kind=None), op=None,
                         lineno=self.lineno)

    def set_flag(self, name):
        self.emit(self.flag(name, True))
        return {name}

    def is_grad_of(self, stmt):
        items = stmt.items
        return (len(items) == 1 and isinstance(items[0].context_expr, gast.Call)
                and self.parsed.resolve(items[0].context_expr.func) is grad_of
                and len(items[0].context_expr.args) == 1)

    # -- statements ------------------------------------------------------------------------------

    def statement(self, stmt, tail, loop_tail):
        """Normalize one statement; return the jump flags it may set."""
        if isinstance(stmt, gast.If):
            return self.if_(stmt, tail, loop_tail)
        if isinstance(stmt, gast.For):
            return self.for_(stmt)
        if isinstance(stmt, gast.While):
            return self.while_(stmt)
        if isinstance(stmt, gast.Return):
            return self.return_(stmt, tail, loop_tail)
        if isinstance(stmt, gast.Break):
            return self.break_(stmt, loop_tail)
        if isinstance(stmt, gast.Continue):
            return self.continue_(stmt, loop_tail)
        if isinstance(stmt, gast.With) and self.is_grad_of(stmt):
            return self.hook(stmt)
        if isinstance(stmt, gast.FunctionDef):
            if stmt.decorator_list:
                raise self.unsupported(stmt, "a decorated nested function: define it at module "
                                             "level")
            self.local_funcs[stmt.name] = stmt
            return set()
        if isinstance(stmt, gast.Assign):
            self.assign_all(stmt.targets, stmt.value, stmt)
        elif isinstance(stmt, gast.AnnAssign) and stmt.value is not None:
            self.assign_to(stmt.target, stmt.value, stmt)
        elif isinstance(stmt, gast.AugAssign):
            self.augmented(stmt)
        elif isinstance(stmt, gast.Expr):
            self.expression_statement(stmt)
        elif isinstance(stmt, (gast.Assert, gast.Raise)):
            # A check on the values of the forward sweep: it runs there, exactly as in f.
            self.emit(ir.Effect(node=stmt, lineno=stmt.lineno))
        elif not isinstance(stmt, gast.Pass):
            hint = _STMT_HINTS.get(type(stmt), f"the statement `{type(stmt).__name__}`")
            raise self.unsupported(stmt, hint)
        return set()

    def hook(self, stmt):
        """`with grad_of(var) as alias:` -> an ir.Hook run in the backward sweep."""
        item = stmt.items[0]
        var = item.context_expr.args[0]
        alias = item.optional_vars
        if not isinstance(var, gast.Name) or not isinstance(alias, gast.Name):
            raise self.unsupported(stmt, "this grad_of block: write `with grad_of(name) as "
                                         "dname:` with plain names")
        self.emit(ir.Hook(var=var.id, alias=alias.id, body=stmt.body, lineno=stmt.lineno))
        return set()

    def expression_statement(self, stmt):
        """An expression run for its effect: a push (generated code), `items.append(v)`, a
        print or other call; a method that may change its object in place is refused."""
        value = stmt.value
        lowered = self.writes(value, stmt)
        if lowered is not None:
            self.emit_writes(lowered[0], stmt)
        elif _is_push(value, self.stacks):
            self.emit(ir.Push(stack=value.func.value.id, value=self.atom(value.args[0]),
                              lineno=self.lineno))
        elif self.is_inline_call(value):
            # a nested function, lambda, or helper that writes into its arguments: its body
            # runs here (frontend/inline.py), its result is dropped
            self.inline(value)
        elif updated(value) is not None and self.rebuilt_dict(updated(value)[0]):
            self.update_dict(*updated(value), stmt)   # dict_writes.py
        elif extended(value) is not None and extended(value)[0] in self.list_names():
            self.grow_list(*extended(value), inplace=True)   # list_growth.py
        elif _is_append(value):
            # items.append(v) -> items = append(items, v): lists stay values.
            items = value.func.value.id
            expr, op = self.numpy_call(runtime.append, "append", [
                load(items), self.atom(value.args[0])], {}, value)
            self.emit(ir.Assign(targets=[items], value=expr, op=op, lineno=self.lineno,
                                refuse=op.refuse, inplace=True))
        elif isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and \
                self.parsed.resolve(value.func.value) is UNRESOLVED:
            raise self.unsupported(stmt, "a method called for its effect (it may change "
                                         "its object in place): assign the result instead, "
                                         "e.g. `x = np.sort(x)`")
        elif not isinstance(value, gast.Constant):
            self.emit(ir.Effect(node=stmt, lineno=stmt.lineno, refuse=self.effect_refusal(stmt)))

    def effect_refusal(self, stmt):
        """The error for a call run for its effect on differentiated values, unless it only
        prints or checks (print, tangent_lite's run-time checks in generated code): NumPy's
        `out=`, np.copyto, ufunc.at or a helper of yours may write into them."""
        value = stmt.value
        if not isinstance(value, gast.Call):
            return None
        callee = self.parsed.resolve(value.func)
        if callee is print or callee in (runtime.unshared, runtime.copied_in_order,
                                           runtime.unpacks):
            return None
        spelled = gast.unparse(value.func) if hasattr(gast, "unparse") else "this function"
        return lambda: self.unsupported(stmt, (
            f"a call of {spelled} run for its effect on a value that depends on what is "
            "differentiated: it may write into its arguments (out=, np.copyto, ufunc.at, a "
            "helper that fills an array), which the derivative would not see: assign its "
            "result (`y = np.multiply(a, b)` for `np.multiply(a, b, out=y)`), or pass "
            "tl.stop_gradient(v) if the call only reads v"))

    def return_(self, stmt, tail, loop_tail):
        if stmt.value is None:
            raise self.unsupported(stmt, "a bare `return`: return the value to differentiate")
        if isinstance(stmt.value, (gast.Tuple, gast.List)):
            self.returns_several = stmt
        if not (isinstance(stmt.value, gast.Name) and stmt.value.id == self.result):
            self.assign(self.result, stmt.value)
        if tail:
            return set()
        if self.returned is None:
            self.returned = self.namer.fresh("returned")
        flags = self.set_flag(self.returned)
        if self.loop is not None:
            if loop_tail:
                self.emit(ir.Break(lineno=stmt.lineno))
            else:
                self.loop.returns = True
        return flags

    def if_(self, stmt, tail, loop_tail):
        test = self.condition(stmt.test)
        flags = set()
        body = self.block(lambda: flags.update(self.statements(stmt.body, tail, loop_tail)))
        orelse = self.block(lambda: flags.update(self.statements(stmt.orelse, tail, loop_tail)))
        self.emit(ir.If(test=test, body=body, orelse=orelse, lineno=stmt.lineno))
        return flags

    def break_(self, stmt, loop_tail):
        if self.loop is None:
            raise self.unsupported(stmt, "`break` outside a loop")
        if loop_tail:
            self.emit(ir.Break(lineno=stmt.lineno))
            return set()
        self.loop.broke = self.loop.broke or self.namer.fresh("broke")
        return self.set_flag(self.loop.broke)

    def continue_(self, stmt, loop_tail):
        if self.loop is None:
            raise self.unsupported(stmt, "`continue` outside a loop")
        if loop_tail:
            return set()
        self.loop.skipped = self.loop.skipped or self.namer.fresh("skipped")
        return self.set_flag(self.loop.skipped)

    # -- loops -----------------------------------------------------------------------------------

    def for_(self, stmt):
        if stmt.orelse:
            raise self.unsupported(stmt, "`for ... else`: set a flag before `break` instead")
        target, it = stmt.target, stmt.iter
        it, snapshots = self.checkpoint_marker(it)
        func = self.parsed.resolve(it.func) if isinstance(it, gast.Call) else None
        prefix = []      # (target name, sequence atom) bound from the index each iteration
        items = None     # or unpacking targets and their sequences (unpack.py)
        if func is builtins.range and isinstance(target, gast.Name):
            index = target.id
            rng = self.range_object(it.args, it)
        elif func is builtins.enumerate and _names(target, 2) and len(it.args) == 1 \
                and not it.keywords:
            seq = self.atom(it.args[0])
            index, value = [e.id for e in target.elts]
            rng = self.range_object([_len(seq)], it)
            prefix.append((value, seq))
        elif func is builtins.reversed and isinstance(target, gast.Name) and \
                len(it.args) == 1 and not it.keywords:
            seq = self.atom(it.args[0])
            index = self.namer.fresh(f"i_{target.id}")
            last = gast.BinOp(left=_len(seq), op=gast.Sub(), right=gast.Constant(value=1,
                                                                                  kind=None))
            minus_one = negate(gast.Constant(value=1, kind=None))
            rng = self.range_object([last, minus_one, minus_one], it)
            prefix.append((target.id, seq))
        elif func is builtins.zip and _names(target, len(it.args)) and not it.keywords:
            seqs = [self.atom(a) for a in it.args]
            names = [e.id for e in target.elts]
            index = self.namer.fresh("i")
            size = _len(seqs[0]) if len(seqs) == 1 else gast.Call(
                func=load("min"), args=[_len(s) for s in seqs], keywords=[])
            rng = self.range_object([size], it)
            prefix.extend(zip(names, seqs))
        elif (keyed := self.keys_loop(target, it, func, stmt)) is not None:
            index, rng, items = keyed     # `for k in params` reading params[k] (unpack.py)
        elif isinstance(target, gast.Name) and self.dict_view(it) is None:
            seq = self.atom(it)
            index = self.namer.fresh(f"i_{target.id}")
            rng = self.range_object([_len(seq)], it)
            prefix.append((target.id, seq))
        else:   # unpacking targets, dict views, nested enumerate/zip (unpack.py)
            index, rng, items = self.loop_items(target, it, stmt)
        outer, self.loop = self.loop, _Loop()
        try:
            def fill():
                for name, seq in prefix:
                    self.assign(name, gast.Subscript(value=seq, slice=load(index),
                                                     ctx=gast.Load()))
                if items:
                    self.bind_loop_items(items, index, stmt)
                self.loop_body(stmt.body)
            body = self.block(fill)
            loop = self.loop
        finally:
            self.loop = outer
        counter = self.namer.fresh("n_iter") if _has_break(body) else None
        self.emit_loop_flags(loop)
        self.emit(ir.For(target=index, iter=rng, body=body, lineno=stmt.lineno,
                         counter=counter, snapshots=snapshots))
        return self.after_loop(loop)

    def while_(self, stmt):
        if stmt.orelse:
            raise self.unsupported(stmt, "`while ... else`: set a flag before `break` instead")
        test, snapshots = self.checkpoint_marker(stmt.test)
        for n in gast.walk(test):
            if isinstance(n, gast.NamedExpr):
                raise self.unsupported(n, "the walrus operator `:=`: assign with `=` on its "
                                          "own line")
        outer, self.loop = self.loop, _Loop()
        try:
            body = self.block(lambda: self.loop_body(stmt.body))
            loop = self.loop
        finally:
            self.loop = outer
        self.emit_loop_flags(loop)
        self.emit(ir.While(test=self.verbatim(test), body=body, lineno=stmt.lineno,
                           counter=self.namer.fresh("n_iter"), snapshots=snapshots))
        return self.after_loop(loop)

    def loop_body(self, stmts):
        self.statements(stmts, tail=False, loop_tail=True)
        loop = self.loop
        if loop.skipped:
            self.out.insert(0, self.flag(loop.skipped, False))
        exits = [f for f in (loop.broke, self.returned if loop.returns else None) if f]
        if exits:
            cond = self.condition(_or([load(f) for f in exits]))
            self.emit(ir.If(test=cond, body=[ir.Break(lineno=self.lineno)], orelse=[],
                            lineno=self.lineno))

    def emit_loop_flags(self, loop):
        if loop.broke:
            self.emit(self.flag(loop.broke, False))

    def after_loop(self, loop):
        """A return inside the loop guards what follows the loop, and exits outer loops."""
        inner_return = loop.returns or any(
            isinstance(s, ir.Assign) and s.targets == [self.returned] for s in ir.walk(
                self.out[-1].body)) if self.returned else False
        if inner_return and self.loop is not None:
            self.loop.returns = True
        return {self.returned} if inner_return else set()

    def range_object(self, args, node):
        name = self.namer.fresh("t_range")
        value = gast.Call(func=load("range"), args=list(args), keywords=[])
        for a in args:
            if not self.inactive(a) and not isinstance(a, gast.Name):
                value = None
        if value is None:
            value = gast.Call(func=load("range"), args=[self.atom(a) for a in args],
                              keywords=[])
        self.emit(ir.Assign(targets=[name], value=value, op=None, lineno=self.lineno))
        return name

    # -- assignments -----------------------------------------------------------------------------

def _is_push(call, stacks):
    return (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute)
            and call.func.attr == "push" and isinstance(call.func.value, gast.Name)
            and call.func.value.id in stacks and len(call.args) == 1)


def _is_append(call):
    return (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute)
            and call.func.attr == "append" and isinstance(call.func.value, gast.Name)
            and len(call.args) == 1 and not call.keywords)


def _walk_own(node):
    """Nodes of a function body, not descending into nested functions or classes."""
    todo = list(node.body)
    while todo:
        n = todo.pop()
        yield n
        if not isinstance(n, (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda,
                              gast.ClassDef)):
            todo.extend(gast.iter_child_nodes(n))


def _signature(args):
    """The parameter list as source, without annotations."""
    args = copy.deepcopy(args)
    for a in list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs):
        a.annotation = None
    text = gast.unparse(gast.Lambda(args=args, body=gast.Constant(value=None, kind=None)))
    return text.strip()[len("lambda"):].rsplit(":", 1)[0].strip()


def _has_break(body):
    """Whether `body` breaks out of its own loop (breaks of nested loops do not count)."""
    for s in body:
        if isinstance(s, ir.Break):
            return True
        if isinstance(s, ir.If) and (_has_break(s.body) or _has_break(s.orelse)):
            return True
    return False


def _copy_if(stmt, body, orelse):
    return gast.copy_location(gast.If(test=stmt.test, body=body, orelse=orelse), stmt)


def _names(target, n):
    return (isinstance(target, (gast.Tuple, gast.List)) and len(target.elts) == n
            and all(isinstance(e, gast.Name) for e in target.elts))


def _len(node):
    return gast.Call(func=load("len"), args=[node], keywords=[])


def _or(values):
    return values[0] if len(values) == 1 else gast.BoolOp(op=gast.Or(), values=values)


def normalize(parsed, namer, bindings):
    """The ir.Function for `parsed`, reserving every name it uses in `namer`."""
    explicit_super(parsed)
    for n in gast.walk(parsed.node):
        if isinstance(n, gast.Name):
            namer.reserve(n.id)
    lower_dict_get(parsed.node, parsed, bindings)   # `d.get(k, v)`: a conditional read
    expand_star_calls(parsed.node, parsed.resolve)   # `f(*parts)` of a known length
    lower_scratch_dicts(parsed.node, namer)   # `cache['h']` -> `cache_h` (unpack.py)
    normalizer = Normalizer(parsed, namer, bindings)
    fn = normalizer.function()
    fn.returns_several = normalizer.returns_several
    return fn
