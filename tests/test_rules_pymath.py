"""The rules of Python's math module (rules/pymath.py) against central finite differences in
float64, in both modes (the checks are in rule_checks.py), and through a second derivative.

math's functions take and return Python floats: every case differentiates with respect to
floats, and a gradient with respect to a float is a float (rule_checks.check_reverse asserts
it). Most of these functions share the rule of their NumPy namesake (math.sin that of np.sin);
their cases are here all the same, and the walker of test_rules_elementwise.py counts them.
There is no float32 here: math computes in double precision whatever it is given.
Inputs lie inside each function's domain and away from kinks.
"""
import math
import sys

import numpy as np
import pytest

import rule_checks
import tangent_lite
from tangent_lite.rules import pymath
from tangent_lite.rules.registry import all_primitives
from test_rules import Case, F, _label

rng = np.random.default_rng(20261202)


def u(lo=-1.0, hi=1.0):
    return float(rng.uniform(lo, hi))


def pos():
    return u(0.5, 2.0)


def away():             # |x| in (0.3, 1.5), either sign: away from kinks at 0
    return float(rng.choice([-1.0, 1.0])) * u(0.3, 1.5)


def between(lo, hi):
    return lambda: u(lo, hi)


CASES = []


def case(prim, f, *args, wrt=None):
    if wrt is None:
        wrt = tuple(i for i, a in enumerate(args) if isinstance(a, float))
    CASES.append(Case(prim, f, args, wrt))


# ---- one argument: each function alone, then composed with arithmetic ------------------------

def exp(x): return math.exp(x)
def expm1(x): return math.expm1(x) * x
def log(x): return math.log(x)
def log1p(x): return math.log1p(x) ** 2
def log2(x): return math.log2(x)
def log10(x): return math.log10(x) * x
def sqrt(x): return math.sqrt(x)
def sin(x): return math.sin(x)
def cos(x): return math.cos(x) * x
def tan(x): return math.tan(x)
def asin(x): return math.asin(x)
def acos(x): return math.acos(x) ** 2
def atan(x): return math.atan(x)
def sinh(x): return math.sinh(x)
def cosh(x): return math.cosh(x) * x
def tanh(x): return math.tanh(x)
def asinh(x): return math.asinh(x)
def acosh(x): return math.acosh(x)
def atanh(x): return math.atanh(x) * x
def degrees(x): return math.degrees(x) ** 2
def radians(x): return math.radians(x) * x
def erf(x): return math.erf(x)
def erfc(x): return math.erfc(x) * x
def lgamma(x): return math.lgamma(x)
def gamma(x): return math.gamma(x) * x
def fabs(x): return math.fabs(x) * x
def ldexp(x): return math.ldexp(x, 3) * x
def ldexp_negative(x): return math.ldexp(x * x, -2)


UNARY = [
    (math.exp, exp, u), (math.expm1, expm1, u), (math.log, log, pos),
    (math.log1p, log1p, between(-0.5, 2.0)), (math.log2, log2, pos), (math.log10, log10, pos),
    (math.sqrt, sqrt, pos), (math.sin, sin, between(-3, 3)), (math.cos, cos, between(-3, 3)),
    (math.tan, tan, u), (math.asin, asin, between(-0.8, 0.8)),
    (math.acos, acos, between(-0.8, 0.8)), (math.atan, atan, between(-3, 3)),
    (math.sinh, sinh, u), (math.cosh, cosh, u), (math.tanh, tanh, between(-2, 2)),
    (math.asinh, asinh, between(-2, 2)), (math.acosh, acosh, between(1.2, 3.0)),
    (math.atanh, atanh, between(-0.8, 0.8)), (math.degrees, degrees, u),
    (math.radians, radians, between(-90, 90)), (math.erf, erf, between(-2, 2)),
    (math.erfc, erfc, between(-2, 2)), (math.lgamma, lgamma, between(0.2, 6.0)),
    (math.lgamma, lgamma, between(-2.8, -2.2)), (math.gamma, gamma, between(0.3, 4.0)),
    (math.gamma, gamma, between(-1.8, -1.2)), (math.fabs, fabs, away), (math.ldexp, ldexp, u),
    (math.ldexp, ldexp_negative, u),
]
if sys.version_info >= (3, 11):
    def exp2(x): return math.exp2(x) * x
    def cbrt(x): return math.cbrt(x)
    UNARY += [(math.exp2, exp2, between(-2, 2)), (math.cbrt, cbrt, away)]
