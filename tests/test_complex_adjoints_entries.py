"""Two ways a gradient buffer met a value it could not hold, each once a raw NumPy error:

1. A real array scaled by a complex number after a loop that adds into real gradients in place
   (a convolution of slices, `(out - y) * (1 + 0.5j)`): the real values' adjoints are complex,
   and `dx[:, k:k + L] += g` into the float zeros of x refused them. A real value's gradient is
   the real part (grad_like takes it at the end); add_at takes it where it adds into a real
   array, and `+=` is written only where no value can be complex (optimize/inplace.py's
   complex_free).
2. A list entry replaced by a value of another shape (`items[0] = np.outer(x, x)` over a
   vector): the gradient entry of what the write overwrote was zeroed in the new value's
   shape. unset now reads the list as the backward sweep restored it.

Every gradient is checked against central finite differences in float64.
"""
import numpy as np
import pytest

import tangent_lite
from tangent_lite import optimize
from helpers import check_grad, numeric_grad

rng = np.random.default_rng(20261203)


# -- complex scalings after loops --------------------------------------------------------------
def conv_complex(w, x, y):
    n, L = y.shape
    K = w.shape[0]
    out = np.zeros((n, L))
    for k in range(K):
        out = out + w[k] * x[:, k:k + L]
    r = (out - y) * (1 + 0.5j)
    return np.sum(np.abs(r) ** 2)


def conv_complex_enumerate(w, x, y):
    n, L = y.shape
    out = np.zeros((n, L))
    for k, wk in enumerate(w):
        out += wk * x[:, k:k + L]
    r = (out - y) * np.exp(0.3j)
    return np.sum((r * np.conj(r)).real) / n


def conv_complex_data(w, x, c):
    L = c.shape[0]
    out = np.zeros(L)
    for k in range(w.shape[0]):
        out = out + w[k] * x[k:k + L]
    return np.sum(np.abs(out * c) ** 2)


def rnn_complex(W, xs):
    h = np.zeros(W.shape[0])
    for x in xs:
        h = np.tanh(W @ h + x)
    z = h * (2 - 1j)
    return np.sum(np.abs(z))


