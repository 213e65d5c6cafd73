"""The slice helpers of a specialised vjp written as the NumPy they run (part of pass "lower").

A user function called from differentiated code has its own vjp, called at every call: the
ODE's right-hand side `np.concatenate([x[:1], x[1:] * y[:-1]])` four times a Runge-Kutta step.
Its backward sweep is three helpers (optimize/pieces.py, optimize/slices.py),

    parts = unconcatenate(dresult, [t_item, None], 0)
    dy = unindex_product(dt_mul, t_item2, t_item3, y, np.s_[:-1])
    dx = set_at(dx, np.s_[:1], dt_item)

each of which first checks the types, dtypes and shapes of its operands to pick its fast form:
at n = 1000 the checks and calls cost as much as the arithmetic. In a vjp's variant compiled
for known dtypes and shapes (specialiser.py: the guard checks the seed and every parameter)
the fast form is known when df is written, and written out:

    parts = (dresult[:1], dresult[1:])
    dy = np.zeros(1000)
    np.multiply(dt_mul, t_item2, out=dy[:999])
    dx[:1] = dt_item

What it proves, statement by statement in the top-level block: a name is a float64 ndarray
of a known shape where it is a parameter or the seed of that dtype (the signature), a value
the dtype analysis (analysis/dtype_kinds.py) gives float64 everywhere and the shape analysis a
shape of rank >= 1 (an operation on the guard's ndarrays), a piece of such an array taken by
an earlier lowered `unconcatenate`, or an array an earlier lowered call made; a name stored
again later (in a loop, a branch, or an assignment this pass does not know) is forgotten from
there. Then, as runtime/indexing.py and runtime/shapes.py decide from the values:

- `unconcatenate(g, [a, ..., None], axis)`, g known, every piece but the last of a known
  length along a constant axis: the views `g[lo:hi]` the helper returns (a tuple: every read
  of `parts` must be `parts[k]`, where a tuple and the helper's list are the same);
- `unindex_product(a, b, t, x, np.s_[lo:hi])`, a, b, t of the slice's shape, x 1-D, all
  float64: the helper's `_product_into`, zeros (or, from 64 KB, an empty array zeroed outside
  the slice) with `np.multiply(a, b, out=...)` into the slice: the same ufunc, the same bits;
- `set_at(g, np.s_[lo:hi], v)`, g and v float64 arrays: `g[lo:hi] = v`, the helper's own
  assignment for a NumPy array and a value of its dtype;
- `dx = unindex(t, x, np.s_[lo:hi])` where `t = a * b` came earlier in the block, t assigned
  and read once in df and only pure assignments to other names between (slices.py's proof),
  a and b float64 arrays of the slice's shape: as unindex_product above, the product not
  made on its own. (A specialised df writes `sum_product(g, b, t)` as `g * b` where the
  shapes are equal, which slices.py, looking for sum_product, leaves apart; the add into
  the other slice then stays `add_at`:)
- `add_at(g, np.s_[lo:hi], v)`, g a known NumPy array: the helper's `g[lo:hi] += v`.

Anything else keeps its helper call.
"""
import gast

from ..ir import Comment
from ..ir import syntax as s
from ..ir.syntax import int_literal
from .algebra import Spelling
from .copies import name_counts
from .slices import later_reader

_EMPTY_FROM = 1 << 16   # runtime/indexing.py: from this many bytes, empty + zeros outside


def lower_slices(body, everything, shapes, float64, seed, spelled, np_attr):
    """Rewrite, in place, the helper calls of the top-level statements `body` (a specialised
    vjp's backward sweep) that the facts prove. shapes: name -> shape for names bound to one
    shape; float64: names every binding of which is float64 (optimize/dtypes.py's kinds);
    seed: (name, shape) of the seed where the guard checks a float64 array, else None.
    everything: all of df's statements. Returns how many calls it wrote as NumPy."""
    helpers = {spelled(h): h for h in ("unconcatenate", "unindex_product", "set_at", "unindex",
                                       "add_at")}
    helpers.pop(None, None)
    if not helpers:
        return 0
    lowering = _Lowering(body, shapes, float64, helpers, np_attr)
    lowering.products = _products(body, everything, spelled, lowering.helpers)
    if seed is not None:
        lowering.arrays[seed[0]] = seed[1]
    return lowering.run()


