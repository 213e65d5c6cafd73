"""Structured values (pytrees): a field read `p.log_sigma` of a namedtuple, dataclass or
registered container (the normalizer writes it as the attribute read it is, and binds it to
`getattr`), dict literals (dict_of), and the helpers of dict loops and unpacking, which carry no gradient.
"""
# flake8: noqa: E704
from .registry import adjoint, d, linear, nondifferentiable, tangent_rule
from .template import Shape
from .. import runtime
from ..runtime import dict_of, field, undict, unfield  # noqa: F401 (the templates' names)

@adjoint(getattr)
def _(y, obj, name: Shape): d[obj] = unfield(d[y], obj, name)

@tangent_rule(getattr)
def _(y, obj, name: Shape): d[y] = field(d[obj], obj, name)

@adjoint(dict_of)
def _(y, keys: Shape, values): d[values] = undict(d[y], keys, values)
linear(dict_of, params="y, keys: Shape, values", wrt=("values",))

linear(undict, params="y, g, keys: Shape, values: Shape")
linear(unfield, params="y, g, x: Shape, name: Shape")
linear(field, params="y, t, x: Shape, name: Shape")

nondifferentiable(runtime.keys_of, runtime.unpacks)
