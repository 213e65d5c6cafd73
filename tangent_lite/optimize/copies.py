"""Copy propagation in the backward sweep: `dt = ds` followed by uses of `dt` becomes the uses
of `ds`, which is how a person writes it (an addition passes its gradient through unchanged).

Only what is certainly safe: the copy's name is assigned nowhere else in df, all its reads
follow it in the same statement list, none inside a loop or branch, and none after a statement
that rebinds or updates the copied name (an in-place `ds += ...` would show through).
"""
import gast

from ..ir import Comment


def propagate_copies(backward, everything):
    """Rewrite the statement list `backward` in place; `everything` is all of df's statements
    (the reads and writes that decide whether a copy may go)."""
    _block(backward, *name_counts(everything))


def name_counts(stmts):
    """({name: reads}, {name: writes}) over the statements `stmts` and all they contain.

    A dozen passes ask this of all of df, so it walks the fields itself (half the time of
    gast.walk, which also visits every Name's context and annotation)."""
    loads, stores = {}, {}
    todo = [stmt for stmt in stmts if not isinstance(stmt, Comment)]
    while todo:
        node = todo.pop()
        if type(node) is gast.Name:
            table = loads if type(node.ctx) is gast.Load else stores
            table[node.id] = table.get(node.id, 0) + 1
            continue
        for field in node._fields:
            value = getattr(node, field, None)
            if type(value) is list:
                todo.extend(v for v in value if isinstance(v, gast.AST))
            elif isinstance(value, gast.AST):
                todo.append(value)
    return loads, stores


def _block(stmts, loads, stores):
    i = 0
    while i < len(stmts):
        stmt = stmts[i]
        for child in _bodies(stmt):
            _block(child, loads, stores)
        if _copy(stmt) and stores.get(stmt.targets[0].id) == 1:
            if _propagate(stmts, i, loads):
                del stmts[i]
                continue
        i += 1


def _copy(stmt):
    return (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name) and isinstance(stmt.value, gast.Name)
            and stmt.targets[0].id != stmt.value.id)


def _bodies(stmt):
    if isinstance(stmt, gast.If):
        return [stmt.body, stmt.orelse]
    if isinstance(stmt, (gast.For, gast.While)):
        return [stmt.body]
    return []


def _propagate(stmts, i, loads):
    """Replace the reads of stmts[i]'s target by its value where that is safe; say whether
    it was (then the copy can go)."""
    copy, source = stmts[i].targets[0].id, stmts[i].value.id
    uses, reached = [], 0
    for stmt in stmts[i + 1:]:
        if isinstance(stmt, Comment):
            continue
        reads = [n for n in gast.walk(stmt) if isinstance(n, gast.Name)
                 and n.id == copy and isinstance(n.ctx, gast.Load)]
        if reads and _bodies(stmt):
            return False
        uses.extend(reads)
        reached += len(reads)
        if reached == loads.get(copy, 0):
            break
        if any(isinstance(n, gast.Name) and n.id == source and not isinstance(n.ctx, gast.Load)
               for n in gast.walk(stmt)):
            return False     # the source changes while reads of the copy remain
    if reached != loads.get(copy, 0):
        return False
    for node in uses:
        node.id = source
    loads[source] = loads.get(source, 0) + reached
    return True
