"""The core language the frontend produces and the transforms consume.

Statements are in A-normal form: each Assign performs at most one differentiable operation on
atoms (names and constants) or computes an inactive value (a shape, a comparison) as written.
"""
import dataclasses
from typing import Any, Callable, Optional

import gast

# Every node declares all its fields: nothing is attached after construction.
_SLOTS = {"slots": True}


@dataclasses.dataclass(**_SLOTS)
class Op:
    """One call of a primitive (or of something without a rule), on atoms."""

    func: Any                 # the callable (np.tanh, operator.add, a user function ...)
    prim: Any                 # its registry entry, or None if it has none
    label: str                # how messages and comments name it ("np.tanh", "+", "x[...]")
    args: list                # positional argument nodes
    keywords: dict            # keyword name -> argument node
    hint: str = ""            # the readable stem of a temporary holding its result ("dot")
    refuse: Optional[Callable[[], Exception]] = None   # the error if it must be differentiated
    user: bool = False        # a function written in Python, differentiated from its source


@dataclasses.dataclass(**_SLOTS)
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
    inplace: bool = False     # from `x += e`: NumPy updates x's array in place

    @property
    def target(self):
        return self.targets[0]


@dataclasses.dataclass(**_SLOTS)
class Pop(Assign):
    """`target = stack.pop()` in generated gradient code being differentiated again: restores
    a value pushed earlier. Never dead (it moves the stack), never varied by itself (see
    analysis.activity)."""

    stack: str = ""


@dataclasses.dataclass(**_SLOTS)
class Effect:
    """A statement run only for its effect (a print, an assert); never differentiated.

    `refuse` builds the error to raise if it reads a value that depends on what is
    differentiated: a call that may write into its arguments (`out=`, np.copyto, a helper that
    fills an array) would change them behind the derivative's back."""

    node: gast.stmt
    lineno: int
    refuse: Optional[Callable[[], Exception]] = None


@dataclasses.dataclass(**_SLOTS)
class Function:
    """A normalized function: parameters, body, and the name holding its result."""

    name: str
    params: list              # parameter names in signature order
    body: list
    result: str
    lineno: int
    signature: str            # the parameter list as source: "x, /, y=1.0, *, k=2"
    returns_several: Optional[gast.stmt] = None   # a `return a, b` (forward mode only)


@dataclasses.dataclass(**_SLOTS)
class SetItem:
    """`target[index] = value`: an in-place write into an array the function owns.

    `replaces` marks `x[i] = e` as the user wrote it: when x is a Python list it replaces
    an item and writes into no array. Augmented writes (`x[i] *= e`, in place into a list's
    array item) and the compiler's own writes (a view written back) leave it False."""

    target: str
    index: gast.expr          # inactive index expression, as written
    value: gast.expr          # an atom
    lineno: int
    replaces: bool = False


@dataclasses.dataclass(**_SLOTS)
class Push:
    """`stack.push(value)` in generated gradient code (differentiated in forward mode only)."""

    stack: str
    value: gast.expr          # an atom
    lineno: int


@dataclasses.dataclass(**_SLOTS)
class Hook:
    """`with grad_of(var) as alias: body`: body runs in the backward sweep on var's adjoint."""

    var: str
    alias: str
    body: list                # gast statements, run as written
    lineno: int


@dataclasses.dataclass(**_SLOTS)
class If:
    """`if test: body else: orelse`; `test` names a boolean assigned just before."""

    test: str
    body: list
    orelse: list
    lineno: int


@dataclasses.dataclass(**_SLOTS)
class For:
    """`for target in iter: body` over a range object named `iter` (assigned just before).

    counter names the variable counting iterations when the body can break early; None when
    every iteration of the range runs.
    """

    target: str
    iter: str
    body: list
    lineno: int
    counter: Optional[str] = None
    snapshots: int = 0        # > 0: reversed by binomial checkpointing with that many snapshots


@dataclasses.dataclass(**_SLOTS)
class While:
    """`while test: body`; counter counts iterations for the backward sweep."""

    test: gast.expr
    body: list
    lineno: int
    counter: str = ""
    snapshots: int = 0        # > 0: reversed by online checkpointing with that many snapshots


@dataclasses.dataclass(**_SLOTS)
class Break:
    """`break` (forward sweep only: the backward sweep replays the recorded trip count)."""

    lineno: int


@dataclasses.dataclass(**_SLOTS)
class Comment:
    """A comment line in generated code."""

    text: str


def children(stmt):
    """The statement lists a compound statement holds (none for a simple one)."""
    if isinstance(stmt, If):
        return [stmt.body, stmt.orelse]
    if isinstance(stmt, (For, While)):
        return [stmt.body]
    return []


def walk(body):
    """Every statement of a body, compound statements before their children."""
    for stmt in body:
        yield stmt
        for child in children(stmt):
            yield from walk(child)


def must_assigned(body, assigned):
    """The names certainly bound after running `body` from a state where `assigned` are.
    (A loop body may not run; of two branches, only what both bind counts.)"""
    assigned = set(assigned)
    for stmt in body:
        if isinstance(stmt, Assign):
            assigned.update(stmt.targets)
        elif isinstance(stmt, If):
            assigned |= must_assigned(stmt.body, assigned) & must_assigned(stmt.orelse, assigned)
    return assigned
