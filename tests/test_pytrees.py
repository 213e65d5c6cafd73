"""Structured values (pytrees): gradients with respect to dicts, lists, tuples, namedtuples,
dataclasses and registered containers, structured results, has_aux, and jacobian/hessian of
several or structured arguments; every number against float64 central finite differences of
the program as NumPy runs it.

The programs are written as users write them: an MLP over a dict of parameters (with np.dot
and with @, np.mean and np.sum / n), a list of (W, b) layers, a namedtuple and a dataclass of
parameters, a model with a constant configuration.
"""
import dataclasses
from collections import namedtuple

import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite.pytree import (register_pytree, tree_flatten, tree_leaves, tree_map,
                                 tree_unflatten)

rng = np.random.default_rng(20261202)


def r(*shape):
    return rng.normal(size=shape)


# ---- finite differences over the leaves of a pytree --------------------------------------------

def total(value):
    """The sum of every leaf of a (structured) value, in float64."""
    return sum(float(np.sum(np.asarray(leaf, dtype=np.float64))) for leaf in tree_leaves(value)
               if leaf is not None and not isinstance(leaf, (str, bool)))


def _float_leaf(leaf):
    return isinstance(leaf, float) or (isinstance(leaf, np.ndarray) and leaf.dtype.kind == "f") \
        or isinstance(leaf, np.floating)


def numeric_tree_grad(f, args, i, eps=1e-6, weigh=total):
    """Central differences of weigh(f(*args)) with respect to every float leaf of args[i]: a
    list aligned with tree_leaves(args[i]), None for leaves that are not floats."""
    leaves, treedef = tree_flatten(args[i])
    out = []
    for m, leaf in enumerate(leaves):
        if not _float_leaf(leaf):
            out.append(None)
            continue
        base = np.array(leaf, dtype=np.float64)
        g = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            values = []
            for sign in (1, -1):
                x = base.copy()
                x[idx] += sign * eps
                new = list(leaves)
                new[m] = float(x) if isinstance(leaf, float) else x   # float64: exact enough
                a = list(args)
                a[i] = tree_unflatten(treedef, new)
                values.append(weigh(f(*a)))
            g[idx] = (values[0] - values[1]) / (2 * eps)
        out.append(g)
    return out


def assert_tree_close(got, expected_leaves, like, rtol=1e-5, atol=1e-7):
    """got has `like`'s structure with leaf types kept; its leaves equal expected_leaves."""
    from tangent_lite.pytree import leaves_like
    got_leaves = leaves_like(got, like)
    like_leaves, like_def = tree_flatten(like)
    assert len(got_leaves) == len(like_leaves)
    assert type(got) is type(like) or like is None
    for g, e, x in zip(got_leaves, expected_leaves, like_leaves):
        if e is None:
            assert g is None, (g, x)
            continue
        assert type(g) is type(x), (type(g), type(x))
        assert np.shape(g) == np.shape(x)
        if isinstance(x, np.ndarray):
            assert g.dtype == x.dtype
        np.testing.assert_allclose(np.asarray(g, dtype=np.float64), e, rtol=rtol, atol=atol)


def check_tree_grad(f, *args, wrt=0, rtol=1e-5, atol=1e-7):
    got = tl.grad(f, wrt=wrt)(*args)
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    gots = got if isinstance(wrt, tuple) else (got,)
    for item, g in zip(items, gots):
        assert_tree_close(g, numeric_tree_grad(f, args, item), args[item], rtol, atol)
    return got


def check_jvp_hvp(f, args, i=0, seed=0, hvp=True):
    """jvp along a random direction of args[i]'s structure, and the Hessian-vector product
    along it, against central differences of f and of its gradient."""
    direction = tree_map(lambda leaf: np.random.default_rng(seed).normal(size=np.shape(leaf))
                         if _float_leaf(leaf) else leaf, args[i])
    direction = tree_map(lambda d, leaf: float(d) if isinstance(leaf, float) else d,
                         direction, args[i])

    def shifted(t, fun=f):
        moved = tree_map(lambda leaf, d: leaf + t * d if _float_leaf(leaf) else leaf,
                         args[i], direction)
        a = list(args)
        a[i] = moved
        return fun(*a)
    eps = 1e-6
    tangents = [None] * len(args)
    tangents[i] = direction
    value, dvalue = tl.jvp(f, tuple(args), tuple(tangents))
    expected = (total(shifted(eps)) - total(shifted(-eps))) / (2 * eps)
    assert np.isclose(total(dvalue), expected, rtol=1e-5, atol=1e-7)
    if not hvp:
        return
    hv = tl.hvp(f, wrt=i)(*args, direction)
    df = tl.grad(f, wrt=i)
    plus, minus = tree_leaves(shifted(eps, df)), tree_leaves(shifted(-eps, df))
    from tangent_lite.pytree import leaves_like
    for got, p, m in zip(leaves_like(hv, args[i]), plus, minus):
        if got is None:
            continue
        np.testing.assert_allclose(np.asarray(got, dtype=float), (np.asarray(p) - np.asarray(m))
                                   / (2 * eps), rtol=1e-4, atol=1e-6)


