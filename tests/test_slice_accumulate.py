"""Slice-read gradients written into their slice (optimize/slices.py, runtime unindex_product):
programs the pass rewrites, written the way users write them, against central finite differences
in float64 and against the same gradient with the pass off (bit for bit); the near misses it must
leave alone (a product read twice, a factor rebound or updated in between) and those the helper
must hand to the unfused expression at run time (integer-array indices with repeats, float32 and
complex values, broadcasting, an index picking one element, Dask arrays)."""
import numpy as np
import pytest

import tangent_lite
from tangent_lite import optimize
from tangent_lite.runtime import sum_product, unindex, unindex_product

from helpers import check_grad

RNG = np.random.default_rng(1414)


# ---- programs the pass rewrites ---------------------------------------------------------------

def ode_fun(x, y):
    return np.concatenate([x[:1], x[1:] * y[:-1]])


def ode_last(x, y0):
    # GradBench's ODE, two Runge-Kutta steps
    h = 0.5
    y = y0
    for _ in range(2):
        k1 = ode_fun(x, y)
        k2 = ode_fun(x, y + h * k1 / 2)
        k3 = ode_fun(x, y + h * k2 / 2)
        k4 = ode_fun(x, y + h * k3)
        y = y + h * (k1 + 2 * k2 + 2 * k3 + k4) / 6
    return y[-1] + np.sum(y * y)


def neighbours(x, w):
    # the slices multiplied by a weight vector of their shape
    return np.sum(np.sin(x[1:] * w) + x[:-1] * w)


def neighbours_2d(a, b):
    left = a[:, :-1]
    right = b[:, 1:]
    prod = left * right
    return np.sum(np.tanh(prod))


def column_scales(cam, r):
    # BA's `cam[:, 9] * rsq`: a column of a matrix times a vector
    d = 1.0 + cam[:, 0] * r + cam[:, 1] * r * r
    return np.sum(d ** 2)


def unit_axis(theta, v):
    # `theta[:, None] * v`: the read only adds an axis, its gradient is a summed product
    s = np.sin(theta)
    scaled = v * s[:, None]
    return np.sum(scaled ** 2)


def reversed_read(x, w):
    return np.sum(np.cos(x[::-1] * w))


REWRITTEN = [
    (neighbours, lambda: (RNG.normal(size=7), RNG.normal(size=6))),
    (neighbours_2d, lambda: (RNG.normal(size=(3, 5)), RNG.normal(size=(3, 5)))),
    (column_scales, lambda: (RNG.normal(size=(6, 4)), RNG.normal(size=6))),
    (unit_axis, lambda: (RNG.normal(size=5), RNG.normal(size=(5, 3)))),
    (reversed_read, lambda: (RNG.normal(size=6), RNG.normal(size=6))),
]


@pytest.mark.parametrize("f, make", REWRITTEN, ids=[f.__name__ for f, _ in REWRITTEN])
def test_rewritten_programs_match_finite_differences(f, make):
    args = make()
    assert "unindex_product(" in tangent_lite.source(f, wrt=(0, 1))
    got = check_grad(f, *args, wrt=(0, 1))
    with optimize.disabled("slices"):
        assert "unindex_product(" not in tangent_lite.source(f, wrt=(0, 1))
        plain = tangent_lite.grad(f, wrt=(0, 1))(*args)
    for g, h in zip(got, plain):
        np.testing.assert_array_equal(g, h)


def test_gradbench_ode_through_a_helper_vjp():
    x, y0 = RNG.uniform(size=6), RNG.uniform(size=6)
    check_grad(ode_last, x, y0, wrt=(0, 1))
    from tangent_lite import pipeline
    assert "unindex_product(" in pipeline.vjp(ode_fun, ("x", "y")).source


def test_overlapping_reads_of_one_array():
    # both slices of x overlap: each read's gradient goes into its own zero array or slice
    def f(x):
        return np.sum(x[1:] * x[:-1]) + np.sum(x[2:] * x[:-2] * x[1:-1])
    check_grad(f, RNG.normal(size=8))


def test_product_read_twice_is_not_rewritten():
    def f(x, w):
        t = x[1:]
        u = t * w
        return np.sum(u * u) + np.sum(t * w * 3.0)
    check_grad(f, RNG.normal(size=6), RNG.normal(size=5), wrt=(0, 1))


def test_a_loop_of_slice_reads():
    def f(x, w):
        total = 0.0
        for k in range(3):
            total = total + np.sum(np.tanh(x[k:k + 4] * w))
        return total
    check_grad(f, RNG.normal(size=7), RNG.normal(size=4), wrt=(0, 1))


