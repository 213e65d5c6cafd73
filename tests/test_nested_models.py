"""Models that hold their layers: `loss(model, x, y)` where `model.first(x)`, a method calling
`self.second(h)`, `self.encoder.forward(x)` or an encoder holding its own layers run the
__call__ or method of the object held in an attribute. classes.py types those objects with the
argument (their classes are part of what a derivative is compiled for), so the methods are
differentiated from their source, and the gradient is a model of the same structure.
Dataclasses, registered pytrees and namedtuples, `@` and `np.dot`, `np.mean` and
`np.sum(...) / n`; every entry point against central finite differences in float64."""
import collections
import dataclasses

import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite import UnsupportedSyntaxError

rng = np.random.default_rng(1209)
X = rng.normal(size=(5, 3))
Y = rng.normal(size=(5, 2))


@dataclasses.dataclass
class Dense:
    W: np.ndarray
    b: np.ndarray

    def __call__(self, x):
        return np.tanh(x @ self.W + self.b)


@dataclasses.dataclass
class SoftDense(Dense):
    def __call__(self, x):
        return np.log1p(np.exp(np.dot(x, self.W) + self.b))


class Affine:
    """A registered pytree, np.dot style, with a method besides __call__."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def __call__(self, x):
        return self.apply(x)

    def apply(self, x):
        return np.dot(x, self.W) + self.b


tl.register_pytree(Affine, lambda a: ((a.W, a.b), None), lambda aux, ch: Affine(*ch))


class Scale(collections.namedtuple("Scale", "s")):
    def __call__(self, v):
        return self.s * v


@dataclasses.dataclass
class TwoLayers:
    first: Dense
    second: Affine

    def forward(self, x):
        return self.second(self.first(x))

    def __call__(self, x):
        return self.forward(x)


@dataclasses.dataclass
class Encoder:
    """Holds a model that holds layers: three levels of objects."""
    body: TwoLayers
    scale: Scale

    def __call__(self, x):
        return self.scale(self.body.forward(x))


@dataclasses.dataclass
class Sequential:
    """Holds a list (or tuple) of layers of one class, called in turn."""
    layers: list

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def sequential_loss(seq, x, y):
    return np.mean((seq(x) - y) ** 2)


def loop_in_loss(seq, x, y):
    h = x
    for layer in seq.layers:
        h = np.tanh(layer.apply(h))
    return np.sum((h - y) ** 2) / x.shape[0]


@dataclasses.dataclass
class IndexedSequential:
    """Its layers called by index: `self.layers[i](x)`."""
    layers: list

    def __call__(self, x):
        for i in range(len(self.layers)):
            x = self.layers[i](x)
        return x


def indexed(seq, x, y):
    return np.sum((seq(x) - y) ** 2) / y.size


def indexed_in_loss(seq, x, y):
    h = seq.layers[0](x)
    return np.mean((seq.layers[1](h) - y) ** 2)


def direct(model, x, y):
    return np.sum((model.second(model.first(x)) - y) ** 2) / x.shape[0]


def through_method(model, x, y):
    return np.mean((model.forward(x) - y) ** 2)


def held_method(model, x, y):
    h = model.first(x)
    return np.sum((model.second.apply(h) - y) ** 2)


def encoder_loss(enc, x, y):
    d = enc(x) - y
    return np.sum(d * d) / d.size


def encoder_parts(enc, x, y):
    return np.mean((enc.body.forward(x) * enc.scale.s - y) ** 2)


def two_layers(first=Dense):
    return TwoLayers(first(rng.normal(size=(3, 4)), rng.normal(size=4)),
                     Affine(rng.normal(size=(4, 2)), rng.normal(size=2)))


def encoder():
    return Encoder(two_layers(), Scale(np.array(0.7)))


def sequential(kind=list):
    return Sequential(kind([Dense(rng.normal(size=(3, 3)), rng.normal(size=3)),
                            Dense(rng.normal(size=(3, 2)), rng.normal(size=2))]))


def affine_stack(kind=list):
    return Sequential(kind([Affine(rng.normal(size=(3, 4)), rng.normal(size=4)),
                            Affine(rng.normal(size=(4, 2)), rng.normal(size=2))]))


def leaves(tree):
    if isinstance(tree, np.ndarray):
        return [tree]
    if isinstance(tree, (list, tuple)) and not isinstance(tree, Scale):
        return [leaf for item in tree for leaf in leaves(item)]
    if isinstance(tree, Scale):
        return [tree.s]
    if isinstance(tree, Affine):
        return [tree.W, tree.b]
    return [leaf for f in dataclasses.fields(tree) for leaf in leaves(getattr(tree, f.name))]


def numeric(f, model, rest, eps=1e-6):
    """Central differences of f in every element of every array leaf of model (in place)."""
    out = []
    for leaf in leaves(model):
        g = np.zeros(leaf.shape)
        for i in np.ndindex(leaf.shape):
            old = leaf[i]
            leaf[i] = old + eps
            up = f(model, *rest)
            leaf[i] = old - eps
            down = f(model, *rest)
            leaf[i] = old
            g[i] = (up - down) / (2 * eps)
        out.append(g)
    return out


def assert_model_close(got, model, want):
    # central differences in float64 round off about 1e-10 of |f| / eps: the absolute
    # tolerance follows the gradient's largest entry (SoftDense layers reach 70)
    assert type(got) is type(model)
    scale = max([1.0] + [float(np.max(np.abs(w))) for w in want])
    for a, b in zip(leaves(got), want):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8 * scale)


CASES = [(direct, two_layers), (through_method, two_layers), (held_method, two_layers),
         (direct, lambda: two_layers(SoftDense)), (through_method, lambda: two_layers(SoftDense)),
         (encoder_loss, encoder), (encoder_parts, encoder),
         (sequential_loss, sequential), (sequential_loss, lambda: sequential(tuple)),
         (loop_in_loss, affine_stack),
         (indexed, lambda: IndexedSequential(sequential().layers)),
         (indexed_in_loss, sequential), (indexed_in_loss, lambda: affine_stack(tuple))]
IDS = [f"{f.__name__}-{i}" for i, (f, _) in enumerate(CASES)]


@pytest.mark.parametrize("f, make", CASES, ids=IDS)
def test_grad_of_a_model_holding_its_layers(f, make):
    model = make()
    want = numeric(f, model, (X, Y))
    assert_model_close(tl.grad(f)(model, X, Y), model, want)
    value, g = tl.value_and_grad(f)(model, X, Y)
    assert value == f(model, X, Y)
    assert_model_close(g, model, want)


@pytest.mark.parametrize("f, make", CASES, ids=IDS)
def test_every_other_entry_point(f, make):
    model = make()
    want = numeric(f, model, (X, Y))
    value, pullback = tl.vjp(f, model, X, Y)
    assert value == f(model, X, Y)
    first = pullback(2.0)
    assert_model_close(first, model, [2.0 * w for w in want])
    for a, b in zip(leaves(pullback(2.0)), leaves(first)):    # a second call: the same
        np.testing.assert_array_equal(a, b)
    # jvp along a direction in the model's leaves
    tangent = make()
    _, dvalue = tl.jvp(lambda m: f(m, X, Y), (model,), (tangent,))
    np.testing.assert_allclose(dvalue, sum(np.sum(w * t) for w, t in zip(want, leaves(tangent))),
                               rtol=1e-6, atol=1e-8)
    # x's gradient beside the model's
    dmodel, dx = tl.grad(f, wrt=(0, 1))(model, X, Y)
    assert_model_close(dmodel, model, want)
    np.testing.assert_allclose(dx, _numeric_x(f, model), rtol=1e-6, atol=1e-8)


def _numeric_x(f, model, eps=1e-6):
    g = np.zeros(X.shape)
    for i in np.ndindex(X.shape):
        x = X.copy()
        x[i] += eps
        up = f(model, x, Y)
        x[i] -= 2 * eps
        g[i] = (up - f(model, x, Y)) / (2 * eps)
    return g


def test_hvp_through_held_layers():
    model, v = two_layers(), two_layers()
    eps = 1e-5

    def grads_at(step):
        moved = dataclasses.replace(model)
        moved.first = Dense(*(a + step * b for a, b in zip(leaves(model.first),
                                                            leaves(v.first))))
        moved.second = Affine(*(a + step * b for a, b in zip(leaves(model.second),
                                                              leaves(v.second))))
        return leaves(tl.grad(through_method)(moved, X, Y))

    want = [(a - b) / (2 * eps) for a, b in zip(grads_at(eps), grads_at(-eps))]
    got = tl.hvp(through_method)(model, X, Y, v)
    for a, b in zip(leaves(got), want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_the_class_of_a_held_layer_chooses_the_derivative():
    # The same loss with a Dense, then a SoftDense first layer: each its own derivative (a
    # derivative compiled for Dense would differentiate the wrong __call__).
    df = tl.grad(through_method)
    for make in (two_layers, lambda: two_layers(SoftDense), two_layers):
        model = make()
        assert_model_close(df(model, X, Y), model, numeric(through_method, model, (X, Y)))
    by_class = df.__tangent_lite__.by_class
    assert sorted(dict(key[1:])["model.first"].__name__ for key in by_class.variants) == \
        ["Dense", "SoftDense"]


def test_only_x_differentiated_the_model_a_constant():
    model = two_layers()
    dx = tl.grad(direct, wrt=1)(model, X, Y)
    np.testing.assert_allclose(dx, _numeric_x(direct, model), rtol=1e-6, atol=1e-8)


@dataclasses.dataclass
class WithActivation:
    W: np.ndarray
    act: object

    def forward(self, x):
        return self.act(x @ self.W)


def held_function(model, x):
    return np.sum(model.forward(x))


def test_a_held_function_that_is_not_an_object_with_methods_is_refused():
    model = WithActivation(rng.normal(size=(3, 2)), np.tanh)
    with pytest.raises(UnsupportedSyntaxError, match="self.act") as info:
        tl.grad(held_function)(model, X)
    assert "test_nested_models.py" in str(info.value)


def test_a_held_list_of_layers_of_several_classes_is_refused():
    seq = Sequential([Dense(rng.normal(size=(3, 3)), rng.normal(size=3)),
                      SoftDense(rng.normal(size=(3, 2)), rng.normal(size=2))])
    with pytest.raises(UnsupportedSyntaxError, match="calling `layer`") as info:
        tl.grad(sequential_loss)(seq, X, Y)
    assert "test_nested_models.py" in str(info.value)


def via_getattr(model, x, y):
    return np.sum((getattr(model, "second")(getattr(model, "first")(x)) - y) ** 2) / x.shape[0]


def test_getattr_with_a_constant_name_is_the_attribute():
    model = two_layers()
    assert_model_close(tl.grad(via_getattr)(model, X, Y), model,
                       numeric(via_getattr, model, (X, Y)))


def pick(model):
    return model.first


def picked(model, x, y):
    return np.sum((pick(model)(x) - y[:, :1]) ** 2)


def chosen(model, x, y):
    return np.sum((model.first if x.sum() > -1e9 else model.second)(x) ** 2)


def returned_layer(layer, x, y):
    return np.sum((pick(TwoLayers(layer, None))(x) - y[:, :1]) ** 2)


@pytest.mark.parametrize("f", [picked, chosen])
def test_calling_a_computed_callee_that_holds_differentiated_values_is_refused(f):
    # Were silent zero gradients: the callee `pick(model)` was not an input of the call.
    model = TwoLayers(Dense(rng.normal(size=(3, 1)), rng.normal(size=1)),
                      Affine(rng.normal(size=(1, 2)), rng.normal(size=2)))
    with pytest.raises(UnsupportedSyntaxError, match="whose function is not known") as info:
        tl.grad(f)(model, X, Y)
    assert "test_nested_models.py" in str(info.value)


def test_a_computed_callee_of_constants_runs_on_constants():
    # only x differentiated: the layer a helper picks, called on a constant, is a constant
    model = two_layers()

    def f(h):
        return np.sum(pick(model)(X) * h)

    np.testing.assert_allclose(tl.grad(f)(np.ones((5, 4))), model.first(X), rtol=1e-15)
