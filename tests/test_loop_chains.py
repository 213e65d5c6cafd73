"""Loops that carry long chains of variables: a shift register, a delay line of arrays, a k-step
integrator. The adjoints (and tangents) live at a loop's head grow by one link per pass of the
loop analysis, so a chain of k variables needs k passes: these once stopped at 8 and returned a
gradient that ignored the rest of the chain, with no error.
"""
import numpy as np
import pytest

import tangent_lite
from tangent_lite import d
from helpers import load_program, numeric_grad

LENGTHS = [9, 10, 20, 50]


def shift_register(k):
    """`p = n; n = m; ...; b = a; a = f(x)`: x reaches the last variable after k steps."""
    names = [f"v{i}" for i in range(k)]
    lines = ["def f(x):"] + [f"    {n} = 0.0" for n in names]
    lines.append(f"    for i in range({k + 3}):")
    lines += [f"        {a} = {b}" for a, b in zip(names[::-1], names[-2::-1])]
    lines.append(f"        {names[0]} = np.sin(x) * 1.5 + 0.1 * {names[0]}")
    lines.append(f"    return {names[-1]} * x")
    return "\n".join(lines)


def delay_line(k):
    """Arrays through a while loop, each stage a delayed, filtered copy of the one before."""
    names = [f"stage{i}" for i in range(k)]
    lines = ["def f(x):"] + [f"    {n} = np.zeros_like(x)" for n in names]
    lines += ["    t = 0", f"    while t < {k + 2}:"]
    lines += [f"        {a} = 0.9 * {b}" for a, b in zip(names[::-1], names[-2::-1])]
    lines += [f"        {names[0]} = np.tanh(x + {names[0]})", "        t += 1"]
    lines.append(f"    return np.sum({names[-1]} ** 2) + np.mean({names[k // 2]} * x)")
    return "\n".join(lines)


def integrator(k):
    """A k-step multistep integrator: the new state from the k previous ones (helper-free)."""
    names = [f"y{i}" for i in range(k)]
    lines = ["def f(theta):"] + [f"    {n} = theta * {0.01 * (i + 1)}" for i, n in enumerate(names)]
    lines.append(f"    for step in range({k + 2}):")
    total = " + ".join(f"{1.0 / k:.6f} * {n}" for n in names)
    lines.append(f"        new = np.cos({total}) * theta")
    lines += [f"        {a} = {b}" for a, b in zip(names[::-1], names[-2::-1])]
    lines.append(f"        {names[0]} = new")
    lines.append(f"    return {names[-1]} * {names[0]}")
    return "\n".join(lines)


PROGRAMS = {"shift_register": (shift_register, lambda: 0.7),
            "delay_line": (delay_line, lambda: np.array([0.3, -0.2, 0.5])),
            "integrator": (integrator, lambda: 0.9)}


@pytest.fixture(params=[(name, k) for name in PROGRAMS for k in LENGTHS],
                ids=lambda p: f"{p[0]}-{p[1]}")
def program(request, tmp_path):
    name, k = request.param
    make, arg = PROGRAMS[name]
    module = load_program(tmp_path / f"{name}_{k}.py", "import numpy as np\n\n\n" + make(k))
    return module.f, arg()


def test_grad(program):
    f, x = program
    expected = numeric_grad(f, (x,), 0)
    assert abs(float(np.max(np.abs(expected)))) > 1e-3   # the chain does reach the result
    np.testing.assert_allclose(tangent_lite.grad(f)(x), expected, rtol=1e-6, atol=1e-8)


def test_jvp(program):
    f, x = program
    direction = np.ones_like(x) * 0.8 if isinstance(x, np.ndarray) else 0.8
    _, tangent = tangent_lite.jvp(f, (x,), (direction,))
    eps = 1e-6
    expected = (np.sum(f(x + eps * direction)) - np.sum(f(x - eps * direction))) / (2 * eps)
    np.testing.assert_allclose(np.sum(tangent), expected, rtol=1e-6, atol=1e-8)


def test_vjp(program):
    f, x = program
    value, pullback = tangent_lite.vjp(f, x)
    weight = 1.7 if np.ndim(value) == 0 else np.full(np.shape(value), 1.7)
    (got,) = pullback(weight) if isinstance(pullback(weight), tuple) else (pullback(weight),)
    np.testing.assert_allclose(got, 1.7 * numeric_grad(f, (x,), 0), rtol=1e-6, atol=1e-8)


def test_hvp(program):
    f, x = program
    v = np.ones_like(x) * 0.6 if isinstance(x, np.ndarray) else 0.6
    got = tangent_lite.hvp(f)(x, v)
    eps = 1e-5
    df = tangent_lite.grad(f)
    expected = (np.asarray(df(x + eps * v)) - np.asarray(df(x - eps * v))) / (2 * eps)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)


def test_a_function_with_only_a_tangent_rule_is_refused_by_grad_and_runs_in_jvp():
    """Forward and reverse mode once bound rules with two copies of the code; only forward
    mode checked that a rule of its mode exists, and grad crashed with an AttributeError."""
    import math
    from tangent_lite.rules import registry
    saved = registry.snapshot()
    try:
        # math.nextafter(x, 2.0): the next float after x, towards 2.0 (no rule of its own)
        @tangent_lite.tangent_rule(math.nextafter)
        def _(y, x, towards):
            d[y] = d[x] * 1.0

        def f(x):
            return math.nextafter(x, 2.0) * 2.0

        _, tangent = tangent_lite.jvp(f, (0.3,), (1.0,))
        assert tangent == pytest.approx(2.0)
        with pytest.raises(tangent_lite.MissingRuleError, match="no reverse-mode rule") as info:
            tangent_lite.grad(f)(0.3)
        assert "@tangent_lite.adjoint(math.nextafter)" in str(info.value)
        assert "test_loop_chains.py" in str(info.value)
    finally:
        registry.restore(saved)
