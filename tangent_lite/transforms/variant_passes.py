"""The passes of a specialised variant (optimize/), run on the written sweeps.

A variant compiled for the shapes and dtypes of one call (specialiser.py) knows what the
generic df cannot: each name's shape and dtype kind, whether every value is real. These facts
are worked out once per variant (VariantFacts) and read by the passes that lower helper calls
into the NumPy they run, fold what the dtypes prove, write running sums in place and release
large arrays after their last read. reverse.py calls them once the sweeps are written; the
generic df (no facts) runs none of them.
"""
import dataclasses
import types
from collections.abc import Mapping

import numpy as np

from ..analysis.concrete import ConcreteShapes
from ..analysis.dtype_kinds import F8, kinds
from ..optimize import dtypes, enabled, specialise
from ..optimize.algebra import cancel_negations_everywhere
from ..optimize.entries import entries_in_place
from ..optimize.einsum_parts import einsum_parts
from ..optimize.fresh_returns import Facts as FreshFacts
from ..optimize.inslices import known_ints, slices_written
from ..optimize.lower import all_real, known_shapes, lower
from ..optimize.lower_slices import lower_slices
from ..optimize.methods import as_methods, proved_arrays
from ..optimize.release import large_names, release
from ..optimize.row_tiles import rows_tiled
from ..optimize.running_sums import sums_in_place
from ..optimize.unread_pops import drop_unread_pops
from ..optimize.unsaved import pushed_as_is


@dataclasses.dataclass(frozen=True)
class VariantFacts:
    """What a specialised variant's passes read of its signature, worked out once per
    variant: the names of one shape, the names of one dtype kind, whether all are real."""

    concrete: ConcreteShapes
    known: Mapping   # name -> shape (optimize/lower.py known_shapes), read-only
    kinds: dict      # name -> float64 or int (analysis/dtype_kinds.py)
    real: bool       # every value a float64 or an int (optimize/lower.py all_real)
    complex_free: bool    # no value or adjoint of df can be complex (_complex_free)

    def with_adjoints(self, adjoints):
        """known, and each adjoint (adjoints: primal -> adjoint name) with its value's shape."""
        known = dict(self.known)
        for primal, adjoint in adjoints.items():
            if primal in known and adjoint not in known:
                known[adjoint] = known[primal]
        return types.MappingProxyType(known)


def variant_facts(ctx, options, shapes, complex_free):
    """The VariantFacts of a specialised variant, or None for the generic df. Its shapes
    are read-only, so the passes that read them need no copies."""
    if shapes.concrete is None:
        return None
    known = known_shapes(ctx.fn, shapes.concrete,
                         specialise.param_shapes(ctx.fn.params, options.specialised))
    kinds_of = kinds(ctx.fn, options.specialised, shapes.concrete.resolve)
    return VariantFacts(shapes.concrete, types.MappingProxyType(known), kinds_of,
                         all_real(ctx.fn, kinds_of), complex_free)


def variant_passes(ctx, options, facts, sweeps, stack, reduced, proven_entries):
    """In a specialised variant, before a split: the helper calls lowered, unread pops
    dropped, what the dtypes prove, list gradients updated entry by entry; how many
    rewrites."""
    if facts is None:
        return 0
    prologue, forward, backward = sweeps
    lowered = _lower(ctx, options, facts, backward, prologue + forward + backward)
    if stack is not None and not (options.split or options.checkpoint or options.taped):
        lowered += drop_unread_pops(forward, backward, stack, ctx.bindings.spelled)
    lowered += _by_dtypes(ctx, options, facts, prologue, forward, backward, reduced)
    if not options.split:
        lowered += entries_in_place(prologue + forward + backward, backward, proven_entries,
                                    ctx.fn.params, ctx.bindings.spelled, ctx.call,
                                    enabled("dtypes") and facts.real)
    return lowered


