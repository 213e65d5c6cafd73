"""The elementwise and reduction rules (rules/elementwise.py, rules/reductions.py)
against central finite differences in float64, in both modes.

CASES follows tests/test_rules.py: (primitive, case function, arguments, wrt), keyed by the exact
function object registered. Each case is checked four ways: the reverse gradient against finite
differences of sum(f), the jvp against a finite difference of f along a random direction,
float32 in -> float32 out in both modes, and the Hessian-vector product (forward over the
generated gradient code) against finite differences of gradients. Inputs lie inside each
function's domain and away from kinks and ties; the conventions at kinks, ties, zeros and NaN
have exact tests of their own below.
"""
import math
import operator
import warnings

import numpy as np
import pytest

import tangent_lite
from helpers import check_grad
from tangent_lite.rules import elementwise, reductions
import rule_checks
from test_rules import Case, F, _label

rng = np.random.default_rng(20240717)
HAS_CUMULATIVE = hasattr(np, "cumulative_sum")


def u(shape, lo=-1.0, hi=1.0):
    """Uniform values in (lo, hi): a Python float for shape F, else a float64 array."""
    if shape == F:
        return float(rng.uniform(lo, hi))
    return np.array(rng.uniform(lo, hi, size=shape), dtype=np.float64)


def pos(shape):                 # positive: logarithms, bases, divisors
    return u(shape, 0.5, 2.0)


def away(shape):                # |x| in (0.3, 1.5), either sign: away from kinks at 0
    if shape == F:
        return float(rng.choice([-1.0, 1.0])) * u(F, 0.3, 1.5)
    return np.array(rng.choice([-1.0, 1.0], size=shape) * u(shape, 0.3, 1.5))


def between(lo, hi):
    return lambda shape: u(shape, lo, hi)


def with_nan(shape, lo=-1.0, hi=1.0, where=((0,), (2,))):
    """Uniform values with NaN at a few positions (never a whole slice along an axis)."""
    x = u(shape, lo, hi)
    flat = x.reshape(-1)
    flat[[i for (i,) in where if i < flat.size]] = np.nan
    return x


CASES = []


def case(prim, f, *args, wrt=None):
    if wrt is None:
        wrt = tuple(i for i, a in enumerate(args) if isinstance(a, float) or (
            isinstance(a, np.ndarray) and a.dtype.kind == "f"))
    CASES.append(Case(prim, f, args, wrt))


# ---- elementwise, one argument: float, 0-d, vector, matrix ------------------------------------

def reciprocal(x): return np.reciprocal(x)
def cbrt(x): return np.cbrt(x)
def exp2(x): return np.exp2(x)
def log2(x): return np.log2(x)
def log10(x): return np.log10(x)
def sinc(x): return np.sinc(x)
def arcsinh(x): return np.arcsinh(x)
def arccosh(x): return np.arccosh(x)
def arctanh(x): return np.arctanh(x)
def deg2rad(x): return np.deg2rad(x)
def radians(x): return np.radians(x)
def rad2deg(x): return np.rad2deg(x)
def degrees(x): return np.degrees(x)
def fabs(x): return np.fabs(x)
def nan_to_num(x): return np.nan_to_num(x)
def nan_to_num_kw(x): return np.nan_to_num(x, nan=-1.0, posinf=5.0, neginf=-5.0) ** 2
def nan_to_num_inf(x): return np.nan_to_num(x, posinf=3.0, neginf=-3.0)

UNARY = [
    (np.reciprocal, reciprocal, away), (np.cbrt, cbrt, away), (np.exp2, exp2, between(-2, 2)),
    (np.log2, log2, pos), (np.log10, log10, pos), (np.sinc, sinc, between(-2, 2)),
    (np.arcsinh, arcsinh, between(-2, 2)), (np.arccosh, arccosh, between(1.2, 3.0)),
    (np.arctanh, arctanh, between(-0.8, 0.8)), (np.deg2rad, deg2rad, between(-90, 90)),
    (np.radians, radians, between(-90, 90)), (np.rad2deg, rad2deg, u),
    (np.degrees, degrees, u), (np.fabs, fabs, away), (np.nan_to_num, nan_to_num, u),
]
for prim, f, gen in UNARY:
    for shape in (F, (), (5,), (3, 4)):
        case(prim, f, gen(shape))
# sinc at and near 0, where its slope comes from a Taylor series; the kink-free nan_to_num
# with non-finite entries (whose replacements are constants).
case(np.sinc, sinc, np.array([0.0, 1e-3, -0.02, 0.031, -0.04, 0.5, 1.0, -1.5]))
case(np.sinc, sinc, 0.0)
XNONFINITE = np.array([0.3, np.nan, -0.7, np.inf, -np.inf, 1.2])
case(np.nan_to_num, nan_to_num_inf, XNONFINITE)
case(np.nan_to_num, nan_to_num_kw, XNONFINITE.reshape(2, 3))

