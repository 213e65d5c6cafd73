"""Rules are Python templates; filling one in writes the caller's names into it.

A template such as

    @adjoint(np.tanh)
    def _(y, x):
        d[x] = d[y] * (1.0 - y * y)

is parsed once. Filling it in for `h = np.tanh(t_add)` substitutes `h` for `y`, `t_add` for `x`,
the adjoint names for `d[...]`, so the generated line reads `dt_add = dh * (1.0 - h * h)`.
"""
import builtins
import __future__
import inspect
import numbers
import textwrap

import gast

from ..frontend.source import source_lines
from ..ir.syntax import clone, name_node, negate
from .fold import fold



class Shape:
    """Annotation of a template parameter read only for its shape or type (`x: Shape`): a
    value that depends on what is differentiated may pass there without a derivative."""


class TemplateError(Exception):
    """A template's parameters do not match a call; the compiler turns it into a user error."""


class Template:
    """A parsed rule template.

    Made from the decorated function (`Template(func)`, its source read from its file) or from
    text (`Template.from_text`, for templates written by a program, such as `linear(...)`'s). Both
    are parsed lazily, on first use: importing the table reads no source.
    """

    def __init__(self, func, source=None):
        self._func = func
        self._source = source   # the template's text when it is not read from func's file
        self._namespace = None  # for a template made from text: its module's globals
        self._node = None

    @classmethod
    def from_text(cls, text, namespace, filename="<template>", lineno=1, signature=None):
        """The template `text` (a `def _(result, params...): ...`), whose free names are those of
        `namespace` (a module's globals), as if written at `filename`:`lineno`.

        Annotations are not evaluated: `x: Shape` marks a shape-only parameter as in a
        hand-written template. With `signature` (an inspect.Signature) the parameters are taken
        from there instead. `text` may also be a function giving (text, signature), called on
        first use. Compiled on first use.
        """
        self = cls(None)
        self._make = text if callable(text) else lambda: (text, signature)
        self._namespace = namespace
        self._where = (filename, lineno)
        return self

    @property
    def source(self):
        """The template's text, or None where it is read from its function's file."""
        if self._source is None and self._namespace is not None:
            self._source, self._signature = self._make()
        return self._source

    @property
    def func(self):
        """The template as a Python function; its globals are where its free names live."""
        if self._func is None:
            filename, lineno = self._where
            code = compile("\n" * (lineno - 1) + self.source, filename, "exec",
                           __future__.annotations.compiler_flag, dont_inherit=True)
            scope = {}
            exec(code, self._namespace, scope)
            (func,) = scope.values()
            signature = self._signature
            if signature is None:
                signature = inspect.signature(func)
                signature = signature.replace(parameters=[
                    p.replace(annotation=Shape) if p.annotation == "Shape" else p
                    for p in signature.parameters.values()])
            func.__signature__ = signature
            self._func = func
        return self._func

    @property
    def module(self):
        """The name of the module the template was written in (or for)."""
        if self._namespace is not None:
            return self._namespace.get("__name__")
        return self._func.__module__

    def location(self):
        """(filename, line) of the template's first line (its decorator's, or linear()'s)."""
        if self._namespace is not None:
            return self._where
        code = self._func.__code__
        return code.co_filename, code.co_firstlineno

    def _parse(self):
        if self._node is None:
            source = self.source
            if source is None:
                source = textwrap.dedent("".join(source_lines(self.func)[0]))
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

    def unknown_names(self, forward=False):
        """The free names of the body that resolve neither in the template's module nor among the
        builtins, as (name, line in the template's file): what filling it in would fail on.
        `d`, the parameters and the temporaries the body assigns are not free. A forward template
        with a term that reads several tangents also needs `zeros_grad`, for the missing ones."""
        self._parse()
        known = {"d", self.result, *self.params}
        known |= {s.targets[0].id for s in self.body
                  if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)}
        namespace = self.func.__globals__
        first = self.location()[1]
        out = []
        for stmt in self.body:
            for node in gast.walk(stmt):
                if (isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load)
                        and node.id not in known and node.id not in namespace
                        and not hasattr(builtins, node.id)):
                    out.append((node.id, first + node.lineno - 1))
        if forward and "zeros_grad" not in namespace:
            last = self.body[-1]
            for _, term in _terms(clone(last.value)):
                if len({n.slice.id for n in gast.walk(term) if _is_d(n)}) > 1:
                    out.append(("zeros_grad", first + last.lineno - 1))
                    break
        return out

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
        elide: (binding, parameter) -> True where `unbroadcast(g, parameter)` is certainly the
        identity here, so it can go (optimize/unbroadcast.py), or a function (g's template node,
        the substitution) giving the sum it is (optimize/specialise.py; None keeps it); None
        keeps every unbroadcast.

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
            total = negate(total)
        for sign, term in terms[1:]:
            total = gast.BinOp(left=total, op=gast.Add() if sign > 0 else gast.Sub(), right=term)
        return stmts, total


