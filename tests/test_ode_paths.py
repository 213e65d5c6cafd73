"""The ODE and np.dot k-means paths of issue 14 (GradBench): every change keeps the gradient
equal to central finite differences in float64, and the near misses keep the generic code.

- shape specialisation through the user's own functions (analysis/concrete.py `callee_results`),
  `np.zeros(x.shape[0])`, `np.zeros_like`, `np.concatenate` and `x[:, None]`;
- the last piece of a concatenation's gradient is the rest (optimize/pieces.py, `unconcatenate`
  given None for the last array);
- unindex_product of a 1-D slice, empty plus zeroed ends from 64 KB (runtime/indexing.py);
- extremum_mask without ties (runtime/reductions.py);
- a negated gradient scaled by a float literal (optimize/algebra/scaled.py).
"""
import gast
import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite import optimize
from tangent_lite import pipeline
from tangent_lite.runtime import indexing as runtime_indexing
from tangent_lite.runtime import shapes as runtime_shapes
from tangent_lite.runtime import reductions as runtime_reductions

from helpers import numeric_grad


# ---- programs, written the way users write them -------------------------------------------

def ode_fun(x, y):
    return np.concatenate([x[:1], x[1:] * y[:-1]])


def ode_last(x, s):
    h = 2.0 / s
    y = np.zeros(x.shape[0])
    for _ in range(s):
        k1 = ode_fun(x, y)
        k2 = ode_fun(x, y + h * k1 / 2)
        k3 = ode_fun(x, y + h * k2 / 2)
        k4 = ode_fun(x, y + h * k3)
        y = y + h * (k1 + 2 * k2 + 2 * k3 + k4) / 6
    return y[-1]


def rhs_keywords(x, y, scale=1.0):
    # tuple, keyword argument, a default: the same right-hand side written another way
    return scale * np.concatenate((x[:1], y[:-1] * x[1:]), axis=0)


def euler_sum(x, steps):
    y = np.zeros_like(x)
    dt = 1.0 / steps
    for _ in range(steps):
        y += dt * rhs_keywords(x, y, scale=0.5)
    return np.sum(y * y)


def affine(W, b, x):
    return x @ W + b


def two_layers(W1, b1, W2, b2, x):
    h = np.tanh(affine(W1, b1, x))
    return np.mean(affine(W2, b2, h) ** 2)


def masked(x):
    return x[x > 0.5]


def through_mask(a, x):
    # the callee's result has a shape no guard proves (a boolean mask): its sum stays generic
    m = masked(x * a)
    return np.sum(m * m[::-1] + 1.0) + np.sum(a * x)


def kmeans_dot(centroids, points):
    d2 = (np.sum(points * points, axis=1)[:, None] - 2.0 * np.dot(points, centroids.T)
          + np.sum(centroids * centroids, axis=1))
    return np.sum(np.min(d2, axis=1))


def kmeans_broadcast(centroids, points):
    d = points[:, None, :] - centroids[None, :, :]
    return np.sum(np.min(np.sum(d * d, axis=2), axis=1))


def pairwise(a, b):
    return np.sum(np.exp(-(a[:, None] - b[None, :]) ** 2))


def concat_axes(a, b):
    ab = np.concatenate([a, b], axis=1)
    ba = np.concatenate((b * 2.0, a), axis=-1)
    flat = np.concatenate([a, b], axis=None)
    three = np.concatenate([a[:1], a * b, b[1:]])
    return np.sum(np.sin(ab) * ba) + np.sum(flat ** 2) + np.sum(three ** 3)


def last_piece_reused(a, b):
    t = a * b                       # the last piece is also read after the concatenation
    return np.sum(np.concatenate([a, t]) ** 2) + np.sum(t)


def negated_scaled(a, b):
    return np.sum(np.exp(a - 2.0 * b)) + np.sum(np.cos(a - 3 * b))


def negated_zero(a, b):
    return np.sum(np.exp(a - 0.0 * b) * b)


# ---- helpers ---------------------------------------------------------------------------------