# ---- elementwise, two arguments, with broadcasting --------------------------------------------

def arctan2(a, b): return np.arctan2(a, b)
def hypot(a, b): return np.hypot(a, b)
def logaddexp(a, b): return np.logaddexp(a, b)
def logaddexp2(a, b): return np.logaddexp2(a, b)
def float_power(a, b): return np.float_power(a, b)
def fmax(a, b): return np.fmax(a, b)
def fmin(a, b): return np.fmin(a, b)
def remainder(a, b): return np.remainder(a, b)
def np_mod(a, b): return np.mod(a, b)
def percent(a, b): return a % b
def fmod(a, b): return np.fmod(a, b)
def copysign(a, b): return np.copysign(a, b)

BINARY = [
    (np.arctan2, arctan2, away, away), (np.hypot, hypot, away, u),
    (np.logaddexp, logaddexp, between(-3, 3), between(-3, 3)),
    (np.logaddexp2, logaddexp2, between(-3, 3), between(-3, 3)),
    (np.float_power, float_power, pos, between(-2, 2)), (np.fmax, fmax, u, u),
    (np.fmin, fmin, u, u), (np.remainder, remainder, between(-3, 3), pos),
    (np.remainder, np_mod, between(-3, 3), between(-2.0, -0.5)),
    (operator.mod, percent, between(-3, 3), pos), (np.fmod, fmod, between(-3, 3), pos),
    (np.fmod, fmod, between(-3, 3), between(-2.0, -0.5)),
    (np.copysign, copysign, away, away),
]
BROADCAST = [
    (F, F), ((), ()), ((5,), (5,)), ((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 4), (3, 1)),
    (F, (3, 4)), ((), (5,)), ((3,), (6, 3)), ((2, 3, 4), (3, 1)),
]
for prim, f, gen_a, gen_b in BINARY:
    for sa, sb in BROADCAST:
        case(prim, f, gen_a(sa), gen_b(sb))

# fmax/fmin: a NaN loses to a number (no gradient reaches it).
XN1 = np.array([0.3, np.nan, -0.6, np.nan, 0.9])
XN2 = np.array([np.nan, 0.2, 0.1, -0.4, -0.5])
case(np.fmax, fmax, XN1, XN2)
case(np.fmin, fmin, XN1, XN2)


def ldexp(x, n): return np.ldexp(x, n)
def ldexp_scalar(x): return np.ldexp(x, 3)
def heaviside(x, h): return np.heaviside(x, h) * 2.0
def heaviside_x(x): return np.heaviside(x, 0.5) * x


case(np.ldexp, ldexp, u((4,)), np.array([1, -2, 0, 3]))
case(np.ldexp, ldexp, u((3, 4)), np.array([2, -1, 0, 1]))
case(np.ldexp, ldexp_scalar, u(F))
case(np.ldexp, ldexp_scalar, u((2, 3)))
XSTEP = np.array([-0.5, 0.0, 0.7, 0.0, 1.5])
case(np.heaviside, heaviside, XSTEP, u((5,)), wrt=(1,))
case(np.heaviside, heaviside, XSTEP, u(F), wrt=(1,))
case(np.heaviside, heaviside, XSTEP.reshape(5, 1), u((3,)), wrt=(1,))
case(np.heaviside, heaviside, away((5,)), u((5,)))
case(np.heaviside, heaviside_x, away((3, 4)))
case(np.heaviside, heaviside_x, away(F))

# ---- sort: the gradient follows the permutation -----------------------------------------------

def sort(x): return np.sort(x)
def sort_axis(x, axis): return np.sort(x, axis=axis)
def sort_weighted(x, axis): return np.sort(x, axis) * np.arange(1.0, np.shape(x)[-1] + 1.0)
def sort_kind(x): return np.sort(x, kind="mergesort") ** 2


for shape in [(6,), (3, 4), (2, 3, 4)]:
    case(np.sort, sort, u(shape))
    case(np.sort, sort_weighted, u(shape), -1)
    case(np.sort, sort_axis, u(shape), 0)
    case(np.sort, sort_axis, u(shape), None)
case(np.sort, sort_weighted, u((3, 4)), 0)
case(np.sort, sort_axis, u(()), None)
case(np.sort, sort_axis, u(F), None)
case(np.sort, sort_kind, u((5,)))