class _Lowering:
    def __init__(self, body, shapes, float64, helpers, np_attr):
        self.body, self.helpers, self.np_attr = body, helpers, np_attr
        self.all_shapes = shapes
        # float64 ndarrays of a known shape, for every binding (the analyses' facts)
        self.fixed = {n: sh for n, sh in shapes.items()
                      if n in float64 and type(sh) is tuple and len(sh) >= 1
                      and all(type(d) is int for d in sh)}
        self.arrays = {}     # name -> shape: float64 ndarrays from here on (this block)
        self.pieces = {}     # name -> [shape of each piece]: a lowered unconcatenate's tuple
        self.count = 0

    def shape(self, node):
        if not isinstance(node, gast.Name):
            return None
        if node.id in self.arrays:
            return self.arrays[node.id]
        return self.fixed.get(node.id)

    def run(self):
        out, self.placed, self.dropped = [], {}, set()
        for k, stmt in enumerate(self.body):
            self.at = k
            new = None if isinstance(stmt, Comment) else self.statement(stmt)
            if new is None:
                self.forget(stmt)
                self.placed[k] = len(out)
                out.append(stmt)
            else:
                self.count += 1
                out.extend(new)
        self.body[:] = [st for k, st in enumerate(out) if k not in self.dropped]
        return self.count

    def forget(self, stmt):
        """A statement not lowered: what it stores is no longer known from here on, except a
        piece read `name = parts[k]` of a lowered unconcatenate (a view of a known array)."""
        if isinstance(stmt, Comment):
            return
        for name in name_counts([stmt])[1]:
            self.arrays.pop(name, None)
            self.pieces.pop(name, None)
        if (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], gast.Name)):
            value = stmt.value
            if (isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name)
                    and value.value.id in self.pieces and isinstance(value.slice, gast.Constant)
                    and type(value.slice.value) is int
                    and 0 <= value.slice.value < len(self.pieces[value.value.id])):
                self.arrays[stmt.targets[0].id] = \
                    self.pieces[value.value.id][value.slice.value]

    def statement(self, stmt):
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], gast.Name)
                and isinstance(stmt.value, gast.Call) and isinstance(stmt.value.func, gast.Name)
                and stmt.value.func.id in self.helpers and not stmt.value.keywords):
            return None
        target, call = stmt.targets[0].id, stmt.value
        return getattr(self, "_" + self.helpers[call.func.id])(target, call.args)

    # -- the helpers ------------------------------------------------------------------------

    def _unconcatenate(self, target, args):
        if len(args) != 3 or not isinstance(args[1], (gast.List, gast.Tuple)):
            return None
        g, arrays, axis = args
        shape = self.shape(g)
        if (shape is None or not isinstance(axis, gast.Constant) or type(axis.value) is not int
                or not -len(shape) <= axis.value < len(shape) or not self._indexed_only(target)):
            return None
        axis = axis.value % len(shape)
        cuts, start = [], 0
        for k, a in enumerate(arrays.elts):
            last = k == len(arrays.elts) - 1
            if isinstance(a, gast.Constant) and a.value is None and last:
                stop = shape[axis]
            else:
                sa = self._any_shape(a)
                if sa is None or len(sa) != len(shape) or type(sa[axis]) is not int:
                    return None
                stop = start + sa[axis]
            if stop > shape[axis]:
                return None
            cuts.append((start, None if stop == shape[axis] and last else stop))
            start = stop
        if start != shape[axis]:
            return None    # the pieces do not cover g: the helper's own error or result
        lead = [gast.Slice(lower=None, upper=None, step=None)] * axis
        views, pieces = [], []
        for lo, hi in cuts:
            index = gast.Slice(lower=s.const(lo) if lo else None,
                               upper=None if hi is None else s.const(hi), step=None)
            index = gast.Tuple(elts=[s.copy(i) for i in lead] + [index], ctx=gast.Load()) \
                if lead else index
            views.append(gast.Subscript(value=s.copy(g), slice=index, ctx=gast.Load()))
            pieces.append(shape[:axis] + ((hi if hi is not None else shape[axis]) - lo,)
                          + shape[axis + 1:])
        self.forget_name(target)
        self.pieces[target] = pieces
        return [s.assign(target, s.tuple_(views))]

    def _any_shape(self, node):
        """A piece's shape: known here, or from the shape analysis whatever its dtype."""
        out = self.shape(node)
        if out is None and isinstance(node, gast.Name):
            out = self.all_shapes.get(node.id)
        return out if type(out) is tuple and all(type(d) is int for d in out) else None

    def _indexed_only(self, name):
        """Whether every read of `name` in the block is `name[k]`, k an int constant."""
        reads = indexed = 0
        for node in _nodes(self.body):
            if isinstance(node, gast.Name) and node.id == name and \
                    isinstance(node.ctx, gast.Load):
                reads += 1
            elif (isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name)
                  and node.value.id == name and isinstance(node.slice, gast.Constant)
                  and type(node.slice.value) is int):
                indexed += 1
        return reads == indexed

    def _unindex(self, target, args):
        """`dx = unindex(dt, x, np.s_[lo:hi])` where `dt = a * b` came earlier (products):
        the product into the slice of zeros, as unindex_product computes it."""
        if len(args) != 3 or self.at not in self.products:
            return None
        at, a, b = self.products[self.at]
        if at not in self.placed or self.shape(a) is None or self.shape(a) != self.shape(b):
            return None
        out = self._product_into(target, a, b, a, args[1], args[2])
        if out is not None:
            self.dropped.add(self.placed[at])
        return out

    def _add_at(self, target, args):
        """`d = add_at(g, np.s_[lo:hi], v)`, g a known NumPy array: the helper's own
        `g[lo:hi] += v`."""
        if len(args) != 3 or not isinstance(args[0], gast.Name) or self.shape(args[0]) is None:
            return None
        g, index, v = args
        bounds = _slice_bounds(index)
        if bounds is None:
            return None
        lo, hi, _ = slice(*bounds).indices(self.shape(g)[0])
        out = [gast.AugAssign(target=gast.Subscript(value=s.name(g.id),
                                                    slice=_slice(lo, hi, self.shape(g)[0]),
                                                    ctx=gast.Store()),
                              op=gast.Add(), value=s.copy(v))]
        if target != g.id:
            out.append(s.assign(target, s.name(g.id)))
            self.forget_name(target)
            self.arrays[target] = self.shape(g)
        return out

    def _unindex_product(self, target, args):
        if len(args) != 5:
            return None
        return self._product_into(target, *args)

    def _product_into(self, target, a, b, t, x, index):
        sx = self.shape(x)
        bounds = _slice_bounds(index)
        if sx is None or len(sx) != 1 or bounds is None:
            return None
        lo, hi, step = slice(*bounds).indices(sx[0])
        length = len(range(lo, hi, step))
        if step != 1 or length == 0:
            return None
        for operand in (a, b):
            if self.shape(operand) != (length,):
                return None
        if self._any_shape(t) != (length,):
            return None
        n = sx[0]
        if n * 8 < _EMPTY_FROM:
            out = [s.assign(target, s.call(self.np_attr("zeros"), [s.const(n)]))]
        else:
            out = [s.assign(target, s.call(self.np_attr("empty"), [s.const(n)]))]
            if lo:
                out.append(_set(target, gast.Slice(lower=None, upper=s.const(lo), step=None),
                                s.const(0)))
            if hi < n:
                out.append(_set(target, gast.Slice(lower=s.const(hi), upper=None, step=None),
                                s.const(0)))
        part = gast.Subscript(value=s.name(target), slice=_slice(lo, hi, n), ctx=gast.Load())
        out.append(s.expr(s.call(self.np_attr("multiply"), [s.copy(a), s.copy(b)],
                                 [gast.keyword(arg="out", value=part)])))
        self.forget_name(target)
        self.arrays[target] = sx
        return out

    def _set_at(self, target, args):
        if len(args) != 3:
            return None
        g, index, v = args
        sg, sv = self.shape(g), self.shape(v)
        bounds = _slice_bounds(index)
        if sg is None or sv is None or bounds is None or not isinstance(g, gast.Name):
            return None
        lo, hi, step = slice(*bounds).indices(sg[0])
        if step != 1 or (max(hi - lo, 0),) + sg[1:] != sv:
            return None    # `g[index] = v` would broadcast, or fail: the helper decides
        out = [_set(g.id, _slice(lo, hi, sg[0]), s.copy(v))]
        if target != g.id:
            out.append(s.assign(target, s.name(g.id)))
            self.forget_name(target)
            self.arrays[target] = sg
        return out

    def forget_name(self, name):
        self.arrays.pop(name, None)
        self.pieces.pop(name, None)


