"""Write derivative code as Python source, compile it, and make it debuggable.

The source is the product: it is what `show` prints, what pdb steps through, and what codegen
saves. So we write it ourselves, statement by statement, keeping comments that point back at
the original lines, and compile exactly that text: the code object's line numbers are the
printed source's line numbers.
"""
import ast
import itertools
import linecache
import types

import gast

from ..ir import Comment
from .lineinfo import annotated_lines

INDENT = "    "
_counter = itertools.count(1)
_TYPE_PARAMS = {"type_params": []} if "type_params" in ast.FunctionDef._fields else {}


def to_source(deriv, signature):
    """The text of the derivative function; `signature` is its parameter list as source."""
    lines = [f"def {deriv.name}({signature}):"]
    doc = deriv.docstring.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    doc_lines = doc.split("\n")
    lines.append(f'{INDENT}"""{doc_lines[0]}')
    lines.extend((INDENT + d) if d else "" for d in doc_lines[1:])
    lines.append(f'{INDENT}"""')
    _write_body(deriv.body, 1, lines)
    return "\n".join(lines) + "\n"


def _write_body(body, depth, lines):
    pad = INDENT * depth
    for item in body:
        if isinstance(item, Comment):
            lines.append(f"{pad}# {item.text}" if item.text else "")
        elif isinstance(item, gast.If):
            lines.append(f"{pad}if {_expr(item.test)}:")
            _write_body(item.body, depth + 1, lines)
            orelse = item.orelse
            while len(orelse) == 1 and isinstance(orelse[0], gast.If):
                lines.append(f"{pad}elif {_expr(orelse[0].test)}:")
                _write_body(orelse[0].body, depth + 1, lines)
                orelse = orelse[0].orelse
            if orelse:
                lines.append(f"{pad}else:")
                _write_body(orelse, depth + 1, lines)
        elif isinstance(item, gast.For):
            lines.append(f"{pad}for {_expr(item.target)} in {_expr(item.iter)}:")
            _write_body(item.body, depth + 1, lines)
        elif isinstance(item, gast.While):
            lines.append(f"{pad}while {_expr(item.test)}:")
            _write_body(item.body, depth + 1, lines)
        else:
            text = ast.unparse(ast.fix_missing_locations(gast.gast_to_ast(item)))
            lines.extend(pad + t for t in text.split("\n"))
    if not any(not isinstance(i, Comment) for i in body):
        lines.append(f"{pad}pass")


def _expr(node):
    return ast.unparse(gast.gast_to_ast(node))


def compile_function(source, name, globals_, bindings, cells, defaults, kwdefaults, label):
    """Compile `source` (one or more `def`s) and return the function `name`, or a dict of
    functions when `name` is a list of names.

    The functions look globals up live in `globals_` (the differentiated function's module, so
    a rebound global is seen as f sees it) and find `bindings` (numpy, runtime helpers) and the
    original function's closure `cells` as free variables, without touching the user's module.
    """
    filename = f"<tangent_lite {label} #{next(_counter)}>"
    tree = ast.parse(source, filename)
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
