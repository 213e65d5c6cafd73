"""Gradients of NumPy code run on Dask arrays (issue 16): the same df, unchanged, through
NumPy's dispatch protocols.

- the walker: every rule of the registry either gives on Dask arrays the gradient it gives on
  NumPy arrays (float64, same data), or is NumPy-only for a reason listed here: Dask does not
  run the function itself (DASK_LACKS), or the gradient needs what a Dask array cannot do
  lazily (NUMPY_ONLY, where df raises a TangentLiteError instead);
- nothing is computed behind the user's back: every call runs with a Dask array's
  conversion to NumPy made an error (a guard on `__array__`), apart from single numbers;
- grad, vjp and jvp; NumPy weights with Dask data; what cannot run lazily (loops, branches).

tests/test_dask_distributed.py runs the models on a dask.distributed cluster.
"""
import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array", reason="Dask is not installed: pip install "
                                              "'tangent-lite[dask]' to run the Dask tests")

import tangent_lite  # noqa: E402
from tangent_lite.rules.registry import all_primitives  # noqa: E402
from helpers import load_example  # noqa: E402
import rule_checks  # noqa: E402
import test_rules  # noqa: E402
import test_rules_elementwise  # noqa: E402
import test_rules_fft  # noqa: E402
import test_rules_linalg  # noqa: E402
import test_rules_numerical  # noqa: E402
import test_rules_pymath  # noqa: E402
import test_rules_scatter  # noqa: E402
import test_rules_shapes  # noqa: E402
import test_rules_special  # noqa: E402

walkthrough = load_example("walkthrough")

CASE_MODULES = [test_rules, test_rules_elementwise, test_rules_shapes, test_rules_linalg,
                test_rules_scatter, test_rules_fft, test_rules_special, test_rules_pymath,
                test_rules_numerical]
ALL_CASES = [c for m in CASE_MODULES for c in m.CASES]

# Functions whose every case fails on Dask before any gradient is taken: Dask does not
# implement them (or not for the arguments of the cases: an FFT along a chunked axis, a
# solve or inv of a matrix in several chunks, np.reshape(x, -1) with an int). Their
# gradients are never reached. Keyed by name.
DASK_LACKS = {
    "absolute", "abs", "real", "imag", "conjugate", "angle",           # of complex FFT results
    "matmul", "dot", "outer", "clip", "norm", "reshape", "ravel", "asarray", "ascontiguousarray",
    "nan_to_num", "sort", "ptp", "average", "cumsum", "nancumsum", "cumulative_sum",
    "cumulative_prod", "flip", "repeat", "resize", "triu", "tril", "take", "take_along_axis",
    "hstack", "vstack", "column_stack", "split", "array_split", "hsplit", "vsplit", "dsplit",
    "diff", "einsum", "tensordot", "inner", "kron", "cross", "inv", "det", "slogdet", "solve",
    "matrix_power", "pinv", "lstsq", "cholesky", "eigh", "eigvalsh", "svd", "svdvals", "qr",
    "scatter_add", "scatter_subtract", "scatter_multiply", "scatter_maximum",
    "scatter_minimum", "fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "rfft2", "irfft2",
    "fftn", "ifftn", "rfftn", "irfftn", "fftshift", "ifftshift", "polygamma", "logsumexp",
    "softmax", "log_softmax", "partition", "diagflat", "convolve", "correlate", "interp",
    (getattr(np, "trapezoid", None) or np.trapz).__name__,
}
# (Several of these run on Dask for some arguments: those cases are checked like any other.)

