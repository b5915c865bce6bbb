"""Change listeners for the integration's own objects (hub, loop, meter, demo home, S2).

Home Assistant's coordinators have their own; these are for the objects that are not
coordinators. Each registration returns its removal, which may be called more than once
(entities call it on removal, and again when their config entry unloads).
"""

from __future__ import annotations

from collections.abc import Callable


class Listeners[**P]:
    """Callbacks told of a change, in the order they were added."""

    def __init__(self) -> None:
        self._listeners: list[Callable[P, None]] = []

    def __len__(self) -> int:
        """How many listeners there are."""
        return len(self._listeners)

    def add(self, listener: Callable[P, None]) -> Callable[[], None]:
        """Call ``listener`` on every :meth:`notify`; returns its removal."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def notify(self, *args: P.args, **kwargs: P.kwargs) -> None:
        """Call every listener (one that a listener adds or removes counts from the next)."""
        for listener in list(self._listeners):
            listener(*args, **kwargs)
