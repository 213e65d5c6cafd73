"""What a specialised variant's argument dtypes prove (the pass "dtypes").

A variant compiled for float64 arrays and Python numbers (optimize/specialise.py) knows more
than shapes: most values f computes from them are float64 too. Two costs of a small gradient
go once that is known:

1. **The loss seed.** A loss `np.sum(t)` / `np.mean(t)` (optimize/seed.py) is seeded with
   `unit_of(t)`, a one of t's dtype, so the forward sweep keeps t and everything it is made of
   though the backward sweep may need none of it (logistic regression's log terms, the
   cross-entropy's `y * logp`). Where t is certainly float64 or a Python number, unit_of
   returns exactly the Python float 1.0 (runtime/core.py): the seed is written `1.0`, and the
   forward assignments nothing reads any more are dropped.
2. **Spread seeds.** `np.full(shape, g)` (a small `unreduce`, lowered by optimize/lower.py)
   multiplied by or added to an array e of that same shape, `np.full(shape, g) * e`, is
   `g * e`: the same elementwise values in the same shape, without the spread array. The dtype
   is the same where e is float64 (a Python number g then gives float64 either way) or where
   g is certainly an array (a NumPy operand promotes alike whether broadcast or spread: NEP 50).
   So is `unreduce(g, x, None, False)` (or with keepdims) that lower.py leaves as it is, where
   x's shape has a symbol (a batch size that varied between calls) or is too large to fill:
   the helper's array, filled or a broadcast view, holds g at every index of x's shape, and
   equal symbolic shapes are equal sizes (the guard checks dims sharing a symbol). The forward
   sweep's values that only the spread read (x, and what x is made of) are then dropped.

The kinds (which names are certainly float64, which ints) are analysis/dtype_kinds.py's.
"""
import copy

import gast

from ..analysis.dtype_kinds import F8, INT
from ..analysis.shape_rules import reads_size
from ..ir import Comment
from ..ir.syntax import negated
from .algebra.spelling import Spelling, name_assign
from .copies import name_counts


# -- 1. the seed -----------------------------------------------------------------------------

def seed_one(backward, forward, prologue, kinds_of, spelled):
    """Write the seed `dresult = unit_of(t)` as `dresult = 1.0` where t is certainly float64
    or a Python number, then drop the forward sweep's (`forward`, in place) assignments
    nothing reads any more. Returns whether the seed was rewritten."""
    unit_of = spelled("unit_of")
    for stmt in backward:
        if isinstance(stmt, Comment):
            continue
        value = getattr(stmt, "value", None)
        if not (name_assign(stmt) and isinstance(value, gast.Call)
                and isinstance(value.func, gast.Name) and value.func.id == unit_of
                and len(value.args) == 1 and isinstance(value.args[0], gast.Name)
                and kinds_of.get(value.args[0].id) in (F8, INT)):
            return False
        stmt.value = gast.Constant(value=1.0, kind=None)
        break
    else:
        return False
    spelling = Spelling(spelled)
    while _drop_unread(forward, _reads(prologue + forward + backward), spelling):
        pass
    return True


def _reads(stmts):
    """name -> how often `stmts` read it, `n += 1` and `del n` counted as reads (name_counts
    counts their targets as writes only)."""
    loads = name_counts(stmts)[0]
    for stmt in (n for st in _statements(stmts) for n in gast.walk(st)):
        names = [stmt.target] if isinstance(stmt, gast.AugAssign) else \
            stmt.targets if isinstance(stmt, gast.Delete) else []
        for n in names:
            if isinstance(n, gast.Name):
                loads[n.id] = loads.get(n.id, 0) + 1
    return loads


def _drop_unread(stmts, loads, spelling):
    """Drop top-level `name = pure expression` of the forward sweep that nothing reads (the
    statements in loops are left: their pushes read them)."""
    keep = [st for st in stmts if not (name_assign(st) and not loads.get(name_assign(st))
                                       and spelling.pure(st.value))]
    dropped = len(keep) != len(stmts)
    stmts[:] = keep
    return dropped


# -- 2. spread seeds -----------------------------------------------------------------------------

def fold_spreads(backward, everything, kinds_of, shapes, adjoint_of, np_name, spelled):
    """Replace `np.full(shape, g)` read as an operand of `*` or `+` whose other operand has
    that shape (and a dtype that makes the result the same: see the module's docstring) by g;
    a name assigned such a spread and read only so is dropped. shapes: name -> shape of the
    forward names; adjoint_of: adjoint name -> its primal. Returns how many were folded."""
    spreads = _Spreads(everything, backward, kinds_of, shapes, adjoint_of, np_name, spelled)
    count = spreads.inline(backward)
    spreads.recount()       # the inline spreads' operands are read where the spreads were
    return count + spreads.named(backward, Spelling(spelled).pure)


