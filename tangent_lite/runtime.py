"""What generated gradient code calls at run time.

Kept small and dependent on NumPy alone, so that an ahead-of-time generated module can carry a
copy of this file and import nothing else. Each helper has a fast path for the common case
(same shapes, 2-D matrices) because these calls sit inside the user's hot loops.
"""
import numpy as np

__all__ = [
    "Stack", "GradList", "unbroadcast", "add_at", "shaped", "unreduce", "unindex", "matmul_lhs", "matmul_rhs", "dot_lhs",
    "dot_rhs", "extremum_mask", "unconcatenate", "unstack", "norm_adjoint", "grad_like",
    "grads_like", "broadcast_like", "as_tangent", "select_tangent", "with_item", "zeros_grad", "add_grads", "append", "unset", "saved", "owned", "unshared", "unarray", "unsum", "select_arg", "astype", "unastype", "safe_log", "prod_adjoint", "untranspose", "clip_mask",
]


class Stack(list):
    """The tape of the forward sweep: branch decisions, trip counts and overwritten values.

    A list whose push is list.append, so a push or pop costs one C call.
    """

    __slots__ = ()
    push = list.append


def _shape(v):
    tv = type(v)
    if tv is float or tv is int:
        return ()
    shape = getattr(v, "shape", None)   # arrays and NumPy scalars: no call into NumPy
    return np.shape(v) if shape is None else shape


def unbroadcast(g, x):
    """Sum the gradient `g` down to the shape of the operand `x` it flows back into."""
    shape = _shape(x)
    gshape = _shape(g)
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    kept = tuple(lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
    if lead:
        g = np.sum(g, axis=tuple(range(lead)))
    if kept:
        g = np.sum(g, axis=tuple(k - lead for k in kept), keepdims=True)
    return g if _shape(g) == shape else np.reshape(g, shape)


def unreduce(g, x, axis=None, keepdims=False):
    """Spread the gradient of a reduction over `axis` back over the shape of `x`."""
    shape = _shape(x)
    if axis is not None and not keepdims:
        axes = axis if isinstance(axis, tuple) else (axis,)
        g = np.expand_dims(g, tuple(a % len(shape) for a in axes))
    return np.broadcast_to(g, shape)


def unindex(g, x, index):
    """The gradient of `x[index]`: zeros shaped like `x` with `g` added at `index`.

    For a Python list `x` the gradient is a GradList with one entry per element."""
    if isinstance(x, (list, tuple)):
        out = zeros_grad(x)
        if isinstance(index, slice):
            for k, piece in zip(range(*index.indices(len(x))), g):
                out[k] = out[k] + piece
        else:
            out[index] = out[index] + g
        return out
    out = np.zeros(np.shape(x), dtype=np.result_type(x, g) if _is_float(x) else np.asarray(g).dtype)
    np.add.at(out, index, g)
    return out


_placeholders = {}


def shaped(v):
    """A stand-in for `v` with its type, shape and dtype and no data: what the stack keeps of
    a value the backward sweep reads only for its shape."""
    if type(v) is not np.ndarray:
        return v
    key = (v.shape, v.dtype)
    placeholder = _placeholders.get(key)
    if placeholder is None:
        placeholder = _placeholders[key] = np.broadcast_to(np.zeros((), v.dtype), v.shape)
    return placeholder


def add_at(g, index, value):
    """`g[index] += value` in place, for a gradient `g` no one else holds (np.add.at where an
    index array may repeat an element). Returns g."""
    if isinstance(index, (int, np.integer, slice)) or (
            isinstance(index, tuple) and all(isinstance(i, (int, np.integer, slice))
                                             or i is None or i is Ellipsis for i in index)):
        g[index] += value
    else:
        np.add.at(g, index, value)
    return g


def _is_float(x):
    return np.issubdtype(np.asarray(x).dtype, np.inexact)


def matmul_lhs(g, a, b):
    """The gradient of `a @ b` with respect to `a`, for any ranks NumPy's matmul accepts."""
    if type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == 2 and b.ndim == 2:
        return g @ b.T
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if b_nd == 1:
        ga = np.multiply.outer(g, b) if a_nd > 1 else g * b
    elif a_nd == 1:
        ga = np.swapaxes(b @ g[..., None], -1, -2)[..., 0, :] if np.ndim(g) > 1 else b @ g
    else:
        ga = g @ np.swapaxes(b, -1, -2)
    return unbroadcast(ga, a)


def matmul_rhs(g, a, b):
    """The gradient of `a @ b` with respect to `b`."""
    if type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == 2 and b.ndim == 2:
        return a.T @ g
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if a_nd == 1:
        gb = np.multiply.outer(a, g) if b_nd > 1 else g * a
        if b_nd > 2:
            gb = np.moveaxis(gb, 0, -2)
    elif b_nd == 1:
        gb = np.swapaxes(a, -1, -2) @ g[..., None]
        gb = gb[..., 0]
    else:
        gb = np.swapaxes(a, -1, -2) @ g
    return unbroadcast(gb, b)


def dot_lhs(g, a, b):
    """The gradient of `np.dot(a, b)` with respect to `a`."""
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if a_nd == 0 or b_nd == 0:
        return unbroadcast(g * b, a)
    if b_nd == 1:
        return np.multiply.outer(g, b)
    # dot contracts the last axis of a with the second-to-last axis of b.
    g_b = np.tensordot(g, b, axes=(tuple(range(a_nd - 1, np.ndim(g))),
                                   tuple(i for i in range(b_nd) if i != b_nd - 2)))
    return np.reshape(g_b, np.shape(a))


def dot_rhs(g, a, b):
    """The gradient of `np.dot(a, b)` with respect to `b`."""
    a_nd, b_nd = np.ndim(a), np.ndim(b)
    if a_nd == 0 or b_nd == 0:
        return unbroadcast(g * a, b)
    if a_nd == 1 and b_nd <= 2:
        return np.multiply.outer(a, g)
    if b_nd == 1:
        return np.tensordot(a, g, axes=(tuple(range(a_nd - 1)), tuple(range(a_nd - 1))))
    g_a = np.tensordot(a, g, axes=(tuple(range(a_nd - 1)), tuple(range(a_nd - 1))))
    return np.moveaxis(g_a, 0, -2)


def _float_dtype(*values):
    """The floating dtype gradients of `values` have (float64 for Python numbers, ints)."""
    dtype = np.result_type(*[np.asarray(v).dtype for v in values])
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)


