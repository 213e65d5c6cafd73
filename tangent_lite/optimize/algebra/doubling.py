"""A contribution added twice, doubled, in a straight-line block of the backward sweep.

`dx = e` followed by `dx = dx + e` or `dx += e` (the same expression, reading names nothing
rebinds in between) becomes `dx = 2 * e`: doubling is exact in floating point, so `2 * e` is
`e + e` to the bit, and the Python int 2 keeps e's dtype (where `2.0 * e` would make an
integer array float). A call (which may return a 0-d array, where `+=` keeps an array and
`2 * e` gives a scalar) is doubled in place instead: `dx = e; dx *= 2`, only where `dx += e`
was already in place (dx is df's own array).
"""
import gast

from .spelling import is_name, name_assign, names, next_statement, same

def double_repeats(stmts, spelling):
    """Double, in the block stmts, each `dx = e` the next statement adds e to once more."""
    i = 0
    while i < len(stmts):
        j = next_statement(stmts, i)
        done = j is not None and _double(stmts[i], stmts[j], spelling)
        if done is True:
            del stmts[j]
            continue
        i += 1


def _double(first, second, spelling):
    """Rewrite `first` (dx = e) when `second` adds e to dx once more; say whether it did."""
    dx = name_assign(first)
    if dx is None or not (is_name(getattr(second, "target", None), dx) or (
            name_assign(second) == dx and isinstance(second.value, gast.BinOp))):
        return False
    e = first.value
    if not spelling.pure(e) or dx in names(e):
        return False
    if (isinstance(second, gast.AugAssign) and isinstance(second.op, gast.Add)
            and is_name(second.target, dx) and same(second.value, e)):
        if isinstance(e, gast.Name):
            return False        # `dx = e; dx += e` would double e's own array too
        in_place = True
    elif (name_assign(second) == dx and isinstance(second.value, gast.BinOp)
          and isinstance(second.value.op, gast.Add) and is_name(second.value.left, dx)
          and same(second.value.right, e)):
        in_place = False
    else:
        return False
    if isinstance(e, (gast.BinOp, gast.UnaryOp, gast.Name)) or not in_place:
        # an operator's result is never a 0-d array: `2 * e` has the type `e + e` has
        first.value = gast.BinOp(left=gast.Constant(value=2, kind=None), op=gast.Mult(),
                                 right=e)
        return True
    # a call may return a 0-d array, which `+=` keeps: double dx's own array in place
    second.op, second.value = gast.Mult(), gast.Constant(value=2, kind=None)
    return "kept"
