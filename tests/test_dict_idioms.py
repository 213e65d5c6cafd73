"""Parameter dicts built and updated the way optimizer code writes them: dict comprehensions
(`{k: params[k] - lr * g[k] for k in params}`), writes at computed keys into a local dict
(`new[k] = ...` in a loop over `params`), `d.get(key, default)`, `d.update(k=v)` and
`acc[k] += ...`.

Comprehensions lower to a loop and `dict_of(keys, values)`; writes to
`new = dict_set(new, k, v)` where no other name holds the dict (frontend/dict_writes.py);
`.get` to a conditional read (frontend/dict_methods.py). Every derivative is checked against
central finite differences in float64: grad (dict gradients come back as dicts), vjp, jvp and
hvp. The near misses (an alias of the dict, a closure, a new key while walking the dict, an
entry's array changed in place while another name holds it) are refused with the file and
line.
"""
import numpy as np
import pytest

import tangent_lite as tl
from test_pytrees import check_jvp_hvp, check_tree_grad, check_vjp

RNG = np.random.default_rng(77)
X = RNG.normal(size=3)
G = {"w": np.array([0.5, -0.2, 0.1]), "b": np.array([0.3, 0.3, -0.1])}


def params():
    return {"w": RNG.normal(size=3), "b": RNG.normal(size=3)}


def check_all(f, args, i=0):
    check_tree_grad(f, *args, wrt=i)
    check_vjp(f, args, i)
    check_jvp_hvp(f, args, i)


# -- dict comprehensions --------------------------------------------------------------------

def sgd_comprehension(params, x):
    g = {k: 2 * params[k] * x for k in params}
    new = {k: params[k] - 0.1 * g[k] for k in params}
    return np.sum(new["w"] * new["b"])


def sgd_items(params, x):
    sq = {name: np.dot(p, x) * p for name, p in params.items()}
    return np.sum(sq["w"] @ sq["b"]) + np.mean(sq["w"])


def momentum(params, x):
    vel = {k: np.zeros_like(v) for k, v in params.items()}
    for step in range(3):
        grads = {k: np.tanh(params[k] * x) for k in params}
        vel = {k: 0.9 * vel[k] + grads[k] for k in vel}
        params = {k: params[k] - 0.05 * vel[k] for k in params}
    return np.sum(params["w"] ** 2) + np.sum(params["w"] * params["b"])


def filtered(params, x):
    sq = {k: np.sum(v ** 2) for k, v in params.items() if k != "b"}
    return sq["w"] * np.sum(x)


def update(params, grads, lr=0.1):
    return {k: params[k] - lr * grads[k] for k in params}


def through_a_function(params, x):
    new = update(params, {k: v * x for k, v in params.items()})
    return np.sum(new["w"] * new["b"])


def returns_the_dict(params, x):
    return {k: params[k] * x for k in sorted(params)}


@pytest.mark.parametrize("f", [sgd_comprehension, sgd_items, momentum, filtered,
                               through_a_function, returns_the_dict])
def test_dict_comprehension_over_an_argument_dict(f):
    args = (params(), X.copy())
    check_all(f, args, 0)
    check_all(f, args, 1)
    assert isinstance(tl.grad(f)(*args), dict)


def local_comprehension(x):
    d = {k: x[i:i + 3] for i, k in enumerate(("a", "b"))}
    return np.sum(d["a"] * d["b"])


def repeated_keys(x):
    d = {k % 2: x[k] * (k + 1) for k in range(4)}   # the later value at a key wins
    return d[0] * d[1]


@pytest.mark.parametrize("f", [local_comprehension, repeated_keys])
def test_dict_comprehension_in_the_function(f):
    check_all(f, (RNG.normal(size=6),))


def test_the_comprehension_reads_as_a_loop():
    src = tl.source(sgd_comprehension)
    assert "g = dict_of(g_keys, g_values)" in src
    assert "dnew_values = undict(dnew, new_keys, new_values)" in src


# -- writes at computed keys ----------------------------------------------------------------

def new_dict_loop(params, x):
    new = {}
    for k in params:
        new[k] = params[k] - 0.1 * G[k] * x
    return np.sum(new["w"] * new["b"])


