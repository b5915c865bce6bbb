"""The integration's change listeners (hub, loop, meter, demo home, S2 tokens and devices)."""

from __future__ import annotations

from custom_components.open_hem.listeners import Listeners


def test_listeners_are_told_in_order_and_removed_once_or_twice() -> None:
    listeners: Listeners[[str]] = Listeners()
    heard: list[str] = []
    remove_a = listeners.add(lambda v: heard.append(f"a{v}"))

    def b(value: str) -> None:
        heard.append(f"b{value}")
        remove_b()  # a listener may remove itself while being told

    remove_b = listeners.add(b)
    listeners.notify("1")
    assert heard == ["a1", "b1"]
    assert len(listeners) == 1
    remove_b()  # a second removal is harmless
    remove_a()
    listeners.notify("2")
    assert heard == ["a1", "b1"]
    assert len(listeners) == 0
