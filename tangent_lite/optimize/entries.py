"""A list's gradient updated entry by entry in place, where its list object is held by its name
alone: in a specialised variant, the LSTM's `dhidden`, `dcell`.

The rules keep the gradient of a Python list functional: reading `hidden[i]` in a loop adds
into one entry of a new list, `dhidden = add_item(dhidden, i, dypred, hidden)`, and writing
`hidden[i] = v` takes the entry and zeroes it in a new list, `dv = dhidden[i]; dhidden =
unset(dhidden, i)`. A layer step of the ADBench LSTM made seven such lists (five `add_item`,
two `unset`), each a call with its checks. Here they become

    dhidden[i] = dhidden[i] + dypred          # add_item: the entry plus the value
    dhidden[i] = zeros_grad(dhidden[i])       # unset: the entry zeroed

What it proves, so that each gradient is the same number for number:
- the list object is held by the name alone: in all of df, the gradient's name `g` is bound
  only to new lists (`zeros_grad(...)`, `add_item(g, ...)`, `unset(g, ...)`,
  `add_grads(g, ...)`, a slice `g[a:b]`: each returns a new list), is not a parameter of df,
  and is read only as those calls' first argument or to read an entry or a slice (`g[i]`,
  a copy). So no other name, list or stack entry sees the list change: replacing its entry in
  place is the same as binding g to a new list with that entry replaced. The entries' arrays
  themselves are never written: an entry is replaced by a new array;
- `add_item(g, i, v, x)` is `g[i] + v` in its entry: the adjoint generator proved (the
  concrete analysis, `reads_entry`) that x is a list whose entries all have one shape of at
  least one axis, the shape of the value read `x[i]`, whose gradient v is; add_item adds
  `entry + value` then (its fast path), or the same sum through `add_grads` (its general path);
  the other entries keep their values either way;
- `unset(g, i)` of a list gradient is `zeros_grad` of its entry (both of unset's list paths),
  where x is proved a list.
The adjoint generator hands over the calls it proved (`proven`, the call nodes themselves);
a call rebuilt by a later pass is not among them and is left as it is.
"""
import gast

from . import enabled
from .zeroed_entries import zeroed_then_set
from ..ir import Comment
from ..ir import syntax as s

_NEW_LISTS = ("add_item", "unset", "add_grads")   # a new list from their first argument


def entries_in_place(everything, backward, proven, params, spelled, call, real=False):
    """Rewrite the proven `add_item`/`unset` calls of `backward` (df's backward statements,
    rewritten in place) whose gradient list is held by its name alone in `everything` (all of
    df's statements); params: df's parameters; spelled(helper): how generated code spells a
    runtime helper; call(helper, args): a call of one; real: every value and adjoint is a
    float64 or an int (lower.all_real). Returns how many it rewrote."""
    if not enabled("entries") or not proven:
        return 0
    names = {spelled(h): h for h in _NEW_LISTS + ("zeros_grad",) if spelled(h) is not None}
    targets = {node.args[0].id for node in proven.values()}
    held = {g for g in targets - set(params) if _held_alone(g, everything, names)}
    if not held:
        return 0
    done = _rewrite(backward, held, proven, names, call)
    if real:
        done += zeroed_then_set(backward, everything, held, names)
    return done


def _helper(node, names):
    if isinstance(node, gast.Call) and isinstance(node.func, gast.Name):
        return names.get(node.func.id)
    return None


def _held_alone(g, everything, names):
    """Whether every binding of g in `everything` makes a new list and every read of g is a
    new list's first argument or an entry or slice read."""
    allowed = set()   # ids of the Name nodes of g that are fine
    for stmt in _statements(everything):
        for node in gast.walk(stmt):
            if isinstance(node, gast.Assign):
                if any(isinstance(t, gast.Name) and t.id == g for t in node.targets):
                    if len(node.targets) != 1 or not _new_list(g, node.value, names):
                        return False
                    allowed.add(id(node.targets[0]))
                    if _helper(node.value, names) in _NEW_LISTS:
                        allowed.add(id(node.value.args[0]))
            elif isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) \
                    and node.value.id == g:
                allowed.add(id(node.value))   # an entry or a slice read (or an entry set)
    for stmt in _statements(everything):
        for node in gast.walk(stmt):
            if isinstance(node, gast.Name) and node.id == g and id(node) not in allowed:
                return False
            if isinstance(node, (gast.FunctionDef, gast.Lambda, gast.Global, gast.Nonlocal)):
                return False
    return True


def _new_list(g, value, names):
    """Whether `value`, bound to g, is certainly a new list (or a gradient of a non-list)."""
    helper = _helper(value, names)
    if helper == "zeros_grad":
        return True
    if helper in _NEW_LISTS:
        return bool(value.args) and isinstance(value.args[0], gast.Name) \
            and value.args[0].id == g
    return (isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name)
            and value.value.id == g and isinstance(value.slice, gast.Slice))


def _statements(body):
    return [st for st in body if not isinstance(st, Comment)]


def _rewrite(stmts, held, proven, names, call):
    done = 0
    for k, stmt in enumerate(stmts):
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and not isinstance(stmt, Comment):
                done += _rewrite(inner, held, proven, names, call)
        if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id in held):
            continue
        value = stmt.value
        if proven.get(id(value)) is not value or not (
                isinstance(value.args[0], gast.Name) and value.args[0].id == stmt.targets[0].id):
            continue
        g, index = stmt.targets[0].id, value.args[1]
        entry = gast.Subscript(value=s.name(g), slice=s.copy(index), ctx=gast.Load())
        if _helper(value, names) == "add_item":
            new = gast.BinOp(left=entry, op=gast.Add(), right=value.args[2])
        else:
            new = call("zeros_grad", [entry])
        stmts[k] = gast.Assign(targets=[gast.Subscript(value=s.name(g), slice=s.copy(index),
                                                       ctx=gast.Store())],
                               value=new, type_comment=None)
        done += 1
    return done
