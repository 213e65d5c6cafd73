"""From derivative statements to running code: the source text people read (source.py), the
function compiled from exactly that text and registered with linecache (compile.py), the
original line numbers carried into tracebacks (lineinfo.py), and readable fresh names
(naming.py).

Below the compiler and above the IR: it imports tangent_lite.ir and nothing that transforms code.
"""
from .compile import compile_function
from .lineinfo import annotated_lines, origins
from .naming import Namer
from .source import to_source

__all__ = ["to_source", "compile_function", "annotated_lines", "origins", "Namer"]
