"""Python's `math` module: functions of floats. Those that are a NumPy function of one or two
floats (math.sin, math.sqrt, math.atan2, math.pow, math.fmod, ...) share its rule, registered
with it in elementwise.py and arithmetic.py; here are the others: math.log with a base, the
error and gamma functions, remainder, fsum. The slope of math.lgamma is digamma, a helper of
tangent_lite/runtime (SciPy is not needed). Rounding, tests of values and integer functions
have no gradient. Whatever the rules compute in, a gradient with respect to a float is a float.
"""
# flake8: noqa: E704
import math

from .registry import adjoint, d, linear, nondifferentiable, tangent_rule
from .. import runtime
from ..runtime import digamma, trigamma, unsum

# ---- powers, exponentials and logarithms ------------------------------------------------------

@adjoint(math.log)                      # math.log(x) or math.log(x, base)
def _(y, x, base=None):
    d[x] = d[y] / x if base is None else d[y] / (x * math.log(base))
    d[base] = -d[y] * y / (base * math.log(base))

@tangent_rule(math.log)
def _(y, x, base=None):
    d[y] = (d[x] / x if base is None else d[x] / (x * math.log(base))) - d[base] * y / (
        base * math.log(base))

# ---- error and gamma functions ----------------------------------------------------------------

@adjoint(math.erf)
def _(y, x): d[x] = d[y] * (1.1283791670955126 * math.exp(-x * x))       # 2 / sqrt(pi)

@tangent_rule(math.erf)
def _(y, x): d[y] = d[x] * (1.1283791670955126 * math.exp(-x * x))

@adjoint(math.erfc)
def _(y, x): d[x] = -d[y] * (1.1283791670955126 * math.exp(-x * x))

@tangent_rule(math.erfc)
def _(y, x): d[y] = -d[x] * (1.1283791670955126 * math.exp(-x * x))

@adjoint(math.lgamma)                   # log |Gamma(x)|: its slope is digamma, also for x < 0
def _(y, x): d[x] = d[y] * digamma(x)

@tangent_rule(math.lgamma)
def _(y, x): d[y] = d[x] * digamma(x)

@adjoint(math.gamma)
def _(y, x): d[x] = d[y] * (y * digamma(x))

@tangent_rule(math.gamma)
def _(y, x): d[y] = d[x] * (y * digamma(x))

# ---- remainders and sums ------------------------------------------------------------------------

# remainder(a, b) = a - round(a / b) * b (rounding half to even): the integer quotient is
# (a - y) / b, rounded to undo the rounding of the subtraction.
@adjoint(math.remainder)
def _(y, a, b):
    d[a] = d[y]
    d[b] = -d[y] * round((a - y) / b)

@tangent_rule(math.remainder)
def _(y, a, b): d[y] = d[a] - d[b] * round((a - y) / b)

@adjoint(math.fsum)
def _(y, seq): d[seq] = unsum(d[y], seq)
linear(math.fsum)

# ---- no gradient ---------------------------------------------------------------------------

# Integer, boolean or piecewise-constant results: zero is the gradient wherever one exists.
NONDIFFERENTIABLE = (
    math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite, math.isclose,
    math.factorial, math.gcd, math.lcm, math.comb, math.perm, math.isqrt, math.ulp,
)
nondifferentiable(*NONDIFFERENTIABLE)

# ---- the helpers above, as they appear in gradient code (for Hessian-vector products) ----------

@tangent_rule(runtime.digamma)
def _(y, x): d[y] = d[x] * trigamma(x)
