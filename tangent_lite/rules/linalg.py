"""NumPy's products (`@`, dot, outer, einsum, tensordot, ...) and np.linalg.

Matrix functions work on stacks of matrices (..., M, N) as NumPy does; `np.swapaxes(m, -1, -2)`
is the transpose of each matrix.

- Products are multilinear: the forward rule is one product per varied argument, the reverse
  rule contracts the gradient with the other arguments (`matmul_lhs`, `einsum_adjoint` and
  their relatives in tangent_lite/runtime handle any subscripts, implicit outputs, '...',
  repeated letters and broadcasting).
- Functions that return several values (slogdet, eigh, svd) give a tuple; index it
  (`np.linalg.slogdet(A)[1]`, `np.linalg.eigh(A)[0]`). The gradient of the tuple is a list with
  one entry per value (zeros for values not used), its tangent a tuple.
- np.linalg.eigh and np.linalg.cholesky read one triangle of their argument (the lower one by
  default): the gradient is that of the function NumPy computes, so it is zero on the triangle
  not read, and an element of the triangle read counts for itself and its mirror image.
- Eigenvectors and singular vectors need distinct eigenvalues (singular values); pinv and
  lstsq are differentiated on matrices of constant rank; det and inv need invertible matrices.
- Complex matrices: the rules written with transposes (inv, det, solve, products) are the
  holomorphic ones and hold for them too; the helpers of eigh, svd, cholesky, slogdet, pinv and
  the matrix norms refuse complex matrices rather than give a wrong gradient.
- np.linalg.norm covers every vector order, the matrix norms ord=1, -1, 2, -2, inf, -inf, 'fro',
  'nuc', and complex inputs; its gradient at 0 is 0.
"""
# flake8: noqa: E704
import operator

import numpy as np

from .registry import adjoint, d, nondifferentiable, tangent_rule
from .. import runtime
from .template import Shape
from ..runtime import (cholesky_adjoint, cholesky_tangent, cross_adjoint, dot_lhs, dot_rhs,
                       eigh_adjoint, eigh_tangent, eigvalsh_adjoint, eigvalsh_tangent,
                       einsum_adjoint, einsum_adjoint_tangent, einsum_tangent, inner_adjoint,
                       kron_adjoint, lstsq_adjoint, lstsq_tangent, matmul_lhs, matmul_rhs,
                       matrix_power_adjoint, matrix_power_tangent, norm_grad, norm_grad_tangent,
                       norm_tangent,
                       outer_adjoint,
                       pinv_adjoint, pinv_tangent, qr_adjoint, qr_tangent, slogdet_adjoint,
                       slogdet_adjoint_tangent,
                       solve_adjoint, solve_adjoint_tangent, solve_tangent,
                       svd_adjoint, svd_tangent, tensordot_adjoint, zeros_grad)

# ---- products --------------------------------------------------------------------------------

@adjoint(np.matmul, operator.matmul)
def _(y, a, b):
    d[a] = matmul_lhs(d[y], a, b)
    d[b] = matmul_rhs(d[y], a, b)

@tangent_rule(np.matmul, operator.matmul)
def _(y, a, b): d[y] = d[a] @ b + a @ d[b]

@adjoint(np.dot)
def _(y, a, b):
    d[a] = dot_lhs(d[y], a, b)
    d[b] = dot_rhs(d[y], a, b)

@tangent_rule(np.dot)
def _(y, a, b): d[y] = np.dot(d[a], b) + np.dot(a, d[b])

@adjoint(np.outer)
def _(y, a, b):
    d[a] = outer_adjoint(d[y], a, b, 0)
    d[b] = outer_adjoint(d[y], a, b, 1)

@tangent_rule(np.outer)
def _(y, a, b): d[y] = np.outer(d[a], b) + np.outer(a, d[b])

@adjoint(np.einsum)      # np.einsum("ij,jk->ik", a, b): d[operands] is [None, da, db]
def _(y, *operands, optimize=False): d[operands] = einsum_adjoint(d[y], operands, optimize)

@tangent_rule(np.einsum)
def _(y, *operands, optimize=False): d[y] = einsum_tangent(d[operands], operands, optimize)

@adjoint(np.tensordot)
def _(y, a, b, axes=2):
    d[a] = tensordot_adjoint(d[y], a, b, axes, 0)
    d[b] = tensordot_adjoint(d[y], a, b, axes, 1)

@tangent_rule(np.tensordot)
def _(y, a, b, axes=2): d[y] = np.tensordot(d[a], b, axes) + np.tensordot(a, d[b], axes)

@adjoint(np.inner)
def _(y, a, b):
    d[a] = inner_adjoint(d[y], a, b, 0)
    d[b] = inner_adjoint(d[y], a, b, 1)

