"""The README benchmark's conv1d and LSTM shapes in a specialised variant (issue 14): a tap's
weight gradient summed in one `np.vdot` where every value is a float64 (optimize/lower.py),
a gradient added into a slice of an array gradient written `dx[index] += v`, and the gates'
slices of `z` assigned into one zero gradient. Each program, written in several styles,
equals central finite differences in float64; float32 arguments give float32 gradients (the
rewrites that need float64 are not made); near misses (complex values, overlapping slices, a
slice written in the loop, an aliased gradient) keep the helpers; a call of another shape runs
the generic df and is right."""
import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite import optimize

from helpers import numeric_grad

rng = np.random.default_rng(11)


# ---- convolutions: a loop over the taps, in several styles -------------------------------------

def conv_counter(w, x, y):
    K = w.shape[0]
    L = x.shape[1] - K + 1
    out = np.zeros((x.shape[0], L))
    for k in range(K):
        out = out + w[k] * x[:, k:k + L]
    d = out - y
    return np.sum(d * d) / d.size


def conv_len_mean(w, x, y):
    L = x.shape[1] - len(w) + 1
    out = 0.0 * y
    for k in range(len(w)):
        out += x[:, k:k + L] * w[k]
    return np.mean((out - y) ** 2)


def conv_zip(w, x, y):
    L = x.shape[1] - 2
    out = np.zeros_like(y)
    for k, wk in zip(range(3), w):
        out = out + wk * x[:, k:k + L]
    return np.sum((out - y) * (out - y))


def conv_constant(w, x, y):
    out = w[0] * x[:, 0:6] + w[1] * x[:, 1:7] + w[2] * x[:, 2:8]
    return np.sum((out - y) ** 2)


def conv_vdot(w, x, y):
    total = 0.0
    for k in range(3):
        total = total + np.vdot(x[:, k:k + 6], y) * w[k]
    return total * total


class Conv:
    def __init__(self, taps):
        self.taps = taps

    def loss(self, w, x, y):
        L = x.shape[1] - self.taps + 1
        out = np.zeros((x.shape[0], L))
        for k in range(self.taps):
            out = out + w[k] * x[:, k:k + L]
        return np.sum((out - y) ** 2) / x.shape[0]


def conv_square(w, x, y):
    n = y.shape[1]
    out = np.zeros((x.shape[0], n))
    for k in range(w.shape[0]):
        out = out + x[:, k:k + n] * w[k]
    d = out - y
    return np.mean(d * d)


def conv_user_function(w, x, y):
    out = np.zeros_like(y)
    for k in range(3):
        out = out + _scaled(x[:, k:k + y.shape[1]], w[k])
    return np.sum((out - y) ** 2)


def _scaled(v, s):
    return v * s


def _conv(dtype=np.float64, batch=4, length=8, taps=3):
    return [rng.normal(size=taps).astype(dtype), rng.normal(size=(batch, length)).astype(dtype),
            rng.normal(size=(batch, length - taps + 1)).astype(dtype)]





CONVS = [conv_counter, conv_len_mean, conv_zip, conv_constant, conv_vdot, Conv(3).loss,
         conv_square, conv_user_function]
CONV_IDS = ["counter", "len_mean", "zip", "constant", "vdot", "method", "square", "user"]


def _generic(f, wrt, args):
    with optimize.disabled("specialise"):
        return tl.grad(f, wrt=wrt)(*args)


def _backward(f, wrt, args):
    return tl.source(f, wrt, specialised_for=args).split("_specialised(")[1] \
        .split("Backward sweep")[1]


def _check(f, wrt, args, got, rtol=1e-5, atol=1e-7):
    for i, g, e in zip(wrt, got, _generic(f, wrt, args)):
        assert type(g) is type(e) and np.shape(g) == np.shape(args[i])
        if isinstance(args[i], np.ndarray):
            assert g.dtype == args[i].dtype
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(g, numeric_grad(f, args, i), rtol=rtol, atol=atol)


