"""Helpers of the np.linalg rules (rules/linalg.py): solve, slogdet, cholesky, eigh, svd, pinv, lstsq, matrix_power, norm.

Real matrices, stacks of them too (complex where a rule is holomorphic). Adjoints are the
gradient rules, tangents the forward-mode ones, `*_adjoint_tangent` the forward rules of the
adjoints that second derivatives need.
"""
import numpy as np

from .lists import zeros_grad
from .core import float_dtype, unit_phase, unbroadcast, unreduce
from .dispatch import InputError, as_array
from .reductions import extremum_mask


def _mT(a):
    return np.swapaxes(a, -1, -2)


def _real_only(a, what):
    if np.iscomplexobj(a):
        raise NotImplementedError(f"tangent_lite: the gradient of {what} is implemented for "
                                  "real matrices only")


def _fold_triangle(grad, lower):
    """The gradient for a matrix of which a function reads only the lower (or upper) triangle,
    from the gradient `grad` for the symmetric matrix that triangle stands for: an element
    below the diagonal stands for itself and its mirror image."""
    both = grad + _mT(grad)
    eye = np.eye(np.shape(grad)[-1], dtype=bool)
    return (np.tril(both, -1) if lower else np.triu(both, 1)) + np.where(eye, grad, 0)


def _unfold_triangle(t, lower):
    """The symmetric matrix a function reading the lower (or upper) triangle of `t` sees."""
    half = np.tril(t, -1) if lower else np.triu(t, 1)
    return half + _mT(half) + np.where(np.eye(np.shape(t)[-1], dtype=bool), t, 0)


def solve_adjoint(g, a, b, x):
    """The gradients of `x = np.linalg.solve(a, b)`: (for a, for b)."""
    if np.ndim(x) == np.ndim(a) - 1:      # b is a vector (or a stack of vectors)
        gb = np.linalg.solve(_mT(a), g[..., None])
        ga = -gb * np.expand_dims(x, -2)
        gb = gb[..., 0]
    else:
        gb = np.linalg.solve(_mT(a), g)
        ga = -(gb @ _mT(x))
    return unbroadcast(ga, a), unbroadcast(gb, b)


def solve_adjoint_tangent(g, a, b, x, dg, da, dx):
    """The tangent of `solve_adjoint(g, a, b, x)` (second derivatives)."""
    vector = np.ndim(x) == np.ndim(a) - 1
    if vector:
        g, x, dg, dx = g[..., None], x[..., None], dg[..., None], dx[..., None]
    gb = np.linalg.solve(_mT(a), g)
    dgb = np.linalg.solve(_mT(a), dg - _mT(da) @ gb)
    dga = -(dgb @ _mT(x) + gb @ _mT(dx))
    return unbroadcast(dga, a), unbroadcast(dgb[..., 0] if vector else dgb, b)


def solve_tangent(a, x, da, db):
    """The tangent of `x = np.linalg.solve(a, b)`: solve(a, db - da @ x)."""
    if np.ndim(x) == np.ndim(a) - 1:
        return np.linalg.solve(a, (db - (da @ x[..., None])[..., 0])[..., None])[..., 0]
    return np.linalg.solve(a, db - da @ x)


def slogdet_adjoint(g, a):
    """The gradient of `np.linalg.slogdet(a)`: the sign is locally constant, the log of |det|
    has gradient inv(a).T."""
    _real_only(a, "np.linalg.slogdet")
    return np.asarray(g[1])[..., None, None] * _mT(np.linalg.inv(a))


def slogdet_adjoint_tangent(g, a, dg, da):
    """The tangent of `slogdet_adjoint(g, a)` (second derivatives)."""
    _real_only(a, "np.linalg.slogdet")
    inv = np.linalg.inv(a)
    return _mT(np.asarray(dg[1])[..., None, None] * inv
               - np.asarray(g[1])[..., None, None] * (inv @ da @ inv))


def _phi(m):
    """The lower triangle of m with half its diagonal."""
    return np.tril(m) - 0.5 * np.where(np.eye(np.shape(m)[-1], dtype=bool), m, 0)


def cholesky_adjoint(g, factor, upper=False):
    """The gradient of `np.linalg.cholesky(a, upper=upper)`, which reads one triangle of a."""
    _real_only(factor, "np.linalg.cholesky")
    low, g = (_mT(factor), _mT(g)) if upper else (factor, g)
    left = np.linalg.solve(_mT(low), _phi(_mT(low) @ g))        # L^-T phi(L^T g)
    grad = _mT(np.linalg.solve(_mT(low), _mT(left)))             # ... L^-1
    return _fold_triangle(grad, lower=not upper)


