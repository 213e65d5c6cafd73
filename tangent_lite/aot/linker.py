"""Put several compiled derivatives into one module namespace.

In memory, each derivative finds its free names in its own closure (numpy, runtime helpers, the
vjps of the helpers it calls) and in the differentiated function's module. A generated module has
one namespace for all of them, so the same name may be wanted for different things: two vjps of
one helper with respect to different arguments are both `vjp_step`, a user's own `append` meets
the runtime's. The linker resolves every free name of every function to what it denotes, gives
each distinct thing one module-level name (the one the code already uses wherever possible), and
renames the names in the source text that had to change.
"""
import builtins
import dataclasses
import inspect
import io
import keyword
import symtable
import sys
import tokenize

from . import runtime_source
from ..emit import Namer
from ..errors import TangentLiteError


class CodegenError(TangentLiteError):
    """A derivative that cannot be written as a standalone module, or a bad codegen request."""


@dataclasses.dataclass
class Unit:
    """One generated function of the module: a requested gradient or a helper's vjp."""

    compiled: object
    root: bool
    wanted: str                  # the module-level name asked for
    def_name: str = ""           # the name its source defines
    refs: dict = dataclasses.field(default_factory=dict)   # free name in source -> key
    name: str = ""               # the module-level name given
    source: str = ""             # the source after renaming


@dataclasses.dataclass
class Linked:
    """The result: functions in module order, what to import, which runtime helpers to copy."""

    units: list
    imports: list        # (module, bound name) for `import module as name`
    from_imports: list   # (module, attribute, bound name) for `from module import attr as name`
    runtime: list        # runtime definitions to copy, in the runtime package's order


def link(roots):
    """Link `roots`, a list of (Compiled, wanted module-level name), and every vjp they call."""
    return _Linker(roots).run()


class _Linker:
    def __init__(self, roots):
        self.units = [Unit(c, True, wanted) for c, wanted in roots]
        self.by_df = {id(u.compiled.df): u for u in self.units}
        self._collect_deps()
        self.runtime_ids = {id(obj): n for n, obj in runtime_source.objects().items()}
        self.namer = Namer({"__all__", "__doc__", "__name__", "__file__"})
        self.names = {}    # key -> module-level name

    def _collect_deps(self):
        todo = list(self.units)
        while todo:
            for dep in todo.pop(0).compiled.deps:
                if id(dep.df) not in self.by_df:
                    unit = Unit(dep, False, dep.df.__name__)
                    self.by_df[id(dep.df)] = unit
                    self.units.append(unit)
                    todo.append(unit)

    def run(self):
        for unit in self.units:
            unit.def_name = unit.compiled.df.__name__
            unit.refs = {n: self._key(unit, n) for n in free_names(unit.compiled.source)}
        runtime_used = self._name_everything()
        for unit in self.units:
            mapping = {free: self.names[key] for free, key in unit.refs.items()
                       if key[0] != "builtin"}
            mapping[unit.def_name] = unit.name
            unit.source = rename(unit.compiled.source, mapping)
        imports = sorted({(k[1], n) for k, n in self.names.items() if k[0] == "import"})
        from_imports = sorted((k[1], k[2], n) for k, n in self.names.items() if k[0] == "from")
        return Linked(self.units, imports, from_imports, runtime_used)

    def _name_everything(self):
        """Give every key a module-level name; return the runtime definitions to copy."""
        keys = [k for u in self.units for k in u.refs.values()]
        runtime_used = runtime_source.closure([k[1] for k in keys if k[0] == "runtime"])
        # The copied runtime refers to its definitions and imports by their own names, and a
        # builtin the code uses must not be shadowed: these names are fixed, so claimed first.
        fixed = [(("import", m), bound) for m, bound in runtime_source.imports()
                 if runtime_used]
        fixed += [(("runtime", n), n) for n in runtime_used]
        fixed += [(k, k[1]) for k in keys if k[0] == "builtin"]
        for key, name in fixed:
            self._claim(key, name)
        for unit in self.units:       # requested gradients first: their names are the API
            unit.name = self._claim(("unit", id(unit)), unit.wanted,
                                    exact=unit.root and unit.wanted != unit.def_name)
        for unit in self.units:
            for free, key in unit.refs.items():
                if key[0] in ("import", "from"):
                    self._claim(key, free)
        return runtime_used

    def _claim(self, key, wanted, exact=False):
        """The module-level name of `key`: `wanted`, or a numbered variant when taken."""
        name = self.names.get(key)
        if name is not None:
            return name
        if exact and wanted in self.namer.taken:
            raise CodegenError(f"cannot name a gradient {wanted!r} in the generated module: "
                               "another definition there has that name; choose another")
        name = self.names[key] = self.namer.fresh(wanted)
        return name

    def _key(self, unit, free):
        """What the free name `free` of `unit` denotes, as a hashable key."""
        compiled = unit.compiled
        func = inspect.unwrap(compiled.func)
        func = getattr(func, "function", func)   # a method seen on one class (MethodOf)
        if free in compiled.bindings:
            if compiled.bindings[free] is getattr(builtins, free, None):
                return ("builtin", free)
            return self._classify(compiled.bindings[free], free, None, func)
        cells = dict(zip(func.__code__.co_freevars, func.__closure__ or ()))
        if free in cells:
            raise CodegenError(
                f"{func.__qualname__} uses the closure variable {free!r}: a generated module "
                "cannot reach it", filename=func.__code__.co_filename,
                lineno=func.__code__.co_firstlineno,
                hint="instead: generate code for module-level functions")
        if free in func.__globals__:
            return self._classify(func.__globals__[free], free, func.__module__, func)
        if hasattr(builtins, free):
            return ("builtin", free)
        raise CodegenError(f"the gradient of {func.__qualname__} uses {free!r}, which is not "
                           "defined", filename=func.__code__.co_filename,
                           lineno=func.__code__.co_firstlineno)

    def _classify(self, obj, free, origin, func):
        if id(obj) in self.by_df:
            return ("unit", id(self.by_df[id(obj)]))
        if id(obj) in self.runtime_ids:
            return ("runtime", self.runtime_ids[id(obj)])
        if inspect.ismodule(obj):
            return ("import", obj.__name__)
        home = _home(obj)
        if home is not None and home != origin:
            return ("from", home, obj.__name__)
        if origin is None:   # something the compiler bound that no module can provide
            raise CodegenError(f"the derivative of {func.__qualname__} calls {free} ({obj!r}), "
                               "which cannot be written into a module")
        if origin == "__main__":
            raise CodegenError(
                f"the gradient of {func.__qualname__} uses {free!r} from the script being run "
                "(__main__), which a generated module cannot import",
                filename=func.__code__.co_filename, lineno=func.__code__.co_firstlineno,
                hint="instead: move the function and what it uses into an importable module")
        return ("from", origin, free)


