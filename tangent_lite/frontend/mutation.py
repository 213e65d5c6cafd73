"""Which parameters a function of the user's may write into: read from its source.

A helper that writes into an array it is given (`v += d`, `M[i] *= s`, `np.copyto(out, x)`,
`items.append(v)`) changes the caller's array, as NumPy does. Differentiated on its own, the
helper works on copies (df never changes its arguments), so the caller would not see the
write. Such helpers are inlined where they are called (frontend/inline.py): the writes become
the caller's own, which the memory model follows.

The test is syntactic and errs towards "writes": a name counts as possibly sharing a
parameter's memory when it is bound to the parameter, a subscript, attribute or view method
of it, or a NumPy view function of it; a write is an augmented assignment, a subscript
store, an in-place method, `out=`, np.copyto / np.put / np.place / np.fill_diagonal /
ufunc.at, a list method that changes the list, or passing such a name to another function
called for its effect.
"""
import gast

_VIEW_METHODS = {"reshape", "ravel", "view", "transpose", "swapaxes", "squeeze", "T", "real",
                 "imag", "flat", "diagonal"}
_VIEW_FUNCS = {"reshape", "ravel", "transpose", "swapaxes", "moveaxis", "squeeze",
               "expand_dims", "asarray", "atleast_1d", "atleast_2d", "atleast_3d",
               "broadcast_to", "diagonal", "real", "imag"}
_WRITING_METHODS = {"fill", "sort", "put", "itemset", "resize", "append", "extend", "insert",
                    "pop", "remove", "clear", "reverse", "update", "setdefault", "popitem",
                    "partition", "setflags"}
_WRITING_FUNCS = {"copyto", "put", "place", "fill_diagonal", "putmask"}


def writes_parameters(fdef, skip_self=False):
    """Whether the function definition `fdef` may write into one of its parameters (not the
    first, a method's instance, when skip_self).

    Statements of the body are followed in order: a parameter rebound at the top level to a
    new value (`X = X * 1.0`) no longer shares the caller's memory after that. Inside loops
    and branches names are only ever added, up to a fixpoint."""
    args = fdef.args
    shared = {a.id for a in list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs)
              + [a for a in (args.vararg, args.kwarg) if a is not None]}
    if skip_self and args.args:
        shared.discard(args.args[0].id)
    for stmt in fdef.body:
        if isinstance(stmt, gast.Assign) and all(isinstance(t, gast.Name)
                                                 for t in stmt.targets):
            if _writes(stmt.value, shared) or any(_writes(n, shared)
                                                  for n in _walk_own(stmt.value)):
                return True
            names = {t.id for t in stmt.targets}
            shared = shared | names if _root(stmt.value) in shared else shared - names
            continue
        nodes = list(_walk_own(stmt))
        _spread(nodes, shared)
        if any(_writes(node, shared) for node in nodes):
            return True
    return False


def _spread(nodes, shared):
    """Add to `shared` the names bound to (views of) names in it, to a fixpoint."""
    changed = True
    while changed:
        changed = False
        for node in nodes:
            if isinstance(node, (gast.Assign, gast.AnnAssign)) and node.value is not None \
                    and _root(node.value) in shared:
                targets = node.targets if isinstance(node, gast.Assign) else [node.target]
            elif isinstance(node, gast.For) and _root(node.iter) in shared:
                targets = [node.target]
            else:
                continue
            for t in targets:
                for n in gast.walk(t):
                    if isinstance(n, gast.Name) and n.id not in shared:
                        shared.add(n.id)
                        changed = True


def _walk_own(node):
    """The nodes of a statement, not descending into nested functions or lambdas."""
    todo = [node]
    while todo:
        n = todo.pop()
        yield n
        for child in gast.iter_child_nodes(n):
            if not isinstance(child, (gast.FunctionDef, gast.Lambda)):
                todo.append(child)


def _root(node):
    """The name whose memory `node` may share (through subscripts, views), or None."""
    while True:
        if isinstance(node, gast.Name):
            return node.id
        if isinstance(node, gast.Subscript):
            node = node.value
        elif isinstance(node, gast.Attribute) and node.attr in _VIEW_METHODS:
            node = node.value
        elif isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute):
            if node.func.attr in _VIEW_METHODS:
                node = node.func.value
            elif node.func.attr in _VIEW_FUNCS and node.args:
                node = node.args[0]
            else:
                return None
        elif isinstance(node, gast.Starred):
            node = node.value
        else:
            return None


def _writes(node, shared):
    if isinstance(node, gast.Expr) and isinstance(node.value, gast.Call):
        call = node.value       # called for its effect, given a name sharing a parameter
        if any(_root(a) in shared for a in call.args) or any(
                _root(k.value) in shared for k in call.keywords):
            return True
    if isinstance(node, gast.AugAssign):
        return _root(node.target) in shared
    if isinstance(node, (gast.Assign, gast.AnnAssign)):
        targets = node.targets if isinstance(node, gast.Assign) else [node.target]
        return any(isinstance(t, (gast.Subscript, gast.Attribute)) and _root(t) in shared
                   for tt in targets for t in gast.walk(tt))
    if isinstance(node, gast.Delete):
        return any(_root(t) in shared for t in node.targets)
    if not isinstance(node, gast.Call):
        return False
    if any(k.arg == "out" and _root(v) in shared
           for k in node.keywords for v in _elements(k.value)):
        return True
    func = node.func
    if isinstance(func, gast.Attribute):
        if func.attr in _WRITING_METHODS and _root(func.value) in shared:
            return True
        if func.attr in _WRITING_FUNCS and node.args and _root(node.args[0]) in shared:
            return True
        if func.attr == "at" and node.args and _root(node.args[0]) in shared:
            return True          # ufunc.at
    return False


def _elements(node):
    return node.elts if isinstance(node, (gast.Tuple, gast.List)) else [node]
