"""scipy.special: the logistic and normal functions, error functions, gamma and its logarithm,
logsumexp and the softmaxes, xlogy. rules/__init__.py imports this module only where SciPy is
installed: SciPy stays an optional dependency, and the rest of the table never needs it.

The derivatives of gammaln, digamma and betaln are SciPy's own digamma and polygamma.
"""
# flake8: noqa: E704
import numpy as np
import scipy.special

from .registry import adjoint, d, nondifferentiable, tangent_rule
from ..runtime import div_or_zero, unbroadcast, unreduce

# ---- the logistic function and its inverse ----------------------------------------------------

@adjoint(scipy.special.expit)
def _(y, x): d[x] = d[y] * (y * (1.0 - y))

@tangent_rule(scipy.special.expit)
def _(y, x): d[y] = d[x] * (y * (1.0 - y))

@adjoint(scipy.special.log_expit)
def _(y, x): d[x] = d[y] * scipy.special.expit(-x)

@tangent_rule(scipy.special.log_expit)
def _(y, x): d[y] = d[x] * scipy.special.expit(-x)

@adjoint(scipy.special.logit)
def _(y, x): d[x] = d[y] / (x * (1.0 - x))

@tangent_rule(scipy.special.logit)
def _(y, x): d[y] = d[x] / (x * (1.0 - x))

# ---- error functions and the normal distribution -----------------------------------------------

@adjoint(scipy.special.erf)
def _(y, x): d[x] = d[y] * (1.1283791670955126 * np.exp(-x * x))        # 2 / sqrt(pi)

@tangent_rule(scipy.special.erf)
def _(y, x): d[y] = d[x] * (1.1283791670955126 * np.exp(-x * x))

@adjoint(scipy.special.erfc)
def _(y, x): d[x] = -d[y] * (1.1283791670955126 * np.exp(-x * x))

@tangent_rule(scipy.special.erfc)
def _(y, x): d[y] = -d[x] * (1.1283791670955126 * np.exp(-x * x))

@adjoint(scipy.special.erfinv)
def _(y, x): d[x] = d[y] * (0.886226925452758 * np.exp(y * y))          # sqrt(pi) / 2

@tangent_rule(scipy.special.erfinv)
def _(y, x): d[y] = d[x] * (0.886226925452758 * np.exp(y * y))

@adjoint(scipy.special.erfcinv)
def _(y, x): d[x] = -d[y] * (0.886226925452758 * np.exp(y * y))

@tangent_rule(scipy.special.erfcinv)
def _(y, x): d[y] = -d[x] * (0.886226925452758 * np.exp(y * y))

@adjoint(scipy.special.ndtr)            # the standard normal CDF
def _(y, x): d[x] = d[y] * (0.3989422804014327 * np.exp(-0.5 * x * x))  # 1 / sqrt(2 pi)

@tangent_rule(scipy.special.ndtr)
def _(y, x): d[y] = d[x] * (0.3989422804014327 * np.exp(-0.5 * x * x))

@adjoint(scipy.special.log_ndtr)        # the density over the CDF, without dividing
def _(y, x): d[x] = d[y] * (0.3989422804014327 * np.exp(-0.5 * x * x - y))

@tangent_rule(scipy.special.log_ndtr)
def _(y, x): d[y] = d[x] * (0.3989422804014327 * np.exp(-0.5 * x * x - y))

@adjoint(scipy.special.ndtri)           # the inverse of ndtr
def _(y, x): d[x] = d[y] * (2.5066282746310002 * np.exp(0.5 * y * y))  # sqrt(2 pi)

@tangent_rule(scipy.special.ndtri)
def _(y, x): d[y] = d[x] * (2.5066282746310002 * np.exp(0.5 * y * y))

# ---- gamma, beta and their logarithms ---------------------------------------------------------

@adjoint(scipy.special.gammaln)
def _(y, x): d[x] = d[y] * scipy.special.digamma(x)

@tangent_rule(scipy.special.gammaln)
def _(y, x): d[y] = d[x] * scipy.special.digamma(x)

@adjoint(scipy.special.gamma)
def _(y, x): d[x] = d[y] * (y * scipy.special.digamma(x))

@tangent_rule(scipy.special.gamma)
def _(y, x): d[y] = d[x] * (y * scipy.special.digamma(x))

# The slope of digamma is polygamma(1, x), which is the Hurwitz zeta(2, x): a ufunc, so float32
# stays float32 (polygamma computes in float64).
@adjoint(scipy.special.digamma)         # scipy.special.psi is the same function
def _(y, x): d[x] = d[y] * scipy.special.zeta(2.0, x)

@tangent_rule(scipy.special.digamma)
def _(y, x): d[y] = d[x] * scipy.special.zeta(2.0, x)

