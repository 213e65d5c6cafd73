"""NumPy's memory semantics, differentiated as NumPy runs them (README "NumPy semantics").

Each program writes memory the way users do: through views, with out=, np.copyto, ufunc.at,
scatter with repeated indices, masks computed from the array written, in-place methods,
chained assignment, list aliasing, and mutation of an argument. Every gradient (grad, a vjp's
pullback, a jvp, a Hessian-vector product) is compared with central finite differences of the
function as NumPy runs it, on copies of the arguments (the programs may mutate them), and the
caller's arrays must be left as they were.
"""
import numpy as np
import pytest

import tangent_lite
from helpers import numeric_grad


# ---- 1. writes through a view ------------------------------------------------------------------

def view_add(x):
    y = np.zeros(4)
    v = y[:2]
    v += x[:2]
    return np.sum(y * y) + np.sum(v * x[1:])

def strided_view_written_twice(x):
    """A strided view written by index, then updated: the backward sweep restores into the
    view, which must be a real array then (found by the random programs: it was a
    shape-only placeholder, and the restore raised 'assignment destination is read-only')."""
    y = np.tanh(x)
    v = y[::2]
    v[1] = 0.5
    v += y[0:2] * -0.43
    return np.sum(y * x)

def row_add(B):
    B = B * 1.0
    r = B[0]
    r += 1.0
    return np.sum(B ** 2)

def ravel_mul(B):
    B = B * 1.0
    flat = B.ravel()
    flat *= 2.0
    return np.sum(B ** 2) + np.sum(flat)

def transpose_add(B):
    C = B * 1.0
    Ct = C.T
    Ct += np.sin(B.T)
    return np.sum(C * B)

def standardise(X):
    X = X * 1.0
    for j in range(X.shape[1]):
        col = X[:, j]
        col -= col.mean()
        col /= col.std() + 1.0
    return np.sum(X ** 3)

def alias_argument(x):
    y = x
    y += 1.0
    return np.sum(x ** 2)

def base_written_view_read(B):
    C = B * 2.0
    row = C[1]
    C[1, 0] = np.sin(B[0, 0])
    return np.sum(row * B[1])

def fancy_view_is_a_copy(x):
    y = x * 1.0
    v = y[[0, 1]]
    v += 1.0
    return np.sum(y ** 2) + np.sum(v * x[:2])

# ---- 2, 3. out=, where=, np.copyto, ufunc.at -----------------------------------------------------

def out_multiply(x):
    out = np.empty_like(x)
    np.multiply(x, x, out=out)
    return np.sum(out * x)

def out_assigned(x):
    y = np.empty_like(x)
    r = np.tanh(x, out=y)
    return np.sum(r * y)

def out_where(x):
    y = x * 1.0
    np.exp(x, out=y, where=x > 0)
    return np.sum(y ** 2)

def out_matmul(A):
    r = np.empty(2)
    np.matmul(A, A[0], out=r)
    return np.sum(r ** 2)

def copyto_where(x):
    y = np.ones_like(x)
    np.copyto(y, x * 2.0, where=x > 0)
    return np.sum(y ** 2)

def copyto_itself(x):
    """np.copyto(y, y): the value written is the array written (found by the random
    programs: its gradient was cleared with the part it overwrote)."""
    y = np.tanh(x)
    np.copyto(y, y)
    np.subtract.at(y, [2, 2, 1], x * 0.5)
    return np.sum(y * x)

def add_at(x):
    y = np.zeros(3)
    np.add.at(y, [0, 0, 2], x)
    return np.sum(y ** 2)

def multiply_at(x):
    y = np.ones(3) * 2.0
    np.multiply.at(y, [0, 0, 2], x)
    return np.sum(y ** 2)

def maximum_at(x):
    y = np.zeros(3)
    np.maximum.at(y, [0, 0, 2], x)
    return np.sum(y ** 2)

# ---- 4, 5. repeated indices, masks of the array written ---------------------------------------

def fancy_repeat(x):
    y = np.zeros(3)
    y[[0, 0, 2]] = x
    return np.sum(y ** 2)

def fancy_repeat_add(x):
    y = np.ones(3)
    y[[0, 0, 2]] += x
    return np.sum(y ** 3)

def relu_mask(x):
    h = x * 2.0
    h[h < 0] = 0.0
    return np.sum(h ** 2)

def relu_mask_loop(x):
    h = x * 1.0
    for k in range(3):
        h = h * 1.5 - 0.4
        h[h < 0] *= 0.1
    return np.sum(h ** 2)

# ---- 6. in-place methods ---------------------------------------------------------------------

def fill_then_use(x):
    y = x * 2.0
    y.fill(3.0)
    return np.sum(y * x)

def sort_method(x):
    y = x * np.arange(1.0, 4.0)
    y.sort()
    return np.sum(y * np.arange(3.0))

def put_repeated(x):
    y = np.zeros(5)
    np.put(y, [0, 3, 3], x * 2.0)
    return np.sum(y ** 2 * np.arange(1.0, 6.0))

def place_mask(x):
    y = x * 3.0
    np.place(y, y > 0, x[:2])
    return np.sum(y ** 2)

