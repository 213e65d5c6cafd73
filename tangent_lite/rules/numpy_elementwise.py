"""Elementwise NumPy functions beyond the basics: both modes side by side, one template each.

Conventions (those of numpy_adjoints.py and numpy_tangents.py):

- the first parameter is the function's result; `d[v]` is the adjoint of `v` in an @adjoint
  template and the tangent of `v` in a @tangent_rule template;
- `unbroadcast(g, x)` sums a gradient back to the operand `x`'s shape; `broadcast_like(t, y)`
  gives a tangent term the result's shape where the other operand's term may be dropped;
- constants are written as Python floats (`0.6931471805599453`, `np.pi / 180.0`), which NumPy
  treats as weakly typed, so float32 stays float32 in both modes;
- at a kink the rule takes the convention of numpy_adjoints.py: 0 for the slope of |x| at 0,
  ties share the gradient equally; functions that are locally constant (floor_divide, fix,
  comparisons ...) are registered as non-differentiable, which gives exactly zero;
- a partial derivative that is zero everywhere it exists is written `d[p] = zeros_grad(p)` in
  reverse mode and `0.0 * d[p]` in forward mode, so a differentiated argument is accepted there.

The helpers (sinc_slope, pick_weight, div_or_zero, unsort) are at the end of runtime.py, NumPy
only.
"""
# flake8: noqa: E704 (one-line definitions are the point of the table)
import operator

import numpy as np

from .registry import adjoint, nondifferentiable, tangent_rule
from ..runtime import (broadcast_like, div_or_zero, pick_weight, safe_log, sinc_slope,
                       unbroadcast, unsort, zeros_grad)
from .. import runtime

d = None  # the adjoint / tangent notation `d[x]`; templates are parsed, never run

# ---- powers, exponentials and logarithms ------------------------------------------------------

@adjoint(np.reciprocal)
def _(y, x): d[x] = -d[y] * (y * y)

@tangent_rule(np.reciprocal)
def _(y, x): d[y] = -d[x] * (y * y)

@adjoint(np.cbrt)
def _(y, x): d[x] = d[y] / (3.0 * y * y)

@tangent_rule(np.cbrt)
def _(y, x): d[y] = d[x] / (3.0 * y * y)

@adjoint(np.exp2)
def _(y, x): d[x] = d[y] * (y * 0.6931471805599453)          # ln 2

@tangent_rule(np.exp2)
def _(y, x): d[y] = d[x] * (y * 0.6931471805599453)

@adjoint(np.log2)
def _(y, x): d[x] = d[y] / (x * 0.6931471805599453)          # ln 2

@tangent_rule(np.log2)
def _(y, x): d[y] = d[x] / (x * 0.6931471805599453)

@adjoint(np.log10)
def _(y, x): d[x] = d[y] / (x * 2.302585092994046)           # ln 10

@tangent_rule(np.log10)
def _(y, x): d[y] = d[x] / (x * 2.302585092994046)

@adjoint(np.float_power)
def _(y, a, b):
    d[a] = unbroadcast(d[y] * (b * np.float_power(a, b - 1)), a)
    d[b] = unbroadcast(d[y] * y * safe_log(a), b)

@tangent_rule(np.float_power)
def _(y, a, b): d[y] = d[a] * (b * np.float_power(a, b - 1)) + d[b] * y * safe_log(a)

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

@adjoint(np.ldexp)                      # a * 2**n for integer n
def _(y, a, n): d[a] = unbroadcast(np.ldexp(d[y], n), a)

@tangent_rule(np.ldexp)
def _(y, a, n): d[y] = broadcast_like(np.ldexp(d[a], n), y)

# ---- trigonometric, hyperbolic and angles ------------------------------------------------------

@adjoint(np.sinc)
def _(y, x): d[x] = d[y] * sinc_slope(x)

@tangent_rule(np.sinc)
def _(y, x): d[y] = d[x] * sinc_slope(x)

@adjoint(np.arctan2)
def _(y, a, b):
    r2 = a * a + b * b
    d[a] = unbroadcast(d[y] * (b / r2), a)
    d[b] = unbroadcast(-d[y] * (a / r2), b)

@tangent_rule(np.arctan2)
def _(y, a, b):
    r2 = a * a + b * b
    d[y] = d[a] * (b / r2) - d[b] * (a / r2)

@adjoint(np.hypot)                      # like np.linalg.norm: gradient 0 at (0, 0)
def _(y, a, b):
    d[a] = unbroadcast(d[y] * div_or_zero(a, y), a)
    d[b] = unbroadcast(d[y] * div_or_zero(b, y), b)

