"""A-normal form for expressions: one operation per assignment, readable temporaries.

Nested expressions become a sequence of single-operation assignments (`t_sin = np.sin(x)`);
expressions that can never carry a gradient (shapes, comparisons, index expressions) stay
inline so the forward sweep reads like the original. Array methods become NumPy calls
(`x.sum(axis=0)` -> `np.sum(x, axis=0)`), so generated code dispatches through NumPy.
"""
import ast
import builtins
import inspect
import operator

import gast
import numpy as np

from .. import ir, runtime
from ..errors import MissingRuleError, UnsupportedSyntaxError
from ..rules import lookup
from .callables import TypedArguments, starred_call, user_callable
from .parse import UNRESOLVED
from ..ir.syntax import int_literal

BINOPS = {
    gast.Add: (operator.add, "+", "add"), gast.Sub: (operator.sub, "-", "sub"),
    gast.Mult: (operator.mul, "*", "mul"), gast.Div: (operator.truediv, "/", "div"),
    gast.Pow: (operator.pow, "**", "pow"), gast.MatMult: (operator.matmul, "@", "matmul"),
    gast.FloorDiv: (operator.floordiv, "//", "floordiv"), gast.Mod: (operator.mod, "%", "mod"),
}
UNARYOPS = {gast.USub: (operator.neg, "unary -", "neg"),
            gast.UAdd: (operator.pos, "unary +", "pos")}
# Array attributes that are integers, shapes or dtypes: never differentiated.
INACTIVE_ATTRS = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes"}
# Array methods and the NumPy functions they become. Methods that take their shape or axes
# as separate arguments (x.reshape(2, 3)) get them packed into one tuple.
METHODS = {
    "sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max, "min": np.min,
    "dot": np.dot, "ravel": np.ravel, "flatten": runtime.flatten, "squeeze": np.squeeze,
    "copy": np.copy, "clip": np.clip, "cumsum": np.cumsum, "var": np.var, "std": np.std,
    "reshape": np.reshape, "transpose": np.transpose, "astype": runtime.astype,
    "argmax": np.argmax, "argmin": np.argmin, "any": np.any, "all": np.all,
    "round": np.round, "nonzero": np.nonzero, "argsort": np.argsort,
    "swapaxes": np.swapaxes, "repeat": np.repeat, "diagonal": np.diagonal, "trace": np.trace,
    "take": np.take, "conj": np.conj, "conjugate": np.conj, "cumprod": np.cumprod,
    "ptp": np.ptp,
}
PACKED_METHODS = {"reshape", "transpose"}
# Methods the generated code calls as methods (differentiated by the rule of the function
# they stand for): `x.copy()` stays `x.copy()`, which Dask and CuPy arrays implement lazily.
OWN_METHODS = {"copy"}
# Array attributes no container field is mistaken for: refused, not read as a field.
ARRAY_ONLY_ATTRS = {"flat", "base", "strides", "flags", "ctypes", "mT"}
# Array attributes that are computations: `x.real` -> np.real(x).
ATTRIBUTE_FUNCTIONS = {"real": np.real, "imag": np.imag}

LATER = "arrives in a later release; until then"
EXPR_HINTS = {
    gast.Lambda: "a lambda used as a value: call it directly, or define a function with `def`",
    gast.SetComp: "a set comprehension: compute it outside the differentiated function",
    gast.DictComp: "a dict comprehension: compute it outside the differentiated function, "
                   "or build a list",
    gast.GeneratorExp: "a generator expression here (it is consumed lazily): pass it to sum, "
                       "list, tuple, min or max, or use a list comprehension",
    gast.Dict: "a dict literal: pass the values as separate arguments",
    gast.Set: "a set literal: compute it outside the differentiated function",
    gast.Yield: "`yield` (a generator): return an array instead",
    gast.YieldFrom: "`yield from` (a generator): return an array instead",
    gast.Await: "`await`: differentiate a plain function",
    gast.NamedExpr: "the walrus operator `:=`: assign with `=` on its own line",
    gast.Starred: "`*args` in a call: pass the arguments one by one",
    gast.BoolOp: "`and`/`or` as a value: use np.logical_and / np.logical_or, np.where, or an "
                 "if statement",
}


