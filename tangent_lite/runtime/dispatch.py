"""Which library an array belongs to, and how helpers treat arrays that are not NumPy's.

NumPy's dispatch protocols (`__array_function__`, `__array_ufunc__`) let the generated gradient
run unchanged on Dask and CuPy arrays, provided no helper converts them or builds a NumPy array
where one of theirs belongs. Every helper that makes or converts an array asks these functions
first; the NumPy case is always the first branch, because these calls sit in hot loops.
"""
import numpy as np

# Raised for arguments that cannot be differentiated. The package replaces it with its own
# TangentLiteError subclass; a generated standalone module keeps the built-in TypeError.
InputError = TypeError


def duck(v):
    """Whether `v` is an array of another library that NumPy's functions dispatch to (Dask,
    CuPy: `__array_function__`), so a helper must build its results with functions of `v`
    (`np.zeros_like(v)`) rather than new NumPy arrays, and never convert it to NumPy.
    ndarray subclasses (masked arrays) are NumPy's own."""
    return not isinstance(v, np.ndarray) and hasattr(v, "__array_function__")


def as_array(v, dtype=None):
    """np.asarray(v, dtype), except that an array of another library (Dask, CuPy) stays one:
    converting it would compute a Dask graph in this process, or copy a GPU array to the host."""
    if type(v) is np.ndarray and dtype is None:
        return v
    if duck(v):
        return v if dtype is None or v.dtype == dtype else v.astype(dtype)
    return np.asarray(v, dtype)


def numpy_only(what, *values):
    """Refuse a gradient whose helper needs NumPy's in-place writes or sorting when one of
    `values` is a Dask or CuPy array: rather an error than computing the whole array here."""
    for v in values:
        if duck(v):
            raise InputError(
                f"the gradient of {what} runs on NumPy arrays only: it needs element-by-element "
                f"writes (or sorting) that a {type(v).__module__.split('.')[0]} array does not "
                f"support lazily, and converting it would compute the whole array in this "
                f"process. Instead: convert just this part to NumPy yourself (Dask: "
                f"`x.compute()`), or write the step with functions that array supports")


def sized(*values):
    """Refuse a Dask array whose size is unknown until it is computed (NaN chunk sizes: a
    selection by a boolean mask, `x[x > 0]`) where a gradient needs its size: putting the
    gradient back into `x` needs to know where each selected element came from, and Dask
    knows that only by computing the array, which would compute it in this process."""
    for v in values:
        if duck(v) and any(n != n for n in getattr(v, "shape", ())):
            raise InputError(
                "the gradient of a selection by a boolean mask (`x[x > 0]`) cannot run lazily "
                f"on a {type(v).__module__.split('.')[0]} array: the number of elements "
                "selected is unknown until the array is computed, and writing the gradient "
                "back into `x` needs it. Instead: keep the shape and zero what the mask drops, "
                "e.g. `np.sum(np.where(x > 0, x, 0.0) ** 2)` for `np.sum(x[x > 0] ** 2)`, or "
                "compute the selection yourself (`x[x > 0].compute()`) before differentiating")


def size_of(v):
    """The number of elements of `v`: the array's own `.size` (np.size is one of the
    functions Dask does not implement)."""
    if type(v) is np.ndarray:
        return v.size
    size = getattr(v, "size", None)
    return np.size(v) if size is None else size


def shape_of(v):
    """np.shape(v) without a call into NumPy for numbers and arrays (their own `.shape`):
    unbroadcast and unreduce ask it twice a call, in the user's hot loops."""
    tv = type(v)
    if tv is float or tv is int:
        return ()
    shape = getattr(v, "shape", None)   # arrays and NumPy scalars: no call into NumPy
    return np.shape(v) if shape is None else shape


# The dtype of the gradients of integers and Python numbers (float_dtype, zeros_grad).
FLOAT64 = np.dtype(np.float64)


def float_dtype(*values):
    """The floating dtype gradients of `values` have (float64 for Python numbers, ints).
    Read from the values' own dtype: np.asarray would compute a Dask array."""
    if len(values) == 1:   # one array or number: no np.result_type (a microsecond a call)
        v = values[0]
        dtype = getattr(v, "dtype", None)
        if type(dtype) is not np.dtype and not isinstance(dtype, np.dtype):
            if type(v) is float or type(v) is int:
                return FLOAT64
        elif dtype.kind in "fc" and not dtype.names:
            return dtype
        elif dtype.kind in "biu":
            return FLOAT64
    dtype = np.result_type(*[v.dtype if hasattr(v, "dtype") else np.asarray(v).dtype
                             for v in values])
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)
