"""Slices of a parameter's row read in a loop: their gradients added straight into the row of the
parameter's gradient, without a zero row in between.

The ADBench LSTM reads `weight = main_params[2 * i]` and then four slices of it (`weight[:b]`,
`weight[b:2 * b]`, ...) in every step. The rules give each slice read its own contribution, and
the row read one more:

    dweight = unindex(dt_item13, weight, np.s_[3 * b:])       # zeros like the row, a slice set
    ...
    dweight = add_at(dweight, np.s_[2 * b:3 * b], dt_item10)  # the other slices added in
    ...
    dmain_params = add_at(dmain_params, 2 * i, dweight)       # the row added to the gradient

five helper calls and a zero row made and summed, only to be added into a row of
`dmain_params`. This pass writes the chain as one call where the row was added:

    dmain_params = add_row_slices(dmain_params, 2 * i, weight, (np.s_[3 * b:], ...),
                                  (dt_item13, ...))

and runtime/indexing.py `add_row_slices` does `row[3 * b:] += dt_item13` ... into
`row = dmain_params[2 * i]` where the gradient is a NumPy array (or a list gradient's array
entry) whose row has the shape and the float dtype of `weight` and of every slice's gradient,
and the rules' own chain otherwise.

What it proves, so that the gradient is the same number for number:
- `dx` (`dweight`) is read and written in df only by the chain, whose statements are in one
  block: the zero row, the slices added to it, the add into `dg` (`dmain_params`), in that
  order. dg is updated where it was, so nothing else sees a different order of its updates;
- the slices are disjoint: each is `[lo:hi]` (or one position) whose bounds are sums of
  non-negative multiples of sizes read of arrays (`b = sequence.shape[1]`, `x.size`, through
  names assigned once in df: `t_mul10 = 3 * b`) and non-negative constants, and for every two,
  one ends where or before the other starts whatever the sizes. So each element of the row
  receives one slice's value: `dg[row] + (0 + v)` is `dg[row] + v` (up to the sign of a zero).
  Overlapping slices (`x[:b]` and `x[1:b + 1]`) add up in the zero row first, a different order
  of the same sums: those chains are left as they are;
- each slice's gradient and index are evaluated where the row is added instead of where the
  slice was: between the two, no statement assigns a name they read (or `x`), and none writes in
  place into an array the gradient's name may share (`dr += e`, `add_at(dr, ...)`, a subscript
  write, a call that may write into its arguments), where "may share" follows df's assignments
  through everything that may return an argument's array (`unbroadcast(g, x)` may be g, a popped
  value may be any pushed one, a vjp may return its argument).
"""
import gast
import numpy as np

from . import enabled
from .algebra import Spelling
from .copies import name_counts
from ..ir import Comment
from ..runtime import __all__ as HELPERS
from ..runtime.meta import is_fresh, shape_args

# Helpers that may write into an argument in place (the first): the rest only compute.
_IN_PLACE = frozenset(["add_at", "scatter_add", "scatter_subtract", "scatter_multiply",
                       "scatter_maximum", "scatter_minimum"])
_STACK = object()   # the stack: a popped value may be any pushed one
INFINITY = None     # the upper bound of a slice without one
# Helpers whose result may be their first argument's array (or a list holding its entries),
# never another argument's: the others are added in, read for their shape, or an index.
_FIRST = frozenset(["unbroadcast", "unreduce", "add_at", "add_item", "add_grads", "unset",
                    "add_row_slices", "grad_like", "owned"])


def slices_into_rows(backward, everything, spelled, call):
    """Rewrite the statement list `backward` in place. everything: all of df's statements;
    spelled(helper): how generated code spells a runtime helper (None: it does not call it);
    call(helper, args): a call of a runtime helper, spelled as generated code spells it."""
    if not enabled("rows"):
        return
    unindex, add_at = spelled("unindex"), spelled("add_at")
    if unindex is None or add_at is None:
        return
    helpers = {spelled(h): h for h in HELPERS if spelled(h) is not None}
    loads, stores = name_counts(everything)
    facts = _Facts(everything, stores, helpers, Spelling(spelled))
    _block(backward, unindex, add_at, loads, stores, facts, call)


def _block(stmts, unindex, add_at, loads, stores, facts, call):
    for stmt in stmts:
        for attr in ("body", "orelse"):
            inner = getattr(stmt, attr, None)
            if isinstance(inner, list):
                _block(inner, unindex, add_at, loads, stores, facts, call)
    i = 0
    while i < len(stmts):
        found = _chain(stmts, i, unindex, add_at, loads, stores, facts)
        if found is None:
            i += 1
            continue
        pieces, final = found
        dg, row = stmts[final].targets[0].id, stmts[final].value.args[1]
        x = stmts[i].value.args[1]
        stmts[final].value = call("add_row_slices", [
            gast.Name(id=dg, ctx=gast.Load(), annotation=None, type_comment=None), row, x,
            gast.Tuple(elts=[index for _, index, _ in pieces], ctx=gast.Load()),
            gast.Tuple(elts=[value for _, _, value in pieces], ctx=gast.Load())])
        for k, _, _ in reversed(pieces):
            del stmts[k]


