"""The LSTM's per-step bookkeeping (issue 14): a layer's parameters read in a loop by an index
expression of the loop's index (`params[2 * i]`, `params[2 * i + 1]`, `xs[t - 1]`) are made again
in the backward step rather than pushed and popped (optimize/recompute.py), and a slice of such a
row accumulates straight into the row's gradient.

Each program is checked against central finite differences in float64 and against the gradient
with the pass off, in more than one style (an array of parameters, a list, a tuple, a dict;
`np.dot` and `@`; loops over range(...) and over zip); the near misses must keep pushing: the
array written inside the loop, the index name rebound, the list appended to in the loop."""
import numpy as np
import pytest

import tangent_lite
from tangent_lite import optimize


RNG = np.random.default_rng(2024)


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def same_with_pass_off(f, wrt, args, name):
    """The gradient with the pass `name` off: equal to rounding, same types and dtypes."""
    got = tangent_lite.grad(f, wrt=wrt)(*args)
    with optimize.disabled(name):
        plain = tangent_lite.grad(f, wrt=wrt)(*args)
    for g, p in zip(got if isinstance(wrt, tuple) else (got,),
                    plain if isinstance(wrt, tuple) else (plain,)):
        assert type(g) is type(p)
        for a, b in zip(_leaves(g), _leaves(p)):
            assert np.asarray(a).dtype == np.asarray(b).dtype
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def _leaves(v):
    return list(v) if isinstance(v, (list, tuple)) else [v]


def check_grad(f, *args, wrt):
    """tangent_lite's gradient against central finite differences in float64, for arguments
    that are arrays or lists/tuples of arrays."""
    got = tangent_lite.grad(f, wrt=wrt)(*args)
    eps = 1e-6
    for g, k in zip(got, wrt):
        for leaf_grad, leaf in zip(_leaves(g), _leaves(args[k])):
            assert leaf_grad.shape == leaf.shape
            for j in np.ndindex(leaf.shape):
                saved = leaf[j]
                leaf[j] = saved + eps
                up = f(*args)
                leaf[j] = saved - eps
                down = f(*args)
                leaf[j] = saved
                fd = (up - down) / (2 * eps)
                assert leaf_grad[j] == pytest.approx(fd, rel=1e-5, abs=1e-7), (f.__name__, k, j)


def forward_of(f, wrt):
    return tangent_lite.source(f, wrt=wrt).split("# Backward sweep")[0]


def backward_of(f, wrt):
    return tangent_lite.source(f, wrt=wrt).split("# Backward sweep")[1]


# ---- recomputed: rows named by an expression of the loop's index -------------------------------

def diagonal_lstm(main_params, extra_params, state, sequence):
    """The ADBench LSTM, small: main_params holds a weight row and a bias row per layer. The
    state lists are rows of `state`, no copies, as GradBench writes them (the benchmark's
    problems_gradbench.lstm_objective copies them)."""
    n_layers = main_params.shape[0] // 2
    b = sequence.shape[1]
    hidden = [state[2 * i] for i in range(n_layers)]
    cell = [state[2 * i + 1] for i in range(n_layers)]
    total = 0.0
    for t in range(sequence.shape[0] - 1):
        ypred = sequence[t] * extra_params[0]
        for i in range(n_layers):
            weight = main_params[2 * i]
            bias = main_params[2 * i + 1]
            forget = sigmoid(ypred * weight[:b] + bias[:b])
            ingate = sigmoid(hidden[i] * weight[b:2 * b] + bias[b:2 * b])
            outgate = sigmoid(ypred * weight[2 * b:3 * b] + bias[2 * b:3 * b])
            change = np.tanh(hidden[i] * weight[3 * b:] + bias[3 * b:])
            cell[i] = cell[i] * forget + ingate * change
            hidden[i] = outgate * np.tanh(cell[i])
            ypred = hidden[i]
        ypred = ypred * extra_params[1] + extra_params[2]
        lse = np.log(np.sum(np.exp(ypred)) + 2.0)
        total = total + np.sum(sequence[t + 1] * (ypred - lse))
    return -total / sequence.shape[0]


