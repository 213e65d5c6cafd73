"""Slices of a parameter's row read in a loop, their gradients added straight into the row of the
parameter's gradient (optimize/rows.py, runtime add_row_slices; issue 14, the ADBench LSTM).

Programs written the way users write them (a 2-D array of parameters with `2 * i` rows, gate
slices bounded by multiples of a size read of an array, `np.dot` and `@`, loops over range and
over zip, lists, tuples and dicts of parameters) against central finite differences in float64
and against the same gradient with the pass off (bit for bit); the near misses the pass must
leave alone (overlapping slices, a bound that is not a size, a slice's gradient updated in place
before the row is added, the list appended to in the loop) and the cases the helper hands back to
the rules' chain at run time (float32 rows with float64 gradients, a row that broadcasts, a list
or dict gradient)."""
import numpy as np
import pytest

import tangent_lite
from tangent_lite import optimize
from tangent_lite.runtime import GradList, add_at, add_row_slices, unindex
from tangent_lite.runtime.trees import GradDict

from helpers import check_grad

RNG = np.random.default_rng(1911)


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


# ---- programs the pass rewrites ---------------------------------------------------------------

def gates(params, state, xs):
    # the ADBench LSTM's layer step: four gates sliced from a weight row and a bias row
    b = xs.shape[1]
    n_layers = params.shape[0] // 2
    hidden = [state[2 * i].copy() for i in range(n_layers)]
    cell = [state[2 * i + 1].copy() for i in range(n_layers)]
    total = 0.0
    for t in range(xs.shape[0]):
        y = np.tanh(xs[t])
        for i in range(n_layers):
            weight = params[2 * i]
            bias = params[2 * i + 1]
            forget = sigmoid(y * weight[:b] + bias[:b])
            ingate = sigmoid(hidden[i] * weight[b:2 * b] + bias[b:2 * b])
            outgate = sigmoid(y * weight[2 * b:3 * b] + bias[2 * b:3 * b])
            change = np.tanh(hidden[i] * weight[3 * b:] + bias[3 * b:])
            cell[i] = cell[i] * forget + ingate * change
            hidden[i] = outgate * np.tanh(cell[i])
            y = hidden[i]
        total = total + np.sum(y * y)
    return total / xs.shape[0]


def gates_named(params, xs):
    # the size named once, bounds as sums (`n + n`), a loop over range(len(...)) of the rows
    n = xs.shape[1]
    h = np.zeros(n)
    for t in range(len(xs)):
        row = params[t % 2]
        a = np.tanh(xs[t] * row[0:n] + h * row[n:n + n])
        h = a * row[n + n:]
    return np.sum(h ** 2)


def gates_dot(params, xs):
    # np.dot of a slice (1-D: a number), the row index an expression of the loop's index
    n = xs.shape[1]
    s = 0.0
    for t in range(xs.shape[0]):
        w = params[t + 1]
        s = s + np.dot(xs[t], w[:n]) * np.sum(np.sin(w[n:2 * n] * xs[t]))
    return s


def gates_matmul(params, xs):
    # `@` of slices of a row
    n = xs.shape[1]
    s = 0.0
    for t in range(xs.shape[0]):
        w = params[2 * t]
        s = s + (xs[t] @ w[:n]) ** 2 + np.sum(np.cos(w[n:] * xs[t]))
    return s


def one_slice(params, xs):
    # one slice of the row: the chain is the zero row and the add
    n = xs.shape[1]
    s = 0.0
    for t in range(xs.shape[0]):
        w = params[t]
        s = s + np.sum(np.tanh(w[:n]) * xs[t])
    return s


# ---- near misses and other styles: not rewritten, or rewritten and handed back at run time --

def overlapping(params, xs):
    # the slices overlap: [0, n) and [1, n + 1) add up in the zero row first
    n = xs.shape[1]
    s = 0.0
    for t in range(xs.shape[0]):
        w = params[t]
        s = s + np.sum(np.sin(w[:n] * xs[t]) + np.cos(w[1:n + 1] * xs[t]))
    return s


