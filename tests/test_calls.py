"""Calls into user code (module-level helpers, nested defs, lambdas), Python lists and builtins,
each checked against central finite differences."""
import numpy as np
import pytest
from helpers import check_grad

import tangent_lite
from tangent_lite import UnsupportedSyntaxError


def clipped_square(v, limit=1.0):
    """A helper with an early return."""
    if v > limit:
        return limit * v
    return v * v


def sine_times(a, b):
    return np.sin(a) * b


def looped_helper(a, b):
    """A helper with its own loop that calls another helper."""
    s = 0.0
    for i in range(3):
        s = s + sine_times(a, b * i)
    return s


def early_return_in_loop(x):
    total = 0.0
    for i in range(len(x)):
        total += clipped_square(x[i], limit=0.5)
    return total + looped_helper(x[0], x[1])


def keyword_and_default(x, y):
    return clipped_square(x, limit=y) + clipped_square(y) + clipped_square(v=x * y, limit=0.1)


def helper_on_arrays(W, x):
    return np.tanh(W @ x)


def helper_in_rnn(W, xs):
    h = np.zeros(W.shape[0])
    for t in range(xs.shape[0]):
        h = helper_on_arrays(W, h + xs[t])
    return np.sum(h)


def same_argument_twice(x):
    return np.sum(sine_times(x, x))


@tangent_lite.differentiate
def decorated_helper(v):
    return v * np.exp(v)


def calls_decorated(x):
    return np.sum(decorated_helper(x) * 2.0)


def nested_def_closure(W, x):
    def step(h, t):
        if t % 2 == 0:
            return np.tanh(W @ h + x[t])
        z = W @ h
        return np.sin(z) + x[t]
    h = np.zeros(3)
    for t in range(4):
        h = step(h, t)
    return np.sum(h * h)


def lambdas(x):
    sq = lambda u: u * u  # noqa: E731
    return np.sum(sq(x)) + (lambda v, k=3.0: v * k)(x[0])


def list_of_values(a):
    items = [a, a * a, 3.0]
    total = items[1] * items[0] + sum(items)
    for v in items:
        total = total + np.sin(v)
    return total


def appended_states(x, W):
    outs = []
    h = np.zeros(2)
    for t in range(3):
        h = np.tanh(W @ h + x[t])
        outs.append(h)
    return np.sum(np.stack(outs) ** 2) + np.sum(outs[1])


def builtins_mix(x):
    a = float(x[0])
    b = max(x[1], a * 2.0)
    c = min(x[2], 0.1)
    return sum(x) * abs(b) + c * len(x)


def squash(u, v):
    return u * v + 0.5


def one_helper_three_ways(x):
    """The same helper differentiated with respect to u and v, v only, and u only: three
    different vjps that must get three different names (the loop's trial runs once gave two of
    them the same one: a wrong gradient the random-program fuzzer found)."""
    s0, s1 = x[0] * 1.0, np.sin(x[1])
    y = np.zeros(4)
    if np.sin(x[0]) > 0.08:
        s0, s1 = s1, s0
    else:
        y[1] /= 2.0 + np.tanh(squash(x[3], 0.13))
    for i in range(4):
        y[2:4] = x[2:4] * squash(-0.19, s1)
        y[i] = 0.5 * y[i] + np.sin(squash(y[0] - s0, np.exp(np.tanh(x[3]))))
    return s0 * s1 + np.sum(y * x)


RNG = np.random.default_rng(7)
CASES = [
    (early_return_in_loop, (np.array([0.3, 0.9, -0.2, 1.4]),), 0),
    (keyword_and_default, (0.7, 1.3), (0, 1)),
    (keyword_and_default, (1.6, 0.4), (0, 1)),
    (helper_in_rnn, (0.5 * RNG.normal(size=(3, 3)), RNG.normal(size=(5, 3))), (0, 1)),
    (same_argument_twice, (RNG.normal(size=4),), 0),
    (calls_decorated, (RNG.normal(size=3),), 0),
    (nested_def_closure, (0.5 * RNG.normal(size=(3, 3)), RNG.normal(size=(4, 3))), (0, 1)),
    (lambdas, (RNG.normal(size=3),), 0),
    (list_of_values, (0.7,), 0),
    (list_of_values, (np.array([0.2, -0.4]),), 0),
    (appended_states, (RNG.normal(size=(3, 2)), RNG.normal(size=(2, 2))), (0, 1)),
    (builtins_mix, (np.array([0.3, 1.2, -0.4]),), 0),
    (one_helper_three_ways, (np.array([1.4791045, -1.33471084, -1.27920357, 0.28938233]),), 0),
    (one_helper_three_ways, (np.array([-0.4, -1.33471084, -1.27920357, 0.28938233]),), 0),
    (builtins_mix, (np.array([0.8, 1.2, 0.4]),), 0),
]


@pytest.mark.parametrize("f, args, wrt", CASES, ids=[f"{c[0].__name__}-{i}"
                                                       for i, c in enumerate(CASES)])
def test_calls_match_finite_differences(f, args, wrt):
    check_grad(f, *args, wrt=wrt)


def test_helper_vjp_is_compiled_once_and_shown_in_the_caller():
    source = tangent_lite.source(early_return_in_loop)
    assert "vjp_clipped_square(" in source
    assert "vjp_looped_helper(" in source
    assert tangent_lite.grad(early_return_in_loop) is tangent_lite.grad(early_return_in_loop)


def test_redefining_a_helper_gives_a_fresh_gradient(tmp_path, monkeypatch):
    module = tmp_path / "redefined_helper.py"
    module.write_text("import numpy as np\n\ndef helper(v):\n    return v * v\n\n"
                      "def f(x):\n    return np.sum(helper(x))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib
    mod = importlib.import_module("redefined_helper")
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(tangent_lite.grad(mod.f)(x), 2 * x)
    (tmp_path / "cube_helper.py").write_text("def helper(v):\n    return v * v * v\n")
    mod.helper = importlib.import_module("cube_helper").helper   # f itself is unchanged
    np.testing.assert_allclose(tangent_lite.grad(mod.f)(x), 3 * x * x)


def test_redefining_a_helper_of_a_helper_gives_a_fresh_gradient(tmp_path, monkeypatch):
    (tmp_path / "two_levels.py").write_text(
        "import numpy as np\n\ndef inner(v):\n    return v * v\n\n"
        "def outer(v):\n    return inner(v) + v\n\n"
        "def f(x):\n    return np.sum(outer(x))\n")
    (tmp_path / "inner_cube.py").write_text("def inner(v):\n    return v * v * v\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib
    mod = importlib.import_module("two_levels")
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(tangent_lite.grad(mod.f)(x), 2 * x + 1)
    mod.inner = importlib.import_module("inner_cube").inner
    np.testing.assert_allclose(tangent_lite.grad(mod.f)(x), 3 * x * x + 1)


def countdown(x, n):
    if n == 0:
        return x
    return countdown(x * 2.0, n - 1)


def calls_recursive(x):
    return countdown(x, 3)


def test_recursion_is_refused_with_its_chain():
    with pytest.raises(UnsupportedSyntaxError, match="recursion .*countdown -> countdown"):
        tangent_lite.grad(calls_recursive)


def sums_a_list_as_array(a):
    items = [a, a * 2.0]
    return np.sum(items + items)


def test_list_used_as_an_array_is_refused():
    with pytest.raises(UnsupportedSyntaxError, match="Python list"):
        tangent_lite.grad(sums_a_list_as_array)
