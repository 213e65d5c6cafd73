"""`d.get(key, default)` lowered to the conditional read it is.

    scale = opts.get("scale", 1.0)   ->   scale = opts["scale"] if has_key(opts, "scale") else 1.0

The read is then an ordinary dict read (its rule gives the entry its gradient) on one side of
an if statement (the condition is saved like any branch). Only a parameter or a local name
that holds dicts made by literals or comprehensions is read so; `has_key` (runtime/pytrees.py)
raises for a parameter that is not a mapping, whose `.get` is its own.
Only keys and defaults that are names or constants are lowered: Python evaluates the default
even when the key is there, which the conditional would not, so only values whose evaluation
does nothing may move into the branch. Anything else keeps the method call's refusal.
"""
import gast

from .. import runtime
from .expressions import load
from .parse import UNRESOLVED


def lower_dict_get(fdef, parsed, bindings):
    """Rewrite each `d.get(k)` / `d.get(k, default)` in fdef, in place, where d is a
    parameter or a local name every assignment binds to a dict literal or comprehension."""
    _Get(parsed, bindings, _dict_names(fdef)).visit(fdef)


def _dict_names(fdef):
    names = set()    # the parameters of fdef and of its nested functions (`**kw` too)
    for f in gast.walk(fdef):
        if isinstance(f, (gast.FunctionDef, gast.Lambda)):
            a = f.args
            names |= {p.id for p in a.posonlyargs + a.args + a.kwonlyargs +
                      [a.vararg, a.kwarg] if p is not None}
    made, other = set(), set()
    for node in gast.walk(fdef):
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
            other.add(node.id)
        if isinstance(node, gast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], gast.Name) and \
                isinstance(node.value, (gast.Dict, gast.DictComp)):
            made.add(node.targets[0].id)
    stored_otherwise = {n for n in other if n in made and not all(
        isinstance(a.value, (gast.Dict, gast.DictComp)) for a in gast.walk(fdef)
        if isinstance(a, gast.Assign) and any(
            isinstance(t, gast.Name) and t.id == n for t in a.targets))}
    return (names - other) | (made - stored_otherwise)


def _plain(node):
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        node = node.operand
    return isinstance(node, (gast.Name, gast.Constant))


class _Get(gast.NodeTransformer):
    def __init__(self, parsed, bindings, dicts):
        self.parsed = parsed
        self.bindings = bindings
        self.dicts = dicts

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if not (isinstance(func, gast.Attribute) and func.attr == "get" and
                isinstance(func.value, gast.Name) and func.value.id in self.dicts and
                not node.keywords and
                1 <= len(node.args) <= 2 and all(_plain(a) for a in node.args) and
                self.parsed.resolve(func.value) is UNRESOLVED):
            return node
        d, key = func.value, node.args[0]
        default = node.args[1] if len(node.args) == 2 else gast.Constant(value=None, kind=None)
        test = gast.Call(func=load(self.bindings.name("has_key", runtime.has_key)),
                         args=[load(d.id), key], keywords=[])
        read = gast.Subscript(value=load(d.id), slice=key, ctx=gast.Load())
        out = gast.IfExp(test=test, body=read, orelse=default)
        for n in gast.walk(out):
            gast.copy_location(n, node)
        return out
