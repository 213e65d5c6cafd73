"""A user's rule is checked when it is registered, not at the first gradient that uses it: a
name its module does not define, or a template whose source cannot be read, is a
TangentLiteError naming the rule's file:line, raised by the decorator (with tangent_lite's own
frames hidden). The README's custom-rule snippet runs as written."""
import importlib.util
import math
import pathlib
import re
import sys
import textwrap
import traceback

import pytest

import tangent_lite
from tangent_lite import MissingRuleError, SourceUnavailableError
from tangent_lite.rules import registry

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
PACKAGE = pathlib.Path(tangent_lite.__file__).resolve().parent


@pytest.fixture(autouse=True)
def fresh_registry():
    saved = registry.snapshot()
    yield
    registry.restore(saved)


def _import_file(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


RULE_WITHOUT_IMPORT = """\
import math
import tangent_lite as tl
from tangent_lite import d

@tl.adjoint(math.gamma)
def _(y, x):
    d[x] = d[y] * y * digamma(x)
"""


@pytest.mark.parametrize("decorator, kind", [("adjoint", "reverse-mode (@adjoint)"),
                                             ("tangent_rule", "forward-mode (@tangent_rule)")])
def test_an_unknown_name_fails_at_registration(tmp_path, decorator, kind):
    path = tmp_path / "my_rules.py"
    text = RULE_WITHOUT_IMPORT.replace("tl.adjoint", f"tl.{decorator}")
    if decorator == "tangent_rule":
        text = text.replace("d[x] = d[y] * y", "d[y] = d[x] * y")
    path.write_text(text)
    before = registry.lookup(math.gamma).adjoint, registry.lookup(math.gamma).tangent
    with pytest.raises(MissingRuleError) as info:
        _import_file(path, "my_rules")
    err = info.value
    assert (err.filename, err.lineno) == (str(path), 7)
    assert str(err).startswith(f"{path}:7: the {kind} rule of math.gamma uses the name "
                               f"`digamma`, which is neither defined in its module my_rules "
                               f"nor a builtin"), str(err)
    assert "define or import `digamma` in that module" in err.hint
    # Nothing was registered: the package's own rule is still the one used.
    assert (registry.lookup(math.gamma).adjoint, registry.lookup(math.gamma).tangent) == before
    frames = traceback.extract_tb(err.__traceback__)
    if sys.version_info < (3, 11):   # 3.10 keeps the re-raising frame (test_tracebacks.py)
        assert frames[-1].name == "entry_point"
        frames = frames[:-1]
    assert not [f for f in frames if PACKAGE in pathlib.Path(f.filename).resolve().parents]
    assert frames[-1].filename == str(path), frames   # the decorator's line is the last


def test_a_rule_without_readable_source_fails_at_registration():
    namespace = {"__name__": "typed_at_a_prompt"}
    with pytest.raises(SourceUnavailableError) as info:
        exec(compile(RULE_WITHOUT_IMPORT, "<stdin>", "exec"), namespace)
    err = info.value
    assert (err.filename, err.lineno) == ("<stdin>", 5)
    assert "cannot read the source of the reverse-mode (@adjoint) rule of math.gamma" in str(err)
    assert "write it in a .py file" in err.hint


def readme_custom_rule_block():
    text = README.read_text()
    start = text.index("**Custom rules**")
    match = re.compile(r"```python\n(.*?)```", re.S).search(text, start)
    return match.group(1)


def test_the_readme_custom_rule_snippet_runs_as_written(tmp_path, capsys):
    block = readme_custom_rule_block()
    (tmp_path / "readme_rule.py").write_text(block)
    module = _import_file(tmp_path / "readme_rule.py", "readme_rule")
    printed = capsys.readouterr().out
    assert printed == "-0.5772156649\n", printed
    euler = 0.5772156649015329
    assert module.tl.grad(module.gamma_of)(1.0) == pytest.approx(-euler, rel=1e-12)
    assert module.tl.jvp(module.gamma_of, (1.0,), (2.0,))[1] == pytest.approx(-2 * euler, rel=1e-12)
    assert "# -0.5772156649:" in block   # the output the README shows is this one


def test_the_readme_snippet_without_its_import_fails_at_registration(tmp_path):
    block = readme_custom_rule_block()
    assert "from tangent_lite.runtime import digamma" in block
    broken = block.replace("from tangent_lite.runtime import digamma", "")
    (tmp_path / "copied.py").write_text(broken)
    with pytest.raises(MissingRuleError, match=r"copied\.py:\d+: .*`digamma`"):
        _import_file(tmp_path / "copied.py", "copied")
