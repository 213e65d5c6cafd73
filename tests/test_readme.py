"""The README is true: every Python block in it runs, and every generated-code excerpt is
what tangent_lite prints.

A block preceded by an output marker is output, compared by the test that owns the marker
(`OUTPUT_MARKERS`); a block marked `<!-- excerpt: name -->` is part of what `tl.source(name)`
prints for the function `name` the blocks above defined, checked where it stands in the session
(line numbers aside, and `(h,) =`, which Python 3.10's unparser writes for `h, =`);
every other ```python block runs. The blocks run in the README's order as one
script in a fresh interpreter (the README is one session: later blocks use what earlier ones
defined), from a file, because tangent_lite reads the functions' source. A block marked
`<!-- runs as tools/make_gradients.py -->` is a build script of a user's project: it runs in a
small project made for it (mypackage/model.py), and what it writes is imported and checked.
"""
import importlib
import pathlib
import re
import subprocess
import sys

import pytest

import tangent_lite

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
EXCERPT = re.compile(r"<!-- generated: ([\w.]+):(\w+)((?: wrt=[\w,]+)?)((?: numbers)?) -->\n"
                     r"```python\n(.*?)```", re.S)


def generated(module, name, wrt, numbers=""):
    """What tangent_lite prints for module:name (wrt=a,b differentiates several arguments;
    `numbers` asks for the gradient's variant for numbers)."""
    func = getattr(importlib.import_module(module), name)
    names = wrt.strip()[len("wrt="):].split(",") if wrt.strip() else None
    return tangent_lite.source(func, wrt=tuple(names) if names else 0, numbers=bool(numbers))


def excerpts():
    return EXCERPT.findall(README.read_text())


def test_readme_has_generated_excerpts():
    assert len(excerpts()) >= 2


@pytest.mark.parametrize("module, name, wrt, numbers, text", excerpts(),
                         ids=lambda v: str(v)[:30])
def test_readme_excerpt_is_what_tangent_lite_generates(module, name, wrt, numbers, text):
    assert generated(module, name, wrt, numbers) == text


# Markers of blocks that show output, and the tests that compare them.
OUTPUT_MARKERS = {
    "generated:": "test_readme_excerpt_is_what_tangent_lite_generates",
    "gen:": "test_codegen.test_readme_module_excerpt_is_what_gen_writes",
    "pytrees: source of mlp": "test_pytrees.test_readme_pytrees_examples_run_and_show_the_...",
    "objects example:": "test_objects.test_readme_objects_excerpt_is_what_tangent_lite_generates",
}
PROJECT_MARKER = "runs as tools/make_gradients.py"
BLOCK = re.compile(r"(?:<!-- ([^\n]*?) -->\n)?```python\n(.*?)```", re.S)


def python_blocks():
    """[(line, marker or '', code)] of the README's ```python blocks."""
    text = README.read_text()
    return [(text[:m.start()].count("\n") + 1, m.group(1) or "", m.group(2))
            for m in BLOCK.finditer(text)]


def is_output(marker):
    return any(marker.startswith(kind) for kind in OUTPUT_MARKERS)


def test_every_python_block_is_run_or_compared():
    blocks = python_blocks()
    run = [b for b in blocks if not is_output(b[1])]
    assert len(run) >= 15 and len(blocks) - len(run) >= 5
    unknown = [(line, marker) for line, marker, _ in blocks
               if marker and not is_output(marker) and marker != PROJECT_MARKER
               and not marker.startswith(("pytrees: runs", "--8<--", "excerpt: "))]
    assert not unknown, f"README blocks with markers no test knows: {unknown}"


def run_script(path, cwd):
    done = subprocess.run([sys.executable, str(path)], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env={**__import__("os").environ, "MPLBACKEND": "Agg"})
    assert done.returncode == 0, f"{path.name} failed:\n{done.stdout[-2000:]}\n{done.stderr}"
    return done.stdout


def test_every_python_block_runs(tmp_path):
    parts = [f"# ---- README.md line {line}\n" + (
        f"import re as _re\nimport tangent_lite as _tl\n_lines = lambda t: _re.sub("
        f"r'# line \\d+', '# line N', _re.sub(r'\\((\\w+),\\) =', r'\\1, =', t))\n"
        f"assert _lines({code!r}) in _lines(_tl.source({marker[9:]})), "
        f"'the excerpt of line {line} is not in what tangent_lite prints'\n"
        if marker.startswith("excerpt: ") else code)
        for line, marker, code in python_blocks()
        if not is_output(marker) and marker != PROJECT_MARKER]
    script = tmp_path / "readme_session.py"
    script.write_text("\n".join(parts))
    run_script(script, tmp_path)


def test_build_script_block_runs_in_a_project(tmp_path):
    """The `generate_module` build script, in the project layout it describes."""
    (code,) = [code for _, marker, code in python_blocks() if marker == PROJECT_MARKER]
    package = tmp_path / "mypackage"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "model.py").write_text(
        "import numpy as np\n\n\n"
        "def loss(W1, b1, x, y):\n"
        "    h = np.tanh(x @ W1 + b1)\n"
        "    return np.mean((h - y) ** 2)\n\n\n"
        "def predict(x):\n"
        "    return np.sum(np.sin(x) * x)\n")
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "make_gradients.py").write_text(code)
    run_script(tmp_path / "tools" / "make_gradients.py", tmp_path)
    check = tmp_path / "check.py"
    check.write_text(
        "import numpy as np\n"
        "import tangent_lite\n"
        "from mypackage import model\n"
        "from mypackage.gradients import loss_grads, input_grad\n"
        "rng = np.random.default_rng(0)\n"
        "W1, b1, x, y = (rng.normal(size=s) for s in [(3, 4), (4,), (5, 3), (5, 4)])\n"
        "tangent_lite.check_grad(model.loss, W1, b1, x, y, wrt=(0, 1))   # against FD\n"
        "want = tangent_lite.grad(model.loss, wrt=(0, 1))(W1, b1, x, y)\n"
        "for got, w in zip(loss_grads(W1, b1, x, y), want):\n"
        "    assert np.array_equal(got, w)\n"
        "assert np.allclose(input_grad(x), np.sin(x) + x * np.cos(x))\n"
        "assert 'tangent_lite' not in open('mypackage/gradients.py').read().split('import numpy')[1]"
        ".split('def ')[0]\n")
    run_script(check, tmp_path)


def rewrite_excerpts(path):
    """Rewrite the generated excerpts of the Markdown file `path` from what tangent_lite
    prints now."""
    text = path.read_text()

    def fresh(match):
        module, name, wrt, numbers, _ = match.groups()
        return (f"<!-- generated: {module}:{name}{wrt}{numbers} -->\n```python\n"
                f"{generated(module, name, wrt, numbers)}```")
    path.write_text(EXCERPT.sub(fresh, text))


def update_readme():
    """Rewrite the README's generated excerpts (`python tests/test_readme.py`)."""
    rewrite_excerpts(README)


if __name__ == "__main__":
    update_readme()
