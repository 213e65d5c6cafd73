"""Shape specialisation: a variant of df for the argument types, dtypes and shapes seen at a
call, behind a guard that checks them.

What it proves: with every parameter's shape a tuple of ints and symbols (analysis/concrete.py),
the result of a broadcasting operation has a known shape R, and so has the gradient g flowing
back into it; for an operand x of known shape X, `unbroadcast(g, x)` is g itself where R == X,
and a sum over the axes x was broadcast along otherwise: `g.sum(axis=0)` for a bias added to
every row. (Sums of products stay `unbroadcast(a * b, x)` for the fused pass to write as one
reduction.) The values a backward sweep kept only for those unbroadcasts (`shaped(...)` pushes)
are then not pushed at all. A symbol stands for a size that varied between calls (a batch);
the guard checks every dim the variant assumed, and that the dims sharing a symbol are equal,
so a call it does not fit runs the generic df.

A signature is one entry per parameter: ("array", dtype name, shape) for an exact np.ndarray,
("float",) or ("int",) for a Python float or int, ("type", T) for anything else (nothing
assumed of its shape; the guard checks only its type, so that a call with the same kinds of
argument finds its variant without recording a new signature).
"""
import builtins
import re

import gast
import numpy as np

from ..ir import Comment
from ..ir import syntax as s
from . import enabled

# A variant per distinct structure (kinds, dtypes, ranks); a new size of a dim generalises the
# variant of its structure (the dim becomes a symbol) instead of adding one.
MAX_VARIANTS = 4


_CONTAINERS = {dict: "dict", tuple: "tuple", list: "list"}
_MAX_ENTRIES = 64   # a container with more entries is a data set, not parameters: no guard


def signature_of(params, args):
    """The signature of one call's arguments (args: in the order of params)."""
    return tuple(_entry_signature(value, nested=False) for value in args)


def _entry_signature(value, nested):
    t = type(value)
    if t is np.ndarray:
        return ("array", value.dtype.str, value.shape)
    if t is float:
        return ("float",)
    if t is int:
        return ("int",)
    if t in _CONTAINERS and not nested and 0 < len(value) <= _MAX_ENTRIES:
        # a dict of parameters (str keys), a tuple or list of arrays: entry by entry, where
        # every entry is an array or a number (else the container's type alone)
        items = value.items() if t is dict else enumerate(value)
        entries = tuple((k, _entry_signature(v, nested=True)) for k, v in items)
        if all((type(k) is str if t is dict else True) and e[0] != "type"
               for k, e in entries):
            return (_CONTAINERS[t], entries)
    return ("type", t)


def entries(e):
    """The (key, signature) entries of a signature entry: a container's, or itself as one."""
    return e[1] if e[0] in _CONTAINERS.values() else ((None, e),)


def structure(signature):
    """What must agree for two signatures to share a variant: kinds, dtypes, ranks (of every
    entry of a container, and its keys)."""
    def one(e):
        return e[:2] + (len(e[2]),) if e[0] == "array" else e
    return tuple((e[0], tuple((k, one(v)) for k, v in e[1]))
                 if e[0] in _CONTAINERS.values() else one(e) for e in signature)


def generalised(old, new):
    """`old` with the dims where `new` differs made symbols: dims that moved together (the
    same old dim, the same new size) share one, so the guard keeps them equal; dims that
    shared a symbol and now differ get one each (the symbols are named afresh)."""
    symbols = {}

    def one(a, b):
        if a[0] in _CONTAINERS.values():
            return (a[0], tuple((k, one(x, y)) for (k, x), (_, y) in zip(a[1], b[1])))
        if a[0] != "array":
            return a
        dims = []
        for d, n in zip(a[2], b[2]):
            if d == n:
                dims.append(d)
            else:
                dims.append(symbols.setdefault((d, n), f"n{len(symbols)}"))
        return ("array", a[1], tuple(dims))
    return tuple(one(a, b) for a, b in zip(old, new))


def param_shapes(params, signature):
    """name -> shape tuple (None where nothing is assumed), for the concrete analysis."""
    from ..analysis.containers import Entries

    def one(e):
        return e[2] if e[0] == "array" else () if e[0] in ("float", "int") else None
    shapes = {}
    for p, e in zip(params, signature):
        if e[0] in _CONTAINERS.values():
            shapes[p] = Entries({k: one(v) for k, v in e[1]}, sequence=e[0] != "dict")
        else:
            shapes[p] = one(e)
    return shapes


def describe(params, signature):
    """`W: float64[3, 64]; x: float64[n0, 3]`: what a variant was compiled for (wrapped
    writes it with commas)."""
    def one(e):
        if e[0] == "array":
            return f"{np.dtype(e[1]).name}[{', '.join(map(str, e[2]))}]"
        if e[0] == "type":
            return e[1].__name__
        if e[0] == "dict":
            return "{" + ", ".join(f"{k!r}: {one(v)}" for k, v in e[1]) + "}"
        if e[0] in ("tuple", "list"):
            inner = ", ".join(one(v) for _, v in e[1])
            return f"({inner},)" if e[0] == "tuple" and len(e[1]) == 1 else \
                f"({inner})" if e[0] == "tuple" else f"[{inner}]"
        return e[0]
    return "; ".join(f"{p}: {one(e)}" for p, e in zip(params, signature))


