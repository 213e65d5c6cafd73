"""Fused reduction gradients (optimize/fused.py, runtime sum_product / sum_quotient), the squares
fold of a keepdims reduction, and basic-index unindex / add_at: each rewrite against central
finite differences, written the way users write these programs, and the near-misses the
rewrites must leave to the unfused expression (broadcasting factors, integer and complex values,
a factor that is the operand itself, strided views)."""
import numpy as np
import pytest

import tangent_lite
from tangent_lite import optimize
from tangent_lite.runtime import add_at, sum_product, sum_quotient, unbroadcast, unindex

from helpers import check_grad

RNG = np.random.default_rng(14)


# ---- programs the pass rewrites ---------------------------------------------------------------

def conv_taps(w, x):
    K = w.shape[0]
    L = x.shape[1] - K + 1
    out = np.zeros((x.shape[0], L))
    for k in range(K):
        out = out + w[k] * x[:, k:k + L]
    return np.sum(out ** 2) / out.size


def conv_taps_inplace(w, x):
    out = 0.0
    for k, wk in enumerate(w):
        out += wk * x[:, k:k + x.shape[1] - len(w) + 1]
    return np.mean(out * out)


def layer_norm(gamma, beta, x):
    mu = x.mean(axis=1, keepdims=True)
    xc = x - mu
    var = np.mean(xc * xc, axis=1, keepdims=True)
    xhat = xc / np.sqrt(var + 1e-5)
    d = gamma * xhat + beta - 1.0
    return np.sum(d * d) / x.shape[0]


def row_scale(s, x):
    # s has one entry per column: its gradient sums over the rows
    y = x * s
    return np.sum(np.tanh(y))


def row_norm(x):
    n = np.sqrt(np.sum(x * x, axis=1, keepdims=True))
    return np.sum(np.sin(x / n))


def scalar_weight(a, x):
    return np.sum(np.cos(a * x))


BIG = (64, 130)       # above the helper's size threshold: the einsum paths
PROGRAMS = [
    (conv_taps, ("w", "x"), (RNG.normal(size=5), RNG.normal(size=(4, 20)))),
    (conv_taps, ("w", "x"), (RNG.normal(size=3), RNG.normal(size=(8, 700)))),
    (conv_taps_inplace, ("w", "x"), (RNG.normal(size=4), RNG.normal(size=(3, 9)))),
    (layer_norm, ("gamma", "beta", "x"),
     (RNG.normal(size=6), RNG.normal(size=6), RNG.normal(size=(5, 6)))),
    (layer_norm, ("gamma", "beta", "x"),
     (RNG.normal(size=BIG[1]), RNG.normal(size=BIG[1]), RNG.normal(size=BIG))),
    (row_scale, ("s", "x"), (RNG.normal(size=7), RNG.normal(size=(3, 7)))),
    (row_scale, ("s", "x"), (RNG.normal(size=BIG[1]), RNG.normal(size=BIG))),
    (row_norm, ("x",), (RNG.normal(size=(4, 5)),)),
    (row_norm, ("x",), (RNG.normal(size=BIG),)),
    (scalar_weight, ("a", "x"), (0.7, RNG.normal(size=(6, 5)))),
    (scalar_weight, ("a", "x"), (np.float64(0.7), RNG.normal(size=BIG))),
]


@pytest.mark.parametrize("f, wrt, args", PROGRAMS,
                         ids=[f"{p[0].__name__}-{np.shape(p[2][-1])}" for p in PROGRAMS])
def test_fused_gradients_match_finite_differences(f, wrt, args):
    # a sum over thousands of elements has a finite difference good to ~1e-6 absolute
    big = max(np.size(a) for a in args) > 4096
    got = check_grad(f, *args, wrt=wrt, rtol=1e-5, atol=2e-6 if big else 1e-8)
    with optimize.disabled("fused"):
        unfused = tangent_lite.grad(f, wrt=wrt)(*args)
    for g, u, a in zip(got, unfused, args):
        assert type(g) is type(u) and np.shape(g) == np.shape(a)
        np.testing.assert_allclose(g, u, rtol=1e-12, atol=1e-14)