def partition(x, kth, axis): return np.partition(x, kth, axis) * np.arange(1.0, np.shape(x)[-1] + 1.0)
def partition_flat(x, kth): return np.partition(x, kth, axis=None) ** 3
def partition_head(x): return np.sum(np.partition(x, 2)[:3] ** 2)

case(np.partition, partition, u((7,)), 3, -1)
case(np.partition, partition, u((3, 5)), 1, 1)
case(np.partition, partition, u((4, 5)), (0, 2), 0)
case(np.partition, partition_flat, u((3, 4)), 5)
case(np.partition, partition_head, u((6,)))

# ---- reductions with axis and keepdims --------------------------------------------------------

def r_var(x, axis=None, keepdims=False): return np.var(x, axis=axis, keepdims=keepdims)
def r_std(x, axis=None, keepdims=False): return np.std(x, axis=axis, keepdims=keepdims)
def r_nansum(x, axis=None, keepdims=False): return np.nansum(x, axis=axis, keepdims=keepdims)
def r_nanmean(x, axis=None, keepdims=False): return np.nanmean(x, axis=axis, keepdims=keepdims)
def r_nanmax(x, axis=None, keepdims=False): return np.nanmax(x, axis=axis, keepdims=keepdims)
def r_nanmin(x, axis=None, keepdims=False): return np.nanmin(x, axis=axis, keepdims=keepdims)
def r_nanprod(x, axis=None, keepdims=False): return np.nanprod(x, axis=axis, keepdims=keepdims)
def r_nanvar(x, axis=None, keepdims=False): return np.nanvar(x, axis=axis, keepdims=keepdims)
def r_nanstd(x, axis=None, keepdims=False): return np.nanstd(x, axis=axis, keepdims=keepdims)
def r_ptp(x, axis=None, keepdims=False): return np.ptp(x, axis=axis, keepdims=keepdims)
def r_median(x, axis=None, keepdims=False): return np.median(x, axis=axis, keepdims=keepdims)
def r_average(x, axis=None, keepdims=False): return np.average(x, axis=axis, keepdims=keepdims)


def r_nanmedian(x, axis=None, keepdims=False):
    return np.nanmedian(x, axis=axis, keepdims=keepdims)


REDUCTIONS = [
    (np.var, r_var, u), (np.std, r_std, u), (np.nansum, r_nansum, u),
    (np.nanmean, r_nanmean, u), (np.nanmax, r_nanmax, u), (np.nanmin, r_nanmin, u),
    (np.nanprod, r_nanprod, between(0.5, 1.5)), (np.nanvar, r_nanvar, u),
    (np.nanstd, r_nanstd, u), (np.ptp, r_ptp, u), (np.median, r_median, u),
    (np.nanmedian, r_nanmedian, u), (np.average, r_average, u),
]
AXES = [(F, None, False), ((), None, False), ((5,), None, False), ((5,), 0, True),
        ((3, 4), None, False), ((3, 4), None, True), ((3, 4), 0, False), ((3, 4), 1, False),
        ((3, 4), -1, False), ((3, 4), 1, True), ((3, 4), 0, True), ((2, 3, 4), (0, 2), False),
        ((2, 3, 4), (-1, 1), True), ((2, 3, 4), -2, False)]
for prim, f, gen in REDUCTIONS:
    for shape, axis, keepdims in AXES:
        case(prim, f, gen(shape), axis, keepdims)

# NaN in the input of the nan* functions (never a whole slice): no gradient reaches it.
NAN_AXES = [((6,), None, False), ((3, 4), None, True), ((3, 4), 0, False), ((3, 4), 1, True),
            ((2, 3, 4), (0, 2), False), ((2, 3, 4), -1, False)]
for prim, f, gen in REDUCTIONS:
    if prim.__name__.startswith("nan"):
        for shape, axis, keepdims in NAN_AXES:
            lo, hi = (0.5, 1.5) if prim is np.nanprod else (-1.0, 1.0)
            case(prim, f, with_nan(shape, lo, hi), axis, keepdims)


def var_ddof(x, axis, ddof): return np.var(x, axis, ddof=ddof)
def std_ddof(x, axis, ddof): return np.std(x, axis=axis, ddof=ddof, keepdims=True)
def nanvar_ddof(x, ddof): return np.nanvar(x, axis=1, ddof=ddof)
def nanstd_ddof(x, ddof): return np.nanstd(x, 0, ddof=ddof)
def var_method(x): return x.var(axis=0)
def std_method(x): return x.std(ddof=1)
def var_float32(x): return np.var(x, axis=1, dtype=np.float64)
def std_all(x): return np.std(x)
def var_all(x): return np.var(x)


