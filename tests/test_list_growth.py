"""Lists grown by concatenation, the way users write them: `out = out + [v]` (a new list),
`out += [a, b]` and `out.extend([a, b])` (in place). frontend/list_growth.py lowers them to
appends for names that are lists wherever they are bound; another name holding the list sees
the in-place forms (or the derivative is refused), not the `+` form. An array plus a list
stays refused. Every derivative is checked against central finite differences in float64.
"""
import numpy as np
import pytest

import tangent_lite as tl
from helpers import check_every_mode

RNG = np.random.default_rng(8)


def concat_in_a_loop(x):
    out = []
    for i in range(3):
        out = out + [x[i] * x[i + 3]]
    return sum(out)


def extend_once(x):
    out = []
    out.extend([x[0], x[1] ** 2])
    return np.sum(np.array(out)) * x[2]


def iadd_two_items(x):
    out = [x[0]]
    for i in range(1, 4):
        out += [np.sin(x[i]), x[i] * out[-1]]
    return np.sum(np.stack(out) * x[0])


def concat_rows_then_stack(x):
    rows = []
    for i in range(2):
        rows = rows + [x[3 * i:3 * i + 3] * (i + 1)]
    return np.sum(np.stack(rows) @ x[:3] ** 2)


def concat_keeps_the_old_list(x):
    out = [x[0]]
    prev = out
    out = out + [x[1] ** 2]
    return sum(out) * len(prev) + prev[0]


def iadd_seen_by_an_alias(x):
    out = [x[0]]
    prev = out
    out += [x[1] ** 2]
    return sum(prev) * x[2]


def comprehension_then_extend(x):
    feats = [np.tanh(x[i]) for i in range(3)]
    feats.extend([x[3] * x[4], np.mean(x)])
    total = 0.0
    for f in feats:
        total = total + f ** 2
    return total


@pytest.mark.parametrize("f", [concat_in_a_loop, extend_once, iadd_two_items,
                               concat_rows_then_stack, concat_keeps_the_old_list,
                               iadd_seen_by_an_alias, comprehension_then_extend])
def test_grown_lists(f):
    x, v = RNG.normal(size=6), RNG.normal(size=6)
    check_every_mode(f, x, v)


def test_the_growth_reads_as_appends():
    src = tl.source(concat_in_a_loop)
    assert "out = append(out, t_mul)" in src
    code = [line.split("#")[0] for line in src.splitlines()]
    assert not any("+ [" in line for line in code)


def extend_through_a_holder(x):
    out = [x[0]]
    holder = [out]
    out.extend([x[1] ** 2, x[2]])
    return sum(holder[0])


def array_plus_a_list(x):
    out = x[:2] * 1.0
    out = out + [x[2], x[3]]   # elementwise, not concatenation
    return np.sum(out ** 2)


@pytest.mark.parametrize("f", [extend_through_a_holder, array_plus_a_list])
def test_near_misses_are_refused(f):
    with pytest.raises(tl.TangentLiteError) as info:
        tl.grad(f)(RNG.normal(size=6))
    assert "test_list_growth.py:" in str(info.value)
