"""Writes through views, made explicit: NumPy's memory semantics as the derivative sees them.

In NumPy, `v = y[:2]; v += x` changes y: v is a view of y's memory. The core language treats
values, so such a program would be differentiated as if y were untouched. This pass rewrites a
view that is written through into an explicit copy and explicit writes back into its base:

    v = y[:2]                       t_view = y[:2]
    v += x                          t_shared = shares_memory(t_view, y)
    ...                             v = detached(t_view)
                                    v = v + x
                                    if t_shared:
                                        y[:2] = v

Whether NumPy made a view is decided when the program runs (`shares_memory`): a basic index
or a reshape that did not copy writes back, a fancy index, a reshape that copied, or a number
does not, exactly as NumPy would behave. When the base is written while the view is still
used, the view is taken again (`if t_shared: v = detached(y[:2])`), so it sees the change.

Which views: `b[index]`, np.transpose / `.T`, np.swapaxes, np.moveaxis, np.reshape, np.ravel,
np.squeeze, np.expand_dims, and `v = b` itself, defined by a statement of a block and used only
by later statements of that same block (a loop body, a branch, the function) or statements
nested in them, with no other name that could share the base's memory written in between, and
neither the view, its base nor the names the view reads rebound. A name made from the view (a
view of it, an alias, a list or tuple holding it) must not be written in place, read after a
write into the view or its base, or used outside that block: the copy in it would not follow
NumPy's view (`states = [head]; states[0] += e` changes head's base in NumPy). Writes under
control flow get their write back (or retake) right after them, inside the same branch or loop
body. The aliasing analysis then checks the rewritten program (another view of the base read
after a write back, say). Anything else is left as it is, and the aliasing analysis
(analysis/aliasing.py) refuses what could still be observed: never a guess.
"""
import dataclasses
import operator
import os

import gast
import numpy as np

from .. import ir, runtime
from ..analysis.aliasing import alias_groups, certain_lists, held_in_container
from ..ir import syntax as s
from ..errors import UnsupportedSyntaxError
from ..ir.uses import binds, reads, writes, writes_in_place
from ..rules.registry import lookup

# view function -> how the written view goes back into its base: "index" (b[index] = v),
# "self" (the same function with the same arguments is its own inverse: swapaxes),
# "swap" (moveaxis: source and destination exchanged), "transpose", "reshape" (to b's shape).
_KINDS = {operator.getitem: "index", np.transpose: "transpose", np.swapaxes: "self",
          np.moveaxis: "swap", np.reshape: "reshape", np.ravel: "reshape",
          np.squeeze: "reshape", np.expand_dims: "reshape"}


def lower_views(ctx):
    """Rewrite ctx.fn's body in place (see the module docstring)."""
    fn = ctx.fn
    # the rewrites below bind no list (copies, flags, write backs): the lists stay certain
    lists = certain_lists(fn)
    groups = alias_groups(fn, lists)
    _order_checks(ctx, fn.body, groups, _view_definitions(fn.body), lists)
    _Lowering(ctx, groups, lists).block(fn.body)


def _array_written(stmt, lists):
    """The name whose memory `stmt` writes in place, as writes_in_place, but None for an entry
    of a name that is certainly a Python list replaced (`hidden[i] = e`): that writes no
    array, and a name holding the old entry (`old = hidden[i]`) keeps it."""
    written = writes_in_place(stmt)
    if isinstance(stmt, ir.SetItem) and stmt.replaces and written in lists:
        return None
    return written


