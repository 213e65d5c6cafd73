"""Reductions (sum, mean, prod, max, min, var, std, median, average, their nan* forms) and
cumulative sums and products. Indices and tests of values (argmax, any, ...) have no gradient.

- `axis` and `keepdims` are those of the call: `unreduce(g, a, axis, keepdims)` spreads the
  gradient of a reduction back over the shape of `a`; the tangent of a reduction is the same
  reduction of a weighted tangent;
- parameters a rule does not accept (`out=`, `where=`, `ddof` given positionally after `out`,
  np.average's `returned=`, np.median's `overwrite_input=`, np.var's `correction=`) make the
  compiler refuse the call with a clear error rather than guess;
- the nan* functions treat NaN as NumPy does (0 in a sum, 1 in a product, absent from a mean,
  a maximum or a median): no gradient reaches a NaN element;
- at kinks: ties of a maximum, minimum or median share the gradient equally (the average of
  the one-sided derivatives); np.std at a constant input has gradient 0, like np.linalg.norm
  at 0; cumulative products are exact where the input has zeros.

The helpers (uncumsum, cumprod_adjoint, div_or_zero, nan_count, median_weights, average_*) are
in tangent_lite/runtime.
"""
# flake8: noqa: E704
import numpy as np

from .registry import adjoint, d, linear, nondifferentiable, tangent_rule
from .. import runtime
from ..runtime import (as_tangent, average_adjoint, average_weights_adjoint,
                       average_weights_tangent, cumprod_adjoint, cumprod_tangent, div_or_zero,
                       extremum_mask, median_weights, nan_count, prod_adjoint, reduced_count,
                       uncumsum, unreduce)

# ---- sums, means, products and extremes -------------------------------------------------------

@adjoint(np.sum)
def _(y, a, axis=None, dtype=None, *, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims)
linear(np.sum)

@adjoint(np.mean)
def _(y, a, axis=None, dtype=None, *, keepdims=False):
    d[a] = unreduce(d[y] / reduced_count(a, axis=axis), a, axis, keepdims)
linear(np.mean)

@adjoint(np.prod)
def _(y, a, axis=None, dtype=None, *, keepdims=False):
    d[a] = prod_adjoint(d[y], y, a, axis, keepdims)

@tangent_rule(np.prod)
def _(y, a, axis=None, dtype=None, *, keepdims=False):
    d[y] = np.sum(d[a] * prod_adjoint(np.ones_like(y), y, a, axis, keepdims), axis=axis,
                  keepdims=keepdims)

@adjoint(np.max, np.amax)
def _(y, a, axis=None, *, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims) * extremum_mask(y, a, axis, keepdims)

@adjoint(np.min, np.amin)
def _(y, a, axis=None, *, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims) * extremum_mask(y, a, axis, keepdims)

@tangent_rule(np.max, np.amax, np.min, np.amin)
def _(y, a, axis=None, *, keepdims=False):
    d[y] = np.sum(d[a] * extremum_mask(y, a, axis, keepdims), axis=axis, keepdims=keepdims)

# ---- cumulative sums and products -------------------------------------------------------------

@adjoint(np.cumsum)
def _(y, a, axis=None, dtype=None): d[a] = uncumsum(d[y], a, axis)

linear(np.cumsum)

@adjoint(np.cumprod)
def _(y, a, axis=None, dtype=None): d[a] = cumprod_adjoint(d[y], a, axis)

@tangent_rule(np.cumprod)
def _(y, a, axis=None, dtype=None): d[y] = as_tangent(cumprod_tangent(d[a], a, axis), y)

@adjoint(np.nancumsum)
def _(y, a, axis=None, dtype=None): d[a] = uncumsum(d[y], a, axis) * np.logical_not(np.isnan(a))

@tangent_rule(np.nancumsum)
def _(y, a, axis=None, dtype=None):
    d[y] = np.cumsum(np.where(np.isnan(a), 0.0, d[a]), axis=axis, dtype=dtype)

@adjoint(np.nancumprod)
def _(y, a, axis=None, dtype=None):
    kept = np.logical_not(np.isnan(a))
    d[a] = cumprod_adjoint(d[y], np.where(kept, a, 1.0), axis) * kept

@tangent_rule(np.nancumprod)
def _(y, a, axis=None, dtype=None):
    kept = np.logical_not(np.isnan(a))
    d[y] = as_tangent(cumprod_tangent(np.where(kept, d[a], 0.0), np.where(kept, a, 1.0), axis), y)

