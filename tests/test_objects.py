"""Objects and methods: bound methods, callable objects and functools.partial as entry points of
every API and as calls inside a differentiated function; attribute reads of objects; inherited
methods and super(); *args and **kwargs; method calls of non-differentiated objects (an RNG);
input checks with raise. Each against float64 central finite differences."""
import dataclasses
import functools
import pathlib
import re

import numpy as np
import pytest
from helpers import check_grad, load_module, load_program, numeric_grad

import tangent_lite as tl
from tangent_lite import MissingRuleError, TangentLiteError, UnsupportedSyntaxError

RNG = np.random.default_rng(7)
X = RNG.normal(size=(6, 3))
Y = RNG.normal(size=6)
W0 = RNG.normal(size=3)


def close(got, want, rtol=1e-5, atol=1e-7):
    np.testing.assert_allclose(np.asarray(got, float), np.asarray(want, float), rtol=rtol,
                               atol=atol)


# -- a model class with a loss method --------------------------------------------------------

class LinearRegression:
    """Data and settings on the instance; the loss reads them as constants."""

    def __init__(self, X, y, l2=0.1):
        self.X, self.y, self.l2 = X, y, l2

    def loss(self, w, b=0.0):
        r = self.X @ w + b - self.y
        return np.mean(r * r) + self.l2 * np.sum(w * w)


class TanhModel:
    """A loss that calls another method of the same object."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def forward(self, w):
        return np.tanh(self.X @ w)

    def loss(self, w):
        err = self.forward(w) - self.y
        return 0.5 * np.sum(err * err)


class RidgeTanh(TanhModel):
    """An inherited forward, and the parent's loss through super()."""

    def __init__(self, X, y, alpha):
        super().__init__(X, y)
        self.alpha = alpha

    def loss(self, w):
        return super().loss(w) + self.alpha * np.sum(w ** 2)


class DoubleRidge(RidgeTanh):
    """Two levels of super(): each resolves in its own class."""

    def loss(self, w):
        return 2.0 * super().loss(w)


@pytest.mark.parametrize("model", [LinearRegression(X, Y), TanhModel(X, Y),
                                   RidgeTanh(X, Y, 0.3), DoubleRidge(X, Y, 0.2)],
                         ids=lambda m: type(m).__name__)
def test_grad_of_a_bound_method(model):
    check_grad(model.loss, W0)
    value, g = tl.value_and_grad(model.loss)(W0)
    close(value, model.loss(W0))
    close(g, numeric_grad(model.loss, [W0], 0))


def test_wrt_counts_the_methods_own_parameters():
    model = LinearRegression(X, Y)
    b = 0.4
    gw, gb = tl.grad(model.loss, wrt=(0, 1))(W0, b)
    close(gw, numeric_grad(model.loss, [W0, b], 0))
    close(gb, numeric_grad(model.loss, [W0, b], 1))
    assert isinstance(gb, float)
    close(tl.grad(model.loss, wrt="b")(W0, b), gb)
    with pytest.raises(TangentLiteError, match="self|out of range|no argument"):
        tl.grad(model.loss, wrt="self")


def test_every_entry_point_takes_a_bound_method():
    model = RidgeTanh(X, Y, 0.3)
    v = np.array([0.3, -1.0, 0.5])
    expected = numeric_grad(model.loss, [W0], 0)
    y, pullback = tl.vjp(model.loss, W0)
    close(y, model.loss(W0))
    close(pullback(1.0), expected)
    y, dy = tl.jvp(model.loss, (W0,), (v,))
    close(dy, expected @ v)
    df = tl.grad(model.loss)
    hv = tl.hvp(model.loss)(W0, v)
    eps = 1e-5
    close(hv, (df(W0 + eps * v) - df(W0 - eps * v)) / (2 * eps), rtol=1e-4, atol=1e-6)
    H = tl.hessian(model.loss)(W0)
    close(H @ v, hv)
    close(tl.jacobian(model.loss)(W0), expected)
    close(tl.jacobian(model.loss, mode="forward")(W0), expected)
    decorated = tl.differentiate(model.loss)
    close(decorated(W0), model.loss(W0))
    close(decorated.grad(W0), expected)


