"""The algebraic simplifier of the backward sweep (optimize/algebra/) and recomputed loop reads
(optimize/recompute.py): each rewrite against central finite differences in float64, on
programs written the way users write them, in more than one style; the same gradient (values,
dtype, type) with the pass off; and the near-misses each pass must leave alone."""
import math

import numpy as np
import pytest

import tangent_lite
from tangent_lite import checkpointed, optimize

from helpers import check_grad

RNG = np.random.default_rng(1414)


def same_with_pass_off(f, wrt, args, name):
    """The gradient with the pass `name` off: equal to the bit, same types and dtypes."""
    got = tangent_lite.grad(f, wrt=wrt)(*args)
    with optimize.disabled(name):
        plain = tangent_lite.grad(f, wrt=wrt)(*args)
    for g, p in zip(got if isinstance(wrt, tuple) else (got,),
                    plain if isinstance(wrt, tuple) else (plain,)):
        assert type(g) is type(p) and np.asarray(g).dtype == np.asarray(p).dtype
        np.testing.assert_allclose(g, p, rtol=1e-13, atol=1e-15)
    return got


def backward_of(f, wrt=0):
    return tangent_lite.source(f, wrt=wrt).split("# Backward sweep")[1]


def forward_of(f, wrt=0):
    return tangent_lite.source(f, wrt=wrt).split("# Backward sweep")[0]


# ---- recomputed loop reads ---------------------------------------------------------------------

def rnn(W, xs, h):
    for t in range(xs.shape[0]):
        h = np.tanh(np.dot(h, W) * xs[t])
    return np.sum(h * h)


def rnn_matmul(W, xs, h):
    for t in range(len(xs)):
        x = xs[t]
        h = np.tanh(h @ W + x * h)
    return np.sum(h ** 2)


def lstm_like(W, U, xs, h):
    H = h.shape[1]
    for t in range(xs.shape[0]):
        z = np.dot(xs[t], W) + np.dot(h, U)
        i = 1.0 / (1.0 + np.exp(-z[:, :H]))
        h = i * np.tanh(z[:, H:])
    return np.sum(h * h) / h.shape[0]


def conv_taps(w, x):
    K = w.shape[0]
    L = x.shape[1] - K + 1
    out = np.zeros((x.shape[0], L))
    for k in range(K):
        out = out + w[k] * x[:, k:k + L]
    d = out - 1.0
    return np.sum(d * d) / d.size


def over_elements(a):
    s = 0.0
    for v in a:
        s = s + math.sin(v) * math.sin(v) * v
    return s


def weighted_rows(w, X):
    total = 0.0
    for i in range(X.shape[0]):
        row = X[i]
        total = total + np.sin(np.dot(row, w)) * row[0]
    return total


RECOMPUTED = [
    (rnn, 0, (RNG.normal(size=(4, 4)) / 2, RNG.normal(size=(5, 3, 4)), RNG.normal(size=(3, 4))),
     ["t_item"]),
    (rnn_matmul, (0, 2), (RNG.normal(size=(3, 3)) / 2, RNG.normal(size=(4, 2, 3)),
                          RNG.normal(size=(2, 3))), ["x"]),
    (lstm_like, (0, 1), (RNG.normal(size=(3, 8)) / 2, RNG.normal(size=(4, 8)) / 2,
                         RNG.normal(size=(5, 2, 3)), RNG.normal(size=(2, 4))), ["t_item"]),
    (conv_taps, (0, 1), (RNG.normal(size=3), RNG.normal(size=(2, 9))), ["t_item"]),
    (over_elements, 0, (RNG.normal(size=6),), ["v"]),
    (weighted_rows, (0, 1), (RNG.normal(size=3), RNG.normal(size=(4, 3))), ["row"]),
]


@pytest.mark.parametrize("f, wrt, args, names", RECOMPUTED,
                         ids=[c[0].__name__ for c in RECOMPUTED])
