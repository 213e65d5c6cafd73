"""The public API: grad's wrt and signature handling, differentiate, source/show, the cache,
globals and closures, and the type/aliasing guarantees of the gradients df returns."""
import importlib
import inspect
import os
import sys
import traceback

import numpy as np
import pytest

import tangent_lite
from helpers import check_grad
from tangent_lite import InputError, TangentLiteError

RNG = np.random.default_rng(0)
X, Y, Z = (RNG.normal(size=3) for _ in range(3))

W = np.array([1.0, 2.0, 3.0])   # rebound by test_rebound_global_is_seen
act = np.sin                    # rebound by test_rebound_global_function_recompiles


def three(x, y, z):
    return np.sum(x * y * np.sin(z))


def with_defaults(x, scale=2.0, offset=1.0):
    return np.sum(scale * x * x + offset * x)


def kwonly(x, *, scale, power=2.0):
    return np.sum(scale * x ** power)


def posonly(x, /, y=1.0):
    return np.sum(x * y)


def clashing(x, dx, result, grad_like, t_mul, stack):
    return np.sum(x * dx * result * grad_like * t_mul * stack)


def make_scaled(c):
    def scaled(x):
        return np.sum(c * x * x)
    return scaled


sq = lambda x: x * x  # noqa: E731


def straight_line(A, x):
    rows, cols = A.shape
    h = np.tanh(A @ x) / rows
    return np.sum(h[1:] * A.T[0, 1:]) + cols


# Small one-line functions (E704 on purpose: one-line definitions must work too).
def square_sum(x): return np.sum(x * x)  # noqa: E704
def total(x): return np.sum(x)  # noqa: E704
def identity(x): return x  # noqa: E704
def add_sum(x, y): return np.sum(x + y)  # noqa: E704
def transposed(x): return x.T  # noqa: E704
def bad_wrt_target(x, y, z): return np.sum(x * y * z)  # noqa: E704
def uses_global(x): return np.sum(W * x)  # noqa: E704
def uses_global_function(x): return np.sum(act(x))  # noqa: E704
def matvec(A, x): return np.sum(A @ x)  # noqa: E704


# -- wrt ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("wrt", [0, 1, 2, -1, -3, "x", "y", "z", (0, "z"), ("y", -3), (2, 0, 1)])
def test_wrt_forms_match_finite_differences(wrt):
    got = check_grad(three, X, Y, Z, wrt=wrt)
    assert isinstance(got, tuple) == isinstance(wrt, tuple)


def test_one_element_tuple_wrt_gives_a_tuple():
    got = tangent_lite.grad(three, wrt=(1,))(X, Y, Z)
    assert isinstance(got, tuple) and len(got) == 1
    np.testing.assert_allclose(got[0], X * np.sin(Z))


@pytest.mark.parametrize("wrt", [3, -4, 100, "w", "X", (0, 5), (0, "x"), (1, 1), ("z", -1),
                                 True, False, (0, True), 1.0, None, [0.5]])
def test_bad_wrt_raises(wrt):
    with pytest.raises(TangentLiteError):
        tangent_lite.grad(bad_wrt_target, wrt=wrt)   # compiled nowhere else in this file


@pytest.mark.parametrize("good, bad", [(1, True), (0, False), (1, 1.0), ((0, 1), (False, True))])
def test_bad_wrt_raises_even_when_an_equal_key_is_cached(good, bad):
    tangent_lite.grad(three, wrt=good)  # True == 1 and hash(True) == hash(1)
    with pytest.raises(TangentLiteError):
        tangent_lite.grad(three, wrt=bad)


def test_bad_wrt_message_names_the_argument_and_function():
    with pytest.raises(TangentLiteError) as info:
        tangent_lite.grad(three, wrt="w")
    assert "'w'" in str(info.value) and "three" in str(info.value)


def test_bad_wrt_message_names_file_and_line():
    # The contract: every message names file:line (here, where the function is defined).
    line = inspect.getsourcelines(three)[1]
    with pytest.raises(TangentLiteError) as info:
        tangent_lite.grad(three, wrt=7)
    assert f"{os.path.basename(__file__)}:{line}" in str(info.value)


# -- signature and defaults ------------------------------------------------------------------------

def _params(f):
    return [(p.name, p.kind, p.default) for p in inspect.signature(f).parameters.values()]


@pytest.mark.parametrize("f", [three, with_defaults, kwonly, posonly, sq])
def test_df_has_the_signature_of_f(f):
    assert _params(tangent_lite.grad(f)) == _params(f)


