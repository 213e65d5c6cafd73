"""Memory-semantics corpus, random-program generator and harness (not collected by pytest).

NumPy programs that write memory (views, out=, copyto, ufunc.at, fancy and mask writes, in-place
methods, list aliasing, chained assignment, mutated arguments, long variable chains), checked
against central finite differences of the program as NumPy runs it. Run with
`python -m tests.memory.harness --help`.
"""
