"""The ints the concrete shape analysis (concrete.py) proves beside the shapes: sizes read of
arrays (`n = x.shape[0]`, `len(xs)`), arithmetic of those (`L = n - K + 1`, `2 * i + 1`),
ranges and the loop counters that run over them, and the lengths of slices whose bounds are
such ints (`x[:, k:k + L]` is L long for every k of its range).

The analysis keeps them in its env beside the shapes, under VALUE + name: an int, the range a
loop counter runs over, or None. This module reads expressions against that env; it binds
nothing itself.
"""
import builtins
import operator

import gast
import numpy as np

from .containers import length, plain
from .shape_rules import constant_int, hashable_in, reads_size

# The env's key of a name's int value (or a loop counter's range) beside its shape: no name
# starts with it.
VALUE = "%"
MAX_COUNTS = 4096    # a slice's length is checked for each value of its counter
_INT_ARITHMETIC = {operator.add: operator.add, operator.sub: operator.sub,
                   operator.mul: operator.mul, operator.floordiv: operator.floordiv}
_AST_ARITHMETIC = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
                   gast.FloorDiv: operator.floordiv}


class IntValues:
    """Int expressions read against one analysis's envs. resolve: what a global name denotes
    (shapes.resolver); counters: the loop counters bound nowhere else (ints wherever read)."""

    def __init__(self, resolve, counters):
        self.resolve, self.counters = resolve, counters

    def bound(self, stmt, env):
        """The int (or the range, for `range(...)`) an assignment binds, where the shapes
        prove it: `K = w.shape[0]`, `L = n - K + 1`; else None."""
        if stmt.op is None:
            value = stmt.value
            if isinstance(value, gast.Call) and not value.keywords \
                    and self.resolve(value.func) is builtins.range:
                bounds = [self.value(a, env) for a in value.args]
                if None in bounds or not 1 <= len(bounds) <= 3 or bounds[2:] == [0]:
                    return None
                return range(*bounds)
            return self.value(value, env)
        op = stmt.op
        if op.user or op.keywords or op.func is None:
            return None
        if op.func is builtins.len and len(op.args) == 1 and isinstance(op.args[0], gast.Name):
            return length(env.get(op.args[0].id))
        values = [self.value(a, env) for a in op.args]
        if None in values:
            return None
        if op.func is builtins.range and 1 <= len(values) <= 3:
            return range(*values) if values[-1] != 0 or len(values) < 3 else None
        binary = _INT_ARITHMETIC.get(op.func) if hashable_in(op.func, _INT_ARITHMETIC) \
            else None
        if binary is not None and len(values) == 2:
            return None if binary is operator.floordiv and values[1] == 0 else \
                binary(*values)
        if op.func is operator.neg and len(values) == 1:
            return -values[0]
        return None

    def value(self, node, env, counter=None):
        """The int value of an inactive expression of ints and sizes, or None; counter: a
        (name, int) pair to read a loop counter as that int."""
        if counter is not None and isinstance(node, gast.Name) and node.id == counter[0]:
            return counter[1]
        value = constant_int(node)
        if value is not False:
            return value
        if isinstance(node, gast.Name):
            found = env.get(VALUE + node.id)
            return found if type(found) is int else None
        if reads_size(node):
            shape = plain(env.get(node.value.id) if isinstance(node.value, gast.Name)
                           else env.get(node.value.value.id))
            if shape is None:
                return None
            if isinstance(node, gast.Attribute):
                if node.attr == "ndim":
                    return len(shape)
                sized = all(isinstance(d, int) for d in shape)
                return int(np.prod(shape)) if sized else None
            k = constant_int(node.slice)   # an int dim, where other dims may be symbols
            if type(k) is not int or not -len(shape) <= k < len(shape):
                return None
            return shape[k] if isinstance(shape[k], int) else None
        if isinstance(node, gast.Call) and len(node.args) == 1 and not node.keywords \
                and isinstance(node.args[0], gast.Name) \
                and self.resolve(node.func) is builtins.len:
            return length(env.get(node.args[0].id))
        if isinstance(node, gast.BinOp) and type(node.op) in _AST_ARITHMETIC:
            a, b = self.value(node.left, env, counter), self.value(node.right, env, counter)
            if a is None or b is None or (isinstance(node.op, gast.FloorDiv) and b == 0):
                return None
            return _AST_ARITHMETIC[type(node.op)](a, b)
        return None

    def slice_length(self, item, dim, env):
        """len(range(n)[item]) of a slice whose bounds are ints, or expressions of ints and
        one loop counter of known range (`k:k + L`, the same length for every k), or None."""
        bounds = (item.lower, item.upper, item.step)
        runs = self.runs([b for b in bounds if b is not None], env)
        if runs is None:
            return None
        lengths = set()
        for counter in runs:
            ints = [None if b is None else self.value(b, env, counter) for b in bounds]
            if any(b is None and n is not None for b, n in zip(ints, bounds)) or ints[2] == 0:
                return None
            lengths.add(len(range(*slice(*ints).indices(dim))))
        return lengths.pop() if len(lengths) == 1 else None

    def runs(self, nodes, env):
        """The values to read `nodes` with: [None] where they name no loop counter of known
        range, [(counter, value) for each value of its range] where they name one; None where
        they name several, or one of an empty or too long range."""
        counters = {n.id for node in nodes for n in gast.walk(node)
                    if isinstance(n, gast.Name) and isinstance(env.get(VALUE + n.id), range)}
        if len(counters) > 1:
            return None
        if not counters:
            return [None]
        name = counters.pop()
        values = env[VALUE + name]
        if not 0 < len(values) <= MAX_COUNTS:
            return None
        return [(name, v) for v in values]

    def is_int(self, node, env):
        """Whether the index `node` is certainly an int: a constant, a loop counter, a name
        bound to a known int, or `+`, `-`, `*`, `//` of those (`2 * i + 1`, `t + 1`)."""
        if isinstance(node, gast.Name):
            return node.id in self.counters or type(env.get(VALUE + node.id)) is int
        if isinstance(node, gast.BinOp) and type(node.op) in _AST_ARITHMETIC:
            return self.is_int(node.left, env) and self.is_int(node.right, env)
        return type(constant_int(node)) is int
