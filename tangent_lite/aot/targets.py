"""Find the function a command line names: `PATH_OR_MODULE:FUNC`.

`examples/walkthrough.py:doubling` names a file, `tangent_lite.examples.walkthrough:doubling` a
module. A file is imported under the dotted name its package directories give it, so that
`func.__module__` is a name a generated module can import the function's helpers from.
"""
import importlib
import os
import sys
import traceback


class TargetError(Exception):
    """A command-line target that cannot be found or imported; the message is one line."""


def parse_wrt(text):
    """`--wrt W,b` -> ('W', 'b'); `--wrt W` -> 'W'; `--wrt 1` -> 1; None stays None."""
    if text is None:
        return None
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise TargetError(f"--wrt {text!r}: give argument names or indices, e.g. --wrt W,b")
    items = [int(t) if t.lstrip("-").isdigit() else t for t in items]
    return items[0] if len(items) == 1 else tuple(items)


def load(spec):
    """The function named by `spec` (`PATH_OR_MODULE:FUNC`, FUNC may be dotted)."""
    where, sep, attr = spec.rpartition(":")
    if not sep or not where or not attr:
        raise TargetError(f"{spec!r}: expected PATH_OR_MODULE:FUNC, e.g. "
                          "examples/walkthrough.py:doubling or mypackage.model:loss")
    if _is_path(where):
        module = _import_file(where)
    else:
        module = _import_module(where)
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            defined = sorted(n for n, v in vars(module).items()
                             if callable(v) and getattr(v, "__module__", None) == module.__name__
                             and not n.startswith("_"))
            listing = f"; it defines {', '.join(defined)}" if defined else ""
            raise TargetError(f"{where} has no function {attr!r}{listing}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise TargetError(f"{where}:{attr} is a {type(obj).__name__}, not a function")
    return obj


def _is_path(where):
    return where.endswith(".py") or "/" in where or os.sep in where


def _import_file(path):
    if not os.path.isfile(path):
        raise TargetError(f"{path}: no such file")
    path = os.path.abspath(path)
    root, name = _module_name(path)
    if root not in sys.path:
        sys.path.insert(0, root)
    module = _import_module(name, shown=path)
    found = getattr(module, "__file__", None)
    if not found or not os.path.samefile(found, path):
        raise TargetError(f"{path} would be imported as {name}, but that name is already "
                          f"taken by {found or 'a built-in module'}; rename the file or use "
                          "the module's dotted name")
    return module


def _module_name(path):
    """(sys.path entry, dotted module name) for a .py file inside its package directories."""
    directory, filename = os.path.split(path)
    parts = [os.path.splitext(filename)[0]]
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        directory, package = os.path.split(directory)
        parts.insert(0, package)
    if parts[-1] == "__init__":
        parts.pop()
    return directory, ".".join(parts)


def _import_module(name, shown=None):
    """Import `name`; any failure becomes one line naming where it happened."""
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())   # what `python -m` does, for the console script too
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            raise TargetError(f"no module named {name!r} (a file path needs a '/' or '.py')"
                              ) from None
        raise TargetError(f"importing {shown or name}: {_one_line(exc)}") from None
    except Exception as exc:  # the user's module failed while running: say where, briefly
        raise TargetError(f"importing {shown or name}: {_one_line(exc)}") from None


def _one_line(exc):
    """`file:line: Type: message` for an exception raised while importing user code."""
    where = ""
    if isinstance(exc, SyntaxError) and exc.filename:
        where = f"{exc.filename}:{exc.lineno}: "
    else:
        frames = traceback.extract_tb(exc.__traceback__)
        if frames:
            where = f"{frames[-1].filename}:{frames[-1].lineno}: "
    message = str(exc.msg if isinstance(exc, SyntaxError) else exc).splitlines()
    return f"{where}{type(exc).__name__}: {message[0] if message else ''}"
