"""The algebraic simplifier of the backward sweep: after the rules are filled in and the other
passes have run, each straight-line block of the backward sweep (the statements between two
loops or branches; a branch's or a loop's body is a block of its own, never merged with what
is around it) is rewritten where the rewrite computes exactly what NumPy computed before — the
same values, dtype, shape and type:

1. `fold_spread_seeds`: `dt = unreduce(g, t, None, False)` (the gradient of a full sum or
   mean, one number spread over t's shape), read only by the next statement, `dx = dt * e`
   (or `e * dt`, also inside `unbroadcast(..., x)`), becomes `dx = g * e` where e certainly
   has t's shape and dtype: e is t, or t is `x ** c`, `x * c` or `c * x` (c a number,
   t assigned once) and e is x, `c2 * x` or `x * c2`. The spread array is never made. The
   dtype is the same because g descends from the seed `unit_of(t)` (a loss `np.sum(t)` or
   `np.mean(t)`, optimize/seed.py) through numbers alone: g is a Python float only where t is
   float64 (and then `g * e` is float64 like `unreduce(...) * e`), else a NumPy scalar of t's
   dtype, which promotes exactly as the spread array does.
2. `double_repeats`: `dx = e` followed by `dx = dx + e` or `dx += e` (the same expression,
   reading names nothing rebinds in between) becomes `dx = 2 * e`: doubling is exact in
   floating point, so `2 * e` is `e + e` to the bit, and the Python int 2 keeps e's dtype
   (where `2.0 * e` would make an integer array float). A call (which may return a 0-d
   array, where `+=` keeps an array and `2 * e` gives a scalar) is doubled in place instead:
   `dx = e; dx *= 2`... only where `dx += e` was already in place (dx is df's own array).
3. `common_subexpressions`: an expression of NumPy operators, ufuncs and pure runtime helpers
   on names, computed twice in a block while none of the names it reads is rebound and no
   array is written in place in between (no `+=`, no `y[i] = ...`, no call that may write into
   its arguments), is computed once, into a temporary named after it (`t_cos`), placed just
   before its first use. A whole right-hand side is never replaced by a name (two names would
   share an array that gradient code may update in place).
4. `dead_assignments`: an assignment of a pure expression to a name nothing in df reads is
   dropped.
"""
import copy

import gast
import numpy as np

from ..ir import Comment
from .copies import name_counts

# Runtime helpers that only compute their result (never write into an argument).
PURE_HELPERS = frozenset([
    "unbroadcast", "unreduce", "sum_product", "sum_quotient", "reduced_count", "unit_of",
    "unit_like", "dot_lhs", "dot_rhs", "matmul_lhs", "matmul_rhs", "ties", "extremum_mask",
    "div_or_zero", "safe_log", "clip_mask", "pick_weight", "sign_grad", "unindex",
])
# NumPy functions (besides ufuncs) that only compute their result.
_PURE_NUMPY = frozenset(["sum", "mean", "reshape", "shape", "transpose", "dot", "matmul",
                         "outer", "where", "size", "ndim", "floor_divide", "trunc"])


# Expressions that may do more than compute a value (or hide what they compute).
_IMPURE = (gast.Lambda, gast.NamedExpr, gast.Yield, gast.Await, gast.ListComp,
           gast.GeneratorExp, gast.DictComp, gast.SetComp, gast.YieldFrom)


class Spelling:
    """How the generated code spells NumPy and the runtime helpers (compiled.Bindings)."""

    def __init__(self, spelled):
        self.np = spelled("np") or "np"
        self.helpers = {spelled(h): h for h in PURE_HELPERS if spelled(h) is not None}
        self.unreduce = spelled("unreduce")
        self.unit_of = spelled("unit_of")
        self.unbroadcast = spelled("unbroadcast")
        self.count = spelled("reduced_count")

    def pure_call(self, node):
        """Whether a Call only computes its value."""
        func = node.func
        if any(k.arg == "out" for k in node.keywords):
            return False
        if isinstance(func, gast.Name):
            return func.id in self.helpers
        if (isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name)
                and func.value.id == self.np):
            found = getattr(np, func.attr, None)
            return isinstance(found, np.ufunc) or func.attr in _PURE_NUMPY
        return False

    def pure(self, node):
        """Whether evaluating the expression `node` has no effect but its value."""
        for n in gast.walk(node):
            if isinstance(n, gast.Call) and not self.pure_call(n):
                return False
            if isinstance(n, _IMPURE):
                return False
        return True


