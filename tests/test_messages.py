"""Messages that used to mislead (issue 17): each says what is wrong and what to do, and names
the user's file:line."""
import math

import numpy as np
import pytest

import tangent_lite as tl
from tangent_lite import InputError, TangentLiteError, UnsupportedSyntaxError


def _line_of(func, text):
    """The file line number of the first line of func's source containing `text`."""
    import inspect
    lines, first = inspect.getsourcelines(func)
    return first + next(i for i, line in enumerate(lines) if text in line)


# --- a `try` whose branches all return ---------------------------------------------------------

def try_both_return(x):
    try:
        return np.log(x)
    except ValueError:
        return x


def try_inside_if(x):
    if x > 0:
        return x
    else:
        try:
            return np.sqrt(x)
        finally:
            pass


@pytest.mark.parametrize("func", [try_both_return, try_inside_if])
def test_a_try_whose_branches_return_is_refused_for_the_try(func):
    with pytest.raises(UnsupportedSyntaxError) as info:
        tl.grad(func)
    err = info.value
    assert "tangent_lite cannot differentiate try/except" in str(err), str(err)
    assert "reach its end" not in str(err)
    assert err.hint == "instead: move the error handling out of the differentiated function"
    assert (err.filename, err.lineno) == (__file__, _line_of(func, "try:"))


def test_a_function_that_really_can_fall_off_its_end_keeps_that_message():
    def falls_off(x):
        if x > 0:
            return x
    with pytest.raises(UnsupportedSyntaxError, match="can reach its end without returning"):
        tl.grad(falls_off)


# --- wrt=0 of a function taking *args -----------------------------------------------------------

def star_args(*args):
    return args[0] * args[1]


def one_then_rest(x, *rest):
    return x * rest[0]


@pytest.mark.parametrize("func, wrt, collected", [(star_args, 0, "args"),
                                                  (star_args, 1, "args"),
                                                  (one_then_rest, 1, "rest")])
def test_wrt_an_argument_collected_in_star_args(func, wrt, collected):
    with pytest.raises(TangentLiteError) as info:
        tl.grad(func, wrt=wrt)
    err = info.value
    name = func.__name__
    assert str(err).startswith(
        f"{__file__}:{func.__code__.co_firstlineno}: wrt={wrt}: argument {wrt} of {name} is "
        f"collected in *{collected}, and tangent_lite differentiates with respect to a named "
        f"parameter only"), str(err)
    assert "out of range" not in str(err) and "0 argument" not in str(err)
    assert err.hint == (f"instead: give the value to differentiate a parameter of its own, as in "
                        f"`def {name}(x, *{collected})`, and pass wrt=0 or wrt='x'")


def test_wrt_a_named_parameter_before_star_args_works():
    assert tl.grad(one_then_rest)(3.0, 2.0) == 2.0


def test_an_index_out_of_range_without_star_args_keeps_its_message():
    def two(x, y):
        return x * y
    with pytest.raises(TangentLiteError, match=r"wrt=2 is out of range: two has 2 argument"):
        tl.grad(two, wrt=2)


# --- something that is not a function ------------------------------------------------------------

@pytest.mark.parametrize("value, shown", [(42, "42 (int)"), (np.float64(2.0), "np.float64(2.0)"
                                           if np.__version__ >= "2" else "2.0 (float64)"),
                                          ("f", "'f' (str)"), (None, "None (NoneType)")])
@pytest.mark.parametrize("entry", [tl.grad, tl.value_and_grad, tl.source])
def test_grad_of_something_that_is_not_a_function(entry, value, shown):
    with pytest.raises(InputError) as info:
        entry(value)  # <- the line named
    err = info.value
    assert "is not a function: tangent_lite differentiates a Python function" in str(err)
    assert str(err).split(": ", 1)[1].startswith(shown), str(err)
    assert err.filename == __file__
    assert err.source_line.strip() == "entry(value)  # <- the line named"
    assert err.hint == "pass the function itself, as in tl.grad(f)(x), not a value such as f(x)"
    assert "derivative rule" not in str(err)


def test_a_callable_without_source_still_says_register_a_rule():
    with pytest.raises(TangentLiteError, match=r"register a derivative rule"):
        tl.grad(math.gamma)


# --- grad inside a differentiated function -------------------------------------------------------

def cube(x):
    return x * x * x


d_cube = tl.grad(cube)
value_and_d_cube = tl.value_and_grad(cube)


@tl.differentiate
def cube_d(x):
    return x * x * x


def calls_grad_inline(x):
    return tl.grad(cube)(x) * x          # 3x^2 * x = 3x^3: derivative 9x^2


def calls_module_level_gradient(x):
    return d_cube(x) * x


def calls_differentiate_grad(x):
    return cube_d.grad(x) * x


@pytest.mark.parametrize("func", [calls_grad_inline, calls_module_level_gradient,
                                  calls_differentiate_grad])
def test_grad_of_a_function_that_calls_grad(func):
    assert tl.grad(func)(2.0) == pytest.approx(36.0)
    x = np.array([0.5, -1.5])
    np.testing.assert_allclose(tl.grad(lambda v: np.sum(func(v)))(x), 9 * x ** 2)


def local_gradient(x):
    g = tl.grad(cube)
    return g(x) * x


def value_and_grad_inline(x):
    return tl.value_and_grad(cube)(x)[1] * x


def module_level_value_and_grad(x):
    return value_and_d_cube(x)[1] * x


@pytest.mark.parametrize("func, what, hint", [
    (local_gradient, "calling `g`, a gradient made inside the differentiated function",
     "instead: call it where it is made, as in `tl.grad(f)(x)`, or make it once at module "
     "level (`g = tl.grad(f)`) and call that"),
    (value_and_grad_inline, "tangent_lite.value_and_grad called inside the differentiated "
     "function (of the entry points, only grad can be)",
     "instead: write tl.grad(f)(x) there, or call value_and_grad outside the differentiated "
     "function"),
    (module_level_value_and_grad, "calling `value_and_d_cube`, tangent_lite's value_and_grad "
     "function (of the functions tangent_lite makes, only a gradient grad(f) can be "
     "differentiated again)", "instead: call tl.grad(f)(x) there, and f(x) for the value"),
])
def test_what_cannot_be_differentiated_inside_says_what_to_do(func, what, hint):
    with pytest.raises(UnsupportedSyntaxError) as info:
        tl.grad(func)
    err = info.value
    assert f"tangent_lite cannot differentiate {what}" in str(err), str(err)
    assert err.hint == hint
    assert (err.filename, err.lineno) == (__file__, _line_of(func, "return"))
    assert "has no derivative rule" not in str(err)
