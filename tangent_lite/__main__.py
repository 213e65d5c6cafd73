"""`python -m tangent_lite` is the `tangent-lite` command."""
import sys

from .aot.cli import main

sys.exit(main())
