"""Slice-read gradients written in place: the gradient of `t = x[index]` that is a product goes
straight into its slice of x's zero gradient.

The rules give a slice read `t = x[1:]` the contribution `dx = unindex(dt, x, np.s_[1:])` (a zero
array of x's shape with dt assigned into the slice), and where t was multiplied (`x[1:] * y[:-1]`,
`cam[:, 9] * rsq`) dt is itself a fresh product, `dt = sum_product(g, b, t)`. That is two arrays
where one will do: this pass writes the pair as one call,

    dt = sum_product(g, b, t)                    dx = unindex_product(g, b, t, x, np.s_[1:])
    ...                                  ->      ...
    dx = unindex(dt, x, np.s_[1:])

and runtime/indexing.py `unindex_product` computes the product into the slice of the zero gradient
(`np.multiply(g, b, out=dx[1:])`), or, where the index only adds axes of length 1
(`theta[:, None]`), returns the summed product reshaped instead of copying it into zeros.

What it proves: dt is assigned once and read once in all of df, by that `unindex` call (so no other
name ever holds the product's array), and the statements between compute pure values into names
other than g, b and t (no subscript write, no call that may write into an argument; a `dr += e`
only where the inplace pass put it, into an array no other name refers to), so
g, b and t hold the same values at the `unindex` as at the product. The helper decides at run time
from the values whether the fast forms apply (NumPy arrays of one real float dtype, a basic index,
no broadcasting on assignment) and computes `unindex(sum_product(g, b, t), x, index)` otherwise
(Dask and CuPy arrays, complex and float32 mixes, integer-array indices), so it computes the same
values in every case.
"""
import gast

from . import enabled
from .algebra import Spelling
from .copies import name_counts
from ..ir import Comment


def products_into_slices(backward, everything, spelled, call):
    """Rewrite the statement list `backward` in place. everything: all of df's statements;
    spelled(helper): how generated code spells a runtime helper (None: it does not call it);
    call(helper, args): a call of a runtime helper, spelled as generated code spells it."""
    if not enabled("slices"):
        return
    product, unindex = spelled("sum_product"), spelled("unindex")
    if product is None or unindex is None:
        return
    loads, stores = name_counts(everything)
    once = {name for name, n in loads.items() if n == 1 and stores.get(name) == 1}
    _block(backward, product, unindex, once, Spelling(spelled), call)


def sets_into_zeros(backward, spelled, call):
    """After products_into_slices: `dx = unindex_product(g, b, t, x, I)` followed, in the same
    block and with no statement between naming dx, by `dx = add_at(dx, J, v)`, I and J
    constant slices `np.s_[a:b]` that share no element, writes the second `set_at(dx, J, v)`:
    dx is zero at J (unindex_product made it so outside I), so the add is an assignment (the
    ODE's `x[:1]` next to `x[1:]`). runtime/indexing.py `set_at` assigns only for a NumPy
    array and a value of its dtype, and adds otherwise."""
    if not enabled("slices"):
        return
    made, added = spelled("unindex_product"), spelled("add_at")
    if made is None or added is None:
        return
    _sets(backward, made, added, call)


def _sets(stmts, made, added, call):
    for stmt in stmts:
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            _sets(stmt.body, made, added, call)
            _sets(stmt.orelse, made, added, call)
    for i, stmt in enumerate(stmts):
        target, first = _helper_assign(stmt, made, 5)
        if target is None:
            continue
        for later in stmts[i + 1:]:
            if isinstance(later, Comment):
                continue
            name, second = _helper_assign(later, added, 3)
            if (name == target and isinstance(second.args[0], gast.Name)
                    and second.args[0].id == target
                    and _disjoint(first.args[4], second.args[1])):
                later.value = call("set_at", list(second.args))
            if any(isinstance(n, gast.Name) and n.id == target for n in gast.walk(later)):
                break


