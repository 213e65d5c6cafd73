"""NumPy aliasing: where an in-place write could change what another name sees.

The core language treats `t = y[i]`, `z = y` or `r = x.reshape(...)` as values. In NumPy they
may share memory with `y`, so a later in-place write (`y[j] = e`, `y += e`) can change `t`
too. When a name that may share memory with the written array is read after the write, the
gradient of that read would be wrong; we refuse such programs with a clear error instead.

The analysis works on statement positions in program order, with loop membership, so the
common patterns stay accepted: filling `y[i]` and reading it back at once, accumulating into
a fresh array, or writing into an argument (df then works on a copy, never on the caller's
array).
"""
import functools
import operator
import os

import gast
import numpy as np

from .. import ir, runtime
from ..errors import UnsupportedSyntaxError
from ..ir.uses import all_names, binds, reads as reads_of, writes_in_place
from .distinct import apart_at
from .fixpoint import closure

# Functions whose result may share memory with their first argument.
VIEW_FUNCS = {operator.getitem, np.reshape, np.ravel, np.transpose, np.squeeze,
              np.expand_dims, np.swapaxes, np.moveaxis, np.asarray, np.atleast_1d,
              np.atleast_2d, np.atleast_3d, np.broadcast_to, np.diagonal}


# Functions whose result holds references to their arguments (lists of arrays).
_CONTAINERS = {runtime.append, list, tuple}


class _Event:
    """A statement at position `pos` of the program, inside `loops` (ids, outermost first)
    and the branches `blocks` (the enclosing loop bodies and if-branches, outermost first)."""
    __slots__ = ("pos", "loops", "blocks", "stmt")

    def __init__(self, pos, loops, blocks, stmt):
        self.pos, self.loops, self.blocks, self.stmt = pos, loops, blocks, stmt


def _linearize(body, loops=(), blocks=(), out=None):
    out = [] if out is None else out
    for stmt in body:
        out.append(_Event(len(out), loops, blocks, stmt))
        if isinstance(stmt, ir.If):
            _linearize(stmt.body, loops, blocks + ((id(stmt), 0),), out)
            _linearize(stmt.orelse, loops, blocks + ((id(stmt), 1),), out)
        elif isinstance(stmt, (ir.For, ir.While)):
            _linearize(stmt.body, loops + (id(stmt),), blocks + ((id(stmt), 0),), out)
    return out


def _dominates(b, e):
    """Whether b certainly runs before e each time e runs (earlier in a block enclosing e;
    within the same iteration of every loop around b)."""
    return b.pos < e.pos and e.blocks[:len(b.blocks)] == b.blocks


def _alias_sources(stmt):
    """The names whose memory the assigned value may share: the array a view is of, the name
    copied, the arrays a Python list holds (`[a, b]`, `items.append(h)`, `list(items)`)."""
    if not isinstance(stmt, ir.Assign) or len(stmt.targets) != 1:
        return []
    value, op = stmt.value, stmt.op
    if op is None:
        if isinstance(value, gast.Name):
            return [value.id]
        if isinstance(value, (gast.List, gast.Tuple)):
            return [e.id for e in value.elts if isinstance(e, gast.Name)]
        return []
    if op.func in VIEW_FUNCS or op.func in _CONTAINERS:
        args = op.args[:2 if op.func is runtime.append else 1]
        if op.func in (list, tuple) and len(args) == 1 and \
                isinstance(args[0], (gast.List, gast.Tuple)):
            args = args[0].elts          # a literal `[a, b]`, spelled list([a, b])
        return [a.id for a in args if isinstance(a, gast.Name)]
    return []


def held_in_container(stmt, lists):
    """(container, names) when `stmt` puts the arrays of `names` into a Python container
    named `container`, holding them as they are (no copy): `c = [a, b]`, `c = (a, b)`,
    `c = list(...)`, `c = append(c, a)`, and `c[i] = a` as the user wrote it where c is
    certainly a list (lists: certain_lists; into an array, it copies). Else None."""
    if isinstance(stmt, ir.SetItem):
        if stmt.replaces and stmt.target in lists and isinstance(stmt.value, gast.Name):
            return stmt.target, {stmt.value.id}
        return None
    if not isinstance(stmt, ir.Assign) or isinstance(stmt, ir.Pop) or len(stmt.targets) != 1:
        return None
    if (stmt.op is None and isinstance(stmt.value, (gast.List, gast.Tuple))) or \
            (stmt.op is not None and stmt.op.func in _CONTAINERS):
        return stmt.target, set(_alias_sources(stmt))
    return None


