"""A variant generalised over sizes that varied between calls (a batch seen at two sizes: its
dims become symbols) keeps what the sized variant had: a loss's spread seed `unreduce(g, x)`
folded into its products (optimize/dtypes.py), so logistic regression's log terms are not
computed, and its arrays deleted after their last read (optimize/release.py), as a symbolic
dim may be large. Every gradient equals central finite differences in float64 and the generic
df's; float32 arguments give float32 gradients; a near miss (a spread that drops an axis,
square so that a wrong broadcast would go unnoticed) keeps its helper."""
import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite import optimize
from tangent_lite.optimize import specialise

from helpers import numeric_grad

rng = np.random.default_rng(41)


def logreg_dot(w, b, X, y):
    p = 1.0 / (1.0 + np.exp(-(np.dot(X, w) + b)))
    return -np.sum(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)) / X.shape[0]


def logreg_mean(w, b, X, y):
    z = X @ w + b
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def layer_norm(gamma, beta, x, y):
    mu = np.mean(x, axis=1, keepdims=True)
    xc = x - mu
    var = np.mean(xc * xc, axis=1, keepdims=True)
    d = gamma * (xc / np.sqrt(var + 1e-5)) + beta - y
    return np.sum(d * d) / x.shape[0]


def layer_norm_methods(gamma, beta, x, y):
    xc = x - x.mean(axis=1, keepdims=True)
    xhat = xc / np.sqrt((xc ** 2).mean(axis=1, keepdims=True) + 1e-5)
    return ((gamma * xhat + beta - y) ** 2).mean()


def softmax_params(params, x, y):
    h = np.maximum(np.dot(x, params["W1"]) + params["b1"], 0.0)
    z = h @ params["W2"]
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp) / x.shape[0]


class Model:
    def loss(self, w, b, X, y):
        p = 1.0 / (1.0 + np.exp(-(X.dot(w) + b)))
        return -(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)).sum() / len(y)


def _logreg(n, dtype=np.float64):
    return [rng.normal(size=4).astype(dtype), 0.2, rng.normal(size=(n, 4)).astype(dtype),
            (rng.uniform(size=n) > 0.5).astype(dtype)]


def _layer_norm(n, dtype=np.float64):
    return [(1.0 + 0.1 * rng.normal(size=5)).astype(dtype), rng.normal(size=5).astype(dtype),
            rng.normal(size=(n, 5)).astype(dtype), rng.normal(size=(n, 5)).astype(dtype)]


def _softmax(n, dtype=np.float64):
    params = {"W1": rng.normal(size=(4, 6)).astype(dtype),
              "b1": rng.normal(size=6).astype(dtype), "W2": rng.normal(size=(6, 3)).astype(dtype)}
    return [params, rng.normal(size=(n, 4)).astype(dtype),
            np.eye(3, dtype=dtype)[rng.integers(0, 3, size=n)]]


CASES = [
    (logreg_dot, (0, 1), _logreg),
    (logreg_mean, (0, 1), _logreg),
    (Model().loss, (0, 1), _logreg),
    (layer_norm, (0, 1, 2), _layer_norm),
    (layer_norm_methods, (0, 1, 2), _layer_norm),
    (softmax_params, (1,), _softmax),
]
IDS = [c[0].__qualname__ for c in CASES]


def _generalised(f, wrt, make):
    """df after calls at five batch sizes, and arguments of a sixth, which its generalised
    variant serves: the second size generalises the first's variant where that loses nothing
    (logistic regression), otherwise each size gets its own up to specialise.MAX_VARIANTS
    and the generalised one serves the sizes past them (layer norm: at these sizes the sized
    variants write `sum_product` and `unreduce` as the sums and `np.full` they come to)."""
    df = tl.grad(f, wrt=wrt)
    for n in (6, 9, 12, 14, 16):
        df(*make(n))
    return df, make(11)


def _code(f, wrt, args):
    code = tl.source(f, wrt, specialised_for=args).split("_specialised(")[1]
    return "\n".join(line for line in code.split("\n") if not line.strip().startswith("#"))


