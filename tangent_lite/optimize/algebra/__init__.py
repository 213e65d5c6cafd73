"""The algebraic simplifier of the backward sweep (the pass "algebra").

After the rules are filled in and the other passes have run, each straight-line block of the
backward sweep (the statements between two loops or branches; a branch's or a loop's body is
a block of its own, never merged with what is around it) is rewritten where the rewrite
computes exactly what NumPy computed before: the same values, dtype, shape and type. One
rewrite a module, each saying why it is exact:

1. seeds.py: a full sum's spread seed folded into its product (`dx = g * e`);
2. doubling.py: `dx = e; dx += e` written `dx = 2 * e`;
3. negations.py: negations that cancel in a product or quotient chain (`dz = -dt_neg` of
   `dt_neg = (-dp * p / t_add) * t_exp` is `dp * p / t_add * t_exp`);
4. subexpressions.py: a pure expression computed twice in a block named once (`t_cos`);
5. scaled.py: `a = -b; c = a * 2.0` written `c = b * -2.0`;
6. dead.py: unread pure assignments dropped.

spelling.py holds what they share (the spelling of NumPy and the helpers, the purity test,
syntax tests); the rewrites import it and never each other. float_result.py proves a result
a Python float, so its seed is the number 1.0 (transforms/reverse.py).
"""
import gast

from ..copies import name_counts
from .dead import dead_assignments
from .doubling import double_repeats
from .float_result import float64_number
from .negations import cancel_negations
from .scaled import fold_negations
from .seeds import fold_spread_seeds
from .spelling import Spelling
from .subexpressions import common_subexpressions

__all__ = ["simplify", "float64_number", "cancel_negations_everywhere"]


def simplify(backward, others, spelled, fresh):
    """Rewrite the statement list `backward` in place. others: df's other statements (the
    prologue and the forward sweep); spelled(helper): how generated code spells a name (None:
    unused); fresh(base): a new name."""
    spelling = Spelling(spelled)
    if spelling.unreduce is not None and spelling.unit_of is not None:
        everything = others + backward
        loads, stores = name_counts(everything)
        _blocks(backward, lambda block: fold_spread_seeds(block, everything, loads, stores,
                                                          spelling))
    _blocks(backward, lambda block: double_repeats(block, spelling))
    loads, stores = name_counts(others + backward)
    _blocks(backward, lambda block: cancel_negations(block, loads, stores, spelling))
    _blocks(backward, lambda block: common_subexpressions(block, spelling, fresh))
    loads, stores = name_counts(others + backward)
    _blocks(backward, lambda block: fold_negations(block, loads, stores))
    dead_assignments(backward, spelling)


def cancel_negations_everywhere(backward, others, spelled):
    """negations.py alone, in place, for a later pass that uncovered more (optimize/dtypes.py
    folds spreads a negation hid behind)."""
    spelling = Spelling(spelled)
    loads, stores = name_counts(others + backward)
    _blocks(backward, lambda block: cancel_negations(block, loads, stores, spelling))


def _blocks(stmts, rewrite):
    """Apply `rewrite` to the statement list stmts and to every block nested in it."""
    for stmt in stmts:
        if isinstance(stmt, (gast.If, gast.For, gast.While)):
            _blocks(stmt.body, rewrite)
            _blocks(stmt.orelse, rewrite)
    rewrite(stmts)