def simplify(backward, others, spelled, fresh):
    """Rewrite the statement list `backward` in place. others: df's other statements (the
    prologue and the forward sweep); spelled(helper): how generated code spells a name (None:
    unused); fresh(base): a new name."""
    spelling = Spelling(spelled)
    if spelling.unreduce is not None and spelling.unit_of is not None:
        everything = others + backward
        loads, stores = name_counts(everything)
        _blocks(backward, lambda block: fold_spread_seeds(block, everything, loads, stores,
                                                          spelling))
    _blocks(backward, lambda block: double_repeats(block, spelling))
    _blocks(backward, lambda block: common_subexpressions(block, spelling, fresh))
    dead_assignments(backward, spelling)


def _blocks(stmts, rewrite):
    """Apply `rewrite` to the statement list stmts and to every block nested in it."""
    for stmt in stmts:
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            _blocks(stmt.body, rewrite)
            _blocks(stmt.orelse, rewrite)
    rewrite(stmts)


def _next(stmts, i):
    return next((j for j in range(i + 1, len(stmts)) if not isinstance(stmts[j], Comment)),
                None)


def _name_assign(stmt):
    """The target name of `name = value`, else None."""
    if (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name)):
        return stmt.targets[0].id
    return None


def _key(node, memo=None):
    """A hashable value equal for two expressions exactly when they are written alike (a
    cheaper gast.dump; constants by type and repr, so -0.0 and 0.0 differ)."""
    if memo is not None:
        found = memo.get(id(node))
        if found is not None:
            return found
    if isinstance(node, gast.Name):
        key = ("Name", node.id)
    elif isinstance(node, gast.Constant):
        key = ("Constant", type(node.value).__name__, repr(node.value))
    else:
        parts = [type(node).__name__]
        for field, value in gast.iter_fields(node):
            if isinstance(value, list):
                parts.append(tuple(_key(v, memo) if isinstance(v, gast.AST) else v
                                   for v in value))
            elif isinstance(value, gast.AST):
                parts.append(_key(value, memo))
            else:
                parts.append(value)
        key = tuple(parts)
    if memo is not None:
        memo[id(node)] = key
    return key


def _same(a, b):
    return _key(a) == _key(b)


def _is_name(node, name):
    return isinstance(node, gast.Name) and node.id == name


def _number(node):
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        node = node.operand
    return (isinstance(node, gast.Constant) and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool))


# ---- 1. a full sum's spread folded into its product ---------------------------------------

def fold_spread_seeds(stmts, everything, loads, stores, spelling):
    i = 0
    while i < len(stmts):
        j = _next(stmts, i)
        if j is not None and _fold(stmts[i], stmts[j], everything, loads, stores, spelling):
            del stmts[i]
            continue
        i += 1


def _fold(spread, use, everything, loads, stores, spelling):
    dt = _name_assign(spread)
    call = getattr(spread, "value", None)
    if not (dt and isinstance(call, gast.Call) and _is_name(call.func, spelling.unreduce)
            and not call.keywords and len(call.args) in (2, 4)
            and isinstance(call.args[1], gast.Name)):
        return False
    if len(call.args) == 4 and not (
            isinstance(call.args[2], gast.Constant) and call.args[2].value is None
            and isinstance(call.args[3], gast.Constant) and call.args[3].value is False):
        return False
    g, t = call.args[0], call.args[1].id
    if loads.get(dt) != 1 or stores.get(dt) != 1 or not isinstance(use, (gast.Assign,
                                                                        gast.AugAssign)):
        return False
    if not _seeded_by(g, t, everything, stores, spelling):
        return False
    product = use.value
    if (isinstance(product, gast.Call) and _is_name(product.func, spelling.unbroadcast)
            and len(product.args) == 2):
        product = product.args[0]
    if not (isinstance(product, gast.BinOp) and isinstance(product.op, gast.Mult)):
        return False
    if _is_name(product.left, dt) and _like(product.right, t, everything, stores):
        product.left = copy.deepcopy(g)
    elif _is_name(product.right, dt) and _like(product.left, t, everything, stores):
        product.right = product.left
        product.left = copy.deepcopy(g)
    else:
        return False
    return True


