"""The rule table as a whole (tangent_lite/rules): one rule per function and mode, both modes for
every differentiable function (or a documented reason), names checked when a rule is
registered, and linear(...) templates that behave as the hand-written ones they replace.

tests/test_rules*.py check each rule against finite differences; this file checks the table.
"""
import ast
import inspect
import linecache
import math
import sys
import textwrap

import gast
import numpy as np
import pytest

import tangent_lite
from tangent_lite import MissingRuleError, d
from tangent_lite.rules import linear, registry
from tangent_lite.rules.registry import all_primitives
from tangent_lite.rules.template import Template, linear_source

PACKAGE = "tangent_lite.rules"

# Functions with a rule in one mode only, and why. The helpers of tangent_lite.runtime appear
# only in generated gradient code; second derivatives are forward mode over that code and
# gradient code is never differentiated in reverse mode again, so they need (and have) a
# forward rule only. Keyed by name: the helpers may move between modules of the runtime.
HELPERS = "runtime helper of gradient code: differentiated only forward (second derivatives)"
FORWARD_ONLY = dict.fromkeys([
    # the compiler's own
    "grad_like", "grads_like", "add_grads", "add_item", "saved", "owned", "unset", "add_at",
    # of arithmetic, builtins, and the basic reductions, shapes and products
    "unbroadcast", "unreduce", "unindex", "untranspose", "unconcatenate", "unstack", "unsum",
    "unarray", "unastype", "select_arg", "matmul_lhs", "matmul_rhs", "dot_lhs", "dot_rhs",
    "unlist",
    # optimize/fused.py: sums of products; optimize/slices.py: a slice read's product and
    # the add into a slice still zero; optimize/rows.py: the slices of a parameter's row added
    # into its gradient's row
    "sum_product", "sum_quotient", "unindex_product", "set_at", "add_row_slices",
    # optimize/differences.py: a sum of products with a pairwise difference, split in two
    "sum_product_of_difference",
    # pytrees.py: field reads, records built, dict literals and writes at computed keys
    "unfield", "field", "undict", "unrecord", "record_tangent", "dict_unset", "dict_entry",
    # zips.py: zip used as a value
    "unzipped", "undict_zipped",
    # linalg.py: a Hessian-vector product through np.linalg.norm
    "norm_grad",
    # elementwise.py, reductions.py
    "unsort", "uncumsum", "average_adjoint", "div_or_zero",
    # pymath.py (math.lgamma, math.gamma)
    "digamma",
    # shapes.py
    "undiff", "unbroadcast_to", "untile", "unrepeat", "unresize", "unpad", "unpad_fill", "undiag",
    "undiagonal", "untrace", "untake", "untake_along_axis", "undelete", "uninsert", "unappend",
    "unjoin", "unatleast",
    # linalg.py
    "solve_adjoint", "slogdet_adjoint", "einsum_adjoint", "tensordot_adjoint", "inner_adjoint",
    "kron_adjoint", "cross_adjoint", "outer_adjoint",
    # fft.py
    "fft_adjoint", "real_like", "abs_adjoint",
    # scatter.py
    "scatter_multiply_others",
    # numerical.py
    "untrapezoid", "uninterp",
], HELPERS)
REVERSE_ONLY = {}   # none


@pytest.fixture
def isolated_rules():
    """Rules registered by a test are removed afterwards."""
    saved = registry.snapshot()
    yield
    registry.restore(saved)


def _where(r):
    return f"{r.filename}:{r.lineno}"


# ---- one rule per function and mode ---------------------------------------------------------

def test_no_function_is_registered_twice_in_the_same_mode_by_the_package():
    clashes = [f"{registry.display_name(later.func)} ({later.mode}): {_where(later)} replaces "
               f"{_where(earlier)}" for earlier, later in registry.duplicates()]
    assert not clashes, "\n".join(clashes)