def broadcast_like(t, y):
    """The tangent `t` given the shape of the result `y` it belongs to (forward mode)."""
    shape = np.shape(y)
    return t if np.shape(t) == shape else np.broadcast_to(t, shape)


def as_tangent(t, y):
    """The tangent of a conversion to `y`'s dtype: zero when `y` holds integers."""
    y = np.asarray(y)
    if y.dtype.kind not in "fc":
        return np.zeros(y.shape)
    return np.asarray(t, dtype=y.dtype).reshape(y.shape)


def select_tangent(tangents, y, args):
    """The tangent of builtin `max(*args)` / `min(*args)`: that of the chosen argument."""
    if len(args) == 1:
        (items,) = args
        (t,) = tangents
        flat = np.reshape(np.asarray(items), (len(items), -1))
        first = np.argmax(np.all(flat == np.reshape(np.asarray(y), (1, -1)), axis=1))
        return t[first]
    for t, a in zip(tangents, args):
        if np.all(a == y):
            return t
    return tangents[0]


def with_item(t, y, index, value):
    """A copy of the tangent `t` of array `y` with `t[index] = value` (forward mode of a
    subscript write): tangents are never changed in place, they may be shared."""
    out = np.array(np.broadcast_to(t, np.shape(y)), dtype=_float_dtype(y, t))
    out[index] = value
    return out


