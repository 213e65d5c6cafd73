"""Reverse-mode rules for NumPy, one template per function: this table is the documentation.

Conventions: the first parameter is the function's result; `d[v]` is the adjoint of `v`;
`unbroadcast` sums a gradient back to its operand's shape (and is dropped by the compiler when
the other operands are numbers). Names used here (np and the runtime helpers) appear as such in
the generated code.
"""
# flake8: noqa: E704 (one-line definitions are the point of the table)
import operator

import numpy as np

from .registry import adjoint, nondifferentiable
from .template import Shape
from ..runtime import (sign_grad, ties, clip_mask, dot_lhs, dot_rhs, extremum_mask, matmul_lhs, matmul_rhs,
                       norm_adjoint, prod_adjoint, reduced_count, safe_log, unbroadcast,
                       unconcatenate, unindex, unreduce, unstack, untranspose)

d = None  # the adjoint notation `d[x]`; templates are parsed, never run

# ---- arithmetic ------------------------------------------------------------------------------

@adjoint(np.add, operator.add)
def _(y, a, b):
    d[a] = unbroadcast(d[y], a)
    d[b] = unbroadcast(d[y], b)

@adjoint(np.subtract, operator.sub)
def _(y, a, b):
    d[a] = unbroadcast(d[y], a)
    d[b] = unbroadcast(-d[y], b)

@adjoint(np.multiply, operator.mul)
def _(y, a, b):
    d[a] = unbroadcast(d[y] * b, a)
    d[b] = unbroadcast(d[y] * a, b)

@adjoint(np.divide, operator.truediv)
def _(y, a, b):
    d[a] = unbroadcast(d[y] / b, a)
    d[b] = unbroadcast(-d[y] * y / b, b)

@adjoint(np.power, operator.pow)
def _(y, a, b):
    d[a] = unbroadcast(d[y] * (b * a ** (b - 1)), a)
    d[b] = unbroadcast(d[y] * y * safe_log(a), b)

@adjoint(np.negative, operator.neg)
def _(y, x): d[x] = -d[y]

@adjoint(np.positive, operator.pos)
def _(y, x): d[x] = d[y]

@adjoint(np.sign)
def _(y, x): d[x] = sign_grad(d[y], x)

@adjoint(np.maximum)
def _(y, a, b):
    d[a] = unbroadcast(d[y] * ties(a, b), a)
    d[b] = unbroadcast(d[y] * ties(b, a), b)

@adjoint(np.minimum)
def _(y, a, b):
    d[a] = unbroadcast(d[y] * ties(b, a), a)
    d[b] = unbroadcast(d[y] * ties(a, b), b)

# ---- products --------------------------------------------------------------------------------

@adjoint(np.matmul, operator.matmul)
def _(y, a, b):
    d[a] = matmul_lhs(d[y], a, b)
    d[b] = matmul_rhs(d[y], a, b)

@adjoint(np.dot)
def _(y, a, b):
    d[a] = dot_lhs(d[y], a, b)
    d[b] = dot_rhs(d[y], a, b)

@adjoint(np.outer)
def _(y, a, b):
    d[a] = np.reshape(d[y] @ np.ravel(b), np.shape(a))
    d[b] = np.reshape(np.ravel(a) @ d[y], np.shape(b))

# ---- elementwise functions -------------------------------------------------------------------

@adjoint(np.exp)
def _(y, x): d[x] = d[y] * y

@adjoint(np.log)
def _(y, x): d[x] = d[y] / x

@adjoint(np.log1p)
def _(y, x): d[x] = d[y] / (1.0 + x)

@adjoint(np.expm1)
def _(y, x): d[x] = d[y] * (y + 1.0)

@adjoint(np.sqrt)
def _(y, x): d[x] = d[y] / (2.0 * y)

@adjoint(np.square)
def _(y, x): d[x] = d[y] * (2.0 * x)

@adjoint(np.abs, abs)
def _(y, x): d[x] = d[y] * np.sign(x)

@adjoint(np.sin)
def _(y, x): d[x] = d[y] * np.cos(x)

@adjoint(np.cos)
def _(y, x): d[x] = -d[y] * np.sin(x)