def _helper_assign(stmt, helper, arity):
    """(target, call) of `target = helper(...)` with `arity` positional arguments."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name)):
        return None, None
    value = stmt.value
    if not (isinstance(value, gast.Call) and isinstance(value.func, gast.Name)
            and value.func.id == helper and len(value.args) == arity and not value.keywords):
        return None, None
    return stmt.targets[0].id, value


def _disjoint(a, b):
    """Whether the index nodes a and b are constant slices `np.s_[lo:hi]` (non-negative
    bounds, no step) selecting no element in common along the first axis."""
    a, b = _bounds(a), _bounds(b)
    if a is None or b is None:
        return False
    (lo_a, hi_a), (lo_b, hi_b) = a, b
    return (hi_a is not None and lo_b >= hi_a) or (hi_b is not None and lo_a >= hi_b)


def _bounds(node):
    if not (isinstance(node, gast.Subscript) and isinstance(node.value, gast.Attribute)
            and node.value.attr == "s_" and isinstance(node.slice, gast.Slice)
            and node.slice.step is None):
        return None
    out = []
    for bound, default in ((node.slice.lower, 0), (node.slice.upper, None)):
        if bound is None:
            out.append(default)
        elif (isinstance(bound, gast.Constant) and type(bound.value) is int
              and bound.value >= 0):
            out.append(bound.value)
        else:
            return None
    return tuple(out)


def _block(stmts, product, unindex, once, spelling, call):
    for stmt in stmts:
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            _block(stmt.body, product, unindex, once, spelling, call)
            _block(stmt.orelse, product, unindex, once, spelling, call)
    i = 0
    while i < len(stmts):
        factors = _product(stmts[i], product, once)
        j = _reader(stmts, i, factors, unindex, spelling) if factors else None
        if j is None:
            i += 1
            continue
        read = stmts[j].value
        stmts[j].value = call("unindex_product", [*factors[1:], *read.args[1:]])
        del stmts[i]


def _product(stmt, product, once):
    """(t, g, b, x) for `t = sum_product(g, b, x)` of names, t assigned and read once in df."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name) and stmt.targets[0].id in once):
        return None
    value = stmt.value
    if not (isinstance(value, gast.Call) and isinstance(value.func, gast.Name)
            and value.func.id == product and len(value.args) == 3 and not value.keywords
            and all(isinstance(a, gast.Name) for a in value.args)):
        return None
    return (stmt.targets[0].id, *value.args)


def _reader(stmts, i, factors, unindex, spelling):
    """The position of `dx = unindex(t, x, index)` after stmts[i] in the same block, reached
    through pure assignments to names other than the product's and its factors', else None."""
    t = factors[0]

    def reads_t(value):
        return (isinstance(value, gast.Call) and isinstance(value.func, gast.Name)
                and value.func.id == unindex and len(value.args) == 3 and not value.keywords
                and isinstance(value.args[0], gast.Name) and value.args[0].id == t)
    return later_reader(stmts, i, {t} | {f.id for f in factors[1:]}, reads_t, spelling)


def later_reader(stmts, i, kept, wanted, spelling):
    """The position j > i of the statement `name = value` with wanted(value) true, in the same
    block as stmts[i], where every statement between only computes a pure value into a name
    outside `kept` (an assignment, or a `dr += e` of the inplace pass, which updates only an
    array no other name refers to): the names in kept hold at stmts[j] the arrays and values
    they held after stmts[i]. None where another statement comes first, or where the wanted
    statement itself assigns a name in kept. (The chains of optimize/fused.py use it too.)"""
    for j in range(i + 1, len(stmts)):
        stmt = stmts[j]
        if isinstance(stmt, Comment):
            continue
        if isinstance(stmt, gast.AugAssign) and isinstance(stmt.target, gast.Name):
            target = stmt.target.id
        elif (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
              and isinstance(stmt.targets[0], gast.Name)):
            target = stmt.targets[0].id
        else:
            return None
        value = stmt.value
        if isinstance(stmt, gast.Assign) and wanted(value):
            return j if target not in kept else None
        if target in kept or not spelling.pure(value):
            return None
    return None
