"""What differentiated functions can say about their own gradients: stop_gradient, grad_of.

Both are ordinary Python when the function itself runs: stop_gradient is the identity, and a
`with grad_of(h) as dh:` block is skipped. The compiler gives them their meaning in the
generated derivative code.
"""
import sys
from typing import TypeVar

from .rules.registry import nondifferentiable

T = TypeVar("T")


def stop_gradient(x: T) -> T:
    """The identity when run; a constant when differentiated (no gradient flows through)."""
    return x


nondifferentiable(stop_gradient)


class _SkipBlock(Exception):
    pass


class grad_of:
    """`with tangent_lite.grad_of(h) as dh: ...` inside a differentiated function.

    In the gradient code the block runs in the backward sweep once the gradient of `h` at that
    point is complete, with `dh` bound to it; assigning to `dh` replaces it (clipping,
    printing, a breakpoint). When the function itself runs, the block is skipped.
    """

    def __init__(self, value):
        self.value = value

    def __enter__(self):
        # Skip the body: trace this frame and stop at its first line.
        frame = sys._getframe(1)
        self._frame, self._local, self._global = frame, frame.f_trace, sys.gettrace()
        sys.settrace(lambda *args: None)
        frame.f_trace = self._skip
        return None

    def _skip(self, frame, event, arg):
        raise _SkipBlock

    def __exit__(self, exc_type, exc, tb):
        sys.settrace(self._global)
        self._frame.f_trace = self._local
        self._frame = None
        return exc_type is _SkipBlock


def checkpointed(loop: T, snapshots: int = 20) -> T:
    """Mark a loop for binomial checkpointing (revolve) in its gradient:

        for t in tangent_lite.checkpointed(range(T), snapshots=20): ...
        while tangent_lite.checkpointed(np.linalg.norm(x) > tol, snapshots=20): ...

    When the function itself runs, this returns `loop` (the iterable, or the while loop's
    condition) unchanged. In reverse-mode gradient code the backward sweep then keeps at most
    `snapshots` copies of the loop's state instead of the values of every step, and
    recomputes steps from them (transforms/checkpoint.py; runtime/revolve.py)."""
    return loop
