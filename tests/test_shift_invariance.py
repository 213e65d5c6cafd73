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


# ---- the log-sum-exp: out = log(sum(exp(a - m))) + m is a - m's function alone ---------------

W5 = RNG.normal(size=4)
LABELS = np.array([0, 3, 1, 4])


def logsumexp_rows(v):
    mx = np.max(v, axis=1)
    return np.log(np.sum(np.exp(v - mx[:, None]), axis=1)) + mx


def lse_rows_loss(a, w):
    return np.sum(logsumexp_rows(a) * w)


def lse_keepdims(a, w):
    m = a.max(axis=-1, keepdims=True)
    out = m + np.log(np.exp(a - m).sum(axis=-1, keepdims=True))
    return np.sum(out[:, 0] * w)


def lse_all(a, w):
    m = np.max(a)
    return np.log(np.sum(np.exp(a - m))) + m + np.sum(w)


def lse_columns(a, w):
    m = np.max(a, axis=0)
    lse = np.log(np.sum(np.exp(a - m[None, :]), axis=0)) + m
    return np.dot(lse[:4], w)


def lse_ellipsis(a, w):
    m = np.max(a, axis=-1)
    return np.sum(w * (np.log(np.sum(np.exp(a - m[..., None]), axis=-1)) + m))


def cross_entropy(a, w):
    """The softmax cross-entropy as log-sum-exp minus the label's logit."""
    m = np.max(a, axis=1)
    lse = np.log(np.sum(np.exp(a - m[:, None]), axis=1)) + m
    return np.mean(lse - a[np.arange(a.shape[0]), LABELS]) * np.sum(w)


def lse_in_a_loop(W, xs):
    h = np.zeros(W.shape[1])
    total = 0.0
    for t in range(xs.shape[0]):
        s = np.tanh(np.dot(xs[t], W) + h)
        m = np.max(s)
        lse = np.log(np.sum(np.exp(s - m))) + m
        total = total + lse
        h = s
    return total


class Mixture:
    """A method calling a helper, the way a model class is written."""

    def __init__(self, w):
        self.w = w

    def loss(self, a):
        return np.sum(logsumexp_rows(a) * self.w)


@pytest.mark.parametrize("f, args", [
    (lse_rows_loss, (A, W5)), (lse_rows_loss, (A_TIES, W5)),
    (lse_keepdims, (A, W5)), (lse_keepdims, (A_TIES, W5)),
    (lse_all, (A, W5)), (lse_all, (A_TIES, W5)),
    (lse_columns, (A.T @ A, W5)), (lse_ellipsis, (A_TIES, W5)),
    (cross_entropy, (A, W5)), (cross_entropy, (A_TIES, W5)),
    (lse_in_a_loop, (RNG.normal(size=(3, 4)), RNG.normal(size=(5, 3)))),
    (Mixture(W5).loss, (A_TIES,)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_log_sum_exp_without_the_max_gradient(f, args):
    check_grad(f, *args, wrt=0)
    expected = tangent_lite.grad(f, wrt=0)(*args)
    with optimize.disabled("shift"):
        unshifted = tangent_lite.grad(f, wrt=0)(*args)
    np.testing.assert_allclose(expected, unshifted, rtol=1e-9, atol=1e-12)
    # no max rule in f's gradient, nor in the helper's (vjp_logsumexp_rows) it calls
    grad_f = tangent_lite.grad(f, wrt=0)
    code = tangent_lite.source(f, wrt=0)
    assert "extremum_mask" not in code, code
    if "vjp_logsumexp_rows" in code:
        assert "extremum_mask" not in tangent_lite.source(logsumexp_rows, wrt=0)
    assert grad_f is not None


def lse_max_used_again(a, w):
    m = np.max(a, axis=1)
    lse = np.log(np.sum(np.exp(a - m[:, None]), axis=1)) + m
    return np.sum(lse * w) + np.sum(m * m)


def lse_minus_max(a, w):
    m = np.max(a, axis=1, keepdims=True)
    return np.sum((np.log(np.sum(np.exp(a - m), axis=1, keepdims=True)) - m)[:, 0] * w)


def lse_wrong_axis_back(a, w):
    m = np.max(a, axis=0)                       # a column's max ...
    lse = np.log(np.sum(np.exp(a - m[:, None]), axis=0)) + m   # ... put back as a row's
    return np.sum(lse[:4] * w)


def lse_other_sum_axis(a, w):
    m = np.max(a, axis=1, keepdims=True)
    return np.sum((np.log(np.sum(np.exp(a - m), axis=0, keepdims=True)) + m[:1]) * w[0])


def lse_twice_the_max(a, w):
    m = np.max(a)
    return np.log(np.sum(np.exp(a - m))) + 2 * m + np.sum(w)


def lse_shifted_by_another(a, w):
    m = np.max(a, axis=1)
    b = a * 1.5
    return np.sum(w * (np.log(np.sum(np.exp(b - m[:, None]), axis=1)) + m))


@pytest.mark.parametrize("f", [lse_max_used_again, lse_minus_max, lse_wrong_axis_back,
                               lse_other_sum_axis, lse_twice_the_max, lse_shifted_by_another],
                         ids=lambda f: f.__name__)
def test_log_sum_exp_near_misses_keep_the_max_rule(f):
    a = A.T @ A if f is lse_wrong_axis_back else A_TIES
    check_grad(f, a, W5, wrt=0)
    assert "extremum_mask" in tangent_lite.source(f, wrt=0)