def makes_list(stmt):
    """Whether `stmt` binds its target to a new Python list: `[]`, `[a, b]`, `list(...)`,
    or a comprehension's `append`."""
    if not isinstance(stmt, ir.Assign) or isinstance(stmt, ir.Pop) or len(stmt.targets) != 1:
        return False
    if stmt.op is None:
        return isinstance(stmt.value, gast.List)
    return stmt.op.func in (list, runtime.append)


def certain_lists(fn):
    """name -> the list objects it may hold, for the names that are certainly Python lists
    (see _lists)."""
    return _lists(fn, _linearize(fn.body))


def _lists(fn, events):
    """name -> the list objects (points-to entries) it may hold, for the names that are
    certainly Python lists: not parameters, and every binding of them makes a new list.
    `x[i] = e` on such a name replaces an item: it writes into no array, and only the names
    that may hold the same list object see it."""
    makers, others = {}, set(fn.params)
    for e in events:
        for t in binds(e.stmt):
            if makes_list(e.stmt):
                makers.setdefault(t, set()).add(("new", id(e.stmt)))
            else:
                others.add(t)
    return {n: objs for n, objs in makers.items() if n not in others}


def _risky(d, w, r, source=False):
    """Can a read at r see, through an alias made at d, a write at w?"""
    if d.pos < w.pos < r.pos:
        return True
    if d.pos < w.pos and set(w.loops) & set(r.loops) - set(d.loops):
        return True     # the alias, made before a loop, is read in a later iteration
    if source and w.pos < d.pos and set(d.loops) & set(w.loops) and r.pos > w.pos:
        return True     # x made from the name read, late in an iteration, written through
        #                 in the next
    shared = set(d.loops) & set(w.loops) & set(r.loops)
    if shared and r.pos < d.pos:
        # r reads the alias made by d in an earlier iteration; safe only if the write
        # falls between the read and the next alias in every iteration.
        return not (r.pos < w.pos < d.pos)
    return False


def _kept_across_iterations(d, w, r, bound_at):
    """Can a read at r see a write at w through an alias that d adds to a list which keeps the
    aliases of earlier iterations (`hist.append(B[0])` in a loop that also writes B)?

    The write in a later iteration of a loop around both changes the rows appended in the
    iterations before it, unless the list is made anew in each iteration of that loop
    (`rows = []` inside it), which drops them."""
    m = d.stmt.target
    if m not in _alias_sources(d.stmt):
        return False      # not an accumulation: each binding holds only this iteration's alias
    if isinstance(r.stmt, ir.Assign) and r.stmt.target == m and m in _alias_sources(r.stmt):
        return False      # appending to the list does not read the arrays in it
    for loop in set(d.loops) & set(w.loops):
        renewed = any(loop in b.loops and m not in _alias_sources(b.stmt)
                      for b in bound_at.get(m, ()))
        if not renewed and (r.pos > w.pos or loop in r.loops):
            return True
    return False


def _rebound_between(w, r, bindings):
    """Whether m is certainly bound again between a write at w and each read of m at r that
    could follow it: a binding b that runs before r each time r runs (it dominates r), and
    after every run of w that r could follow (w earlier in program order, or w later and every
    loop carrying the write to r encloses b too). `prev_old = prev; prev = cur` in a loop that
    writes into `cur` then reads `prev_old`: the read sees the binding made after the write.
    The binding's own value may share memory with the written array: it was made after the
    write, so it holds what NumPy holds, as any later read of the array does."""
    carried = set(w.loops) & set(r.loops)
    return any(_dominates(b, r) and (w.pos < b.pos or w.pos > r.pos and carried <= set(b.loops))
               for b in bindings)


def _maybe_bound(b, w):
    """Can a binding at event b have happened when w runs (before it, or in an earlier
    iteration of a loop around both)?"""
    return b.pos < w.pos or bool(set(b.loops) & set(w.loops))


CHECKPOINTED = "a checkpointed loop (checkpoint=, or checkpointed(...))"