def layers_of_an_array(P, x):
    for i in range(P.shape[0] // 2):
        w = P[2 * i]
        bias = P[2 * i + 1]
        x = np.tanh(x * w + bias)
    return np.sum(x * x)


def layers_of_a_list(params, x):
    # a list of matrices and biases, `@`, loop over range(len(...))
    for i in range(len(params) // 2):
        W = params[2 * i]
        c = params[2 * i + 1]
        x = np.tanh(x @ W + c)
    return np.sum(x ** 2) / x.shape[0]


def layers_of_a_tuple(params, x):
    # a tuple, np.dot, the index counted from the end
    n = len(params)
    for i in range(n // 2):
        W = params[n - 2 - 2 * i]
        x = np.sin(np.dot(x, W)) + params[n - 1 - 2 * i]
    return np.sum(x * x)


def previous_step(w, xs):
    total = 0.0
    for t in range(1, xs.shape[0]):
        before = xs[t - 1]
        now = xs[t]
        total = total + np.sum(np.sin(before * w) * now)
    return total


def _params(shapes):
    return [RNG.normal(size=s) / 2 for s in shapes]


def _lstm_args(layers=2, chars=5, bits=3):
    sequence = RNG.integers(0, 2, size=(chars, bits)).astype(float)
    return (RNG.uniform(size=(2 * layers, 4 * bits)), RNG.uniform(size=(3, bits)),
            RNG.uniform(size=(2 * layers, bits)), sequence)


RECOMPUTED = [
    (diagonal_lstm, (0, 1, 2), _lstm_args(), ["weight", "bias"]),
    (layers_of_an_array, (0, 1), (RNG.normal(size=(6, 4)), RNG.normal(size=4)), ["w", "bias"]),
    (layers_of_a_list, (0, 1), (_params([(3, 4), (4,), (4, 3), (3,)]), RNG.normal(size=(2, 3))),
     ["W", "c"]),
    (layers_of_a_tuple, (0, 1), (tuple(_params([(3, 3), (3,), (3, 3), (3,)])),
                                 RNG.normal(size=(2, 3))), ["W"]),
    (previous_step, (0, 1), (RNG.normal(size=3), RNG.normal(size=(5, 3))), ["before", "now"]),
]


@pytest.mark.parametrize("f, wrt, args, names", RECOMPUTED, ids=[c[0].__name__ for c in RECOMPUTED])
def test_rows_named_by_the_loop_index_are_recomputed(f, wrt, args, names):
    check_grad(f, *args, wrt=wrt)
    same_with_pass_off(f, wrt, args, "recompute")
    forward, backward = forward_of(f, wrt), backward_of(f, wrt)
    for v in names:
        assert f"stack.push({v})" not in forward and f"shaped({v})" not in forward, v
        assert f"{v} = stack.pop()" not in backward, v
    with optimize.disabled("recompute"):
        code = tangent_lite.source(f, wrt=wrt)
    assert any(f"push({v})" in code or f"shaped({v})" in code for v in names)


def test_slices_of_a_recomputed_row_are_recomputed():
    # `weight[:b]`, `bias[b:2 * b]` ...: made again from the recomputed row, in the right order
    forward, backward = forward_of(diagonal_lstm, (0, 1)), backward_of(diagonal_lstm, (0, 1))
    sliced = [line.split(" = ")[0].strip() for line in forward.splitlines()
              if " = weight[" in line or " = bias[" in line]
    assert len(sliced) == 8
    for v in sliced:
        assert f"push({v})" not in forward and f"shaped({v})" not in forward, v
        assert f"{v} = stack.pop()" not in backward, v
    lines = [line.strip() for line in backward.splitlines()]
    for v in sliced:    # each slice made after the row it slices, in the same step
        row = "weight" if any(line.startswith(f"{v} = weight[") for line in lines) else "bias"
        at = next(k for k, line in enumerate(lines) if line.startswith(f"{v} = {row}["))
        assert any(line.startswith(f"{row} = main_params[") for line in lines[:at]), v


def slice_bound_rebound(P, x):
    for i in range(P.shape[0]):
        w = P[i]
        k = i + 1
        v = w[:k]
        x = np.tanh(x * np.sum(v))
    return np.sum(x * x)


def zipped_layers(ws, bs, x):
    # a loop over zip: no index to recompute, the gradient is still exact
    for W, c in zip(ws, bs):
        x = np.tanh(np.dot(x, W) + c)
    return np.sum(x * x)


def dict_layers(params, x):
    for i in range(len(params["w"])):
        x = np.tanh(x @ params["w"][i] + params["b"][i])
    return np.sum(x * x)


def test_other_styles_of_layer_loops():
    ws, bs = _params([(3, 3), (3, 3)]), _params([(3,), (3,)])
    check_grad(zipped_layers, ws, bs, RNG.normal(size=(2, 3)), wrt=(0, 1, 2))
    params = {"w": _params([(3, 3), (3, 3)]), "b": _params([(3,), (3,)])}
    x = RNG.normal(size=(2, 3))
    got = tangent_lite.grad(dict_layers)(params, x)
    eps = 1e-6
    for key in ("w", "b"):
        for k, item in enumerate(params[key]):
            for j in np.ndindex(item.shape):
                up = {n: [a.copy() for a in v] for n, v in params.items()}
                down = {n: [a.copy() for a in v] for n, v in params.items()}
                up[key][k][j] += eps
                down[key][k][j] -= eps
                fd = (dict_layers(up, x) - dict_layers(down, x)) / (2 * eps)
                assert got[key][k][j] == pytest.approx(fd, rel=1e-5, abs=1e-7)


# ---- near misses: the read must stay pushed ----------------------------------------------------

def row_written_in_the_loop(P, x):
    P = P * 1.0
    for i in range(P.shape[0] // 2):
        w = P[2 * i]
        x = np.tanh(x * w)
        P[2 * i + 1] = x
    return np.sum(x * x) + np.sum(P * P)


def index_name_rebound(P, x):
    for i in range(P.shape[0] // 2):
        k = 2 * i
        w = P[k]
        x = np.tanh(x * w)
    return np.sum(x * x)


def offset_rebound(P, x):
    off = 0
    if x.shape[0] > 1:
        off = 1
    for i in range(P.shape[0] - 1):
        w = P[i + off]
        x = np.tanh(x * w)
    return np.sum(x * x)


def list_appended_in_the_loop(params, x):
    params = list(params)
    for i in range(2):
        w = params[2 * i]
        x = np.tanh(x * w)
        params.append(x)
    return np.sum(x * x)


def test_a_slice_whose_bound_is_rebound_stays_pushed():
    args = (RNG.normal(size=(3, 3)), RNG.normal(size=3))
    check_grad(slice_bound_rebound, *args, wrt=(0, 1))
    same_with_pass_off(slice_bound_rebound, (0, 1), args, "recompute")
    forward = forward_of(slice_bound_rebound, (0, 1))
    assert "push(w)" not in forward and "shaped(w)" not in forward   # the row: recomputed
    assert "push(v)" in forward or "shaped(v)" in forward            # its slice: pushed


NEAR_MISSES = [row_written_in_the_loop, index_name_rebound, offset_rebound,
               list_appended_in_the_loop]


@pytest.mark.parametrize("f", NEAR_MISSES, ids=[f.__name__ for f in NEAR_MISSES])
def test_rows_that_must_stay_pushed(f):
    if f is list_appended_in_the_loop:
        args = (_params([(3,), (3,), (3,), (3,)]), RNG.normal(size=3))
    else:
        args = (RNG.normal(size=(4, 3)), RNG.normal(size=3))
    try:
        check_grad(f, *args, wrt=(0, 1))
    except tangent_lite.TangentLiteError:
        return      # refused: nothing to recompute either
    same_with_pass_off(f, (0, 1), args, "recompute")
    forward = forward_of(f, (0, 1))
    assert "stack.push(w)" in forward or "shaped(w)" in forward
