"""Growing a Python list by concatenation, lowered to the appends the core language has.

    out = out + [v]         ->   out = append(out, v)              (a new list, as `+` makes)
    out += [a, b]           ->   out = append(out, a); ... (in place, as list `+=` is)
    out.extend([a, b])      ->   the same appends, in place

`+` and `+=` mean concatenation only for a list: for an array `out + [v]` adds elementwise.
So only a name that is a list wherever it is bound (`list_names`: every assignment to it
makes a list literal or comprehension, or grows it as above; not an argument) is lowered;
anything else keeps the refusal of the transforms ("would treat it as an array"). The
in-place forms are marked as such, so the memory model (analysis/aliasing.py) sees another
name that holds the same list, as it does for `out.append(v)`.
"""
import gast

_LIST_VALUES = (gast.List, gast.ListComp)


def list_names(fdef):
    """The local names of fdef that hold a Python list wherever they are bound."""
    args = fdef.args
    params = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs +
              [args.vararg, args.kwarg] if a is not None}
    bound, other = set(), set(params)
    for node in gast.walk(fdef):
        if isinstance(node, gast.Assign):
            for t in node.targets:
                for n in gast.walk(t):
                    if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                        single = isinstance(t, gast.Name)
                        ok = single and (isinstance(node.value, _LIST_VALUES) or
                                         grown(t.id, node.value) is not None)
                        (bound if ok else other).add(n.id)
        elif isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
            ok = isinstance(node.op, gast.Add) and _plain_items(node.value)
            (bound if ok else other).add(node.target.id)
        elif isinstance(node, (gast.For, gast.comprehension, gast.With, gast.NamedExpr,
                               gast.AnnAssign)):
            target = getattr(node, "target", None)
            other.update(n.id for n in gast.walk(target) if isinstance(n, gast.Name)) \
                if target is not None else None
        elif isinstance(node, (gast.FunctionDef, gast.Lambda)) and node is not fdef:
            other.update(n.id for n in gast.walk(node) if isinstance(n, gast.Name))
    return bound - other


def grown(name, value):
    """The items of `name + [a, b]` (a list literal added to the name itself), else None."""
    if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add) and \
            isinstance(value.left, gast.Name) and value.left.id == name and \
            _plain_items(value.right):
        return value.right.elts
    return None


def _plain_items(node):
    return isinstance(node, gast.List) and not any(isinstance(e, gast.Starred)
                                                   for e in node.elts)


def extended(call):
    """(name, items) of `name.extend([a, b])`, else None."""
    if isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) and \
            call.func.attr == "extend" and isinstance(call.func.value, gast.Name) and \
            len(call.args) == 1 and not call.keywords and _plain_items(call.args[0]):
        return call.func.value.id, call.args[0].elts
    return None
