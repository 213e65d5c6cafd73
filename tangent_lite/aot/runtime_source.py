"""The text of the runtime helpers a generated module uses, cut from the runtime package itself.

A standalone module must not import tangent_lite, so it carries the definitions it calls. We
copy them verbatim (comments and docstrings included) rather than re-printing them, and copy only
the ones the generated code reaches, so the module stays short enough to read. The copy is flat:
the definitions of every module of tangent_lite/runtime/ (in runtime.MODULES's order, core
first) share one namespace, so a helper's use of another module's helper is followed like any
other, and the modules' imports of each other (`from .core import ...`) are left out.
"""
import ast
import functools
import pathlib

from .. import runtime

@functools.lru_cache(maxsize=1)
def _parsed():
    """[(module, lines, its AST)] for every runtime module, core first."""
    out = []
    for module in runtime.MODULES:
        text = pathlib.Path(module.__file__).read_text()
        out.append((module, text.splitlines(), ast.parse(text)))
    return out


@functools.lru_cache(maxsize=1)
def _definitions():
    """{top-level name: (text, names of other runtime definitions it uses, defining module)},
    in package order."""
    found = {}
    for module, lines, tree in _parsed():
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
            if name in found:
                raise ValueError(f"{module.__name__} defines {name!r} again: the runtime "
                                 "modules share one namespace when copied")
            uses = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            found[name] = ("\n".join(lines[start - 1:node.end_lineno]), uses, module)
    for name, (body, uses, module) in found.items():
        found[name] = (body, sorted((uses & set(found)) - {name}), module)
    return found


def _defined_name(node):
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return node.name
    if (isinstance(node, ast.Assign) and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)):
        return node.targets[0].id
    return None


@functools.lru_cache(maxsize=1)
def _imports():
    found = []
    for module, _, tree in _parsed():
        for node in tree.body:
            if isinstance(node, ast.Import):
                found.extend((a.name, a.asname or a.name.partition(".")[0]) for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                raise ValueError(f"{module.__name__}: `from {node.module} import ...` cannot be "
                                 "copied; a runtime module imports modules (import numpy as np)")
    return list(dict.fromkeys(found))


def imports():
    """[(module, bound name)] for the runtime modules' own `import` statements (numpy as np);
    their imports of each other are not needed in the flat copy."""
    return list(_imports())


def names():
    """Every name the runtime modules define at top level (functions, classes, InputError)."""
    return list(_definitions())


def objects():
    """{name: the object it denotes} for `names()`, each looked up in the module defining it."""
    return {name: getattr(module, name) for name, (_, _, module) in _definitions().items()}


def closure(used):
    """`used` and every runtime definition they call, in package order."""
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