def check_aliasing(fn, parsed, replayed=None):
    """Raise for an in-place write another name could observe.

    Two refinements hold for derivatives whose backward sweep runs once, on the arrays as the
    forward sweep left them (grad, jvp, hvp): a name bound again between the write and its
    read (`prev_old = prev` in a swap), and buffers proved apart (distinct.py). So do
    pullbacks, whose backward sweep restores one copy per array that every name and stack
    entry holding it shares (runtime owned_in). A checkpointed loop's replay does not take
    them: it restores such writes in its snapshots' copies of the arrays, which the names that
    trade them do not see. replayed(loops): for a write inside `loops` (ids, outermost first),
    CHECKPOINTED where a replay would run it (named in the error), else None.

    Returns (copied, guards): the parameters that may be written in place (df copies them
    first so the caller's arrays never change), and for `x += e` statements that are in place
    only if x is an array, the runtime checks to run before them: statement id ->
    [(other name, "file:line")].
    """
    program = _Program(fn, parsed)
    copied, guards = set(), {}
    for w in program.events:
        stmt = w.stmt
        x = writes_in_place(stmt)
        if x is None:
            continue
        replays = replayed(w.loops) if replayed else None
        replaced = isinstance(stmt, ir.SetItem) and x in program.lists
        group = program.sharing(stmt, x)
        if isinstance(stmt, ir.SetItem):
            copied.update(p for p in fn.params if p in group)
        for m in sorted(group - {x}):
            seen = _first_seen(program, w, x, m, replays)
            if seen is None:
                continue
            r, refined, kept = seen
            if isinstance(stmt, ir.SetItem):
                message, hint = _replay_refused(x, m, r, replays) if refined else \
                    _explained(x, m, r, kept, replaced and not stmt.replaces,
                               replaced and stmt.replaces)
                raise parsed.error(UnsupportedSyntaxError, stmt, message, hint=hint)
            # `x += e` is only in place when x is an array: check when it runs.
            where = f"{os.path.basename(parsed.filename)}:{stmt.lineno}"
            guards.setdefault(id(stmt), []).append((m, where))
    return copied, guards


class _Program:
    """What check_aliasing reads of fn, worked out once: its statements in order (events),
    the certain lists, the points-to sets and the events making aliases, each name's reads
    and bindings; and, only where a write needs them, the buffers proved apart (distinct.py)."""

    def __init__(self, fn, parsed):
        self.fn = fn
        self.events = events = _linearize(fn.body)
        self.lists = _lists(fn, events)
        self.points, self.alias_defs = _points_to(fn, events, self.lists)
        self.reads = _reads_by_name(fn, events)
        self.bound_at = {}
        for e in events:
            for t in binds(e.stmt):
                self.bound_at.setdefault(t, []).append(e)
        self.single = {n for n, bindings in self.bound_at.items() if len(bindings) == 1}
        self.apart = functools.cache(lambda: apart_at(fn, parsed.resolve, VIEW_FUNCS))

    def sharing(self, stmt, x):
        """The names that may see an in-place write into x. A view's copy in a list (`items =
        [head, ...]` with head the lowering's copy of y[:4]) never stands for its base here:
        transforms/memory.py keeps a view a view when a list holding it is written through
        or outlives the view's block."""
        points, lists = self.points, self.lists
        if isinstance(stmt, ir.SetItem) and x in lists and stmt.replaces:
            # an item of a list replaced: only another name for the list itself sees it
            return {n for n, objs in points.items() if objs & lists[x]} | {x}
        return {n for n, objs in points.items() if objs & points.get(x, set())} | {x}


def _first_seen(program, w, x, m, replays):
    """The first read of m that may see the in-place write into x at w, as (that read,
    whether only a refinement a replay does not take accepted it, whether m keeps earlier
    iterations' aliases), or None where m sees nothing of it."""
    stmt, defs_here = w.stmt, program.alias_defs
    # swapped buffers: m holds another array now (distinct.py)
    swapped = frozenset((x, m)) in program.apart()[id(stmt)]
    if swapped and not replays:
        return None
    # the aliases that link m to x's memory: x made from m by views (directly, or through
    # others: `t = B.T; flat = t.reshape(-1)` links flat to B), or m made as a view (of x, or
    # of an alias of it)
    bound_at = program.bound_at
    up = _made_from(x, defs_here, program.single)
    if m not in up:
        # through names bound more than once too (`B = W; col = B[:, 1]; B = ...`: col is
        # still W's memory): not certain, so only ever more cautious
        further = _made_from(x, defs_here, set(bound_at))
        if m in further:
            up = further
    links = up - {m} if m in up else {m}
    defs = [d for d in defs_here if d.stmt.target in links]
    if m in bound_at and m not in program.fn.params and \
            not any(_maybe_bound(b, w) for b in bound_at[m]):
        return None          # a local m holds nothing yet when x is written
    for r in program.reads.get(m, ()):
        if r.stmt is stmt:
            continue         # the write's own read of m (`x[i] = m * 2`) comes first
        # r reads a value of m bound after the write
        refined = swapped or _rebound_between(w, r, bound_at.get(m, ()))
        if refined and not replays:
            continue
        kept = any(_kept_across_iterations(d, w, r, bound_at) for d in defs)
        if kept or any(_risky(d, w, r, m in up) for d in defs):
            return r, refined, kept
    return None


