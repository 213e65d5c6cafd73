"""Namedtuples and dataclasses built inside the differentiated function (frontend/unpack.py
`record_call`, rules/pytrees.py `record`): `Params(W=..., b=...)`, `State(h, c)` returned by a
step function in a loop, a dataclass layer built and then called. Their fields carry gradients
as those of records passed in do. Every gradient is checked against central finite differences
in float64, through grad, vjp (its pullback called twice), jvp and hvp."""
import collections
import dataclasses
import typing

import numpy as np
import pytest

import tangent_lite
from tangent_lite.errors import TangentLiteError

from helpers import check_grad, check_hvp, check_jvp, numeric_grad

RNG = np.random.default_rng(21)

Params = collections.namedtuple("Params", ["W", "b"])


class State(typing.NamedTuple):
    h: np.ndarray
    c: np.ndarray
    scale: float = 0.5


@dataclasses.dataclass
class Layer:
    W: np.ndarray
    b: np.ndarray

    def __call__(self, x):
        return np.tanh(self.W @ x + self.b)

    def forward(self, x):
        return np.tanh(np.dot(self.W, x) + self.b)


@dataclasses.dataclass(frozen=True)
class Frozen:
    a: np.ndarray
    k: float = 2.0


def namedtuple_fields(x):
    p = Params(W=np.outer(x[:3], x[3:]), b=x[:3] * 0.5)
    return np.sum(np.tanh(p.W @ x[3:] + p.b) ** 2)


def namedtuple_unpacked(x):
    p = Params(np.outer(x[:3], x[3:]), np.sin(x[:3]))
    W, b = p
    return np.sum(np.tanh(np.dot(W, x[3:]) + p[1]) ** 2)


def step(state, x_t, U):
    h = np.tanh(U @ state.h + x_t)
    c = state.c * state.scale + h
    return State(h=h, c=c)


def state_through_a_loop(x):
    U = np.outer(x[:3], x[3:]) * 0.4
    state = State(np.zeros(3), np.zeros(3))
    for t in range(4):
        state = step(state, x[:3] * (t + 1) * 0.3, U)
    return np.sum(state.h * state.c) + np.mean(state.c)


def dataclass_called(x):
    layer = Layer(np.outer(x[:3], x[3:]), x[:3] * 0.5)
    return np.sum(layer(x[3:]) ** 2)


def dataclass_method(x):
    layer = Layer(W=np.outer(x[:3], x[3:]) * 0.7, b=np.cos(x[:3]))
    return np.sum(layer.forward(x[3:]) * x[:3])


def frozen_default(x):
    f = Frozen(np.sin(x))
    g = Frozen(np.cos(x), k=3.0)
    return np.sum(f.a ** f.k) + np.sum(g.a * g.k) / x.shape[0]


def passed_to_a_helper(x):
    return _loss(Params(np.outer(x[:2], x[2:4]), x[4:6]), x[2:4])


def _loss(p, v):
    return np.sum((p.W @ v + p.b) ** 2)


PROGRAMS = [namedtuple_fields, namedtuple_unpacked, state_through_a_loop, dataclass_called,
            dataclass_method, frozen_default, passed_to_a_helper]


def point():
    return RNG.uniform(0.2, 0.9, size=6)


@pytest.mark.parametrize("f", PROGRAMS, ids=[f.__name__ for f in PROGRAMS])
def test_grad(f):
    check_grad(f, point())


@pytest.mark.parametrize("f", PROGRAMS, ids=[f.__name__ for f in PROGRAMS])
def test_vjp(f):
    x = point()
    value, pullback = tangent_lite.vjp(f, x)
    assert value == f(x)
    expected = numeric_grad(f, (x,), 0)
    np.testing.assert_allclose(pullback(1.0), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(pullback(1.0), expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("f", PROGRAMS, ids=[f.__name__ for f in PROGRAMS])
def test_jvp(f):
    check_jvp(f, point(), RNG.normal(size=6))


@pytest.mark.parametrize("f", PROGRAMS, ids=[f.__name__ for f in PROGRAMS])
def test_hvp(f):
    check_hvp(f, point(), RNG.normal(size=6))


def built_and_returned(x):
    return Params(W=np.outer(x[:2], x[2:4]), b=np.sin(x[4:]))


def test_vjp_of_a_record_valued_function():
    x = point()
    value, pullback = tangent_lite.vjp(built_and_returned, x)
    assert isinstance(value, Params)
    weights = Params(W=RNG.normal(size=(2, 2)), b=RNG.normal(size=2))

    def weighted(x):
        out = built_and_returned(x)
        return np.sum(out.W * weights.W) + np.sum(out.b * weights.b)
    np.testing.assert_allclose(pullback(weights), numeric_grad(weighted, (x,), 0),
                               rtol=1e-5, atol=1e-7)


@dataclasses.dataclass
class Normalised:
    a: np.ndarray

    def __post_init__(self):
        self.a = self.a / np.sum(self.a)


@dataclasses.dataclass
class WithFactory:
    a: np.ndarray
    extra: list = dataclasses.field(default_factory=list)


def post_init(x):
    return np.sum(Normalised(x * 2.0).a ** 2)


def factory_default(x):
    return np.sum(WithFactory(x * 2.0).a ** 2)


def too_many(x):
    return np.sum(Params(x, x, x).W)


@pytest.mark.parametrize("f, words", [(post_init, "__post_init__"),
                                      (factory_default, "left to its default"),
                                      (too_many, "too many arguments")])
def test_refused_with_the_line_and_what_to_write(f, words):
    with pytest.raises(TangentLiteError) as info:
        tangent_lite.grad(f)(point())
    assert "test_records.py:" in str(info.value) and words in str(info.value)
