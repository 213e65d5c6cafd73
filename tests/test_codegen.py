"""Standalone gradient modules (tangent_lite.generate_module) and debuggable generated code."""
import ast
import inspect
import pathlib
import re
import shlex
import sys
import traceback

import numpy as np
import pytest
from codegen_support import (MODULE, forget_fixture, line_of, run_without_tangent_lite,
                             write_fixture)
from helpers import numeric_grad

import tangent_lite
from tangent_lite import aot, runtime
from tangent_lite.aot import runtime_source
from tangent_lite.aot import CodegenError, cli, linker, targets

X = np.array([0.3, -0.7, 0.4])
SCALE = 1.3


@pytest.fixture
def fixture(tmp_path):
    module = write_fixture(tmp_path)
    yield module
    forget_fixture(tmp_path)


def _generate(fixture, tmp_path, filename="grads.py", **kwargs):
    kwargs.setdefault("wrt", ("x", "scale"))
    path = tangent_lite.generate_module([fixture.model, fixture.other], tmp_path / filename,
                                        **kwargs)
    return path, path.read_text()


def _top_level(text):
    return [n for n in ast.parse(text).body]


# --- The acceptance test: importable and correct without tangent_lite ----------------------

def test_generated_module_runs_without_tangent_lite_and_matches_finite_differences(
        fixture, tmp_path):
    _generate(fixture, tmp_path)
    proc = run_without_tangent_lite(tmp_path, f"""
        import json, sys
        import numpy as np
        import grads
        x, s = np.array({X.tolist()}), {SCALE}
        out = {{}}
        for name in ("grad_model", "grad_other"):
            gx, gs = getattr(grads, name)(x, s)
            out[name] = [gx.tolist(), gs]
        out["loaded"] = sorted(m for m in sys.modules if m.startswith("tangent_lite"))
        print(json.dumps(out))
    """)
    assert proc.result["loaded"] == []
    for func in (fixture.model, fixture.other):
        gx, gs = proc.result[f"grad_{func.__name__}"]
        np.testing.assert_allclose(gx, numeric_grad(func, [X, SCALE], 0), rtol=1e-6)
        np.testing.assert_allclose(gs, numeric_grad(func, [X, SCALE], 1), rtol=1e-6)


def test_forward_mode_module_runs_without_tangent_lite(fixture, tmp_path):
    _generate(fixture, tmp_path, mode="forward")
    v, vs = np.array([0.2, 0.1, -0.5]), 0.7
    proc = run_without_tangent_lite(tmp_path, f"""
        import json
        import numpy as np
        import grads
        x, v = np.array({X.tolist()}), np.array({v.tolist()})
        y, dy = grads.jvp_model(x, {SCALE}, dx=v, dscale={vs})
        print(json.dumps([y, dy]))
    """)
    eps = 1e-6
    expected = (fixture.model(X + eps * v, SCALE + eps * vs)
                - fixture.model(X - eps * v, SCALE - eps * vs)) / (2 * eps)
    assert proc.result[0] == pytest.approx(fixture.model(X, SCALE))
    assert proc.result[1] == pytest.approx(expected, rel=1e-6)


# --- What the module contains ---------------------------------------------------------------

def test_module_imports_numpy_and_the_users_module_only(fixture, tmp_path):
    _, text = _generate(fixture, tmp_path)
    imported = set()
    for node in _top_level(text):
        if isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    assert imported == {"numpy", MODULE}
    assert re.search(rf"^from {MODULE} import .*\bW\b", text, re.M)   # a global it reads
    assert "clipped_square" in text.split(f"from {MODULE} import")[1].split("\n")[0]


