"""Random programs over structured parameters (the pytree fuzzer): a dict holding a vector, a
float, a pair of vectors and a list of (vector, float) layers, read by index, by field, by
unpacking, by for-loops over `.items()`, `enumerate(...)` and unpacked targets, through a local
scratch dict and a helper taking a tuple. Each program's gradient with respect to the dict,
its forward-mode derivative and its vector-Jacobian product are checked against central
finite differences. TL_RANDOM_PROGRAMS sets the count (as for tests/test_control_flow.py).
"""
import dataclasses
import os
import random
from collections import namedtuple

import numpy as np
import pytest

import tangent_lite as tl
from helpers import load_program
from tangent_lite.pytree import tree_leaves, tree_map
from test_pytrees import assert_tree_close, numeric_tree_grad, total

N = 3

HEADER = '''import numpy as np


def pair_energy(pair):
    u, w = pair
    return np.tanh(u * w)


'''

# Each statement updates `acc`, a vector of length N; all are smooth.
STATEMENTS = [
    'acc = acc * np.cos(params["a"]) + params["b"]',
    'u, w = params["pair"]\n    acc = acc + np.tanh(u * w) * {c}',
    'for v, s in params["layers"]:\n        acc = np.tanh(acc * v + s)',
    'for name, p in params.items():\n        if name == "a":\n            acc = acc + np.sin(p)',
    'for i, (v, s) in enumerate(params["layers"]):\n        acc = acc + (i + {c}) * v * s',
    'u, (v, s) = params["pair"][0], params["layers"][1]\n    acc = acc * u + v * s',
    'a0, a1, a2 = params["a"]\n    acc = acc + a0 * a1 - {c} * a2',
    'cache = {{}}\n    cache["t"] = acc * params["b"]\n    acc = acc + cache["t"] * {c}',
    'acc = acc + pair_energy(params["pair"])',
    'for k in range(len(params["layers"])):\n        acc = acc * params["layers"][k][1] + '
    'params["layers"][k][0]',
    'for key in params.keys():\n        if key == "b":\n            acc = acc - params[key] * {c}',
    'first, second = params["layers"]\n    acc = acc + first[0] * second[1]',
    'g = params["gauss"]\n    acc = (acc - g.mu) * np.exp(-g.log_sigma)',
    'acc = acc + params["gauss"].mu * {c}',
    'cfg = params["cfg"]\n    acc = acc * cfg.scale + cfg.shift[0] * {c}',
]

RETURNS = ['np.sum(acc ** 2)', 'acc', 'np.sum(np.sin(acc)), acc[0] * {c}',
           '{{"total": np.sum(acc), "first": acc[0]}}']


def program(seed):
    r = random.Random(seed)
    lines = ["def f(params, x):", "    acc = x * 1.0"]
    for _ in range(r.randint(2, 6)):
        lines.append("    " + r.choice(STATEMENTS).format(c=round(r.uniform(0.2, 1.5), 2)))
    lines.append("    return " + r.choice(RETURNS).format(c=round(r.uniform(0.2, 1.5), 2)))
    return HEADER + "\n".join(lines) + "\n"


Gaussian = namedtuple("Gaussian", "mu log_sigma")


@dataclasses.dataclass
class Config:
    scale: float
    shift: np.ndarray
    steps: int = 2


def params_for(seed):
    g = np.random.default_rng(seed)

    def v():
        return g.uniform(-0.8, 0.8, size=N)
    return {"a": v(), "b": float(g.uniform(-0.8, 0.8)), "pair": (v(), v()),
            "layers": [(v(), float(g.uniform(0.3, 0.9))), (v(), float(g.uniform(0.3, 0.9)))],
            "gauss": Gaussian(v(), float(g.uniform(-0.5, 0.5))),
            "cfg": Config(float(g.uniform(0.5, 1.0)), v())}


@pytest.mark.parametrize("seed", range(int(os.environ.get("TL_RANDOM_PROGRAMS", 40))))
def test_random_structured_program(seed, tmp_path):
    text = program(seed)
    module = load_program(tmp_path / f"tree_prog_{seed}.py", text)
    params, x = params_for(seed), np.random.default_rng(seed + 1).uniform(-1, 1, size=N)
    got = tl.grad(module.f)(params, x)
    assert_tree_close(got, numeric_tree_grad(module.f, (params, x), 0), params, rtol=1e-5,
                      atol=1e-7)
    # forward mode along a random direction of the dict's structure
    direction = tree_map(lambda leaf: leaf * 0.0 + 0.3 if isinstance(leaf, np.ndarray)
                         else 0.7, params)
    _, dvalue = tl.jvp(module.f, (params, x), (direction, None))
    eps = 1e-6
    shifted = [module.f(tree_map(lambda p, d: p + s * eps * d, params, direction), x)
               for s in (1, -1)]
    assert np.isclose(total(dvalue), (total(shifted[0]) - total(shifted[1])) / (2 * eps),
                      rtol=1e-5, atol=1e-7), text
    # a vector-Jacobian product with weights of the result's structure
    value, pullback = tl.vjp(module.f, params, x)
    weights = tree_map(lambda leaf: np.full(np.shape(leaf), 0.5), value)

    def weigh(out):
        return sum(float(np.sum(np.asarray(a) * w)) for a, w in
                   zip(tree_leaves(out), tree_leaves(weights)))
    assert_tree_close(pullback(weights), numeric_tree_grad(module.f, (params, x), 0,
                                                           weigh=weigh), params)


@pytest.mark.parametrize("seed", [175, 518, 758])
def test_swaps_the_long_fuzzer_found(seed, tmp_path):
    """Programs of tests/test_control_flow.py's long mode that swap `s0, s1 = s1, s0` in a
    loop after an in-place update: the run-time alias check read the swap's temporary before
    its first assignment (UnboundLocalError)."""
    import test_control_flow
    test_control_flow.test_random_program(seed, tmp_path)
