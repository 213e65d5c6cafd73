"""Objects built inside the differentiated function from constants (`Net(2).run(W, xs)`, `net =
Net(2); net.run(...)`, `layer = Layer(0.5); h = layer(h)`): the object carries no gradient and
its methods are differentiated from their source with it as `self` (frontend/objects.py
constant_instance). Built from differentiated values, the call stays refused. Checked in
grad, value_and_grad, vjp, jvp and hvp against central finite differences in float64."""
import numpy as np
import pytest

import tangent_lite
from tangent_lite.errors import TangentLiteError

from helpers import check_every_mode

RNG = np.random.default_rng(77)


class Net:
    def __init__(self, steps, scale=1.0):
        self.steps = steps
        self.scale = scale

    def run(self, W, xs):
        h = xs[0]
        for i in range(self.steps):
            h = np.tanh(W @ h * self.scale + xs[i])
        return np.sum(h ** 2)

    def run_dot(self, W, xs):
        h = xs[0]
        for i in range(self.steps):
            h = np.tanh(np.dot(W, h) * self.scale + xs[i])
        return np.mean(h * h)


class Layer:
    def __init__(self, slope):
        self.slope = slope

    def __call__(self, h):
        return np.tanh(h * self.slope) + 0.1 * h


def inline(x):
    W = np.reshape(x[:4], (2, 2))
    xs = np.reshape(x[2:], (2, 2))
    return Net(2).run(W, xs)


def named(x):
    net = Net(2, scale=0.5)
    return net.run_dot(np.reshape(x[:4], (2, 2)), np.stack([x[4:], x[:2] * 0.5]))


def called(x):
    layer = Layer(0.7)
    h = x * 1.0
    for _ in range(2):
        h = layer(h)
    return np.sum(h ** 2)


ALL = [inline, named, called]


def point():
    return RNG.uniform(-0.8, 0.8, size=6)


@pytest.mark.parametrize("f", ALL)
def test_every_mode(f):
    check_every_mode(f, point(), RNG.normal(size=6), weight=0.5)


def built_from_differentiated(x):
    return Net(2, scale=x[0]).run(np.reshape(x[:4], (2, 2)), np.reshape(x[2:], (2, 2)))


def test_built_from_differentiated_values_is_refused():
    with pytest.raises(TangentLiteError) as info:
        tangent_lite.grad(built_from_differentiated)(point())
    assert "test_objects_built_inside.py:" in str(info.value)
