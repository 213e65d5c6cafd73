"""The fast paths of the helpers that sit in the user's loops (float_dtype, zeros_grad,
add_grads, add_at, sum_product: runtime/dispatch.py, lists.py, shapes.py, fused.py) give what
their general paths give, on every kind of value they are called with."""
import numpy as np
import pytest

from tangent_lite.runtime import GradList, add_at, add_item, sum_product, unbroadcast, unindex
from tangent_lite.runtime import dispatch, lists

from helpers import check_grad

RNG = np.random.default_rng(1416)

VALUES = [np.ones(3), np.ones(3, np.float32), np.ones(2, np.complex64), np.arange(3),
          np.arange(3, dtype=np.uint8), np.ones(2, bool), 1.5, 2, True, 1j, np.float32(2.0),
          np.float64(1.0), np.int32(4), np.complex128(1j), np.ones((2, 2), np.float16),
          [1.0, 2.0]]


@pytest.mark.parametrize("v", VALUES, ids=lambda v: f"{type(v).__name__}-{np.asarray(v).dtype}")
def test_float_dtype_of_one_value(v):
    def general(*values):   # float_dtype's general path
        dtype = np.result_type(*[np.asarray(u).dtype for u in values])
        return dtype if dtype.kind in "fc" else np.dtype(np.float64)
    assert dispatch.float_dtype(v) == general(v)
    assert dispatch.float_dtype(v, np.ones(1, np.float32)) == general(v, np.ones(1, np.float32))


@pytest.mark.parametrize("v", VALUES[:6] + [np.ones((0, 3)), np.ones(()) * 2],
                         ids=lambda v: f"{np.asarray(v).dtype}-{np.shape(v)}")
def test_zeros_grad_of_an_array(v):
    z = lists.zeros_grad(v)
    assert type(z) is np.ndarray and z.shape == np.shape(v) and not z.any()
    assert z.dtype == dispatch.float_dtype(v)
    nested = lists.zeros_grad([v, [v, 1.0]])
    assert isinstance(nested, GradList) and isinstance(nested[1], GradList)
    assert nested[1][1] == 0.0 and nested[0].shape == np.shape(v)


def test_add_grads_of_arrays_and_lists():
    a, b = RNG.normal(size=4), RNG.normal(size=4)
    np.testing.assert_array_equal(lists.add_grads(a, b), a + b)
    la, lb = GradList([a, 1.0]), GradList([b, 2.0])
    out = lists.add_grads(la, lb)
    assert isinstance(out, GradList) and out[1] == 3.0
    np.testing.assert_array_equal(out[0], a + b)
    np.testing.assert_array_equal(lists.add_grads(a, np.float64(2.0)), a + 2.0)


def test_add_at_in_place_on_arrays_and_returns_it():
    g = np.zeros((3, 5))
    assert add_at(g, 1, np.ones(5)) is g and g[1].sum() == 5
    assert add_at(g, np.s_[:, 1:3], 2.0) is g and g.sum() == 5 + 12
    rows = add_at(g, np.array([0, 0]), np.ones(5))        # repeated rows: np.add.at
    assert rows is g and g[0, 0] == 2 and g[0, 1] == 4


@pytest.mark.parametrize("dtypes", [(np.float64, np.float64), (np.float32, np.float64),
                                    (np.int64, np.float64), (np.complex128, np.float64)])
def test_sum_product_of_same_shapes_is_the_product(dtypes):
    a = (RNG.normal(size=(3, 4)) * 3).astype(dtypes[0])
    b = RNG.normal(size=(3, 4)).astype(dtypes[1])
    x = np.zeros((3, 4))
    got = sum_product(a, b, x)
    expected = unbroadcast(a * b, x)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def lstm_cell(w, h, c):
    # a diagonal LSTM step on 7-element vectors, read from lists, as ADBench's objective
    hidden = [h.copy(), h * 0.5]
    cell = [c.copy(), c * 0.5]
    b = h.shape[0]
    total = 0.0
    for t in range(3):
        for i in range(2):
            forget = 1.0 / (1.0 + np.exp(-(hidden[i] * w[:b] + w[b:2 * b])))
            change = np.tanh(hidden[i] * w[2 * b:3 * b] + w[3 * b:])
            cell[i] = cell[i] * forget + change
            hidden[i] = np.tanh(cell[i])
        total = total + np.sum(hidden[1] * hidden[0])
    return total


