"""A specialised variant's slice gradients written as NumPy subscripts (part of the pass "lower").

The rules give a slice read `t = x[index]` the contribution `dx = unindex(dt, x, index)` (zeros
of x's shape with dt assigned at index) and, to a gradient dx already made, `dx = add_at(dx,
index, dt)` (`dx[index] += dt` after checking what dx and index are). In a loop those checks
and calls are a good part of a small gradient: the README's LSTM reads its four gates as
slices of `z`, the conv1d a slice of `x` per tap. Where a specialised variant's shapes prove
what the helpers would find, the statements are the NumPy they run:

- `dx = add_at(dx, index, v)` where dx has a known shape of rank >= 1 (an array: an adjoint
  has its value's shape in a specialised df) and index is basic as written (slices, ints,
  names of Python ints): `dx[index] += v`, add_at's first branch.
- where every value of f and every adjoint is a float64 or an int (lower.all_real), `dz =
  unindex(g, z, index)` with z's shape known: `dz = np.zeros(shape)` then `dz[index] = g`,
  unindex's first branch (zeros of z's dtype, float64, with g assigned at index); and a
  following `dz[index2] += v` in the same block, with no other statement naming dz between,
  whose index provably selects no element any earlier one of the chain did (the slices'
  bounds evaluate to ints: `:H`, `H:2 * H` with H known): `dz[index2] = v`, as dz is zero
  there (0.0 + v is v, but for the sign of a zero). The LSTM's four gates then fill one zero
  array by assignment (LSTM 16: 1.30x -> 1.19x the hand-written gradient).

Anything the shapes or ints do not prove keeps the helper call.
"""
import operator

import gast

from ..ir import Comment
from ..ir.uses import write_counts
from ..ir import syntax as s
from ..ir.syntax import negated

_ARITHMETIC = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
               gast.FloorDiv: operator.floordiv}


def known_ints(fn, concrete, kinds_of):
    """name -> the int it holds wherever it is read (None where that varies, a loop's
    counter) for the names of fn that hold a Python int (kind "int", analysis/dtype_kinds.py):
    the value is the concrete analysis's where the name is bound once in fn and every
    statement the analysis saw after it agrees on it."""
    bound, loops = write_counts(fn)
    counters = {loop.target for loop in loops}
    out = {name: None for name, kind in kinds_of.items() if kind == "int"}
    for name in counters - set(bound) - set(fn.params):
        out[name] = None     # bound by loops alone, which count over ranges: a Python int
    for name in out:
        if bound.get(name) == 1 and name not in fn.params:
            values = concrete.ints_seen(name)
            if len(values) == 1 and None not in values:
                out[name] = values.pop()
    return out


def slices_written(body, shapes, ints, spelled, np_attr, real):
    """Rewrite the statements `body` in place; shapes: name -> shape; ints: the names of
    Python ints -> the int each holds wherever it is read, or None (known_ints); np_attr(name):
    `np.name` as df spells it; real: every value and adjoint is a float64 or an int. Returns
    how many statements were rewritten."""
    added, made = spelled("add_at"), spelled("unindex")
    writer = SliceWriter(shapes, ints, added, made if real else None, np_attr)
    writer.block(body)
    return writer.count


