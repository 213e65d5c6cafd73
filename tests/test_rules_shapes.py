"""The shape and indexing rules (rules/shapes.py) against central finite differences in
float64, in both modes (the checks are in rule_checks.py).

CASES follows tests/test_rules.py: (function, case function, arguments, wrt), keyed by the
exact function object registered. These functions move and copy elements, so a case squares
(or otherwise weighs) the result: a gradient put back in the wrong place then shows.
"""
import numpy as np
import pytest

import rule_checks
import tangent_lite
from tangent_lite.rules import shapes
from test_rules import Case, F, _label

rng = np.random.default_rng(20240805)


def u(shape, lo=-1.0, hi=1.0):
    if shape == F:
        return float(rng.uniform(lo, hi))
    return np.array(rng.uniform(lo, hi, size=shape), dtype=np.float64)


CASES = []


def case(prim, f, *args, wrt=None):
    if wrt is None:
        wrt = tuple(i for i, a in enumerate(args)
                    if isinstance(a, float) or (isinstance(a, np.ndarray) and a.dtype.kind == "f"))
    CASES.append(Case(prim, f, args, wrt))


# ---- axes and order --------------------------------------------------------------------------

def swapaxes(x, a1, a2): return np.swapaxes(x, a1, a2) ** 2
def moveaxis(x, src, dst): return np.moveaxis(x, src, dst) ** 2
def flip(x, axis): return np.flip(x, axis) ** 2
def flip_all(x): return np.flip(x) * np.arange(np.size(x)).reshape(np.shape(x))
def fliplr(x): return np.fliplr(x) ** 2
def flipud(x): return np.flipud(x) ** 2
def rot90(x, k): return np.rot90(x, k) ** 2
def rot90_axes(x, k): return np.rot90(x, k, axes=(1, 2)) ** 2
def rot90_once(x): return np.rot90(x) ** 2
def roll(x, shift, axis): return np.roll(x, shift, axis) ** 2
def roll_flat(x): return np.roll(x, 2) ** 2

case(np.swapaxes, swapaxes, u((2, 3, 4)), 0, 2)
case(np.swapaxes, swapaxes, u((3, 4)), -1, 0)
case(np.moveaxis, moveaxis, u((2, 3, 4)), 0, -1)
case(np.moveaxis, moveaxis, u((2, 3, 4)), (0, 1), (2, 0))
case(np.flip, flip, u((5,)), 0)
case(np.flip, flip, u((2, 3, 4)), (0, 2))
case(np.flip, flip_all, u((3, 4)))
case(np.fliplr, fliplr, u((3, 4)))
case(np.fliplr, fliplr, u((2, 3, 2)))
case(np.flipud, flipud, u((3, 4)))
case(np.flipud, flipud, u((5,)))
for k in (1, 2, -1, 3):
    case(np.rot90, rot90, u((3, 4)), k)
case(np.rot90, rot90_axes, u((2, 3, 4)), 1)
case(np.rot90, rot90_once, u((2, 3)))
case(np.roll, roll, u((5,)), 2, None)
case(np.roll, roll, u((3, 4)), -1, 1)
case(np.roll, roll, u((3, 4)), (1, 2), (0, 1))
case(np.roll, roll_flat, u((3, 4)))

# ---- copies ----------------------------------------------------------------------------------

def broadcast_to(x, shape):
    return np.broadcast_to(x, shape) * np.arange(np.prod(shape)).reshape(shape)
def tile(x, reps): return np.tile(x, reps) ** 2
def repeat(x, repeats, axis): return np.repeat(x, repeats, axis) ** 2
def repeat_flat(x): return np.repeat(x, 3) ** 2
def resize(x, shape): return np.resize(x, shape) ** 2
def pad(x, width): return np.pad(x, width) ** 2
def pad_mode(x, width, mode): return np.pad(x, width, mode) ** 2
def pad_value(x, c): return np.pad(x, ((1, 0), (2, 1)), constant_values=c) ** 2
def pad_value_only(c): return np.pad(np.ones((2, 2)), 1, "constant", constant_values=c) ** 3

