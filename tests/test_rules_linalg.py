"""The product and linear-algebra rules (rules/linalg.py) against central finite
differences in float64, in both modes (the checks are in rule_checks.py).

CASES follows tests/test_rules.py: (function, case function, arguments, wrt), keyed by the
exact function object registered. Inputs are drawn inside each function's domain: well
conditioned matrices for inv, det and solve, symmetric positive definite ones for cholesky,
distinct eigenvalues and singular values for eigh and svd, full rank for pinv. Eigenvectors and
singular vectors enter a case squared, so their sign (which LAPACK chooses) does not matter.
eigh and cholesky read one triangle of their argument; finite differences move one element at
a time, so they check that the gradient is zero on the other triangle.
"""
import inspect
import operator
import warnings

import numpy as np
import pytest

import rule_checks
import tangent_lite
from tangent_lite.rules import linalg
from test_rules import Case, F, _label

rng = np.random.default_rng(20240806)


def u(shape, lo=-1.0, hi=1.0):
    if shape == F:
        return float(rng.uniform(lo, hi))
    return np.array(rng.uniform(lo, hi, size=shape), dtype=np.float64)


def wellcond(n, batch=()):
    return 2.0 * np.eye(n) + 0.5 * u(batch + (n, n))


def spd(n, batch=()):
    b = u(batch + (n, n))
    return b @ np.swapaxes(b, -1, -2) + n * np.eye(n)


def sym(n, batch=()):
    """Symmetric, eigenvalues about 1.5 apart; the upper triangle holds other numbers, which
    NumPy's eigh ignores."""
    q = np.linalg.qr(u(batch + (n, n)))[0]
    a = q @ (np.arange(n) * 1.5 * np.eye(n) - 1.0) @ np.swapaxes(q, -1, -2)
    return np.tril(a) + np.triu(u(batch + (n, n)), 1)


def sym_upper(n):
    a = sym(n)
    a = np.tril(a) + np.tril(a, -1).T
    return np.triu(a) + np.tril(u((n, n)), -1)


def ranked(m, n):
    """Full rank, singular values distinct and away from 0."""
    k = min(m, n)
    q1 = np.linalg.qr(u((m, m)))[0][:, :k]
    q2 = np.linalg.qr(u((n, n)))[0][:, :k]
    return q1 @ np.diag(np.linspace(2.0, 0.6, k)) @ q2.T


CASES = []


def case(prim, f, *args, wrt=None):
    if wrt is None:
        wrt = tuple(i for i, a in enumerate(args)
                    if isinstance(a, float) or (isinstance(a, np.ndarray) and a.dtype.kind == "f"))
    CASES.append(Case(prim, f, args, wrt))


def weigh(v):
    """v times 1, 2, 3 ... in order: a sum that notices where each element went."""
    return v * np.reshape(np.arange(1.0, np.size(v) + 1.0), np.shape(v))


# ---- products --------------------------------------------------------------------------------

def einsum1(s, a): return weigh(np.einsum(s, a))
def einsum2(s, a, b): return weigh(np.einsum(s, a, b))
def einsum3(s, a, b, c): return weigh(np.einsum(s, a, b, c, optimize=True))
def einsum_literal(a, b): return np.einsum("ij,jk->ik", a, b) ** 2

for s, sa, sb in [("ij,jk->ik", (3, 4), (4, 5)), ("ij,jk", (3, 4), (4, 2)),
                  ("i,i", (4,), (4,)), ("i,i->", (4,), (4,)), ("i,j->ij", (3,), (2,)),
                  ("bij,bjk->bik", (2, 3, 4), (2, 4, 2)),
                  ("...ij,...jk->...ik", (2, 3, 4), (4, 2)),
                  ("...ij,...jk", (2, 1, 3, 4), (5, 4, 2)),
                  ("ij,ij->ij", (1, 3), (2, 3)),       # a size-1 dimension broadcast
                  ("ab,bC", (2, 3), (3, 4)),            # implicit output in ASCII order: 'Ca'
                  ("ij, jk -> ki", (3, 2), (2, 4)),
                  ("i,->i", (3,), ()),
                  ("iij,j->i", (3, 3, 2), (2,)),        # a repeated letter: a diagonal
                  ("ijk,ik->j", (2, 3, 4), (2, 4))]:
    case(np.einsum, einsum2, s, u(sa), u(sb))
