"""The runtime package: one public list of names, and the helper metadata its annotations declare."""
import ast
import inspect

import numpy as np

from tangent_lite import runtime
from tangent_lite.aot import runtime_source
from tangent_lite.runtime import meta

# The tables the compiler kept by hand before the helpers declared them (the stack plan's
# SHAPE_ARGS, in-place accumulation's FRESH): the annotations must say exactly this.
SHAPE_ARGS = {"unbroadcast": (1,), "unreduce": (1,), "unindex": (1,), "zeros_grad": (0,),
              "matmul_lhs": (1,), "matmul_rhs": (2,), "dot_lhs": (1,), "dot_rhs": (2,),
              "grad_like": (1,), "undiff": (1, 4, 5), "unfield": (1,), "field": (1,),
              "undict": (2,), "sum_product": (2,), "sum_product_of_difference": (4,),
              "add_item": (3,), "unindex_product": (2, 3),
              "add_row_slices": (2,), "unset": (2,), "unrecord": (1, 2), "record_tangent": (1,),
              "polyval_powers": (1,), "convolve_padding": (0, 1), "trapezoid_weights": (0,),
              "untrapezoid": (1,), "uninterp": (3,), "dict_entry": (2,), "unzipped": (1,),
              "undict_zipped": (2,)}
FRESH = {"unindex", "matmul_lhs", "matmul_rhs", "dot_lhs", "dot_rhs", "prod_adjoint",
         "unset", "scatter_add", "scatter_subtract", "scatter_multiply", "scatter_maximum",
         "scatter_minimum", "flatten", "unfield", "sum_product", "sum_quotient",
         "sum_product_of_difference", "unindex_product", "untrapezoid", "uninterp", "dict_unset"}


def _helpers():
    return [name for name, (_, _, module) in runtime_source._definitions().items()
            if inspect.isfunction(getattr(module, name))]


def test_shape_args_reproduce_the_table():
    found = {name: runtime.shape_args(name) for name in _helpers() if runtime.shape_args(name)}
    assert found == SHAPE_ARGS
    assert runtime.shape_args("no_such_helper") == ()
    assert runtime.shape_args("add_at") == ()


def test_is_fresh_reproduces_the_table():
    assert {name for name in _helpers() if runtime.is_fresh(name)} == FRESH
    assert not runtime.is_fresh("no_such_helper")
    assert not runtime.is_fresh("unbroadcast")   # returns g itself when the shapes agree


def test_annotations_are_the_two_words():
    for name, (text, _, _) in runtime_source._definitions().items():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.arg) and node.annotation is not None:
                assert ast.literal_eval(node.annotation) == meta.SHAPE, name
            if isinstance(node, ast.FunctionDef) and node.returns is not None:
                assert ast.literal_eval(node.returns) == meta.FRESH, name


def test_one_public_list_of_names():
    assert len(runtime.__all__) == len(set(runtime.__all__))
    for name in runtime.__all__:
        assert getattr(runtime, name) is runtime_source.objects()[name], name


def test_modules_import_numpy_and_each_other_downwards():
    order = [m.__name__.rpartition(".")[2] for m in runtime.MODULES]
    # the pytree containers, the dispatch checks, list gradients, then core, at the bottom
    assert order[:4] == ["trees", "dispatch", "lists", "core"]
    for k, module in enumerate(runtime.MODULES):
        tree = ast.parse(inspect.getsource(module))
        for node in tree.body:
            if isinstance(node, ast.Import):
                assert [a.name for a in node.names] == ["numpy"]
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 1 and order.index(node.module) < k, module.__name__


def test_copied_helpers_span_modules():
    # svd_adjoint (linalg) raises InputError and calls _mT; lstsq_tangent needs zeros_grad (lists).
    needed = runtime_source.closure(["lstsq_tangent"])
    assert {"lstsq_tangent", "svd_tangent", "_mT", "zeros_grad", "GradList", "float_dtype"} \
        <= set(needed)
    assert needed.index("zeros_grad") < needed.index("lstsq_tangent")    # lists first
    text = runtime_source.source(["lstsq_adjoint"])
    assert "InputError = TypeError" in text and "from ." not in text
    namespace = {"np": np}
    exec(compile(text, "<copy>", "exec"), namespace)
    a = np.array([[2.0, 1.0], [1.0, 3.0], [0.5, 0.2]])
    b = np.array([1.0, 2.0, 3.0])
    y = np.linalg.lstsq(a, b, rcond=None)
    g = (np.ones(2), np.zeros(np.shape(y[1])), 0, np.zeros(2))
    ga, gb = namespace["lstsq_adjoint"](g, y, a, b)
    want_a, want_b = runtime.lstsq_adjoint(g, y, a, b)
    np.testing.assert_allclose(ga, want_a)
    np.testing.assert_allclose(gb, want_b)
    assert runtime_source.imports() == [("numpy", "np")]
