"""Squares: `x * x` has one gradient contribution, not two, and a loss's scalar seed is not spread
over the square before it is multiplied in.

1. `merge_repeats`: where a product rule gives one adjoint the same contribution twice (the
   template of `a * b` with a and b the same name: `dx = dy * x; dx += dy * x`), it is added
   once, doubled: `dx = 2.0 * dy * x`. Exact: doubling is exact in floating point, so
   `2.0 * dy * x` is `dy * x + dy * x` to the bit (barring overflow).
2. `fold_scalar_seeds`: `dt = unreduce(g, t, None, ...)` (the gradient of a full sum, one value
   spread over t's shape) or `dt = unreduce(g, t, axis, True)` (a reduction's with keepdims:
   g keeps t's axes, the reduced ones 1) immediately followed by the only read of dt, the
   doubled contribution `2.0 * dt * x` of `t = x * x` (t's only assignment in df), becomes
   `2.0 * g * x`: x has t's shape, g broadcasts against it, so the product has t's shape
   without the spread array (the variance of a layer norm).
3. `drop_unread_squares`: a square the folds left unread is not computed.
"""
import copy

import gast

from ..ir import Comment
from .copies import name_counts


def merge_repeats(pairs, calls):
    """[(name, contribution)] of one filled-in rule with identical products to one name merged
    into the first, doubled (tripled ...); calls(expr, helper) says whether expr calls the
    runtime helper `helper`."""
    names = [name for name, _ in pairs]
    if len(set(names)) == len(names):
        return pairs              # the common case: each name once, nothing to compare
    first, counts, out = {}, [], []
    for name, expr in pairs:
        key = (name, gast.dump(expr))
        if key in first and _product(expr, calls) is not None:
            counts[first[key]] += 1
            continue
        first.setdefault(key, len(out))
        out.append((name, expr))
        counts.append(1)
    return [(name, expr if k == 1 else _times(expr, k, calls))
            for (name, expr), k in zip(out, counts)]


def _product(expr, calls):
    """The product `a * b` that expr is, under unbroadcast(...) calls, or None."""
    while calls(expr, "unbroadcast"):
        expr = expr.args[0]
    if isinstance(expr, gast.BinOp) and isinstance(expr.op, gast.Mult):
        return expr
    return None


def _times(expr, k, calls):
    """expr multiplied by k, the factor put on the product's leftmost operand (a scalar
    gradient there costs nothing more)."""
    if calls(expr, "unbroadcast"):
        return gast.Call(func=expr.func, args=[_times(expr.args[0], k, calls)] + expr.args[1:],
                         keywords=expr.keywords)
    if isinstance(expr, gast.BinOp) and isinstance(expr.op, gast.Mult):
        return gast.BinOp(left=_times(expr.left, k, calls), op=gast.Mult(), right=expr.right)
    return gast.BinOp(left=gast.Constant(value=float(k), kind=None), op=gast.Mult(),
                      right=expr)


def fold_scalar_seeds(backward, everything, unreduce):
    """Rewrite the statement list `backward` in place (see 2. above); `everything` is all of
    df's statements; `unreduce` the name the helper is spelled with (None: not used)."""
    if unreduce is None or not _candidates(backward, unreduce):
        return                    # the common case: no spread followed by a product
    loads, stores = name_counts(everything)
    squares, assigns = {}, {}     # name -> what its assignments square; how many there are
    for stmt in everything:
        if isinstance(stmt, Comment):
            continue
        for node in gast.walk(stmt):
            if (isinstance(node, gast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], gast.Name)):
                name = node.targets[0].id
                squares.setdefault(name, set()).add(_squared(node.value))
                assigns[name] = assigns.get(name, 0) + 1
    # t qualifies when every write of t (loop targets, unpacking and `+=` included) is
    # `t = x * x` with the same x
    squares = {name: xs for name, xs in squares.items()
               if assigns[name] == stores.get(name) and len(xs) == 1 and None not in xs}
    _block(backward, loads, stores, squares, unreduce)


