"""Which line of the original function each line of generated code comes from.

Generated code marks each group of statements with a comment `# line 47: <original text>`. A
traceback or pdb shows only the one line that failed, not the comment above it, so the copy of
the code registered with linecache for a compiled df carries the original line number at the
end of every statement line as well (`t_add = t_matmul + t_item  # line 47`). The printed
source (show, source, generated modules) stays as it is: there the comments above are in view.
"""
import ast
import io
import re
import tokenize

_LINE_COMMENT = re.compile(r"#\s*line (\d+)\b")


def origins(source):
    """{line of `source`: original line number} for every statement line that has one."""
    events = []   # (row, kind, column, original line or None); comments sort before statements
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT and tok.line[:tok.start[1]].strip() == "":
            match = _LINE_COMMENT.match(tok.string)
            events.append((tok.start[0], 0, tok.start[1], int(match[1]) if match else None))
    tree = ast.parse(source)
    # The return that ends each function hands back the derivatives: it has no one origin.
    epilogues = {id(n.body[-1]) for n in ast.walk(tree)
                 if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                 and isinstance(n.body[-1], ast.Return)}
    for node in ast.walk(tree):
        if (isinstance(node, ast.stmt) and not _is_docstring_or_def(node)
                and id(node) not in epilogues):
            events.append((node.lineno, 1, node.col_offset, None))
    found = {}
    scope = []   # (column, original line) of the comments governing the current indentation
    for row, kind, col, line in sorted(events):
        while scope and (scope[-1][0] > col or (kind == 0 and scope[-1][0] == col)):
            scope.pop()
        if kind == 0:
            scope.append((col, line))
        elif scope and scope[-1][1] is not None:
            found[row] = scope[-1][1]
    return found


def _is_docstring_or_def(node):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str))


def annotated_lines(source):
    """The lines of `source` (with line ends), each statement line ending in `# line N`."""
    marks = origins(source)
    lines = source.splitlines(True)
    for row, line in marks.items():
        text = lines[row - 1].rstrip("\n")
        lines[row - 1] = f"{text}  # line {line}\n"
    return lines
