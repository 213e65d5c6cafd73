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

A loop body is where it matters most: each name a step binds holds its array until the next
step binds it again, so a Runge-Kutta step's dozen temporaries are a dozen arrays in use where
the user's expression `y + h * k1 / 2` reused one. A temporary of one iteration (bound and
read only in that body, after its binding, at its top level) is deleted after its last read
there, from 2**12 elements (_release_in_loop): the ODE at n = 10**5 went from 3.8x to 2.9x its
objective (paired rounds, load ~5).
"""
import gast

from ..ir import Comment
from .copies import name_counts

_LARGE = 1 << 14    # elements: from here an array (128 KiB of float64) outgrows the L1/L2 cache
# A loop body's temporaries cycle through a dozen fresh arrays an iteration: from 32 KiB each
# they outgrow the L2 cache together (the ODE at n = 10**4: 2.9-3.2x -> 2.8-2.9x its
# objective with them deleted, paired rounds)
LARGE_IN_LOOPS = 1 << 12

_SCOPES = (gast.Lambda, gast.FunctionDef, gast.GeneratorExp, gast.ListComp, gast.SetComp,
           gast.DictComp)


def large_names(shapes, adjoints, in_loops=False):
    """The names df's arrays of at least _LARGE elements (LARGE_IN_LOOPS for in_loops) may
    have: those of `shapes` (name -> shape, concrete; a symbolic dim may be any size, so
    large at the top level, where one `del` costs nothing, but not in loops, where a small
    batch would pay it every step) and, through `adjoints` (primal -> adjoint name), their
    adjoints."""
    minimum = LARGE_IN_LOOPS if in_loops else _LARGE
    symbolic = 0 if in_loops else minimum
    out = set()
    for name, shape in shapes.items():
        size = 1
        for n in shape:
            size *= n if isinstance(n, int) else symbolic
        if size >= minimum:
            out.add(name)
            if name in adjoints:
                out.add(adjoints[name])
    return out


def release(body, large, params, large_in_loops=frozenset()):
    """Insert, in place, `del ...` into the top-level statements `body` of df after the last
    read of each name of `large` that may be deleted there (see the module's docstring), and
    into its loop bodies for the names of `large_in_loops` (_release_in_loop). Returns how
    many names are deleted."""
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
    _insert(body, after)
    done = sum(len(v) for v in after.values())
    candidates = (large | large_in_loops) - in_scope - copied - set(params)
    if candidates:
        total = _counts(body)
        for loop in _loops(body):
            done += _release_in_loop(loop, candidates, total)
    return done


def _insert(body, after):
    for k in sorted(after, reverse=True):
        names = [gast.Name(id=n, ctx=gast.Del(), annotation=None, type_comment=None)
                 for n in after[k]]
        body.insert(k + 1, gast.Delete(targets=names))


def _counts(stmts):
    """{name: occurrences} in the statements `stmts` and all they contain."""
    loads, stores = name_counts(stmts)
    out = dict(loads)
    for name, n in stores.items():
        out[name] = out.get(name, 0) + n
    return out


def _loops(stmts):
    """The loops among the statements `stmts`, at any depth (in ifs and other loops)."""
    for st in stmts:
        if isinstance(st, (gast.For, gast.While)):
            yield st
            yield from _loops(st.body)
            yield from _loops(st.orelse)
        elif isinstance(st, gast.If):
            yield from _loops(st.body)
            yield from _loops(st.orelse)


def _release_in_loop(loop, candidates, total):
    """`del` in a loop body after the last read of a temporary of one iteration: a name of
    `candidates` that appears nowhere in df but in the statements of this body (not in the
    loop's header, not after the loop, not in the other sweep, never pushed), all at its
    top level, bound there once by a plain assignment that does not read it, and read only
    by the statements after that assignment. Every iteration then binds it before it reads
    it, so the array it held is not needed once this iteration's last read is done (the
    forward sweep's `t_mul = h * k1`, read by `t_div = t_mul / 2` alone). Returns how many
    names are deleted."""
    stmts = loop.body
    candidates = candidates | _holders(stmts, candidates)
    inside = _counts(stmts)
    per = [(k, _counts([st])) for k, st in enumerate(stmts) if not isinstance(st, Comment)]
    after = {}
    for name in sorted(candidates):
        if not inside.get(name) or total.get(name) != inside[name]:
            continue
        where = [k for k, c in per if name in c]
        binding = [k for k in where if _binds(stmts[k], name)]
        if len(binding) != 1 or any(isinstance(stmts[k], (gast.For, gast.While, gast.If))
                                    for k in where):
            continue
        a = binding[0]
        if any(k < a for k in where) or dict(per)[a][name] != 1 or where[-1] == a:
            continue    # read before it is bound (the previous iteration's), or never read
        after.setdefault(where[-1], []).append(name)
    _insert(stmts, after)
    return sum(len(v) for v in after.values())


def _holders(stmts, large):
    """The names of `stmts` whose entries are large arrays: `parts` of `dt = parts[1]`, dt
    large (a user function's vjp returns its gradients as a tuple, which keeps them alive as
    long as the name holding it)."""
    out = set()
    for st in stmts:
        if (isinstance(st, gast.Assign) and len(st.targets) == 1
                and isinstance(st.targets[0], gast.Name) and st.targets[0].id in large
                and isinstance(st.value, gast.Subscript)
                and isinstance(st.value.value, gast.Name)
                and isinstance(st.value.slice, gast.Constant)):
            out.add(st.value.value.id)
    return out


def _binds(st, name):
    """Whether `st` is a plain assignment `name = ...` (the only statement binding it)."""
    return (isinstance(st, gast.Assign) and len(st.targets) == 1
            and isinstance(st.targets[0], gast.Name) and st.targets[0].id == name)


def _names_bound(target):
    if isinstance(target, gast.Name):
        return [target.id]
    if isinstance(target, (gast.Tuple, gast.List)):
        return [n for elt in target.elts for n in _names_bound(elt)]
    return []

