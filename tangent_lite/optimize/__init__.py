"""The optimisation passes, listed in one place, each in its own module saying what it proves.

Every pass only removes work a gradient does not need; none may change a gradient. So each can be
switched off (the environment variable TANGENT_LITE_DISABLE="dead_code,copies" or the
`disabled(...)` context manager), and a test differentiates the rule table and a sample of the
control-flow programs with each pass off and checks the gradients are the same.
"""
import contextlib
import os
import threading

PASSES = {
    "dead_code": "forward assignments that neither the result nor the backward sweep reads "
                 "are not written (dead_code.py)",
    "copies": "`dt = ds` in the backward sweep is replaced by ds where that is certainly "
              "the same object (copies.py)",
    "unbroadcast": "`unbroadcast(g, x)` is dropped where no other operand can widen the "
                   "result beyond x's shape (unbroadcast.py)",
    "inplace": "adjoints no other variable refers to are accumulated in place, `dx += e`, "
               "where no value or adjoint can be complex (a real array refuses a complex "
               "`+=`: inplace.complex_free) (inplace.py)",
    "loss_seed": "a loss `return np.sum(v)` or `np.mean(v)`, or one scaled by numbers "
                 "(`np.sum(v) / n`, `-np.sum(v) / n`), is seeded from v's dtype and not "
                 "computed for its gradient (seed.py)",
    "numbers": "a variant of df for arguments that are all numbers, without shape "
               "bookkeeping (numbers.py)",
    "squares": "`x * x` gives its adjoint one doubled product, `dx = 2.0 * dy * x`, and a "
               "full sum's scalar gradient is multiplied in without being spread over the "
               "square (squares.py)",
    "fused": "`unbroadcast(a * b, x)` and `unbroadcast(a * b / x, x)` are written "
             "`sum_product(a, b, x)` and `sum_quotient(a, b, x)`: the products summed in one "
             "np.vdot or np.einsum where x is narrower than them; and a product `p = a * (2 * b)` "
             "read only by `unbroadcast(-p, x)` two statements later as "
             "`-(2 * sum_product(a, b, x))` (fused.py)",
    "differences": "`sum_product(g, s, x)` of a forward difference `s = a - b` (k-means' "
                   "`points[:, None] - centroids`) as `sum_product_of_difference(g, s, a, b, x)`: "
                   "g's products with a and with b summed apart, as matrix products of the "
                   "arrays before broadcasting, where g and the sides are broadcasts "
                   "(differences.py)",
    "algebra": "the backward sweep's straight-line blocks simplified where NumPy computes "
               "exactly the same: a full sum's spread seed folded into its product, `dx = e; "
               "dx += e` doubled, a pure expression computed twice named once, unread pure "
               "assignments dropped (algebra/)",
    "recompute": "a loop body's `v = a[i]` of an array nothing writes, i the loop's index "
                 "or an expression of it and loop-invariant names (`2 * i + 1`), and a 1-D "
                 "slice of such a row (`v[:b]`), are made again in the backward sweep instead "
                 "of pushed and popped (recompute.py)",
    "specialise": "a variant of df for the argument dtypes and shapes seen at the first "
                  "call, behind a guard: `unbroadcast` dropped or written as the sum it is "
                  "(a bias gradient `g.sum(axis=0)`), and the `shaped()` pushes kept for "
                  "it gone (specialise.py)",
    "lower": "in a specialised variant, the helper calls its shapes prove written as the "
             "NumPy they run: `np.dot(g, W.T)` for `dot_lhs(g, x, W)`, `np.full(shape, g)` "
             "for a small `unreduce`, an int for `reduced_count`, `np.vdot(a, b)` for a sum of "
             "products to a number where every value is a float64; `dx[index] += v` for "
             "`add_at` where no value can be complex, and a chain of disjoint slices' "
             "gradients assigned into `np.zeros(shape)`; a row's slice gradients that tile "
             "the row added as one `dg[row] += np.concatenate(...)`; an einsum's gradients part by "
             "part, a part read as its sum over axes computed without them (lower.py, "
             "inslices.py, row_tiles.py, einsum_parts.py)",
    "dtypes": "in a specialised variant, the seed of a loss `np.sum(t)` of a float64 t is "
              "the number 1.0 and the loss's terms nobody reads are not computed; a spread "
              "`np.full(shape, g) * e` of e's shape is `g * e` where the dtype is the same "
              "(dtypes.py); a Python list of float64 entries that only its name reaches is known "
              "as such, and where f writes no array in place its replaced entries are pushed "
              "without a copy (unsaved.py)",
    "slices": "the gradient of a slice read that is a product, `dt = sum_product(g, b, t)` "
              "read only by `dx = unindex(dt, x, index)`, is computed straight into the slice "
              "of x's zero gradient, `unindex_product(g, b, t, x, index)` (slices.py)",
    "release": "in a specialised variant, names holding arrays of 2**14 elements or more (or "
               "their adjoints) are deleted after their last read, `del t_mul, dd`, so the "
               "next arrays reuse their memory while it is in the cache (release.py)",
    "entries": "in a specialised variant, a list's gradient whose list object its name "
               "alone holds, of a list whose entries have one shape, updated in place entry "
               "by entry: `dh[i] = dh[i] + v` for `add_item`, `dh[i] = zeros_grad(dh[i])` "
               "for `unset`; where every value is a float64, an entry zeroed and then set from a "
               "fresh value is that value, `dh[i] = v` (entries.py, zeroed_entries.py)",
    "rows": "the slices of a parameter's row read in a loop (`weight = p[2 * i]`, "
            "`weight[:b]`, `weight[b:2 * b]`) add their gradients straight into the row of p's "
            "gradient, one `add_row_slices(dp, 2 * i, weight, (np.s_[:b], ...), (g, ...))` "
            "where the chain was unindex, add_at ..., add_at, the slices provably disjoint "
            "(rows.py)",
    "pieces": "the gradient of `np.concatenate([a, b], axis)` gives its last piece the rest "
              "of the gradient, `unconcatenate(dy, [a, None], axis)`: the last array is not "
              "kept or computed for its length (pieces.py)",
    "methods": "in a specialised variant, `np.sum(t, axis=1)`, np.mean, np.max, np.min, "
               "np.prod of a name proved an exact ndarray (float64, rank >= 1) are written "
               "as its methods, `t.sum(axis=1)`: the same reduction without NumPy's "
               "function dispatch (methods.py)",
    "vjp_variants": "the vjp of a user function called from differentiated code gets "
                    "shape-specialised variants too, behind a guard on its seed and arguments "
                    "(the seed of its result's shape): the slice helpers of its backward sweep "
                    "written as NumPy, `np.multiply(g, b, out=dy[:999])` for "
                    "`unindex_product(...)` (lower_slices.py)",
    "small_callees": "a call of a small straight-line function of the caller's own module "
                     "(`def sigmoid(v): return 1.0 / (1.0 + np.exp(-v))`) is inlined: its "
                     "operations run once, as the caller's own, where its vjp would run them "
                     "again in the backward sweep (frontend/small_callees.py)",
    "shift": "the max subtracted in a max-shifted softmax, log-softmax or log-sum-exp receives "
             "no gradient: it is a constant for differentiation (shift.py)",
}