@pytest.mark.parametrize("f, wrt, make", CASES, ids=IDS)
def test_generalised_gradients_equal_finite_differences_and_the_generic_df(f, wrt, make):
    df, args = _generalised(f, wrt, make)
    assert "n0" in tl.source(f, wrt, specialised_for=args)    # the sizes are symbols
    got = df(*args)
    with optimize.disabled("specialise"):
        generic = tl.grad(f, wrt=wrt)(*args)
    for i, g, e in zip(wrt, got, generic):
        if isinstance(args[i], dict):
            for key in args[i]:
                np.testing.assert_allclose(g[key], e[key], rtol=1e-12, atol=1e-14)
            continue
        assert type(g) is type(e) and np.shape(g) == np.shape(args[i])
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(g, numeric_grad(f, args, i), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("f, wrt, make", CASES, ids=IDS)
def test_generalised_float32_gradients_stay_float32(f, wrt, make):
    df = tl.grad(f, wrt=wrt)
    df(*make(6, np.float32))
    df(*make(9, np.float32))
    args = make(11, np.float32)
    got = df(*args)
    with optimize.disabled("specialise"):
        generic = tl.grad(f, wrt=wrt)(*args)
    for i, g, e in zip(wrt, got, generic):
        if isinstance(args[i], dict):
            assert all(g[k].dtype == np.float32 for k in args[i])
            continue
        if isinstance(args[i], np.ndarray):
            assert g.dtype == np.float32
        assert type(g) is type(e)
        np.testing.assert_allclose(g, e, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("f", [logreg_dot, logreg_mean, Model().loss])
def test_generalised_logistic_regression_computes_no_log_terms(f):
    _, args = _generalised(f, (0, 1), _logreg)
    code = _code(f, (0, 1), args)
    assert "n0" in code and "unreduce(" not in code and "np.log(" not in code


@pytest.mark.parametrize("f", [layer_norm, layer_norm_methods])
def test_generalised_variant_deletes_its_arrays(f):
    _, args = _generalised(f, (0, 1, 2), _layer_norm)
    code = _code(f, (0, 1, 2), args)
    assert "\n    del " in code


def row_sums_squared(a, b, c):
    s = np.sum(a * b + c, axis=1)      # the spread of s's gradient puts axis 1 back
    return np.sum(s * s)


def test_a_spread_that_drops_an_axis_keeps_its_helper():
    df = tl.grad(row_sums_squared, wrt=(0, 1, 2))
    for n in (4, 5):   # square: a wrong broadcast of (n,) against (n, n) would run
        df(rng.normal(size=(n, n)), rng.normal(size=(n, n)), rng.normal(size=n))
    args = [rng.normal(size=(6, 6)), rng.normal(size=(6, 6)), rng.normal(size=6)]
    assert "unreduce(" in _code(row_sums_squared, (0, 1, 2), args)
    got = df(*args)
    for i in (0, 1, 2):
        np.testing.assert_allclose(got[i], numeric_grad(row_sums_squared, args, i),
                                   rtol=1e-6, atol=1e-8)


def test_other_dtypes_and_types_after_generalising_run_the_generic_df():
    df, args = _generalised(logreg_dot, (0, 1), _logreg)
    other = _logreg(7)
    other[1] = np.float64(0.2)                    # another type: the guard fails
    for call in (_logreg(7, np.float32), other):
        got = df(*call)
        exact = [np.asarray(a, dtype=np.float64) if not isinstance(a, float) else a
                 for a in call]
        for i, g in zip((0, 1), got):
            np.testing.assert_allclose(g, numeric_grad(logreg_dot, exact, i),
                                       rtol=2e-3, atol=2e-4)


def counted_loop(x):
    s1 = np.sin(x[1])
    y = np.zeros(4) + x
    cnt = 0
    for i in range(4):
        cnt += 1
        if np.cos(s1) > 2.0:
            break
    return s1 * s1 + np.sum(y * x) / (cnt + 1)


def test_a_folded_spread_leaves_the_loop_counters_bound():
    # the forward assignments dropped after a fold are those nothing reads: `n += 1` and the
    # loop's own step counter read theirs
    x = rng.normal(size=4)
    got = tl.grad(counted_loop)(x)
    np.testing.assert_allclose(got, numeric_grad(counted_loop, [x], 0), rtol=1e-6, atol=1e-8)


def conv1d(w, x, y):
    K = w.shape[0]
    L = x.shape[1] - K + 1
    out = np.zeros((x.shape[0], L))
    for k in range(K):
        out = out + w[k] * x[:, k:k + L]
    d = out - y
    return np.sum(d * d) / d.size


def conv1d_mean(w, x, y):
    out = np.zeros_like(y)
    for k in range(len(w)):
        out += w[k] * x[:, k:k + y.shape[1]]
    return np.mean((out - y) ** 2)


def _conv1d(batch, length, taps):
    return [rng.normal(size=taps), rng.normal(size=(batch, length)),
            rng.normal(size=(batch, length - taps + 1))]


@pytest.mark.parametrize("f", [conv1d, conv1d_mean])
def test_sizes_that_prove_more_than_symbols_keep_their_own_variants(f):
    # A tap's slice x[:, k:k + L] has a length the shapes prove only for known sizes (L is
    # x.shape[1] - K + 1): with symbols, its adjoint needs `unbroadcast` and the running sum
    # `shaped()` pushes. So a second size gets its own variant rather than the generalised one
    # (the README benchmark's conv1d at 32 x 4096 x 9 after 8 x 128 x 5: 1.10x -> 0.98x).
    df = tl.grad(f, wrt=(0, 1))
    sizes = [(2, 12, 3), (3, 20, 5), (4, 9, 2), (2, 15, 4), (5, 11, 3), (3, 14, 3)]
    for size in sizes:
        args = _conv1d(*size)
        got = df(*args)
        with optimize.disabled("specialise"):
            generic = tl.grad(f, wrt=(0, 1))(*args)
        for i, g, e in zip((0, 1), got, generic):
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(g, numeric_grad(f, args, i), rtol=1e-5, atol=1e-7)
    specialiser = df.__tangent_lite__.specialiser
    *sized, general = specialiser.variants
    assert [v.signature[0][2] for v in sized] == [(t,) for _, _, t in sizes[:len(sized)]]
    assert len(sized) == specialise.MAX_VARIANTS and "n0" in general.guard
    for variant in sized:
        assert "shaped(" not in variant.compiled.source
        assert "unbroadcast(" not in variant.compiled.source
    # past the bound, the generalised variant serves (the gradients above): with the helpers
    # the symbols leave it
    assert specialiser.variant_for(_conv1d(*sizes[-1])) is general
    assert "unbroadcast(" in general.compiled.source
