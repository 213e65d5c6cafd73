"""Rules of NumPy's ufunc.at, as the functions of runtime/scatter.py: reverse (`@adjoint`) and
forward (`@tangent_rule`) side by side.

The compiler writes `np.add.at(a, index, b)` as `a[...] = scatter_add(a, index, b)` (likewise
subtract, multiply, maximum, minimum); y is a copy of `a` with every occurrence of `a[index]`
(in C order; an element named k times occurs k times) combined with its value of `b`, which
broadcasts against `a[index]`.

Conventions: the first parameter is the result; `d[v]` is the gradient (reverse) or tangent
(forward) of `v`. `d[y][index]` gathers the gradient at every occurrence (repeats included), so
`unbroadcast(d[y][index] * w, b)` is the gradient of b with weights w per occurrence; a tangent
per occurrence goes back with `scatter_add(zeros_grad(a), index, t)`. Products are exact at
zeros; the values equal to a maximum or minimum share its gradient equally (np.maximum's
convention).

The helpers are linear in what they carry, so their forward rules (at the end) make second
derivatives through ufunc.at work; the tangent of a product of several values of b at one place
(scatter_multiply_others_tangent) has none, so a third derivative through it is refused.
"""
# flake8: noqa: E704 (one-line definitions are the point of the table)
from .registry import adjoint, linear, nondifferentiable, tangent_rule
from .. import runtime
from ..runtime import (scatter_add, scatter_maximum, scatter_minimum, scatter_multiply,
                       scatter_multiply_others, scatter_multiply_others_tangent, scatter_shares,
                       scatter_subtract, unbroadcast,
                       zeros_grad)  # noqa: F401 (zeros_grad: the template filler's too)

d = None  # the derivative notation `d[x]`; templates are parsed, never run

# ---- sums: y[j] = a[j] + (or -) the values of b at j -----------------------------------------

@adjoint(scatter_add)
def _(y, a, index, b):
    d[a] = d[y]
    d[b] = unbroadcast(d[y][index], b)

linear(scatter_add, wrt=("a", "b"))

@adjoint(scatter_subtract)
def _(y, a, index, b):
    d[a] = d[y]
    d[b] = unbroadcast(-d[y][index], b)

linear(scatter_subtract, wrt=("a", "b"))

# ---- products: y[j] = a[j] * the product of the values of b at j -----------------------------

@adjoint(scatter_multiply)
def _(y, a, index, b):
    d[a] = scatter_multiply(d[y], index, b)
    d[b] = unbroadcast(d[y][index] * scatter_multiply_others(a, index, b), b)

@tangent_rule(scatter_multiply)
def _(y, a, index, b):
    d[y] = (scatter_multiply(d[a], index, b)
            + scatter_add(zeros_grad(a), index, d[b] * scatter_multiply_others(a, index, b)))

# ---- extrema: y[j] = the largest (smallest) of a[j] and the values of b at j ----------------

@adjoint(scatter_maximum, scatter_minimum)
def _(y, a, index, b):
    shares = scatter_shares(y, a, index, b)
    d[a] = d[y] * shares[0]
    d[b] = unbroadcast(d[y][index] * shares[1], b)

@tangent_rule(scatter_maximum, scatter_minimum)
def _(y, a, index, b):
    shares = scatter_shares(y, a, index, b)
    d[y] = d[a] * shares[0] + scatter_add(zeros_grad(a), index, d[b] * shares[1])

# ---- the helpers above, in forward mode (second derivatives) ---------------------------------

@tangent_rule(scatter_multiply_others)   # linear in a; in b a product of the others
def _(y, a, index, b):
    d[y] = (scatter_multiply_others(d[a], index, b)
            + scatter_multiply_others_tangent(a, index, b, d[b]))

# Piecewise constant: which values win a maximum or minimum.
nondifferentiable(runtime.scatter_shares)

# Second derivatives of it not implemented: a third derivative through it is refused.
nondifferentiable(runtime.scatter_multiply_others_tangent, constant_inputs=True)