def bound_not_a_size(params, xs, k):
    # a bound that is an argument, not a size (it may be negative, where bounds such as
    # [:k + 1] and [-1:] would meet)
    s = 0.0
    for t in range(xs.shape[0]):
        w = params[t]
        s = s + np.sum(np.tanh(w[:k]) * xs[t, 0]) + np.sum(np.sin(w[k:]) * xs[t, 1])
    return s


def list_params(params, xs):
    # a list of rows: the list gradient's entries
    n = xs.shape[1]
    s = 0.0
    for t in range(xs.shape[0]):
        w = params[t % len(params)]
        s = s + np.sum(np.tanh(w[:n] * xs[t] + w[n:]))
    return s


def dict_params(params, xs):
    n = xs.shape[1]
    s = 0.0
    for t in range(xs.shape[0]):
        w = params["w"]
        s = s + np.sum(np.tanh(w[:n] * xs[t] + w[n:]))
    return s


def zip_rows(ws, bs, xs):
    # a loop over zip: rows without an index
    n = xs.shape[1]
    s = 0.0
    for w, b, x in zip(ws, bs, xs):
        s = s + np.sum(np.tanh(w[:n] * x + b[n:2 * n]) * b[:n])
    return s


def appended(params, xs):
    # the list of rows appended to in the loop
    n = xs.shape[1]
    rows = [params[0]]
    s = 0.0
    for t in range(xs.shape[0]):
        w = rows[t]
        s = s + np.sum(np.sin(w[:n] * xs[t]) * w[n:])
        rows.append(w * 0.5)
    return s


def state_args(layers=2, b=3, steps=4, dtype=np.float64):
    params = RNG.uniform(-1, 1, size=(2 * layers, 4 * b)).astype(dtype)
    state = RNG.uniform(-1, 1, size=(2 * layers, b)).astype(dtype)
    xs = RNG.uniform(-1, 1, size=(steps, b)).astype(dtype)
    return params, state, xs


REWRITTEN = [
    (gates, (0, 1), state_args()),
    (gates, (0,), state_args(layers=1, b=2, steps=3)),
    (gates_named, 0, (RNG.uniform(-1, 1, size=(2, 9)), RNG.uniform(-1, 1, size=(4, 3)))),
    (gates_dot, 0, (RNG.uniform(-1, 1, size=(5, 6)), RNG.uniform(-1, 1, size=(3, 3)))),
    (gates_matmul, 0, (RNG.uniform(-1, 1, size=(6, 4)), RNG.uniform(-1, 1, size=(3, 2)))),
    (one_slice, 0, (RNG.uniform(-1, 1, size=(3, 4)), RNG.uniform(-1, 1, size=(3, 4)))),
]

LEFT = [
    (overlapping, 0, (RNG.uniform(-1, 1, size=(3, 5)), RNG.uniform(-1, 1, size=(3, 3)))),
    (bound_not_a_size, 0, (RNG.uniform(-1, 1, size=(2, 6)), RNG.uniform(-1, 1, size=(2, 2)),
                           2)),
    (bound_not_a_size, 0, (RNG.uniform(-1, 1, size=(2, 6)), RNG.uniform(-1, 1, size=(2, 2)),
                           -2)),
]

OTHER_STYLES = [
    (list_params, 0, ([RNG.uniform(-1, 1, size=6) for _ in range(2)],
                      RNG.uniform(-1, 1, size=(3, 3)))),
    (list_params, 0, (tuple(RNG.uniform(-1, 1, size=6) for _ in range(2)),
                      RNG.uniform(-1, 1, size=(3, 3)))),
    (zip_rows, (0, 1), (RNG.uniform(-1, 1, size=(3, 4)), RNG.uniform(-1, 1, size=(3, 6)),
                        RNG.uniform(-1, 1, size=(3, 2)))),
    (appended, 0, (RNG.uniform(-1, 1, size=(1, 4)), RNG.uniform(-1, 1, size=(3, 2)))),
]


