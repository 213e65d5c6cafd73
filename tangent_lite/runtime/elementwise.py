"""Helpers of the elementwise rules (rules/elementwise.py, and the powers, extrema and
clip of rules/arithmetic.py).

Each is linear in the gradient or tangent it carries, or a weight that multiplies it; the rule
modules give them forward rules so Hessian-vector products pass through them, or refuse them
where a second derivative is not implemented.
"""
import numpy as np

from .core import float_dtype
from .dispatch import as_array, duck, numpy_only


def safe_log(a):
    """log(a) where a > 0 and 0 elsewhere: d(a**b)/db is 0 at a == 0, and NaN is left to y."""
    if type(a) is float or type(a) is int:   # stays a Python number: keeps float32 float32
        return float(np.log(a)) if a > 0 else 0.0
    a = as_array(a)
    positive = a > 0
    return np.where(positive, np.log(np.where(positive, a, 1)), 0.0)


def sign_grad(g, x):
    """np.sign is flat for real numbers; for complex ones (z / |z|) it is not, and that
    gradient is not implemented: refuse rather than return zero."""
    if np.iscomplexobj(x):
        raise NotImplementedError("tangent_lite: the gradient of np.sign of complex values is "
                                  "not implemented; write z / np.abs(z)")
    return np.zeros(np.shape(x), dtype=float_dtype(x, g))


def ties(a, b):
    """The share of the gradient of np.maximum(a, b) that `a` receives: 1 where it is larger,
    1/2 where they tie (in the arguments' float dtype)."""
    if type(a) is np.ndarray and a.dtype.kind == "f" and (
            type(b) is float or type(b) is int
            or (type(b) is np.ndarray and b.dtype is a.dtype)):
        # a ReLU's `np.maximum(a, 0.0)`: ties are rare, so the halves are added only where
        # there is one (the shares are the same numbers, in a's dtype, the result's)
        above, tie = a > b, a == b
        if tie.any():
            return (above + 0.5 * tie).astype(a.dtype, copy=False)
        return above.astype(a.dtype)
    share = (a > b) + 0.5 * (a == b)
    if not isinstance(share, np.ndarray) and not duck(share):
        return float(share)
    dtype = np.result_type(a, b)
    return share.astype(dtype if dtype.kind == "f" else np.float64, copy=False)


def clip_mask(a, a_min, a_max):
    """1 where `np.clip(a, a_min, a_max)` passes `a` through, 0 where it clips."""
    inside = np.ones_like(a, dtype=bool) if duck(a) else np.ones(np.shape(a), dtype=bool)
    if a_min is not None:
        inside &= a >= a_min
    if a_max is not None:
        inside &= a <= a_max
    return inside


def sinc_slope(x):
    """The derivative of np.sinc: (cos(pi x) - sinc(x)) / x, by its Taylor series near 0."""
    t = np.pi * as_array(x)
    small = np.abs(t) < 0.5
    safe = np.where(small, 1.0, t)
    tt = t * t
    # d/dt sin(t)/t = sum over k >= 1 of (-1)^k 2k t^(2k-1) / (2k+1)!, to k = 8
    series = t * (-1 / 3 + tt * (1 / 30 + tt * (-1 / 840 + tt * (1 / 45360 + tt * (
        -1 / 3991680 + tt * (1 / 518918400 + tt * (-1 / 93405312000 + tt / 22230464256000)))))))
    return np.pi * np.where(small, series, (np.cos(safe) - np.sin(safe) / safe) / safe)


def pick_weight(a, b, larger=True):
    """The share of `a` in np.fmax(a, b) (or np.fmin with larger=False): 1 where `a` is the
    result, also where `b` is NaN and `a` is not; 0.5 at ties; 0 elsewhere."""
    wins = (a > b) if larger else (a < b)
    dtype = np.result_type(a, b)    # Python floats are weak: float32 arrays stay float32
    dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
    out = as_array(wins | (np.isnan(b) & np.logical_not(np.isnan(a))), dtype)
    return np.where(a == b, 0.5, out)


