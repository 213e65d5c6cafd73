"""Helper calls of a shape-specialised df written as the plain NumPy they come to.

The runtime helpers a backward sweep calls (`dot_lhs`, `unreduce`, `reduced_count`...) accept
any rank, dtype and array type, so each call first asks `np.ndim`, `shape_of`, `type(...)` of
its operands: microseconds a call, which at small sizes is a good part of a gradient (the
README benchmark's logistic regression spends as long in them as in its arithmetic). In a
variant compiled for known shapes (optimize/specialise.py, analysis/concrete.py) the answers
are known when df is written, so the call can be the one line of NumPy the helper would run:

- `dot_lhs(g, a, b)`, `dot_rhs(g, a, b)`, `matmul_lhs`, `matmul_rhs` for 1-D and 2-D operands:
  `np.dot(g, b.T)`, `np.dot(a.T, g)`, `g @ b.T`, `np.multiply.outer(a, g)`... (the helper's
  own branch for those ranks; the gradient g has the product's shape, as every adjoint in a
  specialised df has its value's shape);
- `reduced_count(a, axis)`: the int, or where the counted dims have symbols (sizes that
  varied between calls), the product of the parameters' dims that carry them (`X.shape[0]`):
  a parameter is bound all through df and the guard checks that dims sharing a symbol are
  equal, and the count no longer keeps `a` (a loss's terms) alive;
- `unreduce(g, x, axis, keepdims)` with no axis dropped (a full reduction, or keepdims) and
  x's shape without symbols, small enough that the helper fills a fresh array rather than
  returning a broadcast view: `np.full(shape, g)`, which is that array (same dtype: np.full
  takes g's, as unreduce does).

- `sum_product(a, b, x)` / `sum_quotient(a, b, x)` (optimize/fused.py) where the shapes decide
  the helper's branch whatever the dtypes: operands of x's shape, `a * b` (`a * b / x`); or
  at most 4096 elements (runtime/fused.py's _SMALL_DOT) summed down to a shape that is neither
  theirs nor (), the helper's own fallback `unbroadcast(a * b, x)` written as the sums it is
  (`(dd * xhat).sum(axis=0)`, `(g * xhat).sum(axis=1, keepdims=True) / s`). An adjoint has
  its value's shape in a specialised df, so `shapes` may name adjoints too.
- `sum_product(a, b, x)` / `sum_quotient(a, b, x)` summed to a number (x of shape ()) from
  operands of one shape, where every value f computes is a float64 or an int (`real`, from
  analysis/dtype_kinds.py's kinds: then every adjoint is float64 too): `np.vdot(a, b)` (`/ x`),
  one BLAS dot, at every size. The helper takes np.einsum for a large operand that is not
  contiguous (a convolution tap's `x[:, k:k + L]`), which is slower than vdot's copy and dot
  (conv1d 32x4096x9: 1.14x -> 1.06x the hand-written gradient); vdot conjugates its first
  operand, so it is written only where no value is complex.

A name's shape is used only where the concrete analysis gives every binding of it the same
shape; anything it cannot prove keeps the helper call.
"""
import gast

from .. import ir
from ..analysis.shape_rules import broadcast
from ..ir import Comment
from ..ir import syntax as s
from ..ir.syntax import int_literal
from ..ir.uses import write_counts

_SMALL = 1 << 16   # runtime/core.py's unreduce returns a fresh array below this many elements
_SMALL_DOT = 1 << 12   # runtime/fused.py: below this, a sum of products is its fallback


def known_shapes(fn, concrete, params):
    """name -> shape for the names of fn that hold one shape wherever they are bound (the
    parameters' from the signature, the others' from the concrete analysis)."""
    seen = {}

    def note(name, shape):
        if seen.get(name, shape) != shape:
            shape = None
        seen[name] = shape

    for name, shape in params.items():
        note(name, shape)
    for env in concrete.before.values():
        for name, shape in env.items():
            note(name, shape)
    for st in ir.walk(fn.body):
        if isinstance(st, ir.Assign) and id(st) in concrete.before:
            for t in st.targets:
                note(t, concrete.result(st) if len(st.targets) == 1 else None)
        elif isinstance(st, ir.For):
            note(st.target, None if st.target not in concrete.counters else ())
    return {n: sh for n, sh in seen.items() if type(sh) is tuple}   # no container Entries


