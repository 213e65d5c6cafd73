"""A specialised variant returns the gradients it proves fresh as they are (part of the pass
"lower").

df returns `grads_like((dw, dx), (w, x), ('w', 'x'))`: each gradient given its argument's
type, dtype and shape, copied where it is not a fresh array of its own (runtime/core.py
grad_like). For arrays it is a check that finds nothing to do in the common case, and ~2 us a
call (a good part of the README conv1d's 40 us gradient, 0.7 us of logistic regression's 8 us
at 64 x 16). In a specialised variant it is known when df is written, for a gradient bound in
df by either of:

- `dw = zeros_grad(w)` of an argument the guard checked is a NumPy array of a float dtype (a
  name df never rebinds), and otherwise only added into in place (`dw += e`, `dw[k] += e`,
  `dw[index] = e`): a fresh array of w's dtype and shape that no other gradient is;
- where every value of f and every adjoint is a float64 or an int (optimize/lower.py
  all_real) and the argument is a native float64 array of rank >= 1: an expression that
  makes a new array, a product `np.dot(dz, X)` / `x.T @ g`, arithmetic `dd * xhat`, a
  reduction `g.sum(axis=0)`, of names whose shapes the variant knows, giving w's shape (so an
  ndarray, not a number: NumPy makes each such result afresh, base None and writeable, and
  float64 from float64 arrays and Python numbers), later only updated in place. The binding
  that reaches the return is that last one where every binding of the name stands in df's
  own statements (`dx = dxc` then `dx = dx + dmu / 64`), else every binding must be one.

Each such gradient is what grad_like returns unchanged, and two names bound so are two
objects. A Python float argument's gradient, where every value is real, is `float(db)`:
what grad_like makes of a real number. Where every gradient returned is one of these, df
returns them, `return (dw, float(db))`.
"""
import gast
import numpy as np

from ..analysis.shape_rules import broadcast, product, reduced
from ..ir import Comment
from ..ir import syntax as s

_ARITHMETIC = (gast.Add, gast.Sub, gast.Mult, gast.Div)


class Facts:
    """What a variant knows for the proof: shapes (name -> shape, one at every binding),
    names (those whose values are float64 arrays or numbers, or ints: f's names with a kind
    and their adjoints), real (every value and adjoint a float64 or an int), np_name (how df
    spells NumPy) and float_name() (how df spells the builtin float, bound on first use)."""

    def __init__(self, shapes, names, real, np_name, float_name):
        self.shapes, self.names, self.real = shapes, names, real
        self.np_name, self.float_name = np_name, float_name


def fresh_returns(body, params, signature, spelled, facts=None):
    """Rewrite the final `return grads_like(...)` / `grad_like(...)` of df's statements
    `body` in place where every gradient is proved fresh; params, signature: df's parameters
    and the specialised signature (optimize/specialise.py); facts: a Facts, or None for the
    zeros_grad proof alone. Returns 1 if rewritten."""
    made, single, several = spelled("zeros_grad"), spelled("grad_like"), spelled("grads_like")
    last = body[-1] if body else None
    if not isinstance(last, gast.Return) or not _calls(last.value, (single, several)):
        return 0
    args = last.value.args
    if last.value.func.id == several:
        if not all(isinstance(a, gast.Tuple) for a in args[:2]):
            return 0
        grads, of = args[0].elts, args[1].elts
    else:
        grads, of = args[:1], args[1:2]
    entry = dict(zip(params, signature))
    if not all(isinstance(g, gast.Name) and isinstance(p, gast.Name) and p.id in entry
               for g, p in zip(grads, of)):
        return 0
    names = [g.id for g in grads]
    if len(set(names)) != len(names):
        return 0
    bound = _bindings(body[:-1], set(names) | {p.id for p in of})
    if any(p.id in bound for p in of):
        return 0    # an argument's name rebound: zeros_grad may have seen another value
    top = _top_level(body[:-1], set(names))
    out = []
    for g, p in zip(grads, of):
        e = entry[p.id]
        if e[0] == "float" and facts is not None and facts.real:
            out.append(g)    # wrapped below, once every gradient is proved
        elif not (e[0] == "array" and np.dtype(e[1]).kind == "f"
                  and (_zeros_made(bound.get(g.id, []), made, p.id)
                       or _made_fresh(g.id, bound.get(g.id, []), top, e, facts))):
            return 0
        else:
            out.append(g)
    out = [s.call(facts.float_name(), [g]) if entry[p.id][0] == "float" else g
           for g, p in zip(out, of)]
    last.value = out[0] if last.value.func.id == single else s.tuple_(out)
    return 1