def _assignment(name, everything, stores):
    """The value of `name`'s only assignment in df (at the top level), else None."""
    if stores.get(name) != 1:
        return None
    for stmt in everything:
        if _name_assign(stmt) == name:
            return stmt.value
    return None


def _seeded_by(g, t, everything, stores, spelling):
    """Whether g is arithmetic (+ - * /, unary -) on numbers, sizes (`x.size`, `x.shape[k]`,
    `reduced_count(x)`: Python ints) and names assigned once, at the top level, to the seed
    `unit_of(t)` (at least one) or to such arithmetic: the seed of a loss `np.sum(t)` or
    `np.mean(t)`, scaled by numbers (`dt_sum = dresult / x.shape[0]`)."""
    seeds, followed = [], set()

    def ok(node):
        if isinstance(node, gast.BinOp) and isinstance(node.op, (gast.Add, gast.Sub,
                                                                  gast.Mult, gast.Div)):
            return ok(node.left) and ok(node.right)
        if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
            return ok(node.operand)
        if _number(node):
            return True
        if isinstance(node, gast.Name) and node.id not in followed:
            followed.add(node.id)     # a name assigned once, at the top level, to the seed
            value = _assignment(node.id, everything, stores)     # or to a scaling of it
            if _is_unit_of(value, t, spelling):
                seeds.append(node.id)
                return True
            return value is not None and ok(value)
        return _size(node, spelling.count)

    return ok(g) and bool(seeds)


def _size(node, count):
    """`x.size`, `x.shape[k]` (k an int) or `reduced_count(x)`: a Python int."""
    if isinstance(node, gast.Attribute) and node.attr == "size" and isinstance(
            node.value, gast.Name):
        return True
    if (isinstance(node, gast.Subscript) and isinstance(node.value, gast.Attribute)
            and node.value.attr == "shape" and isinstance(node.value.value, gast.Name)
            and isinstance(node.slice, gast.Constant) and type(node.slice.value) is int):
        return True
    return (isinstance(node, gast.Call) and count is not None and _is_name(node.func, count)
            and len(node.args) == 1 and not node.keywords
            and isinstance(node.args[0], gast.Name))


def _is_unit_of(value, t, spelling):
    return (isinstance(value, gast.Call) and _is_name(value.func, spelling.unit_of)
            and len(value.args) == 1 and _is_name(value.args[0], t))


def _like(e, t, everything, stores):
    """Whether the expression e certainly has t's shape and dtype (see 1. above)."""
    if _is_name(e, t):
        return True
    value = _assignment(t, everything, stores)
    x = None
    if isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Pow, gast.Mult)):
        if isinstance(value.left, gast.Name) and _number(value.right):
            x = value.left.id
        elif isinstance(value.op, gast.Mult) and isinstance(value.right, gast.Name) \
                and _number(value.left):
            x = value.right.id
    if x is None or stores.get(x, 0) > 1:
        return False
    if _is_name(e, x):
        return True
    return (isinstance(e, gast.BinOp) and isinstance(e.op, gast.Mult)
            and ((_is_name(e.left, x) and _number(e.right))
                 or (_is_name(e.right, x) and _number(e.left))))


# ---- 2. a contribution added twice -----------------------------------------------------------

def double_repeats(stmts, spelling):
    i = 0
    while i < len(stmts):
        j = _next(stmts, i)
        done = j is not None and _double(stmts[i], stmts[j], spelling)
        if done is True:
            del stmts[j]
            continue
        i += 1


