"""Compile the written source into a function and make it debuggable.

The function is compiled from exactly the text to_source wrote, under a file name of its own that
linecache knows, so tracebacks and pdb show the generated code, each statement line ending with
the original line it comes from.
"""
import ast
import itertools
import linecache
import types

from .lineinfo import annotated_lines

_counter = itertools.count(1)
_ERROR, _HANDLER = "tangent_lite_error_", "tangent_lite_on_error_"
_TYPE_PARAMS = {"type_params": []} if "type_params" in ast.FunctionDef._fields else {}


def compile_function(source, name, globals_, bindings, cells, defaults, kwdefaults, label,
                     on_error=None):
    """Compile `source` (one or more `def`s) and return the function `name`, or a dict of
    functions when `name` is a list of names.

    The functions look globals up live in `globals_` (the differentiated function's module, so
    a rebound global is seen as f sees it) and find `bindings` (numpy, runtime helpers) and the
    original function's closure `cells` as free variables, without touching the user's module.

    `on_error` = (exception class, handler): an exception of that class leaving a compiled
    function is passed to handler(exc) and re-raised (see `_guarded`).
    """
    filename = f"<tangent_lite {label} #{next(_counter)}>"
    tree = ast.parse(source, filename)
    if on_error is not None:
        bindings = {**bindings, _ERROR: on_error[0], _HANDLER: on_error[1]}
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                _guarded(node)
    free = sorted(set(bindings) | set(cells))
    outer = ast.FunctionDef(
        name="__tangent_lite_make",
        args=ast.arguments(posonlyargs=[], args=[ast.arg(arg=n) for n in free], vararg=None,
                           kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
        body=list(tree.body) + [ast.Return(value=ast.Constant(value=None))],
        decorator_list=[], returns=None, **_TYPE_PARAMS)
    ast.copy_location(outer, tree.body[0])
    module = ast.Module(body=[outer], type_ignores=[])
    ast.fix_missing_locations(module)
    code = compile(module, filename, "exec")
    outer_code = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    inner = {c.co_name: c for c in outer_code.co_consts if isinstance(c, types.CodeType)}
    functions = {}
    for n in ([name] if isinstance(name, str) else name):
        closure = tuple(cells[v] if v in cells else types.CellType(bindings[v])
                        for v in inner[n].co_freevars)
        functions[n] = types.FunctionType(inner[n], globals_, n, defaults, closure)
        functions[n].__kwdefaults__ = dict(kwdefaults) if kwdefaults else None
    # Tracebacks and pdb show this copy: each statement line names its original line too.
    lines = annotated_lines(source)
    linecache.cache[filename] = (len(source), None, lines, filename)
    return functions[name] if isinstance(name, str) else functions


def _guarded(function):
    """Wrap function's body (not its docstring) in `try: ... except ERROR as e: HANDLER(e);
    raise`, in the compiled code only: the text shown, stepped through and printed in
    tracebacks stays the written source, whose statements keep their own line numbers. On
    Python 3.11+ the try costs nothing until something is raised; this is how an error a
    runtime helper raises about the user's inputs arrives without the helper's frames."""
    body = function.body
    doc = body[:1] if (body and isinstance(body[0], ast.Expr)
                       and isinstance(body[0].value, ast.Constant)
                       and isinstance(body[0].value.value, str)) else []
    if len(body) == len(doc):
        return
    where = {"lineno": function.lineno, "col_offset": function.col_offset}
    caught = "tangent_lite_exc_"
    handler = ast.ExceptHandler(
        type=ast.Name(id=_ERROR, ctx=ast.Load(), **where), name=caught,
        body=[ast.Expr(value=ast.Call(func=ast.Name(id=_HANDLER, ctx=ast.Load(), **where),
                                      args=[ast.Name(id=caught, ctx=ast.Load(), **where)],
                                      keywords=[], **where), **where),
              ast.Raise(exc=None, cause=None, **where)], **where)
    function.body = doc + [ast.Try(body=body[len(doc):], handlers=[handler], orelse=[],
                                   finalbody=[], **where)]
