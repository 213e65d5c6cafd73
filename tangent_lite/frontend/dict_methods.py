"""`d.get(key, default)` lowered to the conditional read it is.

    scale = opts.get("scale", 1.0)   ->   scale = opts["scale"] if has_key(opts, "scale") else 1.0

The read is then an ordinary dict read (its rule gives the entry its gradient) on one side of
an if statement (the condition is saved like any branch). `has_key` (runtime/pytrees.py)
raises for anything but a dict, where Python's `.get` would not exist or do something else.
Only keys and defaults that are names or constants are lowered: Python evaluates the default
even when the key is there, which the conditional would not, so only values whose evaluation
does nothing may move into the branch. Anything else keeps the method call's refusal.
"""
import gast

from .. import runtime
from .expressions import load
from .parse import UNRESOLVED


def lower_dict_get(fdef, parsed, bindings):
    """Rewrite each `d.get(k)` / `d.get(k, default)` of a local name in fdef, in place."""
    _Get(parsed, bindings).visit(fdef)


def _plain(node):
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        node = node.operand
    return isinstance(node, (gast.Name, gast.Constant))


class _Get(gast.NodeTransformer):
    def __init__(self, parsed, bindings):
        self.parsed = parsed
        self.bindings = bindings

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if not (isinstance(func, gast.Attribute) and func.attr == "get" and
                isinstance(func.value, gast.Name) and not node.keywords and
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
