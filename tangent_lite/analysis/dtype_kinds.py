"""The dtype kinds of a specialised variant's names: which are certainly float64, which ints.

A variant compiled for float64 arrays and Python numbers (optimize/specialise.py) knows more
than shapes: most values f computes from them are float64 too. The passes that use it
(optimize/dtypes.py: the loss seed, spread seeds; optimize/unsaved.py; the methods pass) read
these kinds, worked out here once per variant (transforms/variant_passes.py).

Dtypes are traced through f as kinds: "f8" (a float64 array or NumPy scalar, or a Python
float: unit_of gives 1.0 for each, and each operation below gives float64 from them) and "int"
(a Python int: sizes, loop indices). A name has a kind when every assignment to it gives that
kind: a greatest fixpoint, as for optimize/algebra/float_result.py. Anything not listed below
(comparisons, casts, user functions, containers' entries, keyword arguments other than a
reduction's axis/keepdims) has no kind, and then nothing is assumed.
"""
import builtins
import operator

import gast
import numpy as np

from .. import ir
from ..ir.uses import names_read, reads
from ..runtime.lists import append as runtime_append
from .shape_rules import reads_size

F8, INT = "f8", "int"
LIST = "f8 list"   # a Python list built in f, every entry a float64 (array or number)
_INT_OPS = (gast.Add, gast.Sub, gast.Mult, gast.FloorDiv, gast.Mod)
_KEEPS = "keeps"
_TOP = "top"       # the fixpoint's start: no binding of the name seen to give a kind yet

_ARITHMETIC = (operator.add, operator.sub, operator.mul, operator.truediv, operator.neg,
               operator.pos, np.add, np.subtract, np.multiply, np.divide, np.negative)
_PRODUCTS = (operator.matmul, np.dot, np.matmul, np.vdot, np.inner, np.outer)
# float functions: a float64 result from float64 or int operands (np.exp(3) is float64)
_FLOAT_UFUNCS = (np.exp, np.log, np.sqrt, np.tanh, np.sin, np.cos, np.tan, np.log1p,
                 np.expm1, np.sinh, np.cosh, np.arctan, np.arcsin, np.arccos, np.log2,
                 np.log10, np.exp2, np.arctanh, np.arcsinh)
_SAME = (np.abs, np.absolute, builtins.abs, np.square, np.transpose, np.reshape, np.ravel,
         np.copy)
_EITHER = (np.maximum, np.minimum, np.fmax, np.fmin, np.clip)   # float64 if an operand is
_REDUCTIONS = (np.sum, np.mean, np.max, np.min, np.amax, np.amin, np.prod)
_FRESH = (np.zeros, np.ones, np.empty)         # float64 when no dtype is given
_LOOP_INDEX = None


def kinds(fn, signature, resolve=lambda node: None):
    """name -> F8, INT or LIST for the names of fn whose every binding gives that kind, given
    the specialised signature (one entry per parameter: optimize/specialise.py); resolve(node):
    what a global name denotes (`len`).

    A list is LIST where every binding makes it of float64 entries (`[]`, `[a, b]`,
    `items.append(v)`'s `append(items, v)`), every `items[i] = v` writes a float64 at an int,
    and its name is read only to read an entry at an int, to append or to write an entry: no
    other name, container or callee can see it, so no write the analysis does not see can
    reach its entries. Reading `items[i]` at an int gives a float64 then."""
    known = {}
    for p, e in zip(fn.params, signature):
        known[p] = (F8 if e[0] == "array" and np.dtype(e[1]) == np.float64
                    else F8 if e[0] == "float" else INT if e[0] == "int" else None)
    ranges = {st.targets[0] for st in ir.walk(fn.body) if isinstance(st, ir.Assign)
              and len(st.targets) == 1 and _makes_range(st, resolve)}
    binds = {}
    for st in ir.walk(fn.body):
        if isinstance(st, ir.For):
            binds.setdefault(st.target, []).append(INT if st.iter in ranges else False)
        elif isinstance(st, ir.Assign):
            for t in st.targets:
                binds.setdefault(t, []).append(st if len(st.targets) == 1 else False)
        elif isinstance(st, ir.SetItem):
            binds.setdefault(st.target, []).append(st)
        elif isinstance(st, ir.Hook):
            binds.setdefault(st.var, []).append(False)
            binds.setdefault(st.alias, []).append(False)
        elif isinstance(st, ir.Effect):
            for n in gast.walk(st.node):
                if isinstance(n, gast.Name) and not isinstance(n.ctx, gast.Load):
                    binds.setdefault(n.id, []).append(False)
    for p in fn.params:
        if p in binds:
            binds[p].append(known[p] if known[p] is not None else False)
    out = dict(known)
    out.update({name: _TOP for name in binds})
    seen = _seen(fn)
    changed = True
    while changed:
        changed = False
        for name, sts in binds.items():
            if out[name] is None:
                continue
            found = {_binding_kind(st, out, resolve) for st in sts} - {_KEEPS, _TOP}
            new = out[name] if not found else found.pop() if len(found) == 1 else None
            if new == LIST and name in seen or out[name] not in (_TOP, new):
                new = None   # a kind once found and then another: none (and an end)
            if new != out[name]:
                out[name] = new
                changed = True
    return {n: k for n, k in out.items() if k not in (None, _TOP)}


