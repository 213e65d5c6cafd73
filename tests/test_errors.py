"""Everything outside the supported language is refused by grad(f) with a
TangentLiteError subclass whose message names this file, the line of the construct, the
construct, and what to write instead.

Each corpus function marks its offending line with the comment `# <-`; the expected line number
is computed from that marker, never written by hand.
"""
import math
import os
import re

import numpy as np
import pytest

import tangent_lite
from tangent_lite import (MissingRuleError, SourceUnavailableError, TangentLiteError,
                          UnsupportedSyntaxError)

U, M = UnsupportedSyntaxError, MissingRuleError
BASENAME = os.path.basename(__file__)
CASES = []
HINT = re.compile(r"\b(instead|use|write|register|define|move|assign|pass|return|compute|"
                  r"call|index|inline|wrap|end|name|import|leave|differentiate)\b", re.I)


def case(cls, construct):
    """Add the decorated function to the corpus: expected error class and a regex that the
    message must match (it names the construct)."""
    def register(f):
        CASES.append(pytest.param(f, cls, construct, id=f.__name__))
        return f
    return register


def helper(v):
    return v * 2.0


def calls_a_library(v):
    return np.sum(np.vander(v, 3))  # <-


def library_source_fails_in_a_helper(x):
    return calls_a_library(x)


@case(U, r"\btry\b")
def try_except(x):
    try:  # <-
        y = np.log(x)
    except ValueError:
        y = x
    return np.sum(y)


@case(U, r"\bwith\b")
def with_block(x):
    with np.errstate(all="ignore"):  # <-
        y = np.log(x)
    return np.sum(y)


@case(U, r"writing into the dict")
def dict_write_into_an_alias(x):
    scaled = {k: x * k for k in (1.0, 2.0)}
    alias = scaled
    scaled[1.0] = x  # <-
    return np.sum(alias[1.0])


@case(U, r"generator")
def generator_expression_consumed_lazily(x):
    return np.sum(np.fromiter((v * v for v in x), float))  # <-


@case(U, r"walrus|:=")
def walrus_after_and(x):
    if x.size > 0 and (y := np.sum(x)) > 1.0:  # <-
        return y
    return np.sum(x)


@case(U, r"walrus|:=")
def walrus_in_while_test(x):
    while (s := np.sum(x)) < 10.0:  # <-
        x = x * 2.0
    return s


@case(U, r"walrus|:=")
def walrus_read_before(x):
    y = x
    return np.sum(y * (y := x * 2.0))  # <-


@case(U, r"standard_normal|random|method")
def random_draw_from_differentiated_value(x):
    rng = np.random.default_rng(0)
    return np.sum(rng.normal(x, 1.0))  # <-


@case(U, r"\bglobal\b")
def global_statement(x):
    global helper  # <-
    return np.sum(x)


def make_nonlocal():
    count = 0

    def uses_nonlocal(x):
        nonlocal count  # <-
        return np.sum(x)
    return uses_nonlocal


CASES.append(pytest.param(make_nonlocal(), U, r"\bnonlocal\b", id="nonlocal_statement"))


@case(U, r"\bdel\b")
def del_statement(x):
    y = x * 2.0
    del x  # <-
    return np.sum(y)


@case(U, r"starred|\*rest")
def starred_unpacking_into_a_subscript(x):
    rest = [0.0, 0.0, 0.0]
    a, *rest[1:] = x  # <-
    return a * np.sum(rest)


@case(U, r"return")
def no_return(x):  # <-
    y = x * 2.0  # noqa: F841


@case(M, r"modf")
def calls_function_without_rule(x):
    return math.modf(x)[0]  # <-


@case(M, r"nextafter")
def calls_ufunc_without_rule(x):
    return np.sum(np.nextafter(x))  # <-


@case(M, r"linspace")
def constant_constructor_of_differentiated_value(x):
    return np.sum(np.linspace(0.0, x, 5))  # <-


@case(U, r"method|\.partition")
def method_call_statement(x):
    x.partition(1)  # <-
    return np.sum(x * x)


@case(U, r"\.flat|attribute")
def attribute_read(x):
    return np.sum(x.flat)  # <-


@case(U, r"attribute")
def attribute_assignment(x):
    x.shape = (3,)  # <-
    return np.sum(x)


@case(U, r"unpack")
def unpack_nested_starred(x):
    c = [x, x]
    a, (b, *c[1:]) = x  # <-
    return a * b


@case(U, r"\bimport\b")
def import_inside(x):
    import math as m  # <-
    return np.sum(x) * m.pi


@case(U, r"\*")
def starred_call_argument(x):
    return np.sum(np.add(*[x, x]))  # <-


@case(U, r"\band\b|\bor\b")
def bool_op(x, y):
    return np.sum(x and y)  # <-


@case(U, r"yield|generator")
def yields(x):
    yield x  # <-
    return np.sum(x)


@case(U, r"async|coroutine")
async def coroutine(x):  # <-
    return np.sum(x)


# A NumPy function without a rule is differentiated from its source, and fails there: the error
# names this line, the function, and the library's own file and line.
LIBRARY = r"has no derivative rule, and differentiating its source failed at numpy/\S+\.py:\d+"


@case((U, M), r"np\.cov " + LIBRARY)
def library_source_fails(x):
    c = np.cov(x * 2.0)  # <-
    return np.sum(c)


