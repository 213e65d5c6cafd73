"""Large arrays of a specialised df deleted after their last read (optimize/release.py).

Each program works on arrays of 2**14 elements or more, so its specialised variant deletes
names: its gradient must agree with central finite differences (along random directions: the
arrays are too large for one difference per entry) and be bit for bit the gradient with the
pass switched off. The near misses check what must not be deleted: a name bound only in a
branch, one copied to another name, and arrays below the size.
"""
import types

import numpy as np
import pytest

import tangent_lite
from tangent_lite import optimize

ROWS, COLS = 128, 160          # 20,480 elements: above release's 2**14
RNG = np.random.default_rng(7)
X = RNG.standard_normal((ROWS, COLS))
Y = RNG.standard_normal((ROWS, COLS))
G = 1.0 + 0.1 * RNG.standard_normal(COLS)
B = 0.1 * RNG.standard_normal(COLS)
W = RNG.standard_normal((COLS, COLS)) / np.sqrt(COLS)


def layer_norm_mean(gamma, beta, x, y):
    mu = np.mean(x, axis=1, keepdims=True)
    xc = x - mu
    var = np.mean(xc * xc, axis=1, keepdims=True)
    xhat = xc / np.sqrt(var + 1e-5)
    out = gamma * xhat + beta
    d = out - y
    return np.sum(d * d) / x.shape[0]


def layer_norm_sums(gamma, beta, x, y):
    n = x.shape[1]
    mu = np.sum(x, axis=1, keepdims=True) / n
    xc = x - mu
    var = np.sum(xc ** 2, axis=1, keepdims=True) / n
    out = gamma * (xc / np.sqrt(var + 1e-5)) + beta
    return np.mean((out - y) ** 2)


def two_layers_dot(W, gamma, x, y):
    h = np.tanh(np.dot(x, W))
    z = h * gamma
    e = np.dot(z, W.T) - y
    return np.sum(e * e) / e.size


def two_layers_matmul(W, gamma, x, y):
    h = np.tanh(x @ W)
    e = (h * gamma) @ W.T - y
    return np.mean(e ** 2)


def smoothing_loop(x, gamma, beta):
    # large arrays made in a loop: the last step's are deleted after the loop
    s = x * gamma + beta
    for k in range(3):
        t = np.sin(s) * 0.5
        s = s + t * x
    return np.sum(s * s)


