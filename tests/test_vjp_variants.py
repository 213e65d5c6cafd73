"""Shape-specialised variants of a user function's vjp (pass "vjp_variants", specialiser.py
with a seed, optimize/lower_slices.py): every gradient equals central finite differences in
float64, written the way users write their right-hand sides, and the near misses keep the
generic vjp (or are refused as before).

The vjp of a function called from differentiated code runs at every call; its variant is
compiled for the seed's and the arguments' dtypes and shapes behind a guard, and only where
the seed has the result's shape. Its slice helpers (`unconcatenate`, `unindex_product`,
`unindex` of a product, `set_at`, `add_at`) are written as the NumPy they run.
"""
import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite import optimize
from tangent_lite import pipeline

from helpers import numeric_grad


# ---- right-hand sides, written the way users write them ------------------------------------

def rhs(x, y):
    return np.concatenate([x[:1], x[1:] * y[:-1]])


def rk4_last(x, s):
    # the GradBench ODE: called four times a step, from a loop
    h = 2.0 / s
    y = np.zeros(x.shape[0])
    for _ in range(s):
        k1 = rhs(x, y)
        k2 = rhs(x, y + h * k1 / 2)
        k3 = rhs(x, y + h * k2 / 2)
        k4 = rhs(x, y + h * k3)
        y = y + h * (k1 + 2 * k2 + 2 * k3 + k4) / 6
    return y[-1]


def rhs_sites(x, y):
    # each test that counts variants has its own copy of the callee (a vjp keeps at most
    # specialise.MAX_VARIANTS variants, for every caller in the process)
    return np.concatenate([x[:1], x[1:] * y[:-1]])


def rhs_big(x, y):
    return np.concatenate([x[:1], x[1:] * y[:-1]])


def rhs_read(x, y):
    return np.concatenate([x[:1], x[1:] * y[:-1]])


def rk4_read(x, s):
    h = 2.0 / s
    y = np.zeros(x.shape[0])
    for _ in range(s):
        k1 = rhs_read(x, y)
        k2 = rhs_read(x, y + h * k1 / 2)
        y = y + h * k2
    return y[-1]


def straight(x, y):
    # straight-line code, one call, the result summed
    return np.sum(rhs(x, y) ** 2)


def straight_big(x, y):
    return np.sum(rhs_big(x, y) ** 2)


def straight32(x, y):
    return np.sum(rhs_sites(x, y) ** 2)


def rhs_swapped(x, y):
    return np.concatenate([x[:1], x[1:] * y[:-1]])


def straight_swapped(x, y):
    return np.sum(rhs_swapped(x, y) ** 2)


def shifted(x, y):
    # tuple, product order swapped, the first piece longer
    return np.concatenate((x[:2] * 3.0, y[:-2] * x[2:]))


def two_sites(a, b):
    # the same callee at two shapes: each site's vjp gets its own variant
    return np.sum(rhs_sites(a, a) * a) + np.sum(rhs_sites(b, b) ** 2)


def shifted_sum(x, y):
    return np.sum(np.tanh(shifted(x, y)))


def only_x(x, c):
    # the callee's vjp with one gradient (c is a constant)
    return np.sum(rhs(x, c) ** 2)


def layer_dot(W, v):
    return np.tanh(np.dot(W, v))


def layer_at(W, v):
    return np.tanh(W @ v)


def two_layers(W, v):
    # a callee with np.dot and one with @, called in a loop
    for _ in range(3):
        v = layer_dot(W, v)
        v = layer_at(W, v) + v[::-1] * 0.5
    return np.sum(v * v)


def pair(x, y):
    return x[1:] * y[:-1], np.concatenate([x[:1], y[1:]])


def listed(x, y):
    return [x * y, x + y]


def tuple_result(x, y):
    # the callee returns a tuple: its seed is a tuple, no array variant
    p, q = pair(x, y)
    return np.sum(p * p) + np.sum(q)


def list_result(x, y):
    p, q = listed(x, y)
    return np.sum(p ** 2) + np.sum(q)


SCALE = np.linspace(0.5, 1.5, 12)


def scaled_rhs(x, y):
    # closes over a global array
    return np.concatenate([x[:1], x[1:] * y[:-1] * SCALE[1:]])


def closure_user(x, y):
    return np.sum(scaled_rhs(x, y) ** 2)


