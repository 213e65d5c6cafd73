"""Helpers of the product rules (rules/linalg.py): `@` and np.dot, np.einsum, np.tensordot,
np.kron, np.inner and np.cross.

np.einsum's gradient handles any subscripts, implicit outputs, '...', repeated letters and
broadcasting; tensordot goes through it.
"""
import numpy as np

from .lists import GradList, zeros_grad
from .core import real_like, unbroadcast


# The 1-D and 2-D cases of the products (what a dense layer, a recurrence or a linear model
# does) are single BLAS calls with a new C-contiguous result, so that grad_like and `+=` take
# them as they are; the general (stacked, higher-rank) cases follow. Only NumPy functions, `@`
# and `.T` of an ndarray are used, which array libraries implementing NumPy's protocols (Dask,
# CuPy) dispatch.

def _transpose(m):
    """The transpose of a matrix: `.T` of an ndarray (a view, no call overhead), else
    np.transpose (lists, other array types)."""
    return m.T if type(m) is np.ndarray else np.transpose(m)


def matmul_lhs(g, a: "shape", b) -> "fresh":
    """The gradient of `a @ b` with respect to `a`, for any ranks NumPy's matmul accepts."""
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if b_nd == 2 and a_nd == 2:
        return g @ _transpose(b)
    if b_nd == 1:
        if a_nd == 1:
            return unbroadcast(g * b, a)
        if a_nd == 2:
            return np.multiply.outer(g, b)
        return unbroadcast(np.multiply.outer(g, b), a)
    if a_nd == 1:
        ga = np.swapaxes(b @ g[..., None], -1, -2)[..., 0, :] if np.ndim(g) > 1 else b @ g
    else:
        ga = g @ np.swapaxes(b, -1, -2)
    return unbroadcast(ga, a)


def matmul_rhs(g, a, b: "shape") -> "fresh":
    """The gradient of `a @ b` with respect to `b`."""
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if a_nd == 2 and b_nd == 2:
        return _transpose(a) @ g
    if a_nd == 1:
        if b_nd == 1:
            return unbroadcast(g * a, b)
        if b_nd == 2:
            return np.multiply.outer(a, g)
        gb = np.moveaxis(np.multiply.outer(a, g), 0, -2)
    elif b_nd == 1:
        if a_nd == 2:
            return g @ a
        gb = np.swapaxes(a, -1, -2) @ g[..., None]
        gb = gb[..., 0]
    else:
        gb = np.swapaxes(a, -1, -2) @ g
    return unbroadcast(gb, b)


def dot_lhs(g, a: "shape", b) -> "fresh":
    """The gradient of `np.dot(a, b)` with respect to `a`."""
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if b_nd == 2 and a_nd >= 1 and np.ndim(g) == a_nd:
        return np.dot(g, _transpose(b))           # (..., n) . (n, k): a's shape
    if a_nd == 0 or b_nd == 0:
        return unbroadcast(g * b, a)
    if b_nd == 1:
        if a_nd == 1:
            return unbroadcast(g * b, a)          # a . b is a number
        return np.multiply.outer(g, b)
    # dot contracts the last axis of a with the second-to-last axis of b.
    g_b = np.tensordot(g, b, axes=(tuple(range(a_nd - 1, np.ndim(g))),
                                   tuple(i for i in range(b_nd) if i != b_nd - 2)))
    return g_b if np.shape(g_b) == np.shape(a) else np.reshape(g_b, np.shape(a))


def dot_rhs(g, a, b: "shape") -> "fresh":
    """The gradient of `np.dot(a, b)` with respect to `b`."""
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if a_nd == 2 and b_nd == 2:
        return np.dot(_transpose(a), g)
    if a_nd == 0 or b_nd == 0:
        return unbroadcast(g * a, b)
    if a_nd == 1:
        if b_nd == 1:
            return unbroadcast(g * a, b)          # a . b is a number
        if b_nd == 2:
            return np.multiply.outer(a, g)
        return np.moveaxis(np.multiply.outer(a, g), 0, -2)
    if a_nd == 2 and b_nd == 1:
        return np.dot(g, a)                       # (m,) . (m, k)
    if b_nd == 1:
        return np.tensordot(a, g, axes=(tuple(range(a_nd - 1)), tuple(range(a_nd - 1))))
    g_a = np.tensordot(a, g, axes=(tuple(range(a_nd - 1)), tuple(range(a_nd - 1))))
    return g_a if b_nd == 2 else np.moveaxis(g_a, 0, -2)


