"""Objects inside a differentiated function: attribute reads, method calls, `super()`.

- `obj.attr` where obj is a local value (a parameter such as `cfg`, or the `self` of a method
  called with its instance as an argument) reads the attribute as written; the read is a
  constant, and refused if obj depends on what is differentiated.
- `rng.standard_normal(shape)` and other methods of local objects that are not arrays run as
  written; their result is a constant, and the call is refused if the object or an argument
  depends on what is differentiated (a random draw has no derivative).
- Calls of a loop variable that runs over a constant list of objects of one class
  (`for layer in self.layers: h = layer(h)`) call that class's `__call__` or method with the
  object as its first argument, differentiated from its source like any helper.
- `super()` becomes `super(Cls, self)`, with Cls the class the method is defined in, so the
  call resolves and the generated code (which is not a method) can run it.
"""
import builtins

import gast

from .. import ir
from .callables import python_method
from .expressions import load
from .parse import UNRESOLVED


class Objects:
    """Mixin of the Normalizer: attribute reads and method calls of local objects."""

    def element_class(self, name, seq):
        """Note the class of the objects the loop variable `name` runs over when `seq` is a
        constant list or tuple of instances of one Python class, and `name` is bound nowhere
        else in the function."""
        if not isinstance(seq, (gast.Name, gast.Attribute)):
            return
        items = self.parsed.resolve(seq)
        if not isinstance(items, (list, tuple)) or not items:
            return
        classes = {type(v) for v in items}
        stores = [n for n in gast.walk(self.parsed.node) if isinstance(n, gast.Name)
                  and n.id == name and isinstance(n.ctx, gast.Store)]
        if len(classes) == 1 and len(stores) == 1:
            self.object_classes[name] = classes.pop()

    def object_call(self, node):
        """(expression, op) of `v(...)` or `v.method(...)` where v is a loop variable over
        objects of one class (element_class), or None."""
        func = node.func
        if isinstance(func, gast.Name):
            receiver, method = func, "__call__"
        elif isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name):
            receiver, method = func.value, func.attr
        else:
            return None
        cls = self.object_classes.get(receiver.id)
        if cls is None:
            return None
        function = python_method(cls, method)
        if function is None:
            raise self.unsupported(node, f"calling `{gast.unparse(func).strip()}`, which is "
                                         f"not a method written in Python of {cls.__name__}: "
                                         "call a function written in Python")
        args = [self.call_arg(a) for a in node.args]
        keywords = {k.arg: self.call_arg(k.value) for k in node.keywords}
        expr = gast.Call(func=func, args=args,
                         keywords=[gast.keyword(arg=k, value=v) for k, v in keywords.items()])
        hint = receiver.id if method == "__call__" else method
        op = self.op(function, f"{cls.__name__}.{method}", [load(receiver.id)] + args,
                     keywords, node, hint=hint)
        return expr, op

    def attribute_read(self, node):
        """(expression, op) of `obj.attr` on a local object: a constant read."""
        obj = self.atom(node.value)
        expr = gast.Attribute(value=obj, attr=node.attr, ctx=gast.Load())
        spelled = gast.unparse(node).strip()
        op = ir.Op(func=None, prim=None, label=f".{node.attr}", args=[obj], keywords={},
                   hint=node.attr)
        op.refuse = lambda: self.unsupported(node, (
            f"the attribute read `{spelled}` of a value that depends on what is "
            "differentiated: use a NumPy function of it, or compute it outside"))
        return expr, op

    def opaque_method_call(self, node):
        """(expression, op) of `obj.method(...)` on a local object that is not an array
        method tangent_lite knows: run as written, a constant."""
        receiver = self.atom(node.func.value)
        args = [self.call_arg(a) for a in node.args]
        keywords = {k.arg: self.call_arg(k.value) for k in node.keywords}
        func = gast.Attribute(value=receiver, attr=node.func.attr, ctx=gast.Load())
        expr = gast.Call(func=func, args=args,
                         keywords=[gast.keyword(arg=k, value=v) for k, v in keywords.items()])
        spelled = gast.unparse(node.func).strip()
        op = ir.Op(func=None, prim=None, label=f".{node.func.attr}", args=[receiver] + args,
                   keywords=keywords, hint=node.func.attr)
        op.refuse = lambda: self.unsupported(node, (
            f"the method call `{spelled}(...)` on values that depend on what is "
            "differentiated (a method tangent_lite has no rule for, or a random draw, which "
            f"has no derivative): call the NumPy function np.{node.func.attr}(x, ...) if there "
            "is one, or make its arguments constants"))
        return expr, op


def explicit_super(parsed):
    """Rewrite `super()` in a method as `super(Cls, self)`: Cls (the class the method is
    defined in, from its `__class__` cell) becomes a closure cell of its own name, `self` is
    the method's first parameter."""
    cell = parsed.closure.get("__class__")
    first = parsed.func.__code__.co_varnames[:1]
    calls = [n for n in gast.walk(parsed.node) if isinstance(n, gast.Call)
             and isinstance(n.func, gast.Name) and n.func.id == "super" and not n.args
             and not n.keywords]
    if not calls or cell is None or not first or parsed.resolve_name("super") is not \
            builtins.super:
        return
    cls = cell.cell_contents
    taken = {n.id for n in gast.walk(parsed.node) if isinstance(n, gast.Name)}
    name, k = cls.__name__, 2
    while name in taken or (name in parsed.closure and
                            parsed.closure[name].cell_contents is not cls):
        name, k = f"{cls.__name__}{k}", k + 1
    parsed.closure[name] = type(cell)(cls)
    for call in calls:
        call.args = [load(name), load(first[0])]


def is_object_attribute(parsed, node):
    """Whether `node` reads an attribute of a local value (not a module, class or constant the
    function can see)."""
    return isinstance(node, gast.Attribute) and parsed.resolve(node.value) is UNRESOLVED
