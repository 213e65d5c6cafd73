"""Two negations of one product cancelled, in a straight-line block of the backward sweep.

The vjp of `1.0 / (1.0 + np.exp(-v))` (a sigmoid the user wrote) is

    dt_add = -dresult * result / t_add      # the quotient's rule: a negation
    dt_neg = dt_add * t_exp
    dv = -dt_neg                            # the negation's rule: another

two array negations a call, three calls a step of the ADBench LSTM. `dv = -n` where n is a
product or quotient chain whose leftmost factor is itself negated (directly, `-a * b`, or through
a name holding such a chain) becomes the chain without either negation:

    dv = dresult * result / t_add * t_exp

Exact: round-to-nearest is symmetric in sign, so `-((-a) * b / c)` is `a * b / c` to the bit
(float, complex and integer arrays alike: two's complement negation wraps both ways), and each
product is computed in the same order as before. No negation is introduced, only a pair removed
(for bool arrays, where NumPy refuses `-a`, a gradient never is one).

What it proves: each name inlined (`dt_neg`, `dt_add`) is assigned once and read once in all of
df, by the statement it is inlined into, earlier in the same block; its value is pure; and no
statement between its assignment and the negation assigns a name that value reads or does
anything but assign a name a pure value (or a pop).
"""
import gast

from ...ir import Comment
from .spelling import name_assign, names


def cancel_negations(stmts, loads, stores, spelling):
    """Rewrite, in the block stmts, each `v = -n` whose chain n starts with a negation."""
    for j, stmt in enumerate(stmts):
        v = name_assign(stmt)
        value = getattr(stmt, "value", None)
        if not (v is not None and isinstance(value, gast.UnaryOp)
                and isinstance(value.op, gast.USub) and isinstance(value.operand, gast.Name)):
            continue
        inlined = []
        chain = _cancelled(value.operand, stmts, j, loads, stores, spelling, inlined)
        if chain is None:
            continue
        stmt.value = chain
        for k in sorted(inlined, reverse=True):
            stmts[k] = None
    stmts[:] = [s for s in stmts if s is not None]


def _cancelled(node, stmts, j, loads, stores, spelling, inlined):
    """`node` (a factor at the left end of a product chain) without its leading negation, or
    None where it has none that can be removed. inlined: positions of the statements whose
    values were taken in."""
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        return node.operand
    if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Mult, gast.Div)):
        left = _cancelled(node.left, stmts, j, loads, stores, spelling, inlined)
        return None if left is None else gast.BinOp(left=left, op=node.op, right=node.right)
    if not isinstance(node, gast.Name) or loads.get(node.id) != 1 or stores.get(node.id) != 1:
        return None
    k = _definition(stmts, j, node.id)
    if k is None or k in inlined:
        return None
    value = stmts[k].value
    if not (isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Mult, gast.Div))
            or isinstance(value, gast.UnaryOp) and isinstance(value.op, gast.USub)):
        return None
    if not spelling.pure(value):
        return None
    read = names(value)
    for stmt in stmts[k + 1:j]:
        if stmt is None or isinstance(stmt, Comment):
            continue
        # only assignments of names by pure values (or pops): nothing written in place
        target = name_assign(stmt) if isinstance(stmt, gast.Assign) else \
            stmt.target.id if isinstance(stmt, gast.AugAssign) and isinstance(
                stmt.target, gast.Name) else None
        if target is None or target in read or not (spelling.pure(stmt.value) or _pop(stmt.value)):
            return None
    inlined.append(k)
    out = _cancelled(value, stmts, j, loads, stores, spelling, inlined)
    if out is None:
        inlined.remove(k)
    return out


def _pop(value):
    return (isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute)
            and value.func.attr == "pop" and not value.args and not value.keywords)


def _definition(stmts, j, name):
    """The position of `name = ...` before stmts[j] in the block, or None."""
    for k in range(j - 1, -1, -1):
        if stmts[k] is not None and name_assign(stmts[k]) == name:
            return k
    return None