def assert_fd(f, args, wrt, rtol=1e-6, atol=1e-8):
    df = tl.grad(f, wrt=wrt)
    grads = df(*args)
    grads = grads if isinstance(grads, tuple) else (grads,)
    for g, i in zip(grads, wrt):
        assert g.dtype == np.asarray(args[i]).dtype and g.shape == np.shape(args[i])
        np.testing.assert_allclose(g, numeric_grad(f, args, i), rtol=rtol, atol=atol)
    return grads


def specialised_source(f, args, wrt):
    return tl.source(f, wrt=wrt, specialised_for=args)


# ---- shape specialisation through calls --------------------------------------------------------

@pytest.mark.parametrize("n,s", [(6, 1), (9, 3)])
def test_ode_gradient_matches_finite_differences(n, s):
    x = np.random.default_rng(n).uniform(size=n)
    assert_fd(ode_last, (x, s), (0,))


def test_ode_variant_sees_through_the_right_hand_side():
    x = np.random.default_rng(1).uniform(size=8)
    src = specialised_source(ode_last, (x, 2), (0,))
    assert "vjp_ode_fun" in src
    assert "unbroadcast(" not in src and "shaped(" not in src
    generic = tl.source(ode_last, wrt=(0,))
    assert "unbroadcast(" in generic      # the generic df keeps them (shapes unknown)
    specialised = tl.grad(ode_last, wrt=(0,))(x, 2)
    with optimize.disabled("specialise"):
        plain = tl.grad(ode_last, wrt=(0,))(x, 2)
    np.testing.assert_array_equal(specialised, plain)


def test_keywords_defaults_and_zeros_like_in_a_callee():
    x = np.random.default_rng(2).uniform(size=7)
    assert_fd(euler_sum, (x, 3), (0,))
    src = specialised_source(euler_sum, (x, 3), (0,))
    assert "unbroadcast(" not in src


def test_callee_result_shape_makes_bias_sums():
    rng = np.random.default_rng(3)
    args = (rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 2)),
            rng.normal(size=2), rng.normal(size=(5, 3)))
    assert_fd(two_layers, args, (0, 1, 2, 3))


def test_callee_of_unknown_shape_keeps_the_generic_sums():
    rng = np.random.default_rng(4)
    a, x = rng.normal(size=6), rng.uniform(size=6)
    df = tl.grad(through_mask, wrt=(0, 1))
    ga, gx = df(a, x)
    np.testing.assert_allclose(ga, numeric_grad(through_mask, (a, x), 0), rtol=1e-6)
    np.testing.assert_allclose(gx, numeric_grad(through_mask, (a, x), 1), rtol=1e-6)


def test_newaxis_indices_have_shapes():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=4), rng.normal(size=3)
    assert_fd(pairwise, (a, b), (0, 1))
    assert_fd(kmeans_broadcast, (a.reshape(2, 2), np.outer(b, b)[:, :2]), (0,))


def test_concrete_shapes_of_made_arrays_and_concatenations():
    from tangent_lite.analysis.concrete import ConcreteShapes
    from tangent_lite.analysis.shapes import resolver
    from tangent_lite.transforms.reverse import with_bindings

    def made(x, m):
        a = np.zeros(x.shape[0])
        b = np.ones((len(x), 3))
        c = np.zeros_like(m)
        d = np.concatenate([m, m[:, :1]], axis=1)
        e = np.concatenate([x[:2], x], axis=0)
        f = np.zeros(x.shape[-1], dtype=np.float32)
        g = x[None, :, None]
        z = x * 2.0
        return a, b, c, d, e, f, g, z

    from tangent_lite import ir
    parsed, _, bindings, fn = pipeline._front(made)
    facts = ConcreteShapes(fn, {"x": (5,), "m": ("n0", 4)},
                           with_bindings(resolver(parsed), bindings.objects))
    last = [st for st in ir.walk(fn.body) if isinstance(st, ir.Assign) and st.op is not None
            and st.target == "z"][0]
    shape_of = facts.at(last)
    shapes = {name: shape_of(gast.Name(id=name, ctx=gast.Load(), annotation=None,
                                         type_comment=None)) for name in "abcdefg"}
    assert shapes["a"] == (5,) and shapes["b"] == (5, 3) and shapes["c"] == ("n0", 4)
    assert shapes["d"] == ("n0", 5) and shapes["e"] == (7,) and shapes["f"] == (5,)
    assert shapes["g"] == (1, 5, 1)


