"""A sum of products with a broadcast difference, summed as two matrix products.

`np.sum((points[:, None, :] - centroids[None, :, :]) ** 2, axis=2)` (k-means, pairwise
distances, a Gaussian kernel) gives the centroids, after the fused chains (fused.py), the
gradient `sum_product(dt_pow, t_sub, t_item2)`: an n x k x d product of the spread gradient
and the forward's difference `t_sub = t_item - t_item2`, summed over n. This pass writes it
`sum_product_of_difference(dt_pow, t_sub, t_item, t_item2, t_item2)` (runtime/fused.py), which
sums g's products with each side of the difference apart where those are matrix products of
the arrays before broadcasting (`dd2.T @ points` and `dd2.sum(axis=0)[:, None] * centroids`)
and is `sum_product(dt_pow, t_sub, t_item2)` itself otherwise.

Which differences: s assigned once in df, as `a - b` of two names at the top level of the
forward sweep, one of them a view with a new axis (`p[:, None]`, `c[np.newaxis]`): the pairwise
difference. A difference of arrays of one shape (`out - y`) has no broadcast to save.

What it proves: a and b are not bound again after s; and every statement from there to the
sum (the rest of the forward sweep and the backward sweep before it, all at the top level)
assigns a name a value that writes no array: pure expressions (algebra.Spelling.pure, with np.min and
np.max) and, in the backward sweep only, the inplace pass's `dr += e` into an array only dr
holds. So a and b hold at the sum the arrays whose difference s is.
"""
import gast

from . import enabled
from .algebra import Spelling
from .algebra.spelling import IMPURE, name_assign
from .copies import name_counts
from ..ir import Comment

_ALSO_PURE = frozenset(["min", "max", "amin", "amax"])


def split_differences(forward, backward, everything, spelled, call):
    """Rewrite the top-level statements of `backward` in place. forward: the forward sweep's
    statements (the prologue's first); everything: all of df's; spelled(helper): how df
    spells a helper, or None; call(helper, args): a call of a runtime helper."""
    product = spelled("sum_product")
    if not enabled("differences") or product is None:
        return
    stores = None   # counted at the first candidate: most functions have none
    spelling = Spelling(spelled)
    writes_nothing = _WritesNothing(spelling)
    found, widened = {}, set()
    for stmt in forward:
        if isinstance(stmt, Comment):
            continue
        if found and not writes_nothing(stmt, augmented=False):
            found = {}
        if name_assign(stmt) is None:
            continue
        _rebound(found, stmt)
        s, sides = _difference(stmt)
        if s is not None and sides[0] != sides[1] and widened & set(sides):
            stores = name_counts(everything)[1] if stores is None else stores
            if stores.get(s) == 1:
                found[s] = sides
        widened.discard(stmt.targets[0].id)
        if _widens(stmt.value, spelling.np):
            widened.add(stmt.targets[0].id)
    for stmt in backward:
        if not found:
            return
        if isinstance(stmt, Comment):
            continue
        if not writes_nothing(stmt, augmented=True):
            return      # (nor is its own sum taken: a call before it in the line may write)
        stmt.value = _Rewrite(product, found, call).visit(stmt.value)
        _rebound(found, stmt)


def _difference(stmt):
    """(s, (a, b)) for `s = a - b` of names, else (None, None)."""
    value = stmt.value
    if (isinstance(value, gast.BinOp) and isinstance(value.op, gast.Sub)
            and isinstance(value.left, gast.Name) and isinstance(value.right, gast.Name)):
        return stmt.targets[0].id, (value.left.id, value.right.id)
    return None, None


def _widens(value, np_name):
    """Whether value is a subscript with a new axis, `p[:, None]` or `c[np.newaxis]`: the
    side of a difference that makes it a broadcast (pairwise) one, as a person writes it."""
    if not isinstance(value, gast.Subscript):
        return False
    index = value.slice
    items = index.elts if isinstance(index, gast.Tuple) else [index]
    return any((isinstance(i, gast.Constant) and i.value is None)
               or (isinstance(i, gast.Attribute) and i.attr == "newaxis"
                   and isinstance(i.value, gast.Name) and i.value.id == np_name)
               for i in items)


def _rebound(found, stmt):
    """Forget the differences a side of which `stmt` binds again."""
    target = stmt.targets[0] if isinstance(stmt, gast.Assign) else stmt.target
    for s, sides in list(found.items()):
        if target.id in sides or target.id == s:
            del found[s]


class _WritesNothing:
    """Whether a statement only assigns a name a value computed without writing an array:
    `name = pure` (and, with augmented, the inplace pass's `dr += pure`, whose array only dr
    holds). Comments are neither: callers skip them."""

    def __init__(self, spelling):
        self.spelling = spelling

    def __call__(self, stmt, augmented):
        if isinstance(stmt, gast.Assign):
            if not (len(stmt.targets) == 1 and isinstance(stmt.targets[0], gast.Name)):
                return False
        elif not (augmented and isinstance(stmt, gast.AugAssign)
                  and isinstance(stmt.target, gast.Name)):
            return False
        return all(self._pure(n) for n in gast.walk(stmt.value))

    def _pure(self, node):
        if isinstance(node, IMPURE):
            return False
        if not isinstance(node, gast.Call) or self.spelling.pure_call(node):
            return True
        func = node.func
        return (isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name)
                and func.value.id == self.spelling.np and func.attr in _ALSO_PURE
                and not any(k.arg == "out" for k in node.keywords))


class _Rewrite(gast.NodeTransformer):
    """`sum_product(g, s, x)` of names, s a difference found -> the split sum."""

    def __init__(self, product, found, call):
        self.product, self.found, self.call = product, found, call

    def visit_Call(self, node):
        self.generic_visit(node)
        if not (isinstance(node.func, gast.Name) and node.func.id == self.product
                and len(node.args) == 3 and not node.keywords
                and all(isinstance(a, gast.Name) for a in node.args)
                and node.args[1].id in self.found):
            return node
        g, s, x = node.args
        a, b = (gast.Name(id=n, ctx=gast.Load(), annotation=None, type_comment=None)
                for n in self.found[s.id])
        return self.call("sum_product_of_difference", [g, s, a, b, x])
