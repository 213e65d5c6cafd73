"""The text of the runtime helpers a generated module uses, cut from runtime.py itself.

A standalone module must not import tangent_lite, so it carries the definitions it calls. We
copy them verbatim (comments and docstrings included) rather than re-printing them, and copy only
the ones the generated code reaches, so the module stays short enough to read.
"""
import ast
import functools
import pathlib

from . import runtime

RUNTIME_FILE = pathlib.Path(runtime.__file__)


@functools.lru_cache(maxsize=1)
def _definitions():
    """{top-level name: (text, names of other runtime definitions it uses)}, in file order."""
    text = RUNTIME_FILE.read_text()
    lines = text.splitlines()
    tree = ast.parse(text)
    found = {}
    previous_end = 0
    for node in tree.body:
        name = _defined_name(node)
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        # Take the comment block directly above the definition with it.
        while start - 1 > previous_end and lines[start - 2].lstrip().startswith("#"):
            start -= 1
        previous_end = node.end_lineno
        if name is None or name == "__all__":
            continue
        uses = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        found[name] = ("\n".join(lines[start - 1:node.end_lineno]), uses)
    for name, (body, uses) in found.items():
        found[name] = (body, sorted((uses & set(found)) - {name}))
    return found


def _defined_name(node):
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return node.name
    if (isinstance(node, ast.Assign) and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)):
        return node.targets[0].id
    return None


def imports():
    """[(module, bound name)] for runtime.py's own `import` statements (numpy as np)."""
    tree = ast.parse(RUNTIME_FILE.read_text())
    return [(a.name, a.asname or a.name.partition(".")[0])
            for node in tree.body if isinstance(node, ast.Import) for a in node.names]


def names():
    """Every name runtime.py defines at top level (functions, classes, InputError)."""
    return list(_definitions())


def closure(used):
    """`used` and every runtime definition they call, in runtime.py's order."""
    defs = _definitions()
    todo = [n for n in used if n in defs]
    needed = set()
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo.extend(defs[name][1])
    return [n for n in defs if n in needed]


def source(used):
    """The text of the definitions `closure(used)`, two blank lines apart."""
    defs = _definitions()
    return "\n\n\n".join(defs[n][0] for n in closure(used)) + "\n"
