"""Write derivative code as Python source.

The source is the product: it is what `show` prints, what pdb steps through, and what generated
modules save. So we write it ourselves, statement by statement, keeping comments that point back
at the original lines; compile.py compiles exactly that text, so that the code object's line
numbers are the printed source's line numbers.
"""
import ast

import gast

from ..ir import Comment

INDENT = "    "


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
