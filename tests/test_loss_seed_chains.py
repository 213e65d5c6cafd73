"""The loss seed through a scaling by numbers (optimize/seed.py) and the sizes the shape analysis
knows are numbers (analysis/shapes.py): losses written `np.sum(d * d) / d.size`,
`-np.sum(...) / X.shape[0]`, `0.5 * np.sum(r ** 2)`, `np.sum(v) / len(x)` are differentiated
without computing the loss, and the near-misses (a scaling by an array, by a differentiated
value, a sum read twice, a loss assigned in a branch, value_and_grad) keep the loss's value."""
import numpy as np
import pytest

import tangent_lite
from tangent_lite import optimize

from helpers import check_grad

RNG = np.random.default_rng(7)
X = RNG.normal(size=(6, 3))
Y = RNG.normal(size=6)
W = RNG.normal(size=3)


def mse_size(w, X, y):
    d = np.dot(X, w) - y
    return np.sum(d * d) / d.size


def mse_rows(w, X, y):
    d = X @ w - y
    return np.sum(d ** 2) / X.shape[0]


def neg_loglik(w, X, y):
    p = 1.0 / (1.0 + np.exp(-np.dot(X, w)))
    t = (y > 0) * 1.0
    return -np.sum(t * np.log(p) + (1.0 - t) * np.log(1.0 - p)) / X.shape[0]


def half_squares(w, X, y):
    r = X.dot(w) - y
    return 0.5 * np.sum(r * r)


def per_item(w, X, y):
    return np.sum(np.tanh(X @ w) * y) / len(y) * 2.0


def mean_scaled(w, X, y):
    return -np.mean(np.sin(X @ w) + y) / 3


CHAINS = [mse_size, mse_rows, neg_loglik, half_squares, per_item, mean_scaled]


@pytest.mark.parametrize("f", CHAINS, ids=lambda f: f.__name__)
def test_scaled_losses_are_seeded_without_their_value(f):
    check_grad(f, W, X, Y, wrt=0)
    code = tangent_lite.source(f, wrt=0)
    forward, backward = (_statements(part) for part in code.split("# Backward sweep"))
    assert "unit_of(" in backward and "unit_like(" not in backward, code
    assert "result =" not in forward and "np.sum(" not in forward, code
    with optimize.disabled("loss_seed"):
        expected = tangent_lite.grad(f, wrt=0)(W, X, Y)
    np.testing.assert_allclose(tangent_lite.grad(f, wrt=0)(W, X, Y), expected, rtol=1e-12)


def _statements(code):
    """The lines of generated code that are statements (no comments, no docstring)."""
    body = code.split('"""')[-1]
    return "\n".join(line for line in body.splitlines() if not line.strip().startswith("#"))


def test_a_square_summed_is_not_computed():
    code = tangent_lite.source(mse_size, wrt=0)
    assert "d * d" not in _statements(code.split("# Backward sweep")[0]), code
    assert "dresult = unit_of(d)" in code, code


def test_float32_losses_keep_float32():
    w32, X32, y32 = W.astype(np.float32), X.astype(np.float32), Y.astype(np.float32)
    for f in (mse_size, half_squares, mean_scaled):
        g = tangent_lite.grad(f, wrt=0)(w32, X32, y32)
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, tangent_lite.grad(f, wrt=0)(W, X, Y), rtol=1e-4,
                                   atol=1e-5)


# ---- near-misses ------------------------------------------------------------------------------

def scaled_by_array(w, X, y):
    return np.sum(np.sin(X @ w)) * y          # an array result: the sum of its entries


def scaled_by_weight(w, X, s):
    return np.sum(np.sin(X @ w)) / s          # s is differentiated


def read_twice(w, X, y):
    t = np.sum(np.sin(X @ w))
    return t / 2.0 + t * t


def in_a_branch(w, X, y):
    if y[0] > 0:
        out = np.sum(X @ w) / 2.0
    else:
        out = np.sum(np.cos(X @ w)) / 3.0
    return out


def test_near_misses_keep_their_value():
    check_grad(scaled_by_array, W, X, Y, wrt=0)
    assert "unit_like(result)" in tangent_lite.source(scaled_by_array, wrt=0)
    check_grad(scaled_by_weight, W, X, 1.7, wrt=(0, 2))
    check_grad(read_twice, W, X, Y, wrt=0)
    check_grad(in_a_branch, W, X, Y, wrt=0)
    check_grad(in_a_branch, W, X, -Y, wrt=0)
    for f in (read_twice, in_a_branch):
        assert "unit_like(" in tangent_lite.source(f, wrt=0)


@pytest.mark.parametrize("f", CHAINS, ids=lambda f: f.__name__)
def test_value_and_grad_still_computes_the_loss(f):
    value, g = tangent_lite.value_and_grad(f, wrt=0)(W, X, Y)
    assert value == pytest.approx(f(W, X, Y), rel=1e-12)
    np.testing.assert_allclose(g, tangent_lite.grad(f, wrt=0)(W, X, Y), rtol=1e-12)


def sizes(x, y):
    n = x.shape[0] * x.ndim + x.size + len(y)
    return np.sum(np.sin(x) * n + y / n)


def test_sizes_are_numbers_to_the_shape_analysis():
    x = RNG.normal(size=(3, 2))
    check_grad(sizes, x, RNG.normal(size=(3, 2)), wrt=(0, 1))
    code = tangent_lite.source(sizes, wrt=(0, 1))
    # n is a number: the gradients through `* n` and `/ n` need no summing down
    assert "dy = dt_div / n" in code and "dt_sin = dt_mul * n" in code, code
