"""The scatter paths of the index gradients (runtime/indexing.py unindex and add_at, runtime/shapes.py untake): each fast
path (plain assignment for a basic index, one np.bincount for repeated integer rows) against the
plain np.zeros + np.add.at scatter it replaces, bit for bit, on many index forms, and whole
programs written the way users write gathers against central finite differences in float64."""
import numpy as np
import pytest

from tangent_lite.runtime import add_at, unindex, untake
from tangent_lite.runtime import shapes

from helpers import check_grad

RNG = np.random.default_rng(1414)


def reference(g, x, index):
    """The gradient of x[index] the slow way: zeros with g added at index by np.add.at."""
    dtype = np.result_type(x, g) if np.asarray(x).dtype.kind in "fc" else np.asarray(g).dtype
    out = np.zeros(np.shape(x), dtype=dtype)
    np.add.at(out, index, g)
    return out


def same(a, b):
    assert np.shape(a) == np.shape(b) and np.asarray(a).dtype == np.asarray(b).dtype
    np.testing.assert_array_equal(a, b)


BASIC = [
    np.s_[1:], np.s_[:-1], np.s_[::-1], np.s_[5:1:-2], np.s_[3:3], np.s_[:, 6], np.s_[:, None],
    np.s_[..., 2], np.s_[None, ..., None], np.s_[1, ..., ::2], np.s_[-1], np.s_[-2, :],
    np.s_[:, 7:9], np.s_[np.int64(2)], np.s_[np.int32(1), None, 1:], np.s_[...], np.s_[()],
]


@pytest.mark.parametrize("index", BASIC, ids=repr)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_basic_index_equals_add_at(index, dtype):
    x = RNG.normal(size=(8, 11)).astype(dtype)
    g = np.asarray(RNG.normal(size=np.shape(x[index]))).astype(dtype)
    same(unindex(g, x, index), reference(g, x, index))
    if np.ndim(g) >= 2:   # a non-contiguous gradient: the transpose of a fresh array
        gt = np.ascontiguousarray(np.swapaxes(g, 0, 1)).swapaxes(0, 1)
        same(unindex(gt, x, index), reference(gt, x, index))


def test_basic_index_of_a_number_and_an_integer_array():
    x = RNG.normal(size=(4, 5))
    same(unindex(np.float64(2.5), x, (1, 3)), reference(np.float64(2.5), x, (1, 3)))
    same(unindex(2.5, x, (1, 3)), reference(2.5, x, (1, 3)))
    xi = np.arange(20).reshape(4, 5)
    same(unindex(np.ones(5), xi, 2), reference(np.ones(5), xi, 2))
    same(unindex(np.ones(4, np.float32), x, np.s_[:, 1]),
         reference(np.ones(4, np.float32), x, np.s_[:, 1]))
    x0 = np.array(3.0)
    same(unindex(np.float64(2.0), x0, ()), reference(np.float64(2.0), x0, ()))


ROWS = [
    ((49, 11), lambda: RNG.integers(0, 49, size=3000)),                  # BA's cams[obs[:, 0]]
    ((200, 3), lambda: RNG.integers(-200, 200, size=(40, 30))),          # negative, 2-D index
    ((7, 4, 5), lambda: RNG.integers(0, 7, size=600)),                  # rows of a 3-D array
    ((300, 8), lambda: list(RNG.integers(0, 300, size=500))),           # a Python list
    ((1000,), lambda: RNG.integers(0, 1000, size=5000)),                # 1-D: np.add.at's own
    ((50, 2), lambda: RNG.integers(0, 50, size=5)),                     # small: np.add.at
    ((50, 40), lambda: np.zeros(0, dtype=np.intp)),                     # no rows at all
    ((30, 64), lambda: np.full(100, 7, dtype=np.uint16)),               # one row, many times
]


@pytest.mark.parametrize("shape, make", ROWS, ids=[str(s) for s, _ in ROWS])
def test_repeated_rows_equal_add_at_bit_for_bit(shape, make):
    idx = make()
    x = RNG.normal(size=shape)
    g = RNG.normal(size=np.shape(np.asarray(idx)) + shape[1:])
    same(unindex(g, x, idx), reference(g, x, idx))
    same(unindex(g, x, (np.asarray(idx),)), reference(g, x, (np.asarray(idx),)))
    if g.ndim >= 2:
        gf = np.asfortranarray(g)
        same(unindex(gf, x, idx), reference(gf, x, idx))


