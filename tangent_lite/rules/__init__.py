"""The rule table: one derivative template per primitive, and the non-differentiable set."""
from .registry import adjoint, lookup, nondifferentiable, registry_version  # noqa: F401
from . import builtin_adjoints, numpy_adjoints  # noqa: F401  (fill the table)
