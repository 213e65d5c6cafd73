"""Rules for NumPy's shape and indexing functions: reverse (`@adjoint`) and forward
(`@tangent_rule`) side by side, one short template each.

Conventions: the first parameter is the function's result; `d[v]` is the gradient (reverse) or
the tangent (forward) of `v`. Every function here moves, copies or drops elements, so its
forward rule is the function applied to the tangent and its reverse rule puts each element of
the gradient back where it came from, adding up the gradients of copies (`untile`,
`unrepeat`, ... in tangent_lite/runtime.py). Functions that return a list (np.split and
friends, atleast_Nd of several arrays) receive a list of gradients, one per piece, with zeros
for the pieces not used; `d[arrays]` of a list argument (np.vstack([a, b])) is a list of
gradients, one per element. The `un...` helpers are linear in the gradient, so their own
forward rules (at the end) make second derivatives through these functions work.
"""
# flake8: noqa: E704 (one-line definitions are the point of the table)
import numpy as np

from .registry import adjoint, tangent_rule
from .template import Shape
from ..runtime import (unappend, unatleast, unbroadcast_to, undelete, undiag, undiagonal,
                       uninsert, unjoin, unpad, unpad_fill, unrepeat, unresize, untake,
                       untake_along_axis, untile, untrace, zeros_grad)

d = None  # the derivative notation `d[x]`; templates are parsed, never run

# ---- axes and order --------------------------------------------------------------------------

@adjoint(np.swapaxes)
def _(y, a, axis1, axis2): d[a] = np.swapaxes(d[y], axis1, axis2)

@tangent_rule(np.swapaxes)
def _(y, a, axis1, axis2): d[y] = np.swapaxes(d[a], axis1, axis2)

@adjoint(np.moveaxis)
def _(y, a, source, destination): d[a] = np.moveaxis(d[y], destination, source)

@tangent_rule(np.moveaxis)
def _(y, a, source, destination): d[y] = np.moveaxis(d[a], source, destination)

@adjoint(np.flip)
def _(y, m, axis=None): d[m] = np.flip(d[y], axis=axis)

@tangent_rule(np.flip)
def _(y, m, axis=None): d[y] = np.flip(d[m], axis=axis)

@adjoint(np.fliplr)
def _(y, m): d[m] = np.fliplr(d[y])

@tangent_rule(np.fliplr)
def _(y, m): d[y] = np.fliplr(d[m])

@adjoint(np.flipud)
def _(y, m): d[m] = np.flipud(d[y])

@tangent_rule(np.flipud)
def _(y, m): d[y] = np.flipud(d[m])

@adjoint(np.rot90)
def _(y, m, k=1, axes=(0, 1)): d[m] = np.rot90(d[y], -k, axes=axes)

@tangent_rule(np.rot90)
def _(y, m, k=1, axes=(0, 1)): d[y] = np.rot90(d[m], k, axes=axes)

@adjoint(np.roll)
def _(y, a, shift, axis=None): d[a] = np.roll(d[y], np.negative(shift), axis=axis)

@tangent_rule(np.roll)
def _(y, a, shift, axis=None): d[y] = np.roll(d[a], shift, axis=axis)

# ---- copies: each element gathers the gradient of its copies ---------------------------------

@adjoint(np.broadcast_to)
def _(y, array, shape, subok=False): d[array] = unbroadcast_to(d[y], array)

@tangent_rule(np.broadcast_to)
def _(y, array, shape, subok=False): d[y] = np.broadcast_to(d[array], shape)

@adjoint(np.tile)
def _(y, A, reps): d[A] = untile(d[y], A, reps)

@tangent_rule(np.tile)
def _(y, A, reps): d[y] = np.tile(d[A], reps)

@adjoint(np.repeat)
def _(y, a, repeats, axis=None): d[a] = unrepeat(d[y], a, repeats, axis)

@tangent_rule(np.repeat)
def _(y, a, repeats, axis=None): d[y] = np.repeat(d[a], repeats, axis=axis)

@adjoint(np.resize)
def _(y, a, new_shape): d[a] = unresize(d[y], a, new_shape)

@tangent_rule(np.resize)
def _(y, a, new_shape): d[y] = np.resize(d[a], new_shape)

@adjoint(np.pad)   # modes 'constant', 'edge', 'reflect', 'symmetric', 'wrap'
def _(y, array, pad_width, mode="constant", constant_values=0):
    d[array] = unpad(d[y], array, pad_width, mode)
    d[constant_values] = unpad_fill(d[y], array, pad_width, constant_values)