class Decorated:
    def __init__(self, scale):
        self.scale = scale

    @tl.differentiate(wrt="w")
    def loss(self, w, x):
        return self.scale * np.sum(np.sin(w * x))


def test_differentiate_decorates_a_method():
    model = Decorated(3.0)
    x = np.array([1.0, 2.0, 0.5])
    close(model.loss(W0, x), 3.0 * np.sum(np.sin(W0 * x)))
    close(model.loss.grad(W0, x), 3.0 * x * np.cos(W0 * x))
    assert "self.scale" in model.loss.source


def test_instance_is_a_constant_read_live():
    model = LinearRegression(X, Y, l2=0.0)
    df = tl.grad(model.loss)
    assert "self.X" in tl.source(model.loss)
    model.l2 = 1.0     # an attribute is read when df runs, as f reads it
    close(df(W0), numeric_grad(model.loss, [W0], 0))
    other = LinearRegression(X, 2 * Y)   # another instance: its own gradient
    close(tl.grad(other.loss)(W0), numeric_grad(other.loss, [W0], 0))
    assert tl.grad(model.loss) is tl.grad(model.loss)   # cached per instance


def test_super_call_is_explicit_in_the_generated_code():
    source = tl.source(RidgeTanh(X, Y, 0.3).loss)
    assert "super(RidgeTanh, self).loss(w)" in source, source


class Activation:
    def __init__(self, act):
        self.act = act

    def loss(self, x):
        return np.sum(self.act(x))

    def helper(self, x):
        return x * x

    def uses_helper(self, x):
        return np.sum(self.helper(x))


def test_a_replaced_method_or_attribute_recompiles():
    x = np.array([0.5, 1.5])
    model = Activation(np.tanh)
    close(tl.grad(model.loss)(x), 1 - np.tanh(x) ** 2)
    model.act = np.sin
    close(tl.grad(model.loss)(x), np.cos(x))
    close(tl.grad(model.uses_helper)(x), 2 * x)
    model.helper = lambda v: 3.0 * v
    close(tl.grad(model.uses_helper)(x), [3.0, 3.0])


# -- callable objects -----------------------------------------------------------------------------

class Dense:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def __call__(self, h):
        return np.tanh(self.W @ h + self.b)


class Network:
    """A list of callable layers, called in a loop."""

    def __init__(self, sizes, seed=0):
        r = np.random.default_rng(seed)
        self.layers = [Dense(r.normal(size=(m, n)) * 0.6, r.normal(size=m) * 0.1)
                       for n, m in zip(sizes[:-1], sizes[1:])]

    def predict(self, x):
        h = x
        for layer in self.layers:
            h = layer(h)
        return h

    def loss(self, x, target):
        r = self.predict(x) - target
        return np.sum(r * r)

    def first_layer_norm(self, x):
        return np.sum(self.layers[0](x) ** 2)


class Gated(Dense):
    """A layer whose __call__ calls other methods through self (one inherited)."""

    def gate(self, z):
        return 1.0 / (1.0 + np.exp(-z))

    def pre(self, h):
        return self.W @ h + self.b

    def __call__(self, h):
        z = self.pre(h)
        return z * self.gate(z)


class Residual(Gated):
    """super().__call__ in the method of a listed object: the parent's, on the same object."""

    def __call__(self, h):
        return super().__call__(h) + 0.5 * self.pre(h)


class GatedNetwork(Network):
    def __init__(self, sizes, seed=1):
        super().__init__(sizes, seed)
        self.layers = [Residual(layer.W, layer.b) for layer in self.layers]


NET = Network([3, 5, 4, 2])
GATED = GatedNetwork([3, 4, 2])
LAYER = Dense(RNG.normal(size=(3, 3)), RNG.normal(size=3))
TARGET = np.array([0.2, -0.1])


def loss_over_layers(x, target):
    h = x
    for k, layer in enumerate(NET.layers):
        h = layer(h) + 0.01 * k
    return np.sum((h - target) ** 2)


def calls_a_layer(x):
    return np.sum(LAYER(x) * x)