@tangent_rule(np.hypot)
def _(y, a, b): d[y] = d[a] * div_or_zero(a, y) + d[b] * div_or_zero(b, y)

@adjoint(np.arcsinh)
def _(y, x): d[x] = d[y] / np.sqrt(x * x + 1.0)

@tangent_rule(np.arcsinh)
def _(y, x): d[y] = d[x] / np.sqrt(x * x + 1.0)

@adjoint(np.arccosh)
def _(y, x): d[x] = d[y] / np.sqrt(x * x - 1.0)

@tangent_rule(np.arccosh)
def _(y, x): d[y] = d[x] / np.sqrt(x * x - 1.0)

@adjoint(np.arctanh)
def _(y, x): d[x] = d[y] / (1.0 - x * x)

@tangent_rule(np.arctanh)
def _(y, x): d[y] = d[x] / (1.0 - x * x)

@adjoint(np.deg2rad, np.radians)
def _(y, x): d[x] = d[y] * (np.pi / 180.0)

@tangent_rule(np.deg2rad, np.radians)
def _(y, x): d[y] = d[x] * (np.pi / 180.0)

@adjoint(np.rad2deg, np.degrees)
def _(y, x): d[x] = d[y] * (180.0 / np.pi)

@tangent_rule(np.rad2deg, np.degrees)
def _(y, x): d[y] = d[x] * (180.0 / np.pi)

# ---- selections, signs and remainders ---------------------------------------------------------

@adjoint(np.fabs)
def _(y, x): d[x] = d[y] * np.sign(x)

@tangent_rule(np.fabs)
def _(y, x): d[y] = d[x] * np.sign(x)

@adjoint(np.fmax)                       # like np.maximum, but a NaN loses to a number
def _(y, a, b):
    d[a] = unbroadcast(d[y] * pick_weight(a, b), a)
    d[b] = unbroadcast(d[y] * pick_weight(b, a), b)

@tangent_rule(np.fmax)
def _(y, a, b): d[y] = broadcast_like(d[a] * pick_weight(a, b) + d[b] * pick_weight(b, a), y)

@adjoint(np.fmin)
def _(y, a, b):
    d[a] = unbroadcast(d[y] * pick_weight(a, b, False), a)
    d[b] = unbroadcast(d[y] * pick_weight(b, a, False), b)

@tangent_rule(np.fmin)
def _(y, a, b):
    d[y] = broadcast_like(d[a] * pick_weight(a, b, False) + d[b] * pick_weight(b, a, False), y)

@adjoint(np.remainder, operator.mod)    # a - floor(a / b) * b; np.mod is np.remainder
def _(y, a, b):
    d[a] = unbroadcast(d[y], a)
    d[b] = unbroadcast(-d[y] * np.floor_divide(a, b), b)

@tangent_rule(np.remainder, operator.mod)
def _(y, a, b): d[y] = broadcast_like(d[a] - d[b] * np.floor_divide(a, b), y)

@adjoint(np.fmod)                       # a - trunc(a / b) * b
def _(y, a, b):
    d[a] = unbroadcast(d[y], a)
    d[b] = unbroadcast(-d[y] * np.trunc(a / b), b)

@tangent_rule(np.fmod)
def _(y, a, b): d[y] = broadcast_like(d[a] - d[b] * np.trunc(a / b), y)

@adjoint(np.copysign)                   # |a| with the sign of b: flat in b
def _(y, a, b):
    d[a] = unbroadcast(d[y] * (np.sign(a) * np.sign(y)), a)
    d[b] = zeros_grad(b)

@tangent_rule(np.copysign)
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

# ---- no gradient ---------------------------------------------------------------------------

# Integer, boolean or piecewise-constant results: zero is the gradient wherever one exists.
NONDIFFERENTIABLE = (
    np.fix, np.floor_divide, operator.floordiv, np.signbit, np.spacing,
    np.isclose, np.allclose, np.array_equal, np.isreal, np.iscomplex, np.isposinf, np.isneginf,
    np.isin, np.argwhere, np.flatnonzero, np.searchsorted, np.digitize, np.argpartition,
    np.nanargmax, np.nanargmin,
) + ((np.around,) if np.around is not np.round else ())
nondifferentiable(*NONDIFFERENTIABLE)

# Helpers of the rules above, as they appear in gradient code (for Hessian-vector products):
# pick_weight is piecewise constant; unsort is linear in the gradient and moves it by the
# permutation `order`, an integer array.
nondifferentiable(runtime.pick_weight)

@tangent_rule(runtime.unsort)
def _(out, g, order, axis, shape): d[out] = unsort(d[g], order, axis, shape)
