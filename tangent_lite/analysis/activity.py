"""Activity: which variables depend on the arguments being differentiated.

Only these ("varied") variables get adjoint code. The analysis is by name and flow-insensitive,
so it over-approximates: a variable varied anywhere is varied everywhere. That costs at most
some zero contributions, never a wrong gradient.
"""
import operator

import gast

from .. import ir


def names_read(node):
    """The variable names an expression reads."""
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Load)}


def differentiable_inputs(op):
    """The argument nodes of `op` through which a gradient can flow (not index expressions)."""
    if op.func is operator.getitem:
        return [op.args[0]]
    return list(op.args) + list(op.keywords.values())


def value_reads(stmt):
    """Names whose value flows into the result of an ir.Assign."""
    if stmt.op is None:
        return names_read(stmt.value) if isinstance(stmt.value, gast.Name) else set()
    if stmt.op.prim is not None and stmt.op.prim.nondiff:
        return set()
    out = set()
    for arg in differentiable_inputs(stmt.op):
        out |= names_read(arg)
    return out


def walk(body):
    """Every simple statement of a body, in order (compound statements arrive later)."""
    for stmt in body:
        yield stmt


def varied_names(fn, wrt):
    """The set of names that may depend on the parameters `wrt`."""
    varied = set(wrt)
    changed = True
    while changed:
        changed = False
        for stmt in walk(fn.body):
            if isinstance(stmt, ir.Assign) and not varied.issuperset(stmt.targets):
                if value_reads(stmt) & varied:
                    varied.update(stmt.targets)
                    changed = True
    return varied


def check_refusals(fn, varied):
    """Raise the error of any construct that cannot be differentiated but would have to be."""
    for stmt in walk(fn.body):
        if not isinstance(stmt, ir.Assign) or stmt.refuse is None:
            continue
        if stmt.op is not None:
            reads = set()
            for arg in differentiable_inputs(stmt.op):
                reads |= names_read(arg)
        else:
            reads = names_read(stmt.value)
        if reads & varied:
            raise stmt.refuse()
