"""NumPy's ufunc.at as functions (rules/scatter.py): `np.add.at(a, index, b)` and its kin.

The compiler writes the statement `np.add.at(a, index, b)` as `a[...] = scatter_add(a, index, b)`.
Each scatter_* returns a new array: a copy of `a` with NumPy's own ufunc.at applied, so the
semantics are NumPy's exactly: unbuffered (an element that `index` names k times receives all k
values, in order), `b` broadcast against `a[index]`, any index NumPy accepts (ints, slices,
integer arrays or lists, tuples of those, boolean masks), the result in a's dtype.

The derivatives look at the occurrences: element k of `a[index]` (in C order) is where value k
of `b` (broadcast to that shape) goes, and `_places(a, index)` gives each occurrence's flat
position in `a`. Products are exact where `a` or `b` hold zeros (nothing divides by a value);
extrema give the gradient to the values equal to the result, ties sharing it equally (the
convention of np.maximum, `ties` in elementwise.py).
"""
import numpy as np


def _apply(ufunc, a, index, b):
    out = np.array(a)          # a copy, in a's dtype, that nothing else refers to
    ufunc.at(out, index, b)
    return out


def scatter_add(a, index, b) -> "fresh":
    """A copy of `a` with `np.add.at(copy, index, b)` applied."""
    return _apply(np.add, a, index, b)


def scatter_subtract(a, index, b) -> "fresh":
    """A copy of `a` with `np.subtract.at(copy, index, b)` applied."""
    return _apply(np.subtract, a, index, b)


def scatter_multiply(a, index, b) -> "fresh":
    """A copy of `a` with `np.multiply.at(copy, index, b)` applied."""
    return _apply(np.multiply, a, index, b)


def scatter_maximum(a, index, b) -> "fresh":
    """A copy of `a` with `np.maximum.at(copy, index, b)` applied."""
    return _apply(np.maximum, a, index, b)


def scatter_minimum(a, index, b) -> "fresh":
    """A copy of `a` with `np.minimum.at(copy, index, b)` applied."""
    return _apply(np.minimum, a, index, b)


def _places(a, index):
    """The flat position in `a` of each occurrence of `a[index]`, shaped like `a[index]`."""
    return np.asarray(np.arange(np.size(a)).reshape(np.shape(a))[index])


def _float(a):
    """The dtype derivatives of `a` are computed in: a's own when it is inexact, else float64."""
    dtype = np.asarray(a).dtype
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)


def _by_place(places):
    """How the occurrences at flat positions `places` (1-D) group by position: (group, batches,
    number of groups). group[k] numbers the position of occurrence k; batches[r] lists the
    occurrences that are the r-th at their position (in C order), so no position repeats
    within a batch."""
    n = places.size
    order = np.argsort(places, kind="stable")
    first = np.ones(n, dtype=bool)
    first[1:] = places[order][1:] != places[order][:-1]
    starts = np.flatnonzero(first)
    group = np.empty(n, dtype=np.intp)
    group[order] = np.cumsum(first) - 1
    rank = np.empty(n, dtype=np.intp)
    rank[order] = np.arange(n) - np.repeat(starts, np.diff(np.append(starts, n)))
    by_rank = np.argsort(rank, kind="stable")
    return group, np.split(by_rank, np.cumsum(np.bincount(rank))[:-1]), starts.size


def _others(places, v, dv=None):
    """For each occurrence k: the product of the values `v` of the *other* occurrences at its
    position (1 where it is alone there), computed as a product of the ones before times the
    ones after, with no division (exact at zeros); with `dv`, also its tangent along dv."""
    group, batches, count = _by_place(places)
    before, after = np.empty_like(v), np.empty_like(v)
    dbefore, dafter = np.zeros_like(v), np.zeros_like(v)
    for out, dout, sweep in ((before, dbefore, batches), (after, dafter, batches[::-1])):
        run, drun = np.ones(count, v.dtype), np.zeros(count, v.dtype)
        for k in sweep:
            at = group[k]
            out[k] = run[at]
            if dv is not None:
                dout[k] = drun[at]
                drun[at] = drun[at] * v[k] + run[at] * dv[k]
            run[at] = run[at] * v[k]
    if dv is None:
        return before * after
    return before * after, dbefore * after + before * dafter


def _occurrences(a, index, b, dtype):
    """(flat positions, values of b) of the occurrences, both 1-D, and the shape of a[index]."""
    places = _places(a, index)
    values = np.broadcast_to(np.asarray(b, dtype=dtype), places.shape)
    return places.reshape(-1), values.reshape(-1), places.shape


def scatter_multiply_others(a, index, b):
    """d scatter_multiply(a, index, b)[j] / d b[k] for each occurrence k at position j, shaped
    like `a[index]`: a[j] times the product of the other values of `b` at j. Linear in `a`."""
    dtype = _float(a)
    places, values, shape = _occurrences(a, index, b, dtype)
    base = np.asarray(np.ravel(a)[places], dtype=dtype)
    return np.reshape(base * _others(places, values), shape)


def scatter_multiply_others_tangent(a, index, b, db):
    """The tangent of `scatter_multiply_others(a, index, b)` along `db` (b's tangent): a[j]
    times the sum over the other occurrences k' at j of db[k'] times the product of the values
    of b at j other than those of k and k'."""
    dtype = _float(a)
    places, values, shape = _occurrences(a, index, b, dtype)
    dvalues = np.broadcast_to(np.asarray(db, dtype=dtype), shape).reshape(-1)
    base = np.asarray(np.ravel(a)[places], dtype=dtype)
    return np.reshape(base * _others(places, values, dvalues)[1], shape)


def scatter_shares(y, a, index, b):
    """The shares of the gradient of `y = scatter_maximum(a, index, b)` (or scatter_minimum):
    (share of each element of `a`, share of each occurrence of `b`, shaped like `a[index]`).
    The values equal to the result at a position share its gradient equally: 1 for a lone
    winner, 1/2 each for two equal ones. b is compared as ufunc.at stored it, in y's dtype."""
    y = np.asarray(y)
    dtype = _float(y)
    places = _places(y, index)
    values = np.broadcast_to(np.asarray(b, dtype=y.dtype), places.shape)
    wins_b = values == np.ravel(y)[places]
    wins_a = np.asarray(a) == y
    count = wins_a + np.bincount(places[wins_b], minlength=y.size).reshape(y.shape)
    count = np.maximum(count, 1)            # a NaN result: nothing equals it, nothing wins
    share_a = np.asarray(wins_a / count, dtype=dtype)
    share_b = np.asarray(wins_b / np.ravel(count)[places], dtype=dtype)
    return share_a, share_b