class Normaliser:
    """The data on the instance, the parameters the loss method's arguments."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def centred(self, x):
        return x - np.mean(x, axis=0)

    def loss(self, gamma, beta):
        out = gamma * np.tanh(self.centred(self.x)) + beta
        return np.sum((out - self.y) ** 2)

    def loss_of(self, gamma, beta, x):
        xc = self.centred(x)
        out = gamma * np.tanh(xc) + beta
        return np.sum((out - self.y) ** 2)


MODEL = Normaliser(X, Y)


def branch_bound(x, gamma, flip):
    # `u` is bound in one branch only: deleting it after its last read could raise NameError
    a = x * gamma + 0.5 * gamma
    if flip > 0:
        u = np.cos(a)
        a = a * u
    b = np.sin(a) * x
    return np.sum(b * b)


def comprehension_reads(x, gamma):
    # the comprehension is a loop of df (no scope of its own): `a` goes after the backward loop
    a = np.tanh(x * gamma + 0.5 * gamma)
    parts = [np.sum(a[i] * a[i]) for i in range(3)]
    c = a * x
    return np.sum(c * c) + parts[0] + parts[1] + parts[2]


def copied(x, gamma):
    a = x * gamma + 0.5 * gamma
    b = a
    c = np.sin(b) * x
    return np.sum(c * c)


PROGRAMS = [
    (layer_norm_mean, (0, 1, 2), (G, B, X, Y)),
    (layer_norm_sums, (0, 1, 2), (G, B, X, Y)),
    (two_layers_dot, (0, 1, 2), (W, G, X, Y)),
    (two_layers_matmul, (0, 1), (W, G, X, Y)),
    (smoothing_loop, (0, 1, 2), (X, G, B)),
    (MODEL.loss, (0, 1), (G, B)),
    (MODEL.loss_of, (0, 1, 2), (G, B, X)),
    (branch_bound, (0, 1), (X, G, 1.0)),
    (branch_bound, (0, 1), (X, G, -1.0)),
    (comprehension_reads, (0, 1), (X, G)),
    (copied, (0, 1), (X, G)),
]


def _directional_fd(f, args, wrt, rng, eps=1e-6):
    """(directions, central differences of f along them) for the arguments wrt."""
    dirs = [rng.standard_normal(np.shape(args[i])) for i in wrt]

    def at(step):
        moved = list(args)
        for i, v in zip(wrt, dirs):
            moved[i] = args[i] + step * v
        return f(*moved)
    return dirs, (at(eps) - at(-eps)) / (2 * eps)


@pytest.mark.parametrize("f, wrt, args", PROGRAMS,
                         ids=[f"{p[0].__name__}-{k}" for k, p in enumerate(PROGRAMS)])
def test_gradient_agrees_with_finite_differences_and_with_the_pass_off(f, wrt, args):
    df = tangent_lite.grad(f, wrt=wrt)
    df(*args)
    got = df(*args)          # the specialised variant, compiled at the first call
    rng = np.random.default_rng(0)
    for _ in range(3):
        dirs, fd = _directional_fd(f, args, wrt, rng)
        along = sum(np.vdot(g, v) for g, v in zip(got, dirs))
        assert along == pytest.approx(fd, rel=1e-6, abs=1e-6)
    with optimize.disabled("release"):
        off = tangent_lite.grad(f, wrt=wrt)(*args)
    for g, h in zip(got, off):
        np.testing.assert_array_equal(g, h)


def _deleted(f, wrt, args):
    """The names the specialised source deletes."""
    source = tangent_lite.source(f, wrt=wrt, specialised_for=args)
    out = set()
    for line in source.splitlines():
        line = line.strip()
        if line.startswith("del "):
            out |= {n.strip() for n in line[4:].split(",")}
    return out


def test_layer_norm_deletes_its_forward_temporaries_and_finished_adjoints():
    deleted = _deleted(layer_norm_mean, (0, 1, 2), (G, B, X, Y))
    assert {"d", "dd", "xc"} <= deleted
    assert not deleted & {"gamma", "beta", "x", "y"}      # parameters are the caller's


def test_loop_values_are_deleted_after_the_loop():
    source = tangent_lite.source(smoothing_loop, wrt=(0, 1, 2), specialised_for=(X, G, B))
    lines = [ln.strip() for ln in source.splitlines()]
    assert any(ln.startswith("del ") for ln in lines)
    body = source.split("def grad_smoothing_loop_specialised")[1]
    loops = [ln for ln in body.splitlines() if ln.strip().startswith("for ")]
    for ln in body.splitlines():
        if ln.strip().startswith("del "):    # never inside a loop: at the top level of df
            assert ln.startswith("    del ")
    assert loops


def test_near_misses_are_not_deleted():
    assert "u" not in _deleted(branch_bound, (0, 1), (X, G, 1.0))
    assert "a" not in _deleted(copied, (0, 1), (X, G))


def test_small_arrays_are_not_deleted():
    # a function of its own: the variant is compiled for these sizes alone (after calls at
    # other sizes it is generalised, and a symbolic dim may be large: tested in
    # test_generalised_variants.py)
    fresh = types.FunctionType(layer_norm_mean.__code__, layer_norm_mean.__globals__)
    small = (G[:8], B[:8], X[:4, :8], Y[:4, :8])
    assert not _deleted(fresh, (0, 1, 2), small)


def test_float32_gradients_stay_float32():
    args = tuple(a.astype(np.float32) for a in (G, B, X, Y))
    df = tangent_lite.grad(layer_norm_mean, wrt=(0, 1, 2))
    df(*args)
    got = df(*args)
    assert [g.dtype for g in got] == [np.float32] * 3
    ref = tangent_lite.grad(layer_norm_mean, wrt=(0, 1, 2))(G, B, X, Y)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=2e-3, atol=2e-3)