for ddof in (0, 1, 2):
    case(np.var, var_ddof, u((3, 4)), 1, ddof)
    case(np.var, var_ddof, u((5,)), None, ddof)
    case(np.std, std_ddof, u((4, 3)), 0, ddof)
    case(np.std, std_ddof, u((2, 3, 4)), (0, 2), ddof)
    case(np.nanvar, nanvar_ddof, with_nan((3, 5)), ddof)
    case(np.nanstd, nanstd_ddof, with_nan((4, 3), where=((0,), (4,))), ddof)
case(np.var, var_method, u((3, 4)))
case(np.std, std_method, u((3, 4)))
case(np.var, var_float32, u((3, 4)))
case(np.std, std_all, u((3, 4)))
case(np.var, var_all, u((5,)))


def average_w(x, w, axis=None, keepdims=False):
    return np.average(x, axis=axis, weights=w, keepdims=keepdims)


def average_pos(x, axis, w): return np.average(x, axis, w)
def ptp_all(x): return np.ptp(x)
def median_all(x): return np.median(x)
def median_rows(x): return np.median(x, axis=1)


for shape, wshape, axis, keepdims in [
        ((5,), (5,), None, False), ((3, 4), (3, 4), None, False), ((3, 4), (3, 4), 1, False),
        ((3, 4), (4,), 1, False), ((3, 4), (3,), 0, True), ((2, 3, 4), (3,), -2, False),
        ((2, 3, 4), (2, 3, 4), (0, 2), True), ((2, 3, 4), (2, 4), (0, 2), False)]:
    case(np.average, average_w, u(shape), pos(wshape), axis, keepdims)
case(np.average, average_pos, u((3, 4)), 0, pos((3,)))
case(np.average, average_w, u(F), pos(F))
case(np.ptp, ptp_all, u((3, 4)))
case(np.median, median_all, u((3, 4)))
case(np.median, median_rows, u((3, 5)))

# ---- cumulative sums and products ---------------------------------------------------------------

def cumsum(x, axis=None): return np.cumsum(x, axis=axis)
def cumprod(x, axis=None): return np.cumprod(x, axis=axis)
def nancumsum(x, axis=None): return np.nancumsum(x, axis=axis)
def nancumprod(x, axis=None): return np.nancumprod(x, axis=axis)
def cumsum_method(x): return x.cumsum(1) ** 2
def cumsum_positional(x): return np.cumsum(x, 0) * x
def cumprod_all(x): return np.cumprod(x)


CUMULATIVE = [(np.cumsum, cumsum, u), (np.cumprod, cumprod, away),
              (np.nancumsum, nancumsum, u), (np.nancumprod, nancumprod, away)]
CUM_AXES = [(F, None), ((), None), ((5,), None), ((5,), 0), ((5,), -1), ((3, 4), None),
            ((3, 4), 0), ((3, 4), 1), ((2, 3, 4), -2), ((2, 3, 4), None)]
for prim, f, gen in CUMULATIVE:
    for shape, axis in CUM_AXES:
        case(prim, f, gen(shape), axis)
for prim, f, _ in CUMULATIVE[2:]:
    for shape, axis in [((6,), None), ((3, 4), 1), ((3, 4), 0)]:
        case(prim, f, with_nan(shape, 0.5, 1.5), axis)
case(np.cumsum, cumsum_method, u((3, 4)))
case(np.cumsum, cumsum_positional, u((3, 4)))
case(np.cumprod, cumprod_all, away((2, 3)))
# cumprod is claimed exact where the input has zeros: one zero, two zeros, zeros on an axis.
CUMPROD_ZEROS = [np.array([1.5, 0.0, 2.0, -0.5]), np.array([0.0, 2.0, 0.0, 3.0]),
                 np.array([[0.0, 2.0, 3.0], [1.5, 0.0, 0.0], [1.0, -2.0, 0.5]])]
for x in CUMPROD_ZEROS:
    case(np.cumprod, cumprod_all, x)
    case(np.cumprod, cumprod, x, 0)
    case(np.cumprod, cumprod, x, -1)
    case(np.nancumprod, nancumprod, x, 0)

def cumulative_sum(x, axis=None, include_initial=False):
    return np.cumulative_sum(x, axis=axis, include_initial=include_initial)


def cumulative_prod(x, axis=None, include_initial=False):
    return np.cumulative_prod(x, axis=axis, include_initial=include_initial)