for s, sa in [("ii->i", (3, 3)), ("ii", (3, 3)), ("ij->", (2, 3)), ("ij->ji", (2, 3)),
              ("ij->j", (3, 2)), ("...i->...", (2, 3, 4)), ("i...->...i", (3, 2))]:
    case(np.einsum, einsum1, s, u(sa))
case(np.einsum, einsum3, "ij,jk,kl->il", u((2, 3)), u((3, 4)), u((4, 2)))
case(np.einsum, einsum3, "i,ij,j", u((3,)), u((3, 2)), u((2,)))
case(np.einsum, einsum_literal, u((2, 3)), u((3, 2)))

def tensordot(a, b, axes): return weigh(np.tensordot(a, b, axes))
def tensordot2(a, b): return np.tensordot(a, b) ** 2
def inner(a, b): return weigh(np.inner(a, b))
def vdot(a, b): return np.vdot(a, b) ** 2
def kron(a, b): return weigh(np.kron(a, b))
def cross(a, b): return weigh(np.cross(a, b))
def cross_axes(a, b): return weigh(np.cross(a, b, axisa=0, axisc=0))
def cross_axis(a, b): return weigh(np.cross(a, b, axis=0))

case(np.tensordot, tensordot2, u((2, 3, 4)), u((3, 4, 2)))
for sa, sb, axes in [((2, 3, 4), (3, 4, 5), 2), ((2, 3), (3, 4), 1), ((2,), (3,), 0),
                     ((3, 2, 4), (2, 3, 5), ([1, 0], [0, 1])), ((3, 4), (2, 4), (1, 1)),
                     ((2, 3, 4), (4, 3), ([-1], [0]))]:
    case(np.tensordot, tensordot, u(sa), u(sb), axes)
for sa, sb in [((3,), (3,)), ((2, 3), (4, 3)), (F, (3,)), ((2, 3), ()), ((2, 3, 4), (4,))]:
    case(np.inner, inner, u(sa), u(sb))
case(np.vdot, vdot, u((3,)), u((3,)))
case(np.vdot, vdot, u((2, 3)), u((3, 2)))
for sa, sb in [((2,), (3,)), ((2, 2), (3, 1)), ((2,), (2, 3)), ((), (2, 2))]:
    case(np.kron, kron, u(sa), u(sb))
case(np.cross, cross, u((3,)), u((3,)))
case(np.cross, cross, u((4, 3)), u((3,)))
case(np.cross, cross_axes, u((3, 2)), u((2, 3)))
case(np.cross, cross_axis, u((3, 4)), u((3, 4)))

# ---- inverses, determinants, solves ----------------------------------------------------------

def inv(a): return weigh(np.linalg.inv(a))
def det(a): return np.linalg.det(a) ** 2
def logabsdet(a): return np.linalg.slogdet(a)[1]
def signed_logdet(a):
    r = np.linalg.slogdet(a)
    return r[0] * r[1] * 2.0
def solve(a, b): return weigh(np.linalg.solve(a, b))
def matrix_power(a, n): return weigh(np.linalg.matrix_power(a, n))
def pinv(a): return weigh(np.linalg.pinv(a))

case(np.linalg.inv, inv, wellcond(3))
case(np.linalg.inv, inv, wellcond(2, (2,)))
case(np.linalg.inv, inv, wellcond(1))
case(np.linalg.det, det, wellcond(3))
case(np.linalg.det, det, wellcond(2, (3,)))
case(np.linalg.det, det, wellcond(1))
negative = wellcond(3)
negative[0] *= -1.0
case(np.linalg.slogdet, logabsdet, wellcond(3))
case(np.linalg.slogdet, logabsdet, negative)
case(np.linalg.slogdet, logabsdet, wellcond(2, (2,)))
case(np.linalg.slogdet, signed_logdet, negative)
NUMPY2 = int(np.__version__.split(".")[0]) >= 2
for a, b in [(wellcond(3), u((3,))), (wellcond(3), u((3, 2))),
             (wellcond(3, (2,)), u((2, 3, 2)))]:
    case(np.linalg.solve, solve, a, b)
if NUMPY2:     # b is a vector only when it is 1-d; a stack of matrices broadcasts against b
    case(np.linalg.solve, solve, wellcond(3, (2,)), u((3, 1)))
    case(np.linalg.solve, solve, wellcond(2, (2,)), u((2,)))
