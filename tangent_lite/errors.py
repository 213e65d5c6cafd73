"""Errors raised for user input.

Every message names where (file:line), the construct, and what to write instead, because the
person reading it is looking at their own code, not at ours.
"""


class TangentLiteError(Exception):
    """Base class of every error tangent_lite raises about the code it is given."""

    def __init__(self, message, *, filename=None, lineno=None, col=None, source_line=None,
                 hint=None):
        self.filename = filename
        self.lineno = lineno
        self.col = col
        self.source_line = source_line
        self.hint = hint
        self.message = message
        super().__init__(self._format())

    def _format(self):
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


class MissingRuleError(TangentLiteError):
    """A called function has no derivative rule and no Python source to differentiate."""


class SourceUnavailableError(TangentLiteError):
    """The function's source cannot be read (builtins, REPL lambdas, exec'd code)."""


class InputError(TangentLiteError):
    """The arguments given to a gradient function cannot be differentiated with respect to."""


class InternalError(TangentLiteError):
    """tangent_lite broke one of its own invariants (an analysis that did not converge): a bug
    in tangent_lite, not in the code it was given. Raised rather than guessing a gradient."""
