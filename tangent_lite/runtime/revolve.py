"""Binomial checkpointing (revolve) of a loop: where to keep snapshots of its state, and the
order in which the backward sweep restores, advances and reverses its steps.

A checkpointed loop's forward sweep runs the loop without recording anything, asking
`due(step)` at the start of each step whether to keep a snapshot of the loop-carried state
there (`take(step, state)`). The backward sweep then follows `actions()`:

    ("restore", k)   rebind the loop's state to the snapshot of step k
    ("advance", j)   run step j without recording (recomputation)
    ("snapshot", j)  keep a snapshot of the state at the start of step j
    ("reverse", i)   run step i recording its tape, then its backward sweep (last step first)

Schedule (Griewank and Walther, "revolve"). With c snapshots (the one holding the state at
the segment's start included) and at most r recomputations of each step, C(c + r, c) steps
can be reversed, and no schedule reverses more. To reverse the m steps [a, a + m) with c
snapshots: advance q steps, keep a snapshot there, reverse the last m - q steps with c - 1
snapshots, drop it, and reverse the first q with c. With r the least number such that
C(c + r, c) >= m, q = max(C(c + r - 2, c), m - C(c + r - 1, c - 1)) attains the least total
number of recomputed steps, r * m - C(c + r, c + 1) (checked against dynamic programming in
tests/checkpoint/test_schedule.py). With one snapshot left every step is recomputed from it.

A loop of known length (a `for`) takes its forward sweep's snapshots where this recursion
would, on its first descent, so the backward sweep continues the recursion exactly. A
`while` loop's length is unknown until it ends: its forward sweep keeps snapshots on a grid
of stride d, at most half the snapshots, doubling d (and dropping every other grid point)
when the grid is full (repeated doubling); the backward sweep then reverses each gap between
grid points with the binomial schedule and the snapshots the gaps after it left free. A `for`
loop that breaks early ends before some of its planned snapshots: the same reversal of gaps
applies. At most `snapshots` snapshots are alive at any time (`peak` counts them).

Only plain Python here, not even `import math`: an ahead-of-time module copies this text
verbatim, and every such module would import what a runtime module imports.
"""


class Checkpoints:
    """The snapshots of one run of a checkpointed loop, and its reversal schedule.

    steps: the planned number of steps (None for a while loop: the online schedule);
    snapshots: how many loop states may be kept at once (at least 1)."""

    def __init__(self, steps, snapshots):
        if snapshots < 1:
            raise ValueError(f"checkpointing needs at least one snapshot, not {snapshots}")
        self.snapshots = snapshots
        self.stored = {}          # step -> the loop's state at the start of that step
        self.length = 0           # steps the forward sweep ran
        self.peak = 0             # the most snapshots alive at once
        self.recomputed = 0       # steps the backward sweep advanced again
        self.online = steps is None
        self.stride = 1
        self.planned = set() if self.online else set(first_descent(steps, snapshots))

    def due(self, step):
        """Whether the forward sweep keeps a snapshot at the start of `step` (counted as run)."""
        self.length = step + 1
        if not self.online:
            return step in self.planned
        if step % self.stride:
            return False
        if len(self.stored) >= max(1, self.snapshots // 2):
            # The grid is full: double its stride and keep every other point.
            self.stride *= 2
            for kept in [k for k in self.stored if k % self.stride]:
                del self.stored[kept]
            return step % self.stride == 0
        return True

    def take(self, step, state):
        self.stored[step] = state
        self.peak = max(self.peak, len(self.stored))

    def restore(self, step):
        return self.stored[step]

    def replay(self):
        """A copy that a second backward sweep (a pullback called again) can consume: its own
        dict of the same snapshots."""
        other = Checkpoints.__new__(Checkpoints)
        other.__dict__.update(self.__dict__)
        other.stored = dict(self.stored)
        return other

    def actions(self):
        """The backward sweep's schedule, last step first (see the module docstring)."""
        n = self.length
        for late in [k for k in self.stored if k >= n]:
            del self.stored[late]
        starts = sorted(self.stored)
        self.at = n
        end = n
        for index in reversed(range(len(starts))):
            start = starts[index]
            yield from self._reverse(start, end, self.snapshots - index)
            del self.stored[start]
            end = start

    def _reverse(self, a, b, c):
        """Reverse steps [a, b), the state at a being kept, with c snapshots (a's included)."""
        while b > a:
            if self.at != a:
                yield "restore", a
                self.at = a
            if b - a > 1 and c > 1:
                q = split(b - a, c)
                yield from self._advance(a, a + q)
                yield "snapshot", a + q
                yield from self._reverse(a + q, b, c - 1)
                del self.stored[a + q]
                b = a + q
                continue
            yield from self._advance(a, b - 1)
            yield "reverse", b - 1
            self.at = None
            b -= 1

    def _advance(self, start, stop):
        for step in range(start, stop):
            yield "advance", step
        self.recomputed += stop - start
        self.at = stop


def binomial(n, k):
    """C(n, k), the number of ways to choose k of n (0 when k < 0 or k > n)."""
    if k < 0 or k > n:
        return 0
    out = 1
    for i in range(min(k, n - k)):
        out = out * (n - i) // (i + 1)
    return out


def repetitions(steps, snapshots):
    """r: the least number of recomputations of each step with which `snapshots` snapshots
    reverse `steps` steps, C(snapshots + r, snapshots) >= steps."""
    r = 0
    while binomial(snapshots + r, snapshots) < steps:
        r += 1
    return r


def split(m, c):
    """Where the optimal schedule keeps its next snapshot in m steps with c snapshots."""
    r = repetitions(m, c)
    low = binomial(c + r - 2, c) if r >= 2 else 0
    return max(1, low, m - binomial(c - 1 + r, c - 1))


def first_descent(steps, snapshots):
    """The steps at whose start the forward sweep keeps snapshots: step 0, then the splits
    of the last segment while snapshots are left."""
    if steps <= 0:
        return []
    out, a, c = [0], 0, snapshots
    while steps - a > 1 and c > 1:
        a += split(steps - a, c)
        out.append(a)
        c -= 1
    return out


def copy_into(target, kept):
    """Write a snapshot of an array the loop writes in place back into that array, so every
    name for its memory sees the restored values; returns it."""
    if type(target) is list:
        target[:] = kept
    else:
        target[...] = kept
    return target