def bump(v, x):
    v[1:] += x[:-1] * v[:-1]     # writes into its argument: inlined, no vjp of its own
    return v


def writes_argument(x):
    v = x * 1.0
    v = bump(v, x)
    return np.sum(v * v)


def countdown(x, n):
    if n == 0:
        return x
    return countdown(x[1:] * x[:-1], n - 1)


def recursive(x):
    return np.sum(countdown(x, 2))


def _rng(seed, n):
    return np.random.default_rng(seed).uniform(0.2, 1.2, size=n)


# for tests/test_passes.py: each pass leaves these gradients unchanged
PROGRAMS = [(straight, (0, 1), (_rng(50, 9), _rng(51, 9))),
            (rk4_last, 0, (_rng(52, 7), 2)),
            (two_layers, (0, 1), (np.random.default_rng(53).normal(size=(4, 4)) * 0.4,
                                  np.random.default_rng(54).normal(size=4)))]


def _check(f, args, wrt, rtol=1e-6, atol=1e-8):
    grads = tl.grad(f, wrt=wrt)(*args)
    grads = grads if isinstance(wrt, tuple) else (grads,)
    for g, i in zip(grads, wrt if isinstance(wrt, tuple) else (wrt,)):
        expected = numeric_grad(f, args, i)
        assert g.dtype == np.float64 and g.shape == args[i].shape
        np.testing.assert_allclose(g, expected, rtol=rtol, atol=atol)
    return grads


def _variants(func, wrt):
    """The vjp Specialiser's variants of `func` (compiled by the calls so far)."""
    compiled = pipeline.vjp(func, wrt)
    assert compiled.specialiser is not None
    return compiled.specialiser.variants


# ---- gradients against central differences --------------------------------------------------

@pytest.mark.parametrize("n,s", [(6, 1), (12, 3), (9000, 2)])
def test_rk4_from_a_loop(n, s):
    x = _rng(n, n)
    for _ in range(2):   # the first call compiles the variants, the second runs them
        _check(rk4_last, (x, s), 0, rtol=1e-5, atol=1e-7)
    variants = _variants(rhs, ("x", "y"))
    assert any(v.df is not None and v.signature[0][2] == (n,) for v in variants)


def test_straight_line_and_both_results():
    x, y = _rng(1, 10), _rng(2, 10)
    for _ in range(2):
        _check(straight, (x, y), (0, 1))


def test_tuple_pieces_and_swapped_product():
    x, y = _rng(3, 11), _rng(4, 11)
    for _ in range(2):
        _check(shifted_sum, (x, y), (0, 1))
    source = next(v.compiled.source for v in _variants(shifted, ("x", "y"))
                  if v.df is not None)
    assert "np.multiply(" in source and "unindex_product(" not in source
    assert "unconcatenate(" not in source


def test_two_sites_with_different_shapes():
    a, b = _rng(5, 7), _rng(6, 13)
    for _ in range(2):
        _check(two_sites, (a, b), (0, 1))
    sized = {v.signature[0][2] for v in _variants(rhs_sites, ("x", "y")) if v.df is not None}
    assert {(7,), (13,)} <= sized


def test_one_gradient():
    x, c = _rng(7, 8), _rng(8, 8)
    for _ in range(2):
        _check(only_x, (x, c), 0)


def test_dot_and_matmul_callees_in_a_loop():
    rng = np.random.default_rng(9)
    W, v = rng.normal(size=(5, 5)) * 0.4, rng.normal(size=5)
    for _ in range(2):
        _check(two_layers, (W, v), (0, 1))


def test_variant_source_reads_as_numpy():
    x = _rng(10, 1000)
    _check(rk4_read, (x, 1), 0, rtol=1e-5, atol=1e-7)
    variant = next(v for v in _variants(rhs_read, ("x", "y"))
                   if v.df is not None and v.signature[0][2] == (1000,))
    source = variant.compiled.source
    assert "def fits_rhs_read(dresult, x, y):" in source
    assert "specialised for\n    dresult: float64[1000], x: float64[1000], y: float64[1000]" \
        in source
    for line in ("parts = (dresult[:1], dresult[1:])", "dy = np.zeros(1000)",
                 "np.multiply(dt_mul, t_item2, out=dy[:999])",
                 "np.multiply(dt_mul, t_item3, out=dx[1:])", "dx[:1] += dt_item"):
        assert line in source
    for helper in ("unconcatenate(", "unindex_product(", "set_at(", "add_at("):
        assert helper not in source