def _int_constant(node):
    """Whether `node` is an integer written as a literal (`3`, `-1`)."""
    return int_literal(node) is not None


def _is_pop(node, stacks):
    return (isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)
            and node.func.attr == "pop" and isinstance(node.func.value, gast.Name)
            and node.func.value.id in stacks and not node.args)


# Builtins that iterate their arguments, refused as values where their items are
# differentiated (a for loop or comprehension over zip or enumerate is lowered to an index
# loop): what to write instead.
_LOOP = ("instead: iterate it in a for loop or a comprehension (`for a, b in zip(xs, ys)`, "
         "`[a * b for a, b in zip(xs, ys)]`), or index the sequences")
_ITERATORS = {zip: _LOOP + ", or make it a list where it is made (`pairs = list(zip(xs, ys))`)",
              enumerate: _LOOP + ", or make it a list where it is made (`list(enumerate(xs))`)",
              iter: _LOOP, next: _LOOP,
              map: "instead: write a comprehension, `[f(v) for v in xs]`",
              filter: "instead: write a comprehension, `[v for v in xs if cond(v)]`",
              reversed: "instead: index backwards, `xs[::-1]`",
              sorted: "instead: np.sort of an array (its gradient follows the permutation)"}


def load(name):
    return gast.Name(id=name, ctx=gast.Load(), annotation=None, type_comment=None)