def cholesky_tangent(da, factor, upper=False):
    """The tangent of `np.linalg.cholesky(a, upper=upper)`: L phi(L^-1 da L^-T)."""
    low = _mT(factor) if upper else factor
    left = np.linalg.solve(low, _unfold_triangle(da, lower=not upper))
    t = low @ _phi(_mT(np.linalg.solve(low, _mT(left))))
    return _mT(t) if upper else t


def _gaps(w):
    """1 / (w_j - w_i) off the diagonal, 0 on it."""
    gap = np.expand_dims(w, -2) - np.expand_dims(w, -1)
    eye = np.eye(np.shape(w)[-1], dtype=bool)
    with np.errstate(divide="ignore"):
        return np.where(eye, 0.0, 1.0 / np.where(eye, 1.0, gap))


def eigh_adjoint(g, y, UPLO="L"):
    """The gradient of `np.linalg.eigh(a, UPLO)` (eigenvectors need distinct eigenvalues)."""
    w, v = y
    _real_only(v, "np.linalg.eigh")
    gw, gv = g
    inner = np.expand_dims(gw, -1) * np.eye(np.shape(w)[-1])
    if gv is not None and np.any(gv):
        inner = inner + _gaps(w) * (_mT(v) @ gv)
    return _fold_triangle(v @ inner @ _mT(v), lower=UPLO.upper() == "L")


def eigh_tangent(da, y, UPLO="L", vectors=True):
    """The tangent of `np.linalg.eigh(a, UPLO)`: (of the eigenvalues, of the eigenvectors)."""
    w, v = y
    _real_only(v, "np.linalg.eigh")
    s = _mT(v) @ _unfold_triangle(da, lower=UPLO.upper() == "L") @ v
    dw = np.diagonal(s, axis1=-2, axis2=-1)
    return (dw, v @ (_gaps(w) * s)) if vectors else dw


def _qr_parts(y, what):
    q, r = y
    _real_only(q, what)
    m, n = np.shape(q)[-2], np.shape(r)[-1]
    if np.shape(q)[-1] != n or m < n:
        raise InputError(f"tangent_lite: the derivative of {what} is implemented for a tall or "
                         "square matrix in mode='reduced' (Q with orthonormal columns, square "
                         "R); slice a wide matrix into a square part first")
    return q, r


def qr_adjoint(g, y, mode="reduced"):
    """The gradient of `np.linalg.qr(a, mode)` of a tall or square full-rank `a`, from
    g = (dQ, dR): (dQ + Q copyltu(M)) R^-T with M = R dR^T - dQ^T Q, copyltu(M) the lower
    triangle of M mirrored above the diagonal."""
    q, r = _qr_parts(y, "np.linalg.qr")
    gq, gr = g
    m = r @ _mT(gr) - _mT(gq) @ q
    low = np.tril(m, -1)
    copyltu = low + _mT(low) + np.where(np.eye(np.shape(m)[-1], dtype=bool), m, 0)
    b = gq + q @ copyltu
    return _mT(np.linalg.solve(r, _mT(b)))          # b @ inv(R).T


def qr_tangent(da, y, mode="reduced"):
    """The tangent (dQ, dR) of `np.linalg.qr(a, mode)`: with X = Q^T da R^-1, whose strictly
    lower part is that of the skew matrix Q^T dQ, dR = (X - Omega) R and dQ = (da - Q dR) R^-1."""
    q, r = _qr_parts(y, "np.linalg.qr")
    x = _mT(np.linalg.solve(_mT(r), _mT(_mT(q) @ da)))      # Q^T da inv(R)
    low = np.tril(x, -1)
    omega = low - _mT(low)
    dr = (x - omega) @ r
    dq = _mT(np.linalg.solve(_mT(r), _mT(da - q @ dr)))     # (da - Q dR) inv(R)
    return dq, dr


def eigvalsh_adjoint(g, a, UPLO="L"):
    """The gradient of `np.linalg.eigvalsh(a, UPLO)`."""
    return eigh_adjoint((g, None), np.linalg.eigh(a, UPLO), UPLO)


def eigvalsh_tangent(da, a, UPLO="L"):
    """The tangent of `np.linalg.eigvalsh(a, UPLO)`."""
    return eigh_tangent(da, np.linalg.eigh(a, UPLO), UPLO, vectors=False)