# ---- the last piece of a concatenation -----------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_concatenations_on_every_axis(dtype):
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=(3, 4)).astype(dtype), rng.normal(size=(3, 4)).astype(dtype)
    if dtype == np.float64:
        assert_fd(concat_axes, (a, b), (0, 1))
    else:
        ga, gb = tl.grad(concat_axes, wrt=(0, 1))(a, b)
        assert ga.dtype == gb.dtype == np.float32
        ra, rb = tl.grad(concat_axes, wrt=(0, 1))(a.astype(np.float64), b.astype(np.float64))
        np.testing.assert_allclose(ga, ra, rtol=1e-4, atol=1e-4)
    src = tl.source(concat_axes, wrt=(0, 1))
    assert "[a, None], 1)" in src and "(t_mul, None), -1)" in src
    assert "[t_item, t_mul2, None], 0)" in src
    assert "None], None)" not in src      # axis=None reshapes each piece to its array


def test_vjp_of_the_right_hand_side_computes_no_product():
    src = pipeline.vjp(ode_fun, ("x", "y")).source
    assert "unconcatenate(dresult, [t_item, None], 0)" in src
    assert "t_item2 * t_item3" not in src
    rng = np.random.default_rng(7)
    x, y, g = rng.normal(size=5), rng.normal(size=5), rng.normal(size=5)
    _, pullback = tl.vjp(ode_fun, x, y, wrt=(0, 1))
    dx, dy = pullback(g)
    np.testing.assert_allclose(dx, numeric_grad(lambda x_: ode_fun(x_, y) * g, (x,), 0),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(dy, numeric_grad(lambda y_: ode_fun(x, y_) * g, (y,), 0),
                               rtol=1e-6, atol=1e-9)


def test_last_piece_read_elsewhere_and_complex():
    rng = np.random.default_rng(8)
    a, b = rng.normal(size=4), rng.normal(size=4)
    assert_fd(last_piece_reused, (a, b), (0, 1))
    with optimize.disabled("pieces"):
        off = tl.grad(last_piece_reused, wrt=(0, 1))(a, b)
    on = tl.grad(last_piece_reused, wrt=(0, 1))(a, b)
    for x, y in zip(on, off):
        np.testing.assert_array_equal(x, y)
    g = rng.normal(size=7) + 1j * rng.normal(size=7)
    parts = runtime_shapes.unconcatenate(g, [g[:3], None])
    assert parts[0].shape == (3,) and parts[1].shape == (4,)
    np.testing.assert_array_equal(np.concatenate(parts), g)


def test_unconcatenate_rest_outside_the_numpy_fast_path():
    class Sub(np.ndarray):
        pass
    g = np.arange(12.0).reshape(3, 4).view(Sub)
    a = np.zeros((3, 1))
    fast = runtime_shapes.unconcatenate(np.asarray(g), [a, None], 1)
    slow = runtime_shapes.unconcatenate(g, [a, None], 1)
    for p, q in zip(fast, slow):
        np.testing.assert_array_equal(p, q)
    assert [p.shape for p in slow] == [(3, 1), (3, 3)]
    three = runtime_shapes.unconcatenate(g, [a, np.zeros((3, 2)), None], 1)
    assert [p.shape for p in three] == [(3, 1), (3, 2), (3, 1)]


def test_dask_concatenation_gradient():
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(9)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))

    def f(a, b):
        return np.sum(np.concatenate([a, a * b], axis=1) ** 2)
    want = tl.grad(f, wrt=(0, 1))(a, b)
    got = tl.grad(f, wrt=(0, 1))(da.from_array(a, chunks=2), da.from_array(b, chunks=2))
    for w, g in zip(want, got):
        assert isinstance(g, da.Array)
        np.testing.assert_allclose(g.compute(), w, rtol=1e-12)