def test_the_registry_records_which_module_registered_each_rule():
    by_module = {}
    for r in registry.registrations():
        by_module.setdefault(r.module, set()).add(r.mode)
    for name in ("arithmetic", "elementwise", "reductions", "shapes", "linalg", "fft",
                 "builtins", "runtime_helpers"):
        assert by_module[f"{PACKAGE}.{name}"] >= {"tangent"}, name
    live = {(p.func, "adjoint"): p.adjoint for p in all_primitives()}
    live.update({(p.func, "tangent"): p.tangent for p in all_primitives()})
    for r in registry.registrations():
        if r.module.startswith(PACKAGE + ".") and r.mode != "nondifferentiable":
            template = live[r.func, r.mode]
            assert (template.module, template.location()) == (r.module, (r.filename, r.lineno))


def _write_module(tmp_path, package, name, text):
    (tmp_path / package).mkdir(exist_ok=True)
    (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / package / f"{name}.py").write_text(textwrap.dedent(text))


def softplus(x):
    return np.log1p(np.exp(x))


def test_duplicates_lists_a_package_registering_a_function_twice(tmp_path, isolated_rules,
                                                                 monkeypatch):
    rule = """
        import numpy as np
        from tangent_lite.rules import adjoint, d, nondifferentiable
        from test_rule_table import softplus

        @adjoint(softplus)
        def _(y, x): d[x] = d[y] / (1.0 + np.exp(-x))
        """
    _write_module(tmp_path, "fakerules", "one", rule)
    _write_module(tmp_path, "fakerules", "two", rule)
    _write_module(tmp_path, "fakerules", "three", rule.replace(
        "@adjoint(softplus)\n        def _(y, x): d[x] = d[y] / (1.0 + np.exp(-x))",
        "nondifferentiable(softplus)"))
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        for name in ("one", "two", "three"):
            __import__(f"fakerules.{name}")
        found = [(a.module, b.module, b.mode) for a, b in registry.duplicates("fakerules")]
        assert found == [("fakerules.one", "fakerules.two", "adjoint"),
                         ("fakerules.two", "fakerules.three", "nondifferentiable")]
        later = registry.duplicates("fakerules")[0][1]
        assert (later.filename, later.lineno) == (str(tmp_path / "fakerules" / "two.py"), 6)
        assert registry.duplicates() == []      # not the package's
    finally:
        for name in ("fakerules.one", "fakerules.two", "fakerules.three", "fakerules"):
            sys.modules.pop(name, None)


def uses_softplus(x):
    return np.sum(softplus(x))


def test_a_user_registering_again_replaces_the_rule_and_is_no_duplicate(isolated_rules):
    @tangent_lite.adjoint(softplus)
    def _(y, x): d[x] = d[y] * 0.0

    @tangent_lite.adjoint(softplus)
    def _(y, x): d[x] = d[y] / (1.0 + np.exp(-x))
    x = np.array([0.3, -1.2])
    np.testing.assert_allclose(tangent_lite.grad(uses_softplus)(x), 1 / (1 + np.exp(-x)))
    assert registry.duplicates() == []


# ---- both modes -----------------------------------------------------------------------------

def test_every_differentiable_function_has_both_modes_or_a_documented_reason():
    forward_only, reverse_only = set(), set()
    for p in all_primitives():
        if p.nondiff:
            continue
        assert p.adjoint is not None or p.tangent is not None, p.name
        name = getattr(p.func, "__name__", p.name)
        if p.adjoint is None:
            assert p.func.__module__.startswith("tangent_lite.runtime"), p.name
            forward_only.add(name)
        if p.tangent is None:
            reverse_only.add(name)
    assert forward_only == set(FORWARD_ONLY), (forward_only ^ set(FORWARD_ONLY))
    assert reverse_only == set(REVERSE_ONLY), (reverse_only ^ set(REVERSE_ONLY))


# ---- names are checked when a rule is registered ----------------------------------------------

def test_every_template_of_the_package_names_only_what_its_module_defines():
    unknown = []
    for p in all_primitives():
        for mode in ("adjoint", "tangent"):
            template = getattr(p, mode)
            if template is not None and template.module.startswith(PACKAGE):
                unknown += [(p.name, mode, name, line) for name, line in
                            template.unknown_names(forward=mode == "tangent")]
    assert not unknown, unknown