if hasattr(np, "cumulative_sum"):   # NumPy 2.1+
    @adjoint(np.cumulative_sum)
    def _(y, x, *, axis=None, dtype=None, include_initial=False):
        d[x] = uncumsum(d[y], x, axis, include_initial)

    linear(np.cumulative_sum)

    @adjoint(np.cumulative_prod)
    def _(y, x, *, axis=None, dtype=None, include_initial=False):
        d[x] = cumprod_adjoint(d[y], x, axis, include_initial)

    @tangent_rule(np.cumulative_prod)
    def _(y, x, *, axis=None, dtype=None, include_initial=False):
        d[y] = as_tangent(cumprod_tangent(d[x], x, axis, include_initial), y)

# ---- variance and standard deviation ----------------------------------------------------------

# n is the divisor: the number of elements reduced into each result, less ddof.

@adjoint(np.var)
def _(y, a, axis=None, dtype=None, *, ddof=0, keepdims=False):
    n = reduced_count(a, axis) - ddof
    d[a] = unreduce(d[y], a, axis, keepdims) * (a - np.mean(a, axis=axis, keepdims=True)) * 2.0 / n

@tangent_rule(np.var)
def _(y, a, axis=None, dtype=None, *, ddof=0, keepdims=False):
    n = reduced_count(a, axis) - ddof
    d[y] = np.sum(d[a] * (a - np.mean(a, axis=axis, keepdims=True)), axis=axis, dtype=dtype,
                  keepdims=keepdims) * 2.0 / n

@adjoint(np.std)
def _(y, a, axis=None, dtype=None, *, ddof=0, keepdims=False):
    n = reduced_count(a, axis) - ddof
    d[a] = (unreduce(div_or_zero(d[y], y), a, axis, keepdims)
            * (a - np.mean(a, axis=axis, keepdims=True)) / n)

@tangent_rule(np.std)
def _(y, a, axis=None, dtype=None, *, ddof=0, keepdims=False):
    n = reduced_count(a, axis) - ddof
    d[y] = div_or_zero(np.sum(d[a] * (a - np.mean(a, axis=axis, keepdims=True)), axis=axis,
                              dtype=dtype, keepdims=keepdims), y) / n

@adjoint(np.nanvar)
def _(y, a, axis=None, dtype=None, *, ddof=0, keepdims=False):
    centered = np.where(np.isnan(a), 0.0, a - np.nanmean(a, axis=axis, keepdims=True))
    d[a] = unreduce(d[y], a, axis, keepdims) * centered * 2.0 / (nan_count(a, axis, True) - ddof)

@tangent_rule(np.nanvar)
def _(y, a, axis=None, dtype=None, *, ddof=0, keepdims=False):
    centered = np.where(np.isnan(a), 0.0, a - np.nanmean(a, axis=axis, keepdims=True))
    d[y] = (np.sum(d[a] * centered, axis=axis, dtype=dtype, keepdims=keepdims) * 2.0
            / (nan_count(a, axis, keepdims) - ddof))

@adjoint(np.nanstd)
def _(y, a, axis=None, dtype=None, *, ddof=0, keepdims=False):
    centered = np.where(np.isnan(a), 0.0, a - np.nanmean(a, axis=axis, keepdims=True))
    d[a] = (unreduce(div_or_zero(d[y], y), a, axis, keepdims) * centered
            / (nan_count(a, axis, True) - ddof))

@tangent_rule(np.nanstd)
def _(y, a, axis=None, dtype=None, *, ddof=0, keepdims=False):
    centered = np.where(np.isnan(a), 0.0, a - np.nanmean(a, axis=axis, keepdims=True))
    d[y] = (div_or_zero(np.sum(d[a] * centered, axis=axis, dtype=dtype, keepdims=keepdims), y)
            / (nan_count(a, axis, keepdims) - ddof))

# ---- sums, means and products that skip NaN -----------------------------------------------------

@adjoint(np.nansum)
def _(y, a, axis=None, dtype=None, *, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims) * np.logical_not(np.isnan(a))

@tangent_rule(np.nansum)
def _(y, a, axis=None, dtype=None, *, keepdims=False):
    d[y] = np.sum(np.where(np.isnan(a), 0.0, d[a]), axis=axis, dtype=dtype, keepdims=keepdims)

@adjoint(np.nanmean)
def _(y, a, axis=None, dtype=None, *, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims) * (np.logical_not(np.isnan(a))
                                                / nan_count(a, axis, True))

@tangent_rule(np.nanmean)
def _(y, a, axis=None, dtype=None, *, keepdims=False):
    d[y] = np.nanmean(np.where(np.isnan(a), np.nan, d[a]), axis=axis, dtype=dtype,
                      keepdims=keepdims)