# Cases (by the case function's name) whose function Dask runs, but whose gradient needs what
# a Dask array cannot do lazily: df raises a TangentLiteError saying so (or Dask raises), it
# never computes the array in this process.
NUMPY_ONLY = {
    "builtin_max_array": "builtin max() over an array's rows: picks one row by a comparison "
                         "the whole array takes part in",
    "masked": "x[x > 0]: the selected count is unknown to Dask until computed (nan chunks), "
              "so the gradient cannot be written back lazily (a TangentLiteError says so)",
    "r_median": "np.median: its gradient sorts (np.sort is not in Dask)",
    "median_rows": "np.median: its gradient sorts (np.sort is not in Dask)",
    "r_nanmedian": "np.nanmedian: its gradient sorts (np.sort is not in Dask)",
    "cumprod": "np.cumprod: its exact gradient at zeros runs a loop of writes along the axis",
    "cumprod_all": "np.cumprod: its exact gradient at zeros runs a loop of writes along the axis",
    "nancumprod": "np.nancumprod: as np.cumprod",
    "pad_mode": "np.pad with 'edge'/'reflect'/'symmetric'/'wrap': gathering the copies is "
                "np.bincount over element numbers",
    "delete": "np.delete: writes at the kept positions (integer-array assignment)",
    "insert": "np.insert: gathers with np.bincount over element numbers",
    "vdot": "np.vdot reshapes a (2, 3) gradient to (3, 2), which Dask's reshape does not do "
            "across chunks",
}

# Of those, the ones tangent_lite itself must refuse with a TangentLiteError (Dask's own
# error, raised from deep inside the gradient, would not say what to write instead).
REFUSED = {"masked"}


class Materialised(AssertionError):
    pass


@pytest.fixture
def lazy_only(monkeypatch):
    """Turn a Dask array's conversion to NumPy of more than one number into an error: what a
    gradient computes must stay in the graph (single numbers, for a branch or a loop count,
    may be computed)."""
    convert = da.Array.__array__

    def guarded(self, *args, **kwargs):
        if self.size != 1:
            raise Materialised(f"a {self.shape} Dask array was converted to NumPy")
        return convert(self, *args, **kwargs)

    monkeypatch.setattr(da.Array, "__array__", guarded)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)   # Dask: "np.X is not implemented"
        yield


