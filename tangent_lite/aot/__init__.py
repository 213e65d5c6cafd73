"""Ahead of time: gradients written into standalone modules a project ships instead of
depending on tangent_lite. module.py writes the module (generate_module, `tangent-lite gen`),
linker.py puts several derivatives into its one namespace, cli.py is the `tangent-lite`
command and targets.py finds the function a command line names.

The command line (cli.py) is not imported here: `import tangent_lite` does not load it.
"""
from .linker import CodegenError
from .module import HEADER, derivative, generate_module, is_generated, module_source

__all__ = ["generate_module", "module_source", "derivative", "is_generated", "HEADER",
           "CodegenError"]
