"""Shapes and indexing: reshaping, axes, copies, diagonals, taking, joining and splitting,
`x[i]`. Shapes, sizes and constructors from shapes have no gradient.

Every function here moves, copies or drops elements, so its forward rule is the function applied
to the tangent (`linear`) and its reverse rule puts each element of the gradient back where it
came from, adding up the gradients of copies (`untile`, `unrepeat`, ... in tangent_lite/runtime).
Functions that return a list (np.split and friends, atleast_Nd of several arrays) receive a list
of gradients, one per piece, with zeros for the pieces not used; `d[arrays]` of a list argument
(np.vstack([a, b])) is a list of gradients, one per element.
"""
# flake8: noqa: E704
import operator

import numpy as np

from .registry import adjoint, d, linear, nondifferentiable, tangent_rule
from .template import Shape
from ..runtime import (flatten, unappend, unatleast, unbroadcast_to, unconcatenate, undelete,
                       undiag, undiagonal, undiff, unindex, uninsert, unjoin, unpad, unpad_fill,
                       unrepeat, unresize, unstack, untake, untake_along_axis, untile, untrace,
                       untranspose, zeros_grad)

# ---- reshaping -------------------------------------------------------------------------------

@adjoint(np.reshape)
def _(y, a, shape, order="C"): d[a] = np.reshape(d[y], np.shape(a), order=order)
linear(np.reshape)

@adjoint(np.ravel)
def _(y, a, order="C"): d[a] = np.reshape(d[y], np.shape(a), order=order)
linear(np.ravel)

@adjoint(flatten)                       # x.flatten(): a copy, never a view (runtime.flatten)
def _(y, a, order="C"): d[a] = np.reshape(d[y], np.shape(a), order=order)
linear(flatten)

@adjoint(np.squeeze)
def _(y, a, axis=None): d[a] = np.reshape(d[y], np.shape(a))
linear(np.squeeze)

@adjoint(np.expand_dims)
def _(y, a, axis): d[a] = np.reshape(d[y], np.shape(a))
linear(np.expand_dims)

# ---- axes and order --------------------------------------------------------------------------

@adjoint(np.transpose)
def _(y, a, axes=None): d[a] = untranspose(d[y], axes)
linear(np.transpose)

@adjoint(np.swapaxes)
def _(y, a, axis1, axis2): d[a] = np.swapaxes(d[y], axis1, axis2)
linear(np.swapaxes)

@adjoint(np.moveaxis)
def _(y, a, source, destination): d[a] = np.moveaxis(d[y], destination, source)
linear(np.moveaxis)

@adjoint(np.flip)
def _(y, m, axis=None): d[m] = np.flip(d[y], axis=axis)
linear(np.flip)

@adjoint(np.fliplr)
def _(y, m): d[m] = np.fliplr(d[y])
linear(np.fliplr)

@adjoint(np.flipud)
def _(y, m): d[m] = np.flipud(d[y])
linear(np.flipud)

@adjoint(np.rot90)
def _(y, m, k=1, axes=(0, 1)): d[m] = np.rot90(d[y], -k, axes=axes)
linear(np.rot90)

@adjoint(np.roll)
def _(y, a, shift, axis=None): d[a] = np.roll(d[y], np.negative(shift), axis=axis)
linear(np.roll)

# ---- copies: each element gathers the gradient of its copies ---------------------------------

@adjoint(np.broadcast_to)
def _(y, array, shape, subok=False): d[array] = unbroadcast_to(d[y], array)

@tangent_rule(np.broadcast_to)
def _(y, array, shape, subok=False): d[y] = np.broadcast_to(d[array], shape)

@adjoint(np.tile)
def _(y, A, reps): d[A] = untile(d[y], A, reps)
linear(np.tile)

@adjoint(np.repeat)
def _(y, a, repeats, axis=None): d[a] = unrepeat(d[y], a, repeats, axis)
linear(np.repeat)

@adjoint(np.resize)
def _(y, a, new_shape): d[a] = unresize(d[y], a, new_shape)
linear(np.resize)

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
linear(np.diag)

@adjoint(np.diagflat)                   # v flattened onto the k-th diagonal of a square matrix
def _(y, v, k=0): d[v] = np.reshape(np.diagonal(d[y], k), np.shape(v))
linear(np.diagflat)

@adjoint(np.diagonal)
def _(y, a, offset=0, axis1=0, axis2=1): d[a] = undiagonal(d[y], a, offset, axis1, axis2)
linear(np.diagonal)

@adjoint(np.trace)
def _(y, a, offset=0, axis1=0, axis2=1, dtype=None):
    d[a] = untrace(d[y], a, offset, axis1, axis2)
linear(np.trace)

@adjoint(np.triu)   # a vector is first repeated into a square matrix: its gradient sums
def _(y, m, k=0): d[m] = unbroadcast_to(np.triu(d[y], k=k), m)
linear(np.triu)

@adjoint(np.tril)
def _(y, m, k=0): d[m] = unbroadcast_to(np.tril(d[y], k=k), m)
linear(np.tril)

# ---- indexing, taking, deleting, inserting ---------------------------------------------------

