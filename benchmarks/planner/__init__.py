"""Planner benchmark: ``python -m benchmarks.planner --help``."""
