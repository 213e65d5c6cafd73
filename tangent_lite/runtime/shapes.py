"""Helpers of the shape rules (rules/shapes.py: np.concatenate, np.stack, np.transpose, np.take,
np.pad and the rest; the subscripts' helpers are indexing.py's).

Each undoes on the gradient what the function did to its argument's elements: scatters a
gradient back into the shape it was tiled, padded, taken or joined from. Functions that return
a list have one gradient piece per element (a GradList).
"""
import numpy as np

from .lists import GradList
from .core import float_dtype, unbroadcast
from .dispatch import as_array, duck, numpy_only, size_of
from .indexing import bincount_rows, scatter_rows


def _split(g, cuts, axis=0):
    """np.split(g, cuts, axis) as slices: the same views for NumPy, and what Dask and CuPy
    arrays support (Dask does not implement np.split)."""
    lead = (slice(None),) * (axis % np.ndim(g))
    bounds = [0] + [int(c) for c in cuts] + [None]
    return [g[lead + (slice(a, b),)] for a, b in zip(bounds[:-1], bounds[1:])]


def untranspose(g, axes=None):
    """Undo `np.transpose(x, axes)` on the gradient."""
    if axes is None:
        return np.transpose(g)
    return np.transpose(g, tuple(int(k) for k in np.argsort([ax % np.ndim(g) for ax in axes])))


def unconcatenate(g, arrays, axis=0):
    """Split the gradient of `np.concatenate(arrays, axis)` into one piece per array. The last
    array may be given as None (optimize/pieces.py): its piece is the rest of g along axis."""
    if type(g) is np.ndarray and type(axis) is int and g.ndim:
        # NumPy first (an ODE right-hand side concatenates at every call): the same views as
        # _split's, bounds added up in Python ints rather than with np.cumsum
        lead = (slice(None),) * (axis % g.ndim)
        pieces, start = GradList(), 0
        for a in arrays:
            if a is None:
                stop = None
            else:
                stop = start + (a.shape if type(a) is np.ndarray else np.shape(a))[axis]
            pieces.append(g[lead + (slice(start, stop),)])
            start = stop
        return pieces
    if axis is None:
        sizes = [size_of(a) for a in arrays]
        return GradList(np.reshape(p, np.shape(a))
                        for p, a in zip(_split(g, np.cumsum(sizes)[:-1]), arrays))
    sizes = [np.shape(a)[axis] for a in arrays if a is not None]
    return GradList(_split(g, np.cumsum(sizes)[:len(arrays) - 1], axis=axis))


def unstack(g, arrays, axis=0):
    """Split the gradient of `np.stack(arrays, axis)` into one piece per array."""
    return GradList(np.take(g, i, axis=axis) for i in range(len(arrays)))


def unbroadcast_to(g, x):
    """The gradient of `np.broadcast_to(x, shape)`: `g` summed back to the shape of `x` (the
    compiler never drops this call, as it may drop `unbroadcast` next to numbers)."""
    return unbroadcast(g, x)


def _gather_adjoint(g, src, size):
    """The gradient of `y = x.ravel()[src]` with respect to the `size` elements of x: each
    element gathers the gradient of its copies."""
    numpy_only("np.pad (with the modes that copy elements), np.insert or np.repeat", g)
    src, flat = np.ravel(src), np.ravel(g)
    if np.iscomplexobj(flat):
        return np.bincount(src, flat.real, size) + 1j * np.bincount(src, flat.imag, size)
    return np.bincount(src, flat, size).astype(float_dtype(g), copy=False)


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
        numpy_only("np.repeat with one count per element", g)
        out = np.zeros((size,) + g.shape[1:], dtype=float_dtype(g))
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
    if duck(g):
        return _on_diagonal(g, np.shape(v), k, 0, 1)
    out = np.zeros(np.shape(v), dtype=float_dtype(g))
    i = np.arange(np.shape(g)[0])
    out[i + max(-k, 0), i + max(k, 0)] = g
    return out


def undiagonal(g, x, offset=0, axis1=0, axis2=1):
    """The gradient of `np.diagonal(x, offset, axis1, axis2)`: zeros shaped like `x` with `g`
    on that diagonal."""
    if duck(g):
        return _on_diagonal(g, np.shape(x), offset, axis1, axis2)
    out = np.zeros(np.shape(x), dtype=float_dtype(g))
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    i = np.arange(np.shape(g)[-1])
    view[..., i + max(-offset, 0), i + max(offset, 0)] = g
    return out


def _on_diagonal(g, shape, offset, axis1, axis2):
    """undiagonal for arrays that cannot be written at integer-array positions (Dask): `g`'s
    last axis laid on the diagonal by a product with a 0/1 array made in NumPy."""
    nd = len(shape)
    axis1, axis2 = axis1 % nd, axis2 % nd
    rows, cols = shape[axis1], shape[axis2]
    d = np.shape(g)[-1]
    i = np.arange(d)
    place = np.zeros((d, rows, cols), dtype=float_dtype(g))
    place[i, i + max(-offset, 0), i + max(offset, 0)] = 1
    out = np.tensordot(g, place, axes=([np.ndim(g) - 1], [0]))   # (..., rows, cols)
    return np.moveaxis(out, (-2, -1), (axis1, axis2))


