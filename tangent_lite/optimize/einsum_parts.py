"""An einsum's gradients written as the einsums they are, and a part's sum folded into its own
(part of the pass "lower").

`parts = einsum_adjoint(g, ('kij,nkj->nki', Q, xc), False)` then `dQ = parts[1]` and `dxc =
parts[2]` asks the helper, at every call, to parse the subscripts, measure each letter, pick a
path and check for diagonals and broadcast dimensions. In a specialised variant the shapes are
known, so where every operand's letters are distinct and each letter has one size everywhere
(no diagonal, no broadcast dimension to sum back: the helper then computes exactly the einsum)
and every value is real, each part is the one call the helper makes, with the helper's own
`optimize` choice (runtime/products.py `gradient_optimize`): the same values to the bit.

    dQ = np.einsum('nki,nkj->kij', dQxc, xc, optimize=True)
    dxc = np.einsum('nki,kij->nkj', dQxc, Q, optimize=True)

A part nobody reads is not computed. A part read once, by the next statement, as its sum over
some axes (`-dxc.sum(axis=0, keepdims=True)`: the GMM's means, whose x has no gradient) is
the einsum that leaves those letters out, so the n x k x d array it would sum is never made:

    dt_item3 = -np.expand_dims(np.einsum('nki,kij->kj', dQxc, Q, optimize=True), 0)

(the sum is taken in another order, as any gradient's may be; the forward sweep is untouched).
Where the shapes or the dtypes are not proved (the GMM's Q is gathered through a user
function's index), the parts are the runtime's `einsum_part`, which has the helper's meaning
for each part and leaves the summed letters out where the part is that one einsum:

    dQ = einsum_part(dQxc, ('kij,nkj->nki', Q, xc), 1)
    dt_item3 = -einsum_part(dQxc, ('kij,nkj->nki', Q, xc), 2, axis=0, keepdims=True)

That is written only where it saves work (a sum folded, or a part nobody reads).
"""
import gast

from ..ir import Comment
from ..ir import syntax as s
from ..runtime.products import einsum_parse, gradient_optimize
from .copies import name_counts


def einsum_parts(body, everything, shapes, spelled, name_of, np_attr, real):
    """Rewrite, in place, the statements `body` (and the blocks they hold) as above; shapes:
    name -> shape (adjoints included); everything: all of df's statements; spelled(helper):
    how df spells a helper it calls (None: it calls none such); name_of(helper): how df spells
    a helper it may call next; np_attr(name): `np.name` as df spells it; real: every value
    and adjoint a float64 or an int. Returns how many einsum_adjoint calls went."""
    helper = spelled("einsum_adjoint")
    if helper is None:
        return 0
    loads, stores = name_counts(everything)
    facts = _Facts(helper, lambda: name_of("einsum_part"), shapes if real else {}, np_attr,
                   loads, stores)
    return _block(body, facts)


class _Facts:
    """What the rewrites read: the helpers' spellings, the proved shapes ({} where not every
    value is real: then no part is written as np.einsum), df's read and bind counts."""

    def __init__(self, helper, part_helper, shapes, np_attr, loads, stores):
        self.helper, self.part_helper = helper, part_helper
        self.shapes, self.np_attr = shapes, np_attr
        self.loads, self.stores = loads, stores


def _block(stmts, facts):
    count = 0
    for stmt in stmts:
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            count += _block(stmt.body, facts) + _block(stmt.orelse, facts)
    i = 0
    while i < len(stmts):
        if _rewrite(stmts, i, facts):
            count += 1        # stmts[i] went: look at what took its place
        else:
            i += 1
    return count


