"""A negated gradient scaled by a number, negated in the number: one array instead of two.

`a = -b` read once, by the next statement `c = a * K` (or `K * a`, or `c += a * K`), K a float
literal other than zero, becomes `c = b * -K`: IEEE multiplication rounds symmetrically, so (-b) * K and
b * (-K) are the same value to the bit, sign included (-0.0 where b is 0.0), NaNs stay NaNs,
and the dtype is b's own either way (a Python float keeps an array's dtype). The pair comes
from a subtraction's rule followed by a product's: the np.dot k-means'
`d2 = p2 - 2.0 * np.dot(p, c.T)` gives `dt_mul = -dd2; dt_dot = dt_mul * 2.0`, two n x k
arrays where one will do. A float K only: with an int, `b * -2` of a Python list would repeat
it where `-b` raises; K = 0.0 would give b * -0.0, whose zeros' signs differ from (-b) * 0.0.
"""
import gast

from ...ir.syntax import negated
from .spelling import is_name, name_assign, next_statement


def fold_negations(stmts, loads, stores):
    """Rewrite, in the block stmts, each `a = -b` the next statement scales by a float
    literal; loads and stores count each name's reads and writes in all of df."""
    i = 0
    while i < len(stmts):
        j = next_statement(stmts, i)
        if j is not None and _fold(stmts[i], stmts[j], loads, stores):
            del stmts[i]
            continue
        i += 1


def _fold(first, second, loads, stores):
    a = name_assign(first)
    if a is None or loads.get(a) != 1 or stores.get(a) != 1:
        return False
    operand = negated(first.value)
    if not isinstance(operand, gast.Name):
        return False
    product = second.value if (name_assign(second) is not None
                               or isinstance(second, gast.AugAssign)) else None
    if not (isinstance(product, gast.BinOp) and isinstance(product.op, gast.Mult)):
        return False
    if is_name(product.left, a) and _scale(product.right):
        product.left, product.right = operand, _minus(product.right)
        return True
    if is_name(product.right, a) and _scale(product.left):
        product.left, product.right = _minus(product.left), operand
        return True
    return False


def _scale(node):
    return (isinstance(node, gast.Constant) and type(node.value) is float
            and node.value != 0.0)


def _minus(node):
    return gast.Constant(value=-node.value, kind=None)
