"""Common subexpressions of a straight-line block of the backward sweep, computed once.

An expression of NumPy operators, ufuncs and pure runtime helpers on names, computed twice in
a block while none of the names it reads is rebound and no array is written in place in
between (no `+=`, no `y[i] = ...`, no call that may write into its arguments), is computed
once, into a temporary named after it (`t_cos`), placed just before its first use. Rules are
filled in one at a time, so the adjoint of `np.cos(x)` and of `np.sin(x)` each compute what
the other computed; naming it once is the saving. A whole right-hand side is never replaced
by a name: two names would then share an array that gradient code may update in place.
"""
import gast

from ...ir import Comment
from .spelling import IMPURE, expr_key, name_assign, names

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
        elif isinstance(n, IMPURE):
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
        head = expr_key(node.func)
    else:
        head = type(node.op).__name__
    return (type(node).__name__, head) + tuple(
        c.id for c in gast.iter_child_nodes(node) if isinstance(c, gast.Name))


def common_subexpressions(stmts, spelling, fresh):
    """Compute once, in the block stmts, each candidate expression computed twice while
    what it reads is unchanged; fresh(base) gives the temporaries' names."""
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
        target = name_assign(stmt)
        popped = _popped(stmt)
        if popped is not None:    # `v = stack.pop()` rebinds v and changes only the stack
            for key in [key for key, (node, _, held) in available.items()
                        if held == target or {target, popped} & names(node)]:
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
                    if held == target or target in names(node)]:
            del available[key]
        memo = {}
        whole = expr_key(stmt.value, memo)
        for node in _candidates(stmt.value, spelling):
            key = expr_key(node, memo)
            if key not in available and target not in names(node):
                available[key] = [node, stmt, target if key == whole else None]
        k += 1


def _popped(stmt):
    """s for `v = s.pop()` (a stack's, or a Python list's), else None."""
    value = stmt.value if name_assign(stmt) else None
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
        key = expr_key(node, memo) if isinstance(node, (gast.BinOp, gast.UnaryOp,
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

    if whole and expr_key(stmt.value, memo) in available:
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