@adjoint(scipy.special.zeta)            # Hurwitz zeta(x, q): its slope in q (x is a constant)
def _(y, x, q=None): d[q] = d[y] * (-x * scipy.special.zeta(x + 1.0, q))

@tangent_rule(scipy.special.zeta)
def _(y, x, q=None): d[y] = d[q] * (-x * scipy.special.zeta(x + 1.0, q))

@adjoint(scipy.special.polygamma)       # the order n is an integer
def _(y, n, x): d[x] = d[y] * scipy.special.polygamma(n + 1, x)

@tangent_rule(scipy.special.polygamma)
def _(y, n, x): d[y] = d[x] * scipy.special.polygamma(n + 1, x)

@adjoint(scipy.special.betaln)
def _(y, a, b):
    both = scipy.special.digamma(a + b)
    d[a] = unbroadcast(d[y] * (scipy.special.digamma(a) - both), a)
    d[b] = unbroadcast(d[y] * (scipy.special.digamma(b) - both), b)

@tangent_rule(scipy.special.betaln)
def _(y, a, b):
    both = scipy.special.digamma(a + b)
    d[y] = d[a] * (scipy.special.digamma(a) - both) + d[b] * (scipy.special.digamma(b) - both)

@adjoint(scipy.special.beta)
def _(y, a, b):
    both = scipy.special.digamma(a + b)
    d[a] = unbroadcast(d[y] * y * (scipy.special.digamma(a) - both), a)
    d[b] = unbroadcast(d[y] * y * (scipy.special.digamma(b) - both), b)

@tangent_rule(scipy.special.beta)
def _(y, a, b):
    both = scipy.special.digamma(a + b)
    d[y] = d[a] * y * (scipy.special.digamma(a) - both) + d[b] * y * (
        scipy.special.digamma(b) - both)

# ---- x log y -----------------------------------------------------------------------------------

# 0 where x == 0 (also where y == 0): the slope in y, x / y, is taken as 0 there too.
@adjoint(scipy.special.xlogy)
def _(out, x, y):
    d[x] = unbroadcast(d[out] * np.log(y), x)
    d[y] = unbroadcast(d[out] * div_or_zero(x, y), y)

@tangent_rule(scipy.special.xlogy)
def _(out, x, y): d[out] = d[x] * np.log(y) + d[y] * div_or_zero(x, y)

@adjoint(scipy.special.xlog1py)
def _(out, x, y):
    d[x] = unbroadcast(d[out] * np.log1p(y), x)
    d[y] = unbroadcast(d[out] * div_or_zero(x, 1.0 + y), y)

@tangent_rule(scipy.special.xlog1py)
def _(out, x, y): d[out] = d[x] * np.log1p(y) + d[y] * div_or_zero(x, 1.0 + y)

# ---- logsumexp and the softmaxes ---------------------------------------------------------------

# y = log(sum(b * exp(a))) over `axis`: the weights b * exp(a - y) are the softmax of a (b = 1).
@adjoint(scipy.special.logsumexp)
def _(y, a, axis=None, b=None, keepdims=False):
    spread = np.exp(a - unreduce(y, a, axis=axis, keepdims=keepdims))
    g = unreduce(d[y], a, axis=axis, keepdims=keepdims)
    d[a] = g * spread if b is None else unbroadcast(g * b * spread, a)
    d[b] = unbroadcast(g * spread, b)

@tangent_rule(scipy.special.logsumexp)
def _(y, a, axis=None, b=None, keepdims=False):
    spread = np.exp(a - unreduce(y, a, axis=axis, keepdims=keepdims))
    weights = spread if b is None else b * spread
    d[y] = np.sum(d[a] * weights, axis=axis, keepdims=keepdims) + np.sum(
        d[b] * spread, axis=axis, keepdims=keepdims)

@adjoint(scipy.special.softmax)
def _(y, x, axis=None): d[x] = y * (d[y] - np.sum(d[y] * y, axis=axis, keepdims=True))

@tangent_rule(scipy.special.softmax)
def _(y, x, axis=None): d[y] = y * (d[x] - np.sum(d[x] * y, axis=axis, keepdims=True))

@adjoint(scipy.special.log_softmax)
def _(y, x, axis=None): d[x] = d[y] - np.exp(y) * np.sum(d[y], axis=axis, keepdims=True)

@tangent_rule(scipy.special.log_softmax)
def _(y, x, axis=None): d[y] = d[x] - np.sum(np.exp(y) * d[x], axis=axis, keepdims=True)

# ---- no gradient -------------------------------------------------------------------------------

# Counts of integers: their arguments are integers, their gradient is zero.
NONDIFFERENTIABLE = (scipy.special.factorial, scipy.special.comb, scipy.special.perm)
nondifferentiable(*NONDIFFERENTIABLE)