def linear_source(params, spelled, wrt=None):
    """The text of the forward template of a function linear in the arguments `wrt`: the
    function itself, spelled `spelled`, applied to their tangents and to its other arguments.

    params: the template's parameters as written in a `def` (the result first). wrt: names of
    parameters, by default the first after the result. Parameters without a default are passed
    by position, the others by keyword (so those a call leaves out stay out).

    >>> linear_source("y, a, axes=None", "np.transpose")
    'def _(y, a, axes=None): d[y] = np.transpose(d[a], axes=axes)'
    """
    args = gast.parse(f"def _({params}): pass").body[0].args
    positional = args.posonlyargs + args.args
    result, positional = positional[0].id, positional[1:]
    names = [a.id for a in positional] + ([args.vararg.id] if args.vararg else []) + [
        a.id for a in args.kwonlyargs]
    wrt = [names[0]] if wrt is None else [wrt] if isinstance(wrt, str) else list(wrt)
    if not set(wrt) <= set(names):
        raise TemplateError(f"linear({spelled}): {sorted(set(wrt) - set(names))} are not among "
                            f"its parameters {names}")

    def value(name):
        return f"d[{name}]" if name in wrt else name

    call = []
    first_default = len(args.posonlyargs) + len(args.args) - len(args.defaults) - 1
    for i, a in enumerate(positional):
        by_keyword = i >= first_default and not args.vararg and a not in args.posonlyargs
        call.append(f"{a.id}={value(a.id)}" if by_keyword else value(a.id))
    if args.vararg:
        call.append(f"*{value(args.vararg.id)}")
    call += [f"{a.id}={value(a.id)}" for a in args.kwonlyargs]
    if args.kwarg:
        call.append(f"**{args.kwarg.id}")
    return f"def _({params}): d[{result}] = {spelled}({', '.join(call)})"


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
        # `f(..., axis=axis)` where the caller left `axis` at its default: leave it out too;
        # and `f(..., prepend=d[prepend])` in a forward rule (there is no tangent to pass).
        defaulted = getattr(self.binding, "defaulted", ())
        node.keywords = [k for k in node.keywords if not (
            isinstance(k.value, gast.Name) and k.value.id in defaulted
            and k.value.id not in self.names) and not (
            _is_d(k.value) and isinstance(k.value.slice, gast.Name)
            and k.value.slice.id in defaulted)]
        if (self.elide is not None and isinstance(node.func, gast.Name)
                and node.func.id == "unbroadcast" and isinstance(node.args[1], gast.Name)
                and node.args[1].id in self.binding):
            elided = self.elide(self.binding, node.args[1].id)
            if elided is True:
                return self.visit(node.args[0])
            if callable(elided):   # the sum it is, where the shapes say which axes
                summed = elided(node.args[0], self.visit)
                if summed is not None:
                    return summed
        return self.generic_visit(node)
