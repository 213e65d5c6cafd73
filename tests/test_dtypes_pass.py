"""What a specialised variant's dtypes and int sizes prove (optimize/dtypes.py, the int values
of analysis/concrete.py): a float64 loss seeded with the number 1.0 and its unread terms not
computed, `np.full` spreads folded into their products, and a loop over the taps of a
convolution (`x[:, k:k + L]`, L computed from the shapes) specialised. Every gradient equals
central finite differences in float64 and the generic df's; float32 arguments give float32
gradients as NumPy computes them; a call of other shapes, dtypes or types runs the generic df
and is right too."""
import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite import optimize

from helpers import numeric_grad

rng = np.random.default_rng(14)


# ---- the programs, written in several styles -----------------------------------------------

def logreg_sum(w, b, X, y):
    p = 1.0 / (1.0 + np.exp(-(np.dot(X, w) + b)))
    return -np.sum(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)) / X.shape[0]


def logreg_mean(w, b, X, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def softmax_dot(W1, b1, W2, x, y):
    h = np.maximum(np.dot(x, W1) + b1, 0.0)
    z = np.dot(h, W2)
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp) / x.shape[0]


def softmax_at(W1, b1, W2, x, y):
    h = np.tanh(x @ W1 + b1)
    z = h @ W2
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(y * logp, axis=1))


def layer_norm_mean(gamma, beta, x, y):
    mu = np.mean(x, axis=1, keepdims=True)
    xc = x - mu
    var = np.mean(xc * xc, axis=1, keepdims=True)
    d = gamma * (xc / np.sqrt(var + 1e-5)) + beta - y
    return np.mean(d * d)


def layer_norm_sum(gamma, beta, x, y):
    n = x.shape[1]
    mu = np.sum(x, axis=1, keepdims=True) / n
    xc = x - mu
    var = np.sum(xc ** 2, axis=1, keepdims=True) / n
    d = gamma * xc / np.sqrt(var + 1e-5) + beta - y
    return np.sum(d * d) / x.shape[0]


def conv_taps(w, x, y):
    K = w.shape[0]
    L = x.shape[1] - K + 1
    out = np.zeros((x.shape[0], L))
    for k in range(K):
        out = out + w[k] * x[:, k:k + L]
    d = out - y
    return np.sum(d * d) / d.size


def conv_taps_inplace(w, x, y):
    taps = len(w)
    length = x.shape[-1] - (taps - 1)
    out = np.zeros((len(x), length))
    for k in range(taps):
        out += x[:, k:k + length] * w[k]
    return np.mean((out - y) ** 2)


class Conv:
    """The convolution as a model's method."""

    def __init__(self, name):
        self.name = name

    def loss(self, w, x, y):
        taps = len(w)
        L = x.shape[1] - taps + 1
        out = np.zeros((x.shape[0], L))
        for k in range(taps):
            out = out + w[k] * x[:, k:k + L]
        return np.sum((out - y) * (out - y)) / out.size


def _logreg(dtype, n=1):
    X = rng.normal(size=(12 * n, 4))
    return [rng.normal(size=4).astype(dtype), 0.3, X.astype(dtype),
            (rng.uniform(size=12 * n) > 0.5).astype(dtype)]


def _softmax(dtype, n=1):
    return [rng.normal(size=(5, 6)).astype(dtype), rng.normal(size=6).astype(dtype),
            rng.normal(size=(6, 3)).astype(dtype), rng.normal(size=(7 * n, 5)).astype(dtype),
            np.eye(3, dtype=dtype)[[0, 2, 1, 1, 0, 2, 2] * n]]


def _layer_norm(dtype, n=1):
    return [(1.0 + 0.1 * rng.normal(size=6)).astype(dtype), rng.normal(size=6).astype(dtype),
            rng.normal(size=(4 * n, 6)).astype(dtype), rng.normal(size=(4 * n, 6)).astype(dtype)]


def _conv(dtype, n=1):
    return [rng.normal(size=3).astype(dtype), rng.normal(size=(2, 7 * n + 2)).astype(dtype),
            rng.normal(size=(2, 7 * n)).astype(dtype)]