class _Spreads:
    """The facts fold_spreads decides by: df's name counts, the shapes and dtypes of the
    forward names, and which adjoint belongs to which primal."""

    def __init__(self, everything, backward, kinds_of, shapes, adjoint_of, np_name, spelled):
        self.everything, self.backward = everything, backward
        self.kinds_of, self.shapes = kinds_of, shapes
        self.adjoint_of, self.np_name = adjoint_of, np_name
        self.unreduce = spelled("unreduce")
        self.recount()

    def recount(self):
        self.loads, self.stores = name_counts(self.everything)

    def shape(self, node):
        if not isinstance(node, gast.Name):
            return None
        name, shapes = node.id, self.shapes
        if self.stores.get(name, 0) > 1 and name not in shapes:
            name = self.adjoint_of.get(name, name)
        return shapes.get(name) if name in shapes else shapes.get(self.adjoint_of.get(name))

    def array(self, node):
        """g certainly an ndarray: an adjoint of a value of rank >= 1 (a specialised df's
        adjoints have their values' shapes), scaled by numbers or negated."""
        if isinstance(node, gast.Name):
            primal = self.adjoint_of.get(node.id)
            return primal is not None and len(self.shapes.get(primal) or ()) >= 1
        if negated(node) is not None:
            return self.array(negated(node))
        if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Mult, gast.Div)):
            return (self.array(node.left) and _number(node.right)) or \
                (isinstance(node.op, gast.Mult) and self.array(node.right)
                 and _number(node.left))
        return False

    def spread(self, node):
        """(shape, g) of `np.full((ints), g)` or of `unreduce(g, x, None or axis, False or
        True)` (x of a known shape, symbols allowed; no axis dropped), or None."""
        if (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)
                and self.unreduce is not None and node.func.id == self.unreduce):
            return _unreduced(node, self.shape, self.stores)
        if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)
                and node.func.attr == "full" and isinstance(node.func.value, gast.Name)
                and node.func.value.id == self.np_name and len(node.args) == 2
                and not node.keywords and isinstance(node.args[0], gast.Tuple)):
            return None
        dims = node.args[0].elts
        if not all(isinstance(d, gast.Constant) and type(d.value) is int for d in dims):
            return None
        g = node.args[1]
        if not all(self.stores.get(n.id, 0) <= 1 for n in gast.walk(g)
                   if isinstance(n, gast.Name)):
            return None   # g must mean the same wherever the spread is read
        return tuple(d.value for d in dims), g

    def foldable(self, binop, other, full_shape, g):
        if not isinstance(binop.op, (gast.Mult, gast.Add)) or self.shape(other) != full_shape:
            return False
        forward = isinstance(other, gast.Name) and other.id in self.shapes and \
            self.kinds_of.get(other.id) == F8 and (self.stores.get(other.id, 0) <= 1
                                                   or self.remade(other.id))
        return forward or self.array(g)

    def remade(self, name):
        """Whether the backward sweep binds the forward name `name` to its forward values
        only: popped (`name = stack.pop()`) or made again by the one expression the forward
        sweep assigns it (optimize/recompute.py). It then has its forward shape and kind
        wherever it is read (the `name = None` before a loop, pushed at its first step, is
        popped back only after the backward sweep's last read of the name)."""
        made = {gast.dump(st.value) for st in _all_statements(self.everything)
                if name_assign(st) == name and not _popped(st.value) and not (
                    isinstance(st.value, gast.Constant) and st.value.value is None)}
        bound = [st for st in _all_statements(self.backward) if name_assign(st) == name]
        stores = sum(isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Store)
                     for st in _statements(self.backward) for n in gast.walk(st))
        return stores == len(bound) and len(made) == 1 and all(
            _popped(st.value) or gast.dump(st.value) in made for st in bound)

    def inline(self, backward):
        """`dx + np.full(shape, g)` -> `dx + g`."""
        count = 0
        for stmt in _statements(backward):
            for node in gast.walk(stmt):
                if not isinstance(node, gast.BinOp):
                    continue
                for side, other in (("left", node.right), ("right", node.left)):
                    found = self.spread(getattr(node, side))
                    if found and self.foldable(node, other, *found):
                        setattr(node, side, found[1])
                        count += 1
                        break
        return count

    def named(self, backward, pure):
        """`dt = np.full(shape, g)` read only as such operands, with g a Python number (an
        array g could be written into in place between the spread and a use): dt dropped and
        g read in its place."""
        values = {name_assign(st): st.value for st in _all_statements(self.everything)
                  if name_assign(st) and self.stores.get(name_assign(st)) == 1}
        count = 0
        for block in _blocks(backward):
            for stmt in list(block):
                dt = name_assign(stmt)
                found = self.spread(stmt.value) if dt else None
                if not found or self.stores.get(dt) != 1:
                    continue
                if not (_number_expr(found[1], values, set())
                        or _plain_until_last_use(block, block.index(stmt), dt, pure)):
                    continue
                uses = [(node, side) for st in _statements(backward) for node in gast.walk(st)
                        if isinstance(node, gast.BinOp)
                        for side in ("left", "right")
                        if isinstance(getattr(node, side), gast.Name)
                        and getattr(node, side).id == dt]
                if len(uses) != self.loads.get(dt) or not all(
                        not _is_name(node.right if side == "left" else node.left, dt)
                        and self.foldable(node, node.right if side == "left" else node.left,
                                          *found)
                        for node, side in uses):
                    continue
                for node, side in uses:
                    setattr(node, side, copy.deepcopy(found[1]))
                block.remove(stmt)
                count += len(uses)
        return count


