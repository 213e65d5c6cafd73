"""Writes into a local dict at computed keys, lowered to rebuilding the dict.

    new = {}
    for k in params:
        new[k] = params[k] - lr * g[k]

Each write `new[k] = v` becomes `new = dict_set(new, k, v)` (runtime/pytrees.py), a new dict
with one entry changed, whose rule (rules/pytrees.py) gives v the gradient at k and the old
dict the rest. That is the program Python runs only when no one else holds the dict between
two writes, so `rebuilt_dict` admits a dict that:

- is made in the function by literals or dict comprehensions (not an argument: the caller
  would see the writes), and bound to no other name, except once after its last write in
  the block that makes it (`new = {}; for k in params: new[k] = ...; params = new`);
- is otherwise only read at keys (`new[k]`, `.get` lowered by dict_methods.py), updated
  (`new.update(k=v)` or with a dict literal: one `dict_set` a key), walked (`for k in new`, `.items()`, `.keys()`,
  `.values()`), measured (`len(new)`) or returned;
- is not used by a nested function or lambda (which could hold it across a write);
- is written inside a loop over itself only at the loop's own key (`for k in d: d[k] = ...`),
  where Python's dict keeps its size; a new key there is Python's RuntimeError.

A local dict used only with constant string keys is a set of variables instead
(unpack.py's lower_scratch_dicts), which runs first.
"""
import builtins

import gast

from .. import runtime

_VIEWS = ("items", "keys", "values")


def rebuilt_dict(fdef, name, resolve):
    """Whether writes into the local dict `name` of the function `fdef` may be lowered to
    `dict_set` (see the module docstring); `resolve` maps a call's func node to its object."""
    if name in _arguments(fdef):
        return False
    parents = {}
    for node in gast.walk(fdef):
        for child in gast.iter_child_nodes(node):
            parents[child] = node
    made, uses, aliases = [], [], []
    for node in gast.walk(fdef):
        if not (isinstance(node, gast.Name) and node.id == name):
            continue
        if _inside_nested(node, parents, fdef):
            return False
        parent = parents.get(node)
        uses.append(node)
        if isinstance(node.ctx, gast.Store):
            if not _made_here(parent, node):
                return False
            made.append(parent)
        elif isinstance(parent, gast.Assign) and parent.value is node and \
                len(parent.targets) == 1 and isinstance(parent.targets[0], gast.Name):
            aliases.append(parent)     # `params = new`
        elif not _read_here(node, parent, parents, resolve) or \
                not _write_in_own_loop_ok(node, parent, parents, name):
            return False
    if aliases and not (len(made) == 1 and len(aliases) == 1 and
                        _alias_last(made[0], aliases[0], uses, parents)):
        return False
    return bool(made)


def _alias_last(made, alias, uses, parents):
    """Whether `other = name` comes after every write in the block that makes the dict, and
    the dict is used nowhere else: each run of the block makes a new dict, writes it, then
    hands it on, so no write reaches the dict another name holds."""
    block = _block_of(alias, parents)
    if block is None or made not in block:
        return False
    start, end = block.index(made), block.index(alias)
    if start > end:
        return False
    inside = {id(n) for st in block[start:end + 1] for n in gast.walk(st)}
    return all(id(n) in inside for n in uses)


def _block_of(stmt, parents):
    """The statement list holding stmt (a body or orelse of its parent)."""
    parent = parents.get(stmt)
    for field in ("body", "orelse", "finalbody"):
        block = getattr(parent, field, None)
        if isinstance(block, list) and any(st is stmt for st in block):
            return block
    return None


def updated(call):
    """(name, [(key node, value node)]) of `name.update(k=v)` or `name.update({'k': v})`,
    else None."""
    if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute) and
            call.func.attr == "update" and isinstance(call.func.value, gast.Name)):
        return None
    pairs = [(gast.Constant(value=k.arg, kind=None), k.value) for k in call.keywords]
    if any(k.arg is None for k in call.keywords) or len(call.args) > 1:
        return None
    if call.args:
        literal = call.args[0]
        if not isinstance(literal, gast.Dict) or any(k is None for k in literal.keys):
            return None
        pairs = list(zip(literal.keys, literal.values)) + pairs
    return call.func.value.id, pairs


def _arguments(fdef):
    a = fdef.args
    return {arg.id for arg in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg]
            if arg is not None}


def _inside_nested(node, parents, fdef):
    p = parents.get(node)
    while p is not None and p is not fdef:
        if isinstance(p, (gast.FunctionDef, gast.Lambda, gast.AsyncFunctionDef)):
            return True
        p = parents.get(p)
    return False


def _made_here(parent, node):
    return (isinstance(parent, gast.Assign) and parent.targets == [node] and
            isinstance(parent.value, (gast.Dict, gast.DictComp)))


def _read_here(node, parent, parents, resolve):
    """Whether this load of the dict is one that cannot keep it beyond a later write."""
    if isinstance(parent, gast.Subscript) and parent.value is node:
        return True   # `new[k][i] = v` writes into the entry: setitem refuses it
    if isinstance(parent, gast.Attribute) and parent.attr == "update":
        call = parents.get(parent)
        return updated(call) is not None and isinstance(parents.get(call), gast.Expr)
    if isinstance(parent, gast.Attribute) and parent.attr in _VIEWS:
        call = parents.get(parent)
        if not (isinstance(call, gast.Call) and call.func is parent and not call.args):
            return False
        return _iterated(call, parents.get(call))
    if isinstance(parent, gast.Call) and node in parent.args:
        return resolve(parent.func) in (builtins.len, runtime.has_key)
    if isinstance(parent, (gast.For, gast.comprehension)) and parent.iter is node:
        return True
    if isinstance(parent, gast.Tuple):   # `return new, loss`
        parent = parents.get(parent)
    return isinstance(parent, gast.Return)


def _iterated(call, parent):
    return isinstance(parent, (gast.For, gast.comprehension)) and parent.iter is call


def _write_in_own_loop_ok(node, parent, parents, name):
    """A write `name[key] = v` inside `for k in name` (or its views) must write at `k`."""
    if not (isinstance(parent, gast.Subscript) and isinstance(parent.ctx, gast.Store)):
        return True
    p = parents.get(parent)
    while p is not None:
        if isinstance(p, gast.For) and _walks(p.iter, name):
            if _view(p.iter) == "values":
                return False
            target = p.target.elts[0] if isinstance(p.target, gast.Tuple) and \
                p.target.elts else p.target
            if not (isinstance(target, gast.Name) and isinstance(parent.slice, gast.Name)
                    and parent.slice.id == target.id):
                return False
        p = parents.get(p)
    return True


def _view(it):
    """"items", "keys" or "values" for a loop over `d.items()` ..., else None."""
    if isinstance(it, gast.Call) and isinstance(it.func, gast.Attribute):
        return it.func.attr
    return None


def _walks(it, name):
    if _view(it) is not None:
        it = it.func.value
    return isinstance(it, gast.Name) and it.id == name
