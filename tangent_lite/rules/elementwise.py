"""Elementwise functions of one array (and a few of two): exponentials and logarithms,
trigonometric and hyperbolic functions, signs, sorting. Rounding and tests of values have no
gradient. The helpers (sinc_slope, div_or_zero, sign_grad, unsort) are in tangent_lite/runtime.

The functions of Python's math module that are these functions of floats (math.sin,
math.sqrt, math.atan2, math.hypot of two coordinates, ...) share their rules; the rest of math
is in pymath.py.
"""
# flake8: noqa: E704
import math
import operator
import sys

import numpy as np

from .registry import adjoint, d, linear, nondifferentiable, tangent_rule
from .. import runtime
from ..runtime import (broadcast_like, div_or_zero, match_order, sign_grad, sinc_slope,
                       unbroadcast, unsort, zeros_grad)

MATH_EXP2 = (math.exp2,) if sys.version_info >= (3, 11) else ()    # new in Python 3.11
MATH_CBRT = (math.cbrt,) if sys.version_info >= (3, 11) else ()

# ---- powers, exponentials and logarithms ------------------------------------------------------

@adjoint(np.exp, math.exp)
def _(y, x): d[x] = d[y] * y

@tangent_rule(np.exp, math.exp)
def _(y, x): d[y] = d[x] * y

@adjoint(np.log)
def _(y, x): d[x] = d[y] / x

@tangent_rule(np.log)
def _(y, x): d[y] = d[x] / x

@adjoint(np.log1p, math.log1p)
def _(y, x): d[x] = d[y] / (1.0 + x)

@tangent_rule(np.log1p, math.log1p)
def _(y, x): d[y] = d[x] / (1.0 + x)

@adjoint(np.expm1, math.expm1)
def _(y, x): d[x] = d[y] * (y + 1.0)

@tangent_rule(np.expm1, math.expm1)
def _(y, x): d[y] = d[x] * (y + 1.0)

@adjoint(np.sqrt, math.sqrt)
def _(y, x): d[x] = d[y] / (2.0 * y)

@tangent_rule(np.sqrt, math.sqrt)
def _(y, x): d[y] = d[x] / (2.0 * y)

@adjoint(np.square)
def _(y, x): d[x] = d[y] * (2.0 * x)

@tangent_rule(np.square)
def _(y, x): d[y] = d[x] * (2.0 * x)

@adjoint(np.reciprocal)
def _(y, x): d[x] = -d[y] * (y * y)

@tangent_rule(np.reciprocal)
def _(y, x): d[y] = -d[x] * (y * y)

@adjoint(np.cbrt, *MATH_CBRT)
def _(y, x): d[x] = d[y] / (3.0 * y * y)

@tangent_rule(np.cbrt, *MATH_CBRT)
def _(y, x): d[y] = d[x] / (3.0 * y * y)

@adjoint(np.exp2, *MATH_EXP2)
def _(y, x): d[x] = d[y] * (y * 0.6931471805599453)          # ln 2

@tangent_rule(np.exp2, *MATH_EXP2)
def _(y, x): d[y] = d[x] * (y * 0.6931471805599453)

@adjoint(np.log2, math.log2)
def _(y, x): d[x] = d[y] / (x * 0.6931471805599453)          # ln 2

@tangent_rule(np.log2, math.log2)
def _(y, x): d[y] = d[x] / (x * 0.6931471805599453)

@adjoint(np.log10, math.log10)
def _(y, x): d[x] = d[y] / (x * 2.302585092994046)           # ln 10

@tangent_rule(np.log10, math.log10)
def _(y, x): d[y] = d[x] / (x * 2.302585092994046)

@adjoint(np.logaddexp)
def _(y, a, b):
    d[a] = unbroadcast(d[y] * np.exp(a - y), a)
    d[b] = unbroadcast(d[y] * np.exp(b - y), b)

@tangent_rule(np.logaddexp)
def _(y, a, b): d[y] = d[a] * np.exp(a - y) + d[b] * np.exp(b - y)

@adjoint(np.logaddexp2)
def _(y, a, b):
    d[a] = unbroadcast(d[y] * np.exp2(a - y), a)
    d[b] = unbroadcast(d[y] * np.exp2(b - y), b)

@tangent_rule(np.logaddexp2)
def _(y, a, b): d[y] = d[a] * np.exp2(a - y) + d[b] * np.exp2(b - y)

@adjoint(np.ldexp, math.ldexp)         # a * 2**n for integer n
def _(y, a, n): d[a] = unbroadcast(np.ldexp(d[y], n), a)

