"""The rules of NumPy's ufunc.at (rules/scatter.py: scatter_add, scatter_subtract,
scatter_multiply, scatter_maximum, scatter_minimum, the functions the compiler writes
`np.add.at(a, index, b)` and its kin as) against central finite differences in float64, in both
modes (the checks are in rule_checks.py), and the helpers against NumPy's own ufunc.at.

CASES follows tests/test_rules.py: (function, case function, arguments, wrt), keyed by the
exact function object registered. A case squares (or otherwise weighs) the result, so a
gradient put back in the wrong place shows; indices repeat, so an element combines several
values of b. Ties of maximum/minimum are between two values only: there central differences
give the average of the one-sided derivatives, which is the convention (equal shares); at a
tie the gradient jumps, so those cases' Hessian-vector products are checked along a direction
that keeps the tie (test_hvp_at_a_tie_along_the_tie), not against a random one.
"""
import numpy as np
import pytest

import rule_checks
import tangent_lite
from tangent_lite.rules import scatter
from tangent_lite.runtime import (scatter_add, scatter_maximum, scatter_minimum,
                                  scatter_multiply, scatter_subtract)
from test_rules import Case, F, _label

rng = np.random.default_rng(20240921)


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


def with_zeros(x, at):
    x = x.copy()
    x[at] = 0.0
    return x


MASK = np.array([True, False, True, True, False])
MASK_2D = np.array([[True, False, True], [False, False, True]])
PAIRS = (np.array([0, 1, 1, 0]), np.array([2, 0, 0, 2]))     # (0, 2) and (1, 0) twice each

# ---- the index kinds, shared by the five functions --------------------------------------------
# (a, index, b): repeats, numbers and 0-d b, rows of a matrix, pairs of index arrays, masks,
# slices (and slices with an index array, the array repeated), ints, negative indices.

INDEXED = [
    (u((5,)), [0, 0, 2, 0], u((4,))),
    (u((5,)), np.array([1, 3, 1]), u(F)),
    (u((5,)), np.array([4, 4]), u(())),
    (u((4, 3)), np.array([0, 2, 0]), u((3, 3))),
    (u((4, 3)), np.array([2, 2, 1]), u((3,))),
    (u((3, 4)), PAIRS, u((4,))),
    (u((5,)), MASK, u((3,))),
    (u((2, 3)), MASK_2D, u(F)),
    (u((5,)), slice(1, 4), u((3,))),
    (u((3, 4)), slice(None, None, 2), u((4,))),
    (u((3, 4)), (slice(None), [1, 1]), u((3, 2))),
    (u((5,)), 2, u(F)),
    (u((3, 4)), 1, u((4,))),
    (u((5,)), [-1, 4, 0], u((3,))),
]

# ---- sums ------------------------------------------------------------------------------------

def add_at_repeat(a, b): return scatter_add(a, np.array([0, 0, 2]), b) ** 2
def add_at(a, index, b): return scatter_add(a, index, b) ** 2
def add_at_only_b(b): return scatter_add(np.ones((2, 3)), [1, 1, 0], b) ** 3
def subtract_at_repeat(a, b): return scatter_subtract(a, np.array([3, 0, 3]), b) ** 2
def subtract_at(a, index, b): return scatter_subtract(a, index, b) ** 2

case(scatter_add, add_at_repeat, u((4,)), u((3,)))
case(scatter_add, add_at_repeat, u((3, 2)), u((3, 2)))
case(scatter_add, add_at_repeat, u((3, 2)), u((2,)))
case(scatter_add, add_at_only_b, u((3,)))
case(scatter_subtract, subtract_at_repeat, u((4,)), u((3,)))
case(scatter_subtract, subtract_at_repeat, u((4, 2)), u(F))
for a, index, b in INDEXED:
    case(scatter_add, add_at, a, index, b)
    case(scatter_subtract, subtract_at, a, index, b)

# ---- products: exact at zeros ----------------------------------------------------------------

