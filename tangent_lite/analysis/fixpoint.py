"""The one way every analysis iterates to a fixpoint.

Loop analyses (which adjoints are live at a loop's head, which tangents exist there, which names
are varied, which values the backward sweep reads) all grow or shrink a set over a finite
universe until it stops changing. A monotone step on a lattice of height h stabilises within
h + 1 applications, so `fixpoint` takes that height as a *proof obligation*, not as a cap: were
the state still changing after it, the step is not monotone (a bug in tangent_lite), and we raise
InternalError instead of stopping early. Stopping early is how a loop carrying a chain of ten
variables once got a gradient of half its true value.
"""
from .. import ir
from ..errors import InternalError


def fixpoint(step, state, height, what):
    """Apply `step` to `state` until it returns a value equal to its argument; return that.

    height: the length of the longest strictly ascending (or descending) chain of states, e.g.
    the size of the set of names a set-valued state draws from; what: names the analysis in
    the error raised if the bound is ever exceeded.
    """
    for _ in range(height + 2):
        new = step(state)
        if new == state:
            return new
        state = new
    raise InternalError(f"tangent_lite's {what} did not converge within {height + 2} steps; "
                        "please report this with the function being differentiated")


def closure(step, height, what):
    """Run `step()` until it reports no change (it returns whether it changed something), for
    analyses that grow mutable sets in place; same bound and error as fixpoint."""
    for _ in range(height + 2):
        if not step():
            return
    raise InternalError(f"tangent_lite's {what} did not converge within {height + 2} steps; "
                        "please report this with the function being differentiated")


def loop_flow(analysis, stmt, env, join, index, what):
    """A forward dataflow's state after the core-language loop `stmt`, entered with `env`: the
    fixpoint at the loop's head (the for loop's index bound to `index` in its body) joined
    with the states at the loop's breaks.

    `analysis` walks a body with `_block(body, env)` (collecting the states at breaks in its
    `breaks` list, saved and restored here for nested loops) and bounds its lattice's height
    by `height`; `join` is its join of two states."""
    outer, analysis.breaks = analysis.breaks, []

    def step(head):
        analysis.breaks = []
        inner = dict(head)
        if isinstance(stmt, ir.For):
            inner[stmt.target] = index      # the core language loops over ranges only
        return join(head, analysis._block(stmt.body, inner))

    out = fixpoint(step, dict(env), analysis.height, what)
    for broken in analysis.breaks:
        out = join(out, broken)
    analysis.breaks = outer
    return out
