"""The README shows real output: every generated-code excerpt matches what tangent_lite prints."""
import importlib
import pathlib
import re

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