@tangent_rule(np.pad)
def _(y, array, pad_width, mode="constant", constant_values=0):
    d[y] = (np.pad(d[array], pad_width, mode=mode)
            + np.pad(zeros_grad(array), pad_width, constant_values=d[constant_values]))

# ---- diagonals and triangles -----------------------------------------------------------------

@adjoint(np.diag)
def _(y, v, k=0): d[v] = undiag(d[y], v, k)

@tangent_rule(np.diag)
def _(y, v, k=0): d[y] = np.diag(d[v], k=k)

@adjoint(np.diagonal)
def _(y, a, offset=0, axis1=0, axis2=1): d[a] = undiagonal(d[y], a, offset, axis1, axis2)

@tangent_rule(np.diagonal)
def _(y, a, offset=0, axis1=0, axis2=1): d[y] = np.diagonal(d[a], offset, axis1, axis2)

@adjoint(np.trace)
def _(y, a, offset=0, axis1=0, axis2=1, dtype=None):
    d[a] = untrace(d[y], a, offset, axis1, axis2)

@tangent_rule(np.trace)
def _(y, a, offset=0, axis1=0, axis2=1, dtype=None):
    d[y] = np.trace(d[a], offset, axis1, axis2, dtype=dtype)

@adjoint(np.triu)   # a vector is first repeated into a square matrix: its gradient sums
def _(y, m, k=0): d[m] = unbroadcast_to(np.triu(d[y], k=k), m)

@tangent_rule(np.triu)
def _(y, m, k=0): d[y] = np.triu(d[m], k=k)

@adjoint(np.tril)
def _(y, m, k=0): d[m] = unbroadcast_to(np.tril(d[y], k=k), m)

@tangent_rule(np.tril)
def _(y, m, k=0): d[y] = np.tril(d[m], k=k)

# ---- taking, deleting, inserting -------------------------------------------------------------

@adjoint(np.take)
def _(y, a, indices, axis=None, mode="raise"): d[a] = untake(d[y], a, indices, axis, mode)

@tangent_rule(np.take)
def _(y, a, indices, axis=None, mode="raise"): d[y] = np.take(d[a], indices, axis=axis, mode=mode)

@adjoint(np.take_along_axis)
def _(y, arr, indices, axis=-1): d[arr] = untake_along_axis(d[y], arr, indices, axis)

@tangent_rule(np.take_along_axis)
def _(y, arr, indices, axis=-1): d[y] = np.take_along_axis(d[arr], indices, axis=axis)

@adjoint(np.delete)
def _(y, arr, obj, axis=None): d[arr] = undelete(d[y], arr, obj, axis)

@tangent_rule(np.delete)
def _(y, arr, obj, axis=None): d[y] = np.delete(d[arr], obj, axis=axis)

@adjoint(np.insert)
def _(y, arr, obj, values, axis=None):
    parts = uninsert(d[y], arr, obj, values, axis)
    d[arr] = parts[0]
    d[values] = parts[1]

@tangent_rule(np.insert)
def _(y, arr, obj, values, axis=None): d[y] = np.insert(d[arr], obj, d[values], axis=axis)

@adjoint(np.append)
def _(y, arr, values, axis=None):
    parts = unappend(d[y], arr, values, axis)
    d[arr] = parts[0]
    d[values] = parts[1]

@tangent_rule(np.append)
def _(y, arr, values, axis=None): d[y] = np.append(d[arr], d[values], axis=axis)

# ---- joining: d[tup] is one gradient per array -----------------------------------------------

@adjoint(np.hstack)
def _(y, tup, *, dtype=None, casting="same_kind"): d[tup] = unjoin(d[y], tup, "hstack")

@tangent_rule(np.hstack)
def _(y, tup, *, dtype=None, casting="same_kind"): d[y] = np.hstack(d[tup], dtype=dtype)

@adjoint(np.vstack)
def _(y, tup, *, dtype=None, casting="same_kind"): d[tup] = unjoin(d[y], tup, "vstack")

@tangent_rule(np.vstack)
def _(y, tup, *, dtype=None, casting="same_kind"): d[y] = np.vstack(d[tup], dtype=dtype)

@adjoint(np.dstack)
def _(y, tup): d[tup] = unjoin(d[y], tup, "dstack")

@tangent_rule(np.dstack)
def _(y, tup): d[y] = np.dstack(d[tup])