else:          # NumPy 1: b of one dimension less than a is a stack of vectors
    case(np.linalg.solve, solve, wellcond(3, (2,)), u((2, 3)))
for n in (3, 1, 0, -1, -2):
    case(np.linalg.matrix_power, matrix_power, wellcond(3), n)
case(np.linalg.matrix_power, matrix_power, wellcond(2, (2,)), 2)
case(np.linalg.pinv, pinv, ranked(3, 2))
case(np.linalg.pinv, pinv, ranked(2, 4))
case(np.linalg.pinv, pinv, wellcond(3))
case(np.linalg.pinv, pinv, np.stack([ranked(3, 2), ranked(3, 2)]))

def lstsq(a, b): return weigh(np.linalg.lstsq(a, b, rcond=None)[0])
def lstsq_all(a, b):
    r = np.linalg.lstsq(a, b, rcond=None)
    return np.sum(weigh(r[0])) + np.sum(r[1]) * 2.0 + np.sum(weigh(r[3]))

for a, b in [(ranked(4, 2), u((4,))), (ranked(4, 2), u((4, 3))), (ranked(2, 3), u((2,))),
             (wellcond(3), u((3, 2)))]:
    case(np.linalg.lstsq, lstsq, a, b)
    case(np.linalg.lstsq, lstsq_all, a, b)

# ---- factorizations --------------------------------------------------------------------------

def cholesky(a): return weigh(np.linalg.cholesky(a))
def cholesky_of(b): return weigh(np.linalg.cholesky(b @ b.T + 3.0 * np.eye(3)))
def eigenvalues(a): return weigh(np.linalg.eigh(a)[0])
def eigenvalues_upper(a): return weigh(np.linalg.eigh(a, UPLO="U")[0])
def eigenvectors(a): return weigh(np.linalg.eigh(a)[1] ** 2)
def eigenvectors_upper(a): return weigh(np.linalg.eigh(a, "U")[1] ** 2)
def eigen_both(a):
    r = np.linalg.eigh(a)
    return r[0] * r[1][0] ** 2
def eigh_of(b): return weigh(np.linalg.eigh(b + b.T)[1] ** 2)
def eigvalsh(a): return weigh(np.linalg.eigvalsh(a))
def eigvalsh_upper(a): return weigh(np.linalg.eigvalsh(a, UPLO="U"))
def singular_values(a): return weigh(np.linalg.svd(a, compute_uv=False))
def svd_s(a): return weigh(np.linalg.svd(a)[1])
def svd_u(a): return weigh(np.linalg.svd(a, full_matrices=False)[0] ** 2)
def svd_vh(a): return weigh(np.linalg.svd(a, full_matrices=False)[2] ** 2)
def cholesky_upper(a): return weigh(np.linalg.cholesky(a, upper=True))
def svdvals(a): return weigh(np.linalg.svdvals(a))
def svd_all(a):
    usv = np.linalg.svd(a, full_matrices=False)
    return np.sum(weigh(usv[0] ** 2)) * np.sum(usv[1]) + np.sum(weigh(usv[2] ** 2))

case(np.linalg.cholesky, cholesky, spd(3))
case(np.linalg.cholesky, cholesky, spd(2, (2,)))
case(np.linalg.cholesky, cholesky_of, u((3, 3)))
for a in (sym(3), sym(2, (2,))):
    case(np.linalg.eigh, eigenvalues, a)
    case(np.linalg.eigh, eigenvectors, a)
    case(np.linalg.eigvalsh, eigvalsh, a)
case(np.linalg.eigh, eigenvalues_upper, sym_upper(3))
case(np.linalg.eigh, eigenvectors_upper, sym_upper(3))
case(np.linalg.eigh, eigen_both, sym(4))
case(np.linalg.eigh, eigh_of, u((3, 3)))
case(np.linalg.eigvalsh, eigvalsh_upper, sym_upper(3))
for shape in ((3, 2), (2, 4), (3, 3)):
    case(np.linalg.svd, singular_values, ranked(*shape))
    case(np.linalg.svd, svd_s, ranked(*shape))
    case(np.linalg.svd, svd_u, ranked(*shape))
    case(np.linalg.svd, svd_vh, ranked(*shape))
    case(np.linalg.svd, svd_all, ranked(*shape))
