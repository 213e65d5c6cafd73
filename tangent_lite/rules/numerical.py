"""Numerical methods: polynomials, convolution, integration along an axis, piecewise-linear
interpolation (np.polyval, np.convolve, np.correlate, np.trapezoid, np.interp).

- np.polyval: both the coefficients and the points; the slope is the derivative polynomial;
- np.convolve and np.correlate: both operands, every mode; a 'same' or 'valid' result is a
  slice of the full one, so its gradient is padded back to full length first, then correlated
  with the other operand (real values: complex ones would need the conjugates);
- np.trapezoid: the samples `y` (each weighs half the spacing to its neighbours); the sample
  points `x` and `dx` are refused where differentiated;
- np.interp: the points `x` (the slope of their interval, 0 outside xp's range, where the
  result is constant) and the values `fp` (split between the two ends of the interval);
  `xp`, `left` and `right` are refused where differentiated, and `period=` is refused at run
  time. At a knot x == xp[i] the slope is that of the interval to the right.

The helpers (polyval_slope, polyval_powers, convolve_padding, untrapezoid, interp_slope,
uninterp, interp_fp) are in tangent_lite/runtime/numerical.py.
"""
# flake8: noqa: E704
import numpy as np

from .registry import adjoint, d, linear, nondifferentiable, tangent_rule
from .. import runtime
from ..runtime import (convolve_padding, interp_fp, interp_slope, polyval_powers,
                       polyval_slope, uninterp, untrapezoid)

# ---- polynomials -----------------------------------------------------------------------------

@adjoint(np.polyval)
def _(y, p, x):
    d[p] = polyval_powers(d[y], p, x)
    d[x] = d[y] * polyval_slope(p, x)

@tangent_rule(np.polyval)
def _(y, p, x): d[y] = np.polyval(d[p], x) + d[x] * polyval_slope(p, x)

# ---- convolution and correlation -------------------------------------------------------------

@adjoint(np.convolve)
def _(y, a, v, mode="full"):
    full = np.pad(d[y], convolve_padding(a, v, mode))
    d[a] = np.correlate(full, v, "valid")
    d[v] = np.correlate(full, a, "valid")

@tangent_rule(np.convolve)
def _(y, a, v, mode="full"): d[y] = np.convolve(d[a], v, mode) + np.convolve(a, d[v], mode)

@adjoint(np.correlate)      # correlate(a, v) is convolve(a, v reversed), sliced its own way
def _(y, a, v, mode="valid"):
    full = np.pad(d[y], convolve_padding(a, v, mode, True))
    d[a] = np.correlate(full, np.flip(v), "valid")
    d[v] = np.flip(np.correlate(full, a, "valid"))

@tangent_rule(np.correlate)
def _(y, a, v, mode="valid"): d[y] = np.correlate(d[a], v, mode) + np.correlate(a, d[v], mode)

# ---- integration -------------------------------------------------------------------------------

# np.trapezoid is NumPy 2's name; np.trapz (NumPy 1's, deprecated in 2) where it is the only one.
TRAPEZOID = getattr(np, "trapezoid", None) or np.trapz

@adjoint(TRAPEZOID)
def _(r, y, x=None, dx=1.0, axis=-1): d[y] = untrapezoid(d[r], y, x, dx, axis)
linear(TRAPEZOID)

# ---- interpolation -----------------------------------------------------------------------------

@adjoint(np.interp)
def _(y, x, xp, fp, left=None, right=None, period=None):
    d[x] = d[y] * interp_slope(x, xp, fp, left, right, period)
    d[fp] = uninterp(d[y], x, xp, fp, left, right, period)

@tangent_rule(np.interp)
def _(y, x, xp, fp, left=None, right=None, period=None):
    d[y] = (d[x] * interp_slope(x, xp, fp, left, right, period)
            + interp_fp(x, xp, d[fp], left, right, period))

# ---- the helpers above, as they appear in gradient code (for Hessian-vector products) ----------

# polyval_slope, polyval_powers and interp_slope are written in functions with rules and are
# differentiated like user code; interp_slope's positions come from interp_cells, flat in x.
# interp_fp is only in forward-mode code, which nothing differentiates again.
nondifferentiable(runtime.convolve_padding, runtime.interp_cells)
linear(runtime.untrapezoid, params="out, g, y: Shape, x=None, dx=1.0, axis=-1")
linear(runtime.uninterp, params="out, g, x, xp, fp: Shape, left=None, right=None, period=None")
