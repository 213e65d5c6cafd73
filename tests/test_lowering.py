"""Helper calls of a specialised df written as plain NumPy (optimize/lower.py): the products'
gradients (`np.dot(g, W.T)`), a small `unreduce` as `np.full`, `reduced_count` as an int. The
gradients equal central finite differences in float64 and the generic df's, float32 arguments
give float32 gradients, and a call of other shapes, dtypes or types runs the generic df."""
import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite import optimize

from helpers import numeric_grad

rng = np.random.default_rng(7)


# ---- programs in several styles: np.dot and @, matrices and vectors, sums and means -----------

def dense_dot(W, b, x, y):
    d = np.tanh(np.dot(x, W) + b) - y
    return np.sum(d * d) / d.size


def dense_at(W, b, x, y):
    return np.mean((np.tanh(x @ W + b) - y) ** 2)


def vector_weights_dot(w, b, X, y):
    p = 1.0 / (1.0 + np.exp(-(np.dot(X, w) + b)))
    return -np.sum(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)) / X.shape[0]


def vector_weights_at(w, b, X, y):
    z = X @ w + b
    return np.mean(np.logaddexp(0.0, z) - y * z)


def vector_input_dot(W, b, v, y):
    return np.sum((np.tanh(np.dot(v, W) + b) - y) ** 2)


def vector_input_at(W, b, v, y):
    return np.sum((np.tanh(v @ W + b) - y) ** 2)


def row_norm(g, b, x):
    mu = np.mean(x, axis=1, keepdims=True)
    xc = x - mu
    var = np.mean(xc * xc, axis=1, keepdims=True)
    out = g * (xc / np.sqrt(var + 1e-5)) + b
    return np.sum(out * out) / x.shape[0]


def softmax_rows(W, b, x, onehot):
    z = np.dot(x, W) + b
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(onehot * logp) / x.shape[0]


def _dense(dtype=np.float64):
    return [rng.normal(size=(4, 3)).astype(dtype), rng.normal(size=3).astype(dtype),
            rng.normal(size=(6, 4)).astype(dtype), rng.normal(size=(6, 3)).astype(dtype)]


def _vector_weights(dtype=np.float64):
    return [rng.normal(size=4).astype(dtype), 0.2, rng.normal(size=(9, 4)).astype(dtype),
            (rng.uniform(size=9) > 0.5).astype(dtype)]


def _vector_input(dtype=np.float64):
    return [rng.normal(size=(4, 3)).astype(dtype), rng.normal(size=3).astype(dtype),
            rng.normal(size=4).astype(dtype), rng.normal(size=3).astype(dtype)]


def _row_norm(dtype=np.float64):
    return [(1.0 + 0.1 * rng.normal(size=5)).astype(dtype), rng.normal(size=5).astype(dtype),
            rng.normal(size=(4, 5)).astype(dtype)]


def _softmax(dtype=np.float64):
    return [rng.normal(size=(3, 4)).astype(dtype), rng.normal(size=4).astype(dtype),
            rng.normal(size=(5, 3)).astype(dtype), np.eye(4, dtype=dtype)[[0, 2, 1, 3, 2]]]


# (f, wrt, arguments, what the variant's code must call instead of a helper)
CASES = [
    (dense_dot, (0, 1), _dense, "np.dot(x.T, "),
    (dense_at, (0, 1), _dense, "x.T @ "),
    (vector_weights_dot, (0, 1), _vector_weights, "np.dot(dt_add, X)"),
    (vector_weights_at, (0, 1), _vector_weights, " @ X"),
    (vector_input_dot, (0, 1), _vector_input, "np.multiply.outer(v, "),
    (vector_input_at, (0, 1), _vector_input, "np.multiply.outer(v, "),
    (row_norm, (0, 1, 2), _row_norm, "np.full((4, 5), "),
    (softmax_rows, (0, 1), _softmax, "np.dot(x.T, "),
]
IDS = [c[0].__name__ for c in CASES]


def _generic(f, wrt, args):
    with optimize.disabled("specialise"):
        return tl.grad(f, wrt=wrt)(*args)