def check_vjp(f, args, i=0):
    """vjp with a random cotangent of the result's structure, against differences of the
    weighted sum."""
    value, pullback = tl.vjp(f, *args, wrt=i)
    weights = tree_map(lambda leaf: np.random.default_rng(3).normal(size=np.shape(leaf)), value)

    def weigh(out):
        return sum(float(np.sum(np.asarray(a) * w)) for a, w in
                   zip(tree_leaves(out), tree_leaves(weights)))
    got = pullback(weights)
    assert_tree_close(got, numeric_tree_grad(f, args, i, weigh=weigh), args[i])


# ---- programs: an MLP over a dict of parameters, in two styles --------------------------------

def mlp_dict(params, x, y):
    h = np.tanh(np.dot(x, params["W1"]) + params["b1"])
    out = np.dot(h, params["W2"]) + params["b2"]
    return np.mean((out - y) ** 2)


def mlp_dict_matmul(params, x, y):
    n = x.shape[0]
    h = x
    for k in range(1, 3):
        h = h @ params[f"W{k}"] + params[f"b{k}"]
        if k < 2:
            h = np.log1p(np.exp(h))      # softplus
    return np.sum((h - y) ** 2) / n


def mlp_params():
    return {"W1": r(3, 4), "b1": r(4), "W2": r(4, 2), "b2": 0.3}


X, Y = r(5, 3), r(5, 2)


@pytest.mark.parametrize("f", [mlp_dict, mlp_dict_matmul])
def test_mlp_over_a_dict_of_parameters(f):
    params = mlp_params()
    g = check_tree_grad(f, params, X, Y)
    assert list(g) == list(params) and isinstance(g["b2"], float)
    check_vjp(f, (params, X, Y))
    check_jvp_hvp(f, (params, X, Y))


def test_generated_code_for_a_dict_mlp_reads_like_the_program():
    source = tl.source(mlp_dict)
    for line in ("W1 = params['W1']", "dW1 = ", "db2 = ", "return grad_like(dparams, params, "
                 "'params')"):
        assert line in source, source
    assert "t_item" not in source
    assert "add_at(dparams, 'W1', dW1)" in source


def test_value_and_grad_and_a_tuple_wrt_with_a_dict():
    params = mlp_params()
    value, g = tl.value_and_grad(mlp_dict)(params, X, Y)
    assert np.isclose(value, mlp_dict(params, X, Y))
    gp, gx = tl.grad(mlp_dict, wrt=(0, 1))(params, X, Y)
    assert_tree_close(gp, numeric_tree_grad(mlp_dict, (params, X, Y), 0), params)
    assert_tree_close(gx, numeric_tree_grad(mlp_dict, (params, X, Y), 1), X)


# ---- a list of (W, b) layers ------------------------------------------------------------------

def layers_unpacked(layers, x):
    h = x
    for W, b in layers:
        h = np.tanh(h @ W + b)
    return np.sum(h ** 2)


def layers_indexed(layers, x):
    h = x
    for i in range(len(layers)):
        h = np.tanh(h @ layers[i][0] + layers[i][1])
    return np.sum(h ** 2)


def layers_enumerated(layers, x):
    h = x
    for i, (W, b) in enumerate(layers):
        h = np.tanh(h @ W + b) * (1.0 + 0.1 * i)
    W_last, b_last = layers[-1]
    return np.sum(h ** 2) + np.sum(W_last ** 2)


def make_layers(kind=list):
    return kind([(r(3, 4), r(4)), (r(4, 4), r(4)), (r(4, 2), r(2))])