def _stale_derived(region, v, b, lists, outside):
    """Whether a name made from v by a view or alias in `region` (or from such a name), or a
    list or tuple holding one, is read after a write into v or b: later in order, or in a
    later iteration of a loop that writes, around the read but not around where the name was
    made; or is itself written in place; or is used outside `region` (outside(name)), where
    the write backs and retakes of v cannot follow it (`out[0] = head` into a list made
    before, bumped after the loop or branch)."""
    derived, stale, loops_written = {}, set(), set()

    def read(names, loops):
        for n in names & set(derived):
            if n in stale or (set(loops) & loops_written) - set(derived[n]):
                return True
        return False

    def visit(stmts, loops):
        for stmt in stmts:
            if isinstance(stmt, (ir.For, ir.While)):
                inner = loops + (id(stmt),)
                if any(_array_written(st, lists) in (v, b) for st in ir.walk(stmt.body)):
                    loops_written.add(id(stmt))
                if read(set(reads(stmt)), loops) or visit(stmt.body, inner):
                    return True
                continue
            if isinstance(stmt, ir.If):
                if read({stmt.test}, loops) or visit(stmt.body, loops) or \
                        visit(stmt.orelse, loops):
                    return True
                continue
            if read(set(reads(stmt)), loops):
                return True
            view = _view(stmt)
            if view is not None and (view[1] == v or view[1] in derived):
                if outside(view[0]):
                    return True
                derived[view[0]] = loops       # made from v, or from a name made from it
                stale.discard(view[0])
            held = held_in_container(stmt, lists)
            if held is not None and held[0] not in (v, b) and held[1] & (set(derived) | {v}):
                if outside(held[0]):
                    return True
                # a list or tuple holding v (or a name made from it): in NumPy its entry is
                # the view itself, which sees writes into b and whose writes reach b; the
                # copy in it would do neither
                if isinstance(stmt, ir.SetItem):
                    derived.setdefault(held[0], loops)
                else:
                    derived[held[0]] = loops
                    stale.discard(held[0])
            written = _array_written(stmt, lists)
            if written in derived:
                return True    # a write through another name for v's memory (`a = v;
                #                a *= 2` left as it is): v's copy would not see it
            if written in (v, b):
                stale.update(derived)
        return False

    return visit(region, ())


def _view_definitions(body):
    """name -> the statement defining it as a view, for names bound only there."""
    counts, found = {}, {}
    for stmt in ir.walk(body):
        for t in binds(stmt):
            counts[t] = counts.get(t, 0) + 1
        view = _view(stmt)
        if view is not None and view[2] != "alias":
            found[view[0]] = stmt
    return {n: st for n, st in found.items() if counts.get(n) == 1}


def _order_checks(ctx, body, groups, views, lists, reaching=None):
    """Before `t[i] = v` where v may share t's memory: `copied_in_order(<t[i]>, <v>, where)`,
    with t and v spelled as the views they are of their bases (`y[::2][...]`, `y[:4]`), since
    the lowering below may make either a copy of its own.

    A name's view is the definition that reaches the write: the one statement binding it
    (views), or the last view assignment before the write in the same or an enclosing block
    with no other binding in between (reaching; a loop forgets the names its body binds, an
    if the names its branches bind). A name that is a view somewhere but whose view here is
    not known is refused: checking the copy the lowering makes would miss NumPy's overlap
    (`v = y[::2]; v[...] = y[:4]; v += 1`, where NumPy copies element by element). Replacing
    an entry of a certain list (`lists`) copies nothing: it needs no check."""
    reaching = dict(reaching or {})
    out = []
    for stmt in body:
        if isinstance(stmt, (ir.For, ir.While)):
            bound = _bound_in(stmt.body)
            inner = {n: d for n, d in reaching.items() if n not in bound}
            _order_checks(ctx, stmt.body, groups, views, lists, inner)
            for n in bound:
                reaching.pop(n, None)
        else:
            for child in ir.children(stmt):
                _order_checks(ctx, child, groups, views, lists, reaching)
            for child in ir.children(stmt):
                for n in _bound_in(child):
                    reaching.pop(n, None)
        if isinstance(stmt, ir.SetItem) and isinstance(stmt.value, gast.Name) and \
                stmt.value.id in groups.get(stmt.target, ()) and stmt.value.id != stmt.target \
                and _array_written(stmt, lists) is not None:
            dst = gast.Subscript(value=_spelled(ctx, stmt, stmt.target, views, reaching),
                                 slice=s.copy(stmt.index), ctx=gast.Load())
            value = _spelled(ctx, stmt, stmt.value.id, views, reaching)
            place = f"{os.path.basename(ctx.parsed.filename)}:{stmt.lineno}"
            call = s.call(ctx.bindings.name("copied_in_order"), [dst, value, s.const(place)])
            out.append(ir.Effect(node=gast.Expr(value=call), lineno=stmt.lineno))
        out.append(stmt)
        if not isinstance(stmt, (ir.For, ir.While, ir.If)):
            view = _view(stmt)
            for n in binds(stmt):
                if view is not None and view[0] == n and view[2] != "alias" and \
                        stmt.op is not None:
                    reaching[n] = stmt
                else:
                    reaching.pop(n, None)
    body[:] = out


