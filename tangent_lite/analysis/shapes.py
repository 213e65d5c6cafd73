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
import inspect
import operator

import gast
import numpy as np

from .. import ir
from ..ir.uses import all_names
from .fixpoint import loop_flow
from .shape_rules import reads_size
from ..errors import TangentLiteError
from ..frontend.parse import UNRESOLVED
from ..rules.registry import lookup

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
    if isinstance(func, np.ufunc):   # but not generalized ufuncs: np.matmul contracts axes
        return func.signature is None
    return _hashable_in(func, _BROADCASTING)


def _hashable_in(func, table):
    try:
        return func in table
    except TypeError:
        return False


class ShapeFacts:
    """The shape sets of the operands of every statement, as they are when it runs."""

    def __init__(self, fn, numbers=False, resolve=lambda node: None, summary=lambda f: None):
        self.resolve = resolve    # what a global name or attribute denotes (see resolver)
        self.summary = summary    # a user function -> its result's shape set (see summaries)
        self.before = {}      # id(ir.Assign) -> {name: shape set} as the statement starts
        self.opaque = 0       # operations whose result's shape is unknown
        self.bound = {}       # id(ir.Assign) -> (targets, shape set of the value)
        env = {p: SCALAR if numbers else frozenset([p]) for p in fn.params}
        self.result = None
        self.breaks = []
        self.loop_indices = {st.target for st in ir.walk(fn.body) if isinstance(st, ir.For)}
        self.height = len(all_names(fn)) * (len(fn.params) + 2)   # of the lattice of envs
        end = self._block(fn.body, env)
        self.result = end.get(fn.result)
        # Names that hold a number wherever they are bound.
        shapes = {p: [env[p]] for p in fn.params}
        for name in self.loop_indices:
            shapes.setdefault(name, []).append(SCALAR)
        for targets, value in self.bound.values():
            for name in targets:
                shapes.setdefault(name, []).append(value if len(targets) == 1 else None)
        self.numbers = {n for n, values in shapes.items() if all(v == SCALAR for v in values)}

    @property
    def elementwise(self):
        """Whether f computes its result by elementwise operations alone, and so a number
        from numbers when `numbers` is set."""
        return self.opaque == 0 and self.result is not None

    def at(self, stmt):
        """The shape set of an operand expression of `stmt`, as it is when `stmt` runs: a
        function of the gast node, None where unknown."""
        env = self.before.get(id(stmt), {})
        return lambda node: self._expr(node, env)

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
        # A name's set only grows, from unbound through subsets of the parameters to None.
        return loop_flow(self, stmt, env, _join, SCALAR, "shape analysis")

    def _assign(self, stmt, env):
        value = self._value(stmt, env)
        self.bound[id(stmt)] = (list(stmt.targets), value)
        return value

    def _value(self, stmt, env):
        if stmt.op is None:
            return self._expr(stmt.value, env)
        op = stmt.op
        self.before[id(stmt)] = env   # never changed in place: each statement copies it
        if op.prim is None and inspect.isfunction(op.func):
            value = self._user_call(op.func, op.args, op.keywords, env)
        else:
            value = None if op.keywords else self._call(op.func, op.args, env)
        if value is None:
            self.opaque += 1
        return value

    def _user_call(self, func, args, keywords, env):
        """A call of the user's own function, through its summary: the parameters whose
        shapes broadcast to its result (see summaries), replaced by the arguments'."""
        summary = self.summary(func)
        if summary is None:
            return None
        try:
            bound = inspect.signature(func).bind(*args, **keywords)
        except TypeError:
            return None
        sets = []
        for name in summary:
            if name in bound.arguments:
                sets.append(self._expr(bound.arguments[name], env))
            else:   # left at its default
                default = inspect.signature(func).parameters[name].default
                sets.append(SCALAR if _is_number(default) else None)
        return _union(sets)

    def _call(self, func, args, env):
        if func is None:
            return None
        if broadcasting(func) and _arity(func) in (None, len(args)):
            return _union([self._expr(a, env) for a in args])
        if _hashable_in(func, _FULL_REDUCTIONS) and len(args) == 1:
            return SCALAR
        if getattr(func, "__module__", None) == "math":    # math.sin & co. give a float
            return SCALAR
        if func is builtins.len:
            return SCALAR
        return None

    def _expr(self, node, env):
        """The shape set of an expression the core language leaves as written (an atom, or an
        inactive arithmetic or comparison of atoms)."""
        if isinstance(node, gast.Name) and node.id in env:
            return env[node.id]
        if reads_size(node):
            return SCALAR
        if isinstance(node, (gast.Name, gast.Attribute)):
            return SCALAR if _is_number(self.resolve(node)) else None
        if isinstance(node, gast.Constant):
            return SCALAR if _is_number(node.value) else None
        if isinstance(node, gast.Call):
            func = self.resolve(node.func)
            if inspect.isfunction(func) and lookup(func) is None:   # the user's own
                keywords = {k.arg: k.value for k in node.keywords}
                return None if None in keywords else self._user_call(func, node.args,
                                                                      keywords, env)
            return None if node.keywords else self._call(func, node.args, env)
        if isinstance(node, gast.UnaryOp):   # `not v` is a bool (or raises)
            return SCALAR if isinstance(node.op, gast.Not) else self._expr(node.operand, env)
        if isinstance(node, gast.BinOp) and not isinstance(node.op, gast.MatMult):
            return _union([self._expr(node.left, env), self._expr(node.right, env)])
        if isinstance(node, gast.Compare) and all(isinstance(o, _ORDER) for o in node.ops):
            return _union([self._expr(n, env) for n in [node.left] + node.comparators])
        return None