def to_dask(a):
    """A float array as a Dask array of two chunks along its first axis (one for 0-d)."""
    if not (isinstance(a, np.ndarray) and a.dtype.kind == "f"):
        return a
    if a.ndim and a.shape[0] >= 2:
        return da.from_array(a, chunks=(a.shape[0] // 2,) + a.shape[1:])
    return da.from_array(a)


def dask_args(c):
    return tuple(to_dask(a) for a in c.args)


def dask_runs(c):
    """Whether Dask runs the case's function itself (then its gradient must run too)."""
    try:
        value = c.f(*dask_args(c))
        if hasattr(value, "compute"):
            value.compute()
    except Exception:
        return False
    return True


def assert_same(got, want, x):
    if isinstance(x, da.Array):
        assert type(got) is da.Array, type(got)
        assert got.shape == x.shape and got.dtype == x.dtype
        got = got.compute()
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-9, atol=1e-12)


def check_grad_on_dask(c):
    want = c.grads(tangent_lite.grad(c.f, wrt=c.wrt_arg)(*c.args))
    args = dask_args(c)
    got = c.grads(tangent_lite.grad(c.f, wrt=c.wrt_arg)(*args))
    for i, g, w in zip(c.wrt, got, want):
        assert_same(g, w, args[i])


def raised_by_dask(e):
    """Whether Dask itself raised `e` (a function or argument it does not support)."""
    tb = e.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return "dask" in tb.tb_frame.f_code.co_filename


def primitive_name(p):
    return getattr(p.func, "__name__", str(p.func))


# The differentiable functions users call (the runtime's scatter_add and friends are what
# np.add.at and the other ufunc.at compile to: they have cases too). getattr (fields of
# namedtuples and dataclasses) does no array math: tests/test_pytrees.py covers it.
KEYED = {c.prim for c in ALL_CASES}
PUBLIC = [p for p in all_primitives()
          if (p.adjoint is not None or p.tangent is not None) and p.func is not getattr
          and (not rule_checks.runtime_helper(p.func) or p.func in KEYED)]


def cases_of(prim, most=3):
    """Up to `most` cases of `prim` whose function Dask runs (each of another case function
    where there are several), and whether it has cases at all."""
    mine = [c for c in ALL_CASES if c.prim is prim.func]
    runs = [c for c in mine if dask_runs(c)]
    seen, out = set(), []
    for c in runs:   # another function first, then more of the same
        if c.f.__name__ not in seen:
            seen.add(c.f.__name__)
            out.append(c)
    out += [c for c in runs if not any(c is o for o in out)]
    return out[:most], bool(mine)


@pytest.mark.parametrize("prim", PUBLIC, ids=primitive_name)
def test_every_rule_on_dask(prim, lazy_only):
    cases, any_case = cases_of(prim)
    assert any_case, f"{prim.name} has no case in the rule tests"
    for c in cases:
        if c.f.__name__ in NUMPY_ONLY:   # right, or refused: never computed, never wrong
            try:
                check_grad_on_dask(c)
            except (Materialised, AssertionError):
                raise
            except Exception as e:
                assert isinstance(e, tangent_lite.TangentLiteError) or (
                    raised_by_dask(e) and c.f.__name__ not in REFUSED), repr(e)
            continue
        check_grad_on_dask(c)
    if not cases:
        assert primitive_name(prim) in DASK_LACKS, (
            f"Dask runs none of the cases of {prim.name}: list it in DASK_LACKS, with the reason")


def test_the_lists_name_real_cases():
    names = {c.f.__name__ for c in ALL_CASES}
    assert set(NUMPY_ONLY) <= names, set(NUMPY_ONLY) - names
    assert REFUSED <= set(NUMPY_ONLY)
    prims = {primitive_name(p) for p in PUBLIC}
    assert DASK_LACKS <= prims, DASK_LACKS - prims


def test_numpy_only_gradients_refuse_with_a_message(lazy_only):
    x = da.from_array(np.array([3.0, 1.0, 2.0, 5.0]), chunks=2)
    with pytest.raises(tangent_lite.TangentLiteError, match="NumPy arrays only.*compute"):
        tangent_lite.grad(lambda v: np.sum(np.median(v, axis=0, keepdims=True)))(x)


# ---- copies, flattening and boolean masks (the edges of issue 16) ---------------------------
# x.copy(), x.flatten(), x.ravel() and x.reshape(-1) run lazily, their gradient equal to
# NumPy's; a boolean-mask selection has a size Dask knows only by computing it, so its gradient
# is refused with a TangentLiteError that says what to write instead.

def copied_method(x):
    y = x.copy()
    return np.sum(y * x) + np.sum(np.tanh(y.copy()))


def copied_then_written(x):
    y = x.copy()
    y = y * 2.0 + x[::-1]
    return np.sum(y ** 2)


def flattened(x):
    f = x.flatten()
    return np.sum(f * np.sin(f)) + np.sum(x.flatten() ** 2) * 0.5


def raveled(x):
    r = x.ravel()
    return np.sum(np.exp(-r * r)) + np.sum(np.ravel(x) * 3.0)


def reshaped_flat(x):
    return np.sum(x.reshape(-1) ** 3) + np.sum(x.T.reshape(-1)[:4])


@pytest.mark.parametrize("f", [copied_method, copied_then_written, flattened, raveled,
                               reshaped_flat], ids=lambda f: f.__name__)
def test_copies_and_flattening_stay_lazy(f, lazy_only):
    x = np.random.default_rng(11).normal(size=(6, 4))
    want = tangent_lite.grad(f)(x)
    for chunks in ((3, 4), (2, 2)):
        got = tangent_lite.grad(f)(da.from_array(x, chunks=chunks))
        assert type(got) is da.Array
        np.testing.assert_allclose(got.compute(), want, rtol=1e-10, atol=1e-12)
    value, tangent = tangent_lite.jvp(f, (da.from_array(x, chunks=(3, 4)),), (np.ones_like(x),))
    np.testing.assert_allclose(float(tangent), np.sum(want), rtol=1e-10)


def test_copies_and_flattening_reference_against_finite_differences():
    from helpers import check_grad
    x = np.random.default_rng(11).normal(size=(6, 4))
    for f in (copied_method, copied_then_written, flattened, raveled, reshaped_flat):
        check_grad(f, x)


def masked_square(x):
    return np.sum(x[x > 0] ** 2)


def masked_named(x):
    keep = x > 0.3
    picked = x[keep]
    return np.mean(np.tanh(picked)) + np.sum(picked * picked)


def masked_method(x):
    return x[x < 0].sum() * 2.0


@pytest.mark.parametrize("f", [masked_square, masked_named, masked_method],
                         ids=lambda f: f.__name__)
def test_boolean_mask_is_refused_not_computed(f, lazy_only):
    x = da.from_array(np.random.default_rng(2).normal(size=(6, 4)), chunks=(3, 4))
    with pytest.raises(tangent_lite.TangentLiteError,
                       match=r"boolean mask.*cannot run lazily.*np\.where"):
        tangent_lite.grad(f)(x)


def masked_as_where(x):
    # what the refusal says to write instead of masked_square: the same value and gradient
    return np.sum(np.where(x > 0, x, 0.0) ** 2)


def test_the_suggested_rewrite_runs_lazily(lazy_only):
    x = np.random.default_rng(2).normal(size=(6, 4))
    want = tangent_lite.grad(masked_square)(x)
    np.testing.assert_allclose(tangent_lite.grad(masked_as_where)(x), want)
    got = tangent_lite.grad(masked_as_where)(da.from_array(x, chunks=(3, 4)))
    assert type(got) is da.Array
    np.testing.assert_allclose(got.compute(), want, rtol=1e-12)


# ---- the families the issue names, in more than one style, under grad, vjp and jvp ----------

def elementwise(x):
    return np.sum(np.tanh(x) * np.exp(-x * x) + np.sqrt(1.0 + x ** 2) / (2.0 + np.sin(x)))


def relu_layer(x):
    h = np.maximum(x, 0.0)
    return (h * h).sum()


def reductions(x):
    centred = x - x.mean(axis=0, keepdims=True)
    return np.sum(np.var(x, axis=1)) + np.max(x) * np.std(centred) + np.prod(x[:2, 0])


def linear_algebra(x, w):
    z = x @ w
    return np.sum(np.dot(x.T, z) ** 2) + np.linalg.norm(z)


def indexing(x):
    rows = x[np.array([0, 2, 2, 5])]          # a repeated row: gradients add up
    return np.sum(rows ** 2) + np.sum(x[1:, ::-1][:, 0]) + x[-1, 1] * np.sum(x[..., None, 2])


def concatenated(x):
    y = np.concatenate([x, 2.0 * x[:3]], axis=0)
    return np.sum(np.transpose(y) @ y)


FAMILIES = [(elementwise, (0,)), (relu_layer, (0,)), (reductions, (0,)),
            (linear_algebra, (0, 1)), (indexing, (0,)), (concatenated, (0,))]


def data(f):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(8, 3)) + 0.1
    return (x, rng.normal(size=(3, 2))) if f is linear_algebra else (x,)


