"""Analyses over the core language: what depends on what is differentiated."""