case(np.broadcast_to, broadcast_to, u((3,)), (4, 3))
case(np.broadcast_to, broadcast_to, u((3, 1)), (2, 3, 4))
case(np.broadcast_to, broadcast_to, u(()), (5,))
case(np.broadcast_to, broadcast_to, u(F), (2, 2))
case(np.tile, tile, u((3,)), 2)
case(np.tile, tile, u((2, 3)), (2, 1, 2))
case(np.tile, tile, u((2, 3, 2)), (2, 3))
case(np.repeat, repeat, u((4,)), 2, None)
case(np.repeat, repeat, u((2, 3)), [1, 0, 2], 1)
case(np.repeat, repeat, u((2, 3)), 2, 0)
case(np.repeat, repeat, u((2, 3)), np.array([3, 1]), -2)
case(np.repeat, repeat_flat, u((2, 2)))
case(np.resize, resize, u((2, 3)), (4, 4))
case(np.resize, resize, u((5,)), (3,))
case(np.resize, resize, u((2, 2)), 7)
case(np.pad, pad, u((2, 3)), ((1, 0), (2, 1)))
case(np.pad, pad, u((4,)), 2)
case(np.pad, pad, u((2, 3, 2)), (1, 2))
for mode in ("edge", "reflect", "symmetric", "wrap"):
    case(np.pad, pad_mode, u((3, 4)), ((2, 1), (3, 2)), mode)
    case(np.pad, pad_mode, u((5,)), 3, mode)
case(np.pad, pad_mode, u((2, 3)), 1, "constant")
case(np.pad, pad_value, u((2, 3)), 0.7)
case(np.pad, pad_value_only, 0.4)

# ---- diagonals and triangles -----------------------------------------------------------------

def diag(x, k): return np.diag(x, k) ** 2
def diag_main(x): return np.diag(x) ** 2
def diagonal(x, offset, axis1, axis2): return np.diagonal(x, offset, axis1, axis2) ** 2
def diagonal_main(x): return np.diagonal(x) ** 2
def trace(x, offset, axis1, axis2): return np.trace(x, offset, axis1, axis2) ** 2
def trace_main(x): return np.trace(x) ** 2
def triu(x, k): return np.triu(x, k) ** 2
def tril(x, k): return np.tril(x, k) ** 2
def triu_main(x): return np.triu(x) ** 2
def tril_main(x): return np.tril(x) ** 2

for k in (0, 1, -2):
    case(np.diag, diag, u((4,)), k)
for k in (0, 1, -1):
    case(np.diag, diag, u((3, 4)), k)
case(np.diag, diag_main, u((3, 3)))

def diagflat(x, k): return np.diagflat(x, k) ** 2 * np.arange(1.0, 1.0 + np.size(x) + abs(k))

for k in (0, 1, -2):
    case(np.diagflat, diagflat, u((4,)), k)
case(np.diagflat, diagflat, u((2, 3)), 0)
case(np.diagflat, diagflat, u(()), 1)
case(np.diagonal, diagonal, u((3, 4)), 0, 0, 1)
case(np.diagonal, diagonal, u((3, 4)), 1, 0, 1)
case(np.diagonal, diagonal, u((4, 3)), -1, 1, 0)
case(np.diagonal, diagonal, u((2, 3, 4)), -1, 1, 2)
case(np.diagonal, diagonal, u((2, 3, 4)), 1, 2, 0)
case(np.diagonal, diagonal_main, u((3, 3)))
case(np.trace, trace, u((3, 4)), 1, 0, 1)
case(np.trace, trace, u((2, 3, 3)), 0, 1, 2)
case(np.trace, trace, u((3, 2, 4)), -1, 0, -1)
case(np.trace, trace_main, u((3, 3)))
for k in (0, 1, -1):
    case(np.triu, triu, u((3, 4)), k)
    case(np.tril, tril, u((3, 4)), k)