def wrapped(text, indent=""):
    """`describe`'s text as lines of a docstring, broken between parameters only."""
    lines, line = [], ""
    for part in text.split("; "):
        if line and len(indent) + len(line) + len(part) + 2 > 92:
            lines.append(indent + line + ",")
            line = ""
        line = f"{line}, {part}" if line else part
    return "\n".join(lines + [indent + line])


def guard_source(name, params, signature):
    """The guard of a variant as a function: whether a call's arguments have the types,
    dtypes and shapes it was compiled for. Free names: `np`, `ndarray` and the dtypes, named
    as NumPy names them (`float64`); returns (source, {dtype's name: dtype}).
    Every test is a type or identity check or an int comparison: a few hundred ns for six
    arrays."""
    dtypes = {}
    body = "\n            and ".join(guard_tests(params, signature, dtypes)) or "True"
    source = (f"def {name}({', '.join(params)}):\n"
              f"    \"\"\"Whether the arguments are those the variant below was compiled for:"
              f"\n{wrapped(describe(params, signature), '    ')}.\"\"\"\n"
              f"    return ({body})\n")
    return source, {v: np.dtype(k) for k, v in dtypes.items()}   # and ndarray, np


def guard_tests(params, signature, dtypes):
    """The guard's tests, as source, of one signature; dtypes: dtype str -> the name the
    tests give it, filled in (shared by the guards of one dispatch function)."""
    tests, first = [], {}
    for param, whole in zip(params, signature):
        if whole[0] in _CONTAINERS.values():
            tests.append(f"type({param}) is {whole[0]} and len({param}) == {len(whole[1])}")
            if whole[0] == "dict":   # its keys, in the order the signature has them
                tests.append(f"tuple({param}) == {tuple(k for k, _ in whole[1])!r}")
        for key, e in entries(whole):
            p = param if key is None else f"{param}[{key!r}]"
            if e[0] == "array":
                _array_tests(p, e, params, tests, dtypes, first)
            elif e[0] == "type":
                tests.append(_type_test(p, e[1]))
            else:
                tests.append(f"type({p}) is {e[0]}")
    return tests


def dispatch_source(name, params, signatures, picked, missed):
    """The function df calls first: the variant of the first signature in `signatures`
    whose guard holds (picked[k], a name), else what missed(*params) returns, as one
    function whose tests are the guards' own, written inline: a call of df pays one guard
    and one call before its variant runs. Returns (source, {dtype's name: dtype})."""
    dtypes, lines = {}, [f"def {name}({', '.join(params)}):"]
    for signature, variant in zip(signatures, picked):
        tests = "\n            and ".join(guard_tests(params, signature, dtypes)) or "True"
        lines += [f"    if ({tests}):", f"        return {variant}"]
    lines.append(f"    return {missed}({', '.join(params)})")
    return "\n".join(lines) + "\n", {v: np.dtype(k) for k, v in dtypes.items()}


def _array_tests(p, e, params, tests, dtypes, first):
    """The guard's tests of the array `p` (a parameter, or a container's entry): its type,
    dtype and every dim the variant assumed; a symbol's first dim is remembered in `first`
    and later ones compared with it."""
    dt = dtypes.get(e[1])
    if dt is None:   # `float64`, or a name of its own for another byte order
        dt = np.dtype(e[1]).name
        if dt in params or dt in dtypes.values() or dt == "ndarray":
            dt = f"{dt}_{len(dtypes)}"
        dtypes[e[1]] = dt
    # `is`: NumPy's dtypes of native byte order are single objects; another object that
    # equals one fails the guard, and the generic df runs (slower, as right). Others (another
    # byte order, a datetime unit) are objects of each array's own: compared by value, or no
    # call would ever fit (and each would compile the variant again)
    single = np.dtype(e[1]) is np.dtype(np.dtype(e[1]).type)
    tests.append(f"type({p}) is ndarray and {p}.dtype {'is' if single else '=='} {dt}")
    if all(isinstance(d, int) for d in e[2]):
        tests.append(f"{p}.shape == {tuple(e[2])!r}")
        return
    tests.append(f"{p}.ndim == {len(e[2])}")
    for k, d in enumerate(e[2]):
        if isinstance(d, int):
            tests.append(f"{p}.shape[{k}] == {d}")
        elif d in first:
            tests.append(f"{p}.shape[{k}] == {first[d]}")
        else:
            first[d] = f"{p}.shape[{k}]"


def _type_test(p, t):
    """`type(p) is T` as the guard writes it, or None for a type it cannot name."""
    if t is type(None):
        return f"{p} is None"
    if t.__module__ == "builtins" and getattr(builtins, t.__name__, None) is t:
        return f"type({p}) is {t.__name__}"
    if t.__module__ == "numpy" and getattr(np, t.__name__, None) is t:
        return f"type({p}) is np.{t.__name__}"
    return None


