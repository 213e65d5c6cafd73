"""What generated gradient code calls at run time.

Kept small and dependent on NumPy alone, so that an ahead-of-time generated module can carry a
copy of this file and import nothing else. Each helper has a fast path for the common case
(same shapes, 2-D matrices) because these calls sit inside the user's hot loops.
"""
import numpy as np

__all__ = [
    "Stack", "GradList", "unbroadcast", "unit_like", "unit_of", "reduced_count", "all_numbers", "add_at", "shaped", "ties", "sign_grad", "tangent_like", "unreduce", "unindex", "matmul_lhs", "matmul_rhs", "dot_lhs",
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
    if lead == 1 and gshape[1:] == shape and type(g) is np.ndarray:
        return g.sum(axis=0)     # a bias added to every row: the common case, made cheap
    kept = tuple(lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
    if lead:
        g = np.sum(g, axis=tuple(range(lead)))
    if kept:
        g = np.sum(g, axis=tuple(k - lead for k in kept), keepdims=True)
    return g if _shape(g) == shape else np.reshape(g, shape)


def unreduce(g, x, axis=None, keepdims=False):
    """Spread the gradient of a reduction over `axis` back over the shape of `x`.

    Small results are filled in (np.broadcast_to costs microseconds); large ones are
    read-only broadcast views, which cost no memory."""
    shape = _shape(x)
    if axis is not None and not keepdims:
        axes = axis if isinstance(axis, tuple) else (axis,)
        g = np.expand_dims(g, tuple(a % len(shape) for a in axes))
    size = x.size if type(x) is np.ndarray else np.size(x)
    if size > _SMALL:
        return np.broadcast_to(g, shape)
    out = np.empty(shape, dtype=g.dtype if hasattr(g, "dtype") else np.result_type(g))
    if getattr(g, "ndim", 0) == 0:
        out.fill(g)          # g is one number
    else:
        out[...] = g
    return out


_SMALL = 1 << 16   # elements: below this, a gradient array is cheaper made than viewed


def unit_of(v):
    """The adjoint df's result starts with when f returns the sum or mean of `v`: a one of
    v's dtype (1.0 for float64), made without computing the sum."""
    dtype = getattr(v, "dtype", None)
    if dtype is None or dtype == np.float64:
        return 1.0
    return np.ones((), dtype=dtype)[()]


def reduced_count(a, axis=None):
    """How many elements of `a` each result of a reduction over `axis` combines."""
    if axis is None:
        return a.size if type(a) is np.ndarray else np.size(a)
    shape = _shape(a)
    axes = axis if isinstance(axis, tuple) else (axis,)
    n = 1
    for ax in axes:
        n *= shape[ax]
    return n


_NUMBERS = (float, int, np.float64)


def all_numbers(*args):
    """Whether every argument is a Python float or int or a NumPy float64: then df may run
    its variant for numbers."""
    for v in args:
        if type(v) not in _NUMBERS:
            return False
    return True


def unit_like(v):
    """The adjoint df's result starts with: ones shaped like it; for a float64 number, 1.0
    (a Python float computes the same and costs nothing to make)."""
    if type(v) is float or type(v) is np.float64:
        return 1.0
    return np.ones_like(v)


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


def tangent_like(t, y):
    """The tangent `t` with the shape and float dtype of the result `y` it belongs to."""
    t = broadcast_like(t, y)
    dtype = getattr(y, "dtype", None)
    if dtype is not None and dtype.kind == "f" and getattr(t, "dtype", dtype) != dtype:
        t = np.asarray(t, dtype=dtype)
    return t


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
    if type(x) is float or type(x) is int or type(x) is bool:
        return 0.0
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
    if type(a) is float or type(a) is int:   # stays a Python number: keeps float32 float32
        return float(np.log(a)) if a > 0 else 0.0
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
    share = mask / np.sum(mask, axis=axis, keepdims=True)
    return share.astype(_float_dtype(x), copy=False)


def sign_grad(g, x):
    """np.sign is flat for real numbers; for complex ones (z / |z|) it is not, and that
    gradient is not implemented: refuse rather than return zero."""
    if np.iscomplexobj(x):
        raise NotImplementedError("tangent_lite: the gradient of np.sign of complex values is "
                                  "not implemented; write z / np.abs(z)")
    return np.zeros(np.shape(x), dtype=_float_dtype(x, g))


def ties(a, b):
    """The share of the gradient of np.maximum(a, b) that `a` receives: 1 where it is larger,
    1/2 where they tie (in the arguments' float dtype)."""
    share = (a > b) + 0.5 * (a == b)
    if not isinstance(share, np.ndarray):
        return float(share)
    dtype = np.result_type(a, b)
    return share.astype(dtype if dtype.kind == "f" else np.float64, copy=False)


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
    if (tx is np.ndarray and type(g) is np.ndarray and g.dtype == x.dtype
            and x.dtype.kind == "f" and g.shape == x.shape and g.base is None
            and g.flags.writeable and g is not x):
        return g            # the common case, first: a fresh array of x's kind
    if np.iscomplexobj(g):   # a real value's gradient is real: complex intermediates leave
        g = np.real(g)       # an imaginary part that belongs to no real direction
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
        if type(g) is np.ndarray:
            for other in out:
                if other is g:
                    g = g.copy()
                    break
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


# ==== begin: shapes, products, linear algebra and FFT (rules/numpy_shapes.py, numpy_linalg.py,
# numpy_fft.py). Complex values follow JAX's convention: the gradient of a complex z = a + ib is
# dL/da - i dL/db, so a holomorphic rule reads as in the real case (transposes, no conjugates)
# and a real input receives the real part (`real_like`).


def unbroadcast_to(g, x):
    """The gradient of `np.broadcast_to(x, shape)`: `g` summed back to the shape of `x` (the
    compiler never drops this call, as it may drop `unbroadcast` next to numbers)."""
    return unbroadcast(g, x)


def real_like(g, x):
    """The gradient `g` of a value computed from `x`, as `x` can hold it: its real part when
    `x` is real (a real input moves only along the real axis)."""
    if np.iscomplexobj(g) and not np.iscomplexobj(x):
        return np.real(g)
    return g


def _gather_adjoint(g, src, size):
    """The gradient of `y = x.ravel()[src]` with respect to the `size` elements of x: each
    element gathers the gradient of its copies."""
    src, flat = np.ravel(src), np.ravel(g)
    if np.iscomplexobj(flat):
        return np.bincount(src, flat.real, size) + 1j * np.bincount(src, flat.imag, size)
    return np.bincount(src, flat, size).astype(_float_dtype(g), copy=False)


def _ungroup(g, values):
    """`g` shaped like `values`: one piece per element when `values` is a Python list."""
    if isinstance(values, (list, tuple)):
        return GradList(_ungroup(g[k], v) for k, v in enumerate(values))
    return np.reshape(g, np.shape(values))


def untile(g, x, reps):
    """The gradient of `np.tile(x, reps)`: each element gathers the gradient of its copies."""
    shape = np.shape(x)
    reps = tuple(int(r) for r in np.atleast_1d(reps))
    nd = max(len(shape), len(reps))
    full = (1,) * (nd - len(shape)) + tuple(shape)
    reps = (1,) * (nd - len(reps)) + reps
    g = np.reshape(g, [n for pair in zip(reps, full) for n in pair])
    return np.reshape(np.sum(g, axis=tuple(range(0, 2 * nd, 2))), shape)


def unrepeat(g, x, repeats, axis=None):
    """The gradient of `np.repeat(x, repeats, axis)`: each element gathers its copies."""
    shape = np.shape(x)
    if axis is None:
        g, size = np.reshape(g, (-1,)), int(np.prod(shape))
    else:
        axis = axis % len(shape)
        g, size = np.moveaxis(g, axis, 0), shape[axis]
    if np.ndim(repeats) == 0 or np.size(repeats) == 1:
        out = np.sum(np.reshape(g, (size, int(np.ravel(repeats)[0])) + g.shape[1:]), axis=1)
    else:
        out = np.zeros((size,) + g.shape[1:], dtype=_float_dtype(g))
        np.add.at(out, np.repeat(np.arange(size), repeats), g)
    return np.reshape(out, shape) if axis is None else np.moveaxis(out, 0, axis)


def _pad_pairs(x, pad_width):
    return np.broadcast_to(np.asarray(pad_width, dtype=np.intp), (np.ndim(x), 2))


def unpad(g, x, pad_width, mode="constant"):
    """The gradient of `np.pad(x, pad_width, mode)`: the middle of `g`; with the modes that copy
    elements of `x` into the border ('edge', 'reflect', 'symmetric', 'wrap') each element also
    gathers the gradient of its copies."""
    if mode in ("constant", "empty"):
        return g[tuple(slice(b, b + n) for (b, _), n in zip(_pad_pairs(x, pad_width),
                                                             np.shape(x)))]
    if mode not in ("edge", "reflect", "symmetric", "wrap"):
        raise NotImplementedError(
            f"tangent_lite: the gradient of np.pad with mode={mode!r} is not implemented; use "
            "'constant', 'edge', 'reflect', 'symmetric' or 'wrap'")
    size = int(np.prod(np.shape(x)))
    src = np.pad(np.reshape(np.arange(size), np.shape(x)), pad_width, mode)
    return np.reshape(_gather_adjoint(g, src, size), np.shape(x))


def unpad_fill(g, x, pad_width, constant_values):
    """The gradient of `np.pad(x, pad_width, constant_values=c)` with respect to a number c:
    the sum of `g` over the border."""
    if np.ndim(constant_values) != 0:
        raise NotImplementedError(
            "tangent_lite: np.pad is differentiated with respect to constant_values only when "
            "it is one number")
    return np.sum(g) - np.sum(unpad(g, x, pad_width))


def undiag(g, v, k=0):
    """The gradient of `np.diag(v, k)`: the k-th diagonal of `g` for a vector `v`; for a matrix
    `v`, zeros with `g` on the k-th diagonal."""
    if np.ndim(v) == 1:
        return np.diag(g, k)
    out = np.zeros(np.shape(v), dtype=_float_dtype(g))
    i = np.arange(np.shape(g)[0])
    out[i + max(-k, 0), i + max(k, 0)] = g
    return out


def undiagonal(g, x, offset=0, axis1=0, axis2=1):
    """The gradient of `np.diagonal(x, offset, axis1, axis2)`: zeros shaped like `x` with `g`
    on that diagonal."""
    out = np.zeros(np.shape(x), dtype=_float_dtype(g))
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    i = np.arange(np.shape(g)[-1])
    view[..., i + max(-offset, 0), i + max(offset, 0)] = g
    return out


def untrace(g, x, offset=0, axis1=0, axis2=1):
    """The gradient of `np.trace(x, offset, axis1, axis2)`: `g` along that diagonal."""
    n = np.shape(np.diagonal(x, offset, axis1, axis2))[-1]
    g = np.asarray(g)
    return undiagonal(np.broadcast_to(g[..., None], g.shape + (n,)), x, offset, axis1, axis2)


def untake(g, x, indices, axis=None, mode="raise"):
    """The gradient of `np.take(x, indices, axis, mode=mode)`: each element of `x` gathers the
    gradient of the places it was taken to."""
    shape = np.shape(x)
    if axis is None:
        out = np.zeros(int(np.prod(shape)), dtype=_float_dtype(g))
        g, axis = np.reshape(g, np.shape(indices)), 0
    else:
        axis = axis % len(shape)
        out = np.zeros(shape, dtype=_float_dtype(g))
    n = out.shape[axis]
    idx = np.asarray(indices)
    idx = np.clip(idx, 0, n - 1) if mode == "clip" else idx % n
    k = idx.ndim
    moved = np.moveaxis(g, tuple(range(axis, axis + k)), tuple(range(k)))
    np.add.at(np.moveaxis(out, axis, 0), idx, moved)
    return np.reshape(out, shape)


def untake_along_axis(g, x, indices, axis):
    """The gradient of `np.take_along_axis(x, indices, axis)`."""
    shape = np.shape(x)
    out = np.zeros(int(np.prod(shape)) if axis is None else shape, dtype=_float_dtype(g))
    g, idx = np.asarray(g), np.asarray(indices)
    if axis is None:
        np.add.at(out, idx % out.size, g)
        return np.reshape(out, shape)
    axis = axis % len(shape)
    grid = list(np.ix_(*[np.arange(n) if m != 1 else np.zeros(n, dtype=np.intp)
                         for n, m in zip(g.shape, shape)]))
    grid[axis] = idx % shape[axis]
    np.add.at(out, tuple(grid), g)
    return out


def unatleast(g, arys):
    """The gradient of `np.atleast_1d/2d/3d(*arys)`: one piece per argument, reshaped back."""
    if len(arys) == 1:
        return GradList([np.reshape(g, np.shape(arys[0]))])
    return GradList(np.reshape(p, np.shape(a)) for p, a in zip(g, arys))


def unjoin(g, arrays, how):
    """The gradient of `np.hstack/vstack/dstack/column_stack(arrays)` (`how` names which): one
    piece per array."""
    if how == "vstack":
        shapes, axis = [np.shape(np.atleast_2d(a)) for a in arrays], 0
    elif how == "dstack":
        shapes, axis = [np.shape(np.atleast_3d(a)) for a in arrays], 2
    elif how == "hstack":
        shapes = [np.shape(np.atleast_1d(a)) for a in arrays]
        axis = 0 if len(shapes[0]) == 1 else 1
    else:  # column_stack: vectors become columns
        shapes = [{0: (1, 1), 1: np.shape(a) + (1,)}.get(np.ndim(a), np.shape(a))
                  for a in arrays]
        axis = 1
    cuts = np.cumsum([s[axis] for s in shapes])[:-1]
    return GradList(np.reshape(p, np.shape(a))
                    for p, a in zip(np.split(g, cuts, axis=axis), arrays))


def unappend(g, arr, values, axis=None):
    """The gradient of `np.append(arr, values, axis)`: [the part of arr, the part of values]."""
    if axis is None:
        flat, n = np.reshape(g, (-1,)), np.size(arr)
        return GradList([np.reshape(flat[:n], np.shape(arr)), _ungroup(flat[n:], values)])
    head, tail = np.split(g, [np.shape(arr)[axis]], axis=axis)
    return GradList([head, _ungroup(tail, values)])


def undelete(g, x, obj, axis=None):
    """The gradient of `np.delete(x, obj, axis)`: zeros where elements were deleted."""
    shape = np.shape(x)
    if axis is None:
        out = np.zeros(int(np.prod(shape)), dtype=_float_dtype(g))
        out[np.delete(np.arange(out.size), obj)] = g
        return np.reshape(out, shape)
    axis = axis % len(shape)
    out = np.zeros(shape, dtype=_float_dtype(g))
    out[(slice(None),) * axis + (np.delete(np.arange(shape[axis]), obj),)] = g
    return out


def uninsert(g, x, obj, values, axis=None):
    """The gradient of `np.insert(x, obj, values, axis)`: [the part of x, the part of values].
    np.insert itself, run on element numbers, says where each element went."""
    nx, nv = int(np.size(x)), int(np.size(values))
    src = np.insert(np.reshape(np.arange(nx), np.shape(x)), obj,
                    np.reshape(np.arange(nx, nx + nv), np.shape(values)), axis=axis)
    total = _gather_adjoint(g, src, nx + nv)
    return GradList([np.reshape(total[:nx], np.shape(x)),
                     _ungroup(np.reshape(total[nx:], np.shape(values)), values)])


def unresize(g, x, new_shape):
    """The gradient of `np.resize(x, new_shape)`, which repeats x's elements cyclically."""
    size, flat = int(np.size(x)), np.ravel(g)
    if size == 0:
        return np.zeros(np.shape(x), dtype=_float_dtype(g))
    rows = -(-flat.size // size)
    flat = np.concatenate([flat, np.zeros(rows * size - flat.size, dtype=flat.dtype)])
    return np.reshape(np.sum(np.reshape(flat, (rows, size)), axis=0), np.shape(x))


# -- products --

_EINSUM_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _einsum_parse(subscripts, ndims):
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
    grad = np.einsum(spec, g, *[arrays[j] for j in others], optimize=optimize)
    dims = iter(np.shape(grad))
    grad = np.reshape(grad, [next(dims) if c in kept else 1 for c in letters])
    grad = np.broadcast_to(grad, [sizes[c] for c in letters])
    if len(letters) < len(sub):
        full = np.zeros([sizes[c] for c in sub], dtype=grad.dtype)
        grid = np.ix_(*[np.arange(sizes[c]) for c in letters])
        full[tuple(grid[letters.index(c)] for c in sub)] = grad
        grad = full
    return real_like(unbroadcast(grad, x), x)


def einsum_adjoint(g, operands, optimize=False):
    """The gradients of `np.einsum(subscripts, *arrays)`: [None for the subscripts, then one
    per array]."""
    arrays = operands[1:]
    ins, out = _einsum_parse(operands[0], [np.ndim(a) for a in arrays])
    return GradList([None] + [_einsum_grad(g, ins, out, arrays, k, optimize)
                              for k in range(len(arrays))])


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
    ins, out = _einsum_parse(operands[0], [np.ndim(a) for a in arrays])
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
    ins, out = _tensordot_subscripts(np.ndim(a), np.ndim(b), axes)
    return _einsum_grad(g, ins, out, [a, b], which)


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


def inner_adjoint(g, a, b, which=0):
    """The gradient of `np.inner(a, b)` with respect to a (which=0) or b (which=1)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        x, other = (a, b) if which == 0 else (b, a)
        return real_like(unbroadcast(g * other, x), x)
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


# -- linear algebra: real matrices, stacks of them too (complex where a rule is holomorphic) --

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
    dres = np.zeros(np.shape(res), dtype=_float_dtype(res))
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
        return np.zeros(np.shape(a), dtype=_float_dtype(g))
    base = np.linalg.inv(a) if n < 0 else a
    p = _powers(base, abs(n))
    grad = sum(_mT(p[k]) @ g @ _mT(p[abs(n) - 1 - k]) for k in range(abs(n)))
    return -(_mT(base) @ grad @ _mT(base)) if n < 0 else grad


def matrix_power_tangent(da, a, n):
    """The tangent of `np.linalg.matrix_power(a, n)`."""
    if n == 0:
        return np.zeros(np.shape(a), dtype=_float_dtype(da))
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
    x = np.asarray(x)
    axes, matrix = _norm_axes(x, ord, axis)
    if not keepdims:
        g, y = np.expand_dims(g, axes), np.expand_dims(y, axes)
    g = np.real(g)
    dtype = _float_dtype(x, g)
    sign = np.conj(_unit(x)) if np.iscomplexobj(x) else np.sign(x)
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
    grad = norm_grad(np.ones(np.shape(y), dtype=np.asarray(y).dtype), y, x, ord, axis, keepdims)
    return np.real(np.sum(grad * dx, axis=axes, keepdims=keepdims)).astype(np.asarray(y).dtype)


# -- FFT and complex values --

def _fit(g, shape, axes):
    """`g` cut or padded with zeros along `axes` to the lengths of `shape` there."""
    for ax in axes:
        n, m = g.shape[ax], shape[ax]
        if n > m:
            g = g[(slice(None),) * ax + (slice(0, m),)]
        elif n < m:
            pad = [(0, 0)] * g.ndim
            pad[ax] = (0, m - n)
            g = np.pad(g, pad)
    return g


def fft_adjoint(g, x, kind, s=None, axes=None, norm=None):
    """The gradient of `np.fft.<kind>n(x, s, axes, norm)` for kind 'fft', 'ifft', 'rfft' or
    'irfft' (an int `axes` for the one-axis functions): the transposed transform (DFT
    matrices are symmetric), with the cropping or zero-padding of `x` to `s` undone."""
    g = np.asarray(g)
    nd = np.ndim(x)
    if isinstance(axes, (int, np.integer)):
        axes, s = (axes,), None if s is None else (s,)
    elif axes is None:
        axes = tuple(range(nd)) if s is None else tuple(range(nd - len(s), nd))
    axes = tuple(ax % nd for ax in axes)
    if kind in ("fft", "ifft"):
        out = (np.fft.fftn if kind == "fft" else np.fft.ifftn)(g, axes=axes, norm=norm)
    elif kind == "rfft":          # the transposed transform of the zero-extended half spectrum
        last = axes[-1]
        n = np.shape(x)[last] if s is None else s[-1]
        out = np.real(np.fft.fftn(_fit(g, g.shape[:last] + (n,) + g.shape[last + 1:], axes),
                                  axes=axes, norm=norm))
    else:                         # irfft: the half spectrum stands for itself and its mirror
        last = axes[-1]
        n = g.shape[last]
        h = np.conj(np.fft.rfft(np.real(g), axis=last))
        weight = np.full(n // 2 + 1, 2.0)
        weight[0] = 1.0
        if n % 2 == 0:
            weight[-1] = 1.0
        scale = {None: 1.0 / n, "backward": 1.0 / n, "ortho": 1.0 / np.sqrt(n),
                 "forward": 1.0}[norm]
        h = h * np.reshape(weight * scale, (-1,) + (1,) * (g.ndim - 1 - last))
        out = np.fft.ifftn(h, axes=axes[:-1], norm=norm) if len(axes) > 1 else h
    return real_like(_fit(out, np.shape(x), axes), x)


def _unit(x):
    """x / |x| (0 at 0) for complex x: np.sign before NumPy 2 gives the sign of the real part."""
    r = np.abs(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(r == 0, 0.0, x / r)


def abs_adjoint(g, x):
    """The gradient of `np.abs(x)`: g * sign(x) (0 at 0); for complex x, g * conj(x) / |x|."""
    if np.iscomplexobj(x):
        return np.real(g) * np.conj(_unit(x))
    return g * np.sign(x)


def abs_tangent(dx, x):
    """The tangent of `np.abs(x)`: dx * sign(x); for complex x, Re(conj(x) dx) / |x|."""
    if np.iscomplexobj(x):
        return np.real(np.conj(_unit(x)) * dx)
    return dx * np.sign(x)


def abs_adjoint_tangent(g, x, dx):
    """How `abs_adjoint(g, x)` changes with x: not at all for real x (the sign is constant)."""
    if not np.iscomplexobj(x):
        return 0.0
    r = np.abs(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.conj(dx) / r - np.conj(x) * np.real(np.conj(x) * dx) / r ** 3
    return np.real(g) * np.where(r == 0, 0.0, change)


def angle_adjoint(g, z, deg=False):
    """The gradient of `np.angle(z, deg)`: -i g conj(z) / |z|^2 (zero for real z)."""
    if not np.iscomplexobj(z):
        return np.zeros(np.shape(z), dtype=_float_dtype(z, np.real(g)))
    r2 = np.real(z * np.conj(z))
    with np.errstate(divide="ignore", invalid="ignore"):
        grad = np.where(r2 == 0, 0.0, -1j * np.real(g) * np.conj(z) / r2)
    return grad * (180.0 / np.pi) if deg else grad


def angle_tangent(dz, z, deg=False):
    """The tangent of `np.angle(z, deg)`: Im(conj(z) dz) / |z|^2."""
    if not np.iscomplexobj(z):
        return np.zeros(np.shape(z), dtype=_float_dtype(z))
    r2 = np.real(z * np.conj(z))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(r2 == 0, 0.0, np.imag(np.conj(z) * dz) / r2)
    return t * (180.0 / np.pi) if deg else t


__all__ += [
    "unbroadcast_to", "real_like", "untile", "unrepeat", "unpad", "unpad_fill", "undiag",
    "undiagonal", "untrace", "untake", "untake_along_axis", "unatleast", "unjoin", "unappend",
    "undelete", "uninsert", "unresize", "einsum_adjoint", "einsum_tangent",
    "einsum_adjoint_tangent", "tensordot_adjoint", "kron_adjoint", "inner_adjoint",
    "cross_adjoint", "solve_adjoint", "solve_tangent", "solve_adjoint_tangent", "slogdet_adjoint",
    "slogdet_adjoint_tangent", "cholesky_adjoint",
    "cholesky_tangent", "eigh_adjoint", "eigh_tangent", "eigvalsh_adjoint", "eigvalsh_tangent",
    "svd_adjoint", "svd_tangent", "pinv_adjoint", "pinv_tangent", "lstsq_adjoint",
    "lstsq_tangent", "matrix_power_adjoint",
    "matrix_power_tangent", "norm_grad", "norm_tangent", "fft_adjoint", "abs_adjoint",
    "abs_tangent", "abs_adjoint_tangent", "angle_adjoint", "angle_tangent",
]
# ==== end: shapes, products, linear algebra and FFT
