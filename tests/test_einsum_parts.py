"""An einsum's gradients part by part in a specialised variant (optimize/einsum_parts.py) and
the runtime's einsum_part: the einsum each part is where the shapes prove it, a part's sum
folded into its einsum (no n x k x d array made for a mean's gradient), an unread part not
computed. Programs written the way users write them (a GMM-like Mahalanobis term, a bilinear
form, a batched matrix product; `.sum(axis=0)`, `np.sum(..., axis=0)`, keepdims, `-`), against
central finite differences in float64 and run twice (the variant); the near misses that keep
the helper (a part read twice, a diagonal, a broadcast dimension); complex data."""
import numpy as np
import pytest

import tangent_lite
from tangent_lite.runtime import einsum_adjoint, einsum_part

from helpers import check_grad

RNG = np.random.default_rng(1414)


def mahalanobis(Q, mu, x):
    # the GMM's term: x's rows against each mean, through each mean's matrix
    xc = x[:, None, :] - mu[None, :, :]
    Qxc = np.einsum("kij,nkj->nki", Q, xc)
    return -0.5 * np.sum(Qxc ** 2)


def mahalanobis_logsumexp(Q, mu, x, alpha):
    xc = x[:, None, :] - mu[None, :, :]
    Qxc = np.einsum("kij,nkj->nki", Q, xc)
    beta = alpha - 0.5 * np.sum(Qxc * Qxc, axis=2)
    top = np.max(beta, axis=1, keepdims=True)
    return np.sum(np.log(np.sum(np.exp(beta - top), axis=1)) + top[:, 0])


def centred_rows(W, b, x):
    # a bias subtracted from every row, then a matrix product: b's gradient is a sum over rows
    h = x - b
    y = np.einsum("ij,nj->ni", W, h)
    return np.sum(np.tanh(y))


def bilinear(A, u, v):
    return np.sum(np.einsum("i,ij,j->", u, A, v) ** 2)


def batched_matmul(A, B):
    C = np.einsum("bij,bjk->bik", A, B)
    return np.mean(C * C)


def weights_only(W, c, x):
    # x not differentiated: its part is never read
    return np.sum(np.sin(np.einsum("ij,nj->ni", W, x) + c))


def diagonal(A, v, c):
    # near miss: a repeated letter (the helper puts the gradient on the diagonal)
    return np.sum(np.tanh(np.einsum("ii,i->i", A, v)[:, None] + c))


def broadcast_dim(A, B, c):
    # near miss: B's size-1 batch dimension broadcasts against A's
    return np.sum(np.tanh(np.einsum("bij,bjk->bik", A, B) + c))


def transposed(A, c):
    # one array: its part's einsum of the gradient alone could be a view of that gradient,
    # and A's gradient is added to after it
    T = np.einsum("ij->ji", A)
    return np.sum(np.tanh(T + c)) + np.sum(A * A * T.T)


PROGRAMS = [
    (transposed, (0, 1), (RNG.normal(size=(3, 4)), RNG.normal(size=3))),
    (mahalanobis, (0, 1), (RNG.normal(size=(3, 2, 2)), RNG.normal(size=(3, 2)),
                           RNG.normal(size=(7, 2)))),
    (mahalanobis_logsumexp, (0, 1, 3), (RNG.normal(size=(4, 3, 3)), RNG.normal(size=(4, 3)),
                                        RNG.normal(size=(9, 3)), RNG.normal(size=4))),
    (centred_rows, (0, 1), (RNG.normal(size=(3, 4)), RNG.normal(size=4),
                            RNG.normal(size=(6, 4)))),
    (bilinear, (0, 1, 2), (RNG.normal(size=(3, 4)), RNG.normal(size=3), RNG.normal(size=4))),
    (batched_matmul, (0, 1), (RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 4, 5)))),
    (weights_only, (0, 1), (RNG.normal(size=(3, 4)), RNG.normal(size=3),
                            RNG.normal(size=(5, 4)))),
    (diagonal, (0, 1, 2), (RNG.normal(size=(3, 3)), RNG.normal(size=3),
                           RNG.normal(size=(3, 4)))),
    (broadcast_dim, (0, 1, 2), (RNG.normal(size=(3, 2, 4)), RNG.normal(size=(1, 4, 2)),
                                RNG.normal(size=2))),
]