def guardable(signature):
    """Whether a guard can check every entry (types it can name), and an array is among
    them (numbers alone have their own variant, optimize/numbers.py)."""
    found = [e for whole in signature for _, e in entries(whole)]
    for e in found:
        if e[0] == "type" and _type_test("x", e[1]) is None:
            return False
    return any(e[0] == "array" for e in found)


def elision(concrete, stmt):
    """For the template filled in for `stmt` in a specialised df: a function (binding,
    parameter) -> True where `unbroadcast(g, parameter)` is g, a function writing the sum it
    is where the shapes prove which axes, or None where they do not."""
    if concrete is None or not enabled("specialise"):
        return None
    from ..analysis.shapes import broadcasting
    if not broadcasting(stmt.op.func):
        return None
    result = concrete.result(stmt)
    if result is None:
        return None
    shape_of = concrete.at(stmt)

    def elide(binding, param):
        mine = shape_of(binding[param])
        if mine is None or len(mine) > len(result):
            return None
        if mine == result:
            concrete.used += 1
            return True
        lead = len(result) - len(mine)
        kept = tuple(k for k, d in enumerate(mine) if d == 1 and result[lead + k] != 1)
        if any(d != 1 and d != result[lead + k] for k, d in enumerate(mine)):
            return None

        def summed(g, substitute):
            out = _summed(g, substitute, tuple(range(lead)), kept)
            concrete.used += out is not None
            return out
        return summed
    return elide


def fills(concrete, stmt):
    """For the adjoint of the write `x[index] = v` in a specialised df: whether `dx[index]`
    is v's gradient as it is (the part written has v's shape), so `unbroadcast(dx[index], v)`
    is left out and v need not be kept for it."""
    if concrete is None or not enabled("specialise") or not concrete.fills(stmt):
        return False
    concrete.used += 1
    return True


def list_entry(concrete, stmt):
    """For the adjoints of `t = x[i]` and `x[i] = v` in a specialised df: whether x is a list
    whose entries all have one shape (of at least one axis), so that its gradient's entry i is
    t's gradient's shape (optimize/entries.py updates it in place)."""
    return concrete is not None and enabled("specialise") \
        and concrete.list_entry(stmt) is not None


def _summed(g, substitute, leading, kept):
    """`g.sum(axis=0)`, `g.sum(axis=(0, 1))`, `.sum(axis=k, keepdims=True)` after them."""
    if isinstance(g, gast.BinOp) and isinstance(g.op, (gast.Mult, gast.Div)):
        return None   # the fused pass writes it as one reduction
    return s.summed(substitute(g), leading, kept)


def dispatch(fn, parsed, bindings, specialiser, seed=None):
    """df's first statements after the numbers dispatch: the variant for these arguments'
    shapes, when one fits (compiled at the first call of each kind); a vjp's seed is its
    first argument, and the guard's."""
    args, keywords = ([s.name(seed)] if seed else []), []
    params = parsed.node.args
    for p in list(params.posonlyargs) + list(params.args):
        args.append(s.name(p.id))
    for p in params.kwonlyargs:
        keywords.append(gast.keyword(arg=p.id, value=s.name(p.id)))
    picked = bindings.namer.fresh("specialised")
    pick = s.call(bindings.name(f"specialise_{identifier(fn.name)}", specialiser),
                  [s.name(p) for p in ([seed] if seed else []) + list(fn.params)])
    call = gast.Call(func=s.name(picked), args=args, keywords=keywords)
    return [Comment("the variant compiled for these arguments' dtypes and shapes, if one fits"),
            s.assign(picked, pick),
            gast.If(test=gast.Compare(left=s.name(picked), ops=[gast.IsNot()],
                                      comparators=[s.const(None)]),
                    body=[gast.Return(value=call)], orelse=[])]


# the helpers a vjp's variant writes as NumPy (optimize/lower_slices.py): a callee's vjp runs
# at every call, often on small arrays, where their checks cost as much as their arithmetic
_VJP_HELPERS = ("unconcatenate", "unindex_product", "set_at")


def worthwhile(body, bindings, seeded=False):
    """Whether the generic df's statements `body` sum a gradient back to an operand's shape
    (`unbroadcast`), or, for a vjp (seeded), call a helper its variant writes as NumPy: the
    work a variant can leave out, so the only dfs that get one."""
    if seeded and not enabled("vjp_variants"):
        return False
    names = {bindings.spelled(h) for h in ("unbroadcast",) + (_VJP_HELPERS if seeded else ())}
    names.discard(None)
    if not names:
        return False
    for stmt in body:
        if isinstance(stmt, Comment):
            continue
        for node in gast.walk(stmt):
            if (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)
                    and node.func.id in names):
                return True
    return False


def identifier(name):
    """`name` as part of a Python name (a lambda's is `<lambda>`)."""
    return re.sub(r"\W", "_", name)


def specialisable(parsed):
    """Whether df can forward its parameters to a variant (no *args/**kwargs)."""
    params = parsed.node.args
    return params.vararg is None and params.kwarg is None