def _bits_equal_with_pass_off(f, wrt, args):
    got = tangent_lite.grad(f, wrt=wrt)(*args)
    with optimize.disabled("rows"):
        plain = tangent_lite.grad(f, wrt=wrt)(*args)
    for g, p in zip(got if isinstance(wrt, tuple) else (got,),
                    plain if isinstance(wrt, tuple) else (plain,)):
        assert type(g) is type(p)
        leaves = (lambda v: list(v.values()) if isinstance(v, dict) else
                  list(v) if isinstance(v, (list, tuple)) else [v])
        for a, b in zip(leaves(g), leaves(p)):
            assert np.asarray(a).dtype == np.asarray(b).dtype
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("f, wrt, args", REWRITTEN, ids=lambda v: getattr(v, "__name__", ""))
def test_rewritten_programs_match_finite_differences_and_the_chain(f, wrt, args):
    source = tangent_lite.source(f, wrt=wrt)
    assert "add_row_slices(" in source, source
    assert "unindex(" not in source.split("Backward sweep")[1]
    check_grad(f, *args, wrt=wrt)
    _bits_equal_with_pass_off(f, wrt, args)


@pytest.mark.parametrize("f, wrt, args", LEFT, ids=lambda v: getattr(v, "__name__", ""))
def test_near_misses_are_left_as_they_are(f, wrt, args):
    assert "add_row_slices(" not in tangent_lite.source(f, wrt=wrt)
    check_grad(f, *args, wrt=wrt)


@pytest.mark.parametrize("f, wrt, args", OTHER_STYLES, ids=lambda v: getattr(v, "__name__", ""))
def test_other_styles_match_finite_differences(f, wrt, args):
    check_grad(f, *args, wrt=wrt)
    _bits_equal_with_pass_off(f, wrt, args)


def test_a_dict_of_parameters():
    w, xs = RNG.uniform(-1, 1, size=6), RNG.uniform(-1, 1, size=(3, 3))
    got = tangent_lite.grad(dict_params, wrt=0)({"w": w}, xs)
    _bits_equal_with_pass_off(dict_params, 0, ({"w": w}, xs))

    def flat(w, xs):
        return dict_params({"w": w}, xs)
    np.testing.assert_allclose(got["w"], check_grad(flat, w, xs, wrt=0), rtol=1e-12)


def test_float32_stays_float32_and_the_same_bits():
    args = state_args(dtype=np.float32)
    got = tangent_lite.grad(gates, wrt=0)(*args)
    assert got.dtype == np.float32
    _bits_equal_with_pass_off(gates, 0, args)
    # and near float64 finite differences of the same program
    wide = tuple(a.astype(np.float64) for a in args)
    np.testing.assert_allclose(got, check_grad(gates, *wide, wrt=0), rtol=2e-3, atol=2e-4)


def test_the_same_array_passed_twice():
    # the row's array is also another argument: the gradients stay apart
    p = RNG.uniform(-1, 1, size=(3, 4))
    xs = RNG.uniform(-1, 1, size=(3, 2))

    def twice(params, other, xs):
        return one_slice(params, xs) + np.sum(other * other)
    g0, g1 = tangent_lite.grad(twice, wrt=(0, 1))(p, p, xs)
    np.testing.assert_allclose(g1, 2 * p)
    check_grad(twice, p, p.copy(), xs, wrt=(0, 1))


def test_a_gradient_updated_in_place_before_the_row_keeps_the_chain():
    """The pass moves each slice's gradient to where the row is added: a chain whose slice
    gradient (or an array it may share) is written in place in between is left alone."""
    import gast
    from tangent_lite.optimize.rows import slices_into_rows

    text = ("dw = unindex(g1, w, np.s_[:n])\n"
            "g1 += e\n"
            "dw = add_at(dw, np.s_[n:], g2)\n"
            "dp = add_at(dp, 2 * i, dw)\n")
    defs = gast.parse("n = x.shape[0]\n").body
    for edit, rewritten in ((text, False), (text.replace("g1 += e\n", "q += e\n"), True),
                            (text.replace("g1 += e\n", "n = 3\n"), False),
                            (text.replace("np.s_[n:]", "np.s_[n - 1:]"), False)):
        body = gast.parse(edit).body
        spelled = {"unindex": "unindex", "add_at": "add_at", "np": "np"}.get

        def call(helper, args):
            return gast.Call(func=gast.Name(id=helper, ctx=gast.Load(), annotation=None,
                                            type_comment=None), args=args, keywords=[])
        slices_into_rows(body, defs + body, spelled, call)
        assert ("add_row_slices" in gast.dump(gast.Module(body=body, type_ignores=[]))) \
            is rewritten, edit