def _replay_refused(x, m, r, replays):
    """The message and hint of a write a replaying backward sweep refuses (replays names it)
    and the others accept."""
    instead = "differentiate it without checkpointing"
    return (f"{replays} cannot replay this in-place write into `{x}`: `{x}` and `{m}` trade "
            f"arrays (or `{m}` is bound again) before `{m}` is read (line {_line(r)}), and a "
            "backward sweep replayed from saved state restores the write in its own copy of "
            "the array, which the name that traded it does not see",
            f"instead: {instead}; or write `{x}` anew (`{x} = ...`) instead of into it")


def _explained(x, m, r, kept, item_changed, entry_replaced=False):
    """The message and hint of a refused in-place write to x, which m (read at r) may see.

    kept: m is a list keeping the aliases of earlier iterations, which a later iteration's
    write changes; item_changed: x is a list whose item is changed in place (`x[i] *= e`, or
    a view of the item written through), not replaced; entry_replaced: x is a list whose
    entry is replaced, and m may name the same list."""
    if entry_replaced:
        return (f"this write replaces an entry of the list `{x}`, which `{m}` may also name, "
                f"and `{m}` is read afterwards (line {_line(r)}): Python would change both",
                f"instead: use one name for the list, or bind `{m} = {x}` once, before any "
                "loop or branch, and never rebind either")
    if item_changed:
        return (f"this write changes an item of the list `{x}` in place (an augmented "
                f"assignment, or a write through a view of the item), and that item may share "
                f"memory with `{m}`, read afterwards (line {_line(r)}): NumPy would change both",
                f"instead: replace the item with a new array, `{x}[i] = {x}[i] * ...`, or make "
                "the item its own array first with `.copy()`")
    message = (f"this in-place write changes `{x}`, which may share memory with `{m}`, and "
               f"`{m}` is read afterwards (line {_line(r)}): NumPy would change both")
    if kept:
        return (message + f"; `{m}` keeps what earlier iterations put in it, and this write, "
                "in a later iteration, changes those arrays too",
                f"instead: put a copy in `{m}` (`{m}.append(row.copy())`), or write "
                f"`{x} = {x} + ...` so that earlier iterations' arrays stay as they were")
    return (message, f"instead: make `{x}` its own array first, e.g. `{x} = {x}.copy()`, or "
            f"write `{x} = {x} + ...`")


def checked_before_bound(fn, guards):
    """The names a run-time check reads (guards) where they may not be bound yet (a name
    bound later in the loop around the check): the derivative binds them to None first, and
    `unshared(x, None)` checks nothing, as nothing can share x's memory through them then."""
    at = {}

    def walk(body, bound):
        for st in body:
            at[id(st)] = bound
            if isinstance(st, ir.If):
                walk(st.body, bound)
                walk(st.orelse, bound)
                bound = frozenset(ir.must_assigned([st], bound))
            elif isinstance(st, (ir.For, ir.While)):
                walk(st.body, bound)   # its first iteration sees what was bound before it
            else:
                bound = bound | frozenset(binds(st))
    walk(fn.body, frozenset(fn.params))
    return sorted({m for sid, checks in guards.items() for m, _ in checks
                   if m not in at.get(sid, frozenset())})


def _made_from(name, alias_defs, single):
    """`name`, the names its views and plain copies are made from, and further back through
    names assigned only once (temporaries: `t = B.T; flat = t.reshape(-1)`), so that each
    link certainly still holds when the chain is used."""
    out, todo = set(), [name]
    while todo:
        n = todo.pop()
        if n not in out:
            out.add(n)
            if n == name or n in single:
                todo.extend(src for d in alias_defs if d.stmt.target == n
                            for src in _alias_sources(d.stmt))
    return out


def alias_groups(fn, lists=None):
    """name -> the names that may share its memory (itself included), from the points-to
    sets below. lists: certain_lists(fn), when the caller has it already."""
    events = _linearize(fn.body)
    points, _ = _points_to(fn, events, _lists(fn, events) if lists is None else lists)
    return {n: {m for m, theirs in points.items() if theirs & mine} for n, mine in points.items()}