def test_one_copy_of_each_runtime_helper_and_helper_vjp(fixture, tmp_path):
    _, text = _generate(fixture, tmp_path)
    defined = [n.name if hasattr(n, "name") else n.targets[0].id for n in _top_level(text)
               if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Assign))]
    assert len(defined) == len(set(defined)), defined
    assert {"grad_model", "grad_other", "vjp_clipped_square", "Stack", "unbroadcast",
            "grads_like", "InputError"} <= set(defined)
    # Only what the code reaches is copied.
    assert "prod_adjoint" not in defined and "norm_adjoint" not in defined
    # The runtime text is copied verbatim.
    assert inspect.getsource(runtime.unbroadcast) in text


def test_header_and_public_names(fixture, tmp_path):
    path, text = _generate(fixture, tmp_path)
    lines = text.splitlines()
    assert lines[0].startswith(f"{aot.HEADER} {tangent_lite.__version__} from {MODULE}")
    assert "Do not edit" in text.split('"""')[0]
    assert f"tangent-lite gen {MODULE}:model {MODULE}:other --wrt x,scale -o {path}" in text
    module_doc = ast.get_docstring(ast.parse(text))
    assert "grad_model(x, scale)" in module_doc and "runs without tangent_lite" in module_doc
    assert '\n__all__ = ["grad_model", "grad_other"]\n' in text
    code = [line for line in lines if not line.startswith("#     tangent-lite gen")]
    assert all(len(line) <= 100 for line in code), max(code, key=len)


def test_each_gradient_is_what_grad_compiles(fixture, tmp_path):
    """Nothing is lost in linking: apart from renamed clashes the code is tangent_lite's own
    (its generic df: the shape-specialised variants are compiled at run time, from f's
    source, which a module does not carry)."""
    _, text = _generate(fixture, tmp_path)
    with tangent_lite.optimize.disabled("specialise"):
        assert tangent_lite.source(fixture.model, wrt=("x", "scale")) in text


def test_clashing_names_are_renamed_apart(fixture, tmp_path):
    # squash and append are small elementwise callees, which are inlined where they are
    # called (tests/test_small_callees.py): with that pass on, no vjp of them is linked
    _, inlined = _generate(fixture, tmp_path, filename="inlined.py")
    assert "vjp_squash" not in inlined and "append2" not in inlined
    # the linker's renaming of callees apart, with the callees called
    with tangent_lite.optimize.disabled("small_callees"):
        _, text = _generate(fixture, tmp_path)
    # The user's append is imported under another name; the runtime's keeps its own.
    assert re.search(rf"^from {MODULE} import .*\bappend as append2\b", text, re.M)
    assert "def append(items, value):" in text
    grad_other = text[text.index("def grad_other"):text.index("\n\n\ndef", text.index(
        "def grad_other"))]
    assert "t_append = append2(x, scale)" in grad_other
    assert "outs = append(outs, t_mul)" in grad_other
    # squash is differentiated with respect to (a, b) in model and (a,) in other.
    assert "def vjp_squash(dresult, a, b)" in text and "def vjp_squash2(dresult, a, b)" in text
    assert "dx = vjp_squash2(dt_squash, x, 2.0)" in grad_other


def test_names_wrt_per_function_and_a_single_function(fixture, tmp_path):
    path = tangent_lite.generate_module(
        [fixture.model, fixture.other], tmp_path / "g.py", name=["dmodel", "dother"],
        wrt={"model": "scale", "other": ("x", "scale")})
    text = path.read_text()
    assert "def dmodel(x, scale):" in text and "def dother(x, scale):" in text
    assert "--name dmodel,dother" not in text   # a dict of wrt has no command-line spelling
    assert "the build script" in text.split('"""')[0]
    single = tangent_lite.generate_module(fixture.shapes, tmp_path / "one.py", name="dshapes")
    assert "def dshapes(x, y):" in single.read_text()


@pytest.mark.parametrize("kwargs, message", [
    (dict(name=["only_one"]), "1 name(s) for 2 function(s)"),
    (dict(name=["a", "class"]), "'class' cannot name"),
    (dict(name=["unbroadcast", "b"]), "another definition there has that name"),
    (dict(mode="sideways"), "mode='sideways'"),
    (dict(wrt="nope"), "has no argument of that name"),
])
def test_bad_requests_are_refused(fixture, tmp_path, kwargs, message):
    with pytest.raises(tangent_lite.TangentLiteError, match=re.escape(message)):
        _generate(fixture, tmp_path, **kwargs)
    assert not (tmp_path / "grads.py").exists()


