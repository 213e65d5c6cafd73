"""The rules of scipy.special (rules/special.py) against central finite differences in float64,
in both modes, in float32 and through a second derivative (the checks are in rule_checks.py).

SciPy is optional: without it these tests skip, and the rule table has no scipy.special rules
(test_scipy_rules_load_only_with_scipy checks that the rest does not need it).
"""
import subprocess
import sys

import numpy as np
import pytest

import rule_checks
import tangent_lite
from test_rules import Case, F, _label

try:
    import scipy.special
    import scipy.special as sp
    from scipy.special import expit, logsumexp, softmax
    from tangent_lite.rules import special as special_rules
except ImportError:     # SciPy is not installed: nothing to check here
    scipy = sp = expit = logsumexp = softmax = special_rules = None

needs_scipy = pytest.mark.skipif(scipy is None, reason="SciPy is not installed")
rng = np.random.default_rng(20261203)


def u(shape, lo=-1.0, hi=1.0):
    if shape == F:
        return float(rng.uniform(lo, hi))
    return np.array(rng.uniform(lo, hi, size=shape), dtype=np.float64)


def between(lo, hi):
    return lambda shape: u(shape, lo, hi)


CASES = []


def case(prim, f, *args, wrt=None):
    if wrt is None:
        wrt = tuple(i for i, a in enumerate(args) if isinstance(a, float) or (
            isinstance(a, np.ndarray) and a.dtype.kind == "f"))
    CASES.append(Case(prim, f, args, wrt))


# ---- elementwise, one argument: float, 0-d, vector, matrix ------------------------------------

def s_expit(x): return scipy.special.expit(x)
def s_log_expit(x): return scipy.special.log_expit(x) * x
def s_logit(x): return scipy.special.logit(x)
def s_erf(x): return scipy.special.erf(x)
def s_erfc(x): return scipy.special.erfc(x) * x
def s_erfinv(x): return scipy.special.erfinv(x)
def s_erfcinv(x): return scipy.special.erfcinv(x)
def s_ndtr(x): return scipy.special.ndtr(x)
def s_log_ndtr(x): return scipy.special.log_ndtr(x)
def s_ndtri(x): return scipy.special.ndtri(x)
def s_gammaln(x): return scipy.special.gammaln(x)
def s_gamma(x): return scipy.special.gamma(x)
def s_digamma(x): return scipy.special.digamma(x)
def s_psi(x): return scipy.special.psi(x) * x
def s_polygamma(x): return scipy.special.polygamma(1, x)
def s_polygamma2(x): return scipy.special.polygamma(2, x) * x
def s_zeta(q): return scipy.special.zeta(2.5, q)
def s_zeta_int(q): return scipy.special.zeta(3, q) * q


if scipy is not None:
    UNARY = [
        (sp.expit, s_expit, between(-4, 4)), (sp.log_expit, s_log_expit, between(-4, 4)),
        (sp.logit, s_logit, between(0.1, 0.9)), (sp.erf, s_erf, between(-2, 2)),
        (sp.erfc, s_erfc, between(-2, 2)), (sp.erfinv, s_erfinv, between(-0.8, 0.8)),
        (sp.erfcinv, s_erfcinv, between(0.2, 1.8)), (sp.ndtr, s_ndtr, between(-3, 3)),
        (sp.log_ndtr, s_log_ndtr, between(-6, 3)), (sp.ndtri, s_ndtri, between(0.1, 0.9)),
        (sp.gammaln, s_gammaln, between(0.3, 6.0)), (sp.gamma, s_gamma, between(0.5, 3.0)),
        (sp.digamma, s_digamma, between(0.5, 5.0)), (sp.digamma, s_psi, between(0.5, 5.0)),
        (sp.polygamma, s_polygamma, between(0.5, 5.0)),
        (sp.polygamma, s_polygamma2, between(0.8, 5.0)),
        (sp.zeta, s_zeta, between(0.5, 4.0)), (sp.zeta, s_zeta_int, between(0.5, 4.0)),
    ]
    for prim, f, gen in UNARY:
        for shape in (F, (), (5,), (3, 4)):
            case(prim, f, gen(shape))
    case(sp.log_ndtr, s_log_ndtr, np.array([-30.0, -12.0, -5.5, 0.0, 4.0]))   # far tail

