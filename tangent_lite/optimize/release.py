"""Large arrays of a shape-specialised df given back where they are read for the last time.

A gradient keeps more arrays alive than the function it differentiates: every name of the
generated code holds its array until df returns, the forward sweep's temporaries that the
backward sweep never reads as much as the adjoints it has finished with. NumPy code written by
hand lets each temporary go as soon as the next line is done with it, so the next array is
made in the memory just freed, still in the cache; df's next array is made in memory that
has not been touched for a while (or in fresh pages). For arrays of a few hundred kilobytes
and more this is most of the difference: the README benchmark's layer norm at 256 x 1024
measured 1.37x the hand-written gradient as df was written, 0.86x with its large arrays given
back at their last read (same process, paired rounds).

So in a variant compiled for known shapes (optimize/specialise.py), a name the concrete
analysis proves holds at least `_LARGE` elements, or one with a symbolic dim (a size that
varied between calls: the variant serves every size the guard lets through, large ones too,
and a `del` of a small array costs tens of nanoseconds), or that is the adjoint of one, is deleted
(`del t_mul, dd`) after the top-level statement of df that reads it last. Deleting a name
only ends its reference: an array also held elsewhere (on the stack, by another name, by the
caller) lives on, so this never changes a value. It is done only where it is certainly
sound: the name is bound by a plain top-level assignment before that statement, nothing
after it reads or binds it, and no nested function, lambda or comprehension in df mentions
it. A name copied to another (`dx = dxc`) is left alone: its array lives on under the other.
"""
import gast

from ..ir import Comment

_LARGE = 1 << 14    # elements: from here an array (128 KiB of float64) outgrows the L1/L2 cache

_SCOPES = (gast.Lambda, gast.FunctionDef, gast.GeneratorExp, gast.ListComp, gast.SetComp,
           gast.DictComp)


def large_names(shapes, adjoints):
    """The names df's arrays of at least _LARGE elements may have: those of `shapes` (name ->
    shape, concrete; a symbolic dim may be any size) and, through `adjoints` (primal ->
    adjoint name), their adjoints."""
    out = set()
    for name, shape in shapes.items():
        size = 1
        for n in shape:
            size *= n if isinstance(n, int) else _LARGE
        if size >= _LARGE:
            out.add(name)
            if name in adjoints:
                out.add(adjoints[name])
    return out


def release(body, large, params):
    """Insert, in place, `del ...` into the top-level statements `body` of df after the last
    read of each name of `large` that may be deleted there (see the module's docstring).
    Returns how many names are deleted."""
    statements = [(k, st) for k, st in enumerate(body) if not isinstance(st, Comment)]
    in_scope, last, bound_at, copied = set(), {}, {}, set()
    for k, st in statements:
        for node in gast.walk(st):
            if isinstance(node, gast.Name):
                last[node.id] = k
            elif isinstance(node, _SCOPES):
                in_scope |= {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}
        if isinstance(st, gast.Assign):
            if isinstance(st.value, gast.Name):
                copied.add(st.value.id)
            for target in st.targets:
                for n in _names_bound(target):
                    bound_at.setdefault(n, k)
    final = statements[-1][0] if statements else -1
    after = {}
    for name in sorted(large - in_scope - copied - set(params)):
        k = last.get(name)
        if k is None or k == final or bound_at.get(name, final + 1) > k:
            continue
        after.setdefault(k, []).append(name)
    for k in sorted(after, reverse=True):
        names = [gast.Name(id=n, ctx=gast.Del(), annotation=None, type_comment=None)
                 for n in after[k]]
        body.insert(k + 1, gast.Delete(targets=names))
    return sum(len(v) for v in after.values())


def _names_bound(target):
    if isinstance(target, gast.Name):
        return [target.id]
    if isinstance(target, (gast.Tuple, gast.List)):
        return [n for elt in target.elts for n in _names_bound(elt)]
    return []

