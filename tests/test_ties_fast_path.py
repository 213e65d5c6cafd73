"""`ties(a, b)` (the share of np.maximum's gradient `a` receives) takes a fast path for a float
array and a number or an array of its dtype, adding the halves only where there is a tie: the
shares must be the very numbers, in the very dtype, of `(a > b) + 0.5 * (a == b)` cast to the
result's float dtype, with and without ties, NaN and signed zeros; a ReLU's gradient at a tie
is still one half, against central differences away from it."""
import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite.runtime import ties

from helpers import numeric_grad


def reference(a, b):
    dtype = np.result_type(a, b)
    return ((a > b) + 0.5 * (a == b)).astype(dtype if dtype.kind == "f" else np.float64)


CASES = [
    (np.array([1.0, -2.0, 3.0]), 0.0),                         # no tie
    (np.array([1.0, 0.0, -1.0, np.nan, -0.0]), 0.0),           # ties, NaN, -0.0
    (np.array([[1.0, 2.0], [3.0, 2.0]], np.float32), 2),       # float32, an int
    (np.array([0.5, 1.5], np.float32), 1.5),                   # float32, a Python float
    (np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 3.0]])),   # broadcast, a tie
    (np.array([1.0, 2.0]), np.array([1.0, 3.0], np.float32)),  # another dtype: the old path
    (np.array([1, 2, 3]), 2),                                   # ints: the old path
    (2.0, np.array([1.0, 2.0, 3.0])),                           # a number first
]


@pytest.mark.parametrize("a, b", CASES)
def test_shares_are_those_of_the_formula(a, b):
    got, want = ties(a, b), reference(a, b)
    assert type(got) is type(want) and got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    assert np.array_equal(np.signbit(got), np.signbit(want))


def relu_loss(W, x):
    return np.sum(np.maximum(x @ W, 0.0) ** 2 + np.maximum(x @ W, 0.0))


def test_relu_gradient_with_and_without_ties():
    rng = np.random.default_rng(3)
    W, x = rng.normal(size=(3, 4)), rng.normal(size=(5, 3))
    got = tl.grad(relu_loss, wrt=0)(W, x)
    np.testing.assert_allclose(got, numeric_grad(relu_loss, [W, x], 0), rtol=1e-6, atol=1e-8)
    x[0] = 0.0                       # row 0 of x @ W is exactly 0: ties at every entry
    got = tl.grad(relu_loss, wrt=0)(W, x)
    share = 0.5 * np.ones((5, 4))
    share[1:] = (x @ W)[1:] > 0
    want = x.T @ ((2 * np.maximum(x @ W, 0.0) + 1.0) * share)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    got32 = tl.grad(relu_loss, wrt=0)(W.astype(np.float32), x.astype(np.float32))
    assert got32.dtype == np.float32
