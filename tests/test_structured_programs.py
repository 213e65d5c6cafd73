"""Programs that combine the ways people structure code (issue 13): comprehensions over
tuples of a pytree, a model method taking a dict and returning aux, a partial of a function of
a dataclass, a helper writing into an array it is given, called from a method. Each gradient
is checked against central finite differences in float64."""
import dataclasses
import functools

import numpy as np
import pytest

import tangent_lite as tl
from tests.helpers import numeric_grad

rng = np.random.default_rng(7)
X = rng.normal(size=(5, 3))
W0 = rng.normal(size=3)


def batches_loss(w, batches):
    return sum(np.sum((xb @ w - yb) ** 2) for xb, yb in batches)


def layers_comprehension(params, x):
    hs = [np.tanh(x @ W + b) for W, b in params]
    return sum(np.sum(h) for h in hs)


class Model:
    def __init__(self, X):
        self.X = X

    def loss(self, params):
        h = np.tanh(self.X @ params["W"] + params["b"])
        return np.mean(h ** 2), h


@dataclasses.dataclass
class Params:
    w: np.ndarray
    scale: float


def dataclass_loss(p, x):
    return np.sum(np.sin(x * p.w)) * p.scale


def _standardise_in_place(A):
    for j in range(A.shape[1]):
        col = A[:, j]
        col -= col.mean()


class Standardised:
    def __init__(self, X):
        self.X = X

    def loss(self, w):
        Z = self.X * 1.0
        _standardise_in_place(Z)
        return np.sum(np.tanh(Z @ w) ** 2)


def test_generator_over_tuples_of_batches():
    batches = [(X[:2], np.ones(2)), (X[2:], np.zeros(3))]
    np.testing.assert_allclose(tl.grad(batches_loss)(W0, batches),
                               numeric_grad(batches_loss, (W0, batches), 0), rtol=1e-6)


def test_list_comprehension_over_layer_tuples():
    params = [(rng.normal(size=(3, 3)), np.zeros(3)), (rng.normal(size=(3, 3)), np.ones(3))]
    g = tl.grad(layers_comprehension)(params, X)
    assert type(g) is list and type(g[0]) is tuple
    for k in range(2):
        for j in range(2):
            def f(leaf, k=k, j=j):
                p = [list(t) for t in params]
                p[k][j] = leaf
                return layers_comprehension([tuple(t) for t in p], X)
            np.testing.assert_allclose(g[k][j], numeric_grad(f, (params[k][j],), 0),
                                       rtol=1e-6, atol=1e-9)


def test_method_with_dict_parameters_and_aux():
    m = Model(X)
    prm = {"W": rng.normal(size=(3, 2)), "b": np.zeros(2)}
    g, aux = tl.grad(m.loss, has_aux=True)(prm)
    np.testing.assert_array_equal(aux, m.loss(prm)[1])
    for key in prm:
        def f(leaf, key=key):
            return m.loss(dict(prm, **{key: leaf}))[0]
        np.testing.assert_allclose(g[key], numeric_grad(f, (prm[key],), 0), rtol=1e-6,
                                   atol=1e-10)


def test_partial_of_a_function_of_a_dataclass():
    p = Params(W0, 2.0)
    g = tl.grad(functools.partial(dataclass_loss, x=X[0]))(p)
    assert type(g) is Params and type(g.scale) is float
    np.testing.assert_allclose(g.w, numeric_grad(lambda w: dataclass_loss(Params(w, 2.0), X[0]),
                                                 (W0,), 0), rtol=1e-6)
    np.testing.assert_allclose(g.scale, np.sum(np.sin(X[0] * W0)), rtol=1e-12)


def test_method_calling_a_helper_that_writes_into_its_argument():
    """The helper is inlined (its parameter a plain alias of Z, written through column views
    in a loop): differentiated as NumPy runs it, the caller's Z standardised in place."""
    m = Standardised(X)
    g = tl.grad(m.loss)(W0)
    np.testing.assert_allclose(g, numeric_grad(m.loss, (W0,), 0), rtol=1e-6, atol=1e-10)
    value, g2 = tl.value_and_grad(m.loss)(W0)
    assert value == m.loss(W0)
    np.testing.assert_array_equal(g, g2)


def test_a_writing_helper_from_another_module_is_refused(tmp_path, monkeypatch):
    """Inlined only from the caller's own module; elsewhere it would be differentiated on
    copies (the caller would not see its write): refused, naming the call."""
    (tmp_path / "other_helpers.py").write_text("def update(v, d):\n    v += d\n    return 0.0\n")
    (tmp_path / "user_code.py").write_text(
        "import numpy as np\nimport other_helpers\n\n\ndef f(x):\n    y = np.sin(x)\n"
        "    t = other_helpers.update(y, x ** 2)\n    return np.sum(y * x) + t\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import user_code
    with pytest.raises(tl.TangentLiteError) as err:
        tl.grad(user_code.f)(W0)
    assert err.value.lineno == 7 and "other_helpers.update" in str(err.value)
    assert "return the new array" in str(err.value)


def test_the_issue_programs_all_differentiate():
    """tools/structured_programs.py: the sixteen patterns of issue 13 (tangent-ad: 5 of 16,
    autograd: 10 of 16, by tools/compare_structured.py)."""
    import importlib.util
    import pathlib
    path = pathlib.Path(__file__).resolve().parent.parent / "tools" / "structured_programs.py"
    spec = importlib.util.spec_from_file_location("structured_programs", path)
    programs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(programs)
    for name, (f, args, check) in programs.CASES.items():
        assert check(tl.grad(f)(*args)), name