def _double(first, second, spelling):
    """Rewrite `first` (dx = e) when `second` adds e to dx once more; say whether it did."""
    dx = _name_assign(first)
    if dx is None or not (_is_name(getattr(second, "target", None), dx) or (
            _name_assign(second) == dx and isinstance(second.value, gast.BinOp))):
        return False
    e = first.value
    if not spelling.pure(e) or dx in _names(e):
        return False
    if (isinstance(second, gast.AugAssign) and isinstance(second.op, gast.Add)
            and _is_name(second.target, dx) and _same(second.value, e)):
        if isinstance(e, gast.Name):
            return False        # `dx = e; dx += e` would double e's own array too
        in_place = True
    elif (_name_assign(second) == dx and isinstance(second.value, gast.BinOp)
          and isinstance(second.value.op, gast.Add) and _is_name(second.value.left, dx)
          and _same(second.value.right, e)):
        in_place = False
    else:
        return False
    if isinstance(e, (gast.BinOp, gast.UnaryOp, gast.Name)) or not in_place:
        # an operator's result is never a 0-d array: `2 * e` has the type `e + e` has
        first.value = gast.BinOp(left=gast.Constant(value=2, kind=None), op=gast.Mult(),
                                 right=e)
        return True
    # a call may return a 0-d array, which `+=` keeps: double dx's own array in place
    second.op, second.value = gast.Mult(), gast.Constant(value=2, kind=None)
    return "kept"


# ---- 3. common subexpressions ----------------------------------------------------------------

_HINTS = {gast.Add: "add", gast.Sub: "sub", gast.Mult: "mul", gast.Div: "div",
          gast.Pow: "pow", gast.MatMult: "matmul", gast.USub: "neg", gast.FloorDiv: "floordiv",
          gast.Mod: "mod"}


def _hint(node):
    if isinstance(node, gast.Call):
        func = node.func
        return func.attr if isinstance(func, gast.Attribute) else func.id
    return _HINTS.get(type(node.op), "value")


def _candidates(node, spelling):
    """The subexpressions of `node` worth computing once: operators and pure calls that read
    some name (one walk, children before parents)."""
    out = []

    def visit(n):
        """(pure, reads a name) of the expression n."""
        pure, named = True, isinstance(n, gast.Name)
        for child in gast.iter_child_nodes(n):
            p, m = visit(child)
            pure, named = pure and p, named or m
        if isinstance(n, gast.Call):
            pure = pure and spelling.pure_call(n)
        elif isinstance(n, _IMPURE):
            pure = False
        if (pure and named and isinstance(n, (gast.BinOp, gast.UnaryOp, gast.Call))
                and not (isinstance(n, gast.UnaryOp) and isinstance(n.operand,
                                                                    gast.Constant))):
            out.append(n)
        return pure, named

    visit(node)
    return out


def _shallow(node):
    """What two alike expressions certainly share: their kind, operator or function, and the
    names they apply it to directly (a cheap test before comparing whole expressions)."""
    if isinstance(node, gast.Call):
        head = _key(node.func)
    else:
        head = type(node.op).__name__
    return (type(node).__name__, head) + tuple(
        c.id for c in gast.iter_child_nodes(node) if isinstance(c, gast.Name))


def common_subexpressions(stmts, spelling, fresh):
    signatures = set()
    for stmt in stmts:
        if isinstance(stmt, (gast.Assign, gast.AugAssign)):
            for node in _candidates(stmt.value, spelling):
                sig = _shallow(node)
                if sig in signatures:
                    break
                signatures.add(sig)
            else:
                continue
            break
    else:
        return            # no expression is computed twice in the block: the common case
    available = {}     # dump -> [node, statement holding it, name holding it or None]
    k = 0
    while k < len(stmts):
        stmt = stmts[k]
        if isinstance(stmt, Comment):
            k += 1
            continue
        target = _name_assign(stmt)
        popped = _popped(stmt)
        if popped is not None:    # `v = stack.pop()` rebinds v and changes only the stack
            for key in [key for key, (node, _, held) in available.items()
                        if held == target or {target, popped} & _names(node)]:
                del available[key]
            k += 1
            continue
        if target is None or not spelling.pure(stmt.value):
            if isinstance(stmt, (gast.Assign, gast.AugAssign)) and spelling.pure(stmt.value):
                # `dx += e`, `dy[i] = e`: e is computed before the write
                k += _reuse(stmts, k, stmt, available, spelling, fresh, whole=True)
            available.clear()     # a write in place, a call, a branch or a loop: forget all
            k += 1
            continue
        k += _reuse(stmts, k, stmt, available, spelling, fresh)
        # rebinding target changes what every expression reading it computes
        for key in [key for key, (node, _, held) in available.items()
                    if held == target or target in {n.id for n in gast.walk(node)
                                                    if isinstance(n, gast.Name)}]:
            del available[key]
        memo = {}
        whole = _key(stmt.value, memo)
        for node in _candidates(stmt.value, spelling):
            key = _key(node, memo)
            if key not in available and target not in {
                    n.id for n in gast.walk(node) if isinstance(n, gast.Name)}:
                available[key] = [node, stmt, target if key == whole else None]
        k += 1