def _rewrite(stmts, i, facts):
    """Write stmts[i], `parts = einsum_adjoint(...)`, and the `d = parts[k]` right after it
    part by part, where that is exact and saves work; say whether it did."""
    call = _adjoint_call(stmts[i], facts)
    if call is None:
        return False
    parts = stmts[i].targets[0].id
    picks, j = {}, i + 1
    while j < len(stmts) and (isinstance(stmts[j], Comment) or _pick(stmts[j], parts)):
        if not isinstance(stmts[j], Comment):
            picks[j] = _pick(stmts[j], parts)
        j += 1
    g, _, operands, optimize = call
    targets = {target for target, _ in picks.values()}
    if facts.stores.get(parts) != 1 or facts.loads.get(parts, 0) != len(picks) \
            or targets & {g.id, *(n.id for n in operands.elts[1:])} \
            or len(targets) != len(picks) or any(k < 1 for _, k in picks.values()):
        return False      # a part read elsewhere, or a pick rebinding what a later part reads
    made = {at: _part(call, k, facts) for at, (_, k) in picks.items()}
    sums = {at: _sum_of(stmts, at, target, made[at], facts)
            for at, (target, _) in picks.items()}
    unread = [at for at, (target, _) in picks.items() if not facts.loads.get(target)]
    if len(made) == len(operands.elts) - 1 and not any(sums.values()) and not unread \
            and not all(_proved(part) for part in made.values()):
        return False      # the helper, once, is as good as its parts
    for at in sorted(picks, reverse=True):
        if sums[at] is not None:
            node, axes, keep = sums[at]
            _replace(node, _summed(made[at], axes, keep, optimize, facts))
            del stmts[at]
        elif at in unread:
            del stmts[at]
        else:
            stmts[at].value = _whole(made[at], optimize, facts)
    del stmts[i]
    return True


def _adjoint_call(stmt, facts):
    """(g, subscripts, operands, optimize), the nodes of `parts = einsum_adjoint(g, ('...', a,
    b), optimize)` with names and constants, else None."""
    value = getattr(stmt, "value", None)
    if not (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name) and isinstance(value, gast.Call)
            and isinstance(value.func, gast.Name) and value.func.id == facts.helper
            and not value.keywords and len(value.args) in (2, 3)):
        return None
    g, operands = value.args[0], value.args[1]
    optimize = value.args[2] if len(value.args) == 3 else s.const(False)
    if not (isinstance(operands, gast.Tuple) and len(operands.elts) >= 2
            and isinstance(operands.elts[0], gast.Constant)
            and isinstance(operands.elts[0].value, str)
            and isinstance(optimize, gast.Constant)
            and all(isinstance(n, gast.Name) for n in [g] + operands.elts[1:])):
        return None
    return g, operands.elts[0].value, operands, optimize


def _pick(stmt, parts):
    """(target, k) of `target = parts[k]`, else None."""
    value = getattr(stmt, "value", None)
    if isinstance(stmt, gast.Assign) and len(stmt.targets) == 1 \
            and isinstance(stmt.targets[0], gast.Name) and isinstance(value, gast.Subscript) \
            and isinstance(value.value, gast.Name) and value.value.id == parts:
        k = s.int_literal(value.slice)
        if k is not None:
            return stmt.targets[0].id, k
    return None


def _part(call, k, facts):
    """Operand k's gradient (k from 1, as einsum_adjoint's list counts): (spec, [names],
    {letter: size}) of the einsum the helper computes, where the shapes prove that is all it
    does (see the module's docstring), else (call, k) for the helper einsum_part."""
    g, subscripts, operands, _ = call
    names = [n.id for n in operands.elts[1:]]
    if not all(n in facts.shapes for n in names + [g.id]) or len(names) < 2 or k > len(names):
        return call, k          # one array: its einsum of g alone may be a view of g
    shapes = [facts.shapes[n] for n in names]
    try:
        ins, out = einsum_parse(subscripts, [len(sh) for sh in shapes])
    except (NotImplementedError, ValueError):
        return call, k
    sizes = {}
    for sub, shape in zip(list(ins) + [out], shapes + [facts.shapes[g.id]]):
        if len(sub) != len(shape) or len(set(sub)) != len(sub):
            return call, k
        for c, n in zip(sub, shape):
            if not isinstance(n, int) or sizes.setdefault(c, n) != n:
                return call, k
    others = [j for j in range(len(ins)) if j != k - 1]
    if not set(ins[k - 1]) <= set(out).union(*[ins[j] for j in others]):
        return call, k          # a letter only operand k has: the helper broadcasts
    spec = ",".join([out] + [ins[j] for j in others]) + "->" + ins[k - 1]
    return spec, [g.id] + [names[j] for j in others], sizes


def _proved(part):
    return isinstance(part[0], str)