if HAS_CUMULATIVE:   # NumPy 2.1+
    for prim, f, gen in [(np.cumulative_sum, cumulative_sum, u),
                         (np.cumulative_prod, cumulative_prod, away)]:
        for shape, axis, initial in [((5,), None, False), ((5,), None, True), ((5,), 0, True),
                                     ((3, 4), 0, False), ((3, 4), 1, True),
                                     ((2, 3, 4), -1, True), ((2, 3, 4), 1, False)]:
            case(prim, f, gen(shape), axis, initial)
    case(np.cumulative_prod, cumulative_prod, CUMPROD_ZEROS[2], 1, True)


def _id(c):
    return f"{c.f.__name__}[{','.join(_label(a) for a in c.args)}]"


# ---- the tables are covered: every rule of the two modules has cases and both modes ------------

def primitives_called(f):
    """The callables and operators f's source uses, resolved in this module's namespace."""
    return rule_checks.primitives_called(f, globals())


def test_every_rule_of_these_modules_has_a_case_and_both_modes():
    # math.sin & co. share the rules of their NumPy namesakes: their cases are in
    # tests/test_rules_pymath.py
    import test_rules_pymath
    mine = rule_checks.check_walker([elementwise, reductions], CASES + test_rules_pymath.CASES,
                                    globals(), __file__)
    assert len(mine) >= 46, [p.name for p in mine]


# ---- reverse mode: finite differences in float64 ------------------------------------------------

@pytest.fixture(autouse=True)
def _quiet_nan_slices():
    # np.nanmax & co. on the NaN cases and float32 rounding warn about nothing of interest here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@pytest.mark.parametrize("c", CASES, ids=_id)
def test_rule(c):
    rule_checks.check_reverse(c)


@pytest.mark.parametrize("c", [c for c in CASES if rule_checks.has_array_wrt(c)], ids=_id)
def test_float32_in_float32_out(c):
    rule_checks.check_float32(c)


# ---- forward mode: a finite difference along a random direction ---------------------------------
# (non-finite values, such as nan_to_num's inputs, are compared where the value is finite)

@pytest.mark.parametrize("c", CASES, ids=_id)
def test_jvp_matches_finite_differences(c):
    tangents = rule_checks.direction(c, seed=1)
    value, tangent = tangent_lite.jvp(c.f, c.args, tangents)
    np.testing.assert_allclose(value, c.f(*c.args), rtol=1e-12, atol=1e-12)
    expected = rule_checks.along(c.f, c.args, tangents)
    expected = np.where(np.isfinite(np.asarray(value, float)), expected, 0.0)
    got = np.where(np.isfinite(np.asarray(value, float)), np.asarray(tangent, float), 0.0)
    assert np.shape(tangent) == np.shape(value), (np.shape(tangent), np.shape(value))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("c", [c for c in CASES if rule_checks.has_array_wrt(c)], ids=_id)
def test_jvp_float32_in_float32_out(c):
    args32 = tuple(rule_checks._f32(a) for a in c.args)
    tangents = rule_checks.direction(c, seed=3, dtype=np.float32)
    value, tangent = tangent_lite.jvp(c.f, args32, tangents)
    if all(isinstance(c.args[i], np.ndarray) for i in c.wrt):
        # float32 in (a differentiated Python float is a float64 input), result's dtype out
        dtype = np.asarray(value).dtype
        assert np.asarray(tangent).dtype == dtype, (np.asarray(tangent).dtype, dtype)
    finite = np.isfinite(np.asarray(value, float))
    expected = np.where(finite, rule_checks.along(c.f, c.args, tangents), 0.0)
    np.testing.assert_allclose(np.where(finite, np.asarray(tangent, float), 0.0), expected,
                               rtol=2e-3, atol=2e-4)


# ---- second derivatives: forward over the generated gradient code -------------------------------

# (case function, argument) whose Hessian-vector product is refused with a clear error:
# second derivatives of cumprod and of np.average with respect to its weights are not
# implemented. (nanprod's goes through np.prod's helper, differentiated from its source since
# generator expressions are lowered to loops: checked below like the others.)
HVP_REFUSED = {"cumprod", "nancumprod", "cumprod_all", "cumulative_prod",
               ("average_w", 1), ("average_pos", 2)}


def _refused(c, i):
    return c.f.__name__ in HVP_REFUSED or (c.f.__name__, i) in HVP_REFUSED