@pytest.mark.parametrize("f, args", [
    (NET.loss, (W0, TARGET)), (NET.first_layer_norm, (W0,)), (loss_over_layers, (W0, TARGET)),
    (calls_a_layer, (W0,)), (LAYER, (W0,)), (GATED.loss, (W0, TARGET))],
    ids=["method", "subscript", "enumerate", "object_call", "entry_point", "methods_of_self"])
def test_callable_objects(f, args):
    check_grad(f, *args)


@pytest.mark.parametrize("net", [NET, GATED], ids=["dense", "gated"])
def test_layers_in_a_loop_forward_mode_and_hvp(net):
    v = np.array([1.0, -0.5, 0.25])
    expected = numeric_grad(net.loss, [W0, TARGET], 0)
    close(tl.jvp(net.loss, (W0, TARGET), (v, None))[1], expected @ v)
    df = tl.grad(net.loss)
    eps = 1e-5
    close(tl.hvp(net.loss)(W0, TARGET, v),
          (df(W0 + eps * v, TARGET) - df(W0 - eps * v, TARGET)) / (2 * eps),
          rtol=1e-4, atol=1e-6)
    close(tl.jacobian(NET.predict)(W0), np.stack([
        numeric_grad(lambda x, k=k: NET.predict(x)[k], [W0], 0) for k in range(2)]))


class Square:
    def __call__(self, u):
        return u * u


class Cube:
    def __call__(self, u):
        return u * u * u


class Mixed:
    def __init__(self):
        self.layers = [Square(), Square()]

    def loss(self, x):
        for layer in self.layers:
            x = layer(x)
        return np.sum(x)


SQUARES = [Square(), Square()]


def parameter_named_like_the_loop_variable(x, layer):
    x = layer(x)            # whatever was passed: not known when compiling
    for layer in SQUARES:
        x = layer(x)
    return np.sum(x)


def test_a_parameter_is_not_typed_by_a_loop_over_objects():
    # The parameter's class is the one passed (classes.py): a Square, like the loop's, runs;
    # a Cube gives the name two classes, and is refused when called.
    df = tl.grad(parameter_named_like_the_loop_variable)
    x = np.array([0.5, -1.2, 0.8])
    close(df(x, Square()), numeric_grad(parameter_named_like_the_loop_variable, (x, Square()), 0))
    with pytest.raises(UnsupportedSyntaxError, match="calling the argument `layer`") as info:
        df(x, Cube())
    assert "x = layer(x)" in str(info.value)


def test_objects_of_several_classes_in_one_loop_are_refused():
    model = Mixed()
    x = np.array([0.5, 1.5])
    close(tl.grad(model.loss)(x), 4 * x ** 3)
    model.layers[1] = Cube()   # the compiled gradient no longer fits: recompiled, refused
    with pytest.raises(UnsupportedSyntaxError, match="several classes") as info:
        tl.grad(model.loss)
    assert "test_objects.py" in str(info.value) and "layer(x)" in str(info.value)


# -- functools.partial ----------------------------------------------------------------------------

def huber(r, delta=2.0):
    a = np.abs(r)
    return np.sum(np.where(a < delta, 0.5 * r * r, delta * (a - 0.5 * delta)))


def scaled_error(X, y, w, scale=1.0):
    return scale * np.sum((X @ w - y) ** 2)


HUBER1 = functools.partial(huber, delta=1.0)
ON_DATA = functools.partial(scaled_error, X, Y)


def robust_loss(w):
    return HUBER1(X @ w - Y) + 0.1 * ON_DATA(w, scale=0.5)


R = np.array([0.3, -1.7, 2.5, -0.2])


def test_partial_as_entry_point():
    check_grad(HUBER1, R)
    close(tl.grad(HUBER1)(R, delta=0.1), numeric_grad(huber, [R, 0.1], 0))   # overridden
    close(tl.grad(HUBER1, wrt="delta")(R, delta=1.5), numeric_grad(huber, [R, 1.5], 1))
    check_grad(ON_DATA, W0)
    close(tl.grad(ON_DATA)(W0, scale=3.0), numeric_grad(scaled_error, [X, Y, W0, 3.0], 2))
    v = np.ones(4)
    close(tl.jvp(HUBER1, (R,), (v,))[1], numeric_grad(HUBER1, [R], 0) @ v)


