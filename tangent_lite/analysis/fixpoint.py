"""The one way every analysis iterates to a fixpoint.

Loop analyses (which adjoints are live at a loop's head, which tangents exist there, which names
are varied, which values the backward sweep reads) all grow or shrink a set over a finite
universe until it stops changing. A monotone step on a lattice of height h stabilises within
h + 1 applications, so `fixpoint` takes that height as a *proof obligation*, not as a cap: were
the state still changing after it, the step is not monotone (a bug in tangent_lite), and we raise
InternalError instead of stopping early. Stopping early is how a loop carrying a chain of ten
variables once got a gradient of half its true value.
"""
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
