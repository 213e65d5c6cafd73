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