case(np.triu, triu, u((2, 3, 3)), 0)
case(np.tril, tril, u((2, 3, 3)), -1)
case(np.triu, triu, u((3,)), 0)        # a vector is repeated into a square matrix first
case(np.tril, tril, u((3,)), 1)
case(np.triu, triu_main, u((4, 4)))
case(np.tril, tril_main, u((4, 4)))

# ---- taking, deleting, inserting -------------------------------------------------------------

def take(x, indices, axis): return np.take(x, indices, axis) ** 2
def take_flat(x): return np.take(x, [0, 5, 5, -1]) ** 2
def take_mode(x, mode): return np.take(x, [5, -7, 1, 1], mode=mode) ** 2
def take_along(x, indices, axis): return np.take_along_axis(x, indices, axis) ** 2
def take_sorted(x): return np.take_along_axis(x, np.argsort(x, axis=1), axis=1) * np.arange(4.0)
def delete(x, obj, axis): return np.delete(x, obj, axis) ** 2
def insert(x, obj, values, axis): return np.insert(x, obj, values, axis) ** 2
def insert_flat(x, v): return np.insert(x, 2, v) ** 2
def append(x, values, axis): return np.append(x, values, axis) ** 2
def append_flat(x, v): return np.append(x, v) ** 2
def append_items(x, a, b): return np.append(x, [a, a * b]) ** 2

case(np.take, take, u((5,)), [0, 2, 2, 4], None)
case(np.take, take, u((3, 4)), np.array([[0, 1], [2, 0]]), 1)
case(np.take, take, u((3, 4)), -1, 0)
case(np.take, take, u((2, 3, 4)), [2, 2, 0], -2)
case(np.take, take_flat, u((2, 3)))
case(np.take, take_mode, u((4,)), "wrap")
case(np.take, take_mode, u((4,)), "clip")
case(np.take_along_axis, take_along, u((3, 4)), np.array([[0, 3, 3], [1, 1, 0], [2, 0, 1]]), 1)
case(np.take_along_axis, take_along, u((3, 4)), np.array([[2, 0, 0, 1]]), 0)
case(np.take_along_axis, take_along, u((6,)), np.array([5, 0, 0, 2]), None)
case(np.take_along_axis, take_along, u((2, 3, 4)), np.zeros((2, 1, 4), dtype=int) + 2, -2)
case(np.take_along_axis, take_sorted, u((3, 4)))
case(np.delete, delete, u((5,)), [1, 3], None)
case(np.delete, delete, u((3, 4)), 1, 0)
case(np.delete, delete, u((3, 4)), slice(None, None, 2), 1)
case(np.delete, delete, u((2, 3, 2)), [0, 4], None)
case(np.insert, insert, u((3, 4)), [1, 3], u((3, 2)), 1)
case(np.insert, insert, u((3, 4)), 1, u((3,)), 1)
case(np.insert, insert, u((3, 4)), 2, u((4,)), 0)
case(np.insert, insert, u((3, 4)), 1, 0.5, None)
case(np.insert, insert_flat, u((5,)), u((2,)))
case(np.insert, insert_flat, u((5,)), 0.3)
case(np.append, append, u((3,)), u((2,)), None)
case(np.append, append, u((2, 3)), u((2, 2)), 1)
case(np.append, append, u((2, 3)), u((1, 3)), 0)
case(np.append, append_flat, u((2, 2)), 0.4)
case(np.append, append_items, u((3,)), 0.6, 1.3)

# ---- joining ---------------------------------------------------------------------------------

def hstack(a, b): return np.hstack([a, b]) ** 2
def vstack(a, b): return np.vstack((a, b)) ** 2
def dstack(a, b): return np.dstack([a, b]) ** 2
def column_stack(a, b): return np.column_stack([a, b]) ** 2
def vstack_pieces(x):
    rows = np.vsplit(x, 2)
    return np.vstack(rows) ** 2 * np.arange(3.0)