for prim, f, gen in UNARY:
    for _ in range(3):
        case(prim, f, gen())


# ---- two arguments -----------------------------------------------------------------------------

def log_base(x, b): return math.log(x, b)
def log_base_constant(x): return math.log(x, 10.0) + math.log(x, 2)
def pow_(a, b): return math.pow(a, b)
def pow_integer(a): return math.pow(a, 3) - math.pow(a, 2.0)
def atan2(a, b): return math.atan2(a, b)
def hypot(a, b): return math.hypot(a, b)
def copysign(a, b): return math.copysign(a, b) * a
def fmod(a, b): return math.fmod(a, b) * b
def remainder(a, b): return math.remainder(a, b)
def fsum(a, b): return math.fsum([a, a * b, 3.0, b * b])
def builtin_pow(a, b): return pow(a, b) + pow(b, 2)      # Python's pow shares the rule too


BINARY = [
    (math.log, log_base, pos, between(1.5, 4.0)), (math.pow, pow_, pos, between(-2, 2)),
    (math.atan2, atan2, away, away), (math.hypot, hypot, away, u),
    (math.copysign, copysign, away, away), (math.fmod, fmod, between(-3, 3), pos),
    (math.fmod, fmod, between(-3, 3), between(-2.0, -0.5)),
    (math.remainder, remainder, between(-3, 3), pos), (math.fsum, fsum, u, u),
    (pow, builtin_pow, pos, between(-2, 2)),
]
for prim, f, gen_a, gen_b in BINARY:
    for _ in range(3):
        case(prim, f, gen_a(), gen_b())
case(math.log, log_base_constant, pos())
case(math.pow, pow_integer, away())


def _id(c):
    return f"{c.f.__name__}[{','.join(_label(a) for a in c.args)}]"


# ---- the table is covered ----------------------------------------------------------------------

def test_every_rule_of_pymath_has_a_case_and_both_modes():
    mine = rule_checks.check_walker([pymath], CASES, globals(), __file__)
    assert len(mine) >= 7, [p.name for p in mine]


def test_every_function_of_math_with_a_rule_has_a_case_here():
    """Wherever its rule is registered (most share their NumPy namesake's)."""
    covered = {c.prim for c in CASES}
    ruled = [p for p in all_primitives() if getattr(p.func, "__module__", None) == "math"
             and not p.nondiff]
    assert len(ruled) >= 34
    assert pow in covered and tangent_lite.rules.lookup(pow).adjoint is not None
    missing = [p.name for p in ruled if p.func not in covered]
    assert not missing, missing


def test_every_helper_forward_rule_is_reached_by_a_second_derivative():
    rule_checks.check_helpers_reached([pymath], CASES, set())


# ---- the checks: reverse, forward, second derivatives ------------------------------------------

@pytest.mark.parametrize("c", CASES, ids=_id)
def test_rule(c):
    rule_checks.check_reverse(c)


@pytest.mark.parametrize("c", CASES, ids=_id)
def test_jvp_matches_finite_differences(c):
    rule_checks.check_jvp(c)


@pytest.mark.parametrize("c", CASES, ids=_id)
def test_hvp_matches_finite_differences_of_gradients(c):
    rule_checks.check_hvp(c)


# ---- floats in, floats out; conventions at kinks -----------------------------------------------

def physics(theta, omega):
    """The energy of a pendulum of length 1.5 at angle theta and angular velocity omega."""
    g, length = 9.81, 1.5
    return 0.5 * (length * omega) ** 2 + g * length * (1.0 - math.cos(theta))


def test_gradient_and_tangent_of_floats_are_floats():
    for f, args in [(physics, (0.4, -1.2)), (lgamma, (2.5,)), (hypot, (0.3, 0.4))]:
        grads = tangent_lite.grad(f, wrt=tuple(range(len(args))))(*args)
        assert all(type(g) is float for g in grads), [type(g) for g in grads]
        value, tangent = tangent_lite.jvp(f, args, tuple(1.0 for _ in args))
        assert isinstance(tangent, float), type(tangent)     # a float, or NumPy's float64
    assert "unbroadcast" not in tangent_lite.source(physics, wrt=(0, 1), numbers=True)


