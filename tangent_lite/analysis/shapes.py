"""Which values provably have the same shape: what lets the compiler drop `unbroadcast`.

A value's shape is described by the set of parameters whose shapes broadcast together to give
it: `a * i` (with `i` a loop index) has the shape of `a`, `np.sin(a) * b` the broadcast of a's
and b's, `np.sum(x)` the empty set (a 0-d value). None means unknown (a matrix product, an
indexing, a call without a broadcasting rule). Broadcasting is idempotent, commutative and has
`()` as identity, so a set is enough; and when every other operand's set is a subset of `x`'s,
the result has x's shape and the gradient flowing back into `x` needs no summing.

The analysis is flow-sensitive over the core language: branches join (a name keeps its set
only when both paths agree) and loops iterate to a fixpoint. With `numbers=True` every
parameter is taken to be a number (the empty set): the facts of the variant of df that runs
when the arguments are Python or NumPy scalars, which the generic df dispatches to.
"""
import builtins
import operator

import numpy as np

from .. import ir

SCALAR = frozenset()

# Functions whose result has the broadcast shape of all their operands.
_BROADCASTING = {operator.add, operator.sub, operator.mul, operator.truediv,
                 operator.floordiv, operator.mod, operator.pow, operator.neg, operator.pos,
                 builtins.abs, np.where, np.clip}
# Reductions that give a 0-d value when called on one array with no axis.
_FULL_REDUCTIONS = {np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.amin, np.std, np.var,
                    np.nansum, np.nanmean, np.nanmax, np.nanmin, np.linalg.norm,
                    builtins.float}


def broadcasting(func):
    """Whether `func`'s result has the broadcast shape of its operands: what templates assume
    when they write `unbroadcast(d[y], a)` and the compiler may drop it."""
    return isinstance(func, np.ufunc) or _hashable_in(func, _BROADCASTING)


def _hashable_in(func, table):
    try:
        return func in table
    except TypeError:
        return False


class ShapeFacts:
    """The shape sets of the operands of every statement, as they are when it runs."""

    def __init__(self, fn, numbers=False):
        self.before = {}      # id(ir.Assign) -> {operand name: frozenset or None}
        self.opaque = 0       # operations whose result's shape is unknown
        env = {p: SCALAR if numbers else frozenset([p]) for p in fn.params}
        self.result = None
        self.breaks = []
        env = self._block(fn.body, env)
        self.result = env.get(fn.result)

    @property
    def elementwise(self):
        """Whether f computes its result by elementwise operations alone, and so a number
        from numbers when `numbers` is set."""
        return self.opaque == 0 and self.result is not None

    def at(self, stmt):
        """{name: shape set} for the operands of `stmt` (names with unknown shapes left out)."""
        return self.before.get(id(stmt), {})

    # -- the dataflow ----------------------------------------------------------------------------

    def _block(self, body, env):
        for stmt in body:
            env = self._stmt(stmt, env)
        return env

    def _stmt(self, stmt, env):
        if isinstance(stmt, ir.Assign):
            value = self._assign(stmt, env)
            env = dict(env)
            for t in stmt.targets:
                env[t] = value if len(stmt.targets) == 1 else None
            return env
        if isinstance(stmt, ir.If):
            return _join(self._block(stmt.body, env), self._block(stmt.orelse, env))
        if isinstance(stmt, (ir.For, ir.While)):
            return self._loop(stmt, env)
        if isinstance(stmt, ir.Break):
            self.breaks.append(env)
        return env

    def _loop(self, stmt, env):
        outer_breaks, self.breaks = self.breaks, []
        head = dict(env)
        while True:   # terminates: a name's set only moves from unbound to a set to None
            self.breaks = []
            inner = dict(head)
            if isinstance(stmt, ir.For):
                inner[stmt.target] = SCALAR     # the core language loops over ranges only
            end = self._block(stmt.body, inner)
            joined = _join(head, end)
            if joined == head:
                break
            head = joined
        out = head
        for broken in self.breaks:
            out = _join(out, broken)
        self.breaks = outer_breaks
        return out

    def _assign(self, stmt, env):
        if stmt.op is None:
            return _atom(stmt.value, env)
        op = stmt.op
        names = [a for a in list(op.args) + list(op.keywords.values())]
        self.before[id(stmt)] = {a.id: env.get(a.id) for a in names
                                 if hasattr(a, "id") and env.get(a.id) is not None}
        if broadcasting(op.func) and not op.keywords and _arity(op.func) in (None, len(op.args)):
            return _union([_atom(a, env) for a in op.args])
        if _hashable_in(op.func, _FULL_REDUCTIONS) and len(op.args) == 1 and not op.keywords:
            return SCALAR
        self.opaque += 1
        return None


def _arity(func):
    """How many operands a broadcasting function must be given to broadcast them (np.where
    with one argument finds indices instead); None where any number will do."""
    if isinstance(func, np.ufunc):
        return func.nin
    return 3 if func is np.where or func is np.clip else None


def _atom(node, env):
    if type(node).__name__ == "Name":
        return env.get(node.id)
    value = getattr(node, "value", None)
    if type(node).__name__ == "Constant" and isinstance(value, (int, float, complex)):
        return SCALAR
    return None


def _union(sets):
    if any(s is None for s in sets):
        return None
    return frozenset().union(*sets)


def _join(a, b):
    """Two paths meet: a name keeps its set only where both agree (a name bound on one path
    only keeps that path's set: reading it after the join means that path ran)."""
    out = dict(a)
    for name, value in b.items():
        if name in out and out[name] != value:
            out[name] = None
        else:
            out[name] = value
    return out