def fill_diagonal(A):
    B = A * 1.0
    np.fill_diagonal(B, A[0, 1] * 2.0)
    return np.sum(B ** 2)

def clip_out(x):
    y = np.empty_like(x)
    x.clip(-0.6, 0.6, out=y)
    return np.sum(y * x)

# ---- 7, 8, 9. lists, chained assignment, arguments -----------------------------------------------

def list_alias(x):
    a = [x * 1.0]
    b = a
    b.append(x * 3.0)
    return np.sum(a[1] ** 2) + np.sum(a[0])

def chained(x):
    a = b = x * 2.0
    a = a + x
    return np.sum(a * b)

def mutates_argument(x):
    x += 1.0
    x[0] = x[1] * 2.0
    return np.sum(x ** 2)

def row_read_then_mask_write(x):
    """A view read by a rule (B[0] in np.dot), then its base written through a mask: the
    backward sweep must see the row as it was (found by the random memory programs)."""
    B = np.outer(x, x) * 1.0
    s = np.sin(np.dot(x, B[0]))
    B[B < -0.15] -= (0.67 - s)
    return np.sum(B * B)

# ---- in loops and helpers ----------------------------------------------------------------------

def smooth_rows(X):
    Y = X * 1.0
    for i in range(1, Y.shape[0]):
        row = Y[i]
        row += 0.5 * Y[i - 1]
    return np.sum(Y ** 2)

def scatter_in_loop(x):
    y = np.zeros(3)
    for k in range(3):
        np.add.at(y, [0, k, k], x * (k + 1.0))
    return np.sum(np.sin(y))

def normalise_columns(X):
    """A helper that writes through views, called from a loss."""
    X = X * 1.0
    for j in range(X.shape[1]):
        col = X[:, j]
        col /= np.sqrt(np.sum(col ** 2)) + 1.0
    return X

def uses_helper(X):
    Y = normalise_columns(X)
    return np.sum(Y * X)


M = np.array([[0.3, -0.7, 1.2], [0.9, 0.4, -0.2]])
V = np.array([0.5, -1.0, 2.0])
PROGRAMS = [
    (view_add, V), (strided_view_written_twice, np.linspace(-1.0, 1.0, 4)), (row_add, M), (ravel_mul, M), (transpose_add, M), (standardise, M),
    (alias_argument, V), (base_written_view_read, M), (fancy_view_is_a_copy, V),
    (out_multiply, V), (out_assigned, V), (out_where, V), (out_matmul, M[:, :2]),
    (copyto_where, V), (copyto_itself, V), (add_at, V), (multiply_at, V), (maximum_at, V), (fancy_repeat, V),
    (fancy_repeat_add, V), (relu_mask, V), (relu_mask_loop, V), (fill_then_use, V),
    (sort_method, V), (put_repeated, V), (place_mask, V), (fill_diagonal, M),
    (clip_out, V), (list_alias, V), (chained, V), (mutates_argument, V), (smooth_rows, M),
    (scatter_in_loop, V), (uses_helper, M), (row_read_then_mask_write, V),
]
# Piecewise programs (sort, masks, max, clip) have kinks; the points above are away from them.
IDS = [f.__name__ for f, _ in PROGRAMS]


def run(f, x):
    return f(np.array(x, dtype=np.float64))


def fd_directional(f, x, v, eps=1e-6):
    return (np.sum(run(f, x + eps * v)) - np.sum(run(f, x - eps * v))) / (2 * eps)


@pytest.mark.parametrize("f, x", PROGRAMS, ids=IDS)
def test_grad(f, x):
    before = x.copy()
    got = tangent_lite.grad(f)(x)
    np.testing.assert_array_equal(x, before)          # the caller's array is untouched
    np.testing.assert_allclose(got, numeric_grad(lambda a: run(f, a), (x,), 0),
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f, x", PROGRAMS, ids=IDS)
def test_vjp(f, x):
    before = x.copy()
    value, pullback = tangent_lite.vjp(f, x)
    np.testing.assert_allclose(value, run(f, x))
    got = pullback(1.7)
    got = got[0] if isinstance(got, tuple) else got
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(got, 1.7 * numeric_grad(lambda a: run(f, a), (x,), 0),
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f, x", PROGRAMS, ids=IDS)
def test_jvp(f, x):
    before = x.copy()
    v = np.linspace(0.3, -0.4, x.size).reshape(x.shape)
    value, tangent = tangent_lite.jvp(f, (x,), (v,))
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(value, run(f, x))
    np.testing.assert_allclose(np.sum(tangent), fd_directional(f, x, v), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f, x", PROGRAMS, ids=IDS)
def test_hvp(f, x):
    v = np.linspace(0.3, -0.4, x.size).reshape(x.shape)
    got = tangent_lite.hvp(f)(x, v)
    df = tangent_lite.grad(f)
    eps = 1e-5
    expected = (df(x + eps * v) - df(x - eps * v)) / (2 * eps)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_view_write_reads_like_the_program():
    """The write back into the base is readable code under NumPy's own view test."""
    source = tangent_lite.source(row_add)
    assert "t_shared = shares_memory(t_view, B)" in source
    assert "if t_shared:" in source and "B[0] = r" in source
