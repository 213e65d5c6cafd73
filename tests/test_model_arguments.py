"""A model passed to the loss as a differentiated argument, its methods called inside:
`loss(model, x, y)` calling `model.forward(x)` (classes.py compiles df per class of `model`, at
the first call with each). Dataclasses, registered pytrees and namedtuples with methods, a
subclass overriding the method, a helper the model is passed to, two objects; every entry point
(grad, value_and_grad, has_aux, vjp, jvp, hvp), against central finite differences in float64.
"""
import collections
import dataclasses

import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite import UnsupportedSyntaxError

rng = np.random.default_rng(1204)
X = rng.normal(size=(6, 3))
Y = rng.normal(size=(6, 2))


# ---- models, written in several styles ------------------------------------------------------

@dataclasses.dataclass
class MLP:
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray

    def hidden(self, x):
        return np.tanh(x @ self.W1 + self.b1)

    def forward(self, x):
        return self.hidden(x) @ self.W2

    def loss(self, x, y):
        return np.mean((self.forward(x) - y) ** 2)


@dataclasses.dataclass
class SoftplusMLP(MLP):
    """Overrides one method: a call through the base class would differentiate the wrong one."""

    def hidden(self, x):
        return np.log1p(np.exp(np.dot(x, self.W1) + self.b1))


