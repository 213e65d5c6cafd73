"""Pushes and pops of a value the backward sweep no longer reads (part of the pass "lower").

The stack plan (transforms/plan.py) pushes a value before the forward sweep overwrites it where
an adjoint statement reads it, and the backward sweep pops it back. It plans before the
specialised variant's helper calls are written as NumPy: the LSTM's `dz = unindex(dt_item5, z,
np.s_[:, 3 * H:])` reads z for its shape, so z is pushed (as `shaped(z)`) every step; written
`dz = np.zeros((8, 64))` (optimize/inslices.py), nothing reads it. Then every `stack.push(z)`
(or `stack.push(shaped(z))`) and every `z = stack.pop()` go together: each pop takes back the
value its own push saved (the plan pairs them, last in first out), so the other pairs stay
matched, and no statement of the backward sweep reads z.
"""
import gast

from ..ir import Comment


def drop_unread_pops(forward, backward, stack, spelled):
    """Remove, in place, the pushes in `forward` and pops in `backward` of the names the
    backward sweep reads nowhere else; stack: the stack's name. Returns how many names."""
    shaped = spelled("shaped")
    unread = _unread_pops(backward, stack)
    pushed = set()
    for stmt in _statements(forward):
        name = _push(stmt, stack, shaped)
        if name is not None:
            pushed.add(name)
    unread &= pushed
    if not unread:
        return 0
    _remove(forward, lambda st: _push(st, stack, shaped) in unread)
    _remove(backward, lambda st: _pop(st, stack) in unread)
    return len(unread)


def _unread_pops(backward, stack):
    """The names popped in `backward` whose popped values no statement reads.

    A read in a top-level statement before the first one holding a pop of the name sees the
    value the forward sweep left, never a popped one: the ADBench LSTM's `dt_neg = dresult /
    count` reads the final count before the loop that pops it back, step by step, for no one.
    """
    popped, read = set(), set()
    for stmt in backward:
        inner = list(_statements([stmt]))
        popped |= {_pop(st, stack) for st in inner} - {None}
        read |= {n.id for st in inner if _pop(st, stack) is None
                 for n in _loads(st) if n.id in popped}
    return popped - read


def _loads(stmt):
    """The Names a statement reads outside its nested blocks (_statements yields those)."""
    parts = [getattr(stmt, f) for f in stmt._fields if f not in ("body", "orelse")]
    nodes = [node for part in parts for node in (part if isinstance(part, list) else [part])
             if isinstance(node, gast.AST)]
    return [n for node in nodes for n in gast.walk(node)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)]


def _statements(stmts):
    for stmt in stmts:
        if isinstance(stmt, Comment):
            continue
        yield stmt
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            yield from _statements(stmt.body)
            yield from _statements(stmt.orelse)


def _remove(stmts, drop):
    """Drop the statements `drop` says, and a line's comment left with nothing under it."""
    kept, emptied = [], False
    for st in stmts:
        if isinstance(st, Comment):
            if emptied:
                kept.pop()         # the comment before it now heads no statement
            kept.append(st)
            emptied = False
        elif drop(st):
            emptied = emptied or bool(kept and isinstance(kept[-1], Comment))
        else:
            kept.append(st)
            emptied = False
    if emptied:
        kept.pop()
    stmts[:] = kept
    for stmt in stmts:
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            _remove(stmt.body, drop)
            _remove(stmt.orelse, drop)
            if not stmt.body:
                stmt.body.append(gast.Pass())


def _pop(stmt, stack):
    """The name of `name = stack.pop()`, else None."""
    if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
            and isinstance(stmt.targets[0], gast.Name) and _method(stmt.value, stack, "pop") \
            and not stmt.value.args:
        return stmt.targets[0].id
    return None


def _push(stmt, stack, shaped):
    """The name of `stack.push(name)` or `stack.push(shaped(name))`, else None."""
    if not (isinstance(stmt, gast.Expr) and _method(stmt.value, stack, "push")
            and len(stmt.value.args) == 1):
        return None
    arg = stmt.value.args[0]
    if isinstance(arg, gast.Call) and isinstance(arg.func, gast.Name) and shaped is not None \
            and arg.func.id == shaped and len(arg.args) == 1:
        arg = arg.args[0]
    return arg.id if isinstance(arg, gast.Name) else None


def _method(node, stack, name):
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) \
        and node.func.attr == name and isinstance(node.func.value, gast.Name) \
        and node.func.value.id == stack and not node.keywords
