"""The price feature: day-ahead prices from ENTSO-E (or HA's Nord Pool / EnergyZero), all-in.

This package holds the price coordinator (its data: the priced series), the sources, the price
steps of the hub's config flow and the options (config_flow.py), the price entities, the
``get_prices`` action (services.py) and the price part of the diagnostics. The HA-free parts
(A44 parsing, tariffs, the priced series, analysis) live in ``core/prices``
(open_hem_core.prices).
"""