@pytest.mark.parametrize("f,wrt", FAMILIES, ids=lambda v: getattr(v, "__name__", ""))
def test_grad_on_dask_equals_numpy(f, wrt, lazy_only):
    args = data(f)
    want = tangent_lite.grad(f, wrt=wrt)(*args)
    # Dask data with NumPy weights (the weights' gradient comes back as NumPy), and all Dask
    dargs = tuple(da.from_array(a, chunks=(3,) + a.shape[1:]) if k == 0 else a
                  for k, a in enumerate(args))
    for every in (dargs, tuple(da.from_array(a, chunks=2) for a in args)):
        got = tangent_lite.grad(f, wrt=wrt)(*every)
        for k, (g, w) in enumerate(zip(got, want)):
            assert type(g) is type(every[k])
            np.testing.assert_allclose(np.asarray(g) if isinstance(g, np.ndarray)
                                       else g.compute(), w, rtol=1e-10, atol=1e-12)


def test_numpy_gradients_agree_with_finite_differences():
    """The reference the Dask runs are compared with is itself right."""
    from helpers import check_grad
    for f, wrt in FAMILIES:
        check_grad(f, *data(f), wrt=wrt if len(wrt) > 1 else wrt[0])


@pytest.mark.parametrize("f,wrt", FAMILIES, ids=lambda v: getattr(v, "__name__", ""))
def test_vjp_and_jvp_on_dask(f, wrt, lazy_only):
    args = data(f)
    dargs = tuple(da.from_array(a, chunks=2) for a in args)
    value, pullback = tangent_lite.vjp(f, *dargs, wrt=wrt)
    np.testing.assert_allclose(float(value), f(*args), rtol=1e-12)
    got = pullback(2.0)
    want = tangent_lite.vjp(f, *args, wrt=wrt)[1](2.0)
    for g, w in zip(got, want):
        assert type(g) is da.Array
        np.testing.assert_allclose(g.compute(), w, rtol=1e-10, atol=1e-12)
    rng = np.random.default_rng(3)
    tangents = [rng.normal(size=a.shape) for a in args]
    _, want_t = tangent_lite.jvp(f, args, tangents)
    value, got_t = tangent_lite.jvp(f, dargs, [da.from_array(t, chunks=2) for t in tangents])
    np.testing.assert_allclose(np.asarray(got_t.compute() if hasattr(got_t, "compute")
                                          else got_t), want_t, rtol=1e-10, atol=1e-12)


