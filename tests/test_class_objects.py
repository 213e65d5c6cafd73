"""Model classes built inside f, written the way users write them: a dataclass built and
called in one expression (`Model(w)(v)`, `Child(w).f(v)`), a `@property` read in a method, a
`super().f(v)` override, a `@staticmethod` called on self. Every derivative is checked against
central finite differences in float64 in grad, vjp, jvp and hvp. A plain class whose objects
carry differentiated values, and a classmethod constructor, are refused saying what to write.
"""
import dataclasses

import numpy as np
import pytest

import tangent_lite as tl
from helpers import check_every_mode

RNG = np.random.default_rng(10)


@dataclasses.dataclass
class Scaled:
    w: np.ndarray

    @property
    def scale(self):
        return np.sum(self.w ** 2)

    def __call__(self, v):
        return self.scale * v


@dataclasses.dataclass
class Base:
    w: np.ndarray

    def f(self, v):
        return self.w * v


class Child(Base):
    def f(self, v):
        return super().f(v) + v ** 2


@dataclasses.dataclass
class Layer:
    w: np.ndarray
    b: float = 0.1

    @staticmethod
    def act(v):
        return np.tanh(v)

    @classmethod
    def make(cls, w):
        return cls(w)

    def forward(self, v):
        return self.act(self.w @ v + self.b)


def property_called_inline(x):
    return np.sum(Scaled(x[:3])(x[3:]))


def property_on_a_name(x):
    m = Scaled(x[:3] * 2)
    return np.mean(m(x[3:]) ** 2) + m.scale


def super_called_inline(x):
    return np.sum(Child(x[:3]).f(x[3:]))


def staticmethod_on_self(x):
    layer = Layer(np.outer(x[:3], x[3:]), b=x[0])
    h = layer.forward(x[3:])
    return np.dot(h, h)


def staticmethod_inline_in_a_loop(x):
    h = x[3:]
    for i in range(2):
        h = Layer(np.outer(x[:3], x[3:]) * (i + 1)).forward(h)
    return np.sum(h)


@pytest.mark.parametrize("f", [property_called_inline, property_on_a_name, super_called_inline,
                               staticmethod_on_self, staticmethod_inline_in_a_loop])
def test_dataclass_models_built_inside(f):
    x, v = RNG.normal(size=6) * 0.5, RNG.normal(size=6)
    check_every_mode(f, x, v)


class Plain:
    def __init__(self, w):
        self.w = w

    def __call__(self, v):
        return self.w * v


def plain_class(x):
    return np.sum(Plain(x[:3])(x[3:]))


def plain_class_on_a_name(x):
    p = Plain(x[:3])
    return np.sum(p(x[3:]))


def classmethod_constructor(x):
    return np.sum(Layer.make(np.outer(x[:3], x[3:])).forward(x[3:]))


@pytest.mark.parametrize("f, says", [(plain_class, "make Plain a dataclass"),
                                     (plain_class_on_a_name, "make Plain a dataclass"),
                                     (classmethod_constructor, "calling `Layer(...)` itself")])
def test_other_classes_are_refused_saying_what_to_write(f, says):
    with pytest.raises(tl.UnsupportedSyntaxError) as info:
        tl.grad(f)(RNG.normal(size=6))
    text = str(info.value)
    assert "test_class_objects.py:" in text and says in text, text