# ---- unindex_product of a 1-D slice ------------------------------------------------------------

@pytest.mark.parametrize("n", [10, 20000])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("index", [np.s_[1:], np.s_[:-1], np.s_[2:-3], np.s_[::2],
                                   np.s_[-4:]])
def test_unindex_product_equals_zeros_and_assign(n, dtype, index):
    rng = np.random.default_rng(n)
    x = rng.normal(size=n).astype(dtype)
    t = x[index]
    a, b = rng.normal(size=t.shape).astype(dtype), rng.normal(size=t.shape).astype(dtype)
    got = runtime_indexing.unindex_product(a, b, t, x, index)
    want = np.zeros_like(x)
    want[index] = a * b
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_unindex_product_mixed_dtypes_keep_the_general_path():
    x = np.linspace(0.0, 1.0, 9, dtype=np.float32)
    a, b = np.ones(8, dtype=np.float64), np.full(8, 2.0, dtype=np.float32)
    got = runtime_indexing.unindex_product(a, b, x[1:], x, np.s_[1:])
    want = np.zeros(9, dtype=np.result_type(a, b))
    want[1:] = a * b
    np.testing.assert_array_equal(got, want)
    c = np.ones(8) + 1j
    got = runtime_indexing.unindex_product(c, c, c, np.zeros(9, complex), np.s_[1:])
    assert got.dtype == complex and np.array_equal(got[1:], c * c) and got[0] == 0


def test_unindex_of_one_element_with_a_number_gradient():
    for x in (np.arange(5.0), np.arange(5.0, dtype=np.float32)):
        for g in (1.0, x.dtype.type(2.5)):
            got = runtime_indexing.unindex(g, x, -1)
            want = np.zeros_like(x)
            want[-1] = g
            assert got.dtype == x.dtype
            np.testing.assert_array_equal(got, want)
    got = runtime_indexing.unindex(np.float64(2.0), np.arange(3.0, dtype=np.float32), 0)
    assert got.dtype == np.float64    # another dtype's gradient: the general path, as before


# ---- extremum_mask and the np.dot k-means ------------------------------------------------------

def _share(y, x, axis, keepdims):
    mask = x == runtime_reductions.unreduce(y, x, axis, keepdims)
    with np.errstate(invalid="ignore"):
        return (mask / np.sum(mask, axis=axis, keepdims=True)).astype(
            runtime_reductions.float_dtype(x), copy=False)


@pytest.mark.parametrize("axis,keepdims", [(1, False), (0, True), (None, False),
                                           ((0, 1), False)])
def test_extremum_mask_with_and_without_ties(axis, keepdims):
    rng = np.random.default_rng(10)
    cases = [rng.normal(size=(6, 5)), np.round(rng.uniform(size=(6, 5)) * 2),
             rng.normal(size=(6, 5)).astype(np.float32), rng.integers(0, 3, size=(6, 5))]
    nan_tie = rng.normal(size=(6, 5))
    nan_tie[1, 2] = np.nan            # one row without a hit, another with two: counts differ
    nan_tie[3, :2] = -9.0
    cases.append(nan_tie)
    for x in cases:
        y = np.min(x, axis=axis, keepdims=keepdims)
        got = runtime_reductions.extremum_mask(y, x, axis, keepdims)
        with np.errstate(invalid="ignore"):
            want = _share(y, x, axis, keepdims)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("f", [kmeans_dot, kmeans_broadcast])
def test_kmeans_gradients(f):
    rng = np.random.default_rng(11)
    points = rng.uniform(size=(30, 3))
    centroids = points[-4:].copy() + 0.01
    assert_fd(f, (centroids, points), (0,), rtol=1e-5, atol=1e-7)


def test_kmeans_dot_variant_source():
    rng = np.random.default_rng(12)
    points = rng.uniform(size=(20, 3))
    args = (points[-4:].copy() + 0.01, points)
    src = specialised_source(kmeans_dot, args, (0,))
    assert "unbroadcast(" not in src and "* -2.0" in src