def test_large_arrays_zero_only_outside_the_slice():
    x, y = _rng(11, 20000), _rng(12, 20000)
    for _ in range(2):
        _check(straight_big, (x, y), (0, 1), rtol=1e-5, atol=1e-6)
    source = next(v.compiled.source for v in _variants(rhs_big, ("x", "y"))
                  if v.df is not None and v.signature[0][2] == (20000,))
    assert "np.empty(20000)" in source and "[19999:] = 0" in source


def test_same_values_to_the_bit_with_the_pass_off():
    x = _rng(13, 300)
    on = tl.grad(rk4_last)(x, 4)
    on = tl.grad(rk4_last)(x, 4)
    with optimize.disabled("vjp_variants"):
        off = tl.grad(rk4_last)(x, 4)
        off = tl.grad(rk4_last)(x, 4)
    assert np.array_equal(on, off)


# ---- near misses -----------------------------------------------------------------------------

def test_tuple_and_list_results_keep_the_generic_vjp():
    x, y = _rng(14, 9), _rng(15, 9)
    for f in (tuple_result, list_result):
        for _ in range(2):
            _check(f, (x, y), (0, 1))
    for func in (pair, listed):
        compiled = pipeline.vjp(func, ("x", "y"))
        variants = compiled.specialiser.variants if compiled.specialiser else ()
        assert all(v.df is None for v in variants)


def test_seed_of_another_shape_gets_no_variant():
    x, y = _rng(16, 6), _rng(17, 6)
    compiled = pipeline.vjp(rhs, ("x", "y"))
    variant = compiled.specialiser.variant_for([np.ones(5), x, y])
    assert variant is not None and variant.df is None   # the generic vjp would run


def test_closure_over_a_global_array():
    x, y = _rng(18, 12), _rng(19, 12)
    for _ in range(2):
        _check(closure_user, (x, y), (0, 1))


def test_callee_writing_its_argument_is_inlined():
    x = _rng(20, 8)
    for _ in range(2):
        _check(writes_argument, (x,), 0)


def test_recursion_is_still_refused():
    with pytest.raises(tl.TangentLiteError, match="recursion"):
        tl.grad(recursive)(_rng(21, 6))


def test_float32_is_kept():
    x, y = _rng(22, 10).astype(np.float32), _rng(23, 10).astype(np.float32)
    for _ in range(2):
        dx, dy = tl.grad(straight32, wrt=(0, 1))(x, y)
    assert dx.dtype == np.float32 and dy.dtype == np.float32
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    np.testing.assert_allclose(dx, numeric_grad(straight32, (x64, y64), 0), rtol=1e-4)
    np.testing.assert_allclose(dy, numeric_grad(straight32, (x64, y64), 1), rtol=1e-4)
    # a float32 variant may be compiled, but its slice helpers stay helpers (they decide
    # the dtypes at run time)
    for v in _variants(rhs_sites, ("x", "y")):
        if v.df is not None and v.signature[1][1] == "<f4":
            assert "np.multiply(" not in v.compiled.source


def test_other_byte_order_lowers_no_slice_helper():
    # '>f8' equals float64 but np.zeros makes '<f8': the helpers keep their dtypes
    x, y = _rng(60, 9).astype(">f8"), _rng(61, 9).astype(">f8")
    for _ in range(2):
        dx, dy = tl.grad(straight_swapped, wrt=(0, 1))(x, y)
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    np.testing.assert_allclose(dx, numeric_grad(straight_swapped, (x64, y64), 0), rtol=1e-6)
    np.testing.assert_allclose(dy, numeric_grad(straight_swapped, (x64, y64), 1), rtol=1e-6)
    for v in _variants(rhs_swapped, ("x", "y")):
        if v.df is not None:
            assert "np.multiply(" not in v.compiled.source


def test_a_later_call_with_other_shapes_falls_back():
    for n in (6, 7, 8, 9, 10, 11):
        x = _rng(24 + n, n)
        _check(rk4_last, (x, 2), 0, rtol=1e-5, atol=1e-7)
    x = _rng(40, 6)
    _check(rk4_last, (x, 2), 0, rtol=1e-5, atol=1e-7)
