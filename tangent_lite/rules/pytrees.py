"""Structured values (pytrees): a field read `p.log_sigma` of a namedtuple, dataclass or
registered container (the normalizer writes it as the attribute read it is, and binds it to
`getattr`), a namedtuple or dataclass built from its fields (record), dict literals and
comprehensions (dict_of), a write into a local dict (dict_set), and the helpers of dict loops
and unpacking, which carry no gradient.
"""
# flake8: noqa: E704
from .registry import adjoint, d, linear, nondifferentiable, tangent_rule
from .template import Shape
from .. import runtime
from ..runtime import (dict_entry, dict_of, dict_set, dict_unset, field,  # noqa: F401
                       record, record_tangent, undict, unfield, unrecord,
                       zeros_grad)  # (the templates' names; zeros_grad: their filler)

@adjoint(getattr)
def _(y, obj, name: Shape): d[obj] = unfield(d[y], obj, name)

@tangent_rule(getattr)
def _(y, obj, name: Shape): d[y] = field(d[obj], obj, name)

@adjoint(dict_of)
def _(y, keys: Shape, values): d[values] = undict(d[y], keys, values)
linear(dict_of, params="y, keys: Shape, values", wrt=("values",))

@adjoint(dict_set)          # `new[k] = v` on a local dict: the entry at k goes to v
def _(y, old, key: Shape, value):
    d[old] = dict_unset(d[y], key)
    d[value] = dict_entry(d[y], key, value)
linear(dict_set, params="y, old, key: Shape, value", wrt=("old", "value"))
linear(dict_unset, params="y, g, key: Shape")
linear(dict_entry, params="y, g, key: Shape, value: Shape")

@adjoint(record)            # `Params(W=a, b=c)`: the generated code calls the class
def _(y, values): d[values] = unrecord(d[y], y, values)

@tangent_rule(record)
def _(y, values): d[y] = record_tangent(d[values], y)

linear(undict, params="y, g, keys: Shape, values: Shape")
linear(unrecord, params="y, g, x: Shape, values: Shape")
linear(record_tangent, params="y, t, x: Shape")
linear(unfield, params="y, g, x: Shape, name: Shape")
linear(field, params="y, t, x: Shape, name: Shape")

nondifferentiable(runtime.keys_of, runtime.sorted_keys, runtime.unpacks, runtime.has_key)