def multiply_at_repeat(a, b): return scatter_multiply(a, np.array([0, 0, 2, 0]), b) ** 2
def multiply_at(a, index, b): return scatter_multiply(a, index, b) ** 2
def multiply_after_add(a, b, c):
    return scatter_multiply(scatter_add(a, [1, 1], b), [1, 0, 1], c) ** 2

case(scatter_multiply, multiply_at_repeat, u((4,)), u((4,)))
case(scatter_multiply, multiply_at_repeat, u((3, 2)), u((2,)))
case(scatter_multiply, multiply_at_repeat, u((3,)), u(F))
for a, index, b in INDEXED:
    case(scatter_multiply, multiply_at, a, index, b)
# zeros: one value of b at a repeated place, two at one place, a zero of a, all of them
case(scatter_multiply, multiply_at_repeat, u((4,)), with_zeros(u((4,)), [1]))
case(scatter_multiply, multiply_at_repeat, u((4,)), with_zeros(u((4,)), [0, 3]))
case(scatter_multiply, multiply_at_repeat, with_zeros(u((4,)), [0, 2]), u((4,)))
case(scatter_multiply, multiply_at_repeat, with_zeros(u((4,)), [0]), with_zeros(u((4,)), [0, 1]))
case(scatter_multiply, multiply_at, with_zeros(u((4, 3)), [2]), np.array([0, 2, 0]),
     with_zeros(u((3, 3)), [2]))
case(scatter_multiply, multiply_at, u((3, 4)), PAIRS, with_zeros(u((4,)), [1]))
case(scatter_multiply, multiply_after_add, u((3,)), u((2,)), u((3,)))

# ---- extrema: the winner takes the gradient, two equal values share it ----------------------

def maximum_at_repeat(a, b): return scatter_maximum(a, np.array([0, 0, 2, 0]), b) ** 2
def maximum_at(a, index, b): return scatter_maximum(a, index, b) ** 2
def minimum_at_repeat(a, b): return scatter_minimum(a, np.array([0, 0, 2, 0]), b) ** 2
def minimum_at(a, index, b): return scatter_minimum(a, index, b) ** 2
def maximum_at_tie(a, index, b): return scatter_maximum(a, index, b) ** 2
def minimum_at_tie(a, index, b): return scatter_minimum(a, index, b) ** 2

for lo, hi in ((-1.0, 1.0), (2.0, 3.0), (-3.0, -2.0)):      # b wins mostly, a wins, b loses
    case(scatter_maximum, maximum_at_repeat, u((4,)), u((4,), lo, hi))
    case(scatter_minimum, minimum_at_repeat, u((4,)), u((4,), lo, hi))
case(scatter_maximum, maximum_at_repeat, u((3, 2)), u((2,)))
case(scatter_minimum, minimum_at_repeat, u((3,)), u(F))
for a, index, b in INDEXED:
    case(scatter_maximum, maximum_at, a, index, b)
    case(scatter_minimum, minimum_at, a, index, b)

# ties of two: a value of a with one of b; two values of b at one place (above a, or below it
# for the minimum); a scalar b equal to an element of a; a row of b equal to a row of a
TIES = [
    (np.array([0.5, -0.3, 0.8]), [0, 1, 1], np.array([0.5, -0.7, 0.2])),
    (np.array([0.1, -0.3, 0.8]), [0, 0, 2], np.array([0.6, 0.6, -0.4])),
    (np.array([0.1, -0.3, 0.8]), [0, 2, 0], np.array([-0.6, -0.4, -0.6])),
    (np.array([0.4, -0.9, 0.7, 0.2]), np.array([1, 2]), 0.7),
    (np.array([[0.3, -0.5], [0.9, 0.1]]), np.array([1, 0]), np.array([[0.3, -0.5], [0.2, 0.2]])),
]
for a, index, b in TIES:
    case(scatter_maximum, maximum_at_tie, a, index, b)
    case(scatter_minimum, minimum_at_tie, a, index, b)