def all_real(fn, kinds_of):
    """Whether every name fn binds has a kind in kinds_of (analysis/dtype_kinds.py: a float64 or
    an int wherever it is bound): then no value of f is complex or of another float dtype, and
    neither is any adjoint (the seed is a float64 and every rule's result is made of f's
    values and adjoints). A loop counts over a range object (ir.For): a counter bound by
    loops alone is an int, and a range bound once is the one the loop counts over."""
    counts, loops = write_counts(fn)
    ranges = {loop.iter for loop in loops}
    bindings = {**counts, **{name: counts.get(name, 0) + 1 for name in fn.params}}
    for name, n in bindings.items():
        if name not in kinds_of and not (name in ranges and n == 1):
            return False
    return True   # the counters bound by loops alone are ints


def lower(body, shapes, spelled, np_attr, params=(), real=False):
    """Rewrite, in place, the helper calls of the statements `body` that `shapes` (name ->
    shape) prove; np_attr(name) is `np.name` as df spells it; params: df's parameters (their
    dims may stand for a symbol); real: every value of f and every adjoint is a float64 or an
    int (all_real). Returns how many."""
    lowering = _Lowering(shapes, spelled, np_attr, params, real)
    for k, stmt in enumerate(body):
        if not isinstance(stmt, Comment):
            body[k] = lowering.visit(stmt)
    return lowering.count