class GradList(list):
    """The gradient of a Python list or tuple: one entry per element, added elementwise
    (`+` on plain lists would concatenate them)."""

    __slots__ = ()

    def __add__(self, other):
        return GradList(add_grads(u, v) for u, v in zip(self, other))

    __radd__ = __add__


def zeros_grad(x):
    """A zero gradient for `x`: zeros of its shape, or a GradList of those for a list."""
    if isinstance(x, (list, tuple)):
        return GradList(zeros_grad(e) for e in x)
    return np.zeros(np.shape(x), dtype=_float_dtype(x))


def add_grads(a, b):
    """a + b for gradients of lists (one entry per element) as well as of arrays."""
    if isinstance(a, list) or isinstance(b, list):
        return GradList(add_grads(u, v) for u, v in zip(a, b))
    return a + b


def append(items, value):
    """`items.append(value)` as a value: a new list (the compiler's form of append)."""
    out = type(items)(items) if isinstance(items, GradList) else list(items)
    list.append(out, value)
    return out


def unset(g, index):
    """A copy of the gradient `g` with `g[index]` zeroed: what reaches an overwritten part."""
    if isinstance(g, list):
        g = GradList(g)
        g[index] = zeros_grad(g[index])
        return g
    g = np.array(g, dtype=_float_dtype(g))
    g[index] = 0
    return g


def saved(v):
    """A copy of `v` that later in-place writes cannot change (for the stack)."""
    return v.copy() if type(v) is np.ndarray else v


def owned(x):
    """A private copy of an argument the function writes into: df never changes the caller's
    arrays."""
    if type(x) is np.ndarray:
        return x.copy()
    if type(x) is list:
        return list(x)
    return x


def unshared(x, other, names, where):
    """Refuse an in-place update of `x` that NumPy would also apply to `other`."""
    if x is other and type(x) is list or (
            type(x) is np.ndarray and isinstance(other, np.ndarray) and
            np.may_share_memory(x, other)):
        mine, theirs = names.split()
        raise InputError(
            f"{where}: this in-place update of `{mine}` changes `{theirs}` too (they share "
            f"memory), and `{theirs}` is read afterwards; NumPy would change both. Instead: "
            f"make `{mine}` its own array first (`{mine} = {mine}.copy()`), or write "
            f"`{mine} = {mine} + ...`")


def astype(x, dtype):
    """`x.astype(dtype)` as a function, so the rule table can name it."""
    return np.asarray(x).astype(dtype)


def unastype(g, y, x):
    """The gradient of `astype`: cast back; nothing flows through a cast to integers."""
    if np.asarray(y).dtype.kind not in "fc":
        return np.zeros(np.shape(x))
    return np.asarray(g).astype(_float_dtype(x))


def unarray(g, y, a):
    """The gradient of `np.array(a)` / `np.asarray(a)`: one piece per element of a list."""
    if isinstance(a, (list, tuple)):
        return GradList(unarray(g[k], y[k], e) for k, e in enumerate(a))
    return np.reshape(unastype(g, y, a), np.shape(a))


def unsum(g, iterable):
    """The gradient of the builtin `sum(iterable)`: every element receives `g`."""
    if isinstance(iterable, (list, tuple)):
        return GradList(unbroadcast(g, e) for e in iterable)
    return np.broadcast_to(g, np.shape(iterable))


def select_arg(g, y, args):
    """The gradient of builtin `max(*args)` / `min(*args)`: the first argument equal to the
    result receives `g` (Python returns the first extremal argument)."""
    if len(args) == 1:
        (items,) = args
        flat = np.reshape(np.asarray(items), (len(items), -1))
        first = np.argmax(np.all(flat == np.reshape(np.asarray(y), (1, -1)), axis=1))
        out = np.zeros(np.shape(items), dtype=_float_dtype(g))
        out[first] = g
        return [out]
    out = []
    found = False
    for a in args:
        hit = not found and bool(np.all(a == y))
        found = found or hit
        out.append(unbroadcast(g, a) if hit else np.zeros(np.shape(a), _float_dtype(g)))
    return out


