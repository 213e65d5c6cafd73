"""Loops marked for checkpointing: `for t in checkpointed(range(T), snapshots=20)` and
`while checkpointed(cond, snapshots=20)`.

At run time `tangent_lite.checkpointed` (hooks.py) returns its argument unchanged; only the
compiler gives it a meaning. This module is where the marker is read: it takes the marker off
the loop's iterable or condition, checks that the snapshot count is a positive whole number
written in the source (the schedule of transforms/checkpoint.py and runtime/revolve.py is
fixed when df is compiled), and hands the number to the ir.For / ir.While the normalizer
builds. Kept apart from normalize.py, which desugars control flow, so that the marker's whole
contract - what a user may write, what it becomes - reads in one place.
"""
import gast

from ..hooks import checkpointed

# `checkpointed(loop)` without snapshots=: the default of the run-time marker itself.
DEFAULT_SNAPSHOTS = checkpointed.__defaults__[0]


class CheckpointMarkers:
    """Mixin of the Normalizer: `checkpoint_marker(node)` reads the marker."""

    def checkpoint_marker(self, node):
        """`checkpointed(loop, snapshots=s)` around a for loop's iterable or a while loop's
        condition: (the iterable or condition, s); (node, 0) without the marker."""
        if not (isinstance(node, gast.Call)
                and self.parsed.resolve(node.func) is checkpointed):
            return node, 0
        args = list(node.args) + [k.value for k in node.keywords if k.arg == "snapshots"]
        if len(node.args) not in (1, 2) or len(args) > 2 or any(
                k.arg != "snapshots" for k in node.keywords):
            raise self.unsupported(node, "this checkpointed(...) call: write "
                                         "`checkpointed(range(T), snapshots=20)`")
        if len(args) == 1:
            return args[0], DEFAULT_SNAPSHOTS
        s = args[1]
        if not (isinstance(s, gast.Constant) and type(s.value) is int and s.value >= 1):
            raise self.unsupported(node, "checkpointed(...) with snapshots that are not a "
                                         "positive whole number written in the source: write "
                                         "it as a literal, as in `snapshots=20`")
        return args[0], s.value
