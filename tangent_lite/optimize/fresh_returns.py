"""A specialised variant returns the gradients it proves fresh as they are (part of the pass
"lower").

df returns `grads_like((dw, dx), (w, x), ('w', 'x'))`: each gradient given its argument's
type, dtype and shape, copied where it is not a fresh array of its own (runtime/core.py
grad_like). For arrays it is a check that finds nothing to do in the common case, and ~2 us a
call (a good part of the README conv1d's 40 us gradient). In a specialised variant it is
known when df is written: a gradient bound once in df, by `dw = zeros_grad(w)` of an argument
the guard checked is a NumPy array of a float dtype (a name df never rebinds), and otherwise
only added into in place (`dw += e`, `dw[k] += e`, `dw[index] = e`), is a fresh array of w's
dtype and shape that no other gradient is: what grad_like returns unchanged. Where every gradient returned is one, df
returns them, `return (dw, dx)`.
"""
import gast
import numpy as np

from ..ir import Comment


def fresh_returns(body, params, signature, spelled):
    """Rewrite the final `return grads_like(...)` / `grad_like(...)` of df's statements
    `body` in place where every gradient is proved fresh; params, signature: df's parameters
    and the specialised signature (optimize/specialise.py). Returns 1 if rewritten."""
    made, single, several = spelled("zeros_grad"), spelled("grad_like"), spelled("grads_like")
    last = body[-1] if body else None
    if made is None or not isinstance(last, gast.Return) or not _calls(last.value,
                                                                        (single, several)):
        return 0
    args = last.value.args
    if last.value.func.id == several:
        if not all(isinstance(a, gast.Tuple) for a in args[:2]):
            return 0
        grads, of = args[0].elts, args[1].elts
    else:
        grads, of = args[:1], args[1:2]
    floats = {p for p, e in zip(params, signature)
              if e[0] == "array" and np.dtype(e[1]).kind == "f"}
    if not all(isinstance(g, gast.Name) and isinstance(p, gast.Name) and p.id in floats
               for g, p in zip(grads, of)):
        return 0
    names = [g.id for g in grads]
    if len(set(names)) != len(names):
        return 0
    bound = _bindings(body[:-1], set(names) | {p.id for p in of})
    if any(p.id in bound for p in of):
        return 0    # an argument's name rebound: zeros_grad may have seen another value
    for g, p in zip(names, of):
        kinds = bound.get(g, [])
        made_by = [b for b in kinds if b != "in place"]
        if len(made_by) != 1 or not _calls(made_by[0], (made,)) \
                or len(made_by[0].args) != 1 or made_by[0].keywords \
                or not (isinstance(made_by[0].args[0], gast.Name)
                        and made_by[0].args[0].id == p.id):
            return 0
    last.value = grads[0] if last.value.func.id == single else \
        gast.Tuple(elts=list(grads), ctx=gast.Load())
    return 1


def _bindings(stmts, names):
    """name -> [the value of each `name = value`, or "in place" for `name += e`] for the
    names; a binding any other way (a tuple target, a loop target, `del`) is a None entry."""
    out = {}
    for stmt in stmts:
        if isinstance(stmt, Comment):
            continue
        for node in gast.walk(stmt):
            if isinstance(node, gast.Assign):
                for t in node.targets:
                    if isinstance(t, gast.Name) and t.id in names:
                        out.setdefault(t.id, []).append(
                            node.value if len(node.targets) == 1 else None)
            elif isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Name) \
                    and node.target.id in names:
                out.setdefault(node.target.id, []).append("in place")
            elif isinstance(node, gast.Name) and node.id in names \
                    and not isinstance(node.ctx, gast.Load):
                if not _assigned_here(node, stmt):
                    out.setdefault(node.id, []).append(None)
    return out


def _assigned_here(name, stmt):
    """Whether the Store of `name` is the target of a plain or augmented assignment (counted
    above) rather than a loop target, a tuple element or a `del`."""
    for node in gast.walk(stmt):
        if isinstance(node, gast.Assign) and any(t is name for t in node.targets):
            return True
        if isinstance(node, gast.AugAssign) and node.target is name:
            return True
    return False


def _calls(node, helpers):
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Name) \
        and node.func.id in [h for h in helpers if h is not None]
