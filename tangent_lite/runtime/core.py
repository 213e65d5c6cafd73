"""The helpers every gradient uses, and the ones the other runtime modules build on.

What generated code calls at run time lives in this package, NumPy only, so that an
ahead-of-time generated module can carry a verbatim copy of the helpers it calls and import
nothing else (aot/runtime_source.py does the copying). This module is the bottom of the package: the
stack of the forward sweep, summing a gradient back to its operand's shape (unbroadcast,
unreduce), giving a gradient its argument's type (grad_like), the tangent helpers of forward mode, and the helpers
of the builtin and conversion rules (rules/arithmetic.py, builtins.py and runtime_helpers.py
use them).

Complex values follow JAX's convention: the gradient of a complex z = a + ib is dL/da - i dL/db,
so a holomorphic rule reads as in the real case (transposes, no conjugates) and a real input
receives the real part (`real_like`).

Annotations are metadata the compiler reads (runtime/meta.py): a parameter annotated "shape" is
read only for its shape, dtype and type; a return annotated "fresh" is always a new array that
nothing else refers to. Each helper has a fast path for the common case (same shapes, 2-D
matrices) because these calls sit inside the user's hot loops.
"""
import numpy as np

from .dispatch import InputError, as_array, duck, float_dtype, numpy_only, shape_of, size_of, sized
from .lists import GradList, zeros_grad
from .trees import GradDict, children, is_container, rebuild


class Stack(list):
    """The tape of the forward sweep: branch decisions, trip counts and overwritten values.

    A list whose push is list.append, so a push or pop costs one C call.
    """

    __slots__ = ()
    push = list.append


