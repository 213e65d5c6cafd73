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
import numpy as np

from .. import ir, runtime
from ..ir.uses import all_names, names_read
from .fixpoint import closure

# Operations that build Python lists, and those whose rules accept a list operand (the
# others would treat it as an array: `lst + lst` concatenates).
SEQUENCE_BUILDERS = {list, tuple, runtime.append, runtime.zipped}
SEQUENCE_CONSUMERS = {operator.getitem, np.stack, np.concatenate, np.array, np.asarray,
                      np.sum, np.mean, sum, len, max, min, list, tuple, runtime.append,
                      runtime.zipped, runtime.dict_zipped,
                      np.vstack, np.hstack, np.dstack, np.column_stack, np.atleast_1d,
                      np.atleast_2d, np.atleast_3d, runtime.detached, runtime.dict_of}


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
        # (an ir.Pop too: generated code pops a value back into the variable it was pushed
        # from, so a pop is varied when that variable is, see varied_names, never because of
        # the stack)
        return isinstance(stmt.value, gast.Name) and stmt.value.id in varied
    if stmt.op.prim is not None and stmt.op.prim.nondiff:
        return False
    return any(is_varied(a, varied) for a in differentiable_inputs(stmt.op))


def varied_names(fn, wrt):
    """The set of names that may depend on the parameters `wrt`."""
    varied = set(wrt)
    popped = {st.target for st in ir.walk(fn.body) if isinstance(st, ir.Pop)}
    stores = [st for st in ir.walk(fn.body) if isinstance(st, (ir.Assign, ir.SetItem))]

    def grow():
        size = len(varied)
        for stmt in stores:
            targets = stmt.targets if isinstance(stmt, ir.Assign) else [stmt.target]
            if not varied.issuperset(targets) and value_varied(stmt, varied):
                varied.update(targets)
            # `t = stack.pop(); y[i] = t` restores part of y: t is varied when y is.
            if isinstance(stmt, ir.SetItem) and stmt.target in varied and isinstance(
                    stmt.value, gast.Name) and stmt.value.id in popped:
                varied.add(stmt.value.id)
        return len(varied) > size

    closure(grow, len(all_names(fn)), "activity analysis")
    return varied


def check_refusals(fn, varied):
    """Raise the error of any construct that cannot be differentiated but would have to be."""
    for stmt in ir.walk(fn.body):
        if not isinstance(stmt, (ir.Assign, ir.Effect)) or stmt.refuse is None:
            continue
        if isinstance(stmt, ir.Effect):
            hit = bool(names_read(stmt.node) & varied)
        elif stmt.op is not None:
            hit = any(is_varied(a, varied) for a in differentiable_inputs(stmt.op))
        else:
            hit = bool(names_read(stmt.value) & varied)
        if hit:
            raise stmt.refuse()


def sequence_names(fn):
    """Names that hold Python lists or tuples (their adjoints are lists too)."""
    seqs = set()
    assigns = [st for st in ir.walk(fn.body) if isinstance(st, ir.Assign)
               and len(st.targets) == 1]

    def grow():
        size = len(seqs)
        for stmt in assigns:
            if stmt.target in seqs:
                continue
            op, value = stmt.op, stmt.value
            if op is None:
                hit = isinstance(value, (gast.List, gast.Tuple)) or (
                    isinstance(value, gast.Name) and value.id in seqs)
            elif op.func in SEQUENCE_BUILDERS:
                hit = True
            elif op.func is runtime.detached:    # a copy of a list is a list
                hit = isinstance(op.args[0], gast.Name) and op.args[0].id in seqs
            else:
                hit = (op.func is operator.getitem and isinstance(op.args[0], gast.Name)
                       and op.args[0].id in seqs
                       and any(isinstance(n, gast.Slice) for n in gast.walk(op.args[1])))
            if hit:
                seqs.add(stmt.target)
        return len(seqs) > size

    closure(grow, len(all_names(fn)), "list analysis")
    return seqs


def misused_sequence(fn, varied, seqs):
    """The first statement that hands a differentiated list to an operation that would treat
    it as an array, with the list's name; or None."""
    for stmt in ir.walk(fn.body):
        if not isinstance(stmt, ir.Assign) or stmt.op is None:
            continue
        if stmt.op.func in SEQUENCE_CONSUMERS or (stmt.op.prim and stmt.op.prim.nondiff):
            continue
        for arg in differentiable_inputs(stmt.op):
            if isinstance(arg, gast.Name) and arg.id in seqs and arg.id in varied:
                return stmt, arg.id
    return None