@pytest.mark.parametrize("c", CASES, ids=_id)
def test_hvp_matches_finite_differences_of_gradients(c):
    for i in c.wrt:
        v = rule_checks.direction(c, seed=2)[i]
        if _refused(c, i):
            with pytest.raises(tangent_lite.TangentLiteError):
                tangent_lite.hvp(c.f, wrt=i)(*c.args, v)
            continue
        hv = tangent_lite.hvp(c.f, wrt=i)(*c.args, v)
        df = tangent_lite.grad(c.f, wrt=i)
        eps = 1e-5
        plus, minus = list(c.args), list(c.args)
        plus[i] = c.args[i] + eps * v
        minus[i] = c.args[i] - eps * v
        expected = (np.asarray(df(*plus), float) - np.asarray(df(*minus), float)) / (2 * eps)
        finite = np.isfinite(c.args[i])
        assert np.shape(hv) == np.shape(c.args[i])
        np.testing.assert_allclose(np.where(finite, np.asarray(hv, float), 0.0),
                                   np.where(finite, expected, 0.0), rtol=1e-5, atol=1e-6,
                                   err_msg=f"Hessian-vector product wrt {i}")


# ---- non-differentiable functions contribute exactly zero ---------------------------------------

XN = np.array([-1.7, -0.4, 0.0, 0.3, 1.5, 2.5])
ONES = np.ones_like(XN)
EDGES = np.array([0.0, 1.0])


