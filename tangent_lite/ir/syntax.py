"""Small constructors for the gast nodes the transforms write, and the two readings of `-e`
that many passes make (`negated`, `int_literal`)."""

import gast


def name(id_, store=False):
    return gast.Name(id=id_, ctx=gast.Store() if store else gast.Load(), annotation=None,
                     type_comment=None)


def const(value):
    return gast.Constant(value=value, kind=None)


def assign(target, value):
    return gast.Assign(targets=[name(target, store=True)], value=value, type_comment=None)


def call(func, args, keywords=None):
    if isinstance(func, str):
        func = name(func)
    return gast.Call(func=func, args=args, keywords=keywords or [])


def attr(value, attribute):
    if isinstance(value, str):
        value = name(value)
    return gast.Attribute(value=value, attr=attribute, ctx=gast.Load())


def expr(value):
    return gast.Expr(value=value)


def negate(operand):
    """`-operand`."""
    return gast.UnaryOp(op=gast.USub(), operand=operand)


def negated(node):
    """e where node is `-e`, else None."""
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        return node.operand
    return None


def int_literal(node):
    """The int a literal spells, negated or not (`3`, `-1`; a bool is not an int here), else
    None."""
    inner = negated(node)
    if inner is not None:
        value = int_literal(inner)
        return None if value is None else -value
    if isinstance(node, gast.Constant) and type(node.value) is int:
        return node.value
    return None


def tuple_(elts):
    return gast.Tuple(elts=elts, ctx=gast.Load())


def summed(g, leading, kept):
    """`g.sum(axis=0)` or `g.sum(axis=(0, 1))` over the axes `leading` (dropped), then
    `.sum(axis=k, keepdims=True)` over the axes `kept` (kept as ones): unbroadcast written as
    the sums it runs, for shapes known when df is written."""
    for axes, keep in ((leading, False), (kept, True)):
        if not axes:
            continue
        axis = const(axes[0]) if len(axes) == 1 else tuple_([const(a) for a in axes])
        keywords = [gast.keyword(arg="axis", value=axis)]
        if keep:
            keywords.append(gast.keyword(arg="keepdims", value=const(True)))
        g = gast.Call(func=gast.Attribute(value=g, attr="sum", ctx=gast.Load()), args=[],
                      keywords=keywords)
    return g


def copy(node):
    return clone(node)


def clone(node):
    """A copy of a gast tree (much faster than copy.deepcopy, which templates do often)."""
    if isinstance(node, gast.AST):
        cls = type(node)
        new = cls.__new__(cls)
        for field in node._fields:
            setattr(new, field, clone(getattr(node, field, None)))
        for attr in node._attributes:
            if hasattr(node, attr):
                setattr(new, attr, getattr(node, attr))
        return new
    if isinstance(node, list):
        return [clone(item) for item in node]
    return node


def index_value(index, np_name):
    """The index of `x[...]` as a value: slices need `np.s_[...]` outside brackets (`np_name`
    is how the generated code spells numpy)."""
    index = copy(index)
    if any(isinstance(n, gast.Slice) for n in gast.walk(index)):
        return gast.Subscript(value=attr(np_name, "s_"), slice=index, ctx=gast.Load())
    return index


name_node = name   # the spelling rule templates and the transforms use