def test_parameter_names_that_clash_with_generated_names():
    args = [np.array([1.0, 2.0]) + k for k in range(6)]
    df = tangent_lite.grad(clashing, wrt=(0, 1, 2, 3, 4, 5))
    assert _params(df) == _params(clashing)
    for k, g in enumerate(df(*args)):
        np.testing.assert_allclose(g, np.prod(args, axis=0) / args[k])
    np.testing.assert_allclose(tangent_lite.grad(three)(x=X, y=Y, z=Z), Y * np.sin(Z))


def test_defaults_are_honoured():
    x = np.array([0.5, -1.0, 2.0])
    df = tangent_lite.grad(with_defaults)
    np.testing.assert_allclose(df(x), 4 * x + 1)
    np.testing.assert_allclose(df(x, 3.0), 6 * x + 1)
    np.testing.assert_allclose(df(x, offset=-2.0), 4 * x - 2)
    dscale, doffset = tangent_lite.grad(with_defaults, wrt=("scale", "offset"))(x)
    assert dscale == pytest.approx(np.sum(x * x)) and doffset == pytest.approx(np.sum(x))
    check_grad(with_defaults, x, 0.7, -0.2, wrt=(0, 1, 2))


def test_keyword_only_arguments():
    x = np.array([0.5, 1.5, 2.0])
    df = tangent_lite.grad(kwonly)
    np.testing.assert_allclose(df(x, scale=3.0), 6.0 * x)
    np.testing.assert_allclose(df(x, scale=3.0, power=3.0), 9.0 * x ** 2)
    with pytest.raises(TypeError):
        df(x, 3.0)   # scale is keyword-only in f, so it is in df
    dscale = tangent_lite.grad(kwonly, wrt="scale")(x, scale=3.0)
    assert dscale == pytest.approx(np.sum(x ** 2))


def test_positional_only_arguments():
    x = np.array([0.5, 1.5])
    df = tangent_lite.grad(posonly)
    np.testing.assert_allclose(df(x), np.ones(2))
    np.testing.assert_allclose(df(x, 4.0), 4.0 * np.ones(2))
    with pytest.raises(TypeError):
        df(x=x)      # x is positional-only in f, so it is in df


# -- differentiate ------------------------------------------------------------------------------

@tangent_lite.differentiate
def deco_plain(x):
    return np.sum(np.sin(x))


@tangent_lite.differentiate(wrt=("x", 1))
def deco_wrt(x, y):
    return np.sum(x * x * y)


def test_decorated_function_still_computes_f():
    assert deco_plain(X) == pytest.approx(np.sum(np.sin(X)))
    assert deco_wrt(X, Y) == pytest.approx(np.sum(X * X * Y))
    assert deco_plain.__name__ == "deco_plain"


def test_decorator_grad_source_and_df():
    np.testing.assert_allclose(deco_plain.grad(X), np.cos(X))
    gx, gy = deco_wrt.grad(X, Y)
    np.testing.assert_allclose(gx, 2 * X * Y)
    np.testing.assert_allclose(gy, X * X)
    assert "def " in deco_plain.source and "def " in deco_wrt.source
    assert callable(deco_plain.df) and callable(deco_wrt.df)
    np.testing.assert_allclose(deco_plain.df(X), np.cos(X))
    assert deco_wrt.source == tangent_lite.source(deco_wrt, wrt=("x", 1))


@pytest.mark.parametrize("form", ["plain", "called"])
def test_decorator_grad_before_and_after_first_use(form):
    def cube(x):
        return np.sum(x ** 3)
    d = tangent_lite.differentiate(cube) if form == "plain" else \
        tangent_lite.differentiate(wrt=0)(cube)
    for _ in range(3):
        np.testing.assert_allclose(d.grad(X), 3 * X ** 2)
    assert d(X) == pytest.approx(np.sum(X ** 3))
    np.testing.assert_allclose(d.df(Y), 3 * Y ** 2)


def test_grad_of_a_decorated_function():
    np.testing.assert_allclose(tangent_lite.grad(deco_plain)(X), np.cos(X))


# -- source and show ------------------------------------------------------------------------

def test_source_and_show(capsys):
    text = tangent_lite.source(three, wrt=(0, 2))
    assert text.startswith("def ") and "np.sin" in text
    tangent_lite.show(three, wrt=(0, 2))
    assert capsys.readouterr().out == text
    assert tangent_lite.source(three, wrt=(0, 2)) == text
    assert tangent_lite.source(three, wrt=0) != text


# -- the cache --------------------------------------------------------------------------------

