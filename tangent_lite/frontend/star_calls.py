"""`f(*parts)` and `f(**opts)` with a list, tuple or dict whose length and keys are known,
expanded to the arguments one by one.

    parts = [x[:3], x[3:]]              np.add(*parts)      ->  np.add(parts[0], parts[1])
    opts = dict(axis=0)                 np.sum(A, **opts)   ->  np.sum(A, axis=0)

The length (and the keys) are known where the name is bound once in the function, to a list
or tuple literal without `*` items (a dict literal with constant string keys, or `dict(k=v)`),
and is otherwise only read: expanded in a call, indexed, measured with `len`, or walked by a
`for`. Nothing can then change how many items it holds (no append, no write, no other name
for it). A keyword whose value is a constant is written as the constant, so the rule of the
callee (np.sum's axis) sees it. Calls with other starred values keep their refusal.
"""
import builtins

import gast


def expand_star_calls(fdef, resolve):
    """Rewrite the calls of fdef that star a name of known length, in place."""
    known = _known(fdef, resolve)
    if known:
        _Expand(known).visit(fdef)


def _literal(value, resolve):
    """[items] of a list or tuple literal, {key: value} of a dict of constant keys, or None."""
    if isinstance(value, (gast.List, gast.Tuple)) and not any(
            isinstance(e, gast.Starred) for e in value.elts):
        return list(value.elts)
    if isinstance(value, gast.Dict) and all(
            isinstance(k, gast.Constant) and isinstance(k.value, str) for k in value.keys):
        return dict(zip((k.value for k in value.keys), value.values))
    if isinstance(value, gast.Call) and resolve(value.func) is builtins.dict and \
            not value.args and all(k.arg is not None for k in value.keywords):
        return {k.arg: k.value for k in value.keywords}
    return None


def _known(fdef, resolve):
    """{name: items} of the names bound once to a literal and otherwise only read."""
    parents = {c: n for n in gast.walk(fdef) for c in gast.iter_child_nodes(n)}
    bound, loads, out = {}, {}, {}
    for n in gast.walk(fdef):
        if isinstance(n, gast.Name):
            if isinstance(n.ctx, gast.Load):
                loads.setdefault(n.id, []).append(n)
            else:
                bound.setdefault(n.id, []).append(n)
    args = fdef.args
    params = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
    for name, stores in bound.items():
        parent = parents.get(stores[0])
        if len(stores) != 1 or name in params or not (
                isinstance(parent, gast.Assign) and parent.targets == [stores[0]]):
            continue
        items = _literal(parent.value, resolve)
        if items is not None and all(_only_read(n, parents, resolve)
                                     for n in loads.get(name, [])):
            out[name] = items
    return out


def _only_read(node, parents, resolve):
    parent = parents.get(node)
    if isinstance(parent, (gast.Starred, gast.keyword)):
        return isinstance(parents.get(parent), gast.Call)
    if isinstance(parent, gast.Subscript) and parent.value is node:
        return isinstance(parent.ctx, gast.Load) and not isinstance(
            parents.get(parent), (gast.Attribute, gast.Subscript))
    if isinstance(parent, gast.Call) and parent.args == [node]:
        return resolve(parent.func) is builtins.len
    return isinstance(parent, gast.For) and parent.iter is node


class _Expand(gast.NodeTransformer):
    def __init__(self, known):
        self.known = known

    def visit_Call(self, node):
        self.generic_visit(node)
        args = []
        for a in node.args:
            items = self._items(a.value, list) if isinstance(a, gast.Starred) else None
            if items is None:
                args.append(a)
                continue
            args.extend(_read(a.value.id, k, node) for k in range(len(items)))
        keywords = []
        for k in node.keywords:
            items = self._items(k.value, dict) if k.arg is None else None
            if items is None:
                keywords.append(k)
                continue
            keywords.extend(gast.keyword(arg=key, value=gast.copy_location(
                gast.Constant(value=v.value, kind=None), node) if isinstance(
                v, gast.Constant) else _read(k.value.id, key, node))
                for key, v in items.items())
        node.args, node.keywords = args, keywords
        return node

    def _items(self, value, kind):
        if isinstance(value, gast.Name) and isinstance(self.known.get(value.id), kind):
            return self.known[value.id]
        return None


def _read(name, key, at):
    read = gast.Subscript(value=gast.Name(id=name, ctx=gast.Load(), annotation=None,
                                          type_comment=None),
                          slice=gast.Constant(value=key, kind=None), ctx=gast.Load())
    for n in gast.walk(read):
        gast.copy_location(n, at)
    return read