def test_partial_called_inside_f():
    check_grad(robust_loss, W0)
    assert "vjp_huber" in tl.source(robust_loss)


def partials_made_inside(w, d):
    h = functools.partial(huber, delta=d)          # d differentiated through the keyword
    on_data = functools.partial(scaled_error, X, Y, scale=0.5)
    w2 = w * 2.0
    at_w2 = functools.partial(scaled_error, X, Y, w2)
    w2 = w * 3.0                                    # at_w2 keeps the w2 it was given
    return h(X @ w - Y) + on_data(w) + at_w2(scale=0.1) + on_data(w2, scale=2.0)


def partial_passed_on(w):
    h = functools.partial(huber, delta=1.0)
    return np.sum(list(map(h, [w])))


def test_partial_made_inside_f():
    check_grad(partials_made_inside, W0, 1.5, wrt=(0, 1))
    v = np.array([0.5, 1.0, -1.0])
    close(tl.jvp(partials_made_inside, (W0, 1.5), (v, None))[1],
          numeric_grad(partials_made_inside, [W0, 1.5], 0) @ v)
    with pytest.raises(UnsupportedSyntaxError, match="partial `h` used as a value") as info:
        tl.grad(partial_passed_on)
    assert "test_objects.py" in str(info.value)


def test_partial_of_a_bound_method():
    model = LinearRegression(X, Y)
    fixed_b = functools.partial(model.loss, b=0.5)
    check_grad(fixed_b, W0)


# -- attribute reads of non-differentiated objects --------------------------------------------

@dataclasses.dataclass
class Config:
    temperature: float
    weights: np.ndarray


class Settings:
    def __init__(self):
        self.inner = Config(0.5, np.array([1.0, 2.0, 3.0]))


def softmax_loss(logits, cfg):
    z = logits / cfg.temperature
    p = np.exp(z - np.max(z))
    p = p / np.sum(p)
    return -np.sum(cfg.weights * np.log(p))


def nested_attributes(x, settings):
    return np.sum(x * settings.inner.weights) / settings.inner.temperature


def test_attribute_reads_are_constants():
    cfg = Config(2.0, np.array([0.2, 0.3, 0.5]))
    check_grad(softmax_loss, W0, cfg)
    check_grad(nested_attributes, W0, Settings())
    assert "cfg.temperature" in tl.source(softmax_loss)


def attribute_of_differentiated(x):
    return np.sum(x.flat)


def method_of_differentiated(x):
    return np.sum(x.tolist())


def test_attribute_or_method_of_a_differentiated_value_is_refused():
    with pytest.raises(UnsupportedSyntaxError, match="attribute") as info:
        tl.grad(attribute_of_differentiated)
    assert "test_objects.py" in str(info.value) and "x.flat" in str(info.value)
    df = tl.grad(method_of_differentiated)   # a model passed as x would have a method tolist
    with pytest.raises(UnsupportedSyntaxError, match="tolist") as info:
        df(np.array([1.0, 2.0]))
    assert "test_objects.py" in str(info.value)


# -- a model passed as a differentiated argument -----------------------------------------------

@dataclasses.dataclass
class TanhNet:
    W1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray

    def forward(self, x):
        return np.tanh(x @ self.W1 + self.b1) @ self.w2


def net_through_class(model, x, y):
    return np.mean((TanhNet.forward(model, x) - y) ** 2)


def net_fields(model, x, y):
    r = np.dot(np.tanh(np.dot(x, model.W1) + model.b1), model.w2) - y
    return np.sum(r * r) / len(y)


def net_method(model, x, y):
    return np.mean((model.forward(x) - y) ** 2)


def net_method_typed(model: TanhNet, x, y):
    return np.mean((model.forward(x) - y) ** 2)