CASES = [
    (logreg_sum, (0, 1), _logreg, True),
    (logreg_mean, (0, 1), _logreg, True),
    (softmax_dot, (0, 1, 2), _softmax, True),
    (softmax_at, (0, 1, 2), _softmax, False),   # unreduce reads y * logp's shape
    (layer_norm_mean, (0, 1, 2), _layer_norm, False),
    (layer_norm_sum, (0, 1, 2), _layer_norm, False),
    (conv_taps, (0, 1), _conv, False),
    (conv_taps_inplace, (0, 1), _conv, False),
    (Conv("c3").loss, (0, 1), _conv, False),
]
IDS = [c[0].__qualname__ for c in CASES]


def _generic(f, wrt, args):
    with optimize.disabled("specialise", "dtypes"):
        return tl.grad(f, wrt=wrt)(*args)


def _variant(f, wrt, args):
    """The specialised variant's code, without its comments."""
    code = tl.source(f, wrt, specialised_for=args).split("_specialised(")[1]
    return "\n".join(line for line in code.split("\n") if not line.strip().startswith("#"))


@pytest.mark.parametrize("f, wrt, make, terms_dropped", CASES, ids=IDS)
def test_float64_gradients_equal_finite_differences(f, wrt, make, terms_dropped):
    args = make(np.float64)
    df = tl.grad(f, wrt=wrt)
    got = df(*args)
    assert df(*args) is not got
    for i, g, e in zip(wrt, got, _generic(f, wrt, args)):
        assert type(g) is type(e) and np.shape(g) == np.shape(args[i])
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(g, numeric_grad(f, args, i), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("f, wrt, make, terms_dropped", CASES, ids=IDS)
def test_float64_seed_is_the_number_one(f, wrt, make, terms_dropped):
    code = _variant(f, wrt, make(np.float64))
    assert "unit_of(" not in code and "= 1.0\n" in code
    if terms_dropped:     # the loss's log terms are not computed for a gradient
        assert "np.log(p)" not in code and "t_mul = y * " not in code


@pytest.mark.parametrize("f, wrt, make, terms_dropped", CASES, ids=IDS)
def test_float32_arguments_get_float32_gradients(f, wrt, make, terms_dropped):
    args = make(np.float32)
    got = tl.grad(f, wrt=wrt)(*args)
    assert "unit_of(" in _variant(f, wrt, args)    # a float32 loss: a float32 seed
    for i, g, e in zip(wrt, got, _generic(f, wrt, args)):
        assert type(g) is type(e) and getattr(g, "dtype", None) == getattr(e, "dtype", None)
        if isinstance(args[i], np.ndarray):
            assert g.dtype == np.float32
        np.testing.assert_allclose(g, e, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("f, wrt, make, terms_dropped", CASES, ids=IDS)
def test_other_shapes_dtypes_and_types_run_the_generic_df(f, wrt, make, terms_dropped):
    df = tl.grad(f, wrt=wrt)
    df(*make(np.float64))                        # the variant is compiled for these
    listed = make(np.float64)
    if isinstance(listed[1], float):
        listed[1] = np.float64(listed[1])         # another type: the guard fails
    else:
        listed[-1] = listed[-1].tolist()
    for args in (make(np.float32), make(np.float64, n=2), make(np.float64, n=3), listed):
        got = df(*args)
        exact = [np.asarray(a, dtype=np.float64) if not isinstance(a, float) else a
                 for a in args]
        for i, g in zip(wrt, got):
            np.testing.assert_allclose(g, numeric_grad(f, exact, i), rtol=2e-3, atol=2e-4)


def test_a_float32_weight_keeps_its_seed_and_dtype():
    def mixed(w, b, x):
        return np.sum(np.tanh(x @ w + b))         # float64: x is float64

    args = (rng.normal(size=(4, 2)).astype(np.float32), rng.normal(size=2), rng.normal(size=(3, 4)))
    dw, db = tl.grad(mixed, wrt=(0, 1))(*args)
    assert dw.dtype == np.float32 and db.dtype == np.float64
    exact = [a.astype(np.float64) for a in args]
    np.testing.assert_allclose(dw, numeric_grad(mixed, exact, 0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(db, numeric_grad(mixed, exact, 1), rtol=1e-4, atol=1e-5)
    assert "unit_of(" in _variant(mixed, (0, 1), args)


def test_int_array_arguments_have_no_float64_kind():
    def scaled(w, n):
        return np.sum(w * n)                      # n an int array: w * n float64 still

    w, n = rng.normal(size=3), np.arange(1, 4)
    np.testing.assert_allclose(tl.grad(scaled, wrt=(0,))(w, n)[0], n)
    g32 = tl.grad(scaled, wrt=(0,))(w.astype(np.float32), n)[0]
    assert g32.dtype == np.float32       # the argument's dtype, as grad_like gives
    np.testing.assert_allclose(g32, n)


def test_a_slice_whose_length_changes_with_the_counter_is_not_assumed():
    def ragged(w, x):
        total = 0.0
        for k in range(3):
            total = total + w[k] * np.sum(x[:, k:k + 5])   # 5, 5, then 4 columns of 7
        return total

    args = [rng.normal(size=3), rng.normal(size=(2, 7))]
    df = tl.grad(ragged, wrt=(0, 1))
    for i, g in zip((0, 1), df(*args)):
        np.testing.assert_allclose(g, numeric_grad(ragged, args, i), rtol=1e-5, atol=1e-7)


def test_a_counter_of_a_computed_range_and_a_step():
    def strided(w, x):
        n = (x.shape[1] - 2) // 2
        out = np.zeros((x.shape[0], n))
        for k in range(1, len(w) + 1):
            out = out + w[k - 1] * x[:, k - 1:k - 1 + 2 * n:2]
        return np.sum(out * out)

    args = [rng.normal(size=3), rng.normal(size=(2, 12))]
    df = tl.grad(strided, wrt=(0, 1))
    for i, g in zip((0, 1), df(*args)):
        np.testing.assert_allclose(g, numeric_grad(strided, args, i), rtol=1e-5, atol=1e-7)


def test_passes_off_and_on_give_the_same_gradients():
    for f, wrt, make, _ in CASES:
        args = make(np.float64)
        with optimize.disabled("dtypes"):
            off = tl.grad(f, wrt=wrt)(*args)
        on = tl.grad(f, wrt=wrt)(*args)
        for a, b in zip(off, on):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("f", [layer_norm_mean, layer_norm_sum])
@pytest.mark.parametrize("rows", [4, 700])     # 4 x 6 summed as written; 4200 > 4096: einsum
def test_sums_of_products_written_as_numpy_where_the_shapes_decide(f, rows):
    args = [(1.0 + 0.1 * rng.normal(size=6)), rng.normal(size=6),
            rng.normal(size=(rows, 6)), rng.normal(size=(rows, 6))]
    code = _variant(f, (0, 1, 2), args)
    if rows == 4:
        assert "sum_product(" not in code and "sum_quotient(" not in code
        assert ".sum(axis=0)" in code and ".sum(axis=1, keepdims=True)" in code
    else:
        assert "sum_product(" in code
    got = tl.grad(f, wrt=(0, 1, 2))(*args)
    for i, g, e in zip((0, 1, 2), got, _generic(f, (0, 1, 2), args)):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-13)
        if rows == 4:
            np.testing.assert_allclose(g, numeric_grad(f, args, i), rtol=1e-5, atol=1e-7)
    args32 = [a.astype(np.float32) for a in args]
    for g in tl.grad(f, wrt=(0, 1, 2))(*args32):
        assert g.dtype == np.float32


def test_a_bias_broadcast_into_a_product_is_summed_as_written():
    def scaled_rows(s, x, y):
        return np.sum((x * s[:, None] - y) ** 2) / len(x)   # s's gradient: rows summed

    def scaled_rows_method(s, x, y):
        d = x * np.reshape(s, (-1, 1)) - y
        return np.mean(d * d)

    for f in (scaled_rows, scaled_rows_method):
        args = [rng.normal(size=5), rng.normal(size=(5, 3)), rng.normal(size=(5, 3))]
        got = tl.grad(f, wrt=(0, 1))(*args)
        for i, g in zip((0, 1), got):
            np.testing.assert_allclose(g, numeric_grad(f, args, i), rtol=1e-5, atol=1e-7)
