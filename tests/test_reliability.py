"""Reliability: safe caching under threads and redefinition, inputs that must be refused, and
IEEE special values propagating as NumPy propagates them."""
import importlib
import threading

import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite import InputError, cache


def rnn_like(W, x):
    h = np.zeros(W.shape[0])
    for t in range(x.shape[0]):
        h = np.tanh(W @ h + x[t])
        if np.sum(h) > 10.0:
            break
    return np.sum(h * h)


def test_sixteen_threads_asking_for_a_new_gradient_get_the_same_correct_one():
    cache.clear()
    rng = np.random.default_rng(0)
    W, x = 0.5 * rng.normal(size=(3, 3)), rng.normal(size=(6, 3))
    expected = None
    results, errors = [None] * 16, []
    barrier = threading.Barrier(16)

    def work(k):
        try:
            barrier.wait()
            df = tl.grad(rnn_like)
            results[k] = (df, df(W, x))
        except Exception as exc:  # collected and re-raised below
            errors.append(exc)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    eps = 1e-6
    expected = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        Wp, Wm = W.copy(), W.copy()
        Wp[idx] += eps
        Wm[idx] -= eps
        expected[idx] = (rnn_like(Wp, x) - rnn_like(Wm, x)) / (2 * eps)
    assert len({id(df) for df, _ in results}) == 1
    for _, g in results:
        np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-8)


def test_redefining_f_gives_a_fresh_gradient(tmp_path, monkeypatch):
    module = tmp_path / "redefined_f.py"
    module.write_text("def f(x):\n    return x * x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    mod = importlib.import_module("redefined_f")
    assert tl.grad(mod.f)(3.0) == 6.0
    module.write_text("def f(x):\n    return x * x * x\n")
    importlib.reload(mod)
    assert tl.grad(mod.f)(3.0) == 27.0


def scaled(x, n):
    return np.sum(x * n)


def test_differentiating_an_integer_argument_is_refused():
    with pytest.raises(InputError, match="integer"):
        tl.grad(scaled, wrt=1)(np.ones(3), 2)
    with pytest.raises(InputError, match="integer"):
        tl.grad(scaled, wrt=0)(np.arange(3), 2.0)
    with pytest.raises(InputError, match="boolean"):
        tl.grad(scaled, wrt=0)(np.array([True, False]), 2.0)


def test_complex_inputs_are_refused_clearly():
    with pytest.raises(InputError, match="complex"):
        tl.grad(scaled, wrt=0)(np.array([1 + 2j, 3.0]), 2.0)


def smooth(x):
    return np.sum(np.sin(x) * x)


def test_nan_and_inf_propagate_as_numpy_propagates_them():
    g = tl.grad(smooth)(np.array([np.nan, 1.0, np.inf]))
    expected = np.cos([np.nan, 1.0, np.inf]) * [np.nan, 1.0, np.inf] + np.sin([np.nan, 1.0,
                                                                               np.inf])
    np.testing.assert_array_equal(np.isnan(g), np.isnan(expected))
    assert g[1] == pytest.approx(expected[1])


def test_df_never_changes_its_arguments():
    x = np.array([0.5, -1.0, 2.0])
    W = np.eye(3) * 0.3
    before = (x.copy(), W.copy())
    tl.grad(rnn_like, wrt=(0, 1))(W, np.stack([x, x]))
    np.testing.assert_array_equal(x, before[0])
    np.testing.assert_array_equal(W, before[1])