def test_the_gradient_never_aliases_an_argument():
    def f(x, w):
        return np.sum(x[:, None] * w)
    x, w = RNG.normal(size=4), RNG.normal(size=(4, 1))
    dx, dw = tangent_lite.grad(f, wrt=(0, 1))(x, w)
    assert not np.shares_memory(dx, x) and not np.shares_memory(dx, w)
    assert dx.flags.writeable and dx.base is None
    check_grad(f, x, w, wrt=(0, 1))


def test_hessian_vector_product_through_the_helper():
    def f(x):
        return np.sum(np.sin(x[1:] * x[:-1]))
    x, v = RNG.normal(size=5), RNG.normal(size=5)
    hv = tangent_lite.hvp(f)(x, v)
    df = tangent_lite.grad(f)
    eps = 1e-6
    expected = (df(x + eps * v) - df(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hv, expected, rtol=1e-5, atol=1e-7)


def scaled_float(x, w):
    return np.sum(np.abs(x[1:] * w) ** 2)


def scaled_complex(x, w):
    # real arguments, complex products: the helper sees a complex gradient and a real x
    z = w * (1.0 + 2.0j)
    return np.sum(np.abs(x[1:] * z) ** 2)


@pytest.mark.parametrize("f, dtype", [(scaled_float, np.float32), (scaled_complex, np.float64)])
def test_other_dtypes_match_the_unrewritten_gradient(f, dtype):
    x = RNG.normal(size=6).astype(dtype)
    w = RNG.normal(size=5).astype(dtype)
    assert "unindex_product(" in tangent_lite.source(f, wrt=(0, 1))
    got = tangent_lite.grad(f, wrt=(0, 1))(x, w)
    with optimize.disabled("slices"):
        plain = tangent_lite.grad(f, wrt=(0, 1))(x, w)
    for g, h in zip(got, plain):
        assert g.dtype == h.dtype
        np.testing.assert_array_equal(g, h)
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    ref = check_grad(f, x64, w64, wrt=(0, 1))
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-4, atol=1e-5)


# ---- the helper: the same array as unindex(sum_product(...)), bit for bit ----------------------

def _cases():
    r = np.random.default_rng(5)
    x1, x2 = r.normal(size=9), r.normal(size=(4, 6))
    yield "slice", r.normal(size=8), r.normal(size=8), x1[1:], x1, np.s_[1:]
    yield "step", r.normal(size=3), r.normal(size=3), x1[::3], x1, np.s_[::3]
    yield "column", r.normal(size=4), r.normal(size=4), x2[:, 2], x2, np.s_[:, 2]
    yield "block", r.normal(size=(2, 3)), r.normal(size=(2, 3)), x2[1:3, :3], x2, np.s_[1:3, :3]
    yield "axis", r.normal(size=(9, 1)), r.normal(size=(9, 1)), x1[:, None], x1, np.s_[:, None]
    yield "summed axis", r.normal(size=(9, 3)), r.normal(size=(9, 3)), x1[:, None], x1, \
        np.s_[:, None]
    yield "broadcast", r.normal(size=(1, 6)), r.normal(size=(1, 6)), x2[:1], x2, np.s_[:1]
    yield "one element", r.normal(size=()), r.normal(size=()), x1[3], x1, -1
    yield "repeats", r.normal(size=4), r.normal(size=4), x1[[0, 2, 0, 2]], x1, \
        np.array([0, 2, 0, 2])
    yield "float32", r.normal(size=8).astype(np.float32), r.normal(size=8).astype(np.float32), \
        x1[1:].astype(np.float32), x1.astype(np.float32), np.s_[1:]
    yield "mixed", r.normal(size=8).astype(np.float32), r.normal(size=8), x1[1:], x1, np.s_[1:]
    yield "complex", r.normal(size=8) + 1j, r.normal(size=8), x1[1:], x1.astype(complex), \
        np.s_[1:]


@pytest.mark.parametrize("case", list(_cases()), ids=[c[0] for c in _cases()])
def test_helper_is_unindex_of_sum_product(case):
    _, a, b, t, x, index = case
    expected = unindex(sum_product(a, b, t), x, index)
    got = unindex_product(a, b, t, x, index)
    assert type(got) is type(expected) and got.dtype == expected.dtype
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    assert not np.shares_memory(got, a) and not np.shares_memory(got, b)
    assert not np.shares_memory(got, x)


def test_helper_on_dask_arrays():
    da = pytest.importorskip("dask.array")
    a = da.from_array(RNG.normal(size=8), chunks=4)
    b = da.from_array(RNG.normal(size=8), chunks=4)
    x = da.from_array(RNG.normal(size=9), chunks=3)
    got = unindex_product(a, b, x[1:], x, np.s_[1:])
    assert hasattr(got, "__dask_graph__")
    np.testing.assert_array_equal(np.asarray(got), unindex(sum_product(
        np.asarray(a), np.asarray(b), np.asarray(x)[1:]), np.asarray(x), np.s_[1:]))