@adjoint(operator.getitem)
def _(y, a, index: Shape): d[a] = unindex(d[y], a, index)

@tangent_rule(operator.getitem)
def _(y, a, index: Shape): d[y] = d[a][index]

@adjoint(np.take)
def _(y, a, indices, axis=None, mode="raise"): d[a] = untake(d[y], a, indices, axis, mode)
linear(np.take)

@adjoint(np.take_along_axis)
def _(y, arr, indices, axis=-1): d[arr] = untake_along_axis(d[y], arr, indices, axis)
linear(np.take_along_axis)

@adjoint(np.delete)
def _(y, arr, obj, axis=None): d[arr] = undelete(d[y], arr, obj, axis)
linear(np.delete)

@adjoint(np.insert)
def _(y, arr, obj, values, axis=None):
    parts = uninsert(d[y], arr, obj, values, axis)
    d[arr] = parts[0]
    d[values] = parts[1]
linear(np.insert, wrt=("arr", "values"))

@adjoint(np.append)
def _(y, arr, values, axis=None):
    parts = unappend(d[y], arr, values, axis)
    d[arr] = parts[0]
    d[values] = parts[1]
linear(np.append, wrt=("arr", "values"))

# ---- joining: d[arrays] is one gradient per array ---------------------------------------------

@adjoint(np.concatenate)
def _(y, arrays, axis=0): d[arrays] = unconcatenate(d[y], arrays, axis)
linear(np.concatenate)

@adjoint(np.stack)
def _(y, arrays, axis=0): d[arrays] = unstack(d[y], arrays, axis)
linear(np.stack)

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
linear(np.dstack)

@adjoint(np.column_stack)
def _(y, tup): d[tup] = unjoin(d[y], tup, "column_stack")
linear(np.column_stack)

@adjoint(np.atleast_1d, np.atleast_2d, np.atleast_3d)
def _(y, *arys): d[arys] = unatleast(d[y], arys)
linear(np.atleast_1d, np.atleast_2d, np.atleast_3d)

# ---- splitting: the result is a list, d[y] one gradient per piece ----------------------------

@adjoint(np.split, np.array_split)
def _(y, ary, indices_or_sections, axis=0): d[ary] = np.concatenate(d[y], axis=axis)
linear(np.split, np.array_split)

@adjoint(np.hsplit)
def _(y, ary, indices_or_sections): d[ary] = np.hstack(d[y])
linear(np.hsplit)

@adjoint(np.vsplit)
def _(y, ary, indices_or_sections): d[ary] = np.vstack(d[y])
linear(np.vsplit)

@adjoint(np.dsplit)
def _(y, ary, indices_or_sections): d[ary] = np.dstack(d[y])
linear(np.dsplit)

# ---- differences ---------------------------------------------------------------------------

@adjoint(np.diff)
def _(y, a, n=1, axis=-1, prepend=None, append=None):
    d[a] = undiff(d[y], a, n=n, axis=axis, prepend=prepend, append=append)
    d[prepend] = undiff(d[y], a, n=n, axis=axis, prepend=prepend, append=append, part="prepend")
    d[append] = undiff(d[y], a, n=n, axis=axis, prepend=prepend, append=append, part="append")
linear(np.diff, wrt=("a", "prepend", "append"))

# ---- no gradient -----------------------------------------------------------------------------

nondifferentiable(np.zeros_like, np.ones_like, np.empty_like, np.shape, np.size, np.ndim)

# Constructors whose arguments are shapes and counts. Their values do depend on a float
# argument (np.linspace(0, x, 5)), so such a call is refused rather than treated as constant.
nondifferentiable(np.arange, np.linspace, np.zeros, np.ones, np.empty, np.full, np.eye,
                  np.identity, constant_inputs=True)

# ---- the helpers above, in forward mode (second derivatives): linear in the gradient ---------

linear(unbroadcast_to, params="y, g, x: Shape")
linear(untile, params="y, g, x: Shape, reps")
linear(unrepeat, params="y, g, x: Shape, repeats, axis=None")
linear(unresize, params="y, g, x: Shape, new_shape")
linear(unpad, params="y, g, x: Shape, pad_width, mode='constant'")
linear(unpad_fill, params="y, g, x: Shape, pad_width, constant_values: Shape")
linear(undiag, params="y, g, v: Shape, k=0")
linear(undiagonal, params="y, g, x: Shape, offset=0, axis1=0, axis2=1")
linear(untrace, params="y, g, x: Shape, offset=0, axis1=0, axis2=1")
linear(untake, params="y, g, x: Shape, indices, axis=None, mode='raise'")
linear(untake_along_axis, params="y, g, x: Shape, indices, axis")
linear(undelete, params="y, g, x: Shape, obj, axis=None")
linear(uninsert, params="y, g, x: Shape, obj, values: Shape, axis=None")
linear(unappend, params="y, g, arr: Shape, values: Shape, axis=None")
linear(unjoin, params="y, g, arrays: Shape, how")
linear(unatleast, params="y, g, arys: Shape")
linear(undiff, params="y, g, a: Shape, n=1, axis=-1, prepend: Shape = None, "
                      "append: Shape = None, part='a'")
