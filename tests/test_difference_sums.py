"""Sums of products with a broadcast difference (optimize/differences.py, runtime
sum_product_of_difference): the gradient of `np.sum((a[:, None] - b[None]) ** 2, axis)` and its
kin summed as matrix products of the arrays before broadcasting. Each program against central
finite differences and against the gradient with the pass off, written the way users write
pairwise distances (np.newaxis and None, `diff * diff` and `** 2`, methods, dicts, weights,
min and log-sum-exp on top), and the near misses it must leave alone."""
import numpy as np
import pytest

import tangent_lite
from tangent_lite import optimize
from tangent_lite.runtime import sum_product, sum_product_of_difference
from tangent_lite.runtime import fused
from tangent_lite.runtime.fused import _split_sums

from helpers import check_grad, numeric_grad

RNG = np.random.default_rng(1414)


def rbf_energy(x, y, w):
    k = np.exp(-np.sum((x[:, None, :] - y[None, :, :]) ** 2, axis=-1))
    return np.sum(k * w)


def soft_assign(c, p):
    diff = p[:, np.newaxis] - c
    d2 = np.sum(diff * diff, axis=2)
    return np.sum(np.log(np.sum(np.exp(-d2), axis=1)))


def kmeans_methods(c, p):
    return ((p[:, None] - c) ** 2).sum(-1).min(1).sum()


def weighted_spread(mu, x, w):
    d2 = np.sum((x[:, None, :] - mu[None, :, :]) ** 2, axis=2)
    return np.sum(w[None, :] * d2) / x.shape[0]


def cluster_cost(params, data):
    c = params["centroids"]
    d = data["points"][:, None, :] - c[None]
    return np.mean(np.min(np.sum(d ** 2, axis=2), axis=1))


class Codebook:
    def __init__(self, scale):
        self.scale = scale

    def distortion(self, codes, v):
        d2 = np.sum((v[:, None, :] - codes[None, :, :]) ** 2, axis=2)
        return self.scale * np.sum(np.min(d2, axis=1))


BOOK = Codebook(0.5)


def codebook_loss(codes, v):
    return BOOK.distortion(codes, v)


def batched_pairs(a, b):
    # a batch axis in front: (B, n, 1, d) - (B, 1, m, d)
    d2 = np.sum((a[:, :, None, :] - b[:, None, :, :]) ** 2, axis=-1)
    return np.sum(np.sqrt(d2 + 1.0))


# near misses: no split (a 1-D difference with nothing spread, a side written after it)
def line_pairs(x, y):
    d = x[:, None] - y[None, :]
    return np.sum(np.tanh(d) ** 2)


def written_after(c, p):
    q = p + 0.0
    diff = q[:, None, :] - c[None]
    q[0] = 5.0
    return np.sum(np.exp(-np.sum(diff ** 2, axis=2))) + np.sum(q[:, :1] * c[:1, :1])


def scaled_after(c, p):
    q = p.copy()
    diff = q[:, None, :] - c[None]
    q *= 2.0
    return np.sum(np.sum(diff ** 2, axis=2).min(axis=1)) + np.sum(q[0] * c[0])


N = RNG.normal
# The sums split where the gradient is spread as a broadcast view (runtime unreduce: above
# 2**16 elements); below, the helper is the fused sum itself.
PROGRAMS = [   # (f, wrt, args, written with the split helper, split at run time)
    (rbf_energy, (0, 1), (N(size=(3000, 4)), N(size=(6, 4)), N(size=(3000, 6))), True, True),
    (soft_assign, 0, (N(size=(8, 3)), N(size=(3000, 3))), True, True),
    (kmeans_methods, 0, (N(size=(6, 3)), N(size=(4000, 3))), True, True),
    (weighted_spread, 0, (N(size=(5, 3)), N(size=(5000, 3)), N(size=5)), True, True),
    (cluster_cost, 0, ({"centroids": N(size=(4, 4))}, {"points": N(size=(5000, 4))}), True,
     True),
    (codebook_loss, 0, (N(size=(4, 3)), N(size=(6000, 3))), None, True),   # in its pullback
    (batched_pairs, 1, (N(size=(2, 1700, 3)), N(size=(2, 20, 3))), True, True),
    (kmeans_methods, 0, (N(size=(6, 3)), N(size=(50, 3))), True, False),
    (line_pairs, (0, 1), (N(size=300), N(size=300)), False, False),
    (written_after, 0, (N(size=(4, 3)), N(size=(6000, 3))), False, False),
    (scaled_after, 0, (N(size=(4, 3)), N(size=(6000, 3))), False, False),
]


