"""check_grad: compare a gradient with central finite differences, element by element."""
import inspect
from typing import Any, Callable

import numpy as np

from .api import grad, unwrap
from .errors import user_facing
from .pipeline import wrt_names


@user_facing
def check_grad(f: Callable[..., Any], *args: Any, wrt: Any = 0, rtol: float = 1e-5,
               atol: float = 1e-8, eps: float = 1e-6) -> float:
    """Compare tangent_lite's gradient of `f` at `args` with central finite differences.

    Returns the largest absolute error. On a mismatch (|g - fd| > atol + rtol * |fd| anywhere)
    raises AssertionError with a report of the elements that disagree. Finite differences run
    in float64 on sum(f(...)), the function grad differentiates.
    """
    func = unwrap(f)
    names = wrt_names(func, wrt)
    params = list(inspect.signature(func).parameters)
    got = grad(f, wrt=wrt)(*args)
    gots = got if isinstance(wrt, (tuple, list)) else (got,)
    worst, report = 0.0, []
    for name, g in zip(names, gots):
        index = params.index(name)
        expected = _central_differences(func, args, index, eps)
        g = np.asarray(g, dtype=np.float64)
        if g.shape != expected.shape:
            raise AssertionError(f"gradient with respect to {name} has shape {g.shape}, the "
                                 f"argument has shape {expected.shape}")
        error = np.abs(g - expected)
        worst = max(worst, float(np.max(error, initial=0.0)))
        bad = error > atol + rtol * np.abs(expected)
        for idx in zip(*np.nonzero(bad)) if g.ndim else ([()] if bad else []):
            where = f"[{', '.join(str(int(i)) for i in idx)}]" if idx else ""
            report.append(f"  d/d{name}{where}: tangent_lite {float(g[idx]):.8g}, finite "
                          f"differences {float(expected[idx]):.8g}, error {error[idx]:.3g}")
    if report:
        shown = report[:20] + ([f"  ... and {len(report) - 20} more"] if len(report) > 20 else [])
        raise AssertionError(f"gradient of {func.__name__} disagrees with finite differences "
                             f"(rtol={rtol}, atol={atol}) at {len(report)} element(s):\n"
                             + "\n".join(shown))
    return worst


def _central_differences(func, args, index, eps):
    args = list(args)
    x0 = args[index]
    x = np.array(x0, dtype=np.float64)
    out = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        sums = []
        for step in (eps, -eps):
            xs = x.copy()
            xs[idx] += step
            args[index] = float(xs) if isinstance(x0, float) else xs
            sums.append(np.sum(np.asarray(func(*args), dtype=np.float64)))
        out[idx] = (sums[0] - sums[1]) / (2 * eps)
    return out