# ---- two arguments, with broadcasting ----------------------------------------------------------

def s_betaln(a, b): return scipy.special.betaln(a, b)
def s_beta(a, b): return scipy.special.beta(a, b)
def s_xlogy(x, y): return scipy.special.xlogy(x, y)
def s_xlog1py(x, y): return scipy.special.xlog1py(x, y)


BROADCAST = [(F, F), ((), ()), ((5,), (5,)), ((3, 4), (3, 4)), ((3, 4), (4,)), (F, (3, 4)),
             ((3, 1), (4,))]
if scipy is not None:
    for prim, f, gen_a, gen_b in [(sp.betaln, s_betaln, between(0.5, 4), between(0.5, 4)),
                                  (sp.beta, s_beta, between(0.5, 3), between(0.5, 3)),
                                  (sp.xlogy, s_xlogy, u, between(0.3, 3)),
                                  (sp.xlog1py, s_xlog1py, u, between(-0.5, 2))]:
        for sa, sb in BROADCAST:
            case(prim, f, gen_a(sa), gen_b(sb))

# ---- logsumexp and the softmaxes: axis, keepdims, b= --------------------------------------------

def lse(x, axis=None, keepdims=False): return scipy.special.logsumexp(x, axis, keepdims=keepdims)
def lse_squared(x, axis): return logsumexp(x, axis=axis) ** 2
def lse_b(x, b, axis=None): return sp.logsumexp(x, axis=axis, b=b)
def lse_b_positional(x, b): return logsumexp(x, 0, b)
def softmax_(x, axis=None): return softmax(x, axis=axis) * np.arange(1.0, np.size(x) + 1.0
                                                                     ).reshape(np.shape(x))
def log_softmax_(x, axis=None): return sp.log_softmax(x, axis) ** 2


if scipy is not None:
    for shape, axis, keepdims in [(F, None, False), ((), None, False), ((5,), None, False),
                                  ((5,), 0, True), ((3, 4), None, False), ((3, 4), None, True),
                                  ((3, 4), 0, False), ((3, 4), 1, True), ((3, 4), -1, False),
                                  ((2, 3, 4), (0, 2), False), ((2, 3, 4), 1, True)]:
        case(sp.logsumexp, lse, u(shape, -3, 3), axis, keepdims)
    case(sp.logsumexp, lse_squared, u((3, 4)), 1)
    case(sp.logsumexp, lse_squared, u((6,)), None)
    for shape, bshape, axis in [((5,), (5,), None), ((3, 4), (3, 4), 1), ((3, 4), (4,), 0),
                                ((3, 4), (3, 1), None), ((3, 4), F, -1)]:
        case(sp.logsumexp, lse_b, u(shape, -2, 2), u(bshape, 0.5, 2.0), axis)
    case(sp.logsumexp, lse_b_positional, u((3, 2)), u((3, 2), 0.5, 2.0))
    for shape, axis in [((5,), None), ((5,), 0), ((3, 4), None), ((3, 4), 0), ((3, 4), 1),
                        ((2, 3, 4), -1), ((2, 3, 4), (0, 2))]:
        case(sp.softmax, softmax_, u(shape, -2, 2), axis)
        case(sp.log_softmax, log_softmax_, u(shape, -2, 2), axis)


def _id(c):
    return f"{c.f.__name__}[{','.join(_label(a) for a in c.args)}]"


# ---- the table is covered ----------------------------------------------------------------------