_EINSUM_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def einsum_parse(subscripts, ndims):
    """([subscripts of each operand], output subscripts) with '...' spelled out in letters and
    the implicit output (letters used once, in order) made explicit."""
    if not isinstance(subscripts, str):
        raise NotImplementedError("tangent_lite differentiates np.einsum called with a "
                                  "subscripts string ('ij,jk->ik'), not with index lists")
    subscripts = subscripts.replace(" ", "")
    ins, arrow, out = subscripts.partition("->")
    ins = ins.split(",")
    free = [c for c in _EINSUM_LETTERS if c not in subscripts]
    width = max([nd - len(s) + 3 for s, nd in zip(ins, ndims) if "..." in s], default=0)
    ell = "".join(free[:width])
    spelled = []
    for s, nd in zip(ins, ndims):
        k = nd - len(s) + 3
        spelled.append(s.replace("...", ell[width - k:] if k > 0 else ""))
    if arrow:
        out = out.replace("...", ell)
    else:
        named = "".join(ins).replace(".", "")
        out = ell + "".join(sorted(c for c in set(named) if named.count(c) == 1))
    return spelled, out


def _einsum_grad(g, ins, out, arrays, k, optimize=False):
    """The gradient of an einsum with respect to its operand k: the einsum of `g` with the
    other operands, broadcast over letters only operand k has, put on the diagonal for a
    letter it repeats, summed over its broadcast dimensions."""
    sub, x = ins[k], arrays[k]
    sizes = {}
    for s, a in zip(ins, arrays):
        for c, n in zip(s, np.shape(a)):
            sizes[c] = n if sizes.get(c, 1) == 1 else sizes[c]
    letters = "".join(dict.fromkeys(sub))
    others = [j for j in range(len(arrays)) if j != k]
    known = set(out).union(*[ins[j] for j in others])
    kept = "".join(c for c in letters if c in known)
    spec = ",".join([out] + [ins[j] for j in others]) + "->" + kept
    grad = np.einsum(spec, g, *[arrays[j] for j in others],
                     optimize=gradient_optimize(optimize, sizes, spec))
    dims = iter(np.shape(grad))
    grad = np.reshape(grad, [next(dims) if c in kept else 1 for c in letters])
    grad = np.broadcast_to(grad, [sizes[c] for c in letters])
    if len(letters) < len(sub):
        full = np.zeros([sizes[c] for c in sub], dtype=grad.dtype)
        grid = np.ix_(*[np.arange(sizes[c]) for c in letters])
        full[tuple(grid[letters.index(c)] for c in sub)] = grad
        grad = full
    return real_like(unbroadcast(grad, x), x)


def gradient_optimize(optimize, sizes, spec=None):
    """How a gradient's einsum is computed. The user's `optimize` was chosen for their einsum,
    not for the gradient's, which contracts other operands (the GMM's "kij,nkj->nki" without
    optimize has gradients "nki,nkj->kij" and "nki,kij->nkj": NumPy's C loop takes 5.7 ms
    and 5.0 ms for them at n=1000, k=50, d=10, optimize=True 0.5 and 0.4 ms). A strategy the
    user named ('greedy', 'optimal', True) is kept; otherwise (False, or an einsum_path list
    made for the user's operands) the gradient's own: NumPy's path search costs ~10 us, which
    the C loop beats on small operands, so optimize=True only from 2**15 iterations of the
    loop (the product of every letter's size), where it is never slower on NumPy 2.4 -- or
    from 2**11 for a batched matrix product (`spec` has a letter every operand and the output
    share, one the operands share that is summed, and one an operand keeps): the C loop takes 7-20 ns an iteration
    there ("nki,kij->nkj" at n=1000, k=5, d=2: 419 us against 19 us), ~1 ns elsewhere."""
    if optimize is True or isinstance(optimize, str):
        return optimize
    work = 1
    for n in sizes.values():
        work *= n
    if spec is not None and _batched_contraction(spec):
        return work >= _EINSUM_BATCHED_FROM
    return work >= _EINSUM_OPTIMIZE_FROM


def _batched_contraction(spec):
    ins, _, out = spec.partition("->")
    ins = ins.split(",")
    shared = set(ins[0]).intersection(*ins[1:]) if len(ins) > 1 else set()
    own = set(out) - shared         # kept letters of one operand: the rows of a matrix product
    return bool(shared & set(out)) and bool(shared - set(out)) and bool(own)


_EINSUM_OPTIMIZE_FROM = 1 << 15
_EINSUM_BATCHED_FROM = 1 << 11