@pytest.mark.parametrize("f", [layers_unpacked, layers_indexed, layers_enumerated])
@pytest.mark.parametrize("kind", [list, tuple])
def test_a_list_of_layers(f, kind):
    layers = make_layers(kind)
    g = check_tree_grad(f, layers, X)
    assert type(g) is kind and all(type(layer) is tuple for layer in g)
    check_jvp_hvp(f, (layers, X))
    check_vjp(f, (layers, X))


# ---- a namedtuple, a dataclass, a registered class -------------------------------------------

Gaussian = namedtuple("Gaussian", "mu log_sigma")


@dataclasses.dataclass
class GaussianParams:
    mu: np.ndarray
    log_sigma: float
    name: str = "prior"
    samples: int = 10


@dataclasses.dataclass(frozen=True)
class Config:
    temperature: float
    power: int


def neg_log_likelihood(p, data):
    sigma = np.exp(p.log_sigma)
    z = (data - p.mu) / sigma
    return np.sum(0.5 * z ** 2) + data.shape[0] * p.log_sigma


def tempered(p, data, cfg):
    return neg_log_likelihood(p, data) / cfg.temperature + np.sum(p.mu ** cfg.power)


DATA = r(6, 2)


@pytest.mark.parametrize("p", [Gaussian(r(2), 0.2), GaussianParams(r(2), -0.3)],
                         ids=["namedtuple", "dataclass"])
def test_fields_of_a_namedtuple_and_a_dataclass(p):
    g = check_tree_grad(neg_log_likelihood, p, DATA)
    assert type(g) is type(p) and isinstance(g.log_sigma, float)
    if isinstance(p, GaussianParams):
        assert g.name is None and g.samples is None    # not differentiable: None, as documented
    check_jvp_hvp(neg_log_likelihood, (p, DATA))
    check_vjp(neg_log_likelihood, (p, DATA))


@pytest.mark.parametrize("p", [Gaussian(r(2), 0.2), GaussianParams(r(2), -0.3)],
                         ids=["namedtuple", "dataclass"])
def test_a_constant_configuration_is_read_but_not_differentiated(p):
    cfg = Config(temperature=2.5, power=2)
    check_tree_grad(tempered, p, DATA, cfg)
    g = tl.grad(tempered, wrt=1)(p, DATA, cfg)
    np.testing.assert_allclose(g, numeric_tree_grad(tempered, (p, DATA, cfg), 1)[0], rtol=1e-5)


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b


register_pytree(Affine, lambda a: ((a.W, a.b), None), lambda aux, children: Affine(*children))


def affine_loss(layer, x):
    return np.sum(np.tanh(x @ layer.W + layer.b) ** 2)


def test_a_registered_container():
    layer = Affine(r(3, 2), r(2))
    g = tl.grad(affine_loss)(layer, X)
    assert type(g) is Affine
    expected = numeric_tree_grad(affine_loss, (layer, X), 0)
    np.testing.assert_allclose(g.W, expected[0], rtol=1e-5)
    np.testing.assert_allclose(g.b, expected[1], rtol=1e-5)
    check_jvp_hvp(affine_loss, (layer, X))


# ---- nested structures, leaf types -------------------------------------------------------------

def nested(params, x):
    enc = params["encoder"]
    W, (b, scale) = enc["layer"], enc["bias_scale"]
    h = np.tanh(x @ W + b) * scale
    extra = params["extra"]
    return np.sum(h ** 2) + extra[0] * np.sum(extra[1]) + params["offset"]


def nested_params():
    return {"encoder": {"layer": r(3, 2), "bias_scale": (r(2), 1.5)},
            "extra": [0.7, r(3)], "offset": 2.0, "steps": 3,
            "label": "run", "unused": None}


def test_nested_structures_keep_leaf_types():
    params = nested_params()
    g = tl.grad(nested)(params, X)
    assert isinstance(g["encoder"]["bias_scale"], tuple)
    assert isinstance(g["encoder"]["bias_scale"][1], float)
    assert isinstance(g["extra"][0], float) and g["extra"][1].dtype == np.float64
    assert g["steps"] is None and g["label"] is None and g["unused"] is None
    assert isinstance(g["offset"], float) and g["offset"] == 1.0
    expected = numeric_tree_grad(nested, (params, X), 0)
    assert_tree_close(g, expected, params, rtol=1e-4, atol=1e-5)


