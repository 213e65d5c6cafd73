"""The documentation site (docs/, mkdocs.yml): it builds with warnings as errors, every Python
block on its pages runs, each output it shows (a ```text block right after a ```python block) is
what that block prints, and each generated-code excerpt is what tangent_lite generates.

The blocks of a page run in order, as one script in a fresh interpreter (a page is a session:
later blocks use what earlier ones defined); pages that include README sections
(`--8<-- "README.md:name"`) are read with them included. `python tests/test_docs.py` rewrites
the generated excerpts from what tangent_lite prints now.
"""
import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest
from test_readme import EXCERPT, generated, rewrite_excerpts

import tangent_lite

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md")) if DOCS.is_dir() else []
INCLUDE = re.compile(r'^--8<-- "([^"]+):(\w+)"$', re.M)
BLOCK = re.compile(r"(<!-- generated: [^>]*-->\n)?```(\w+)\n(.*?)```\n", re.S)
SEPARATOR = "\x1e-- next block --\x1e"

pytestmark = pytest.mark.skipif(not PAGES, reason="no docs/ beside the tests")


def page_text(path):
    """The page with its `--8<--` includes of README sections resolved."""
    def section(match):
        text = (ROOT / match.group(1)).read_text()
        start = f"<!-- --8<-- [start:{match.group(2)}] -->\n"
        end = f"<!-- --8<-- [end:{match.group(2)}] -->"
        assert start in text and end in text, f"no section {match.group(2)} in {match.group(1)}"
        return text[text.index(start) + len(start):text.index(end)]
    return INCLUDE.sub(section, path.read_text())


def runnable_blocks(text):
    """[(code, expected output or None)] of the page's ```python blocks, in order; a generated
    excerpt is compared, not run."""
    blocks = [(m.group(1), m.group(2), m.group(3), m.end()) for m in BLOCK.finditer(text)]
    out = []
    for i, (marker, lang, code, _) in enumerate(blocks):
        if lang != "python" or marker:
            continue
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        expected = None
        if following and following[1] == "text" and not following[0]:
            between = text[blocks[i][3]:text.index("```text", blocks[i][3])]
            if not between.strip():
                expected = following[2]
        out.append((code, expected))
    return out


def test_every_page_is_in_the_navigation():
    nav = (ROOT / "mkdocs.yml").read_text()
    assert {p.name for p in PAGES} == set(re.findall(r": (\S+\.md)$", nav, re.M))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_every_python_block_runs_and_prints_what_the_page_shows(page, tmp_path):
    blocks = runnable_blocks(page_text(page))
    if not blocks:
        pytest.skip(f"{page.name} has no Python blocks to run")
    script = f"\nprint({SEPARATOR!r})\n".join(code for code, _ in blocks)
    (tmp_path / f"page_{page.stem.replace('-', '_')}.py").write_text(script)
    # The tangent_lite these tests import (an installed one, under CI, with its examples).
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(tangent_lite.__file__).parent.parent))
    env.pop("TANGENT_LITE_FULL_TRACEBACK", None)
    proc = subprocess.run([sys.executable, f"page_{page.stem.replace('-', '_')}.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    outputs = proc.stdout.split(SEPARATOR + "\n")
    assert len(outputs) == len(blocks)
    shown = [(code, expected, output) for (code, expected), output in zip(blocks, outputs)
             if expected is not None]
    for code, expected, output in shown:
        assert output == expected, f"the block\n{code}\nprints\n{output}\nnot\n{expected}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_generated_excerpts_are_what_tangent_lite_generates(page):
    for module, name, wrt, numbers, text in EXCERPT.findall(page_text(page)):
        assert generated(module, name, wrt, numbers) == text, f"{page.name}: {module}:{name}"


def test_the_site_builds_with_warnings_as_errors(tmp_path):
    for needed in ("mkdocs", "mkdocstrings", "pymdownx"):
        if importlib.util.find_spec(needed) is None:
            missing = f"{needed} is not installed (pip install '.[docs]')"
            if os.environ.get("TANGENT_LITE_REQUIRE_DOCS"):   # CI: a skip would hide it
                pytest.fail(missing)
            pytest.skip(missing)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d",
                           str(tmp_path / "site")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    for name in ("grad", "value_and_grad", "vjp", "jvp", "hessian", "jacobian", "Differentiable",
                 "check_grad", "adjoint", "generate_module", "TangentLiteError"):
        assert f'id="tangent_lite.{name}"' in api, name
    how = (tmp_path / "site" / "how-it-works" / "index.html").read_text()
    assert "--8&lt;--" not in how and "pipeline" in how


def update_docs():
    """Rewrite the docs' generated excerpts from what tangent_lite prints now."""
    for page in PAGES:
        rewrite_excerpts(page)


if __name__ == "__main__":
    update_docs()
