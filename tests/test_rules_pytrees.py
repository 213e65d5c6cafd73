"""The rules of rules/pytrees.py: a field read (`getattr`, what `p.log_sigma` is) of a
namedtuple, a dataclass and a registered container, and a dict literal (dict_of), against
central finite differences in both modes and through a Hessian-vector product.

CASES follows tests/test_rules.py: (function, case function, arguments, wrt). The arguments
are structured here, so the checks are this module's own (test_pytrees.py's helpers over the
leaves) rather than rule_checks'.
"""
import dataclasses
from collections import namedtuple

import numpy as np
import pytest

from tangent_lite.runtime import dict_of
from test_pytrees import check_jvp_hvp, check_tree_grad, check_vjp
from test_rules import Case

Pair = namedtuple("Pair", "scale shift")


@dataclasses.dataclass
class Affine:
    W: np.ndarray
    b: np.ndarray
    label: str = "layer"


def field_of_namedtuple(p, x):
    return np.sum(np.sin(getattr(p, "scale") * x) + p.shift ** 2)


def field_of_dataclass(layer, x):
    return np.sum(np.tanh(x @ getattr(layer, "W") + layer.b) ** 2)


def dict_literal(a, b):
    parts = {"a": a * b, "b": np.cos(b)}
    return np.sum(parts["a"] * parts["b"]) + np.sum(parts["b"])


rng = np.random.default_rng(20261203)
CASES = [
    Case(getattr, field_of_namedtuple, (Pair(rng.normal(size=3), 0.4), rng.normal(size=3)),
         (0,)),
    Case(getattr, field_of_dataclass, (Affine(rng.normal(size=(3, 2)), rng.normal(size=2)),
                                       rng.normal(size=(4, 3))), (0,)),
    Case(dict_of, dict_literal, (rng.normal(size=3), 0.7), (0, 1)),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.f.__name__)
def test_rule_in_both_modes_and_second_order(c):
    check_tree_grad(c.f, *c.args, wrt=c.wrt if len(c.wrt) > 1 else c.wrt[0])
    for i in c.wrt:
        check_vjp(c.f, c.args, i)
        check_jvp_hvp(c.f, c.args, i)