def unbroadcast(g, x: "shape"):
    """Sum the gradient `g` down to the shape of the operand `x` it flows back into."""
    if type(g) is np.ndarray and type(x) is np.ndarray and g.shape == x.shape:
        return g     # the common case first, without shape_of's calls: it sits in loops
    shape = shape_of(x)
    gshape = shape_of(g)
    if gshape == shape:
        return g
    if type(g) is not np.ndarray:
        sized(g)     # a Dask array of unknown size (NaN != NaN: never equal shapes)
    lead = len(gshape) - len(shape)
    if lead < 0:   # a number standing for a gradient of x's shape (a GradDict's zero)
        return (np.zeros_like(x, dtype=float_dtype(x)) if duck(x) else np.zeros(shape)) + g
    if lead == 1 and gshape[1:] == shape and type(g) is np.ndarray:
        return g.sum(axis=0)     # a bias added to every row: the common case, made cheap
    kept = tuple(lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
    if lead:
        g = np.sum(g, axis=tuple(range(lead)))
    if kept:
        g = np.sum(g, axis=tuple(k - lead for k in kept), keepdims=True)
    return g if shape_of(g) == shape else np.reshape(g, shape)


def unreduce(g, x: "shape", axis=None, keepdims=False):
    """Spread the gradient of a reduction over `axis` back over the shape of `x`.

    Small results are filled in (np.broadcast_to costs microseconds); large ones are
    read-only broadcast views, which cost no memory."""
    shape = shape_of(x)
    if axis is not None and not keepdims:
        axes = axis if isinstance(axis, tuple) else (axis,)
        g = np.expand_dims(g, tuple(a % len(shape) for a in axes))
    if type(x) is np.ndarray:   # NumPy first: these calls sit in the user's hot loops
        size = x.size
    elif duck(x):   # x's own kind of array, chunked like x (a Dask array's chunks)
        return np.ones_like(x, dtype=float_dtype(g)) * g
    else:
        size = np.size(x)
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
        return a.size if type(a) is np.ndarray else size_of(a)
    shape = shape_of(a)
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
    if v is not None and is_container(v):
        # a structured result: the gradient of the sum of all its leaves
        items = children(v)
        if isinstance(v, (list, tuple)):
            return GradList(unit_like(e) for _, e in items)
        return GradDict((k, unit_like(e)) for k, e in items)
    return np.ones_like(v)


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


def broadcast_like(t, y):
    """The tangent `t` given the shape of the result `y` it belongs to (forward mode)."""
    if isinstance(t, (list, dict)):   # of a list, dict or pytree: already y's structure
        return t
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
    if duck(y):     # x.copy() of a Dask or CuPy array: its tangent stays lazy, never converted
        if y.dtype.kind not in "fc":
            return np.zeros_like(y, dtype=float)
        return np.reshape((np.zeros_like(y) + t).astype(y.dtype), y.shape)
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
    if duck(t) or duck(y):   # a new Dask or CuPy array, chunked like y
        out = np.zeros_like(y, dtype=float_dtype(y, t)) + t
    else:
        out = np.array(np.broadcast_to(t, np.shape(y)), dtype=float_dtype(y, t))
    out[index] = value
    return out


def astype(x, dtype):
    """`x.astype(dtype)` as a function, so the rule table can name it."""
    return as_array(x).astype(dtype)


def unastype(g, y, x):
    """The gradient of `astype`: cast back; nothing flows through a cast to integers."""
    if as_array(y).dtype.kind not in "fc":
        return np.zeros(np.shape(x))
    return as_array(g).astype(float_dtype(x))


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
        numpy_only("builtin max()/min() of an array", items)
        flat = np.reshape(np.asarray(items), (len(items), -1))
        first = np.argmax(np.all(flat == np.reshape(np.asarray(y), (1, -1)), axis=1))
        out = np.zeros(np.shape(items), dtype=float_dtype(g))
        out[first] = g
        return [out]
    out = []
    found = False
    for a in args:
        hit = not found and bool(np.all(a == y))
        found = found or hit
        out.append(unbroadcast(g, a) if hit else np.zeros(np.shape(a), float_dtype(g)))
    return out


def real_like(g, x):
    """The gradient `g` of a value computed from `x`, as `x` can hold it: its real part when
    `x` is real (a real input moves only along the real axis)."""
    if np.iscomplexobj(g) and not np.iscomplexobj(x):
        return np.real(g)
    return g


def unit_phase(x):
    """x / |x| (0 at 0) for complex x: np.sign before NumPy 2 gives the sign of the real part."""
    r = np.abs(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(r == 0, 0.0, x / r)


def grad_like(g, x: "shape", name="x"):
    """Give the gradient `g` the type, dtype and shape of the argument `x` it belongs to.

    Python floats get floats, 0-d arrays stay 0-d arrays, float32 stays float32, and the array
    returned is always a fresh, writable one that aliases nothing the caller holds.
    """
    tx = type(x)
    if (tx is np.ndarray and type(g) is np.ndarray and g.dtype == x.dtype
            and x.dtype.kind == "f" and g.shape == x.shape and g.base is None
            and g.flags.writeable and g is not x):
        return g            # the common case, first: a fresh array of x's kind
    if tx is float and type(g) in _REAL_NUMBERS:
        return float(g)     # a float argument's gradient: a real number made a float
    if tx is not np.ndarray and is_container(x):
        return tree_grad_like(g, x, name)
    if np.iscomplexobj(g):   # a real value's gradient is real: complex intermediates leave
        g = np.real(g)       # an imaginary part that belongs to no real direction
    if tx is float:
        return float(g)
    if tx is np.ndarray and x.dtype.kind == "f":
        if hasattr(g, "__dask_graph__"):   # NumPy weights, Dask data: computed here, on the
            g = g.compute()                # active scheduler (a distributed Client if any)
        if (type(g) is np.ndarray and g.dtype == x.dtype and g.shape == x.shape
                and g.flags.writeable and g.base is None and g is not x):
            return g
        out = np.empty(x.shape, dtype=x.dtype)
        out[...] = g
        return out
    if isinstance(x, np.floating):
        return tx(g)
    if duck(x) and x.dtype.kind == "f":
        return duck_grad_like(g, x)
    kind = as_array(x).dtype.kind
    what = {"i": "an integer", "u": "an unsigned integer", "b": "a boolean",
            "c": "a complex"}.get(kind, f"a {tx.__name__}")
    raise InputError(
        f"cannot differentiate with respect to argument {name!r}: it is {what} value; "
        f"pass a float (e.g. {name}=float(...) or an array with dtype float64)")


def duck_grad_like(g, x):
    """grad_like for an argument of another array library (Dask, CuPy): the gradient as an
    array of x's type, dtype and shape, and nothing computed here: a Dask argument gets a lazy
    Dask gradient, chunked like it."""
    if getattr(g, "dtype", np.dtype(float)).kind == "c":
        g = np.real(g)
    if type(g) is not type(x):   # a number or a NumPy array: made into x's kind of array
        g = np.asarray(g, like=x)
    if g.shape != x.shape:
        g = np.zeros_like(x) + g
    if g.dtype != x.dtype:
        g = g.astype(x.dtype)
    return g.copy() if g is x else g


def computed_together(grads, args):
    """The gradients of NumPy arguments that came out as Dask arrays (NumPy weights, Dask
    data), computed in one `dask.compute` call, so the graph they share runs once rather than
    once per argument; everything else as it is. Computes on the active scheduler (a
    dask.distributed Client when one exists)."""
    lazy = [k for k, (g, x) in enumerate(zip(grads, args))
            if hasattr(g, "__dask_graph__") and not duck(x) and not is_container(x)]
    if len(lazy) < 2:
        return grads   # one is computed by grad_like
    import dask   # present: one of the gradients is a Dask array
    values = dask.compute(*[grads[k] for k in lazy])
    grads = list(grads)
    for k, v in zip(lazy, values):
        grads[k] = v
    return grads


def tree_grad_like(g, x, name="x"):
    """grad_like for a structured argument (a pytree): a gradient of x's structure, each
    differentiable leaf given its leaf's type; leaves that cannot carry a gradient (ints,
    bools, strings, other objects) get None, as None stays None. `g` is the adjoint the
    backward sweep built (a GradList or GradDict, a missing key meaning zero), or a zero."""
    items = children(x)
    if items is None:   # a leaf
        if _differentiable_leaf(x):
            return grad_like(zeros_grad(x) if g is None else g, x, name)
        return None
    out = []
    for k, (key, child) in enumerate(items):
        if isinstance(g, dict):
            part = g.get(key)
        elif isinstance(g, list):
            part = g[k]
        else:
            part = None     # the whole structure received no gradient
        label = f"{name}.{key}" if isinstance(key, str) and not isinstance(x, dict) else \
            f"{name}[{key!r}]"
        out.append(tree_grad_like(part, child, label))
    return rebuild(x, out)


def _differentiable_leaf(x):
    if isinstance(x, (float, np.floating, np.complexfloating, complex)):
        return not isinstance(x, bool)
    return isinstance(x, np.ndarray) and x.dtype.kind in "fc"


# Gradients of these types are real numbers (grad_like) and never lazy arrays (grads_like):
# type tests in a set, cheaper than the attribute look-ups that would prove it.
_REAL_NUMBERS = frozenset({float, int, np.float64, np.float32, np.float16, np.longdouble})
_NOT_LAZY = _REAL_NUMBERS | {np.ndarray}


def grads_like(grads, args, names):
    """`grad_like` for several arguments; gradients that are one object are given apart."""
    for g in grads:
        if type(g) not in _NOT_LAZY and hasattr(g, "__dask_graph__"):
            grads = computed_together(grads, args)
            break
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
