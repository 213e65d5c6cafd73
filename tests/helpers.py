"""Shared test helpers: central finite differences in float64, loading generated programs."""
import importlib.util
import pathlib
import re

import numpy as np

import tangent_lite


def numeric_grad(f, args, i, eps=1e-6, kwargs=None):
    """Central finite-difference gradient of sum(f(*args)) with respect to args[i], in float64."""
    kwargs = kwargs or {}
    args = list(args)
    x0 = args[i]
    x = np.array(x0, dtype=np.float64)
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp = x.copy()
        xp[idx] += eps
        xm = x.copy()
        xm[idx] -= eps
        args[i] = xp if x.ndim else type(x0)(xp) if isinstance(x0, float) else xp
        fp = np.sum(np.asarray(f(*args, **kwargs), dtype=np.float64))
        args[i] = xm if x.ndim else type(x0)(xm) if isinstance(x0, float) else xm
        fm = np.sum(np.asarray(f(*args, **kwargs), dtype=np.float64))
        g[idx] = (fp - fm) / (2 * eps)
    args[i] = x0
    return g


def check_grad(f, *args, wrt=0, rtol=1e-5, atol=1e-7):
    """Assert tangent_lite.grad(f, wrt) agrees with central finite differences; return it."""
    df = tangent_lite.grad(f, wrt=wrt)
    got = df(*args)
    # A second call runs what the first left compiled (a shape-specialised variant).
    for g, h in zip(got if isinstance(wrt, tuple) else (got,),
                    df(*args) if isinstance(wrt, tuple) else (df(*args),)):
        if isinstance(g, (np.ndarray, float)):
            np.testing.assert_array_equal(g, h)
    params = list(__import__("inspect").signature(f).parameters)
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    gots = got if isinstance(wrt, tuple) else (got,)
    assert len(gots) == len(items)
    for item, g in zip(items, gots):
        i = item if isinstance(item, int) else params.index(item)
        expected = numeric_grad(f, args, i)
        assert np.shape(g) == np.shape(args[i]), (np.shape(g), np.shape(args[i]))
        np.testing.assert_allclose(np.asarray(g, dtype=np.float64), expected, rtol=rtol,
                                   atol=atol, err_msg=f"gradient wrt {item}")
    return got


def check_jvp(f, x, v):
    """Assert tangent_lite.jvp of a one-argument f along v: its value f(x) exactly, and its
    tangent against central finite differences."""
    value, tangent = tangent_lite.jvp(f, (x,), (v,))
    assert value == f(x.copy())
    np.testing.assert_allclose(tangent, numeric_grad(f, (x,), 0) @ v, rtol=1e-5, atol=1e-7)


def check_hvp(f, x, v, eps=1e-4):
    """Assert tangent_lite.hvp of a one-argument f against central differences of finite-
    difference gradients along v."""
    expected = (numeric_grad(f, (x + eps * v,), 0) - numeric_grad(f, (x - eps * v,), 0)) \
        / (2 * eps)
    np.testing.assert_allclose(tangent_lite.hvp(f)(x, v), expected, rtol=1e-4, atol=1e-6)


def check_every_mode(f, x, v, weight=1.0):
    """A one-argument f through every entry point: grad against central differences,
    value_and_grad's value exactly f's, a pullback of `weight` (called twice, the same answer),
    jvp and hvp along v."""
    check_grad(f, x)
    value, g = tangent_lite.value_and_grad(f)(x)
    assert value == f(x.copy())
    np.testing.assert_allclose(g, numeric_grad(f, (x,), 0), rtol=1e-5, atol=1e-7)
    value, pullback = tangent_lite.vjp(f, x)
    assert value == f(x.copy())
    first = pullback(weight)
    np.testing.assert_allclose(first, weight * g, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(pullback(weight), first)
    check_jvp(f, x, v)
    check_hvp(f, x, v)


CONDITION = re.compile(r"@(\d+)@")


def spell_conditions(code, conds, spelling):
    """Random programs' condition tokens (`@3@`, conds[3]) written out with `spelling` (a
    format of the condition's two parts), until none is left: a condition's expression may
    hold another's token. Only the tokens count: an `@` of a matrix product (`A @ v`) stays."""
    while CONDITION.search(code):
        code = CONDITION.sub(lambda m: spelling.format(*conds[int(m[1])]), code)
    return code


def load_program(path, text):
    """Write `text` to `path` and import it: tangent_lite reads functions' source files."""
    path.write_text(text)
    return load_module(path, path.stem)


def load_module(path, name):
    """Import the Python file at `path` as a module called `name`."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def load_example(name):
    """examples/<name>.py of this checkout, loaded by its path: `tangent_lite.examples` is the
    installed copy, which may be another checkout's (and `distributed`, the module's own name,
    is dask.distributed's)."""
    return load_module(EXAMPLES / f"{name}.py", f"{name}_example")