def rnn_complex_dot(W, xs):
    h = np.zeros(W.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(np.dot(W, h) + xs[t])
    z = np.exp(1j * h) * h
    return np.mean(np.abs(z + 0.5) ** 2)


def real_then_complex(x):
    r = x * (1 + 0.5j)
    a = np.sum(x ** 2)
    return np.sum(np.abs(r) ** 2) + a


def pairs_complex(x, v):
    total = 0.0
    for a, b in zip(x[:-1], v):
        total = total + a * b * (0.5 + 1j)
    return np.abs(total) ** 2


def weights_in_dict(params, x):
    z = (params["W"] @ x + params["b"]) * np.exp(0.25j)
    for i in range(3):
        z = z * (1 + 0.1j) + x[i]
    return np.sum(np.abs(z) ** 2)


def _complex_inner(x):
    out = np.zeros(3)
    for i in range(3):
        out = out + x[i:i + 3] * 2.0
    return out


def calls_with_complex_seed(x):
    r = _complex_inner(x) * (1 - 0.5j)
    return np.sum(np.abs(r) ** 2)


def _conv_args(dtype=np.float64):
    w = rng.standard_normal(3).astype(dtype)
    x = rng.standard_normal((4, 8))
    y = rng.standard_normal((4, 6))
    return w, x, y


@pytest.mark.parametrize("specialise", [True, False])
@pytest.mark.parametrize("f", [conv_complex, conv_complex_enumerate])
def test_convolution_scaled_by_a_complex_number(f, specialise):
    args = _conv_args()
    if specialise:
        check_grad(f, *args, wrt=(0, 1))
    else:
        with optimize.disabled("specialise"):
            check_grad(f, *args, wrt=(0, 1))


def test_the_generated_gradient_reads_well():
    text = tangent_lite.source(conv_complex, wrt=(0, 1))
    assert "dx = add_at(dx, np.s_[:, k:k + L], dt_item2)" in text
    assert "+=" not in text.split("Backward sweep")[1]   # no in-place add a complex refuses


@pytest.mark.parametrize("which", [0, 1])
def test_float32_parameters_with_float64_data(which):
    w, x, y = _conv_args()
    args = [w, x, y]
    args[which] = args[which].astype(np.float32)
    got = tangent_lite.grad(conv_complex, wrt=(0, 1))(*args)
    for i, g in enumerate(got):
        assert g.dtype == args[i].dtype
        expected = numeric_grad(conv_complex, [a.astype(np.float64) for a in args], i)
        np.testing.assert_allclose(g, expected, rtol=2e-4, atol=2e-4)


def test_complex_data_argument():
    w, x = rng.standard_normal(3), rng.standard_normal(8)
    c = rng.standard_normal(6) + 1j * rng.standard_normal(6)
    got = tangent_lite.grad(conv_complex_data, wrt=(0, 1))(w, x, c)
    for i, g in enumerate(got):
        np.testing.assert_allclose(g, numeric_grad(conv_complex_data, (w, x, c), i),
                                   rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("f", [rnn_complex, rnn_complex_dot])
def test_recurrence_then_complex(f):
    check_grad(f, rng.standard_normal((3, 3)) * 0.5, rng.standard_normal((4, 3)), wrt=(0, 1))


def test_real_contribution_before_the_complex_one():
    check_grad(real_then_complex, rng.standard_normal(5))


def test_zip_loop_of_complex_products():
    check_grad(pairs_complex, rng.standard_normal(5), rng.standard_normal(4), wrt=(0, 1))


def test_dict_of_weights():
    params = {"W": rng.standard_normal((3, 3)), "b": rng.standard_normal(3)}
    x = rng.standard_normal(3)
    got = tangent_lite.grad(weights_in_dict)(params, x)
    for key in params:
        def of_entry(v, key=key):
            return weights_in_dict({**params, key: v}, x)
        np.testing.assert_allclose(got[key], numeric_grad(of_entry, (params[key],), 0),
                                   rtol=1e-5, atol=1e-6)


def test_user_function_under_a_complex_scaling():
    check_grad(calls_with_complex_seed, rng.standard_normal(5))


def test_vjp_and_jvp_of_the_convolution():
    w, x, y = _conv_args()
    value, pullback = tangent_lite.vjp(conv_complex, w, x, y, wrt=(0, 1))
    assert value == conv_complex(w, x, y)
    dw, dx = pullback(2.0)
    np.testing.assert_allclose(dw, 2.0 * numeric_grad(conv_complex, (w, x, y), 0), rtol=1e-5)
    np.testing.assert_allclose(dx, 2.0 * numeric_grad(conv_complex, (w, x, y), 1), rtol=1e-5,
                               atol=1e-6)
    tw, tx = rng.standard_normal(3), rng.standard_normal((4, 8))
    value, tangent = tangent_lite.jvp(conv_complex, (w, x, y), (tw, tx, None))
    eps = 1e-6
    expected = (conv_complex(w + eps * tw, x + eps * tx, y)
                - conv_complex(w - eps * tw, x - eps * tx, y)) / (2 * eps)
    np.testing.assert_allclose(tangent, expected, rtol=1e-5)


# -- list entries replaced by another shape ----------------------------------------------------
def replaced_by_outer(x):
    items = [x * 1.0, x * 2.0]
    items[0] = np.outer(x, x)
    return np.sum(items[0]) + np.sum(items[1])


def replaced_in_a_loop(x, W):
    items = [x[:2] * 1.0, x[2:4] * 2.0]
    for i in range(2):
        items[i] = np.outer(items[i], W[i]) @ W.T
    return np.sum(items[0] * items[1]) + np.sum(items[1])


def replaced_in_a_zip_loop(x, W):
    items = [x[:2] * 1.0, x[2:4] * 2.0]
    for i, w in zip(range(2), W):
        items[i] = np.dot(np.outer(items[i], w), w)
    return np.sum(items[0]) * np.sum(items[1] ** 2)


def appended_then_replaced(x):
    items = [x * 1.0]
    items.append(np.outer(x, x[:2]))
    items[0] = np.sum(items[1], axis=1)[:2]
    return np.sum(items[0] ** 2) + np.sum(np.tanh(items[1]))


def inserted_then_replaced(x):
    items = [x * 1.0, x[:2] * 3.0]
    items.insert(1, np.outer(x[:2], x))
    items[2] = items[1] @ x
    return np.sum(items[0]) + np.sum(items[2] ** 2)


def from_a_tuple(x, W):
    parts = (x * 1.0, W @ x)
    items = list(parts)
    items[1] = np.outer(items[1], x)
    return np.sum(items[0] * x) + np.sum(items[1] ** 2) * 0.1


def _layers(x, W):
    outs = [x * 1.0, x * 1.0]
    outs[1] = W.T.dot(np.outer(x[:2], x))
    return outs


def helper_returns_the_list(x, W):
    outs = _layers(x, W)
    return (outs[0] ** 2).sum() + outs[1].sum()


@pytest.mark.parametrize("specialise", [True, False])
def test_entry_replaced_by_an_outer_product(specialise):
    x = rng.standard_normal(3)
    if specialise:
        got = check_grad(replaced_by_outer, x)
    else:
        with optimize.disabled("specialise"):
            got = check_grad(replaced_by_outer, x)
    np.testing.assert_allclose(got, 2 * np.sum(x) + 2.0)


@pytest.mark.parametrize("f", [replaced_in_a_loop, replaced_in_a_zip_loop, from_a_tuple,
                               helper_returns_the_list])
def test_entries_replaced_with_weights(f):
    check_grad(f, rng.standard_normal(4), rng.standard_normal((2, 4)) * 0.5, wrt=(0, 1))


def test_entry_appended_then_replaced():
    check_grad(appended_then_replaced, rng.standard_normal(4))


def test_insert_is_refused_where_it_is_written():
    with pytest.raises(tangent_lite.TangentLiteError, match=r"test_complex_adjoints_entries"
                       r"\.py:\d+:.*\n.*items\.insert"):
        tangent_lite.grad(inserted_then_replaced)(rng.standard_normal(4))


def test_vjp_of_an_entry_replaced():
    x = rng.standard_normal(3)
    value, pullback = tangent_lite.vjp(replaced_by_outer, x)
    np.testing.assert_allclose(pullback(3.0), 3.0 * numeric_grad(replaced_by_outer, (x,), 0),
                               rtol=1e-6)


def test_the_restore_comes_before_the_entry_is_zeroed():
    text = tangent_lite.source(replaced_by_outer)
    backward = text.split("Backward sweep")[1]
    assert backward.index("items[0] = stack.pop()") < backward.index("unset(ditems, 0, items)")


@pytest.mark.parametrize("f", [replaced_by_outer, appended_then_replaced])
def test_jvp_of_an_entry_replaced(f):
    """Forward mode: the list's tangent stays a list, entry by entry (with_item)."""
    x, tx = rng.standard_normal(4), rng.standard_normal(4)
    value, tangent = tangent_lite.jvp(f, (x,), (tx,))
    assert value == f(x)
    np.testing.assert_allclose(tangent, numeric_grad(f, (x,), 0) @ tx, rtol=1e-6)


def test_jvp_of_entries_replaced_in_a_loop():
    x, W = rng.standard_normal(4), rng.standard_normal((2, 4)) * 0.5
    tx, tW = rng.standard_normal(4), rng.standard_normal((2, 4))
    _, tangent = tangent_lite.jvp(replaced_in_a_loop, (x, W), (tx, tW))
    expected = (numeric_grad(replaced_in_a_loop, (x, W), 0) @ tx
                + np.sum(numeric_grad(replaced_in_a_loop, (x, W), 1) * tW))
    np.testing.assert_allclose(tangent, expected, rtol=1e-6)


def test_hvp_of_an_entry_replaced():
    x, v = rng.standard_normal(3), rng.standard_normal(3)
    got = tangent_lite.hvp(replaced_by_outer)(x, v)
    # sum(outer(x, x)) = sum(x) ** 2: the Hessian is 2 everywhere
    np.testing.assert_allclose(got, np.full(3, 2.0 * np.sum(v)), rtol=1e-12)


# -- complex data: the generic df's variant that adds nothing in place -------------------------
def real_first_then_complex_data(x, c):
    r = x * c
    a = np.sum(x ** 2)   # x's first contribution in the backward sweep: a real array
    return np.sum(np.abs(r) ** 2) + a


PHASES = np.exp(1j * np.linspace(0.0, 1.0, 5))


def complex_global(x):
    r = x * PHASES
    a = np.sum(x ** 2)
    return np.sum(np.abs(r + 1.0) ** 2) + a


@pytest.mark.parametrize("specialise", [True, False])
def test_complex_data_after_a_real_contribution(specialise):
    x = rng.standard_normal(5)
    c = rng.standard_normal(5) + 1j * rng.standard_normal(5)
    context = optimize.disabled("specialise") if not specialise else _nothing()
    with context:
        got = tangent_lite.grad(real_first_then_complex_data)(x, c)
        real = tangent_lite.grad(real_first_then_complex_data)(x, c.real)   # the generic df
    np.testing.assert_allclose(got, numeric_grad(real_first_then_complex_data, (x, c), 0),
                               rtol=1e-6)
    np.testing.assert_allclose(real, numeric_grad(real_first_then_complex_data, (x, c.real), 0),
                               rtol=1e-6)


def test_complex_global():
    check_grad(complex_global, rng.standard_normal(5))


def _nothing():
    import contextlib
    return contextlib.nullcontext()


def comprehension_then_replaced(x, B):
    items = [B[j] * 1.0 for j in range(2)]
    for j in range(2):
        items[j] = np.outer(B[j], x[j:j + 2])
    return np.sum(items[0] * items[0]) + np.sum(items[1])


def test_comprehension_entries_replaced():
    """The comprehension's list is built by appends: its tangent is a GradList."""
    x, B = rng.standard_normal(4), rng.standard_normal((2, 3))
    check_grad(comprehension_then_replaced, x, B, wrt=(0, 1))
    tx, tB = rng.standard_normal(4), rng.standard_normal((2, 3))
    _, tangent = tangent_lite.jvp(comprehension_then_replaced, (x, B), (tx, tB))
    expected = (numeric_grad(comprehension_then_replaced, (x, B), 0) @ tx
                + np.sum(numeric_grad(comprehension_then_replaced, (x, B), 1) * tB))
    np.testing.assert_allclose(tangent, expected, rtol=1e-6)