def test_a_quotient_is_summed_then_divided_once():
    # sum_quotient divides the sum by x (constant along the summed axes) at every size; the
    # specialised variant writes the same: one (rows, 1) division, not one per element
    for rows in (4, 700):
        x = RNG.normal(size=(rows, 6))
        args = (1.0 + 0.1 * RNG.normal(size=6), 0.1 * RNG.normal(size=6), x)
        code = tangent_lite.source(layer_norm, wrt=(0, 1, 2), specialised_for=args)
        if rows == 4:
            assert "(dxhat * xhat).sum(axis=1, keepdims=True) / t_sqrt" in code
        else:
            assert "sum_quotient(dxhat, xhat, t_sqrt)" in code
        check_grad(layer_norm, *args, wrt=(0, 1, 2), rtol=1e-5, atol=2e-6)
        got = tangent_lite.grad(layer_norm, wrt=(0, 1, 2))(*[a.astype(np.float32) for a in args])
        assert all(g.dtype == np.float32 for g in got)
    a, b = RNG.normal(size=(3, 5)), RNG.normal(size=(3, 5))
    s = RNG.uniform(1.0, 2.0, size=(3, 1))
    np.testing.assert_array_equal(sum_quotient(a, b, s),
                                  unbroadcast(a * b, s) / s)   # the small shapes' sum


def test_the_generated_code_reads_as_one_sum():
    code = tangent_lite.source(conv_taps, wrt=("w", "x"))
    assert "sum_product(dt_mul, t_item2, t_item)" in code
    code = tangent_lite.source(layer_norm, wrt=("gamma", "beta", "x"))
    assert "dgamma = sum_product(" in code and "= -sum_quotient(dxhat, xhat, t_sqrt)" in code
    # the variance's spread is folded into its doubled product (squares.py)
    assert "unreduce(dt_add" not in code and "2.0 * (dt_add / reduced_count(" in code
    with optimize.disabled("fused"):
        code = tangent_lite.source(conv_taps, wrt=("w", "x"))
    assert "sum_product" not in code and "unbroadcast(dt_mul * t_item2, t_item)" in code


def test_float32_stays_float32():
    w, x = RNG.normal(size=3).astype(np.float32), RNG.normal(size=(4, 9)).astype(np.float32)
    dw, dx = tangent_lite.grad(conv_taps, wrt=("w", "x"))(w, x)
    assert dw.dtype == np.float32 and dx.dtype == np.float32
    ew, ex = tangent_lite.grad(conv_taps, wrt=("w", "x"))(w.astype(float), x.astype(float))
    np.testing.assert_allclose(dw, ew, rtol=1e-4, atol=1e-5)


# ---- near-misses: the helper must give the unfused expression's value -------------------------

def broadcast_factor(s, x, c):
    # c (a column) broadcasts against x inside the product whose sum s receives
    return np.sum(np.sin(s * x * c))


def integer_factor(s, k):
    return np.sum((s * k) ** 2)


def self_product(s, x):
    y = s * s * x
    return np.sum(y * x)


def complex_factor(a, z):
    return np.sum(np.real(a * z * np.conj(z)))


@pytest.mark.parametrize("f, wrt, args", [
    (broadcast_factor, ("s", "x"), (RNG.normal(size=6), RNG.normal(size=(4, 6)),
                                    RNG.normal(size=(4, 1)))),
    (broadcast_factor, ("s", "x", "c"), (RNG.normal(size=(1, 6)), RNG.normal(size=(4, 6)),
                                         RNG.normal(size=(4, 1)))),
    (integer_factor, ("s",), (RNG.normal(size=5), np.arange(15).reshape(3, 5))),
    (self_product, ("s", "x"), (0.3, RNG.normal(size=(3, 4)))),
    (complex_factor, ("a",), (0.8, RNG.normal(size=(3, 4)) + 1j * RNG.normal(size=(3, 4)))),
])
def test_near_misses_keep_their_gradient(f, wrt, args):
    check_grad(f, *args, wrt=wrt, rtol=1e-6, atol=1e-8)