def test_kinks_take_the_conventions_of_numpy():
    assert tangent_lite.grad(fabs)(0.0) == 0.0
    assert tangent_lite.grad(hypot, wrt=(0, 1))(0.0, 0.0) == (0.0, 0.0)


def test_lgamma_slope_is_digamma():
    scipy_special = pytest.importorskip("scipy.special")
    x = np.array([-3.7, -0.3, 0.1, 0.5, 1.0, 2.5, 7.3, 12.0, 150.0])
    got = [tangent_lite.grad(lgamma)(float(v)) for v in x]
    np.testing.assert_allclose(got, scipy_special.digamma(x), rtol=1e-13)
    second = [tangent_lite.hvp(lgamma)(float(v), 1.0) for v in x]
    np.testing.assert_allclose(second, scipy_special.polygamma(1, x), rtol=1e-13)


# ---- no gradient -------------------------------------------------------------------------------

XS = [-1.7, -0.4, 0.3, 1.5, 2.5]


def nd_floor(x): return x * math.floor(x)
def nd_ceil(x): return x * math.ceil(x)
def nd_trunc(x): return x * math.trunc(x)
def nd_isnan(x): return x * math.isnan(x) + x
def nd_isinf(x): return x * math.isinf(x) + x
def nd_isfinite(x): return x * math.isfinite(x)
def nd_isclose(x): return x * math.isclose(x, 0.3)
def nd_factorial(x): return x * math.factorial(3)
def nd_gcd(x): return x * math.gcd(4, 6)
def nd_lcm(x): return x * math.lcm(4, 6)
def nd_comb(x): return x * math.comb(5, 2)
def nd_perm(x): return x * math.perm(5, 2)
def nd_isqrt(x): return x * math.isqrt(10)
def nd_ulp(x): return x + math.ulp(x) * 1e10


NONDIFF = [
    (math.floor, nd_floor, lambda x: math.floor(x)), (math.ceil, nd_ceil, lambda x: math.ceil(x)),
    (math.trunc, nd_trunc, lambda x: math.trunc(x)), (math.isnan, nd_isnan, lambda x: 1.0),
    (math.isinf, nd_isinf, lambda x: 1.0), (math.isfinite, nd_isfinite, lambda x: 1.0),
    (math.isclose, nd_isclose, lambda x: 1.0 * (x == 0.3)),
    (math.factorial, nd_factorial, lambda x: 6.0), (math.gcd, nd_gcd, lambda x: 2.0),
    (math.lcm, nd_lcm, lambda x: 12.0), (math.comb, nd_comb, lambda x: 10.0),
    (math.perm, nd_perm, lambda x: 20.0), (math.isqrt, nd_isqrt, lambda x: 3.0),
    (math.ulp, nd_ulp, lambda x: 1.0),
]


def test_every_zero_gradient_function_of_pymath_has_a_case():
    covered = {prim for prim, _, _ in NONDIFF}
    assert set(pymath.NONDIFFERENTIABLE) <= covered
    for p in pymath.NONDIFFERENTIABLE:
        assert tangent_lite.rules.lookup(p).nondiff == "zero", p


@pytest.mark.parametrize("prim, f, expected", NONDIFF, ids=[f.__name__ for _, f, _ in NONDIFF])
def test_nondifferentiable_contributes_exactly_zero(prim, f, expected):
    assert prim in rule_checks.primitives_called(f, globals())
    for x in XS:
        g = tangent_lite.grad(f)(x)
        assert type(g) is float and g == expected(x), (x, g)
        assert tangent_lite.jvp(f, (x,), (1.0,))[1] == expected(x)



def pow_modulo(a): return pow(int(a), 3, 5) * a    # pow with a modulus: integers, a constant


def test_pow_with_a_modulus_is_a_constant():
    assert tangent_lite.grad(pow_modulo)(2.0) == 3.0
