"""Buffers that trade arrays in a loop (analysis/distinct.py, analysis/aliasing.py).

Stencils and time steppers write into one buffer from another and swap the names
(`new[1:-1] = ...; u, new = new, u`). The flow-insensitive alias analysis saw each name as
maybe either array and refused the write; the names only permute two arrays made apart, so
they never share memory, and a name bound again after the write (`u_old = u` of the swap) reads
the array as NumPy holds it. grad, value_and_grad, jvp and hvp differentiate these; a pullback
(vjp, has_aux) restores the buffers on one copy of each array per call, which every name
that trades it shares (runtime owned_in). Where the buffers do share memory (one is the
other, or a view of it, or a view is kept from before the loop) the write stays refused.
Every gradient is checked against central finite differences in float64."""
import numpy as np
import pytest

import tangent_lite
from tangent_lite.errors import TangentLiteError, UnsupportedSyntaxError

from helpers import check_grad, check_hvp, check_jvp, numeric_grad

RNG = np.random.default_rng(14)


def jacobi(x):
    u = x.copy()
    new = np.empty_like(u)
    for step in range(4):
        new[1:-1] = 0.5 * (u[:-2] + u[2:]) * np.cos(u[1:-1])
        new[0] = u[0]
        new[-1] = u[-1]
        u, new = new, u
    return np.sum(u ** 2)


def double_buffer(x):
    prev = np.zeros_like(x)
    cur = x * 1.0
    for i in range(3):
        cur[:] = prev + np.sin(cur)
        prev, cur = cur, prev
    return np.sum(cur * prev)


def through_a_temporary(x):
    u = np.tanh(x)
    new = np.zeros(x.shape[0])
    k = 0
    while k < 3:
        new[...] = np.cos(u) * x + 0.1 * u
        tmp = u
        u = new
        new = tmp
        k += 1
    return np.mean(u * u) + np.sum(new) / x.shape[0]


def rotated(x):
    a = x + 0.0
    b = np.ones_like(x) * 0.5
    c = np.zeros_like(x)
    for i in range(4):
        c[:] = a * b * 0.7 + np.sin(x)
        a, b, c = b, c, a
    return np.sum(a * b * c) + np.sum(b)


def swapped_when(x):
    u = np.copy(x)
    new = np.zeros_like(x)
    for i in range(4):
        new[:] = np.tanh(u) + 0.3 * x
        if np.sum(new) > np.sum(u):
            u, new = new, u
    return np.sum(u ** 3)


def heat_dot(x, A):
    # a time stepper written with np.dot, and one with @
    u = x.copy()
    new = np.zeros_like(u)
    for step in range(3):
        new[:] = u + 0.1 * np.tanh(np.dot(A, u))
        u, new = new, u
    return np.sum(u * u)


def heat_matmul(x, A):
    u = x.copy()
    new = np.zeros_like(u)
    for step in range(3):
        new[:] = u + 0.1 * np.tanh(A @ u)
        u, new = new, u
    return np.sum(u * u)


class Stencil:
    """The same stencil as a method of a model class."""

    def __init__(self, steps):
        self.steps = steps

    def loss(self, x):
        u = x.copy()
        new = np.empty_like(u)
        for step in range(self.steps):
            new[1:-1] = (u[:-2] + u[1:-1] + u[2:]) / 3.0 * np.sin(u[1:-1] + 1.0)
            new[0], new[-1] = u[0], u[-1]
            u, new = new, u
        return np.sum(u ** 2)


ONE_ARG = [jacobi, double_buffer, through_a_temporary, rotated, swapped_when]


def point():
    return RNG.uniform(0.2, 0.9, size=6)


@pytest.mark.parametrize("f", ONE_ARG, ids=[f.__name__ for f in ONE_ARG])
def test_grad(f):
    check_grad(f, point())


@pytest.mark.parametrize("f", [heat_dot, heat_matmul], ids=["np.dot", "matmul"])
def test_grad_in_both_arguments(f):
    check_grad(f, point(), RNG.normal(size=(6, 6)) * 0.4, wrt=(0, 1))