def test_float32_leaves_stay_float32_in_both_modes():
    def f(params):
        return np.sum(params["w"] ** 2) * params["scale"]
    params = {"w": np.array([1.0, -2.0], dtype=np.float32), "scale": np.float32(0.5)}
    g = tl.grad(f)(params)
    assert g["w"].dtype == np.float32 and type(g["scale"]) is np.float32
    np.testing.assert_allclose(g["w"], [1.0, -2.0])
    assert g["scale"] == pytest.approx(5.0)
    _, dvalue = tl.jvp(f, (params,), ({"w": np.ones(2, np.float32), "scale": np.float32(0)},))
    assert dvalue == pytest.approx(-1.0)


def test_an_argument_not_read_gets_zeros_of_its_structure():
    def f(params, x):
        return np.sum(x ** 2)
    params = {"W": r(2, 2), "b": 0.5, "n": 2}
    g = tl.grad(f)(params, X)
    assert np.all(g["W"] == 0) and g["b"] == 0.0 and g["n"] is None


def test_a_list_of_floats():
    def f(coefficients, x):
        total = 0.0
        for k, c in enumerate(coefficients):
            total = total + c * x ** k
        return total
    g = tl.grad(f)([0.5, -1.0, 2.0], 1.5)
    assert g == pytest.approx([1.0, 1.5, 2.25]) and all(type(v) is float for v in g)


# ---- unpacking ---------------------------------------------------------------------------------

def svd_loss(A):
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return np.sum(s ** 2) + np.sum(np.log(s)) + np.sum((U[0] * Vt[:, 0]) ** 2)


def eigh_loss(S):
    S = S + S.T
    w, V = np.linalg.eigh(S)
    return np.sum(w * np.arange(w.shape[0])) + np.sum(V[:, -1] ** 4)


def slogdet_loss(M):
    sign, logdet = np.linalg.slogdet(M @ M.T + np.eye(M.shape[0]))
    return sign * logdet


def qr_loss(A):
    Q, R = np.linalg.qr(A)
    return np.sum(Q[:, 0] ** 3) + np.sum(np.log(np.abs(np.diag(R))))


def lotka_volterra(theta, z0):
    a, b, c, d = theta
    prey, predator = z0
    dt = 0.01
    for _ in range(50):
        dprey = a * prey - b * prey * predator
        dpredator = d * prey * predator - c * predator
        prey, predator = prey + dt * dprey, predator + dt * dpredator
    return prey ** 2 + predator


@pytest.mark.parametrize("f, args", [
    (svd_loss, (r(4, 3),)),
    (eigh_loss, (r(3, 3),)),
    (slogdet_loss, (r(3, 3),)),
    (qr_loss, (r(4, 3),)),
    (lotka_volterra, (np.array([1.1, 0.4, 0.4, 0.1]), np.array([10.0, 5.0]))),
], ids=["svd", "eigh", "slogdet", "qr", "ode"])
def test_unpacking_results_and_array_rows(f, args):
    check_tree_grad(f, *args, rtol=1e-4, atol=1e-6)
    # the gradients of svd, eigh and qr have no forward rules (no hvp through them)
    check_jvp_hvp(f, args, hvp=f not in (svd_loss, eigh_loss, qr_loss))


def test_unpacking_the_rows_of_a_matrix_and_nested_targets():
    def f(X, pair):
        a, b = X               # rows of X
        (u, (v, w)) = pair
        return np.sum(a * b) + u * np.sum(v * w)
    args = (r(2, 3), (0.5, (r(3), r(3))))
    check_tree_grad(f, *args, wrt=(0, 1))


def test_unpacking_checks_the_count_as_python_does():
    def f(params):
        W, b = params
        return np.sum(W) + np.sum(b)
    with pytest.raises(ValueError, match="too many values to unpack"):
        tl.grad(f)((r(2), r(2), r(2)))


def test_rows_unpacked_from_an_array_are_views_written_through():
    def f(X):
        X = X * 1.0
        a, b = X
        a *= 3.0          # a is X[0]: NumPy writes X's first row
        return np.sum(X ** 2)
    check_tree_grad(f, r(2, 3))

    def g(X):
        X = X * 1.0
        a, b = X
        a *= 3.0
        return np.sum(X ** 2) + np.sum(b)     # b is read after X was written through a
    try:
        check_tree_grad(g, r(2, 3))
    except tl.UnsupportedSyntaxError as err:   # refused, naming the line: never wrong
        assert "share memory" in str(err)