@adjoint(np.column_stack)
def _(y, tup): d[tup] = unjoin(d[y], tup, "column_stack")

@tangent_rule(np.column_stack)
def _(y, tup): d[y] = np.column_stack(d[tup])

@adjoint(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def _(y, *arys): d[arys] = unatleast(d[y], arys)

@tangent_rule(np.atleast_1d)
def _(y, *arys): d[y] = np.atleast_1d(*d[arys])

@tangent_rule(np.atleast_2d)
def _(y, *arys): d[y] = np.atleast_2d(*d[arys])

@tangent_rule(np.atleast_3d)
def _(y, *arys): d[y] = np.atleast_3d(*d[arys])

# ---- splitting: the result is a list, d[y] one gradient per piece ----------------------------

@adjoint(np.split, np.array_split)
def _(y, ary, indices_or_sections, axis=0): d[ary] = np.concatenate(d[y], axis=axis)

@tangent_rule(np.split)
def _(y, ary, indices_or_sections, axis=0): d[y] = np.split(d[ary], indices_or_sections, axis=axis)

@tangent_rule(np.array_split)
def _(y, ary, indices_or_sections, axis=0):
    d[y] = np.array_split(d[ary], indices_or_sections, axis=axis)

@adjoint(np.hsplit)
def _(y, ary, indices_or_sections): d[ary] = np.hstack(d[y])

@tangent_rule(np.hsplit)
def _(y, ary, indices_or_sections): d[y] = np.hsplit(d[ary], indices_or_sections)

@adjoint(np.vsplit)
def _(y, ary, indices_or_sections): d[ary] = np.vstack(d[y])

@tangent_rule(np.vsplit)
def _(y, ary, indices_or_sections): d[y] = np.vsplit(d[ary], indices_or_sections)

@adjoint(np.dsplit)
def _(y, ary, indices_or_sections): d[ary] = np.dstack(d[y])

@tangent_rule(np.dsplit)
def _(y, ary, indices_or_sections): d[y] = np.dsplit(d[ary], indices_or_sections)

# ---- the helpers above, in forward mode (second derivatives): linear in the gradient ---------

@tangent_rule(unbroadcast_to)
def _(y, g, x: Shape): d[y] = unbroadcast_to(d[g], x)

@tangent_rule(untile)
def _(y, g, x: Shape, reps): d[y] = untile(d[g], x, reps)

@tangent_rule(unrepeat)
def _(y, g, x: Shape, repeats, axis=None): d[y] = unrepeat(d[g], x, repeats, axis)

@tangent_rule(unresize)
def _(y, g, x: Shape, new_shape): d[y] = unresize(d[g], x, new_shape)

@tangent_rule(unpad)
def _(y, g, x: Shape, pad_width, mode="constant"): d[y] = unpad(d[g], x, pad_width, mode)

@tangent_rule(unpad_fill)
def _(y, g, x: Shape, pad_width, constant_values: Shape):
    d[y] = unpad_fill(d[g], x, pad_width, constant_values)

@tangent_rule(undiag)
def _(y, g, v: Shape, k=0): d[y] = undiag(d[g], v, k)

@tangent_rule(undiagonal)
def _(y, g, x: Shape, offset=0, axis1=0, axis2=1): d[y] = undiagonal(d[g], x, offset, axis1, axis2)

@tangent_rule(untrace)
def _(y, g, x: Shape, offset=0, axis1=0, axis2=1): d[y] = untrace(d[g], x, offset, axis1, axis2)

@tangent_rule(untake)
def _(y, g, x: Shape, indices, axis=None, mode="raise"):
    d[y] = untake(d[g], x, indices, axis, mode)

@tangent_rule(untake_along_axis)
def _(y, g, x: Shape, indices, axis): d[y] = untake_along_axis(d[g], x, indices, axis)

@tangent_rule(undelete)
def _(y, g, x: Shape, obj, axis=None): d[y] = undelete(d[g], x, obj, axis)

@tangent_rule(uninsert)
def _(y, g, x: Shape, obj, values: Shape, axis=None): d[y] = uninsert(d[g], x, obj, values, axis)

@tangent_rule(unappend)
def _(y, g, arr: Shape, values: Shape, axis=None): d[y] = unappend(d[g], arr, values, axis)

@tangent_rule(unjoin)
def _(y, g, arrays: Shape, how): d[y] = unjoin(d[g], arrays, how)

@tangent_rule(unatleast)
def _(y, g, arys: Shape): d[y] = unatleast(d[g], arys)
