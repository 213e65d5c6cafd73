"""NumPy's reductions of a specialised variant's arrays called as the arrays' methods.

For an ndarray t, `np.sum(t, axis=1, keepdims=True)` runs `t.sum(axis=1, keepdims=True)`:
the function first goes through NumPy's array-function dispatch and `_wrapreduction`, which
look up t's type and its method, ~1.3 us a call on this project's machines, as long as the sum
itself of a 32 x 64 array (np.mean ~0.8 us more than t.mean, np.max ~1.3 us). A layer norm's
two means and a softmax's max and sum are a few percent of their gradients at small sizes.

Where a specialised variant (optimize/specialise.py) proves t an exact ndarray, the method is
the same reduction (the same ufunc's reduce, the same pairwise sums, bit for bit) without the
dispatch. A name is proved one when every binding of it is float64 (analysis/dtype_kinds.py's
kinds: a float64 array, NumPy scalar or Python float, traced from the guarded arguments) and
has one shape of rank >= 1 (analysis/concrete.py): NumPy scalars and Python floats have shape
(). Only np.sum, np.mean, np.max, np.min, np.prod (np.amax, np.amin) whose first argument is
such a name, with at most the axis after it and keywords among axis, keepdims and dtype (the
function's and the method's arguments then mean the same).
"""
import gast

from ..ir import Comment

_METHODS = {"sum": "sum", "mean": "mean", "max": "max", "min": "min", "prod": "prod",
            "amax": "max", "amin": "min"}
_KEYWORDS = {"axis", "keepdims", "dtype"}


def as_methods(stmts, arrays, np_name):
    """Rewrite, in place, in the statements `stmts` the reductions `np.f(t, ...)` of a name t
    in `arrays` (names proved exact ndarrays) as `t.f(...)`; np_name: how df spells NumPy.
    Returns how many."""
    count = 0
    for stmt in stmts:
        if isinstance(stmt, Comment):
            continue
        for node in gast.walk(stmt):
            if not isinstance(node, gast.Call):
                continue
            func = node.func
            if not (isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name)
                    and func.value.id == np_name and func.attr in _METHODS):
                continue
            if not (1 <= len(node.args) <= 2 and isinstance(node.args[0], gast.Name)
                    and node.args[0].id in arrays
                    and not any(isinstance(a, gast.Starred) for a in node.args)
                    and all(k.arg in _KEYWORDS for k in node.keywords)):
                continue
            node.func = gast.Attribute(value=node.args[0], attr=_METHODS[func.attr],
                                       ctx=gast.Load())
            node.args = node.args[1:]
            count += 1
    return count


def proved_arrays(kinds_of, shapes, float64):
    """The names that are exact ndarrays: float64 (kinds_of[name] == float64) with a shape of
    rank >= 1 in `shapes` (name -> shape, the same at every binding)."""
    return {name for name, shape in shapes.items()
            if len(shape) >= 1 and kinds_of.get(name) == float64}
