"""Helpers of the reduction rules (rules/reductions.py): products, cumulative sums and products, averages, medians, extrema.

Each is linear in the gradient or tangent it carries; the rule modules give them forward rules
so Hessian-vector products pass through them, or refuse them where a second derivative is not
implemented.
"""
import numpy as np

from .core import float_dtype, unreduce
from .dispatch import as_array, duck, numpy_only, size_of


def prod_adjoint(g, y, a, axis=None, keepdims=False) -> "fresh":
    """The gradient of `np.prod(a, axis)`: the product of the *other* elements, exact at zeros."""
    a = as_array(a)
    if axis is None:
        flat = a.reshape(-1)
        others = _exclusive_cumprod(flat) * _exclusive_cumprod(flat[::-1])[::-1]
        return np.reshape(others, a.shape) * np.reshape(g, ())
    axes = tuple(ax % a.ndim for ax in (axis if isinstance(axis, tuple) else (axis,)))
    # Move the reduced axes to the end and flatten them into one, so a tuple of axes is
    # handled like a single one.
    rest = [ax for ax in range(a.ndim) if ax not in axes]
    moved = np.transpose(a, rest + list(axes))
    moved = moved.reshape(moved.shape[:len(rest)] + (-1,))
    others = _exclusive_cumprod(moved) * np.flip(_exclusive_cumprod(np.flip(moved, -1)), -1)
    others = np.transpose(others.reshape([a.shape[ax] for ax in rest + list(axes)]),
                          tuple(int(k) for k in np.argsort(rest + list(axes))))
    return others * unreduce(g, a, axis, keepdims)


def _exclusive_cumprod(v):
    if duck(v):   # built whole: one write into a Dask array is a new graph layer
        return np.concatenate([np.ones_like(v[..., :1]), np.cumprod(v[..., :-1], axis=-1)],
                              axis=-1)
    out = np.ones_like(v)
    out[..., 1:] = np.cumprod(v[..., :-1], axis=-1)
    return out


def extremum_mask(y, x, axis=None, keepdims=False):
    """Where `x` attains its max/min `y` along `axis`, ties sharing the gradient equally."""
    y_full = unreduce(y, x, axis, keepdims)
    mask = (x == y_full)
    if type(mask) is np.ndarray and type(y) in (np.ndarray, *_FLOATS) and \
            np.count_nonzero(mask) == np.size(y) and not np.isnan(y).any():
        # No ties (the common case, k-means' min over the centroids): every extremum not NaN
        # is attained at least once in its row, so as many hits as rows is exactly one a row,
        # and the share is the mask itself (mask / 1 would be the same 1.0s and 0.0s), without
        # the per-row counts and the division, two passes over x's size.
        return mask.astype(float_dtype(x))
    share = mask / np.sum(mask, axis=axis, keepdims=True)
    return share.astype(float_dtype(x), copy=False)


_FLOATS = (np.float16, np.float32, np.float64, np.longdouble)


def nan_count(a, axis=None, keepdims=False):
    """How many elements of `a` along `axis` are not NaN, in a's floating dtype."""
    return np.sum(np.logical_not(np.isnan(a)), axis=axis, keepdims=keepdims,
                  dtype=float_dtype(a))


def uncumsum(g, x, axis=None, include_initial=False):
    """The gradient of np.cumsum(x, axis): each element receives the sum of `g` from its own
    position to the end of the axis. With include_initial (np.cumulative_sum), the leading
    entry of `g` belongs to the initial zero and reaches no element."""
    g = as_array(g)
    if axis is None:
        g, axis = np.reshape(g, (-1,)), 0
    if include_initial:
        g = g[(slice(None),) * (axis % g.ndim) + (slice(1, None),)]
    out = np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)
    return np.reshape(out, np.shape(x))


def _along_last(v, axis):
    """`v` with `axis` moved last (flattened to one axis for axis=None)."""
    v = as_array(v)
    return np.reshape(v, (-1,)) if axis is None else np.moveaxis(v, axis, -1)


def cumprod_adjoint(g, a, axis=None, include_initial=False):
    """The gradient of np.cumprod(a, axis), exact where `a` has zeros: element k receives
    (a_0 ... a_k-1) * s_k, with s_k = g_k + a_k+1 * s_k+1 summed from the end of the axis.
    With include_initial (np.cumulative_prod), the leading entry of `g` reaches no element."""
    numpy_only("np.cumprod", a, g)
    shape = np.shape(a)
    a, g = _along_last(a, axis), _along_last(g, axis)
    if include_initial:
        g = g[..., 1:]
    s = np.empty(np.broadcast_shapes(a.shape, g.shape), dtype=float_dtype(a, g))
    n = a.shape[-1]
    if n:
        s[..., n - 1] = g[..., n - 1]
    for k in range(n - 2, -1, -1):
        s[..., k] = g[..., k] + a[..., k + 1] * s[..., k + 1]
    out = _exclusive_cumprod(a) * s
    return np.reshape(out if axis is None else np.moveaxis(out, -1, axis), shape)