@tangent_rule(np.ldexp, math.ldexp)
def _(y, a, n): d[y] = broadcast_like(np.ldexp(d[a], n), y)

# ---- trigonometric, hyperbolic and angles ------------------------------------------------------

@adjoint(np.sin, math.sin)
def _(y, x): d[x] = d[y] * np.cos(x)

@tangent_rule(np.sin, math.sin)
def _(y, x): d[y] = d[x] * np.cos(x)

@adjoint(np.cos, math.cos)
def _(y, x): d[x] = -d[y] * np.sin(x)

@tangent_rule(np.cos, math.cos)
def _(y, x): d[y] = -d[x] * np.sin(x)

@adjoint(np.tan, math.tan)
def _(y, x): d[x] = d[y] * (1.0 + y * y)

@tangent_rule(np.tan, math.tan)
def _(y, x): d[y] = d[x] * (1.0 + y * y)

@adjoint(np.arcsin, math.asin)
def _(y, x): d[x] = d[y] / np.sqrt(1.0 - x * x)

@tangent_rule(np.arcsin, math.asin)
def _(y, x): d[y] = d[x] / np.sqrt(1.0 - x * x)

@adjoint(np.arccos, math.acos)
def _(y, x): d[x] = -d[y] / np.sqrt(1.0 - x * x)

@tangent_rule(np.arccos, math.acos)
def _(y, x): d[y] = -d[x] / np.sqrt(1.0 - x * x)

@adjoint(np.arctan, math.atan)
def _(y, x): d[x] = d[y] / (1.0 + x * x)

@tangent_rule(np.arctan, math.atan)
def _(y, x): d[y] = d[x] / (1.0 + x * x)

@adjoint(np.sinh, math.sinh)
def _(y, x): d[x] = d[y] * np.cosh(x)

@tangent_rule(np.sinh, math.sinh)
def _(y, x): d[y] = d[x] * np.cosh(x)

@adjoint(np.cosh, math.cosh)
def _(y, x): d[x] = d[y] * np.sinh(x)

@tangent_rule(np.cosh, math.cosh)
def _(y, x): d[y] = d[x] * np.sinh(x)

@adjoint(np.tanh, math.tanh)
def _(y, x): d[x] = d[y] * (1.0 - y * y)

@tangent_rule(np.tanh, math.tanh)
def _(y, x): d[y] = d[x] * (1.0 - y * y)

@adjoint(np.sinc)
def _(y, x): d[x] = d[y] * sinc_slope(x)

@tangent_rule(np.sinc)
def _(y, x): d[y] = d[x] * sinc_slope(x)

@adjoint(np.arctan2, math.atan2)
def _(y, a, b):
    r2 = a * a + b * b
    d[a] = unbroadcast(d[y] * (b / r2), a)
    d[b] = unbroadcast(-d[y] * (a / r2), b)

@tangent_rule(np.arctan2, math.atan2)
def _(y, a, b):
    r2 = a * a + b * b
    d[y] = d[a] * (b / r2) - d[b] * (a / r2)

@adjoint(np.hypot, math.hypot)         # like np.linalg.norm: gradient 0 at (0, 0)
def _(y, a, b):
    d[a] = unbroadcast(d[y] * div_or_zero(a, y), a)
    d[b] = unbroadcast(d[y] * div_or_zero(b, y), b)

@tangent_rule(np.hypot, math.hypot)
def _(y, a, b): d[y] = d[a] * div_or_zero(a, y) + d[b] * div_or_zero(b, y)

@adjoint(np.arcsinh, math.asinh)
def _(y, x): d[x] = d[y] / np.sqrt(x * x + 1.0)

@tangent_rule(np.arcsinh, math.asinh)
def _(y, x): d[y] = d[x] / np.sqrt(x * x + 1.0)

@adjoint(np.arccosh, math.acosh)
def _(y, x): d[x] = d[y] / np.sqrt(x * x - 1.0)

@tangent_rule(np.arccosh, math.acosh)
def _(y, x): d[y] = d[x] / np.sqrt(x * x - 1.0)

@adjoint(np.arctanh, math.atanh)
def _(y, x): d[x] = d[y] / (1.0 - x * x)

@tangent_rule(np.arctanh, math.atanh)
def _(y, x): d[y] = d[x] / (1.0 - x * x)

@adjoint(np.deg2rad, np.radians, math.radians)
def _(y, x): d[x] = d[y] * (np.pi / 180.0)

