"""Benchmark: the cost of one P1 telegram from bytes to entity states."""