def nd_fix(x): return x * np.fix(x)
def nd_floor_divide(x): return x * np.floor_divide(x, 0.7)
def nd_floordiv(x): return x * (x // 0.7)
def nd_signbit(x): return x * np.signbit(x)
def nd_spacing(x): return x + np.spacing(x) * 1e10
def nd_isclose(x): return x * np.isclose(x, 0.3)
def nd_allclose(x): return x * np.allclose(x, x)
def nd_array_equal(x): return x * np.array_equal(x, x)
def nd_isreal(x): return x * np.isreal(x)
def nd_iscomplex(x): return x + x * np.iscomplex(x)
def nd_isposinf(x): return np.where(np.isposinf(x), 0.0, x * x)
def nd_isneginf(x): return np.where(np.isneginf(x), 0.0, x * x)
def nd_isin(x): return x * np.isin(x, np.array([0.3, 2.5]))
def nd_argwhere(x): return x[np.argwhere(x > 0)[:, 0]]
def nd_flatnonzero(x): return x[np.flatnonzero(x > 0)]
def nd_searchsorted(x): return x * np.searchsorted(EDGES, x)
def nd_digitize(x): return x * np.digitize(x, EDGES)
def nd_argpartition(x): return x[np.argpartition(x, 2)[:2]]
def nd_nanargmax(x): return x[np.nanargmax(x)]
def nd_nanargmin(x): return x[np.nanargmin(x)]
def nd_around(x): return x * np.around(x)


NONDIFF = [
    (np.fix, nd_fix, np.fix(XN)), (np.floor_divide, nd_floor_divide, np.floor_divide(XN, 0.7)),
    (operator.floordiv, nd_floordiv, XN // 0.7), (np.signbit, nd_signbit, 1.0 * np.signbit(XN)),
    (np.spacing, nd_spacing, ONES), (np.isclose, nd_isclose, 1.0 * np.isclose(XN, 0.3)),
    (np.allclose, nd_allclose, ONES), (np.array_equal, nd_array_equal, ONES),
    (np.isreal, nd_isreal, ONES), (np.iscomplex, nd_iscomplex, ONES),
    (np.isposinf, nd_isposinf, 2 * XN), (np.isneginf, nd_isneginf, 2 * XN),
    (np.isin, nd_isin, np.array([0, 0, 0, 1.0, 0, 1])),
    (np.argwhere, nd_argwhere, 1.0 * (XN > 0)), (np.flatnonzero, nd_flatnonzero, 1.0 * (XN > 0)),
    (np.searchsorted, nd_searchsorted, 1.0 * np.searchsorted(EDGES, XN)),
    (np.digitize, nd_digitize, 1.0 * np.digitize(XN, EDGES)),
    (np.argpartition, nd_argpartition, np.array([1.0, 1, 0, 0, 0, 0])),
    (np.nanargmax, nd_nanargmax, np.eye(6)[5]), (np.nanargmin, nd_nanargmin, np.eye(6)[0]),
    (np.around, nd_around, np.around(XN)),
]


def test_every_zero_gradient_function_of_these_modules_has_a_case():
    covered = {prim for prim, _, _ in NONDIFF}
    missing = [p for p in elementwise.NONDIFFERENTIABLE if p not in covered]
    assert not missing, missing
    for p in elementwise.NONDIFFERENTIABLE:
        assert tangent_lite.rules.lookup(p).nondiff == "zero", p


@pytest.mark.parametrize("prim, f, expected", NONDIFF, ids=[f.__name__ for _, f, _ in NONDIFF])
def test_nondifferentiable_contributes_exactly_zero(prim, f, expected):
    assert prim in primitives_called(f)
    np.testing.assert_array_equal(tangent_lite.grad(f)(XN.copy()), expected)
    value, tangent = tangent_lite.jvp(f, (XN.copy(),), (ONES,))
    # along ones: the elementwise cases give the gradient again, the selections give ones
    np.testing.assert_array_equal(tangent, expected if np.shape(value) == XN.shape else
                                  np.ones(np.shape(value)))


# ---- conventions at kinks, ties, zeros and NaN (exact) ------------------------------------------

def grad_and_jvp(f, x):
    """The reverse gradient of sum(f) and the jvp of f along ones, for exact comparisons."""
    return tangent_lite.grad(f)(x), tangent_lite.jvp(f, (x,), (np.ones_like(x),))[1]


def test_ties_share_the_gradient_equally():
    x = np.array([1.0, 3.0, np.nan, 3.0, -2.0])
    g, t = grad_and_jvp(r_nanmax, x)
    np.testing.assert_array_equal(g, [0, 0.5, 0, 0.5, 0])
    assert t == 1.0
    np.testing.assert_array_equal(grad_and_jvp(r_nanmin, x)[0], [0, 0, 0, 0, 1])
    np.testing.assert_array_equal(grad_and_jvp(r_ptp, x[[0, 1, 3, 4]])[0], [0, 0.5, 0.5, -1])
    a = np.array([0.5, np.nan, -1.0, np.nan])
    b = np.array([0.5, 2.0, np.nan, np.nan])
    ga, gb = tangent_lite.grad(fmax, wrt=(0, 1))(a, b)
    np.testing.assert_array_equal(ga, [0.5, 0, 1, 0])
    np.testing.assert_array_equal(gb, [0.5, 1, 0, 0])
    ga, gb = tangent_lite.grad(fmin, wrt=(0, 1))(a, b)
    np.testing.assert_array_equal(ga, [0.5, 0, 1, 0])
    np.testing.assert_array_equal(gb, [0.5, 1, 0, 0])


def test_median_ties_take_the_average_of_the_one_sided_derivatives():
    for x, expected in [([1.0, 2.0, 2.0, 3.0], [0, 0.5, 0.5, 0]),     # differentiable: 0.5
                        ([2.0, 1.0, 2.0], [0.5, 0, 0.5]),
                        ([3.0, 1.0, 2.0, 3.0], [0.25, 0, 0.5, 0.25]),
                        ([2.0, 2.0, 2.0, 2.0], [0.25, 0.25, 0.25, 0.25]),
                        ([4.0, 1.0, 3.0, 2.0, 5.0], [0, 0, 1, 0, 0])]:
        x = np.array(x)
        g, t = grad_and_jvp(r_median, x)
        np.testing.assert_array_equal(g, expected)
        assert t == pytest.approx(1.0, abs=1e-15)
        np.testing.assert_array_equal(tangent_lite.grad(r_nanmedian)(x), expected)
    x = np.array([[1.0, np.nan, 3.0, 2.0], [4.0, 2.0, 2.0, 0.0]])
    np.testing.assert_array_equal(tangent_lite.grad(r_nanmedian)(x, 1),
                                  [[0, 0, 0, 1], [0, 0.5, 0.5, 0]])
    g = tangent_lite.grad(r_median)(x, 1)      # np.median of a row with NaN is NaN
    assert np.isnan(g[0]).all() and np.array_equal(g[1], [0, 0.5, 0.5, 0])


def sort_times_position(x): return np.sort(x) * np.array([1.0, 2.0, 3.0, 4.0])


def test_sort_ties_keep_their_order():
    x = np.array([2.0, 1.0, 2.0, 3.0])
    g, t = grad_and_jvp(sort_times_position, x)
    np.testing.assert_array_equal(g, [2, 1, 3, 4])
    np.testing.assert_array_equal(t, [1, 2, 3, 4])


def test_std_of_a_constant_has_gradient_zero():
    x = np.array([[0.5, 0.5, 0.5], [0.1, 0.7, 0.4]])
    for f in (r_std, r_nanstd):
        g = tangent_lite.grad(f)(x, 1)
        np.testing.assert_array_equal(g[0], [0, 0, 0])
        assert np.all(np.isfinite(g)) and not np.any(g[1] == 0)
        assert tangent_lite.jvp(f, (x, 1), (np.ones_like(x), None))[1][0] == 0
    np.testing.assert_array_equal(tangent_lite.grad(std_all)(np.full((2, 2), 0.25)), 0)
    np.testing.assert_array_equal(tangent_lite.grad(hypot, wrt=(0, 1))(0.0, 0.0), (0.0, 0.0))


def test_cumprod_is_exact_at_zeros():
    def slope(a, i, k):   # d/da_k of a_0 * ... * a_i, without dividing
        return np.prod(np.delete(a[:i + 1], k)) if k <= i else 0.0

    for a in ([0.0, 2.0, 0.0, 3.0], [1.5, 0.0, 2.0, -0.5], [0.0, 0.0, 0.0], [2.0, 3.0, 0.0]):
        a = np.array(a)
        n = len(a)
        jacobian = np.array([[slope(a, i, k) for k in range(n)] for i in range(n)])
        np.testing.assert_array_equal(tangent_lite.grad(cumprod_all)(a), jacobian.sum(0))
        _, t = tangent_lite.jvp(cumprod_all, (a,), (np.ones_like(a),))
        np.testing.assert_array_equal(t, jacobian.sum(1))


def test_nan_gets_no_gradient():
    x = np.array([[0.5, np.nan, 2.0], [np.nan, 1.5, -1.0]])
    for f in (r_nansum, r_nanmean, r_nanmax, r_nanmin, r_nanprod, r_nanvar, r_nanstd,
              r_nanmedian):
        for axis in (None, 0, 1):
            if axis == 0 and f in (r_nanstd, r_nanvar):
                continue    # one non-NaN element per column: variance 0
            g = tangent_lite.grad(f)(x, axis)
            assert np.all(g[np.isnan(x)] == 0) and np.all(np.isfinite(g)), (f.__name__, axis)
    for f in (nancumsum, nancumprod):
        g = tangent_lite.grad(f)(x, 1)
        assert np.all(g[np.isnan(x)] == 0) and np.all(np.isfinite(g))
    np.testing.assert_array_equal(tangent_lite.grad(nan_to_num)(XNONFINITE),
                                  np.isfinite(XNONFINITE))


def test_sinc_near_zero_is_accurate():
    x = np.array([0.0, 1e-12, 1e-8, -1e-5, 0.01, -0.0317, 0.0319, 0.1, -0.159, 0.1593])
    t = np.pi * x      # d/dx sin(t)/t = pi * sum_k (-1)^k 2k t^(2k-1) / (2k+1)!, to k = 12
    series = np.pi * sum((-1) ** k * 2 * k * t ** (2 * k - 1) / math.factorial(2 * k + 1)
                         for k in range(1, 13))
    np.testing.assert_allclose(tangent_lite.grad(sinc)(x), series, rtol=4e-15, atol=0)


# ---- calls the rules do not accept are refused, never guessed -----------------------------------

def bad_var_correction(x): return np.var(x, correction=1)
def bad_var_out(x): return np.var(x, 0, None, None, 1)
def bad_average_returned(x): return np.average(x, weights=x, returned=True)[0]
def bad_median_overwrite(x): return np.median(x, overwrite_input=True)
def bad_nan_to_num_copy(x): return np.nan_to_num(x, copy=False)
def bad_sort_order(x): return np.sort(x, order="f0")
def bad_nanmax_initial(x): return np.nanmax(x, initial=0.0)


@pytest.mark.parametrize("f", [bad_var_correction, bad_var_out, bad_average_returned,
                               bad_median_overwrite, bad_nan_to_num_copy, bad_sort_order,
                               bad_nanmax_initial], ids=lambda f: f.__name__)
def test_unsupported_arguments_are_refused(f):
    with pytest.raises(tangent_lite.MissingRuleError):
        tangent_lite.grad(f)(np.array([0.5, 1.5, 2.0]))
    with pytest.raises(tangent_lite.MissingRuleError):
        tangent_lite.jvp(f, (np.array([0.5, 1.5, 2.0]),), (np.ones(3),))


# ---- shipped gradient modules carry the helpers these rules call --------------------------------

def shipped(x, w):
    return (np.sum(np.sort(x) * w) + np.std(x) + np.average(x, weights=w) + np.median(x)
            + np.sum(np.cumprod(x) + np.cumsum(x)) + np.sum(np.sinc(x) + np.fmax(x, w)))


def test_generated_module_runs_without_tangent_lite():
    from tangent_lite import aot
    text = aot.module_source([shipped], wrt=(0, 1))
    imports = [line for line in text.splitlines() if line.startswith(("import ", "from "))]
    assert imports == ["import numpy as np"], imports
    namespace = {}
    exec(compile(text, "shipped_grads.py", "exec"), namespace)
    x, w = u((5,)), pos((5,))
    got = namespace["grad_shipped"](x, w)
    want = tangent_lite.grad(shipped, wrt=(0, 1))(x, w)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    check_grad(shipped, x, w, wrt=(0, 1))
