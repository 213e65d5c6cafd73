"""Get a function's source, parse it with gast, and resolve the names it uses.

Source-to-source AD starts from text, so everything here is about finding the right text
(decorators, lambdas, nested definitions, file line numbers) and knowing what each free name in
it denotes at the moment we differentiate.
"""
import builtins
import dataclasses
import inspect
import linecache
import os
import sys
import textwrap
import types

import gast

from ..errors import (InputError, SourceUnavailableError, UnsupportedSyntaxError,
                      per_class_refusal)
from .callables import (MethodOf, StarredCall, TypedArguments, bind_constants, expand_starred,
                        same_attribute, same_item, target_of)
from .source import source_lines
from ..ir.syntax import int_literal

UNRESOLVED = object()


@dataclasses.dataclass
class ParsedFunction:
    """A function's definition as gast, with what is needed to report and resolve names."""

    func: object
    node: gast.FunctionDef
    filename: str
    firstlineno: int
    globals: dict
    closure: dict
    globals_used: dict = dataclasses.field(default_factory=dict)
    # The runtime defaults of the parameters, and how messages name the callable: a bound
    # method or partial fixes some parameters (callables.py), which changes both.
    defaults: tuple = None
    kwdefaults: dict = None
    label: str = None
    # What resolving attributes of objects relied on: callables saying whether it still holds
    # (a method an attribute read resolved to may be replaced; see objects.py).
    checks: list = dataclasses.field(default_factory=list)
    # Parameters known to hold an instance of exactly one class (callables.MethodOf); a
    # dotted key (`model.l1`) names an object held in an attribute of one (classes.py).
    param_classes: dict = dataclasses.field(default_factory=dict)
    # Parameters known to hold a list or tuple of instances of exactly one class (a dotted
    # key: held in an attribute of one, `model.layers`).
    item_classes: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if self.defaults is None:
            self.defaults = self.func.__defaults__
        if self.kwdefaults is None:
            self.kwdefaults = self.func.__kwdefaults__
        if self.label is None:
            self.label = self.func.__name__

    @property
    def name(self):
        name = self.func.__name__
        if name == "__call__" and "." in self.func.__qualname__:   # a callable's: its class
            return self.func.__qualname__.rsplit(".", 2)[-2]
        return name

    def line(self, lineno):
        """The text of line `lineno` of the original file."""
        return linecache.getline(self.filename, lineno).rstrip("\n") if lineno else ""

    def error(self, cls, node, message, hint=None):
        """An error of class `cls` pointing at `node` in the original file."""
        lineno = getattr(node, "lineno", None)
        return cls(message, filename=self.filename, lineno=lineno,
                   col=getattr(node, "col_offset", None), source_line=self.line(lineno),
                   hint=hint)

    def resolve(self, node):
        """The object a Name or attribute chain (`np.linalg.norm`) denotes, or UNRESOLVED.

        Local variables are data, not functions we can look up, so they never resolve.
        """
        if isinstance(node, gast.Name):
            if node.id in self.local_names:
                return UNRESOLVED
            if node.id in self.closure:
                try:
                    return self.closure[node.id].cell_contents
                except ValueError:
                    return UNRESOLVED
            if node.id in self.globals:
                value = self.globals[node.id]
                self.globals_used[node.id] = value
                return value
            return getattr(builtins, node.id, UNRESOLVED)
        if isinstance(node, gast.Attribute):
            base = self.resolve(node.value)
            if base is UNRESOLVED:
                return UNRESOLVED
            value = getattr(base, node.attr, UNRESOLVED)
            if node.attr == "grad" and _is_differentiable(base):
                value = base.df   # `loss.grad(x)` of a @differentiate function: its gradient
            if callable(value) and not inspect.ismodule(base):
                self.watch(("attribute", id(base), node.attr), same_attribute(base, node.attr,
                                                                           value))
            return value
        if isinstance(node, gast.Subscript):   # `self.layers[0]`: an element of a constant
            base = self.resolve(node.value)
            key = constant_key(node.slice)
            if isinstance(base, (list, tuple, dict)) and key is not UNRESOLVED:
                try:
                    value = base[key]
                except (IndexError, KeyError, TypeError):
                    return UNRESOLVED
                if callable(value):
                    self.watch(("item", id(base), key), same_item(base, key, value))
                return value
            return UNRESOLVED
        if isinstance(node, gast.Call) and len(node.args) == 2 and not node.keywords and \
                self.resolve(node.func) is super:   # super(Cls, self), see objects.py
            cls, obj = (self.resolve(a) for a in node.args)
            if cls is not UNRESOLVED and obj is not UNRESOLVED:
                return super(cls, obj)
        return UNRESOLVED

    def watch(self, key, check):
        """Record `check` (see `checks`) once per key: a name may be resolved many times."""
        seen = self.__dict__.setdefault("_watched", set())
        if key not in seen:
            seen.add(key)
            self.checks.append(check)

    def resolve_name(self, name):
        """What the bare name `name` denotes inside the function, or UNRESOLVED."""
        return self.resolve(gast.Name(id=name, ctx=gast.Load(), annotation=None,
                                      type_comment=None))

    @property
    def local_names(self):
        names = getattr(self, "_local_names", None)
        if names is None:
            names = {a.id for a in _all_args(self.node.args)}
            for n in gast.walk(self.node):
                if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Del)):
                    names.add(n.id)
            self._local_names = names
        return names


