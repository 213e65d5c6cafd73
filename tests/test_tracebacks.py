"""A TangentLiteError reaches the user with tangent_lite's own frames hidden: the user's call is
the last frame of the traceback, then the message; TANGENT_LITE_FULL_TRACEBACK=1 shows every
frame. (Python 3.10 cannot drop the frame that re-raises: it shows that one line of
tangent_lite/errors.py, which names the environment variable; 3.11+ show none.)"""
import os
import pathlib
import subprocess
import sys
import textwrap
import traceback

import numpy as np
import pytest

import tangent_lite
from tangent_lite import errors

PACKAGE = pathlib.Path(tangent_lite.__file__).resolve().parent


def no_return(x):
    if x > 0:
        return x * 2.0


def cov_of(x):
    return np.sum(np.cov(x * 2.0))   # np.cov's source cannot be differentiated


def square(x):
    return np.sum(x * x)


def _internal_frames(exc):
    """The frames inside tangent_lite/ of exc's traceback and of the exceptions chained to it,
    less the one Python 3.10 keeps (the re-raising line of errors.user_facing)."""
    found = []
    while exc is not None:
        for frame in traceback.extract_tb(exc.__traceback__):
            path = pathlib.Path(frame.filename).resolve()
            if PACKAGE in path.parents:
                allowed = (sys.version_info < (3, 11) and path == PACKAGE / "errors.py"
                           and "TANGENT_LITE_FULL_TRACEBACK" in frame.line)
                if not allowed:
                    found.append(f"{frame.filename}:{frame.lineno} {frame.name}")
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return found


def _raised(call):
    with pytest.raises(tangent_lite.TangentLiteError) as info:
        call()
    return info.value


def _user_frames(exc):
    return [f for f in traceback.extract_tb(exc.__traceback__)
            if PACKAGE not in pathlib.Path(f.filename).resolve().parents]


