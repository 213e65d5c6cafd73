"""Second names for one Python list, spelled as the first: `alias = hidden`.

    hidden = [h0, h1]                       hidden = [h0, h1]
    alias = hidden                          alias = hidden
    for i in range(2):                      for i in range(2):
        alias[i] = np.tanh(W[i] @ y)            hidden[i] = np.tanh(W[i] @ y)
        y = hidden[i]                           y = hidden[i]

The core language treats names as values: after `alias[i] = e` it would not know that
`hidden[i]` changed too, and the aliasing analysis refuses such a program. But replacing an
entry writes no array, and when both names certainly hold the same list object from the alias
on, writing `hidden` for `alias` is the program NumPy runs, spelled with one name.

Certainly the same list: `alias = hidden` is a statement of the function's own body (run once,
under no loop or branch), `alias` is bound nowhere else and is no parameter, and `hidden` is
certainly a Python list (analysis.aliasing.certain_lists) bound only before the alias (its
list made, or filled by a comprehension's appends). An append through either name, anywhere
after (`acc = hist; for ...: acc.append(h)`), binds no new list in Python: it is spelled
`hidden = append(hidden, v)` like the other uses. Anything else is left as it is, for the
aliasing analysis to check.
"""
import gast

from .. import ir, runtime
from ..analysis.aliasing import certain_lists
from ..ir.uses import binds


def resolve_list_aliases(fn):
    """Rewrite fn's body in place: after each `alias = hidden` of the kind above, every use of
    `alias` reads `hidden`. Respelling reads binds nothing: the certain lists stay the same."""
    lists = certain_lists(fn)
    for p, stmt in enumerate(fn.body):
        pair = _list_alias(fn, p, stmt, lists)
        if pair is not None:
            _respell(fn.body[p + 1:], *pair)
            if fn.result == pair[0]:
                fn.result = pair[1]


def _list_alias(fn, p, stmt, lists):
    """(alias, list) when fn.body[p] is `alias = hidden` certainly naming one list, else None."""
    if not isinstance(stmt, ir.Assign) or isinstance(stmt, ir.Pop) or stmt.op is not None \
            or len(stmt.targets) != 1 or not isinstance(stmt.value, gast.Name):
        return None
    alias, name = stmt.target, stmt.value.id
    if alias == name or alias in fn.params or name not in lists:
        return None
    bound = [st for st in ir.walk(fn.body) if alias in binds(st) or name in binds(st)]
    before = {id(st) for st in ir.walk(fn.body[:p])}
    if any(alias in binds(st) and st is not stmt and not _appends(st, alias) for st in bound):
        return None
    if any(name in binds(st) and id(st) not in before and not _appends(st, name)
           for st in bound):
        return None
    return alias, name


def _appends(stmt, name):
    """Whether stmt is `name.append(v)` (the core language's `name = append(name, v)`): the
    list grows in place, and every name holding it sees the new item, as Python does."""
    op = getattr(stmt, "op", None)
    return isinstance(stmt, ir.Assign) and not isinstance(stmt, ir.Pop) and op is not None \
        and op.func is runtime.append and stmt.targets == [name] and \
        isinstance(op.args[0], gast.Name) and op.args[0].id == name


def _respell(body, old, new):
    """Every read of `old` in `body` (and the lists written through it) spelled `new`."""
    for stmt in ir.walk(body):
        for node in _expressions(stmt):
            for n in gast.walk(node):
                if isinstance(n, gast.Name) and n.id == old:
                    n.id = new
        if isinstance(stmt, ir.SetItem) and stmt.target == old:
            stmt.target = new
        if isinstance(stmt, ir.Assign) and stmt.targets == [old] and stmt.op is not None \
                and stmt.op.func is runtime.append:   # `alias.append(v)`: the list itself
            stmt.targets = [new]
        if isinstance(stmt, ir.If) and stmt.test == old:
            stmt.test = new
        if isinstance(stmt, ir.For) and stmt.iter == old:
            stmt.iter = new
        if isinstance(stmt, ir.Hook) and stmt.var == old:
            stmt.var = new


def _expressions(stmt):
    """The gast expressions a statement holds (its operation's arguments too)."""
    if isinstance(stmt, ir.Assign):
        op = stmt.op
        return [stmt.value] + ([] if op is None else list(op.args) + list(op.keywords.values()))
    if isinstance(stmt, ir.SetItem):
        return [stmt.index, stmt.value]
    if isinstance(stmt, ir.Effect):
        return [stmt.node]
    if isinstance(stmt, ir.While):
        return [stmt.test]
    if isinstance(stmt, ir.Push):
        return [stmt.value]
    return []
