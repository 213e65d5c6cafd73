"""Nested functions, lambdas, and helpers that write into their arguments are inlined where
they are called.

A nested `def` or a `lambda` is a closure over the enclosing function's variables, which may
be the very values being differentiated. Inlining its body at each call (parameters and locals
renamed apart) makes those dependencies ordinary data flow, with the call's own branches, loops
and early returns normalized like any other code.

A module-level helper of the same module that may write into an array it is given (`v += d`,
`M[i] *= s`; see frontend/mutation.py) is inlined too: its writes are then the caller's own
writes, through the names bound to the caller's arrays, and the memory model follows them as
NumPy runs them. Differentiated on its own it would work on copies, and the caller would not
see the write.

A small straight-line elementwise function of the caller's module (`sigmoid`) is inlined too,
for speed: its operations then run once, as the caller's own (frontend/small_callees.py says
which, and why each condition keeps the program the same).
"""
import inspect

import gast

from ..ir.syntax import clone
from ..optimize import enabled
from ..rules.registry import lookup
from . import small_callees
from .expressions import load
from .mutation import writes_parameters
from .parse import parse_function


class Inliner:
    """Mixin of Normalizer: inlines calls of nested functions and lambdas."""

    # -- nested functions and lambdas ----------------------------------------------------------

    def is_inline_call(self, node):
        return isinstance(node, gast.Call) and (
            isinstance(node.func, gast.Lambda) or (
                isinstance(node.func, gast.Name) and node.func.id in self.local_funcs)
            or self.writing_helper(node) is not None or self.small_helper(node) is not None)

    def helper_entry(self, call):
        """(target, func, fdef, writes) for a call of a plain Python function (or method) of
        the user's that has no rule and is not tangent_lite's own; fdef is its parsed
        definition (None without source), writes whether it may write into its arguments.
        None for anything else. Cached per function: every call is asked about."""
        if not isinstance(call.func, (gast.Name, gast.Attribute)):
            return None
        func = self.parsed.resolve(call.func)
        target = func.__func__ if inspect.ismethod(func) else func
        if not inspect.isfunction(target) or target is self.parsed.func or \
                lookup(target) is not None or hasattr(target, "__tangent_lite__"):
            return None
        cache = self.__dict__.setdefault("_helper_defs", {})
        key = (target, target is not func)
        if key not in cache:
            try:
                fdef = parse_function(target).node
            except Exception:       # no source: differentiated (or refused) as a call
                fdef = None
            writes = fdef is not None and writes_parameters(fdef, skip_self=target is not func)
            cache[key] = (fdef, writes)
        return (target, func) + cache[key]

    def writing_helper(self, call):
        """The definition of the helper `call` calls, when it is a plain Python function of
        the caller's own module (same globals, no closure, no rule) that may write into its
        arguments; else None. Such a helper that cannot be inlined (from another module, a
        closure, a method) is refused: differentiated on its own it would work on copies."""
        entry = self.helper_entry(call)
        if entry is None or not entry[3]:
            return None
        target, func, fdef, _ = entry
        if target is not func or func.__globals__ is not self.parsed.globals or \
                func.__closure__:
            raise self.unsupported(call, (
                f"a call of {gast.unparse(call.func).strip()}, which may write into an array "
                "it is given, and is defined in another module, as a closure or as a method "
                "(it can only be inlined from the caller's own module): return the new array "
                "from it (`y = f(y)`, with `y = y * ...` inside), or define it next to its "
                "caller"))
        return fdef

    def small_helper(self, call):
        """The definition of the function `call` calls, when it is a small straight-line
        function of the caller's own module and file that its caller sees through
        (frontend/small_callees.py); else None."""
        if not enabled("small_callees") or any(
                isinstance(a, gast.Starred) for a in call.args) or any(
                k.arg is None for k in call.keywords):
            return None
        entry = self.helper_entry(call)
        if entry is None or entry[3] or entry[2] is None:
            return None
        target, func, fdef, _ = entry
        if (target is not func or func.__globals__ is not self.parsed.globals
                or func.__closure__ or target.__code__.co_filename != self.parsed.filename
                or not small_callees.straight_line(fdef)
                or not small_callees.elementwise(fdef, self.parsed.resolve)
                or small_callees.free_names(fdef) & self.parsed.local_names):
            return None
        return fdef

    def inline(self, call, into=None):
        """Inline a call of a nested function or lambda; return the name of its result.

        The body is normalized in place, its parameters and locals renamed apart, so it sees
        the enclosing function's variables as a closure would when called. A small callee's
        (frontend/small_callees.py) `return e` is written `into = e` where the call's value
        is assigned to the name `into`: its body reads none of the caller's names.
        """
        small = False
        if isinstance(call.func, gast.Lambda):
            fdef = call.func
        elif isinstance(call.func, gast.Name) and call.func.id in self.local_funcs:
            fdef = self.local_funcs[call.func.id]
        else:
            fdef = self.writing_helper(call)
            if fdef is None:
                fdef, small = self.small_helper(call), True
        if isinstance(fdef, gast.FunctionDef):
            fdef = _ending_in_return(fdef)
        label = "lambda" if isinstance(fdef, gast.Lambda) else fdef.name
        if small and label == "lambda" and isinstance(call.func, gast.Name):
            label = call.func.id     # a module's `softplus = lambda v: ...`: its name
        if label in self.inlining:
            raise self.unsupported(call, f"recursion in the nested function `{label}`: write "
                                         "it as a loop")
        body = [gast.copy_location(gast.Return(value=fdef.body), fdef.body)] if isinstance(
            fdef, gast.Lambda) else list(fdef.body)
        if body and isinstance(body[0], gast.Expr) and isinstance(body[0].value,
                                                                  gast.Constant):
            body = body[1:]
        args = fdef.args
        if args.kwonlyargs or args.posonlyargs:
            raise self.unsupported(call, f"calling `{label}`, which has keyword-only or "
                                         "positional-only parameters: give it plain "
                                         "parameters")
        if not always_returns(body):
            raise self.unsupported(call, f"calling `{label}`, which can end without "
                                         "returning a value: end every path with `return`")
        params = [a.id for a in args.args]
        starred = [a.id for a in (args.vararg, args.kwarg) if a is not None]
        local = set(params) | set(starred) | {
            n.id for st in body for n in gast.walk(st)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        rename = {n: self.namer.fresh(f"{n}_{label}") for n in sorted(local)}
        call, packed = _pack_extras(call, params, args.vararg, args.kwarg)
        values = self.bind_call(call, params, args.defaults, label)
        for p, value in zip(params, values):
            self.assign(rename[p], value)
        for p, value in packed:    # `*args` a tuple, `**kw` a dict, as Python makes them
            self.assign(rename[p], value)
        body = [Rename(rename).visit(clone(st)) for st in body]
        saved = (self.loop, self.result, self.returned, self.lineno)
        self.loop, self.returned = None, None
        self.result = (into if small else None) or self.namer.temp(label)
        self.inlining.append(label)
        start = len(self.out)
        try:
            self.statements(body, tail=True)
            if self.returned:
                self.out.insert(start, self.flag(self.returned, False))
            return load(self.result)
        finally:
            self.inlining.pop()
            self.loop, self.result, self.returned, self.lineno = saved

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


def _pack_extras(call, params, vararg, kwarg):
    """(the call with the arguments `params` take, [(name, value)]) of a call of a function
    with `*args` (the extra positional arguments, a tuple literal) or `**kw` (the keywords
    no parameter takes, a dict literal)."""
    packed = []
    args, keywords = call.args, call.keywords
    if vararg is not None and not any(isinstance(a, gast.Starred) for a in args):
        packed.append((vararg.id, gast.Tuple(elts=args[len(params):], ctx=gast.Load())))
        args = args[:len(params)]
    if kwarg is not None and all(k.arg is not None for k in keywords):
        extra = [k for k in keywords if k.arg not in params]
        packed.append((kwarg.id, gast.Dict(
            keys=[gast.Constant(value=k.arg, kind=None) for k in extra],
            values=[k.value for k in extra])))
        keywords = [k for k in keywords if k.arg in params]
    call = gast.copy_location(gast.Call(func=call.func, args=args, keywords=keywords), call)
    return call, packed


def _ending_in_return(fdef):
    """A copy of a helper's definition whose every path ends in `return` (`return None` where
    it falls off its end or returns bare), as its caller sees it."""
    fdef = clone(fdef)
    for node in gast.walk(fdef):
        if isinstance(node, gast.Return) and node.value is None:
            node.value = gast.Constant(value=None, kind=None)
    if not always_returns(fdef.body):
        end = gast.Return(value=gast.Constant(value=None, kind=None))
        fdef.body.append(gast.copy_location(end, fdef.body[-1]))
    return fdef


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
