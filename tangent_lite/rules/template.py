"""Rules are Python templates; filling one in writes the caller's names into it.

A template such as

    @adjoint(np.tanh)
    def _(y, x):
        d[x] = d[y] * (1.0 - y * y)

is parsed once. Filling it in for `h = np.tanh(t_add)` substitutes `h` for `y`, `t_add` for `x`,
the adjoint names for `d[...]`, so the generated line reads `dt_add = dh * (1.0 - h * h)`.
"""
import builtins
import inspect
import numbers
import textwrap

import gast

from ..ir.syntax import clone, name_node

_NUMERIC = (int, float)


class Shape:
    """Annotation of a template parameter read only for its shape or type (`x: Shape`): a
    value that depends on what is differentiated may pass there without a derivative."""


class TemplateError(Exception):
    """A template's parameters do not match a call; the compiler turns it into a user error."""


class Template:
    """A parsed rule template."""

    def __init__(self, func):
        self.func = func
        self._node = None

    def _parse(self):
        if self._node is None:
            source = textwrap.dedent(inspect.getsource(self.func))
            node = gast.parse(source).body[0]
            sig = inspect.signature(self.func)
            params = list(sig.parameters)
            self.result = params[0]
            self.params = params[1:]
            self.signature = sig.replace(parameters=[
                p.replace(annotation=inspect.Parameter.empty)
                for p in list(sig.parameters.values())[1:]])
            self.grad_params = {s.targets[0].slice.id for s in node.body if _is_d_target(s)}
            self.shape_params = {n for n, p in sig.parameters.items() if p.annotation is Shape}
            self.body = node.body
            self._node = node
        return self

    def differentiable_params(self):
        """Parameters a varied value may be passed to: those with a rule, or shape-only."""
        self._parse()
        return self.grad_params | self.shape_params

    def bind(self, args, keywords):
        """Map template parameter names to the caller's argument nodes (defaults filled)."""
        self._parse()
        try:
            bound = self.signature.bind(*args, **keywords)
        except TypeError as exc:
            raise TemplateError(str(exc)) from None
        out = _Binding()
        for name, param in self.signature.parameters.items():
            if param.kind is param.VAR_POSITIONAL:
                out[name] = gast.Tuple(elts=list(bound.arguments.get(name, ())),
                                       ctx=gast.Load())
            elif name in bound.arguments:
                out[name] = bound.arguments[name]
            else:
                out[name] = constant(param.default)
                out.defaulted.add(name)
        return out

    def fill(self, binding, result, dresult, names, fresh, elide=None):
        """Instantiate the template.

        binding: parameter name -> argument node; result: node of the primal result;
        dresult: name of the result's adjoint; names: how the template's free names (np,
        runtime helpers) are spelled in the generated code; fresh: makes a temporary's name;
        elide: (binding, parameter) -> whether `unbroadcast(g, parameter)` is certainly the
        identity here, so it can go (optimize/unbroadcast.py); None keeps every unbroadcast.

        Returns a list of ("stmt", node) and ("grad", parameter name, expression node).
        """
        self._parse()
        subst = dict(binding)
        subst[self.result] = result
        out = []
        for stmt in self.body:
            stmt = clone(stmt)
            value = _Substitute(subst, dresult, names, binding, self, elide).visit(stmt.value)
            value = fold(value)
            if _is_d_target(stmt):
                out.append(("grad", stmt.targets[0].slice.id, value))
            else:
                target = stmt.targets[0].id
                tmp = fresh(target)
                subst[target] = gast.Name(id=tmp, ctx=gast.Load(), annotation=None,
                                          type_comment=None)
                out.append(("stmt", gast.Assign(targets=[name_node(tmp, store=True)],
                                                value=value, type_comment=None)))
        return out


    def tangent_params(self):
        """Parameters whose tangents a forward template reads (`d[p]` on a right-hand side)."""
        self._parse()
        return {n.slice.id for st in self.body for n in gast.walk(st.value)
                if _is_d(n) and isinstance(n.slice, gast.Name)} | self.shape_params

    def fill_tangent(self, binding, result, tangent, names, fresh):
        """Instantiate a forward-mode template.

        tangent(param) gives the node of the tangent of the argument bound to `param`, or None
        when it carries none. The final `d[result] = t1 + t2 ...` keeps the terms whose tangents
        exist; in a term where only some do, the others are zeros.

        Returns (statements, expression of the result's tangent or None).
        """
        self._parse()
        subst = dict(binding)
        subst[self.result] = result
        stmts = []
        for stmt in self.body[:-1]:
            value = _Substitute(subst, None, names, binding, self).visit(
                clone(stmt.value))
            tmp = fresh(stmt.targets[0].id)
            subst[stmt.targets[0].id] = name_node(tmp)
            stmts.append(gast.Assign(targets=[name_node(tmp, store=True)], value=fold(value),
                                     type_comment=None))
        raw = []
        for sign, term in _terms(clone(self.body[-1].value)):
            params = [n.slice.id for n in gast.walk(term) if _is_d(n)]
            raw.append((sign, term, params, {p: tangent(p) for p in params}))
        kept = [r for r in raw if not r[2] or any(v is not None for v in r[3].values())]
        # broadcast_like(t, y) gives a lone term the result's shape; with nothing dropped (or
        # only numbers) the sum has it already.
        dropped = any(not is_number(binding.get(p)) for r in raw if r not in kept for p in r[2])
        terms = []
        for sign, term, params, present in kept:
            if not dropped:
                term = _Unwrap("broadcast_like").visit(term)
            term = _Substitute(subst, None, names, binding, self).visit(term)
            term = _Tangents(present, binding, names).visit(term)
            terms.append((sign, fold(term)))
        if not terms:
            return stmts, None
        sign, total = terms[0]
        if sign < 0:
            total = gast.UnaryOp(op=gast.USub(), operand=total)
        for sign, term in terms[1:]:
            total = gast.BinOp(left=total, op=gast.Add() if sign > 0 else gast.Sub(), right=term)
        return stmts, total