def _whole(part, optimize, facts):
    """The statement's value for operand k's gradient, unsummed."""
    if _proved(part):
        return _einsum(part, optimize.value, facts)
    (g, _, operands, _), k = part
    args = [s.copy(g), s.copy(operands), s.const(k)]
    return s.call(facts.part_helper(), args + ([s.copy(optimize)] if optimize.value else []))


def _summed(part, axes, keep, optimize, facts):
    """Operand k's gradient summed over `axes` (keepdims: `keep`)."""
    if not _proved(part):
        call = _whole(part, optimize, facts)
        axis = s.const(tuple(axes)) if len(axes) > 1 else s.const(axes[0])
        call.keywords = [gast.keyword(arg="axis", value=axis)] + (
            [gast.keyword(arg="keepdims", value=s.const(True))] if keep else [])
        return call
    spec, names, sizes = part
    ins, out = spec.split("->")
    kept = "".join(c for k, c in enumerate(out) if k not in axes)
    folded = _einsum((ins + "->" + kept, names, sizes), optimize.value, facts)
    if keep:
        folded = s.call(facts.np_attr("expand_dims"),
                        [folded, s.const(tuple(axes) if len(axes) > 1 else axes[0])])
    return folded


def _einsum(part, optimize, facts):
    """`np.einsum(spec, *names)`, with the optimize argument the helper would pass."""
    spec, names, sizes = part
    chosen = gradient_optimize(optimize, {c: sizes[c] for c in spec if c.isalpha()}, spec)
    keywords = [gast.keyword(arg="optimize", value=s.const(chosen))] if chosen else []
    return s.call(facts.np_attr("einsum"), [s.const(spec)] + [s.name(n) for n in names],
                  keywords)


def _sum_of(stmts, at, target, part, facts):
    """(the call, [axes], keepdims) where `target`'s one read is in the next statement, as
    `target.sum(axis=...)` or `np.sum(target, axis=...)` with constants, else None. Proved
    parts get the axes counted from 0 and keep at least one letter (a sum to a number would
    be a NumPy scalar, the einsum's a 0-d array)."""
    if facts.loads.get(target) != 1 or facts.stores.get(target) != 1:
        return None
    nxt = next((j for j in range(at + 1, len(stmts)) if not isinstance(stmts[j], Comment)),
               None)
    if nxt is None or isinstance(stmts[nxt], (gast.If, gast.For, gast.While)):
        return None
    for node in gast.walk(stmts[nxt]):
        found = _summed_axes(node, target, facts)
        if found is None:
            continue
        axes, keep = found
        if not _proved(part):
            return node, axes, keep
        rank = len(part[0].split("->")[1])
        if not all(-rank <= a < rank for a in axes):
            return None
        axes = sorted({a % rank for a in axes})
        return (node, axes, keep) if len(axes) == len(found[0]) < rank else None
    return None


def _summed_axes(node, target, facts):
    """([axes], keepdims) of `target.sum(axis=...)` / `np.sum(target, axis=...)`, else None."""
    if not isinstance(node, gast.Call):
        return None
    func, args = node.func, list(node.args)
    np_sum = facts.np_attr("sum")
    if isinstance(func, gast.Attribute) and func.attr == "sum" \
            and isinstance(func.value, gast.Name) and func.value.id == target:
        pass
    elif isinstance(func, gast.Attribute) and isinstance(np_sum, gast.Attribute) \
            and func.attr == "sum" and isinstance(func.value, gast.Name) \
            and func.value.id == np_sum.value.id and args and isinstance(args[0], gast.Name) \
            and args[0].id == target:
        args = args[1:]
    else:
        return None
    keywords = {k.arg: k.value for k in node.keywords}
    if args or set(keywords) - {"axis", "keepdims"}:
        return None
    axis = keywords.get("axis")
    keep = keywords.get("keepdims", s.const(False))
    if axis is None or not isinstance(keep, gast.Constant) or keep.value not in (True, False):
        return None
    elts = axis.elts if isinstance(axis, gast.Tuple) else [axis]
    axes = [s.int_literal(e) for e in elts]
    if any(a is None for a in axes) or len(set(axes)) != len(axes):
        return None
    return axes, keep.value


def _replace(node, new):
    """Make the Call `node` the Call `new`, in place (its parent keeps pointing at it)."""
    node.func, node.args, node.keywords = new.func, new.args, new.keywords