def _products(body, everything, spelled, helpers):
    """{position of `dx = unindex(t, x, index)`: (position of `t = a * b`, a, b)} in the
    block `body`, where t is assigned and read once in df (`everything`) and the statements
    between only compute pure values into other names than t, a and b (slices.py's proof
    for unindex_product): the product may be computed into the slice instead. A shape
    specialised df writes `sum_product(g, b, t)` as `g * b` where the shapes are equal, so
    that slices.py, which looks for sum_product, leaves the pair apart."""
    unindex = next((k for k, h in helpers.items() if h == "unindex"), None)
    if unindex is None:
        return {}
    loads, stores = name_counts(everything)
    spelling = Spelling(spelled)
    out = {}
    for i, stmt in enumerate(body):
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], gast.Name)
                and isinstance(stmt.value, gast.BinOp) and isinstance(stmt.value.op, gast.Mult)
                and isinstance(stmt.value.left, gast.Name)
                and isinstance(stmt.value.right, gast.Name)):
            continue
        t = stmt.targets[0].id
        if loads.get(t) != 1 or stores.get(t) != 1:
            continue
        a, b = stmt.value.left, stmt.value.right

        def reads_t(value, t=t):
            return (isinstance(value, gast.Call) and isinstance(value.func, gast.Name)
                    and value.func.id == unindex and len(value.args) == 3
                    and not value.keywords and isinstance(value.args[0], gast.Name)
                    and value.args[0].id == t)
        j = later_reader(body, i, {t, a.id, b.id}, reads_t, spelling)
        if j is not None:
            out[j] = (i, a, b)
    return out


