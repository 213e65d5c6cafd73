"""Reverse mode: a forward sweep that records, then a backward sweep that replays.

The forward sweep is the function itself in the core language, with `stack.push(v)` before an
assignment that overwrites a value the backward sweep will read. The backward sweep walks the
statements in reverse: each operation's rule template is filled in with the caller's names,
branches test the same condition variables, loops run their recorded trip counts backwards, and
`v = stack.pop()` restores what the forward sweep overwrote, so every rule sees the values it
saw going forward.

Three phases pass data, each in its own module: adjoints.py (the adjoint statements of each
forward statement) -> plan.py (what the forward sweep pushes) -> sweeps.py (both sweeps written
out). This module runs them and assembles df: the prologue, the seed, the returned gradients.
"""
import dataclasses
import functools
import os

import gast

from .. import ir
from ..analysis.activity import check_refusals, varied_names
from ..analysis.aliasing import alias_groups
from ..analysis.concrete import ConcreteShapes
from ..analysis.shapes import SCALAR, ShapeFacts, resolver
from ..ir import Comment
from ..ir import syntax as s
from ..ir.syntax import name_node
from ..ir.uses import names_read
from ..optimize import dead_code, enabled, specialise
from ..optimize.algebra import float64_number, simplify
from ..optimize.differences import split_differences
from ..optimize.fused import fuse_chains
from ..optimize.rows import slices_into_rows
from ..optimize.slices import products_into_slices, sets_into_zeros
from ..optimize.copies import propagate_copies
from ..optimize.fresh_returns import fresh_returns
from ..optimize.inplace import complex_free
from ..optimize.squares import drop_unread_squares, fold_scalar_seeds
from ..optimize.seed import reduced_result
from ..optimize.shift import invariant_maxima
from . import checkpoint
from .adjoints import build_adjoints
from .common import Derivative, bound_for_checks, copied_arguments, refuse_misused_sequences
from .plan import plan_stack
from .split_views import followed_views
from .sweeps import SweepWriter
from .variant_passes import (fresh_facts, release_large, running_sums_in_place,
                             variant_facts, variant_passes)


@dataclasses.dataclass(frozen=True)
class ReverseOptions:
    """What kind of reverse-mode derivative to write."""

    wrt: tuple
    as_tuple: bool = False      # df returns a tuple even for one argument
    seeded: bool = False        # a vjp: df takes the result's adjoint as its first argument
    split: bool = False         # two functions: forward sweep, then a re-runnable backward
    with_value: bool = False    # df returns (value, gradient)
    numbers: bool = False       # the variant of df for arguments that are all numbers
    checkpoint: int = 0         # > 0: checkpoint every outermost loop with that many snapshots
    taped: bool = False         # ignore checkpointed(...) markers: record every step (hvp)
    specialised: tuple = None   # the variant for one signature (optimize/specialise.py)
    complex_data: bool = False  # the variant of df for complex arguments: nothing added in
    #                             place into a real array (optimize/inplace.complex_free)
    seed_signature: tuple = None   # a specialised vjp: its seed's signature entry (an array
    #                                of the result's shape, the guard checks: specialiser.py)


@dataclasses.dataclass
class Reversed:
    """reverse_mode's result: df (or the forward sweep, when split), the backward sweep when
    split, and the compiled vjps of the user functions df calls."""

    derivative: Derivative
    backward: Derivative = None
    callees: list = dataclasses.field(default_factory=list)
    specialised: int = 0    # unbroadcasts the shape specialisation removed or wrote as sums