SHAPES = [  # (factor shape, target shape)
    ((4, 6), ()), ((4, 6), (6,)), ((4, 6), (1, 6)), ((4, 6), (4, 1)), ((4, 6), (4, 6)),
    ((2, 3, 4), (3, 4)), ((2, 3, 4), (1, 3, 1)), ((2, 3, 4), (4,)),
    ((80, 70), ()), ((80, 70), (70,)), ((80, 70), (80, 1)), ((3, 40, 50), (1, 1, 50)),
]


@pytest.mark.parametrize("shape, target", SHAPES)
def test_sum_product_is_the_unfused_sum(shape, target):
    a, b = RNG.normal(size=shape), RNG.normal(size=shape)
    x = RNG.uniform(1.0, 2.0, size=target)
    np.testing.assert_allclose(sum_product(a, b, x), unbroadcast(a * b, x), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(sum_quotient(a, b, x), unbroadcast(a * b / x, x),
                               rtol=1e-12, atol=1e-12)
    assert np.shape(sum_product(a, b, x)) == np.shape(x)


def test_sum_product_on_views_numbers_and_other_dtypes():
    base = RNG.normal(size=(50, 120))
    a, b = base[:, 3:103], RNG.normal(size=(50, 100))         # a strided view, > 4096 elements
    assert not a.flags.c_contiguous
    np.testing.assert_allclose(sum_product(a, b, 0.5), np.sum(a * b), rtol=1e-12)
    assert type(sum_product(a, b, 0.5)) is type(unbroadcast(a * b, 0.5))
    k = np.arange(6).reshape(2, 3)                              # integers: not fused
    assert sum_product(k, k, 1.0) == unbroadcast(k * k, 1.0)
    a32 = RNG.normal(size=(4, 5)).astype(np.float32)            # mixed dtypes: not fused
    assert sum_product(a32, np.ones((4, 5)), 1.0).dtype == np.float64
    z = RNG.normal(size=(3, 3)) + 1j                            # complex: no conjugation
    np.testing.assert_allclose(sum_product(z, z, 1.0), np.sum(z * z))
    c = RNG.normal(size=(3, 1))                                 # broadcasting factors
    np.testing.assert_allclose(sum_product(c, np.ones((3, 4)), np.ones(4)),
                               unbroadcast(c * np.ones((3, 4)), np.ones(4)))


def test_basic_index_scatter_is_numpys():
    x = np.zeros((3, 8))
    g = RNG.normal(size=(3, 2))
    for index in (np.s_[:, 2:4], (slice(None), slice(2, 4)), (np.int64(1),), 2, np.s_[..., 1]):
        piece = x[index]
        part = RNG.normal(size=piece.shape)
        expected = np.zeros_like(x)
        np.add.at(expected, index, part)
        np.testing.assert_array_equal(unindex(part, x, index), expected)
        acc = RNG.normal(size=x.shape)
        want = acc.copy()
        np.add.at(want, index, part)
        np.testing.assert_array_equal(add_at(acc, index, part), want)
    repeated = [0, 0, 2]                                        # an index array: np.add.at
    np.testing.assert_array_equal(unindex(np.ones((3, 8)), x, repeated)[0], 2 * np.ones(8))
    assert g.shape == (3, 2)


def lstm_gates(W, x):
    H = W.shape[1] // 2
    h = np.zeros((x.shape[1], H))
    for t in range(x.shape[0]):
        z = np.dot(x[t], W)
        a = np.tanh(z[:, :H])
        b = 1.0 / (1.0 + np.exp(-z[:, H:]))
        h = a * b + h * 0.5
    return np.sum(h * h) / h.shape[0]


def test_sliced_gates_in_a_loop():
    check_grad(lstm_gates, RNG.normal(size=(3, 4)), RNG.normal(size=(5, 2, 3)), wrt=0)
