"""Shared by test_codegen.py and test_cli.py: a user module to generate gradients for, written
to a temporary directory, and a way to run Python there with tangent_lite unimportable."""
import importlib
import json
import os
import subprocess
import sys
import textwrap

MODULE = "tl_gen_fixture"

SOURCE = '''\
"""Functions to generate gradients for: a loop, a branch, a subscript loop, helper calls."""
import numpy as np

W = np.array([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6]])
LIMIT = 0.05


def clipped_square(v, limit=1.0):
    """A helper with a branch and an early return."""
    if v > limit:
        return limit * v
    return v * v


def squash(a, b):
    return np.sin(a) * b


def append(a, value):
    """Named like a runtime helper: the generated module must keep the two apart."""
    return a + 2.0 * value


def model(x, scale):
    h = np.tanh(W @ x)
    total = 0.0
    for i in range(h.shape[0]):
        total += clipped_square(h[i], limit=LIMIT)
    if total > 0.1:
        total = total * scale
    else:
        total = total - scale
    k = 0
    while k < 3:
        total = total + squash(x[0], scale)
        k += 1
    return total


def other(x, scale):
    outs = []
    outs.append(x * scale)
    outs.append(append(x, scale))
    return np.sum(squash(x, 2.0)) + np.sum(outs[0] * outs[1])


def shapes(x, y):
    z = x * 2.0
    return np.sum(z @ y)
'''

# Inserted before the code run by run_without_tangent_lite: any import of tangent_lite fails,
# however it is installed (editable finder, .pth file or site-packages).
_BLOCKER = '''\
import sys
class _NoTangentLite:
    def find_spec(self, name, path=None, target=None):
        if name == "tangent_lite" or name.startswith("tangent_lite."):
            raise ImportError("tangent_lite is not importable in this test")
sys.meta_path.insert(0, _NoTangentLite())
try:
    import tangent_lite
except ImportError:
    pass
else:
    raise SystemExit("the blocker failed: tangent_lite imported")
'''


def write_fixture(directory):
    """Write the fixture module into `directory`, import it (fresh) and return it."""
    (directory / f"{MODULE}.py").write_text(SOURCE)
    sys.modules.pop(MODULE, None)
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
    importlib.invalidate_caches()
    return importlib.import_module(MODULE)


def forget_fixture(directory):
    sys.modules.pop(MODULE, None)
    if str(directory) in sys.path:
        sys.path.remove(str(directory))


def line_of(text, module_source=SOURCE):
    """The line number of the first line of the fixture containing `text`."""
    return next(i for i, line in enumerate(module_source.splitlines(), 1) if text in line)


def run_without_tangent_lite(directory, code, check=True):
    """Run `code` with `directory` as working directory and only entry on PYTHONPATH, where
    `import tangent_lite` fails; return the CompletedProcess (stdout parsed as JSON when
    check is true)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(directory)
    proc = subprocess.run([sys.executable, "-c", _BLOCKER + textwrap.dedent(code)],
                          cwd=directory, env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
        proc.result = json.loads(proc.stdout)
    return proc


def run_cli(*args, cwd):
    """`python -m tangent_lite ARGS` in a subprocess."""
    return subprocess.run([sys.executable, "-m", "tangent_lite", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)