def _backward(f, wrt, args):
    text = tangent_lite.source(f, wrt=wrt, specialised_for=args)
    return text.split("Backward sweep")[1]


@pytest.mark.parametrize("f, wrt, args", PROGRAMS, ids=lambda v: getattr(v, "__name__", ""))
def test_against_finite_differences(f, wrt, args):
    check_grad(f, *args, wrt=wrt)


@pytest.mark.parametrize("f", [mahalanobis, mahalanobis_logsumexp, centred_rows],
                         ids=lambda f: f.__name__)
def test_a_summed_part_is_never_made_whole(f):
    wrt, args = next((w, a) for g, w, a in PROGRAMS if g is f)
    backward = _backward(f, wrt, args)
    assert "einsum_adjoint" not in backward, backward
    # the mean's (bias's) gradient: an einsum without the rows' letter, nothing the size of
    # the rows' difference
    assert "->kj'" in backward or "->j'" in backward, backward
    assert "->nkj'" not in backward and "->nj'" not in backward, backward


def test_an_unread_part_is_not_computed():
    args = next(a for g, _, a in PROGRAMS if g is weights_only)
    backward = _backward(weights_only, (0, 1), args)
    calls = [ln for ln in backward.splitlines() if "einsum" in ln and "# line" not in ln]
    assert "einsum_adjoint" not in backward and len(calls) == 1, backward


@pytest.mark.parametrize("f", [diagonal, broadcast_dim], ids=lambda f: f.__name__)
def test_near_misses_keep_the_helpers_meaning(f):
    wrt, args = next((w, a) for g, w, a in PROGRAMS if g is f)
    backward = _backward(f, wrt, args)
    code = [ln for ln in backward.splitlines() if "# line" not in ln]
    assert not any("np.einsum(" in ln for ln in code), backward
    assert "einsum_adjoint(" in backward, backward


def test_complex_data_through_the_helper():
    def phase_energy(Q, z):
        y = np.einsum("ij,nj->ni", Q, z)
        return np.sum(np.abs(y) ** 2)
    Q = RNG.normal(size=(3, 3))
    z = RNG.normal(size=(5, 3)) + 1j * RNG.normal(size=(5, 3))
    g = check_grad(phase_energy, Q, z, wrt=0)
    assert g.dtype == np.float64


SPECS = [
    ("kij,nkj->nki", [(3, 2, 2), (5, 3, 2)], (5, 3, 2)),
    ("ij,jk->ik", [(3, 4), (4, 2)], (3, 2)),
    ("bij,bjk->bik", [(2, 3, 4), (1, 4, 5)], (2, 3, 5)),     # a broadcast dimension
    ("ii,i->i", [(3, 3), (3,)], (3,)),                         # a diagonal
    ("...ij,...j->...i", [(2, 3, 4), (2, 4)], (2, 3)),          # an ellipsis
    ("ij,j", [(3, 4), (4,)], (3,)),                             # an implicit output
]


@pytest.mark.parametrize("spec, shapes, out", SPECS, ids=[s for s, _, _ in SPECS])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_einsum_part_is_the_helpers_part_summed(spec, shapes, out, dtype):
    arrays = [RNG.normal(size=sh).astype(dtype) for sh in shapes]
    if dtype is np.complex128:
        arrays[0] = arrays[0] + 1j * RNG.normal(size=shapes[0])
    g = RNG.normal(size=out).astype(dtype)
    whole = einsum_adjoint(g, (spec, *arrays))
    for k in range(1, len(arrays) + 1):
        np.testing.assert_array_equal(einsum_part(g, (spec, *arrays), k), whole[k])
        nd = np.ndim(whole[k])
        for axis in [0, nd - 1, (0, nd - 1), -1] if nd > 1 else [0]:
            for keepdims in (False, True):
                got = einsum_part(g, (spec, *arrays), k, axis=axis, keepdims=keepdims)
                want = np.sum(whole[k], axis=axis, keepdims=keepdims)
                assert got.dtype == want.dtype and np.shape(got) == np.shape(want)
                tol = 1e-5 if dtype is np.float32 else 1e-12
                np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
