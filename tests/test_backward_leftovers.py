"""Two leftovers of the specialised variant's backward sweep, each general:

- a counter the forward sweep pushes each step and the backward sweep pops back, when its
  only read is before the loop that pops it (`total / count` of the ADBench LSTM): the pushes
  and pops go (optimize/unread_pops.py);
- the copy `dv = dt_neg` a flipped negation left (optimize/algebra/negations.py): the
  gradient is bound where its product is computed.

Programs written the way users write them (a counter as `+=`, as `n = n + 1`, a float count, a
while loop, a helper function or the same inline), against central finite differences in
float64 and run twice (the specialised variant), and the near misses that must keep their
pushes (a counter the backward sweep reads inside the loop)."""
import numpy as np
import pytest

import tangent_lite

from helpers import check_grad

RNG = np.random.default_rng(6060)


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def mean_loss_counted(w, xs):
    # the LSTM's `count += b` read once, for the mean at the end
    total = 0.0
    count = 0
    h = np.zeros(w.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(h * w + xs[t])
        total = total + np.sum(h * h)
        count += h.shape[0]
    return total / count


def mean_loss_float_count(w, xs):
    total = 0.0
    n = 0.0
    for x in xs:
        total = total + np.dot(x, w) ** 2
        n = n + 1.0
    return -total / n


def while_counted(w, x):
    steps = 0
    y = x * w
    while np.sum(y * y) < 50.0:
        y = y * 1.5 + w
        steps = steps + 1
    return np.sum(y) / steps if steps else np.sum(y)


def counter_read_inside(w, xs):
    # near miss: the step's weight is the counter, so the backward sweep reads it per step
    total = 0.0
    count = 1
    for t in range(xs.shape[0]):
        total = total + count * np.sum(np.sin(xs[t] * w))
        count += 1
    return total / count


def gates_helper(w, xs):
    # the ADBench LSTM's pattern: sigmoid gates of a helper, popped values in between
    h = np.zeros(w.shape[0])
    c = np.zeros(w.shape[0])
    for t in range(xs.shape[0]):
        f = sigmoid(xs[t] * w[:, 0] + h)
        o = sigmoid(h * w[:, 1] + xs[t])
        c = c * f + np.tanh(xs[t])
        h = o * np.tanh(c)
    return np.sum(h * h)


def gates_inline(w, xs):
    h = np.zeros(w.shape[0])
    for t in range(xs.shape[0]):
        gate = 1.0 / (1.0 + np.exp(-(xs[t] @ np.diag(w) + h)))
        h = gate * np.tanh(h + xs[t])
    return np.mean(h ** 2)


PROGRAMS = [
    (mean_loss_counted, 0, (RNG.uniform(-1, 1, 4), RNG.uniform(-1, 1, (5, 4)))),
    (mean_loss_float_count, 0, (RNG.uniform(-1, 1, 3), RNG.uniform(-1, 1, (6, 3)))),
    (while_counted, 0, (RNG.uniform(0.5, 1, 3), RNG.uniform(0.5, 1, 3))),
    (counter_read_inside, 0, (RNG.uniform(-1, 1, 4), RNG.uniform(-1, 1, (5, 4)))),
    (gates_helper, 0, (RNG.uniform(-1, 1, (4, 2)), RNG.uniform(-1, 1, (6, 4)))),
    (gates_inline, 0, (RNG.uniform(-1, 1, 4), RNG.uniform(-1, 1, (6, 4)))),
]


def _variant(f, wrt, args):
    try:
        return tangent_lite.source(f, wrt=wrt, specialised_for=args)
    except tangent_lite.TangentLiteError:
        return tangent_lite.source(f, wrt=wrt)


@pytest.mark.parametrize("f, wrt, args", PROGRAMS, ids=lambda v: getattr(v, "__name__", ""))
def test_against_finite_differences(f, wrt, args):
    check_grad(f, *args, wrt=wrt)


@pytest.mark.parametrize("f, name", [(mean_loss_counted, "count"),
                                     (mean_loss_float_count, "n")])
def test_a_counter_read_only_before_its_pops_is_not_pushed(f, name):
    args = next(a for g, _, a in PROGRAMS if g is f)
    text = _variant(f, 0, args)
    assert f"stack.push({name})" not in text, text
    assert f"{name} = stack.pop()" not in text, text
    backward = text.split("Backward sweep")[1]
    # no line's comment is left heading nothing
    lines = [ln.strip() for ln in backward.splitlines() if ln.strip()]
    for a, b in zip(lines, lines[1:]):
        assert not (a.startswith("# line") and b.startswith("# line")
                    and a.split(":")[0] != b.split(":")[0]), text


def test_a_counter_read_in_the_loop_keeps_its_pushes():
    w, xs = PROGRAMS[3][2]
    text = _variant(counter_read_inside, 0, (w, xs))
    assert "count = stack.pop()" in text, text
    # the gradient is exact: sum over t of (t + 1) * cos(xs[t] * w) * xs[t], over the count
    want = sum((t + 1) * np.cos(xs[t] * w) * xs[t] for t in range(5)) / 6
    np.testing.assert_allclose(tangent_lite.grad(counter_read_inside)(w, xs), want,
                               rtol=1e-13)


@pytest.mark.parametrize("f", [gates_helper, gates_inline], ids=lambda f: f.__name__)
def test_no_copy_of_a_flipped_negation_is_left(f):
    args = next(a for g, _, a in PROGRAMS if g is f)
    backward = _variant(f, 0, args).split("Backward sweep")[1]
    for line in backward.splitlines():
        left, eq, right = line.strip().partition(" = ")
        assert not (eq and right.startswith("dt_neg") and right.isidentifier()), backward
