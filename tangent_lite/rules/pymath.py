"""Python's `math` module: functions of floats, whose results are Python floats. The rules
are those of their NumPy namesakes (elementwise.py, arithmetic.py) written with `math`, so a
gradient with respect to a float stays a float. The slope of math.lgamma is digamma, a helper
of tangent_lite/runtime (SciPy is not needed). Rounding, tests of values and integer functions
have no gradient.
"""
# flake8: noqa: E704
import math
import sys

from .registry import adjoint, d, linear, nondifferentiable, tangent_rule
from .. import runtime
from ..runtime import digamma, safe_log, trigamma, unsum, zeros_grad

# ---- powers, exponentials and logarithms ------------------------------------------------------

@adjoint(math.exp)
def _(y, x): d[x] = d[y] * y

@tangent_rule(math.exp)
def _(y, x): d[y] = d[x] * y

@adjoint(math.expm1)
def _(y, x): d[x] = d[y] * (y + 1.0)

@tangent_rule(math.expm1)
def _(y, x): d[y] = d[x] * (y + 1.0)

@adjoint(math.log)                      # math.log(x) or math.log(x, base)
def _(y, x, base=None):
    d[x] = d[y] / x if base is None else d[y] / (x * math.log(base))
    d[base] = -d[y] * y / (base * math.log(base))

@tangent_rule(math.log)
def _(y, x, base=None):
    d[y] = (d[x] / x if base is None else d[x] / (x * math.log(base))) - d[base] * y / (
        base * math.log(base))

@adjoint(math.log1p)
def _(y, x): d[x] = d[y] / (1.0 + x)

@tangent_rule(math.log1p)
def _(y, x): d[y] = d[x] / (1.0 + x)

@adjoint(math.log2)
def _(y, x): d[x] = d[y] / (x * 0.6931471805599453)          # ln 2

@tangent_rule(math.log2)
def _(y, x): d[y] = d[x] / (x * 0.6931471805599453)

@adjoint(math.log10)
def _(y, x): d[x] = d[y] / (x * 2.302585092994046)           # ln 10

@tangent_rule(math.log10)
def _(y, x): d[y] = d[x] / (x * 2.302585092994046)

@adjoint(math.sqrt)
def _(y, x): d[x] = d[y] / (2.0 * y)

@tangent_rule(math.sqrt)
def _(y, x): d[y] = d[x] / (2.0 * y)

@adjoint(math.pow)
def _(y, a, b):
    d[a] = d[y] * (b * math.pow(a, b - 1.0))
    d[b] = d[y] * y * safe_log(a)

@tangent_rule(math.pow)
def _(y, a, b): d[y] = d[a] * (b * math.pow(a, b - 1.0)) + d[b] * y * safe_log(a)

if sys.version_info >= (3, 11):         # math.exp2 and math.cbrt are new in Python 3.11
    @adjoint(math.exp2)
    def _(y, x): d[x] = d[y] * (y * 0.6931471805599453)      # ln 2

    @tangent_rule(math.exp2)
    def _(y, x): d[y] = d[x] * (y * 0.6931471805599453)

    @adjoint(math.cbrt)
    def _(y, x): d[x] = d[y] / (3.0 * y * y)

    @tangent_rule(math.cbrt)
    def _(y, x): d[y] = d[x] / (3.0 * y * y)

# ---- trigonometric, hyperbolic and angles ------------------------------------------------------

@adjoint(math.sin)
def _(y, x): d[x] = d[y] * math.cos(x)

@tangent_rule(math.sin)
def _(y, x): d[y] = d[x] * math.cos(x)

@adjoint(math.cos)
def _(y, x): d[x] = -d[y] * math.sin(x)

@tangent_rule(math.cos)
def _(y, x): d[y] = -d[x] * math.sin(x)

@adjoint(math.tan)
def _(y, x): d[x] = d[y] * (1.0 + y * y)

@tangent_rule(math.tan)
def _(y, x): d[y] = d[x] * (1.0 + y * y)

@adjoint(math.asin)
def _(y, x): d[x] = d[y] / math.sqrt(1.0 - x * x)

@tangent_rule(math.asin)
def _(y, x): d[y] = d[x] / math.sqrt(1.0 - x * x)

