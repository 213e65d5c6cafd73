"""The max of a max-shifted softmax or log-softmax receives no gradient (optimize/shift.py): the
patterns as users write them, against finite differences (rows with tied maxima included), and
the near-misses where the max's gradient is not zero and its rule must stay."""
import numpy as np
import pytest

import tangent_lite
from tangent_lite import optimize

from helpers import check_grad

RNG = np.random.default_rng(3)
A = RNG.normal(size=(4, 5))
A_TIES = A.copy()
A_TIES[1, 2] = A_TIES[1, 4] = A_TIES[1].max() + 0.5     # two equal maxima in a row
Y = np.eye(5)[[0, 3, 1, 4]]


def log_softmax_loss(a, y):
    z = a - np.max(a, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp) / a.shape[0]


def log_softmax_method(a, y):
    z = a - a.max(axis=-1, keepdims=True)
    return -np.mean(np.sum(y * (z - np.log(np.exp(z).sum(axis=-1, keepdims=True))), axis=1))


def softmax_loss(a, y):
    m = np.max(a, axis=0, keepdims=True)
    e = np.exp(a - m)
    p = e / np.sum(e, axis=0, keepdims=True)
    return np.sum(p * y.T[:, :4].T) + np.sum(np.tanh(p))


def softmax_in_a_loop(W, xs):
    h = np.zeros(W.shape[1])
    for t in range(xs.shape[0]):
        s = np.dot(xs[t], W) + h
        e = np.exp(s - np.max(s, axis=0, keepdims=True))
        h = e / np.sum(e, axis=0, keepdims=True)
    return np.sum(h * h)


@pytest.mark.parametrize("f, args", [
    (log_softmax_loss, (A, Y)), (log_softmax_loss, (A_TIES, Y)),
    (log_softmax_method, (A, Y)), (log_softmax_method, (A_TIES, Y)),
    (softmax_loss, (A, Y)), (softmax_loss, (A_TIES, Y)),
    (softmax_in_a_loop, (RNG.normal(size=(3, 4)), RNG.normal(size=(5, 3)))),
])
def test_shifted_softmax_without_the_max_gradient(f, args):
    check_grad(f, *args, wrt=0)
    code = tangent_lite.source(f, wrt=0)
    assert "extremum_mask" not in code, code
    with optimize.disabled("shift"):
        assert "extremum_mask" in tangent_lite.source(f, wrt=0)
        expected = tangent_lite.grad(f, wrt=0)(*args)
    np.testing.assert_allclose(tangent_lite.grad(f, wrt=0)(*args), expected, rtol=1e-9,
                               atol=1e-12)


# ---- near-misses: the max's gradient is not zero (or not provably), its rule stays ------------

def shift_alone(a, y):
    return np.sum((a - np.max(a, axis=1, keepdims=True)) * y)


def shift_used_again(a, y):
    z = a - np.max(a, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp) + np.sum(z * z)


def max_used_again(a, y):
    m = np.max(a, axis=1, keepdims=True)
    z = a - m
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp) + np.sum(m)


def other_axis(a, y):
    z = a - np.max(a, axis=0, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp)


def global_max(a, y):
    z = a - np.max(a)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp)


def exp_used_again(a, y):
    m = np.max(a, axis=1, keepdims=True)
    e = np.exp(a - m)
    p = e / np.sum(e, axis=1, keepdims=True)
    return np.sum(p * y) + np.sum(e)


def rank_changes(a, y):
    m = np.max(a, axis=0, keepdims=True)     # a row: varies along axis 1 ...
    a = a[None, :, :] * np.ones((2, 1, 1))
    z = a - m                                # ... which is z's axis 2, not the summed axis 0
    logp = z - np.log(np.sum(np.exp(z), axis=0, keepdims=True))
    return -np.sum(logp[0] * y)


@pytest.mark.parametrize("f", [rank_changes, shift_alone, shift_used_again, max_used_again, other_axis,
                               global_max, exp_used_again], ids=lambda f: f.__name__)
def test_near_misses_keep_the_max_rule(f):
    check_grad(f, A, Y, wrt=0)
    assert "extremum_mask" in tangent_lite.source(f, wrt=0)