def _points_to(fn, events, lists):
    """Points-to sets: which arrays (a parameter, or the result of one non-view statement) each
    name may refer to; two names may share memory when their sets meet. Returns (sets, the
    events that make views).

    A name that is certainly a Python list (_lists) points to its list object and to what the
    list holds; reading an entry (`y = hidden[i]`) gives what it holds, not the list object,
    so replacing an entry later (`hidden[i] = e`) changes nothing `y` sees. Replacing an
    entry adds the new value to what the list holds (_Stores). lists: _lists(fn, events)."""
    points = {p: {("param", p)} for p in fn.params}
    alias_defs, sources, stores = [], [], []
    for e in events:
        stmt = e.stmt
        if isinstance(stmt, ir.Assign):
            found = _alias_sources(stmt)
            if found:
                alias_defs.append(e)
                listed = _entry_of(stmt, lists)
                sources.extend((stmt.target, src, listed if src == listed else None)
                               for src in found)
            if not found or stmt.op is not None and stmt.op.func in _CONTAINERS:
                for t in stmt.targets:
                    points.setdefault(t, set()).add(("new", id(stmt)))
        elif isinstance(stmt, ir.SetItem) and isinstance(stmt.value, gast.Name) and \
                (stmt.replaces or stmt.target in lists):
            alias_defs.append(e)       # the user's `x[i] = v`, or a view written back into a list
            stores.append((stmt.target, stmt.value.id, stmt.replaces))
        elif isinstance(stmt, ir.For):
            points.setdefault(stmt.target, set()).add(("new", id(stmt)))
    stored = _Stores(points, stores, events)

    def spread():
        changed = stored.spread()
        for target, src, entry_of in sources:
            mine = points.setdefault(target, set())
            theirs = points.setdefault(src, {("global", src)})
            if entry_of is not None:
                theirs = theirs - lists[entry_of]
            if not theirs <= mine:
                mine |= theirs
                changed = True
        return changed

    # Each pass adds at least one (name, array) pair; there are at most names x arrays.
    closure(spread, len(all_names(fn)) * (len(events) + len(fn.params) + len(sources)
                                          + 2 * len(stores)),
            "alias analysis")
    return points, alias_defs


class _Stores:
    """`x[i] = v` puts v itself into x when x is a list: every name holding that list holds
    v from then on (`layer = layers[0]; layer[0] = a`: layers holds a).

    Which objects may be lists: those made here, parameters and globals, and the copy a view
    of something that may be a list gets (`detached(...)`, transforms/memory.py). A view
    written back (`if t_shared: cell[0] = v`, not the user's `x[i] = v`) puts v in the list
    only when v may itself be a list: an array written back is copied into the entry's
    memory, which the list already holds."""

    def __init__(self, points, stores, events):
        self.points, self.stores = points, stores
        self.maybe = {("new", id(e.stmt)) for e in events if makes_list(e.stmt)}
        self.copies = [(("new", id(e.stmt)), e.stmt.op.args[0].id) for e in events
                       if isinstance(e.stmt, ir.Assign) and e.stmt.op is not None and
                       e.stmt.op.func is runtime.detached and
                       isinstance(e.stmt.op.args[0], gast.Name)]

    def spread(self):
        changed = False
        points = self.points
        for obj, arg in self.copies:
            if obj not in self.maybe and points.get(arg, set()) & self.maybe:
                self.maybe.add(obj)
                changed = True
        for target, value, replaces in self.stores:
            theirs = points.setdefault(value, {("global", value)})
            if not replaces and not theirs & self.maybe:
                continue
            held = {o for o in points.get(target, ()) if o in self.maybe or o[0] != "new"}
            for mine in points.values():
                if mine & held and not theirs <= mine:
                    mine |= theirs
                    changed = True
        return changed


def _entry_of(stmt, lists):
    """The list whose entry `stmt` reads, when that name is certainly a Python list
    (`y = hidden[i]`), else None."""
    op = stmt.op
    if op is not None and op.func is operator.getitem and not op.user and \
            isinstance(op.args[0], gast.Name) and op.args[0].id in lists:
        return op.args[0].id
    return None


def _reads_by_name(fn, events):
    """name -> the events that read it (the result counts as read at the end)."""
    reads = {}
    for e in events:
        stmt = e.stmt
        found = reads_of(stmt)
        if isinstance(stmt, ir.SetItem):
            found.discard(stmt.target)   # writing into it is not reading what it holds
        for n in found:
            reads.setdefault(n, []).append(e)
    reads.setdefault(fn.result, []).append(_Event(len(events), (), (), None))
    return reads


def _line(event):
    return getattr(event.stmt, "lineno", None) or "return"