def _lower(ctx, options, facts, backward, everything):
    """The helper calls the shapes prove written as the NumPy they run (optimize/lower.py);
    how many."""
    if not enabled("lower"):
        return 0
    known = facts.with_adjoints(ctx.namer.adjoints())
    kinds_of = facts.kinds
    real = enabled("dtypes") and facts.real
    lowered = lower(backward, known, ctx.bindings.spelled, ctx.np, ctx.fn.params, real)
    lowered += einsum_parts(backward, everything, known, ctx.bindings.spelled,
                            ctx.bindings.name, ctx.np, real)
    ints = known_ints(ctx.fn, facts.concrete, kinds_of)
    spelled = ctx.bindings.spelled
    if not facts.complex_free:
        # `dx[index] += v` into a real dx refuses a complex v: add_at takes its real part
        spelled = lambda helper: None if helper == "add_at" else ctx.bindings.spelled(helper)
    lowered += slices_written(backward, known, ints, spelled, ctx.np, real)
    lowered += rows_tiled(backward, everything, known, ints, spelled, ctx.np, real)
    # float64 of the machine's byte order: the dtype np.zeros(n) makes (dtype_kinds.kinds counts
    # a '>f8' argument as float64 too, so a variant for one lowers no slice helper)
    seeds = (options.seed_signature,) if options.seed_signature else ()
    entries = [e for whole in options.specialised + seeds
               for _, e in specialise.entries(whole)]
    native = all(e[0] != "array" or np.dtype(e[1]) != np.float64
                 or e[1] == np.dtype(np.float64).str for e in entries)
    float64 = {n for n, k in kinds_of.items() if k == F8} if native else set()
    entry = options.seed_signature
    seed = (ctx.namer.adjoint(ctx.fn.result), entry[2]) if (
        native and entry is not None and entry[1] == np.dtype(np.float64).str
        and all(type(d) is int for d in entry[2])) else None
    return lowered + lower_slices(backward, everything, known, float64, seed, spelled, ctx.np)


def fresh_facts(ctx, facts):
    """What optimize/fresh_returns.py proves fresh returns from: the variant's shapes (an
    adjoint has its value's), the names of f with a kind and their adjoints, whether every
    value is real."""
    adjoints = ctx.namer.adjoints()
    names = set(facts.kinds) | {adjoints[n] for n in facts.kinds if n in adjoints}
    return FreshFacts(facts.with_adjoints(adjoints), names, enabled("dtypes") and facts.real, ctx.np("sum").value.id,
                      lambda: ctx.bindings.name("float", float))


def running_sums_in_place(ctx, options, facts, prologue, forward, backward):
    """In a specialised variant where every value is a float64 or an int: the forward sweep's
    `out = out + e` of an array only it holds written `out += e` (optimize/running_sums.py)."""
    if facts is None or not (enabled("lower") and enabled("dtypes")) \
            or options.checkpoint or not facts.real:
        return 0
    return sums_in_place(forward, prologue + forward + backward, facts.known,
                         ctx.np("zeros").value.id, set(ctx.fn.params))


def release_large(ctx, facts, body):
    """In a specialised variant: its large arrays deleted after their last read, so the
    arrays made next reuse their memory (optimize/release.py); how many."""
    if facts is None or not enabled("release"):
        return 0
    adjoints = ctx.namer.adjoints()
    return release(body, large_names(facts.known, adjoints), ctx.fn.params,
                   large_names(facts.known, adjoints, in_loops=True))


def _by_dtypes(ctx, options, facts, prologue, forward, backward, reduced):
    """What the variant's argument dtypes prove (optimize/dtypes.py), the seed of a float64
    loss the number 1.0 and the loss's unread terms not computed, spread seeds folded into
    their products; how many rewrites."""
    if not enabled("dtypes"):
        return 0
    kinds_of = facts.kinds
    done = pushed_as_is(forward, ctx.fn, kinds_of, ctx.bindings.spelled)
    if reduced and not (options.with_value or options.split or options.seeded):
        done += dtypes.seed_one(backward, forward, prologue, kinds_of,
                                 ctx.bindings.spelled)
    if enabled("lower"):
        folded = dtypes.fold_spreads(backward, prologue + forward + backward, kinds_of,
                                     facts.known,
                                     {a: p for p, a in ctx.namer.adjoints().items()},
                                     ctx.np("full").value.id,
                                     ctx.bindings.spelled)
        if folded and enabled("algebra"):    # the spread hid a chain's negation
            cancel_negations_everywhere(backward, prologue + forward, ctx.bindings.spelled)
        if folded and not (options.with_value or options.split):
            dtypes.drop_unread(forward, lambda: prologue + forward + backward,
                               ctx.bindings.spelled)
        done += folded
    if enabled("methods"):    # last: the other passes read `np.sum` calls, not methods
        done += as_methods(prologue + forward + backward,
                           proved_arrays(kinds_of, facts.known, F8),
                           ctx.np("sum").value.id)
    return done
