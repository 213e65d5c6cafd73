"""The rule table: one derivative template per primitive and mode, and the functions without a
gradient. Each module holds one topic, and for each function its reverse-mode rule (`@adjoint`)
and its forward-mode rule (`@tangent_rule`, or `linear(...)`) side by side:

    arithmetic       + - * / ** %, unary -, maximum, minimum, clip, where; comparisons
    elementwise      exp, log, trigonometric and hyperbolic functions, signs, sort; rounding
    reductions       sum, mean, prod, max, min, var, std, median, average, nan*, cumsum, cumprod
    shapes           reshape, flatten, transpose, x[i], take, concatenate, stack, split, pad, diff
    linalg           @, dot, outer, einsum, tensordot, ..., np.linalg
    numerical        polyval, convolve, correlate, trapezoid, interp
    fft              np.fft, and complex values: real, imag, conj, angle, abs
    scatter          ufunc.at as functions (np.add.at -> scatter_add, ...)
    builtins         float, sum, max, min, list, tuple, len, ...; asarray, astype, append
    pymath           the rest of Python's math (math.sin & co. share the rules of np.sin & co.):
                     math.log with a base, erf, erfc, lgamma, gamma, remainder, fsum
    special          scipy.special (expit, logsumexp, gammaln, ...): loaded only where SciPy
                     is installed (it stays an optional dependency)
    runtime_helpers  the helpers of generated gradient code (second derivatives)
    pytrees          field reads of namedtuples and dataclasses (getattr), dict loops

Conventions of every module:

- A template is a function `_` that is parsed, never run. Its first parameter is the function's
  result, the others are the function's own (with the defaults of the function). `d[v]` is the
  adjoint (gradient) of `v` in an @adjoint template and its tangent in a @tangent_rule one;
  `d` is registry.d. Other assignments are temporaries. The names a template uses (np, runtime
  helpers) are those of its module and appear as such in the generated code.
- A reverse rule assigns `d[p]` for each parameter `p` it differentiates, in terms of `d[y]`.
  `unbroadcast(g, x)` sums a gradient back to the operand `x`'s shape; the compiler drops it
  where the other operands cannot widen the result.
- A forward rule assigns `d[y]` a sum of terms, each linear in one argument's tangent. The
  compiler drops the terms of arguments without a tangent; `broadcast_like(t, y)` gives a lone
  term the result's shape. Where one term reads several tangents, the missing ones become
  `zeros_grad(p)` (which a module with such a term imports).
- `linear(f)`: f is linear in the argument(s) it is differentiated in, and its forward rule is f
  itself applied to the tangents, `d[y] = f(d[a], <the other arguments>)`, with the parameters
  of f's adjoint.
- `x: Shape` marks a parameter read only for its shape or type: a value that depends on what is
  differentiated may be passed there without a derivative.
- Constants are Python floats (`0.6931471805599453`, `np.pi / 180.0`), which NumPy treats as
  weakly typed, so float32 stays float32 in both modes.
- At a kink the rule takes one subgradient: 0 for the slope of |x| at 0, ties share the
  gradient equally. A partial derivative that is zero everywhere it exists is
  `d[p] = zeros_grad(p)` in reverse mode and `0.0 * d[p]` in forward mode, so a differentiated
  argument is accepted there.
- `nondifferentiable(f)`: f's result is locally constant (or an integer): its gradient is zero.
  With constant_inputs=True (constructors from shapes, helpers whose second derivatives are not
  implemented) a call whose arguments depend on what is differentiated is refused instead.
- Generated gradient code calls helpers of tangent_lite.runtime; a Hessian-vector product is
  forward mode over that code, so the helpers have forward rules only. Each module ends with
  those of its own helpers.
- One rule per function and mode: tests/test_rule_table.py fails if the package registers a
  function twice in the same mode (registry.duplicates()), which would leave one rule dead.
  Users registering a rule again replace it.
- One-line definitions are the point of the table: each module turns flake8's E704 off.
"""
from .registry import (adjoint, d, linear, lookup, nondifferentiable,  # noqa: F401
                       registry_version, tangent_rule)
from . import arithmetic, elementwise, reductions, shapes  # noqa: F401  (the table)
from . import linalg, fft, builtins, pymath, scatter, runtime_helpers, pytrees  # noqa: F401
from . import numerical  # noqa: F401

try:                  # SciPy is optional: scipy.special's rules are there when it is installed
    import scipy.special  # noqa: F401
except ImportError:
    pass
else:
    from . import special  # noqa: F401
