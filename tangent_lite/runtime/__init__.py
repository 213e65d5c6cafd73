"""What generated gradient code calls at run time: helpers that import only NumPy, one module
per topic.

They call NumPy *functions* and make arrays like their inputs (`np.zeros_like`, `as_array`,
`size_of` in dispatch.py), so Dask and CuPy arrays pass through NumPy's dispatch protocols and stay
what they are: a Dask argument gets a lazy Dask gradient (README: Beyond one machine). Each
keeps its NumPy fast path first (`type(x) is np.ndarray`). The few that need NumPy's in-place
writes or sorting refuse other arrays with `numpy_only` rather than convert them.

Generated code names the helpers by their plain names (`unbroadcast`, `grad_like`, ...), and an
ahead-of-time generated module carries a verbatim copy of the ones it calls and imports only
NumPy (aot/runtime_source.py copies them from MODULES, in that order). The modules import from each
other in one direction, trees, dispatch, lists and core at the bottom:

    trees        which values are containers (pytrees), their children, GradDict
    dispatch     which arrays are NumPy's: duck, as_array, size_of, numpy_only, InputError,
                 float_dtype
    lists        gradients of lists: GradList, zeros_grad, add_grads, append, unset
    core         the stack, unbroadcast/unreduce, grad_like, tangents,
                 builtins and conversions
    ownership    who shares memory with whom (shares_memory, unshared), copies later
                 writes cannot reach (owned, owned_in, saved, detached)
    zips         zip used as a value (list(zip(a, b)), dict(zip(k, v))) and its gradients
    fused        sums of products in one np.vdot/np.einsum (optimize/fused.py)
    elementwise  powers, extrema, clip, sinc, fmax/fmin, sort (rules/elementwise.py); digamma
                 and trigamma (math.lgamma, rules/pymath.py: SciPy is optional)
    numerical    polyval, convolve/correlate, trapezoid, interp (rules/numerical.py)
    reductions   prod, max/min, cumsum/cumprod, average, median (rules/reductions.py)
    indexing     subscripts read and written: unindex, add_at, written ... (rules/shapes.py)
    shapes       transpose, concatenate/stack, tile, pad, take ... (rules/shapes.py)
    scatter      ufunc.at as functions: scatter_add, _subtract, _multiply, _maximum, _minimum
                 (rules/scatter.py)
    products     @, np.dot, einsum, tensordot, kron, inner, cross
    linalg       np.linalg: solve, slogdet, cholesky, eigh, svd, pinv, lstsq, norm ...
    fft          np.fft, and np.abs / np.angle of complex values (rules/fft.py)
    revolve      binomial checkpointing of loops: Checkpoints (snapshots and schedule)
    pytrees      fields of namedtuples and dataclasses, dict keys, unpacking checks

Each helper declares what the compiler may assume about it next to its signature, as string
annotations (`x: "shape"`, `-> "fresh"`); meta.py reads them (shape_args, is_fresh).

__all__ is every name generated code may use; this module re-exports those and InputError,
which tangent_lite replaces with its own error class in every module that raises it.
"""
from .meta import MODULES, is_fresh, shape_args  # noqa: F401
from .lists import add_grads, append, GradList, unlist, unset, zeros_grad
from .core import (all_numbers, any_complex, as_tangent, astype, broadcast_like, grad_like,
                   grads_like, InputError, real_like, reduced_count, select_arg,
                   select_tangent, shaped, Stack, tangent_like, unarray, unastype, unbroadcast,
                   unit_like, unit_of, unreduce, unsum, with_item)
from .ownership import (copied_in_order, detached, owned, owned_in, saved, shares_array_memory,
                        shares_memory, unshared)
from .zips import dict_zipped, undict_zipped, unzipped, zipped
from .fused import sum_product, sum_product_of_difference, sum_quotient
from .elementwise import (clip_mask, digamma, div_or_zero, pick_weight, safe_log, sign_grad,
                          match_order, sinc_slope, ties, trigamma, unsort)
from .reductions import (average_adjoint, average_weights_adjoint, average_weights_tangent,
                         cumprod_adjoint, cumprod_tangent, extremum_mask, median_weights,
                         nan_count, prod_adjoint, uncumsum)
from .numerical import (convolve_padding, interp_cells, interp_fp, interp_slope,
                        polyval_powers, polyval_slope, trapezoid_weights, uninterp,
                        untrapezoid)
from .indexing import (add_at, add_row_slices, add_item, set_at, written, unindex,
                       unindex_product)
from .shapes import (flatten, unappend, unatleast, unbroadcast_to, unconcatenate, undelete,
                     undiag, undiagonal, undiff, uninsert, unjoin, unpad, unpad_fill, unrepeat,
                     unresize, unstack, untake, untake_along_axis, untile, untrace, untranspose)
