"""tangent_lite: source-to-source automatic differentiation for Python and NumPy."""
from . import errors as _errors
from . import runtime as _runtime
from .api import Differentiable, differentiate, grad, show, source
from .errors import (InputError, MissingRuleError, SourceUnavailableError, TangentLiteError,
                     UnsupportedSyntaxError)
from .rules import adjoint

_runtime.InputError = _errors.InputError

__version__ = "0.1.0"

__all__ = [
    "grad", "differentiate", "Differentiable", "source", "show", "adjoint",
    "TangentLiteError", "UnsupportedSyntaxError", "MissingRuleError", "SourceUnavailableError",
    "InputError", "__version__",
]
