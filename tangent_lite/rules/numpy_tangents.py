"""Forward-mode rules for NumPy, one template per function.

Conventions: the first parameter is the function's result; the body assigns `d[y]` as a sum of
terms, each linear in one argument's tangent `d[a]`. The compiler drops the terms of arguments
without tangents; `broadcast_like(t, y)` then gives a lone term the result's shape.
"""
# flake8: noqa: E704 (one-line definitions are the point of the table)
import operator

import numpy as np

from .registry import tangent_rule
from .template import Shape
from ..runtime import (sign_grad, tangent_like, ties, as_tangent, broadcast_like, clip_mask, extremum_mask, norm_adjoint,
                       prod_adjoint, safe_log, zeros_grad)  # noqa: F401 (zeros_grad: filler)

d = None  # the tangent notation `d[x]`; templates are parsed, never run

# ---- arithmetic ------------------------------------------------------------------------------

@tangent_rule(np.add, operator.add)
def _(y, a, b): d[y] = broadcast_like(d[a] + d[b], y)

@tangent_rule(np.subtract, operator.sub)
def _(y, a, b): d[y] = broadcast_like(d[a] - d[b], y)

@tangent_rule(np.multiply, operator.mul)
def _(y, a, b): d[y] = d[a] * b + a * d[b]

@tangent_rule(np.divide, operator.truediv)
def _(y, a, b): d[y] = d[a] / b - d[b] * y / b

@tangent_rule(np.power, operator.pow)
def _(y, a, b): d[y] = d[a] * b * a ** (b - 1) + d[b] * y * safe_log(a)

@tangent_rule(np.negative, operator.neg)
def _(y, x): d[y] = -d[x]

@tangent_rule(np.positive, operator.pos)
def _(y, x): d[y] = d[x]

@tangent_rule(np.sign)
def _(y, x): d[y] = sign_grad(d[x], x)

@tangent_rule(np.maximum)
def _(y, a, b):
    d[y] = broadcast_like(d[a] * ties(a, b) + d[b] * ties(b, a), y)

@tangent_rule(np.minimum)
def _(y, a, b):
    d[y] = broadcast_like(d[a] * ties(b, a) + d[b] * ties(a, b), y)

# ---- products --------------------------------------------------------------------------------

@tangent_rule(np.matmul, operator.matmul)
def _(y, a, b): d[y] = d[a] @ b + a @ d[b]

@tangent_rule(np.dot)
def _(y, a, b): d[y] = np.dot(d[a], b) + np.dot(a, d[b])

@tangent_rule(np.outer)
def _(y, a, b): d[y] = np.outer(d[a], b) + np.outer(a, d[b])

# ---- elementwise functions -------------------------------------------------------------------

@tangent_rule(np.exp)
def _(y, x): d[y] = d[x] * y

@tangent_rule(np.log)
def _(y, x): d[y] = d[x] / x

@tangent_rule(np.log1p)
def _(y, x): d[y] = d[x] / (1.0 + x)

@tangent_rule(np.expm1)
def _(y, x): d[y] = d[x] * (y + 1.0)

@tangent_rule(np.sqrt)
def _(y, x): d[y] = d[x] / (2.0 * y)

@tangent_rule(np.square)
def _(y, x): d[y] = d[x] * (2.0 * x)

@tangent_rule(np.abs, abs)
def _(y, x): d[y] = d[x] * np.sign(x)

@tangent_rule(np.sin)
def _(y, x): d[y] = d[x] * np.cos(x)

@tangent_rule(np.cos)
def _(y, x): d[y] = -d[x] * np.sin(x)

@tangent_rule(np.tan)
def _(y, x): d[y] = d[x] * (1.0 + y * y)

@tangent_rule(np.arcsin)
def _(y, x): d[y] = d[x] / np.sqrt(1.0 - x * x)

@tangent_rule(np.arccos)
def _(y, x): d[y] = -d[x] / np.sqrt(1.0 - x * x)

@tangent_rule(np.arctan)
def _(y, x): d[y] = d[x] / (1.0 + x * x)

@tangent_rule(np.sinh)
def _(y, x): d[y] = d[x] * np.cosh(x)

@tangent_rule(np.cosh)
def _(y, x): d[y] = d[x] * np.sinh(x)

@tangent_rule(np.tanh)
def _(y, x): d[y] = d[x] * (1.0 - y * y)

@tangent_rule(np.clip)
def _(y, a, a_min=None, a_max=None):
    d[y] = (broadcast_like(d[a] * clip_mask(a, a_min, a_max), y)
            + tangent_like(d[a_min] * (a < a_min), y) + tangent_like(d[a_max] * (a > a_max), y))

@tangent_rule(np.where)
def _(out, condition, x, y):
    d[out] = broadcast_like(np.where(condition, d[x], 0.0) + np.where(condition, 0.0, d[y]), out)

# ---- reductions ------------------------------------------------------------------------------

@tangent_rule(np.sum)
def _(y, a, axis=None, dtype=None, *, keepdims=False):
    d[y] = np.sum(d[a], axis=axis, dtype=dtype, keepdims=keepdims)

@tangent_rule(np.mean)
def _(y, a, axis=None, dtype=None, *, keepdims=False):
    d[y] = np.mean(d[a], axis=axis, dtype=dtype, keepdims=keepdims)

@tangent_rule(np.prod)
def _(y, a, axis=None, dtype=None, *, keepdims=False):
    d[y] = np.sum(d[a] * prod_adjoint(np.ones_like(y), y, a, axis, keepdims), axis=axis,
                  keepdims=keepdims)

@tangent_rule(np.max, np.amax, np.min, np.amin)
def _(y, a, axis=None, *, keepdims=False):
    d[y] = np.sum(d[a] * extremum_mask(y, a, axis, keepdims), axis=axis, keepdims=keepdims)

@tangent_rule(np.linalg.norm)
def _(y, x, ord=None, axis=None, keepdims=False):
    d[y] = np.sum(d[x] * norm_adjoint(np.ones_like(y), y, x, ord, axis, keepdims), axis=axis,
                  keepdims=keepdims)

# ---- shapes and indexing ---------------------------------------------------------------------

@tangent_rule(np.reshape)
def _(y, a, shape, order="C"): d[y] = np.reshape(d[a], shape, order=order)

@tangent_rule(np.ravel)
def _(y, a, order="C"): d[y] = np.ravel(d[a], order=order)

@tangent_rule(np.squeeze)
def _(y, a, axis=None): d[y] = np.squeeze(d[a], axis)

@tangent_rule(np.expand_dims)
def _(y, a, axis): d[y] = np.expand_dims(d[a], axis)

@tangent_rule(np.transpose)
def _(y, a, axes=None): d[y] = np.transpose(d[a], axes)

@tangent_rule(np.concatenate)
def _(y, arrays, axis=0): d[y] = np.concatenate(d[arrays], axis)

@tangent_rule(np.stack)
def _(y, arrays, axis=0): d[y] = np.stack(d[arrays], axis)

@tangent_rule(operator.getitem)
def _(y, a, index: Shape): d[y] = d[a][index]

@tangent_rule(np.copy, np.asarray, np.array, np.ascontiguousarray)
def _(y, a, dtype=None): d[y] = as_tangent(d[a], y)