# ---- the helper: the rules' chain, number for number ------------------------------------------

def _chain(g, row, x, indices, values):
    dx = unindex(values[0], x, indices[0])
    for index, value in zip(indices[1:], values[1:]):
        dx = add_at(dx, index, value)
    return add_at(g, row, dx)


def _copy(g):
    if isinstance(g, GradList):
        return GradList(v.copy() for v in g)
    if isinstance(g, dict):
        return GradDict((k, v.copy()) for k, v in g.items())
    return g.copy()


@pytest.mark.parametrize("case", ["array", "list", "float32", "mixed", "broadcast", "dict",
                                  "position"])
def test_add_row_slices_is_the_chain(case):
    x = RNG.uniform(size=(4, 12))
    g = RNG.uniform(size=(4, 12))
    row = 1
    indices = (np.s_[8:], np.s_[:4], np.s_[4:8])
    values = tuple(RNG.uniform(size=4) for _ in range(3))
    if case == "list":
        g = GradList(RNG.uniform(size=12) for _ in range(3))
    elif case == "float32":
        x, g = x.astype(np.float32), g.astype(np.float32)
        values = tuple(v.astype(np.float32) for v in values)
    elif case == "mixed":   # a float32 row, float64 gradients: handed to the chain
        x = x.astype(np.float32)
    elif case == "broadcast":   # the row of g is two rows: x's gradient added to both
        g = RNG.uniform(size=(3, 2, 12))
    elif case == "dict":
        g, row = GradDict({"w": RNG.uniform(size=12)}), "w"
    elif case == "position":
        indices = (3, np.s_[4:], 0)
        values = (np.float64(0.5), RNG.uniform(size=8), RNG.uniform(size=()))
    expected = _chain(_copy(g), row, x[row] if isinstance(row, int) else x[0], indices,
                      values)
    got = add_row_slices(_copy(g), row, x[row] if isinstance(row, int) else x[0], indices,
                         values)
    assert type(got) is type(expected)
    for a, b in zip(*(list(v.values()) if isinstance(v, dict) else [v]
                      for v in (got, expected))):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        assert np.asarray(a).dtype == np.asarray(b).dtype


def test_add_row_slices_writes_into_the_gradient_it_is_given():
    g = np.zeros((2, 6))
    x = np.ones(6)
    out = add_row_slices(g, 1, x, (np.s_[:3], np.s_[3:]), (np.full(3, 2.0), np.full(3, 5.0)))
    assert out is g
    np.testing.assert_array_equal(g[1], [2, 2, 2, 5, 5, 5])
    np.testing.assert_array_equal(g[0], 0)


def test_second_derivatives_through_the_rewritten_gradient():
    """hvp differentiates the generated gradient again (forward over reverse): the helper's
    tangent rule, against finite differences of the gradient."""
    params, xs = RNG.uniform(-1, 1, size=(3, 4)), RNG.uniform(-1, 1, size=(3, 4))
    v = RNG.uniform(-1, 1, size=params.shape)
    hv = tangent_lite.hvp(one_slice, wrt=0)(params, xs, v)
    df = tangent_lite.grad(one_slice, wrt=0)
    eps = 1e-6
    fd = (df(params + eps * v, xs) - df(params - eps * v, xs)) / (2 * eps)
    np.testing.assert_allclose(hv, fd, rtol=1e-6, atol=1e-8)
