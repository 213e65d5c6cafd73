"""zip, enumerate and the other iterating builtins used as values.

A for loop or comprehension over zip or enumerate is lowered to an index loop, and its items
carry gradients. Used as a value (`list(zip(a, b))`, `a, b = zip(*pairs)`,
`dict(zip(keys, values))`), zip and enumerate were registered as functions with no gradient:
the gradient through them was silently zero. zip consumed at once by list, tuple, dict or an
unpacking, and enumerate by list or tuple, now have their own rules (test_zip_values.py); the others are refused with the line and
what to write instead wherever their items are differentiated, and still run where they are
not."""
import numpy as np
import pytest

import tangent_lite
from tangent_lite.errors import TangentLiteError

from helpers import check_grad

X = np.array([0.31, 0.72, 0.55, 0.18, 0.93, 0.44])
NAMES = ["a", "b", "c"]


def listed_zip(x):
    pairs = list(zip(x[:3], x[3:]))
    return pairs[0][0] * pairs[1][1]


def unzipped(x):
    pairs = [(x[0], x[1]), (x[2], x[3])]
    a, b = zip(*pairs)
    return sum(a) * sum(b)


def dict_of_zip(x):
    d = dict(zip(NAMES, [x[0], x[1] * 2.0, x[2]]))
    return d["a"] * d["b"]


def tupled_zip(x):
    a, b = tuple(zip(x[:2], x[2:4]))
    return a[0] * b[1]


def listed_enumerate(x):
    items = list(enumerate([x[0], x[1]]))
    return items[1][1] * 3.0 + items[0][1]


def sorted_list(x):
    return sum(sorted([x[0] * 2.0, x[1], x[2]])[:2])


def reversed_list(x):
    return sum(reversed([x[0] * 2.0, x[1]]))


# zip and enumerate consumed at once by list or tuple: test_zip_values.py
REFUSED = [sorted_list, reversed_list]


@pytest.mark.parametrize("f", REFUSED, ids=[f.__name__ for f in REFUSED])
def test_refused_where_the_items_are_differentiated(f):
    for api in (lambda: tangent_lite.grad(f)(X), lambda: tangent_lite.jvp(f, (X,), (X,))):
        with pytest.raises(TangentLiteError) as info:
            api()
        text = str(info.value)
        assert "test_iterators_as_values.py:" in text and "used as a value" in text
        assert "instead: " in text


def zip_loop(x):
    total = 0.0
    for a, b in zip(x[:3], x[3:]):
        total = total + a * b
    return total


def zip_comprehension(x):
    return sum([a * np.sin(b) for a, b in zip(x[:3], x[3:])])


def enumerate_loop(x):
    total = 0.0
    for i, v in enumerate(x):
        total = total + (i + 1) * v ** 2
    return total


PAIRS = [(1.0, 0.5), (2.0, 0.25), (3.0, 0.125)]


def constant_zip(x):
    weights = dict(zip(NAMES, [1.0, 2.0, 3.0]))
    order = list(enumerate(NAMES))
    scales, shifts = zip(*PAIRS)
    return sum(weights[name] * scales[i] * x[i] ** 2 + shifts[i] for i, name in order)


ACCEPTED = [zip_loop, zip_comprehension, enumerate_loop, constant_zip]


@pytest.mark.parametrize("f", ACCEPTED, ids=[f.__name__ for f in ACCEPTED])
def test_loops_and_constants_still_differentiate(f):
    check_grad(f, X)


# -- a dict walked by its keys: `for k in params` reading `params[k]` -----------------------------

def l2_over_keys(params, x):
    total = np.sum(np.tanh(params["W"] @ x + params["b"]) ** 2)
    for name in params:
        total = total + 0.1 * np.sum(params[name] ** 2)
    return total


def l2_over_sorted_keys(params, x):
    total = 0.0
    for k in sorted(params):
        total = total * 0.5 + np.sum(params[k] * np.mean(x))
    return total


def _params():
    rng = np.random.default_rng(3)
    return {"W": rng.normal(size=(2, 3)), "b": rng.normal(size=2)}


@pytest.mark.parametrize("f", [l2_over_keys, l2_over_sorted_keys])
def test_a_dict_walked_by_its_keys(f):
    # these raised a raw KeyError (the loop read params[0]); sorted(params) was refused
    params, x = _params(), X[:3]
    g = tangent_lite.grad(f)(params, x)
    eps = 1e-6
    for name, value in params.items():
        expected = np.zeros_like(value)
        for k in np.ndindex(value.shape):
            plus = {n: v.copy() for n, v in params.items()}
            minus = {n: v.copy() for n, v in params.items()}
            plus[name][k] += eps
            minus[name][k] -= eps
            expected[k] = (f(plus, x) - f(minus, x)) / (2 * eps)
        np.testing.assert_allclose(g[name], expected, rtol=1e-6, atol=1e-8)
    value, pullback = tangent_lite.vjp(f, params, x)
    assert value == f(params, x)
    for name in params:
        np.testing.assert_allclose(pullback(1.0)[name], g[name], rtol=1e-12)
