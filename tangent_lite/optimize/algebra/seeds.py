"""A full sum's spread seed folded into its product, in a straight-line block of the backward
sweep.

`dt = unreduce(g, t, None, False)` (the gradient of a full sum or mean, one number spread over
t's shape), read only by the next statement, `dx = dt * e` (or `e * dt`, also inside
`unbroadcast(..., x)`), becomes `dx = g * e` where e certainly has t's shape and dtype: e is t,
or t is `x ** c`, `x * c` or `c * x` (c a number, t assigned once) and e is x, `c2 * x` or
`x * c2`. The spread array is never made. The dtype is the same because g descends from the
seed `unit_of(t)` (a loss `np.sum(t)` or `np.mean(t)`, optimize/seed.py) through numbers
alone: g is a Python float only where t is float64 (and then `g * e` is float64 like
`unreduce(...) * e`), else a NumPy scalar of t's dtype, which promotes exactly as the spread
array does.
"""
import copy

import gast

from ...ir.syntax import negated
from .spelling import is_name, name_assign, next_statement, number

def fold_spread_seeds(stmts, everything, loads, stores, spelling):
    """Fold, in the block stmts, each spread seed into the product that reads it. everything:
    all of df's statements; loads, stores: how often df reads and binds each name."""
    i = 0
    while i < len(stmts):
        j = next_statement(stmts, i)
        if j is not None and _fold(stmts[i], stmts[j], everything, loads, stores, spelling):
            del stmts[i]
            continue
        i += 1


def _fold(spread, use, everything, loads, stores, spelling):
    dt = name_assign(spread)
    call = getattr(spread, "value", None)
    if not (dt and isinstance(call, gast.Call) and is_name(call.func, spelling.unreduce)
            and not call.keywords and len(call.args) in (2, 4)
            and isinstance(call.args[1], gast.Name)):
        return False
    if len(call.args) == 4 and not (
            isinstance(call.args[2], gast.Constant) and call.args[2].value is None
            and isinstance(call.args[3], gast.Constant) and call.args[3].value is False):
        return False
    g, t = call.args[0], call.args[1].id
    if loads.get(dt) != 1 or stores.get(dt) != 1 or not isinstance(use, (gast.Assign,
                                                                        gast.AugAssign)):
        return False
    if not _seeded_by(g, t, everything, stores, spelling):
        return False
    product = use.value
    if (isinstance(product, gast.Call) and is_name(product.func, spelling.unbroadcast)
            and len(product.args) == 2):
        product = product.args[0]
    if not (isinstance(product, gast.BinOp) and isinstance(product.op, gast.Mult)):
        return False
    if is_name(product.left, dt) and _like(product.right, t, everything, stores):
        product.left = copy.deepcopy(g)
    elif is_name(product.right, dt) and _like(product.left, t, everything, stores):
        product.right = product.left
        product.left = copy.deepcopy(g)
    else:
        return False
    return True


def _assignment(name, everything, stores):
    """The value of `name`'s only assignment in df (at the top level), else None."""
    if stores.get(name) != 1:
        return None
    for stmt in everything:
        if name_assign(stmt) == name:
            return stmt.value
    return None


def _seeded_by(g, t, everything, stores, spelling):
    """Whether g is arithmetic (+ - * /, unary -) on numbers, sizes (`x.size`, `x.shape[k]`,
    `reduced_count(x)`: Python ints) and names assigned once, at the top level, to the seed
    `unit_of(t)` (at least one) or to such arithmetic: the seed of a loss `np.sum(t)` or
    `np.mean(t)`, scaled by numbers (`dt_sum = dresult / x.shape[0]`)."""
    seeds, followed = [], set()

    def ok(node):
        if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Add, gast.Sub,
                                                                  gast.Mult, gast.Div)):
            return ok(node.left) and ok(node.right)
        if negated(node) is not None:
            return ok(negated(node))
        if number(node):
            return True
        if isinstance(node, gast.Name) and node.id not in followed:
            followed.add(node.id)     # a name assigned once, at the top level, to the seed
            value = _assignment(node.id, everything, stores)     # or to a scaling of it
            if _is_unit_of(value, t, spelling):
                seeds.append(node.id)
                return True
            return value is not None and ok(value)
        return _size(node, spelling.count)

    return ok(g) and bool(seeds)


def _size(node, count):
    """`x.size`, `x.shape[k]` (k an int) or `reduced_count(x)`: a Python int."""
    if isinstance(node, gast.Attribute) and node.attr == "size" and isinstance(
            node.value, gast.Name):
        return True
    if (isinstance(node, gast.Subscript) and isinstance(node.value, gast.Attribute)
            and node.value.attr == "shape" and isinstance(node.value.value, gast.Name)
            and isinstance(node.slice, gast.Constant) and type(node.slice.value) is int):
        return True
    return (isinstance(node, gast.Call) and count is not None and is_name(node.func, count)
            and len(node.args) == 1 and not node.keywords
            and isinstance(node.args[0], gast.Name))


def _is_unit_of(value, t, spelling):
    return (isinstance(value, gast.Call) and is_name(value.func, spelling.unit_of)
            and len(value.args) == 1 and is_name(value.args[0], t))


def _like(e, t, everything, stores):
    """Whether the expression e certainly has t's shape and dtype (see 1. above)."""
    if is_name(e, t):
        return True
    value = _assignment(t, everything, stores)
    x = None
    if isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Pow, gast.Mult)):
        if isinstance(value.left, gast.Name) and number(value.right):
            x = value.left.id
        elif isinstance(value.op, gast.Mult) and isinstance(value.right, gast.Name) \
                and number(value.left):
            x = value.right.id
    if x is None or stores.get(x, 0) > 1:
        return False
    if is_name(e, x):
        return True
    return (isinstance(e, gast.BinOp) and isinstance(e.op, gast.Mult)
            and ((is_name(e.left, x) and number(e.right))
                 or (is_name(e.right, x) and number(e.left))))
