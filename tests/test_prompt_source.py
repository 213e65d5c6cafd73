"""Functions typed at the plain interactive prompt are differentiated from what was typed.

Each test starts a real interactive interpreter on a pseudo-terminal (so Python turns on its
prompt and readline, as for a user at a terminal), types a session into it, and reads what it
prints. Python 3.13's own REPL keeps typed source itself; `PYTHON_BASIC_REPL=1` asks 3.13 for
the older prompt that does not, so every version exercises the readline recovery.
"""
import os
import re
import select
import subprocess
import sys
import time

import numpy as np
import pytest

readline = pytest.importorskip("readline")
pty = pytest.importorskip("pty")

pytestmark = pytest.mark.skipif("libedit" in (readline.__doc__ or ""),
                                reason="the prompt's history is read through GNU readline")


def run_prompt(lines, tmp_path, timeout=60):
    """Type `lines` at an interactive Python prompt; return everything it printed."""
    master, slave = pty.openpty()
    env = {**os.environ, "HOME": str(tmp_path), "PYTHON_BASIC_REPL": "1", "TERM": "dumb",
           "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    env.pop("PYTHONSTARTUP", None)
    proc = subprocess.Popen([sys.executable, "-q", "-i"], stdin=slave, stdout=slave, stderr=slave,
                            env=env, close_fds=True)
    os.close(slave)
    out = b""

    def read_until(marker, deadline):
        nonlocal out
        while marker not in out and time.time() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    out += os.read(master, 65536)
                except OSError:
                    break
        return marker in out

    try:
        deadline = time.time() + timeout
        read_until(b">>> ", deadline)
        for line in lines:
            # the next line once the prompt asks for it (a fixed pause lets a busy machine's
            # output interleave with the echo of what is typed)
            seen = len(out)
            os.write(master, line.encode() + b"\n")
            while time.time() < deadline and not any(
                    prompt in out[seen:] for prompt in (b">>> ", b"... ")):
                read_until(b"\0never", min(deadline, time.time() + 0.2))
        os.write(master, b"print('SESSION' + 'END')\n")
        assert read_until(b"SESSIONEND", deadline), out.decode(errors="replace")
        os.write(master, b"exit()\n")
    finally:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        os.close(master)
    return out.decode(errors="replace").replace("\r\n", "\n")


def printed(text, label):
    found = re.findall(rf"^{label} (.+)$", text, re.M)
    assert found, text
    return found[-1]


def test_function_typed_at_the_prompt_is_differentiated(tmp_path):
    text = run_prompt([
        "import numpy as np",
        "import tangent_lite as tl",
        "def f(x):",
        "    y = np.sin(x) * x",
        "    return np.sum(y ** 2)",
        "",
        "x = np.array([0.3, -1.2, 2.0])",
        "print('GRAD', list(tl.grad(f)(x)))",
    ], tmp_path)
    x = np.array([0.3, -1.2, 2.0])
    y = np.sin(x) * x
    expected = 2 * y * (np.cos(x) * x + np.sin(x))
    assert np.allclose(eval(printed(text, "GRAD")), expected, rtol=1e-12)


def test_the_newest_definition_is_the_one_used(tmp_path):
    """A name defined twice: the function object's own bytecode picks the definition."""
    text = run_prompt([
        "import tangent_lite as tl",
        "def g(x):",
        "    return x ** 3",
        "",
        "old = g",
        "def g(x):",
        "    return 5.0 * x",
        "",
        "print('NEW', tl.grad(g)(2.0))",
        "print('OLD', tl.grad(old)(2.0))",
    ], tmp_path)
    assert float(printed(text, "NEW")) == 5.0
    assert float(printed(text, "OLD")) == 12.0


def test_decorated_function_and_helper_typed_at_the_prompt(tmp_path):
    text = run_prompt([
        "import numpy as np",
        "import tangent_lite as tl",
        "def square(u):",
        "    return u * u",
        "",
        "@tl.differentiate",
        "def loss(w):",
        "    return np.sum(square(np.tanh(w)))",
        "",
        "print('GRAD', list(loss.grad(np.array([0.5, -0.25]))))",
    ], tmp_path)
    w = np.array([0.5, -0.25])
    expected = 2 * np.tanh(w) * (1 - np.tanh(w) ** 2)
    assert np.allclose(eval(printed(text, "GRAD")), expected, rtol=1e-12)


def test_source_not_in_the_history_keeps_the_clear_message(tmp_path):
    """exec'd text at the prompt is not in the history: the message says what to do."""
    text = run_prompt([
        "import tangent_lite as tl",
        "exec('def h(x):\\n    return x * x\\n')",
        "try:",
        "    tl.grad(h)(1.0)",
        "except tl.TangentLiteError as e:",
        "    print('ERROR', str(e).splitlines()[0])",
        "",
    ], tmp_path)
    assert "cannot read the source of h" in printed(text, "ERROR")