def cumprod_tangent(t, a, axis=None, include_initial=False):
    """The tangent of y = np.cumprod(a, axis) along `t`, exact where `a` has zeros:
    dy_k = dy_k-1 * a_k + y_k-1 * t_k (after a leading 0 with include_initial)."""
    numpy_only("np.cumprod", a, t)
    a, t = _along_last(a, axis), _along_last(np.broadcast_to(t, np.shape(a)), axis)
    y = np.cumprod(a, axis=-1)
    n = a.shape[-1]
    out = np.zeros(a.shape[:-1] + (n + 1,), dtype=float_dtype(a, t))
    for k in range(n):
        out[..., k + 1] = out[..., k] * a[..., k] + (y[..., k - 1] if k else 1.0) * t[..., k]
    out = out if include_initial else out[..., 1:]
    return out if axis is None else np.moveaxis(out, -1, axis)


def _average_weights(a, axis, weights):
    """np.average's `weights` shaped to broadcast against `a` (weights given along `axis`
    only are laid out along it, as np.average does)."""
    w = as_array(weights)
    if w.shape == np.shape(a):
        return w
    nd = np.ndim(a)
    axes = tuple(ax % nd for ax in (axis if isinstance(axis, tuple) else (axis,)))
    w = np.transpose(w, np.argsort(axes))
    return np.reshape(w, [n if ax in axes else 1 for ax, n in enumerate(np.shape(a))])


def average_adjoint(g, y, a, axis=None, weights=None, keepdims=False):
    """The gradient of np.average(a, axis, weights) with respect to `a`: g * w / sum(w)."""
    g = unreduce(g, a, axis, keepdims)
    if weights is None:
        return g * (size_of(y) / size_of(a))
    w = _average_weights(a, axis, weights)
    return g * (w / np.sum(w, axis=axis, keepdims=True))


def average_weights_adjoint(g, y, a, axis=None, weights=None, keepdims=False):
    """The gradient of np.average(a, axis, weights) with respect to `weights`:
    g * (a - y) / sum(w), summed back to the weights' own shape."""
    w = _average_weights(a, axis, weights)
    part = (unreduce(g, a, axis, keepdims) * (a - unreduce(y, a, axis, keepdims))
            / np.sum(w, axis=axis, keepdims=True))
    if np.shape(weights) == np.shape(part):
        return part
    nd = np.ndim(a)
    axes = [ax % nd for ax in (axis if isinstance(axis, tuple) else (axis,))]
    part = np.sum(part, axis=tuple(ax for ax in range(nd) if ax not in axes))
    return np.transpose(part, [sorted(axes).index(ax) for ax in axes])


def average_weights_tangent(t, y, a, axis=None, weights=None, keepdims=False):
    """The tangent of np.average(a, axis, weights) along a tangent `t` of the weights:
    sum(t * (a - y)) / sum(w)."""
    w = _average_weights(a, axis, weights)
    t = _average_weights(a, axis, t)
    return (np.sum(t * (a - unreduce(y, a, axis, keepdims)), axis=axis, keepdims=keepdims)
            / np.sum(w, axis=axis, keepdims=keepdims))


def median_weights(a, axis=None, ignore_nan=False):
    """Weights of the elements of `a` in np.median(a, axis) (np.nanmedian with ignore_nan):
    the middle element gets 1, or the two middle ones 0.5 each; elements tied with a middle
    value share its weight equally. A slice whose median is NaN gets NaN weights."""
    numpy_only("np.median", a)
    a = np.asarray(a)
    shape = a.shape
    if axis is None:
        a, axes = np.reshape(a, (1, -1)), (1,)
    else:
        axes = tuple(ax % a.ndim for ax in (axis if isinstance(axis, tuple) else (axis,)))
    rest = [ax for ax in range(a.ndim) if ax not in axes]
    perm = rest + list(axes)
    flat = np.reshape(np.transpose(a, perm), [a.shape[ax] for ax in rest] + [-1])
    s = np.sort(flat, axis=-1)                      # NaN sorts last
    n = np.sum(np.logical_not(np.isnan(s)), axis=-1, keepdims=True) if ignore_nan else (
        np.full(s.shape[:-1] + (1,), s.shape[-1]))
    empty = n == 0
    lo = np.take_along_axis(s, np.where(empty, 0, (n - 1) // 2), axis=-1)
    hi = np.take_along_axis(s, np.where(empty, 0, n // 2), axis=-1)
    at_lo, at_hi = flat == lo, flat == hi
    w = (0.5 * at_lo / np.maximum(np.sum(at_lo, axis=-1, keepdims=True), 1)
         + 0.5 * at_hi / np.maximum(np.sum(at_hi, axis=-1, keepdims=True), 1))
    nan_median = np.isnan(lo) | np.isnan(hi) | empty
    if not ignore_nan:
        nan_median = nan_median | np.any(np.isnan(flat), axis=-1, keepdims=True)
    w = np.where(nan_median, np.nan, w).astype(float_dtype(a), copy=False)
    w = np.transpose(np.reshape(w, [a.shape[ax] for ax in perm]), np.argsort(perm))
    return np.reshape(w, shape)
