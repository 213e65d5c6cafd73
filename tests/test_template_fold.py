"""rules/template.py's fold(): what substitution made trivial is folded only where NumPy computes
the same value with the same dtype. `int_array * 1.0` is float64 and `bool_array * 1` int64, so
`e * 1.0` -> `e` would hand an integer array to code that expected floats; each folded
expression is evaluated before and after on integers, bools, float32 and Python numbers."""
import ast

import gast
import numpy as np
import pytest

import tangent_lite
from tangent_lite.rules.fold import fold
from tests.helpers import check_grad

EXPRESSIONS = ["x * 1.0", "1.0 * x", "x * 1", "1 * x", "x ** 1.0", "x ** 1", "2.0 * x ** 1.0",
               "2 * x ** 1", "2 * x ** 1.0", "y * (2 * x ** 1)", "y * 2.0 * x ** 1.0",
               "x / y * 1.0", "(x + 0.5) * 1", "-(x * 2.0) ** 1", "x ** (2 - 1) * y"]
VALUES = {
    "int64": np.arange(-2, 3), "int8": np.arange(-2, 3, dtype=np.int8),
    "bool": np.array([True, False, True, True, False]),
    "float32": np.linspace(-1, 1, 5, dtype=np.float32), "float64": np.linspace(-1, 1, 5),
    "python int": 3, "python bool": True, "python float": 0.5,
}


def _text(node):
    return ast.unparse(gast.gast_to_ast(node))


@pytest.mark.parametrize("kind", VALUES)
@pytest.mark.parametrize("source", EXPRESSIONS)
def test_fold_keeps_value_and_dtype(source, kind):
    folded = _text(fold(gast.parse(source, mode="eval").body))
    scope = {"x": VALUES[kind], "y": np.float32(1.5) if kind == "float32" else 1.5}
    before, after = eval(source, {}, scope), eval(folded, {}, scope)
    assert type(after) is type(before), (source, folded)
    assert np.result_type(after) == np.result_type(before), (source, folded)
    np.testing.assert_array_equal(after, before)


@pytest.mark.parametrize("source, expected", [
    ("x * 1.0", "x * 1.0"),                # x may be an integer array: kept
    ("x ** 1", "x ** 1"),                  # x may be a bool array: kept
    ("x / y * 1.0", "x / y"),              # a true division is a float
    ("2.0 * x ** 1.0", "2.0 * x"),         # the rule of `x ** 2.0`: reads as it should
    ("dy * (2 * x ** (2 - 1))", "dy * (2 * x)"),   # the rule of `x ** 2`
    ("2 * x ** 1.0", "2 * x ** 1.0"),      # an int beside does not make x float
])
def test_fold_reads_as_written_where_it_is_exact(source, expected):
    assert _text(fold(gast.parse(source, mode="eval").body)) == expected


def squares_float(x):
    return np.sum(x ** 2.0) + np.sum(2.0 * x ** 1.0)


def squares_int(x):
    y = x ** 2
    return np.sum(y * x ** 1)


@pytest.mark.parametrize("f", [squares_float, squares_int])
def test_powers_with_one_left_by_substitution(f):
    x, v, eps = np.linspace(-0.8, 1.3, 5), np.linspace(0.5, 1.0, 5), 1e-6
    check_grad(f, x)
    _, tangent = tangent_lite.jvp(f, (x,), (v,))
    np.testing.assert_allclose(tangent, (f(x + eps * v) - f(x - eps * v)) / (2 * eps),
                               rtol=1e-6, atol=1e-8)
