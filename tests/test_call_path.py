"""The path of a cached call to a specialised variant (specialiser.py's dispatch function,
optimize/fresh_returns.py): df calls one function whose tests are its variants' guards,
and a variant returns the gradients it proves fresh as they are. Every call below, whatever
it passes (another batch, dtype, rank, byte order, a number for an array, a list for a
tuple, keywords, strided views), gets the gradient of central finite differences in
float64, of its arguments' types, dtypes and shapes, as arrays of its own."""
import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite import optimize

from helpers import numeric_grad

rng = np.random.default_rng(7)


# ---- programs, written the way users write them ----------------------------------------------

def logreg_dot(w, b, X, y):
    z = np.dot(X, w) + b
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.sum(y * np.log(p) + (1.0 - y) * np.log(1.0 - p)) / X.shape[0]


def logreg_at(w, b, X, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def mlp_at(W1, b1, W2, b2, x, y):
    h = np.tanh(x @ W1 + b1)
    return np.mean((h @ W2 + b2 - y) ** 2)


def mlp_layers(layers, x, y):
    (W1, b1), (W2, b2) = layers
    h = np.tanh(np.dot(x, W1) + b1)
    d = np.dot(h, W2) + b2 - y
    return np.sum(d * d) / d.size


def layernorm(gamma, beta, x):
    mu = x.mean(axis=1, keepdims=True)
    xc = x - mu
    var = np.mean(xc * xc, axis=1, keepdims=True)
    out = gamma * (xc / np.sqrt(var + 1e-5)) + beta
    return np.sum(out * out) / x.shape[0]


class Scaled:
    def __init__(self, scale):
        self.scale = scale

    def loss(self, w, b, X):
        return np.sum(np.tanh(X @ w + b) ** 2) * self.scale


def _logreg(n=16, f=4, b=0.3):
    return [rng.normal(size=f), b, rng.normal(size=(n, f)),
            (rng.uniform(size=n) < 0.5).astype(np.float64)]


def _mlp(batch=6):
    return [rng.normal(size=(3, 5)), rng.normal(size=5), rng.normal(size=(5, 2)),
            rng.normal(size=2), rng.normal(size=(batch, 3)), rng.normal(size=(batch, 2))]


def _generic(f, wrt, args, kwargs=None):
    with optimize.disabled("specialise"):
        return tl.grad(f, wrt=wrt)(*args, **(kwargs or {}))


def _leaves(g):
    if isinstance(g, (tuple, list)):
        return [x for v in g for x in _leaves(v)]
    return [g]


def _check(f, wrt, args, got, kwargs=None):
    """got against the generic df and central differences, of the arguments' kinds, and
    fresh: no returned array is an argument, a view or another returned array."""
    for i, g, e in zip(wrt, got, _generic(f, wrt, args, kwargs)):
        assert type(g) is type(e)
        for gl, el, al in zip(_leaves(g), _leaves(e), _leaves(args[i])):
            assert type(gl) is type(al) and np.shape(gl) == np.shape(al)
            if isinstance(al, np.ndarray):
                assert gl.dtype == al.dtype and gl.base is None and gl.flags.writeable
                assert not any(gl is a for a in _leaves(args))
            np.testing.assert_allclose(gl, el, rtol=1e-6, atol=1e-9)
        if not isinstance(args[i], (tuple, list)):
            wide = [a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
                    else a for a in args]          # differences in float64 always
            tol = 1e-3 if np.asarray(g).dtype == np.float32 else 1e-6
            np.testing.assert_allclose(g, numeric_grad(f, wide, i, kwargs=kwargs),
                                       rtol=tol, atol=tol)
    arrays = [x for g in got for x in _leaves(g) if isinstance(x, np.ndarray)]
    assert len({id(x) for x in arrays}) == len(arrays)


def _returned(f, wrt, args):
    return tl.source(f, wrt, specialised_for=args).rsplit("return", 1)[1].strip()


# ---- what the variants return ---------------------------------------------------------------

def test_logistic_regression_returns_its_gradients_as_they_are():
    for f in (logreg_dot, logreg_at):
        args = _logreg()
        assert _returned(f, (0, 1), args) == "(dw, float(db))"
        got = tl.grad(f, wrt=(0, 1))(*args)
        assert type(got[1]) is float
        _check(f, (0, 1), args, got)


def test_the_mlp_and_layer_norm_return_theirs_as_they_are():
    assert _returned(mlp_at, (0, 1, 2, 3), _mlp()) == "(dW1, db1, dW2, db2)"
    # dx = dxc, then dx = dx + ...: the last binding of df's own statements reaches return
    args = [rng.normal(size=5), rng.normal(size=5), rng.normal(size=(4, 5))]
    assert _returned(layernorm, (0, 1, 2), args) == "(dgamma, dbeta, dx)"
    _check(layernorm, (0, 1, 2), args, tl.grad(layernorm, wrt=(0, 1, 2))(*args))


def sum_of_sum(a, b):
    return np.sum(a + b)


def float_weight(a, s):
    return np.sum(a * s) + s * s


def test_one_array_for_two_gradients_still_goes_through_grads_like():
    """Both gradients are the one spread seed: not made by an expression of their own."""
    args = [rng.normal(size=3), rng.normal(size=3)]
    assert _returned(sum_of_sum, (0, 1), args).startswith("grads_like(")
    _check(sum_of_sum, (0, 1), args, tl.grad(sum_of_sum, wrt=(0, 1))(*args))
    args = [rng.normal(size=3), 0.5]
    assert _returned(float_weight, (0, 1), args) == "(da, float(ds))"
    _check(float_weight, (0, 1), args, tl.grad(float_weight, wrt=(0, 1))(*args))


def test_float32_and_complex_variants_keep_grads_like():
    args = [a.astype(np.float32) if isinstance(a, np.ndarray) else a for a in _logreg()]
    assert _returned(logreg_dot, (0, 1), args).startswith("grads_like(")

    def modulus(w, X):
        return np.sum(np.abs(X @ (w * (1 + 1j))) ** 2)
    args = [rng.normal(size=3), rng.normal(size=(4, 3))]
    df = tl.grad(modulus, wrt=(0,))
    _check(modulus, (0,), args, df(*args))
    _check(modulus, (0,), args, df(*args))


# ---- calls of every kind after the variant exists -------------------------------------------

@pytest.mark.parametrize("f", [logreg_dot, logreg_at])
def test_calls_the_guard_must_tell_apart(f):
    df = tl.grad(f, wrt=(0, 1))
    w, b, X, y = _logreg()
    calls = [
        [w, b, X, y], [w, b, X, y],                                # the variant, cached
        [w, b, X[:9], y[:9]],                                       # another batch
        [w.astype(np.float32), b, X.astype(np.float32), y.astype(np.float32)],   # dtype
        [w, np.float64(b), X, y],                                   # a NumPy scalar
        [w, np.array([b]), X, y],                                   # an array for the float
        [w, np.array(b), X, y],                                     # a 0-d array
        [w.reshape(4, 1), b, X, y.reshape(16, 1)],                  # another rank
        [w, b, np.asfortranarray(X), y],                            # Fortran order
        [np.ones(8)[::2] * w, b, np.repeat(X, 2, axis=1)[:, ::2], y],   # strided views
        [w.astype(">f8"), b, X.astype(">f8"), y],                   # another byte order
        [w, b, X, y],                                               # and back
    ]
    for args in calls:
        _check(f, (0, 1), args, df(*args))
    kwargs = dict(w=w, b=b, X=X, y=y)
    got = df(**kwargs)
    for g, e in zip(got, df(w, b, X, y)):
        np.testing.assert_array_equal(g, e)
    got = df(w, b, y=y, X=X)
    assert type(got[1]) is float
    np.testing.assert_allclose(got[0], numeric_grad(f, [w, b, X, y], 0), rtol=1e-6, atol=1e-9)


def test_one_dispatch_function_tries_every_variant():
    """Three structures (float64, float32, big-endian float64): each call finds its own
    variant; the byte order's guard compares its dtype by value (each array has its own
    dtype object: tested by identity, no call fitted and every call compiled again)."""
    df = tl.grad(logreg_dot, wrt=(0, 1))
    wide = _logreg(n=5)
    narrow = [a.astype(np.float32) if isinstance(a, np.ndarray) else a for a in _logreg(n=7)]
    swapped = [a.astype(">f8") if isinstance(a, np.ndarray) else a for a in _logreg(n=6)]
    for args in (wide, narrow, swapped, wide, narrow, swapped):
        _check(logreg_dot, (0, 1), args, df(*args))
    specialiser = df.__tangent_lite__.specialiser
    cell = [c for n, c in zip(df.__code__.co_freevars, df.__closure__)
            if n.startswith("specialise_")]
    assert [c.cell_contents for c in cell] == [specialiser.dispatch]
    assert specialiser.compiles == 3
    picked = [specialiser(*args) for args in (wide, narrow, swapped)]
    assert len({id(p) for p in picked}) == 3
    for args, variant in zip((wide, narrow, swapped), picked):
        assert variant is not None and specialiser.variant_for(args).df is variant
    assert "X.dtype == float64" in tl.source(logreg_dot, (0, 1), specialised_for=swapped)


def test_containers_lists_for_tuples_and_methods():
    W1, b1, W2, b2, x, y = _mlp()
    df = tl.grad(mlp_layers, wrt=0)
    for layers in [((W1, b1), (W2, b2)), ((W1, b1), (W2, b2)), [(W1, b1), [W2, b2]],
                   ((W1, b1[None]), (W2, b2))]:
        got = df(layers, x, y)
        _check(mlp_layers, (0,), [layers, x, y], (got,))
        assert type(got) is type(layers) and type(got[1]) is type(layers[1])
    model = Scaled(0.5)
    w, b, X = rng.normal(size=3), 0.2, rng.normal(size=(5, 3))
    dloss = tl.grad(model.loss, wrt=(0, 1))
    for args in ([w, b, X], [w, b, X], [w, b, X[:2]], [w, np.float32(b), X]):
        got = dloss(*args)
        for i in (0, 1):
            assert type(got[i]) is type(args[i])
            np.testing.assert_allclose(got[i], numeric_grad(model.loss, args, i),
                                       rtol=1e-6, atol=1e-8)


def test_the_dispatch_stops_compiling_at_the_bound():
    """Past MAX_VARIANTS structures, a call no guard fits runs the generic df, right."""
    df = tl.grad(mlp_at, wrt=(0, 1, 2, 3))
    base = _mlp()
    for k, dtype in enumerate([np.float64, np.float32, np.float16, np.longdouble,
                               np.float64, np.float32]):
        args = [a.astype(dtype) for a in base]
        got = df(*args)
        for i, g in zip(range(4), got):
            assert type(g) is np.ndarray and g.dtype == dtype and g.shape == args[i].shape
        if dtype in (np.float64, np.longdouble):
            _check(mlp_at, (0, 1, 2, 3), args, got)
    assert len(df.__tangent_lite__.specialiser.variants) <= 4


# ---- grad_like's fast paths: a NumPy float's gradient, an array's --------------------------

def doubling(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


@pytest.mark.parametrize("kind", [float, np.float64, np.float32, np.longdouble])
def test_a_numpy_floats_gradient_keeps_its_type(kind):
    df = tl.grad(doubling)
    for a, expected in ((1.5, 1024.0), (-1.5, 102400.0), (0.3, 4096.0)):
        if kind is float:
            # `b.sum()` of a Python float raises in f, and so in df (conditions run as
            # written: tests/test_conditions_as_written.py)
            with pytest.raises(AttributeError):
                doubling(kind(a))
            with pytest.raises(AttributeError):
                df(kind(a))
            continue
        g = df(kind(a))
        assert type(g) is kind and g == expected   # c = a * 2**k: an exact power of two


def test_grad_like_returns_fresh_arrays_and_copies_the_rest():
    from tangent_lite.runtime import grad_like
    for dtype in (np.float64, np.float32, ">f8"):
        x = np.ones((2, 3), dtype)
        g = np.full((2, 3), 2.0, dtype)
        assert grad_like(g, x) is g
        for other in (x, g[:1].repeat(2, axis=0)[:, :], g.T.T, np.broadcast_to(g[0], (2, 3))):
            out = grad_like(other, x)
            assert out.base is None and out.flags.writeable and out is not x
            assert out.dtype == x.dtype and out.shape == x.shape
            np.testing.assert_array_equal(out, other)
        frozen = g.copy()
        frozen.flags.writeable = False
        assert grad_like(frozen, x) is not frozen and grad_like(frozen, x).flags.writeable
    assert type(grad_like(np.float32(2.0), np.float64(1.0))) is np.float64
    assert type(grad_like(3, 1.0)) is float
