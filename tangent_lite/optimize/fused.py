"""Fused reduction gradients: a product summed down to an operand's shape is one reduction.

The rule of `y = x * b` gives x the contribution `unbroadcast(dy * b, x)`, and the rule of
`y = a / x` gives `unbroadcast(-dy * y / x, x)`; where x is narrower than the product (a scalar
weight, a row of scales, a per-row norm) NumPy builds the full product only to sum it. This pass
writes such a contribution `sum_product(dy, b, x)` or `-sum_quotient(dy, y, x)`
(runtime/fused.py): the products summed in one `np.vdot`/`np.einsum` (and divided by x after the
sum, x being constant along the summed axes) when the two factors are real arrays of one shape,
and the unfused expression itself otherwise.

What it proves: nothing about shapes (the helper decides at run time, from the values); only that
the contribution is literally `unbroadcast(a * b, x)` or `unbroadcast(a * b / x, x)` of names
(a sign in front of a factor is taken out, which is exact), so the helper computes the same sum
of the same products.
"""
import copy
import math

import gast

from . import enabled
from .algebra import Spelling
from .copies import name_counts
from .slices import later_reader
from ..ir.syntax import negate, negated


def fuse_products(pairs, calls, call):
    """[(name, contribution)] with each contribution of the forms above written with
    sum_product. calls(expr, helper): whether expr calls the runtime helper; call(helper,
    args): a call of a runtime helper, spelled as generated code spells it."""
    if not enabled("fused"):
        return pairs
    return [(name, _fused(expr, calls, call)) for name, expr in pairs]


def _fused(expr, calls, call):
    if not (calls(expr, "unbroadcast") and len(expr.args) == 2 and not expr.keywords):
        return expr
    value, x = expr.args
    divide = (isinstance(value, gast.BinOp) and isinstance(value.op, gast.Div)
              and _same_name(value.right, x))
    product = value.left if divide else value
    if not (isinstance(product, gast.BinOp) and isinstance(product.op, gast.Mult)):
        return expr
    (a, minus_a), (b, minus_b) = _signed(product.left), _signed(product.right)
    if a is None or b is None:
        return expr
    fused = call("sum_quotient" if divide else "sum_product", [a, b, x])
    if minus_a != minus_b:
        fused = negate(fused)
    return fused


def _negation_of(node):
    """(e, True) for `-e`, else (node, False)."""
    inner = negated(node)
    return (node, False) if inner is None else (inner, True)


def _signed(node):
    """(name, negated) for `name` or `-name`; (None, False) for anything else."""
    node, negated = _negation_of(node)
    return (node, negated) if isinstance(node, gast.Name) else (None, False)


def _same_name(a, b):
    return isinstance(a, gast.Name) and isinstance(b, gast.Name) and a.id == b.id


# ---- a product summed in the next statements: `p = a * (2 * b)`, then `unbroadcast(-p, x)` ----

def fuse_chains(backward, everything, spelled, call):
    """The same fusion where the product and its sum are two statements, as the rules of a
    power and a subtraction leave them (k-means' `(points[:, None] - centroids) ** 2`):

        dt_sub = dt_pow * (2 * t_sub)          dt_item2 = -(2 * sum_product(dt_pow, t_sub,
        ...                               ->                                 t_item2))
        dt_item2 = unbroadcast(-dt_sub, t_item2)

    so the n x k x d products (and their negation) are never made: dt_pow is the spread
    gradient of a sum (a broadcast view), and the einsum reads it as it is.

    What it proves: the product is assigned once in df and read only by such `unbroadcast`s
    (each then sums the products itself: the sum of `points` and that of `centroids` are two
    einsums), all reached through pure statements that rebind none of the names involved
    (slices.later_reader), and its constant factors are powers of two: scaling by them and
    negating are exact in floating point, so taking them out of the sum changes no product and
    the helper sums the same products (in its own order, as the one-statement fusion does).
    Rewrites the statement list `backward` in place; arguments as slices.products_into_slices."""
    if not enabled("fused"):
        return
    unbroadcast = spelled("unbroadcast")
    if unbroadcast is None:
        return
    loads, stores = name_counts(everything)
    reads = {name: n for name, n in loads.items() if stores.get(name) == 1}
    _chains(backward, unbroadcast, reads, Spelling(spelled), call)


def _chains(stmts, unbroadcast, reads, spelling, call):
    for stmt in stmts:
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            _chains(stmt.body, unbroadcast, reads, spelling, call)
            _chains(stmt.orelse, unbroadcast, reads, spelling, call)
    i = 0
    while i < len(stmts):
        found = _scaled_product(stmts[i], reads)
        readers = _sums_of(stmts, i, found, unbroadcast, reads, spelling) if found else None
        if not readers:
            i += 1
            continue
        _, a, b, scale = found
        for j in readers:
            sums, negated = _negation_of(stmts[j].value)
            summed, x = sums.args
            fused = call("sum_product", [copy.deepcopy(a), copy.deepcopy(b), x])
            if scale != 1:
                fused = gast.BinOp(left=gast.Constant(value=scale, kind=None), op=gast.Mult(),
                                   right=fused)
            if _signed(summed)[1] != negated:
                fused = negate(fused)
            stmts[j].value = fused
        del stmts[i]


def _sums_of(stmts, i, found, unbroadcast, reads, spelling):
    """The positions of every read of the product stmts[i] assigns, each `unbroadcast(p, x)`,
    `unbroadcast(-p, x)` or `-unbroadcast(p, x)` (a subtrahend's gradient), all in stmts'
    block after it; None if any read is another."""
    p, a, b, _ = found

    def sums_p(value):
        value = _negation_of(value)[0]
        return (isinstance(value, gast.Call) and isinstance(value.func, gast.Name)
                and value.func.id == unbroadcast and len(value.args) == 2
                and not value.keywords and isinstance(value.args[1], gast.Name)
                and _signed(value.args[0])[0] is not None
                and _signed(value.args[0])[0].id == p)
    found_at, j = [], i
    while len(found_at) < reads[p]:
        j = later_reader(stmts, j, {p, a.id, b.id}, sums_p, spelling)
        if j is None:
            return None
        found_at.append(j)
    return found_at


def _scaled_product(stmt, reads):
    """(p, a, b, c) for `p = A * B`, A and B each a name `a` or `c * a` / `a * c` with c a
    number that is a power of two, p assigned once in df and read; c the factors' product."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name) and reads.get(stmt.targets[0].id)):
        return None
    value = stmt.value
    if not (isinstance(value, gast.BinOp) and isinstance(value.op, gast.Mult)):
        return None
    (a, ca), (b, cb) = _scaled(value.left), _scaled(value.right)
    if a is None or b is None:
        return None
    return stmt.targets[0].id, a, b, ca * cb


def _scaled(node):
    """(name, c) for `name`, `c * name` or `name * c` with c a power of two; (None, 1)
    otherwise."""
    if isinstance(node, gast.Name):
        return node, 1
    if isinstance(node, gast.BinOp) and isinstance(node.op, gast.Mult):
        for c, n in ((node.left, node.right), (node.right, node.left)):
            if isinstance(n, gast.Name) and _power_of_two(c):
                return n, c.value
    return None, 1


def _power_of_two(node):
    if not (isinstance(node, gast.Constant) and type(node.value) in (int, float)):
        return False
    value = abs(node.value)
    return 0 < value < float("inf") and math.frexp(value)[0] == 0.5
