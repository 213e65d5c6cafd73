"""The rule table: one derivative template per primitive, and the non-differentiable set."""
from .registry import (adjoint, lookup, nondifferentiable, registry_version,  # noqa: F401
                       tangent_rule)
from . import (builtin_adjoints, numpy_adjoints, numpy_tangents,  # noqa: F401  (the table)
               runtime_tangents)
from . import numpy_elementwise, numpy_reductions  # noqa: F401  (more ufuncs, reductions)
from . import numpy_fft, numpy_linalg, numpy_shapes  # noqa: F401  (shapes, products, linalg, fft)
from . import scatter  # noqa: F401  (ufunc.at: np.add.at and its kin)