from .scatter import (scatter_add, scatter_maximum, scatter_minimum, scatter_multiply,
                      scatter_multiply_others, scatter_multiply_others_tangent, scatter_shares,
                      scatter_subtract)
from .products import (cross_adjoint, dot_lhs, dot_rhs, einsum_adjoint, einsum_adjoint_tangent,
                       einsum_part, einsum_tangent, inner_adjoint, kron_adjoint, matmul_lhs,
                       matmul_rhs, outer_adjoint, tensordot_adjoint)
from .linalg import (cholesky_adjoint, cholesky_tangent, eigh_adjoint, eigh_tangent,
                     eigvalsh_adjoint, eigvalsh_tangent, lstsq_adjoint, lstsq_tangent,
                     matrix_power_adjoint, matrix_power_tangent, norm_grad,
                     norm_grad_tangent, norm_tangent, pinv_adjoint, pinv_tangent, qr_adjoint, qr_tangent,
                     slogdet_adjoint, slogdet_adjoint_tangent, solve_adjoint, solve_adjoint_tangent, solve_tangent,
                     svd_adjoint, svd_tangent)
from .trees import GradDict, is_container, register_node  # noqa: F401
from .pytrees import (dict_entry, dict_of, dict_set, dict_unset, field, has_key, keys_of,
                      record,
                      record_tangent, sorted_keys, undict, unfield, unpacks, unrecord)
from .revolve import Checkpoints, copy_into
from .fft import (abs_adjoint, abs_adjoint_tangent, abs_tangent, angle_adjoint, angle_tangent,
                  fft_adjoint)


__all__ = [
    "Stack", "GradList", "unbroadcast", "sum_product", "sum_product_of_difference", "sum_quotient", "unit_like", "unit_of", "reduced_count", "all_numbers", "any_complex",
    "shaped", "tangent_like", "unreduce", "grad_like", "grads_like", "broadcast_like",
    "as_tangent", "select_tangent", "with_item", "zeros_grad", "add_grads", "append", "unset", "shares_memory", "shares_array_memory", "detached",
    "saved", "owned", "owned_in", "zipped", "unzipped", "dict_zipped", "undict_zipped", "unshared", "copied_in_order", "unarray", "unsum", "unlist", "select_arg", "astype", "unastype",
    "real_like",
    "ties", "sign_grad", "safe_log", "clip_mask", "sinc_slope", "pick_weight", "div_or_zero",
    "unsort", "match_order", "digamma", "trigamma",
    "polyval_slope", "polyval_powers", "convolve_padding", "trapezoid_weights", "untrapezoid",
    "interp_cells", "interp_slope", "uninterp", "interp_fp",
    "extremum_mask", "prod_adjoint", "nan_count", "uncumsum", "cumprod_adjoint",
    "cumprod_tangent", "average_adjoint", "average_weights_adjoint", "average_weights_tangent",
    "median_weights",
    "add_at", "add_row_slices", "add_item", "set_at", "written", "unindex", "unindex_product",
    "unconcatenate", "unstack", "untranspose", "unbroadcast_to", "untile",
    "unrepeat", "unpad", "unpad_fill", "undiag", "undiagonal", "untrace", "untake",
    "untake_along_axis", "unatleast", "unjoin", "unappend", "undelete", "uninsert", "unresize",
    "flatten", "undiff",
    "scatter_add", "scatter_subtract", "scatter_multiply", "scatter_maximum", "scatter_minimum",
    "scatter_multiply_others", "scatter_multiply_others_tangent", "scatter_shares",
    "matmul_lhs", "matmul_rhs", "dot_lhs", "dot_rhs", "einsum_adjoint", "einsum_part",
    "einsum_tangent", "einsum_adjoint_tangent", "tensordot_adjoint", "kron_adjoint", "inner_adjoint",
    "outer_adjoint", "cross_adjoint",
    "solve_adjoint", "solve_tangent", "solve_adjoint_tangent",
    "slogdet_adjoint", "slogdet_adjoint_tangent", "cholesky_adjoint", "cholesky_tangent",
    "eigh_adjoint", "eigh_tangent", "eigvalsh_adjoint", "eigvalsh_tangent", "svd_adjoint",
    "svd_tangent", "pinv_adjoint", "pinv_tangent", "lstsq_adjoint", "lstsq_tangent",
    "matrix_power_adjoint", "matrix_power_tangent", "norm_grad", "norm_grad_tangent", "norm_tangent",
    "qr_adjoint", "qr_tangent",
    "fft_adjoint", "abs_adjoint", "abs_tangent", "abs_adjoint_tangent", "angle_adjoint",
    "angle_tangent",
    "GradDict", "dict_entry", "dict_of", "dict_set", "dict_unset", "field", "has_key", "keys_of",
    "sorted_keys", "undict", "unfield", "unpacks", "record",
    "unrecord", "record_tangent",
    "Checkpoints", "copy_into",
]