def test_loop_reads_are_recomputed_not_pushed(f, wrt, args, names):
    check_grad(f, *args, wrt=wrt)
    same_with_pass_off(f, wrt, args, "recompute")
    code = tangent_lite.source(f, wrt=wrt)
    forward, backward = code.split("# Backward sweep")
    for v in names:
        assert f"stack.push({v})" not in forward and f"shaped({v})" not in forward
        assert f"{v} = stack.pop()" not in backward
        assert f"\n        {v} = " in backward        # made again inside the backward loop
    with optimize.disabled("recompute"):
        code = tangent_lite.source(f, wrt=wrt)
    assert any(f"push({v})" in code or f"shaped({v})" in code for v in names)


def test_recomputed_reads_in_float32_and_with_value_and_split():
    W, xs, h = (a.astype(np.float32) for a in RECOMPUTED[0][2])
    g = tangent_lite.grad(rnn)(W, xs, h)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, tangent_lite.grad(rnn)(*RECOMPUTED[0][2]), rtol=1e-3,
                               atol=1e-4)
    args = RECOMPUTED[2][2]
    value, grads = tangent_lite.value_and_grad(lstm_like, wrt=(0, 1))(*args)
    assert value == pytest.approx(lstm_like(*args), rel=1e-13)
    expected = tangent_lite.grad(lstm_like, wrt=(0, 1))(*args)
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g, e, rtol=1e-13)


def test_a_checkpointed_loop_keeps_its_reads():
    def checkpointed_rnn(W, xs, h):
        for t in checkpointed(range(xs.shape[0]), snapshots=2):
            h = np.tanh(np.dot(h, W) * xs[t])
        return np.sum(h * h)
    args = RECOMPUTED[0][2]
    np.testing.assert_allclose(tangent_lite.grad(checkpointed_rnn)(*args),
                               tangent_lite.grad(rnn)(*args), rtol=1e-12)
    same_with_pass_off(checkpointed_rnn, 0, args, "recompute")


# near-misses: the read must stay pushed

def written_in_the_loop(w, x):
    x = x * 1.0
    s = 0.0
    for i in range(x.shape[0]):
        v = x[i]
        s = s + np.sin(v * w)
        x[i] = 2.0 * v
    return s


def written_after_the_loop(w, x):
    y = x * 1.0
    s = 0.0
    for i in range(y.shape[0]):
        v = y[i]
        s = s + np.sin(v * w)
    y[0] = 0.0
    return s + np.sum(y) * w


def rebound_in_the_loop(w, x):
    s = 0.0
    for i in range(3):
        v = x[i]
        s = s + np.sin(v * w)
        x = x * 0.5
    return s


