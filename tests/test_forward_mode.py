"""Forward mode and second derivatives over the whole control-flow corpus: every jvp matches
a central finite difference of f along a random direction, and every Hessian-vector product
(forward-over-reverse through the generated gradient code) matches a finite difference of
gradients."""
import inspect

import numpy as np
import pytest
import test_calls
import test_control_flow

import tangent_lite as tl

CASES = [(f, wrt, args) for f, wrt, table in test_control_flow.CASES for args in table]
CASES += [(f, wrt, args) for f, args, wrt in test_calls.CASES]


def _indices(f, wrt):
    params = list(inspect.signature(f).parameters)
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    return [w if isinstance(w, int) else params.index(w) for w in items]


def _direction(args, indices, seed):
    rng = np.random.default_rng(seed)
    tangents = [None] * len(args)
    for i in indices:
        t = rng.normal(size=np.shape(args[i]))
        tangents[i] = float(t) if isinstance(args[i], float) else t
    return tangents


def _along(f, args, tangents, eps):
    def shifted(sign):
        return [a + sign * eps * t if t is not None else a for a, t in zip(args, tangents)]
    return (np.asarray(f(*shifted(1)), float) - np.asarray(f(*shifted(-1)), float)) / (2 * eps)


IDS = [f"{f.__name__}-{k}" for k, (f, _, _) in enumerate(CASES)]


@pytest.mark.parametrize("f, wrt, args", CASES, ids=IDS)
def test_jvp_matches_finite_differences(f, wrt, args):
    tangents = _direction(args, _indices(f, wrt), seed=1)
    value, tangent = tl.jvp(f, args, tangents)
    np.testing.assert_allclose(value, f(*args), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tangent, _along(f, args, tangents, 1e-6), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("f, wrt, args", CASES, ids=IDS)
def test_hvp_matches_finite_differences_of_gradients(f, wrt, args):
    (first, *_) = _indices(f, wrt)
    if not isinstance(args[first], (float, np.ndarray)) or np.asarray(args[first]).size > 20:
        pytest.skip("one small float argument is enough here")
    v = _direction(args, [first], seed=2)[first]
    hv = tl.hvp(f, wrt=first)(*args, v)
    df = tl.grad(f, wrt=first)
    eps = 1e-5
    plus = list(args)
    plus[first] = args[first] + eps * v
    minus = list(args)
    minus[first] = args[first] - eps * v
    expected = (np.asarray(df(*plus)) - np.asarray(df(*minus))) / (2 * eps)
    np.testing.assert_allclose(hv, expected, rtol=1e-4, atol=1e-6)
