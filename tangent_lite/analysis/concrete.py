"""The shapes of values as tuples, given the shapes of the arguments: what a specialised df
(optimize/specialise.py) may assume once a guard has checked the arguments.

A shape is a tuple of dims; a dim is an int, or a symbol (a str such as "n0") standing for a
size that varies between calls (a batch) and that the guard checked equal wherever the same
symbol appears. None means unknown: what the analysis cannot prove from the guard alone (a
user function's result, a boolean mask, a concatenation, a reshape of a symbolic size...), and
there the generic treatment stays.

Propagated through broadcasting operations, reductions with a constant axis/keepdims, `@`,
np.dot and np.matmul of 1-D and 2-D operands, transposes, indexing by a loop counter, an int
or constant slices, np.reshape to constant ints, np.concatenate of a list of arrays of known
int lengths, arrays made to a size read of another (`np.zeros(x.shape[0])`, `np.ones_like(x)`),
calls of the user's own functions (their body analysed with the arguments' shapes: `callee`),
and sizes read of arrays (x.shape[k], len(x), x.size: numbers); each operation's rule is in
shape_rules.py, what is known of containers' entries (a parameter's, a list built in df) in
containers.py, the ints proved beside the shapes (sizes, ranges, slice lengths) in
int_values.py. The analysis is flow-sensitive over the core language like shapes.py:
branches join (a name keeps its shape where both paths agree, else None) and loops iterate to
a fixpoint, so an array that grows in a loop is None.
"""
import builtins
import inspect
import operator

import gast
import numpy as np

from .. import ir
from .fixpoint import loop_flow
from .shapes import broadcasting
from .int_values import VALUE, IntValues
from .containers import (CONTAINERS, EMPTY, Entries, Uniform, forget_entries,
                         passes_entries, plain, runtime_append)
from .shape_rules import (MADE, MADE_LIKE, PRODUCTS, REDUCTIONS, SCALAR_CALLS, arity, broadcast,
                          constant_int, hashable_in, is_none, reads_size, reduced, product,
                          reshaped, einsummed)
from ..ir.syntax import int_literal
from ..ir.uses import all_names

SCALAR = ()


