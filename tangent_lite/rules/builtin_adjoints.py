"""Reverse-mode rules for Python builtins and the conversions the normalizer introduces."""
# flake8: noqa: E704 (one-line definitions are the point of the table)
import numpy as np

from .registry import adjoint, nondifferentiable
from ..runtime import append, astype, select_arg, unarray, unastype, unbroadcast, unsum

d = None  # the adjoint notation `d[x]`; templates are parsed, never run

@adjoint(np.copy, np.asarray, np.array, np.ascontiguousarray)
def _(y, a, dtype=None): d[a] = unarray(d[y], y, a)

@adjoint(astype)
def _(y, x, dtype): d[x] = unastype(d[y], y, x)

@adjoint(float)
def _(y, x): d[x] = np.reshape(d[y], np.shape(x))

@adjoint(sum)
def _(y, iterable, start=0):
    d[iterable] = unsum(d[y], iterable)
    d[start] = unbroadcast(d[y], start)

@adjoint(list, tuple)
def _(y, iterable): d[iterable] = list(d[y])

@adjoint(append)
def _(y, items, value):
    d[items] = d[y][:-1]
    d[value] = d[y][-1]

@adjoint(max, min)
def _(y, *args): d[args] = select_arg(d[y], y, args)

nondifferentiable(int, bool, round, isinstance, range, enumerate, zip)