def _svd_parts(y, a, full_matrices, compute_uv, hermitian):
    _real_only(a, "np.linalg.svd")
    if hermitian:
        raise NotImplementedError("tangent_lite: the gradient of np.linalg.svd with "
                                  "hermitian=True is not implemented")
    if not compute_uv:
        return np.linalg.svd(a, full_matrices=False)
    return y


def svd_adjoint(g, y, a, full_matrices=True, compute_uv=True, hermitian=False):
    """The gradient of `np.linalg.svd(a, ...)`: of the singular values alone (compute_uv=False)
    or of (U, S, Vh), which needs distinct nonzero singular values."""
    u, s, vh = _svd_parts(y, a, full_matrices, compute_uv, hermitian)
    if not compute_uv:
        return u @ (np.expand_dims(g, -1) * vh)
    gu, gs, gvh = g
    k = np.shape(s)[-1]
    if (np.shape(u)[-1] > k and np.any(gu[..., k:])) or (
            np.shape(vh)[-2] > k and np.any(gvh[..., k:, :])):
        raise InputError("tangent_lite: the columns np.linalg.svd adds with full_matrices=True "
                         "are not unique, so they have no gradient; use full_matrices=False")
    u, vh, gu, gvh = u[..., :k], vh[..., :k, :], gu[..., :k], gvh[..., :k, :]
    m, n = np.shape(a)[-2:]
    inner = np.expand_dims(gs, -1) * np.eye(k)
    if np.any(gu) or np.any(gvh):
        f = _gaps(s * s)
        ug, vg = _mT(u) @ gu, vh @ _mT(gvh)
        inner = (inner + f * (ug - _mT(ug)) * np.expand_dims(s, -2)
                 + np.expand_dims(s, -1) * (f * (vg - _mT(vg))))
    grad = u @ inner @ vh
    if m > k and np.any(gu):
        grad = grad + ((gu - u @ (_mT(u) @ gu)) / np.expand_dims(s, -2)) @ vh
    if n > k and np.any(gvh):
        v, gv = _mT(vh), _mT(gvh)
        grad = grad + u @ (_mT(gv - v @ (vh @ gv)) / np.expand_dims(s, -1))
    return grad


def svd_tangent(da, y, a, full_matrices=True, compute_uv=True, hermitian=False):
    """The tangent of `np.linalg.svd(a, ...)`. The columns full_matrices=True adds to U or Vh
    are not unique: their tangents are NaN."""
    u, s, vh = _svd_parts(y, a, full_matrices, compute_uv, hermitian)
    m, n = np.shape(a)[-2:]
    k = np.shape(s)[-1]
    extra_u, extra_v = np.shape(u)[-1] - k, np.shape(vh)[-2] - k
    u, vh = u[..., :k], vh[..., :k, :]
    ds_full = _mT(u) @ da @ _mT(vh)
    ds = np.diagonal(ds_full, axis1=-2, axis2=-1)
    if not compute_uv:
        return ds
    f = _gaps(s * s)
    dss = ds_full * np.expand_dims(s, -2)
    sds = np.expand_dims(s, -1) * ds_full
    v = _mT(vh)
    du = u @ (f * (dss + _mT(dss)))
    dv = v @ (f * (sds + _mT(sds)))
    if m > n:
        dav = da @ v
        du = du + (dav - u @ (_mT(u) @ dav)) / np.expand_dims(s, -2)
    if n > m:
        dau = _mT(da) @ u
        dv = dv + (dau - v @ (vh @ dau)) / np.expand_dims(s, -2)
    if extra_u or extra_v:      # full_matrices=True: the columns added are not unique
        du = np.concatenate([du, np.full(np.shape(du)[:-1] + (extra_u,), np.nan)], -1)
        dv = np.concatenate([dv, np.full(np.shape(dv)[:-1] + (extra_v,), np.nan)], -1)
    return du, ds, _mT(dv)


def pinv_adjoint(g, x, a, hermitian=False):
    """The gradient of `x = np.linalg.pinv(a)` (on matrices of constant rank)."""
    _real_only(a, "np.linalg.pinv")
    if hermitian:
        raise NotImplementedError("tangent_lite: the gradient of np.linalg.pinv with "
                                  "hermitian=True is not implemented")
    xt, gt = _mT(x), _mT(g)
    return (-(xt @ g @ xt) + (gt - a @ (x @ gt)) @ (x @ xt)
            + (xt @ x) @ (gt - (gt @ x) @ a))


