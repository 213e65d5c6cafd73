"""NumPy's aliasing: in-place writes that another name would see give the right gradient or a
clear error, never a wrong gradient; df never changes the caller's arrays."""
import numpy as np
import pytest
from helpers import check_grad

import tangent_lite
from tangent_lite import InputError, UnsupportedSyntaxError


def alias_then_update(x):
    y = x
    y += 1.0
    return np.sum(x * y)


def row_view_then_write(A, e):
    row = A[1]
    A[1, 0] = e
    return np.sum(row)


def reshape_view_then_write(x):
    flat = np.zeros(4)
    grid = flat.reshape(2, 2)
    flat[0] = x[0]
    return np.sum(grid * x[1])


def alias_then_update_unread(x):
    y = x
    y += 1.0
    return np.sum(y * y)


def fill_and_read_back(x):
    y = np.zeros_like(x)
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] = y[i - 1] * x[i] + np.sin(x[i])
    return np.sum(y * y)


def writes_its_argument(x):
    x[0] = 2.0 * x[1]
    x[1:3] += x[2:4]
    return np.sum(x * x)


def scalar_accumulator_from_argument(a, b):
    s = a
    s += b
    s *= a
    return s


@pytest.mark.parametrize("f, args", [
    (alias_then_update, (np.array([1.0, 2.0]),)),
    (row_view_then_write, (np.array([[0.3, -0.7], [1.2, 0.4]]), 0.9)),
    (reshape_view_then_write, (np.array([0.6, -1.1]),))])
def test_observable_in_place_write_follows_numpy(f, args):
    """A write NumPy makes visible through another name (an alias, a row view, a reshape
    that did not copy) is differentiated as NumPy runs it (transforms/memory.py); these
    were refused before views were written back into their bases."""
    check_grad(f, *args, wrt=tuple(range(len(args))))


def test_augmented_assignment_on_scalars_aliasing_an_argument_is_fine():
    check_grad(scalar_accumulator_from_argument, 0.7, 1.3, wrt=(0, 1))
    check_grad(alias_then_update, 0.5)


def test_unobserved_in_place_update_of_an_alias():
    check_grad(alias_then_update_unread, np.array([0.3, -1.2, 2.0]))


def test_fill_and_read_back():
    check_grad(fill_and_read_back, np.array([0.5, 1.2, -0.3, 0.8]))


def test_df_never_changes_the_callers_arrays():
    x = np.array([0.5, 1.2, -0.3, 0.8])
    before = x.copy()
    check_grad(writes_its_argument, x)
    np.testing.assert_array_equal(x, before)
    tangent_lite.grad(writes_its_argument)(x)
    np.testing.assert_array_equal(x, before)