@tangent_rule(np.inner)
def _(y, a, b): d[y] = np.inner(d[a], b) + np.inner(a, d[b])

@adjoint(np.vdot)        # vdot(a, b) = sum(conj(a) * b), both flattened
def _(y, a, b):
    d[a] = np.conj(d[y] * np.reshape(b, np.shape(a)))
    d[b] = d[y] * np.conj(np.reshape(a, np.shape(b)))

@tangent_rule(np.vdot)
def _(y, a, b): d[y] = np.vdot(d[a], b) + np.vdot(a, d[b])

@adjoint(np.kron)
def _(y, a, b):
    d[a] = kron_adjoint(d[y], a, b, 0)
    d[b] = kron_adjoint(d[y], a, b, 1)

@tangent_rule(np.kron)
def _(y, a, b): d[y] = np.kron(d[a], b) + np.kron(a, d[b])

@adjoint(np.cross)       # d[a] = b x d[y], d[b] = d[y] x a
def _(y, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    d[a] = cross_adjoint(d[y], a, b, axisa, axisb, axisc, axis, 0)
    d[b] = cross_adjoint(d[y], a, b, axisa, axisb, axisc, axis, 1)

@tangent_rule(np.cross)
def _(y, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    d[y] = (np.cross(d[a], b, axisa, axisb, axisc, axis)
            + np.cross(a, d[b], axisa, axisb, axisc, axis))

# ---- inverses and determinants ---------------------------------------------------------------

@adjoint(np.linalg.inv)
def _(y, a):
    yt = np.swapaxes(y, -1, -2)
    d[a] = -(yt @ d[y] @ yt)

@tangent_rule(np.linalg.inv)
def _(y, a): d[y] = -(y @ d[a] @ y)

@adjoint(np.linalg.det)
def _(y, a): d[a] = np.expand_dims(d[y] * y, (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2)

@tangent_rule(np.linalg.det)
def _(y, a): d[y] = y * np.trace(np.linalg.solve(a, d[a]), axis1=-2, axis2=-1)

@adjoint(np.linalg.slogdet)       # d[y] is [d sign (unused: the sign is constant), d logabsdet]
def _(y, a): d[a] = slogdet_adjoint(d[y], a)

@tangent_rule(np.linalg.slogdet)
def _(y, a): d[y] = (zeros_grad(y[0]), np.trace(np.linalg.solve(a, d[a]), axis1=-2, axis2=-1))

@adjoint(np.linalg.solve)
def _(x, a, b):
    parts = solve_adjoint(d[x], a, b, x)
    d[a] = parts[0]
    d[b] = parts[1]

@tangent_rule(np.linalg.solve)
def _(x, a, b): d[x] = solve_tangent(a, x, d[a], d[b])

@adjoint(np.linalg.matrix_power)
def _(y, a, n): d[a] = matrix_power_adjoint(d[y], a, n)

@tangent_rule(np.linalg.matrix_power)
def _(y, a, n): d[y] = matrix_power_tangent(d[a], a, n)

@adjoint(np.linalg.pinv)
def _(y, a, rcond=None, hermitian=False, *, rtol=None): d[a] = pinv_adjoint(d[y], y, a, hermitian)

@tangent_rule(np.linalg.pinv)
def _(y, a, rcond=None, hermitian=False, *, rtol=None): d[y] = pinv_tangent(d[a], y, a, hermitian)

@adjoint(np.linalg.lstsq)         # d[y] is [dx, d residuals, d rank (none), d singular values]
def _(y, a, b, rcond=None):
    parts = lstsq_adjoint(d[y], y, a, b)
    d[a] = parts[0]
    d[b] = parts[1]

@tangent_rule(np.linalg.lstsq)
def _(y, a, b, rcond=None): d[y] = lstsq_tangent(d[a], d[b], y, a, b)

# ---- factorizations --------------------------------------------------------------------------

@adjoint(np.linalg.cholesky)
def _(L, a, *, upper=False): d[a] = cholesky_adjoint(d[L], L, upper)

@tangent_rule(np.linalg.cholesky)
def _(L, a, *, upper=False): d[L] = cholesky_tangent(d[a], L, upper)

@adjoint(np.linalg.eigh)          # d[y] is [d eigenvalues, d eigenvectors]
def _(y, a, UPLO="L"): d[a] = eigh_adjoint(d[y], y, UPLO)

@tangent_rule(np.linalg.eigh)
def _(y, a, UPLO="L"): d[y] = eigh_tangent(d[a], y, UPLO)

@adjoint(np.linalg.qr)            # d[y] is [dQ, dR]; a tall or square matrix, mode "reduced"
def _(y, a, mode="reduced"): d[a] = qr_adjoint(d[y], y, mode)

@tangent_rule(np.linalg.qr)
def _(y, a, mode="reduced"): d[y] = qr_tangent(d[a], y, mode)

@adjoint(np.linalg.eigvalsh)
def _(w, a, UPLO="L"): d[a] = eigvalsh_adjoint(d[w], a, UPLO)

@tangent_rule(np.linalg.eigvalsh)
def _(w, a, UPLO="L"): d[w] = eigvalsh_tangent(d[a], a, UPLO)

@adjoint(np.linalg.svd)           # compute_uv=False: d[y] is d s; else [dU, ds, dVh]
def _(y, a, full_matrices=True, compute_uv=True, hermitian=False):
    d[a] = svd_adjoint(d[y], y, a, full_matrices, compute_uv, hermitian)

@tangent_rule(np.linalg.svd)
def _(y, a, full_matrices=True, compute_uv=True, hermitian=False):
    d[y] = svd_tangent(d[a], y, a, full_matrices, compute_uv, hermitian)

if hasattr(np.linalg, "svdvals"):     # NumPy 2
    @adjoint(np.linalg.svdvals)
    def _(s, x): d[x] = svd_adjoint(d[s], s, x, False, False)

    @tangent_rule(np.linalg.svdvals)
    def _(s, x): d[s] = svd_tangent(d[x], s, x, False, False)

# ---- norms -----------------------------------------------------------------------------------

@adjoint(np.linalg.norm)
def _(y, x, ord=None, axis=None, keepdims=False):
    d[x] = norm_grad(d[y], y, x, ord, axis, keepdims)

@tangent_rule(np.linalg.norm)
def _(y, x, ord=None, axis=None, keepdims=False):
    d[y] = norm_tangent(d[x], y, x, ord, axis, keepdims)

# ---- helpers in forward mode (second derivatives) --------------------------------------------

@tangent_rule(solve_adjoint)
def _(y, g, a, b: Shape, x): d[y] = solve_adjoint_tangent(g, a, b, x, d[g], d[a], d[x])

@tangent_rule(slogdet_adjoint)
def _(y, g, a): d[y] = slogdet_adjoint_tangent(g, a, d[g], d[a])

# the products are multilinear

@tangent_rule(einsum_adjoint)
def _(y, g, operands, optimize=False):
    d[y] = einsum_adjoint_tangent(g, d[g], operands, d[operands], optimize)

@tangent_rule(tensordot_adjoint)   # the argument differentiated counts only for its shape
def _(y, g, a, b, axes=2, which=0):
    d[y] = (tensordot_adjoint(d[g], a, b, axes, which)
            + tensordot_adjoint(g, d[a], d[b], axes, which))

@tangent_rule(outer_adjoint)
def _(y, g, a, b, which=0):
    d[y] = outer_adjoint(d[g], a, b, which) + outer_adjoint(g, d[a], d[b], which)

@tangent_rule(inner_adjoint)
def _(y, g, a, b, which=0):
    d[y] = inner_adjoint(d[g], a, b, which) + inner_adjoint(g, d[a], d[b], which)

@tangent_rule(kron_adjoint)
def _(y, g, a, b, which=0):
    d[y] = kron_adjoint(d[g], a, b, which) + kron_adjoint(g, d[a], d[b], which)

@tangent_rule(cross_adjoint)
def _(y, g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None, which=0):
    d[y] = (cross_adjoint(d[g], a, b, axisa, axisb, axisc, axis, which)
            + cross_adjoint(g, d[a], d[b], axisa, axisb, axisc, axis, which))

# A Hessian-vector product through np.linalg.norm: its gradient's tangent (the matrix norms
# 2, -2 and 'nuc' refused there).
@tangent_rule(runtime.norm_grad)
def _(out, g, y, x, ord=None, axis=None, keepdims=False):
    d[out] = norm_grad_tangent(d[g], d[y], d[x], g, y, x, ord, axis, keepdims)

# Second derivatives through the factorizations, matrix_power, pinv and lstsq are not
# implemented: a Hessian-vector product through their helpers is refused. The forward-mode helpers
# appear only in jvp code, which is never differentiated again.
nondifferentiable(runtime.matrix_power_adjoint, runtime.pinv_adjoint, runtime.cholesky_adjoint,
                  runtime.eigh_adjoint, runtime.eigvalsh_adjoint, runtime.svd_adjoint,
                  runtime.einsum_tangent, runtime.solve_tangent,
                  runtime.matrix_power_tangent, runtime.pinv_tangent, runtime.cholesky_tangent,
                  runtime.eigh_tangent, runtime.eigvalsh_tangent, runtime.svd_tangent,
                  runtime.norm_tangent, runtime.lstsq_adjoint, runtime.lstsq_tangent,
                  runtime.solve_adjoint_tangent, runtime.slogdet_adjoint_tangent,
                  runtime.qr_adjoint, runtime.qr_tangent, constant_inputs=True)