case(np.linalg.svd, singular_values, np.stack([ranked(3, 2), ranked(3, 2)]))
case(np.linalg.svd, svd_all, np.stack([ranked(2, 3), ranked(2, 3)]))
if "upper" in inspect.signature(np.linalg.cholesky).parameters:     # NumPy 2
    case(np.linalg.cholesky, cholesky_upper, spd(3))
if hasattr(np.linalg, "svdvals"):                                    # NumPy 2
    case(np.linalg.svdvals, svdvals, ranked(3, 2))
    case(np.linalg.svdvals, svdvals, np.stack([ranked(2, 3), ranked(2, 3)]))

# ---- norms: matrix norms of every order, vector norms of any order ---------------------------

def norm(x, ord=None, axis=None, keepdims=False): return np.linalg.norm(x, ord, axis, keepdims)

def away(shape):
    return np.array(rng.choice([-1.0, 1.0], size=shape) * u(shape, 0.3, 1.5))

for ord_ in (1, -1, np.inf, -np.inf, 2, -2, "nuc", "fro", None):
    case(np.linalg.norm, norm, away((3, 4)), ord_, wrt=(0,))
    case(np.linalg.norm, norm, away((2, 3, 4)), ord_, (2, 0), wrt=(0,))
    case(np.linalg.norm, norm, away((3, 2, 3)), ord_, (0, 1), True, wrt=(0,))
for ord_ in (3, 0.5, -1, -2, 0, 2.5):
    case(np.linalg.norm, norm, away((5,)), ord_, wrt=(0,))
    case(np.linalg.norm, norm, away((3, 4)), ord_, 1, True, wrt=(0,))


def _id(c):
    return f"{c.f.__name__}[{','.join(_label(a) for a in c.args)}]"


# ---- the checks --------------------------------------------------------------------------------

# Second derivatives go through the helpers of the gradient code; those of the factorizations,
# pinv, lstsq, matrix_power and the norms have no forward rule, so hvp says so.
# ---- QR (added last: the cases above keep their random draws) ----------------------------

def qr_q(a): return weigh(np.linalg.qr(a)[0] ** 2)
def qr_r(a): return weigh(np.linalg.qr(a)[1])
def qr_both(a):
    q, r = np.linalg.qr(a)
    return np.sum(weigh(q) * np.sum(r)) + np.sum(weigh(r) ** 2)

for a in (wellcond(3), ranked(4, 3), ranked(5, 2)):
    case(np.linalg.qr, qr_q, a)
    case(np.linalg.qr, qr_r, a)
    case(np.linalg.qr, qr_both, a)

# ---- the products' 1-D and 2-D fast paths (added after QR: the cases above keep their draws) ----
# Every rank pair of np.dot, `@`, np.inner and tensordot-as-dot, a number times an array,
# transposed views and strided slices (passed in, and made inside the function), all also in
# float32, forward mode and second derivatives (the helpers' own forward rules).

def dot_(a, b): return weigh(np.dot(a, b))
def matmul_(a, b): return weigh(a @ b)
def dot_views(a, b): return weigh(np.dot(a.T, b[::2]))
def dot_view_vector(a, b): return weigh(np.dot(a[:, 1], b.T))
def dot_vector_view(a, b): return weigh(np.dot(a[::2, ::2], b[1::2]))
def matmul_views(a, b): return weigh(a[:, ::2] @ b.T)
def matmul_view_vector(a, b): return weigh(a.T @ b[::3])
def dot_twice(a, b): return weigh(np.dot(np.dot(a, b), b.T))

for sa, sb in [((3, 4), (4, 5)), ((3, 4), (4,)), ((4,), (4, 5)), ((4,), (4,)), ((), (3, 4)),
               ((3, 4), ()), ((2, 3, 4), (4, 5)), ((2, 3, 4), (4,))]:
    case(np.dot, dot_, u(sa), u(sb))