def test_a_model_argument_through_its_class_or_fields_matches_finite_differences():
    model = TanhNet(RNG.normal(size=(3, 4)), RNG.normal(size=4), RNG.normal(size=4))
    for f in (net_through_class, net_fields):
        g = tl.grad(f)(model, X, Y)
        assert type(g) is TanhNet
        for name in ("W1", "b1", "w2"):
            def along(v, name=name):
                return f(dataclasses.replace(model, **{name: v}), X, Y)
            close(getattr(g, name), numeric_grad(along, (getattr(model, name),), 0))


def test_a_method_called_on_a_model_argument_runs_the_method_of_the_class_passed():
    model = TanhNet(RNG.normal(size=(3, 4)), RNG.normal(size=4), RNG.normal(size=4))
    for f in (net_method, net_method_typed):
        g = tl.grad(f)(model, X, Y)
        want = tl.grad(net_through_class)(model, X, Y)
        for name in ("W1", "b1", "w2"):
            close(getattr(g, name), getattr(want, name), rtol=1e-12, atol=1e-14)


# -- random draws as constants --------------------------------------------------------------------

def vae_sample_loss(mu, log_sigma):
    rng = np.random.default_rng(0)
    eps = rng.standard_normal(mu.shape)
    z = mu + np.exp(log_sigma) * eps
    kl = -0.5 * np.sum(1 + 2 * log_sigma - mu ** 2 - np.exp(2 * log_sigma))
    return np.sum((z - 1.0) ** 2) + kl


def noisy_steps(x):
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = np.tanh(x + 0.1 * rng.normal(size=x.shape))
    return np.sum(x * x)


class Sampler:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def loss(self, mu):
        eps = self.rng.standard_normal(mu.shape)
        return np.sum((mu + eps) ** 2)


def test_reparameterisation_with_a_constant_draw():
    mu, log_sigma = np.array([0.1, -0.4, 0.7]), np.array([-0.5, 0.2, 0.0])
    check_grad(vae_sample_loss, mu, log_sigma, wrt=(0, 1))
    check_grad(noisy_steps, mu)
    v = np.array([1.0, 2.0, -1.0])
    close(tl.jvp(vae_sample_loss, (mu, log_sigma), (None, v))[1],
          numeric_grad(vae_sample_loss, [mu, log_sigma], 1) @ v)
    df = tl.grad(noisy_steps)
    eps = 1e-5
    close(tl.hvp(noisy_steps)(mu, v), (df(mu + eps * v) - df(mu - eps * v)) / (2 * eps),
          rtol=1e-4, atol=1e-6)


def test_a_draw_from_a_stateful_rng_is_the_one_the_forward_sweep_made():
    sampler = Sampler(3)
    mu = np.array([0.5, -0.5])
    state = sampler.rng.bit_generator.state
    g = tl.grad(sampler.loss)(mu)
    sampler.rng.bit_generator.state = state
    eps = sampler.rng.standard_normal(mu.shape)
    close(g, 2 * (mu + eps))


def draw_depends_on_x(x):
    rng = np.random.default_rng(0)
    return np.sum(rng.normal(loc=x))


def test_a_draw_that_depends_on_a_differentiated_value_is_refused():
    with pytest.raises(UnsupportedSyntaxError, match="random draw") as info:
        tl.grad(draw_depends_on_x)
    assert "test_objects.py" in str(info.value)


# -- *args and **kwargs --------------------------------------------------------------------------

def star_loss(x, *scales, power=2, **options):
    total = np.sum(x ** power)
    for s in scales:
        total = total + s * np.sum(x)
    if options.get("l1", False):
        total = total + np.sum(np.abs(x))
    return total * options.get("weight", 1.0)


def total_energy(*parts, scale=1.0):
    return scale * sum(np.sum(p * p) for p in parts)


def weighted_sum(w, *xs):
    out = 0.0
    for v in xs:
        out = out + w * v
    return out


def uses_star_helpers(a, b):
    return total_energy(a, b, a * b, scale=2.0) + np.sum(weighted_sum(0.5, a, b))


def times_option(x, **opts):
    return x * opts["factor"]


def differentiated_into_kwargs(a, b):
    return np.sum(times_option(a, factor=b))


