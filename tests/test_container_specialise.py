"""Shape specialisation of parameters passed as a dict, tuple or list of arrays
(optimize/specialise.py, analysis/concrete.py): the guard checks every entry's type, dtype and
shape (and a dict's keys), so `params["W1"]` and `xs[t]` have known shapes and the variant drops
or writes out the unbroadcasts as for plain array parameters. Gradients equal central finite
differences in float64, float32 entries give float32 gradients, and a call with other keys,
entries, shapes or types runs the generic df and is still right."""
import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite import optimize

from helpers import numeric_grad

rng = np.random.default_rng(11)


def mlp_dict(params, x, y):
    h = np.tanh(x @ params["W1"] + params["b1"])
    return np.mean((h @ params["W2"] + params["b2"] - y) ** 2)


def mlp_dict_dot(params, x, y):
    W1, b1 = params["W1"], params["b1"]
    h = np.maximum(np.dot(x, W1) + b1, 0.0)
    d = np.dot(h, params["W2"]) + params["b2"] - y
    return np.sum(d * d) / x.shape[0]


def layer_tuple(layer, x, y):
    W, b = layer
    return np.sum((np.tanh(np.dot(x, W) + b) - y) ** 2)


def rnn_list(W, b, xs, h):
    for t in range(len(xs)):
        h = np.tanh(np.dot(h, W) + xs[t] + b)
    return np.sum(h * h)


def _params(dtype=np.float64, n_in=3, hidden=5, n_out=2):
    return {"W1": rng.normal(size=(n_in, hidden)).astype(dtype),
            "b1": rng.normal(size=hidden).astype(dtype),
            "W2": rng.normal(size=(hidden, n_out)).astype(dtype),
            "b2": rng.normal(size=n_out).astype(dtype)}


def _mlp(dtype=np.float64, batch=6):
    return [_params(dtype), rng.normal(size=(batch, 3)).astype(dtype),
            rng.normal(size=(batch, 2)).astype(dtype)]


def _layer(dtype=np.float64, batch=6):
    return [(rng.normal(size=(3, 4)).astype(dtype), rng.normal(size=4).astype(dtype)),
            rng.normal(size=(batch, 3)).astype(dtype), rng.normal(size=(batch, 4)).astype(dtype)]


def _rnn(dtype=np.float64, batch=3):
    return [(0.5 * rng.normal(size=(4, 4))).astype(dtype), rng.normal(size=4).astype(dtype),
            [rng.normal(size=(batch, 4)).astype(dtype) for _ in range(5)],
            rng.normal(size=(batch, 4)).astype(dtype)]


CASES = [(mlp_dict, 0, _mlp), (mlp_dict_dot, 0, _mlp), (layer_tuple, 0, _layer),
         (rnn_list, (0, 1), _rnn)]
IDS = [c[0].__name__ for c in CASES]


def _leaves(g):
    if isinstance(g, dict):
        return [g[k] for k in sorted(g)]
    if isinstance(g, (tuple, list)):
        return [leaf for e in g for leaf in _leaves(e)]
    return [g]


def _numeric(f, args, i):
    """Central differences for each leaf of args[i] (a container or an array)."""
    x = args[i]
    if isinstance(x, np.ndarray):
        return [numeric_grad(f, args, i)]
    keys = sorted(x) if isinstance(x, dict) else range(len(x))
    out = []
    for k in keys:
        def g(leaf, *rest, k=k):
            c = dict(x) if isinstance(x, dict) else list(x)
            c[k] = leaf
            c = c if not isinstance(x, tuple) else tuple(c)
            a = list(args)
            a[i] = c
            return f(*a)
        out.append(numeric_grad(g, [x[k]] + list(args), 0))
    return out


def _generic(f, wrt, args):
    with optimize.disabled("specialise"):
        return tl.grad(f, wrt=wrt)(*args)


