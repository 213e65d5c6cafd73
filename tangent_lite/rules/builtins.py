"""Python builtins (float, sum, max, min, list, tuple, ...) and the conversions the normalizer
introduces: np.asarray and friends, `x.astype(...)` (runtime.astype), `items.append(v)`
(runtime.append). Integers, truth values and iteration have no gradient.
"""
# flake8: noqa: E704
import numpy as np

from .registry import adjoint, d, linear, nondifferentiable, tangent_rule
from .template import Shape
from .. import runtime
from ..runtime import (append, as_tangent, broadcast_like, dict_zipped, select_arg,
                       select_tangent, unarray, unastype, unbroadcast, undict_zipped, unlist,
                       unsum, unzipped, zeros_grad, zipped)  # noqa: F401 (zeros_grad: filler)

# ---- conversions -----------------------------------------------------------------------------

@adjoint(np.copy, np.asarray, np.array, np.ascontiguousarray)
def _(y, a, dtype=None): d[a] = unarray(d[y], y, a)

@tangent_rule(np.copy, np.asarray, np.array, np.ascontiguousarray)
def _(y, a, dtype=None): d[y] = as_tangent(d[a], y)

@adjoint(runtime.detached)          # a view the compiler copies and writes back (frontend/views.py)
def _(y, v): d[v] = d[y]
linear(runtime.detached)

@adjoint(runtime.astype)
def _(y, x, dtype): d[x] = unastype(d[y], y, x)

@tangent_rule(runtime.astype)
def _(y, x, dtype): d[y] = as_tangent(d[x], y)

@adjoint(float)
def _(y, x): d[x] = np.reshape(d[y], np.shape(x))
linear(float)

# ---- sums, extremes, sequences ---------------------------------------------------------------

@adjoint(sum)
def _(y, iterable, start=0):
    d[iterable] = unsum(d[y], iterable)
    d[start] = unbroadcast(d[y], start)

@tangent_rule(sum)
def _(y, iterable, start=0): d[y] = broadcast_like(sum(d[iterable]) + d[start], y)

@adjoint(max, min)
def _(y, *args): d[args] = select_arg(d[y], y, args)

@tangent_rule(max, min)
def _(y, *args): d[y] = select_tangent(d[args], y, args)

@adjoint(list, tuple)
def _(y, iterable): d[iterable] = unlist(d[y], iterable)
linear(list, tuple)

@adjoint(append)
def _(y, items, value):
    d[items] = d[y][:-1]
    d[value] = d[y][-1]
linear(append, wrt=("items", "value"))

# zip used as a value, consumed at once by list, tuple, dict or an unpacking (runtime/zips.py):
# the generated code writes `list(zip(a, b))`, `dict(zip(keys, values))`
@adjoint(zipped)
def _(y, seqs): d[seqs] = unzipped(d[y], seqs)
linear(zipped)

@adjoint(dict_zipped)
def _(y, keys: Shape, values): d[values] = undict_zipped(d[y], keys, values)
linear(dict_zipped, params="y, keys: Shape, values", wrt=("values",))
linear(unzipped, params="y, g, seqs: Shape")
linear(undict_zipped, params="y, g, keys: Shape, values: Shape")

# ---- no gradient -----------------------------------------------------------------------------

nondifferentiable(int, bool, round, isinstance, range, len)
# zip and enumerate carry their items' gradients: a loop or comprehension over them is lowered
# to an index loop (frontend/normalize.py); consumed at once by list or tuple they have the
# rules above; kept as values they are refused where their items are differentiated, never
# taken as constants.
