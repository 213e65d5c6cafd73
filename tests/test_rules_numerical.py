"""The numerical-methods rules (rules/numerical.py: np.polyval, np.convolve, np.correlate,
np.trapezoid, np.interp) against central finite differences in float64, in both modes (the
checks are in rule_checks.py), then their conventions and refusals exactly.

CASES follows tests/test_rules.py: (function, case function, arguments, wrt). Inputs stay away
from interp's knots, where the slope jumps.
"""
import numpy as np
import pytest

import rule_checks
import tangent_lite
from helpers import check_grad
from tangent_lite.rules import numerical
from test_rules import Case, F, _label

rng = np.random.default_rng(20261204)


def u(shape, lo=-1.0, hi=1.0):
    if shape == F:
        return float(rng.uniform(lo, hi))
    return np.array(rng.uniform(lo, hi, size=shape), dtype=np.float64)


CASES = []


def case(prim, f, *args, wrt=None):
    if wrt is None:
        wrt = tuple(i for i, a in enumerate(args)
                    if isinstance(a, float) or (isinstance(a, np.ndarray) and a.dtype.kind == "f"))
    CASES.append(Case(prim, f, args, wrt))


# ---- polynomials -----------------------------------------------------------------------------

def polyval(p, x): return np.polyval(p, x) ** 2
def polyval_fit(p, x, y): return np.sum((np.polyval(p, x) - y) ** 2) / np.size(x)
def polyval_constant_coefficients(x): return np.polyval(np.array([0.5, -1.0, 2.0, 0.3]), x) ** 2
def polyval_list_coefficients(x): return np.polyval([1.0, -2.0, 0.5], x) * x

case(np.polyval, polyval, u((4,)), u(F))
case(np.polyval, polyval, u((4,)), u((5,)))
case(np.polyval, polyval, u((3,)), u((2, 3)))
case(np.polyval, polyval, u((1,)), u((3,)))
case(np.polyval, polyval_fit, u((3,)), u((8,)), u((8,)), wrt=(0,))
case(np.polyval, polyval_fit, u((3,)), u((8,)), u((8,)), wrt=(0, 1))
case(np.polyval, polyval_constant_coefficients, u((6,)))
case(np.polyval, polyval_list_coefficients, u(F))

# ---- convolution and correlation: every mode, either operand the longer ----------------------

def convolve(a, v, mode): return np.convolve(a, v, mode) * np.arange(1.0, 1.0 + np.size(np.convolve(a, v, mode)))
def correlate(a, v, mode): return np.correlate(a, v, mode) ** 2
def correlate_default(a, v): return np.correlate(a, v) * 3.0
def smooth(signal): return np.sum(np.convolve(signal, np.ones(3) / 3.0, mode="same") ** 2)

for n, m in [(6, 3), (3, 5), (4, 4), (2, 5), (1, 3)]:
    for mode in ("full", "same", "valid"):
        case(np.convolve, convolve, u((n,)), u((m,)), mode)
        case(np.correlate, correlate, u((n,)), u((m,)), mode)
case(np.correlate, correlate_default, u((7,)), u((3,)))
case(np.convolve, smooth, u((9,)))

# ---- integration along an axis ---------------------------------------------------------------

trapezoid_of = getattr(np, "trapezoid", None) or np.trapz   # NumPy 2's name, or NumPy 1's


def trapezoid(y): return trapezoid_of(y ** 2)
def trapezoid_dx(y, dx): return trapezoid_of(y, dx=dx) ** 2
def trapezoid_points(y, x, axis): return trapezoid_of(y, x, axis=axis) ** 2
def trapezoid_grid(y): return trapezoid_of(np.sin(y), x=np.linspace(0.0, 1.0, 5), axis=0)