def reverse_mode(ctx, options, copied=(), guards=None, callee=None,
                 summary=lambda func: None):
    """The reverse-mode derivative of ctx.fn.

    copied: parameters written in place (df works on copies); guards: statement id ->
    [(other name, where)] run-time alias checks; callee(func, wrt): the Compiled vjp of a user
    function; summary: a user function -> its result's shape set (analysis.shapes)."""
    fn, wrt, guards = ctx.fn, list(options.wrt), guards or {}
    _mark_checkpoints(ctx, options)
    varied, seqs, shapes = _analyse(ctx, options, summary)

    # Phase 1: the adjoint statements.
    complex_free = _complex_free(ctx, options)
    adjoints = build_adjoints(ctx, varied, seqs, shapes, callee, complex_free)

    # The seed, and what it (or df's return) reads of the forward sweep.
    seed_one, reduced, seed_reads = _seed_plan(fn, options, seqs, shapes)

    # Phase 2: the stack plan; then what the forward sweep need not compute.
    # who may share memory with whom: read by the stack plan where fn writes in place and by
    # the split sweeps, computed once if at all
    groups = functools.cache(lambda: alias_groups(fn))
    plan = plan_stack(fn, adjoints, wrt, shapes.numbers, ctx.bindings.spelled, groups)
    dead = dead_code.dead_assignments(fn, plan.reads | seed_reads, guards) \
        if enabled("dead_code") else set()

    # Phase 3: the sweeps.
    stack = ctx.namer.fresh("stack") if plan.uses_stack else None
    restored = {st.target for st in ir.walk(fn.body)
                if isinstance(st, ir.SetItem) and id(st) in plan.pushes}
    writer = SweepWriter(ctx, plan, dead, guards, stack, shapes.numbers,
                         detach=restored if options.split else (), groups=groups,
                         split=options.split)
    unbound = set(plan.unbound)
    for state in writer.states.values():
        unbound.update(state.unbound)
    prologue = _prologue(ctx, copied, stack, unbound) + bound_for_checks(ctx, guards)
    forward = writer.forward(fn.body)
    value = fn.result
    if options.with_value and any(value in names for names in plan.pushes.values()):
        # The backward sweep pops earlier values of the result back: keep the final one.
        value = ctx.namer.fresh("value")
        forward.append(s.assign(value, name_node(fn.result)))
    seed = ctx.namer.adjoint(fn.result)
    backward = [Comment(""), Comment("Backward sweep")]
    backward += _seed(ctx, options, seed, seed_one, reduced)
    backward += writer.backward(adjoints.nodes)
    backward += _returns(ctx, options, adjoints.final)
    _finish_sweeps(ctx, options, prologue, forward, backward)
    facts = variant_facts(ctx, options, shapes, complex_free)
    lowered = variant_passes(ctx, options, facts, (prologue, forward, backward), stack,
                              reduced, adjoints.proven_entries)
    if options.split:
        fwd, bwd = _split(ctx, options, prologue + forward, backward[2:], seed, plan, stack,
                          writer.states.values(), unbound, groups, writer.copies)
        return Reversed(fwd, bwd, adjoints.callees)
    # These two ride along in a variant kept for other work, and never decide that a variant
    # is kept (specialiser.py: a generalised variant that removes nothing else gives way to
    # one per size)
    running_sums_in_place(ctx, options, facts, prologue, forward, backward)
    body = prologue + forward + backward
    if facts is not None and enabled("lower") and not options.seeded:
        fresh_returns(body, ctx.fn.params, options.specialised, ctx.bindings.spelled,
                      fresh_facts(ctx, facts))
    released = release_large(ctx, facts, body)
    deriv = _derivative(ctx, options, body, seed, value)
    if released:
        deriv.docstring += ("\n\nIts large arrays are deleted (`del`) after their last read, so "
                            "the arrays\nmade next reuse their memory while it is in the cache.")
    used = shapes.concrete.used + lowered + released if shapes.concrete is not None else 0
    return Reversed(deriv, None, adjoints.callees, used)


def _derivative(ctx, options, body, seed, value):
    """df itself: named for its kind (grad_f, vjp_f, grad_f_numbers, grad_f_specialised),
    returning (value, gradient) for value_and_grad."""
    fn = ctx.fn
    prefix = "vjp" if options.seeded else "grad"
    suffix = "_numbers" if options.numbers else \
        "_specialised" if options.specialised is not None else ""
    deriv = Derivative(name=ctx.namer.fresh(f"{prefix}_{fn.name}{suffix}"), params=fn.params,
                       docstring=_docstring(ctx, options), body=body, seed=seed)
    if options.with_value:
        ret = deriv.body[-1]
        ret.value = s.tuple_([name_node(value), ret.value])
    return deriv


