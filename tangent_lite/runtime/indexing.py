"""Helpers of the indexing rules (rules/shapes.py: subscripts read and written).

A read `x[index]` sends its gradient back into the elements it took (`unindex`, or
`unindex_product` where the gradient is a product computed straight into the slice); a write
`x[index] = v` takes the gradient of what it overwrote out (`written`, `unset`) and adds into
what remains (`add_at`, `set_at`, `add_item` for one entry of a list gradient,
`add_row_slices` for the slices of a parameter's row). Repeated integer rows scatter with one
`np.bincount` (`bincount_rows`). These are the helpers gradient code calls inside the user's
loops, so each has its exact-ndarray fast path first.
"""
import numpy as np

from .lists import GradList, add_grads, zeros_grad
from .core import float_dtype
from .dispatch import InputError, as_array, duck, shape_of, sized
from .fused import sum_product
from .trees import GradDict


def _is_float(x):
    return np.issubdtype(as_array(x).dtype, np.inexact)


def scatter_rows(g, n, idx):
    """zeros((n,) + rest) with each g[j] added at row idx[j], repeats adding up, for arrays
    without an in-place scatter (Dask): one product with a 0/1 matrix of n x len(idx), made in
    NumPy from the integer index alone."""
    idx = np.asarray(idx) % n
    k = idx.size
    g = np.reshape(g, (k,) + tuple(np.shape(g)[idx.ndim:]))
    onehot = (np.arange(n)[:, None] == idx.reshape(1, -1)).astype(float_dtype(g))
    return np.tensordot(onehot, g, axes=1)


def _forward_index(index, g, ndim, shape):
    """A basic index (ints, slices, `...`, None) and the gradient `g` of what it selected,
    rewritten without None and without negative steps, the forms Dask's item assignment
    takes: `out[index] = g` then writes the same elements."""
    items = list(index) if isinstance(index, tuple) else [index]
    if not all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis
               for i in items):
        return index, g
    if Ellipsis in items:
        k = items.index(Ellipsis)
        real = sum(1 for i in items if i is not None and i is not Ellipsis)
        items[k:k + 1] = [slice(None)] * (ndim - real)
    out, squeeze, flip = [], [], []
    axis, g_axis = 0, 0   # the axis of x and of g the next item stands for
    for i in items:
        if i is None:
            squeeze.append(g_axis)
            g_axis += 1
            continue
        if isinstance(i, slice):
            start, stop, step = i.indices(shape[axis])
            if step < 0:
                count = len(range(start, stop, step))
                last = start + step * (count - 1) if count else start
                i = slice(last, start + 1, -step) if count else slice(0, 0)
                flip.append(g_axis)
            g_axis += 1
        out.append(i)
        axis += 1
    if flip:
        g = np.flip(g, tuple(flip))
    if squeeze:
        g = np.squeeze(g, axis=tuple(squeeze))
    return tuple(out), g


def _integer_array(index):
    return isinstance(index, (list, np.ndarray)) and np.asarray(index).dtype.kind in "iu"


# The NumPy scalar type of an element of a float array of each native dtype.
_SCALAR = {np.dtype(t): t for t in (np.float16, np.float32, np.float64, np.longdouble)}