case(trapezoid_of, trapezoid, u((6,)))
case(trapezoid_of, trapezoid, u((3, 4)))
case(trapezoid_of, trapezoid, u((1,)))
case(trapezoid_of, trapezoid_dx, u((2, 5)), 0.3, wrt=(0,))
case(trapezoid_of, trapezoid_points, u((3, 5)), np.sort(u((5,))), -1, wrt=(0,))
case(trapezoid_of, trapezoid_points, u((5, 2)), np.sort(u((5,))), 0, wrt=(0,))
case(trapezoid_of, trapezoid_points, u((3, 5)), np.sort(u((3, 5)), axis=1), 1, wrt=(0,))
case(trapezoid_of, trapezoid_grid, u((5, 3)))

# ---- interpolation ---------------------------------------------------------------------------

KNOTS = np.array([-1.0, -0.2, 0.5, 1.1, 2.0])
# Points inside, below and above the knots, none on a knot.
POINTS = np.array([-1.7, -0.9, -0.35, 0.05, 0.61, 1.4, 1.93, 2.6])


def interp(x, fp): return np.interp(x, KNOTS, fp) ** 2
def interp_ends(x, fp): return np.interp(x, KNOTS, fp, left=-3.0, right=0.5) ** 2
def interp_scalar(x, fp): return np.interp(x, KNOTS, fp) * x
def interp_table(x): return np.interp(x, KNOTS, np.array([0.0, 1.0, 0.5, -0.5, 2.0])) ** 3
def interp_values(fp): return np.sum(np.interp(POINTS, KNOTS, fp) ** 2)

case(np.interp, interp, POINTS.copy(), u((5,)))
case(np.interp, interp, POINTS.reshape(2, 4).copy(), u((5,)))
case(np.interp, interp_ends, POINTS.copy(), u((5,)))
case(np.interp, interp_scalar, 0.3, u((5,)))
case(np.interp, interp_table, POINTS.copy())
case(np.interp, interp_values, u((5,)))


def _id(c):
    return f"{c.f.__name__}[{','.join(_label(a) for a in c.args)}]"


# ---- the checks --------------------------------------------------------------------------------

HVP_REFUSED = set()     # each argument alone has a second derivative (mixed ones: below)
ARRAY_CASES = [c for c in CASES if rule_checks.has_array_wrt(c)]


def test_every_rule_of_numerical_has_a_case_and_both_modes():
    mine = rule_checks.check_walker([numerical], CASES, globals(), __file__)
    assert len([p for p in mine if p.adjoint is not None]) >= 4


def test_every_helper_forward_rule_is_reached_by_a_second_derivative():
    rule_checks.check_helpers_reached([numerical], CASES, HVP_REFUSED)


@pytest.mark.parametrize("c", CASES, ids=_id)
def test_rule(c):
    rule_checks.check_reverse(c)


@pytest.mark.parametrize("c", ARRAY_CASES, ids=_id)
def test_float32_in_float32_out(c):
    rule_checks.check_float32(c)


@pytest.mark.parametrize("c", CASES, ids=_id)
def test_jvp_matches_finite_differences(c):
    rule_checks.check_jvp(c)


@pytest.mark.parametrize("c", ARRAY_CASES, ids=_id)
def test_jvp_float32_in_float32_out(c):
    rule_checks.check_jvp_float32(c)


@pytest.mark.parametrize("c", CASES, ids=_id)
def test_hvp_matches_finite_differences_of_gradients(c):
    rule_checks.check_hvp(c, refused=c.f.__name__ in HVP_REFUSED)


# ---- exact values and conventions ----------------------------------------------------------------

def polyval_plain(p, x): return np.polyval(p, x)


def test_polyval_gradients_are_the_powers_and_the_derivative_polynomial():
    p, x = np.array([2.0, -3.0, 0.5]), 1.5
    dp, dx = tangent_lite.grad(polyval_plain, wrt=(0, 1))(p, x)
    np.testing.assert_array_equal(dp, [x ** 2, x, 1.0])
    assert dx == 2 * 2.0 * x - 3.0


