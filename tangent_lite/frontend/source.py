"""The source lines of a function, including one typed at the plain interactive prompt.

`inspect.getsourcelines` reads a function's file through linecache. Python 3.13's REPL, IPython
and Jupyter put what is typed into linecache, so it works there; the plain prompt of Python
3.10-3.12 does not: its code objects name the file "<stdin>", which has no lines. What was typed
is still in the prompt's readline history, line by line (blank lines are not kept). This module
looks there, newest first, for the statement that defined the function, and accepts it only when
compiling it again gives the function's own bytecode: a guess that is not proven is not used.
"""
import inspect
import re
import sys

# The first line of a definition (or of a decorator above one), at column 0.
_DEFINITION = re.compile(r"(@|def\b|async\s+def\b|class\b)")


def source_lines(func):
    """(lines, first line number) of func's definition, as `inspect.getsourcelines` gives them.

    Raises OSError (as inspect does) when the source cannot be found or proven."""
    try:
        return inspect.getsourcelines(func)
    except OSError:
        recovered = typed_at_prompt(func)
        if recovered is None:
            raise
        return recovered


def typed_at_prompt(func):
    """(lines, 1) of the interactive statement that defined func, from the prompt's readline
    history, or None when it is not there (or what is there does not compile to func)."""
    code = getattr(func, "__code__", None)
    readline = sys.modules.get("readline")
    if code is None or code.co_filename != "<stdin>" or readline is None:
        return None
    try:
        history = [readline.get_history_item(i)
                   for i in range(1, readline.get_current_history_length() + 1)]
    except Exception:  # noqa: BLE001 - an unusual readline (libedit, a stub): nothing to read
        return None
    history = [line for line in history if line]
    for start in reversed(range(len(history))):
        if history[start][:1].isspace():
            continue
        lines = _statement(history, start)
        if lines is not None and _defines(lines, code):
            return [line + "\n" for line in lines], 1
    return None


def _statement(history, start):
    """The lines of the statement starting at history[start]: a decorator or `def` line, then
    everything indented or continuing it; None when history[start] cannot start a definition."""
    if not _DEFINITION.match(history[start]):
        return None
    if start > 0 and history[start - 1].startswith("@"):
        return None   # the decorator above starts this statement
    end = start + 1
    while end < len(history) and (history[end][:1].isspace()
                                  or (_DEFINITION.match(history[end])
                                      and history[end - 1].startswith("@"))):
        end += 1
    return history[start:end]


def _defines(lines, code):
    """Whether compiling `lines` as the prompt did makes a code object equal to `code`."""
    try:
        compiled = compile("\n".join(lines) + "\n", "<stdin>", "single")
    except (SyntaxError, ValueError):
        return False
    pending = [compiled]
    while pending:
        found = pending.pop()
        if (found.co_name == code.co_name and found.co_firstlineno == code.co_firstlineno
                and found.co_code == code.co_code and found.co_consts == code.co_consts
                and found.co_names == code.co_names and found.co_varnames == code.co_varnames):
            return True
        pending.extend(c for c in found.co_consts if inspect.iscode(c))
    return False
