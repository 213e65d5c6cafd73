"""What each statement of the core language reads and writes: the one switch on statement kind
that the analyses share (activity, aliasing, shapes, the stack plan, dead code).

A compound statement (If, For, While) reports only what it reads or writes itself (its test,
its range, its loop variable), not what its body does: `walk` reaches the body.
"""
import gast

from . import nodes as ir


def names_read(node):
    """The variable names a gast expression (or statement) reads."""
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Load)}


def reads(stmt):
    """The names `stmt` itself reads."""
    if isinstance(stmt, ir.Assign):       # ir.Pop too: it reads the stack
        return names_read(stmt.value)
    if isinstance(stmt, ir.SetItem):
        return {stmt.target} | names_read(stmt.value) | names_read(stmt.index)
    if isinstance(stmt, ir.Effect):
        return names_read(stmt.node)
    if isinstance(stmt, ir.While):
        return names_read(stmt.test)
    if isinstance(stmt, ir.If):
        return {stmt.test}
    if isinstance(stmt, ir.For):
        return {stmt.iter}
    if isinstance(stmt, ir.Push):
        return {stmt.stack} | names_read(stmt.value)
    return set()   # Break; a Hook's body runs in the backward sweep, on an adjoint


def binds(stmt):
    """The names `stmt` itself (re)binds to a new value."""
    if isinstance(stmt, ir.Assign):
        return list(stmt.targets)
    if isinstance(stmt, ir.For):
        return [stmt.target]
    return []


def writes_in_place(stmt):
    """The name whose array `stmt` changes in place (`y[i] = e`, `x += e`), or None."""
    if isinstance(stmt, ir.SetItem):
        return stmt.target
    if isinstance(stmt, ir.Assign) and stmt.inplace:
        return stmt.target
    return None


def writes(stmt):
    """Every name whose value `stmt` itself changes: rebound or written in place."""
    out = binds(stmt)
    if isinstance(stmt, ir.SetItem):
        out.append(stmt.target)
    return out


walk = ir.walk


def write_counts(fn):
    """(name -> how many statements of fn other than loops write it, the loops of fn): a
    loop binds its counter once a step, so each reader counts loops as it needs (an int
    counter over a range, a range bound once)."""
    counts, loops = {}, []
    for stmt in walk(fn.body):
        if isinstance(stmt, ir.For):
            loops.append(stmt)
            continue
        for name in writes(stmt):
            counts[name] = counts.get(name, 0) + 1
    return counts, loops


def all_names(fn):
    """Every name the function's parameters and statements bind or read: the universe the
    set-valued analyses draw from (and so the height of their lattices)."""
    out = set(fn.params) | {fn.result}
    for stmt in walk(fn.body):
        out.update(writes(stmt))
        out |= reads(stmt)
    return out