class ConcreteShapes:
    """The shape of every operand of every operation of `fn`, when the parameters have the
    shapes `params` (name -> shape tuple, or None where nothing is assumed)."""

    def __init__(self, fn, params, resolve=lambda node: None, callee=None):
        self.resolve = resolve    # what a global name denotes (shapes.resolver)
        # callee(func, {param: shape}) -> the shape of a user function's result, or None
        self.callee = callee
        self.before = {}          # id(ir.Assign) -> {name: shape} as the statement starts
        self.breaks = []
        self.used = 0             # unbroadcasts the specialisation removed or made sums
        # Loop counters bound nowhere else: ints wherever they are read.
        bound = {t for st in ir.walk(fn.body) if isinstance(st, ir.Assign) for t in st.targets}
        self.counters = {st.target for st in ir.walk(fn.body)
                         if isinstance(st, ir.For)} - bound - set(fn.params)
        self.ints = IntValues(resolve, self.counters)
        # a name: unbound, [] (EMPTY), a shape or a Uniform list, None; an int's value (see
        # VALUE): unbound, the int or range, None
        self.height = 5 * (len(all_names(fn)) + len(fn.params)) + 2
        env = {p: params.get(p) for p in fn.params}
        end = self._block(fn.body, env)
        # the shape of what fn returns (for the callers of a user function)
        self.returned = plain(end.get(fn.result)) if isinstance(fn.result, str) else None

    def at(self, stmt):
        """The shape of an operand expression of `stmt` as it runs: a function of the node."""
        env = self.before.get(id(stmt))
        return (lambda node: None) if env is None else \
            (lambda node: plain(self._expr(node, env)))

    def result(self, stmt):
        """The shape of the value of the operation `stmt`, or None."""
        env = self.before.get(id(stmt))
        return None if env is None else self._op(stmt.op, env)

    def ints_seen(self, name):
        """The values the analysis gave the int `name` as the operations it reaches start (an
        int, or None where it did not know one); empty where none saw it bound."""
        return {env[VALUE + name] if type(env[VALUE + name]) is int else None
                for env in self.before.values() if VALUE + name in env}

    def fills(self, stmt):
        """Whether the write `x[index] = v` (an ir.SetItem) replaces a part of x of v's own
        shape, proved: then the gradient of that part, `dx[index]`, is v's gradient as it is
        (no sum back to v's shape). A list's entry has the list's one shape (Uniform)."""
        env = self.before.get(id(stmt))
        if env is None:
            return False
        value = plain(self._expr(stmt.value, env))
        target = env.get(stmt.target)
        if isinstance(target, Uniform):
            part = target.shape if self.ints.is_int(stmt.index, env) else None
        else:
            part = self._index(plain(target), stmt.index, env)
        return value is not None and part == value

    def list_entry(self, stmt):
        """The shape every entry of the list has where `stmt` reads (`t = x[i]`) or writes
        (`x[i] = v`) one entry of x by an int index, x a list whose entries all have one shape
        (Uniform) of at least one axis; None otherwise."""
        env = self.before.get(id(stmt))
        if env is None:
            return None
        if isinstance(stmt, ir.SetItem):
            items, index = env.get(stmt.target), stmt.index
        elif stmt.op is not None and stmt.op.func is operator.getitem and not stmt.op.user \
                and len(stmt.op.args) == 2 and isinstance(stmt.op.args[0], gast.Name):
            items, index = env.get(stmt.op.args[0].id), stmt.op.args[1]
        else:
            return None
        if not isinstance(items, Uniform) or not items.shape \
                or not self.ints.is_int(index, env):
            return None
        return items.shape

    # -- the dataflow ----------------------------------------------------------------------------

    def _block(self, body, env):
        for stmt in body:
            env = self._stmt(stmt, env)
        return env

    def _stmt(self, stmt, env):
        if isinstance(stmt, ir.Assign) and not isinstance(stmt, ir.Pop):
            if stmt.op is None:
                value = self._expr(stmt.value, env)
            else:
                self.before[id(stmt)] = env
                value = self._op(stmt.op, env)
                if passes_entries(stmt.op, env):   # a call that may write into them
                    env = forget_entries(env)
            known = self.ints.bound(stmt, env) if len(stmt.targets) == 1 else None
            env = dict(env)
            for t in stmt.targets:
                env[t] = value if len(stmt.targets) == 1 else None
                env[VALUE + t] = known
            return env
        if isinstance(stmt, ir.If):
            return _join(self._block(stmt.body, env), self._block(stmt.orelse, env))
        if isinstance(stmt, (ir.For, ir.While)):
            return self._loop(stmt, env)
        if isinstance(stmt, ir.Break):
            self.breaks.append(env)
            return env
        if isinstance(stmt, ir.SetItem):   # x[i] = v keeps x's shape (or raises)
            self.before[id(stmt)] = env
            target = env.get(stmt.target)
            if isinstance(target, Uniform) and target.shape is not None \
                    and self.ints.is_int(stmt.index, env) \
                    and plain(self._expr(stmt.value, env)) == target.shape:
                return env   # an entry replaced by one of the same shape: still uniform
            if isinstance(target, CONTAINERS):   # a container's entry replaced
                return forget_entries(env)
            return env
        if isinstance(stmt, ir.Effect) and self._checks_only(stmt.node):
            return env
        # Effects (a call that may resize its argument in place), hooks, pops: whatever
        # they name is no longer known.
        env = forget_entries(env) if any(
            isinstance(n, gast.Name) and isinstance(env.get(n.id), Entries)
            for node in _nodes(stmt) for n in gast.walk(node)) else dict(env)
        for node in _nodes(stmt):
            for n in gast.walk(node):
                if isinstance(n, gast.Name):
                    env[n.id] = env[VALUE + n.id] = None
        for attr in ("targets", "var", "alias", "target"):
            names = getattr(stmt, attr, None)
            for name in ([names] if isinstance(names, str) else names or ()):
                env[name] = env[VALUE + name] = None
        return env

    def _checks_only(self, node):
        """Whether an effect statement only reads what it names: `unpacks(params, 2)` (the
        length check of `W, b = params`), a print."""
        from ..runtime import unpacks
        value = getattr(node, "value", None)
        if not isinstance(value, gast.Call):
            return False
        func = self.resolve(value.func)
        return func is unpacks or func is builtins.print

    def _loop(self, stmt, env):
        if isinstance(stmt, ir.For) and stmt.target in self.counters:
            env = dict(env)    # the counter's values, where its range's bounds are known
            env[VALUE + stmt.target] = env.get(VALUE + stmt.iter) \
                if isinstance(env.get(VALUE + stmt.iter), range) else None
        return loop_flow(self, stmt, env, _join, SCALAR, "shape specialisation")

    # -- the values of ints (sizes, and the ranges loops count over) ---------------------------

    # -- operations ------------------------------------------------------------------------------

    def _op(self, op, env):
        if op.user:
            return self._user_call(op.func, op.args, op.keywords, env)
        if op.func is None:
            return None
        return self._call(op.func, op.args, op.keywords, env)

    def _user_call(self, func, args, keywords, env):
        """The shape of a user function's result, from its body analysed with the shapes of
        the arguments (callee); None where a parameter cannot be bound."""
        if self.callee is None or not inspect.isfunction(func):
            return None
        try:
            bound = inspect.signature(func).bind(*args, **keywords)
        except TypeError:
            return None
        shapes = {}
        for name, param in inspect.signature(func).parameters.items():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                return None
            if name in bound.arguments:
                shapes[name] = plain(self._expr(bound.arguments[name], env))
            else:   # left at its default
                shapes[name] = SCALAR if _is_number(param.default) else None
        return self.callee(func, shapes)

    def _call(self, func, args, keywords, env):
        shapes = [self._expr(a, env) for a in args]
        if func is operator.getitem and len(args) == 2 and isinstance(shapes[0], CONTAINERS):
            return self._entry(shapes[0], args[1], env)
        if func is runtime_append() and len(args) == 2 and not keywords:
            return self._appended(shapes[0], plain(shapes[1]))
        shapes = [plain(sh) for sh in shapes]
        if hashable_in(func, MADE) and len(args) == 1 and set(keywords) <= {"dtype"}:
            return self._made(args[0], env)
        if broadcasting(func) and not keywords and arity(func) in (None, len(args)):
            return broadcast(shapes)
        if hashable_in(func, REDUCTIONS) and len(args) == 1:
            return reduced(shapes[0], keywords)
        if set(keywords) <= {"dtype"} and len(args) == 1 and hashable_in(func, MADE_LIKE):
            return shapes[0]
        if func is np.concatenate and set(keywords) <= {"axis"} and 1 <= len(args) <= 2:
            axis = keywords.get("axis", args[1] if len(args) == 2 else None)
            return self._concatenated(args[0], 0 if axis is None else constant_int(axis), env)
        if func is np.einsum and set(keywords) <= {"optimize"} and len(args) >= 2 \
                and isinstance(args[0], gast.Constant):
            return einsummed(args[0].value, shapes[1:])
        if keywords:
            return None
        if hashable_in(func, PRODUCTS) and len(args) == 2:
            return product(*shapes)
        if func is np.transpose and len(args) == 1:
            return None if shapes[0] is None else tuple(reversed(shapes[0]))
        if func is operator.getitem and len(args) == 2:
            return self._index(shapes[0], args[1], env)
        if func is np.reshape and len(args) == 2:
            return reshaped(shapes[0], args[1])
        if hashable_in(func, SCALAR_CALLS) or getattr(func, "__module__", None) == "math":
            return SCALAR
        return None

    def _dim(self, node, env):
        """The dim a size expression reads where its value is not an int the analysis knows:
        `x.shape[k]` or `len(x)` of an array x of known shape, which may be a symbol (a
        generalised variant's batch size); None otherwise."""
        value = constant_int(node)
        if type(value) is int:
            return value if value >= 0 else None
        if reads_size(node) and isinstance(node, gast.Subscript):
            shape = plain(env.get(node.value.value.id))
            k = constant_int(node.slice)
        elif (isinstance(node, gast.Call) and len(node.args) == 1 and not node.keywords
              and isinstance(node.args[0], gast.Name)
              and self.resolve(node.func) is builtins.len):
            shape, k = plain(env.get(node.args[0].id)), 0
        else:
            return None
        if shape is None or type(k) is not int or not -len(shape) <= k < len(shape):
            return None
        return shape[k]

    def _concatenated(self, seq, axis, env):
        """np.concatenate of a list or tuple written in place: the pieces' shapes agree but
        along `axis` (a constant int), where the int lengths add up."""
        if not isinstance(seq, (gast.List, gast.Tuple)) or not seq.elts or type(axis) is not int:
            return None
        shapes = [plain(self._expr(e, env)) for e in seq.elts]
        if any(sh is None or not sh for sh in shapes) or len({len(sh) for sh in shapes}) != 1:
            return None
        rank = len(shapes[0])
        if not -rank <= axis < rank:
            return None
        axis %= rank
        lengths = [sh[axis] for sh in shapes]
        rest = {sh[:axis] + sh[axis + 1:] for sh in shapes}
        if len(rest) != 1 or not all(isinstance(n, int) for n in lengths):
            return None
        rest = rest.pop()
        return rest[:axis] + (sum(lengths),) + rest[axis:]

    def _index(self, shape, index, env):
        """x[index] for ints, loop counters and constant slices; None for anything else (an
        index array, a mask, a name that might hold one)."""
        if shape is None:
            return None
        items = index.elts if isinstance(index, gast.Tuple) else [index]
        new_axes = sum(1 for item in items if is_none(item))
        if len(items) - new_axes > len(shape):
            return None
        out, k = [], 0
        for item in items:
            if is_none(item):   # np.newaxis: a new axis of length 1, no dim of x used
                out.append(1)
                continue
            dim = shape[k]
            k += 1
            if self.ints.is_int(item, env):
                continue
            if not isinstance(item, gast.Slice):
                return None
            bounds = [constant_int(b) for b in (item.lower, item.upper, item.step)]
            if bounds[2] == 0:
                return None
            if bounds == [None, None, None]:
                out.append(dim)
            elif isinstance(dim, int) and not any(b is False for b in bounds):
                out.append(len(range(*slice(*bounds).indices(dim))))
            elif isinstance(dim, int):
                length = self.ints.slice_length(item, dim, env)
                if length is None:
                    return None
                out.append(length)
            else:
                return None
        return tuple(out) + tuple(shape[k:])

    def _made(self, node, env):
        """The shape of np.zeros(shape) and the like: a tuple of sizes, or one, each an int the
        analysis knows or a dim read of an argument's shape."""
        items = node.elts if isinstance(node, gast.Tuple) else [node]
        dims = []
        for item in items:
            dim = self.ints.value(item, env)
            dims.append(self._dim(item, env) if dim is None else dim)
        if any(d is None or type(d) is int and d < 0 for d in dims):
            return None
        return tuple(dims)

    def _appended(self, items, shape):
        """The shape of `append(items, v)`: a Uniform list where every entry has v's shape."""
        if isinstance(items, Uniform):
            return items.appended(shape)
        if isinstance(items, Entries) and items.sequence:   # a list parameter's entries
            shapes = set(items.values())
            if len(shapes) == 1:
                return Uniform(shapes.pop()).appended(shape)
        return None

    def _entry(self, entries, key, env):
        """The shape of `container[key]`: a constant key's entry, or for a tuple or list
        whose entries share one shape, that shape at any int index (a loop counter, an
        expression of ints)."""
        if isinstance(entries, Uniform):
            return entries.shape if self.ints.is_int(key, env) else None
        value = key.value if isinstance(key, gast.Constant) else int_literal(key)
        if entries.sequence:
            if type(value) is int and -len(entries) <= value < len(entries):
                return entries.get(value % len(entries))
            shapes = set(entries.values())
            if self.ints.is_int(key, env) and len(shapes) == 1:
                return shapes.pop()
            return self._entry_at_every_count(entries, key, env)
        return entries.get(value) if type(value) is str else None

    def _entry_at_every_count(self, entries, key, env):
        """A list or tuple's entry at an int expression of a loop counter of known range
        (`params[2 * i + 1]` for i in range(len(params) // 2)): the one shape of the entries
        it reads over the range, or None (an index out of range, or entries of two shapes)."""
        runs = self.ints.runs([key], env)
        if runs is None or runs == [None]:
            return None
        shapes = set()
        for counter in runs:
            k = self.ints.value(key, env, counter)
            if k is None or not -len(entries) <= k < len(entries):
                return None
            shapes.add(entries.get(k % len(entries)))
        return shapes.pop() if len(shapes) == 1 else None

    def _expr(self, node, env):
        """The shape of an atom or of an inactive expression written as it is."""
        if isinstance(node, gast.Name) and node.id in env:
            return env[node.id]
        if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) \
                and isinstance(env.get(node.value.id), CONTAINERS):
            return self._entry(env[node.value.id], node.slice, env)
        if isinstance(node, gast.List):   # a list made here: uniform if its entries agree
            out = EMPTY
            for e in node.elts:
                out = out and out.appended(plain(self._expr(e, env)))
            return out
        if reads_size(node):
            return SCALAR
        if isinstance(node, (gast.Name, gast.Attribute)):
            return SCALAR if _is_number(self.resolve(node)) else None
        if isinstance(node, gast.Constant):
            return SCALAR if _is_number(node.value) else None
        if isinstance(node, gast.Call):
            func = self.resolve(node.func)
            keywords = {k.arg: k.value for k in node.keywords}
            if not keywords and (func is builtins.len or func is builtins.float
                                 or func is builtins.int):
                return SCALAR
            if hashable_in(func, MADE) or hashable_in(func, MADE_LIKE):
                return self._call(func, node.args, keywords, env)
            return None
        if isinstance(node, gast.UnaryOp):
            return SCALAR if isinstance(node.op, gast.Not) else \
                plain(self._expr(node.operand, env))
        if isinstance(node, gast.BinOp) and not isinstance(node.op, gast.MatMult):
            return broadcast([plain(self._expr(node.left, env)),
                              plain(self._expr(node.right, env))])
        return None


