"""An entry of a list's gradient zeroed, then set: `dh[i] = zeros_grad(dh[i])` followed by
`dh[i] = dh[i] + v` (optimize/entries.py writes both: the entry of a value overwritten, then
the gradient of the value read back) is `dh[i] = v`, with no zero array made and no sum.

What it proves, so that each gradient is the same number for number:
- the list is held by its name alone, its entries' arrays never written in place
  (entries.py's `_held_alone`), so an entry may be any array nothing else writes;
- nothing between the two statements reads or writes the list, or rebinds a name the index
  reads: the second statement adds into the zero entry the first made;
- every value and adjoint is a float64 (lower.all_real, the specialised signature): `0.0 + v`
  is v, of v's dtype and shape (the entries pass proved v has the entry's shape), but for the
  sign of a zero (-0.0 + 0.0 is 0.0; the gradients compare equal);
- v is a name bound once in df, to an arithmetic result (`a * b`: a new array nothing else
  holds), and read only here: the entry is then the only holder of that array, which no one
  writes in place.
"""
import gast

from ..ir import Comment
from .copies import name_counts


def zeroed_then_set(backward, everything, held, names):
    """Rewrite, in place, the pairs in `backward`'s blocks for the gradient lists `held`;
    everything: all of df's statements; names: spelling -> helper. Returns how many."""
    loads, stores = name_counts(everything)
    fresh = {st.targets[0].id for st in _walk(everything)
             if isinstance(st, gast.Assign) and len(st.targets) == 1
             and isinstance(st.targets[0], gast.Name) and isinstance(st.value, gast.BinOp)}
    once = {n for n in fresh if stores.get(n) == 1 and loads.get(n) == 1}
    return _blocks(backward, held, names, once)


def _blocks(stmts, held, names, once):
    done = 0
    for stmt in list(stmts):
        for field in ("body", "orelse"):
            inner = getattr(stmt, field, None)
            if isinstance(inner, list) and not isinstance(stmt, Comment):
                done += _blocks(inner, held, names, once)
    k = 0
    while k < len(stmts):
        zeroed = _zeroed(stmts[k], held, names)
        if zeroed is not None:
            j = _next_use(stmts, k, zeroed)
            value = _set_from(stmts[j], zeroed, once) if j is not None else None
            if value is not None:
                stmts[j].value = value
                del stmts[k]
                done += 1
                continue
        k += 1
    return done


def _zeroed(stmt, held, names):
    """(g, index dump, names the index reads) of `g[i] = zeros_grad(g[i])`, g held; else None."""
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1):
        return None
    target, value = stmt.targets[0], stmt.value
    entry = _entry(target, held)
    if entry is None or not (isinstance(value, gast.Call) and isinstance(value.func, gast.Name)
                             and names.get(value.func.id) == "zeros_grad"
                             and len(value.args) == 1 and _entry(value.args[0], held) == entry):
        return None
    index = target.slice
    return entry[0], entry[1], {n.id for n in gast.walk(index) if isinstance(n, gast.Name)}


def _entry(node, held):
    if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) \
            and node.value.id in held and not isinstance(node.slice, gast.Slice):
        return node.value.id, gast.dump(node.slice)
    return None


def _next_use(stmts, k, zeroed):
    """The position of the first statement after k that reads or writes g, if no statement
    before it rebinds a name the index reads; else None."""
    g, _, index_names = zeroed
    for j in range(k + 1, len(stmts)):
        stmt = stmts[j]
        if isinstance(stmt, Comment):
            continue
        nodes = list(gast.walk(stmt))
        if any(isinstance(n, gast.Name) and n.id == g for n in nodes):
            return j
        if any(isinstance(n, gast.Name) and n.id in index_names
               and not isinstance(n.ctx, gast.Load) for n in nodes):
            return None
    return None


def _set_from(stmt, zeroed, once):
    """v where stmt is `g[i] = g[i] + v` (the zeroed entry), v a name in `once`; else None."""
    g, index, _ = zeroed
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.value, gast.BinOp) and isinstance(stmt.value.op, gast.Add)):
        return None
    target, left, right = stmt.targets[0], stmt.value.left, stmt.value.right
    if not (_same_entry(target, g, index) and _same_entry(left, g, index)
            and isinstance(right, gast.Name) and right.id in once):
        return None
    return right


def _same_entry(node, g, index):
    return isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) \
        and node.value.id == g and gast.dump(node.slice) == index


def _walk(stmts):
    for stmt in stmts:
        if isinstance(stmt, Comment):
            continue
        yield from (n for n in gast.walk(stmt) if isinstance(n, gast.stmt))