def test_list_gradients_in_a_loop():
    check_grad(lstm_cell, RNG.normal(size=28), RNG.normal(size=7), RNG.normal(size=7),
               wrt=(0, 1, 2))


# ---- add_item: a list entry's read accumulated into that entry alone -------------------------

def general_add_item(g, index, value, x):
    return lists.add_grads(g, unindex(value, x, index))


ITEM_CASES = [
    ([np.ones(3), np.ones(3)], 1, lambda: RNG.normal(size=3)),             # the fast path
    ([np.ones(3), np.ones(3)], -2, lambda: RNG.normal(size=3)),            # negative index
    ([np.ones(3), 2.0], 1, lambda: 0.5),                                  # a number entry
    ([np.ones(3), np.ones(3)], 0, lambda: 1.5),                           # a number g
    ([np.ones(3), np.ones((2, 3))], 1, lambda: RNG.normal(size=3)),       # broadcast value
    ([np.ones(2, np.float32), np.ones(2)], 0, lambda: np.ones(2)),        # another dtype
    ([np.arange(3), np.ones(3)], 0, lambda: RNG.normal(size=3)),          # integer item
    ([[np.ones(2), 1.0], np.ones(2)], 0, lambda: lists.GradList([np.ones(2), 2.0])),  # nested
    ((np.ones(3), np.ones(3)), 1, lambda: RNG.normal(size=3)),            # a tuple
    ([np.ones(3), np.ones(3), np.ones(3)], slice(0, 2), lambda: [np.ones(3), np.ones(3)]),
]


@pytest.mark.parametrize("x, index, make", ITEM_CASES, ids=[str(i) for i in range(10)])
def test_add_item_equals_add_grads_of_unindex(x, index, make):
    g = lists.zeros_grad(x)
    g = lists.add_grads(g, unindex(make(), x, index if not isinstance(index, int) else 0))
    value = make()
    before = [np.array(e, copy=True) if isinstance(e, np.ndarray) else e for e in g]
    got = add_item(g, index, value, x)
    expected = general_add_item(g, index, value, x)
    assert isinstance(got, GradList) and len(got) == len(expected)
    for a, b in zip(got, expected):
        if isinstance(b, list):
            for u, v in zip(a, b):
                np.testing.assert_array_equal(u, v)
        else:
            assert np.shape(a) == np.shape(b) and np.asarray(a).dtype == np.asarray(b).dtype
            np.testing.assert_array_equal(a, b)
    for e, kept in zip(g, before):   # g itself is unchanged
        if isinstance(kept, np.ndarray):
            np.testing.assert_array_equal(e, kept)


def rnn_over_list(w, h):
    states = [h, h * 2.0, h * 3.0]
    total = 0.0
    for t in range(4):
        for i in range(3):
            states[i] = np.tanh(states[i] * w + states[(i + 1) % 3])
            total = total + np.sum(states[i] * states[i - 1])
    return total


def test_list_reads_first_and_second_derivatives():
    w, h = RNG.normal(size=5) * 0.5, RNG.normal(size=5)
    check_grad(rnn_over_list, w, h, wrt=(0, 1))
    import tangent_lite
    hvp = tangent_lite.hvp(rnn_over_list)
    v = RNG.normal(size=5)
    got = hvp(w, h, v)
    eps = 1e-5
    df = tangent_lite.grad(rnn_over_list)
    expected = (df(w + eps * v, h) - df(w - eps * v, h)) / (2 * eps)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
