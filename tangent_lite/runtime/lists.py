"""Gradients of Python lists and tuples: GradList, a zero gradient of any value (zeros_grad),
adding two gradients (add_grads), and the gradients of `append` and of a write into one item
(unset), and the gradient of `list(rows)` (unlist).

A list's gradient is a list with one gradient per item, so every helper that meets one must
add, zero or copy it item by item; these are the helpers that know that. They sit in their own
module, below core, because core's gradients of builtins (unit_like, unarray, unsum) and every
module above it build list gradients with them, and because what they cost is what a loop over
a list of weights (the ADBench LSTM's `main_params[2 * i]`) pays at every step. Reading an item
of a list gradient in a loop (`add_item`) is in indexing.py next to `unindex`, its general
form.
"""
import numpy as np

from .dispatch import FLOAT64, duck, float_dtype
from .trees import GradDict, children, is_container


class GradList(list):
    """The gradient of a Python list or tuple: one entry per element, added elementwise
    (`+` on plain lists would concatenate them)."""

    __slots__ = ()

    def __add__(self, other):
        return GradList(add_grads(u, v) for u, v in zip(self, other))

    __radd__ = __add__

    def __iadd__(self, other):   # elementwise, not list.extend
        self[:] = [add_grads(u, v) for u, v in zip(self, other)]
        return self


def zeros_grad(x: "shape"):
    """A zero gradient for `x`: zeros of its shape, or a GradList of those for a list."""
    if type(x) is np.ndarray:   # the common case first: these calls sit in loops
        dtype = x.dtype
        return np.zeros(x.shape, dtype=dtype if dtype.kind in "fc" else FLOAT64)
    if isinstance(x, (list, tuple)):
        return GradList([zeros_grad(e) for e in x])
    if type(x) is float or type(x) is int or type(x) is bool:
        return 0.0
    if type(x) is not np.ndarray and x is not None and is_container(x):
        # a dict, a dataclass or a registered pytree: keyed like its children
        return GradDict((k, zeros_grad(v)) for k, v in children(x))
    if duck(x):
        return np.zeros_like(x, dtype=float_dtype(x))
    return np.zeros(np.shape(x), dtype=float_dtype(x))


def add_grads(a, b):
    """a + b for gradients of lists (one entry per element) as well as of arrays."""
    if type(a) is np.ndarray and type(b) is np.ndarray:
        return a + b
    if isinstance(a, list) or isinstance(b, list):
        return GradList([add_grads(u, v) for u, v in zip(a, b)])
    if isinstance(a, dict) and isinstance(b, dict):
        return GradDict(a) + b
    return a + b


def unlist(g, iterable):
    """The gradient of `list(iterable)` or `tuple(iterable)`, given the list's gradient g: a
    list of its items' gradients, or, when the iterable is an array (a list of its rows), an
    array shaped like it, so that adding it into the array's gradient (and the tangent of
    that, in a Hessian-vector product) gives an array, never a list."""
    if not isinstance(iterable, np.ndarray):
        return list(g)
    if not len(g):
        return np.zeros(np.shape(iterable))
    return np.stack([np.broadcast_to(e, iterable.shape[1:]) for e in g])


def append(items, value):
    """`items.append(value)` as a value: a new list (the compiler's form of append)."""
    out = type(items)(items) if isinstance(items, GradList) else list(items)
    list.append(out, value)
    return out


def unset(g, index, x: "shape" = None) -> "fresh":
    """A copy of the gradient `g` with `g[index]` zeroed: what reaches an overwritten part.

    x, for a list `x[index] = v`: the list as it was before the write (the backward sweep
    restores the entry first), so that the zeroed entry has the shape of the value the write
    overwrote, which may not be v's (`items[0] = np.outer(x, x)` over a vector)."""
    if type(g) is GradList and type(index) is int and -len(g) <= index < len(g):
        entry = g[index]   # the common case first: a list entry's gradient in a loop
        old = entry if x is None else x[index]
        if type(entry) is np.ndarray and entry.dtype.kind in "fc" and (
                old is entry or (type(old) is np.ndarray and old.shape == entry.shape)):
            g = GradList(g)
            g[index] = np.zeros(entry.shape, dtype=entry.dtype)
            return g
    if isinstance(g, dict):   # a missing key is a zero gradient
        return GradDict((k, v) for k, v in g.items() if k != index)
    if isinstance(g, list):
        g = GradList(g)
        g[index] = zeros_grad(g[index] if x is None else x[index])
        return g
    g = g.astype(float_dtype(g), copy=True) if duck(g) else np.array(g, dtype=float_dtype(g))
    g[index] = 0
    return g

