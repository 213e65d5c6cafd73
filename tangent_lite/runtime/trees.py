"""Structured values (pytrees) as the generated code sees them: which values are containers,
their children, how to rebuild one, and the gradient of a dict-like container.

JAX's conventions: dict, list, tuple, namedtuple and None are containers, nested to any depth;
a dataclass instance is a container of its fields; any other type can be registered with a
flatten and an unflatten function (tangent_lite.register_pytree). Everything else is a leaf.

Inside a gradient, the adjoint of a list or tuple (a namedtuple too) is a GradList (core.py),
one entry per element; the adjoint of a dict, a dataclass or a registered container is a
GradDict keyed like its children (the dict's keys, the field names, the child positions). A
GradDict may leave a key out: that child's gradient is zero (reading `params['W']` makes a
GradDict with the one key 'W', not zeros of every parameter). grad_like (core.py) gives the
final gradient the structure and leaf types of the argument.

This module is the bottom of the runtime package: it imports nothing from it.
"""
import numpy as np

# Registered containers: type -> (flatten, unflatten), flatten(x) -> (children, aux) and
# unflatten(aux, children) -> a value of the type.
PYTREE_NODES = {}


def register_node(cls, flatten, unflatten):
    """Make instances of `cls` containers (see tangent_lite.register_pytree)."""
    PYTREE_NODES[cls] = (flatten, unflatten)


def is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_container(x):
    """Whether `x` is a container rather than a leaf (arrays and numbers are leaves)."""
    tx = type(x)
    if tx is np.ndarray or tx is float or tx is int:
        return False
    return (x is None or isinstance(x, (list, tuple, dict)) or tx in PYTREE_NODES
            or hasattr(tx, "__dataclass_fields__"))


def children(x):
    """[(key, child)] of a container, in its order: a dict's keys, list and tuple positions,
    a dataclass's field names, a registered type's child positions; None for a leaf."""
    if isinstance(x, dict):
        return list(x.items())
    if isinstance(x, (list, tuple)):
        return list(enumerate(x))
    if x is None:
        return []
    node = PYTREE_NODES.get(type(x))
    if node is not None:
        return list(enumerate(node[0](x)[0]))
    if hasattr(type(x), "__dataclass_fields__"):
        return [(name, getattr(x, name)) for name in dataclass_fields(x)]
    return None


def dataclass_fields(x):
    """The names of a dataclass instance's fields, in order (dataclasses.fields without
    importing dataclasses: the runtime imports only NumPy): not its ClassVar or InitVar
    pseudo-fields."""
    return [name for name, f in type(x).__dataclass_fields__.items()
            if repr(getattr(f, "_field_type", "_FIELD")) in ("_FIELD", "'_FIELD'")]


def rebuild(x, values):
    """A container of `x`'s kind and keys holding `values` (in the order of children(x))."""
    if isinstance(x, dict):
        pairs = zip(x.keys(), values)
        return dict(pairs) if type(x) is dict else type(x)(pairs)
    if is_namedtuple(x):
        return type(x)(*values)
    if isinstance(x, (list, tuple)):
        return type(x)(values) if type(x) in (list, tuple) else list(values)
    if x is None:
        return None
    node = PYTREE_NODES.get(type(x))
    if node is not None:
        return node[1](node[0](x)[1], list(values))
    # A dataclass: set the fields without running __init__ or __post_init__ (the values are
    # gradients, which a validating __post_init__ need not accept); works for frozen ones too.
    out = object.__new__(type(x))
    for name, v in zip(dataclass_fields(x), values):
        object.__setattr__(out, name, v)
    return out


class GradDict(dict):
    """The gradient of a dict, a dataclass or a registered container, keyed like its children.
    A missing key is a zero gradient; `+` adds key by key (a union)."""

    __slots__ = ()

    def __add__(self, other):
        if not isinstance(other, dict):
            return NotImplemented
        out = GradDict(self)
        for k, v in other.items():
            out[k] = out[k] + v if k in out else v
        return out

    __radd__ = __add__

    def __iadd__(self, other):
        for k, v in other.items():
            self[k] = self[k] + v if k in self else v
        return self