def new_dict_items(params, x):
    new = {}
    for k, v in params.items():
        new[k] = v - 0.1 * v * x
    return np.sum(new["w"] * new["b"])


def overwrite_in_place(params, x):
    state = {k: v * 1.0 for k, v in params.items()}
    for step in range(2):
        for k in state:
            state[k] = np.sin(state[k]) * x
    return state


def accumulate(params, x):
    acc = {}
    for k in params:
        acc[k] = np.sum(params[k])
    for i in range(3):
        for k in acc:
            acc[k] += np.sum(params[k] * x * (i + 1))
    return acc["w"] * acc["b"]


def get_with_default(params, x):
    d = {}
    d["w"] = params["w"] * x
    d["b"] = d.get("b", 0.0) + params.get("b") * 2
    return np.sum(d["w"] * d["b"]) + np.sum(params.get("c", x))


def sgd_steps_into_a_new_dict(params, x):
    for step in range(3):
        new = {}
        for k in params:
            new[k] = params[k] - 0.1 * G[k] * np.sum((params[k] * x) ** 2)
        params = new
    return np.sum(params["w"] * params["b"])


def update_with_keywords(params, x):
    p = {"w": params["w"] * x, "b": params["b"]}
    p.update(w=p["w"] * 2, c=np.sin(params["b"]))
    return np.sum(p["w"] * p["b"] * p["c"])


def update_with_a_literal_in_a_loop(params, x):
    p = {}
    for i in range(2):
        p.update({"a": params["w"] * (i + 1), "b": p.get("a", 1.0) * x ** 2})
    return np.sum(p["a"] * p["b"])


@pytest.mark.parametrize("f", [new_dict_loop, new_dict_items, overwrite_in_place, accumulate,
                               get_with_default, sgd_steps_into_a_new_dict,
                               update_with_keywords,
                               update_with_a_literal_in_a_loop])
def test_writes_at_computed_keys(f):
    args = (params(), X.copy())
    check_all(f, args, 0)
    check_all(f, args, 1)


def test_a_write_rebuilds_the_dict():
    assert "new = dict_set(new, k, " in tl.source(new_dict_items)
    assert "dict_unset(dnew, k)" in tl.source(new_dict_items)


# -- refused ----------------------------------------------------------------------------------

def through_an_alias(x):
    scaled = {k: x * k for k in (1.0, 2.0)}
    alias = scaled
    scaled[1.0] = x ** 2
    return np.sum(alias[1.0])


def a_new_key_while_walking(x):
    d = {"a": x}
    for k in d:
        d[k + "2"] = x
    return np.sum(d["a"])


def through_values(x):
    d = {"a": x, "b": 2 * x}
    for v in d.values():
        d["a"] = v * x
    return np.sum(d["a"])


def in_a_closure(x):
    d = {"a": x}

    def put(v):
        d["a"] = v
    put(x * 2)
    return np.sum(d["a"])


def written_after_its_alias(x):
    new = {}
    new["a"] = x[:3]
    old = new
    new["a"] = x * 2
    return np.sum(old["a"])


def aliased_entry(x):
    h = x * 1.0
    d = {"a": h}
    for k in ("a",):
        d[k] += x ** 2
    return np.sum(h)


@pytest.mark.parametrize("f", [through_an_alias, a_new_key_while_walking, through_values,
                               in_a_closure, aliased_entry, written_after_its_alias])
def test_near_misses_are_refused(f):
    with pytest.raises(tl.TangentLiteError) as info:
        tl.grad(f)(X.copy())
    assert "test_dict_idioms.py:" in str(info.value)


class _Config:
    def get(self, key, default=None):
        return 3.0


def scaled_by_a_setting(cfg, x):
    return np.sum(x ** 2) * cfg.get("scale", 1.0)


def test_get_of_a_mapping_argument_and_of_another_object():
    from types import MappingProxyType
    x = X.copy()
    got = tl.grad(scaled_by_a_setting, wrt=1)(MappingProxyType({"scale": 2.0}), x)
    np.testing.assert_allclose(got, 4.0 * x, rtol=1e-12)
    # an object whose `.get` is its own method: not read as a mapping, refused
    with pytest.raises(tl.TangentLiteError, match="`.get` of a _Config"):
        tl.grad(scaled_by_a_setting, wrt=1)(_Config(), x)