CALLS = {
    "grad": lambda: tangent_lite.grad(no_return),
    "value_and_grad": lambda: tangent_lite.value_and_grad(no_return),
    "grad_has_aux": lambda: tangent_lite.grad(no_return, has_aux=True),
    "vjp": lambda: tangent_lite.vjp(no_return, 1.0),
    "jvp": lambda: tangent_lite.jvp(no_return, (1.0,), (1.0,)),
    "hvp": lambda: tangent_lite.hvp(no_return),
    "hessian": lambda: tangent_lite.hessian(no_return)(np.ones(2)),
    "jacobian": lambda: tangent_lite.jacobian(no_return)(np.ones(2)),
    "source": lambda: tangent_lite.source(no_return),
    "show": lambda: tangent_lite.show(no_return),
    "check_grad": lambda: tangent_lite.check_grad(no_return, 1.0),
    "differentiate.grad": lambda: tangent_lite.differentiate(no_return).grad(1.0),
    "differentiate.df": lambda: tangent_lite.differentiate(no_return).df,
    "generate_module": lambda: tangent_lite.generate_module(no_return, "/nonexistent/x.py"),
    "wrong_wrt": lambda: tangent_lite.grad(square, wrt="y"),
    "pullback_shape": lambda: tangent_lite.vjp(square, np.ones(3))[1](np.ones(4)),
    "library_source": lambda: tangent_lite.grad(cov_of),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_no_internal_frame_and_the_users_call_is_last(name, monkeypatch):
    monkeypatch.delenv("TANGENT_LITE_FULL_TRACEBACK", raising=False)
    exc = _raised(CALLS[name])
    assert _internal_frames(exc) == []
    frames = _user_frames(exc)
    # The last frame is this file's lambda in CALLS: the user's own call.
    assert frames[-1].filename == __file__ and frames[-1].name == "<lambda>", frames[-1]
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    assert text.rstrip().endswith(str(exc).rstrip()), text
    assert "During handling of the above exception" not in text, text


def test_a_library_source_failure_keeps_its_cause(monkeypatch):
    monkeypatch.delenv("TANGENT_LITE_FULL_TRACEBACK", raising=False)
    exc = _raised(CALLS["library_source"])
    assert isinstance(exc.__cause__, tangent_lite.TangentLiteError)
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    assert "The above exception was the direct cause" in text and "numpy" in text, text


def test_the_environment_variable_shows_every_frame(monkeypatch):
    monkeypatch.setenv("TANGENT_LITE_FULL_TRACEBACK", "1")
    exc = _raised(CALLS["grad"])
    assert any("pipeline.py" in f or "api.py" in f for f in _internal_frames(exc))
    monkeypatch.setenv("TANGENT_LITE_FULL_TRACEBACK", "0")   # 0 means off
    assert _internal_frames(_raised(CALLS["grad"])) == []


def test_errors_that_are_not_tangent_lite_errors_are_untouched():
    def boom(x):
        raise KeyError("from the user's own code")
    with pytest.raises(KeyError) as info:
        errors.user_facing(boom)(1.0)
    names = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert names[-2:] == ["entry_point", "boom"], names   # every frame kept


SCRIPT = """\
import tangent_lite

def f(x):
    if x > 0:
        return x * 2.0

df = tangent_lite.grad(f)   # the user's line
"""


@pytest.mark.parametrize("full", [False, True], ids=["default", "full_traceback"])
def test_an_uncaught_error_in_a_script(tmp_path, full):
    script = tmp_path / "user_script.py"
    script.write_text(SCRIPT)
    env = dict(os.environ)
    env.pop("TANGENT_LITE_FULL_TRACEBACK", None)
    if full:
        env["TANGENT_LITE_FULL_TRACEBACK"] = "1"
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 1
    err = proc.stderr
    lines = err.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert f'File "{script}", line 7, in <module>' in lines[1]
    assert "f can reach its end without returning a value" in err
    frames = [line for line in lines if line.lstrip().startswith('File "')]
    if full:
        assert len(frames) > 3, err
    else:
        expected = 2 if sys.version_info < (3, 11) else 1
        assert len(frames) == expected, err
        assert lines[-1].strip().startswith("end every path"), err


# -- errors raised while a compiled gradient runs ------------------------------------------------

def overlapping_copy(y, x):
    np.copyto(y[::2], y[:4])   # NumPy's result depends on its copy order: an InputError
    return np.sum(y * x)


def _call_in_generated_code(df, *args):
    exc = _raised(lambda: df(*args))
    return exc, [f.filename for f in traceback.extract_tb(exc.__traceback__)]


@pytest.mark.parametrize("api", ["grad", "vjp_pullback", "jvp"])
def test_an_input_error_of_a_running_gradient_shows_the_generated_line_last(api, monkeypatch):
    """A runtime helper's check on the inputs: the user's call, then the generated line that
    made the check (which names the user's line), then the message: no helper frames."""
    monkeypatch.delenv("TANGENT_LITE_FULL_TRACEBACK", raising=False)
    y, x = np.arange(8.0), np.ones(8)
    if api == "grad":
        call = lambda: tangent_lite.grad(overlapping_copy, wrt=1)(y, x)  # noqa: E731
    elif api == "vjp_pullback":
        call = lambda: tangent_lite.vjp(overlapping_copy, y, x, wrt=1)  # noqa: E731
    else:
        call = lambda: tangent_lite.jvp(overlapping_copy, (y, x), (None, x))  # noqa: E731
    exc = _raised(call)
    assert isinstance(exc, tangent_lite.InputError) and "overlaps" in str(exc)
    assert _internal_frames(exc) == []
    frames = traceback.extract_tb(exc.__traceback__)
    assert frames[-1].filename.startswith("<tangent_lite "), frames
    assert "copied_in_order" in frames[-1].line, frames[-1].line   # the generated line shows
    assert f"test_tracebacks.py:{overlapping_copy.__code__.co_firstlineno + 1}" in str(exc)


def test_the_environment_variable_keeps_the_runtime_frames(monkeypatch):
    monkeypatch.setenv("TANGENT_LITE_FULL_TRACEBACK", "1")
    exc = _raised(lambda: tangent_lite.grad(overlapping_copy, wrt=1)(np.arange(8.0), np.ones(8)))
    assert any("runtime" in f for f in _internal_frames(exc)), _internal_frames(exc)


def test_other_errors_inside_a_gradient_keep_every_frame():
    """A NumPy error inside the gradient (shapes that do not fit) is not tangent_lite's to
    trim: numpy's frames stay, for the user to debug."""
    def mismatched(W, x):
        return np.sum(np.tanh(W @ x))
    with pytest.raises(ValueError) as info:
        tangent_lite.grad(mismatched)(np.ones((2, 3)), np.ones(4))
    frames = traceback.extract_tb(info.value.__traceback__)
    assert frames[-1].filename.startswith("<tangent_lite "), frames


def test_pdb_lines_are_the_shown_source_after_the_guard():
    """The guard is in the compiled code only: every line the compiled df runs is a line of the
    source it shows (so pdb and tracebacks point at the right text)."""
    import dis
    df = tangent_lite.grad(overlapping_copy, wrt=1)
    shown = tangent_lite.source(overlapping_copy, wrt=1).splitlines()
    lines = {line for _, line in dis.findlinestarts(df.__code__) if line is not None}
    assert lines and max(lines) <= len(shown)
    body_lines = [i + 1 for i, text in enumerate(shown) if text.strip().startswith(
        ("copied_in_order", "return"))]
    assert set(body_lines) <= lines
