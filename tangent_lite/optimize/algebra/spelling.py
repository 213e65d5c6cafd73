"""What the rewrites of the algebraic simplifier share: how the generated code spells NumPy
and the runtime helpers, which expressions only compute their value (the purity test every
rewrite relies on: an expression moved, doubled, named once or dropped must have no other
effect), and small tests on the syntax of statements and expressions.

The rewrite modules import this one and never each other.
"""
import gast
import numpy as np

from ...ir import Comment
from ...ir.syntax import negated

# Runtime helpers that only compute their result (never write into an argument).
PURE_HELPERS = frozenset([
    "unbroadcast", "unreduce", "sum_product", "sum_product_of_difference", "sum_quotient", "reduced_count", "unit_of",
    "unit_like", "dot_lhs", "dot_rhs", "matmul_lhs", "matmul_rhs", "ties", "extremum_mask",
    "div_or_zero", "safe_log", "clip_mask", "pick_weight", "sign_grad", "unindex",
])
# NumPy functions (besides ufuncs) that only compute their result.
_PURE_NUMPY = frozenset(["sum", "mean", "reshape", "shape", "transpose", "dot", "matmul",
                         "outer", "where", "size", "ndim", "floor_divide", "trunc"])


# Expressions that may do more than compute a value (or hide what they compute).
IMPURE = (gast.Lambda, gast.NamedExpr, gast.Yield, gast.Await, gast.ListComp,
           gast.GeneratorExp, gast.DictComp, gast.SetComp, gast.YieldFrom)


class Spelling:
    """How the generated code spells NumPy and the runtime helpers (compiled.Bindings)."""

    def __init__(self, spelled):
        self.np = spelled("np") or "np"
        self.helpers = {spelled(h): h for h in PURE_HELPERS if spelled(h) is not None}
        self.unreduce = spelled("unreduce")
        self.unit_of = spelled("unit_of")
        self.unbroadcast = spelled("unbroadcast")
        self.count = spelled("reduced_count")

    def pure_call(self, node):
        """Whether a Call only computes its value."""
        func = node.func
        if any(k.arg == "out" for k in node.keywords):
            return False
        if isinstance(func, gast.Name):
            return func.id in self.helpers
        if (isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name)
                and func.value.id == self.np):
            found = getattr(np, func.attr, None)
            return isinstance(found, np.ufunc) or func.attr in _PURE_NUMPY
        return False

    def pure(self, node):
        """Whether evaluating the expression `node` has no effect but its value."""
        for n in gast.walk(node):
            if isinstance(n, gast.Call) and not self.pure_call(n):
                return False
            if isinstance(n, IMPURE):
                return False
        return True


# ---- the syntax of statements and expressions -----------------------------------------------

def next_statement(stmts, i):
    """The index of the first statement after stmts[i] that is not a comment, else None."""
    return next((j for j in range(i + 1, len(stmts)) if not isinstance(stmts[j], Comment)),
                None)


def name_assign(stmt):
    """The target name of `name = value`, else None."""
    if (isinstance(stmt, gast.Assign) and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], gast.Name)):
        return stmt.targets[0].id
    return None


def expr_key(node, memo=None):
    """A hashable value equal for two expressions exactly when they are written alike (a
    cheaper gast.dump; constants by type and repr, so -0.0 and 0.0 differ)."""
    if memo is not None:
        found = memo.get(id(node))
        if found is not None:
            return found
    if isinstance(node, gast.Name):
        key = ("Name", node.id)
    elif isinstance(node, gast.Constant):
        key = ("Constant", type(node.value).__name__, repr(node.value))
    else:
        parts = [type(node).__name__]
        for field, value in gast.iter_fields(node):
            if isinstance(value, list):
                parts.append(tuple(expr_key(v, memo) if isinstance(v, gast.AST) else v
                                   for v in value))
            elif isinstance(value, gast.AST):
                parts.append(expr_key(value, memo))
            else:
                parts.append(value)
        key = tuple(parts)
    if memo is not None:
        memo[id(node)] = key
    return key


def same(a, b):
    """Whether the expressions a and b are written alike."""
    return expr_key(a) == expr_key(b)


def is_name(node, name):
    """Whether node is the name `name`."""
    return isinstance(node, gast.Name) and node.id == name


def number(node):
    """Whether node is a number literal (negated or not; a bool is not a number here)."""
    if negated(node) is not None:
        node = negated(node)
    return (isinstance(node, gast.Constant) and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool))


def names(node):
    """The names the expression (or statement) node mentions."""
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name)}