def _seen(fn):
    """The names fn reads other than to read an entry, append or write an entry (an int's
    `items[i]`, `append(items, v)`, `items[i] = v`, `len(items)`): what may share a list."""
    out = set()
    for st in ir.walk(fn.body):
        op = getattr(st, "op", None)
        if isinstance(st, ir.Assign) and op is not None and (
                op.func is operator.getitem or op.func is runtime_append
                or op.func is builtins.len) and op.args and isinstance(op.args[0], gast.Name):
            out.update(n for a in op.args[1:] + list((op.keywords or {}).values())
                       for n in names_read(a))
        elif isinstance(st, ir.SetItem):
            out.update(names_read(st.value) | names_read(st.index))
        else:
            out.update(reads(st))
    return out


def _makes_range(st, resolve):
    """Whether the assignment st binds a range (`range(n)`; an inactive one has no op)."""
    if st.op is not None:
        return st.op.func is builtins.range
    return isinstance(st.value, gast.Call) and resolve(st.value.func) is builtins.range


def _entry_index(kinds):
    """Whether a list indexed by atoms of these kinds gives one entry: an int. F8 is also
    the start of the fixpoint (see kinds); a float index would raise, so the entry read where
    f runs is an int's."""
    return len(kinds) == 1 and kinds[0] in (INT, F8)


def _binding_kind(st, known, resolve):
    if st is False:
        return None
    if st in (F8, INT):
        return st
    if isinstance(st, ir.SetItem):           # an array keeps its dtype; a list, its entries'
        if known.get(st.target) != LIST:
            return _KEEPS
        value, index = _atom(st.value, known, resolve), _atom(st.index, known, resolve)
        if _TOP in (value, index):
            return _TOP
        return LIST if value == F8 and _entry_index([index]) else None
    if isinstance(st, ir.Pop):
        return None
    if st.op is None:
        return _atom(st.value, known, resolve)
    if st.op.user or st.op.func is None:
        return None
    func, operands = st.op.func, [_atom(a, known, resolve) for a in st.op.args]
    if _TOP in operands:
        return _TOP                          # not known yet: decided by the others
    keywords = set(st.op.keywords or {})
    if func is operator.getitem:             # indexing a float64 array, by anything
        if operands[:1] == [LIST]:           # a list's entry, at an int (see _entry_index)
            return F8 if _entry_index(operands[1:]) and not keywords else None
        return F8 if operands[:1] == [F8] and not keywords else None
    if func is runtime_append:               # F8: the start of the fixpoint (see kinds)
        return LIST if operands[0] in (LIST, F8) and operands[1:] == [F8] else None
    if _is(func, _REDUCTIONS):
        return F8 if keywords <= {"axis", "keepdims"} and operands == [F8] else None
    if func is np.einsum and keywords <= {"optimize"} and len(operands) >= 2:
        return F8 if all(k == F8 for k in operands[1:]) else None   # after the subscripts
    if keywords or not operands or None in operands:
        return None
    if _is(func, _ARITHMETIC) or func in (operator.floordiv, operator.mod):
        if F8 in operands:
            return F8
        if func is operator.truediv:
            return F8                        # int / int: a Python float
        return INT if func.__module__ == "_operator" else None   # np.add of ints: an int64
    if func is operator.pow or func is np.power:
        # a float64 base to an int power (a Python float to a float one may be complex)
        return F8 if operands == [F8, INT] else None
    if _is(func, _PRODUCTS):
        return F8 if all(k == F8 for k in operands) else None
    if _is(func, _FLOAT_UFUNCS) or func is builtins.float:
        return F8
    if _is(func, _EITHER):
        return F8 if F8 in operands else None
    if _is(func, _SAME):
        return F8 if operands[0] == F8 else None
    if _is(func, _FRESH) and len(operands) == 1:
        return F8
    if func is builtins.len or func is builtins.int:
        return INT
    return None


def _atom(node, known, resolve):
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, (gast.USub, gast.UAdd)) \
            and isinstance(node.operand, gast.Constant):
        node = node.operand                  # a negative number: `-0.5 * t`
    if isinstance(node, gast.Constant):
        return {float: F8, int: INT}.get(type(node.value))
    if isinstance(node, gast.Name):
        return known.get(node.id)
    if reads_size(node):
        return INT
    if isinstance(node, gast.BinOp) and isinstance(node.op, _INT_OPS):   # `n // 2`: an int
        return _all_of([node.left, node.right], INT, INT, known, resolve)
    if isinstance(node, gast.List):      # a list of float64 values (or none yet)
        return _all_of(node.elts, F8, LIST, known, resolve)
    if isinstance(node, gast.Tuple):     # a shape `(n, L)`: an operand of np.zeros
        return _all_of(node.elts, INT, INT, known, resolve)
    if isinstance(node, gast.Call) and resolve(node.func) is builtins.len:
        return INT
    return None


def _all_of(nodes, kind, result, known, resolve):
    """result where every node is of `kind`, _TOP where the others are and some not known
    yet, else None."""
    found = {_atom(n, known, resolve) for n in nodes} - {kind}
    return result if not found else _TOP if found == {_TOP} else None


def _is(func, table):
    return any(func is f for f in table)
