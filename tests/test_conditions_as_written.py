"""Branch and loop conditions run as the user wrote them, methods included (frontend/
expressions.py `verbatim`): `if b.sum() > 0` stays `b.sum() > 0`. Before, it became
`np.sum(b) > 0`, which for a Python float b returns a number where f raises AttributeError:
the gradient of a program that does not run. Programs in several styles (a method, the
function, `.any()`, a `while` on `.max()`), for arrays, NumPy floats and Python floats,
against central finite differences in float64 or an exact derivative."""
import numpy as np
import pytest

import tangent_lite

from helpers import check_grad
from test_call_path import doubling   # the walkthrough's function


def grow_until(x):
    y = x * 1.5
    while y.max() < 20.0:
        y = y * 1.5 + 1.0
    return np.sum(y * y)


def signs(x):
    if (x > 0).any():
        return np.sum(np.exp(x))
    return np.sum(x)


def as_function(x):
    # the function form stays the function
    if np.sum(x) > 0:
        return np.sum(x ** 3)
    return np.sum(-x)


RNG = np.random.default_rng(77)


@pytest.mark.parametrize("f, x", [
    (grow_until, RNG.uniform(0.5, 1.0, 4)),
    (signs, RNG.uniform(-1.0, 1.0, 5)),
    (signs, -RNG.uniform(0.1, 1.0, 5)),
    (as_function, RNG.uniform(0.1, 1.0, 3)),
], ids=["while_max", "any_true", "any_false", "function"])
def test_against_finite_differences(f, x):
    check_grad(f, x)


@pytest.mark.parametrize("a, want", [(np.float64(1.5), 1024.0), (np.float64(-1.5), 102400.0),
                                     (np.array([1.5, -2.0]), None)])
def test_the_walkthrough_for_numpy_numbers_and_arrays(a, want):
    g = tangent_lite.grad(doubling)(a)
    if want is not None:
        assert g == want and type(g) is np.float64
    else:
        check_grad(lambda v: np.sum(doubling(v)), a)


def test_a_python_float_raises_as_f_does():
    with pytest.raises(AttributeError, match="sum"):
        doubling(1.5)
    with pytest.raises(AttributeError, match="sum"):
        tangent_lite.grad(doubling)(1.5)


def test_the_generated_conditions_read_as_written():
    numbers = tangent_lite.source(doubling, numbers=True)
    assert "cond = b.sum() > 0" in numbers and "np.sum(b)" not in numbers, numbers
    assert "while y.max() < 20.0:" in tangent_lite.source(grow_until)
    assert "np.sum(x) > 0" in tangent_lite.source(as_function)