class ExpressionNormalizer:
    """Emits ir.Assign statements into self.out for expressions."""

    def __init__(self, parsed, namer, bindings):
        self.parsed = parsed
        self.namer = namer
        self.bindings = bindings    # spells numpy and runtime helpers in generated code
        self.out = []
        self.lineno = parsed.node.lineno
        self.local_funcs = {}       # nested defs and lambdas: inlined where they are called
        self.stacks = set()         # names holding a runtime Stack (generated gradient code)
        self.inlining = []

    # -- errors -------------------------------------------------------------------------------

    def unsupported(self, node, what):
        construct, _, hint = what.partition(": ")
        return self.parsed.error(UnsupportedSyntaxError, node,
                                 f"tangent_lite cannot differentiate {construct}",
                                 hint=("instead: " + hint) if hint else None)

    def temp_for(self, node, hint):
        """A fresh temporary for `node`'s value (frontend/unpack.py names field reads)."""
        return self.namer.temp(hint)

    def field_read(self, node):
        raise self.unsupported(node, f"the attribute `.{node.attr}`: use a NumPy function "
                                     "or compute it outside")

    def dict_literal(self, node):
        raise self.unsupported(node, EXPR_HINTS[gast.Dict])

    def is_inline_call(self, node):
        """Whether `node` calls a nested function or lambda (the statement layer inlines)."""
        return False

    def is_comprehension(self, node):
        """Whether `node` is a comprehension the statement layer lowers to a loop."""
        return False

    def is_partial(self, node):
        """Whether `node` makes a functools.partial the statement layer expands in calls."""
        return False

    def expand_partial(self, node):
        return node

    def refuse_partial_value(self, node):
        pass

    # -- assignments ----------------------------------------------------------------------------

    def emit(self, stmt):
        self.out.append(stmt)

    def assign(self, target, value):
        """Emit `target = value` in A-normal form."""
        if isinstance(value, gast.Call) and self.parsed.resolve(value.func) is runtime.Stack:
            self.stacks.add(target)
        if _is_pop(value, self.stacks):
            self.emit(ir.Pop(targets=[target], value=value, op=None, lineno=self.lineno,
                             stack=value.func.value.id))
            return
        if isinstance(value, gast.IfExp):
            return self.conditional(target, value)
        if isinstance(value, gast.Lambda):
            self.local_funcs[target] = value
            return
        if self.is_partial(value):              # objects.py: calls of it are expanded
            return self.local_partial(target, value)
        if self.is_comprehension(value):        # comprehensions.py: a loop
            name = self.comprehension(value, target)
            if name != target:
                self.assign(target, load(name))
            return
        if self.is_inline_call(value):
            value = self.inline(value, into=target)
            if isinstance(value, gast.Name) and value.id == target:
                return
        if isinstance(value, (gast.Name, gast.Constant)) or self.inactive(value):
            self.emit(ir.Assign(targets=[target], value=value, op=None, lineno=self.lineno))
            return
        value, op = self.operation(value)
        self.emit(ir.Assign(targets=[target], value=value, op=op, lineno=self.lineno,
                            refuse=op.refuse))

    def atom(self, node):
        """A name, constant or inactive expression equal to `node`'s value."""
        if isinstance(node, gast.Name) and node.id in self.local_funcs:
            raise self.unsupported(node, f"the local function `{node.id}` used as a value: "
                                         "call it directly")
        self.refuse_partial_value(node)
        if isinstance(node, (gast.Name, gast.Constant)) or self.inactive(node):
            return node
        if isinstance(node, gast.IfExp):
            name = self.namer.temp("ifexp")
            self.conditional(name, node)
            return load(name)
        if self.is_comprehension(node):
            return load(self.comprehension(node))
        if self.is_inline_call(node) or _is_pop(node, self.stacks):
            if not _is_pop(node, self.stacks):
                return self.inline(node)
            name = self.namer.temp("pop")
            self.assign(name, node)
            return load(name)
        value, op = self.operation(node)
        name = self.temp_for(node, op.hint)
        self.emit(ir.Assign(targets=[name], value=value, op=op, lineno=self.lineno,
                            refuse=op.refuse))
        return load(name)

    def conditional(self, target, node):
        """`target = a if test else b` as an if statement: each side runs only when chosen."""
        test = self.condition(node.test)
        body = self.block(lambda: self.assign(target, node.body))
        orelse = self.block(lambda: self.assign(target, node.orelse))
        self.emit(ir.If(test=test, body=body, orelse=orelse, lineno=self.lineno))

    def condition(self, test):
        """Assign a branch condition to a fresh name; conditions are never differentiated."""
        test = self.verbatim(test)
        name = self.namer.fresh("cond")
        self.emit(ir.Assign(targets=[name], value=test, op=None, lineno=self.lineno))
        return name

    def verbatim(self, node):
        """An expression run as written (a condition), methods included: `b.sum() > 0` stays,
        because for a Python float b it raises as f does (np.sum(b) would not: a gradient of
        a program f is not), and an array's method skips np.sum's dispatch (~1 us)."""
        for n in gast.walk(node):
            if isinstance(n, gast.NamedExpr):
                raise self.unsupported(n, EXPR_HINTS[gast.NamedExpr])
        return node

    def block(self, fill):
        """Run fill() with a fresh output list; return that list."""
        saved, self.out = self.out, []
        try:
            fill()
            return self.out
        finally:
            self.out = saved

    # -- expressions ---------------------------------------------------------------------------

    def inactive(self, node):
        """True for expressions that can never carry a gradient; they stay inline."""
        if isinstance(node, (gast.Constant, gast.Compare, gast.JoinedStr)):
            return True
        if isinstance(node, gast.UnaryOp):
            return isinstance(node.op, (gast.Not, gast.Invert)) or self.inactive(node.operand)
        if isinstance(node, gast.Attribute):
            if node.attr in INACTIVE_ATTRS:
                return True
            obj = self.parsed.resolve(node)
            return obj is not UNRESOLVED and (not callable(obj) or isinstance(obj, type))
        if isinstance(node, gast.Subscript):
            return self.inactive(node.value)
        if isinstance(node, (gast.Tuple, gast.List)):
            return all(self.inactive(e) for e in node.elts)
        if isinstance(node, gast.Call):
            prim = lookup(self.parsed.resolve(node.func))
            return prim is not None and prim.nondiff == "zero"
        if isinstance(node, gast.BinOp):
            return self.inactive(node.left) and self.inactive(node.right)
        if isinstance(node, gast.BoolOp):
            # `a > 0 and b < 1`: its value is one of its operands
            return all(self.inactive(v) for v in node.values)
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
            if node.attr == "T" and self.parsed.resolve(node.value) is UNRESOLVED:
                return self.numpy_call(np.transpose, "transpose", [self.atom(node.value)], {},
                                       node)
            if node.attr in ATTRIBUTE_FUNCTIONS and self.parsed.resolve(node.value) is \
                    UNRESOLVED:
                return self.numpy_call(ATTRIBUTE_FUNCTIONS[node.attr], node.attr,
                                       [self.atom(node.value)], {}, node)
            if self.parsed.resolve(node.value) is UNRESOLVED and \
                    node.attr not in ARRAY_ONLY_ATTRS:   # a field of a pytree (unpack.py)
                return self.field_read(node)
            raise self.unsupported(node, f"the attribute `.{node.attr}`: use a NumPy function "
                                         "or compute it outside")
        if isinstance(node, (gast.Tuple, gast.List)):
            elts = [self.atom(e) for e in node.elts]
            expr = type(node)(elts=elts, ctx=gast.Load())
            kind = list if isinstance(node, gast.List) else tuple
            return expr, self.op(kind, kind.__name__, [type(node)(elts=list(elts),
                                                                  ctx=gast.Load())], {},
                                 node, hint=kind.__name__)
        if isinstance(node, gast.Dict):
            return self.dict_literal(node)   # unpack.py
        if isinstance(node, gast.Lambda):
            raise self.unsupported(node, EXPR_HINTS[gast.Lambda])
        hint = EXPR_HINTS.get(type(node), f"the expression `{type(node).__name__}`")
        raise self.unsupported(node, hint)

    def call(self, node):
        node = self.expand_partial(node)
        zipped = self.zip_value(node)           # unpack.py: `list(zip(a, b))` and friends
        if zipped is not None:
            return zipped
        if self.parsed.resolve(node.func) is zip and len(node.args) == 1 and \
                isinstance(node.args[0], gast.Starred) and not node.keywords:
            # `zip(*rows)`: runs where rows are constants, refused where differentiated
            rows = self.atom(node.args[0].value)
            expr = gast.Call(func=node.func, args=[gast.Starred(value=rows, ctx=gast.Load())],
                             keywords=[])
            return expr, self.op(zip, "zip", [rows], {}, node, hint="zip")
        for a in node.args:
            if isinstance(a, gast.Starred):
                raise self.unsupported(a, EXPR_HINTS[gast.Starred])
        if any(k.arg is None for k in node.keywords):
            raise self.unsupported(node, "`**kwargs` in a call: pass the keywords one by one")
        if _constant_getattr(node.func, self.parsed.resolve):
            # `getattr(model, "first")(x)` is `model.first(x)`
            obj, name = node.func.args
            node = gast.copy_location(gast.Call(
                func=gast.Attribute(value=obj, attr=name.value, ctx=gast.Load()),
                args=node.args, keywords=node.keywords), node)
            return self.call(node)
        func = self.parsed.resolve(node.func)
        if func is UNRESOLVED and isinstance(node.func, gast.Call):
            func = self.static_gradient(node.func)
        mode = getattr(getattr(func, "__tangent_lite__", None), "mode", None)
        if mode in ("value_and_grad", "split"):
            raise self.unsupported(node, (
                f"calling `{gast.unparse(node.func).strip()}`, tangent_lite's {mode} function "
                f"(of the functions tangent_lite makes, only a gradient grad(f) can be "
                f"differentiated again): call tl.grad(f)(x) there, and f(x) for the value"))
        cls = self.built_class(node) if func is UNRESOLVED else None
        if self.is_record(cls) and not issubclass(cls, tuple) and \
                self.parsed.resolve(_receiver(node).func) is cls:
            # `M(w)(v)`, `C(w).f(v)`: the dataclass built first, as `m = M(w); m(v)` does
            obj = self.atom(_receiver(node))
            self.built_objects[obj.id] = cls     # objects.py: calls of it are its methods
            self.parsed.local_names.add(obj.id)
            return self.call(_with_receiver(node, obj))
        if func is UNRESOLVED:
            called = self.object_call(node)     # objects.py
            if called is not None:
                return called
        if func is UNRESOLVED and isinstance(node.func, gast.Attribute):
            return self.method_call(node)
        if func is UNRESOLVED and isinstance(node.func, gast.Subscript):
            item = self.typed_item(node.func)
            if item is not None:    # `layers[i](h)`: the item, then its class's __call__
                return self.call(gast.copy_location(gast.Call(
                    func=item, args=node.args, keywords=node.keywords), node))
        built = self.record_call(node, func)     # a namedtuple or dataclass (unpack.py)
        if built is not None:
            return built
        args = [self.call_arg(a) for a in node.args]
        keywords = {k.arg: self.call_arg(k.value) for k in node.keywords}
        local = func is UNRESOLVED and not isinstance(node.func, gast.Attribute)
        # A local callee (`layer(x)`, layer an argument, `layers[0](x)`, `pick(m)(x)`) is an
        # input of the call like its arguments: the call depends on what the callee holds.
        callee = self.atom(node.func) if local else node.func
        expr = gast.Call(func=callee, args=args,
                         keywords=[gast.keyword(arg=k, value=v) for k, v in keywords.items()])
        label = gast.unparse(node.func).strip()
        hint = node.func.attr if isinstance(node.func, gast.Attribute) else (
            node.func.id if isinstance(node.func, gast.Name) else "call")
        if func is builtins.range:
            hint = "range"
        op = self.op(None if func is UNRESOLVED else func, label,
                     [callee] + args if local else args, keywords, node, hint=hint)
        typing = self.untyped_list_call(node) if local else None     # objects.py
        if local and isinstance(node.func, gast.Name):
            op.refuse = self.unknown_callee(node)     # objects.py
        elif typing is not None:
            op.refuse = typing
        elif local:
            op.refuse = lambda: self.unsupported(node, (
                f"calling `{label}`, whose function is not known when the derivative is "
                "compiled: loop over the list (`for layer in layers: h = layer(h)`), or call "
                "a function or object the function can see (a global, an attribute of self)"))
        return expr, op

    def static_gradient(self, node):
        """`grad(f, wrt=...)` written inside the function: compile it now, so the call
        `grad(f)(x)` is a call of that gradient function (itself differentiable)."""
        func = self.parsed.resolve(node.func)
        if getattr(func, "__module__", None) != "tangent_lite.api":
            return UNRESOLVED
        name = getattr(func, "__name__", None)
        if name in ("value_and_grad", "vjp", "jvp", "hvp", "hessian", "jacobian"):
            raise self.unsupported(node, (
                f"tangent_lite.{name} called inside the differentiated function (of the entry "
                f"points, only grad can be): write tl.grad(f)(x) there, or call {name} outside "
                f"the differentiated function"))
        if name != "grad":
            return UNRESOLVED
        try:
            args = [self.static_value(a) for a in node.args]
            keywords = {k.arg: self.static_value(k.value) for k in node.keywords}
        except ValueError:
            return UNRESOLVED
        return func(*args, **keywords)

    def static_value(self, node):
        if isinstance(node, (gast.Name, gast.Attribute)):
            value = self.parsed.resolve(node)
            if value is UNRESOLVED:
                raise ValueError(node)
            return value
        return ast.literal_eval(gast.unparse(node).strip())

    def method_call(self, node):
        """`x.sum(axis=0)` on a local array -> `np.sum(x, axis=0)`."""
        method = node.func.attr
        func = METHODS.get(method)
        if func is None:
            return self.opaque_method_call(node)    # objects.py
        receiver = self.atom(node.func.value)
        args = [self.call_arg(a) for a in node.args]
        if method in PACKED_METHODS and len(args) > 1:
            args = [gast.Tuple(elts=args, ctx=gast.Load())]
        elif method in PACKED_METHODS and len(args) == 1 and self.is_none(args[0]):
            args = []
        elif method == "reshape" and len(args) == 1 and _int_constant(args[0]):
            # x.reshape(-1) -> np.reshape(x, (-1,)): Dask's np.reshape wants a tuple
            args = [gast.Tuple(elts=args, ctx=gast.Load())]
        keywords = {k.arg: self.call_arg(k.value) for k in node.keywords}
        expr, op = self.numpy_call(func, method, [receiver] + args, keywords, node)
        if method in OWN_METHODS:
            # run as the method the user wrote: np.copy is one of the functions Dask does
            # not implement (NumPy would compute the whole array); every array has .copy()
            expr = gast.Call(func=gast.Attribute(value=receiver, attr=method, ctx=gast.Load()),
                             args=args, keywords=expr.keywords)
        return expr, op

    @staticmethod
    def is_none(node):
        return isinstance(node, gast.Constant) and node.value is None

    def numpy_call(self, func, name, args, keywords, node):
        """A call of `func` spelled in the generated code through the numpy or runtime name."""
        if func is getattr(runtime, name, None):
            callee = load(self.bindings.name(name))
            label = name
        else:
            callee = gast.Attribute(value=load(self.bindings.name("np")), attr=name,
                                    ctx=gast.Load())
            label = f"np.{name}"
        expr = gast.Call(func=callee, args=args,
                         keywords=[gast.keyword(arg=k, value=v) for k, v in keywords.items()])
        return expr, self.op(func, label, args, keywords, node, hint=name)

    def call_arg(self, node):
        if isinstance(node, (gast.List, gast.Tuple)) and not self.inactive(node):
            return type(node)(elts=[self.atom(e) for e in node.elts], ctx=gast.Load())
        return self.atom(node)

    def op(self, func, label, args, keywords, node, hint):
        prim = lookup(func) if func is not None else None
        if prim is None and func is not None and inspect.isfunction(inspect.unwrap(func)):
            func = inspect.unwrap(func)   # a user function: differentiated from its source
            func = starred_call(func, args) or typed_call(self, func, args, keywords) or func
        elif prim is None and func is not None and user_callable(func) is not None:
            func = user_callable(func)    # a bound method, callable object or partial
        op = ir.Op(func=func, prim=prim, label=label, args=args, keywords=keywords, hint=hint,
                   user=prim is None and (inspect.isfunction(func) or
                                          user_callable(func) is not None))
        if "out" in keywords:
            op.refuse = lambda: self.unsupported(node, "`out=` (an in-place result): assign "
                                                       "the result instead")
        elif (prim is None and not op.user) or (prim is not None and
                                                prim.nondiff == "constant-inputs"):
            op.refuse = lambda: self.no_rule(node, label, func, prim)
        return op

    def built_class(self, node):
        """The class `M` of a call `M(a)(b)`, `M(a).f(b)` or `M.make(a).f(b)` (a
        classmethod), or None."""
        func = node.func if isinstance(node, gast.Call) else None
        if isinstance(func, gast.Attribute):
            func = func.value
        if not isinstance(func, gast.Call):
            return None
        made = self.parsed.resolve(func.func)
        if inspect.ismethod(made) and isinstance(made.__self__, type):
            return made.__self__
        return made

    def is_record(self, cls):
        """Whether cls is a namedtuple or dataclass class built here (unpack.py)."""
        return False

    def class_refusal(self, node, cls):
        """The error for an object of the user's class `cls` built from differentiated
        values: only records (dataclasses, namedtuples) carry gradients through fields."""
        name = cls.__name__
        if self.is_record(cls):   # built by a classmethod: its result's class is not known
            hint = (f"build it by calling `{name}(...)` itself, assigned to a name (`obj = "
                    f"{name}(...)`), and call its methods on that name")
        else:
            hint = (f"make {name} a dataclass (`@dataclasses.dataclass`, with the attributes "
                    "its `__init__` assigns as fields) or a namedtuple: tangent_lite "
                    "differentiates through their fields, methods and properties; or keep its "
                    "arrays in a dict or tuple")
        return self.parsed.error(UnsupportedSyntaxError, node, (
            f"building an object of the class {name} from values that depend on what is "
            "differentiated"), hint=hint)

    def no_rule(self, node, label, func, prim):
        if prim is not None:
            msg = (f"{label} is treated as a constant, but its arguments here depend on what "
                   "is differentiated")
            hint = "compute these arguments from non-differentiated values, or register a " \
                   "rule with @tangent_lite.adjoint"
        elif user_class(func) or user_class(self.built_class(node)):
            # a class of the user's (built, or built then called): only records carry
            # gradients through their fields
            return self.class_refusal(node, func if user_class(func) else
                                      self.built_class(node))
        elif any(func is f for f in _ITERATORS):
            msg = f"{label}(...) used as a value has no derivative rule"
            hint = _ITERATORS[func]
        else:
            msg = f"{label} has no derivative rule"
            hint = f"register one with @tangent_lite.adjoint({label}), or use a NumPy " \
                   "function that has one"
        return self.parsed.error(MissingRuleError, node, msg, hint=hint)


