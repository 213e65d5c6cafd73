"""The variant of df for numbers: when every argument is a Python or NumPy float (or an int),
every value of an elementwise function is a number, so the sweeps need no shape bookkeeping
(`unbroadcast`, shapes on the stack, `zeros_grad`), the seed is `1.0`, and the forward sweep
computes only what the backward sweep reads.

What it proves: the shape analysis run with every parameter a number (analysis/shapes.py)
finds every value a number; df dispatches to the variant only when `all_numbers(...)` holds at
run time, so the assumption is checked, not hoped for. The variant is compiled only for
functions that compute elementwise (an indexing or a matrix product, in f or a helper it calls,
means it expects arrays) and kept only where its code differs from the generic df.
"""

import gast

from ..analysis.shapes import ShapeFacts, resolver
from ..ir import Comment
from ..ir import syntax as s
from . import enabled


def wanted(fn, parsed, summary):
    """Whether to compile a numbers variant of fn's gradient."""
    return enabled("numbers") and ShapeFacts(fn, True, resolver(parsed), summary).elementwise


def dispatch(fn, parsed, bindings, variant_df):
    """`if all_numbers(...)`: `return grad_f_numbers(...)`, df's first statements."""
    test = s.call(bindings.name("all_numbers"), [s.name(p) for p in fn.params])
    return [Comment("for numbers, the same gradient without the shape bookkeeping of arrays"),
            gast.If(test=test, body=[gast.Return(value=variant_call(parsed, bindings,
                                                                    variant_df))], orelse=[])]


def variant_call(parsed, bindings, variant_df):
    """`grad_f_numbers(x, *args, k=k, **kwargs)`: a variant of df called with df's own
    arguments."""
    args, keywords = [], []
    params = parsed.node.args     # a bound method's or partial's fixed parameters left out
    for p in list(params.posonlyargs) + list(params.args):
        args.append(s.name(p.id))
    if params.vararg is not None:
        args.append(gast.Starred(value=s.name(params.vararg.id), ctx=gast.Load()))
    for p in params.kwonlyargs:
        keywords.append(gast.keyword(arg=p.id, value=s.name(p.id)))
    if params.kwarg is not None:
        keywords.append(gast.keyword(arg=None, value=s.name(params.kwarg.id)))
    return s.call(bindings.name(variant_df.__name__, variant_df), args, keywords)