def index_rebound_in_the_loop(w, x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        j = i + 1
        v = x[j]
        s = s + np.sin(v * w)
    return s


def read_in_a_branch(w, x):
    s = 0.0
    for i in range(x.shape[0]):
        if i % 2 == 0:
            v = x[i]
            s = s + np.sin(v * w)
    return s


def read_before_assigned(w, x):
    s = 0.0
    v = x[0]
    for i in range(x.shape[0]):
        s = s + np.sin(v * w)
        v = x[i]
    return s


def view_written(w, x):
    x = x * 1.0
    y = x[1:]
    s = 0.0
    for i in range(3):
        v = x[i]
        s = s + np.sin(v * w)
    y[0] = 5.0
    return s


def sliced_windows(w, x):
    # a slice costs more to make again than to push and pop: it stays pushed
    s = 0.0
    for i in range(x.shape[0] - 1):
        v = x[i:i + 2]
        s = s + np.sum(np.sin(v * w))
    return s


NEAR_MISSES = [sliced_windows, written_in_the_loop, written_after_the_loop, rebound_in_the_loop,
               index_rebound_in_the_loop, read_in_a_branch, read_before_assigned, view_written]


@pytest.mark.parametrize("f", NEAR_MISSES, ids=[f.__name__ for f in NEAR_MISSES])
def test_loop_reads_that_must_stay_pushed(f):
    args = (0.7, RNG.normal(size=4))
    try:
        check_grad(f, *args, wrt=(0, 1))
    except tangent_lite.TangentLiteError:
        return      # refused (an alias written and read): nothing to recompute either
    same_with_pass_off(f, (0, 1), args, "recompute")
    forward = forward_of(f, (0, 1))
    assert "stack.push(v)" in forward or "shaped(v)" in forward


# ---- the algebraic simplifier --------------------------------------------------------------

def added_to_itself(x):
    y = x + x
    return np.sum(np.sin(y))


def product_twice(a, b):
    return np.sum(a * b + a * b)


def product_twice_in_a_loop(a, b):
    s = 0.0
    for i in range(3):
        s = s + np.sum(np.cos(a * b + a * b))
        a = np.sin(a)
    return s


def mean_square(out, y):
    return np.mean((out - y) ** 2)


def scaled_square_sum(x):
    return np.sum(x ** 2) / x.shape[0]


def negated_scaled(x):
    return -np.sum((0.5 * x) ** 2) / x.size


def sines_squared(x):
    s = 0.0
    for v in x:
        s = s + math.sin(v) * math.sin(v)
    return s


def cosines_twice(x, w):
    a = np.sin(x) * w
    b = np.sin(x) * w
    return np.sum(a * b)


ALGEBRA = [
    (added_to_itself, 0, (RNG.normal(size=5),), "dx = 2 * dy"),
    (product_twice, (0, 1), (RNG.normal(size=(3, 4)), RNG.normal(size=4)), "da += da"),
    (product_twice_in_a_loop, (0, 1), (RNG.normal(size=4), RNG.normal(size=4)), "sum_product"),
    (mean_square, 0, (RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))),
     "dt_sub = dresult / reduced_count(t_pow) * (2 * t_sub)"),
    (scaled_square_sum, 0, (RNG.normal(size=(4, 3)),), "(2 * x)"),
    (negated_scaled, 0, (RNG.normal(size=(4, 3)),), "= dt_sum * (2 * t_mul)"),
    (sines_squared, 0, (RNG.normal(size=5),), "t_cos = np.cos(v)"),
    (cosines_twice, (0, 1), (RNG.normal(size=5), 0.3), "np.cos(x)"),
]


@pytest.mark.parametrize("f, wrt, args, expected", ALGEBRA, ids=[c[0].__name__ for c in ALGEBRA])
def test_simplified_gradients_match_finite_differences(f, wrt, args, expected):
    check_grad(f, *args, wrt=wrt)
    same_with_pass_off(f, wrt, args, "algebra")
    assert expected in backward_of(f, wrt)
    for dtype in (np.float32, np.float16):
        small = tuple(a.astype(dtype) if isinstance(a, np.ndarray) else a for a in args)
        got = tangent_lite.grad(f, wrt=wrt)(*small)
        with optimize.disabled("algebra"):
            plain = tangent_lite.grad(f, wrt=wrt)(*small)
        for g, p in zip(got if isinstance(wrt, tuple) else (got,),
                        plain if isinstance(wrt, tuple) else (plain,)):
            assert type(g) is type(p) and np.asarray(g).dtype == np.asarray(p).dtype
            np.testing.assert_array_equal(g, p)


def test_the_spread_seed_is_gone():
    code = backward_of(mean_square)
    assert "unreduce" not in code
    code = backward_of(scaled_square_sum)
    assert "unreduce" not in code
    with optimize.disabled("algebra"):
        assert "unreduce" in backward_of(mean_square)


def test_doubling_keeps_integer_operands_exact():
    def times_counts(x, k):
        return np.sum(x * k + x * k)
    x, k = RNG.normal(size=4), np.arange(1, 5)
    check_grad(times_counts, x, k, wrt=0)
    same_with_pass_off(times_counts, 0, (x, k), "algebra")


# near-misses: each must keep the unsimplified code

def scaled_by_a_number(x):
    # the product's factor is the number 3.0: the spread has x's shape, 3.0 has none
    return -np.sum(3.0 * x) / x.size


def broadcast_mean(x, w):
    # t = x * w broadcasts: the spread has the product's shape, not x's
    return np.mean(x * w)