def _bound_in(body):
    return {n for st in ir.walk(body) for n in binds(st)}


def _spelled(ctx, stmt, name, views, reaching):
    """`name` as the view expression of its base that reaches `stmt`, or the name itself
    where it is no view (see _order_checks)."""
    define = views.get(name) or reaching.get(name)
    if define is not None and define.op is not None:
        return s.copy(define.value)
    if any(_view(st) is not None and _view(st)[0] == name and _view(st)[2] != "alias"
           for st in ir.walk(ctx.fn.body)):
        raise ctx.parsed.error(
            UnsupportedSyntaxError, stmt,
            f"this write copies into or out of `{name}`, a view bound more than once, and "
            "the copy may overlap the memory it is written to: tangent_lite cannot tell here "
            "which view it is to check NumPy's element-by-element copy",
            hint=f"instead: write a copy (`.copy()`) of the value, or give the view `{name}` a "
                 "name of its own for each assignment")
    return s.name(name)


class _Lowering:
    def __init__(self, ctx, groups, lists):
        self.ctx = ctx
        self.groups = groups          # name -> the names that may share its memory
        self.uses = _count_uses(ctx.fn.body)
        self.lists = lists            # certain_lists(ctx.fn)

    def written(self, stmt):
        return _array_written(stmt, self.lists)

    def block(self, body):
        for stmt in body:
            for child in ir.children(stmt):
                self.block(child)
        while True:
            found = self.candidate(body)
            if found is None:
                return
            self.rewrite(body, *found)
            # the view is now a copy of its own: recount, and regroup what shares memory
            self.uses = _count_uses(self.ctx.fn.body)
            self.groups = alias_groups(self.ctx.fn, self.lists)

    # -- which views ----------------------------------------------------------------------

    def candidate(self, body):
        """(position, view name, base, kind, last use) of the last view written through that
        this block can rewrite, or None. Last first: rewriting a view adds writes into its
        base (the write backs), which may itself be a view made earlier (`acc = lst` before
        `stack = acc; stack.append(v)`), and that one must see them."""
        for p in range(len(body) - 1, -1, -1):
            stmt = body[p]
            view = _view(stmt)
            if view is None:
                continue
            v, b, kind = view
            if kind == "alias":
                # `lo, hi = y[:3], y[3:]` binds lo to a temporary view: look through it
                through = self.through_temporary(body, p, b)
                if through is not None:
                    stmt = body[p] = dataclasses.replace(through, targets=[v])
                    v, b, kind = _view(stmt)
            later = [q for q in range(p + 1, len(body)) if v in _mentions(body[q])]
            if not later:
                continue
            region = list(ir.walk(body[p + 1:later[-1] + 1]))
            written_view = any(self.written(st) == v for st in region)
            # a write into b by the last statement using v needs no retake, unless that
            # statement is a loop or branch that uses v again after the write
            last = body[later[-1]]
            until = later[-1] + (1 if ir.children(last) else 0)
            written_base = any(self.written(st) == b for st in ir.walk(body[p + 1:until]))
            if not (written_view or written_base):
                continue   # neither v nor its base is written while v is in use
            if self.rewritable(body, p, v, b, later):
                return p, v, b, kind, later[-1]
        return None

    def through_temporary(self, body, p, temp):
        """The statement defining `temp` as a view, when temp is used by nothing but that and
        `v = temp` at p."""
        for q in range(p - 1, -1, -1):
            stmt = body[q]
            if temp in _mentions(stmt):
                view = _view(stmt)
                if view is not None and view[0] == temp and view[2] != "alias" and \
                        self.uses.get(temp, 0) == 2 and not _changed(body[q + 1:p],
                                                                       reads(stmt)):
                    return stmt
                return None
        return None

    def rewritable(self, body, p, v, b, later):
        last = later[-1]
        region = body[p + 1:last + 1]
        local = _count_uses(region).get(v, 0) + 1
        if self.uses.get(v, 0) != local:
            return False          # v is used elsewhere: in another block, or earlier here
        argument_names = reads(body[p]) - {b}
        others = self.groups.get(b, set()) - {b, v}
        tail = _count_uses(body[p + 1:])
        if _stale_derived(body[p + 1:], v, b, self.lists,
                          lambda n: self.uses.get(n, 0) != tail.get(n, 0)):
            return False          # another name for v's memory (`d = v`, `t = v[0]`) read
            #                       after a write (up to the block's end, where that name may
            #                       still be read after v's own last use): it would not follow
            #                       v's write backs and retakes
        for stmt in ir.walk(region):
            written = self.written(stmt)
            if written in others:
                return False      # another name that may share b's memory is written (reads
                #                   of them after a write back are the aliasing analysis's)
            rebound = set(binds(stmt)) - ({written} if written else set())
            if rebound & (argument_names | {b, v}):
                return False      # the view's base or index changed, or v rebound
        return True

    # -- the rewrite ----------------------------------------------------------------------

    def rewrite(self, body, p, v, b, kind, last):
        define = body[p]
        raw = self.ctx.namer.fresh("t_view")
        shared = self.ctx.namer.fresh("t_shared")
        if define.op is None and any(ir.children(st) and (v in _mentions(st) or b in
                                                          _mentions(st))
                                     for st in body[p + 1:last + 1]):
            kind = "alias in place"   # see write_back
        taken = self.take(define, raw, shared, v, b, kind=kind)
        region = self.follow(body[p + 1:last + 1], define, kind, shared, v, b, body[last])
        body[:] = body[:p] + taken + region + body[last + 1:]

    def follow(self, stmts, define, kind, shared, v, b, last):
        """`stmts` with, after each write through v (at any depth), the write back into b,
        and after each write into b, v taken again (unless nothing reads v after it)."""
        out = []
        for stmt in stmts:
            for child in ir.children(stmt):
                child[:] = self.follow(child, define, kind, shared, v, b, None)
            out.append(stmt)
            written = self.written(stmt)
            if written == v:
                out.append(self.write_back(define, kind, shared, v, b, stmt.lineno))
            elif written == b and stmt is not last:
                again = self.take(define, self.ctx.namer.fresh("t_view"), None, v, b,
                                  stmt.lineno)
                out.append(ir.If(test=shared, body=again, orelse=[], lineno=stmt.lineno))
        return out

    def take(self, define, raw, shared, v, b, line=None, kind=None):
        """`raw = view(b)`, [`shared = shares_memory(raw, b)`], `v = detached(raw)`; under
        `line` (the write that made the view stale) when it is taken again."""
        line = line or define.lineno
        out = [ir.Assign(targets=[raw], value=s.copy(define.value), op=define.op,
                         lineno=line, refuse=define.refuse)]
        if shared is not None and kind == "alias in place":
            place = f"{os.path.basename(self.ctx.parsed.filename)}:{define.lineno}"
            out.append(self.helper(shared, "shares_array_memory",
                                   [s.name(raw), s.name(b), s.const(place)], line))
        elif shared is not None:
            out.append(self.helper(shared, "shares_memory", [s.name(raw), s.name(b)], line))
        out.append(self.helper(v, "detached", [s.name(raw)], line))
        return out

    def helper(self, target, name, args, line):
        func = getattr(runtime, name)
        spelled = self.ctx.bindings.name(name)
        return ir.Assign(targets=[target], value=s.call(spelled, args),
                         op=ir.Op(func=func, prim=lookup(func), label=name, args=args,
                                  keywords={}, hint=name),
                         lineno=line)

    def write_back(self, define, kind, shared, v, b, line):
        """`if shared:` the written view goes back into its base (as part of the write at
        `line`)."""
        if kind == "alias in place":
            # v = b, written under a loop or branch: v's value is copied into b's memory,
            # a write into that memory in place (b[...] = v) that every other name for it
            # sees, as in NumPy; the aliasing analysis and the views of b take it as one.
            # shares_array_memory refused a list or other container at run time.
            back = [ir.SetItem(target=b, index=gast.Constant(value=Ellipsis, kind=None),
                               value=s.name(v), lineno=line)]
        elif define.op is None:
            # v = b: b = detached(v), its own copy. It stands for a write into b's memory, so
            # it counts as one (inplace): the aliasing analysis then checks that no other
            # name for that memory is read afterwards, and views of b are taken again
            back = [dataclasses.replace(self.helper(b, "detached", [s.name(v)], line),
                                        inplace=True)]
        elif kind == "index":
            back = [ir.SetItem(target=b, index=s.copy(define.op.args[1]), value=s.name(v),
                               lineno=line)]
        else:
            moved = self.ctx.namer.fresh(f"{b}_back")
            back = [self.inverse(define, kind, moved, v, b, line),
                    ir.SetItem(target=b, index=gast.Constant(value=Ellipsis, kind=None),
                               value=s.name(moved), lineno=line)]
        return ir.If(test=shared, body=back, orelse=[], lineno=line)

    def inverse(self, define, kind, target, v, b, line):
        """`target = <v put back into b's layout>`."""
        op = define.op
        np_name = self.ctx.name("np")
        rest = [s.copy(a) for a in op.args[1:]]
        keywords = {k: s.copy(e) for k, e in op.keywords.items()}
        if kind == "transpose":
            axes = rest or list(keywords.values())
            func, args = np.transpose, [s.name(v)] + (
                [s.call(s.attr(np_name, "argsort"), axes)] if axes else [])
            keywords = {}
        elif kind == "self":
            func, args = op.func, [s.name(v)] + rest
        elif kind == "swap":
            func, args = np.moveaxis, [s.name(v)] + rest[::-1]
        else:
            func, args = np.reshape, [s.name(v), s.call(s.attr(np_name, "shape"), [s.name(b)])]
            keywords = {}
        name = func.__name__
        value = s.call(s.attr(np_name, name), args,
                       [gast.keyword(arg=k, value=e) for k, e in keywords.items()])
        return ir.Assign(targets=[target], value=value,
                         op=ir.Op(func=func, prim=lookup(func), label=f"np.{name}", args=args,
                                  keywords=keywords, hint=name),
                         lineno=line)


