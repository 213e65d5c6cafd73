"""The ADBench LSTM's layer step in a specialised variant: lists of float64 states known as such
(optimize/dtypes.py LIST), a list gradient's entry zeroed then set written as the set
(optimize/zeroed_entries.py), a row's slice gradients that tile the row added as one
concatenation (optimize/row_tiles.py), and a spread seed folded where its operand is popped or
remade in the backward sweep. Programs in several styles against central finite differences in
float64 and against the same gradient with the passes off; near misses that must keep the
general code (slices with a gap or overlapping, float32)."""
import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite import optimize

from helpers import check_grad

RNG = np.random.default_rng(7070)


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def gates(params, state, xs):
    # four gates read as slices of one parameter row, states in lists (ADBench's form)
    b = xs.shape[1]
    hidden = [state[2 * i].copy() for i in range(2)]
    cell = [state[2 * i + 1].copy() for i in range(2)]
    total = 0.0
    for t in range(xs.shape[0]):
        y = xs[t] * 1.0
        for i in range(2):
            w = params[i]
            f = sigmoid(y * w[:b])
            g = sigmoid(hidden[i] * w[b:2 * b])
            o = sigmoid(y * w[2 * b:3 * b])
            c = np.tanh(hidden[i] * w[3 * b:])
            cell[i] = cell[i] * f + g * c
            hidden[i] = o * np.tanh(cell[i])
            y = hidden[i]
        total = total + np.sum(y * xs[t]) - np.log(np.sum(np.exp(y)) + 1.0)
    return -total / xs.shape[0]


def gates_appended(params, state, xs):
    # the lists built by append, the loss by np.mean and np.dot, the gates from a tuple
    b = xs.shape[1]
    hidden = []
    for i in range(2):
        hidden.append(state[i] * 1.0)
    losses = 0.0
    for t in range(xs.shape[0]):
        y = xs[t] * 1.0
        for i in range(2):
            row = params[i]
            f, g = sigmoid(y * row[:b]), np.tanh(hidden[i] * row[b:])
            hidden[i] = f * g + 0.5 * hidden[i]
            y = hidden[i]
        losses = losses + np.dot(y, y) + np.mean(y)
    return losses


def gap(params, xs):
    # slices leave a gap in the row: added slice by slice
    b = xs.shape[1]
    h = np.zeros(b)
    for t in range(xs.shape[0]):
        w = params[t % 2]
        h = np.tanh(h * w[:b] + xs[t] * w[b + 1:2 * b + 1])
    return np.sum(h * h)


def overlap(params, xs):
    # overlapping slices: the general path
    b = xs.shape[1]
    h = np.zeros(b)
    for t in range(xs.shape[0]):
        w = params[0]
        h = np.tanh(h * w[:b] + xs[t] * w[1:b + 1])
    return np.sum(h * h)


def inputs(b=5, steps=4):
    return (RNG.uniform(-1, 1, (2, 4 * b)), RNG.uniform(-1, 1, (4, b)),
            RNG.uniform(0, 1, (steps, b)))


CASES = [
    (gates, inputs()),
    (gates_appended, (RNG.uniform(-1, 1, (2, 8)), RNG.uniform(-1, 1, (2, 4)),
                      RNG.uniform(-1, 1, (3, 4)))),
    (gap, (RNG.uniform(-1, 1, (2, 11)), RNG.uniform(-1, 1, (5, 5)))),
    (overlap, (RNG.uniform(-1, 1, (1, 6)), RNG.uniform(-1, 1, (5, 5)))),
]
PASSES = ("small_callees", "lower", "entries", "dtypes")


@pytest.mark.parametrize("f, args", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_against_finite_differences_and_each_pass_off(f, args):
    got = check_grad(f, *args, wrt=0)
    for name in PASSES:
        with optimize.disabled(name):
            df = tl.grad(f, wrt=0)
            df(*args)
            np.testing.assert_allclose(df(*args), got, rtol=1e-13, atol=1e-15)


def test_the_gates_variant_reads_as_numpy():
    args = inputs()
    tl.grad(gates, wrt=0)(*args)
    source = tl.source(gates, wrt=0, specialised_for=args)
    assert "dparams[i] += np.concatenate((" in source, source
    assert "add_row_slices" not in source and "vjp_sigmoid" not in source
    assert "zeros_grad(dcell[i])" not in source and "zeros_grad(dhidden[i])" not in source


@pytest.mark.parametrize("f", [gap, overlap])
def test_rows_that_do_not_tile_keep_the_slice_additions(f):
    args = dict(CASES)[f]
    tl.grad(f, wrt=0)(*args)
    source = tl.source(f, wrt=0, specialised_for=args)
    assert "np.concatenate" not in source, source


def test_float32_is_not_real_and_keeps_its_dtype():
    params, state, xs = (a.astype(np.float32) for a in inputs())
    g = tl.grad(gates, wrt=0)(params, state, xs)
    g2 = tl.grad(gates, wrt=0)(params, state, xs)
    assert g.dtype == np.float32 and g2.dtype == np.float32
    expected = tl.grad(gates, wrt=0)(*(a.astype(np.float64) for a in (params, state, xs)))
    np.testing.assert_allclose(g2, expected, rtol=1e-3, atol=1e-4)


def test_the_value_is_the_objectives_bit_for_bit():
    args = inputs()
    for _ in range(2):
        value, _ = tl.value_and_grad(gates, wrt=0)(*args)
        assert value == gates(*args)


def written_in_place(params, state, xs):
    # an array written in place: replaced entries are copied when pushed
    b = xs.shape[1]
    hidden = [state[0].copy()]
    for t in range(xs.shape[0]):
        w = params[0]
        z = hidden[0] * w[:b]
        z += xs[t] * w[b:]
        hidden[0] = np.tanh(z)
    return np.sum(hidden[0] ** 2)


def test_replaced_entries_are_pushed_without_a_copy_only_where_nothing_is_written():
    args = inputs()
    tl.grad(gates, wrt=0)(*args)
    assert "saved(" not in tl.source(gates, wrt=0, specialised_for=args)
    args = (RNG.uniform(-1, 1, (1, 10)), RNG.uniform(-1, 1, (1, 5)), RNG.uniform(-1, 1, (3, 5)))
    check_grad(written_in_place, *args, wrt=0)
    assert "saved(hidden[0])" in tl.source(written_in_place, wrt=0, specialised_for=args)


def stacked(params, xs):
    # the list escapes into np.stack: its entries are not known through its name alone
    hidden = [xs[0] * 1.0]
    for t in range(1, xs.shape[0]):
        hidden.append(np.tanh(hidden[t - 1] * params[0, :xs.shape[1]] + xs[t]))
    return np.sum(np.stack(hidden) ** 2)


def test_list_kinds():
    from tangent_lite import pipeline
    from tangent_lite.analysis import dtype_kinds as dtypes
    sig = [("array", "<f8", (2, 20)), ("array", "<f8", (4, 5)), ("array", "<f8", (4, 5))]
    parsed, _, _, fn = pipeline._front(gates)
    kinds = dtypes.kinds(fn, sig, parsed.resolve)
    assert kinds["hidden"] == kinds["cell"] == dtypes.LIST
    assert kinds["b"] == kinds["i"] == dtypes.INT and kinds["y"] == dtypes.F8
    parsed, _, _, fn = pipeline._front(stacked)
    kinds = dtypes.kinds(fn, sig[::2], parsed.resolve)
    assert "hidden" not in kinds
    check_grad(stacked, RNG.uniform(-1, 1, (1, 10)), RNG.uniform(-1, 1, (4, 5)), wrt=0)