def atleast_1d(x): return np.atleast_1d(x) ** 2
def atleast_2d(x): return np.atleast_2d(x) ** 2
def atleast_3d(x): return np.atleast_3d(x) ** 2
def atleast_1d_two(a, b):
    both = np.atleast_1d(a, b)
    return np.sum(both[0] ** 2) + np.sum(both[1] * 3.0)
def atleast_3d_two(a, b):
    both = np.atleast_3d(a, b)
    return both[0] ** 2 + both[1]

case(np.hstack, hstack, u((3,)), u((2,)))
case(np.hstack, hstack, u((2, 3)), u((2, 1)))
case(np.hstack, hstack, u(()), u((2,)))
case(np.vstack, vstack, u((3,)), u((2, 3)))
case(np.vstack, vstack, u((2, 3)), u((1, 3)))
case(np.vstack, vstack_pieces, u((4, 3)))
case(np.dstack, dstack, u((2, 3)), u((2, 3)))
case(np.dstack, dstack, u((3,)), u((1, 3, 2)))
case(np.column_stack, column_stack, u((3,)), u((3, 2)))
case(np.column_stack, column_stack, u((3,)), u((3,)))
for shape in (F, (), (3,), (2, 3), (2, 3, 2)):
    case(np.atleast_1d, atleast_1d, u(shape))
    case(np.atleast_2d, atleast_2d, u(shape))
    case(np.atleast_3d, atleast_3d, u(shape))
case(np.atleast_1d, atleast_1d_two, u(()), u((2, 2)))
case(np.atleast_3d, atleast_3d_two, u((2,)), u((1, 2, 1)))

# ---- splitting: the result is a list ---------------------------------------------------------

def split(x, k, axis):
    parts = np.split(x, k, axis)
    return np.sum(parts[0] ** 2) + np.sum(parts[-1] ** 3)
def split_three(x):
    a = np.split(x, 3)
    return a[0] * a[2] + a[1]
def array_split(x, k):
    parts = np.array_split(x, k)
    return np.sum(parts[0] ** 2) + np.sum(parts[1] * parts[1][0])
def hsplit(x, k):
    parts = np.hsplit(x, k)
    return parts[0] ** 2 * parts[-1][:, :1]
def vsplit(x, k):
    parts = np.vsplit(x, k)
    return np.sum(parts[0] ** 2) + np.sum(parts[1] ** 3)
def dsplit(x):
    parts = np.dsplit(x, 2)
    return parts[0] * parts[1] ** 2

case(np.split, split, u((6,)), 3, 0)
case(np.split, split, u((4, 6)), [1, 4], 1)
case(np.split, split, u((4, 2)), 2, 0)
case(np.split, split_three, u((6,)))
case(np.array_split, array_split, u((7,)), 3)
case(np.array_split, array_split, u((5, 2)), 2)
case(np.hsplit, hsplit, u((3, 4)), 2)
case(np.hsplit, hsplit, u((2, 6)), [2, 3])
case(np.vsplit, vsplit, u((4, 3)), [1])
case(np.vsplit, vsplit, u((4, 3)), 2)
case(np.dsplit, dsplit, u((2, 2, 4)))


# ---- differences, and x.flatten() (a copy: writing into it leaves x alone) -----------------------

def diff(x, n=1, axis=-1): return np.diff(x, n, axis) ** 2
def diff_keywords(x): return np.diff(x, axis=0, n=2) * np.diff(x, axis=0, n=2)[0]
def diff_plain(x): return np.diff(x) ** 3
def diff_prepend(x, p): return np.diff(x, prepend=p) ** 2
def diff_append(x, q, axis): return np.diff(x, 2, axis, append=q) ** 3
def diff_both(x, p, q): return np.diff(x, axis=0, prepend=p, append=q) ** 2
def diff_number(x): return np.diff(x, prepend=0.25, append=x[-1] * 2.0) ** 2


def flatten(x): return x.flatten() ** 2 * np.arange(np.size(x))
def flatten_order(x, order): return x.flatten(order) * np.arange(np.size(x))
def flatten_written(x):
    f = x.flatten()
    f[0] = 2.0 * f[-1]
    f *= x.ravel()
    return f + x.reshape(-1)


