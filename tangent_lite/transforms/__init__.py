"""Transforms from the core language to derivative code."""
