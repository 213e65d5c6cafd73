"""The public API is typed: api.py and errors.py pass mypy with every function annotated, and a
user's program calling the public entry points type-checks (and a wrong call does not).
Skipped where mypy is not installed."""
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("mypy")

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The source beside the tests (a checkout or an unpacked sdist): mypy refuses to check files
# inside site-packages, where an installed tangent_lite is.
SOURCE = ROOT / "tangent_lite"
FLAGS = ["--follow-imports=silent", "--ignore-missing-imports", "--no-error-summary",
         "--cache-dir", os.devnull]


def mypy(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "mypy", *FLAGS, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(not (SOURCE / "api.py").is_file(), reason="no tangent_lite source here")
def test_the_public_modules_are_fully_annotated(tmp_path):
    proc = mypy("--disallow-untyped-defs", "--disallow-incomplete-defs", "--check-untyped-defs",
                str(SOURCE / "api.py"), str(SOURCE / "errors.py"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


USER_PROGRAM = """\
import math
import pathlib
from typing import Any, Callable, Tuple

import numpy as np

import tangent_lite as tl
from tangent_lite import d


def loss(W: np.ndarray, x: np.ndarray) -> float:
    return float(np.sum(np.tanh(W @ x)))


df: Callable[..., Any] = tl.grad(loss, wrt=(0, 1))
vg: Callable[..., Any] = tl.value_and_grad(loss, wrt="W", has_aux=False)
pair: Tuple[Any, tl.Pullback] = tl.vjp(loss, np.eye(2), np.ones(2))
y, dy = tl.jvp(loss, (np.eye(2), np.ones(2)), (np.eye(2), None))
H: Callable[..., Any] = tl.hessian(loss, 1)
J: Callable[..., Any] = tl.jacobian(loss, mode="forward")
code: str = tl.source(loss)
worst: float = tl.check_grad(loss, np.eye(2), np.ones(2))
smooth: tl.Differentiable = tl.differentiate(loss)
decorate: Callable[[Callable[..., Any]], tl.Differentiable] = tl.differentiate(wrt=1)
out: pathlib.Path = tl.generate_module(loss, "grads.py", wrt="W", command="make grads")
z: float = tl.stop_gradient(2.0)
err: tl.TangentLiteError = tl.InputError("message", filename="f.py", lineno=3, hint="do this")


@tl.adjoint(math.gamma)
def _(y: Any, x: Any) -> None:
    d[x] = d[y] * y


def takes_differentiable(f: tl.Differentiable) -> str:
    return f.source
"""


def test_a_users_program_type_checks(tmp_path):
    (tmp_path / "user.py").write_text(USER_PROGRAM)
    proc = mypy("--disallow-untyped-calls", "--warn-unused-ignores", "user.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("line, complaint", [
    ("tl.grad(loss, wrt=1.5)", 'Argument "wrt" to "grad" has incompatible type "float"'),
    ("tl.grad(loss, has_aux='yes')", 'Argument "has_aux" to "grad" has incompatible type "str"'),
    ("n: int = tl.source(loss)", 'Incompatible types in assignment (expression has type "str"'),
    ("tl.InputError('m', lineno='3')", 'Argument "lineno" to "InputError" has incompatible type'),
])
def test_a_wrong_call_is_caught(tmp_path, line, complaint):
    (tmp_path / "user.py").write_text(textwrap.dedent(f"""\
        import tangent_lite as tl

        def loss(x: float) -> float:
            return x * x

        {line}
        """))
    proc = mypy("user.py", cwd=tmp_path)
    assert proc.returncode == 1 and complaint in proc.stdout, proc.stdout + proc.stderr