def safe_log(a):
    """log(a) where a > 0 and 0 elsewhere: d(a**b)/db is 0 at a == 0, and NaN is left to y."""
    a = np.asarray(a)
    positive = a > 0
    return np.where(positive, np.log(np.where(positive, a, 1)), 0.0)


def prod_adjoint(g, y, a, axis=None, keepdims=False):
    """The gradient of `np.prod(a, axis)`: the product of the *other* elements, exact at zeros."""
    a = np.asarray(a)
    if axis is None:
        flat = a.reshape(-1)
        others = _exclusive_cumprod(flat) * _exclusive_cumprod(flat[::-1])[::-1]
        return np.reshape(others, a.shape) * np.reshape(g, ())
    axes = tuple(ax % a.ndim for ax in (axis if isinstance(axis, tuple) else (axis,)))
    # Move the reduced axes to the end and flatten them into one, so a tuple of axes is
    # handled like a single one.
    rest = [ax for ax in range(a.ndim) if ax not in axes]
    moved = np.transpose(a, rest + list(axes))
    moved = moved.reshape(moved.shape[:len(rest)] + (-1,))
    others = _exclusive_cumprod(moved) * np.flip(_exclusive_cumprod(np.flip(moved, -1)), -1)
    others = np.transpose(others.reshape([a.shape[ax] for ax in rest + list(axes)]),
                          np.argsort(rest + list(axes)))
    return others * unreduce(g, a, axis, keepdims)


def _exclusive_cumprod(v):
    out = np.ones_like(v)
    out[..., 1:] = np.cumprod(v[..., :-1], axis=-1)
    return out


def untranspose(g, axes=None):
    """Undo `np.transpose(x, axes)` on the gradient."""
    if axes is None:
        return np.transpose(g)
    return np.transpose(g, np.argsort([ax % np.ndim(g) for ax in axes]))


def clip_mask(a, a_min, a_max):
    """1 where `np.clip(a, a_min, a_max)` passes `a` through, 0 where it clips."""
    inside = np.ones(np.shape(a), dtype=bool)
    if a_min is not None:
        inside &= a >= a_min
    if a_max is not None:
        inside &= a <= a_max
    return inside


def extremum_mask(y, x, axis=None, keepdims=False):
    """Where `x` attains its max/min `y` along `axis`, ties sharing the gradient equally."""
    y_full = unreduce(y, x, axis, keepdims)
    mask = (x == y_full)
    return mask / np.sum(mask, axis=axis, keepdims=True)


def unconcatenate(g, arrays, axis=0):
    """Split the gradient of `np.concatenate(arrays, axis)` into one piece per array."""
    if axis is None:
        sizes = [np.size(a) for a in arrays]
        return GradList(np.reshape(p, np.shape(a))
                        for p, a in zip(np.split(g, np.cumsum(sizes)[:-1]), arrays))
    sizes = [np.shape(a)[axis] for a in arrays]
    return GradList(np.split(g, np.cumsum(sizes)[:-1], axis=axis))


def unstack(g, arrays, axis=0):
    """Split the gradient of `np.stack(arrays, axis)` into one piece per array."""
    return GradList(np.take(g, i, axis=axis) for i in range(len(arrays)))


def norm_adjoint(g, y, x, ord=None, axis=None, keepdims=False):
    """The gradient of `np.linalg.norm(x, ord, axis, keepdims)` for the norms it supports."""
    nd = np.ndim(x)
    vector = nd == 1 or isinstance(axis, int) or (isinstance(axis, tuple) and len(axis) == 1)
    if ord in (None, 2, "fro") and (vector or ord != 2):
        if axis is not None and not keepdims:
            g = unreduce(g, x, axis, False)
            y = unreduce(y, x, axis, False)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(y == 0, 0.0, x * (g / y))
    if vector and ord == 1:
        return unreduce(g, x, axis, keepdims) * np.sign(x)
    if vector and ord in (np.inf, -np.inf):
        return unreduce(g, x, axis, keepdims) * np.sign(x) * extremum_mask(y, np.abs(x), axis,
                                                                            keepdims)
    raise NotImplementedError(
        f"tangent_lite: the gradient of np.linalg.norm with ord={ord!r} on a {nd}-d array is "
        "not implemented; use ord=None (2-norm / Frobenius), 1 or inf on vectors")


