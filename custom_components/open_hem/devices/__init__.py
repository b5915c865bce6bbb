"""The device feature: the household's controllable devices, each behind one S2 CEM session.

A device is either a native S2 resource manager (over a WebSocket, paired by token or S2
Connect) or an entity-backed resource manager (an in-process S2 RM that reads Home Assistant
entities and carries out instructions with HA services). Both end in a ``CemSession``, so the
planning loop has one path from plan to device. The loop sees devices through
:class:`~.hub.DeviceHub` (``entry.runtime_data.devices``) and nothing else of this package.
"""