@needs_scipy
def test_every_rule_of_special_has_a_case_and_both_modes():
    mine = rule_checks.check_walker([special_rules], CASES, globals(), __file__)
    assert len(mine) >= 21, [p.name for p in mine]


@needs_scipy
def test_scipy_functions_are_named_as_users_write_them():
    from tangent_lite.rules.registry import display_name
    assert display_name(sp.expit) == "scipy.special.expit"
    assert display_name(sp.logsumexp) == "scipy.special.logsumexp"
    assert display_name(np.exp) == "np.exp"


# ---- the checks ---------------------------------------------------------------------------------

ARRAY_CASES = [c for c in CASES if rule_checks.has_array_wrt(c)]


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
    if all(isinstance(c.args[i], np.ndarray) for i in c.wrt):
        rule_checks.check_jvp_float32(c)
        return
    # A differentiated Python float is a float64 input, and SciPy's ufuncs then compute in
    # float64 (NumPy's keep float32): the tangent is compared, not its dtype.
    args32 = tuple(rule_checks._f32(a) for a in c.args)
    tangents = rule_checks.direction(c, seed=3, dtype=np.float32)
    _, tangent = tangent_lite.jvp(c.f, args32, tangents)
    np.testing.assert_allclose(np.asarray(tangent, float),
                               rule_checks.along(c.f, c.args, tangents), rtol=2e-3, atol=2e-4)


@pytest.mark.parametrize("c", CASES, ids=_id)
def test_hvp_matches_finite_differences_of_gradients(c):
    rule_checks.check_hvp(c)


# ---- refused: what the rules do not cover -------------------------------------------------------

def lse_sign(x): return logsumexp(x, return_sign=True)[0]


@needs_scipy
def test_return_sign_is_refused_naming_the_line():
    with pytest.raises(tangent_lite.MissingRuleError, match="return_sign") as info:
        tangent_lite.grad(lse_sign)(np.array([0.5, 1.5]))
    assert f"{__file__}:" in str(info.value) and "logsumexp" in str(info.value)


def test_scipy_rules_load_only_with_scipy(tmp_path):
    """With SciPy hidden, tangent_lite imports, has no scipy.special rules and still works."""
    (tmp_path / "scipy").mkdir()
    (tmp_path / "scipy" / "__init__.py").write_text("raise ImportError('SciPy is hidden')\n")
    script = (
        "import math, sys, tangent_lite\n"
        "from tangent_lite.rules.registry import all_primitives\n"
        "assert 'tangent_lite.rules.special' not in sys.modules\n"
        "assert not [p for p in all_primitives() if p.name.startswith('scipy')]\n"
        "import tangent_lite.runtime\n"
    )
    env_path = [str(tmp_path)] + sys.path
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env={"PYTHONPATH": ":".join(env_path), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr


# ---- no gradient: counts of integers ------------------------------------------------------------

def nd_factorial(x): return x * scipy.special.factorial(3)
def nd_comb(x): return x * sp.comb(5, 2)
def nd_perm(x): return x * scipy.special.perm(5, 2)


NONDIFF = [] if scipy is None else [
    (sp.factorial, nd_factorial, 6.0), (sp.comb, nd_comb, 10.0), (sp.perm, nd_perm, 20.0)]


@needs_scipy
def test_every_zero_gradient_function_of_special_has_a_case():
    assert set(special_rules.NONDIFFERENTIABLE) <= {prim for prim, _, _ in NONDIFF}


@pytest.mark.parametrize("prim, f, expected", NONDIFF, ids=[f.__name__ for _, f, _ in NONDIFF])
def test_nondifferentiable_contributes_exactly_zero(prim, f, expected):
    assert prim in rule_checks.primitives_called(f, globals())
    x = np.array([0.5, -1.5])
    np.testing.assert_array_equal(tangent_lite.grad(f)(x), expected)
    np.testing.assert_array_equal(tangent_lite.jvp(f, (x,), (np.ones(2),))[1], expected)