@case((U, M), r"np\.i0 " + LIBRARY)
def library_source_fails_in_a_loop(x):
    total = 0.0
    for k in range(2):
        total = total + np.sum(np.i0(x * k))  # <-
    return total


two_lambdas = (lambda x: x * x, lambda x: x * 3.0)  # <-
CASES.append(pytest.param(two_lambdas[1], U, r"lambda", id="two_lambdas_on_one_line"))


def marked_line(func):
    """The file line number of the `# <-` marker in `func`'s source."""
    import inspect
    lines, start = inspect.getsourcelines(func)
    marked = [i for i, line in enumerate(lines) if "# <-" in line]
    assert len(marked) == 1, f"{func.__name__} needs exactly one marker"
    return start + marked[0]


def _hint_of(err):
    assert err.hint, f"no hint in {str(err)!r}"
    assert err.hint in str(err)
    return err.hint


@pytest.mark.parametrize("func, cls, construct", CASES)
def test_unsupported_construct_is_refused_with_location_and_hint(func, cls, construct):
    with pytest.raises(TangentLiteError) as info:
        tangent_lite.grad(func)
    err = info.value
    text = str(err)
    classes = cls if isinstance(cls, tuple) else (cls,)
    assert type(err) in classes, f"expected {cls}, got {type(err).__name__}: {text}"
    assert re.search(re.escape(BASENAME) + ":" + str(marked_line(func)) + r"\b", text), text
    assert re.search(construct, text.split("\n")[0], re.I), text
    assert HINT.search(_hint_of(err)), text


@pytest.mark.parametrize("func, cls, construct", CASES[:3])
def test_refusals_are_repeatable(func, cls, construct):
    # A failed compilation leaves nothing half-built behind: asking again raises again.
    for _ in range(2):
        with pytest.raises(cls):
            tangent_lite.grad(func)
        with pytest.raises(cls):
            tangent_lite.source(func)


def test_supported_lines_around_a_refusal_are_not_blamed():
    # The first offending line is reported, not the def line or a later one.
    err = pytest.raises(U, tangent_lite.grad, try_except).value
    assert err.lineno == marked_line(try_except)
    assert err.source_line.strip().startswith("try")


@pytest.mark.parametrize("builtin", [np.sin, math.gamma, len, np.add.reduce],
                         ids=["np.sin", "math.gamma", "len", "np.add.reduce"])
def test_builtin_passed_to_grad_is_source_unavailable(builtin):
    with pytest.raises(SourceUnavailableError) as info:
        tangent_lite.grad(builtin)
    assert HINT.search(_hint_of(info.value)), str(info.value)


def test_builtin_error_names_the_call_site():
    # Every message names file:line: for a builtin, that is where grad was called.
    line = marked_line(test_builtin_error_names_the_call_site)
    with pytest.raises(SourceUnavailableError) as info:
        tangent_lite.grad(np.sin)  # <-
    assert f"{BASENAME}:{line}" in str(info.value), str(info.value)


@pytest.mark.parametrize("filename", ["<tl-test-exec>", "/nonexistent/dir/generated.py"])
def test_function_defined_by_exec_is_source_unavailable(filename):
    namespace = {"np": np}
    exec(compile("\n\ndef made(x):\n    return np.sum(x * x)\n", filename, "exec"), namespace)
    with pytest.raises(SourceUnavailableError) as info:
        tangent_lite.grad(namespace["made"])
    text = str(info.value)
    assert f"{filename}:3" in text and "made" in text, text
    assert HINT.search(_hint_of(info.value)), text


def test_an_error_inside_a_library_names_the_users_call():
    """The user's file:line and line of code come first; the library's line is in the message,
    and the error raised inside the library is kept as the cause."""
    for attempt in (lambda: tangent_lite.grad(library_source_fails),
                    lambda: tangent_lite.jvp(library_source_fails, (np.ones((2, 3)),),
                                             (np.ones((2, 3)),))):
        with pytest.raises(TangentLiteError) as info:
            attempt()
        err = info.value
        assert (os.path.basename(err.filename), err.lineno) == (
            BASENAME, marked_line(library_source_fails))
        assert err.source_line.strip().startswith("c = np.cov(x * 2.0)")
        assert "@tangent_lite.adjoint(np.cov)" in err.hint
        cause = err.__cause__
        assert isinstance(cause, TangentLiteError) and "numpy" in cause.filename
        assert f":{cause.lineno}: " in str(err)


def test_a_library_called_from_a_helper_names_the_helpers_line():
    err = pytest.raises(TangentLiteError, tangent_lite.grad, library_source_fails_in_a_helper).value
    assert (err.filename, err.lineno) == (__file__, marked_line(calls_a_library))
    assert re.search(r"np\.vander " + LIBRARY, str(err)), str(err)


def test_a_helper_of_the_users_own_keeps_its_own_line():
    # Not a library: the error names the helper's line, as before.
    err = pytest.raises(U, tangent_lite.grad, calls_helper_with_with).value
    assert (err.lineno, err.filename) == (marked_line(helper_with_with), __file__)


def helper_with_with(v):
    with np.errstate(all="ignore"):  # <-
        w = v * 2.0
    return w


def calls_helper_with_with(x):
    return np.sum(helper_with_with(x))