@pytest.mark.parametrize("f", CONVS, ids=CONV_IDS)
def test_conv_variant_equals_finite_differences(f):
    args = _conv()
    df = tl.grad(f, wrt=(0, 1))
    _check(f, (0, 1), args, df(*args))
    _check(f, (0, 1), args, df(*args))   # the variant, compiled at the first call


@pytest.mark.parametrize("f", [conv_counter, conv_square], ids=["counter", "square"])
def test_a_taps_weight_gradient_is_one_vdot(f):
    code = _backward(f, (0, 1), _conv())
    assert "np.vdot(" in code and "sum_product(" not in code


@pytest.mark.parametrize("f", CONVS, ids=CONV_IDS)
def test_conv_float32_gives_float32_without_vdot(f):
    args = _conv(np.float32)
    df = tl.grad(f, wrt=(0, 1))
    df(*args)
    got = df(*args)
    if f in (conv_counter, conv_square):   # a variant with no vdot (it needs float64)
        assert "np.vdot(" not in _backward(f, (0, 1), args)
    wide = [a.astype(np.float64) for a in args]
    for i, g in zip((0, 1), got):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, numeric_grad(f, wide, i), rtol=2e-3, atol=2e-3)


def test_a_user_function_keeps_the_helper():
    """_scaled's result has no dtype the variant can prove: no vdot."""
    args = _conv()
    df = tl.grad(conv_user_function, wrt=(0, 1))
    df(*args)
    _check(conv_user_function, (0, 1), args, df(*args))
    try:
        code = _backward(conv_user_function, (0, 1), args)
    except tl.TangentLiteError:
        return   # no variant at all
    assert "np.vdot(" not in code


def test_another_shape_runs_the_generic_df_and_is_right():
    df = tl.grad(conv_counter, wrt=(0, 1))
    df(*_conv())
    for args in (_conv(batch=3, length=9), _conv(taps=4), _conv(np.float32)):
        got = df(*args)
        wide = [a.astype(np.float64) for a in args]
        for i, g in zip((0, 1), got):
            assert g.dtype == args[i].dtype
            np.testing.assert_allclose(g, numeric_grad(conv_counter, wide, i),
                                       rtol=2e-3, atol=2e-3)


# ---- LSTM gates: slices of one pre-activation, in several styles -------------------------------