def interp_at(x): return np.interp(x, KNOTS, np.array([0.0, 1.0, 0.5, -0.5, 2.0]))


def test_interp_slope_is_that_of_the_interval_and_zero_outside_the_knots():
    g = tangent_lite.grad(interp_at)
    assert g(0.0) == pytest.approx((0.5 - 1.0) / 0.7)
    assert g(-5.0) == 0.0 and g(7.0) == 0.0
    assert g(0.5) == pytest.approx((-0.5 - 0.5) / 0.6)     # on a knot: the interval to the right
    assert g(2.0) == pytest.approx((2.0 - -0.5) / 0.9)     # the last knot closes its interval


def test_interp_value_gradient_splits_between_the_ends_of_the_interval():
    dfp = tangent_lite.grad(interp, wrt=1)(np.array([0.15]), np.ones(5))
    t = (0.15 - -0.2) / 0.7
    np.testing.assert_allclose(dfp, 2 * np.array([0.0, 1 - t, t, 0.0, 0.0]))


def test_interp_ends_given_take_the_gradient_of_points_outside():
    dfp = tangent_lite.grad(interp_ends, wrt=1)(np.array([-5.0, 9.0]), np.ones(5))
    np.testing.assert_array_equal(dfp, np.zeros(5))


def partition_ties(x): return np.sum(np.partition(x, 1) * np.array([1.0, 2.0, 3.0, 4.0]))


def test_partition_gives_tied_values_one_gradient_each():
    g = tangent_lite.grad(partition_ties)(np.array([0.5, 0.5, 0.1, 0.5]))
    assert sorted(g) == [1.0, 2.0, 3.0, 4.0] and g[2] == 1.0


# ---- what is refused, and how ---------------------------------------------------------------------

def interp_knots(xp): return np.sum(np.interp(POINTS, xp, np.arange(5.0)))
def interp_left(left): return np.sum(np.interp(POINTS, KNOTS, np.arange(5.0), left=left))
def interp_period(x): return np.sum(np.interp(x, KNOTS, np.arange(5.0), period=3.0))
def trapezoid_of_points(x): return trapezoid_of(np.arange(5.0), x)


@pytest.mark.parametrize("f, arg", [(interp_knots, KNOTS.copy()), (interp_left, -1.0)])
def test_interp_refuses_knots_and_ends_that_are_differentiated(f, arg):
    with pytest.raises(tangent_lite.TangentLiteError, match="np.interp has no reverse-mode derivative"):
        tangent_lite.grad(f)(arg)


def test_interp_refuses_a_period_when_run():
    with pytest.raises(tangent_lite.TangentLiteError, match="without period="):
        tangent_lite.grad(interp_period)(POINTS.copy())


def test_trapezoid_refuses_differentiated_sample_points():
    with pytest.raises(tangent_lite.TangentLiteError, match="argument `x`"):
        tangent_lite.grad(trapezoid_of_points)(np.linspace(0.0, 1.0, 5))


def test_interp_second_derivative_in_points_and_values_together_is_refused():
    with pytest.raises(tangent_lite.TangentLiteError):
        tangent_lite.hvp(interp, wrt=(0, 1))(POINTS.copy(), u((5,)), (POINTS * 0.1, u((5,))))


def test_a_fit_in_two_styles_matches_finite_differences():
    x = np.linspace(-1.0, 1.0, 12)
    y = np.cos(x)

    def fit_polyval(p):
        return np.mean((np.polyval(p, x) - y) ** 2)

    def fit_horner(p):
        pred = np.zeros_like(x)
        for c in p:
            pred = pred * x + c
        return np.sum((pred - y) ** 2) / x.size

    p = np.array([0.2, -0.4, 0.1, 0.9])
    g1, g2 = check_grad(fit_polyval, p), check_grad(fit_horner, p)
    np.testing.assert_allclose(g1, g2, rtol=1e-12, atol=1e-14)
