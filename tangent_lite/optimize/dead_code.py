"""Dead forward code: assignments of the forward sweep whose values neither the result nor the
backward sweep reads, directly or through other values, are not written.

What it proves: a pure operation (a primitive, or an inactive expression) whose targets no live
statement reads cannot change what df returns. Calls into the user's own code, pops from a
stack, in-place updates (they may write into another name's array) and every non-assignment
statement (subscript writes, effects, loop and branch tests) are kept, and what they read is
live.
"""
from .. import ir
from ..analysis.fixpoint import closure
from ..ir.uses import all_names, names_read, reads


def impure(stmt):
    """Whether an assignment may do more than compute its value: calls into user code, a pop
    (it moves the stack), an in-place update (`x += e` changes every array sharing x's memory,
    and may carry a run-time check that it shares none)."""
    op = stmt.op
    return isinstance(stmt, ir.Pop) or stmt.inplace or (op is not None and op.prim is None)


def dead_assignments(fn, needed, guards):
    """The ids of fn's dead assignments. needed: the names the backward sweep and df's return
    read of the forward sweep; guards: statement id -> [(other name, where)] run-time alias
    checks, whose names are read."""
    live = set(needed)
    assigns = []
    for stmt in ir.walk(fn.body):
        if isinstance(stmt, ir.Assign):
            assigns.append(stmt)
        else:
            live |= reads(stmt)
    for checks in guards.values():
        live |= {other for other, _ in checks}

    def spread():
        size = len(live)
        for stmt in assigns:
            if live.isdisjoint(stmt.targets) and not impure(stmt):
                continue
            live.update(names_read(stmt.value))
        return len(live) > size

    closure(spread, len(all_names(fn)), "dead-code analysis")
    return {id(st) for st in assigns if live.isdisjoint(st.targets) and not impure(st)}