@tangent_rule(np.deg2rad, np.radians, math.radians)
def _(y, x): d[y] = d[x] * (np.pi / 180.0)

@adjoint(np.rad2deg, np.degrees, math.degrees)
def _(y, x): d[x] = d[y] * (180.0 / np.pi)

@tangent_rule(np.rad2deg, np.degrees, math.degrees)
def _(y, x): d[y] = d[x] * (180.0 / np.pi)

# ---- signs (np.abs, which takes complex numbers, is in fft.py) ---------------------------------

@adjoint(np.sign)
def _(y, x): d[x] = sign_grad(d[y], x)

@tangent_rule(np.sign)
def _(y, x): d[y] = sign_grad(d[x], x)

@adjoint(np.fabs, math.fabs)
def _(y, x): d[x] = d[y] * np.sign(x)

@tangent_rule(np.fabs, math.fabs)
def _(y, x): d[y] = d[x] * np.sign(x)

@adjoint(np.copysign, math.copysign)   # |a| with the sign of b: flat in b
def _(y, a, b):
    d[a] = unbroadcast(d[y] * (np.sign(a) * np.sign(y)), a)
    d[b] = zeros_grad(b)

@tangent_rule(np.copysign, math.copysign)
def _(y, a, b):
    d[y] = broadcast_like(d[a] * (np.sign(a) * np.sign(y)), y) + broadcast_like(0.0 * d[b], y)

@adjoint(np.heaviside)                  # a step in x1; x2 is its value where x1 == 0
def _(y, x1, x2):
    d[x1] = zeros_grad(x1)
    d[x2] = unbroadcast(d[y] * (x1 == 0), x2)

@tangent_rule(np.heaviside)
def _(y, x1, x2):
    d[y] = broadcast_like(0.0 * d[x1], y) + broadcast_like(d[x2] * (x1 == 0), y)

@adjoint(np.nan_to_num)                 # x where finite; the replacements are constants
def _(y, x, *, nan=0.0, posinf=None, neginf=None): d[x] = d[y] * np.isfinite(x)

@tangent_rule(np.nan_to_num)
def _(y, x, *, nan=0.0, posinf=None, neginf=None): d[y] = d[x] * np.isfinite(x)

# ---- sorting: the gradient follows the permutation ---------------------------------------------

# Tied elements keep their order (a stable sort): each receives the gradient of the position
# it is sorted to. np.sort is not differentiable at a tie; this is one of its subgradients.

@adjoint(np.sort)
def _(y, a, axis=-1, kind=None):
    order = np.argsort(a, axis=axis, kind="stable")
    d[a] = unsort(d[y], order, axis, np.shape(a))

@tangent_rule(np.sort)
def _(y, a, axis=-1, kind=None):
    order = np.argsort(a, axis=axis, kind="stable")
    d[y] = np.take_along_axis(np.asarray(d[a]), order, axis)

# np.partition moves each element to where the k-th order statistic puts it; its gradient
# follows the same permutation, read back from the result (match_order pairs equal values).

@adjoint(np.partition)
def _(y, a, kth, axis=-1, kind="introselect", order=None):
    d[a] = unsort(d[y], match_order(y, a, axis), axis, np.shape(a))

@tangent_rule(np.partition)
def _(y, a, kth, axis=-1, kind="introselect", order=None):
    d[y] = np.take_along_axis(np.asarray(d[a]), match_order(y, a, axis), axis)

# ---- no gradient ---------------------------------------------------------------------------

# Integer, boolean or piecewise-constant results: zero is the gradient wherever one exists.
nondifferentiable(np.floor, np.ceil, np.round, np.rint, np.trunc, np.isnan, np.isinf,
                  np.isfinite)
NONDIFFERENTIABLE = (
    np.fix, np.floor_divide, operator.floordiv, np.signbit, np.spacing,
    np.isclose, np.allclose, np.array_equal, np.isreal, np.iscomplex, np.isposinf, np.isneginf,
    np.isin, np.argwhere, np.flatnonzero, np.searchsorted, np.digitize, np.argpartition,
    np.nanargmax, np.nanargmin,
) + ((np.around,) if np.around is not np.round else ())
nondifferentiable(*NONDIFFERENTIABLE)

# ---- the helpers above, as they appear in gradient code (for Hessian-vector products) ----------

# sign_grad is zeros (np.sign is flat), whatever its arguments.
nondifferentiable(runtime.sign_grad, runtime.match_order)

# unsort is linear in the gradient and moves it by the permutation `order`, an integer array.
linear(runtime.unsort, params="out, g, order, axis, shape")