# Raised for arguments that cannot be differentiated. The package replaces it with its own
# TangentLiteError subclass; a generated standalone module keeps the built-in TypeError.
InputError = TypeError


def grad_like(g, x, name="x"):
    """Give the gradient `g` the type, dtype and shape of the argument `x` it belongs to.

    Python floats get floats, 0-d arrays stay 0-d arrays, float32 stays float32, and the array
    returned is always a fresh, writable one that aliases nothing the caller holds.
    """
    tx = type(x)
    if tx is float:
        return float(g)
    if tx is np.ndarray and x.dtype.kind == "f":
        if (type(g) is np.ndarray and g.dtype == x.dtype and g.shape == x.shape
                and g.flags.writeable and g.base is None and g is not x):
            return g
        out = np.empty(x.shape, dtype=x.dtype)
        out[...] = g
        return out
    if isinstance(x, np.floating):
        return tx(g)
    kind = np.asarray(x).dtype.kind
    what = {"i": "an integer", "u": "an unsigned integer", "b": "a boolean",
            "c": "a complex"}.get(kind, f"a {tx.__name__}")
    raise InputError(
        f"cannot differentiate with respect to argument {name!r}: it is {what} value; "
        f"pass a float (e.g. {name}=float(...) or an array with dtype float64)")


def grads_like(grads, args, names):
    """`grad_like` for several arguments; gradients that are one object are given apart."""
    out = []
    for g, x, name in zip(grads, args, names):
        g = grad_like(g, x, name)
        if any(g is o for o in out):
            g = g.copy()
        out.append(g)
    return tuple(out)


# ==== Helpers of the elementwise and reduction rules ===========================================
# (rules/numpy_elementwise.py and rules/numpy_reductions.py). Each is linear in the gradient or
# tangent it carries; the rule modules give them forward rules so Hessian-vector products pass
# through them, or refuse them where a second derivative is not implemented.


def sinc_slope(x):
    """The derivative of np.sinc: (cos(pi x) - sinc(x)) / x, by its Taylor series near 0."""
    t = np.pi * np.asarray(x)
    small = np.abs(t) < 0.5
    safe = np.where(small, 1.0, t)
    tt = t * t
    # d/dt sin(t)/t = sum over k >= 1 of (-1)^k 2k t^(2k-1) / (2k+1)!, to k = 8
    series = t * (-1 / 3 + tt * (1 / 30 + tt * (-1 / 840 + tt * (1 / 45360 + tt * (
        -1 / 3991680 + tt * (1 / 518918400 + tt * (-1 / 93405312000 + tt / 22230464256000)))))))
    return np.pi * np.where(small, series, (np.cos(safe) - np.sin(safe) / safe) / safe)


def pick_weight(a, b, larger=True):
    """The share of `a` in np.fmax(a, b) (or np.fmin with larger=False): 1 where `a` is the
    result, also where `b` is NaN and `a` is not; 0.5 at ties; 0 elsewhere."""
    wins = (a > b) if larger else (a < b)
    dtype = np.result_type(a, b)    # Python floats are weak: float32 arrays stay float32
    dtype = dtype if dtype.kind == "f" else np.dtype(np.float64)
    out = np.asarray(wins | (np.isnan(b) & np.logical_not(np.isnan(a))), dtype)
    return np.where(a == b, 0.5, out)


def div_or_zero(g, y):
    """g / y where y != 0, and 0 where y == 0: the convention of np.std (like np.linalg.norm)
    at its kink, a constant input, instead of inf or nan."""
    zero = np.asarray(y) == 0
    return np.where(zero, 0.0, g / np.where(zero, 1.0, y))