def constant_key(node):
    """The int or str a subscript's index spells (`0`, `-1`, `"w"`), or UNRESOLVED."""
    if isinstance(node, gast.Constant) and type(node.value) is str:
        return node.value
    value = int_literal(node)
    return UNRESOLVED if value is None else value


def _all_args(args):
    out = list(args.posonlyargs) + list(args.args) + list(args.kwonlyargs)
    if args.vararg:
        out.append(args.vararg)
    if args.kwarg:
        out.append(args.kwarg)
    return out


def _is_differentiable(obj):
    """Whether obj is a @differentiate function (api.Differentiable, not imported: the api
    imports the frontend)."""
    cls = type(obj)
    return cls.__name__ == "Differentiable" and cls.__module__ == "tangent_lite.api"


def parse_function(func):
    """Parse `func` into a ParsedFunction whose node line numbers are the file's own.

    A bound method, callable object or functools.partial is parsed as the function behind it,
    with the parameters it fixes bound as constants (callables.py)."""
    func = inspect.unwrap(func)
    if isinstance(func, StarredCall):
        return expand_starred(parse_function(func.function), func)
    if isinstance(func, MethodOf):
        parsed = parse_function(func.function)
        _type_self(parsed, func)
        return parsed
    if isinstance(func, TypedArguments):
        parsed = parse_function(func.function)
        _type_parameters(parsed, func.classes)
        return parsed
    target = None if inspect.isfunction(func) else target_of(func)
    if target is not None:
        return bind_constants(parse_function(target.function), target, types.CellType)
    _require_python_function(func)
    generated = getattr(func, "__tangent_lite__", None)
    if getattr(generated, "by_class", None) is not None:   # classes.py's dispatch: no source
        raise per_class_refusal(generated)
    code = func.__code__
    filename = code.co_filename
    module = _parse_source(func, filename)
    node = _find_definition(module, func, filename, code.co_firstlineno)
    closure = dict(zip(code.co_freevars, func.__closure__ or ()))
    parsed = ParsedFunction(func=func, node=node, filename=filename, firstlineno=node.lineno,
                            globals=func.__globals__, closure=closure)
    origin = getattr(getattr(func, "__tangent_lite__", None), "func", None)
    if isinstance(origin, MethodOf):   # the derivative of one: its `self` is typed too
        _type_self(parsed, origin)
    elif isinstance(origin, TypedArguments):   # and its typed parameters
        _type_parameters(parsed, origin.classes)
    return parsed


def _type_self(parsed, method):
    """Record what a MethodOf says: the class of its first parameter (`self`), and of the
    objects held in its attributes (`self.second`)."""
    first = method.function.__code__.co_varnames[0]
    parsed.param_classes[first] = method.cls
    _type_parameters(parsed, {f"{first}.{path}": cls for path, cls in method.fields})


