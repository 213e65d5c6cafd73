"""Whether df's result is certainly a Python float, so its seed `unit_like(result)` can be
written as the number `1.0` (runtime/core.py returns exactly that for a float) and the
algebraic simplifier sees a number where it would see a call.

Numbers are traced through f: float literals, `float(...)` and the math module's float
functions give floats; int literals and range loop indices give ints; + - * and unary - of
those give a float when an operand is one (an int when both are ints), / always a float. A
name is a float when every assignment to it gives one: a greatest fixpoint, so loop-carried
sums `s = s + math.sin(v)` qualify. Each form of expression is one short function below,
found through a table keyed by the function a statement applies.
"""
import builtins
import math
import operator

import gast

from ... import ir

_FLOAT, _INT = "float", "int"
_MATH_FLOATS = ("sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh",
                "asinh", "acosh", "atanh", "exp", "expm1", "log", "log1p", "log2", "log10",
                "sqrt", "pow", "hypot", "fabs", "erf", "erfc", "gamma", "lgamma", "copysign",
                "fmod", "degrees", "radians")
_LOOP_INDEX = None        # what _assignments records for a `for` loop's index
_UNTRACKED = False        # ... and for one target of an assignment to several


def float64_number(fn):
    """Whether f's result is certainly a Python float wherever it is bound."""
    assigns = _assignments(fn)
    if fn.result not in assigns or fn.result in fn.params:
        return False
    return _narrowed(assigns).get(fn.result) == _FLOAT


def _assignments(fn):
    """name -> what binds it: its ir.Assign statements, _LOOP_INDEX, _UNTRACKED."""
    assigns = {}
    for st in ir.walk(fn.body):
        if isinstance(st, ir.For):
            assigns.setdefault(st.target, []).append(_LOOP_INDEX)
        elif isinstance(st, ir.Assign):
            for t in st.targets:
                assigns.setdefault(t, []).append(st if len(st.targets) == 1 else _UNTRACKED)
    return assigns


def _narrowed(assigns):
    """name -> _FLOAT, _INT or None (unknown): every name starts a float, and is narrowed
    until every assignment agrees; each round narrows at least one name, so there are at most
    len(assigns) rounds."""
    kinds = {name: _FLOAT for name in assigns}
    changed = True
    while changed:
        changed = False
        for name, sts in assigns.items():
            if kinds[name] is None:
                continue
            found = {_statement_kind(st, kinds) for st in sts}
            # a name that is a float on some paths and an int on others is neither
            new = _FLOAT if found == {_FLOAT} else _INT if found == {_INT} else None
            if new != kinds[name]:
                kinds[name] = new
                changed = True
    return kinds


def _statement_kind(st, kinds):
    """The kind of number one binding gives its name."""
    if st is _LOOP_INDEX:
        return _INT
    if st is _UNTRACKED or isinstance(st, ir.Pop) or st.inplace:
        return None
    if st.op is None:
        return _atom_kind(st.value, kinds)
    if st.op.keywords:
        return None
    rule = _CALLS.get(id(st.op.func))
    return None if rule is None else rule([_atom_kind(a, kinds) for a in st.op.args])


def _atom_kind(node, kinds):
    """The kind of a constant or a name (the operands of the IR's statements)."""
    if isinstance(node, gast.Constant):
        return {float: _FLOAT, int: _INT}.get(type(node.value))
    if isinstance(node, gast.Name):
        return kinds.get(node.id)
    return None


def _always_float(operands):
    """`float(...)`, `math.sin(...)`: a float whatever the operands are."""
    return _FLOAT


def _promoted(operands):
    """+ - * and unary -: a float when an operand is one, an int when all are ints."""
    if None in operands:
        return None
    return _FLOAT if _FLOAT in operands else _INT


def _divided(operands):
    """/ of two numbers: always a float."""
    return None if None in operands else _FLOAT


# id(function) -> the kind of its result, from its operands' kinds (keyed by identity: the
# functions are module attributes that live as long as the process)
_CALLS = {id(f): _always_float
          for f in [builtins.float] + [getattr(math, n) for n in _MATH_FLOATS
                                       if hasattr(math, n)]}
_CALLS.update({id(operator.add): _promoted, id(operator.sub): _promoted,
               id(operator.mul): _promoted, id(operator.neg): _promoted,
               id(operator.truediv): _divided})
