"""The price feature: day-ahead prices from ENTSO-E (or HA's Nord Pool / EnergyZero), all-in.

This package holds the price coordinator, the sources, the price steps of the hub's config flow,
the price entities and the ``get_prices`` action. The HA-free parts (A44 parsing, tariffs,
analysis) live in ``core/prices`` (open_hem_core.prices).
"""