def _unreduced(node, shape, stores):
    """(x's shape, g) of `unreduce(g, x[, axis[, keepdims]])` spreading g over all of x (a full
    reduction's, or a keepdims one's: g broadcasts against x's shape), or None."""
    if node.keywords or not 2 <= len(node.args) <= 4:
        return None
    g, x = node.args[:2]
    axis = node.args[2] if len(node.args) > 2 else None
    keepdims = node.args[3] if len(node.args) > 3 else None
    full = axis is None or (isinstance(axis, gast.Constant) and axis.value is None)
    kept = isinstance(keepdims, gast.Constant) and keepdims.value is True
    if not (full or kept) or (keepdims is not None and not kept and not (
            isinstance(keepdims, gast.Constant) and keepdims.value is False)):
        return None
    found = shape(x)
    if found is None:
        return None
    if not all(stores.get(n.id, 0) <= 1 for n in gast.walk(g) if isinstance(n, gast.Name)):
        return None   # g must mean the same wherever the spread is read
    return found, g


def drop_unread(forward, everything, spelled):
    """Drop, in place, the forward sweep's top-level pure assignments nothing reads any more
    (after spreads were folded: the values only they read); whether any were."""
    spelling, dropped = Spelling(spelled), False
    while _drop_unread(forward, _reads(everything()), spelling):
        dropped = True
    return dropped


def _number_expr(node, values, seen):
    """Whether node is certainly a Python int or float: constants, sizes, + - * / and unary -
    of such, names bound once to such (values: name -> its one value)."""
    if isinstance(node, gast.Constant):
        return type(node.value) in (int, float)
    if reads_size(node):
        return True
    if negated(node) is not None:
        return _number_expr(negated(node), values, seen)
    if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Add, gast.Sub, gast.Mult,
                                                             gast.Div)):
        return _number_expr(node.left, values, seen) and \
            _number_expr(node.right, values, seen)
    if isinstance(node, gast.Name) and node.id in values and node.id not in seen:
        seen.add(node.id)
        return _number_expr(values[node.id], values, seen)
    return False


def _plain_until_last_use(block, at, dt, pure):
    """Whether every read of dt is in block after `at`, and every statement from there to the
    last read is a plain `name = pure expression` (nothing written in place: an array g reads
    the same wherever the spread is read)."""
    last = None
    for k in range(at + 1, len(block)):
        if not isinstance(block[k], Comment) and any(_is_name(n, dt)
                                                     for n in gast.walk(block[k])):
            last = k
    if last is None:
        return False
    for stmt in block[at + 1:last + 1]:
        if isinstance(stmt, Comment):
            continue
        if not name_assign(stmt) or not pure(stmt.value):
            return False
    return True


def _is_name(node, name):
    return isinstance(node, gast.Name) and node.id == name


def _all_statements(stmts):
    for stmt in _statements(stmts):
        yield stmt
        for attr in ("body", "orelse"):
            inner = getattr(stmt, attr, None)
            if isinstance(stmt, (gast.If, gast.For, gast.While)) and inner:
                yield from _all_statements(inner)


def _popped(value):
    """Whether value is `stack.pop()`: a forward value restored."""
    return (isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute)
            and value.func.attr == "pop" and not value.args and not value.keywords)


def _number(node):
    return isinstance(node, gast.Constant) and type(node.value) in (int, float) or \
        reads_size(node)


def _statements(stmts):
    for stmt in stmts:
        if not isinstance(stmt, Comment):
            yield stmt


def _blocks(stmts):
    yield stmts
    for stmt in stmts:
        for attr in ("body", "orelse"):
            inner = getattr(stmt, attr, None)
            if isinstance(stmt, (gast.If, gast.For, gast.While)) and inner:
                yield from _blocks(inner)