def _zeros_made(kinds, made, param):
    """Bound once by `zeros_grad(param)`, otherwise only updated in place."""
    made_by = [b for b in kinds if b != "in place"]
    return (made is not None and len(made_by) == 1 and _calls(made_by[0], (made,))
            and len(made_by[0].args) == 1 and not made_by[0].keywords
            and isinstance(made_by[0].args[0], gast.Name)
            and made_by[0].args[0].id == param)


def _made_fresh(name, kinds, top, entry, facts):
    """Whether the value of `name` at df's return is a new float64 ndarray of the shape of
    the argument's signature `entry`, made by an expression no other name holds."""
    if facts is None or not facts.real or np.dtype(entry[1]) != np.dtype(np.float64) \
            or entry[1] != np.dtype(np.float64).str or len(entry[2]) == 0:
        return False
    made_by = [b for b in kinds if b != "in place"]
    if not made_by or None in made_by:
        return False
    if len(top.get(name, ())) == len(made_by):   # all df's own statements: the last reaches
        made_by = made_by[-1:]
    return all(_makes(value, facts) == tuple(entry[2]) for value in made_by)


def _makes(node, facts):
    """The shape of the new array `node` makes (a product, arithmetic, a reduction), or
    None where it makes none or its shape is not known."""
    if isinstance(node, gast.BinOp) and isinstance(node.op, _ARITHMETIC + (gast.MatMult,)):
        pass
    elif isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        pass
    elif not (isinstance(node, gast.Call) and _product_or_sum(node, facts.np_name)):
        return None
    shape = _shape(node, facts)
    return shape if shape is not None and len(shape) >= 1 else None


def _shape(node, facts):
    """The shape of the value of `node`, made of f's names and adjoints, numbers, `.T`,
    arithmetic, products and sums; None where not proved."""
    if isinstance(node, gast.Name):
        return facts.shapes.get(node.id) if node.id in facts.names else None
    if isinstance(node, gast.Constant):
        ok = type(node.value) in (int, float)
        return () if ok else None
    if isinstance(node, gast.Attribute) and node.attr == "T":
        inner = _shape(node.value, facts)
        return None if inner is None else tuple(reversed(inner))
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        return _shape(node.operand, facts)
    if isinstance(node, gast.BinOp) and isinstance(node.op, _ARITHMETIC):
        return broadcast([_shape(node.left, facts), _shape(node.right, facts)])
    if isinstance(node, gast.BinOp) and isinstance(node.op, gast.MatMult):
        return product(_shape(node.left, facts), _shape(node.right, facts))
    if isinstance(node, gast.Call):
        kind = _product_or_sum(node, facts.np_name)
        if kind == "dot":
            return product(_shape(node.args[0], facts), _shape(node.args[1], facts))
        if kind == "sum":
            operand = node.func.value if not node.args else node.args[0]
            inner = _shape(operand, facts)
            if inner is None or len(inner) == 0:
                return None
            return reduced(inner, {k.arg: k.value for k in node.keywords})
    return None


def _product_or_sum(call, np_name):
    """"dot" for `np.dot(a, b)`, "sum" for `a.sum(...)` / `np.sum(a, ...)` with keywords
    only (axis, keepdims), else None."""
    func = call.func
    if not isinstance(func, gast.Attribute) or any(isinstance(a, gast.Starred)
                                                    for a in call.args):
        return None
    numpy = isinstance(func.value, gast.Name) and func.value.id == np_name
    if numpy and func.attr == "dot" and len(call.args) == 2 and not call.keywords:
        return "dot"
    if func.attr == "sum" and len(call.args) == (1 if numpy else 0) \
            and all(k.arg in ("axis", "keepdims") for k in call.keywords):
        return "sum"
    return None


def _top_level(stmts, names):
    """name -> the values of its plain assignments among `stmts` themselves (not inside a
    loop, branch or other block)."""
    out = {}
    for stmt in stmts:
        if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
                and isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id in names:
            out.setdefault(stmt.targets[0].id, []).append(stmt.value)
    return out


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