def test_bincount_takes_the_large_float64_rows_only():
    idx = RNG.integers(0, 49, size=3000)
    g = RNG.normal(size=(3000, 11))
    assert shapes.bincount_rows(g, (49, 11), idx) is not None
    assert shapes.bincount_rows(g[:5], (49, 11), idx[:5]) is None             # small
    assert shapes.bincount_rows(g[:, 0], (49,), idx) is None                   # 1-D
    assert shapes.bincount_rows(g.astype(np.float32), (49, 11), idx) is None   # float32
    assert shapes.bincount_rows(g + 0j, (49, 11), idx) is None                 # complex
    assert shapes.bincount_rows(g[:, :1], (49, 11), idx) is None               # broadcast g


@pytest.mark.parametrize("dtype", [np.float32, np.complex128, np.int64])
def test_other_dtypes_keep_add_at(dtype):
    idx = RNG.integers(0, 20, size=400)
    x = RNG.normal(size=(20, 6))
    g = (RNG.normal(size=(400, 6)) * 4).astype(dtype)
    same(unindex(g, x, idx), reference(g, x, idx))
    xi = np.arange(120).reshape(20, 6)
    same(unindex(g, xi, idx), reference(g, xi, idx))


def test_out_of_bounds_rows_raise_numpys_index_error():
    with pytest.raises(IndexError):
        unindex(np.ones((2000, 3)), np.zeros((10, 3)), np.full(2000, 10))


@pytest.mark.parametrize("axis", [0, 1, -1, None])
@pytest.mark.parametrize("mode", ["raise", "wrap", "clip"])
def test_untake_equals_add_at(axis, mode):
    x = RNG.normal(size=(30, 40))
    idx = RNG.integers(-30 if mode == "raise" else -90, 30 if mode == "raise" else 90,
                       size=(50, 3))
    taken = np.take(x, idx, axis=axis, mode=mode)
    g = RNG.normal(size=taken.shape)
    n = x.size if axis is None else x.shape[axis]
    where = np.clip(idx, 0, n - 1) if mode == "clip" else idx % n
    flat = x.reshape(-1) if axis is None else np.moveaxis(x, axis, 0)
    ref = np.zeros(flat.shape)
    moved = g if axis is None else np.moveaxis(
        g, tuple(range(axis % 2, axis % 2 + 2)), (0, 1))
    np.add.at(ref, where, moved)
    ref = ref.reshape(x.shape) if axis is None else np.moveaxis(ref, 0, axis)
    np.testing.assert_allclose(untake(g, x, idx, axis, mode), ref, rtol=1e-14, atol=1e-14)


def test_add_at_with_a_basic_index_adds_in_place():
    g = np.ones((4, 11))
    out = add_at(g, np.s_[:, None, 6], np.full((4, 1), 2.0))
    assert out is g and np.all(g[:, 6] == 3.0) and g.sum() == 44 + 8


# ---- programs, the way users write gathers ---------------------------------------------------

def pairs(x):
    return np.sum(x[1:] * x[:-1])


def columns(cam, w):
    p = cam[:, 3:6] * w[:, None]
    return np.sum(p ** 2) + np.sum(cam[:, 6] * cam[..., 9]) + np.sum(cam[::-1, 0])


def gather_rows(cams, X, obs):
    cam = cams[obs[:, 0]]
    d = X[obs[:, 1]] - cam[:, 3:6]
    return np.sum(d * d * cam[:, None, 6])


def gather_take(table, idx):
    rows = np.take(table, idx, axis=0)
    cols = np.take(table, idx[:7], axis=1)
    return np.sum(np.tanh(rows)) + np.sum(cols ** 2)


def gather_list(emb, words):
    total = 0.0
    for w in words:
        total = total + np.sum(emb[w] ** 2)
    return total + np.sum(emb[[0, 0, 1]] * 3.0)


def test_pairs_of_neighbours():
    check_grad(pairs, RNG.normal(size=50))


def test_columns_and_reversed_slices():
    check_grad(columns, RNG.normal(size=(9, 11)), RNG.normal(size=9), wrt=(0, 1))


def test_gathers_with_repeated_rows_use_bincount_and_agree():
    cams = RNG.normal(size=(5, 11))
    X = RNG.normal(size=(7, 3))
    i = np.arange(400)
    obs = np.stack([i % 5, i % 7], axis=1)     # 400 x 11 values: the bincount path
    check_grad(gather_rows, cams, X, obs, wrt=(0, 1))


def test_take_along_both_axes():
    check_grad(gather_take, RNG.normal(size=(12, 90)), RNG.integers(0, 12, size=200))


def test_rows_read_in_a_loop_and_a_list_index():
    check_grad(gather_list, RNG.normal(size=(6, 200)), [3, 1, 3, 5, 3])
