"""Open HEM's Home-Assistant-free library: meters, prices, the planner and S2."""
