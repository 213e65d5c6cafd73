"""Desugar a parsed function into the core language (A-normal form).

Nested expressions become a sequence of single-operation assignments with readable
temporaries (`t_sin = np.sin(x)`); expressions that can never carry a gradient (shapes,
comparisons, index expressions) stay inline so the forward sweep reads like the original.
Anything outside the supported language stops here with an UnsupportedSyntaxError.
"""
import operator

import gast

from .. import ir
from ..errors import MissingRuleError, UnsupportedSyntaxError
from ..rules import lookup
from .parse import _UNRESOLVED

BINOPS = {
    gast.Add: (operator.add, "+", "add"), gast.Sub: (operator.sub, "-", "sub"),
    gast.Mult: (operator.mul, "*", "mul"), gast.Div: (operator.truediv, "/", "div"),
    gast.Pow: (operator.pow, "**", "pow"), gast.MatMult: (operator.matmul, "@", "matmul"),
    gast.FloorDiv: (operator.floordiv, "//", "floordiv"), gast.Mod: (operator.mod, "%", "mod"),
}
UNARYOPS = {gast.USub: (operator.neg, "unary -", "neg"), gast.UAdd: (operator.pos, "unary +",
                                                                      "pos")}
# Array attributes that are integers, shapes or dtypes: never differentiated.
INACTIVE_ATTRS = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes"}

_LATER = "arrives with control-flow support (see the project's issues); until then"
_STMT_HINTS = {
    gast.If: f"`if` statements: support {_LATER} use np.where(cond, a, b)",
    gast.For: f"`for` loops: support {_LATER} write the computation with array operations",
    gast.While: f"`while` loops: support {_LATER} write the computation with array operations",
    gast.AugAssign: f"augmented assignment: support {_LATER} write `x = x + e`",
    gast.With: "a `with` block: only `with tangent_lite.grad_of(...)` is planned; move the "
               "block out of the differentiated function",
    gast.Try: "try/except: move the error handling out of the differentiated function",
    gast.Raise: "`raise`: move the check out of the differentiated function",
    gast.FunctionDef: f"nested function definitions: support {_LATER} define it at module "
                      "level",
    gast.ClassDef: "a class defined inside the function: define it at module level",
    gast.Global: "`global`: pass the value in as an argument and return the new one",
    gast.Nonlocal: "`nonlocal`: pass the value in as an argument and return the new one",
    gast.Delete: "`del`: leave the name alone (it is freed when the function returns)",
    gast.Import: "an import inside the function: import at module level",
    gast.ImportFrom: "an import inside the function: import at module level",
    gast.Break: "`break` outside a loop",
    gast.Continue: "`continue` outside a loop",
    gast.AsyncFor: "`async for`: differentiate a plain function",
    gast.AsyncWith: "`async with`: differentiate a plain function",
}
_EXPR_HINTS = {
    gast.IfExp: f"a conditional expression: support {_LATER} use np.where(cond, a, b)",
    gast.Lambda: f"a lambda inside the function: support {_LATER} define a module-level "
                 "function",
    gast.ListComp: "a list comprehension: use an array operation (np.stack, broadcasting)",
    gast.SetComp: "a set comprehension: compute it outside the differentiated function",
    gast.DictComp: "a dict comprehension: compute it outside the differentiated function",
    gast.GeneratorExp: "a generator expression: use an array operation (np.sum, np.stack)",
    gast.Dict: "a dict literal: pass the values as separate arguments",
    gast.Set: "a set literal: compute it outside the differentiated function",
    gast.Yield: "`yield` (a generator): return an array instead",
    gast.YieldFrom: "`yield from` (a generator): return an array instead",
    gast.Await: "`await`: differentiate a plain function",
    gast.NamedExpr: "the walrus operator `:=`: assign with `=` on its own line",
    gast.Starred: "`*args` in a call: pass the arguments one by one",
    gast.BoolOp: "`and`/`or` as a value: use np.logical_and / np.logical_or, or np.where",
}


