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
import gast

from . import enabled


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
        fused = gast.UnaryOp(op=gast.USub(), operand=fused)
    return fused


def _signed(node):
    """(name, negated) for `name` or `-name`; (None, False) for anything else."""
    negated = False
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        node, negated = node.operand, True
    return (node, negated) if isinstance(node, gast.Name) else (None, False)


def _same_name(a, b):
    return isinstance(a, gast.Name) and isinstance(b, gast.Name) and a.id == b.id
