"""The helpers of structured values (pytrees) that generated code calls: reading a field of a
namedtuple, dataclass or registered container and its gradient, building a namedtuple or
dataclass (record) and its gradient, the keys of a dict a loop walks, and Python's check of an
unpacking assignment.

The frontend lowers `W, b = params` to index reads (`W = params[0]`), `for name, p in
params.items()` to a loop over `keys_of(params)`, and `p.log_sigma` stays an attribute read
whose gradient `unfield` builds; trees.py says what a container is. A local dict written at
computed keys (`new[k] = v`) is rebuilt by `dict_set`, whose gradient `dict_unset` and
`dict_entry` split.
"""
from .lists import GradList, zeros_grad
from .dispatch import InputError
from .trees import PYTREE_NODES, GradDict, children, dataclass_fields, is_namedtuple


def unfield(g, x: "shape", name) -> "fresh":
    """The gradient of `x.name`, a field of the namedtuple, dataclass or registered container
    `x`: `g` at that field, zeros elsewhere (a GradList for a namedtuple, else a GradDict
    holding that field only)."""
    key = field_key(x, name)
    if not is_namedtuple(x):   # a GradDict: the other fields' zeros are left out
        return GradDict({key: g})
    out = zeros_grad(x)
    out[key] = out[key] + g
    return out


def field(t, x: "shape", name):
    """The tangent of `x.name` from the tangent `t` of `x` (forward mode): the tangent has x's
    structure (the user's namedtuple or dataclass), or is the compiler's zeros of it."""
    if isinstance(t, (dict, list)):   # zeros_grad(x) or a gradient: a GradDict or GradList
        key = field_key(x, name)
        if isinstance(t, dict) and key not in t:
            return zeros_grad(getattr(x, name))
        return t[key]
    return getattr(t, name)


def keys_of(d):
    """The keys of the dict `d`, as a list a loop indexes (`for k, v in d.items()`)."""
    if not isinstance(d, dict):
        raise TypeError(f"`.items()`, `.keys()` and `.values()` are read of dicts here, not of "
                        f"a {type(d).__name__}")
    return list(d)


def sorted_keys(d):
    """The keys of the dict `d`, sorted, as a list a loop indexes (`for k in sorted(params)`,
    whose body reads `params[k]`)."""
    if not isinstance(d, dict):
        raise TypeError(f"`for k in sorted(d)` reading `d[k]` walks a dict's keys here, not a "
                        f"{type(d).__name__}'s items: write `for v in sorted(...)` without "
                        "indexing, or np.sort for an array")
    return sorted(d)


def unpacks(value, n, starred=False):
    """Python's check of `a, b = value` (lowered to `a = value[0]; b = value[1]`): value must
    hold exactly n items, or at least n for `a, *rest, b = value`; a dict would unpack its
    keys (write `a, b = d.values()`)."""
    if isinstance(value, dict):
        raise TypeError("unpacking a dict gives its keys, not its values: write "
                        "`a, b = d['a'], d['b']`")
    k = len(value)
    if starred:
        if k < n:
            raise ValueError(f"not enough values to unpack (expected at least {n}, got {k})")
    elif k != n:
        raise ValueError(f"too many values to unpack (expected {n}, got {k})" if k > n else
                         f"not enough values to unpack (expected {n}, got {k})")


def field_key(x, name):
    """The key of the child `x.name` in children(x): the field's name for a dataclass, its
    position for a namedtuple, and for a registered type the position of the child that is
    the attribute's value itself."""
    if is_namedtuple(x):
        return type(x)._fields.index(name)
    if type(x) in PYTREE_NODES:
        value = getattr(x, name)
        for key, child in children(x):
            if child is value:
                return key
        raise InputError(f"`.{name}` of a {type(x).__name__} is not one of the children its "
                         "registered flatten function returns, so it has no gradient of its "
                         "own: read the children flatten returns")
    if hasattr(type(x), "__dataclass_fields__") and name in dataclass_fields(x):
        return name
    raise InputError(f"`.{name}` of a {type(x).__name__}: only the fields of a namedtuple, a "
                     "dataclass or a registered pytree carry gradients")


def record(values):
    """The rule table's name for building a namedtuple or a dataclass from its fields' values
    (in field order): the generated code calls the class itself, as the user wrote it."""
    raise TypeError("record() names the construction of a namedtuple or dataclass in the rule "
                    "table; it is never called")


def unrecord(g, x: "shape", values: "shape"):
    """The gradients of the fields a namedtuple or dataclass `x` was built from, from the
    gradient `g` of x: a GradList for a namedtuple (g holds one entry per field), a GradDict
    for a dataclass (the fields it leaves out have zero gradients), or a record of x's own
    class (a cotangent the caller gave)."""
    if is_namedtuple(x):
        return GradList(g[k] for k in range(len(values)))
    names = dataclass_fields(x)
    if isinstance(g, dict):
        return GradList(g[k] if k in g else zeros_grad(v) for k, v in zip(names, values))
    return GradList(getattr(g, k) for k in names)


def record_tangent(tangents, x: "shape"):
    """The tangent of a namedtuple or dataclass `x` from its fields' tangents: keyed as its
    gradient is (a GradList by position, a GradDict by field name), which `field` reads."""
    if is_namedtuple(x):
        return GradList(tangents)
    return GradDict(zip(dataclass_fields(x), tangents))


def dict_of(keys, values):
    """`{k1: v1, k2: v2}` as a function of its keys and values (the rule table's name for a
    dict literal; the generated code writes the literal)."""
    return dict(zip(keys, values))


def undict(g, keys, values: "shape"):
    """The gradient of the values of a dict literal or comprehension from the gradient `g` of
    the dict: one entry per value, zeros for the keys g leaves out and for a value a later one
    at the same key replaced (`{k % 2: v for ...}` keeps the last)."""
    last = {k: i for i, k in enumerate(keys)}
    return GradList(g[k] if k in g and last[k] == i else zeros_grad(v)
                    for i, (k, v) in enumerate(zip(keys, values)))


def dict_set(d, key, value):
    """`d[key] = value` on a local dict as a new dict (the frontend writes `new = dict_set(new,
    k, v)` where nothing else holds the dict, so no one sees the difference): a gradient dict
    stays one, so the tangent of the write is the write of the tangents."""
    out = GradDict(d) if isinstance(d, GradDict) else dict(d)
    out[key] = value
    return out


def dict_unset(g, key) -> "fresh":
    """The gradient of the dict before `d[key] = value` from the gradient `g` after it: the
    entry at `key` went to the value, so it is left out (a missing key is a zero)."""
    out = GradDict(g)
    out.pop(key, None)
    return out


def dict_entry(g, key, value: "shape"):
    """The gradient of the value written by `d[key] = value`: g's entry at key, or zeros."""
    return g[key] if key in g else zeros_grad(value)


def has_key(d, key):
    """`key in d` for `d.get(key, default)` lowered to a conditional read: d must be a dict
    or another mapping, whose `.get(k)` is `d[k] if k in d` (a list or an array has no
    `.get`, and `in` would look through its items; another object's `.get` is its own)."""
    if isinstance(d, dict):
        return key in d
    from collections.abc import Mapping   # the standard library's (modules copy NumPy only)
    if not isinstance(d, Mapping):
        if not hasattr(d, "get"):
            raise AttributeError(f"'{type(d).__name__}' object has no attribute 'get'")
        raise InputError(f"`.get` of a {type(d).__name__}: tangent_lite reads `d.get(k, v)` "
                         "of a dict or mapping as `d[k] if k in d else v`; call the method "
                         "outside the differentiated function, or pass a dict")
    return key in d
