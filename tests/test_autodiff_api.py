"""The full autodiff API: value_and_grad, vjp, jvp, higher order, hvp, hessian, jacobian,
stop_gradient, custom rules, gradient hooks, check_grad. Every value is checked against an
exact derivative or central finite differences."""
import math

import numpy as np
import pytest
from helpers import numeric_grad

import tangent_lite as tl
from tangent_lite import InputError, MissingRuleError
from tangent_lite.rules import registry


def cube(x):
    return x ** 3


def loop_branch(x, W):
    h = x
    for t in range(3):
        h = np.tanh(W @ h)
        if np.sum(h) > 0:
            h = h * 2.0
    return np.sum(h * h)


def doubling(a):
    b = a * 2
    while np.linalg.norm(b) < 100:
        b = b * 2
    return np.sum(np.sin(b)) / 100.0


def branchy(x):
    if x[0] > 0:
        y = np.sin(x) * x[1]
    else:
        y = np.exp(x) - x[1]
    return y * 2.0


RNG = np.random.default_rng(3)
X3 = np.array([0.3, -0.2, 0.5])
W33 = 0.6 * RNG.normal(size=(3, 3))


def fd_jvp(f, args, tangents, eps=1e-6):
    plus = [a + eps * t if t is not None else a for a, t in zip(args, tangents)]
    minus = [a - eps * t if t is not None else a for a, t in zip(args, tangents)]
    return (np.asarray(f(*plus)) - np.asarray(f(*minus))) / (2 * eps)


# ---- value_and_grad and vjp ------------------------------------------------------------------

def test_value_and_grad():
    value, (gx, gW) = tl.value_and_grad(loop_branch, wrt=(0, 1))(X3, W33)
    assert value == pytest.approx(loop_branch(X3, W33))
    np.testing.assert_allclose(gx, numeric_grad(loop_branch, (X3, W33), 0), rtol=1e-5)
    np.testing.assert_allclose(gW, numeric_grad(loop_branch, (X3, W33), 1), rtol=1e-5)


def test_vjp_pullback_weights_and_repeats():
    y, pullback = tl.vjp(branchy, np.array([0.4, 1.5, -0.3]))
    np.testing.assert_allclose(y, branchy(np.array([0.4, 1.5, -0.3])))
    x = np.array([0.4, 1.5, -0.3])
    for weights in (np.array([1.0, 0.0, 0.0]), np.array([0.5, -2.0, 3.0]),
                    np.array([1.0, 0.0, 0.0])):
        expected = numeric_grad(lambda v: branchy(v) * weights, (x,), 0)
        np.testing.assert_allclose(pullback(weights), expected, rtol=1e-6, atol=1e-9)
    with pytest.raises(InputError):
        pullback(np.ones(2))


def test_vjp_through_a_loop_with_the_stack_replays_each_time():
    y, pullback = tl.vjp(loop_branch, X3, W33, wrt=(0, 1))
    first, second = pullback(1.0), pullback(2.0)
    np.testing.assert_allclose(first[0], numeric_grad(loop_branch, (X3, W33), 0), rtol=1e-5)
    np.testing.assert_allclose(second[1], 2 * first[1])


# ---- forward mode ------------------------------------------------------------------------------

def test_jvp_through_a_while_loop():
    a, da = np.array([0.3, -0.4]), np.array([1.0, 0.5])
    y, dy = tl.jvp(doubling, (a,), (da,))
    assert y == pytest.approx(doubling(a))
    assert dy == pytest.approx(fd_jvp(doubling, (a,), (da,)), rel=1e-6)


def test_jvp_with_a_constant_argument_and_branches():
    dx = np.array([0.2, -1.0, 0.4])
    y, dy = tl.jvp(loop_branch, (X3, W33), (dx, None))
    np.testing.assert_allclose(dy, fd_jvp(loop_branch, (X3, W33), (dx, None)), rtol=1e-6)
    for x in (np.array([0.5, 0.7, 0.1]), np.array([-0.5, 0.7, 0.1])):
        y, dy = tl.jvp(branchy, (x,), (dx,))
        np.testing.assert_allclose(dy, fd_jvp(branchy, (x,), (dx,)), rtol=1e-6, atol=1e-9)