def _nodes(stmts):
    """Every gast node of the statements `stmts` (comments left out, at any depth)."""
    todo = [st for st in stmts if not isinstance(st, Comment)]
    while todo:
        node = todo.pop()
        yield node
        for field in node._fields:
            value = getattr(node, field, None)
            if type(value) is list:
                todo.extend(v for v in value if isinstance(v, gast.AST))
            elif isinstance(value, gast.AST):
                todo.append(value)


def _set(name, index, value):
    return gast.Assign(targets=[gast.Subscript(value=s.name(name), slice=index,
                                               ctx=gast.Store())],
                       value=value, type_comment=None)


def _slice(lo, hi, n):
    return gast.Slice(lower=s.const(lo) if lo else None,
                      upper=s.const(hi) if hi < n else None, step=None)


def _slice_bounds(node):
    """(lo, hi, None) of a constant `np.s_[lo:hi]` (int or absent bounds, no step), or None."""
    if not (isinstance(node, gast.Subscript) and isinstance(node.value, gast.Attribute)
            and node.value.attr == "s_" and isinstance(node.slice, gast.Slice)
            and node.slice.step is None):
        return None
    out = []
    for bound in (node.slice.lower, node.slice.upper):
        if bound is None:
            out.append(None)
            continue
        value = int_literal(bound)
        if value is None:
            return None
        out.append(value)
    return out[0], out[1], None
