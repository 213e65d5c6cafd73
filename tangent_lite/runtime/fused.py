"""Sums of products as one call: the fused reduction gradients (optimize/fused.py writes them).

A gradient rule `d[x] = d[y] * b` whose result is summed down to x's shape (a convolution tap's
weight, a layer norm's scale) would make the full product only to add it up; these helpers do
the sum in one `np.vdot` or `np.einsum` where that is the same sum.
"""
import numpy as np

from .core import unbroadcast
from .dispatch import shape_of


def sum_product(a, b, x: "shape") -> "fresh":
    """`unbroadcast(a * b, x)` without the product's temporary where the sum is a plain one.

    A gradient rule `d[x] = d[y] * b` whose result is summed down to x's shape (the weight of a
    convolution tap, the scale of a layer norm) multiplies two arrays of one shape only to add
    the products up. Where a and b are real arrays of one shape and dtype and x's shape is
    theirs with axes summed away, that sum is one `np.vdot` or `np.einsum`. Anything else
    (broadcasting operands, integers, complex values) is the unfused expression itself."""
    if type(a) is np.ndarray and type(b) is np.ndarray and type(x) is np.ndarray \
            and a.shape == x.shape and b.shape == x.shape:
        return a * b    # nothing to sum: the first case, it sits in the user's loops
    total = _sum_of_products(a, b, x)
    return unbroadcast(a * b, x) if total is None else total


def sum_quotient(a, b, x) -> "fresh":
    """`unbroadcast(a * b / x, x)` (the gradient of the divisor of `y = n / x`, d[y] * y / x)
    as sum_product's sum divided by x once: x is constant along the axes summed away, so
    dividing the sum is dividing each term (up to rounding), and one array of x's shape is
    divided instead of one of the products' (a layer norm's standard deviation: 32 x 64
    divisions become 32)."""
    total = _sum_of_products(a, b, x)
    return (unbroadcast(a * b, x) if total is None else total) / x


def _sum_of_products(a, b, x):
    """The products a * b summed down to x's shape in one call, or None where a fused sum
    does not apply (then the caller writes the expression out)."""
    if not (type(a) is np.ndarray and type(b) is np.ndarray and a.shape == b.shape
            and a.dtype == b.dtype and a.dtype.kind == "f"):
        return None
    shape = shape_of(x)
    if shape == a.shape:
        return a * b
    if shape == ():
        if a.size <= _SMALL_DOT or (a.flags.c_contiguous and b.flags.c_contiguous):
            return np.vdot(a, b)     # flattens a non-contiguous operand: cheap when small
        axes = list(range(a.ndim))
        return np.einsum(a, axes, b, axes, [])
    if a.size > _SMALL_DOT:
        kept = _kept_axes(a.shape, shape)
        if kept is not None:
            axes = list(range(a.ndim))
            return np.einsum(a, axes, b, axes, kept).reshape(shape)
    return None


def _kept_axes(full, shape):
    """The axes of `full` a sum down to `shape` keeps (as unbroadcast sums), or None where
    `shape` is not `full` with leading axes dropped and other axes set to 1."""
    lead = len(full) - len(shape)
    if lead < 0:
        return None
    kept = []
    for i, n in enumerate(shape):
        if n == full[lead + i]:
            kept.append(lead + i)
        elif n != 1:
            return None
    return kept


_SMALL_DOT = 1 << 12   # elements: below this, copying a strided operand for vdot is cheapest


def sum_product_of_difference(g, s, a, b, x: "shape") -> "fresh":
    """`sum_product(g, s, x)` where s is `a - b`, computed as the sums of g's products with a
    and with b apart where those are matrix products of the arrays before broadcasting.

    k-means' `np.sum((points[:, None, :] - centroids[None, :, :]) ** 2, axis=2)` gives the
    centroids the gradient `sum_product(dt_pow, t_sub, t_item2)`: an n x k x d product, dt_pow
    spread along d and t_sub the forward's difference, summed over n. Summed apart, the same
    terms are `dd2.T @ points` (a matrix product of the arrays as they were before the
    broadcast) and `dd2.sum(axis=0)[:, None] * centroids`: no n x k x d array is read. The
    terms g * a and g * b are summed before they are subtracted (the same terms in another
    order); where a and b are far from zero beside their spread, the digits they share would
    be lost in both sums, so there the fused sum runs (_cancels).
    Anything that is not such a product (one of the broadcasts is not a broadcast, integers,
    complex values, x wider than the sum) is `sum_product(g, s, x)` itself."""
    split = _split_sums(g, s, a, b, x)
    return sum_product(g, s, x) if split is None else split


