"""A product summed two statements later (optimize/fused.py fuse_chains): `p = a * (2 * b)` then
`unbroadcast(-p, x)` becomes `-(2 * sum_product(a, b, x))`, so k-means' n x k x d products are
never made. Each program against central finite differences in float64, written the way users
write a pairwise distance, and the near misses the pass must leave alone (a factor that is not a
power of two, a product read twice)."""
import numpy as np
import pytest

import tangent_lite
from tangent_lite import optimize

from helpers import check_grad

RNG = np.random.default_rng(2014)


def kmeans_cost(centroids, points):
    d2 = np.sum((points[:, None, :] - centroids[None, :, :]) ** 2, axis=2)
    return np.sum(np.min(d2, axis=1))


def kmeans_sum_method(centroids, points):
    diff = points[:, np.newaxis] - centroids
    return np.min((diff ** 2).sum(-1), axis=1).sum()


def pairwise(a, b):
    # both sides differentiated: b's gradient is the negated sum, a's the plain one
    d = a[:, None, :] - b[None, :, :]
    return np.sum(np.exp(-np.sum(d ** 2, axis=-1)))


def scaled_residual(w, x, y):
    r = x * w - y
    return 0.5 * np.sum(r ** 2)


CHAINED = [
    (kmeans_cost, lambda: (RNG.normal(size=(3, 4)), RNG.normal(size=(7, 4))), (0, 1)),
    (kmeans_sum_method, lambda: (RNG.normal(size=(3, 2)), RNG.normal(size=(6, 2))), (0, 1)),
    (pairwise, lambda: (RNG.normal(size=(4, 3)), RNG.normal(size=(5, 3))), (0, 1)),
    (scaled_residual, lambda: (RNG.normal(size=3), RNG.normal(size=(6, 3)),
                               RNG.normal(size=(6, 3))), (0, 1, 2)),
]


@pytest.mark.parametrize("f, make, wrt", CHAINED, ids=[f.__name__ for f, _, _ in CHAINED])
def test_chained_products_match_finite_differences(f, make, wrt):
    args = make()
    source = tangent_lite.source(f, wrt=wrt)
    # a pairwise difference's sum is then split in two (optimize/differences.py)
    assert "2 * sum_product(" in source or "2 * sum_product_of_difference(" in source, source
    got = check_grad(f, *args, wrt=wrt)
    with optimize.disabled("fused"):
        source = tangent_lite.source(f, wrt=wrt)
        assert "2 * sum_product(" not in source and "sum_product_of_difference" not in source
        plain = tangent_lite.grad(f, wrt=wrt)(*args)
    for g, h in zip(got, plain):
        assert g.dtype == h.dtype and g.shape == h.shape
        np.testing.assert_allclose(g, h, rtol=1e-12, atol=1e-12)


def test_large_kmeans_never_makes_the_broadcast_product():
    # the spread gradient dt_pow stays a broadcast view: the einsum reads it as it is
    c, p = RNG.normal(size=(20, 8)), RNG.normal(size=(300, 8))
    got = tangent_lite.grad(kmeans_cost)(c, p)
    diff = p[:, None, :] - c[None, :, :]
    nearest = np.argmin(np.sum(diff ** 2, axis=2), axis=1)
    expected = np.zeros_like(c)
    np.add.at(expected, nearest, -2 * (p - c[nearest]))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_float32_keeps_its_dtype():
    c = RNG.normal(size=(3, 4)).astype(np.float32)
    p = RNG.normal(size=(9, 4)).astype(np.float32)
    got = tangent_lite.grad(kmeans_cost)(c, p)
    assert got.dtype == np.float32
    ref = check_grad(kmeans_cost, c.astype(np.float64), p.astype(np.float64))
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)


def test_a_factor_not_a_power_of_two_is_left_alone():
    def f(a, b):
        d = a[:, None] - b[None, :]
        return np.sum(3.0 * d ** 3)
    assert "sum_product(" not in tangent_lite.source(f, wrt=(0, 1)).split("dd =")[-1] \
        or "3 * sum_product" not in tangent_lite.source(f, wrt=(0, 1))
    check_grad(f, RNG.normal(size=4), RNG.normal(size=5), wrt=(0, 1))


def test_a_product_read_twice_is_left_alone():
    def f(a, b):
        d = a[:, None] - b[None, :]
        s = d ** 2
        return np.sum(s) + np.sum(np.sin(s))
    check_grad(f, RNG.normal(size=4), RNG.normal(size=5), wrt=(0, 1))


def test_in_a_loop():
    def f(c, p):
        total = 0.0
        for k in range(2):
            d = p[:, None, :] - c[None, :, :] * (k + 1.0)
            total = total + np.sum(np.min(np.sum(d ** 2, axis=2), axis=1))
        return total
    check_grad(f, RNG.normal(size=(3, 2)), RNG.normal(size=(5, 2)))
