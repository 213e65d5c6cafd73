"""Shape specialisation (optimize/specialise.py, analysis/concrete.py, specialiser.py): the
variant df compiled for the dtypes and shapes of the first call with arrays gives the generic
df's gradient, equal to central finite differences in float64; a call its guard does not fit
(another rank, dtype, type) runs the generic df; a new batch size generalises the variant."""
import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite import optimize
from tangent_lite.optimize import specialise
from tangent_lite.errors import TangentLiteError

from helpers import check_grad, numeric_grad


# ---- programs, written the way users write them, in several styles ---------------------------

def mlp_dot(W1, b1, W2, b2, x, y):
    h = np.tanh(np.dot(x, W1) + b1)
    out = np.dot(h, W2) + b2
    d = out - y
    return np.sum(d * d) / x.shape[0]


def mlp_at(W1, b1, W2, b2, x, y):
    h = np.maximum(x @ W1 + b1, 0.0)
    return np.mean((h @ W2 + b2 - y) ** 2)


def mlp_dict(params, x, y):
    h = np.tanh(x @ params["W1"] + params["b1"])
    return np.mean((h @ params["W2"] + params["b2"] - y) ** 2)


def rnn(W, U, b, h, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(np.dot(h, W) + np.dot(xs[t], U) + b)
    return np.sum(h * h)


def logreg(w, b, X, y):
    z = X @ w + b
    p = 1.0 / (1.0 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def layernorm(g, b, x):
    mu = np.mean(x, axis=-1, keepdims=True)
    var = np.mean((x - mu) ** 2, axis=-1, keepdims=True)
    y = (x - mu) / np.sqrt(var + 1e-5) * g + b
    return np.sum(y * y)


def softmax_xent(W, b, x, onehot):
    z = x @ W + b
    z = z - np.max(z, axis=1, keepdims=True)
    logp = z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.sum(onehot * logp) / len(x)


def rows_and_columns(a, r, c):
    return np.sum(np.sin(a * r + c) * a.T.T)


def growing(w, x):
    out = x
    for i in range(3):
        out = np.concatenate([out, out * w])
    return np.sum(out * out)


def masked(w, x):
    v = x[x > 0] * w
    return np.sum(v * v)


def sliced(w, x):
    a = x[:, 1:3] * w
    return np.sum(a[0] * a)


rng = np.random.default_rng(0)


def _mlp_args(batch, n_in=3, hidden=5):
    return [rng.normal(size=(n_in, hidden)), rng.normal(size=hidden),
            rng.normal(size=(hidden, 1)), rng.normal(size=1),
            rng.normal(size=(batch, n_in)), rng.normal(size=(batch, 1))]


def _rnn_args(batch):
    return [rng.normal(size=(4, 4)) * 0.5, rng.normal(size=(3, 4)), rng.normal(size=4),
            rng.normal(size=(batch, 4)), rng.normal(size=(6, batch, 3))]


def _layernorm_args(batch):
    return [rng.normal(size=5), rng.normal(size=5), rng.normal(size=(batch, 5))]


def _softmax_args(batch):
    onehot = np.eye(4)[rng.integers(0, 4, size=batch)]
    return [rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(batch, 3)), onehot]


def _logreg_args(batch):
    return [rng.normal(size=3), 0.3, rng.normal(size=(batch, 3)),
            (rng.uniform(size=batch) > 0.5).astype(float)]


CASES = [(mlp_dot, (0, 1, 2, 3), _mlp_args), (mlp_at, (0, 1, 2, 3), _mlp_args),
         (rnn, (0, 1, 2, 3), _rnn_args), (logreg, (0, 1), _logreg_args),
         (layernorm, (0, 1, 2), _layernorm_args), (softmax_xent, (0, 1), _softmax_args)]


def _generic(f, wrt, args):
    with optimize.disabled("specialise"):
        return tl.grad(f, wrt=wrt)(*args)


def _check(f, wrt, args, got):
    generic = _generic(f, wrt, args)
    for i, g, e in zip(wrt, got, generic):
        assert type(g) is type(e) and np.shape(g) == np.shape(args[i])
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(g, numeric_grad(f, args, i), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("f, wrt, make", CASES, ids=[c[0].__name__ for c in CASES])
def test_specialised_gradients_with_changing_batch(f, wrt, make):
    df = tl.grad(f, wrt=wrt)
    for batch in (8, 8, 5, 11, 1):
        args = make(batch)
        _check(f, wrt, args, df(*args))
    source = df.__tangent_lite__.specialiser.variant_for(make(7)).compiled.source
    assert "def fits_" in source and "_specialised(" in source
    # the batch became a symbol: one variant for every batch size, after sized ones (at most
    # MAX_VARIANTS) where each size's variant makes fewer calls than the generalised one
    specialiser = df.__tangent_lite__.specialiser
    *sized, general = specialiser.variants
    assert len(sized) <= specialise.MAX_VARIANTS
    assert any(isinstance(d, str) for e in general.signature if e[0] == "array" for d in e[2])
    for variant in sized:
        assert not any(isinstance(d, str) for e in variant.signature if e[0] == "array"
                       for d in e[2])
        assert variant.calls < general.calls


def test_the_variant_drops_identity_unbroadcasts_and_sums_a_bias():
    args = _mlp_args(16)
    source = tl.source(mlp_dot, wrt=(0, 1, 2, 3), specialised_for=tuple(args))
    variant = source.split("def grad_mlp_dot_specialised")[1]
    assert "unbroadcast(" not in variant
    assert "db1 = dt_add.sum(axis=0)" in variant
    assert "x.shape == (16, 3)" in source.split("def grad_")[0]
    generic = tl.source(mlp_dot, wrt=(0, 1, 2, 3))
    assert "specialise_mlp_dot(W1, b1, W2, b2, x, y)" in generic
    assert "unbroadcast(" in generic


def test_rnn_variant_pushes_no_shapes():
    args = _rnn_args(4)
    source = tl.source(rnn, wrt=(0, 1, 2, 3), specialised_for=tuple(args))
    assert "shaped(" not in source and "unbroadcast(" not in source
    assert "shaped(" in tl.source(rnn, wrt=(0, 1, 2, 3))


@pytest.mark.parametrize("change", ["rank", "dtype32", "int", "list", "float"])
def test_a_call_the_guard_does_not_fit_runs_the_generic_df(change):
    def f(W, b, x):
        return np.sum(np.tanh(x @ W + b) ** 2)
    df = tl.grad(f, wrt=(0, 1))
    W, b, x = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(6, 3))
    _check(f, (0, 1), [W, b, x], df(W, b, x))
    if change == "rank":
        x = rng.normal(size=3)
    elif change == "dtype32":
        W = W.astype(np.float32)
    elif change == "int":
        x = rng.integers(-2, 3, size=(6, 3))
    elif change == "list":
        x = x.tolist()
    elif change == "float":
        b = 0.5
    got = df(W, b, x)
    expected = _generic(f, (0, 1), [W, b, x])
    for g, e in zip(got, expected):
        assert type(g) is type(e) and getattr(g, "dtype", None) == getattr(e, "dtype", None)
        np.testing.assert_allclose(g, e, rtol=1e-6)
    if change != "dtype32":
        for i, g in zip((0, 1), got):
            np.testing.assert_allclose(g, numeric_grad(f, [W, b, x], i), rtol=1e-5,
                                       atol=1e-7)


def test_a_dask_array_runs_the_generic_df():
    da = pytest.importorskip("dask.array")
    df = tl.grad(logreg, wrt=(0, 1))
    args = _logreg_args(12)
    _check(logreg, (0, 1), args, df(*args))
    lazy = [args[0], args[1], da.from_array(args[2], chunks=6), args[3]]
    got = df(*lazy)
    for g, e in zip(got, _generic(logreg, (0, 1), args)):
        np.testing.assert_allclose(np.asarray(g), e, rtol=1e-10)


@pytest.mark.parametrize("rshape, cshape", [((1, 4), (4,)), ((4,), (3, 1)), ((3, 1), (1, 4)),
                                            ((3, 4), (1,)), ((1, 1), (3, 4))])
def test_broadcasting_near_misses(rshape, cshape):
    a = rng.normal(size=(3, 4))
    r, c = rng.normal(size=rshape), rng.normal(size=cshape)
    df = tl.grad(rows_and_columns, wrt=(0, 1, 2))
    for _ in range(2):
        _check(rows_and_columns, (0, 1, 2), [a, r, c], df(a, r, c))


def test_an_array_growing_in_a_loop_is_not_specialised_wrongly():
    df = tl.grad(growing, wrt=0)
    for n in (3, 3, 5):
        w, x = rng.normal(size=1), rng.normal(size=(n,))
        got = df(w, x)
        np.testing.assert_allclose(got, numeric_grad(growing, [w, x], 0), rtol=1e-5)


@pytest.mark.parametrize("f", [masked, sliced])
def test_data_dependent_and_sliced_shapes(f):
    df = tl.grad(f, wrt=0)
    for n in (4, 4, 6):
        w, x = rng.normal(size=(2,)) if f is sliced else rng.normal(size=1), \
            rng.normal(size=(n, 3))
        got = df(w, x)
        np.testing.assert_allclose(got, numeric_grad(f, [w, x], 0), rtol=1e-5, atol=1e-8)


def test_a_dict_of_parameters():
    def make(batch):
        W1, b1, W2, b2, x, y = _mlp_args(batch)
        return [dict(W1=W1, b1=b1, W2=W2, b2=b2), x, y]
    df = tl.grad(mlp_dict)
    for batch in (6, 9):
        params, x, y = make(batch)
        got = df(params, x, y)
        expected = _generic(mlp_dict, 0, [params, x, y])
        for k in params:
            np.testing.assert_allclose(got[k], expected[k], rtol=1e-12)


def test_value_and_grad_is_specialised_too():
    args = _mlp_args(6)
    value, grads = tl.value_and_grad(mlp_at, wrt=(0, 1, 2, 3))(*args)
    assert value == pytest.approx(mlp_at(*args))
    _check(mlp_at, (0, 1, 2, 3), args, grads)


def test_source_explains_when_there_is_no_variant():
    def f(x, b):
        return np.sum(np.sin(x + b))
    with pytest.raises(TangentLiteError, match="no variant specialised"):
        tl.source(f, specialised_for=([1.0, 2.0], 1.0))
    assert "x.shape == (3,)" in tl.source(f, specialised_for=(np.ones(3), np.ones(1)))
    with optimize.disabled("specialise"):
        with pytest.raises(TangentLiteError, match="no shape-specialised"):
            tl.source(f, specialised_for=(np.ones(3), np.ones(1)))

    def elementwise(x):
        return np.sum(np.sin(x) * 2.0)
    with pytest.raises(TangentLiteError, match="sums no gradient back"):
        tl.source(elementwise, specialised_for=(np.ones(3),))


def test_threads_calling_df_first_with_different_batches():
    import threading

    def f(W, b, x):
        return np.sum(np.tanh(x @ W + b) ** 2)
    df = tl.grad(f, wrt=(0, 1))
    W, b = rng.normal(size=(3, 4)), rng.normal(size=4)
    inputs = [rng.normal(size=(n, 3)) for n in (2, 3, 5, 7, 2, 9)]
    expected = [_generic(f, (0, 1), [W, b, x]) for x in inputs]
    got = [None] * len(inputs)

    def run(k):
        for _ in range(20):
            got[k] = df(W, b, inputs[k])
    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for g, e in zip(got, expected):
        for a, b_ in zip(g, e):
            np.testing.assert_allclose(a, b_, rtol=1e-12)
    assert len(df.__tangent_lite__.specialiser.variants) == 1


def test_zero_indices_axes_and_bounds_have_shapes():
    """0 == False: the analysis's "not a constant int" marker must be told from the int 0, or
    `x[0]`, `np.sum(x, axis=0)`, `x[0:2]` and `x[-0]` have no shape (a missed variant)."""
    import gast
    from tangent_lite import ir, pipeline
    from tangent_lite.analysis.concrete import ConcreteShapes
    from tangent_lite.analysis.shapes import resolver
    from tangent_lite.transforms.reverse import with_bindings

    def zeros(x):
        a = x[0]
        b = np.sum(x, axis=0)
        c = x[0:2]
        d = x[-0]
        e = np.mean(x, axis=(0, 1))
        z = x * 2.0
        return a, b, c, d, e, z

    parsed, _, bindings, fn = pipeline._front(zeros)
    facts = ConcreteShapes(fn, {"x": (4, 3)}, with_bindings(resolver(parsed), bindings.objects))
    last = [st for st in ir.walk(fn.body) if isinstance(st, ir.Assign) and st.op is not None
            and st.target == "z"][0]
    shape_of = facts.at(last)
    shapes = {n: shape_of(gast.Name(id=n, ctx=gast.Load(), annotation=None, type_comment=None))
              for n in "abcde"}
    assert shapes == {"a": (3,), "b": (3,), "c": (2, 3), "d": (3,), "e": ()}


def test_a_variant_through_zero_indices_and_axes():
    def loss(W, b, x):
        h = np.tanh(x[0] @ W + b)
        return np.sum(h * h) + np.sum(np.mean(x, axis=0) * b[0:3])

    rng = np.random.default_rng(11)
    W, b, x = rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=(5, 4, 3))
    check_grad(loss, W, b, x, wrt=(0, 1, 2))
    variant = tl.source(loss, wrt=(0, 1, 2), specialised_for=(W, b, x))
    assert "unbroadcast(" not in variant.split("_specialised(")[1]
