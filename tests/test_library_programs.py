"""Small realistic programs written with Python's math module and scipy.special, in the styles
people write them (`import math`, `from math import ...`, `from scipy.special import logsumexp`,
`import scipy.special as sp`, `scipy.special.logsumexp`), against central finite differences
in float64, in reverse and forward mode, with a second derivative where it is cheap.
"""
import math
from math import atan2, cos, exp, hypot, log, sin, sqrt

import numpy as np
import pytest

import tangent_lite
from helpers import check_grad, numeric_grad

try:
    import scipy.special
    import scipy.special as sp
    from scipy.special import expit, logsumexp, xlogy
except ImportError:
    scipy = sp = expit = logsumexp = xlogy = None

needs_scipy = pytest.mark.skipif(scipy is None, reason="SciPy is not installed")
rng = np.random.default_rng(7)


# ---- scalar physics with math on floats ---------------------------------------------------------

def pendulum_energy(theta0, omega0):
    """A pendulum stepped with semi-implicit Euler; the energy at the end (import math)."""
    g, length, dt = 9.81, 1.2, 0.01
    theta, omega = theta0, omega0
    for _ in range(50):
        omega = omega - dt * g / length * math.sin(theta)
        theta = theta + dt * omega
    return 0.5 * (length * omega) ** 2 + g * length * (1.0 - math.cos(theta))


def projectile_range(speed, angle, drag):
    """Range of a projectile with a drag correction (from math import ...)."""
    g = 9.81
    flight = 2.0 * speed * sin(angle) / g
    reach = speed * cos(angle) * flight
    return reach * exp(-drag * flight) + log(1.0 + speed) * sqrt(drag)


def orbit_angle(x, y, vx, vy):
    """Angle swept and the radius of a point moving in the plane, with atan2 and hypot."""
    total = 0.0
    for k in range(4):
        t = 0.1 * k
        px = x + vx * t
        py = y + vy * t
        total = total + atan2(py, px) * hypot(px, py)
    return total + math.log(x * x + y * y, 10)


def damped(a, b):
    """A smooth scalar with tanh, erf, lgamma, pow and fabs in a branch."""
    s = math.tanh(a) + math.erf(b) * math.lgamma(2.0 + a * a)
    if s > 0.0:
        s = s + math.pow(math.fabs(b) + 1.0, a)
    else:
        s = s - math.expm1(b)
    return s * math.sqrt(1.0 + a * a)


PHYSICS = [(pendulum_energy, (0.6, -0.3)), (projectile_range, (12.0, 0.7, 0.05)),
           (orbit_angle, (1.0, 0.5, -0.2, 0.4)), (damped, (0.3, -0.7)), (damped, (-0.9, 0.4))]


@pytest.mark.parametrize("f, args", PHYSICS, ids=lambda v: getattr(v, "__name__", ""))
def test_physics_on_floats(f, args):
    wrt = tuple(range(len(args)))
    grads = check_grad(f, *args, wrt=wrt, rtol=1e-6)
    assert all(type(g) is float for g in grads), [type(g) for g in grads]
    # forward mode along each axis gives the same numbers
    for i in wrt:
        tangents = tuple(1.0 if k == i else 0.0 for k in wrt)
        value, tangent = tangent_lite.jvp(f, args, tangents)
        assert value == pytest.approx(f(*args), rel=1e-14)
        assert tangent == pytest.approx(grads[i], rel=1e-9, abs=1e-12)


def test_physics_second_derivative():
    v = 1.0
    eps = 1e-5
    df = tangent_lite.grad(pendulum_energy, wrt=0)
    expected = (df(0.6 + eps, -0.3) - df(0.6 - eps, -0.3)) / (2 * eps)
    assert tangent_lite.hvp(pendulum_energy, wrt=0)(0.6, -0.3, v) == pytest.approx(
        expected, rel=1e-6)


def test_physics_code_reads_well():
    text = tangent_lite.source(pendulum_energy, wrt=(0, 1), numbers=True)
    assert "math.cos(theta)" in text and "np.cos(theta)" in text    # f's, and math.sin's slope
    assert "unbroadcast" not in text


# ---- a Gaussian mixture: the log-likelihood with logsumexp ---------------------------------------

def gmm_loglik(means, log_sigmas, logits, x):
    """Log-likelihood of 1-D points x under a mixture of Gaussians (from scipy.special import
    logsumexp)."""
    log_weights = logits - logsumexp(logits)
    sigmas = np.exp(log_sigmas)
    z = (x[:, None] - means[None, :]) / sigmas[None, :]
    log_pdf = -0.5 * z ** 2 - log_sigmas[None, :] - 0.5 * np.log(2.0 * np.pi)
    return np.sum(logsumexp(log_weights[None, :] + log_pdf, axis=1))


def gmm_loglik_sp(means, log_sigmas, logits, x):
    """The same, written with `import scipy.special as sp` and keepdims."""
    log_weights = sp.log_softmax(logits)
    var = np.exp(2.0 * log_sigmas)
    log_pdf = -0.5 * (x[:, None] - means) ** 2 / var - 0.5 * np.log(2.0 * np.pi * var)
    per_point = sp.logsumexp(log_pdf + log_weights, axis=1, keepdims=True)
    return np.mean(per_point) * x.shape[0]