def _view(stmt):
    """(view name, base, kind) when `stmt` defines a view of a name, else None."""
    if not isinstance(stmt, ir.Assign) or isinstance(stmt, ir.Pop) or len(stmt.targets) != 1:
        return None
    if stmt.op is None:
        if isinstance(stmt.value, gast.Name) and stmt.value.id != stmt.target:
            return stmt.target, stmt.value.id, "alias"
        return None
    kind = _KINDS.get(stmt.op.func)
    if kind is None or not stmt.op.args or not isinstance(stmt.op.args[0], gast.Name):
        return None
    base = stmt.op.args[0].id
    return (stmt.target, base, kind) if base != stmt.target else None



def _changed(stmts, names):
    """Whether any of `names` is rebound or written in place in `stmts` (at any depth)."""
    return any(set(writes(st)) & names for st in ir.walk(stmts))


def _mentions(stmt):
    """Every name a statement, with what it contains, reads or writes."""
    out = set(reads(stmt)) | set(binds(stmt))
    if isinstance(stmt, ir.SetItem):
        out.add(stmt.target)
    if isinstance(stmt, ir.Hook):
        out.add(stmt.var)
    for child in ir.children(stmt):
        for inner in child:
            out |= _mentions(inner)
    return out


def _count_uses(body):
    """name -> the number of top-level-or-nested statements that mention it."""
    counts = {}
    for stmt in ir.walk(body):
        if isinstance(stmt, (ir.If, ir.For, ir.While)):
            names = set(reads(stmt)) | set(binds(stmt))
        else:
            names = _mentions(stmt)
        for n in names:
            counts[n] = counts.get(n, 0) + 1
    return counts