def pinv_tangent(da, x, a, hermitian=False):
    """The tangent of `x = np.linalg.pinv(a)` (on matrices of constant rank)."""
    _real_only(a, "np.linalg.pinv")
    if hermitian:
        raise NotImplementedError("tangent_lite: the gradient of np.linalg.pinv with "
                                  "hermitian=True is not implemented")
    dat = _mT(da)
    return (-(x @ da @ x) + (x @ _mT(x)) @ (dat - (dat @ a) @ x)
            + (dat - x @ (a @ dat)) @ (_mT(x) @ x))


def lstsq_adjoint(g, y, a, b):
    """The gradients of `np.linalg.lstsq(a, b)` = (x, residuals, rank, s): (for a, for b).
    x = pinv(a) @ b; the residuals are stationary in x, so only their explicit dependence
    counts; the rank has none."""
    gx, gres, _, gs = g
    x, res = y[0], y[1]
    vector = np.ndim(b) == 1
    pinv = np.linalg.pinv(a)
    gx2, b2, x2 = (gx[:, None], b[:, None], x[:, None]) if vector else (gx, b, x)
    ga = pinv_adjoint(gx2 @ b2.T, pinv, a)
    gb = pinv.T @ gx2
    if np.size(res) and np.any(gres):
        r = b2 - a @ x2
        ga = ga - 2.0 * (r * gres) @ x2.T
        gb = gb + 2.0 * r * gres
    if np.any(gs):
        ga = ga + svd_adjoint(gs, None, a, False, False)
    return ga, (gb[:, 0] if vector else gb)


def lstsq_tangent(da, db, y, a, b):
    """The tangent of `np.linalg.lstsq(a, b)`: (dx, dresiduals, 0 for the rank, ds)."""
    x, res, rank, s = y
    vector = np.ndim(b) == 1
    pinv = np.linalg.pinv(a)
    b2, x2, db2 = (b[:, None], x[:, None], db[:, None]) if vector else (b, x, db)
    dx = pinv_tangent(da, pinv, a) @ b2 + pinv @ db2
    dres = np.zeros(np.shape(res), dtype=float_dtype(res))
    if np.size(res):
        dres = 2.0 * np.sum((b2 - a @ x2) * (db2 - da @ x2), axis=0)
    ds = svd_tangent(da, None, a, False, False)
    return (dx[:, 0] if vector else dx), dres, zeros_grad(rank), ds


def _powers(a, n):
    out = [np.broadcast_to(np.eye(np.shape(a)[-1], dtype=np.result_type(a, 1.0)), np.shape(a))]
    for _ in range(n - 1):
        out.append(out[-1] @ a)
    return out


def matrix_power_adjoint(g, a, n):
    """The gradient of `np.linalg.matrix_power(a, n)`: sum over k of (a^k)^T g (a^(n-1-k))^T;
    a negative power goes through inv(a)."""
    if n == 0:
        return np.zeros(np.shape(a), dtype=float_dtype(g))
    base = np.linalg.inv(a) if n < 0 else a
    p = _powers(base, abs(n))
    grad = sum(_mT(p[k]) @ g @ _mT(p[abs(n) - 1 - k]) for k in range(abs(n)))
    return -(_mT(base) @ grad @ _mT(base)) if n < 0 else grad


def matrix_power_tangent(da, a, n):
    """The tangent of `np.linalg.matrix_power(a, n)`."""
    if n == 0:
        return np.zeros(np.shape(a), dtype=float_dtype(da))
    base = np.linalg.inv(a) if n < 0 else a
    if n < 0:
        da = -(base @ da @ base)
    p = _powers(base, abs(n))
    return sum(p[k] @ da @ p[abs(n) - 1 - k] for k in range(abs(n)))



def _norm_axes(x, ord, axis):
    """(axes reduced, whether they hold matrices) for `np.linalg.norm(x, ord, axis)`."""
    nd = np.ndim(x)
    if axis is None:
        if ord is not None and nd == 2:
            return (0, 1), True
        return tuple(range(nd)), False
    axes = tuple(ax % nd for ax in (axis if isinstance(axis, tuple) else (axis,)))
    return axes, len(axes) == 2