def spread_read_twice(x):
    t = x ** 2
    return np.sum(t) + np.sum(t * x)


def python_float_seed(x):
    # the seed is a Python float while x ** 2 may be float32: not folded
    return math.sqrt(float(np.sum(x ** 2)))


def added_three_times(x):
    y = x + x + x
    return np.sum(np.sin(y))


def rebound_between(x):
    s = 0.0
    a = np.cos(x)
    for i in range(2):
        s = s + np.sum(np.sin(x) * a)
        x = x * 1.5
        s = s + np.sum(np.sin(x) * a)
    return s


def in_branches(x):
    if np.sum(x) > 0:
        y = np.sin(x) * np.cos(x)
    else:
        y = np.cos(x) * np.cos(x)
    return np.sum(y * np.cos(x))


ALGEBRA_MISSES = [
    (broadcast_mean, 0, (RNG.normal(size=(3, 4)), RNG.normal(size=4)), "unreduce("),
    (scaled_by_a_number, 0, (RNG.normal(size=(4, 3)),), "unreduce("),
    (spread_read_twice, 0, (RNG.normal(size=5),), None),
    (python_float_seed, 0, (RNG.normal(size=5),), "unreduce("),
    (added_three_times, 0, (RNG.normal(size=5),), None),
    (rebound_between, 0, (RNG.normal(size=5),), None),
    (in_branches, 0, (np.abs(RNG.normal(size=5)),), None),
    (in_branches, 0, (-np.abs(RNG.normal(size=5)),), None),
]


@pytest.mark.parametrize("f, wrt, args, kept", ALGEBRA_MISSES,
                         ids=[c[0].__name__ for c in ALGEBRA_MISSES])
def test_near_misses_keep_their_gradient(f, wrt, args, kept):
    check_grad(f, *args, wrt=wrt)
    same_with_pass_off(f, wrt, args, "algebra")
    small = tuple(a.astype(np.float32) for a in args)
    got = tangent_lite.grad(f, wrt=wrt)(*small)
    with optimize.disabled("algebra"):
        plain = tangent_lite.grad(f, wrt=wrt)(*small)
    assert got.dtype == plain.dtype == np.float32
    np.testing.assert_array_equal(got, plain)
    if kept is not None:
        assert kept in backward_of(f, wrt)


def test_three_additions_are_not_tripled():
    # x + x + x is (x + x) + x: only the exact doubling is rewritten, never `3 * e`
    assert "3 *" not in backward_of(added_three_times)


# ---- the seed of a result that is certainly a Python float -------------------------------------

def as_python_float(a, b):
    return float(np.sum(a * b)) * 2.0


def hypotenuse(x):
    return math.sqrt(x[0] ** 2 + x[1] ** 2)


def angle_sum(x):
    s = 0.0
    for i in range(3):
        s = s + math.atan2(x[i], 1.0 + i) / (i + 1)
    return s


def starts_as_int(x):
    s = 0                  # an int when the loop does not run: unit_like decides at run time
    for v in x:
        s = s + math.sin(v)
    return s


def element_sum(x):
    s = 0.0                # v is an element of x: s is a NumPy scalar of x's dtype
    for v in x:
        s = s + math.sin(v) * v
    return s


@pytest.mark.parametrize("f, seeded", [(as_python_float, True), (hypotenuse, True),
                                       (angle_sum, True), (starts_as_int, False),
                                       (element_sum, False)])
def test_a_python_float_result_is_seeded_with_one(f, seeded):
    nargs = f.__code__.co_argcount
    args = tuple(RNG.normal(size=4) for _ in range(nargs))
    wrt = tuple(range(nargs)) if nargs > 1 else 0
    check_grad(f, *args, wrt=wrt)
    same_with_pass_off(f, wrt, args, "algebra")
    small = tuple(a.astype(np.float32) for a in args)
    got = tangent_lite.grad(f, wrt=wrt)(*small)
    with optimize.disabled("algebra"):
        plain = tangent_lite.grad(f, wrt=wrt)(*small)
    for g, p in zip(got if nargs > 1 else (got,), plain if nargs > 1 else (plain,)):
        assert g.dtype == p.dtype == np.float32
        np.testing.assert_array_equal(g, p)
    code = backward_of(f, wrt)
    assert ("unit_like" not in code) == seeded
    assert (" = 1.0\n" in code) == seeded


