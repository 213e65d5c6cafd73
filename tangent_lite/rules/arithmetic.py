"""The operators `+ - * / ** %` and unary `-`/`+`, their ufuncs, and the elementwise choices
between operands: maximum, minimum, fmax, fmin, clip, where. Comparisons and logic have no
gradient.
"""
# flake8: noqa: E704
import math
import operator

import numpy as np

from .registry import adjoint, d, nondifferentiable, tangent_rule
from .. import runtime
from ..runtime import (broadcast_like, clip_mask, pick_weight, safe_log, tangent_like, ties,
                       unbroadcast)

# ---- + - * / ** ------------------------------------------------------------------------------

@adjoint(np.add, operator.add)
def _(y, a, b):
    d[a] = unbroadcast(d[y], a)
    d[b] = unbroadcast(d[y], b)

@tangent_rule(np.add, operator.add)
def _(y, a, b): d[y] = broadcast_like(d[a] + d[b], y)

@adjoint(np.subtract, operator.sub)
def _(y, a, b):
    d[a] = unbroadcast(d[y], a)
    d[b] = -unbroadcast(d[y], b)   # summed first: the negation of the narrower array

@tangent_rule(np.subtract, operator.sub)
def _(y, a, b): d[y] = broadcast_like(d[a] - d[b], y)

@adjoint(np.multiply, operator.mul)
def _(y, a, b):
    d[a] = unbroadcast(d[y] * b, a)
    d[b] = unbroadcast(d[y] * a, b)

@tangent_rule(np.multiply, operator.mul)
def _(y, a, b): d[y] = d[a] * b + a * d[b]

@adjoint(np.divide, operator.truediv)
def _(y, a, b):
    d[a] = unbroadcast(d[y] / b, a)
    d[b] = unbroadcast(-d[y] * y / b, b)

@tangent_rule(np.divide, operator.truediv)
def _(y, a, b): d[y] = d[a] / b - d[b] * y / b

@adjoint(np.power, operator.pow, math.pow, pow)
def _(y, a, b):
    d[a] = unbroadcast(d[y] * (b * a ** (b - 1)), a)
    d[b] = unbroadcast(d[y] * y * safe_log(a), b)

@tangent_rule(np.power, operator.pow, math.pow, pow)
def _(y, a, b): d[y] = d[a] * b * a ** (b - 1) + d[b] * y * safe_log(a)

@adjoint(np.float_power)
def _(y, a, b):
    d[a] = unbroadcast(d[y] * (b * np.float_power(a, b - 1)), a)
    d[b] = unbroadcast(d[y] * y * safe_log(a), b)

@tangent_rule(np.float_power)
def _(y, a, b): d[y] = d[a] * (b * np.float_power(a, b - 1)) + d[b] * y * safe_log(a)

# ---- % and fmod: a - floor(a / b) * b, a - trunc(a / b) * b ----------------------------------

@adjoint(np.remainder, operator.mod)    # np.mod is np.remainder
def _(y, a, b):
    d[a] = unbroadcast(d[y], a)
    d[b] = unbroadcast(-d[y] * np.floor_divide(a, b), b)

@tangent_rule(np.remainder, operator.mod)
def _(y, a, b): d[y] = broadcast_like(d[a] - d[b] * np.floor_divide(a, b), y)

@adjoint(np.fmod, math.fmod)
def _(y, a, b):
    d[a] = unbroadcast(d[y], a)
    d[b] = unbroadcast(-d[y] * np.trunc(a / b), b)

@tangent_rule(np.fmod, math.fmod)
def _(y, a, b): d[y] = broadcast_like(d[a] - d[b] * np.trunc(a / b), y)

# ---- unary - and + ---------------------------------------------------------------------------

@adjoint(np.negative, operator.neg)
def _(y, x): d[x] = -d[y]

@tangent_rule(np.negative, operator.neg)
def _(y, x): d[y] = -d[x]

@adjoint(np.positive, operator.pos)
def _(y, x): d[x] = d[y]

@tangent_rule(np.positive, operator.pos)
def _(y, x): d[y] = d[x]

# ---- choosing between operands ---------------------------------------------------------------

@adjoint(np.maximum)
def _(y, a, b):
    d[a] = unbroadcast(d[y] * ties(a, b), a)
    d[b] = unbroadcast(d[y] * ties(b, a), b)

@tangent_rule(np.maximum)
def _(y, a, b):
    d[y] = broadcast_like(d[a] * ties(a, b) + d[b] * ties(b, a), y)

@adjoint(np.minimum)
def _(y, a, b):
    d[a] = unbroadcast(d[y] * ties(b, a), a)
    d[b] = unbroadcast(d[y] * ties(a, b), b)

@tangent_rule(np.minimum)
def _(y, a, b):
    d[y] = broadcast_like(d[a] * ties(b, a) + d[b] * ties(a, b), y)

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

@adjoint(np.clip)
def _(y, a, a_min=None, a_max=None):
    d[a] = d[y] * clip_mask(a, a_min, a_max)
    d[a_min] = unbroadcast(d[y] * (a < a_min), a_min)
    d[a_max] = unbroadcast(d[y] * (a > a_max), a_max)

@tangent_rule(np.clip)
def _(y, a, a_min=None, a_max=None):
    d[y] = (broadcast_like(d[a] * clip_mask(a, a_min, a_max), y)
            + tangent_like(d[a_min] * (a < a_min), y) + tangent_like(d[a_max] * (a > a_max), y))

@adjoint(np.where)
def _(out, condition, x, y):
    d[x] = unbroadcast(np.where(condition, d[out], 0.0), x)
    d[y] = unbroadcast(np.where(condition, 0.0, d[out]), y)

@tangent_rule(np.where)
def _(out, condition, x, y):
    d[out] = broadcast_like(np.where(condition, d[x], 0.0) + np.where(condition, 0.0, d[y]), out)

# ---- no gradient -----------------------------------------------------------------------------

nondifferentiable(
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
    operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
    operator.not_,
)

# The helpers above, as they appear in gradient code: piecewise constant (a Hessian-vector
# product through np.maximum, a ReLU, differentiates `ties` as the zero it is, not its source).
nondifferentiable(runtime.pick_weight, runtime.clip_mask, runtime.ties)