def norm_grad(g, y, x, ord=None, axis=None, keepdims=False):
    """The gradient of `np.linalg.norm(x, ord, axis, keepdims)`: vector norms of every order,
    matrix norms 'fro', 'nuc', 1, -1, 2, -2, inf, -inf; complex x for the vector and Frobenius
    norms. At ties (several largest entries, columns ...) the gradient is shared equally."""
    x = as_array(x)
    axes, matrix = _norm_axes(x, ord, axis)
    if not keepdims:
        g, y = np.expand_dims(g, axes), np.expand_dims(y, axes)
    g = np.real(g)
    dtype = float_dtype(x, g)
    sign = np.conj(unit_phase(x)) if np.iscomplexobj(x) else np.sign(x)
    if ord in (None, "fro") or (ord == 2 and not matrix):
        with np.errstate(divide="ignore", invalid="ignore"):
            grad = np.where(y == 0, 0.0, np.conj(x) / y)
    elif not matrix and ord == 0:
        grad = np.zeros(x.shape)
    elif not matrix and ord == 1:
        grad = sign
    elif not matrix and ord in (np.inf, -np.inf):
        hit = np.abs(x) == y
        grad = sign * (hit / np.sum(hit, axis=axes, keepdims=True))
    elif not matrix:
        with np.errstate(divide="ignore", invalid="ignore"):
            grad = sign * np.where(y == 0, 0.0, (np.abs(x) / y) ** (ord - 1))
    else:
        grad = _matrix_norm_grad(x, ord, axes)
    return (g * grad).astype(dtype, copy=False)


def norm_grad_tangent(dg, dy, dx, g, y, x, ord=None, axis=None, keepdims=False):
    """The tangent of norm_grad (a Hessian-vector product through np.linalg.norm): dg times
    the norm's gradient G, plus g times G's own tangent. G is piecewise constant for vector
    ord 0, 1, +-inf and matrix ord 1, -1, +-inf, so that tangent is zero; for the 2-norm, the
    Frobenius norm and the vector p-norms of real x, G = sign(x) (|x| / y) ** (p - 1) moves
    by (p - 1) (|x| / y) ** (p - 2) (dx / y - x dy / y**2). The matrix norms 2, -2 and 'nuc'
    (through the SVD) and complex x are refused."""
    x = as_array(x)
    axes, matrix = _norm_axes(x, ord, axis)
    first = norm_grad(dg, y, x, ord, axis, keepdims)
    if ord in ((1, -1, np.inf, -np.inf) if matrix else (0, 1, np.inf, -np.inf)):
        return first
    if np.iscomplexobj(x) or np.iscomplexobj(dx) or (matrix and ord not in (None, "fro")):
        raise InputError(f"tangent_lite: the second derivative of np.linalg.norm with "
                         f"ord={ord!r} of {'complex values' if np.iscomplexobj(x) else 'a matrix'}"
                         " is not implemented (Hessian-vector products through it): write the "
                         "norm out, e.g. np.sqrt(np.sum(x ** 2))")
    if not keepdims:
        g, y, dy = (np.expand_dims(v, axes) for v in (g, y, dy))
    p = 2 if ord in (None, "fro") else ord
    with np.errstate(divide="ignore", invalid="ignore"):
        moved = np.where(y == 0, 0.0,
                         (p - 1) * (np.abs(x) / y) ** (p - 2) * (dx / y - x * dy / (y * y)))
    return (first + np.real(g) * moved).astype(float_dtype(x, g), copy=False)


def _matrix_norm_grad(x, ord, axes):
    _real_only(x, f"np.linalg.norm with ord={ord!r} on matrices")
    m = np.moveaxis(x, axes, (-2, -1))
    if ord in ("nuc", 2, -2):
        u, s, vh = np.linalg.svd(m, full_matrices=False)
        if ord == 2:
            u, vh = u[..., :1], vh[..., :1, :]
        elif ord == -2:
            u, vh = u[..., -1:], vh[..., -1:, :]
        grad = u @ vh
    elif ord in (1, -1, np.inf, -np.inf):
        over = -2 if ord in (1, -1) else -1         # columns for 1, rows for inf
        sums = np.sum(np.abs(m), axis=over, keepdims=True)
        best = np.max(sums, axis=-1 if over == -2 else -2, keepdims=True) if ord > 0 else \
            np.min(sums, axis=-1 if over == -2 else -2, keepdims=True)
        hit = sums == best
        grad = np.sign(m) * hit / np.sum(hit, axis=(-2, -1), keepdims=True)
    else:
        raise NotImplementedError(f"tangent_lite: np.linalg.norm has no matrix norm ord={ord!r}")
    return np.moveaxis(grad, (-2, -1), axes)


def norm_tangent(dx, y, x, ord=None, axis=None, keepdims=False):
    """The tangent of `np.linalg.norm(x, ord, axis, keepdims)`."""
    axes, _ = _norm_axes(x, ord, axis)
    dtype = as_array(y).dtype
    grad = norm_grad(np.ones(np.shape(y), dtype=dtype), y, x, ord, axis, keepdims)
    return np.real(np.sum(grad * dx, axis=axes, keepdims=keepdims)).astype(dtype)