def test_method():
    check_grad(Stencil(3).loss, point())


@pytest.mark.parametrize("f", ONE_ARG, ids=[f.__name__ for f in ONE_ARG])
def test_value_and_grad(f):
    x = point()
    value, g = tangent_lite.value_and_grad(f)(x)
    assert value == f(x.copy())
    np.testing.assert_allclose(g, numeric_grad(f, (x,), 0), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("f", ONE_ARG, ids=[f.__name__ for f in ONE_ARG])
def test_jvp(f):
    check_jvp(f, point(), RNG.normal(size=6))


@pytest.mark.parametrize("f", ONE_ARG, ids=[f.__name__ for f in ONE_ARG])
def test_hvp(f):
    check_hvp(f, point(), RNG.normal(size=6))


def test_checkpointed_loop_refuses_with_its_own_message():
    # its snapshots hold the buffers, which the swaps then write into
    with pytest.raises(UnsupportedSyntaxError) as info:
        tangent_lite.grad(jacobi, checkpoint=2)(point())
    assert "checkpointed loop" in str(info.value) and "without checkpointing" in str(info.value)


def swap_beside_a_checkpointed_loop(x):
    h = x * 1.0
    for t in tangent_lite.checkpointed(range(4), snapshots=2):
        h = np.tanh(h * 0.9 + x)
    u = h.copy()
    new = np.zeros_like(u)
    for step in range(3):
        new[1:-1] = (u[:-2] + u[2:]) * np.cos(u[1:-1])
        new[0], new[-1] = u[0], u[-1]
        u, new = new, u
    return np.sum(u * h)


def test_checkpointed_loop_elsewhere_does_not_refuse():
    # only writes inside a checkpointed loop are replayed from its snapshots
    check_grad(swap_beside_a_checkpointed_loop, point())


def test_arguments_unchanged():
    x = point()
    kept = x.copy()
    tangent_lite.grad(jacobi)(x)
    tangent_lite.jvp(jacobi, (x,), (np.ones(6),))
    np.testing.assert_array_equal(x, kept)


def check_pullback(f, *args, wrt=0, weight=0.7):
    """vjp of f: its value exactly, the pullback against central finite differences, and
    the same answer from a second call (each call restores its own copies of the buffers)."""
    value, pullback = tangent_lite.vjp(f, *[a.copy() for a in args], wrt=wrt)
    assert value == f(*[a.copy() for a in args])
    first, second = pullback(weight), pullback(weight)
    many = isinstance(wrt, tuple)
    for k, i in enumerate(wrt if many else (wrt,)):
        g, h = (first[k], second[k]) if many else (first, second)
        np.testing.assert_array_equal(g, h)
        np.testing.assert_allclose(g, weight * numeric_grad(f, args, i), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("f", ONE_ARG, ids=[f.__name__ for f in ONE_ARG])
def test_pullback(f):
    # measured before each call kept one copy per array: jacobi off by 0.04, rotated by 23
    check_pullback(f, point())


@pytest.mark.parametrize("f", [heat_dot, heat_matmul], ids=["np.dot", "matmul"])
def test_pullback_in_both_arguments(f):
    check_pullback(f, point(), RNG.normal(size=(6, 6)) * 0.4, wrt=(0, 1))


def test_pullback_of_a_method():
    check_pullback(Stencil(3).loss, point())


def jacobi_with_aux(x):
    u = x.copy()
    new = np.empty_like(u)
    for step in range(3):
        new[1:-1] = 0.5 * (u[:-2] + u[2:]) * np.cos(u[1:-1])
        new[0], new[-1] = u[0], u[-1]
        u, new = new, u
    return np.mean(u ** 2), {"last": u.copy(), "before": new.copy()}


def test_has_aux():
    x = point()
    g, aux = tangent_lite.grad(jacobi_with_aux, has_aux=True)(x)
    (loss, aux2), g2 = tangent_lite.value_and_grad(jacobi_with_aux, has_aux=True)(x)
    want_loss, want_aux = jacobi_with_aux(x.copy())
    assert loss == want_loss
    for got in (aux, aux2):
        np.testing.assert_array_equal(got["last"], want_aux["last"])
        np.testing.assert_array_equal(got["before"], want_aux["before"])
    want = numeric_grad(lambda v: jacobi_with_aux(v)[0], (x,), 0)
    np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(g2, want, rtol=1e-5, atol=1e-7)


def test_pullback_with_array_weights():
    def steps(x):
        u = x.copy()
        new = np.zeros_like(u)
        for step in range(3):
            new[:] = np.sin(u) * x + 0.2 * u
            u, new = new, u
        return u * 1.0

    x, w = point(), RNG.normal(size=6)
    value, pullback = tangent_lite.vjp(steps, x.copy())
    np.testing.assert_array_equal(value, steps(x.copy()))
    want = numeric_grad(lambda v: np.sum(w * steps(v)), (x,), 0)
    np.testing.assert_allclose(pullback(w), want, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(pullback(w), want, rtol=1e-5, atol=1e-7)


# -- buffers that do share memory: NumPy changes both, so the writes stay refused ---------------

def same_array(x):
    u = x.copy()
    new = u
    for step in range(3):
        new[1:-1] = 0.5 * (u[:-2] + u[2:])
        u, new = new, u
    return np.sum(u ** 2)


def view_of_the_other(x):
    u = x.copy()
    new = u[::-1]
    for step in range(3):
        new[:] = np.sin(u) + x
        u, new = new, u
    return np.sum(u ** 2)


def view_kept_from_before(x):
    u = x.copy()
    new = np.zeros_like(u)
    first = u[:2]
    for step in range(3):
        new[:] = np.sin(u) + x
        u, new = new, u
    return np.sum(u ** 2) + np.sum(first)


def from_a_callee(x):
    u = x.copy()
    new = _same(u)
    for step in range(3):
        new[:] = np.sin(u) + x
        u, new = new, u
    return np.sum(u ** 2)


def _same(a):
    return a


def view_made_inside(x):
    u = x.copy()
    new = np.zeros_like(x)
    for i in range(3):
        new[:] = np.sin(u) + x
        u, new = new, u
        if i == 1:
            new = u[::-1]
    return np.sum(u ** 2)


def aliased_before_break(x):
    u = x.copy()
    new = np.zeros_like(x)
    for i in range(4):
        new[:] = np.sin(u) * x
        if i == 2:
            new = u
            break
        u, new = new, u
    return np.sum(u * new)


def kept_in_a_list(x):
    u = x.copy()
    new = np.zeros_like(x)
    keep = [u]
    for i in range(3):
        new[:] = np.sin(u) + x
        u, new = new, u
    return np.sum(u ** 2) + np.sum(keep[0])


def old_name_read(x):
    u = x.copy()
    new = np.zeros_like(x)
    old = u
    for i in range(3):
        new[:] = np.sin(u) + x
        u, new = new, u
    return np.sum(u ** 2) + np.sum(old)


SHARED = [same_array, view_of_the_other, view_kept_from_before, from_a_callee,
          view_made_inside, aliased_before_break, kept_in_a_list, old_name_read]


def swapped_in_an_inner_loop(x):
    u = x.copy()
    new = np.zeros_like(x)
    for i in range(2):
        for j in range(2):
            new[1:] = u[:-1] * np.cos(u[1:])
            new[0] = u[0]
            u, new = new, u
        u = u * 1.0
    return np.sum(u ** 2)


def test_swapped_in_an_inner_loop():
    check_grad(swapped_in_an_inner_loop, point())


@pytest.mark.parametrize("f", SHARED, ids=[f.__name__ for f in SHARED])
def test_shared_buffers_refused(f):
    x = point()
    with pytest.raises(TangentLiteError) as info:
        tangent_lite.grad(f)(x)
    assert "test_swapped_buffers.py:" in str(info.value)
    with pytest.raises(TangentLiteError):
        tangent_lite.jvp(f, (x,), (np.ones(6),))
    with pytest.raises(TangentLiteError):
        tangent_lite.vjp(f, x)