def _names(node):
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}


def _popped(stmt):
    """s for `v = s.pop()` (a stack's, or a Python list's), else None."""
    value = stmt.value if _name_assign(stmt) else None
    if (isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute)
            and value.func.attr == "pop" and isinstance(value.func.value, gast.Name)
            and not value.args and not value.keywords):
        return value.func.value.id
    return None


def _reuse(stmts, k, stmt, available, spelling, fresh, whole=False):
    """Replace the subexpressions of stmt (never its whole value) computed before in the
    block by the name holding them; returns how many statements were inserted before k."""
    inserted = 0
    memo = {}

    def visit(node, parent, field, index):
        nonlocal inserted
        key = _key(node, memo) if isinstance(node, (gast.BinOp, gast.UnaryOp,
                                                    gast.Call)) else None
        if (parent is not None or whole) and key in available:
            first, holder_stmt, held = available[key]
            if held is None:      # name the first occurrence: `t_cos = np.cos(x)` before it
                held = fresh(f"t_{_hint(first)}")
                at = next(i for i, st in enumerate(stmts) if st is holder_stmt)
                _replace(holder_stmt, first, held)
                named = gast.Assign(targets=[gast.Name(
                    id=held, ctx=gast.Store(), annotation=None, type_comment=None)],
                    value=first, type_comment=None)
                stmts.insert(at, named)
                inserted += 1
                available[key][2] = held
                inside = {id(n) for n in gast.walk(first)}
                for entry in available.values():
                    if entry[1] is holder_stmt and id(entry[0]) in inside:
                        entry[1] = named
            _set(parent, field, index, gast.Name(id=held, ctx=gast.Load(), annotation=None,
                                                 type_comment=None))
            return
        for name, value in gast.iter_fields(node):
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, gast.AST):
                        visit(item, node, name, i)
            elif isinstance(value, gast.AST):
                visit(value, node, name, None)

    if whole and _key(stmt.value, memo) in available:
        visit(stmt, None, None, None)     # the value itself may be replaced
    else:
        visit(stmt.value, None, None, None)
    return inserted


def _set(parent, field, index, new):
    if index is None:
        setattr(parent, field, new)
    else:
        getattr(parent, field)[index] = new


def _replace(stmt, old, name):
    """Replace the node `old` (by identity) inside stmt's value by the name `name`."""
    for parent in gast.walk(stmt):
        for field, value in gast.iter_fields(parent):
            if value is old:
                setattr(parent, field, gast.Name(id=name, ctx=gast.Load(), annotation=None,
                                                 type_comment=None))
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = gast.Name(id=name, ctx=gast.Load(), annotation=None,
                                             type_comment=None)
                        return


# ---- 4. dead code ----------------------------------------------------------------------------

def dead_assignments(backward, spelling):
    """Drop `name = pure expression` from the backward sweep (at any depth) where nothing in
    the backward sweep reads name; repeated, as dropping one may leave another unread. (The
    forward sweep runs before: what it reads never sees a backward assignment.)"""
    while _drop(backward, _loads(backward), spelling):
        pass


