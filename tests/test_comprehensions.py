"""Comprehensions, generator expressions and the walrus operator, lowered to loops and
assignments in the frontend: each against float64 central finite differences, in reverse and
forward mode and as Hessian-vector products, with Python's scoping kept."""
import numpy as np
import pytest
from helpers import check_grad, numeric_grad

import tangent_lite as tl
from tangent_lite import UnsupportedSyntaxError

X = np.array([0.3, -0.5, 1.2, 0.8])
W = np.array([0.7, -0.1, 0.4])


def sum_of_squares_listcomp(x):
    return sum([v * v for v in x])


def sum_of_squares_genexp(x):
    return sum(v * v for v in x)


def stacked(x):
    rows = [np.sin(v) * x for v in x]
    return np.sum(np.stack(rows) ** 2)


def array_of_products(x):
    return np.sum(np.array([x[i] * x[i + 1] for i in range(len(x) - 1)]) ** 2)


def filtered(x):
    return sum(np.exp(v) for v in x if v > 0.0)


def nested_fors(x, w):
    return sum(a * b for a in x for b in w if a > b - 1.0)


def nested_comprehensions(x, w):
    table = [[np.tanh(a * b) for b in w] for a in x]
    return np.sum(np.array(table))


def zipped_and_enumerated(x, w):
    dots = sum(a * b for a, b in zip(x, w))
    ramp = sum(k * v for k, v in enumerate(x))
    return dots * ramp


def genexp_consumers(x):
    biggest = max(v * v for v in x)
    pair = tuple(np.sin(v) for v in x[:2])
    return biggest + pair[0] * pair[1] + min([v for v in x])


def with_start_value(x):
    return sum((v * v for v in x), 1.5)


def scoping(x):
    v = x * 3.0
    total = sum([v * v for v in x])   # this v is the comprehension's own
    return total + np.sum(v)


def same_name_as_iterable(x):
    x2 = [x * 2.0 for x in x]        # the iterable is the outer x
    return np.sum(np.stack(x2)) + np.sum(x)


def rnn_unrolled(W, xs):
    hs = [np.zeros(3)]
    for x in xs:
        hs.append(np.tanh(W @ hs[-1] + x))
    return sum(np.sum(h * h) for h in hs)


def mse_over_batches(w, batches):
    return sum(np.mean((batch[0] @ w - batch[1]) ** 2) for batch in batches) / len(batches)


RNG = np.random.default_rng(3)
XS = RNG.normal(size=(4, 3))
MAT = RNG.normal(size=(3, 3)) * 0.5
BATCHES = [(RNG.normal(size=(5, 3)), RNG.normal(size=5)) for _ in range(3)]

CASES = [
    (sum_of_squares_listcomp, (X,), 0), (sum_of_squares_genexp, (X,), 0), (stacked, (X,), 0),
    (array_of_products, (X,), 0), (filtered, (X,), 0), (nested_fors, (X, W), (0, 1)),
    (nested_comprehensions, (X, W), (0, 1)), (zipped_and_enumerated, (X[:3], W), (0, 1)),
    (genexp_consumers, (X,), 0), (with_start_value, (X,), 0), (scoping, (X,), 0),
    (same_name_as_iterable, (X,), 0), (rnn_unrolled, (MAT, XS), (0, 1)),
]


