"""Forward rules of the runtime helpers that generated gradient code calls, so that gradient
code is itself differentiable: second derivatives are forward mode over the gradient code.

Most helpers are linear in the gradient they carry (`linear`); the arrays they read only for a
shape are `Shape` parameters. Helpers of one topic's rules are at the end of that topic's module;
here are those the compiler emits itself and those of arithmetic.py, builtins.py and the basic
reductions, shapes and products.
"""
# flake8: noqa: E704
from .registry import d, linear, nondifferentiable, tangent_rule
from .template import Shape
from .. import runtime
from ..runtime import (add_at, add_row_slices, add_grads, add_item, set_at, dot_lhs, dot_rhs,
                       grad_like, grads_like, matmul_lhs,
                       matmul_rhs, owned, saved, select_arg, sum_product, sum_product_of_difference,
                       sum_quotient, unarray,
                       unastype, unbroadcast,
                       unconcatenate, unindex, unindex_product, unlist, unreduce, unset, unstack, unsum,
                       untranspose,
                       zeros_grad)  # noqa: F401 (zeros_grad: the template filler's)

# ---- what the compiler emits: results, accumulation, saved values -----------------------------

linear(grad_like, params="y, g, x: Shape, name='x'")
linear(grads_like, params="y, grads, args: Shape, names")
linear(add_grads, params="y, a, b", wrt=("a", "b"))
linear(add_item, params="y, g, index: Shape, value, x: Shape", wrt=("g", "value"))
linear(saved, params="y, v")
linear(owned, params="y, x")
linear(unset, params="y, g, index: Shape, x: Shape=None")

@tangent_rule(add_at)   # tangents may share arrays where gradients do not: add on a copy
def _(y, g, index: Shape, value): d[y] = add_at(owned(d[g]), index, d[value])

# the slices of a row's gradient added into a parameter's gradient (optimize/rows.py): as
# add_at, linear in the gradient and the slices' values
@tangent_rule(add_row_slices)
def _(y, g, row: Shape, x: Shape, indices: Shape, values):
    d[y] = add_row_slices(owned(d[g]), row, x, indices, d[values])
@tangent_rule(set_at)   # add: g's tangent need not be zero at index where g is
def _(y, g, index: Shape, value): d[y] = add_at(owned(d[g]), index, d[value])

# ---- the helpers of the basic rules: linear in the gradient ----------------------------------

linear(unbroadcast, params="y, g, x: Shape")
linear(unreduce, params="y, g, x: Shape, axis=None, keepdims=False")
linear(unindex, params="y, g, x: Shape, index: Shape")
linear(untranspose, params="y, g, axes: Shape = None")
linear(unconcatenate, params="y, g, arrays: Shape, axis=0")
linear(unstack, params="y, g, arrays: Shape, axis=0")
linear(unsum, params="y, g, iterable: Shape")
linear(unlist, params="y, g, iterable: Shape")
linear(unarray, params="y, g, v: Shape, a: Shape")
linear(unastype, params="y, g, v: Shape, x: Shape")
linear(select_arg, params="y, g, v: Shape, args: Shape")

# ---- products: bilinear in the gradient and the other factor ----------------------------------

@tangent_rule(matmul_lhs)
def _(y, g, a: Shape, b): d[y] = matmul_lhs(d[g], a, b) + matmul_lhs(g, a, d[b])

@tangent_rule(matmul_rhs)
def _(y, g, a, b: Shape): d[y] = matmul_rhs(d[g], a, b) + matmul_rhs(g, d[a], b)

@tangent_rule(dot_lhs)
def _(y, g, a: Shape, b): d[y] = dot_lhs(d[g], a, b) + dot_lhs(g, a, d[b])

@tangent_rule(dot_rhs)
def _(y, g, a, b: Shape): d[y] = dot_rhs(d[g], a, b) + dot_rhs(g, d[a], b)

# sums of products (optimize/fused.py): bilinear in the factors; the divisor's own term is the
# quotient rule's, y * d[x] / x having x's shape as y does
@tangent_rule(sum_product)
def _(y, a, b, x: Shape): d[y] = sum_product(d[a], b, x) + sum_product(a, d[b], x)

# the same sum with s = a - b summed apart (optimize/differences.py): bilinear in g and s,
# and s's tangent is d[a] - d[b], so its term is the same split sum of the tangents
@tangent_rule(sum_product_of_difference)
def _(y, g, s, a, b, x: Shape):
    d[y] = sum_product(d[g], s, x) + sum_product_of_difference(g, d[s], d[a], d[b], x)

@tangent_rule(sum_quotient)
def _(y, a, b, x):
    d[y] = sum_quotient(d[a], b, x) + sum_quotient(a, d[b], x) - y * d[x] / x

# a slice read's product written into its zero gradient (optimize/slices.py): bilinear in the
# factors, as sum_product
@tangent_rule(unindex_product)
def _(y, a, b, t: Shape, x: Shape, index: Shape):
    d[y] = unindex_product(d[a], b, t, x, index) + unindex_product(a, d[b], t, x, index)

# ---- no gradient -----------------------------------------------------------------------------

nondifferentiable(runtime.Stack, runtime.zeros_grad, runtime.shaped, runtime.unit_like,
                  runtime.unit_of, runtime.all_numbers, runtime.any_complex,
                  runtime.shares_memory, runtime.shares_array_memory)