def nan_count(a, axis=None, keepdims=False):
    """How many elements of `a` along `axis` are not NaN, in a's floating dtype."""
    return np.sum(np.logical_not(np.isnan(a)), axis=axis, keepdims=keepdims,
                  dtype=_float_dtype(a))


def unsort(g, order, axis, shape):
    """The gradient of np.sort: each entry of `g` goes back to the position `order` (the
    stable np.argsort of the sorted array, flattened for axis=None) says it came from."""
    g = np.asarray(g)
    out = np.empty(np.shape(order), dtype=_float_dtype(g))
    np.put_along_axis(out, order, g, 0 if axis is None else axis)
    return np.reshape(out, shape)


def uncumsum(g, x, axis=None, include_initial=False):
    """The gradient of np.cumsum(x, axis): each element receives the sum of `g` from its own
    position to the end of the axis. With include_initial (np.cumulative_sum), the leading
    entry of `g` belongs to the initial zero and reaches no element."""
    g = np.asarray(g)
    if axis is None:
        g, axis = np.reshape(g, -1), 0
    if include_initial:
        g = g[(slice(None),) * (axis % g.ndim) + (slice(1, None),)]
    out = np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)
    return np.reshape(out, np.shape(x))


def _along_last(v, axis):
    """`v` with `axis` moved last (flattened to one axis for axis=None)."""
    v = np.asarray(v)
    return np.reshape(v, -1) if axis is None else np.moveaxis(v, axis, -1)


def cumprod_adjoint(g, a, axis=None, include_initial=False):
    """The gradient of np.cumprod(a, axis), exact where `a` has zeros: element k receives
    (a_0 ... a_k-1) * s_k, with s_k = g_k + a_k+1 * s_k+1 summed from the end of the axis.
    With include_initial (np.cumulative_prod), the leading entry of `g` reaches no element."""
    shape = np.shape(a)
    a, g = _along_last(a, axis), _along_last(g, axis)
    if include_initial:
        g = g[..., 1:]
    s = np.empty(np.broadcast_shapes(a.shape, g.shape), dtype=_float_dtype(a, g))
    n = a.shape[-1]
    if n:
        s[..., n - 1] = g[..., n - 1]
    for k in range(n - 2, -1, -1):
        s[..., k] = g[..., k] + a[..., k + 1] * s[..., k + 1]
    out = _exclusive_cumprod(a) * s
    return np.reshape(out if axis is None else np.moveaxis(out, -1, axis), shape)


def cumprod_tangent(t, a, axis=None, include_initial=False):
    """The tangent of y = np.cumprod(a, axis) along `t`, exact where `a` has zeros:
    dy_k = dy_k-1 * a_k + y_k-1 * t_k (after a leading 0 with include_initial)."""
    a, t = _along_last(a, axis), _along_last(np.broadcast_to(t, np.shape(a)), axis)
    y = np.cumprod(a, axis=-1)
    n = a.shape[-1]
    out = np.zeros(a.shape[:-1] + (n + 1,), dtype=_float_dtype(a, t))
    for k in range(n):
        out[..., k + 1] = out[..., k] * a[..., k] + (y[..., k - 1] if k else 1.0) * t[..., k]
    out = out if include_initial else out[..., 1:]
    return out if axis is None else np.moveaxis(out, -1, axis)


def _average_weights(a, axis, weights):
    """np.average's `weights` shaped to broadcast against `a` (weights given along `axis`
    only are laid out along it, as np.average does)."""
    w = np.asarray(weights)
    if w.shape == np.shape(a):
        return w
    nd = np.ndim(a)
    axes = tuple(ax % nd for ax in (axis if isinstance(axis, tuple) else (axis,)))
    w = np.transpose(w, np.argsort(axes))
    return np.reshape(w, [n if ax in axes else 1 for ax, n in enumerate(np.shape(a))])