def _check(f, wrt, args, got, exact=True):
    wrts = wrt if isinstance(wrt, tuple) else (wrt,)
    gots = got if isinstance(wrt, tuple) else (got,)
    expected = _generic(f, wrt, args)
    expected = expected if isinstance(wrt, tuple) else (expected,)
    for i, g, e in zip(wrts, gots, expected):
        assert type(g) is type(e)
        for a, b in zip(_leaves(g), _leaves(e)):
            assert type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_allclose(a, b, rtol=1e-12 if exact else 1e-5, atol=1e-13)
        if exact:
            for a, n in zip(_leaves(g), _numeric(f, args, i)):
                np.testing.assert_allclose(a, n, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("f, wrt, make", CASES, ids=IDS)
def test_container_parameters_are_specialised(f, wrt, make):
    df = tl.grad(f, wrt=wrt)
    for batch in (6, 6, 4, 9):
        args = make(batch=batch)
        _check(f, wrt, args, df(*args))
    source = tl.source(f, wrt, specialised_for=make(batch=5))
    guard, variant = source.split("def grad_")
    assert "unbroadcast(" not in variant and "shaped(" not in variant
    assert "dtype is float64" in guard and "len(" in guard


def test_the_guard_checks_a_dicts_keys_and_entries():
    source = tl.source(mlp_dict, 0, specialised_for=_mlp())
    assert "type(params) is dict and len(params) == 4" in source
    assert "tuple(params) == ('W1', 'b1', 'W2', 'b2')" in source
    assert "params['W1'].shape == (3, 5)" in source
    assert "params: {'W1': float64[3, 5]" in source


@pytest.mark.parametrize("f, wrt, make", CASES, ids=IDS)
def test_float32_entries_give_float32_gradients(f, wrt, make):
    args = make(np.float32)
    got = tl.grad(f, wrt=wrt)(*args)
    assert "def fits_" in tl.source(f, wrt, specialised_for=args)
    for leaf in _leaves(got):
        assert leaf.dtype == np.float32
    _check(f, wrt, args, got, exact=False)


def _changed(change):
    args = _mlp()
    params = dict(args[0])
    if change == "order":
        params = {k: params[k] for k in ("b1", "W1", "W2", "b2")}
    elif change == "extra":
        params["unused"] = np.ones(3)
    elif change == "shape":    # a wider hidden layer: other shapes, the same ranks
        params = _params(hidden=7)
    elif change == "dtype":
        params["b1"] = params["b1"].astype(np.float32)
    elif change == "float":
        params["b2"] = 0.25
    args[0] = params
    return args


@pytest.mark.parametrize("change", ["order", "extra", "shape", "dtype", "float"])
def test_a_dict_the_guard_does_not_fit_is_still_right(change):
    df = tl.grad(mlp_dict)
    first = _mlp()
    _check(mlp_dict, 0, first, df(*first))
    args = _changed(change)
    got = df(*args)
    expected = _generic(mlp_dict, 0, args)
    assert sorted(got) == sorted(expected)
    for k in got:
        assert type(got[k]) is type(expected[k])
        np.testing.assert_allclose(got[k], expected[k], rtol=1e-6)
    if change != "dtype":
        for k, n in zip(sorted(args[0]), _numeric(mlp_dict, args, 0)):
            np.testing.assert_allclose(got[k], n, rtol=1e-5, atol=1e-7)


def test_a_list_of_other_lengths_or_entries_runs_the_generic_df():
    df = tl.grad(rnn_list, wrt=(0, 1))
    args = _rnn()
    _check(rnn_list, (0, 1), args, df(*args))
    for xs in (args[2][:3], args[2][:4] + [args[2][4][:, :1]], tuple(args[2])):
        other = [args[0], args[1], xs, args[3]]
        _check(rnn_list, (0, 1), other, df(*other))


def _first_of(xs):
    return xs[0]


def list_through_helper(W, xs):
    # a user function receives the list: what it may do to the entries is not assumed
    h = np.tanh(np.dot(_first_of(xs), W) + xs[1])
    return np.sum(h * h)


def test_a_container_passed_to_a_function_keeps_nothing_assumed():
    args = [rng.normal(size=(4, 3)), [rng.normal(size=(5, 4)), rng.normal(size=3)]]
    df = tl.grad(list_through_helper, wrt=(0, 1))
    df(*args)
    _check(list_through_helper, (0, 1), args, df(*args))
