"""A second name for a list appended to in a loop (`acc = hist; for ...: acc.append(h)`): in
Python both names hold the one list, which grows in place. The core language writes an append
as `acc = append(acc, h)`, which looked like a new binding of the alias, so the program was
refused; transforms/list_aliases.py now spells the appends like the other uses of the alias.
And runtime.shares_memory sees a list held by another list. Checked in grad, value_and_grad,
vjp, jvp and hvp against central finite differences in float64."""
import numpy as np
import pytest

import tangent_lite
from tangent_lite.runtime import shares_memory

from helpers import check_every_mode

RNG = np.random.default_rng(8)


def states_through_alias(x):
    hist = []
    acc = hist
    h = x[:2]
    for i in range(3):
        h = np.tanh(h * x[2 + i] + 0.1)
        acc.append(h)
    return np.sum(hist[0] * hist[1]) + np.mean(hist[2])


def scalars_through_alias(x):
    lst = [x[0] * 1.0]
    acc = lst
    for i in range(3):
        acc.append(np.sin(x[i + 1]) * lst[-1])
    return sum(lst) * len(acc)


def both_names_append(x):
    out = [x[0] ** 2]
    more = out
    for v in x[1:4]:
        more.append(np.cos(v))
        out.append(v * more[-1])
    return sum(out) + np.dot(np.array(more), np.arange(len(more)) * 0.1)


def matmul_steps(x):
    W = np.reshape(x[:4], (2, 2))
    trace = []
    record = trace
    h = x[4:]
    for _ in range(2):
        h = np.tanh(W @ h)
        record.append(h)
    return np.sum(np.stack(trace) ** 2)


ALL = [states_through_alias, scalars_through_alias, both_names_append, matmul_steps]


def point():
    return RNG.uniform(-0.9, 0.9, size=6)


@pytest.mark.parametrize("f", ALL)
def test_every_mode(f):
    check_every_mode(f, point(), RNG.normal(size=6), weight=1.5)


def alias_rebound(x):
    lst = [x[0] * 1.0]
    acc = lst
    for i in range(2):
        acc.append(x[i + 1] * 2.0)
        acc = [x[3]]          # the alias names another list from here on
    return sum(lst) + sum(acc)


def test_an_alias_bound_again_is_not_respelled():
    # not one list from the alias on: left to the aliasing analysis, which refuses when it
    # runs (acc is lst in the first iteration, and lst is read afterwards)
    with pytest.raises(tangent_lite.TangentLiteError) as info:
        tangent_lite.grad(alias_rebound)(point())
    assert "test_list_alias_appends.py:" in str(info.value)


def test_shares_memory_of_a_list_held_by_another():
    a = np.zeros(3)
    inner = [a, 1.0]
    outer = [inner, 2.0]
    assert shares_memory(inner, outer)            # writing into inner changes outer
    assert shares_memory(a[:1], outer) and shares_memory(inner, inner)
    assert not shares_memory(outer, inner)        # inner holds no outer
    assert not shares_memory([a], outer)          # another list holding the same array
    assert not shares_memory([1.0], [[1.0]])
