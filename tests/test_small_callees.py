"""Small elementwise callees inlined where they are called (frontend/small_callees.py, the pass
`small_callees`): programs written the way users write them (a def, a module-level lambda, a
default parameter, keyword arguments, a call in a loop, the callee's result returned, lists
of states as the ADBench LSTM keeps them), against central finite differences in float64 and
against the gradient with the pass off; the forward value bit for bit; near misses that keep
their vjp (a method, a callee that slices, a free name the caller shadows, a callee that
writes into its argument)."""
import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite import optimize

from helpers import check_grad

RNG = np.random.default_rng(5150)
SCALE = 2.0


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


softplus = lambda v: np.log(1.0 + np.exp(v))   # noqa: E731 (a user's module-level lambda)


def leaky(v, slope=0.1):
    """A documented helper with a constant default."""
    pos = np.maximum(v, 0.0)
    return pos + slope * np.minimum(v, 0.0)


def scaled(v):
    return v * SCALE


def gate_loss(w, x):
    return np.sum(sigmoid(x * w) * x)


def gate_loss_dot(w, x):
    return np.sum(sigmoid(np.dot(x, w))) / x.shape[0]


def gate_loss_matmul_mean(w, x):
    return np.mean(sigmoid(x @ w))


def softplus_loss(w, x):
    return np.sum(softplus(x * w))


def keyword_loss(w, x):
    return np.sum(leaky(slope=0.2, v=x * w) ** 2)


def default_loss(w, x):
    return np.sum(leaky(x * w) ** 2)


def returned(w, x):
    return sigmoid(np.sum(x * w))


def loop_loss(w, xs):
    h = np.zeros(w.shape[0])
    for t in range(xs.shape[0]):
        h = sigmoid(h * w + xs[t]) * np.tanh(xs[t])
    return np.sum(h * h)


def lists_loss(w, xs, state):
    # the ADBench LSTM's shape: states kept in lists, gates from a helper, in a loop
    hidden = [state[i].copy() for i in range(2)]
    total = 0.0
    for t in range(xs.shape[0]):
        y = xs[t] * w
        for i in range(2):
            gate = sigmoid(hidden[i] * w + y)
            hidden[i] = gate * np.tanh(y)
            y = hidden[i]
        total = total + np.sum(y * y)
    return total / xs.shape[0]


def twice(w, x):
    a = sigmoid(x * w)
    b = sigmoid(a * w)
    return np.sum(a * b)


def rebinding(w, x):
    z = x * w
    z = sigmoid(z)
    return np.sum(z * x)


def shadowed(w, x):
    SCALE = 3.0                     # noqa: N806 (the callee's global, shadowed here)
    return np.sum(scaled(x * w) * SCALE)


class Gate:
    def act(self, v):
        return 1.0 / (1.0 + np.exp(-v))


GATE = Gate()


def method_loss(w, x):
    return np.sum(GATE.act(x * w))


def shift(v):
    return np.concatenate([v[:1], v[1:] * v[:-1]])


def slicing_loss(w, x):
    return np.sum(shift(x * w) ** 2)


def scale_in_place(v, s):
    v *= s
    return v


def writing_loss(w, x):
    z = x * w
    y = scale_in_place(z, 3.0)
    return np.sum(z * y)


def vec(n):
    return RNG.uniform(-1.0, 1.0, n)


PROGRAMS = [
    (gate_loss, (vec(5), vec(5))),
    (gate_loss_dot, (vec(3), RNG.uniform(-1, 1, (6, 3)))),
    (gate_loss_matmul_mean, (vec(3), RNG.uniform(-1, 1, (6, 3)))),
    (softplus_loss, (vec(4), vec(4))),
    (keyword_loss, (vec(4), vec(4))),
    (default_loss, (vec(4), vec(4))),
    (returned, (vec(4), vec(4))),
    (loop_loss, (vec(4), RNG.uniform(-1, 1, (5, 4)))),
    (lists_loss, (vec(7), RNG.uniform(-1, 1, (6, 7)), RNG.uniform(-1, 1, (2, 7)))),
    (twice, (vec(4), vec(4))),
    (rebinding, (vec(4), vec(4))),
    (shadowed, (vec(4), vec(4))),
    (method_loss, (vec(4), vec(4))),
    (slicing_loss, (vec(5), vec(5))),
    (writing_loss, (vec(4), vec(4))),
]


@pytest.mark.parametrize("f, args", PROGRAMS, ids=lambda v: getattr(v, "__name__", ""))
def test_against_finite_differences_and_with_the_pass_off(f, args):
    got = check_grad(f, *args, wrt=0)
    with optimize.disabled("small_callees"):
        plain = tl.grad(f, wrt=0)(*args)
        plain_again = tl.grad(f, wrt=0)(*args)    # its specialised variant
    np.testing.assert_allclose(got, plain, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(got, plain_again, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("f, args", PROGRAMS, ids=lambda v: getattr(v, "__name__", ""))
def test_the_value_is_the_programs_bit_for_bit(f, args):
    value, _ = tl.value_and_grad(f, wrt=0)(*args)
    value2, _ = tl.value_and_grad(f, wrt=0)(*args)
    assert value == f(*args) and value2 == f(*args)


@pytest.mark.parametrize("f", [gate_loss, softplus_loss, keyword_loss, default_loss, returned,
                               loop_loss, lists_loss, twice, rebinding])
def test_inlined_no_vjp_left(f):
    args = dict(PROGRAMS)[f]
    df = tl.grad(f, wrt=0)
    df(*args)
    sources = [tl.source(f, wrt=0)]
    if df.__tangent_lite__.specialiser is not None:     # a variant is compiled for it
        sources.append(tl.source(f, wrt=0, specialised_for=args))
    for source in sources:
        assert "vjp_" not in source, source


@pytest.mark.parametrize("f, callee", [(shadowed, "scaled"), (method_loss, None),
                                       (slicing_loss, "shift")])
def test_near_misses_keep_their_vjp(f, callee):
    source = tl.source(f, wrt=0)
    assert f"vjp_{callee or 'act'}" in source, source


def test_the_call_target_takes_the_return_and_reads_well():
    source = tl.source(gate_loss, wrt=0)
    assert "v_sigmoid = x * w" in source
    assert "t_sigmoid = 1.0 / t_add" in source or "1.0 / t_add" in source
    loop = tl.source(lists_loss, wrt=0, specialised_for=dict(PROGRAMS)[lists_loss])
    assert "gate = 1.0 / t_add" in loop, loop        # no `gate = t_sigmoid` copy
    assert "# line 21: return 1.0 / (1.0 + np.exp(-v))" in loop


def test_forward_mode_and_vjp_through_the_inlined_callee():
    w, x = vec(4), vec(4)
    y, dy = tl.jvp(gate_loss, (w, x), (np.ones(4), None))
    assert y == gate_loss(w, x)
    eps = 1e-6
    fd = (gate_loss(w + eps, x) - gate_loss(w - eps, x)) / (2 * eps)
    np.testing.assert_allclose(dy, fd, rtol=1e-6)
    value, pullback = tl.vjp(loop_loss, w, RNG.uniform(-1, 1, (5, 4)))
    np.testing.assert_allclose(pullback(1.0), pullback(1.0))


def test_float32_keeps_its_dtype():
    w, x = (a.astype(np.float32) for a in PROGRAMS[0][1])
    g = tl.grad(gate_loss, wrt=0)(w, x)
    assert g.dtype == np.float32
    with optimize.disabled("small_callees"):
        np.testing.assert_allclose(g, tl.grad(gate_loss, wrt=0)(w, x), rtol=1e-6)
