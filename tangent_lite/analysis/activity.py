"""Activity: which variables depend on the arguments being differentiated.

Only these ("varied") variables get adjoint code. The analysis is by name and flow-insensitive,
so it over-approximates: a variable varied anywhere is varied everywhere. That costs at most
some zero contributions, never a wrong gradient.

In the core language an argument position holds a name, a constant, a list or tuple of those,
or an expression the normalizer kept inline because it can never carry a gradient (`x > 0`,
`x.shape[0]`, an index). So an argument is varied exactly when it is, or lists, a varied name.
"""
import operator

import gast

from .. import ir


def names_read(node):
    """The variable names an expression (or statement) reads."""
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Load)}


def is_varied(node, varied):
    """Whether the argument `node` carries a gradient."""
    if isinstance(node, gast.Name):
        return node.id in varied
    if isinstance(node, (gast.List, gast.Tuple)):
        return any(is_varied(e, varied) for e in node.elts)
    return False


def differentiable_inputs(op):
    """The argument nodes of `op` through which a gradient can flow (not index expressions)."""
    if op.func is operator.getitem:
        return [op.args[0]]
    return list(op.args) + list(op.keywords.values())


def operand_names(op):
    """Names appearing as differentiable operands of `op`."""
    out = set()
    for arg in differentiable_inputs(op):
        if isinstance(arg, gast.Name):
            out.add(arg.id)
        elif isinstance(arg, (gast.List, gast.Tuple)):
            out.update(e.id for e in arg.elts if isinstance(e, gast.Name))
    return out


def value_varied(stmt, varied):
    """Whether the value an ir.Assign or ir.SetItem stores depends on `varied` names."""
    if isinstance(stmt, ir.SetItem):
        return is_varied(stmt.value, varied)
    if stmt.op is None:
        return isinstance(stmt.value, gast.Name) and stmt.value.id in varied
    if stmt.op.prim is not None and stmt.op.prim.nondiff:
        return False
    return any(is_varied(a, varied) for a in differentiable_inputs(stmt.op))


def varied_names(fn, wrt):
    """The set of names that may depend on the parameters `wrt`."""
    varied = set(wrt)
    changed = True
    while changed:
        changed = False
        for stmt in ir.walk(fn.body):
            if isinstance(stmt, ir.Assign):
                targets = stmt.targets
            elif isinstance(stmt, ir.SetItem):
                targets = [stmt.target]
            else:
                continue
            if not varied.issuperset(targets) and value_varied(stmt, varied):
                varied.update(targets)
                changed = True
    return varied


def check_refusals(fn, varied):
    """Raise the error of any construct that cannot be differentiated but would have to be."""
    for stmt in ir.walk(fn.body):
        if not isinstance(stmt, ir.Assign) or stmt.refuse is None:
            continue
        if stmt.op is not None:
            hit = any(is_varied(a, varied) for a in differentiable_inputs(stmt.op))
        else:
            hit = bool(names_read(stmt.value) & varied)
        if hit:
            raise stmt.refuse()