@pytest.mark.parametrize("f, args, wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_matches_finite_differences(f, args, wrt):
    check_grad(f, *args, wrt=wrt)


@pytest.mark.parametrize("f, args, wrt", CASES, ids=[c[0].__name__ for c in CASES])
def test_forward_mode_and_hvp(f, args, wrt):
    i = wrt if isinstance(wrt, int) else wrt[0]
    v = np.linspace(-1.0, 1.0, np.size(args[i])).reshape(np.shape(args[i]))
    tangents = [None] * len(args)
    tangents[i] = v
    value, dvalue = tl.jvp(f, args, tangents)
    np.testing.assert_allclose(value, f(*args))
    np.testing.assert_allclose(dvalue, np.sum(numeric_grad(f, args, i) * v), rtol=1e-5,
                               atol=1e-7)
    df = tl.grad(f, wrt=i)
    eps = 1e-5
    plus, minus = list(args), list(args)
    plus[i], minus[i] = args[i] + eps * v, args[i] - eps * v
    np.testing.assert_allclose(tl.hvp(f, wrt=i)(*args, v),
                               (df(*plus) - df(*minus)) / (2 * eps), rtol=1e-4, atol=1e-6)


def test_mse_over_a_list_of_batches():
    check_grad(mse_over_batches, W, BATCHES)


def test_a_comprehension_reads_as_a_loop():
    source = tl.source(stacked)
    assert "rows = []" in source and "rows = append(rows, " in source, source
    assert "for " in source and "[" not in source.split("rows = []")[1].split("\n")[0]
    source = tl.source(sum_of_squares_genexp)
    assert "result = 0\n" in source and "result = result + " in source, source


def test_the_comprehension_variable_does_not_leak():
    # scoping(x) reads the outer v after the comprehension: renamed apart in the loop
    source = tl.source(scoping)
    assert "v2 = x[" in source, source


# -- the walrus operator ---------------------------------------------------------------------------

def walrus_in_expression(x):
    return np.sum((y := x * 2.0) * y)


def walrus_in_condition(x):
    if (n := np.sum(x * x)) > 1.0:
        return n * 2.0
    elif (m := np.sum(x)) > 0.0:
        return m * n
    return n


def walrus_in_comprehension(x):
    total = 0.0
    squares = [(s := v * v) + s for v in x]
    total = np.sum(np.stack(squares)) + s    # s: the last one, as in Python
    return total


def walrus_in_a_loop(x):
    acc = 0.0
    for v in x:
        acc = acc + (t := np.tanh(v)) * t
    return acc


def walrus_moved_past_a_draw(x):
    # x * 2.0 has no effect: computing it before the draw changes nothing
    rng = np.random.default_rng(0)
    return np.sum(rng.normal(size=x.shape) * (y := x * 2.0) * y)


@pytest.mark.parametrize("f", [walrus_in_expression, walrus_in_condition,
                               walrus_in_comprehension, walrus_in_a_loop,
                               walrus_moved_past_a_draw])
def test_walrus(f):
    check_grad(f, X)
    check_grad(f, -X)
    v = np.ones_like(X)
    np.testing.assert_allclose(tl.jvp(f, (X,), (v,))[1], numeric_grad(f, [X], 0).sum(),
                               rtol=1e-6)


def walrus_in_ifexp(x):
    return np.sum(x) if x[0] > 0 else np.sum((y := x * 2.0) * y)


def walrus_into_augmented_target(x):
    s = np.sum(x)
    s += (s := np.sum(x * x))
    return s


def walrus_after_a_draw(x):
    # moving the second draw ahead of the first would swap them
    rng = np.random.default_rng(0)
    return np.sum(rng.normal(size=x.shape) * (y := rng.normal(size=x.shape)) * y * x)



@pytest.mark.parametrize("f", [walrus_in_ifexp, walrus_into_augmented_target,
                               walrus_after_a_draw])
def test_walrus_that_cannot_move_ahead_is_refused(f):
    with pytest.raises(UnsupportedSyntaxError, match="walrus") as info:
        tl.grad(f)
    assert "test_comprehensions.py" in str(info.value)


# -- what stays refused -----------------------------------------------------------------------

def set_comprehension(x):
    return np.sum(np.array(sorted({float(v) for v in x})) * x)


def generator_kept_as_value(x):
    gen = (v * v for v in x)
    return sum(gen)


@pytest.mark.parametrize("f, construct", [(set_comprehension, "set comprehension"),
                                          (generator_kept_as_value, "generator")])
def test_refused_with_the_users_line(f, construct):
    with pytest.raises(UnsupportedSyntaxError, match=construct) as info:
        tl.grad(f)
    assert "test_comprehensions.py" in str(info.value) and info.value.hint
