"""The package's layering: no import cycles among tangent_lite's modules, no private names
imported from another module.

Read from the source with `ast`, so a function-level import counts as much as one at the top of a
file: an import moved into a function to dodge a cycle is still a cycle. A package's __init__ is
a module like any other (`from . import x` names the submodule x when there is one, else a name
the package's __init__ defines).
"""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Where each package's files are (pyproject.toml installs examples/ as tangent_lite.examples).
PACKAGE_DIRS = {"tangent_lite": ROOT / "tangent_lite", "tangent_lite.examples": ROOT / "examples"}

# Imports that close a cycle today, in files others are restructuring; each is (importer,
# imported). Remove an entry when its cycle is gone: the test fails on entries that no longer
# close a cycle, so this list only shrinks.
ALLOWED_CYCLE_EDGES = set()   # (importer, imported) edges of a known cycle; none today

# Private names imported across modules: (importer, module, name). None today; an entry needs
# a comment saying why.
ALLOWED_PRIVATE_IMPORTS = set()


def modules():
    """{dotted name: path} of every module of tangent_lite, package __init__ files included."""
    found = {}
    for package, directory in PACKAGE_DIRS.items():
        for path in sorted(directory.rglob("*.py")):
            parts = list(path.relative_to(directory).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            if not all((directory.joinpath(*parts[:i]) / "__init__.py").is_file()
                       for i in range(len(parts))):
                continue   # not inside a package (a stray script)
            found[".".join([package, *parts])] = path
    return found


def imports(name, path, known):
    """Every import in the module `name`, at any depth: a list of (imported module, the
    names taken from it, line)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, (), node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in known:      # `from package import submodule`
                    found.append((submodule, (), node.lineno))
                else:
                    found.append((source, (alias.name,), node.lineno))
    return [(m, names, line) for m, names, line in found if m in known]


def graph():
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def cycles(edges):
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def module_edges(skip=frozenset()):
    return {name: {m for m, _, _ in found if m != name and (name, m) not in skip}
            for name, found in graph().items()}


def test_the_walk_finds_the_packages():
    known = modules()
    for name in ("tangent_lite", "tangent_lite.pipeline", "tangent_lite.ir",
                 "tangent_lite.transforms.reverse", "tangent_lite.examples.walkthrough"):
        assert name in known


def test_no_import_cycles():
    remaining = cycles(module_edges(skip=ALLOWED_CYCLE_EDGES))
    assert not remaining, "import cycles among tangent_lite modules:\n" + "\n".join(
        " <-> ".join(c) for c in remaining)


def test_cycle_allow_list_is_current():
    edges = module_edges()
    in_cycle = {frozenset(c) for c in cycles(edges)}
    stale = [(a, b) for a, b in sorted(ALLOWED_CYCLE_EDGES)
             if b not in edges.get(a, ()) or not any({a, b} <= c for c in in_cycle)]
    assert not stale, f"no longer a cycle; remove from ALLOWED_CYCLE_EDGES: {stale}"


def test_emit_depends_on_the_ir_only():
    """ir <- emit <- pipeline/aot: writing and compiling code knows nothing of how it was made."""
    def within(name, package):
        return name == package or name.startswith(package + ".")

    wrong = {name: sorted(m for m in imported if not (within(m, "tangent_lite.emit")
                                                      or within(m, "tangent_lite.ir")))
             for name, imported in module_edges().items() if within(name, "tangent_lite.emit")}
    assert not any(wrong.values()), wrong


def _private(part):
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def private_imports():
    """(importer, module, name, line) for each private name one module takes from another.

    A name is private to the module or package that defines it: `_helper` in a.b may be used in
    a.b only, the module a._version anywhere inside package a."""
    found = []
    for importer, imported in graph().items():
        for module, names, line in imported:
            for name in names or ("",):
                dotted = f"{module}.{name}" if name else module
                parts = dotted.split(".")
                for i, part in enumerate(parts):
                    owner = ".".join(parts[:i])
                    if _private(part) and not (importer == owner
                                               or importer.startswith(owner + ".")):
                        found.append((importer, module, name or part, line))
                        break
    return found


def test_no_private_names_imported_from_other_modules():
    leaks = [f for f in private_imports() if f[:3] not in ALLOWED_PRIVATE_IMPORTS]
    assert not leaks, "private names imported from another module:\n" + "\n".join(
        f"  {importer} (line {line}) imports {name} from {module}"
        for importer, module, name, line in leaks)


def test_private_allow_list_is_current():
    current = {f[:3] for f in private_imports()}
    stale = sorted(ALLOWED_PRIVATE_IMPORTS - current)
    assert not stale, f"no longer imported; remove from ALLOWED_PRIVATE_IMPORTS: {stale}"


def test_every_package_is_installed():
    """pyproject.toml lists packages by hand: a new folder left out of it installs nowhere."""
    import pathlib
    import re
    root = pathlib.Path(__file__).resolve().parent.parent
    text = (root / "pyproject.toml").read_text()
    listed = set(re.findall(r'"(tangent_lite(?:\.\w+)*)"', text))
    found = {".".join(p.parent.relative_to(root).parts)
             for p in (root / "tangent_lite").rglob("__init__.py")}
    assert found <= listed, f"packages missing from pyproject.toml: {sorted(found - listed)}"
