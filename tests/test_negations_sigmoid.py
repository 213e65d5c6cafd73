"""Two negations of one product cancelled in the backward sweep (optimize/algebra/negations.py):
the vjp of a sigmoid the user wrote, `1.0 / (1.0 + np.exp(-v))`, computes `-dresult * result /
t_add`, then `-dt_neg`; the pair goes. Programs written the way users write them, against
central finite differences in float64 and bit for bit against the gradient with the pass off;
near misses that must keep their negations (a negation of one side only, the chain read twice,
a factor rebound in between); float32 and complex kept."""
import numpy as np
import pytest

import tangent_lite
from tangent_lite import optimize

from helpers import check_grad

RNG = np.random.default_rng(4242)


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def sigmoid_loss(w, x):
    return np.sum(sigmoid(x * w) * x)


def sigmoid_loop(w, xs):
    # the ADBench LSTM's gates: a sigmoid helper called in a loop
    h = np.zeros(w.shape[0])
    for t in range(xs.shape[0]):
        h = sigmoid(h * w + xs[t]) * np.tanh(xs[t])
    return np.sum(h * h)


def logistic_inline(w, x):
    # the same written inline, and np.reciprocal's neighbour `1 / ...`
    s = 1 / (1 + np.exp(-np.dot(x, w)))
    return np.sum(np.log(s))


def reciprocal_chain(a, b):
    # d(1/u) = -g / u**2 and then a subtraction's negation
    return np.sum(b - 1.0 / (a * a + 1.0))


def one_negation(a, b):
    # a negation of one side only: -(a * b) stays a negation
    return np.sum(np.exp(-(a * b)))


PROGRAMS = [
    (sigmoid_loss, 0, (RNG.uniform(-1, 1, 5), RNG.uniform(-1, 1, 5))),
    (sigmoid_loop, 0, (RNG.uniform(-1, 1, 4), RNG.uniform(-1, 1, (3, 4)))),
    (logistic_inline, 0, (RNG.uniform(-1, 1, 3), RNG.uniform(-1, 1, (6, 3)))),
    (reciprocal_chain, (0, 1), (RNG.uniform(-1, 1, 4), RNG.uniform(-1, 1, 4))),
    (one_negation, (0, 1), (RNG.uniform(-1, 1, 4), RNG.uniform(-1, 1, 4))),
]


def _same_bits_with_algebra_off(f, wrt, args):
    got = tangent_lite.grad(f, wrt=wrt)(*args)
    with optimize.disabled("algebra"):
        plain = tangent_lite.grad(f, wrt=wrt)(*args)
    for g, p in zip(got if isinstance(wrt, tuple) else (got,),
                    plain if isinstance(wrt, tuple) else (plain,)):
        assert type(g) is type(p) and np.asarray(g).dtype == np.asarray(p).dtype
        np.testing.assert_array_equal(g, p)


@pytest.mark.parametrize("f, wrt, args", PROGRAMS, ids=lambda v: getattr(v, "__name__", ""))
def test_against_finite_differences_and_bit_for_bit(f, wrt, args):
    check_grad(f, *args, wrt=wrt)
    _same_bits_with_algebra_off(f, wrt, args)


def test_the_sigmoid_vjp_has_no_negation_left_in_its_backward_sweep():
    from tangent_lite import pipeline
    import gc
    from tangent_lite import cache
    w, x = PROGRAMS[0][2]

    def vjps_of_sigmoid():
        return [g for g in gc.get_objects() if type(g).__name__ == "function"
                and g.__name__ == "vjp_sigmoid" and "test_negations" in str(g.__doc__)]

    # the vjp compiled now, with every pass on but small_callees (which inlines the sigmoid:
    # tests/test_small_callees.py); an earlier test compiled one with the algebra off, which
    # gc may list first
    before = {id(g) for g in vjps_of_sigmoid()}
    cache.clear()
    with optimize.disabled("small_callees"):
        tangent_lite.grad(sigmoid_loss, wrt=0)(w, x)
    vjps = [g for g in vjps_of_sigmoid() if id(g) not in before]
    assert vjps
    import linecache
    text = "".join(linecache.getlines(vjps[0].__code__.co_filename))
    backward = text.split("Backward sweep")[1]
    assert "-" not in backward.replace("# line", "").split("return")[0].replace("_", ""), text
    assert "dresult * result / t_add * t_exp" in backward, text


def test_float32_and_complex_keep_their_dtype():
    w32, x32 = (a.astype(np.float32) for a in PROGRAMS[0][2])
    g = tangent_lite.grad(sigmoid_loss, wrt=0)(w32, x32)
    assert g.dtype == np.float32
    _same_bits_with_algebra_off(sigmoid_loss, 0, (w32, x32))

    def complex_sigmoid(w, x):
        return np.real(np.sum(sigmoid(x * w)))
    # complex values through the vjp (the gradient with respect to the real w)
    w = RNG.uniform(-1, 1, 3)
    x = RNG.uniform(-1, 1, 3) + 0.5j * RNG.uniform(-1, 1, 3)
    _same_bits_with_algebra_off(complex_sigmoid, 0, (w, x))
    check_grad(complex_sigmoid, w, x, wrt=0)


def test_near_misses_keep_their_negations():
    import gast
    from tangent_lite.optimize.algebra.negations import cancel_negations
    from tangent_lite.optimize.algebra.spelling import Spelling
    from tangent_lite.optimize.copies import name_counts

    spelling = Spelling({"np": "np"}.get)
    cases = {
        "n = -a * b\nv = -n\n": "v = a * b",
        "m = -a / c\nn = m * b\nv = -n\n": "v = a / c * b",
        "n = a * b\nv = -n\n": None,                  # nothing negated inside
        "n = -a * b\nw = n + 1\nv = -n\n": None,      # the chain read twice
        # a factor rebound or written in place in between: not inlined; the signs are
        # flipped where they stand (negations.py), and the copy `v = n` that leaves is
        # bound where n was (nothing between mentions v)
        "n = -a * b\na = 2.0\nv = -n\n": ("v = a * b", "a = 2.0"),
        "n = -a * b\nb[0] = 2.0\nv = -n\n": ("v = a * b", "b[0] = 2.0"),
        # v read in between: the flip stays where it stands, copy and all
        "n = -a * b\na = v\nv = -n\n": ("n = a * b", "v = n"),
        "n = b * -a\nv = -n\n": "v = b * a",          # on the right: -(b * -a) is b * a
        "n = -a + b\nv = -n\n": None,                 # a sum, not a product
    }
    for text, expected in cases.items():
        body = gast.parse(text).body
        loads, stores = name_counts(body)
        cancel_negations(body, loads, stores, spelling)
        import ast
        last = ast.unparse(gast.gast_to_ast(body[-1])).strip()
        if expected is None:
            assert last == "v = -n", text
        elif isinstance(expected, tuple):
            first = ast.unparse(gast.gast_to_ast(body[0])).strip()
            assert (first, last) == expected, (text, first, last)
            assert len(body) == (3 if last.startswith("v =") else 2), text
            before, after = {"a": 3.0, "b": np.array([5.0, 7.0]), "v": 1.0}, {}
            after.update(before, b=before["b"].copy())
            exec(text, {}, before)
            exec(ast.unparse(gast.gast_to_ast(gast.Module(body=body, type_ignores=[]))),
                 {}, after)
            np.testing.assert_array_equal(before["v"], after["v"])
        else:
            assert last == expected and len(body) == 1, (text, last)
