"""The device hub: what the planning loop sees of the devices."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant

from custom_components.open_hem.core.s2.session import CemSession
from custom_components.open_hem.devices.hub import (
    ControlledDevice,
    DeviceHub,
    DeviceKind,
    DeviceMode,
)


async def _send(_: str) -> None:
    return None


def _no_model(slot_start: Any, slot_duration: timedelta) -> None:
    return None


def _device(subentry_id: str) -> ControlledDevice:
    return ControlledDevice(
        subentry_id=subentry_id,
        name=f"Device {subentry_id}",
        kind=DeviceKind.BATTERY,
        session=CemSession(_send),
        capture_model=lambda: _no_model,
    )


async def test_add_remove_and_listen(hass: HomeAssistant) -> None:
    """Listeners hear every addition and removal; a stale removal does nothing."""
    hub = DeviceHub()
    heard: list[int] = []
    unlisten = hub.async_add_listener(lambda: heard.append(len(hub)))
    first = _device("a")
    remove_first = hub.add(first)
    remove_second = hub.add(_device("b"))
    assert [d.subentry_id for d in hub] == ["a", "b"]
    assert hub.get("a") is first
    assert first.mode is DeviceMode.AUTO
    # A session that never connected is not ready to be planned.
    assert not first.ready
    assert first.planner_model([datetime(2026, 1, 1)], timedelta(minutes=15)) is None
    replacement = _device("a")
    hub.add(replacement)
    remove_first()  # the replaced registration no longer removes anything
    assert hub.get("a") is replacement
    remove_second()
    assert heard == [1, 2, 2, 1]
    unlisten()
    unlisten()
    hub.notify()
    assert heard == [1, 2, 2, 1]