@pytest.mark.parametrize("f, wrt, make, written", CASES, ids=IDS)
def test_lowered_variant_equals_finite_differences(f, wrt, make, written):
    args = make()
    df = tl.grad(f, wrt=wrt)
    got = df(*args)
    with optimize.disabled("dtypes"):   # which may fold the lowered spread further
        source = tl.source(f, wrt, specialised_for=args)
    assert written in source
    for helper in ("dot_lhs(", "dot_rhs(", "matmul_lhs(", "matmul_rhs(", "reduced_count("):
        assert helper not in source.split("_specialised(")[1], helper
    for i, g, e in zip(wrt, got, _generic(f, wrt, args)):
        assert type(g) is type(e) and np.shape(g) == np.shape(args[i])
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(g, numeric_grad(f, args, i), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("f, wrt, make, written", CASES, ids=IDS)
def test_float32_arguments_get_float32_gradients(f, wrt, make, written):
    args = make(np.float32)
    df = tl.grad(f, wrt=wrt)
    got = df(*args)
    with optimize.disabled("dtypes"):
        assert written in tl.source(f, wrt, specialised_for=args)
    for i, g, e in zip(wrt, got, _generic(f, wrt, args)):
        # as NumPy computes it: the generic df's type and dtype, float32 for float32 arrays
        assert type(g) is type(e) and getattr(g, "dtype", None) == getattr(e, "dtype", None)
        if isinstance(args[i], np.ndarray):
            assert g.dtype == np.float32
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
        wide = [a.astype(np.float64) if isinstance(a, np.ndarray) else a for a in args]
        np.testing.assert_allclose(g, numeric_grad(f, wide, i), rtol=2e-3, atol=2e-4)


@pytest.mark.parametrize("change", ["shape", "dtype", "batch"])
@pytest.mark.parametrize("f, wrt, make, written", CASES[:4], ids=IDS[:4])
def test_a_call_the_guard_does_not_fit_is_still_right(f, wrt, make, written, change):
    df = tl.grad(f, wrt=wrt)
    first = make()
    df(*first)
    args = make()
    if change == "shape":      # another number of features: other shapes, same ranks
        args[0] = np.concatenate([args[0], args[0][:1]]) if args[0].ndim == 1 else \
            np.concatenate([args[0], args[0][:1]], axis=0)
        args[2] = np.concatenate([args[2], args[2][..., :1]], axis=-1)
    elif change == "dtype":
        args[2] = args[2].astype(np.float32)
    else:                      # another batch: the variant generalises (the batch a symbol)
        args[2], args[3] = args[2][:-2], args[3][:-2]
    got = df(*args)
    for i, g, e in zip(wrt, got, _generic(f, wrt, args)):
        assert type(g) is type(e) and getattr(g, "dtype", None) == getattr(e, "dtype", None)
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)
        if change != "dtype":
            np.testing.assert_allclose(g, numeric_grad(f, args, i), rtol=1e-5, atol=1e-7)


def test_switching_the_pass_off_keeps_the_helpers():
    args = _dense()
    with optimize.disabled("lower"):
        source = tl.source(dense_dot, (0, 1), specialised_for=args)
        got = tl.grad(dense_dot, wrt=(0, 1))(*args)
    assert "dot_rhs(" in source
    for g, e in zip(got, tl.grad(dense_dot, wrt=(0, 1))(*args)):
        np.testing.assert_allclose(g, e, rtol=1e-12)


def test_a_large_unreduce_stays_a_broadcast_view():
    # 300 x 300 elements: unreduce returns a read-only view there, which np.full would not
    args = [1.0 + 0.1 * rng.normal(size=300), rng.normal(size=300), rng.normal(size=(300, 300))]
    source = tl.source(row_norm, (0, 1, 2), specialised_for=args)
    assert "np.full((300, 300)" not in source
    got = tl.grad(row_norm, wrt=(0, 1, 2))(*args)
    for g, e in zip(got, _generic(row_norm, (0, 1, 2), args)):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)
