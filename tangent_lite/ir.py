"""The core language the frontend produces and the transforms consume.

Statements are in A-normal form: each Assign performs at most one differentiable operation on
atoms (names and constants) or computes an inactive value (a shape, a comparison) as written.
"""
import dataclasses
from typing import Any, Callable, Optional

import gast


@dataclasses.dataclass
class Op:
    """One call of a primitive (or of something without a rule), on atoms."""

    func: Any                 # the callable (np.tanh, operator.add, a user function ...)
    prim: Any                 # its registry entry, or None if it has none
    label: str                # how messages and comments name it ("np.tanh", "+", "x[...]")
    args: list                # positional argument nodes
    keywords: dict            # keyword name -> argument node


@dataclasses.dataclass
class Assign:
    """`target = value`: value is the forward expression exactly as the generated code runs it.

    op is None for a copy (`value` is a Name), a constant, or an inactive expression.
    `refuse` builds the error to raise if the value turns out to depend on what is
    differentiated (a construct this compiler cannot differentiate yet).
    """

    targets: list             # one name, or several for unpacking an inactive value
    value: gast.expr
    op: Optional[Op]
    lineno: int
    refuse: Optional[Callable[[], Exception]] = None

    @property
    def target(self):
        return self.targets[0]


@dataclasses.dataclass
class Effect:
    """A statement run only for its effect (a print, an assert); never differentiated."""

    node: gast.stmt
    lineno: int


@dataclasses.dataclass
class Function:
    """A normalized function: parameters, body, and the name holding its result."""

    name: str
    params: list              # parameter names in signature order
    body: list
    result: str
    lineno: int
    defaults_source: dict     # parameter name -> source text of its default