def test_a_rule_naming_an_unknown_function_fails_at_registration(isolated_rules):
    line = inspect.currentframe().f_lineno + 5
    with pytest.raises(MissingRuleError) as info:

        @tangent_lite.adjoint(math.dist)
        def _(y, x):
            d[x] = d[y] * digamma(x)  # noqa: F821 (the point of the test)
    err = info.value
    assert (err.filename, err.lineno) == (__file__, line)
    assert f"{__file__}:{line}: " in str(err)
    assert "`digamma`" in str(err) and "math.dist" in str(err)
    assert registry.lookup(math.dist) is None      # nothing was registered

    with pytest.raises(MissingRuleError, match="`digamma`"):
        @tangent_lite.tangent_rule(math.dist)
        def _(y, x): d[y] = d[x] * digamma(x)  # noqa: F821
    assert registry.lookup(math.dist) is None


def test_a_rule_may_use_its_parameters_temporaries_module_names_and_builtins(isolated_rules):
    @tangent_lite.adjoint(softplus)
    def _(y, x):
        s = 1.0 / (1.0 + np.exp(-x))
        d[x] = d[y] * abs(s)
    assert registry.lookup(softplus).adjoint is not None


def scaled_sum(a, b):
    return a + 2.0 * b


def test_a_forward_term_of_several_tangents_needs_zeros_grad_in_its_module(isolated_rules):
    # for a call where only one argument has a tangent, the other is filled in with zeros_grad
    with pytest.raises(MissingRuleError, match="`zeros_grad`"):
        linear(scaled_sum, params="y, a, b", wrt=("a", "b"))
    assert registry.lookup(scaled_sum) is None


# ---- linear(...) ---------------------------------------------------------------------------

def hand_transpose(y, a, axes=None): d[y] = np.transpose(d[a], axes=axes)


def _names(namespace):
    return {k: k for k in namespace}


def _filled(template, args, keywords):
    binding = template.bind(args, keywords)
    stmts, expr = template.fill_tangent(
        binding, gast.Name(id="out", ctx=gast.Load(), annotation=None, type_comment=None),
        lambda p: gast.Name(id=f"d_{gast.dump(binding[p])[-12:-2]}", ctx=gast.Load(),
                            annotation=None, type_comment=None) if p == "a" else None,
        _names(vars(np)) | {"np": "np"}, lambda base: base)
    return [gast.dump(s) for s in stmts], gast.dump(expr)


def test_linear_writes_the_template_one_would_write_by_hand():
    t = registry.lookup(np.transpose).tangent
    assert t.source == "def _(y, a, axes=None): d[y] = np.transpose(d[a], axes=axes)"
    hand = Template(hand_transpose)
    assert isinstance(t, Template)
    assert t.tangent_params() == hand.tangent_params() == {"a"}
    assert t.differentiable_params() == hand.differentiable_params()
    assert t.signature == hand.signature and (t.result, t.params) == (hand.result, hand.params)
    x = gast.Name(id="x", ctx=gast.Load(), annotation=None, type_comment=None)
    axes = gast.Tuple(elts=[gast.Constant(value=1, kind=None), gast.Constant(value=0, kind=None)],
                      ctx=gast.Load())
    for args, keywords in (([x], {}), ([x, axes], {}), ([x], {"axes": axes})):
        assert _filled(t, args, keywords) == _filled(hand, args, keywords)
    # it is registered where the linear(...) line is
    (r,) = [r for r in registry.registrations() if r.func is np.transpose and r.mode == "tangent"]
    assert r.module == "tangent_lite.rules.shapes" and t.location() == (r.filename, r.lineno)
    assert linecache.getline(r.filename, r.lineno).startswith("linear(np.transpose)")