def test_closure_variables_cannot_be_shipped(tmp_path):
    def make(k):
        def scaled(x):
            return np.sum(x * k)
        return scaled
    with pytest.raises(CodegenError, match="closure variable 'k'"):
        aot.module_source(make(2.0))


def test_globals_of_a_script_cannot_be_imported(fixture):
    as_script = type(fixture.model)(fixture.model.__code__, fixture.model.__globals__, "model")
    as_script.__module__ = "__main__"
    with pytest.raises(CodegenError, match="__main__"):
        aot.module_source(as_script)


# --- Writing the file -----------------------------------------------------------------------

def test_overwrite_protection(fixture, tmp_path):
    target = tmp_path / "grads.py"
    target.write_text("handwritten = True\n")
    with pytest.raises(CodegenError, match="not generated by tangent_lite"):
        _generate(fixture, tmp_path)
    assert target.read_text() == "handwritten = True\n"
    _generate(fixture, tmp_path, force=True)
    assert aot.is_generated(target)
    _generate(fixture, tmp_path, name=["m2", "o2"])      # ours: replaced without force
    assert "def m2(" in target.read_text()
    with pytest.raises(CodegenError, match="source of a function"):
        tangent_lite.generate_module(fixture.model, tmp_path / f"{MODULE}.py", force=True)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_write_is_atomic(fixture, tmp_path, monkeypatch):
    target = tmp_path / "grads.py"
    _generate(fixture, tmp_path)
    before = target.read_text()

    def fail(*args):
        raise OSError("disk full")
    monkeypatch.setattr(aot.module.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        _generate(fixture, tmp_path, name=["m2", "o2"])
    assert target.read_text() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_header_command_regenerates_the_same_file(fixture, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tangent_lite.generate_module([fixture.model, fixture.shapes], "grads.py")
    text = path.read_text()
    lines = text.splitlines()
    command = lines[lines.index("# Do not edit; regenerate with:") + 1].lstrip("# ")
    argv = shlex.split(command)
    assert argv[0] == "tangent-lite"
    path.write_text(text.replace("def grad_model", "def stale"))
    assert cli.main(argv[1:]) == 0
    assert path.read_text() == text


# --- Debuggable output ----------------------------------------------------------------------

def test_traceback_of_df_shows_generated_line_and_original_line(fixture):
    df = tangent_lite.grad(fixture.shapes)
    with pytest.raises(ValueError) as info:
        df(np.ones((2, 3)), np.ones((2, 2)))
    text = "".join(traceback.format_exception(info.value))
    original = line_of("return np.sum(z @ y)")
    assert "t_matmul = z @ y" in text
    assert f"t_matmul = z @ y  # line {original}" in text
    assert f"{MODULE}.py:" in text          # the code object's file names where f lives
    # The printed source stays free of the per-line annotations.
    assert "z @ y  # line" not in tangent_lite.source(fixture.shapes)


def test_traceback_of_generated_module_points_into_the_file(fixture, tmp_path):
    path = tangent_lite.generate_module(fixture.shapes, tmp_path / "grads.py")
    proc = run_without_tangent_lite(tmp_path, """
        import numpy as np
        import grads
        grads.grad_shapes(np.ones((2, 3)), np.ones((2, 2)))
    """, check=False)
    assert proc.returncode == 1 and "ValueError" in proc.stderr
    frame = re.findall(r'File "([^"]*grads\.py)", line (\d+), in grad_shapes\n(.*)',
                       proc.stderr)
    assert frame, proc.stderr
    filename, lineno, shown = frame[-1]
    assert shown.strip() == "t_matmul = z @ y"
    lines = path.read_text().splitlines()[:int(lineno)]
    comment = next(line for line in reversed(lines) if line.strip().startswith("# line "))
    assert comment.strip().startswith(f"# line {line_of('return np.sum(z @ y)')}:")


# --- The README shows real output ------------------------------------------------------------

README_GEN = re.compile(r"<!-- gen: (.*?) -->\n```python\n(.*?)```", re.S)


def test_readme_module_excerpt_is_what_gen_writes():
    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text()
    excerpts = README_GEN.findall(readme)
    assert excerpts
    for args, text in excerpts:
        argv = shlex.split(args)
        functions = [targets.load(a) for a in argv if ":" in a]
        generated = aot.module_source(functions, command=f"tangent-lite gen {args}")
        assert generated.startswith(text)


# --- The pieces -----------------------------------------------------------------------------

def test_rename_touches_only_free_names():
    source = ("def f(x, limit=W):\n"
              "    # W and np in a comment stay\n"
              "    y = np.sum(x, axis=W) + g(limit=W)\n"
              "    return y.W + W\n")
    out = linker.rename(source, {"W": "W2", "np": "numpy", "limit": "L"})
    assert out == ("def f(x, limit=W2):\n"
                   "    # W and np in a comment stay\n"
                   "    y = numpy.sum(x, axis=W2) + g(limit=W2)\n"
                   "    return y.W + W2\n")


def test_free_names_are_globals_and_builtins():
    source = "def f(x, k=K):\n    y = np.sum(x)\n    return len(y) + y\n"
    assert linker.free_names(source) == ["K", "len", "np"]


def test_runtime_copy_closes_over_what_helpers_call():
    needed = runtime_source.closure(["grad_like", "unindex"])
    assert {"grad_like", "InputError", "unindex", "zeros_grad", "float_dtype",
            "_is_float"} <= set(needed)
    assert "prod_adjoint" not in needed
    assert needed == [n for n in runtime_source.names() if n in needed]   # file order
    text = runtime_source.source(["grad_like"])
    assert "InputError = TypeError" in text and "def grad_like(" in text


OBJECTS = '''\
import collections
import numpy as np


class Lin:
    def __init__(self, W):
        self.W = W

    def __call__(self, x):
        return np.tanh(self.W @ x)


LAYERS = [Lin(np.eye(3) * 0.5), Lin(np.array([[0.2, 0.1, 0.0], [0.0, 0.3, 0.1], [0.1, 0.0, 0.4]]))]
State = collections.namedtuple("State", ["h", "c"])


def layered(x):
    h = x
    for layer in LAYERS:
        h = layer(h)
    return np.sum(h ** 2)


def stateful(x):
    s = State(h=np.tanh(x), c=x * 0.5)
    for t in range(2):
        s = State(h=np.tanh(s.h + s.c), c=s.c * 0.9 + s.h)
    return np.sum(s.h * s.c)
'''


def test_methods_of_objects_and_records_ship(tmp_path):
    # a method called on objects of one class (MethodOf) made the linker fail with a raw
    # AttributeError; records built inside f ship with their runtime helpers
    (tmp_path / "tl_objects.py").write_text(OBJECTS)
    sys.path.insert(0, str(tmp_path))
    try:
        import tl_objects
        tangent_lite.generate_module([tl_objects.layered, tl_objects.stateful],
                                     tmp_path / "object_grads.py")
        proc = run_without_tangent_lite(tmp_path, f"""
            import json
            import numpy as np
            import object_grads
            x = np.array({X.tolist()})
            print(json.dumps({{n: getattr(object_grads, "grad_" + n)(x).tolist()
                              for n in ("layered", "stateful")}}))
        """)
        for name in ("layered", "stateful"):
            np.testing.assert_allclose(proc.result[name],
                                       numeric_grad(getattr(tl_objects, name), [X], 0),
                                       rtol=1e-6, atol=1e-9)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("tl_objects", None)
