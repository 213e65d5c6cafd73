"""The checks every rule case of tests/test_rules_shapes.py, test_rules_linalg.py and
test_rules_fft.py goes through (a case is a tests/test_rules.py `Case`):

- reverse mode: the gradient against central finite differences of sum(f) in float64, with the
  argument's type, dtype and shape;
- float32 in -> float32 out, in both modes, against the float64 finite differences;
- forward mode: the jvp against a central finite difference of f along a random direction;
- second derivatives: the Hessian-vector product (forward mode over the generated gradient
  code) against finite differences of gradients, or, where a case is listed as refused, a
  clear TangentLiteError;
- the walker: every function the given rule modules register has a case keyed by exactly that
  object (in the given cases or in tests/test_rules.py, which holds those of the basic
  functions: np.sum, np.transpose, `@` ...), both an adjoint and a tangent template, and every
  given case calls its function.
"""
import ast
import inspect
import operator
import textwrap

import numpy as np
import pytest

import tangent_lite
from helpers import check_grad, numeric_grad
from tangent_lite.rules.registry import all_primitives

# How the cases' source spells the primitives that are not calls: operators and array methods.
OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
       ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
       ast.Pow: operator.pow, ast.MatMult: operator.matmul, ast.USub: operator.neg,
       ast.UAdd: operator.pos, ast.Not: operator.not_, ast.Lt: operator.lt,
       ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Eq: operator.eq,
       ast.NotEq: operator.ne}
METHODS = {"T": np.transpose, "real": np.real, "swapaxes": np.swapaxes, "trace": np.trace,
           "append": tangent_lite.runtime.append, "astype": tangent_lite.runtime.astype,
           "copy": np.copy, "cumsum": np.cumsum, "var": np.var, "std": np.std,
           "flatten": tangent_lite.runtime.flatten}


def check_reverse(c):
    got = check_grad(c.f, *c.args, wrt=c.wrt_arg)
    for i, g in zip(c.wrt, c.grads(got)):
        x = c.args[i]
        if isinstance(x, float):
            assert type(g) is float, type(g)
        else:
            assert type(g) is np.ndarray and g.dtype == np.float64 and g.shape == x.shape


def _f32(a):
    return a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype == np.float64 else a


def has_array_wrt(c):
    return any(isinstance(c.args[i], np.ndarray) for i in c.wrt)


def check_float32(c):
    args32 = tuple(_f32(a) for a in c.args)
    grads = c.grads(tangent_lite.grad(c.f, wrt=c.wrt_arg)(*args32))
    for i, g in zip(c.wrt, grads):
        if isinstance(c.args[i], np.ndarray):
            assert isinstance(g, np.ndarray) and g.dtype == np.float32 and g.shape == np.shape(
                c.args[i]), (type(g), getattr(g, "dtype", None))
        expected = numeric_grad(c.f, c.args, i)
        np.testing.assert_allclose(np.asarray(g, dtype=np.float64), expected, rtol=1e-3,
                                   atol=1e-4, err_msg=f"gradient wrt {i}")


def direction(c, seed, dtype=np.float64):
    r = np.random.default_rng(seed)
    tangents = [None] * len(c.args)
    for i in c.wrt:
        t = r.normal(size=np.shape(c.args[i]))
        tangents[i] = float(t) if isinstance(c.args[i], float) else t.astype(dtype)
    return tangents


def along(f, args, tangents, eps=1e-6):
    """The central finite difference of f along `tangents`, in float64."""
    def shifted(sign):
        return [a + sign * eps * np.asarray(t, np.float64) if t is not None else a
                for a, t in zip(args, tangents)]
    with np.errstate(invalid="ignore"):   # inf - inf where a case's value is not finite
        return (np.asarray(f(*shifted(1)), float) - np.asarray(f(*shifted(-1)), float)) / (
            2 * eps)


def check_jvp(c):
    tangents = direction(c, seed=1)
    value, tangent = tangent_lite.jvp(c.f, c.args, tangents)
    np.testing.assert_allclose(value, c.f(*c.args), rtol=1e-12, atol=1e-12)
    assert np.shape(tangent) == np.shape(value), (np.shape(tangent), np.shape(value))
    assert not np.iscomplexobj(tangent)
    np.testing.assert_allclose(np.asarray(tangent, float), along(c.f, c.args, tangents),
                               rtol=1e-5, atol=1e-7)


