"""tangent_lite: source-to-source automatic differentiation for Python and NumPy."""
from . import errors as _errors
from . import runtime as _runtime
from ._version import __version__
from .api import (Differentiable, Pullback, differentiate, grad, hessian, hvp, jacobian, jvp,
                  show, source, value_and_grad, vjp)
from .checking import check_grad
from .aot import generate_module
from .hooks import checkpointed, grad_of, stop_gradient
from .pytree import register_pytree
from .errors import (InputError, MissingRuleError, SourceUnavailableError, TangentLiteError,
                     UnsupportedSyntaxError)
from .rules import adjoint, tangent_rule
from .rules.registry import d

for _module in (_runtime, *_runtime.MODULES):   # where grad_like, svd_adjoint ... look it up
    if hasattr(_module, "InputError"):
        _module.InputError = _errors.InputError
del _module

__all__ = [
    "grad", "value_and_grad", "vjp", "jvp", "hvp", "hessian", "jacobian", "differentiate",
    "Differentiable", "Pullback", "source", "show", "adjoint", "tangent_rule", "stop_gradient",
    "grad_of", "checkpointed", "check_grad", "d",
    "TangentLiteError", "UnsupportedSyntaxError", "MissingRuleError", "SourceUnavailableError",
    "InputError", "generate_module", "__version__", "register_pytree",
]
