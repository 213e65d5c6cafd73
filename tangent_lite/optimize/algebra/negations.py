"""Negations that cancel, in a straight-line block of the backward sweep.

The rules of `-x`, of a subtrahend and of `1 / x` each negate their gradient, so a chain such
as the sigmoid's `dt_add = -dp * p / t_add; dt_neg = dt_add * t_exp; dz = -dt_neg` negates an
array twice, and `dt_sum = -dt_neg2; dt_log2 = dt_sum * t_sub; dt_sub2 = dt_log2 / t_sub2;
dp = -dt_sub2` negates once more than it needs to. `y = -v`, where v is a product or quotient
chain named once and read only there, is written with one negation inside the chain removed:
`dz = dp * p / t_add * t_exp`, `dp = dt_neg2 * t_sub / t_sub2`.

Exact: rounding to nearest is symmetric in sign, so -(a * b) is (-a) * b and a * (-b) to the
bit, and -(a / b) is (-a) / b and a / (-b); negation keeps a value's dtype and type, so the
result has the dtype, shape and type it had. A negation found in the chain is dropped, or a
name bound once to `-u` is read as u. The chain's intermediate names, each read once, are
inlined where nothing between their assignment and the use rebinds a name they read or writes
into an array in place (`x += e`); their assignments go.

Where a name cannot be inlined (a pop between rebinds a name it reads: the LSTM's `dt_add4 =
-do * o / t_add4; o = stack.pop(); ...; dt_neg3 = dt_add4 * t_exp3; ...; dt_item4 = -dt_neg3`),
the signs are flipped where they stand: a name bound once and read once, by the chain, is
bound to its own negation (`dt_add4 = do * o / t_add4`), so its one reader computes the
negation of what it did, and `y = -v` is `y = v`. Nothing moves, so nothing between matters.
"""
import gast

from ...ir import Comment
from ...ir.syntax import negated
from .spelling import name_assign, names


def cancel_negations(stmts, loads, stores, spelling):
    """Rewrite, in the block stmts, each `y = -v` whose v cancels a negation (see above).
    loads, stores: how often df reads and binds each name."""
    i = 0
    while i < len(stmts):
        stmt = stmts[i]
        value = getattr(stmt, "value", None)
        if name_assign(stmt) and negated(value) is not None:
            inlined = []
            new = _cancel(negated(value), stmts, i, loads, stores, spelling, inlined)
            if new is not None:
                stmt.value = new
                for j in sorted(inlined, reverse=True):
                    del stmts[j]
                i -= len(inlined)
            else:
                flipped = _flip(negated(value), stmts, i, loads, stores)
                if flipped is not None:
                    new, changes = flipped
                    for at, bound in changes:
                        stmts[at].value = bound
                    stmt.value = new
                    if _bind_in_place(stmts, i, loads, stores):
                        i -= 1
        i += 1


def _bind_in_place(stmts, at, loads, stores):
    """`y = v` left by a flip, where v is bound once and read only here: bind y where v is
    bound (`dv = dt_neg` of `dt_neg = dt_add * t_exp` is `dv = dt_add * t_exp`) and drop the
    copy, where no statement between mentions y. Says whether it did."""
    value = stmts[at].value
    if not (isinstance(value, gast.Name) and stores.get(value.id) == 1
            and loads.get(value.id) == 1):
        return False
    j = _definition(stmts, at, value.id)
    target = name_assign(stmts[at])
    if j is None or any(target in names(st) for st in stmts[j + 1:at]
                        if not isinstance(st, Comment)):
        return False
    stmts[j].targets = stmts[at].targets
    del stmts[at]
    return True


def _flip(expr, stmts, at, loads, stores):
    """(an expression equal to -expr to the bit, [(index, value)]: statements of the block to
    bind the negation of what they bound) with one negation fewer and nothing moved, or None.
    Only names bound once and read once in df (here) are flipped."""
    if negated(expr) is not None:
        return negated(expr), []
    if isinstance(expr, gast.BinOp) and isinstance(expr.op, (gast.Mult, gast.Div)):
        left = _flip(expr.left, stmts, at, loads, stores)
        if left is not None:
            return gast.BinOp(left=left[0], op=expr.op, right=expr.right), left[1]
        right = _flip(expr.right, stmts, at, loads, stores)
        if right is not None:
            return gast.BinOp(left=expr.left, op=expr.op, right=right[0]), right[1]
        return None
    if not (isinstance(expr, gast.Name) and stores.get(expr.id) == 1
            and loads.get(expr.id) == 1):
        return None
    j = _definition(stmts, at, expr.id)
    if j is None or not isinstance(stmts[j].value, (gast.BinOp, gast.UnaryOp)):
        return None
    inner = _flip(stmts[j].value, stmts, j, loads, stores)
    if inner is None:
        return None
    return expr, inner[1] + [(j, inner[0])]


def _cancel(expr, stmts, at, loads, stores, spelling, inlined):
    """An expression equal to -expr to the bit with one negation fewer, or None. Names read
    once may be inlined from the block (their statements' indices added to `inlined`)."""
    if negated(expr) is not None:
        return negated(expr)
    if isinstance(expr, gast.BinOp) and isinstance(expr.op, (gast.Mult, gast.Div)):
        left = _cancel(expr.left, stmts, at, loads, stores, spelling, inlined)
        if left is not None:
            return gast.BinOp(left=left, op=expr.op, right=expr.right)
        right = _cancel(expr.right, stmts, at, loads, stores, spelling, inlined)
        if right is not None:
            return gast.BinOp(left=expr.left, op=expr.op, right=right)
        return None
    if not isinstance(expr, gast.Name) or stores.get(expr.id) != 1:
        return None
    j = _definition(stmts, at, expr.id)
    if j is None:
        return None
    value = stmts[j].value
    operand = negated(value)
    if isinstance(operand, gast.Name) and stores.get(operand.id) == 1:
        return operand            # n = -u: read u (n stays for its other readers)
    if loads.get(expr.id) != 1 or not spelling.pure(value) or \
            not isinstance(value, (gast.BinOp, gast.UnaryOp)) or \
            not _unchanged_between(stmts, j, at, names(value)):
        return None
    mark = len(inlined)
    inlined.append(j)
    new = _cancel(value, stmts, at, loads, stores, spelling, inlined)
    if new is None:
        del inlined[mark:]
    return new


def _definition(stmts, at, name):
    """The index of `name = ...` before stmts[at] in the block, or None."""
    for j in range(at - 1, -1, -1):
        if name_assign(stmts[j]) == name:
            return j
    return None


def _unchanged_between(stmts, j, at, read):
    """Whether the statements strictly between j and at only bind names not in `read`, by
    plain assignments (no in-place write, no nested block)."""
    for stmt in stmts[j + 1:at]:
        if isinstance(stmt, Comment):
            continue
        target = name_assign(stmt)
        if target is None or target in read:
            return False
    return True