def test_star_args_and_kwargs_in_f():
    x = np.array([0.3, -0.5, 1.2])
    got = tl.grad(star_loss)(x, 2.0, 3.0, power=3, l1=True, weight=0.5)
    close(got, numeric_grad(star_loss, [x, 2.0, 3.0], 0,
                            kwargs=dict(power=3, l1=True, weight=0.5)))
    v = np.ones(3)
    close(tl.jvp(functools.partial(star_loss, power=3), (x, 2.0), (v, None))[1],
          numeric_grad(star_loss, [x, 2.0], 0, kwargs=dict(power=3)) @ v)
    with pytest.raises(TangentLiteError, match="scales.*named parameter"):
        tl.grad(star_loss, wrt="scales")


def test_helpers_with_star_args():
    a, b = np.array([0.3, -0.5, 1.2]), np.array([1.0, 2.0, 0.5])
    check_grad(uses_star_helpers, a, b, wrt=(0, 1))
    v = np.array([0.1, 0.2, 0.3])
    close(tl.jvp(uses_star_helpers, (a, b), (v, None))[1],
          numeric_grad(uses_star_helpers, [a, b], 0) @ v)
    check_grad(differentiated_into_kwargs, a, b)   # only a: b goes into **opts, a constant
    with pytest.raises(MissingRuleError, match=r"\*\*opts") as info:
        tl.grad(differentiated_into_kwargs, wrt=1)
    assert "test_objects.py" in str(info.value)


# -- input checks with raise -------------------------------------------------------------------

def normalized_energy(x):
    if x.ndim != 1:
        raise ValueError(f"x must be a vector, got shape {x.shape}")
    n = np.sum(x * x)
    assert n > 0, "x must not be zero"
    return np.sum(x ** 4) / n


def checked_log(v):
    if np.any(v <= 0):
        raise ValueError("checked_log needs positive values")
    return np.log(v)


def entropy(p):
    return -np.sum(p * checked_log(p))


class Checked:
    def __init__(self, limit):
        self.limit = limit

    def loss(self, w):
        if np.max(np.abs(w)) > self.limit:
            raise ValueError("weights out of range")
        return np.sum(np.sin(w))


def test_raise_runs_in_the_forward_sweep():
    x = np.array([0.3, -0.5, 1.2])
    check_grad(normalized_energy, x)
    check_grad(entropy, np.array([0.2, 0.3, 0.5]))
    check_grad(Checked(5.0).loss, x)
    close(tl.jvp(entropy, (np.array([0.2, 0.8]),), (np.ones(2),))[1],
          numeric_grad(entropy, [np.array([0.2, 0.8])], 0).sum())


def test_raise_still_fires_on_bad_input():
    with pytest.raises(ValueError, match="vector"):
        tl.grad(normalized_energy)(np.ones((2, 2)))
    with pytest.raises(AssertionError, match="zero"):
        tl.grad(normalized_energy)(np.zeros(3))
    with pytest.raises(ValueError, match="positive"):
        tl.grad(entropy)(np.array([0.5, -0.5]))
    with pytest.raises(ValueError, match="positive"):
        tl.jvp(entropy, (np.array([0.5, -0.5]),), (np.ones(2),))
    with pytest.raises(ValueError, match="out of range"):
        tl.grad(Checked(1.0).loss)(np.array([0.5, 3.0]))
    with pytest.raises(ValueError, match="positive"):
        tl.vjp(entropy, np.array([0.5, -0.5]))


# -- more programs as people write them ----------------------------------------------------

@dataclasses.dataclass
class ODEConfig:
    dt: float = 0.05
    steps: int = 20


class LotkaVolterra:
    """An integrator whose step calls the right-hand side method twice (midpoint rule)."""

    def __init__(self, a, b, c, d, cfg):
        self.a, self.b, self.c, self.d, self.cfg = a, b, c, d, cfg

    def rhs(self, y):
        prey, pred = y[0], y[1]
        return np.array([self.a * prey - self.b * prey * pred,
                         self.d * prey * pred - self.c * pred])

    def integrate(self, y0):
        y = y0
        for _ in range(self.cfg.steps):
            k1 = self.rhs(y)
            k2 = self.rhs(y + 0.5 * self.cfg.dt * k1)
            y = y + self.cfg.dt * k2
        return y

    def loss(self, y0, target):
        return np.sum((self.integrate(y0) - target) ** 2)


