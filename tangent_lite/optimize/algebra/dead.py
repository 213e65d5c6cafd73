"""Unread pure assignments dropped from the backward sweep.

Other rewrites (and the rules, filled in one at a time) leave names nothing reads: a spread
seed folded into its product, a value a loop no longer needs. An assignment of a pure
expression to such a name computes an array for nobody.
"""
import gast

from ...ir import Comment
from .spelling import name_assign

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
        name_assign(st) and not loads.get(name_assign(st)) and spelling.pure(st.value))]
    if len(keep) != len(stmts):
        for st in keep:
            if isinstance(st, (gast.If, gast.For, gast.While)) and not st.body:
                st.body.append(gast.Pass())
        stmts[:] = keep
        dropped = True
    return dropped
