"""zip used as a value, consumed at once: `list(zip(a, b))`, `tuple(zip(a, b))`, `a, b =
zip(*pairs)`, `dict(zip(keys, values))`, and `list(enumerate(xs))` (runtime/zips.py and their
rules in rules/builtins.py). Each sequence gets back the gradients of its own position in the tuples;
items past the shortest sequence and a dict value a repeated key replaced get zeros. Checked
in grad, value_and_grad, vjp (called twice), jvp and hvp against central finite differences
in float64, on programs written in several styles (arrays and lists, np.dot and @, np.sum and
np.mean, functions and methods)."""
import numpy as np
import pytest

import tangent_lite

from helpers import check_grad, check_hvp, check_jvp, numeric_grad

RNG = np.random.default_rng(21)
NAMES = ["a", "b", "c"]


def listed_zip(x):
    pairs = list(zip(x[:3], x[3:]))
    return pairs[0][0] * pairs[1][1] + np.sin(pairs[2][0]) * pairs[2][1]


def unzipped(x):
    pairs = [(x[0], x[1]), (x[2] * x[3], x[3]), (np.tanh(x[4]), x[5])]
    a, b = zip(*pairs)
    return sum(a) * sum(b) + a[1] * b[2]


def dict_of_zip(x):
    d = dict(zip(NAMES, [x[0], x[1] * 2.0, np.cos(x[2])]))
    return d["a"] * d["b"] + d["c"] ** 2


def tupled_zip(x):
    a, b = tuple(zip(x[:2], x[2:4]))
    return a[0] * b[1] + np.exp(a[1] * b[0])


def shorter_first(x):
    # zip stops at the shorter sequence: x[2:]'s last two items get no gradient through it
    pairs = list(zip(x[:2], x[2:]))
    return sum(u * np.sin(v) for u, v in pairs) + np.sum(x ** 2) * 0.1


def rows_and_weights(x):
    # the rows of a 2-D array zipped with a list of vectors; the list walked afterwards
    X = np.reshape(x, (3, 2))
    weights = [np.tanh(x[:2]), x[2:4] * 0.5, np.ones(2)]
    total = 0.0
    for row, w in list(zip(X, weights)):
        total = total + np.dot(row, w) ** 2
    return total


def rows_and_weights_matmul(x):
    X = x.reshape(3, 2)
    weights = [np.tanh(x[:2]), x[2:4] * 0.5, np.ones(2)]
    pairs = tuple(zip(X, weights))
    return np.mean(np.array([(row @ w) ** 2 for row, w in pairs]))


def three_sequences(x):
    triples = list(zip(x[:2], x[2:4], [x[4] * x[5], 0.5]))
    return triples[0][0] * triples[0][1] * triples[0][2] + triples[1][2] * triples[1][0]


def repeated_key(x):
    # the later value of "a" replaces the earlier one: x[0] gets no gradient through the dict
    d = dict(zip(["a", "b", "a"], [x[0] * 3.0, x[1], x[2] ** 2]))
    return d["a"] * d["b"] + x[0] * 0.1


def dict_of_arrays(x):
    layer = dict(zip(("W", "b"), (np.reshape(x[:4], (2, 2)), x[4:])))
    return np.sum(np.tanh(layer["W"] @ x[4:] + layer["b"]) ** 2)


def more_keys_than_values(x):
    d = dict(zip(["a", "b", "c", "unused"], list(x[:3] * 2.0)))
    return d["a"] * d["c"] - d["b"]


def listed_enumerate(x):
    items = list(enumerate([x[0], x[1] * x[2]]))
    return items[1][1] * 3.0 + np.sin(items[0][1]) * items[1][0]


def enumerate_from_one(x):
    items = tuple(enumerate(np.tanh(x[:4]), 1))
    return sum(i * v ** 2 for i, v in items) + items[2][1] * items[0][0]


def enumerate_rows(x):
    rows = list(enumerate([x[:2], x[2:4] * 2.0, x[4:]], start=2))
    return np.sum(np.dot(rows[1][1], rows[0][1])) * rows[1][0] + np.mean(rows[2][1] ** 2)


class Pairs:
    """zip as a value inside a method, over an attribute."""

    def __init__(self, scale):
        self.scale = scale

    def loss(self, x):
        left, right = zip(*[(x[i], x[i + 3] * self.scale) for i in range(3)])
        return np.sum(np.array(left) * np.array(right))


ALL = [listed_zip, unzipped, dict_of_zip, tupled_zip, shorter_first, rows_and_weights,
       rows_and_weights_matmul, three_sequences, repeated_key, dict_of_arrays,
       more_keys_than_values, listed_enumerate, enumerate_from_one, enumerate_rows,
       Pairs(0.7).loss]
IDS = [getattr(f, "__qualname__", f.__name__) for f in ALL]


def point():
    return RNG.uniform(0.2, 0.9, size=6)


@pytest.mark.parametrize("f", ALL, ids=IDS)
def test_grad(f):
    check_grad(f, point())


@pytest.mark.parametrize("f", ALL, ids=IDS)
def test_value_and_grad(f):
    x = point()
    value, g = tangent_lite.value_and_grad(f)(x)
    assert value == f(x.copy())
    np.testing.assert_allclose(g, numeric_grad(f, (x,), 0), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("f", ALL, ids=IDS)
def test_vjp(f):
    x = point()
    value, pullback = tangent_lite.vjp(f, x)
    assert value == f(x.copy())
    first = pullback(0.6)
    np.testing.assert_allclose(first, 0.6 * numeric_grad(f, (x,), 0), rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(pullback(0.6), first)


@pytest.mark.parametrize("f", ALL, ids=IDS)
def test_jvp(f):
    check_jvp(f, point(), RNG.normal(size=6))


@pytest.mark.parametrize("f", ALL, ids=IDS)
def test_hvp(f):
    check_hvp(f, point(), RNG.normal(size=6))


def test_repeated_key_gives_the_replaced_value_no_gradient():
    g = tangent_lite.grad(repeated_key)(np.full(6, 0.5))
    assert g[0] == pytest.approx(0.1)      # only the `+ x[0] * 0.1`


def test_a_zip_kept_as_a_value_is_still_refused():
    # consumed later (or twice, when the second pass sees nothing): not materialised
    def kept(x):
        z = zip(x[:3], x[3:])
        return sum(a * b for a, b in list(z))
    with pytest.raises(tangent_lite.TangentLiteError) as info:
        tangent_lite.grad(kept)(point())
    assert "test_zip_values.py:" in str(info.value)