for shape, n, axis in [((5,), 1, -1), ((5,), 2, 0), ((5,), 0, -1), ((3, 4), 1, -1),
                       ((3, 4), 1, 0), ((4, 3), 2, 0), ((2, 3, 4), 3, -1), ((2, 3, 4), 1, 1)]:
    case(np.diff, diff, u(shape), n, axis)
case(np.diff, diff_keywords, u((4, 3)))
case(np.diff, diff_plain, u((6,)))
case(np.diff, diff_prepend, u((5,)), u((2,)))
case(np.diff, diff_prepend, u((5,)), u(F))
case(np.diff, diff_prepend, u((3, 4)), u((3, 1)))
case(np.diff, diff_prepend, u((3, 4)), u(()))
case(np.diff, diff_append, u((4, 3)), u((2, 3)), 0)
case(np.diff, diff_append, u((3, 4)), u(F), -1)
case(np.diff, diff_both, u((4, 3)), u((1, 3)), u((2, 3)))
case(np.diff, diff_both, u((4, 2)), u(F), u(()))
case(np.diff, diff_number, u((5,)))
for shape in [(), (5,), (3, 4), (2, 3, 2)]:
    case(tangent_lite.runtime.flatten, flatten, u(shape))
case(tangent_lite.runtime.flatten, flatten_order, u((3, 4)), "F")
case(tangent_lite.runtime.flatten, flatten_order, u((2, 3)), "C")
case(tangent_lite.runtime.flatten, flatten_written, u((2, 3)))


def _id(c):
    return f"{c.f.__name__}[{','.join(_label(a) for a in c.args)}]"


# ---- the checks --------------------------------------------------------------------------------

HVP_REFUSED = set()     # case functions whose second derivatives are refused (none here)
ARRAY_CASES = [c for c in CASES if rule_checks.has_array_wrt(c)]


def test_every_rule_of_shapes_has_a_case_and_both_modes():
    mine = rule_checks.check_walker([shapes], CASES, globals(), __file__)
    assert len([p for p in mine if p.adjoint is not None]) >= 34


def test_every_helper_forward_rule_is_reached_by_a_second_derivative():
    rule_checks.check_helpers_reached([shapes], CASES, HVP_REFUSED)


@pytest.mark.parametrize("c", CASES, ids=_id)
def test_rule(c):
    rule_checks.check_reverse(c)


@pytest.mark.parametrize("c", ARRAY_CASES, ids=_id)
def test_float32_in_float32_out(c):
    rule_checks.check_float32(c)


@pytest.mark.parametrize("c", CASES, ids=_id)
def test_jvp_matches_finite_differences(c):
    rule_checks.check_jvp(c)


@pytest.mark.parametrize("c", ARRAY_CASES, ids=_id)
def test_jvp_float32_in_float32_out(c):
    rule_checks.check_jvp_float32(c)


@pytest.mark.parametrize("c", CASES, ids=_id)
def test_hvp_matches_finite_differences_of_gradients(c):
    rule_checks.check_hvp(c, refused=c.f.__name__ in HVP_REFUSED)


# ---- exact values and clear refusals ------------------------------------------------------------

def split_first(x): return np.sum(np.split(x, 2)[0] * 3.0)
def pad_max(x): return np.sum(np.pad(x, 1, "maximum"))


def test_pieces_of_a_split_not_used_get_zero():
    np.testing.assert_array_equal(tangent_lite.grad(split_first)(np.arange(4.0)),
                                  [3.0, 3.0, 0.0, 0.0])


def test_pad_modes_that_read_values_are_refused():
    with pytest.raises(NotImplementedError, match="mode='maximum'"):
        tangent_lite.grad(pad_max)(np.arange(4.0))


def test_generated_code_reads_like_numpy():
    source = tangent_lite.source(flip)
    assert "dx = np.flip(dt_flip, axis=axis)" in source, source
