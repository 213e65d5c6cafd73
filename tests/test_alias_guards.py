"""An alias check before `x += e` may read a name that is bound on other paths only (here
`s0_old`, which the swap in the other branch binds): the gradient must run on every path.
Found by the random programs (tests/test_idioms_fuzz.py, test_control_flow.py's long mode)."""
import numpy as np
import pytest
from helpers import check_grad, numeric_grad

import tangent_lite as tl


def swap_in_one_branch(x):
    s0 = x[0] * 1.0
    s1 = np.sin(x[1])
    if s1 * s0 > 0.28:
        s0 = s1
        if np.sin(s1) > 0.23:
            s1 += 0.3 * np.tanh(s0)
        else:
            s0, s1 = s1, s0
    return s0 * s1


@pytest.mark.parametrize("x", [[1.0, 1.0], [0.5, 2.0], [-1.0, 0.3], [0.9, 2.9]])
def test_every_path(x):
    x = np.array(x)
    check_grad(swap_in_one_branch, x)
    v = np.array([1.0, -0.5])
    np.testing.assert_allclose(tl.jvp(swap_in_one_branch, (x,), (v,))[1],
                               numeric_grad(swap_in_one_branch, [x], 0) @ v, rtol=1e-6)
    _, pullback = tl.vjp(swap_in_one_branch, x)
    np.testing.assert_allclose(pullback(1.0), numeric_grad(swap_in_one_branch, [x], 0),
                               rtol=1e-6)