def unindex(g, x: "shape", index) -> "fresh":
    """The gradient of `x[index]`: zeros shaped like `x` with `g` added at `index`.

    For a Python list `x` the gradient is a GradList with one entry per element; for a dict,
    a GradDict with the one key `index` (the other keys' gradients are zero: a read of one
    parameter does not make zeros of every other)."""
    if type(x) is np.ndarray and x.dtype.kind == "f" and _basic(index) and (
            type(g) is float or ((type(g) is np.ndarray or type(g) is _SCALAR.get(x.dtype))
                                 and x.dtype == g.dtype)):
        # the common case first: a slice of an array, or one element (`y[-1]`, g a Python
        # float, which keeps x's float dtype as below, or a NumPy float of x's dtype),
        # selects no element twice: no np.add.at
        out = np.zeros(x.shape, dtype=x.dtype)
        out[index] = g
        return out
    if isinstance(x, dict):
        return GradDict({index: g})
    if isinstance(x, (list, tuple)):
        out = zeros_grad(x)
        if isinstance(index, slice):
            for k, piece in zip(range(*index.indices(len(x))), g):
                out[k] = out[k] + piece
        else:
            out[index] = out[index] + g
        return out
    dtype = np.result_type(x, g) if _is_float(x) else as_array(g).dtype
    if duck(x) or duck(g):   # Dask and CuPy: no np.add.at
        sized(g, index)
        if _integer_array(index):   # may repeat rows: their gradients add up
            return scatter_rows(g, np.shape(x)[0], index).astype(dtype)
        if not _selects_once(index):
            raise InputError(
                "the gradient of an index with several integer arrays (`x[i, j]`) scatters "
                "with np.add.at, which Dask and CuPy arrays do not have. Instead: index one "
                "axis at a time (`x[i][:, j]`), or use NumPy arrays")
        out = np.zeros_like(x, dtype=dtype)
        index, g = _forward_index(index, g, np.ndim(x), np.shape(x))
        out[index] = g
        return out
    if _selects_once(index):
        out = np.zeros(np.shape(x), dtype=dtype)
        out[index] = g       # a slice or an int: no element twice, so no np.add.at (slow)
        return out
    rows = _rows_index(index)
    if rows is not None and dtype == np.float64:
        out = bincount_rows(g, np.shape(x), rows)
        if out is not None:
            return out
    out = np.zeros(np.shape(x), dtype=dtype)
    np.add.at(out, index, g)
    return out


def unindex_product(a, b, t: "shape", x: "shape", index) -> "fresh":
    """`unindex(sum_product(a, b, t), x, index)`, the gradient of a slice read `t = x[index]`
    whose gradient is a product (optimize/slices.py writes it), without the product's own array.

    Where a, b and x are NumPy arrays of one real float dtype, the index is basic and the slice
    x[index] has the shape of a and b (which is t's: nothing is summed), the product is
    computed straight into the slice of the zero gradient (`np.multiply(a, b, out=...)`, the
    same ufunc as `a * b`, so the same values to the bit). Where the index only adds axes of
    length 1 (`x[:, None]`), the gradient is the summed product itself, reshaped: a fresh
    array nobody else holds. Anything else is the expression written out."""
    if type(a) is np.ndarray and type(b) is np.ndarray and type(x) is np.ndarray \
            and type(index) is slice and type(t) is np.ndarray and x.ndim == 1:
        # a 1-D slice of an array (an ODE right-hand side, `x[1:] * y[:-1]`, at every call):
        # the checks below in their cheapest form, and no zeros written where the product goes
        dtype = x.dtype
        if (a.dtype is dtype and b.dtype is dtype and dtype.kind == "f"
                and a.ndim == 1 and a.shape == b.shape == t.shape):
            start, stop, step = index.indices(x.shape[0])
            if step == 1 and stop - start == a.shape[0]:
                return _product_into(a, b, x.shape[0], start, stop, dtype)
    if (type(a) is np.ndarray and type(b) is np.ndarray and type(x) is np.ndarray
            and a.dtype == b.dtype and a.dtype == x.dtype and x.dtype.kind == "f"
            and a.shape == b.shape and _basic(index)):
        if shape_of(t) == a.shape:
            out = np.zeros(x.shape, dtype=x.dtype)
            part = out[index]
            if type(part) is np.ndarray and part.shape == a.shape:
                np.multiply(a, b, out=part)
                return out
            return unindex(a * b, x, index)
        total = sum_product(a, b, t)
        if (type(total) is np.ndarray and total.dtype == x.dtype and _adds_axes(index)
                and x[index].shape == total.shape):
            return total.reshape(x.shape)
        return unindex(total, x, index)
    return unindex(sum_product(a, b, t), x, index)


# From this many bytes a 1-D gradient is made empty and only its elements outside the slice
# zeroed: np.zeros writes every element (glibc's calloc clears reused memory), a pass over the
# array the product then writes again. Below it, np.zeros is the cheaper call.
_EMPTY_FROM = 1 << 16


def _product_into(a, b, n, start, stop, dtype):
    """A new 1-D array of n elements: a * b in [start, stop), zeros elsewhere."""
    if n * dtype.itemsize < _EMPTY_FROM:
        out = np.zeros(n, dtype=dtype)
    else:
        out = np.empty(n, dtype=dtype)
        out[:start] = 0
        out[stop:] = 0
    np.multiply(a, b, out=out[start:stop])
    return out


