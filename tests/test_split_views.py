"""A pullback's backward sweep restores its own copy of an array the forward sweep wrote into;
a value of the state that looks into that array is re-pointed at the copy (`t = owned_in(copies,
t)`: transforms/split_views.py `followers`, runtime `owned_in`), so it sees the restores as a
view sees them in grad's single sweep. Found by the memory fuzzer (seed 6, program 709): vjp
read the column through the forward sweep's B, with the diagonal still filled."""
import numpy as np
import pytest

import tangent_lite
from tangent_lite.errors import TangentLiteError
from tangent_lite.runtime import owned

from helpers import numeric_grad

RNG = np.random.default_rng(709)


def column_then_fill(x, W):
    B = W * 1.0
    parts = [x[2] * 1.0]
    kept = []
    parts.append(np.dot(B[:, 0], x[:2]) * 0.37)
    np.fill_diagonal(B, 0.5)
    kept.append(B)
    t = 0.0
    for item in parts:
        t = t + item * item
    for a in kept:
        t = t + np.sum(a * a) * 0.1
    return t


def row_then_scaled(x, W):
    # the view named, read by @, B written through an index after it; a tuple of results kept
    B = np.tanh(W)
    row = B[1]
    kept = (B, x)
    s = np.sum(np.sin(row @ W.T) * x[:2]) + np.sum(kept[0] ** 2)
    B[1, :] *= 0.5
    return s + np.sum(B * B)


def check_vjp(f, x, W, weight=0.7):
    value, pullback = tangent_lite.vjp(f, x.copy(), W.copy(), wrt=(0, 1))
    assert np.isclose(value, f(x.copy(), W.copy()))
    first, second = pullback(weight), pullback(weight)     # each call on its own copy
    for i, (g, h) in enumerate(zip(first, second)):
        np.testing.assert_array_equal(g, h)
        want = weight * numeric_grad(f, (x, W), i)
        np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("f", [column_then_fill, row_then_scaled])
def test_pullback_reads_views_through_its_copy(f):
    check_vjp(f, RNG.normal(size=3), RNG.normal(size=(2, 2)))


def test_fortran_ordered_argument():
    check_vjp(column_then_fill, RNG.normal(size=3), np.asfortranarray(RNG.normal(size=(2, 2))))


def test_generated_backward_re_points_the_column():
    from tangent_lite import api
    text = api._compiled(column_then_fill, (0, 1), "split", None).source
    assert "B = owned_in(copies, B)" in text
    assert "t_item2 = owned_in(copies, t_item2)" in text     # B[:, 0], re-pointed at B's copy


def test_owned_re_points_views_and_leaves_the_rest():
    a = np.arange(12.0).reshape(3, 4)
    col, row, other, lst = a[:, 1], a[2, ::-1], np.ones(3), [a]
    copy, col2, row2, other2, lst2 = owned(a, col, row, other, lst)
    assert copy is not a and other2 is other and lst2 is lst
    copy[:, 1] = -1.0
    copy[2] = 7.0
    np.testing.assert_array_equal(col2, [-1.0, -1.0, 7.0])
    np.testing.assert_array_equal(row2, [7.0] * 4)
    np.testing.assert_array_equal(col, [1.0, 5.0, 9.0])       # the original untouched
    f = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    copy, v = owned(f, f[1])
    copy[1] = 0.0
    np.testing.assert_array_equal(v, [0.0, 0.0, 0.0])


def test_owned_refuses_a_view_it_cannot_follow():
    base = np.arange(20.0)
    strided = base[::2]                  # the restored array is itself a strided view
    with pytest.raises(TangentLiteError, match="cannot follow"):
        owned(strided, base[2:6])
    copy, apart = owned(strided, base[1::2])     # shares no element: left as it is
    assert apart.base is base