def untrace(g, x, offset=0, axis1=0, axis2=1):
    """The gradient of `np.trace(x, offset, axis1, axis2)`: `g` along that diagonal."""
    n = np.shape(np.diagonal(x, offset, axis1, axis2))[-1]
    g = as_array(g)
    return undiagonal(np.broadcast_to(g[..., None], g.shape + (n,)), x, offset, axis1, axis2)


def untake(g, x, indices, axis=None, mode="raise"):
    """The gradient of `np.take(x, indices, axis, mode=mode)`: each element of `x` gathers the
    gradient of the places it was taken to."""
    shape = np.shape(x)
    if axis is None:
        out_shape = (int(np.prod(shape)),)
        g, axis = np.reshape(g, np.shape(indices)), 0
    else:
        axis = axis % len(shape)
        out_shape = shape
    n = out_shape[axis]
    idx = np.asarray(indices)
    idx = np.clip(idx, 0, n - 1) if mode == "clip" else idx % n
    k = idx.ndim
    moved = np.moveaxis(g, tuple(range(axis, axis + k)), tuple(range(k)))
    if duck(g):   # no np.add.at: a product with a 0/1 matrix
        return np.reshape(np.moveaxis(scatter_rows(moved, n, idx), 0, axis), shape)
    rows = (n,) + out_shape[:axis] + out_shape[axis + 1:]
    summed = bincount_rows(moved, rows, idx) if float_dtype(g) == np.float64 else None
    if summed is not None:
        return np.reshape(np.moveaxis(summed, 0, axis), shape)
    out = np.zeros(out_shape, dtype=float_dtype(g))
    np.add.at(np.moveaxis(out, axis, 0), idx, moved)
    return np.reshape(out, shape)


def untake_along_axis(g, x, indices, axis):
    """The gradient of `np.take_along_axis(x, indices, axis)`."""
    numpy_only("np.take_along_axis", g)
    shape = np.shape(x)
    out = np.zeros(int(np.prod(shape)) if axis is None else shape, dtype=float_dtype(g))
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
                    for p, a in zip(_split(g, cuts, axis=axis), arrays))


def unappend(g, arr, values, axis=None):
    """The gradient of `np.append(arr, values, axis)`: [the part of arr, the part of values]."""
    if axis is None:
        flat, n = np.reshape(g, (-1,)), size_of(arr)
        return GradList([np.reshape(flat[:n], np.shape(arr)), _ungroup(flat[n:], values)])
    head, tail = _split(g, [np.shape(arr)[axis]], axis=axis)
    return GradList([head, _ungroup(tail, values)])


def undelete(g, x, obj, axis=None):
    """The gradient of `np.delete(x, obj, axis)`: zeros where elements were deleted."""
    numpy_only("np.delete", g)
    shape = np.shape(x)
    if axis is None:
        out = np.zeros(int(np.prod(shape)), dtype=float_dtype(g))
        out[np.delete(np.arange(out.size), obj)] = g
        return np.reshape(out, shape)
    axis = axis % len(shape)
    out = np.zeros(shape, dtype=float_dtype(g))
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
        return np.zeros(np.shape(x), dtype=float_dtype(g))
    rows = -(-flat.size // size)
    flat = np.concatenate([flat, np.zeros(rows * size - flat.size, dtype=flat.dtype)])
    return np.reshape(np.sum(np.reshape(flat, (rows, size)), axis=0), np.shape(x))


def flatten(a, order="C") -> "fresh":
    """`x.flatten()`: a copy of `x` as one axis, never a view (np.ravel may return one)."""
    a = as_array(a)
    return np.reshape(a, (-1,)).copy() if duck(a) and order == "C" else a.flatten(order)


def undiff(g, a: "shape", n=1, axis=-1, prepend: "shape" = None, append: "shape" = None,
           part="a"):
    """The gradient of np.diff(a, n, axis, prepend=, append=) with respect to `part` ("a",
    "prepend" or "append"). Each difference v[i + 1] - v[i] of the joined array v sends +g to
    i + 1 and -g to i: minus the differences of g padded with a zero at both ends, n times,
    gives v's gradient, which is cut into the pieces of prepend, a and append (a number
    prepended or appended was broadcast along the axis: its piece is summed)."""
    g = as_array(g)
    for _ in range(n):
        pad = [(0, 0)] * g.ndim
        pad[axis] = (1, 1)
        g = -np.diff(np.pad(g, pad), axis=axis)
    if prepend is None and append is None:
        return g
    axis = axis % g.ndim
    start = 0 if prepend is None else np.shape(prepend)[axis] if np.ndim(prepend) else 1
    stop = start + np.shape(a)[axis]
    lo, hi = {"prepend": (0, start), "a": (start, stop), "append": (stop, g.shape[axis])}[part]
    piece = g[(slice(None),) * axis + (slice(lo, hi),)]
    own = {"prepend": prepend, "a": a, "append": append}[part]
    return piece if np.ndim(own) else piece.sum(dtype=piece.dtype)