def _write_module(tmp_path, name, body):
    path = tmp_path / f"{name}.py"
    path.write_text("import numpy as np\n\n\n" + body)
    return path


def _import(tmp_path, name, reload=None):
    sys.path.insert(0, str(tmp_path))
    try:
        importlib.invalidate_caches()
        return importlib.reload(reload) if reload else importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))


def test_cache_returns_the_same_df_without_rereading_source(tmp_path):
    name = "tl_cache_mod"
    path = _write_module(tmp_path, name, "def f(x):\n    return np.sum(x * x * x)\n")
    mod = _import(tmp_path, name)
    try:
        df = tangent_lite.grad(mod.f)
        assert tangent_lite.grad(mod.f) is df
        assert tangent_lite.grad(three, wrt=(0, 2)) is tangent_lite.grad(three, wrt=(0, 2))
        text = tangent_lite.source(mod.f)
        path.write_text("this is not python\n")   # a re-read would fail
        import linecache
        linecache.clearcache()
        assert tangent_lite.grad(mod.f) is df
        assert tangent_lite.source(mod.f) == text
        np.testing.assert_allclose(tangent_lite.grad(mod.f)(X), 3 * X ** 2)
    finally:
        sys.modules.pop(name, None)


def test_redefinition_gives_a_new_df(tmp_path):
    name = "tl_redefine_mod"
    _write_module(tmp_path, name, "def f(x):\n    return np.sum(x * x)\n")
    mod = _import(tmp_path, name)
    try:
        old_f = mod.f
        old_df = tangent_lite.grad(old_f)
        np.testing.assert_allclose(old_df(X), 2 * X)
        _write_module(tmp_path, name, "def f(x):\n    return np.sum(np.sin(x) * 5.0)\n")
        mod = _import(tmp_path, name, reload=mod)
        new_df = tangent_lite.grad(mod.f)
        assert new_df is not old_df
        np.testing.assert_allclose(new_df(X), 5.0 * np.cos(X))
        assert tangent_lite.grad(old_f) is old_df    # the old function keeps its gradient
        np.testing.assert_allclose(old_df(X), 2 * X)
    finally:
        sys.modules.pop(name, None)


def test_same_name_defined_twice_in_one_file(tmp_path):
    name = "tl_twice_mod"
    _write_module(tmp_path, name, "def f(x):\n    return np.sum(x * x)\n\n\nfirst = f\n\n\n"
                                  "def f(x):\n    return np.sum(x * x * x)\n")
    mod = _import(tmp_path, name)
    try:
        np.testing.assert_allclose(tangent_lite.grad(mod.first)(X), 2 * X)
        np.testing.assert_allclose(tangent_lite.grad(mod.f)(X), 3 * X ** 2)
    finally:
        sys.modules.pop(name, None)


def test_rebound_global_is_seen(monkeypatch):
    x = np.array([0.1, 0.2, 0.3])
    df = tangent_lite.grad(uses_global)
    np.testing.assert_allclose(df(x), W)
    new = np.array([-4.0, 5.0, 0.5])
    monkeypatch.setitem(globals(), "W", new)
    np.testing.assert_allclose(df(x), new)                            # looked up live
    np.testing.assert_allclose(tangent_lite.grad(uses_global)(x), new)


def test_rebound_global_function_recompiles(monkeypatch):
    np.testing.assert_allclose(tangent_lite.grad(uses_global_function)(X), np.cos(X))
    monkeypatch.setitem(globals(), "act", np.tanh)
    np.testing.assert_allclose(tangent_lite.grad(uses_global_function)(X),
                               1 - np.tanh(X) ** 2)


# -- closures and lambdas ---------------------------------------------------------------------

def test_closures():
    f2, f5 = make_scaled(2.0), make_scaled(5.0)
    np.testing.assert_allclose(tangent_lite.grad(f2)(X), 4.0 * X)
    np.testing.assert_allclose(tangent_lite.grad(f5)(X), 10.0 * X)
    check_grad(make_scaled(-1.5), X)


def test_module_level_lambda():
    np.testing.assert_allclose(tangent_lite.grad(sq)(X), 2 * X)
    assert tangent_lite.grad(sq)(3.0) == pytest.approx(6.0)


@pytest.mark.parametrize("wrt", [1, 0, (0, 1)])
def test_straight_line_language(wrt):
    # `rows, cols = A.shape` unpacks an inactive value even when A is differentiated.
    A = RNG.normal(size=(4, 3))
    check_grad(straight_line, A, X, wrt=wrt)


