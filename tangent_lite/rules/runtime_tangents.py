"""Forward-mode rules for Python builtins and for the runtime helpers gradient code calls.

The helpers' rules are what make generated gradient code itself differentiable in forward
mode: second derivatives are computed forward-over-reverse, and most helpers are linear in the
gradient they carry.
"""
# flake8: noqa: E704 (one-line definitions are the point of the table)
from .registry import nondifferentiable, tangent_rule
from .template import Shape
from .. import runtime
from ..runtime import (add_at, add_grads, append, as_tangent, broadcast_like, dot_lhs, dot_rhs,
                       grad_like, grads_like, matmul_lhs, matmul_rhs, owned, saved, select_arg,
                       select_tangent, unarray, unastype, unbroadcast, unconcatenate, unindex,
                       unreduce, unset, unstack, unsum, untranspose,
                       zeros_grad)  # noqa: F401 (zeros_grad: the template filler's)

d = None  # the tangent notation `d[x]`; templates are parsed, never run

# ---- builtins and conversions ----------------------------------------------------------------

@tangent_rule(runtime.astype)
def _(y, x, dtype): d[y] = as_tangent(d[x], y)

@tangent_rule(float)
def _(y, x): d[y] = float(d[x])

@tangent_rule(sum)
def _(y, iterable, start=0): d[y] = broadcast_like(sum(d[iterable]) + d[start], y)

@tangent_rule(max, min)
def _(y, *args): d[y] = select_tangent(d[args], y, args)

@tangent_rule(list)
def _(y, iterable): d[y] = list(d[iterable])

@tangent_rule(tuple)
def _(y, iterable): d[y] = tuple(d[iterable])

@tangent_rule(append)
def _(y, items, value): d[y] = append(d[items], d[value])

# ---- the helpers of generated gradient code: linear in the gradient they carry ---------------

@tangent_rule(grad_like)
def _(y, g, x: Shape, name="x"): d[y] = grad_like(d[g], x, name)

@tangent_rule(grads_like)
def _(y, grads, args: Shape, names): d[y] = grads_like(d[grads], args, names)

@tangent_rule(unbroadcast)
def _(y, g, x: Shape): d[y] = unbroadcast(d[g], x)

@tangent_rule(unreduce)
def _(y, g, x: Shape, axis=None, keepdims=False): d[y] = unreduce(d[g], x, axis, keepdims)

@tangent_rule(unindex)
def _(y, g, x: Shape, index: Shape): d[y] = unindex(d[g], x, index)

@tangent_rule(untranspose)
def _(y, g, axes: Shape = None): d[y] = untranspose(d[g], axes)

@tangent_rule(unconcatenate)
def _(y, g, arrays: Shape, axis=0): d[y] = unconcatenate(d[g], arrays, axis)

@tangent_rule(unstack)
def _(y, g, arrays: Shape, axis=0): d[y] = unstack(d[g], arrays, axis)

@tangent_rule(add_at)   # tangents may share arrays where gradients do not: add on a copy
def _(y, g, index: Shape, value): d[y] = add_at(owned(d[g]), index, d[value])

@tangent_rule(unset)
def _(y, g, index: Shape): d[y] = unset(d[g], index)

@tangent_rule(unsum)
def _(y, g, iterable: Shape): d[y] = unsum(d[g], iterable)

@tangent_rule(unarray)
def _(y, g, v: Shape, a: Shape): d[y] = unarray(d[g], v, a)

@tangent_rule(unastype)
def _(y, g, v: Shape, x: Shape): d[y] = unastype(d[g], v, x)

@tangent_rule(select_arg)
def _(y, g, v: Shape, args: Shape): d[y] = select_arg(d[g], v, args)

@tangent_rule(matmul_lhs)
def _(y, g, a: Shape, b): d[y] = matmul_lhs(d[g], a, b) + matmul_lhs(g, a, d[b])

@tangent_rule(matmul_rhs)
def _(y, g, a, b: Shape): d[y] = matmul_rhs(d[g], a, b) + matmul_rhs(g, d[a], b)

@tangent_rule(dot_lhs)
def _(y, g, a: Shape, b): d[y] = dot_lhs(d[g], a, b) + dot_lhs(g, a, d[b])

@tangent_rule(dot_rhs)
def _(y, g, a, b: Shape): d[y] = dot_rhs(d[g], a, b) + dot_rhs(g, d[a], b)

@tangent_rule(add_grads)
def _(y, a, b): d[y] = add_grads(d[a], d[b])

@tangent_rule(saved)
def _(y, v): d[y] = saved(d[v])

@tangent_rule(owned)
def _(y, x): d[y] = owned(d[x])

nondifferentiable(runtime.Stack, runtime.zeros_grad, runtime.extremum_mask, runtime.clip_mask,
                  runtime.shaped, runtime.unit_like, runtime.unit_of, runtime.reduced_count,
                  runtime.all_numbers)