case(np.dot, dot_, 0.7, u((3, 4)))
case(np.dot, dot_, u((4, 3)).T, u((5, 4)).T)        # transposed views passed in
case(np.dot, dot_, u((3, 8))[:, ::2], u((4, 10))[:, 1::2])   # strided slices passed in
case(np.dot, dot_, u((6,))[::2], u((3, 4)))
case(np.dot, dot_views, u((4, 3)), u((8, 5)))
case(np.dot, dot_view_vector, u((3, 4)), u((5, 3)))
case(np.dot, dot_vector_view, u((6, 6)), u((6,)))
case(np.dot, dot_twice, u((2, 3)), u((3, 4)))
for sa, sb in [((3, 4), (4, 5)), ((3, 4), (4,)), ((4,), (4, 5)), ((4,), (4,))]:
    case(operator.matmul, matmul_, u(sa), u(sb))
case(operator.matmul, matmul_, u((4, 3)).T, u((5, 4)).T)
case(operator.matmul, matmul_views, u((3, 8)), u((5, 4)))
case(operator.matmul, matmul_view_vector, u((4, 3)), u((12,)))
for sa, sb in [((3,), (2, 3)), ((2, 3), (3,)), ((2, 3), (4, 3))]:
    case(np.inner, inner, u(sa), u(sb))
case(np.inner, inner, u((3, 2)).T, u((3, 4)).T)
for sa, sb, axes in [((3,), (3, 4), 1), ((2, 3), (3,), ([1], [0])), ((3,), (3,), 1),
                     ((2, 3), (3, 4), ([-1], [-2])), ((2, 3), (3, 4), ([1], [0]))]:
    case(np.tensordot, tensordot, u(sa), u(sb), axes)
case(np.tensordot, tensordot, u((3, 2)).T, u((4, 3)).T, 1)

def outer(a, b): return weigh(np.outer(a, b))
def outer_views(a, b): return weigh(np.outer(a[::2], b.T))

for sa, sb in [((4,), (3,)), ((2, 2), (3,)), ((4,), (1, 3)), ((), (3,))]:
    case(np.outer, outer, u(sa), u(sb))
case(np.outer, outer_views, u((6,)), u((3, 2)))

HVP_REFUSED = {"matrix_power", "pinv", "lstsq", "lstsq_all", "cholesky",
               "cholesky_of", "cholesky_upper", "eigenvalues", "eigenvalues_upper",
               "eigenvectors", "eigenvectors_upper", "eigen_both", "eigh_of", "eigvalsh",
               "eigvalsh_upper", "singular_values", "svd_s", "svd_u", "svd_vh", "svd_all",
               "svdvals", "qr_q", "qr_r", "qr_both"}


def _hvp_refused(c):
    """The cases a Hessian-vector product refuses: the helpers above, and the matrix norms
    np.linalg.norm computes through the SVD (2, -2, 'nuc')."""
    if c.f.__name__ in HVP_REFUSED:
        return True
    if c.f.__name__ != "norm":
        return False
    x, ord_, axis = (list(c.args) + [None, None])[:3]
    return isinstance(ord_, (int, str)) and ord_ in (2, -2, "nuc") and \
        tangent_lite.runtime.linalg._norm_axes(np.asarray(x), ord_, axis)[1]
ARRAY_CASES = [c for c in CASES if rule_checks.has_array_wrt(c)]


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # float32 finite differences
        yield


def test_every_rule_of_linalg_has_a_case_and_both_modes():
    mine = rule_checks.check_walker([linalg], CASES, globals(), __file__)
    assert len([p for p in mine if p.adjoint is not None]) >= 18 + hasattr(np.linalg, "svdvals")


def test_every_helper_forward_rule_is_reached_by_a_second_derivative():
    rule_checks.check_helpers_reached([linalg], [c for c in CASES if not _hvp_refused(c)], ())


@pytest.mark.parametrize("c", CASES, ids=_id)
def test_rule(c):
    rule_checks.check_reverse(c)


@pytest.mark.parametrize("c", ARRAY_CASES, ids=_id)
def test_float32_in_float32_out(c):
    rule_checks.check_float32(c)


@pytest.mark.parametrize("c", CASES, ids=_id)
def test_jvp_matches_finite_differences(c):
    rule_checks.check_jvp(c)


@pytest.mark.parametrize("c", ARRAY_CASES, ids=_id)
def test_jvp_float32_in_float32_out(c):
    rule_checks.check_jvp_float32(c)


@pytest.mark.parametrize("c", CASES, ids=_id)
def test_hvp_matches_finite_differences_of_gradients(c):
    rule_checks.check_hvp(c, refused=_hvp_refused(c))