@adjoint(math.acos)
def _(y, x): d[x] = -d[y] / math.sqrt(1.0 - x * x)

@tangent_rule(math.acos)
def _(y, x): d[y] = -d[x] / math.sqrt(1.0 - x * x)

@adjoint(math.atan)
def _(y, x): d[x] = d[y] / (1.0 + x * x)

@tangent_rule(math.atan)
def _(y, x): d[y] = d[x] / (1.0 + x * x)

@adjoint(math.atan2)
def _(y, a, b):
    r2 = a * a + b * b
    d[a] = d[y] * (b / r2)
    d[b] = -d[y] * (a / r2)

@tangent_rule(math.atan2)
def _(y, a, b):
    r2 = a * a + b * b
    d[y] = d[a] * (b / r2) - d[b] * (a / r2)

@adjoint(math.hypot)                    # two coordinates; like np.hypot, gradient 0 at (0, 0)
def _(y, a, b):
    d[a] = d[y] * (a / y if y else 0.0)
    d[b] = d[y] * (b / y if y else 0.0)

@tangent_rule(math.hypot)
def _(y, a, b): d[y] = d[a] * (a / y if y else 0.0) + d[b] * (b / y if y else 0.0)

@adjoint(math.sinh)
def _(y, x): d[x] = d[y] * math.cosh(x)

@tangent_rule(math.sinh)
def _(y, x): d[y] = d[x] * math.cosh(x)

@adjoint(math.cosh)
def _(y, x): d[x] = d[y] * math.sinh(x)

@tangent_rule(math.cosh)
def _(y, x): d[y] = d[x] * math.sinh(x)

@adjoint(math.tanh)
def _(y, x): d[x] = d[y] * (1.0 - y * y)

@tangent_rule(math.tanh)
def _(y, x): d[y] = d[x] * (1.0 - y * y)

@adjoint(math.asinh)
def _(y, x): d[x] = d[y] / math.sqrt(x * x + 1.0)

@tangent_rule(math.asinh)
def _(y, x): d[y] = d[x] / math.sqrt(x * x + 1.0)

@adjoint(math.acosh)
def _(y, x): d[x] = d[y] / math.sqrt(x * x - 1.0)

@tangent_rule(math.acosh)
def _(y, x): d[y] = d[x] / math.sqrt(x * x - 1.0)

@adjoint(math.atanh)
def _(y, x): d[x] = d[y] / (1.0 - x * x)

@tangent_rule(math.atanh)
def _(y, x): d[y] = d[x] / (1.0 - x * x)

@adjoint(math.degrees)
def _(y, x): d[x] = math.degrees(d[y])
linear(math.degrees)

@adjoint(math.radians)
def _(y, x): d[x] = math.radians(d[y])
linear(math.radians)

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

# ---- signs, remainders, sums --------------------------------------------------------------------

# The slope of |x| is the sign of x, 0 at 0 (as for np.abs); math.copysign(1.0, x) is a float.
@adjoint(math.fabs)
def _(y, x): d[x] = d[y] * (math.copysign(1.0, x) if x else 0.0)

@tangent_rule(math.fabs)
def _(y, x): d[y] = d[x] * (math.copysign(1.0, x) if x else 0.0)

@adjoint(math.copysign)                 # |a| with the sign of b: flat in b
def _(y, a, b):
    d[a] = d[y] * (math.copysign(1.0, a * y) if a else 0.0)
    d[b] = zeros_grad(b)

@tangent_rule(math.copysign)
def _(y, a, b): d[y] = d[a] * (math.copysign(1.0, a * y) if a else 0.0) + 0.0 * d[b]

# fmod: a - trunc(a / b) * b; remainder: a - round(a / b) * b (to even). The integer quotient is
# (a - y) / b, rounded to undo the rounding of the subtraction.
@adjoint(math.fmod, math.remainder)
def _(y, a, b):
    d[a] = d[y]
    d[b] = -d[y] * round((a - y) / b)

@tangent_rule(math.fmod, math.remainder)
def _(y, a, b): d[y] = d[a] - d[b] * round((a - y) / b)

@adjoint(math.ldexp)                    # a * 2**n for integer n
def _(y, a, n): d[a] = math.ldexp(d[y], n)
linear(math.ldexp)

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
