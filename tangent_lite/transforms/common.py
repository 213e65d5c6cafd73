"""What reverse and forward mode share: the derivative they produce, the context they write in,
and how a call is bound, to a rule template or to the user's own function.

Both modes once had their own copy of the binding code and the copies drifted (only forward
mode checked that a rule for its mode exists); here there is one.
"""
import dataclasses
import functools
import inspect
import operator
import os
import site
import sysconfig
from typing import Optional

import gast

from .. import ir
from ..analysis.activity import misused_sequence, sequence_names
from ..analysis.aliasing import checked_before_bound
from ..errors import ArgumentMethodError, MissingRuleError, TangentLiteError, UnsupportedSyntaxError
from ..ir import Comment
from ..ir import syntax as s
from ..rules.template import TemplateError

# How each mode names a rule, and how a user registers one.
_RULES = {"adjoint": ("reverse-mode", "@tangent_lite.adjoint"),
          "tangent": ("forward-mode", "@tangent_lite.tangent_rule")}


@dataclasses.dataclass
class Derivative:
    """A transform's output: what emit needs to write and compile df."""

    name: str
    params: list
    docstring: str
    body: list                        # gast statements and Comments
    seed: Optional[str] = None        # reverse mode: the adjoint of the result (a vjp's first
    #                                   parameter, or the backward sweep's second)
    signature: Optional[str] = None   # the parameter list, where it is not the function's own


@dataclasses.dataclass
class Context:
    """The function being differentiated and the means to write code about it."""

    fn: object            # the ir.Function
    parsed: object        # frontend.parse.Parsed: source lines, errors naming the user's line
    namer: object         # fresh, readable names (emit.naming.Namer)
    bindings: object      # spells numpy and runtime helpers in generated code

    def name(self, free):
        return self.bindings.name(free)

    def np(self, attr):
        return s.attr(self.name("np"), attr)

    def call(self, helper, args):
        """`helper(*args)` for a runtime helper, spelled as the generated code spells it."""
        return s.call(self.name(helper), args)

    def index_value(self, index):
        return s.index_value(index, self.name("np"))

    def line_comment(self, lineno):
        return Comment(f"line {lineno}: {self.parsed.line(lineno).strip()}")

    def error(self, cls, stmt, message, hint=None):
        return self.parsed.error(cls, stmt, message, hint=hint)


class Spelling:
    """A template's free names (np, runtime helpers) -> their names in generated code."""

    def __init__(self, bindings, namespace):
        self.bindings = bindings
        self.namespace = namespace

    def __contains__(self, key):
        return key in self.namespace

    def __getitem__(self, key):
        return self.bindings.name(key, self.namespace[key])


def bind_rule(ctx, stmt, mode, carries):
    """(template, binding) of the rule of `mode` ("adjoint" or "tangent") for the primitive
    `stmt` calls, bound to the call's argument nodes.

    carries(node): whether an argument carries a derivative; one passed where the rule has no
    derivative is refused (a rule may leave out arguments that are constants in practice)."""
    op = stmt.op
    kind, register = _RULES[mode]
    template = getattr(op.prim, mode)
    if template is None:
        raise ctx.error(MissingRuleError, stmt, f"{op.prim.name} has no {kind} rule",
                        hint=f"register one with {register}({op.prim.name})")
    args = list(op.args)
    if op.func is operator.getitem:
        args[1] = ctx.index_value(args[1])
    try:
        binding = template.bind(args, op.keywords)
    except TemplateError as exc:
        raise ctx.error(MissingRuleError, stmt, f"the {kind} rule of {op.prim.name} does not "
                        f"accept these arguments ({exc})",
                        hint="call it with the arguments its rule supports, or register a "
                             f"rule with {register}") from None
    covered = template.differentiable_params() if mode == "adjoint" else \
        template.tangent_params()
    for pname, node in binding.items():
        if pname not in covered and carries(node):
            raise ctx.error(MissingRuleError, stmt,
                            f"{op.prim.name} has no {kind} derivative with respect to its "
                            f"argument `{pname}`, which depends on what is differentiated here",
                            hint=f"pass a constant there, or register a fuller rule with "
                                 f"{register}")
    return template, binding


def spelling(ctx, template):
    """How the free names of `template` are spelled in the code being written."""
    return Spelling(ctx.bindings, template.func.__globals__)


def bind_user_call(ctx, stmt, carries):
    """[(parameter, argument node)] of a call of the user's own function whose arguments carry
    a derivative (the callee is differentiated with respect to those parameters)."""
    op = stmt.op
    try:
        bound = inspect.signature(op.func).bind(*op.args, **op.keywords)
    except TypeError as exc:
        raise ctx.error(MissingRuleError, stmt, f"cannot call {op.label} with these "
                        f"arguments ({exc})") from None
    out = []
    params = bound.signature.parameters
    for pname, node in bound.arguments.items():
        kind = params[pname].kind
        if kind in (kind.VAR_POSITIONAL, kind.VAR_KEYWORD):
            values = node.values() if kind is kind.VAR_KEYWORD else node
            if any(carries(v) for v in values):
                star = "**" if kind is kind.VAR_KEYWORD else "*"
                raise ctx.error(MissingRuleError, stmt, f"passing differentiated values "
                                f"into {star}{pname} of {op.label}",
                                hint="instead: pass them as named parameters")
            continue
        if carries(node):
            if not isinstance(node, gast.Name):
                raise ctx.error(MissingRuleError, stmt, "passing a list or tuple of "
                                f"differentiated values as `{pname}` to {op.label}",
                                hint="instead: pass the arrays as separate arguments")
            out.append((pname, node))
    return out