# -- properties of the gradients ----------------------------------------------------------------

def test_float32_in_float32_out():
    x = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    g = tangent_lite.grad(square_sum)(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, 2 * x)


def test_python_float_in_float_out():
    g = tangent_lite.grad(sq)(1.5)
    assert type(g) is float and g == 3.0
    gx, gy = tangent_lite.grad(add_sum, wrt=(0, 1))(1.5, 2.0)
    assert type(gx) is float and type(gy) is float and gx == gy == 1.0


def test_zero_d_array_in_zero_d_array_out():
    g = tangent_lite.grad(square_sum)(np.array(1.5))
    assert type(g) is np.ndarray and g.ndim == 0 and g == 3.0


def test_inputs_are_not_mutated():
    A, x = RNG.normal(size=(3, 3)), RNG.normal(size=3)
    A0, x0 = A.copy(), x.copy()
    tangent_lite.grad(matvec, wrt=(0, 1))(A, x)
    tangent_lite.grad(three, wrt=(0, 1, 2))(x, x, x)
    tangent_lite.grad(add_sum, wrt=(0, 1))(A, x)
    tangent_lite.grad(identity)(x)
    np.testing.assert_array_equal(A, A0)
    np.testing.assert_array_equal(x, x0)


@pytest.mark.parametrize("f, expected", [
    (total, lambda x: np.ones_like(x)),
    (identity, lambda x: np.ones_like(x)),
    (square_sum, lambda x: 2 * x),
    (transposed, lambda x: np.ones_like(x)),
])
def test_gradients_are_fresh_and_writable(f, expected):
    x = RNG.normal(size=(2, 3))
    df = tangent_lite.grad(f)
    first = df(x)
    assert first.flags.writeable and first is not x
    assert not np.shares_memory(first, x)
    first[...] = 99.0
    second = df(x)
    assert second is not first
    np.testing.assert_allclose(second, expected(x))


def test_shared_gradient_objects_are_returned_apart():
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    gx, gy = tangent_lite.grad(add_sum, wrt=(0, 1))(x, y)
    assert gx is not gy and not np.shares_memory(gx, gy)
    gx[0] = 42.0
    np.testing.assert_array_equal(gy, np.ones(2))
    np.testing.assert_array_equal(gx, [42.0, 1.0])


@pytest.mark.parametrize("bad", [3, np.array([1, 2, 3]), np.int64(4)])
def test_integer_wrt_argument_raises_input_error(bad):
    with pytest.raises(InputError) as info:
        tangent_lite.grad(sq)(bad)
    assert "'x'" in str(info.value) and "float" in str(info.value)
    assert isinstance(info.value, TangentLiteError)


def test_unused_wrt_argument_gets_zeros():
    x, y = np.array([1.0, 2.0]), np.ones((2, 3))
    def f(x, y):  # noqa: E306 - defined here on purpose: local functions have source too
        return np.sum(x * x)
    g = tangent_lite.grad(f, wrt=1)(x, y)
    assert type(g) is np.ndarray and g.shape == (2, 3) and g.dtype == np.float64
    np.testing.assert_array_equal(g, np.zeros((2, 3)))
    gx, gy = tangent_lite.grad(f, wrt=(0, 1))(x, y)
    np.testing.assert_allclose(gx, 2 * x)
    np.testing.assert_array_equal(gy, np.zeros((2, 3)))
    assert tangent_lite.grad(f, wrt=1)(x, 2.5) == 0.0


def test_nan_propagates_as_in_numpy():
    x = np.array([np.nan, 1.0, -2.0])
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(tangent_lite.grad(square_sum)(x), 2 * x)
        np.testing.assert_array_equal(tangent_lite.grad(deco_plain)(x), np.cos(x))
        gx, gy = tangent_lite.grad(three, wrt=(0, 2))(x, Y, Z)
    np.testing.assert_array_equal(gx, Y * np.sin(Z))
    assert np.isnan(gy[0]) and not np.isnan(gy[1:]).any()


# -- tracebacks -----------------------------------------------------------------------------------

def test_traceback_shows_the_generated_line():
    df = tangent_lite.grad(matvec)
    lines = [line.strip() for line in tangent_lite.source(matvec).splitlines()]
    forward = next(line for line in lines if "A @ x" in line and not line.startswith("#"))
    try:
        df(np.ones((2, 3)), np.ones(4))
    except ValueError:
        text = traceback.format_exc()
    else:
        pytest.fail("a shape mismatch in the generated matmul should raise ValueError")
    assert forward in text
