"""Small callees that reduce with constant axes, or add axes to a view, inlined where they are
called (frontend/small_callees.py): a row-wise log-sum-exp as the GMM writes it, a softmax with
keepdims, a column mean, a full sum. Against central finite differences in float64 and against
the gradient with the pass off, the forward value bit for bit, no vjp left; near misses that
keep their vjp (an axis the caller passes, a slice that is not a whole axis)."""
import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite import optimize

from helpers import check_grad

RNG = np.random.default_rng(2718)


def logsumexp_rows(v):
    mx = np.max(v, axis=1)
    return np.log(np.sum(np.exp(v - mx[:, None]), axis=1)) + mx


def softmax(z):
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def centred(x):
    return x - np.mean(x, axis=0)


def energy(v):
    return np.sum(v * v)


def reduce_along(v, axis):
    return np.sum(np.exp(v), axis=axis)


def first_rows(v):
    return np.sum(v[:2], axis=0)


def mixture(beta, w):
    return np.sum(logsumexp_rows(beta * w)) - np.sum(beta)


def cross_entropy(W, x, onehot):
    p = softmax(x @ W)
    return -np.sum(onehot * np.log(p)) / x.shape[0]


def centred_loss(W, x):
    h = centred(np.dot(x, W))
    return np.sum(np.tanh(h)) + energy(W)


def along_loss(w, x):
    return np.sum(reduce_along(x * w, 1))


def rows_loss(w, x):
    return np.sum(first_rows(x * w) ** 2)


ONEHOT = np.eye(3)[RNG.integers(0, 3, 6)]
PROGRAMS = [
    (mixture, (RNG.normal(size=(6, 4)), RNG.normal(size=4))),
    (cross_entropy, (RNG.normal(size=(5, 3)), RNG.normal(size=(6, 5)), ONEHOT)),
    (centred_loss, (RNG.normal(size=(4, 3)), RNG.normal(size=(6, 4)))),
    (along_loss, (RNG.normal(size=4), RNG.normal(size=(3, 4)))),
    (rows_loss, (RNG.normal(size=4), RNG.normal(size=(5, 4)))),
]


@pytest.mark.parametrize("f, args", PROGRAMS, ids=lambda v: getattr(v, "__name__", ""))
def test_against_finite_differences_and_with_the_pass_off(f, args):
    got = check_grad(f, *args, wrt=0)
    with optimize.disabled("small_callees"):
        plain = tl.grad(f, wrt=0)(*args)
    np.testing.assert_allclose(got, plain, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("f, args", PROGRAMS, ids=lambda v: getattr(v, "__name__", ""))
def test_the_value_is_the_programs_bit_for_bit(f, args):
    value, _ = tl.value_and_grad(f, wrt=0)(*args)
    assert value == f(*args)


@pytest.mark.parametrize("f", [mixture, cross_entropy, centred_loss], ids=lambda f: f.__name__)
def test_inlined_no_vjp_left(f):
    args = dict(PROGRAMS)[f]
    tl.grad(f, wrt=0)(*args)
    assert "vjp_" not in tl.source(f, wrt=0)


@pytest.mark.parametrize("f, callee", [(along_loss, "reduce_along"), (rows_loss, "first_rows")])
def test_near_misses_keep_their_vjp(f, callee):
    assert f"vjp_{callee}" in tl.source(f, wrt=0)
