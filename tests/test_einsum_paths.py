"""The gradients of np.einsum choose their own contraction order (runtime/products.py
gradient_optimize): NumPy's C loop for small operands, a BLAS path from 2**15 iterations,
whatever `optimize` the user wrote. Each against central finite differences in float64, and
the large and small paths against each other."""
import numpy as np
import pytest

from tangent_lite.runtime import einsum_adjoint
from tangent_lite.runtime import products

from helpers import check_grad

RNG = np.random.default_rng(1415)


def mahalanobis(Q, xc):
    # the GMM's form, as a user writes it: no optimize
    Qxc = np.einsum("kij,nkj->nki", Q, xc)
    return -0.5 * np.mean(Qxc ** 2)


def mahalanobis_greedy(Q, xc):
    return np.sum(np.einsum("kij,nkj->nki", Q, xc, optimize="greedy") ** 2) / xc.size


def chain_with_path(a, b, c):
    # a path written for these operands (np.einsum_path's answer): b with c first
    out = np.einsum("ij,jk,kl->il", a, b, c, optimize=["einsum_path", (1, 2), (0, 1)])
    return np.sum(np.tanh(out))


def batched(a, b):
    return np.sum(np.einsum("bij,bjk->bik", a, b, optimize=False) * 0.5)


def diagonal_and_ellipsis(m, v):
    return np.sum(np.einsum("...ii,...i->...i", m, v) ** 2)


@pytest.mark.parametrize("n, k, d", [(6, 2, 3), (40, 8, 12)])   # 432 and 46,080 iterations
def test_gmm_contraction_small_and_large(n, k, d):
    Q = RNG.normal(size=(k, d, d))
    xc = RNG.normal(size=(n, k, d))
    check_grad(mahalanobis, Q, xc, wrt=(0, 1))
    check_grad(mahalanobis_greedy, Q, xc, wrt=(0, 1))


def test_user_path_list_for_three_operands():
    a, b, c = (RNG.normal(size=s) for s in [(4, 30), (30, 40), (40, 3)])
    check_grad(chain_with_path, a, b, c, wrt=(0, 1, 2))


def test_batched_and_diagonal():
    check_grad(batched, RNG.normal(size=(30, 6, 7)), RNG.normal(size=(30, 7, 5)), wrt=(0, 1))
    check_grad(diagonal_and_ellipsis, RNG.normal(size=(3, 4, 4)), RNG.normal(size=(3, 4)),
               wrt=(0, 1))


@pytest.mark.parametrize("spec, shapes", [
    ("kij,nkj->nki", [(50, 10, 10), (200, 50, 10)]),
    ("ij,jk->ik", [(300, 200), (200, 100)]),
    ("ij,ij->j", [(5000, 10), (5000, 10)]),
    ("i,i->", [(50000,), (50000,)]),
    ("ij,k->ijk", [(40, 40), (40,)]),
    ("kij,nkj->nki", [(5, 2, 2), (1000, 5, 2)]),      # batched: optimized from 2**11
    ("bij,bjk->bik", [(40, 4, 4), (40, 4, 4)]),
    ("...ij,...j->...i", [(7, 3, 4, 4), (7, 3, 4)]),
])
def test_large_gradient_paths_equal_the_c_loop(spec, shapes, monkeypatch):
    arrays = [RNG.normal(size=s) for s in shapes]
    y = np.einsum(spec, *arrays)
    g = RNG.normal(size=y.shape)
    fast = einsum_adjoint(g, [spec] + arrays)
    assert products.gradient_optimize(False, {"a": products._EINSUM_OPTIMIZE_FROM})
    monkeypatch.setattr(products, "_EINSUM_OPTIMIZE_FROM", float("inf"))
    monkeypatch.setattr(products, "_EINSUM_BATCHED_FROM", float("inf"))
    loop = einsum_adjoint(g, [spec] + arrays)
    for f, s in zip(fast[1:], loop[1:]):
        np.testing.assert_allclose(f, s, rtol=1e-11, atol=1e-11)


def test_gradient_optimize_keeps_a_named_strategy():
    assert products.gradient_optimize("greedy", {"a": 2}) == "greedy"
    assert products.gradient_optimize(True, {"a": 2}) is True
    assert products.gradient_optimize(False, {"a": 2}) is False
    assert products.gradient_optimize(["einsum_path", (0, 1)], {"a": 2}) is False


@pytest.mark.parametrize("spec, batched", [
    ("nki,nkj->kij", True), ("nki,kij->nkj", True), ("bij,bjk->bik", True),
    ("ij,jk->ik", False), ("ij,ij->", False), ("ni,ni->n", False), ("i,j->ij", False),
    ("ij,ij->ij", False),
])
def test_batched_contractions_are_optimized_sooner(spec, batched):
    sizes = {"a": products._EINSUM_BATCHED_FROM}
    assert products._batched_contraction(spec) is batched
    assert products.gradient_optimize(False, sizes, spec) is batched
    assert products.gradient_optimize("greedy", sizes, spec) == "greedy"