def einsum_adjoint(g, operands, optimize=False):
    """The gradients of `np.einsum(subscripts, *arrays)`: [None for the subscripts, then one
    per array]."""
    arrays = operands[1:]
    ins, out = einsum_parse(operands[0], [np.ndim(a) for a in arrays])
    return GradList([None] + [_einsum_grad(g, ins, out, arrays, k, optimize)
                              for k in range(len(arrays))])


def einsum_part(g, operands, k, optimize=False, axis=None, keepdims=False):
    """`einsum_adjoint(g, operands, optimize)[k]` alone, summed over `axis` when one is given
    (`np.sum(part, axis, keepdims=keepdims)`). Where the part is the one einsum (operand k
    repeats no letter, has none the others and g lack, and every letter has one size), the
    summed letters are left out of it, so the array the sum would reduce is never made (the
    GMM's means: `xc = x[:, None, :] - mu`, whose gradient the einsum makes n x k x d, is
    summed over n)."""
    arrays = operands[1:]
    ins, out = einsum_parse(operands[0], [np.ndim(a) for a in arrays])
    k -= 1
    if axis is None:
        return _einsum_grad(g, ins, out, arrays, k, optimize)
    sub, x = ins[k], arrays[k]
    axes = sorted({a % len(sub) for a in (axis if isinstance(axis, tuple) else (axis,))})
    sizes = {}
    for letters, a in zip(list(ins) + [out], list(arrays) + [g]):
        for c, n in zip(letters, np.shape(a)):
            sizes.setdefault(c, set()).add(n)
    others = [j for j in range(len(arrays)) if j != k]
    known = set(out).union(*[ins[j] for j in others])
    kept = "".join(c for i, c in enumerate(sub) if i not in axes)
    if len(set(sub)) < len(sub) or not set(sub) <= known or not kept \
            or any(len(n) > 1 for n in sizes.values()):
        return np.sum(_einsum_grad(g, ins, out, arrays, k, optimize), axis=axis,
                      keepdims=keepdims)
    spec = ",".join([out] + [ins[j] for j in others]) + "->" + kept
    chosen = gradient_optimize(optimize, {c: sizes[c].pop() for c in sizes}, spec)
    grad = np.einsum(spec, g, *[arrays[j] for j in others], optimize=chosen)
    if keepdims:
        grad = np.expand_dims(grad, tuple(axes))
    return real_like(grad, x)


def einsum_tangent(tangents, operands, optimize=False):
    """The tangent of `np.einsum(subscripts, *arrays)`: the sum over the arrays of the einsum
    with that array replaced by its tangent (zero tangents skipped)."""
    arrays = list(operands[1:])
    total = None
    for k, t in enumerate(tangents[1:]):
        if not np.any(t):
            continue
        term = np.einsum(operands[0], *(arrays[:k] + [t] + arrays[k + 1:]), optimize=optimize)
        total = term if total is None else total + term
    if total is None:
        return zeros_grad(np.einsum(operands[0], *arrays, optimize=optimize))
    return total


def einsum_adjoint_tangent(g, dg, operands, doperands, optimize=False):
    """The tangent of `einsum_adjoint(g, operands)`: linear in g and in each other operand."""
    arrays, tangents = list(operands[1:]), list(doperands[1:])
    ins, out = einsum_parse(operands[0], [np.ndim(a) for a in arrays])
    result = [None]
    for k in range(len(arrays)):
        total = _einsum_grad(dg, ins, out, arrays, k, optimize)
        for j, t in enumerate(tangents):
            if j != k and np.any(t):
                varied = arrays[:j] + [t] + arrays[j + 1:]
                total = total + _einsum_grad(g, ins, out, varied, k, optimize)
        result.append(total)
    return GradList(result)


def _tensordot_subscripts(nda, ndb, axes):
    if isinstance(axes, (int, np.integer)):
        a_axes, b_axes = list(range(nda - axes, nda)), list(range(axes))
    else:
        a_axes, b_axes = (list(np.atleast_1d(v)) for v in axes)
    a_axes, b_axes = [ax % nda for ax in a_axes], [ax % ndb for ax in b_axes]
    a = _EINSUM_LETTERS[:nda]
    b = list(_EINSUM_LETTERS[nda:nda + ndb])
    for i, j in zip(a_axes, b_axes):
        b[j] = a[i]
    out = [a[i] for i in range(nda) if i not in a_axes]
    out += [b[j] for j in range(ndb) if j not in b_axes]
    return [a, "".join(b)], "".join(out)


