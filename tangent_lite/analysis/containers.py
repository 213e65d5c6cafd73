"""What the concrete shape analysis (concrete.py) knows of containers: a dict, tuple or list
parameter's entries (checked one by one by the guard), and a list built in df whose every entry
has one shape. Neither is a shape itself; reading one entry gives one.
"""
import operator

import gast


class Entries(dict):
    """The shapes of the entries of a dict, tuple or list parameter (key -> shape), which the
    guard checked entry by entry: what `params["W1"]` or `xs[t]` reads. Never a shape itself:
    only indexing the container with a constant key (or, for a tuple or list whose entries
    all have one shape, any int) gives a shape."""

    def __init__(self, items, sequence):
        super().__init__(items)
        self.sequence = sequence


class Uniform:
    """A Python list built in df (`[]`, `[a, b]`, `items.append(v)`: the comprehension's form
    too) whose every entry has one shape: what `hidden[i]` reads at any int index. `shape`
    None is the empty list, whose entries (none) have every shape: appending to it gives its
    first entry's shape. A list is a Uniform only while every write into it is proved to keep
    that shape (`items[i] = v` of the shape, an append of the shape); any other write, or
    passing it where it may be written, forgets it, and its aliases with it."""

    __slots__ = ("shape",)

    def __init__(self, shape):
        self.shape = shape

    def __eq__(self, other):
        return type(other) is Uniform and other.shape == self.shape

    def __hash__(self):
        return hash((Uniform, self.shape))

    def __repr__(self):
        return f"Uniform({self.shape!r})"

    def appended(self, shape):
        """The list after appending a value of `shape`: still uniform, or None."""
        if shape is None:
            return None
        return Uniform(shape) if self.shape in (None, shape) else None


EMPTY = Uniform(None)
CONTAINERS = (Entries, Uniform)


def forget_entries(env):
    """env without what it knew of containers' entries: a container was written into, or
    passed where it may be (another name may hold the same dict or list)."""
    return {n: None if isinstance(v, CONTAINERS) else v for n, v in env.items()}


def passes_entries(op, env):
    """Whether an operation takes a container with Entries (or a Uniform list) other than to
    read one entry or to append to it (`append` copies the list: it writes into none)."""
    args = list(op.args)
    if not op.user and len(args) == 2 and (op.func is operator.getitem
                                           or op.func is runtime_append()):
        args = args[1:]
    args += list((op.keywords or {}).values())
    return any(isinstance(n, gast.Name) and isinstance(env.get(n.id), CONTAINERS)
               for a in args for n in gast.walk(a))


def runtime_append():
    from ..runtime import append
    return append


def plain(shape):
    """A shape as operations see it: a container's Entries are no shape (None)."""
    return None if isinstance(shape, CONTAINERS) else shape


def length(value):
    """len(x) where the analysis knows it: an array's first dim, a list or tuple parameter's
    number of entries (the guard checked it)."""
    if isinstance(value, Entries):
        return len(value) if value.sequence else None
    value = plain(value)
    return value[0] if value and isinstance(value[0], int) else None