def callee_results(analyze):
    """For ConcreteShapes: (a user function, {param: shape}) -> the shape of its result, or
    None; `analyze(func, shapes, callee)` gives the ConcreteShapes of func's body with those
    parameter shapes (and this callback for the functions it calls). Remembered for one
    compile; recursion is None."""
    from ..errors import TangentLiteError
    memo, active = {}, set()

    def result(func, shapes):
        func = inspect.unwrap(func)
        key = (func, tuple(sorted(shapes.items())))
        if key in memo:
            return memo[key]
        if func in active:
            return None
        active.add(func)
        try:
            memo[key] = analyze(func, shapes, result).returned
        except TangentLiteError:
            memo[key] = None
        finally:
            active.discard(func)
        return memo[key]
    return result


def _nodes(stmt):
    for attr in ("node", "value", "test", "body"):
        v = getattr(stmt, attr, None)
        if isinstance(v, gast.AST):
            yield v
        elif isinstance(v, list):
            yield from (n for n in v if isinstance(n, gast.AST))


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _join(a, b):
    out = dict(a)
    for name, value in b.items():
        mine = out.get(name, value)
        if mine == value:
            out[name] = value
        elif EMPTY in (mine, value) and isinstance(mine, Uniform) \
                and isinstance(value, Uniform):
            out[name] = mine if value == EMPTY else value   # [] has no entry of another shape
        else:
            out[name] = None
    return out