# ---- exact values and clear refusals ------------------------------------------------------------

def svd_full_u(a): return np.sum(np.linalg.svd(a)[0])
def svd_full_s(a): return np.sum(np.linalg.svd(a)[1])
def eigh_complex(a): return np.sum(np.linalg.eigvalsh(a * (1.0 + 1.0j)))


def test_eigh_reads_the_lower_triangle():
    a = sym(3)
    g = tangent_lite.grad(eigenvalues)(a)
    assert np.all(np.triu(g, 1) == 0.0)
    g = tangent_lite.grad(eigenvalues_upper)(sym_upper(3))
    assert np.all(np.tril(g, -1) == 0.0)


def test_svd_extra_columns_of_full_matrices_have_no_gradient():
    a = ranked(3, 2)
    with pytest.raises(tangent_lite.InputError, match="full_matrices=False"):
        tangent_lite.grad(svd_full_u)(a)
    # the singular values alone are fine, in both modes; the extra columns' tangents are NaN
    rule_checks.check_reverse(Case(np.linalg.svd, svd_full_s, (a,), (0,)))
    rule_checks.check_jvp(Case(np.linalg.svd, svd_full_s, (a,), (0,)))
    _, t = tangent_lite.jvp(svd_full_u, (a,), (np.ones_like(a),))
    assert np.isnan(t)


def test_complex_matrices_are_refused_where_the_rule_is_for_real_ones():
    with pytest.raises(NotImplementedError, match="real matrices"):
        tangent_lite.grad(eigh_complex)(sym(3))


def cross2(a, b): return np.sum(np.cross(a, b) ** 2)


def test_cross_of_2_vectors():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # NumPy 2 deprecates 2-vectors
        try:
            np.cross(np.ones(2), np.ones(2))
        except ValueError:
            pytest.skip("this NumPy no longer takes the cross product of 2-vectors")
        for a, b in [(u((2,)), u((2,))), (u((4, 2)), u((3,)))]:
            rule_checks.check_reverse(Case(np.cross, cross2, (a, b), (0, 1)))
            rule_checks.check_jvp(Case(np.cross, cross2, (a, b), (0, 1)))


def test_product_helpers_give_new_contiguous_arrays_that_grad_like_keeps():
    """The 1-D and 2-D cases of the product helpers (and np.outer's of vectors) return a new
    C-contiguous array (no view of a temporary), which grad_like returns as it is, for
    contiguous and non-contiguous inputs."""
    from tangent_lite import runtime as rt
    a, b, v = u((6, 4))[::2], u((5, 4)).T, u((8,))[::2]
    cases = [(rt.dot_lhs, (u((3, 5)), a, b), a), (rt.dot_rhs, (u((3, 5)), a, b), b),
             (rt.dot_lhs, (u((3,)), a, v), a), (rt.dot_rhs, (u((3,)), a, v), v),
             (rt.dot_lhs, (u((5,)), v, b), v), (rt.dot_rhs, (u((5,)), v, b), b),
             (rt.matmul_lhs, (u((3, 5)), a, b), a), (rt.matmul_rhs, (u((3, 5)), a, b), b),
             (rt.matmul_rhs, (u((3,)), a, v), v), (rt.matmul_lhs, (u((5,)), v, b), v),
             (rt.outer_adjoint, (u((4, 5)), v, u((10,))[::2], 0), v),
             (rt.outer_adjoint, (u((4, 5)), v, u((10,))[::2], 1), u((5,)))]
    for helper, args, x in cases:
        g = helper(*args)
        assert g.shape == x.shape and g.flags.c_contiguous and g.base is None, helper.__name__
        assert rt.grad_like(g, x) is g, helper.__name__
    # the values: against np.einsum
    g2, g1 = u((3, 5)), u((3,))
    np.testing.assert_allclose(rt.dot_lhs(g2, a, b), np.einsum("mn,kn->mk", g2, b))
    np.testing.assert_allclose(rt.dot_rhs(g2, a, b), np.einsum("mk,mn->kn", a, g2))
    np.testing.assert_allclose(rt.dot_rhs(g1, a, v), np.einsum("m,mk->k", g1, a))
    np.testing.assert_allclose(rt.matmul_rhs(g1, a, v), np.einsum("m,mk->k", g1, a))