def _call_of(stmt, func, nargs):
    """`target = func(args)` with a Name target and nargs positional arguments: (target, args)."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name)):
        return None
    value = stmt.value
    if not (isinstance(value, gast.Call) and isinstance(value.func, gast.Name)
            and value.func.id == func and len(value.args) == nargs and not value.keywords):
        return None
    return stmt.targets[0].id, value.args


def _chain(stmts, i, unindex, add_at, loads, stores, facts):
    """([(position, index, value)] of the zero row and the slices added to it, position of the
    add into the gradient) for a chain starting at stmts[i], or None."""
    first = _call_of(stmts[i], unindex, 3)
    if first is None or not isinstance(first[1][1], gast.Name):
        return None
    dx, (value, x, index) = first
    pieces = [(i, index, value)]
    final = None
    for j in range(i + 1, len(stmts)):
        if isinstance(stmts[j], Comment) or not any(
                isinstance(n, gast.Name) and n.id == dx for n in gast.walk(stmts[j])):
            continue
        added = _call_of(stmts[j], add_at, 3)
        if added is None:
            return None
        target, (g, where, v) = added
        if not (isinstance(g, gast.Name) and target == g.id):
            return None
        if target == dx:
            pieces.append((j, where, v))
            continue
        if isinstance(v, gast.Name) and v.id == dx:
            final = j
        break
    if final is None:
        return None
    # dx is read and written only by the chain
    if stores.get(dx) != len(pieces) or loads.get(dx) != len(pieces):
        return None
    intervals = []
    for _, where, v in pieces:
        interval = facts.interval(where)
        if interval is None or not isinstance(v, gast.Name):
            return None
        intervals.append(interval[:2])
    if not _disjoint(intervals):
        return None
    chain = {k for k, _, _ in pieces}
    for k, where, v in pieces:
        read = _names(where) | {v.id} | ({x.id} if k == i else set())
        shared = facts.sharing(v.id)
        for stmt in stmts[k + 1:final]:
            if isinstance(stmt, Comment) or id(stmt) in {id(stmts[c]) for c in chain}:
                continue
            assigned, written = facts.effects(stmt)
            if assigned & read or written & shared:
                return None
    return pieces, final


def _names(node):
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}


class _Facts:
    """What the pass needs to know of df's names: their values as sums of multiples of sizes
    (for names assigned once), which names may hold the same array, what a statement assigns
    and writes into in place."""

    def __init__(self, everything, stores, helpers, spelling):
        self.helpers, self.spelling = helpers, spelling
        self.defs = {}
        self.parent = {}
        for stmt in everything:
            if isinstance(stmt, Comment):
                continue
            for node in gast.walk(stmt):
                if (isinstance(node, gast.Assign) and len(node.targets) == 1
                        and isinstance(node.targets[0], gast.Name)
                        and stores.get(node.targets[0].id) == 1):
                    self.defs[node.targets[0].id] = node.value
                if isinstance(node, (gast.Assign, gast.AugAssign, gast.For, gast.Expr)):
                    self._link(node)

    # -- which names may share an array (union-find) ----------------------------------------

    def _find(self, a):
        while a in self.parent:
            a = self.parent[a]
        return a

    def _union(self, a, b):
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            self.parent[ra] = rb

    def _link(self, node):
        if isinstance(node, gast.Expr):
            value = node.value
            if (isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute)
                    and value.func.attr == "push"):
                for a in value.args:
                    for n in self._operands(a):
                        self._union(n, _STACK)
            else:
                names = list(self._operands(value))
                for n in names[1:]:
                    self._union(names[0], n)
            return
        if isinstance(node, gast.AugAssign):
            return   # x += e: x keeps its array (or a number)
        targets = _names(node.target) if isinstance(node, gast.For) else \
            {n for t in node.targets for n in _names(t)}
        value = node.iter if isinstance(node, gast.For) else node.value
        for source in self._sources(value):
            for t in targets:
                self._union(t, source)

    def _sources(self, value):
        """The names (or _STACK) whose array `value` may be or contain."""
        if isinstance(value, (gast.BinOp, gast.UnaryOp, gast.Compare, gast.BoolOp,
                              gast.Constant)):
            return set()   # a new array or an immutable number
        if isinstance(value, gast.Call):
            func = value.func
            if isinstance(func, gast.Attribute) and func.attr == "pop" and not value.args:
                return {_STACK}
            if isinstance(func, gast.Name) and func.id in self.helpers:
                helper = self.helpers[func.id]
                if is_fresh(helper):
                    return set()
                if helper in _FIRST and value.args:
                    return self._operands(value.args[0])
                skip = set(shape_args(helper))
                return {n for k, a in enumerate(value.args) if k not in skip
                        for n in self._operands(a)} | \
                    {n for kw in value.keywords for n in self._operands(kw.value)}
            if (self.spelling.pure_call(value) and isinstance(func, gast.Attribute)
                    and isinstance(getattr(np, func.attr, None), np.ufunc)):
                return set()   # np.exp(x): a new array
            return {n for a in value.args for n in self._operands(a)} | \
                {n for kw in value.keywords for n in self._operands(kw.value)} | \
                (self._operands(func.value) if isinstance(func, gast.Attribute) else set())
        return self._operands(value)

    def _operands(self, node):
        """The names of values in `node`: not the functions it calls nor NumPy's module."""
        called = {id(n.func) for n in gast.walk(node) if isinstance(n, gast.Call)}
        return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)
                and id(n) not in called and n.id != self.spelling.np}

    def sharing(self, name):
        """The names that may hold `name`'s array (or an array it holds)."""
        root = self._find(name)
        out = {n for n in self.parent if self._find(n) == root} | {root, name}
        return {n for n in out if n is not _STACK}

    # -- what a statement does ----------------------------------------------------------------

    def effects(self, stmt):
        """(names assigned, names whose array may be written in place) by `stmt`."""
        assigned, written = set(), set()
        for node in gast.walk(stmt):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                assigned.add(node.id)
            if isinstance(node, gast.AugAssign):
                written |= _names(node.target)
            elif isinstance(node, (gast.Assign, gast.Delete)):
                for t in getattr(node, "targets", []):
                    if not isinstance(t, gast.Name):
                        written |= _names(t)
            if isinstance(node, gast.Call):
                func = node.func
                if isinstance(func, gast.Name):
                    helper = self.helpers.get(func.id)
                    if helper in _IN_PLACE and node.args:
                        written |= _names(node.args[0])
                    elif helper is None and not func.id.startswith("vjp_") \
                            and not self.spelling.pure_call(node):
                        written |= {n for a in node.args for n in _names(a)}
                elif isinstance(func, gast.Attribute):
                    if func.attr not in ("pop", "push") and not self.spelling.pure_call(node):
                        written |= _names(node)
        return assigned, written

    # -- slices as intervals of sizes ---------------------------------------------------------

    def interval(self, index):
        """(lower, upper, names read) of the positions a 1-D index selects, lower and upper
        linear forms ({size name or 1: coefficient}); upper INFINITY for `[lo:]`; None where
        the index is not a slice or position of that kind."""
        names = set()
        if (isinstance(index, gast.Subscript) and isinstance(index.value, gast.Attribute)
                and index.value.attr == "s_"):
            index = index.slice
        if isinstance(index, gast.Slice):
            if index.step is not None:
                return None
            lower = {} if index.lower is None else self.linear(index.lower, names)
            upper = INFINITY if index.upper is None else self.linear(index.upper, names)
            if lower is None or (index.upper is not None and upper is None):
                return None
            return lower, upper, names
        at = self.linear(index, names)
        if at is None:
            return None
        return at, _plus(at, {1: 1}), names

    def linear(self, node, names, depth=0):
        """{size name or 1: non-negative int coefficient}, or None."""
        if depth > 20:
            return None
        if isinstance(node, gast.Constant):
            return {1: node.value} if type(node.value) is int and node.value >= 0 else None
        if isinstance(node, gast.Name):
            names.add(node.id)
            value = self.defs.get(node.id)
            if value is None:
                return None
            if _size_read(value):
                return {node.id: 1}
            return self.linear(value, names, depth + 1)
        if isinstance(node, gast.BinOp) and isinstance(node.op, gast.Add):
            a, b = self.linear(node.left, names, depth), self.linear(node.right, names, depth)
            return None if a is None or b is None else _plus(a, b)
        if isinstance(node, gast.BinOp) and isinstance(node.op, gast.Mult):
            for k, other in ((node.left, node.right), (node.right, node.left)):
                if isinstance(k, gast.Constant) and type(k.value) is int and k.value >= 0:
                    form = self.linear(other, names, depth)
                    return None if form is None else {n: k.value * c for n, c in form.items()}
        return None


def _size_read(node):
    """`x.shape[k]` (k a constant) or `x.size` of a name: a non-negative int. (Not `len(x)`:
    a user's module may bind `len` to something else.)"""
    if isinstance(node, gast.Attribute) and node.attr == "size":
        return isinstance(node.value, gast.Name)
    return (isinstance(node, gast.Subscript) and isinstance(node.value, gast.Attribute)
            and node.value.attr == "shape" and isinstance(node.value.value, gast.Name)
            and isinstance(node.slice, gast.Constant) and type(node.slice.value) is int)


def _plus(a, b):
    out = dict(a)
    for n, c in b.items():
        out[n] = out.get(n, 0) + c
    return out


def _at_most(a, b):
    """Whether the linear form a <= b for every non-negative value of the sizes."""
    if b is INFINITY:
        return True
    if a is INFINITY:
        return False
    return all(c <= b.get(n, 0) for n, c in a.items())


def _disjoint(intervals):
    """Whether every two [lower, upper) intervals are apart whatever the sizes."""
    for k, (lo1, hi1) in enumerate(intervals):
        for lo2, hi2 in intervals[k + 1:]:
            if not (_at_most(hi1, lo2) or _at_most(hi2, lo1)):
                return False
    return True