_state = threading.local()
_version = [0]


def _from_environment():
    names = {n.strip() for n in os.environ.get("TANGENT_LITE_DISABLE", "").split(",")}
    unknown = names - set(PASSES) - {""}
    if unknown:
        raise ValueError(f"TANGENT_LITE_DISABLE names unknown passes {sorted(unknown)}; the "
                         f"passes are {sorted(PASSES)}")
    return frozenset(names - {""})


_DISABLED_BY_ENV = _from_environment()


def enabled(name):
    """Whether the pass `name` runs in the compile under way."""
    return name not in _DISABLED_BY_ENV and name not in getattr(_state, "off", ())


def version():
    """A number that changes whenever passes are switched (cached derivatives are stale)."""
    return _version[0]


@contextlib.contextmanager
def disabled(*names):
    """Compile with the passes `names` switched off (in this thread), e.g. to check that a
    pass leaves a gradient unchanged."""
    unknown = set(names) - set(PASSES)
    if unknown:
        raise ValueError(f"unknown passes {sorted(unknown)}; the passes are {sorted(PASSES)}")
    before = getattr(_state, "off", frozenset())
    _state.off = before | frozenset(names)
    _version[0] += 1
    try:
        yield
    finally:
        _state.off = before
        _version[0] += 1


def switched_off():
    """The passes switched off in this thread (for a compile that runs later: see
    `only_off`)."""
    return getattr(_state, "off", frozenset())


@contextlib.contextmanager
def only_off(names):
    """Compile now as a compile under `disabled(*names)` would have (a variant compiled at
    the first call of the df compiled there); cached derivatives stay valid."""
    before = getattr(_state, "off", frozenset())
    _state.off = frozenset(names)
    try:
        yield
    finally:
        _state.off = before
