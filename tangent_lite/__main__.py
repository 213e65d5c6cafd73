"""`python -m tangent_lite` is the `tangent-lite` command."""
import sys

from .cli import main

sys.exit(main())