def _sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def lstm_dot(W, U, b, xs, h, c):
    H = h.shape[1]
    for t in range(xs.shape[0]):
        z = np.dot(xs[t], W) + np.dot(h, U) + b
        i = 1.0 / (1.0 + np.exp(-z[:, :H]))
        f = 1.0 / (1.0 + np.exp(-z[:, H:2 * H]))
        o = 1.0 / (1.0 + np.exp(-z[:, 2 * H:3 * H]))
        g = np.tanh(z[:, 3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
    return np.sum(h * h) / h.shape[0]


def lstm_at_zip(W, U, b, xs, h, c):
    for x in xs:
        z = x @ W + h @ U + b
        i = _sig(z[:, 0:3])
        f = _sig(z[:, 3:6])
        g = np.tanh(z[:, 6:9])
        c = f * c + i * g
        h = np.tanh(c)
    return np.mean(h ** 2)


def gates_overlapping(W, U, b, xs, h, c):
    H = h.shape[1]
    for t in range(xs.shape[0]):
        z = np.dot(xs[t], W) + np.dot(h, U) + b
        i = np.tanh(z[:, :2 * H])       # overlaps the next slice
        f = np.tanh(z[:, H:3 * H])
        h = i[:, :H] * f[:, H:] + c
    return np.sum(h * h)


def gates_written(W, U, b, xs, h, c):
    H = h.shape[1]
    for t in range(xs.shape[0]):
        z = np.dot(xs[t], W) + np.dot(h, U) + b
        z[:, :H] = z[:, :H] * 0.5      # a slice written in the loop
        h = np.tanh(z[:, :H]) * np.tanh(z[:, H:2 * H]) + c
    return np.sum(h * h)


def gates_aliased(W, U, b, xs, h, c):
    H = h.shape[1]
    for t in range(xs.shape[0]):
        z = np.dot(xs[t], W) + np.dot(h, U) + b
        y = z
        h = np.tanh(y[:, :H]) * np.tanh(z[:, H:2 * H]) + y[:, :H] + c
    return np.sum(h * h)


def _lstm(dtype=np.float64, width=4, gates=4, steps=3, batch=2, n_in=3):
    return [rng.normal(size=(n_in, gates * width)).astype(dtype) / 2,
            rng.normal(size=(width, gates * width)).astype(dtype) / 2,
            0.1 * rng.normal(size=gates * width).astype(dtype),
            rng.normal(size=(steps, batch, n_in)).astype(dtype),
            0.5 * rng.normal(size=(batch, width)).astype(dtype),
            0.5 * rng.normal(size=(batch, width)).astype(dtype)]


LSTMS = [(lstm_dot, lambda dtype=np.float64: _lstm(dtype)),
         (lstm_at_zip, lambda dtype=np.float64: _lstm(dtype, width=3, gates=3)),
         (gates_overlapping, lambda dtype=np.float64: _lstm(dtype, gates=3)),
         (gates_written, lambda dtype=np.float64: _lstm(dtype, gates=2)),
         (gates_aliased, lambda dtype=np.float64: _lstm(dtype, gates=2))]
LSTM_IDS = [f.__name__ for f, _ in LSTMS]


@pytest.mark.parametrize("f, make", LSTMS, ids=LSTM_IDS)
def test_lstm_variant_equals_finite_differences(f, make):
    args = make()
    df = tl.grad(f, wrt=(0, 1, 2))
    df(*args)
    _check(f, (0, 1, 2), args, df(*args))


def test_the_gates_are_assigned_into_one_zero_array():
    code = _backward(lstm_dot, (0, 1, 2), _lstm())
    assert "unindex(" not in code and "add_at(" not in code
    assert code.count("dz[:, ") == 4 and "dz = np.zeros((2, 16))" in code
    assert "+=" not in [line for line in code.splitlines() if "dz[:, " in line][-1]


def test_overlapping_slices_add():
    code = _backward(gates_overlapping, (0, 1, 2), _lstm(gates=3))
    assert "dz[:, H:3 * H] = " in code      # the first, into zeros
    assert "dz[:, :2 * H] += " in code and "dz[:, :2 * H] = " not in code


@pytest.mark.parametrize("f, make", LSTMS, ids=LSTM_IDS)
def test_lstm_float32_gives_float32(f, make):
    args = make(np.float32)
    df = tl.grad(f, wrt=(0, 1, 2))
    df(*args)
    got = df(*args)
    wide = [a.astype(np.float64) for a in args]
    for i, g in zip((0, 1, 2), got):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, numeric_grad(f, wide, i), rtol=3e-3, atol=3e-3)
    if f is lstm_dot:   # no zeros of an unproved dtype
        assert "np.zeros(" not in _backward(f, (0, 1, 2), args)


def test_another_lstm_shape_runs_the_generic_df():
    df = tl.grad(lstm_dot, wrt=(0, 1, 2))
    df(*_lstm())
    for args in (_lstm(width=3), _lstm(batch=5), _lstm(np.float32)):
        got = df(*args)
        wide = [a.astype(np.float64) for a in args]
        for i, g in zip((0, 1, 2), got):
            assert g.dtype == args[i].dtype
            np.testing.assert_allclose(g, numeric_grad(lstm_dot, wide, i), rtol=3e-3,
                                       atol=3e-3)


@pytest.mark.parametrize("specialised", [True, False])
def test_the_sigmoids_negations_are_flipped_in_place(specialised):
    """The pops between `dt_add = -do * o / t_add` and `dt_item = -dt_neg` kept both
    negations; flipped where they stand, none is left (optimize/algebra/negations.py)."""
    args = _lstm()
    if specialised:
        code = _backward(lstm_dot, (0, 1, 2), args)
    else:
        with optimize.disabled("specialise"):
            code = tl.source(lstm_dot, (0, 1, 2)).split("Backward sweep")[1]
    assert " -d" not in code and "= -" not in code, code
    with optimize.disabled("algebra"):
        plain = tl.grad(lstm_dot, wrt=(0, 1, 2))(*args)
    for g, e in zip(tl.grad(lstm_dot, wrt=(0, 1, 2))(*args), plain):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)