def test_a_value_read_from_a_dict_and_changed_in_place_changes_the_dict():
    def f(params, x):
        W = params["W"]
        W += x            # the array in the dict changes too, as in NumPy
        return np.sum(params["W"] ** 2)
    params, x = {"W": r(2, 2)}, r(2, 2)
    before = params["W"].copy()
    try:
        g = tl.grad(f)(params, x)
    except tl.TangentLiteError:
        return            # refused: never a gradient of another program
    assert np.array_equal(params["W"], before)     # df never changes its arguments
    expected = numeric_tree_grad(f, ({"W": before.copy()}, x), 0)
    np.testing.assert_allclose(g["W"], expected[0], rtol=1e-5)


def test_for_loops_over_dict_views():
    def l2(params, x):
        total = 0.0
        for name, p in params.items():
            total = total + np.sum(p ** 2)
        for p in params.values():
            total = total + np.sum(p * x)
        for key in params.keys():
            total = total + np.sum(params[key])
        return total
    params = {"a": r(2), "b": r(2), "c": 0.5}
    check_tree_grad(l2, params, r(2), wrt=(0, 1))
    check_jvp_hvp(l2, (params, r(2)))


def test_enumerate_of_zip_with_a_nested_target():
    def f(x, w):
        s = 0.0
        for i, (a, b) in enumerate(zip(x, w)):
            s = s + a * b * (i + 1)
        return s
    check_tree_grad(f, r(4), r(4), wrt=(0, 1))
    check_jvp_hvp(f, (r(4), r(4)))


def test_a_local_dict_used_as_scratch():
    def f(W, x):
        cache = {}
        cache["h"] = np.tanh(x @ W)
        cache["z"] = cache["h"] * 2.0
        for _ in range(2):
            cache["h"] = cache["h"] * cache["z"]
        return np.sum(cache["h"])
    check_tree_grad(f, r(3, 2) * 0.3, X)
    assert "cache_h" in tl.source(f)


def test_a_dict_built_inside_and_indexed():
    def f(x):
        parts = {"a": x * 2.0, "b": np.sin(x)}
        return np.sum(parts["a"] * parts["b"])
    check_tree_grad(f, r(3))
    check_jvp_hvp(f, (r(3),))


def test_starred_unpacking_reads_the_rest_as_a_list():
    # rest is a list of x's elements, as Python makes it (tests/test_star_forms.py)
    def f(x):
        first, *rest = x
        return first * np.sum(rest)
    check_tree_grad(f, r(3))
    check_jvp_hvp(f, (r(3),))


# ---- structured results, has_aux ----------------------------------------------------------------

def two_outputs(x, W):
    y = np.tanh(W @ x)
    return y, np.sum(y ** 2)


def dict_output(x, W):
    y = np.tanh(W @ x)
    return {"y": y, "energy": np.sum(y ** 2)}


@pytest.mark.parametrize("f", [two_outputs, dict_output])
def test_structured_results(f):
    args = (r(3), r(2, 3))
    check_tree_grad(f, *args, wrt=(0, 1))      # the sum of every leaf
    check_vjp(f, args, 1)
    value, dvalue = tl.jvp(f, args, (r(3), None))
    assert type(dvalue) is type(value)


def test_a_pullback_refuses_a_cotangent_of_another_structure():
    value, pullback = tl.vjp(two_outputs, r(3), r(2, 3))
    with pytest.raises(tl.InputError):
        pullback(np.ones(2))


def loss_with_aux(params, x, y):
    pred = np.tanh(x @ params["W"])
    loss = np.mean((pred - y) ** 2)
    return loss, {"pred": pred, "steps": 3}


def test_has_aux():
    params = {"W": r(3, 2)}
    g, aux = tl.grad(loss_with_aux, has_aux=True)(params, X, Y)
    assert aux["steps"] == 3 and np.allclose(aux["pred"], np.tanh(X @ params["W"]))
    expected = numeric_tree_grad(lambda p, x, y: loss_with_aux(p, x, y)[0], (params, X, Y), 0)
    np.testing.assert_allclose(g["W"], expected[0], rtol=1e-5)
    (value, aux2), g2 = tl.value_and_grad(loss_with_aux, has_aux=True)(params, X, Y)
    assert np.isclose(value, loss_with_aux(params, X, Y)[0]) and aux2["steps"] == 3
    np.testing.assert_allclose(g2["W"], g["W"])


