"""The HA-free library of Open HEM: meters, prices, planner and S2, with no Home Assistant import.

Everything below this package runs and is tested without Home Assistant, so it can be reused
(and reasoned about) on its own; the integration around it only wires it to HA.
"""