def average_adjoint(g, y, a, axis=None, weights=None, keepdims=False):
    """The gradient of np.average(a, axis, weights) with respect to `a`: g * w / sum(w)."""
    g = unreduce(g, a, axis, keepdims)
    if weights is None:
        return g * (np.size(y) / np.size(a))
    w = _average_weights(a, axis, weights)
    return g * (w / np.sum(w, axis=axis, keepdims=True))


def average_weights_adjoint(g, y, a, axis=None, weights=None, keepdims=False):
    """The gradient of np.average(a, axis, weights) with respect to `weights`:
    g * (a - y) / sum(w), summed back to the weights' own shape."""
    w = _average_weights(a, axis, weights)
    part = (unreduce(g, a, axis, keepdims) * (a - unreduce(y, a, axis, keepdims))
            / np.sum(w, axis=axis, keepdims=True))
    if np.shape(weights) == np.shape(part):
        return part
    nd = np.ndim(a)
    axes = [ax % nd for ax in (axis if isinstance(axis, tuple) else (axis,))]
    part = np.sum(part, axis=tuple(ax for ax in range(nd) if ax not in axes))
    return np.transpose(part, [sorted(axes).index(ax) for ax in axes])


def average_weights_tangent(t, y, a, axis=None, weights=None, keepdims=False):
    """The tangent of np.average(a, axis, weights) along a tangent `t` of the weights:
    sum(t * (a - y)) / sum(w)."""
    w = _average_weights(a, axis, weights)
    t = _average_weights(a, axis, t)
    return (np.sum(t * (a - unreduce(y, a, axis, keepdims)), axis=axis, keepdims=keepdims)
            / np.sum(w, axis=axis, keepdims=keepdims))


def median_weights(a, axis=None, ignore_nan=False):
    """Weights of the elements of `a` in np.median(a, axis) (np.nanmedian with ignore_nan):
    the middle element gets 1, or the two middle ones 0.5 each; elements tied with a middle
    value share its weight equally. A slice whose median is NaN gets NaN weights."""
    a = np.asarray(a)
    shape = a.shape
    if axis is None:
        a, axes = np.reshape(a, (1, -1)), (1,)
    else:
        axes = tuple(ax % a.ndim for ax in (axis if isinstance(axis, tuple) else (axis,)))
    rest = [ax for ax in range(a.ndim) if ax not in axes]
    perm = rest + list(axes)
    flat = np.reshape(np.transpose(a, perm), [a.shape[ax] for ax in rest] + [-1])
    s = np.sort(flat, axis=-1)                      # NaN sorts last
    n = np.sum(np.logical_not(np.isnan(s)), axis=-1, keepdims=True) if ignore_nan else (
        np.full(s.shape[:-1] + (1,), s.shape[-1]))
    empty = n == 0
    lo = np.take_along_axis(s, np.where(empty, 0, (n - 1) // 2), axis=-1)
    hi = np.take_along_axis(s, np.where(empty, 0, n // 2), axis=-1)
    at_lo, at_hi = flat == lo, flat == hi
    w = (0.5 * at_lo / np.maximum(np.sum(at_lo, axis=-1, keepdims=True), 1)
         + 0.5 * at_hi / np.maximum(np.sum(at_hi, axis=-1, keepdims=True), 1))
    nan_median = np.isnan(lo) | np.isnan(hi) | empty
    if not ignore_nan:
        nan_median = nan_median | np.any(np.isnan(flat), axis=-1, keepdims=True)
    w = np.where(nan_median, np.nan, w).astype(_float_dtype(a), copy=False)
    w = np.transpose(np.reshape(w, [a.shape[ax] for ax in perm]), np.argsort(perm))
    return np.reshape(w, shape)


__all__ += [
    "sinc_slope", "pick_weight", "div_or_zero", "nan_count", "unsort", "uncumsum",
    "cumprod_adjoint", "cumprod_tangent", "average_adjoint", "average_weights_adjoint",
    "average_weights_tangent", "median_weights",
]
# ==== end of the helpers of the elementwise and reduction rules ================================