def _constant_getattr(node, resolve):
    """Whether node is `getattr(obj, "name")`: the builtin, two arguments, a constant name."""
    return (isinstance(node, gast.Call) and len(node.args) == 2 and not node.keywords
            and isinstance(node.args[1], gast.Constant) and isinstance(node.args[1].value, str)
            and node.args[1].value.isidentifier() and resolve(node.func) is builtins.getattr)


def typed_call(normalizer, func, args, keywords):
    """`helper(model, x)` where `model` holds objects of one known class (a method's `self`, a
    model typed by classes.py): the TypedArguments view of helper whose parameter gets that
    class, so the methods helper calls on it resolve; None where no argument has one."""
    try:
        bound = inspect.signature(func).bind_partial(*args, **keywords)
    except TypeError:
        return None
    typed = []
    for param, node in bound.arguments.items():
        if isinstance(node, gast.Name):
            cls = normalizer.object_class(node.id)
            if cls is not None:
                typed.append((param, cls))
                # and the objects it holds (`model.first`), as `param.first` there
                typed.extend((f"{param}.{path}", held)
                             for path, held in normalizer.held_fields(node.id))
    return TypedArguments(func, tuple(typed)) if typed else None


def user_class(obj):
    """Whether obj is a class of the user's (not a builtin or NumPy type)."""
    return isinstance(obj, type) and obj.__module__ not in ("builtins", "numpy")


def _receiver(node):
    """The object a call `M(w)(v)` or `M(w).f(v)` calls: `M(w)`."""
    return node.func.value if isinstance(node.func, gast.Attribute) else node.func


def _with_receiver(node, atom):
    func = gast.Attribute(value=atom, attr=node.func.attr, ctx=gast.Load()) \
        if isinstance(node.func, gast.Attribute) else atom
    return gast.copy_location(gast.Call(func=func, args=node.args, keywords=node.keywords),
                              node)