class Normalizer:
    """Turns one ParsedFunction into an ir.Function."""

    def __init__(self, parsed, namer):
        self.parsed = parsed
        self.namer = namer
        self.out = []
        self.lineno = parsed.node.lineno

    # -- errors -----------------------------------------------------------------------------

    def unsupported(self, node, what):
        construct, _, hint = what.partition(": ")
        return self.parsed.error(UnsupportedSyntaxError, node,
                                 f"tangent_lite cannot differentiate {construct}",
                                 hint=("instead: " + hint) if hint else None)

    # -- functions ----------------------------------------------------------------------------

    def function(self):
        node = self.parsed.node
        args = node.args
        if args.vararg or args.kwarg:
            star = args.vararg or args.kwarg
            raise self.unsupported(star, "*args / **kwargs parameters: name each parameter")
        params = [a.id for a in list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs)]
        defaults = {}
        positional = list(args.posonlyargs) + list(args.args)
        for a, default in zip(positional[len(positional) - len(args.defaults):], args.defaults):
            defaults[a.id] = gast.unparse(default) if hasattr(gast, "unparse") else None
        for a, default in zip(args.kwonlyargs, args.kw_defaults):
            if default is not None:
                defaults[a.id] = gast.unparse(default) if hasattr(gast, "unparse") else None
        body = list(node.body)
        if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value, gast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:]  # the docstring
        result = None
        for i, stmt in enumerate(body):
            self.lineno = stmt.lineno
            if isinstance(stmt, gast.Return):
                if i != len(body) - 1:
                    raise self.unsupported(
                        stmt, f"a `return` before the end of the function: support {_LATER} "
                              "compute the result and return it on the last line")
                result = self.returned(stmt)
            else:
                self.statement(stmt)
        if result is None:
            raise self.parsed.error(
                UnsupportedSyntaxError, node,
                f"{node.name} returns nothing, so there is nothing to differentiate",
                hint="end the function with `return <value>`")
        return ir.Function(name=self.parsed.name, params=params, body=self.out, result=result,
                           lineno=node.lineno, defaults_source=defaults)

    def returned(self, stmt):
        value = stmt.value
        if value is None:
            raise self.unsupported(stmt, "a bare `return`: return the value to differentiate")
        if isinstance(value, (gast.Tuple, gast.List)):
            raise self.unsupported(
                stmt, "returning several values: grad needs one output; return one value, or "
                      "their sum")
        if isinstance(value, gast.Name):
            return value.id
        target = self.namer.fresh("result")
        self.assign(target, value)
        return target

    # -- statements ---------------------------------------------------------------------------

    def statement(self, stmt):
        if isinstance(stmt, gast.Assign):
            if len(stmt.targets) != 1:
                raise self.unsupported(stmt, "chained assignment `a = b = ...`: assign each "
                                             "name on its own line")
            self.assign_to(stmt.targets[0], stmt.value, stmt)
        elif isinstance(stmt, gast.AnnAssign) and stmt.value is not None:
            self.assign_to(stmt.target, stmt.value, stmt)
        elif isinstance(stmt, gast.Expr):
            if isinstance(stmt.value, gast.Constant):
                return  # a bare string or number does nothing
            self.out.append(ir.Effect(node=stmt, lineno=stmt.lineno))
        elif isinstance(stmt, gast.Assert):
            self.out.append(ir.Effect(node=stmt, lineno=stmt.lineno))
        elif isinstance(stmt, gast.Pass):
            return
        else:
            hint = _STMT_HINTS.get(type(stmt), f"the statement `{type(stmt).__name__}`")
            raise self.unsupported(stmt, hint)

    def assign_to(self, target, value, stmt):
        if isinstance(target, gast.Name):
            self.assign(target.id, value)
        elif isinstance(target, (gast.Tuple, gast.List)) and all(
                isinstance(e, gast.Name) for e in target.elts):
            names = [e.id for e in target.elts]
            if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(names):
                # a, b = e1, e2: evaluate both before binding either (a, b = b, a swaps).
                atoms = [self.atom(e) for e in value.elts]
                for name, a in zip(names, atoms):
                    self.assign(name, a)
            else:
                self.out.append(ir.Assign(
                    targets=names, value=value, op=None, lineno=self.lineno,
                    refuse=lambda: self.unsupported(
                        stmt, f"unpacking a differentiated value into several names: support "
                              f"{_LATER} index it: `a = v[0]`")))
        elif isinstance(target, gast.Subscript):
            raise self.unsupported(stmt, f"assignment into a subscript `x[i] = ...`: support "
                                         f"{_LATER} build the array with np.stack / "
                                         "np.concatenate / np.where")
        elif isinstance(target, gast.Attribute):
            raise self.unsupported(stmt, "assignment to an attribute: return the value instead")
        else:
            raise self.unsupported(stmt, "this assignment target: assign to a plain name")

    def assign(self, target, value):
        """Emit `target = value` in A-normal form."""
        if isinstance(value, (gast.Name, gast.Constant)) or self.inactive(value):
            self.out.append(ir.Assign(targets=[target], value=value, op=None,
                                      lineno=self.lineno))
            return
        value, op = self.operation(value)
        self.out.append(ir.Assign(targets=[target], value=value, op=op, lineno=self.lineno,
                                  refuse=getattr(op, "refuse", None)))

    def atom(self, node):
        """A name, constant or inactive expression equal to `node`'s value."""
        if isinstance(node, (gast.Name, gast.Constant)) or self.inactive(node):
            return node
        value, op = self.operation(node)
        name = self.namer.temp(_hint(op))
        self.out.append(ir.Assign(targets=[name], value=value, op=op, lineno=self.lineno,
                                  refuse=getattr(op, "refuse", None)))
        return _load(name)

    # -- expressions ---------------------------------------------------------------------------

    def inactive(self, node):
        """True for expressions that can never carry a gradient; they stay inline."""
        if isinstance(node, gast.Constant):
            return True
        if isinstance(node, (gast.Compare,)):
            return True
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.Not, gast.Invert)):
            return True
        if isinstance(node, gast.UnaryOp) and isinstance(node.operand, gast.Constant):
            return True
        if isinstance(node, gast.Attribute):
            if node.attr in INACTIVE_ATTRS:
                return True
            obj = self.parsed.resolve(node)
            return obj is not _UNRESOLVED and not callable(obj)
        if isinstance(node, gast.Subscript):
            return self.inactive(node.value)
        if isinstance(node, (gast.Tuple, gast.List)):
            return all(self.inactive(e) for e in node.elts)
        if isinstance(node, gast.Call):
            prim = lookup(self.parsed.resolve(node.func))
            return prim is not None and prim.nondiff == "zero"
        if isinstance(node, gast.JoinedStr):
            return True
        return False

    def operation(self, node):
        """(forward expression on atoms, ir.Op) for one operation."""
        if isinstance(node, gast.BinOp):
            func, label, hint = BINOPS.get(type(node.op), (None, type(node.op).__name__, "op"))
            if func is None:
                raise self.unsupported(node, f"the operator {label}: use the NumPy function")
            left, right = self.atom(node.left), self.atom(node.right)
            expr = gast.BinOp(left=left, op=node.op, right=right)
            return expr, self.op(func, label, [left, right], {}, node, hint=hint)
        if isinstance(node, gast.UnaryOp):
            func, label, hint = UNARYOPS[type(node.op)]
            operand = self.atom(node.operand)
            expr = gast.UnaryOp(op=node.op, operand=operand)
            return expr, self.op(func, label, [operand], {}, node, hint=hint)
        if isinstance(node, gast.Call):
            return self.call(node)
        if isinstance(node, gast.Subscript):
            value = self.atom(node.value)
            expr = gast.Subscript(value=value, slice=node.slice, ctx=gast.Load())
            return expr, self.op(operator.getitem, "indexing x[...]", [value, node.slice], {},
                                 node, hint="item")
        if isinstance(node, gast.Attribute):
            if node.attr == "T" and self.parsed.resolve(node.value) is _UNRESOLVED:
                import numpy as np
                value = self.atom(node.value)
                expr = gast.Attribute(value=value, attr="T", ctx=gast.Load())
                return expr, self.op(np.transpose, ".T", [value], {}, node, hint="T")
            raise self.unsupported(node, f"the attribute `.{node.attr}`: array methods and "
                                         f"attributes {_LATER} call the NumPy function")
        if isinstance(node, (gast.Tuple, gast.List)):
            elts = [self.atom(e) for e in node.elts]
            expr = type(node)(elts=elts, ctx=gast.Load())
            op = self.op(None, "a tuple or list", elts, {}, node, hint="seq")
            op.refuse = lambda: self.unsupported(
                node, f"a list or tuple of differentiated values: support {_LATER} use "
                      "np.stack or np.array of the values")
            return expr, op
        hint = _EXPR_HINTS.get(type(node), f"the expression `{type(node).__name__}`")
        raise self.unsupported(node, hint)

    def call(self, node):
        for a in node.args:
            if isinstance(a, gast.Starred):
                raise self.unsupported(a, _EXPR_HINTS[gast.Starred])
        if any(k.arg is None for k in node.keywords):
            raise self.unsupported(node, "`**kwargs` in a call: pass the keywords one by one")
        func = self.parsed.resolve(node.func)
        if func is _UNRESOLVED and isinstance(node.func, gast.Attribute):
            raise self.unsupported(node, f"the method call `.{node.func.attr}(...)`: array "
                                         f"methods {_LATER} call the NumPy function "
                                         f"np.{node.func.attr}(x, ...)")
        args = [self._call_arg(a) for a in node.args]
        keywords = {k.arg: self._call_arg(k.value) for k in node.keywords}
        expr = gast.Call(func=node.func, args=args,
                         keywords=[gast.keyword(arg=k, value=v) for k, v in keywords.items()])
        label = gast.unparse(node.func) if hasattr(gast, "unparse") else "call"
        hint = node.func.attr if isinstance(node.func, gast.Attribute) else (
            node.func.id if isinstance(node.func, gast.Name) else "call")
        return expr, self.op(None if func is _UNRESOLVED else func, label, args, keywords, node,
                             hint=hint)

    def _call_arg(self, node):
        if isinstance(node, (gast.List, gast.Tuple)) and not self.inactive(node):
            return type(node)(elts=[self.atom(e) for e in node.elts], ctx=gast.Load())
        return self.atom(node)

    def op(self, func, label, args, keywords, node, hint):
        prim = lookup(func) if func is not None else None
        op = ir.Op(func=func, prim=prim, label=label, args=args, keywords=keywords)
        op.hint = hint
        op.refuse = None
        if prim is None or prim.nondiff == "constant-inputs":
            op.refuse = lambda: self._no_rule(node, label, func, prim)
        return op

    def _no_rule(self, node, label, func, prim):
        if prim is not None:
            msg = (f"{label} is treated as a constant, but its arguments here depend on what "
                   "is differentiated")
            hint = "compute these arguments from non-differentiated values, or wrap them in " \
                   "a custom rule with @tangent_lite.adjoint"
        elif callable(func) and hasattr(func, "__code__"):
            msg = f"calling the Python function {label}(...) on differentiated values"
            hint = (f"calls into user functions {_LATER} register a rule with "
                    f"@tangent_lite.adjoint({label}) or inline its body")
        else:
            msg = f"{label} has no derivative rule"
            hint = f"register one with @tangent_lite.adjoint({label}), or use a NumPy " \
                   "function that has one"
        return self.parsed.error(MissingRuleError, node, msg, hint=hint)


def _hint(op):
    return getattr(op, "hint", "op")


def _load(name):
    return gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)


def normalize(parsed, namer):
    """The ir.Function for `parsed`, reserving every name it uses in `namer`."""
    for n in gast.walk(parsed.node):
        if isinstance(n, gast.Name):
            namer.reserve(n.id)
    return Normalizer(parsed, namer).function()