# ---- a negated gradient scaled by a float literal ----------------------------------------------

def test_negation_folded_into_a_float_literal_only():
    rng = np.random.default_rng(13)
    a, b = rng.normal(size=5), rng.normal(size=5)
    assert_fd(negated_scaled, (a, b), (0, 1))
    src = specialised_source(negated_scaled, (a, b), (0, 1))
    assert "* -2.0" in src             # the float literal: folded
    assert "* -3" not in src           # an int literal: kept as it was
    assert_fd(negated_zero, (a, b), (0, 1))
    assert "-0.0" not in tl.source(negated_zero, wrt=(0, 1))
    with optimize.disabled("algebra"):
        off = tl.grad(negated_scaled, wrt=(0, 1))(a, b)
    on = tl.grad(negated_scaled, wrt=(0, 1))(a, b)
    for x, y in zip(on, off):
        np.testing.assert_array_equal(x, y)


def test_each_size_keeps_its_variant_where_a_symbol_removes_nothing():
    df = tl.grad(ode_last, wrt=(0,))
    for n in (5, 11, 7):
        x = np.random.default_rng(n).uniform(size=n)
        (g,) = df(x, 2)
        np.testing.assert_allclose(g, numeric_grad(ode_last, (x, 2), 0), rtol=1e-6, atol=1e-9)
        src = specialised_source(ode_last, (x, 2), (0,))
        assert f"x.shape == ({n},)" in src and "unbroadcast(" not in src


# ---- an add into a slice that is still zero -------------------------------------------------------

def overlapping(x, y):
    # x[:2] and x[1:] share x[1]: its gradient adds, it is not assigned
    return np.concatenate([x[:2], x[1:] * y[:-1]])


def apart(x, y):
    return np.concatenate([x[3:] * y[:-3], x[:2]])


def test_disjoint_slice_assigns_and_overlap_adds():
    src = pipeline.vjp(ode_fun, ("x", "y")).source
    assert "dx = set_at(dx, np.s_[:1], dt_item)" in src
    assert "set_at" not in pipeline.vjp(overlapping, ("x", "y")).source
    rng = np.random.default_rng(14)
    x, y = rng.normal(size=6), rng.normal(size=6)
    for f, n in ((overlapping, 7), (apart, 5), (ode_fun, 6)):
        g = rng.normal(size=n)
        _, pullback = tl.vjp(f, x, y, wrt=(0, 1))
        dx, dy = pullback(g)
        np.testing.assert_allclose(dx, numeric_grad(lambda x_: f(x_, y) * g, (x,), 0),
                                   rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(dy, numeric_grad(lambda y_: f(x, y_) * g, (y,), 0),
                                   rtol=1e-6, atol=1e-9)


def test_set_at_assigns_only_arrays_of_its_dtype():
    g = np.zeros(5)
    assert runtime_indexing.set_at(g, np.s_[:2], np.array([1.0, 2.0])) is g
    np.testing.assert_array_equal(g, [1, 2, 0, 0, 0])
    g32 = np.zeros(5, dtype=np.float32)
    runtime_indexing.set_at(g32, np.s_[3:], np.array([1.5, 2.5]))   # another dtype: added
    assert g32.dtype == np.float32 and list(g32) == [0, 0, 0, 1.5, 2.5]
    runtime_indexing.set_at(g32, np.s_[3:], 1.0)                    # a number: added
    assert list(g32) == [0, 0, 0, 2.5, 3.5]
    da = pytest.importorskip("dask.array")
    d = runtime_indexing.set_at(da.zeros(4, chunks=2), np.s_[:1], np.ones(1))
    np.testing.assert_array_equal(np.asarray(d.compute()), [1, 0, 0, 0])


def test_unindex_product_of_zero_d_operands_takes_the_general_path():
    x = np.arange(4.0)
    a = np.array(2.0)
    got = runtime_indexing.unindex_product(a, np.array(3.0), np.array(1.0), x, np.s_[1:])
    np.testing.assert_array_equal(got, [0.0, 6.0, 6.0, 6.0])   # unindex of the 0-d product