def _adds_axes(index):
    """Whether the basic index selects every element of the array in order, only adding axes
    of length 1: made of `:`, `None` and `...` alone."""
    items = index if type(index) is tuple else (index,)
    for i in items:
        if not (i is None or i is Ellipsis or (type(i) is slice and i == _WHOLE)):
            return False
    return True


_WHOLE = slice(None)


def _rows_index(index):
    """The integer array of an index that picks whole rows (`x[idx]`, `x[[0, 2, 0]]`,
    `x[(idx,)]`), or None for any other index."""
    if type(index) is tuple:
        if len(index) != 1:
            return None
        index = index[0]
    if type(index) is list or type(index) is np.ndarray:
        idx = np.asarray(index)
        if idx.dtype.kind in "iu":
            return idx
    return None


def bincount_rows(g, shape, idx):
    """zeros(shape) with each row g[j] added at row idx[j] (repeats adding up), as one
    np.bincount over the flat positions `idx * d + arange(d)` (d: a row's size), or None
    where np.add.at is the faster way (measured on NumPy 2.4: bincount is 2-5x faster once
    the rows hold several elements and there are about a thousand values; np.add.at's own
    fast path wins for 1-D x and for a few values). For real float64 gradients only:
    bincount sums in float64 and in index order, as np.add.at does, so the result is the same
    to the last bit."""
    if type(g) is not np.ndarray or g.dtype != np.float64:
        return None
    n = shape[0] if shape else 0
    d = 1
    for m in shape[1:]:
        d *= m
    count = idx.size * d
    if d == 1 or count < _BINCOUNT_FROM or g.shape != idx.shape + tuple(shape[1:]):
        return None
    where = np.where(idx < 0, idx + n, idx) if idx.size and idx.min() < 0 else idx
    if where.size and (where.min() < 0 or where.max() >= n):
        return None   # out of bounds: np.add.at raises NumPy's own IndexError
    flat = (where.reshape(-1, 1) * d + np.arange(d)).reshape(-1)
    return np.bincount(flat, g.reshape(-1), n * d).reshape(shape)


_BINCOUNT_FROM = 1024   # values scattered (rows x row size): below this np.add.at is cheaper


_BASIC = frozenset((int, slice, type(None), type(Ellipsis), np.intp, np.int64, np.int32))


def _basic(index):
    """Whether `index` is made of ints, slices, None and `...` only (NumPy's basic indexing:
    no element is selected twice). Checked by exact type first: this runs once a loop step."""
    if type(index) is tuple:
        for i in index:
            if type(i) not in _BASIC and not isinstance(i, (int, np.integer)):
                return False
        return True
    return type(index) in _BASIC or isinstance(index, (int, np.integer))