def test_gradient_stays_lazy_and_chunked_like_the_argument(lazy_only):
    x = da.from_array(np.random.default_rng(0).normal(size=(40, 3)), chunks=(5, 3))
    g = tangent_lite.grad(elementwise)(x)
    assert type(g) is da.Array and g.chunks == x.chunks
    g32 = tangent_lite.grad(elementwise)(x.astype(np.float32))
    assert g32.dtype == np.float32 and type(g32) is da.Array


# ---- what cannot be decided lazily: loops and branches on array values -----------------------
# A `while` condition or an `if` on an array's values needs a number now: df computes just that
# number (a 0-d Dask array's bool(): Dask runs the part of the graph it depends on, and nothing
# else reaches this process). The stack of the forward sweep holds lazy Dask arrays, so a loop
# over a Dask array's rows stays a graph (one piece per iteration: write loops over Dask data
# as array operations where you can).

def doubling(a):
    # the walkthrough's while-and-if (examples/walkthrough.py), made a scalar loss
    return np.sum(walkthrough.doubling(a) * a)


def rows_loop(X, w):
    total = 0.0
    for row in X:
        total = total + np.tanh(row @ w) ** 2
    return total


def recurrent(xs, h0, W):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
        if np.max(np.abs(h)) > 0.9:    # a branch on the state's values
            h = 0.5 * h
    return np.sum(h)


def control_flow_data():
    rng = np.random.default_rng(5)
    return [(doubling, (rng.normal(size=(6, 4)),), 0),
            (rows_loop, (rng.normal(size=(5, 3)), rng.normal(size=3)), (0, 1)),
            (recurrent, (rng.normal(size=(6, 3)), rng.normal(size=3),
                         rng.normal(size=(3, 3))), (0, 1, 2))]


@pytest.mark.parametrize("k", range(3), ids=["while-and-if", "loop-over-rows", "rnn-branch"])
def test_control_flow_on_dask_computes_only_numbers(k, lazy_only):
    f, args, wrt = control_flow_data()[k]
    want = tangent_lite.grad(f, wrt=wrt)(*args)
    got = tangent_lite.grad(f, wrt=wrt)(*[da.from_array(a, chunks=2) for a in args])
    want, got = (want, got) if isinstance(want, tuple) else ((want,), (got,))
    for g, w in zip(got, want):
        assert type(g) is da.Array    # still lazy: the guard allowed numbers only
        np.testing.assert_allclose(g.compute(), w, rtol=1e-10, atol=1e-12)


def test_control_flow_reference_against_finite_differences():
    from helpers import check_grad
    for f, args, wrt in control_flow_data():
        check_grad(f, *args, wrt=wrt)


def test_a_branch_on_a_whole_array_is_refused_as_numpy_refuses_it(lazy_only):
    def f(x):
        if x > 0:          # ambiguous for more than one element, in NumPy and in Dask
            return np.sum(x)
        return -np.sum(x)
    x = da.from_array(np.arange(1.0, 5.0), chunks=2)
    with pytest.raises((ValueError, TypeError, tangent_lite.TangentLiteError)):
        tangent_lite.grad(f)(x)