class _Lowering(gast.NodeTransformer):
    def __init__(self, shapes, spelled, np_attr, params, real):
        self.shapes, self.np_attr, self.count, self.real = shapes, np_attr, 0, real
        self.symbols = {}   # a symbolic dim -> (parameter, axis) that has it
        for p in params:
            for k, d in enumerate(shapes.get(p) or ()):
                if isinstance(d, str):
                    self.symbols.setdefault(d, (p, k))
        self.helpers = {}
        for helper in ("dot_lhs", "dot_rhs", "matmul_lhs", "matmul_rhs", "reduced_count",
                       "unreduce", "sum_product", "sum_quotient"):
            name = spelled(helper)
            if name is not None:
                self.helpers[name] = helper

    def visit_Call(self, node):
        self.generic_visit(node)
        if not isinstance(node.func, gast.Name) or node.func.id not in self.helpers:
            return node
        out = getattr(self, "_" + self.helpers[node.func.id])(node)
        if out is None:
            return node
        self.count += 1
        return out

    def _shape(self, node):
        return self.shapes.get(node.id) if isinstance(node, gast.Name) else None

    def _ranks(self, node, n):
        """(g, a, b, rank of a, rank of b) of a product helper's call, or None."""
        if node.keywords or len(node.args) != n:
            return None
        g, a, b = node.args
        sa, sb = self._shape(a), self._shape(b)
        if sa is None or sb is None:
            return None
        return g, a, b, len(sa), len(sb)

    def _outer(self, x, y):
        return s.call(gast.Attribute(value=self.np_attr("multiply"), attr="outer",
                                     ctx=gast.Load()), [x, y])

    def _dot(self, x, y):
        return s.call(self.np_attr("dot"), [x, y])

    def _dot_lhs(self, node):
        got = self._ranks(node, 3)
        if got is None:
            return None
        g, a, b, na, nb = got
        if nb == 2 and na >= 1:
            return self._dot(g, _t(b))             # (..., n) . (n, k)
        if na == 2 and nb == 1:
            return self._outer(g, b)
        return None

    def _dot_rhs(self, node):
        got = self._ranks(node, 3)
        if got is None:
            return None
        g, a, b, na, nb = got
        if na == 2 and nb == 2:
            return self._dot(_t(a), g)
        if na == 2 and nb == 1:
            return self._dot(g, a)                 # (m,) . (m, k)
        if na == 1 and nb == 2:
            return self._outer(a, g)
        return None

    def _matmul_lhs(self, node):
        got = self._ranks(node, 3)
        if got is None:
            return None
        g, a, b, na, nb = got
        if na == 2 and nb == 2:
            return _matmul(g, _t(b))
        if na == 2 and nb == 1:
            return self._outer(g, b)
        return None

    def _matmul_rhs(self, node):
        got = self._ranks(node, 3)
        if got is None:
            return None
        g, a, b, na, nb = got
        if na == 2 and nb == 2:
            return _matmul(_t(a), g)
        if na == 2 and nb == 1:
            return _matmul(g, a)
        if na == 1 and nb == 2:
            return self._outer(a, g)
        return None

    def _reduced_count(self, node):
        args = list(node.args)
        for kw in node.keywords:
            if kw.arg != "axis":
                return None
            args.append(kw.value)
        if not args or len(args) > 2:
            return None
        shape = self._shape(args[0])
        if shape is None:
            return None
        axes = _axes(args[1] if len(args) == 2 else s.const(None), len(shape))
        if axes is None or not all(isinstance(shape[k], int) or shape[k] in self.symbols
                                   for k in axes):
            return None
        n, out = 1, None
        for k in axes:
            if isinstance(shape[k], int):
                n *= shape[k]
                continue
            p, axis = self.symbols[shape[k]]
            dim = gast.Subscript(value=s.attr(s.name(p), "shape"), slice=s.const(axis),
                                 ctx=gast.Load())
            out = dim if out is None else gast.BinOp(left=out, op=gast.Mult(), right=dim)
        if out is None:
            return s.const(n)
        return out if n == 1 else gast.BinOp(left=out, op=gast.Mult(), right=s.const(n))

    def _unreduce(self, node):
        if node.keywords or not 2 <= len(node.args) <= 4:
            return None
        g, x = node.args[:2]
        axis = node.args[2] if len(node.args) > 2 else s.const(None)
        keepdims = node.args[3] if len(node.args) > 3 else s.const(False)
        if not (_is_const(axis, None) or _is_const(keepdims, True)):
            return None   # the reduced axes are dropped: the helper puts them back
        shape = self._shape(x)
        if shape is None or not all(isinstance(d, int) for d in shape):
            return None
        size = 1
        for d in shape:
            size *= d
        if size > _SMALL:
            return None   # the helper returns a read-only broadcast view there
        return s.call(self.np_attr("full"), [s.tuple_([s.const(d) for d in shape]), g])


    def _sum_product(self, node):
        return self._fused(node, quotient=False)

    def _sum_quotient(self, node):
        return self._fused(node, quotient=True)

    def _fused(self, node, quotient):
        if node.keywords or len(node.args) != 3:
            return None
        a, b, x = node.args
        sa, sb, sx = self._shape(a), self._shape(b), self._shape(x)
        if any(sh is None or not all(isinstance(d, int) for d in sh) for sh in (sa, sb, sx)):
            return None
        if sx == () and sa == sb and sa != () and self.real:
            total = s.call(self.np_attr("vdot"), [a, b])
            return gast.BinOp(left=total, op=gast.Div(), right=x) if quotient else total
        if sx == () or (sa == sb and sa != sx and _size(sa) > _SMALL_DOT):
            return None   # np.vdot or np.einsum, which the dtypes decide
        product = gast.BinOp(left=a, op=gast.Mult(), right=b)
        summed = _summed_to(product, broadcast([sa, sb]), sx)
        if summed is None or not quotient:
            return summed
        return gast.BinOp(left=summed, op=gast.Div(), right=x)   # the helper's sum, then / x


def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _summed_to(g, result, shape):
    """unbroadcast(g, x) for g of shape `result` and x of `shape`, as the sums it runs."""
    if result is None or len(result) < len(shape):
        return None
    if result == shape:
        return g
    lead = len(result) - len(shape)
    if any(d != 1 and d != result[lead + k] for k, d in enumerate(shape)):
        return None
    kept = tuple(k for k, d in enumerate(shape) if d == 1 and result[lead + k] != 1)
    return s.summed(g, tuple(range(lead)), kept)


def _t(node):
    return gast.Attribute(value=node, attr="T", ctx=gast.Load())


def _matmul(x, y):
    return gast.BinOp(left=x, op=gast.MatMult(), right=y)


def _is_const(node, value):
    return isinstance(node, gast.Constant) and node.value is value


def _axes(node, rank):
    """The axes an `axis` argument names (all for None), or None where it is not constant."""
    if _is_const(node, None):
        return tuple(range(rank))
    items = node.elts if isinstance(node, gast.Tuple) else [node]
    out = []
    for item in items:
        value = int_literal(item)
        if type(value) is not int or not -rank <= value < rank:
            return None
        out.append(value % rank)
    return tuple(out)