def _selects_once(index):
    """Whether `index` selects each element at most once: ints, slices, `...`, None, and
    boolean masks do; integer arrays may repeat an element."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis
               or (hasattr(i, "__array_function__") and i.dtype == bool) for i in items)


def written(g, index):
    """The gradient of the values that `y[index] = v` wrote, from the gradient `g` of y.

    That is g[index], except where an integer-array index repeats an element: NumPy keeps the
    last write there (`y[[0, 0]] = v` leaves v[1] in y[0]), so the earlier duplicates receive
    nothing."""
    if isinstance(g, dict) and index not in g:   # a GradDict leaves zeros out
        return 0.0
    part = g[index]
    if isinstance(g, (list, dict)) or _selects_once(index):   # a list's or dict's item
        return part
    where = np.arange(np.size(g)).reshape(np.shape(g))[index].ravel()
    _, from_end = np.unique(where[::-1], return_index=True)
    if from_end.size == where.size:
        return part
    last = np.zeros(where.size, dtype=bool)
    last[where.size - 1 - from_end] = True
    return np.where(last.reshape(np.shape(part)), part, 0.0)


def add_item(g, index, value, x: "shape"):
    """`add_grads(g, unindex(value, x, index))`: the gradient `g` of a list with `value` added to
    its entry `index` (a read `x[i]` of a list in a loop, the LSTM's `hidden[i]`).

    Where g is a list gradient whose entry `index` is an array of x[index]'s shape, as is
    `value`, only that entry is added: the other entries are g's own (the general form adds an
    array of zeros to each, one new array a list entry a read). Anything else is the general
    form. The result is a new list, as add_grads' is; its entries may be g's, as add_grads'
    result is never taken to be fresh."""
    if (type(g) is GradList and type(index) is int and type(value) is np.ndarray
            and isinstance(x, list) and len(g) == len(x) and -len(x) <= index < len(x)):
        entry, item = g[index], x[index]
        if type(entry) is np.ndarray and type(item) is np.ndarray:
            # dtypes by identity first (float64's is one object): float_dtype is a call
            dtype = entry.dtype
            if (value.dtype is dtype and (item.dtype is dtype or dtype == float_dtype(item))
                    and dtype.kind in "fc" and entry.shape == value.shape == item.shape):
                out = GradList(g)
                out[index] = entry + value
                return out
    return add_grads(g, unindex(value, x, index))


def add_at(g, index, value):
    """`g[index] += value` in place, for a gradient `g` no one else holds (np.add.at where an
    index array may repeat an element). Returns g."""
    value = _held_by(g, value)
    if type(g) is np.ndarray and _basic(index):   # a slice, a row: first, it sits in loops
        g[index] += value
        return g
    if isinstance(g, dict):   # a GradDict: a missing key is zero; never add into a shared array
        g[index] = g[index] + value if index in g else value
    elif duck(g):   # Dask and CuPy: a new array (no np.add.at; Dask writes make new graphs)
        return g + unindex(value, g, index)
    elif _basic(index):
        if type(g) is not np.ndarray:   # a list's entry: a real array keeps the real part
            value = _held_by(g[index], value)
        g[index] += value
    else:
        np.add.at(g, index, value)
    return g


def _held_by(g, value):
    """`value` as the gradient `g` of a real value holds it: its real part where value is
    complex and g a real array (a real value's gradient is real, as grad_like makes it: a
    complex adjoint's imaginary part belongs to no real direction; NumPy refuses to add it
    into g in place, or drops it with a warning)."""
    t = type(value)
    if t is complex or ((t is np.ndarray or isinstance(value, np.generic))
                        and value.dtype.kind == "c"):
        if type(g) is np.ndarray and g.dtype.kind != "c":
            return value.real
    return value


def add_row_slices(g, row, x: "shape", indices, values):
    """`add_at(g, row, dx)` for the row gradient dx of disjoint slices `x[indices[k]]` of a
    parameter's row `x = p[row]`: `dx = unindex(values[0], x, indices[0])`, then
    `dx = add_at(dx, indices[k], values[k])` for the others (optimize/rows.py writes the chain
    as this call). Returns g.

    Where g is a NumPy array, or a list gradient whose entry `row` is one, and that row has x's
    shape and the float dtype of x and of every value, each value is added straight into its
    slice of the row (`g[row][index] += value`, in place as add_at adds), no zero row made;
    anything else (another dtype, a row that broadcasts, a dict, Dask arrays) is the chain
    itself."""
    if (type(g) is np.ndarray or type(g) is GradList) and type(row) is int \
            and type(x) is np.ndarray:
        part = g[row]      # a view of g's row, or the list's entry
        if type(part) is np.ndarray:
            dtype = part.dtype
            if x.dtype is dtype and dtype.kind in "fc" and part.shape == x.shape:
                for index, value in zip(indices, values):
                    if not (type(value) is np.ndarray and value.dtype is dtype
                            and (type(index) is slice or _basic(index))):
                        break
                else:
                    for index, value in zip(indices, values):
                        if type(index) is slice:   # a view: added into without the
                            view = part[index]     # store back `part[index] += v` makes
                            view += value
                        else:
                            part[index] += value
                    return g
    dx = unindex(values[0], x, indices[0])
    for index, value in zip(indices[1:], values[1:]):
        dx = add_at(dx, index, value)
    return add_at(g, row, dx)
def set_at(g, index, value):
    """`add_at(g, index, value)` where g is zero at index (optimize/slices.py proves it: g was
    just made by `unindex_product` of a disjoint slice): NumPy arrays of value's dtype take
    the value by assignment, `g[index] = value`, without the add's ufunc machinery (1.2 us on
    one element); 0.0 + v is v (but for the sign of a zero). Anything else adds. Returns g."""
    if type(g) is np.ndarray and type(value) is np.ndarray and value.dtype == g.dtype \
            and type(index) is slice:
        g[index] = value
        return g
    return add_at(g, index, value)
