"""The revolve schedule (tangent_lite/runtime/revolve.py) on its own: its splits are optimal
(checked against dynamic programming), every step is reversed once, last first, from the
state the schedule says, at most s snapshots are alive, and no step is recomputed more than
r times, C(s + r, s) >= T."""
import functools
import math

import pytest
from hypothesis import given, settings, strategies as st

from tangent_lite.runtime.revolve import Checkpoints, first_descent, repetitions, split


@functools.lru_cache(maxsize=None)
def least_advances(m, c):
    """The fewest steps advanced to reverse m steps with c snapshots (the start's included),
    by dynamic programming over every first split."""
    if m == 1:
        return 0
    if c == 1:
        return m * (m - 1) // 2
    return min(q + least_advances(m - q, c - 1) + least_advances(q, c) for q in range(1, m))


def advances(m, c):
    if m == 1:
        return 0
    if c == 1:
        return m * (m - 1) // 2
    q = split(m, c)
    return q + advances(m - q, c - 1) + advances(q, c)


@pytest.mark.parametrize("c", range(2, 7))
def test_split_is_optimal(c):
    for m in range(1, 90):
        assert advances(m, c) == least_advances(m, c), (m, c)
        r = repetitions(m, c)
        if m > 1:   # Griewank and Walther's closed form
            assert least_advances(m, c) == r * m - math.comb(c + r, c + 1)


def simulate(steps, snapshots, online=False, stop=None):
    """Run the protocol the generated code runs; returns (peak, most advances of one step,
    the order steps were reversed in)."""
    n = steps if stop is None else stop
    c = Checkpoints(None if online else steps, snapshots)
    for i in range(n):
        if c.due(i):
            c.take(i, ("state", i))
    at, counts, order = n, [0] * n, []
    for action, i in c.actions():
        if action == "restore":
            assert c.restore(i) == ("state", i)
            at = i
        elif action == "advance":
            assert at == i
            counts[i] += 1
            at = i + 1
        elif action == "snapshot":
            assert at == i
            c.take(i, ("state", i))
        else:
            assert action == "reverse" and at == i
            order.append(i)
            at = None
        assert len(c.stored) <= snapshots
    assert not c.stored
    return c.peak, max(counts, default=0), order


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 400), st.integers(1, 12), st.booleans(), st.data())
def test_every_step_reversed_once_within_the_bounds(steps, snapshots, online, data):
    stop = data.draw(st.integers(0, steps)) if not online else None
    peak, most, order = simulate(steps, snapshots, online, stop)
    n = steps if stop is None else stop
    assert order == list(reversed(range(n)))
    assert peak <= snapshots
    if not online and stop is None and n:
        assert most <= repetitions(n, snapshots)


@pytest.mark.parametrize("steps,snapshots,r", [(10_000, 20, 4), (10_000, 100, 3),
                                               (100_000, 20, 6), (10_000, 10, 7)])
def test_large_loops_keep_the_binomial_bound(steps, snapshots, r):
    assert repetitions(steps, snapshots) == r
    peak, most, _ = simulate(steps, snapshots)
    assert peak == snapshots and most <= r


def test_online_schedule_for_a_long_while_loop():
    peak, most, order = simulate(5_000, 20, online=True)
    assert peak <= 20 and len(order) == 5_000
    assert most <= repetitions(5_000, 10) + 1   # half the snapshots on the grid


def test_the_forward_sweep_snapshots_are_the_first_descent():
    assert first_descent(0, 5) == []
    assert first_descent(1, 5) == [0]
    spine = first_descent(100, 4)
    assert spine[0] == 0 and len(spine) <= 4 and spine == sorted(set(spine))


def test_one_snapshot_at_least():
    with pytest.raises(ValueError):
        Checkpoints(5, 0)