class Affine:
    """A plain class made a pytree with register_pytree, np.dot style."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def __call__(self, x):
        return np.dot(x, self.W) + self.b


tl.register_pytree(Affine, lambda a: ((a.W, a.b), None), lambda aux, ch: Affine(*ch))


class Linear(collections.namedtuple("Linear", "W b")):
    def apply(self, x):
        return x @ self.W + self.b


@dataclasses.dataclass
class Scaled:
    scale: float

    def of(self, v):
        return self.scale * v


def loss_forward(model, x, y):
    return np.mean((model.forward(x) - y) ** 2)


def loss_method(model, x, y):
    return model.loss(x, y)


def loss_typed(model: MLP, x, y):
    r = model.forward(x) - y
    return np.sum(r * r) / r.size


def predict(model, x):
    return model.forward(x)


def loss_helper(model, x, y):
    return np.mean((predict(model, x) - y) ** 2)


def loss_call(layer, x, y):
    return np.sum((layer(x) - y) ** 2) / len(y)


def loss_apply(layer, x, y):
    return np.mean((layer.apply(x) - y) ** 2)


def loss_two(model, scaler, x, y):
    return np.mean(scaler.of(model.forward(x) - y) ** 2)


def loss_aux(model, x, y):
    out = model.forward(x)
    return np.mean((out - y) ** 2), out


def mlp(cls=MLP):
    return cls(rng.normal(size=(3, 4)) * 0.5, rng.normal(size=4) * 0.5,
               rng.normal(size=(4, 2)) * 0.5)


def leaves(tree):
    if isinstance(tree, tuple):
        return list(tree)
    if dataclasses.is_dataclass(tree):
        return [getattr(tree, f.name) for f in dataclasses.fields(tree)]
    return [tree.W, tree.b]


def rebuilt(tree, values):
    if isinstance(tree, tuple):
        return type(tree)(*values)
    if dataclasses.is_dataclass(tree):
        return dataclasses.replace(tree, **{f.name: v for f, v in
                                            zip(dataclasses.fields(tree), values)})
    return type(tree)(*values)


def numeric(f, tree, rest, eps=1e-6):
    """Central finite differences of f with respect to every array leaf of `tree`."""
    values = leaves(tree)
    out = []
    for k, leaf in enumerate(values):
        g = np.zeros_like(leaf)
        for i in np.ndindex(leaf.shape):
            def at(step):
                moved = [v.copy() for v in values]
                moved[k][i] += step
                return f(rebuilt(tree, moved), *rest)
            g[i] = (at(eps) - at(-eps)) / (2 * eps)
        out.append(g)
    return out


def assert_tree_close(got, tree, want):
    assert type(got) is type(tree)
    for a, b in zip(leaves(got), want):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)


CASES = [
    (loss_forward, lambda: mlp()),
    (loss_forward, lambda: mlp(SoftplusMLP)),
    (loss_method, lambda: mlp(SoftplusMLP)),
    (loss_typed, lambda: mlp()),
    (loss_helper, lambda: mlp(SoftplusMLP)),
    (loss_call, lambda: Affine(rng.normal(size=(3, 2)), rng.normal(size=2))),
    (loss_apply, lambda: Linear(rng.normal(size=(3, 2)), rng.normal(size=2))),
]
IDS = ["forward", "forward-subclass", "method-subclass", "typed", "helper", "callable-pytree",
       "namedtuple-method"]


@pytest.mark.parametrize("f, make", CASES, ids=IDS)
def test_grad_and_value_and_grad(f, make):
    model = make()
    want = numeric(f, model, (X, Y))
    assert_tree_close(tl.grad(f)(model, X, Y), model, want)
    value, g = tl.value_and_grad(f)(model, X, Y)
    assert value == f(model, X, Y)
    assert_tree_close(g, model, want)


@pytest.mark.parametrize("f, make", CASES, ids=IDS)
def test_vjp_called_twice(f, make):
    model = make()
    value, pullback = tl.vjp(f, model, X, Y)
    assert value == f(model, X, Y)
    want = numeric(f, model, (X, Y))
    assert_tree_close(pullback(1.0), model, want)
    assert_tree_close(pullback(2.0), model, [2 * w for w in want])


@pytest.mark.parametrize("f, make", CASES, ids=IDS)
def test_jvp_and_hvp(f, make):
    model = make()
    direction = rebuilt(model, [rng.normal(size=np.shape(v)) for v in leaves(model)])
    value, tangent = tl.jvp(f, (model, X, Y), (direction, None, None))
    eps = 1e-6

    def moved(step):
        return rebuilt(model, [v + step * d for v, d in zip(leaves(model), leaves(direction))])
    np.testing.assert_allclose(tangent, (f(moved(eps), X, Y) - f(moved(-eps), X, Y)) / (2 * eps),
                               rtol=1e-6, atol=1e-8)
    hv = tl.hvp(f)(model, X, Y, direction)
    g = tl.grad(f)
    eps = 1e-5
    plus, minus = g(moved(eps), X, Y), g(moved(-eps), X, Y)
    assert_tree_close(hv, model, [(a - b) / (2 * eps) for a, b in zip(leaves(plus),
                                                                     leaves(minus))])


def test_has_aux():
    model = mlp(SoftplusMLP)
    g, out = tl.grad(loss_aux, has_aux=True)(model, X, Y)
    np.testing.assert_array_equal(out, model.forward(X))
    assert_tree_close(g, model, numeric(lambda m, x, y: loss_aux(m, x, y)[0], model, (X, Y)))


def test_two_objects_with_methods():
    model, scaler = mlp(), Scaled(0.7)
    g = tl.grad(loss_two)(model, scaler, X, Y)
    assert_tree_close(g, model, numeric(loss_two, model, (scaler, X, Y)))


def test_one_gradient_function_serves_several_classes_each_compiled_once():
    df = tl.grad(loss_forward)
    base, soft = mlp(), mlp(SoftplusMLP)
    for model in (base, soft, base, soft):
        assert_tree_close(df(model, X, Y), model, numeric(loss_forward, model, (X, Y)))
    compiled = tl.api._compiled(loss_forward, 0)
    assert set(compiled.by_class.variants) == {(MLP,), (SoftplusMLP,)}


def test_source_for_the_classes_of_given_arguments():
    model = mlp(SoftplusMLP)
    text = tl.source(loss_forward, specialised_for=(model, X, Y))
    assert "def grad_loss_forward(model, x, y):" in text and "model.forward(x)" in text
    with pytest.raises(tl.TangentLiteError, match="specialised_for=args"):
        tl.source(loss_forward)


def tolist_sum(x):
    return np.sum(x.tolist())


def test_a_method_of_an_array_argument_is_still_refused_when_called():
    df = tl.grad(tolist_sum)
    with pytest.raises(UnsupportedSyntaxError, match="tolist") as info:
        df(np.array([1.0, 2.0]))
    assert "test_model_arguments.py" in str(info.value)


def activation_argument(W, x, act):
    return np.sum(act(x @ W))


def test_a_function_passed_as_an_argument_and_called_on_differentiated_values_is_refused():
    df = tl.grad(activation_argument)
    with pytest.raises(UnsupportedSyntaxError, match="calling the argument `act`") as info:
        df(np.ones((3, 2)), X, np.tanh)
    assert "test_model_arguments.py" in str(info.value) and "instead:" in str(info.value)


def test_a_callable_model_argument_gets_its_gradient_not_zero():
    # Was a silent zero: `layer(x)` with layer differentiated did not count layer as an input.
    layer = Affine(rng.normal(size=(3, 2)), rng.normal(size=2))
    g = tl.grad(loss_call)(layer, X, Y)
    assert np.abs(g.W).sum() > 0
    assert_tree_close(g, layer, numeric(loss_call, layer, (X, Y)))


def test_the_per_class_gradient_is_not_differentiated_again_or_shipped(tmp_path):
    df = tl.grad(loss_forward)
    model = mlp()
    with pytest.raises(UnsupportedSyntaxError, match="compiled for the classes") as info:
        tl.grad(df)(model, X, Y)
    assert "tl.hvp(loss_forward)" in str(info.value)
    with pytest.raises(UnsupportedSyntaxError, match="no code of its own"):
        tl.generate_module(loss_forward, tmp_path / "shipped.py")


def test_hessian_and_jacobian_of_a_model_argument():
    model = Affine(rng.normal(size=(3, 2)) * 0.5, rng.normal(size=2) * 0.5)
    H = tl.hessian(loss_call)(model, X, Y)
    g = tl.grad(loss_call)
    eps = 1e-5
    for i in np.ndindex(model.W.shape):
        e = np.zeros_like(model.W)
        e[i] = eps
        column = (g(Affine(model.W + e, model.b), X, Y).W
                  - g(Affine(model.W - e, model.b), X, Y).W) / (2 * eps)
        np.testing.assert_allclose(H.W.W[(slice(None), slice(None)) + i], column, rtol=1e-6,
                                   atol=1e-8)
    J = tl.jacobian(loss_call)(model, X, Y)
    assert_tree_close(J, model, numeric(loss_call, model, (X, Y)))


def first_layer_called(layers, x, y):
    layer = layers[0]
    return np.sum((layer(x) - y) ** 2)


def layers_in_a_loop(layers, x, y):
    h = x
    for layer in layers:
        h = layer(h)
    return np.sum((h - y) ** 2)


def layers_forward(layers, x, y):
    h = x
    for layer in layers:
        h = np.tanh(layer.apply(h))
    return np.mean((h - y) ** 2)


def square_layers(n, cls):
    return [cls(rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3) * 0.5) for _ in range(n)]


def list_numeric(f, layers, rest, eps=1e-6):
    out = []
    for k, layer in enumerate(layers):
        def at_k(v, k=k):
            return f(layers[:k] + [v] + layers[k + 1:], *rest)
        out.append(numeric(at_k, layer, ()))
    return out


@pytest.mark.parametrize("f, cls, n", [(first_layer_called, Affine, 1),
                                       (layers_in_a_loop, Affine, 3),
                                       (layers_forward, Linear, 2)])
def test_a_list_of_layers_passed_as_an_argument(f, cls, n):
    # `layer(x)` of an item of a differentiated list was a silent zero gradient before: the
    # callee was not an input of the call. Now df is compiled for the items' class.
    layers = square_layers(n, cls)
    y = rng.normal(size=(6, 3))
    got = tl.grad(f)(layers, X, y)
    for g, layer, want in zip(got, layers, list_numeric(f, layers, (X, y))):
        assert_tree_close(g, layer, want)
    value, pullback = tl.vjp(f, layers, X, y)
    for g, layer, want in zip(pullback(1.0), layers, list_numeric(f, layers, (X, y))):
        assert_tree_close(g, layer, want)


def test_a_list_of_layers_of_several_classes_is_refused():
    layers = square_layers(1, Affine) + [Affine(np.eye(3), np.zeros(3))]
    layers[1].__class__ = type("Other", (Affine,), {})
    with pytest.raises(UnsupportedSyntaxError, match="an item of the argument `layers`") as info:
        tl.grad(layers_in_a_loop)(layers, X, rng.normal(size=(6, 3)))
    assert "test_model_arguments.py" in str(info.value)


def item_called_in_place(layers, x, y):
    return np.sum((layers[0](x) - y) ** 2)


def test_calling_an_item_of_a_list_argument_in_place():
    # Was a silent zero gradient (the callee was no input), then refused; now `layers[0]` is
    # an item of the list typed by its class, and its __call__ is differentiated.
    layers = [Affine(rng.normal(size=(3, 2)), rng.normal(size=2))]
    g = tl.grad(item_called_in_place)(layers, X, Y)
    for got, layer, want in zip(g, layers, list_numeric(item_called_in_place, layers, (X, Y))):
        assert_tree_close(got, layer, want)


@dataclasses.dataclass
class TwoLayers:
    """A model holding its layers: `model.first(x)` calls an object held in an attribute."""
    first: Affine
    second: Affine

    def forward(self, x):
        return self.second(np.tanh(self.first(x)))


def nested_call(model, x, y):
    return np.sum((model.second(np.tanh(model.first(x))) - y) ** 2)


def nested_method(model, x, y):
    return np.mean((model.forward(x) - y) ** 2)


def layers_as_arguments(first, second, x, y):
    return np.sum((second(np.tanh(first(x))) - y) ** 2)


@pytest.mark.parametrize("f", [nested_call, nested_method])
def test_a_model_holding_its_layers_equals_the_layers_passed_apart(f):
    # tests/test_nested_models.py has the rest: every entry point, three levels, the classes
    model = TwoLayers(Affine(rng.normal(size=(3, 4)), rng.normal(size=4)),
                      Affine(rng.normal(size=(4, 2)), rng.normal(size=2)))
    g = tl.grad(f)(model, X, Y)
    assert type(g) is TwoLayers and type(g.first) is Affine
    scale = 1.0 / Y.size if f is nested_method else 1.0
    g_first, g_second = tl.grad(layers_as_arguments, wrt=(0, 1))(model.first, model.second,
                                                                 X, Y)
    for got, want in ((g.first, g_first), (g.second, g_second)):
        np.testing.assert_allclose(got.W, scale * want.W, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(got.b, scale * want.b, rtol=1e-12, atol=1e-14)
    assert_tree_close(g.first, model.first,
                      numeric(lambda a, *r: f(TwoLayers(a, model.second), *r), model.first,
                              (X, Y)))
