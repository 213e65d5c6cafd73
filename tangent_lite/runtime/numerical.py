"""Helpers of the rules in rules/numerical.py: polynomials, convolution, integration along an
axis and piecewise-linear interpolation.

polyval_slope and polyval_powers are written in NumPy functions that have rules, so a second
derivative differentiates them like user code. The others are linear in the gradient they
move (each has a `linear` forward rule) or have no gradient at all (positions, paddings).
"""
import numpy as np

from .dispatch import float_dtype, InputError, numpy_only


def polyval_slope(p, x):
    """d/dx of np.polyval(p, x): the derivative polynomial evaluated at x. Its coefficients
    are scaled by Python ints, so float32 stays float32."""
    n = np.shape(p)[0]
    if n < 2:
        return np.zeros_like(x * p[0])
    return np.polyval(np.stack([p[i] * (n - 1 - i) for i in range(n - 1)]), x)


def polyval_powers(g, p: "shape", x):
    """The gradient of np.polyval(p, x) with respect to the coefficients `p`: for each
    coefficient, the sum of g * x ** (its power) over the values of x."""
    n = np.shape(p)[0]
    powers = np.stack([x ** k for k in range(n - 1, -1, -1)], axis=-1)
    return np.tensordot(g, powers, axes=np.ndim(g))


def convolve_padding(a: "shape", v: "shape", mode, flipped=False):
    """(before, after): the zeros that turn the gradient of np.convolve(a, v, mode) (of
    np.correlate with flipped=True) into the gradient of the full convolution, whose `mode`
    slice the function returns. The two differ in where 'same' starts when len(a) < len(v)."""
    n, m = np.shape(a)[0], np.shape(v)[0]
    short = min(n, m)
    full = n + m - 1
    if mode == "full":
        return (0, 0)
    if mode == "valid":
        return (short - 1, short - 1)
    if mode != "same":
        raise ValueError(f"mode must be 'full', 'same' or 'valid', not {mode!r}")
    start = short // 2 if flipped and n < m else (short - 1) // 2
    return (start, full - max(n, m) - start)


def trapezoid_weights(y: "shape", x=None, dx=1.0, axis=-1):
    """The weight of each sample of `y` in np.trapezoid(y, x, dx, axis), shaped to broadcast
    against y: half the spacing to each of its neighbours."""
    n = np.shape(y)[axis]
    if x is None:
        spacing = np.full(max(n - 1, 0), dx, dtype=float_dtype(y))
        along = -1
    else:
        along = -1 if np.ndim(x) == 1 else axis
        spacing = np.diff(x, axis=along)
    before = [(0, 0)] * np.ndim(spacing)
    after = list(before)
    before[along], after[along] = (1, 0), (0, 1)
    w = 0.5 * (np.pad(spacing, before) + np.pad(spacing, after))
    if np.ndim(w) == 1 and np.ndim(y) > 1:
        shape = [1] * np.ndim(y)
        shape[axis] = n
        w = np.reshape(w, shape)
    return w


def untrapezoid(g, y: "shape", x=None, dx=1.0, axis=-1) -> "fresh":
    """The gradient of np.trapezoid(y, x, dx, axis) with respect to y."""
    return np.expand_dims(g, axis) * trapezoid_weights(y, x, dx, axis)


def interp_cells(x, xp):
    """For each value of x: the index i of the interval [xp[i], xp[i+1]] np.interp reads, and
    whether x lies below xp[0], above xp[-1], or inside (xp[-1] itself is inside)."""
    numpy_only("np.interp", x, xp)
    x, xp = np.asarray(x), np.asarray(xp)
    i = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, max(xp.size - 2, 0))
    below, above = x < xp[0], x > xp[-1]
    return i, below, above


def interp_slope(x, xp, fp, left=None, right=None, period=None):
    """d/dx of np.interp(x, xp, fp): the slope of the interval x lies in; 0 outside xp's range,
    where np.interp returns a constant."""
    if period is not None:
        raise InputError("tangent_lite differentiates np.interp without period= only: "
                         "reduce x and xp modulo the period first")
    i, below, above = interp_cells(x, xp)
    if np.size(xp) < 2:
        return np.zeros(np.shape(x), dtype=float_dtype(fp))
    rise = fp[i + 1] - fp[i]
    run = xp[i + 1] - xp[i]
    inside = np.logical_not(below | above) & (run != 0)
    return np.where(inside, rise / np.where(inside, run, 1.0), 0.0)


def uninterp(g, x, xp, fp: "shape", left=None, right=None, period=None) -> "fresh":
    """The gradient of np.interp(x, xp, fp, left, right) with respect to fp: each value's
    gradient split between the two ends of its interval in proportion to where x lies; below
    and above xp's range it goes to fp[0] and fp[-1] unless `left` and `right` replace them."""
    if period is not None:
        raise InputError("tangent_lite differentiates np.interp without period= only: "
                         "reduce x and xp modulo the period first")
    numpy_only("np.interp", g)
    g = np.broadcast_to(g, np.shape(x)).ravel()
    i, below, above = (np.ravel(v) for v in interp_cells(x, xp))
    n = np.shape(fp)[0]
    out = np.zeros(n, dtype=float_dtype(fp, g))
    if n == 1:
        inside = np.logical_not(below | above)
        keep = inside | (below & (left is None)) | (above & (right is None))
        out[0] = np.sum(g[keep])
        return out
    xp = np.asarray(xp)
    run = xp[i + 1] - xp[i]
    t = np.where(run != 0, (np.ravel(x) - xp[i]) / np.where(run != 0, run, 1.0), 1.0)
    inside = np.logical_not(below | above)
    hi = np.where(inside, g * t, 0.0)
    lo = np.where(inside, g - g * t, 0.0)
    np.add.at(out, i, lo)
    np.add.at(out, i + 1, hi)
    if left is None:
        out[0] += np.sum(g[below])
    if right is None:
        out[-1] += np.sum(g[above])
    return out


def interp_fp(x, xp, t, left=None, right=None, period=None):
    """np.interp(x, xp, t) where t is fp's tangent: the constants `left` and `right` (when
    given) have none, so they read 0."""
    return np.interp(x, xp, t, left=None if left is None else 0.0,
                     right=None if right is None else 0.0, period=period)
