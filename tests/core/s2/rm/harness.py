"""A fake clock and scheduler for in-process RMs, and a driver that runs every frame."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from open_hem_core.s2.rm.base import Command, InMemoryLink, ResourceManager

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.t = T0

    def monotonic(self) -> float:
        return (self.t - T0).total_seconds()

    def now(self) -> datetime:
        return self.t


@dataclass
class Rig:
    """Tasks, timers and commands of one RM under test."""

    clock: FakeClock = field(default_factory=FakeClock)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    timers: list[tuple[datetime, Callable[[], None], list[bool]]] = field(default_factory=list)
    commands: list[tuple[datetime, Command]] = field(default_factory=list)
    fail: bool = False

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        self.tasks.append(asyncio.get_running_loop().create_task(coro))

    def schedule(self, at: datetime, job: Callable[[], None]) -> Callable[[], None]:
        cancelled = [False]
        self.timers.append((at, job, cancelled))

        def cancel() -> None:
            cancelled[0] = True

        return cancel

    async def actuate(self, command: Command) -> bool:
        self.commands.append((self.clock.now(), command))
        if self.fail:
            raise RuntimeError("service failed")
        return True

    def kwargs(self) -> dict[str, Any]:
        return {
            "actuate": self.actuate,
            "clock": self.clock,
            "schedule": self.schedule,
            "spawn": self.spawn,
        }

    async def settle(self) -> None:
        """Run every delivery until nothing is left."""
        for _ in range(200):
            await asyncio.sleep(0)
            pending = [t for t in self.tasks if not t.done()]
            if not pending:
                await asyncio.sleep(0)
                if all(t.done() for t in self.tasks):
                    return
            else:
                await asyncio.gather(*pending)
        raise AssertionError("frames kept flowing")

    async def advance(self, delta: timedelta) -> None:
        """Move the clock on and fire the timers that fell due."""
        self.clock.t += delta
        due = [t for t in self.timers if t[0] <= self.clock.t]
        self.timers = [t for t in self.timers if t[0] > self.clock.t]
        for _, job, cancelled in sorted(due, key=lambda t: t[0]):
            if not cancelled[0]:
                job()
        await self.settle()


async def connect(rig: Rig, rm: ResourceManager) -> InMemoryLink:
    link = InMemoryLink(rm, spawn=rig.spawn, clock=rig.clock)
    await link.start()
    await rig.settle()
    return link