class RBF:
    def __init__(self, length):
        self.length = length

    def __call__(self, a, b):
        return np.exp(-0.5 * np.sum((a - b) ** 2) / self.length ** 2)


KERNEL = RBF(0.7)


def kernel_energy(Z):
    G = np.array([[KERNEL(Z[i], Z[j]) for j in range(len(Z))] for i in range(len(Z))])
    return np.sum(G) + 0.1 * sum(np.sum(z * z) for z in Z)


def logistic_loss(w, X, y):
    return sum(np.log1p(np.exp(-yi * (xi @ w))) for xi, yi in zip(X, y)) / len(y)


@pytest.mark.parametrize("f, args", [
    (LotkaVolterra(1.0, 0.4, 0.8, 0.3, ODEConfig()).loss,
     (np.array([1.2, 0.7]), np.array([1.0, 1.0]))),
    (kernel_energy, (RNG.normal(size=(4, 2)),)),
    (logistic_loss, (W0, X, np.sign(Y)))], ids=["ode_method", "kernel_object", "logistic"])
def test_programs_as_people_write_them(f, args):
    check_grad(f, *args)
    v = np.linspace(-1.0, 1.0, args[0].size).reshape(args[0].shape)
    df = tl.grad(f)
    eps = 1e-5
    plus, minus = list(args), list(args)
    plus[0], minus[0] = args[0] + eps * v, args[0] - eps * v
    close(tl.hvp(f)(*args, v), (df(*plus) - df(*minus)) / (2 * eps), rtol=1e-4, atol=1e-6)


# -- the README's "Objects and methods" ----------------------------------------------------

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
EXAMPLE = re.compile(r"<!-- objects example: (\w+) -->\n```python\n(.*?)```", re.S)


def objects_section():
    text = README.read_text()
    start = text.index("## Objects and methods")
    return text[start:text.index("\n## ", start)]


def test_readme_objects_examples_run(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", objects_section(), re.S)
    runnable = [b for b in blocks if not b.startswith("def grad_")]
    assert len(runnable) >= 3
    for k, block in enumerate(runnable):   # from a file: tangent_lite reads the source
        namespace = vars(load_program(tmp_path / f"readme_objects_{k}.py", block))
        if "tight" in namespace:
            close(tl.grad(namespace["tight"])(np.array([0.05, -2.0])), [0.05, -0.1])
        if "dnet" in namespace:     # a model holding its layers: every leaf's gradient
            net, x, y = namespace["net"], namespace["x"], namespace["y"]
            loss = namespace["loss"]
            for layer, dlayer in ((net.first, namespace["dnet"].first),
                                  (net.second, namespace["dnet"].second)):
                for name in ("W", "b"):
                    leaf, eps = getattr(layer, name), 1e-6
                    want = np.zeros(leaf.shape)
                    for i in np.ndindex(leaf.shape):
                        old = leaf[i]
                        leaf[i] = old + eps
                        up = loss(net, x, y)
                        leaf[i] = old - eps
                        want[i] = (up - loss(net, x, y)) / (2 * eps)
                        leaf[i] = old
                    close(getattr(dlayer, name), want)
        if "dmu" in namespace:
            close(namespace["dlog_sigma"], numeric_grad(
                namespace["vae_loss"], [np.zeros(4), np.zeros(4)], 1))


def test_readme_objects_excerpt_is_what_tangent_lite_generates():
    module = load_program_from(README.parent / "examples" / "objects.py")
    (name, text), = EXAMPLE.findall(objects_section())
    assert tl.source(getattr(module, name)) == text, (
        "regenerate the README excerpt: print(tangent_lite.source(model_loss)) of "
        "examples/objects.py")
    check_grad(module.model.loss, np.array([0.1, -0.2, 0.3]))


def load_program_from(path):
    return load_module(path, "objects_example")