def _arity(func):
    """How many operands a broadcasting function must be given to broadcast them (np.where
    with one argument finds indices instead); None where any number will do."""
    if isinstance(func, np.ufunc):
        return func.nin
    return 3 if func is np.where or func is np.clip else None


_ORDER = (gast.Eq, gast.NotEq, gast.Lt, gast.LtE, gast.Gt, gast.GtE)


def resolver(parsed):
    """For ShapeFacts: what a global name or a module's attribute in `parsed`'s function
    denotes, or None. Numbers count only where they stay numbers: module globals (the cache
    recompiles when one is rebound) and NumPy's constants such as np.pi; closure cells and
    other modules' attributes can change unseen."""
    def resolve(node):
        if isinstance(node, gast.Name):
            if node.id in parsed.local_names:
                return None
            value = parsed.resolve(node)     # a global, a closure cell or a builtin
            if _is_number(value) and node.id not in parsed.globals:
                return None
            return None if value is UNRESOLVED else value
        if isinstance(node, gast.Attribute):
            base = parsed.resolve(node.value)
            value = getattr(base, node.attr, None) if inspect.ismodule(base) else None
            if _is_number(value) and base is not np:
                return None
            return value
        return None
    return resolve


def summaries(analyze):
    """For ShapeFacts: a user function -> the set of its parameters whose shapes broadcast
    to its result, or None; `analyze(func, summary)` gives the ShapeFacts of func's body (with
    these summaries for the functions it calls) and what it looked up: (globals dict, {name:
    object}), kept in `summary.watched` so that the cache can tell when a summary goes stale.
    Remembered for one compile; recursion is None."""
    memo, active = {}, set()

    def summary(func):
        func = inspect.unwrap(func)
        if func in memo:
            return memo[func]
        if func in active:
            return None
        active.add(func)
        try:
            facts, looked_up = analyze(func, summary)
            summary.watched.append(looked_up)
            memo[func] = facts.result
        except TangentLiteError:
            memo[func] = None
        finally:
            active.discard(func)
        return memo[func]
    summary.watched = []
    return summary


def _is_number(value):
    return isinstance(value, (int, float, complex))


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
