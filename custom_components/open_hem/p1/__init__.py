"""The P1 meter feature: smart meters read over serial, TCP, MQTT or HomeWizard's local API.

Each meter is a subentry of the hub entry; this package holds its coordinator, subentry flow,
entities, diagnostics and repairs. The HA-free parsing lives in ``core/p1`` (open_hem_core.p1).
"""