# ---- higher order --------------------------------------------------------------------------------

def test_second_derivative_of_a_cube_is_12_at_2():
    assert tl.grad(tl.grad(cube))(2.0) == pytest.approx(12.0)


def test_higher_order_through_loops_and_branches():
    H = tl.hessian(loop_branch)(X3, W33)
    g2 = tl.grad(tl.grad(loop_branch))(X3, W33)
    np.testing.assert_allclose(g2, H.sum(axis=0), rtol=1e-9, atol=1e-12)
    eps = 1e-6
    fd = np.stack([(tl.grad(loop_branch)(X3 + eps * e, W33)
                    - tl.grad(loop_branch)(X3 - eps * e, W33)) / (2 * eps) for e in np.eye(3)])
    np.testing.assert_allclose(H, fd, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(H, H.T, atol=1e-10)


def test_hvp_equals_a_finite_difference_of_gradients():
    v = np.array([1.0, -0.5, 0.25])
    hv = tl.hvp(loop_branch)(X3, W33, v)
    eps = 1e-6
    fd = (tl.grad(loop_branch)(X3 + eps * v, W33) - tl.grad(loop_branch)(X3 - eps * v, W33)) \
        / (2 * eps)
    np.testing.assert_allclose(hv, fd, rtol=1e-5, atol=1e-8)


def test_hvp_in_several_arguments_takes_and_returns_a_tuple():
    v = (np.array([1.0, -0.5, 0.25]), np.linspace(-1.0, 1.0, 9).reshape(3, 3))
    hv = tl.hvp(loop_branch, wrt=(0, 1))(X3, W33, v)
    grad = tl.grad(loop_branch, wrt=(0, 1))
    eps = 1e-6
    plus, minus = grad(X3 + eps * v[0], W33 + eps * v[1]), grad(X3 - eps * v[0], W33 - eps * v[1])
    assert isinstance(hv, tuple) and len(hv) == 2
    for got, p, m in zip(hv, plus, minus):
        np.testing.assert_allclose(got, (p - m) / (2 * eps), rtol=1e-5, atol=1e-8)
    with pytest.raises(InputError, match="tuple of 2 tangents"):
        tl.hvp(loop_branch, wrt=(0, 1))(X3, W33, v[0])


def rows_of(x, W):
    # list(B) of an array: its gradient is an array again, in every order of derivative
    B = W * np.sin(x[0])
    rows = list(B)
    for j in range(2):
        rows[j] = np.tanh(rows[j]) + rows[1 - j] * 0.5
    return np.sum(rows[0] * rows[1] * x[:4]) + np.sum(B * W)


def rows_of_tuple(x, W):
    a, b = tuple(np.cos(W) * x[1])
    return np.sum(a * b * x[:4])


def relu_net(x, W):
    return np.sum(np.maximum(W @ x, 0.0) ** 2) + np.sum(np.minimum(x, x[::-1] * 0.9) ** 3)


def norms(x, W):
    return np.linalg.norm(W @ x) + 0.3 * np.linalg.norm(x, ord=3) + np.sum(np.sign(x) * x ** 2)


@pytest.mark.parametrize("f", [relu_net, norms])
def test_hvp_through_relu_minimum_sign_and_norms(f):
    # np.maximum's `ties` and np.sign's gradient were differentiated from their source and
    # refused; np.linalg.norm's second derivative was not implemented
    x, W = np.array([0.3, -0.7, 0.55, 1.2]), np.linspace(-0.6, 0.9, 12).reshape(3, 4)
    v = np.array([1.0, -0.5, 0.25, 0.8])
    eps = 1e-5
    fd = (tl.grad(f)(x + eps * v, W) - tl.grad(f)(x - eps * v, W)) / (2 * eps)
    np.testing.assert_allclose(tl.hvp(f)(x, W, v), fd, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("f", [rows_of, rows_of_tuple])
def test_hvp_through_the_rows_of_an_array(f):
    x, W = np.linspace(0.1, 0.8, 8), np.linspace(-0.5, 0.5, 8).reshape(2, 4)
    v = np.linspace(1.0, -1.0, 8)
    eps = 1e-5
    fd = (tl.grad(f)(x + eps * v, W) - tl.grad(f)(x - eps * v, W)) / (2 * eps)
    np.testing.assert_allclose(tl.hvp(f)(x, W, v), fd, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(tl.grad(f, wrt=1)(x, W), numeric_grad(f, (x, W), 1),
                               rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("x", [np.array([0.4, 1.5, -0.3]), np.array([-0.4, 1.5, -0.3])])
def test_jacobian_of_a_function_with_a_branch(mode, x):
    J = tl.jacobian(branchy, mode=mode)(x)
    assert J.shape == (3, 3)
    fd = np.stack([fd_jvp(branchy, (x,), (e,)) for e in np.eye(3)], axis=-1)
    np.testing.assert_allclose(J, fd, rtol=1e-6, atol=1e-9)


def test_hessian_of_a_function_with_a_branch():
    for x in (np.array([0.4, 1.5, -0.3]), np.array([-0.4, 1.5, -0.3])):
        H = tl.hessian(branchy_squared)(x)
        eps = 1e-6
        fd = np.stack([(tl.grad(branchy_squared)(x + eps * e)
                        - tl.grad(branchy_squared)(x - eps * e)) / (2 * eps) for e in np.eye(3)])
        np.testing.assert_allclose(H, fd, rtol=1e-5, atol=1e-8)


def branchy_squared(x):
    return np.sum(branchy(x) ** 2)


def gradient_penalty(x, W):
    g = tl.grad(loop_branch, wrt=(0, 1))(x, W)
    return np.sum(g[0] ** 2) + np.sum(g[1] ** 2)


def test_gradient_of_code_that_calls_a_gradient():
    gx, gW = tl.grad(gradient_penalty, wrt=(0, 1))(X3, W33)
    np.testing.assert_allclose(gx, numeric_grad(gradient_penalty, (X3, W33), 0), rtol=1e-5)
    np.testing.assert_allclose(gW, numeric_grad(gradient_penalty, (X3, W33), 1), rtol=1e-5)


# ---- stop_gradient -------------------------------------------------------------------------------

def detach(x):
    u = tl.stop_gradient(x * x)
    z = u * x
    return z


def test_stop_gradient_detach_example():
    for x in (3.0, np.array([1.0, -2.0, 0.5])):
        u = np.asarray(x) * x
        np.testing.assert_allclose(tl.grad(detach)(x), u)
        assert np.all(detach(x) == u * x)


# ---- custom rules ----------------------------------------------------------------------------------

@pytest.fixture
def isolated_rules():
    """Rules registered by a test are removed afterwards."""
    saved = registry.snapshot()
    yield
    registry.restore(saved)


def test_custom_rule_for_a_function_without_source(isolated_rules):
    with pytest.raises(MissingRuleError):
        tl.grad(gamma_twice)

    @tl.adjoint(gamma_ufunc)
    def _(y, x):
        d[x] = d[y] * y * digamma(x)  # noqa: F821 (names of the rule's module)

    @tl.tangent_rule(gamma_ufunc)
    def _(y, x):
        d[y] = d[x] * y * digamma(x)  # noqa: F821
    g = tl.grad(gamma_twice)(2.5)
    assert g == pytest.approx((gamma_twice(2.5 + 1e-6) - gamma_twice(2.5 - 1e-6)) / 2e-6,
                              rel=1e-6)
    assert "digamma(x)" in tl.source(gamma_twice)
    y, dy = tl.jvp(gamma_twice, (2.5,), (1.0,))
    assert dy == pytest.approx(g)


def digamma(x):
    """psi(x) by the asymptotic series after shifting x above 6."""
    result = 0.0
    while x < 6:
        result -= 1.0 / x
        x += 1.0
    return result + math.log(x) - 1 / (2 * x) - 1 / (12 * x ** 2) + 1 / (120 * x ** 4)


# math.gamma as a ufunc: a function without Python source and (unlike math.gamma) without a rule
gamma_ufunc = np.frompyfunc(math.gamma, 1, 1)


def gamma_twice(x):
    return gamma_ufunc(x) * 2.0


def softsign(x):
    return x / (1.0 + np.abs(x))


def uses_softsign(x):
    return np.sum(softsign(x) * 3.0)


def test_registered_rule_takes_precedence_and_reregistering_invalidates(isolated_rules):
    x = np.array([0.5, -1.0])
    exact = 3.0 / (1.0 + np.abs(x)) ** 2
    np.testing.assert_allclose(tl.grad(uses_softsign)(x), exact)

    @tl.adjoint(softsign)
    def _(y, x):
        d[x] = d[y] * 2.0  # deliberately wrong  # noqa: F821
    np.testing.assert_allclose(tl.grad(uses_softsign)(x), 6.0 * np.ones(2))
    with pytest.raises(AssertionError, match="disagrees with finite differences"):
        tl.check_grad(uses_softsign, x)

    @tl.adjoint(softsign)
    def _(y, x):
        d[x] = d[y] / (1.0 + np.abs(x)) ** 2  # noqa: F821
    np.testing.assert_allclose(tl.grad(uses_softsign)(x), exact)
    assert tl.check_grad(uses_softsign, x) < 1e-6


# ---- gradient hooks ------------------------------------------------------------------------------

def clipped_rnn(W, xs):
    h = np.zeros(W.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
        with tl.grad_of(h) as dh:
            dh = np.clip(dh, -0.05, 0.05)
    return np.sum(h)


def clipped_rnn_by_hand(W, xs):
    hs = [np.zeros(W.shape[0])]
    for x in xs:
        hs.append(np.tanh(W @ hs[-1] + x))
    dW, dh = np.zeros_like(W), np.ones_like(hs[-1])
    for t in reversed(range(len(xs))):
        dh = np.clip(dh, -0.05, 0.05)
        dz = dh * (1 - hs[t + 1] ** 2)
        dW += np.outer(dz, hs[t])
        dh = W.T @ dz
    return dW


def test_hook_clips_gradients_inside_a_loop():
    W, xs = 0.5 * RNG.normal(size=(3, 3)), RNG.normal(size=(5, 3))
    np.testing.assert_allclose(tl.grad(clipped_rnn)(W, xs), clipped_rnn_by_hand(W, xs))
    # f itself skips the block
    np.testing.assert_allclose(clipped_rnn(W, xs), np.sum(_rnn_value(W, xs)))


def _rnn_value(W, xs):
    h = np.zeros(W.shape[0])
    for x in xs:
        h = np.tanh(W @ h + x)
    return h


SEEN = []


def printed_gradient(x):
    y = x * x
    with tl.grad_of(y) as dy:
        SEEN.append(dy)
    return np.sum(y * 3.0)


def test_hook_sees_the_complete_gradient_and_is_skipped_when_f_runs():
    SEEN.clear()
    printed_gradient(np.ones(2))
    assert SEEN == []
    g = tl.grad(printed_gradient)(np.array([1.0, 2.0]))
    np.testing.assert_allclose(SEEN[0], [3.0, 3.0])
    np.testing.assert_allclose(g, [6.0, 12.0])


# ---- check_grad ----------------------------------------------------------------------------------

def test_check_grad_returns_the_largest_error():
    assert tl.check_grad(loop_branch, X3, W33, wrt=(0, 1)) < 1e-6


# ---- accumulation semantics --------------------------------------------------------------------

def test_gradients_are_fresh_and_batches_accumulate_by_adding():
    df = tl.grad(loop_branch, wrt=1)
    batches = [X3, X3[::-1].copy(), -X3]
    total = sum(df(x, W33) for x in batches)
    np.testing.assert_allclose(total, sum(numeric_grad(loop_branch, (x, W33), 1)
                                          for x in batches), rtol=1e-5)
    first = df(X3, W33)
    first += 100.0
    np.testing.assert_allclose(df(X3, W33), numeric_grad(loop_branch, (X3, W33), 1), rtol=1e-5)
