"""Shape rules of single operations, given their operands' shapes: what analysis/concrete.py
applies at each node while it walks df, kept apart so that the walk (flow, loops, callees)
reads as one thing and the rules as a table.

A shape is a tuple of dims (an int, or a str symbol for a size that varies between calls);
None is unknown. Rules return None wherever they cannot prove the result.
"""
import builtins
import operator

import gast
import numpy as np

from ..ir.syntax import int_literal
from ..runtime.products import einsum_parse

# Reductions over `axis` (an int or a tuple of ints, keepdims a bool) of one array.
REDUCTIONS = {np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.amin, np.std, np.var,
              np.nansum, np.nanmean, np.nanmax, np.nanmin}
PRODUCTS = {np.dot, np.matmul, operator.matmul}
SCALAR_CALLS = {builtins.len, builtins.float, builtins.int}
# Arrays made to a shape given as a size (`np.zeros(n)`, `np.zeros((m, n))`), or to an array's
# (np.copy: `x.copy()`, the comprehension `[s[i].copy() for i in ...]`).
MADE = {np.zeros, np.ones, np.empty}
MADE_LIKE = {np.zeros_like, np.ones_like, np.empty_like, np.copy}


def broadcast(shapes):
    """The broadcast of shapes, or None where it cannot be proved (a symbol against a
    different symbol or a size other than 1: the call may fail, or not, at run time)."""
    if any(sh is None for sh in shapes):
        return None
    rank = max((len(sh) for sh in shapes), default=0)
    out = []
    for k in range(rank):
        dims = {sh[len(sh) - rank + k] for sh in shapes if len(sh) - rank + k >= 0}
        dims.discard(1)
        if len(dims) > 1:
            return None
        out.append(dims.pop() if dims else 1)
    return tuple(out)


def reduced(shape, keywords):
    """The shape of a reduction of an array of `shape` with constant axis/keepdims."""
    if shape is None or set(keywords) - {"axis", "keepdims"}:
        return None
    keep = keywords.get("keepdims")
    if keep is not None:
        if not (isinstance(keep, gast.Constant) and isinstance(keep.value, bool)):
            return None
        keep = keep.value
    axis = keywords.get("axis")
    if axis is None or (isinstance(axis, gast.Constant) and axis.value is None):
        axes = range(len(shape))
    else:
        items = axis.elts if isinstance(axis, gast.Tuple) else [axis]
        axes = [constant_int(a) for a in items]
        if any(a is None or a is False for a in axes):
            return None
        if any(not -len(shape) <= a < len(shape) for a in axes):
            return None
        axes = {a % len(shape) for a in axes}
    return tuple((1 if keep else None) if k in axes else d for k, d in enumerate(shape)
                 if keep or k not in axes)


def product(a, b):
    """np.dot / np.matmul / `@` of 1-D and 2-D operands."""
    if a is None or b is None or not (1 <= len(a) <= 2 and 1 <= len(b) <= 2):
        return None
    if a[-1] != b[0]:
        return None
    return tuple(a[:-1]) + tuple(b[1:])


def einsummed(subscripts, shapes):
    """np.einsum(subscripts, *operands) of operands of these shapes: each output letter's
    size, the one every operand gives it (a 1 broadcasts, as NumPy's einsum does)."""
    if not isinstance(subscripts, str) or any(sh is None for sh in shapes):
        return None
    try:
        ins, out = einsum_parse(subscripts, [len(sh) for sh in shapes])
    except (NotImplementedError, ValueError):
        return None
    sizes = {}
    for sub, shape in zip(ins, shapes):
        if len(sub) != len(shape):
            return None
        for c, n in zip(sub, shape):
            if sizes.get(c, 1) == 1:
                sizes[c] = n
            elif n not in (1, sizes[c]):
                return None
    return tuple(sizes[c] for c in out) if set(out) <= set(sizes) else None


def reshaped(shape, target):
    """np.reshape(x, (ints...)) of an x of int dims; -1 filled in."""
    if shape is None or any(not isinstance(d, int) for d in shape):
        return None
    items = target.elts if isinstance(target, gast.Tuple) else [target]
    dims = [constant_int(i) for i in items]
    if any(d is None or d is False for d in dims):
        return None
    size = int(np.prod(shape))
    known = int(np.prod([d for d in dims if d != -1]))
    if dims.count(-1) > 1 or known == 0:
        return None
    if -1 in dims:
        if size % known:
            return None
        dims[dims.index(-1)] = size // known
    return tuple(dims) if int(np.prod(dims)) == size else None


def arity(func):
    """How many operands a broadcasting function broadcasts (np.where with one argument finds
    indices instead); None where any number will do."""
    if isinstance(func, np.ufunc):
        return func.nin
    return 3 if func is np.where or func is np.clip else None


def reads_size(node):
    """Whether `node` reads a size of a local array: `x.size`, `x.ndim`, `x.shape[k]` (an int
    for NumPy arrays and every array type that follows them, whatever x's values; shapes.py,
    dtype_kinds.py and optimize/dtypes.py ask too)."""
    if isinstance(node, gast.Attribute) and node.attr in ("size", "ndim"):
        return isinstance(node.value, gast.Name)
    return (isinstance(node, gast.Subscript) and isinstance(node.value, gast.Attribute)
            and node.value.attr == "shape" and isinstance(node.value.value, gast.Name)
            and not isinstance(node.slice, (gast.Slice, gast.Tuple)))


def constant_int(node):
    """The int a constant node holds; None for None (or no node); False for anything else
    (test with `is`: 0 == False, so `0 in (None, False)` is true)."""
    if node is None or (isinstance(node, gast.Constant) and node.value is None):
        return None
    value = int_literal(node)
    return False if value is None else value


def is_none(node):
    return isinstance(node, gast.Constant) and node.value is None


def hashable_in(func, table):
    try:
        return func in table
    except TypeError:
        return False