def _type_parameters(parsed, classes):
    """Record what TypedArguments says the parameters hold: an instance of a class, or
    (`("items", cls)`) a list or tuple of instances of one."""
    for name, cls in classes.items():
        if isinstance(cls, tuple):
            parsed.item_classes[name] = cls[1]
        else:
            parsed.param_classes[name] = cls


def _require_python_function(func):
    """Raise a clear error naming the user's call when func is not a Python function."""
    if not callable(func):
        filename, lineno = _caller()
        raise InputError(
            f"{func!r} ({type(func).__name__}) is not a function: tangent_lite differentiates "
            "a Python function", filename=filename, lineno=lineno,
            source_line=linecache.getline(filename, lineno) if filename else None,
            hint="pass the function itself, as in tl.grad(f)(x), not a value such as f(x)")
    if not inspect.isfunction(func):
        kind = type(func).__name__
        filename, lineno = _caller()
        raise SourceUnavailableError(
            f"cannot read the Python source of {func!r} ({kind}): only functions written in "
            "Python can be differentiated from source", filename=filename, lineno=lineno,
            source_line=linecache.getline(filename, lineno) if filename else None,
            hint="register a derivative rule for it with @tangent_lite.adjoint, or wrap the "
                 "call in a Python function")


def _parse_source(func, filename):
    """func's source parsed with gast, its line numbers those of the file."""
    try:
        lines, firstlineno = source_lines(func)
    except (OSError, TypeError) as exc:
        raise SourceUnavailableError(
            f"cannot read the source of {func.__qualname__} (defined in {filename}): {exc}",
            filename=filename, lineno=func.__code__.co_firstlineno,
            hint="define the function in a .py file (a function built with exec, or typed at "
                 "an interactive prompt without readline history, has no source tangent_lite "
                 "can read)") from None
    text = textwrap.dedent("".join(lines))
    try:
        module = gast.parse(text)
    except SyntaxError:
        # A lambda inside a larger expression: inspect gives the enclosing lines, which may
        # not parse alone. Wrap them so they do.
        try:
            module = gast.parse("(\n" + text + "\n)")
            firstlineno -= 1
        except SyntaxError:
            raise SourceUnavailableError(
                f"cannot parse the source of {func.__qualname__}", filename=filename,
                lineno=firstlineno, hint="define it with `def` at the top of a module") from None
    for node in gast.walk(module):
        if hasattr(node, "lineno") and node.lineno is not None:
            node.lineno += firstlineno - 1
            if getattr(node, "end_lineno", None) is not None:
                node.end_lineno += firstlineno - 1
    return module


def _caller():
    """file and line of the nearest frame outside tangent_lite: where the user asked."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(package + os.sep):
            return filename, frame.f_lineno
        frame = frame.f_back
    return None, None


def _find_definition(module, func, filename, firstlineno):
    name = func.__name__
    if name == "<lambda>":
        lambdas = [n for n in gast.walk(module) if isinstance(n, gast.Lambda)
                   and n.lineno == firstlineno]
        if len(lambdas) != 1:
            raise UnsupportedSyntaxError(
                f"cannot tell which of the {len(lambdas)} lambdas on this line to differentiate",
                filename=filename, lineno=firstlineno, source_line=linecache.getline(
                    filename, firstlineno),
                hint="define the function with `def`, or put each lambda on its own line")
        lam = lambdas[0]
        ret = gast.Return(value=lam.body)
        gast.copy_location(ret, lam.body)
        node = gast.FunctionDef(name="lambda", args=lam.args, body=[ret], decorator_list=[],
                                returns=None, type_comment=None, type_params=[])
        return gast.copy_location(node, lam)
    for node in gast.walk(module):
        if isinstance(node, (gast.FunctionDef, gast.AsyncFunctionDef)) and node.name == name:
            if isinstance(node, gast.AsyncFunctionDef):
                raise UnsupportedSyntaxError(
                    f"cannot differentiate the coroutine `async def {name}`",
                    filename=filename, lineno=node.lineno,
                    source_line=linecache.getline(filename, node.lineno),
                    hint="differentiate a plain `def` function")
            return node
    raise SourceUnavailableError(f"cannot find the definition of {name} in its source",
                                 filename=filename, lineno=firstlineno)