def _loads(stmts, counts=None):
    """name -> how often stmts read it (`dx += e` reads dx, and may write its array)."""
    counts = {} if counts is None else counts
    for stmt in stmts:
        if isinstance(stmt, Comment):
            continue
        for node in gast.walk(stmt):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load):
                counts[node.id] = counts.get(node.id, 0) + 1
            elif isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name):
                counts[node.target.id] = counts.get(node.target.id, 0) + 1
    return counts


def _drop(stmts, loads, spelling):
    dropped = False
    for stmt in stmts:
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            dropped |= _drop(stmt.body, loads, spelling) | _drop(stmt.orelse, loads, spelling)
    keep = [st for st in stmts if not (
        _name_assign(st) and not loads.get(_name_assign(st)) and spelling.pure(st.value))]
    if len(keep) != len(stmts):
        for st in keep:
            if isinstance(st, (gast.If, gast.For, gast.While)) and not st.body:
                st.body.append(gast.Pass())
        stmts[:] = keep
        dropped = True
    return dropped


# ---- 5. the seed of a result that is certainly a float64 number ------------------------------

_FLOAT, _INT = "float", "int"
_MATH_FLOATS = frozenset(["sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh",
                          "tanh", "asinh", "acosh", "atanh", "exp", "expm1", "log", "log1p",
                          "log2", "log10", "sqrt", "pow", "hypot", "fabs", "erf", "erfc",
                          "gamma", "lgamma", "copysign", "fmod", "degrees", "radians"])


def float64_number(fn):
    """Whether f's result is certainly a Python float wherever it is bound, so
    `unit_like(result)` is `1.0` (runtime/core.py returns exactly that for a float).

    Numbers are traced through f: float literals, `float(...)` and the math module's float
    functions give floats; int literals and range loop indices give ints; + - *
    and unary - of those give a float when an operand is one (an int when both are ints), /
    always a float. A name is a float when every assignment to it gives one (a greatest
    fixpoint: loop-carried sums `s = s + math.sin(v)` qualify)."""
    import builtins
    import math
    import operator

    from .. import ir
    assigns = {}
    for st in ir.walk(fn.body):
        if isinstance(st, ir.For):
            assigns.setdefault(st.target, []).append(None)      # a loop index: an int
        elif isinstance(st, ir.Assign):
            for t in st.targets:
                assigns.setdefault(t, []).append(st if len(st.targets) == 1 else False)
    if fn.result not in assigns or fn.result in fn.params:
        return False
    floats = {getattr(math, n) for n in _MATH_FLOATS if hasattr(math, n)}
    arithmetic = {operator.add: "+", operator.sub: "-", operator.mul: "*",
                  operator.truediv: "/", operator.neg: "neg"}
    kinds = {name: _FLOAT for name in assigns}     # optimistic start, narrowed below

    def atom(node):
        if isinstance(node, gast.Constant):
            if type(node.value) is float:
                return _FLOAT
            return _INT if type(node.value) is int else None
        if isinstance(node, gast.Name):
            return kinds.get(node.id)
        return None

    def kind(st):
        if st is None:
            return _INT
        if st is False or isinstance(st, ir.Pop) or st.inplace:
            return None
        op = st.op
        if op is None:
            return atom(st.value)
        if op.keywords:
            return None
        if op.func is builtins.float or any(
                op.func is f for f in floats):
            return _FLOAT
        symbol = next((sym for f, sym in arithmetic.items() if op.func is f), None)
        if symbol is None:
            return None
        found = [atom(a) for a in op.args]
        if None in found:
            return None
        if symbol == "/" or _FLOAT in found:
            return _FLOAT
        return _INT

    changed = True
    while changed:        # each round narrows at least one name; at most len(assigns) rounds
        changed = False
        for name, sts in assigns.items():
            if kinds.get(name) is None:
                continue
            found = {kind(st) for st in sts}
            # a name that is a float on some paths and an int on others is neither
            new = _FLOAT if found == {_FLOAT} else _INT if found == {_INT} else None
            if new != kinds[name]:
                kinds[name] = new
                changed = True
    return kinds.get(fn.result) == _FLOAT