def div_or_zero(g, y):
    """g / y where y != 0, and 0 where y == 0: the convention of np.std (like np.linalg.norm)
    at its kink, a constant input, instead of inf or nan."""
    zero = as_array(y) == 0
    return np.where(zero, 0.0, g / np.where(zero, 1.0, y))


def unsort(g, order, axis, shape):
    """The gradient of np.sort: each entry of `g` goes back to the position `order` (the
    stable np.argsort of the sorted array, flattened for axis=None) says it came from."""
    numpy_only("np.sort", g)
    g = np.asarray(g)
    out = np.empty(np.shape(order), dtype=float_dtype(g))
    np.put_along_axis(out, order, g, 0 if axis is None else axis)
    return np.reshape(out, shape)


def match_order(y, a, axis=-1):
    """Positions along `axis` such that np.take_along_axis(a, order, axis) equals y, for y a
    permutation of a along that axis (np.partition's result): equal values are matched in
    order, so tied elements each take one gradient."""
    numpy_only("np.partition", a)
    ranks_a = np.argsort(a, axis=axis, kind="stable")
    ranks_y = np.argsort(y, axis=axis, kind="stable")
    order = np.empty_like(ranks_a)
    np.put_along_axis(order, ranks_y, ranks_a, axis=0 if axis is None else axis)
    return order


def _shifted(x, step):
    """Where digamma and trigamma start: (x as float64, where x < 1/2, z, total), with z = x
    (or 1 - x where x < 1/2, to be reflected) moved up by ones to z >= 10, and total the sum
    of step(z) over the values z took on the way."""
    x = np.asarray(x, dtype=np.float64)
    reflect = x < 0.5
    z = np.where(reflect, 1.0 - x, x)
    total = np.zeros_like(z)
    while np.any(z < 10.0):
        low = z < 10.0
        total = total + np.where(low, step(z), 0.0)
        z = np.where(low, z + 1.0, z)
    return x, reflect, z, total


def digamma(x):
    """psi(x) = d/dx log|Gamma(x)|, the slope of math.lgamma, without SciPy: shifted up by
    psi(z) = psi(z + 1) - 1/z to z >= 10, then its asymptotic series; reflected below 1/2 by
    psi(x) = psi(1 - x) - pi / tan(pi x). A number for a number, else a float64 array."""
    x, reflect, z, out = _shifted(x, lambda z: -1.0 / z)
    w = 1.0 / (z * z)
    # ln z - 1/(2z) - sum over k >= 1 of B_2k / (2k z^2k), to k = 6
    out = out + np.log(z) - 0.5 / z - w * (1 / 12 - w * (1 / 120 - w * (1 / 252 - w * (
        1 / 240 - w * (1 / 132 - w * 691 / 32760)))))
    out = np.where(reflect, out - np.pi / np.tan(np.pi * np.where(reflect, x, 0.25)), out)
    return float(out) if out.ndim == 0 else out


def trigamma(x):
    """psi'(x), the slope of digamma: shifted up by psi'(z) = psi'(z + 1) + 1/z^2 to z >= 10,
    then its asymptotic series; reflected below 1/2 by psi'(x) = pi^2 / sin(pi x)^2 -
    psi'(1 - x). A number for a number, else a float64 array."""
    x, reflect, z, out = _shifted(x, lambda z: 1.0 / (z * z))
    w = 1.0 / (z * z)
    # 1/z + 1/(2z^2) + sum over k >= 1 of B_2k / z^(2k+1), to k = 6
    out = out + 1.0 / z + 0.5 * w + w / z * (1 / 6 - w * (1 / 30 - w * (1 / 42 - w * (
        1 / 30 - w * (5 / 66 - w * 691 / 2730)))))
    sine = np.sin(np.pi * np.where(reflect, x, 0.25))
    out = np.where(reflect, np.pi * np.pi / (sine * sine) - out, out)
    return float(out) if out.ndim == 0 else out