class SliceWriter:
    """Writes slice gradients into their arrays as NumPy (`dx[I] += v`, slices assigned into
    `np.zeros(shape)`); also used by row_tiles.py."""

    def __init__(self, shapes, ints, added, made, np_attr):
        self.shapes, self.ints, self.added, self.made = shapes, ints, added, made
        self.spread = gast.dump(np_attr("s_"))
        self.np_attr, self.count = np_attr, 0

    def block(self, stmts):
        for stmt in stmts:
            for field in ("body", "orelse"):
                inner = getattr(stmt, field, None)
                if isinstance(stmt, (gast.If, gast.For, gast.While)) and inner:
                    self.block(inner)
        chains = {}    # dz -> (its shape, the indices set so far) while the chain runs
        k = 0
        while k < len(stmts):
            stmt = stmts[k]
            written = self.added_in_place(stmt) or self.made_by_zeros(stmt)
            if written is None:
                for name in _names(stmt):
                    chains.pop(name, None)
                k += 1
                continue
            self.count += 1
            target, index, value, made = written
            if made is not None:
                zeros = s.assign(target, s.call(self.np_attr("zeros"), [
                    s.tuple_([s.const(d) for d in made])]))
                stmts[k:k + 1] = [zeros, _set(target, index, value)]
                chains[target] = (made, [index])
                k += 2
                continue
            chain = chains.get(target)
            if chain is not None and all(self.disjoint(index, other, chain[0])
                                         for other in chain[1]):
                stmts[k] = _set(target, index, value)
                chain[1].append(index)
            else:
                stmts[k] = gast.AugAssign(target=_item(target, index, store=True),
                                          op=gast.Add(), value=value)
                chains.pop(target, None)
            for name in _names(value):
                chains.pop(name, None)
            k += 1

    def added_in_place(self, stmt):
        """(dx, index, v, None) for `dx = add_at(dx, index, v)` that is `dx[index] += v`."""
        call = helper_assign(stmt, self.added, 3)
        if call is None:
            return None
        target = stmt.targets[0].id
        g, index, value = call.args
        shape = self.shapes.get(target)
        if not (isinstance(g, gast.Name) and g.id == target and shape) or _names(value) & {
                target}:
            return None
        index = self.basic(index)
        return None if index is None else (target, index, value, None)

    def made_by_zeros(self, stmt):
        """(dz, index, g, z's shape) for `dz = unindex(g, z, index)` written as zeros."""
        if self.made is None:
            return None
        call = helper_assign(stmt, self.made, 3)
        if call is None:
            return None
        g, z, index = call.args
        shape = self.shapes.get(z.id) if isinstance(z, gast.Name) else None
        if not shape or not all(type(d) is int for d in shape) \
                or stmt.targets[0].id in _names(g):
            return None
        index = self.basic(index)
        return None if index is None else (stmt.targets[0].id, index, g, shape)

    def basic(self, index):
        """The subscript of a basic index as written (`np.s_[:, k:k + L]` -> `:, k:k + L`;
        an int or a name of a Python int as itself), or None."""
        if isinstance(index, gast.Subscript) and gast.dump(index.value) == self.spread:
            index = index.slice
        items = index.elts if isinstance(index, gast.Tuple) else [index]
        for item in items:
            if isinstance(item, gast.Slice):
                continue
            if isinstance(item, gast.Constant) and type(item.value) is int:
                continue
            if isinstance(item, gast.Name) and item.id in self.ints:
                continue
            return None
        return index

    def disjoint(self, a, b, shape):
        """Whether the basic indices a and b select no element in common of an array of
        `shape`: along some axis their positions, evaluated from ints, do not meet."""
        a, b = self.positions(a, shape), self.positions(b, shape)
        if a is None or b is None:
            return False
        return any(not (x & y) for x, y in zip(a, b))

    def positions(self, index, shape):
        items = index.elts if isinstance(index, gast.Tuple) else [index]
        if len(items) > len(shape):
            return None
        out = []
        for item, dim in zip(items, shape):
            if isinstance(item, gast.Slice):
                bounds = [None if b is None else self.value(b)
                          for b in (item.lower, item.upper, item.step)]
                if any(v is None and b is not None
                       for v, b in zip(bounds, (item.lower, item.upper, item.step))) \
                        or bounds[2] == 0:
                    return None
                out.append(set(range(*slice(*bounds).indices(dim))))
            else:
                value = self.value(item)
                if value is None or not -dim <= value < dim:
                    return None
                out.append({value % dim})
        return out

    def value(self, node):
        """The int an index expression of ints and known names comes to, or None."""
        if isinstance(node, gast.Constant):
            return node.value if type(node.value) is int else None
        if isinstance(node, gast.Name):
            return self.ints.get(node.id)
        if negated(node) is not None:
            v = self.value(negated(node))
            return None if v is None else -v
        if isinstance(node, gast.BinOp) and type(node.op) in _ARITHMETIC:
            a, b = self.value(node.left), self.value(node.right)
            if a is None or b is None or (isinstance(node.op, gast.FloorDiv) and b == 0):
                return None
            return _ARITHMETIC[type(node.op)](a, b)
        return None


def helper_assign(stmt, helper, arity):
    """The call of `target = helper(...)` with `arity` positional arguments, or None."""
    if helper is None or not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                              and isinstance(stmt.targets[0], gast.Name)):
        return None
    value = stmt.value
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Name) \
            and value.func.id == helper and len(value.args) == arity and not value.keywords:
        return value
    return None


def _item(target, index, store=False):
    return gast.Subscript(value=s.name(target), slice=index,
                          ctx=gast.Store() if store else gast.Load())


def _set(target, index, value):
    return gast.Assign(targets=[_item(target, index, store=True)], value=value,
                       type_comment=None)


def _names(node):
    if isinstance(node, Comment):
        return set()
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}