def _mark_checkpoints(ctx, options):
    """Mark the loops the backward sweep replays from snapshots (checkpoint=s: every outermost
    loop; taped: none, every step recorded), and refuse what checkpointing cannot replay."""
    if options.taped:
        checkpoint.mark_outermost(ctx.fn.body, 0, force=True)
    elif options.checkpoint:
        checkpoint.mark_outermost(ctx.fn.body, options.checkpoint)
    checkpoint.refuse(ctx)


def _seed_plan(fn, options, seqs, shapes):
    """(the seed is the number 1, the reduction a loss seed is read through or None, the
    names the seed or df's return read of the forward sweep)."""
    seed_one = options.numbers and shapes.result == SCALAR
    reduced = None if options.with_value or not enabled("loss_seed") else \
        reduced_result(fn, seqs, shapes)
    if options.with_value or options.split:
        seed_reads = {fn.result}
    else:
        seed_reads = set() if options.seeded or seed_one else {reduced or fn.result}
    return seed_one, reduced, seed_reads


def _finish_sweeps(ctx, options, prologue, forward, backward):
    """The passes that read the written sweeps whole (optimize/), in place: copies, squares,
    the algebraic simplifier, the fused chains, slice reads into slices and rows."""
    if enabled("copies"):
        propagate_copies(backward, prologue + forward + backward)
    if enabled("squares"):
        fold_scalar_seeds(backward, prologue + forward + backward,
                          ctx.bindings.spelled("unreduce"))
        if not (options.with_value or options.split):
            drop_unread_squares(forward, prologue + forward + backward)
    if enabled("algebra"):
        simplify(backward, prologue + forward, ctx.bindings.spelled, ctx.namer.fresh)
    fuse_chains(backward, prologue + forward + backward, ctx.bindings.spelled, ctx.call)
    split_differences(prologue + forward, backward, prologue + forward + backward,
                      ctx.bindings.spelled, ctx.call)
    products_into_slices(backward, prologue + forward + backward, ctx.bindings.spelled, ctx.call)
    slices_into_rows(backward, prologue + forward + backward, ctx.bindings.spelled, ctx.call)
    sets_into_zeros(backward, ctx.bindings.spelled, ctx.call)


def _complex_free(ctx, options):
    """Whether no value or adjoint of df can be complex (optimize/inplace.complex_free): a
    vjp's seed counts as an argument, which a generic vjp cannot know (a caller's complex
    scaling gives a complex seed, `inner(x) * 1j`). So does a split backward sweep's (a
    pullback's weights, tl.vjp), and its data arguments too: the pullback has no dispatch
    to a variant for complex data (pipeline._complex_dispatch), as grad's df has."""
    if options.complex_data:
        return False
    signature = options.specialised
    if signature is not None and options.seed_signature is not None:
        signature = (options.seed_signature,) + tuple(signature)
    if signature is None and (options.seeded or options.split):
        return False
    return complex_free(ctx.fn, signature)


def _analyse(ctx, options, summary):
    """What the phases need to know of fn: (varied names, names holding Python lists, the shape
    analysis); raises for what reverse mode cannot differentiate."""
    fn = ctx.fn
    # `return a, b` is a tuple result: grad differentiates the sum of its leaves, a vjp takes
    # a cotangent of its structure.
    varied = varied_names(fn, list(options.wrt)) - invariant_maxima(fn)
    check_refusals(fn, varied)
    seqs = refuse_misused_sequences(ctx, varied)
    for hook in ir.walk(fn.body):
        if isinstance(hook, ir.Hook):
            ctx.namer.claim_adjoint(hook.var, hook.alias)
    shapes = ShapeFacts(fn, options.numbers, resolver(ctx.parsed), summary)
    shapes.concrete = None
    if options.specialised is not None:
        shapes.concrete = ConcreteShapes(
            fn, specialise.param_shapes(fn.params, options.specialised),
            with_bindings(resolver(ctx.parsed), ctx.bindings.objects),
            getattr(summary, "concrete", None))
    return varied, seqs, shapes