def _is_d(node):
    return (isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name)
            and node.value.id == "d")


def _terms(expr, sign=1):
    """Split a sum into (sign, term) pairs; a `broadcast_like(sum, y)` wrapper is kept around
    each term so a single surviving term still gets the result's shape."""
    if isinstance(expr, gast.BinOp) and isinstance(expr.op, (gast.Add, gast.Sub)):
        right = -sign if isinstance(expr.op, gast.Sub) else sign
        return _terms(expr.left, sign) + _terms(expr.right, right)
    if (isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name)
            and expr.func.id == "broadcast_like"):
        return [(s, gast.Call(func=expr.func, args=[t, expr.args[1]], keywords=[]))
                for s, t in _terms(expr.args[0], sign)]
    return [(sign, expr)]


class _Tangents(gast.NodeTransformer):
    """Replace `d[p]` by p's tangent, or by zeros shaped like p where it has none."""

    def __init__(self, present, binding, names):
        self.present = present
        self.binding = binding
        self.names = names

    def visit_Subscript(self, node):
        if _is_d(node):
            found = self.present[node.slice.id]
            if found is not None:
                return found
            return gast.Call(func=name_node(self.names["zeros_grad"]),
                             args=[clone(self.binding[node.slice.id])], keywords=[])
        return self.generic_visit(node)


class _Unwrap(gast.NodeTransformer):
    """`f(e, y)` -> `e`, for wrappers that only matter once a term was dropped."""

    def __init__(self, func):
        self.func = func

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, gast.Name) and node.func.id == self.func:
            return node.args[0]
        return node


def _is_d_target(stmt):
    t = stmt.targets[0] if isinstance(stmt, gast.Assign) else None
    return (isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name)
            and t.value.id == "d")






def constant(value):
    """A gast node for a Python default value (None, numbers, strings, tuples of those)."""
    if isinstance(value, tuple):
        return gast.Tuple(elts=[constant(v) for v in value], ctx=gast.Load())
    if value is None or isinstance(value, (bool, int, float, str)):
        return gast.Constant(value=value, kind=None)
    raise TemplateError(f"cannot write the default value {value!r} into generated code")


def is_number(node):
    if isinstance(node, gast.Constant):
        return isinstance(node.value, numbers.Real) and not isinstance(node.value, bool)
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        return is_number(node.operand)
    return False


class _Binding(dict):
    """Parameter name -> argument node; `defaulted` names the parameters the call left out."""

    def __init__(self):
        super().__init__()
        self.defaulted = set()


class _Substitute(gast.NodeTransformer):
    def __init__(self, subst, dresult, names, binding, template, elide=None):
        self.elide = elide          # see Template.fill
        self.subst = subst
        self.dresult = dresult
        self.names = names
        self.binding = binding
        self.template = template

    def visit_Subscript(self, node):
        if isinstance(node.value, gast.Name) and node.value.id == "d":
            # reverse mode: d[result] is the result's adjoint; forward mode keeps d[p] for
            # _Tangents to replace.
            return node if self.dresult is None else name_node(self.dresult)
        return self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in self.subst:
            return clone(self.subst[node.id])
        if node.id in self.names:
            return name_node(self.names[node.id])
        if hasattr(builtins, node.id):
            return node
        raise TemplateError(f"template {self.template.func.__qualname__} uses the unknown "
                            f"name {node.id!r}")

    def visit_Call(self, node):
        # `f(..., axis=axis)` where the caller left `axis` at its default: leave it out too.
        defaulted = getattr(self.binding, "defaulted", ())
        node.keywords = [k for k in node.keywords if not (
            isinstance(k.value, gast.Name) and k.value.id in defaulted
            and k.value.id not in self.names)]
        if (self.elide is not None and isinstance(node.func, gast.Name)
                and node.func.id == "unbroadcast" and isinstance(node.args[1], gast.Name)
                and node.args[1].id in self.binding and self.elide(self.binding,
                                                                   node.args[1].id)):
            return self.visit(node.args[0])
        return self.generic_visit(node)


def fold(node):
    """Fold what substitution made trivial: `2 - 1` -> `1`, `e ** 1` -> `e`, `e * 1` -> `e`."""
    return _Fold().visit(node)


class _Fold(gast.NodeTransformer):
    _ops = {gast.Add: lambda a, b: a + b, gast.Sub: lambda a, b: a - b,
            gast.Mult: lambda a, b: a * b}

    def visit_BinOp(self, node):
        self.generic_visit(node)
        left, right = node.left, node.right
        fn = self._ops.get(type(node.op))
        if fn and _plain_number(left) and _plain_number(right):
            return gast.Constant(value=fn(left.value, right.value), kind=None)
        if isinstance(node.op, gast.Pow) and _is_one(right):
            return left
        if isinstance(node.op, gast.Mult) and _is_one(right):
            return left
        if isinstance(node.op, gast.Mult) and _is_one(left):
            return right
        return node


def _plain_number(node):
    return (isinstance(node, gast.Constant) and isinstance(node.value, _NUMERIC)
            and not isinstance(node.value, bool))


def _is_one(node):
    return _plain_number(node) and node.value == 1
