"""Runnable examples; installed as `tangent_lite.examples` so `tangent-lite demo` can run them."""
