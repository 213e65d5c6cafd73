"""Folding what filling in a template made trivial, where NumPy computes the same.

A rule's template is written once for every call; filled in with the call's arguments it can
read `2 - 1`, `e ** 1` or `a if None is None else b`. fold() writes those the way a person
would (`1`, `e`, `a`), but only where the folded expression is the same program: a product or
power with one changes the dtype of an int or bool array (`int_array * 1.0` is float64), so it
is folded only where the operand is certainly a float or the result's dtype is fixed around it.
"""
import gast

_NUMERIC = (int, float)


def fold(node):
    """Fold what substitution made trivial: `2 - 1` -> `1`, `e ** 1` -> `e`, `e * 1` -> `e`,
    and a conditional on a parameter left at its default, `a if None is None else b` -> `a`
    (so `d[x] = d[y] / x if base is None else ...` reads `dx = dy / x` for math.log(x)).

    A product or power with one is folded only where NumPy gives e's dtype either way:
    `int_array * 1.0` and `int_array ** 1.0` are float64 and `bool_array * 1` is int64, so
    `e * 1.0` is kept unless e is certainly a float (`a / b`, arithmetic with a float literal)
    or the product is itself multiplied by a Python number that makes both the same dtype
    (`2.0 * a ** 1.0` is `2.0 * a` for every a)."""
    return _Fold().visit(node)


class _Fold(gast.NodeTransformer):
    _ops = {gast.Add: lambda a, b: a + b, gast.Sub: lambda a, b: a - b,
            gast.Mult: lambda a, b: a * b}

    def __init__(self):
        self._beside = None    # the number the node visited next is multiplied by, if any

    def visit(self, node):
        beside, self._beside = self._beside, None     # only a direct operand sees it
        if isinstance(node, gast.BinOp):
            return self._binop(node, beside)
        return super().visit(node)

    def visit_Compare(self, node):
        self.generic_visit(node)
        if (len(node.ops) == 1 and isinstance(node.ops[0], (gast.Is, gast.IsNot))
                and isinstance(node.left, gast.Constant)
                and isinstance(node.comparators[0], gast.Constant)
                and None in (node.left.value, node.comparators[0].value)):
            same = node.left.value is node.comparators[0].value
            return gast.Constant(value=same == isinstance(node.ops[0], gast.Is), kind=None)
        return node

    def visit_IfExp(self, node):
        self.generic_visit(node)
        if isinstance(node.test, gast.Constant) and isinstance(node.test.value, bool):
            return node.body if node.test.value else node.orelse
        return node

    def _operand(self, operand, other, op):
        """Visit one operand of a BinOp, telling it the number it is multiplied by."""
        self._beside = other if isinstance(op, gast.Mult) and _plain_number(other) else None
        return self.visit(operand)

    def _binop(self, node, beside):
        node.left = self._operand(node.left, node.right, node.op)
        node.right = self._operand(node.right, node.left, node.op)
        left, right = node.left, node.right
        fn = self._ops.get(type(node.op))
        if fn and _plain_number(left) and _plain_number(right):
            return gast.Constant(value=fn(left.value, right.value), kind=None)
        if isinstance(node.op, (gast.Pow, gast.Mult)) and _is_one(right) \
                and _same_dtype(left, right, beside):
            return left
        if isinstance(node.op, gast.Mult) and _is_one(left) and _same_dtype(right, left, beside):
            return right
        return node


def _same_dtype(e, one, beside):
    """Whether `e * one` (or `e ** one`), one being the literal 1 or 1.0, multiplied by the
    number `beside` (None: by nothing), has the dtype e has there. 1.0 makes integers and bools
    float64, and 1 makes bools int64; a Python number beside absorbs that only where it is at
    least as wide (a float beside a 1.0: `2 * a ** 1.0` is float64, `2 * a` an int for an int
    array)."""
    if _float_expr(e):
        return True
    if beside is None:
        return False
    return type(beside.value) is float or type(one.value) is int


def _float_expr(node):
    """Whether the expression certainly gives a float (of any precision) for numeric operands:
    a float literal, a true division, or + - * ** with such an operand."""
    if isinstance(node, gast.Constant):
        return type(node.value) is float
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)):
        return _float_expr(node.operand)
    if isinstance(node, gast.BinOp):
        if isinstance(node.op, gast.Div):
            return True
        return isinstance(node.op, (gast.Add, gast.Sub, gast.Mult, gast.Pow)) and (
            _float_expr(node.left) or _float_expr(node.right))
    return False


def _plain_number(node):
    return (isinstance(node, gast.Constant) and isinstance(node.value, _NUMERIC)
            and not isinstance(node.value, bool))


def _is_one(node):
    return _plain_number(node) and node.value == 1
