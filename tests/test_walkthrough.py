"""The walkthrough's examples, as tests against exact analytic gradients."""
import numpy as np

import tangent_lite
from tangent_lite.examples import walkthrough


def test_dot_twice_gradient_is_4x():
    x = np.arange(4.0)
    np.testing.assert_allclose(tangent_lite.grad(walkthrough.dot_twice)(x), 4 * x)


def test_sum_gradient_is_ones():
    x = np.arange(4.0)
    np.testing.assert_array_equal(tangent_lite.grad(walkthrough.total)(x), np.ones(4))


def test_gradients_are_fresh_on_every_call():
    x = np.arange(4.0)
    df = tangent_lite.grad(walkthrough.total)
    first = df(x)
    first += 10.0          # the caller may modify what it got
    np.testing.assert_array_equal(df(x), np.ones(4))


def test_non_scalar_output_gives_gradient_of_sum():
    x = np.arange(4.0)
    np.testing.assert_allclose(tangent_lite.grad(walkthrough.square)(x), 2 * x)


def test_walkthrough_main_reports_success(capsys):
    assert walkthrough.main()
    out = capsys.readouterr().out
    assert "def grad_dot_twice(x):" in out
    assert "MISMATCH" not in out