def _split_sums(g, s, a, b, x):
    arrays = (g, s, a, b)
    if not (all(type(v) is np.ndarray for v in arrays) and g.shape == s.shape
            and all(v.dtype == s.dtype for v in arrays) and s.dtype.kind == "f"):
        return None
    shape = shape_of(x)
    kept = _kept_axes(s.shape, shape)
    if kept is None or a.ndim > s.ndim or b.ndim > s.ndim:
        return None
    pad = (1,) * (s.ndim - a.ndim), (1,) * (s.ndim - b.ndim)
    gc = _unspread(g)
    a, b = a.reshape(pad[0] + a.shape), b.reshape(pad[1] + b.shape)
    if s.size <= _SMALL_DOT or gc.size + a.size + b.size > s.size:
        return None     # small, or next to nothing broadcast: the fused sum is as quick
    if _cancels(a, b):
        return None
    first, second = _contract(gc, a, kept, s.shape), _contract(gc, b, kept, s.shape)
    if first is None or second is None:
        return None
    return (first - second).reshape(shape)


def _cancels(a, b):
    """Whether a and b are far from zero beside their spread (points 1e8 from the origin
    and 1 apart): summed apart, g * a and g * b would lose the digits they share, about
    eps * |a| / |a - b| of the result, where the fused sum of g * (a - b) loses none. The
    arrays before the broadcast are small (n x d and k x d): four reductions of them."""
    size = max(np.max(np.abs(a)), np.max(np.abs(b)))
    spread = max(np.max(a) - np.min(a), np.max(b) - np.min(b))
    return not size <= _CANCELLATION * spread


_CANCELLATION = 1e3   # a relative error of at most ~1e3 eps (2e-13 in float64) from the split


def _unspread(v):
    """v without the axes a broadcast spread it along (stride 0): the array it was made from."""
    index = tuple(slice(0, 1) if st == 0 and n > 1 else slice(None)
                  for st, n in zip(v.strides, v.shape))
    return v[index]


def _contract(u, v, kept, full):
    """The products u * v (an axis of length 1 in a factor is broadcast) summed over the axes
    not in kept, with np.matmul over the axes both factors have; None where an axis kept is
    one neither factor has (the sum would be spread along it). full: the shape of the product."""
    both, left, right, summed, scale = [], [], [], [], 1
    for i, (m, n) in enumerate(zip(u.shape, v.shape)):
        if i in kept:
            if m > 1 and n > 1:
                both.append(i)
            elif m > 1 or n > 1:
                (left if m > 1 else right).append(i)
            elif full[i] != 1:
                return None
        elif m > 1 and n > 1:
            summed.append(i)
        elif m == n == 1:
            scale *= full[i]    # a term neither factor varies along, summed full[i] times
    alone = tuple(i for i in range(u.ndim) if i not in kept and i not in summed)
    u, v = _summed(u, alone), _summed(v, alone)     # a factor's own terms, summed first
    if scale != 1:
        u = u * scale
    if not summed:
        return u * v
    rest = [i for i in range(u.ndim) if i not in both + left + right + summed]
    um = _ordered(u, both + left + summed + right + rest).reshape(
        _length(u, both), _length(u, left), _length(u, summed))
    vm = _ordered(v, both + summed + right + left + rest).reshape(
        _length(v, both), _length(v, summed), _length(v, right))
    order = both + left + right
    ones = rest + summed    # of length 1 in the sum
    lengths = [max(u.shape[i], v.shape[i]) for i in order] + [1] * len(ones)
    return _placed(np.matmul(um, vm).reshape(lengths), order + ones)


def _summed(w, axes):
    """w summed over axes, keeping them as axes of length 1, as a product with a vector of
    ones (np.matmul: a quarter of the time of `w.sum(axis=0)` of a 1000 x 10 array)."""
    axes = [i for i in axes if w.shape[i] > 1]
    if not axes:
        return w
    others = [i for i in range(w.ndim) if i not in axes]
    length = _length(w, axes)
    rows = _ordered(w, axes + others).reshape(length, -1)
    total = np.matmul(np.ones(length, dtype=w.dtype), rows)
    shape = [1] * len(axes) + [w.shape[i] for i in others]
    return _placed(total.reshape(shape), axes + others)


def _length(w, axes):
    """The number of elements along `axes` of w (np.prod of a list costs microseconds)."""
    n = 1
    for i in axes:
        n *= w.shape[i]
    return n


def _ordered(w, axes):
    """w with its axes in the order `axes` (w itself where that is its order)."""
    return w if axes == sorted(axes) else w.transpose(axes)


def _placed(w, axes):
    """w, whose axis k is axis axes[k] of the result, with its axes put in place."""
    return _ordered(w, sorted(range(len(axes)), key=axes.__getitem__))