def tensordot_adjoint(g, a, b, axes=2, which=0):
    """The gradient of `np.tensordot(a, b, axes)` with respect to a (which=0) or b (which=1)."""
    nda, ndb = np.ndim(a), np.ndim(b)
    if nda <= 2 and ndb <= 2 and _is_dot(nda, ndb, axes):
        # a matrix or vector product, np.dot(a, b): its gradients are one BLAS call
        if which == 0:
            return real_like(dot_lhs(g, a, b), a)
        return real_like(dot_rhs(g, a, b), b)
    ins, out = _tensordot_subscripts(nda, ndb, axes)
    return _einsum_grad(g, ins, out, [a, b], which)


def _is_dot(nda, ndb, axes):
    """Whether tensordot(a, b, axes) contracts the last axis of a with the first of b and
    nothing else: then it is np.dot(a, b) (for ranks up to 2)."""
    if nda == 0 or ndb == 0:
        return False
    if isinstance(axes, (int, np.integer)):
        return axes == 1
    try:
        a_axes, b_axes = (list(np.atleast_1d(v)) for v in axes)
    except (TypeError, ValueError):
        return False
    return (len(a_axes) == 1 and len(b_axes) == 1
            and a_axes[0] % nda == nda - 1 and b_axes[0] % ndb == 0)


def kron_adjoint(g, a, b, which=0):
    """The gradient of `np.kron(a, b)` with respect to a (which=0) or b (which=1)."""
    sa, sb = np.shape(a), np.shape(b)
    nd = max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + sa, (1,) * (nd - len(sb)) + sb
    blocks = np.reshape(g, [n for pair in zip(sa, sb) for n in pair])
    even, odd = list(range(0, 2 * nd, 2)), list(range(1, 2 * nd, 2))
    every = list(range(2 * nd))
    if which == 0:
        grad = np.einsum(blocks, every, np.reshape(b, sb), odd, even)
        return real_like(np.reshape(grad, np.shape(a)), a)
    grad = np.einsum(blocks, every, np.reshape(a, sa), even, odd)
    return real_like(np.reshape(grad, np.shape(b)), b)


def outer_adjoint(g, a, b, which=0):
    """The gradient of `np.outer(a, b)` (a and b flattened) with respect to a (which=0) or b
    (which=1): one matrix-vector product, reshaped only when the argument is not a vector."""
    if which == 0:
        grad, x = np.dot(g, np.ravel(b)), a
    else:
        grad, x = np.dot(np.ravel(a), g), b
    return grad if np.ndim(x) == 1 else np.reshape(grad, np.shape(x))


def inner_adjoint(g, a, b, which=0):
    """The gradient of `np.inner(a, b)` with respect to a (which=0) or b (which=1)."""
    nda, ndb = np.ndim(a), np.ndim(b)
    if nda == 0 or ndb == 0 or (nda == 1 and ndb == 1):
        x, other = (a, b) if which == 0 else (b, a)
        return real_like(unbroadcast(g * other, x), x)
    if nda <= 2 and ndb <= 2:
        # inner(a, b) is np.dot(a, b.T): a (m, k) or (k,), b (n, k) or (k,)
        if which == 0:
            return real_like(dot_lhs(g, a, _transpose(b)), a)
        if ndb == 1:
            return real_like(dot_rhs(g, a, b), b)
        if nda == 1:
            return real_like(np.multiply.outer(g, a), b)
        return real_like(np.dot(_transpose(g), a), b)
    return tensordot_adjoint(g, a, b, ([-1], [-1]), which)


def cross_adjoint(g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None, which=0):
    """The gradient of `np.cross(a, b, ...)` with respect to a (which=0: b x g) or b (which=1:
    g x a); 2-vectors count as 3-vectors with a zero z."""
    if axis is not None:
        axisa = axisb = axisc = axis
    va, vb = np.moveaxis(np.asarray(a), axisa, -1), np.moveaxis(np.asarray(b), axisb, -1)
    if va.shape[-1] == 2 and vb.shape[-1] == 2:
        zero = np.zeros_like(g)
        g = np.stack([zero, zero, g], axis=-1)
    else:
        g = np.moveaxis(g, axisc, -1)

    def three(v):
        return v if v.shape[-1] == 3 else np.concatenate([v, np.zeros_like(v[..., :1])], -1)
    if which == 0:
        grad = np.cross(three(vb), g)[..., :va.shape[-1]]
        return real_like(np.moveaxis(unbroadcast(grad, va), -1, axisa), a)
    grad = np.cross(g, three(va))[..., :vb.shape[-1]]
    return real_like(np.moveaxis(unbroadcast(grad, vb), -1, axisb), b)