def with_bindings(resolve, objects):
    """`resolve`, which also knows the helpers the front end bound for df (`unpacks` of
    `W, b = params`): their names are fresh, never the user's."""
    def resolved(node):
        if isinstance(node, gast.Name) and node.id in objects:
            return objects[node.id]
        return resolve(node)
    return resolved


def _prologue(ctx, copied, stack, unbound):
    out = copied_arguments(ctx, copied)
    if stack:
        out.append(s.assign(stack, ctx.call("Stack", [])))
    if unbound:
        out.append(Comment("saved before their first assignment"))
        out.extend(s.assign(v, s.const(None)) for v in sorted(unbound))
    return out


def _seed(ctx, options, seed, seed_one, reduced):
    """The statement starting the backward sweep: the adjoint of the result."""
    if options.seeded or options.split:
        return []   # given by the caller
    if seed_one:
        # f computes a number from numbers: its adjoint starts as the number 1.0, and the
        # forward sweep need not compute f's value unless it is returned.
        return [s.assign(seed, s.const(1.0))]
    if reduced:
        # f returns the sum or mean of `reduced`: the seed needs only its dtype, so the
        # forward sweep need not compute the reduction.
        return [s.assign(seed, ctx.call("unit_of", [name_node(reduced)]))]
    if enabled("algebra") and float64_number(ctx.fn):
        # f's result is a Python float wherever it is bound: unit_like would return 1.0
        return [s.assign(seed, s.const(1.0))]
    return [s.assign(seed, ctx.call("unit_like", [name_node(ctx.fn.result)]))]


def _returns(ctx, options, final):
    stmts, grads = [], []
    for p in options.wrt:
        dp = ctx.namer.adjoint(p)
        if p not in final:
            stmts.append(Comment(f"{ctx.fn.result} does not depend on {p}"))
            stmts.append(s.assign(dp, s.call(ctx.np("zeros_like"), [name_node(p)])))
        grads.append(dp)
    if options.seeded:
        names = [name_node(g) for g in grads]
        stmts.append(gast.Return(value=names[0] if len(names) == 1 else s.tuple_(names)))
        return stmts
    if len(options.wrt) == 1 and not options.as_tuple:
        p = options.wrt[0]
        value = ctx.call("grad_like", [name_node(grads[0]), name_node(p), s.const(p)])
    else:
        value = ctx.call("grads_like", [
            s.tuple_([name_node(g) for g in grads]),
            s.tuple_([name_node(p) for p in options.wrt]),
            s.tuple_([s.const(p) for p in options.wrt])])
    stmts.append(gast.Return(value=value))
    return stmts


