"""A pullback's backward sweep reads views of an array it restores on its own copy through
that copy, or not at all.

`vjp` splits df in two: the forward sweep runs once and returns its state, and each call of
the pullback runs the backward sweep on copies of the arrays it restores in place (`W[0] =
stack.pop()` undoes the forward sweep's `W[0] += e`; `W = owned_in(copies, W)` first, so a second call
starts again from the forward sweep's end). A value of the state that may look into W (`t =
W[:, 0]`, kept for the gradient of `np.dot(W[:, 0], x)` before `np.fill_diagonal(W, 0)`) is
re-pointed at the same elements of the copy (`t = owned_in(copies, t)`: `followers`), so that it
sees the restores as grad's single sweep's views do; read through the forward sweep's W it
held the values of the end of the forward sweep, a wrong gradient (the memory fuzzer, seed 6,
program 709). A row of W reached through a list in the state
(`rows = list(W)`; `t = rows[0]`) still looks into the forward sweep's W, which nothing
restores: read after the restore it holds the values of the end of the forward sweep, not the
ones the backward sweep needs (grad's single sweep restores W itself, and its views see the old
values; a view made directly, `row = W[0]`, is followed by the memory model). Where the item is
bound to a name of the state that is never pushed, `owned` re-points it like any view, and
every read of it sees the copy (the memory fuzzer, seed 8, program 485); elsewhere (the
name pushed, so the backward sweep pops the forward sweep's views) the pullback is refused,
naming the write; grad is unaffected. Found by the memory fuzzer (seed 3, programs 236 and
384).
"""
import gast

from .. import ir
from ..analysis.aliasing import makes_list
from ..errors import UnsupportedSyntaxError
from ..ir import Comment


def followed_views(ctx, plan, restored, state, forward, backward, groups):
    """{v: the names of the state re-pointed at v's copy (owned_in)} for each v in
    `restored`, in order (followers); raises where a value the pullback reads may still look
    into the forward sweep's v (refuse_stale_views). groups(): the alias groups of ctx.fn
    (analysis.aliasing.alias_groups), computed once per compile."""
    if not restored:
        return {}
    copies = _copies(forward, ctx.bindings.spelled("saved"))
    follow = followers(restored, state, copies, groups())
    pushed = {n for names in plan.pushes.values() for n in names}
    # a copy shares nothing; a name re-pointed and never pushed is read only as re-pointed
    safe = {v: copies | (set(views) - pushed) for v, views in follow.items()}
    refuse_stale_views(ctx, plan, restored, state, backward, groups(), safe)
    return follow


def refuse_stale_views(ctx, plan, restored, state, backward, groups, safe):
    """Raise where the backward sweep reads, at or after its first restore of an array in
    `restored` (a statement, or a loop holding one, of the top-level list `backward`), an item
    of a list in the state that may share that array's memory, other than the names safe[v]
    (copies, and views `owned` re-points at the copy that the backward sweep never pops)."""
    lists, items = _list_items(ctx.fn)
    shape_only = {ctx.bindings.spelled(h): k for h, k in _SHAPE_ONLY.items()
                  if ctx.bindings.spelled(h) is not None}
    others = set(state) - set(restored)
    for v in sorted(set(restored) - lists):    # a list's item replaced writes no array
        sharing = (groups.get(v, {v}) & others & items) - {v}
        if not sharing:
            continue
        first = next((i for i, stmt in enumerate(backward)
                      if not isinstance(stmt, Comment) and _restores(stmt, v)), None)
        if first is None:
            continue
        read = set()
        for stmt in backward[first:]:
            if not isinstance(stmt, Comment):
                read |= _values_read(stmt, shape_only)
        stale = sorted(sharing & read - safe[v])
        if stale:
            write = next(st for st in ir.walk(ctx.fn.body) if isinstance(st, ir.SetItem)
                         and st.target == v and id(st) in plan.pushes)
            made = next((st for st in ir.walk(ctx.fn.body) if isinstance(st, ir.Assign)
                         and stale[0] in st.targets), None)
            where = f" (line {made.lineno})" if getattr(made, "lineno", None) else ""
            raise ctx.parsed.error(
                UnsupportedSyntaxError, write,
                f"vjp: this in-place write changes `{v}`, and a value that may share `{v}`'s "
                f"memory{where} is read by the pullback after the write is undone; the "
                "pullback undoes it on its own copy of the array, which that value does not "
                "see",
                hint=f"instead: use grad, or write `{v}` without changing it in place "
                     f"(`{v} = {v} + ...`), or take a copy where the other value is made "
                     "(`.copy()`)")