def compile_callee(ctx, stmt, callee, wrt):
    """callee(func, wrt): the Compiled derivative of the function `stmt` calls.

    A function of an installed library (NumPy's np.diff, a package's helper) is differentiated
    from its source like the user's own when it has no rule. Where that fails, the error would
    name a line of the library the user never wrote: it is raised again at the user's call,
    saying which library line failed and what to write instead."""
    try:
        return callee(stmt.op.func, wrt)
    except ArgumentMethodError as exc:
        _pass_on(ctx, stmt, exc)
        raise
    except TangentLiteError as exc:
        where = library_path(getattr(exc, "filename", None))
        if where is None or library_path(ctx.parsed.filename) is not None:
            raise      # the user's own code, or a library calling itself: as it is
        label = stmt.op.label
        message = (f"{label} has no derivative rule, and differentiating its source failed "
                   f"at {where}:{exc.lineno}: {exc.message}")
        hint = (f"instead: register a rule for it with @tangent_lite.adjoint({label}) and "
                f"@tangent_lite.tangent_rule({label}), or compute this value with functions "
                "that have rules")
        raise type(exc)(message, filename=ctx.parsed.filename, lineno=stmt.lineno,
                        col=getattr(stmt, "col_offset", None),
                        source_line=ctx.parsed.line(stmt.lineno), hint=hint) from exc


def _pass_on(ctx, stmt, exc):
    """A method called on a parameter of the callee that the caller passes one of its own
    parameters to (`helper(model, x)` calling `model.forward`): the caller's parameter is the
    one whose class decides (classes.py compiles the caller per class of it)."""
    callee = getattr(stmt.op.func, "function", stmt.op.func)
    if exc.function is not callee:
        return
    try:
        bound = inspect.signature(callee).bind(*stmt.op.args, **stmt.op.keywords)
    except TypeError:
        return
    node = bound.arguments.get(exc.argument)
    own = {p.name for p in inspect.signature(ctx.parsed.func).parameters.values()}
    if isinstance(node, gast.Name) and node.id in own:
        exc.argument, exc.function = node.id, ctx.parsed.func


def library_path(filename):
    """`numpy/lib/_function_base_impl.py` for a file of an installed package or of Python's
    standard library (site-packages, the stdlib folder), relative to where it is installed;
    None for any other file (the user's code)."""
    if not filename:
        return None
    path = os.path.realpath(filename)
    for root in _library_roots():
        if path.startswith(root + os.sep):
            return os.path.relpath(path, root)
    return None


@functools.lru_cache(maxsize=1)
def _library_roots():
    """The folders of installed packages and of the standard library, most specific first."""
    paths = sysconfig.get_paths()
    roots = {paths[k] for k in ("purelib", "platlib", "stdlib", "platstdlib") if k in paths}
    roots.update(site.getsitepackages() if hasattr(site, "getsitepackages") else ())
    roots.add(site.getusersitepackages())
    return sorted({os.path.realpath(r) for r in roots if r}, key=len, reverse=True)


def call_of(ctx, name, compiled, stmt, first=(), keywords=()):
    """`name(*first, *args, **keywords)`: the call of a callee's derivative, binding `name` to
    its compiled df, with the original call's arguments."""
    op = stmt.op
    fname = ctx.bindings.name(name, compiled.df)
    kws = [gast.keyword(arg=k, value=s.copy(v)) for k, v in op.keywords.items()]
    return s.call(fname, list(first) + [s.copy(a) for a in op.args], kws + list(keywords))


def alias_checks(ctx, stmt, guards):
    """The run-time checks before `x += e` that no other name read later shares x's memory
    (analysis/aliasing.py decides where): `unshared(x, other, "x other", "file:line")`."""
    return [s.expr(ctx.call("unshared", [
        s.name(stmt.target), s.name(other), s.const(f"{stmt.target} {other}"), s.const(where)]))
        for other, where in guards.get(id(stmt), ())]


def bound_for_checks(ctx, guards):
    """`m = None` for the names a run-time alias check may read before their first
    assignment (analysis/aliasing.py: checked_before_bound)."""
    names = checked_before_bound(ctx.fn, guards)
    if not names:
        return []
    return [Comment("read by run-time alias checks before their first assignment")] + [
        s.assign(v, s.const(None)) for v in names]


def copied_arguments(ctx, copied):
    """df works on copies of the arguments the function writes into: the caller's arrays stay
    as they are."""
    if not copied:
        return []
    return [Comment(f"{ctx.fn.name} writes into these arguments: work on copies, the caller's "
                    "arrays stay as they are")] + [
        s.assign(p, ctx.call("owned", [s.name(p)])) for p in sorted(copied)]


def loop_statement(stmt, body):
    """The ir.For or ir.While `stmt` as Python, with `body` as its body."""
    if isinstance(stmt, ir.For):
        return gast.For(target=s.name(stmt.target, store=True), iter=s.name(stmt.iter),
                        body=body, orelse=[], type_comment=None)
    return gast.While(test=stmt.test, body=body, orelse=[])


def refuse_misused_sequences(ctx, varied):
    """Raise where a Python list of differentiated values is used as an array (`acc + [v]`,
    `np.sum(items)`): both modes treat lists as sequences. Returns the list-valued names."""
    seqs = sequence_names(ctx.fn)
    misused = misused_sequence(ctx.fn, varied, seqs)
    if misused:
        stmt, name = misused
        raise ctx.error(UnsupportedSyntaxError, stmt,
                        f"`{name}` is a Python list of differentiated values, and "
                        f"{stmt.op.label} would treat it as an array",
                        hint=f"instead: make it an array first, e.g. `np.stack({name})`")
    return seqs