def _grad_check(f, wrt, args):
    # f sums 10**4-10**5 terms: its central difference is good to ~1e-5 absolute (the exact
    # check is against the gradient with the pass off, below)
    if f is cluster_cost:
        df = tangent_lite.grad(f, wrt=wrt)
        got = df(*args)["centroids"]
        expected = numeric_grad(lambda c: f({"centroids": c}, args[1]),
                                (args[0]["centroids"],), 0)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=3e-5)
        return (got,)
    got = check_grad(f, *args, wrt=wrt, rtol=1e-6, atol=3e-5)
    return got if isinstance(wrt, tuple) else (got,)


@pytest.mark.parametrize("f, wrt, args, written, split", PROGRAMS,
                         ids=[f"{p[0].__name__}-{p[4]}" for p in PROGRAMS])
def test_split_sums_match_finite_differences(f, wrt, args, written, split, monkeypatch):
    splits = []

    def counted(*values):
        splits.append(_split_sums(*values))
        return splits[-1]
    monkeypatch.setattr(fused, "_split_sums", counted)
    got = _grad_check(f, wrt, args)
    assert any(s is not None for s in splits) == split
    if written is not None:
        assert ("sum_product_of_difference" in tangent_lite.source(f, wrt=wrt)) == written
    with optimize.disabled("differences"):
        unsplit = tangent_lite.grad(f, wrt=wrt)(*args)
        unsplit = (unsplit["centroids"],) if f is cluster_cost else \
            (unsplit if isinstance(wrt, tuple) else (unsplit,))
        assert "sum_product_of_difference" not in tangent_lite.source(f, wrt=wrt)
    for g, u in zip(got, unsplit):
        assert type(g) is type(u) and g.shape == u.shape and g.dtype == u.dtype
        np.testing.assert_allclose(g, u, rtol=1e-10, atol=1e-12)


def test_the_generated_code_names_both_sides():
    code = tangent_lite.source(rbf_energy, wrt=(0, 1))
    assert "dt_item = 2 * sum_product_of_difference(dt_pow, t_sub, t_item, t_item2, t_item)" \
        in code
    assert "dt_item2 = -(2 * sum_product_of_difference(dt_pow, t_sub, t_item, t_item2, " \
        "t_item2))" in code


def test_kmeans_at_benchmark_size_and_float32():
    p = RNG.uniform(size=(1000, 8))
    c = p[-10:].copy()
    got = check_grad(kmeans_methods, c, p, wrt=0, rtol=1e-6, atol=1e-6)
    with optimize.disabled("differences"):
        np.testing.assert_allclose(got, tangent_lite.grad(kmeans_methods)(c, p), rtol=1e-10,
                                   atol=1e-11)
    g32 = tangent_lite.grad(kmeans_methods)(c.astype(np.float32), p.astype(np.float32))
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, got, rtol=1e-3, atol=1e-3)


def test_hvp_through_the_split_sum():
    c, p = N(size=(4, 2)), N(size=(9000, 2))
    v = N(size=c.shape)
    got = tangent_lite.hvp(soft_assign)(c, p, v)
    df = tangent_lite.grad(soft_assign)
    eps = 1e-6
    expected = (df(c + eps * v, p) - df(c - eps * v, p)) / (2 * eps)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