def followers(restored, state, copies, groups):
    """{v: the names of the state, other than the restored ones, that may share v's memory}
    for each v in `restored`, in order: what owned_in re-points at v's copy. Names
    the forward sweep binds once to a copy (`copies`: `t = saved(y[1:3])`) share nothing;
    lists pass through `owned` as they are (an item of one is refused above)."""
    others = set(state) - set(restored) - copies
    taken, out = set(), {}
    for v in restored:
        views = sorted((groups.get(v, {v}) & others) - taken - {v})
        taken.update(views)            # one copy to follow: the first array restored
        out[v] = views
    return out


def _copies(forward, saved):
    """The names the forward sweep binds once, to a copy (`t = saved(y[1:3])`)."""
    stores, copies = {}, set()
    for stmt in forward:
        if isinstance(stmt, Comment):
            continue
        for node in gast.walk(stmt):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Store):
                stores[node.id] = stores.get(node.id, 0) + 1
            if isinstance(node, gast.Assign) and isinstance(node.value, gast.Call) \
                    and isinstance(node.value.func, gast.Name) and node.value.func.id == saved:
                copies |= {t.id for t in node.targets if isinstance(t, gast.Name)}
    return {n for n in copies if stores.get(n) == 1}


# Runtime helpers that read only the shape (or the structure) of their argument k.
_SHAPE_ONLY = {"unbroadcast": 1, "unreduce": 1, "unindex": 1, "sum_product": 2,
               "sum_quotient": 2, "sum_product_of_difference": 4}


def _list_items(fn):
    """(the names bound to a new Python list, the names bound to an item of one): `t =
    rows[0]`, rows = `list(W)` or a list literal, is how a view of an array the list holds
    reaches the pullback."""
    lists = {t for st in ir.walk(fn.body) if isinstance(st, ir.Assign) and makes_list(st)
             for t in st.targets}
    return lists, {t for st in ir.walk(fn.body) if isinstance(st, ir.Assign)
                   and isinstance(st.value, gast.Subscript)
                   and isinstance(st.value.value, gast.Name) and st.value.value.id in lists
                   for t in st.targets}


def _values_read(stmt, shape_only):
    """The names whose values stmt reads: every name loaded, less the places where a helper
    reads only its shape (`unindex(d, a3, 0)` reads how long the list a3 is, not what it
    holds)."""
    shaped = set()
    for node in gast.walk(stmt):
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Name):
            k = shape_only.get(node.func.id)
            if k is not None and len(node.args) > k:
                shaped.add(id(node.args[k]))
    return {n.id for n in gast.walk(stmt) if isinstance(n, gast.Name)
            and isinstance(n.ctx, gast.Load) and id(n) not in shaped}


def _restores(stmt, v):
    """Whether stmt is, or holds, `v[...] = <stack>.pop()`."""
    for node in gast.walk(stmt):
        if (isinstance(node, gast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], gast.Subscript)
                and isinstance(node.targets[0].value, gast.Name)
                and node.targets[0].value.id == v and isinstance(node.value, gast.Call)
                and isinstance(node.value.func, gast.Attribute)
                and node.value.func.attr == "pop"):
            return True
    return False