def test_linear_templates_of_several_arguments_and_explicit_parameters():
    insert = registry.lookup(np.insert).tangent
    assert insert.source == ("def _(y, arr, obj, values, axis=None): "
                             "d[y] = np.insert(d[arr], obj, d[values], axis=axis)")
    assert insert.tangent_params() == {"arr", "values"}
    unreduce = registry.lookup(tangent_lite.runtime.unreduce).tangent
    assert unreduce.source == ("def _(y, g, x: Shape, axis=None, keepdims=False): "
                               "d[y] = unreduce(d[g], x, axis=axis, keepdims=keepdims)")
    assert unreduce.shape_params == {"x"} and unreduce.tangent_params() == {"g", "x"}
    assert linear_source("y, *arys", "np.atleast_1d") == \
        "def _(y, *arys): d[y] = np.atleast_1d(*d[arys])"


def double(x):
    return 2.0 * x


def uses_double(x):
    return np.sum(double(x) ** 2)


def test_a_user_linear_rule_is_checked_and_used(isolated_rules):
    linear(double, params="y, x")
    t = registry.lookup(double).tangent
    assert t.module == __name__ and t.source == "def _(y, x): d[y] = double(d[x])"
    x, v = np.array([0.5, -1.0]), np.array([1.0, 2.0])
    value, tangent = tangent_lite.jvp(uses_double, (x,), (v,))
    assert tangent == pytest.approx(np.sum(8.0 * x * v))
    with pytest.raises(TypeError, match="no adjoint is registered"):
        linear(scaled_sum)
    import operator     # here only: the module's own names do not include it
    line = inspect.currentframe().f_lineno + 2
    with pytest.raises(MissingRuleError, match="has no name for the function") as info:
        linear(operator.index, params="y, x")
    assert (info.value.filename, info.value.lineno) == (__file__, line)


def _linear_templates():
    for p in all_primitives():
        t = p.tangent
        if t is not None and t.source is not None and t.module.startswith(PACKAGE):
            yield p, t


def test_linear_templates_pass_only_arguments_the_function_accepts_with_its_defaults():
    checked = 0
    for p, t in _linear_templates():
        call = ast.parse(t.source).body[0].body[0].value
        try:
            sig = inspect.signature(p.func)
        except (TypeError, ValueError):    # no signature to check against
            if isinstance(p.func, np.ufunc):   # a ufunc's inputs are positional only
                assert not call.keywords, p.name
            continue                           # (np.concatenate has none before NumPy 2.3)
        sig.bind(*call.args, **{k.arg: k.value for k in call.keywords})
        for k in call.keywords:      # a keyword the call left out gets the function's default
            theirs = sig.parameters[k.arg].default
            # NumPy's "not given", or no default in this NumPy version (np.take_along_axis's
            # axis before 2.3): a call cannot leave the argument out, so the template's default
            # never applies
            if theirs is not np._NoValue and theirs is not inspect.Parameter.empty:
                assert t.signature.parameters[k.arg].default == theirs, (p.name, k.arg)
        checked += 1
    assert checked >= 80


def test_hand_written_forward_rules_are_not_the_function_itself():
    """A forward rule that is the function applied to the tangents is written linear(...)."""
    should = []
    for p in all_primitives():
        t = p.tangent
        if t is None or t.source is not None or not t.module.startswith(PACKAGE):
            continue
        node = ast.parse(textwrap.dedent(inspect.getsource(t.func))).body[0]
        if len(node.body) != 1 or not isinstance(node.body[0].value, ast.Call):
            continue
        call = node.body[0].value
        try:
            if eval(ast.unparse(call.func), t.func.__globals__) is not p.func:
                continue
        except Exception:
            continue
        params = list(inspect.signature(t.func).parameters)
        wrt = sorted({n.slice.id for n in ast.walk(call) if isinstance(n, ast.Subscript)
                      and isinstance(n.value, ast.Name) and n.value.id == "d"}, key=params.index)
        text = registry._parameters_text(inspect.signature(t.func))
        written = ast.parse(linear_source(text, ast.unparse(call.func), wrt)).body[0].body[0]
        if ast.dump(written.value) == ast.dump(call):
            should.append(p.name)
    assert not should, f"write these as linear(...): {should}"