# ---- the block rewrites on written-out blocks: what may and may not be shared ----------------

def _rewritten(text):
    """The backward block `text` after the simplifier (helpers spelled as generated code spells
    them, fresh names t_<hint>_<n>)."""
    import ast as python_ast

    import gast

    from tangent_lite.optimize import algebra
    body = gast.parse(text).body
    counter = iter(range(100))
    algebra.simplify(body, [], lambda name: name,
                     lambda base: f"{base}_{next(counter)}")
    module = gast.gast_to_ast(gast.Module(body=body, type_ignores=[]))
    return python_ast.unparse(python_ast.fix_missing_locations(module))


def test_a_subexpression_is_named_once_across_unrelated_pops():
    code = _rewritten("a = np.cos(x) * w\nt = stack.pop()\nb = np.cos(x) * v\nreturn (a, b, t)")
    assert code.count("np.cos(x)") == 1 and "t_cos_0 = np.cos(x)" in code


@pytest.mark.parametrize("between", [
    "x = stack.pop()",          # x rebound: np.cos(x) is another value
    "x[0] = stack.pop()",       # x's array written in place
    "y[0] = 2.0",               # an array that may share x's memory written
    "dx += w",                  # a write in place
    "scatter(x, w)",            # a call that may write into its arguments
    "x = x * 2.0",
])
def test_no_subexpression_is_shared_across_a_write(between):
    code = _rewritten(f"a = np.cos(x) * w\n{between}\nb = np.cos(x) * v\nreturn (a, b, dx)")
    assert code.count("np.cos(x)") == 2


def test_a_whole_value_is_never_replaced_by_a_name():
    # `b = a` would make b and a one array, which gradient code may update in place
    code = _rewritten("a = np.cos(x)\nb = np.cos(x)\nreturn (a, b)")
    assert code.count("np.cos(x)") == 2
    code = _rewritten("a = np.cos(x)\nb = np.cos(x) * 2.0\nreturn (a, b)")
    assert "b = a * 2.0" in code


def test_nothing_is_hoisted_out_of_a_branch():
    code = _rewritten("if c:\n    a = np.cos(x) * w\nb = np.cos(x) * v\nreturn (a, b)")
    assert code.count("np.cos(x)") == 2
    code = _rewritten("a = np.cos(x) * w\nif c:\n    b = np.cos(x) * v\nreturn (a, b)")
    assert code.count("np.cos(x)") == 2


def test_doubling_is_exact_for_every_dtype():
    """`dx = e; dx = dx + e` -> `dx = 2 * e`: the same values, dtype and type as e + e."""
    code = _rewritten("dx = dy\ndx = dx + dy\nreturn dx")
    assert code.strip().startswith("dx = 2 * dy")
    for dy in (np.arange(4, dtype=np.int8), np.float32(1.5), 1.5, 3, np.array(2.5),
               np.linspace(0, 1, 5).astype(np.float16), np.array([1 + 2j], np.complex64)):
        twice, doubled = dy + dy, 2 * dy
        assert type(twice) is type(doubled)
        assert np.asarray(twice).dtype == np.asarray(doubled).dtype
        np.testing.assert_array_equal(twice, doubled)
    # a call may give a 0-d array, which `+=` keeps: doubled in place instead
    code = _rewritten("dx = sum_product(g, a, b)\ndx += sum_product(g, a, b)\nreturn dx")
    assert "dx *= 2" in code and code.count("sum_product") == 1
    # three times is not rewritten: (e + e) + e is not 3 * e in floating point
    code = _rewritten("dx = e * w\ndx = dx + e * w\ndx = dx + e * w\nreturn dx")
    assert "3 *" not in code