SHAPES = [   # (g made from, spread to, a, b, x)
    ((50, 7, 1), (50, 7, 6), (50, 1, 6), (1, 7, 6), (1, 7, 6)),
    ((50, 7, 1), (50, 7, 6), (50, 1, 6), (1, 7, 6), (50, 1, 6)),
    ((50, 7, 1), (50, 7, 6), (50, 1, 6), (7, 6), (7, 6)),
    ((50, 7, 1), (50, 7, 6), (50, 1, 6), (1, 7, 6), ()),
    ((50, 7, 1), (50, 7, 6), (50, 1, 6), (1, 7, 6), (6,)),
    ((50, 7, 1), (50, 7, 6), (50, 1, 6), (1, 7, 6), (50, 7, 1)),
    ((3, 20, 5, 1), (3, 20, 5, 4), (3, 20, 1, 4), (3, 1, 5, 4), (5, 4)),
    ((3, 20, 5, 1), (3, 20, 5, 4), (3, 20, 1, 4), (3, 1, 5, 4), (3, 1, 5, 4)),
    ((50, 1, 6), (50, 7, 6), (50, 1, 6), (1, 7, 6), (1, 7, 6)),      # not a product: no split
    ((50, 7, 6), (50, 7, 6), (50, 1, 6), (1, 7, 6), (1, 7, 6)),      # g not spread: no split
]


@pytest.mark.parametrize("made, spread, a, b, x", SHAPES)
def test_the_helper_is_the_unsplit_sum(made, spread, a, b, x):
    g = np.broadcast_to(N(size=made), spread)
    a, b, x = N(size=a), N(size=b), np.zeros(x)
    s = a - b
    got = sum_product_of_difference(g, s, a, b, x)
    expected = sum_product(g, s, x)
    assert got.shape == expected.shape == x.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-11)


def test_the_helper_falls_back_exactly():
    g = np.broadcast_to(N(size=(40, 6, 1)), (40, 6, 3))
    a, b = N(size=(40, 1, 3)), N(size=(1, 6, 3))
    for args in [(g.astype(np.float32), (a - b), a, b),           # dtypes differ
                 (g, (a - b).astype(np.complex128), a.astype(np.complex128), b),
                 (g, a - b, list(a), b)]:
        assert _split_sums(*args, b) is None
        np.testing.assert_array_equal(sum_product_of_difference(*args, b),
                                      sum_product(args[0], args[1], b))
    ints = np.arange(12).reshape(4, 1, 3), np.arange(6).reshape(1, 2, 3)
    gi = np.broadcast_to(np.ones((4, 2, 1)), (4, 2, 3))
    s = ints[0] - ints[1]
    np.testing.assert_array_equal(sum_product_of_difference(gi, s, *ints, ints[1]),
                                  sum_product(gi, s, ints[1]))


def test_far_from_the_origin_the_split_is_not_taken():
    """Points 1e8 from the origin and about 1 apart: summed apart, g * a and g * b would share
    their first eight digits; the fused sum runs instead, as exact as without the pass."""
    from tangent_lite.runtime import fused
    rng = np.random.default_rng(7)
    points = 1e8 + rng.normal(size=(2000, 8))
    centroids = 1e8 + rng.normal(size=(40, 8))
    s = points[:, None, :] - centroids[None, :, :]
    g = np.broadcast_to(rng.normal(size=(2000, 40, 1)), s.shape)
    want = np.sum(g * s, axis=(0,)).reshape(40, 8)
    got = fused.sum_product_of_difference(g, s, points[:, None, :], centroids[None, :, :],
                                          centroids[None, :, :])
    np.testing.assert_allclose(np.reshape(got, (40, 8)), want, rtol=1e-12, atol=1e-9)
    assert fused._cancels(points, centroids)
    assert not fused._cancels(points - 1e8, centroids - 1e8)