def test_has_aux_needs_a_pair():
    with pytest.raises(tl.InputError, match="pair"):
        tl.grad(lambda x: np.sum(x), has_aux=True)(r(2))


# ---- jacobian and hessian of several or structured arguments ---------------------------------

def scalar_of_two(x, W):
    return np.sum(np.tanh(W @ x) ** 2) + np.sum(x ** 3)


def vector_of_two(x, W):
    return np.tanh(W @ x) * np.sum(x)


def numeric_jacobian(f, args, i, eps=1e-6):
    x = np.array(args[i], dtype=float)
    out = np.asarray(f(*args))
    J = np.zeros(out.shape + x.shape)
    for idx in np.ndindex(x.shape):
        a, b = list(args), list(args)
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        a[i], b[i] = xp, xm
        J[(...,) + idx] = (np.asarray(f(*a)) - np.asarray(f(*b))) / (2 * eps)
    return J


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_jacobian_of_several_arguments(mode):
    args = (r(3), r(2, 3))
    J = tl.jacobian(vector_of_two, wrt=(0, 1), mode=mode)(*args)
    assert isinstance(J, tuple) and len(J) == 2
    for i in range(2):
        np.testing.assert_allclose(J[i], numeric_jacobian(vector_of_two, args, i), rtol=1e-5,
                                   atol=1e-8)


def test_jacobian_of_a_dict_argument_and_of_a_structured_result():
    params = {"W": r(2, 3), "b": r(2)}

    def f(params, x):
        return np.tanh(params["W"] @ x + params["b"]), np.sum(x) * params["b"]
    x = r(3)
    for mode in ("reverse", "forward"):
        J = tl.jacobian(f, mode=mode)(params, x)
        assert isinstance(J, tuple) and set(J[0]) == {"W", "b"}
        assert J[0]["W"].shape == (2, 2, 3) and J[1]["b"].shape == (2, 2)
        W_only = lambda W: f({"W": W, "b": params["b"]}, x)[0]   # noqa: E731
        np.testing.assert_allclose(J[0]["W"], numeric_jacobian(W_only, (params["W"],), 0),
                                   rtol=1e-5, atol=1e-8)
        np.testing.assert_allclose(J[1]["b"], np.sum(x) * np.eye(2), rtol=1e-6)


def test_hessian_of_several_arguments():
    args = (r(3) * 0.5, r(2, 3) * 0.5)
    H = tl.hessian(scalar_of_two, wrt=(0, 1))(*args)
    shapes = [[h.shape for h in row] for row in H]
    assert shapes == [[(3, 3), (3, 2, 3)], [(2, 3, 3), (2, 3, 2, 3)]]
    for i in range(2):
        for j in range(2):
            grad_i = lambda *a, i=i: tl.grad(scalar_of_two, wrt=i)(*a)   # noqa: E731
            np.testing.assert_allclose(H[i][j], numeric_jacobian(grad_i, args, j), rtol=1e-4,
                                       atol=1e-6)