@adjoint(np.tan)
def _(y, x): d[x] = d[y] * (1.0 + y * y)

@adjoint(np.arcsin)
def _(y, x): d[x] = d[y] / np.sqrt(1.0 - x * x)

@adjoint(np.arccos)
def _(y, x): d[x] = -d[y] / np.sqrt(1.0 - x * x)

@adjoint(np.arctan)
def _(y, x): d[x] = d[y] / (1.0 + x * x)

@adjoint(np.sinh)
def _(y, x): d[x] = d[y] * np.cosh(x)

@adjoint(np.cosh)
def _(y, x): d[x] = d[y] * np.sinh(x)

@adjoint(np.tanh)
def _(y, x): d[x] = d[y] * (1.0 - y * y)

@adjoint(np.clip)
def _(y, a, a_min=None, a_max=None):
    d[a] = d[y] * clip_mask(a, a_min, a_max)
    d[a_min] = unbroadcast(d[y] * (a < a_min), a_min)
    d[a_max] = unbroadcast(d[y] * (a > a_max), a_max)

@adjoint(np.where)
def _(out, condition, x, y):
    d[x] = unbroadcast(np.where(condition, d[out], 0.0), x)
    d[y] = unbroadcast(np.where(condition, 0.0, d[out]), y)

# ---- reductions ------------------------------------------------------------------------------

@adjoint(np.sum)
def _(y, a, axis=None, dtype=None, *, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims)

@adjoint(np.mean)
def _(y, a, axis=None, dtype=None, *, keepdims=False):
    d[a] = unreduce(d[y] / reduced_count(a, axis=axis), a, axis, keepdims)

@adjoint(np.prod)
def _(y, a, axis=None, dtype=None, *, keepdims=False):
    d[a] = prod_adjoint(d[y], y, a, axis, keepdims)

@adjoint(np.max, np.amax)
def _(y, a, axis=None, *, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims) * extremum_mask(y, a, axis, keepdims)

@adjoint(np.min, np.amin)
def _(y, a, axis=None, *, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims) * extremum_mask(y, a, axis, keepdims)

@adjoint(np.linalg.norm)
def _(y, x, ord=None, axis=None, keepdims=False):
    d[x] = norm_adjoint(d[y], y, x, ord, axis, keepdims)

# ---- shapes and indexing ---------------------------------------------------------------------

@adjoint(np.reshape)
def _(y, a, shape, order="C"):
    d[a] = np.reshape(d[y], np.shape(a), order=order)

@adjoint(np.ravel)
def _(y, a, order="C"):
    d[a] = np.reshape(d[y], np.shape(a), order=order)

@adjoint(np.squeeze)
def _(y, a, axis=None): d[a] = np.reshape(d[y], np.shape(a))

@adjoint(np.expand_dims)
def _(y, a, axis): d[a] = np.reshape(d[y], np.shape(a))

@adjoint(np.transpose)
def _(y, a, axes=None): d[a] = untranspose(d[y], axes)

@adjoint(np.concatenate)
def _(y, arrays, axis=0): d[arrays] = unconcatenate(d[y], arrays, axis)

@adjoint(np.stack)
def _(y, arrays, axis=0): d[arrays] = unstack(d[y], arrays, axis)

@adjoint(operator.getitem)
def _(y, a, index: Shape): d[a] = unindex(d[y], a, index)

# ---- no gradient -----------------------------------------------------------------------------

# Results that do not change when their inputs change a little (or are integers): a zero
# gradient is the right one.
nondifferentiable(
    np.zeros_like, np.ones_like, np.empty_like, np.shape, np.size, np.ndim, len,
    np.floor, np.ceil, np.round, np.rint, np.trunc, np.argmax, np.argmin, np.argsort,
    np.isnan, np.isinf, np.isfinite, np.nonzero, np.count_nonzero, np.any, np.all,
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
    operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
    operator.not_,
)

# Constructors whose arguments are shapes and counts. Their values do depend on a float
# argument (np.linspace(0, x, 5)), so such a call is refused rather than treated as constant.
nondifferentiable(np.arange, np.linspace, np.zeros, np.ones, np.empty, np.full, np.eye,
                  np.identity, constant_inputs=True)
