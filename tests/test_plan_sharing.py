"""The stack plan saves an array written in place when the backward sweep reads a value that may
share its memory, whether or not the written array is differentiated (transforms/plan.py
`_written_sharers`, from analysis/aliasing.py's points-to sets).

Found by the memory fuzzer (seed 8, program 485): rows of a constant matrix gathered in a list,
one read back through the list into a product with x, then the matrix's row bumped in place
through another view. Differentiated in x and W, the matrix was saved because its own gradient
needs it; in x alone, nothing was saved and the backward sweep read the bumped row: grad and
hvp wrong with no error. Each program here is differentiated in every argument alone and in
all together, with central finite differences in float64."""
import pathlib
import sys

import numpy as np
import pytest

import tangent_lite
from tangent_lite.errors import UnsupportedSyntaxError

from helpers import check_grad, numeric_grad

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
# the program the fuzzer found, kept in the memory corpus
from tests.memory.corpus import view_from_list_then_base_bumped as rows_in_list  # noqa: E402

RNG = np.random.default_rng(485)


def rows_in_tuple(x, W):
    B = np.cos(W)
    parts = (B[0], B[1])
    s = np.sum(parts[0] * np.sin(x[:4])) + np.dot(parts[1], x[4:])
    B[0] *= 2.0
    return s + np.sum(B)


def column_in_dict(x, W):
    B = W + 0.0
    cols = {"first": B[:, 0], "second": B[:, 1]}
    s = cols["first"] @ np.tanh(x[:2]) + np.sum(cols["second"] ** 2 * x[2])
    B[:, 0] = 0.5
    return s * np.sum(B)


def rows_in_loop(x, W):
    B = W * 1.0
    total = 0.0
    for i in range(2):
        kept = [B[i]]
        total = total + np.sum(kept[0] * np.sin(x[:4]))
        B[i] *= 0.5
    return total + np.sum(B * x[4:])


def reshaped_item(x, W):
    B = W * 1.0
    rows = [B[0], B[1]]
    v = rows[0].reshape(2, 2)
    s = np.sum(v * x[:4].reshape(2, 2) ** 2)
    np.add(B, 1.0, out=B)
    return s + np.sum(B * x[4:])


def renamed_then_written(x, W):
    B = W * 1.0
    C = B
    r = C[1]
    s = np.sum(np.exp(r * x[4:]))
    B += 1.0
    return s + np.sum(C * x[:4])


PROGRAMS = [rows_in_list, rows_in_tuple, column_in_dict, rows_in_loop, reshaped_item,
            renamed_then_written]


@pytest.mark.parametrize("wrt", [0, 1, (0, 1)], ids=["x", "W", "both"])
@pytest.mark.parametrize("f", PROGRAMS, ids=[f.__name__ for f in PROGRAMS])
def test_grad(f, wrt):
    x, W = RNG.uniform(0.1, 0.9, size=8), RNG.uniform(0.1, 0.9, size=(2, 4))
    check_grad(f, x, W, wrt=wrt)


@pytest.mark.parametrize("f", PROGRAMS, ids=[f.__name__ for f in PROGRAMS])
def test_hvp_in_x_alone(f):
    """hvp differentiates grad(f, wrt=0): the Hessian-vector product against central
    differences of the gradient, itself checked against finite differences above."""
    x, W = RNG.uniform(0.1, 0.9, size=8), RNG.uniform(0.1, 0.9, size=(2, 4))
    v = RNG.standard_normal(8)
    got = tangent_lite.hvp(f, wrt=0)(x, W, v)
    eps = 1e-5
    g = tangent_lite.grad(f, wrt=0)
    expected = (g(x + eps * v, W) - g(x - eps * v, W)) / (2 * eps)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(g(x, W), numeric_grad(f, [x, W], 0), rtol=1e-5, atol=1e-7)


# The row is made again in each step, so the pullback pops the forward sweep's rows, which
# look into the forward sweep's B, not the copy it restores: refused, naming the write.
VJP_REFUSED = {("rows_in_loop", 0), ("rows_in_loop", (0, 1))}


@pytest.mark.parametrize("wrt", [0, 1, (0, 1)], ids=["x", "W", "both"])
@pytest.mark.parametrize("f", PROGRAMS, ids=[f.__name__ for f in PROGRAMS])
def test_vjp(f, wrt):
    """The pullback restores its own copy of B; the list's row bound to a name of its state
    is re-pointed at that copy (transforms/split_views.py followed_views), so a pullback
    called twice gives the same gradient, the finite differences' of weights * f."""
    x, W = RNG.uniform(0.1, 0.9, size=8), RNG.uniform(0.1, 0.9, size=(2, 4))
    if (f.__name__, wrt) in VJP_REFUSED:
        with pytest.raises(UnsupportedSyntaxError, match="read by the pullback") as info:
            tangent_lite.vjp(f, x, W, wrt=wrt)
        assert "test_plan_sharing.py" in str(info.value) and "instead:" in str(info.value)
        return
    value, pullback = tangent_lite.vjp(f, x, W, wrt=wrt)
    assert value == f(x, W)
    first, second = pullback(0.7), pullback(0.7)
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    firsts = first if isinstance(wrt, tuple) else (first,)
    seconds = second if isinstance(wrt, tuple) else (second,)
    for i, a, b in zip(items, firsts, seconds):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, 0.7 * numeric_grad(f, [x, W], i), rtol=1e-5, atol=1e-7)