# ---- the form the compiler writes `np.add.at(y, index, b)` as: y[...] = scatter_add(y, ...) ----

def add_at_in_place(a, b):
    y = a * 1.0
    y[...] = scatter_add(y, np.array([0, 0, 2]), b)
    return y ** 2
def multiply_at_in_place(a, b):
    y = a * 1.0
    y[...] = scatter_multiply(y, np.array([0, 0, 2]), b)
    y[...] = scatter_subtract(y, [1, 1], b[:2])
    return y ** 2
def maximum_at_in_place(a, b):
    y = a * 1.0
    y[...] = scatter_maximum(y, np.array([0, 0, 2]), b)
    y[...] = scatter_minimum(y, [1, 1], b[:2])
    return y ** 2

case(scatter_add, add_at_in_place, u((4,)), u((3,)))
case(scatter_multiply, multiply_at_in_place, u((4,)), u((3,)))
case(scatter_maximum, maximum_at_in_place, u((4,)), u((3,)))


def _id(c):
    return f"{c.f.__name__}[{','.join(_label(a) for a in c.args)}]"


# ---- the checks --------------------------------------------------------------------------------

HVP_REFUSED = set()     # case functions whose second derivatives are refused (none here)
AT_TIES = {"maximum_at_tie", "minimum_at_tie"}     # the gradient jumps: see the module docstring
ARRAY_CASES = [c for c in CASES if rule_checks.has_array_wrt(c)]
SMOOTH_CASES = [c for c in CASES if c.f.__name__ not in AT_TIES]


def test_every_rule_of_scatter_has_a_case_and_both_modes():
    mine = rule_checks.check_walker([scatter], CASES, globals(), __file__)
    functions = (scatter_add, scatter_subtract, scatter_multiply, scatter_maximum,
                 scatter_minimum)
    covered = {c.prim for c in CASES}
    for p in mine:
        if p.func in functions:
            assert p.adjoint is not None and p.tangent is not None, p.name
            assert p.func in covered, p.name
    assert {p.func for p in mine} >= set(functions)


def test_every_helper_forward_rule_is_reached_by_a_second_derivative():
    rule_checks.check_helpers_reached([scatter], SMOOTH_CASES, HVP_REFUSED)


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


@pytest.mark.parametrize("c", SMOOTH_CASES, ids=_id)
def test_hvp_matches_finite_differences_of_gradients(c):
    rule_checks.check_hvp(c, refused=c.f.__name__ in HVP_REFUSED)


# ---- the helpers are NumPy's ufunc.at on a copy -----------------------------------------------

UFUNCS = {scatter_add: np.add, scatter_subtract: np.subtract, scatter_multiply: np.multiply,
          scatter_maximum: np.maximum, scatter_minimum: np.minimum}


def _random_indexed(r):
    """(a, index, b) of each index kind, drawn at random, integer indices repeating."""
    out = []
    for _ in range(5):
        n = int(r.integers(1, 6))
        a = r.normal(size=(n, 3))
        rows = r.integers(-n, n, size=int(r.integers(0, 9)))
        cols = r.integers(0, 3, size=rows.size)
        mask = r.random((n, 3)) < 0.5
        out += [(a, rows, r.normal(size=(rows.size, 3))),
                (a, list(rows), r.normal(size=(3,))),
                (a, (rows, cols), r.normal(size=rows.shape)),
                (a, (rows, cols), float(r.normal())),
                (a, (slice(None), cols), r.normal(size=(n, cols.size))),
                (a, mask, r.normal(size=int(mask.sum()))),
                (a, slice(1, None, 2), r.normal(size=(1, 3))),
                (a, (Ellipsis, int(r.integers(3))), r.normal(size=(n,))),
                (a.ravel(), rows % n, r.normal(size=rows.shape))]
    return out


