"""NumPy reductions of names a specialised variant proves exact float64 ndarrays, written as
the arrays' methods (optimize/methods.py, the pass "methods"): the code reads `x.mean(axis=1,
keepdims=True)`, the gradient is bit for bit the one with the pass off and agrees with central
finite differences; a Python float, a list and a float32 array (no float64 kind) keep the
function."""
import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite import optimize

from helpers import numeric_grad

rng = np.random.default_rng(5)


def layer_norm_functions(gamma, x, y):
    mu = np.mean(x, axis=1, keepdims=True)
    xc = x - mu
    var = np.mean(xc * xc, axis=1, keepdims=True)
    d = gamma * xc / np.sqrt(var + 1e-5) - y
    return np.sum(d * d) / x.shape[0]


def softmax_functions(W, b, x, y):
    z = np.dot(x, W) + b
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(y * logp) / x.shape[0]


def pooled(W, b, x):
    h = np.tanh(x @ W + b)
    return np.sum(np.max(h, axis=0) * np.min(h, axis=0)) + np.prod(np.amax(h, 1)) * 0.1


def scaled(W, b, x, c, ws):
    h = np.tanh(x @ W + b)
    return np.sum(h * np.max(c)) + np.sum(h) * np.mean(ws)   # c a Python float, ws a list


def _ln():
    return [1.0 + 0.1 * rng.normal(size=5), rng.normal(size=(4, 5)), rng.normal(size=(4, 5))]


def _softmax():
    return [rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(6, 3)),
            np.eye(4)[[0, 1, 2, 3, 1, 0]]]


def _pooled():
    return [rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(6, 3))]


CASES = [
    (layer_norm_functions, (0, 1), _ln, ["x.mean(axis=1, keepdims=True)",
                                         "t_mul.mean(axis=1, keepdims=True)"]),
    (softmax_functions, (0, 1), _softmax, ["z.max(axis=1, keepdims=True)",
                                           ".sum(axis=1, keepdims=True)"]),
    (pooled, (0, 1), _pooled, [".max(axis=0)", ".min(axis=0)", ".max(1)"]),
]
IDS = [c[0].__name__ for c in CASES]


def _code(f, wrt, args):
    code = tl.source(f, wrt, specialised_for=args).split("_specialised(")[1]
    return "\n".join(line for line in code.split("\n") if not line.strip().startswith("#"))


@pytest.mark.parametrize("f, wrt, make, methods", CASES, ids=IDS)
def test_reductions_read_as_methods_and_the_gradient_is_unchanged(f, wrt, make, methods):
    args = make()
    code = _code(f, wrt, args)
    for m in methods:
        assert m in code
    got = tl.grad(f, wrt=wrt)(*args)
    with optimize.disabled("methods"):
        off = tl.grad(f, wrt=wrt)(*args)
        assert not any(m in _code(f, wrt, args) for m in methods[:1])
    for i, g, h in zip(wrt, got, off):
        np.testing.assert_array_equal(g, h)
        assert type(g) is type(h) and g.dtype == h.dtype
        np.testing.assert_allclose(g, numeric_grad(f, args, i), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("f, wrt, make, methods", CASES, ids=IDS)
def test_float32_arrays_keep_the_functions_and_their_dtype(f, wrt, make, methods):
    args = [a.astype(np.float32) for a in make()]
    code = _code(f, wrt, args)
    assert not any(m in code for m in methods[:1])
    for i, g in zip(wrt, tl.grad(f, wrt=wrt)(*args)):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, numeric_grad(f, [a.astype(np.float64) for a in args], i),
                                   rtol=2e-3, atol=2e-4)


def test_a_python_float_and_a_list_keep_the_functions():
    args = _pooled() + [0.7, [0.5, 1.5, 2.0]]
    code = _code(scaled, (0, 1), args)
    assert "np.max(c)" in code and "np.mean(ws)" in code
    got = tl.grad(scaled, wrt=(0, 1))(*args)
    for i, g in zip((0, 1), got):
        np.testing.assert_allclose(g, numeric_grad(scaled, args, i), rtol=1e-5, atol=1e-7)


def test_other_shapes_and_types_run_the_generic_df():
    df = tl.grad(layer_norm_functions, wrt=(0, 1))
    df(*_ln())
    for args in ([a.tolist() if k == 2 else a for k, a in enumerate(_ln())],
                 [1.0 + 0.1 * rng.normal(size=3), rng.normal(size=(2, 3)),
                  rng.normal(size=(2, 3))]):
        got = df(*args)
        exact = [np.asarray(a, dtype=np.float64) for a in args]
        for i, g in zip((0, 1), got):
            np.testing.assert_allclose(g, numeric_grad(layer_norm_functions, exact, i),
                                       rtol=1e-5, atol=1e-7)
