"""Reproducible figures (not timed tests)."""