def gmm_loglik_loop(means, log_sigmas, logits, x):
    """The same, point by point in a loop, with `scipy.special.logsumexp(..., b=weights)`."""
    weights = scipy.special.softmax(logits)
    total = 0.0
    for i in range(x.shape[0]):
        z = (x[i] - means) / np.exp(log_sigmas)
        terms = -0.5 * z * z - log_sigmas - 0.5 * np.log(2.0 * np.pi)
        total = total + scipy.special.logsumexp(terms, b=weights)
    return total


def _gmm_args():
    x = np.concatenate([rng.normal(-1.0, 0.5, 6), rng.normal(1.5, 0.8, 6)])
    return (np.array([-0.8, 0.3, 1.2]), np.array([-0.5, 0.1, -0.2]),
            np.array([0.2, -0.4, 0.1]), x)


@needs_scipy
@pytest.mark.parametrize("f", [gmm_loglik, gmm_loglik_sp, gmm_loglik_loop],
                         ids=lambda f: f.__name__)
def test_gaussian_mixture(f):
    args = _gmm_args()
    values = [f(*args) for f in (gmm_loglik, gmm_loglik_sp, gmm_loglik_loop)]
    np.testing.assert_allclose(values, values[0], rtol=1e-12)
    grads = check_grad(f, *args, wrt=(0, 1, 2))
    v = [rng.normal(size=3) for _ in range(3)]
    value, tangent = tangent_lite.jvp(f, args, (*v, None))
    assert tangent == pytest.approx(sum(np.dot(g, t) for g, t in zip(grads, v)), rel=1e-9)
    hv = tangent_lite.hvp(f, wrt=0)(*args, v[0])
    df = tangent_lite.grad(f, wrt=0)
    eps = 1e-5
    plus, minus = list(args), list(args)
    plus[0], minus[0] = args[0] + eps * v[0], args[0] - eps * v[0]
    np.testing.assert_allclose(hv, (df(*plus) - df(*minus)) / (2 * eps), rtol=1e-5, atol=1e-7)


# ---- logistic regression with expit and xlogy ---------------------------------------------------

def logistic_nll(w, b, X, y):
    """Cross-entropy of a logistic regression (from scipy.special import expit, xlogy)."""
    p = expit(X @ w + b)
    return -np.sum(xlogy(y, p) + xlogy(1.0 - y, 1.0 - p)) + 0.01 * np.sum(w * w)


def logistic_nll_sp(w, b, X, y):
    """The same through log_expit (stable), written with `import scipy.special as sp`."""
    z = X.dot(w) + b
    return -np.sum(y * sp.log_expit(z) + (1.0 - y) * sp.log_expit(-z)) + 0.01 * np.sum(w ** 2)


def logistic_nll_loop(w, b, X, y):
    """The same, one example at a time, with `scipy.special.xlog1py`."""
    total = 0.01 * np.sum(w * w)
    for i in range(len(y)):
        p = scipy.special.expit(np.dot(X[i], w) + b)
        total = total - scipy.special.xlogy(y[i], p) - scipy.special.xlog1py(1.0 - y[i], -p)
    return total


@needs_scipy
@pytest.mark.parametrize("f", [logistic_nll, logistic_nll_sp, logistic_nll_loop],
                         ids=lambda f: f.__name__)
def test_logistic_regression(f):
    X = rng.normal(size=(8, 3))
    y = (rng.uniform(size=8) > 0.5).astype(float)
    w, b = np.array([0.3, -0.5, 0.8]), 0.1
    values = [g(w, b, X, y) for g in (logistic_nll, logistic_nll_sp, logistic_nll_loop)]
    np.testing.assert_allclose(values, values[0], rtol=1e-10)
    gw, gb = check_grad(f, w, b, X, y, wrt=(0, 1))
    assert type(gb) is float
    _, tangent = tangent_lite.jvp(f, (w, b, X, y), (np.ones(3), 1.0, None, None))
    assert tangent == pytest.approx(np.sum(gw) + gb, rel=1e-9)
    # the Hessian of a logistic loss is X^T diag(p (1 - p)) X + 0.02 I
    p = scipy.special.expit(X @ w + b)
    hessian = X.T @ (X * (p * (1.0 - p))[:, None]) + 0.02 * np.eye(3)
    v = rng.normal(size=3)
    np.testing.assert_allclose(tangent_lite.hvp(f, wrt=0)(w, b, X, y, v), hessian @ v,
                               rtol=1e-9)


def test_logistic_gradient_against_its_formula():
    if scipy is None:
        pytest.skip("SciPy is not installed")
    X = rng.normal(size=(5, 2))
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    w = np.array([0.2, -0.1])
    p = scipy.special.expit(X @ w + 0.3)
    np.testing.assert_allclose(tangent_lite.grad(logistic_nll)(w, 0.3, X, y),
                               X.T @ (p - y) + 0.02 * w, rtol=1e-12)
    np.testing.assert_allclose(numeric_grad(logistic_nll, (w, 0.3, X, y), 0),
                               X.T @ (p - y) + 0.02 * w, rtol=1e-6)