@adjoint(np.nanprod)
def _(y, a, axis=None, dtype=None, *, keepdims=False):
    kept = np.logical_not(np.isnan(a))
    d[a] = prod_adjoint(d[y], y, np.where(kept, a, 1.0), axis, keepdims) * kept

@tangent_rule(np.nanprod)
def _(y, a, axis=None, dtype=None, *, keepdims=False):
    kept = np.logical_not(np.isnan(a))
    d[y] = np.sum(np.where(kept, d[a], 0.0) * prod_adjoint(np.ones_like(y), y, np.where(
        kept, a, 1.0), axis, keepdims), axis=axis, dtype=dtype, keepdims=keepdims)

# ---- extremes, range, median, weighted average ------------------------------------------------

@adjoint(np.nanmax, np.nanmin)
def _(y, a, axis=None, *, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims) * extremum_mask(y, a, axis, keepdims)

@tangent_rule(np.nanmax, np.nanmin)
def _(y, a, axis=None, *, keepdims=False):
    d[y] = as_tangent(np.sum(d[a] * extremum_mask(y, a, axis, keepdims), axis=axis,
                             keepdims=keepdims), y)

@adjoint(np.ptp)                        # max - min
def _(y, a, axis=None, *, keepdims=False):
    hi = extremum_mask(np.max(a, axis=axis, keepdims=keepdims), a, axis, keepdims)
    lo = extremum_mask(np.min(a, axis=axis, keepdims=keepdims), a, axis, keepdims)
    d[a] = unreduce(d[y], a, axis, keepdims) * (hi - lo)

@tangent_rule(np.ptp)
def _(y, a, axis=None, *, keepdims=False):
    hi = extremum_mask(np.max(a, axis=axis, keepdims=keepdims), a, axis, keepdims)
    lo = extremum_mask(np.min(a, axis=axis, keepdims=keepdims), a, axis, keepdims)
    d[y] = as_tangent(np.sum(d[a] * (hi - lo), axis=axis, keepdims=keepdims), y)

@adjoint(np.median)                     # the middle element, or the two middle ones half each
def _(y, a, axis=None, *, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims) * median_weights(a, axis)

@tangent_rule(np.median)
def _(y, a, axis=None, *, keepdims=False):
    d[y] = np.sum(d[a] * median_weights(a, axis), axis=axis, keepdims=keepdims)

@adjoint(np.nanmedian)
def _(y, a, axis=None, *, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims) * median_weights(a, axis, True)

@tangent_rule(np.nanmedian)
def _(y, a, axis=None, *, keepdims=False):
    d[y] = np.sum(d[a] * median_weights(a, axis, True), axis=axis, keepdims=keepdims)

@adjoint(np.average)                    # sum(w * a) / sum(w)
def _(y, a, axis=None, weights=None, *, keepdims=False):
    d[a] = average_adjoint(d[y], y, a, axis, weights, keepdims)
    d[weights] = average_weights_adjoint(d[y], y, a, axis, weights, keepdims)

@tangent_rule(np.average)
def _(y, a, axis=None, weights=None, *, keepdims=False):
    d[y] = (np.average(d[a], axis=axis, weights=weights, keepdims=keepdims)
            + average_weights_tangent(d[weights], y, a, axis, weights, keepdims))

# ---- no gradient: indices and tests ------------------------------------------------------------

nondifferentiable(np.argmax, np.argmin, np.argsort, np.nonzero, np.count_nonzero, np.any, np.all)

# ---- the helpers above, as they appear in gradient code (for Hessian-vector products) -----------

# Linear in the gradient they carry, reading the other array only for its shape.
linear(runtime.uncumsum, params="out, g, x: Shape, axis=None, include_initial=False")
# a differentiated `weights` is refused here
linear(runtime.average_adjoint,
       params="out, g, y: Shape, a: Shape, axis=None, weights=None, keepdims=False")

@tangent_rule(runtime.div_or_zero)       # d(g / y) = dg / y - g dy / y**2, 0 where y == 0
def _(out, g, y): d[out] = div_or_zero(d[g], y) - div_or_zero(g * d[y], y * y)

# Piecewise constant.
nondifferentiable(runtime.nan_count, runtime.median_weights, runtime.extremum_mask,
                  runtime.reduced_count)

# Second derivatives not implemented: a Hessian-vector product through these is refused.
nondifferentiable(runtime.cumprod_adjoint, runtime.cumprod_tangent,
                  runtime.average_weights_adjoint, runtime.average_weights_tangent,
                  constant_inputs=True)
