"""Negations that cancel in the backward sweep (optimize/algebra/negations.py): the sigmoid's
`-dp * p / t_add` negated again, a subtrahend's negated gradient divided and negated. The
rewrite is exact, so the gradients equal, to the bit, those with the pass off; and they equal
central finite differences in float64, keep float32, and a chain whose link is read twice, or
whose operand is rebound or written in place between, is left as it is."""
import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite import optimize

from helpers import numeric_grad

rng = np.random.default_rng(41)


def sigmoid_loss(w, X, y):
    p = 1.0 / (1.0 + np.exp(-np.dot(X, w)))
    return np.sum(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)) / -len(y)


def sigmoid_mean(w, X, y):
    p = 1 / (1 + np.exp(-(X @ w)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def negated_quotient(a, b):
    return np.sum(np.tanh(-(a / (1.0 - b)) * b))


def read_twice(a, b):
    t = -a * b
    u = t * 2.0
    return np.sum(-u + t * t)


def rebound_between(a, b):
    total = 0.0
    for k in range(2):
        c = -(a * b) / (1.0 + k)
        total = total + np.sum(-c * a)
    return total


class Logistic:
    def __init__(self, l2):
        self.l2 = l2

    def loss(self, w, X, y):
        p = 1.0 / (1.0 + np.exp(-(X @ w)))
        return -np.sum(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)) / X.shape[0]


def _args(f, dtype=np.float64):
    if f in (negated_quotient, read_twice, rebound_between):
        return [rng.normal(size=(3, 4)).astype(dtype),
                rng.uniform(0.1, 0.5, size=(3, 4)).astype(dtype)]
    return [rng.normal(size=3).astype(dtype), rng.normal(size=(8, 3)).astype(dtype),
            (rng.uniform(size=8) > 0.5).astype(dtype)]


FUNCS = [sigmoid_loss, sigmoid_mean, negated_quotient, read_twice, rebound_between,
         Logistic(0.1).loss]


@pytest.mark.parametrize("f", FUNCS, ids=lambda f: f.__qualname__)
def test_gradients_equal_the_pass_off_to_the_bit_and_finite_differences(f):
    args = _args(f)
    got = tl.grad(f, wrt=0)(*args)
    with optimize.disabled("algebra"):
        off = tl.grad(f, wrt=0)(*args)
    np.testing.assert_array_equal(got, off)
    np.testing.assert_allclose(got, numeric_grad(f, args, 0), rtol=1e-5, atol=1e-7)
    g32 = tl.grad(f, wrt=0)(*_args(f, np.float32))
    assert g32.dtype == np.float32


def test_the_sigmoid_chain_negates_nothing():
    args = _args(sigmoid_mean)
    code = tl.source(sigmoid_mean, 0, specialised_for=args).split("Backward sweep")[-1]
    lines = [ln.strip() for ln in code.split("\n") if ln.strip() and not ln.strip().startswith("#")]
    assert any(ln.endswith("= dp * p / t_add * t_exp") for ln in lines), lines
    # one negation left: of the number dresult (np.mean's minus)
    assert [ln for ln in lines if " = -" in ln] == ["dt_mean = -dresult"], lines


def test_a_link_read_twice_stays():
    code = tl.source(read_twice, 0).split("Backward sweep")[-1]
    assert "-a" in code or "-" in code      # t's negation is t's own value: kept
    args = _args(read_twice)
    np.testing.assert_allclose(tl.grad(read_twice, wrt=0)(*args),
                               numeric_grad(read_twice, args, 0), rtol=1e-5, atol=1e-7)
