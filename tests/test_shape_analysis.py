"""The shape analysis (analysis/shapes.py): where it lets unbroadcast go, where it must not,
and which functions get a variant of df for numbers. Gradients are checked against finite
differences; the source checks pin the optimizations down so they cannot silently regress."""
import numpy as np
import pytest

import tangent_lite
from tangent_lite import compiled, pipeline
from tangent_lite.analysis.shapes import SCALAR, ShapeFacts
from tangent_lite.frontend.normalize import normalize
from tangent_lite.frontend.parse import parse_function
from tangent_lite.emit import Namer

from helpers import check_grad


def facts(f, numbers=False):
    parsed = parse_function(f)
    namer = Namer()
    fn = normalize(parsed, namer, compiled.Bindings(namer, parsed))
    return ShapeFacts(fn, numbers=numbers)


def scaled_sines(a):
    s = 0.0
    for i in range(20):
        s = s + np.sin(a * i) * a
    return s


def row_sum(x, b):
    return np.sum(np.tanh(x @ b) + b)


def branchy(x, p):
    if p > 0:
        z = x * 2.0
    else:
        z = 2.0
    return np.sum(z * x)


def reduced(x):
    return np.sum(x * x) * x[0]


def test_result_shapes():
    assert facts(scaled_sines).result is None            # () on entry, a's shape after a step
    assert facts(scaled_sines, numbers=True).result == SCALAR
    assert facts(scaled_sines, numbers=True).elementwise
    assert not facts(row_sum, numbers=True).elementwise  # a matrix product
    assert facts(row_sum).result == SCALAR               # a full reduction is 0-d anyway
    assert not facts(reduced, numbers=True).elementwise  # indexing


def test_unbroadcast_goes_where_operands_share_a_shape():
    source = tangent_lite.source(scaled_sines)
    body = source.split("return grad_scaled_sines_numbers(a)")[1]
    # a * i, np.sin(.) * a: both operands have a's shape; only `s` may be () or a's shape.
    assert body.count("unbroadcast(") == 2, body
    check_grad(scaled_sines, np.linspace(-1.0, 1.0, 4))
    check_grad(scaled_sines, 0.3)


def test_unbroadcast_stays_where_branches_disagree():
    source = tangent_lite.source(branchy)
    backward = source.split("Backward")[1]
    # z's gradient is still summed to z's shape: unbroadcast(dt_mul * x, z), written as the
    # fused sum_product(dt_mul, x, z) (optimize/fused.py), which unbroadcasts the same way
    assert ("unbroadcast(dt_mul, z)" in source or "unbroadcast(" in backward
            or "sum_product(dt_mul, x, z)" in backward)
    x = np.linspace(0.5, 1.5, 3)
    check_grad(branchy, x, 1.0)
    check_grad(branchy, x, -1.0)


def test_numbers_variant_only_for_elementwise_functions():
    assert pipeline.reverse(scaled_sines, ("a",)).numbers is not None
    assert pipeline.reverse(row_sum, ("x", "b")).numbers is None
    assert pipeline.reverse(reduced, ("x",)).numbers is None


def test_numbers_variant_is_lean():
    variant = tangent_lite.source(scaled_sines, numbers=True)
    for gone in ("unbroadcast", "shaped(", "ones_like", "unit_like"):
        assert gone not in variant, gone
    assert "ds = 1.0" in variant
    forward = [line.strip() for line in variant.split("Backward")[0].splitlines()]
    assert not [line for line in forward if line.startswith("s = ")]   # value not needed


@pytest.mark.parametrize("a", [0.3, -1.2, np.float64(0.7), 2])
def test_numbers_variant_is_taken_and_right(a):
    g = tangent_lite.grad(scaled_sines)(a) if not isinstance(a, int) else None
    if g is None:
        with pytest.raises(tangent_lite.TangentLiteError, match="integer"):
            tangent_lite.grad(scaled_sines)(a)
        return
    assert type(g) is type(a)
    expected = sum(np.sin(a * i) + a * i * np.cos(a * i) for i in range(20))
    np.testing.assert_allclose(g, expected, rtol=1e-13)


def test_no_variant_source_is_an_error():
    with pytest.raises(tangent_lite.TangentLiteError, match="no variant for numbers"):
        tangent_lite.source(row_sum, numbers=True)


def mean_square(x):
    return np.mean(x * x) + np.sum(np.max(x, axis=0))


@pytest.mark.parametrize("shape", [(3, 4), (300, 250)])   # reductions unreduced into small
def test_reductions_of_small_and_large_arrays(shape):     # (filled) and large (views) arrays
    x = np.random.default_rng(1).normal(size=shape)
    g = tangent_lite.grad(mean_square)(x)
    expected = 2 * x / x.size + (x == x.max(axis=0))
    np.testing.assert_allclose(g, expected, rtol=1e-13, atol=1e-15)
    assert g.flags.writeable and g.dtype == np.float64
    g32 = tangent_lite.grad(mean_square)(x.astype(np.float32))
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, expected, rtol=1e-5, atol=1e-6)


# -- calls of the user's own functions: their results' shapes come from their summaries --------

def sigmoid(z, scale=1.0):
    return scale / (1.0 + np.exp(-z))


def first_row(m):
    return m[0] * 2.0


def logistic_sum(a, b):
    s = 0.0
    for i in range(30):
        s = s + sigmoid(a * i - b) * a + sigmoid(b, scale=0.5)
    return s


def through_indexing(a):
    return np.sum(first_row(a * a) * a)


def test_a_helper_computing_elementwise_keeps_the_caller_elementwise():
    compiled = pipeline.reverse(logistic_sum, ("a", "b"))
    assert compiled.numbers is not None
    assert "unbroadcast" not in compiled.numbers.source
    for args in [(0.3, 0.2), (np.float64(-0.4), 0.7), (np.array([0.3, -0.1]), 0.2),
                 (0.3, np.array([[0.2], [-0.5]]))]:
        check_grad(logistic_sum, *args, wrt=(0, 1))


def test_a_helper_that_indexes_is_not_elementwise():
    assert pipeline.reverse(through_indexing, ("a",)).numbers is None
    check_grad(through_indexing, np.array([[0.3, -0.1], [0.5, 0.2]]))


def test_rebinding_what_a_helper_relied_on_recompiles(tmp_path, monkeypatch):
    """The caller's gradient relied on the helper's shape summary (its global STEP is a
    number, so `inner(b) * a` has a's shape): rebinding the helper's global recompiles it."""
    from helpers import load_program
    module = load_program(tmp_path / "shapes_helper.py", (
        "import numpy as np\nSTEP = 0.5\n\n\ndef inner(u):\n    return STEP * 2.0\n\n\n"
        "def outer(a, b):\n    return np.sum(inner(b) * a)\n"))
    a, b = np.array([0.3, -0.2, 0.5]), 0.7
    check_grad(module.outer, a, b)
    assert "unbroadcast" not in tangent_lite.source(module.outer)
    monkeypatch.setattr(module, "STEP", np.array([[1.0], [2.0]]))   # now inner(b) is (2, 1)
    check_grad(module.outer, a, b)