def _home(obj):
    """The module `obj` can be imported from under its own name (`numpy` for np.tanh)."""
    module = getattr(obj, "__module__", None)
    name = getattr(obj, "__name__", None)
    if not isinstance(module, str) or not isinstance(name, str) or module.startswith(
            "tangent_lite"):
        return None
    if getattr(sys.modules.get(module), name, None) is not obj:
        return None
    return module


def free_names(source):
    """The names `source` (one `def`) reads from its module: globals and builtins."""
    table = symtable.symtable(source, "<generated>", "exec")
    found = set()
    todo = [table]
    while todo:
        scope = todo.pop()
        for sym in scope.get_symbols():
            if scope.get_type() == "module":
                free = sym.is_referenced() and not sym.is_assigned() and not sym.is_imported()
            else:
                free = sym.is_global()
            if free:
                found.add(sym.get_name())
        todo.extend(scope.get_children())
    return sorted(found)


def rename(source, mapping):
    """`source` with the free names in `mapping` renamed; attributes, keyword arguments,
    comments and strings are left alone."""
    mapping = {old: new for old, new in mapping.items() if old != new}
    if not mapping:
        return source
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
              if t.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT,
                                tokenize.DEDENT)]
    edits = []
    depth = 0
    for i, tok in enumerate(tokens):
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        if tok.type != tokenize.NAME or tok.string not in mapping or keyword.iskeyword(
                tok.string):
            continue
        after_dot = i > 0 and tokens[i - 1].string == "."
        keyword_arg = depth > 0 and i + 1 < len(tokens) and tokens[i + 1].string == "="
        if not after_dot and not keyword_arg:
            edits.append((tok.start, tok.end, mapping[tok.string]))
    lines = source.splitlines(keepends=True)
    for (row, col), (_, end), new in sorted(edits, reverse=True):
        lines[row - 1] = lines[row - 1][:col] + new + lines[row - 1][end:]
    return "".join(lines)