def _candidates(stmts, unreduce):
    """Whether some `x = unreduce(...)` in stmts (or the blocks they contain) is followed by a
    statement of a doubled product: the only places a fold may apply."""
    for k, stmt in enumerate(stmts):
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            if _candidates(stmt.body, unreduce) or _candidates(stmt.orelse, unreduce):
                return True
        elif (isinstance(stmt, gast.Assign) and isinstance(stmt.value, gast.Call)
              and isinstance(stmt.value.func, gast.Name) and stmt.value.func.id == unreduce
              and k + 1 < len(stmts)):
            use = next((u for u in stmts[k + 1:] if not isinstance(u, Comment)), None)
            value = getattr(use, "value", None)
            if (isinstance(value, gast.BinOp) and isinstance(value.left, gast.BinOp)
                    and isinstance(value.left.left, gast.Constant)):
                return True
    return False


def _broadcasts_back(rest):
    """Whether `unreduce(g, t, *rest)` spreads g in a shape that broadcasts against t: a full
    sum's (axis None: g is one number) or a reduction's with keepdims (g has t's axes, the
    reduced ones 1), so `g * x` for x of t's shape is the spread product."""
    def constant(node, value):
        return isinstance(node, gast.Constant) and node.value is value
    if not rest:
        return True
    if constant(rest[0], None):
        return True
    return len(rest) == 2 and constant(rest[1], True)


def _squared(value):
    """x when value is `x * x` of one name x, else None."""
    if (isinstance(value, gast.BinOp) and isinstance(value.op, gast.Mult)
            and isinstance(value.left, gast.Name) and isinstance(value.right, gast.Name)
            and value.left.id == value.right.id):
        return value.left.id
    return None


def _block(stmts, loads, stores, squares, unreduce):
    for stmt in stmts:
        for child in ([stmt.body, stmt.orelse] if isinstance(stmt, (gast.If, gast.For,
                                                                      gast.While)) else []):
            _block(child, loads, stores, squares, unreduce)
    i = 0
    while i < len(stmts):
        nxt = next((j for j in range(i + 1, len(stmts)) if not isinstance(stmts[j], Comment)),
                   None)
        if nxt is not None and _fold(stmts[i], stmts[nxt], loads, stores, squares, unreduce):
            del stmts[i]
            continue
        i += 1


def _fold(spread, use, loads, stores, squares, unreduce):
    """Fold `spread` (dt = unreduce(g, t, None or axis, ...)) into `use` (dx = 2.0 * dt * x); say
    whether it was done."""
    if not (isinstance(spread, gast.Assign) and len(spread.targets) == 1
            and isinstance(spread.targets[0], gast.Name)):
        return False
    call = spread.value
    if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Name)
            and call.func.id == unreduce and not call.keywords and len(call.args) >= 2
            and isinstance(call.args[1], gast.Name) and _broadcasts_back(call.args[2:])):
        return False
    dt, t = spread.targets[0].id, call.args[1].id
    if loads.get(dt) != 1 or stores.get(dt) != 1:
        return False
    if t not in squares:
        return False
    x = next(iter(squares[t]))
    if not isinstance(use, (gast.Assign, gast.AugAssign)):
        return False
    value = use.value
    if not (isinstance(value, gast.BinOp) and isinstance(value.op, gast.Mult)
            and isinstance(value.right, gast.Name) and value.right.id == x
            and isinstance(value.left, gast.BinOp) and isinstance(value.left.op, gast.Mult)
            and isinstance(value.left.left, gast.Constant) and value.left.left.value == 2.0
            and isinstance(value.left.right, gast.Name) and value.left.right.id == dt):
        return False
    value.left.right = copy.deepcopy(call.args[0])
    return True


def drop_unread_squares(forward, everything):
    """Remove from the statement list `forward` (the forward sweep's top level) each
    `t = x * x` that nothing in df reads any more: the folds above leave the square to the
    seed's dtype alone, and the seed reads x (optimize/seed.py). Multiplying arrays has no
    effect but its result, so an unread square is dead."""
    if not any(_squared(getattr(st, "value", None)) for st in forward
               if isinstance(st, gast.Assign)):
        return
    loads, stores = name_counts(everything)
    forward[:] = [st for st in forward
                  if not (isinstance(st, gast.Assign) and len(st.targets) == 1
                          and isinstance(st.targets[0], gast.Name)
                          and _squared(st.value) is not None
                          and not loads.get(st.targets[0].id))]