def check_jvp_float32(c):
    args32 = tuple(_f32(a) for a in c.args)
    tangents = direction(c, seed=3, dtype=np.float32)
    value, tangent = tangent_lite.jvp(c.f, args32, tangents)
    dtype = np.asarray(value).dtype
    assert np.asarray(tangent).dtype == dtype, (np.asarray(tangent).dtype, dtype)
    np.testing.assert_allclose(np.asarray(tangent, float), along(c.f, c.args, tangents),
                               rtol=2e-3, atol=2e-4)


def check_hvp(c, refused=False):
    """Each differentiated argument of a small case: hvp against finite differences of grad."""
    for i in c.wrt:
        if np.size(c.args[i]) > 30:
            continue
        v = direction(c, seed=2)[i]
        if refused:
            with pytest.raises(tangent_lite.TangentLiteError):
                tangent_lite.hvp(c.f, wrt=i)(*c.args, v)
            return
        hv = tangent_lite.hvp(c.f, wrt=i)(*c.args, v)
        df = tangent_lite.grad(c.f, wrt=i)
        eps = 1e-5
        plus, minus = list(c.args), list(c.args)
        plus[i] = c.args[i] + eps * v
        minus[i] = c.args[i] - eps * v
        expected = (np.asarray(df(*plus), float) - np.asarray(df(*minus), float)) / (2 * eps)
        assert np.shape(hv) == np.shape(c.args[i])
        np.testing.assert_allclose(np.asarray(hv, float), expected, rtol=1e-5, atol=1e-6,
                                   err_msg=f"Hessian-vector product wrt {i}")


def primitives_called(f, namespace):
    """The callables and operators f's source uses, resolved in `namespace`."""
    out = set()
    for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(f)))):
        if isinstance(node, (ast.BinOp, ast.UnaryOp)):
            out.add(OPS.get(type(node.op)))
        elif isinstance(node, ast.Compare):
            out.update(OPS.get(type(o)) for o in node.ops)
        elif isinstance(node, ast.Subscript):
            out.add(operator.getitem)
        elif isinstance(node, ast.Attribute) and node.attr in METHODS:
            out.add(METHODS[node.attr])
        elif isinstance(node, ast.List):
            out.add(list)
        elif isinstance(node, ast.Tuple) and isinstance(node.ctx, ast.Load):
            out.add(tuple)
        elif isinstance(node, ast.Call):
            try:
                out.add(eval(ast.unparse(node.func), namespace))
            except Exception:
                pass
    return out


def runtime_helper(func):
    """Whether `func` is a helper of tangent_lite/runtime/ (which generated code calls)."""
    return (getattr(func, "__module__", None) or "").startswith("tangent_lite.runtime.")


def registered_by(modules):
    """The primitives with a template defined in one of `modules` (module objects)."""
    names = {m.__name__ for m in modules}
    return [p for p in all_primitives()
            if any(t is not None and t.func.__module__ in names for t in (p.adjoint, p.tangent))]


def check_walker(modules, cases, namespace, file):
    mine = registered_by(modules)
    public = [p for p in mine if not runtime_helper(p.func)]
    import test_rules   # here: test_rules imports this module
    covered = {c.prim for c in cases} | {c.prim for c in test_rules.CASES}
    missing = [p.name for p in public if p.func not in covered]
    assert not missing, f"rules without a case in {file} or tests/test_rules.py: {missing}"
    one_mode = [p.name for p in public if p.adjoint is None or p.tangent is None]
    assert not one_mode, f"rules without both an adjoint and a tangent template: {one_mode}"
    mislabelled = {c.f.__name__ for c in cases if c.prim not in primitives_called(c.f, namespace)}
    assert not mislabelled, f"cases that do not call the function they are keyed by: {mislabelled}"
    return mine


def check_helpers_reached(modules, cases, refused):
    """Every runtime helper given a forward rule in `modules` appears in the gradient code of
    a case whose Hessian-vector product is checked."""
    helpers = {p.func.__name__ for p in registered_by(modules)
               if runtime_helper(p.func)}
    seen = set()
    for c in cases:
        if c.f.__name__ in refused:
            continue
        for i in c.wrt:
            if np.size(c.args[i]) <= 30:
                source = tangent_lite.source(c.f, wrt=i)
                seen |= {h for h in helpers if f"{h}(" in source}
    assert helpers <= seen, f"helpers whose forward rule no case exercises: {helpers - seen}"
