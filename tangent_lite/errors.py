"""Errors raised for user input.

Every message names where (file:line), the construct, and what to write instead, because the
person reading it is looking at their own code, not at ours.

The public entry points are wrapped in `user_facing`: a TangentLiteError reaches the user with
tangent_lite's own frames taken out of its traceback, so the user's call is the last frame shown,
then the message. TANGENT_LITE_FULL_TRACEBACK=1 in the environment keeps every frame (for
debugging tangent_lite itself).
"""
import functools
import os
import sys
from types import TracebackType
from typing import Any, Callable, Optional, TypeVar, cast

FULL_TRACEBACK = "TANGENT_LITE_FULL_TRACEBACK"
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class TangentLiteError(Exception):
    """Base class of every error tangent_lite raises about the code it is given."""

    def __init__(self, message: str, *, filename: Optional[str] = None,
                 lineno: Optional[int] = None, col: Optional[int] = None,
                 source_line: Optional[str] = None, hint: Optional[str] = None) -> None:
        self.filename = filename
        self.lineno = lineno
        self.col = col
        self.source_line = source_line
        self.hint = hint
        self.message = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.filename is not None:
            where = f"{self.filename}:{self.lineno}" if self.lineno else f"{self.filename}"
            if self.col is not None and self.lineno:
                where += f":{self.col + 1}"
            where += ": "
        text = where + self.message
        if self.source_line:
            text += "\n    " + self.source_line.strip()
        if self.hint:
            text += "\n  " + self.hint
        return text


class UnsupportedSyntaxError(TangentLiteError):
    """The function uses a Python construct tangent_lite cannot differentiate (yet)."""


class ArgumentMethodError(UnsupportedSyntaxError):
    """A method called on an argument that is differentiated (`model.forward(x)` with `model`
    a parameter): which method runs depends on the class of what is passed. The API compiles
    df again for the classes each call passes (classes.py); `argument` names the parameter,
    `function` the function whose parameter it is."""

    argument = None
    function = None
    items = False     # the methods are those of the items of the argument (a list of layers)


def per_class_refusal(compiled):
    """The error for reading a gradient compiled per class of its arguments (classes.py) as
    a function to differentiate again (grad(grad(f)), jvp of it) or to ship: it has no code
    of its own, only the variants compiled when it is called."""
    name = getattr(compiled.func, "__name__", "f")
    return UnsupportedSyntaxError(
        f"the gradient of {name} is compiled for the classes of its arguments "
        f"{', '.join(compiled.by_class.names)} when called, so it has no code of its own to "
        "differentiate again or to ship",
        hint=f"instead: tl.hvp({name}) for second derivatives; to ship it, call the methods "
             f"through their class in {name} (`TheClass.forward(model, x)`)")


class MissingRuleError(TangentLiteError):
    """A called function has no derivative rule and no Python source to differentiate."""


class SourceUnavailableError(TangentLiteError):
    """The function's source cannot be read (builtins, REPL lambdas, exec'd code)."""


class InputError(TangentLiteError):
    """The arguments given to a gradient function cannot be differentiated with respect to."""


class InternalError(TangentLiteError):
    """tangent_lite broke one of its own invariants (an analysis that did not converge): a bug
    in tangent_lite, not in the code it was given. Raised rather than guessing a gradient."""


F = TypeVar("F", bound=Callable[..., Any])


def _internal(tb: TracebackType) -> bool:
    return os.path.abspath(tb.tb_frame.f_code.co_filename).startswith(_PACKAGE_DIR)


def _without_internal_frames(tb: Optional[TracebackType]) -> Optional[TracebackType]:
    """The traceback chain `tb` without the entries of tangent_lite's own frames."""
    kept = []
    while tb is not None:
        if not _internal(tb):
            kept.append(tb)
        tb = tb.tb_next
    for entry, following in zip(kept, kept[1:] + [None]):
        entry.tb_next = following
    return kept[0] if kept else None


def _trim(exc: Optional[BaseException]) -> None:
    """Take tangent_lite's frames out of exc's traceback and out of the exceptions chained to
    it. A chained exception with frames of its own (a library whose source `inspect` cannot
    read) is kept, trimmed the same way; an implicit context raised entirely inside
    tangent_lite is noise, hidden."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        exc.__traceback__ = _without_internal_frames(exc.__traceback__)
        context = exc.__context__
        if (exc.__cause__ is None and context is not None
                and _without_internal_frames(context.__traceback__) is None):
            exc.__suppress_context__ = True
        exc = exc.__cause__ if exc.__suppress_context__ else context


def hide_internal_frames(exc: BaseException) -> None:
    """Take tangent_lite's frames out of exc's traceback, unless TANGENT_LITE_FULL_TRACEBACK is
    set. A compiled df calls it on a TangentLiteError a runtime helper raised about its inputs
    (emit/compile.py), so the user sees their call and the generated line, then the message."""
    if os.environ.get(FULL_TRACEBACK, "") in ("", "0"):
        _trim(exc)


# What a compiled df does with an error raised inside it (emit.compile_function's on_error).
USER_ERRORS = (TangentLiteError, hide_internal_frames)


def user_facing(func: F) -> F:
    """Wrap a public entry point: a TangentLiteError it raises arrives with tangent_lite's own
    frames hidden (unless TANGENT_LITE_FULL_TRACEBACK is set)."""
    @functools.wraps(func)
    def entry_point(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)   # TANGENT_LITE_FULL_TRACEBACK=1 shows every frame
        except TangentLiteError as exc:
            if os.environ.get(FULL_TRACEBACK, "") not in ("", "0"):
                raise
            head = exc.__traceback__   # this frame: Python 3.10 shows it, re-raising
            _trim(exc)
            if sys.version_info < (3, 11) and head is not None:
                head.tb_next = exc.__traceback__
            raise   # a bare raise adds no frame of its own (3.11+)
    return cast(F, entry_point)