def _split(ctx, options, forward, backward, seed, plan, stack, states, unbound, groups,
           copies):
    """The forward sweep and the backward sweep as two functions, for a pullback that runs
    the backward sweep as often as it is called: the forward sweep returns its result and
    the state the backward sweep reads; the backward sweep works on copies of it, one per
    array (`copies`: the name of the memo its pops go through, or None)."""
    fn = ctx.fn
    assigned = set(fn.params)
    for node in forward:
        if not isinstance(node, Comment):
            assigned |= {n.id for n in gast.walk(node) if isinstance(n, gast.Name)
                         and isinstance(n.ctx, gast.Store)}
    read = set()
    for node in backward:
        if not isinstance(node, Comment):
            read |= names_read(node)
    state = sorted(read & assigned)
    restored = sorted(({st.target for st in ir.walk(fn.body) if isinstance(
        st, ir.SetItem) and id(st) in plan.pushes} | {n for c in states for n in c.copied})
        & set(state))
    bound = ir.must_assigned(fn.body, fn.params) | set(unbound)
    maybe_unbound = [v for v in state if v not in bound and v != stack]
    if maybe_unbound:
        forward = [Comment("bound on some paths only")] + [
            s.assign(v, s.const(None)) for v in maybe_unbound] + forward
    fwd = Derivative(
        name=ctx.namer.fresh(f"forward_{fn.name}"), params=fn.params,
        docstring=f"The forward sweep of {fn.name}: its result, and what the backward sweep "
                  "needs.", body=forward + [gast.Return(value=s.tuple_([
                      name_node(fn.result), s.tuple_([name_node(v) for v in state])]))])
    state_name = ctx.namer.fresh("state")
    unpack = gast.Assign(targets=[gast.Tuple(elts=[name_node(v, store=True) for v in state],
                                             ctx=gast.Store())],
                         value=name_node(state_name), type_comment=None)
    prologue = [unpack] if state else []
    if stack:
        prologue.append(Comment("each call replays the sweep on its own copy"))
        prologue.append(s.assign(stack, ctx.call("Stack", [name_node(stack)])))
    follow = followed_views(ctx, plan, restored, state, forward, backward, groups)
    if follow:
        # one copy per array, whichever names hold it (`u, new = new, u` keeps trading the
        # same two), and the views of the state re-pointed at it
        copies = copies or ctx.namer.fresh("copies")
        prologue.append(Comment("each call restores its own copy of the arrays written in "
                                "place, one per array"))
        prologue.append(s.assign(copies, gast.Dict(keys=[], values=[])))
        prologue += [s.assign(n, ctx.call("owned_in", [name_node(copies), name_node(n)]))
                     for v, views in follow.items() for n in [v] + views]
    for c in states:
        if c.checkpoints in state:
            replay = s.assign(c.checkpoints, s.call(s.attr(c.checkpoints, "replay"), []))
            if c.checkpoints in maybe_unbound:   # a loop inside a loop that may not run
                replay = gast.If(test=gast.Compare(
                    left=name_node(c.checkpoints), ops=[gast.IsNot()],
                    comparators=[s.const(None)]), body=[replay], orelse=[])
            prologue.append(replay)
    wrt = ", ".join(options.wrt)
    bwd = Derivative(
        name=ctx.namer.fresh(f"backward_{fn.name}"), params=[state_name, seed],
        docstring=f"The backward sweep of {fn.name}: given {seed}, the weights of its result, "
                  f"the gradient with respect to {wrt}.", body=prologue + backward,
        seed=seed, signature=f"{state_name}, {seed}")
    return fwd, bwd


def _docstring(ctx, options):
    fn = ctx.fn
    wrt = ", ".join(options.wrt)
    where = f"{os.path.basename(ctx.parsed.filename)}:{fn.lineno}"
    if options.seeded and options.specialised is not None:
        seed = ctx.namer.adjoint(fn.result)
        described = specialise.wrapped(specialise.describe(
            [seed] + list(fn.params), (options.seed_signature,) + options.specialised))
        return (f"Vector-Jacobian product of {fn.name} ({where}) with respect to {wrt},\n"
                f"specialised for\n{described}.\n\n"
                "Called when the guard above holds: the shapes and dtypes being known, the "
                "helpers\nthat would check them are written as the NumPy they run.")
    if options.seeded:
        return (f"Vector-Jacobian product of {fn.name} ({where}) with respect to "
                f"{wrt}.\n\nGiven {ctx.namer.adjoint(fn.result)}, the gradient of "
                f"some output with respect to\n{fn.name}'s result, returns the "
                f"gradient with respect to {wrt}.")
    if options.specialised is not None:
        described = specialise.wrapped(specialise.describe(fn.params, options.specialised))
        return (f"Gradient of {fn.name} ({where}) with respect to {wrt}, specialised for\n"
                f"{described}.\n\n"
                "Called when the guard above holds: the shapes being known, the sums that\n"
                "bring gradients back to the shapes of broadcast operands are written out\n"
                "where they are needed and left out where they are not.")
    if options.numbers:
        return (f"Gradient of {fn.name} ({where}) with respect to {wrt}, for "
                "numbers.\n\nCalled when every argument is a Python or NumPy float (or "
                "an int): every value\nis then a number, so the sweeps need none of the "
                "shape bookkeeping arrays need,\nand the forward sweep computes only what "
                "the backward sweep reads.")
    return (f"Gradient of {fn.name} ({where}) with respect to {wrt}.\n\n"
            "Reverse mode, generated by tangent_lite: the forward sweep runs "
            f"{fn.name}, the\nbackward sweep carries the gradient of its result "
            f"back to {wrt}.")