# ---- the returned gradients, proved fresh, returned as they are ---------------------------------

def scale_shift(a, b, x):
    return np.sum((a * x + b) ** 2)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fresh_gradients_are_returned_as_they_are(dtype):
    for f, wrt, args in ((conv_counter, (0, 1), _conv(dtype)),
                         (lstm_dot, (0, 1, 2), _lstm(dtype))):
        code = _backward(f, wrt, args)
        assert "grads_like(" not in code and "return (d" in code
        df = tl.grad(f, wrt=wrt)
        df(*args)
        got = df(*args)
        assert len({id(g) for g in got}) == len(got)
        for g, i in zip(got, wrt):
            assert type(g) is np.ndarray and g.dtype == dtype and g.shape == args[i].shape
            assert g.base is None and g.flags.writeable and g is not args[i]


def test_a_gradient_made_otherwise_keeps_grads_like():
    """da is a sum (not a zeros_grad added into in place) and b a Python float."""
    args = [rng.normal(size=3), 0.5, rng.normal(size=(4, 3))]
    try:
        code = _backward(scale_shift, (0, 1), args)
    except tl.TangentLiteError:
        code = "grads_like("      # no variant: the generic df returns through grads_like
    assert "grads_like(" in code
    got = tl.grad(scale_shift, wrt=(0, 1))(*args)
    assert type(got[1]) is float
    for i, g in zip((0, 1), got):
        np.testing.assert_allclose(g, numeric_grad(scale_shift, args, i), rtol=1e-6, atol=1e-8)


# ---- running sums in the forward sweep ---------------------------------------------------------

def sum_from_argument(w, x, y):
    out = y                               # the argument's own array: never added into
    for k in range(3):
        out = out + w[k] * x[:, k:k + 6]
    return np.sum(out * out)


def sum_viewed(w, x, y):
    out = np.zeros_like(y)
    first = None
    for k in range(3):
        out = out + w[k] * x[:, k:k + 6]
        if k == 0:
            first = out[:, :2]            # a view of the running sum, read after it grows
    return np.sum(out * out) + np.sum(first * first)


def product_running(w, x, y):
    out = np.ones_like(y)
    for k in range(3):
        out = out + out * w[k] * x[:, k:k + 6]   # the backward sweep reads old outs
    return np.sum(out)


def sum_into_parameter(w, x, y):
    for k in range(3):
        y = y + w[k] * x[:, k:k + 6]      # y is the caller's array: a new one each step
    return np.sum(y * y)


def rebound_argument(w, x, y):
    x = x[:, 1:] * 1.0                    # the differentiated argument's name rebound
    out = np.zeros_like(y)
    for k in range(2):
        out = out + w[k] * x[:, k:k + 6]
    return np.sum((out - y) ** 2)


@pytest.mark.parametrize("f", [conv_counter, conv_square, sum_from_argument, sum_viewed,
                               product_running, sum_into_parameter, rebound_argument])
def test_running_sums_in_place_only_where_nothing_else_holds_the_array(f):
    args = _conv()
    kept = [a.copy() for a in args]
    df = tl.grad(f, wrt=(0, 1))
    df(*args)
    _check(f, (0, 1), args, df(*args))
    for a, b in zip(args, kept):
        np.testing.assert_array_equal(a, b)
    forward = tl.source(f, (0, 1), specialised_for=args).split("_specialised(")[1] \
        .split("Backward sweep")[0]
    assert ("out += " in forward) == (f in (conv_counter, conv_square)), forward


def test_z_is_no_longer_pushed_once_nothing_reads_it():
    code = tl.source(lstm_dot, (0, 1, 2), specialised_for=_lstm()).split("_specialised(")[1]
    assert "push(shaped(z))" not in code and "z = stack.pop()" not in code
    assert code.count("stack.push(") == code.count("stack.pop()") > 0
    generic = tl.source(lstm_dot, (0, 1, 2))
    assert "push(shaped(z))" in generic      # the generic df reads z's shape: kept