def test_hessian_of_a_dict_argument():
    params = {"W": r(2, 3) * 0.5, "b": r(2) * 0.5}

    def loss(params, x):
        return np.sum(np.tanh(params["W"] @ x + params["b"]) ** 2)
    x = r(3)
    H = tl.hessian(loss)(params, x)
    assert H["W"]["b"].shape == (2, 3, 2) and H["b"]["W"].shape == (2, 2, 3)
    grad_b = lambda W, b: tl.grad(loss)({"W": W, "b": b}, x)["b"]     # noqa: E731
    np.testing.assert_allclose(H["b"]["W"], numeric_jacobian(grad_b, (params["W"], params["b"]),
                                                             0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(H["b"]["b"], numeric_jacobian(grad_b, (params["W"], params["b"]),
                                                             1), rtol=1e-4, atol=1e-6)


# ---- the public pytree helpers -----------------------------------------------------------------

def test_flatten_and_unflatten_round_trip():
    tree = {"a": [1.0, (np.ones(2), None)], "b": Gaussian(2.0, 3.0),
            "c": GaussianParams(np.zeros(1), 0.5)}
    leaves, treedef = tree_flatten(tree)
    assert len(leaves) == 8     # None is a container with no leaves
    again = tree_unflatten(treedef, leaves)
    assert type(again["b"]) is Gaussian and type(again["c"]) is GaussianParams
    assert again["a"][1][1] is None
    doubled = tree_map(lambda v: v * 2 if not isinstance(v, str) else v, tree)
    assert doubled["b"].log_sigma == 6.0


# ---- the README's Pytrees section runs, and shows what tangent_lite prints ---------------------

README = __import__("pathlib").Path(__file__).resolve().parent.parent / "README.md"
_BLOCK = __import__("re").compile(r"<!-- pytrees: (runs|source of mlp) -->\n```python\n(.*?)```",
                                  __import__("re").S)


def test_readme_pytrees_examples_run_and_show_the_generated_code(tmp_path, monkeypatch,
                                                                 capsys):
    import importlib
    import sys
    blocks = _BLOCK.findall(README.read_text())
    assert [kind for kind, _ in blocks].count("runs") >= 3
    monkeypatch.syspath_prepend(str(tmp_path))
    printed = None
    for k, (kind, text) in enumerate(blocks):
        if kind == "source of mlp":
            assert text == printed
            continue
        name = "readme_pytrees" if k == 0 else f"readme_pytrees_{k}"
        (tmp_path / f"{name}.py").write_text(text)
        sys.modules.pop(name, None)
        capsys.readouterr()
        importlib.import_module(name)
        if k == 0:
            printed = capsys.readouterr().out


# ---- structures passed to helpers --------------------------------------------------------------

def dense(p, x):
    return np.tanh(x @ p["W"] + p["b"])


def two_dense_layers(params, x):
    h = dense(params["l1"], x)
    W, b = params["l2"]["W"], params["l2"]["b"]
    return np.sum(dense({"W": W, "b": b}, h) ** 2)


def test_dicts_passed_to_helpers():
    params = {"l1": {"W": r(3, 4), "b": r(4)}, "l2": {"W": r(4, 2), "b": r(2)}}
    check_tree_grad(two_dense_layers, params, X)
    check_jvp_hvp(two_dense_layers, (params, X))
    check_vjp(two_dense_layers, (params, X))


def branchy(params, x):
    if np.sum(params["w"]) > 0:
        y = x * params["w"]
    else:
        y = x / (1.0 + params["w"] ** 2)
    for k in ("a", "b"):
        y = y + params[k] * np.sum(y)
    return np.sum(y ** 2)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_reads_in_branches_and_loops_over_constant_keys(sign):
    params = {"w": sign * np.abs(r(3)), "a": r(3), "b": 0.4}
    x = r(3)
    check_tree_grad(branchy, params, x, wrt=(0, 1))
    check_jvp_hvp(branchy, (params, x))
    check_vjp(branchy, (params, x))


def test_a_dict_read_only_as_a_constant():
    params = mlp_params()
    gx = tl.grad(mlp_dict, wrt=1)(params, X, Y)
    np.testing.assert_allclose(gx, numeric_tree_grad(mlp_dict, (params, X, Y), 1)[0],
                               rtol=1e-5, atol=1e-8)
    assert "dparams" not in tl.source(mlp_dict, wrt=1)
    check_jvp_hvp(mlp_dict, (params, X, Y), i=1)


def test_writes_into_an_argument_dict_are_refused_with_a_hint():
    def into_argument(params, x):
        params["c"] = 2.0 * x
        return np.sum(params["c"] * params["b"])
    with pytest.raises(tl.UnsupportedSyntaxError, match="writing into the dict") as info:
        tl.grad(into_argument)({"b": r(2)}, r(2))
    assert "instead" in str(info.value)


def test_writes_into_a_local_dict_read_with_get_rebuild_it():
    # `.get` is a conditional read, the write a new dict (frontend/dict_writes.py)
    def into_local(x):
        parts = {"a": x}
        parts["b"] = x * 2.0
        return np.sum(parts["b"] * x) + np.sum(parts.get("a"))
    x = r(2)
    np.testing.assert_allclose(tl.grad(into_local)(x), numeric_tree_grad(into_local, (x,), 0)[0],
                               rtol=1e-6, atol=1e-8)
