"""Starred forms written the way users write them: `a, *rest = v` (rest a list of the items
or of an array's rows, as Python makes it), `f(*parts)` and `np.sum(A, **opts)` with a list,
tuple or dict whose length and keys the function fixes, and nested functions and lambdas
with `*args` and `**kw` (a tuple and a dict, as Python binds them). Every derivative is checked against
central finite differences in float64 in grad, vjp, jvp and hvp; the forms whose length is
not known stay refused with the file and line.
"""
import numpy as np
import pytest

import tangent_lite as tl
from helpers import check_every_mode

RNG = np.random.default_rng(9)


def star_of_a_tuple(x):
    a, *rest = (x[0], x[1], x[2])
    return a * sum(rest)


def star_of_array_rows(x):
    first, *rest = x
    return first * np.sum(np.stack(rest) ** 2)


def star_in_the_middle(x):
    top, *mid, bottom = x.reshape(3, 2)
    return np.sum(top * bottom) + np.sum(mid[0] ** 3)


def star_first_of_a_list(x):
    parts = [x[:2], x[2:4], x[4:]]
    *init, last = parts
    return np.sum(last * (init[0] + init[1]))


def star_left_empty(x):
    a, b, *rest = (x[0], x[1])
    return a * b + len(rest)


def star_walked(x):
    head, *tail = (x[0] ** 2, np.sin(x[1]), x[2] * x[3])
    total = head
    for t in tail:
        total = total + t * head
    return total


def star_call_of_a_list(x):
    parts = [x[:3], x[3:]]
    return np.sum(np.add(*parts) ** 2)


def star_call_in_a_loop(x):
    total = 0.0
    for i in range(2):
        pair = (x[i], x[i + 2] * 2)
        total = total + np.hypot(*pair)
    return total


def kwargs_of_dict_call(x):
    opts = dict(axis=0)
    return np.sum(np.sum(x.reshape(2, 3), **opts) ** 2)


def kwargs_of_dict_literal(x):
    opts = {"axis": 1, "keepdims": True}
    A = x.reshape(2, 3)
    return np.sum(A / np.sum(A ** 2, **opts))


def _affine(a, b, scale=1.0):
    return np.sum(a * b) * scale


def star_and_kwargs_to_a_function(x):
    args = (x[:3], np.sin(x[3:]))
    kw = {"scale": x[0]}
    return _affine(*args, **kw) + len(args)


def nested_with_kwargs(x):
    def f(v, **kw):
        return np.sum(v * kw["s"]) + kw.get("t", 0.0)
    return f(x, s=x[::-1], t=x[0]) + f(x ** 2, s=x)


def nested_with_varargs(x):
    def total(scale, *parts):
        out = 0.0
        for p in parts:
            out = out + scale * np.sum(p ** 2)
        return out
    return total(x[0], x[1:3], np.sin(x[3:])) + total(2.0)


def nested_with_both(x):
    def f(a, *rest, **opts):
        return np.sum(a @ rest[0]) * opts.get("w", 1.0) + len(rest)
    return f(x[:3], x[3:], x[:3], w=x[1]) + f(x[3:], x[:3])


def lambda_with_varargs(x):
    g = lambda *vs: sum(vs) * vs[0]
    return np.sum(g(x[:3], x[3:]))


@pytest.mark.parametrize("f", [star_of_a_tuple, star_of_array_rows, star_in_the_middle,
                               star_first_of_a_list, star_left_empty, star_walked,
                               star_call_of_a_list, star_call_in_a_loop, kwargs_of_dict_call,
                               kwargs_of_dict_literal, star_and_kwargs_to_a_function,
                               nested_with_kwargs, nested_with_varargs, nested_with_both,
                               lambda_with_varargs])
def test_starred_forms(f):
    x, v = RNG.normal(size=6), RNG.normal(size=6)
    check_every_mode(f, x, v)


def test_the_expansions_read_as_written():
    code = [line.split("#")[0] for line in tl.source(star_call_of_a_list).splitlines()]
    assert any("= parts[1]" in line for line in code)
    assert not any("*parts" in line for line in code)
    assert "axis=0" in tl.source(kwargs_of_dict_call)
    src = tl.source(star_in_the_middle)
    assert "unpacks(" in src and "starred=True" in src and "mid = list(" in src


def too_few_around_the_star(x):
    a, b, *rest = (x[0],)
    return a


def test_too_few_values_raise_as_python_does():
    with pytest.raises(ValueError, match="expected at least 2, got 1"):
        tl.grad(too_few_around_the_star)(RNG.normal(size=6))


def star_call_of_a_grown_list(x):
    parts = [x[:3]]
    parts.append(x[3:])
    return np.sum(np.add(*parts))


def star_call_of_an_array(x):
    return np.sum(np.add(*x.reshape(2, 3)))


@pytest.mark.parametrize("f", [star_call_of_a_grown_list, star_call_of_an_array])
def test_unknown_lengths_are_refused(f):
    with pytest.raises(tl.TangentLiteError) as info:
        tl.grad(f)(RNG.normal(size=6))
    assert "test_star_forms.py:" in str(info.value)
