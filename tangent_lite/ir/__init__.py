"""The core language: what the frontend produces and the analyses and transforms consume.

nodes.py declares the statements; syntax.py builds the gast expressions they hold and the
generated code is made of.
"""
from .nodes import *  # noqa: F401,F403  (the node classes are the package's interface)
from .nodes import children, walk, must_assigned  # noqa: F401