@pytest.mark.parametrize("helper", list(UFUNCS), ids=lambda h: h.__name__)
def test_each_helper_is_numpy_ufunc_at_on_a_copy(helper):
    r = np.random.default_rng(7)
    for a, index, b in _random_indexed(r):
        before = a.copy()
        expected = a.copy()
        UFUNCS[helper].at(expected, index, b)
        got = helper(a, index, b)
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(a, before)          # the argument is left alone
        assert got is not a and not np.shares_memory(got, a)
    a32 = np.arange(4.0, dtype=np.float32)
    assert helper(a32, [0, 0], np.array([0.5, 2.0])).dtype == np.float32   # a's dtype
    ints = np.arange(4)
    expected = ints.copy()
    UFUNCS[helper].at(expected, [1, 1], 3)
    np.testing.assert_array_equal(helper(ints, [1, 1], 3), expected)


# ---- conventions, exactly -----------------------------------------------------------------------

def sum_multiply(a, b): return np.sum(scatter_multiply(a, np.array([0, 0, 1, 2, 2, 2]), b))
def sum_maximum(a, b): return np.sum(scatter_maximum(a, [0, 0, 1], b))
def sum_minimum(a, b): return np.sum(scatter_minimum(a, [0, 0, 1], b))


def test_products_are_exact_at_zeros():
    # place 0: one zero among b's values; place 1: a zero of a; place 2: two zeros of b
    a = np.array([2.0, 0.0, 5.0])
    b = np.array([0.0, 3.0, 4.0, 0.0, 7.0, 0.0])
    ga, gb = tangent_lite.grad(sum_multiply, wrt=(0, 1))(a, b)
    np.testing.assert_array_equal(ga, [0.0, 4.0, 0.0])
    np.testing.assert_array_equal(gb, [6.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    _, t = tangent_lite.jvp(sum_multiply, (a, b), (np.ones(3), np.ones(6)))
    assert t == 0.0 + 6.0 + 4.0 + 0.0


def test_ties_share_the_gradient_equally():
    a = np.array([3.0, 1.0])
    b = np.array([3.0, 3.0, 0.5])           # place 0: a and two values of b tie at 3
    ga, gb = tangent_lite.grad(sum_maximum, wrt=(0, 1))(a, b)
    np.testing.assert_array_equal(ga, [1 / 3, 1.0])
    np.testing.assert_array_equal(gb, [1 / 3, 1 / 3, 0.0])
    _, t = tangent_lite.jvp(sum_maximum, (a, b), (np.array([3.0, 0.0]), np.array([0, 6.0, 1])))
    assert t == 3.0                          # (3 + 0 + 6) / 3 at place 0, a wins place 1
    ga, gb = tangent_lite.grad(sum_minimum, wrt=(0, 1))(np.array([3.0, 1.0]), b)
    np.testing.assert_array_equal(ga, [1 / 3, 0.0])
    np.testing.assert_array_equal(gb, [1 / 3, 1 / 3, 1.0])


@pytest.mark.parametrize("f", [maximum_at_tie, minimum_at_tie], ids=lambda f: f.__name__)
def test_hvp_at_a_tie_along_the_tie(f):
    # two values of b tie at place 0; moving both alike keeps the tie, so the gradient is
    # smooth along that direction
    a, index = np.array([0.1, -0.3, 0.8]), [0, 0, 2]
    b = np.array([0.6, 0.6, -0.4]) * (1 if f is maximum_at_tie else -1)
    v = np.array([0.7, 0.7, -1.3])
    hv = tangent_lite.hvp(f, wrt=2)(a, index, b, v)
    df = tangent_lite.grad(f, wrt=2)
    eps = 1e-5
    expected = (df(a, index, b + eps * v) - df(a, index, b - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hv, expected, rtol=1e-6, atol=1e-8)


def test_generated_code_reads_like_numpy():
    source = tangent_lite.source(add_at_repeat, wrt=1)
    assert "db = unbroadcast(dt_scatter_add[t_array], b)" in source, source
    source = tangent_lite.source(multiply_at_repeat, wrt=0)
    assert "da = scatter_multiply(dt_scatter_multiply, t_array, b)" in source, source
