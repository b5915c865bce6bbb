"""``python -m benchmarks.s2 [--json] [--write]``: the S2 CEM session's cost.

* Throughput through one session: a raw RM client sends PowerMeasurements over a real
  localhost WebSocket and waits for every ReceptionStatus (pipelined, 64 in flight).
* 50 concurrent sessions, each: handshake, details, an FRBC battery system description and
  statuses, then measurements; the CEM runs in a child process so its CPU time and memory
  (RSS) are its own: CPU per message and memory per session.
* Plan -> instructions: a 96-slot FRBC battery plan that changes every slot, from
  ``apply_plan`` until the RM holds every instruction (localhost WebSocket), and the
  in-process cost of the translation alone.

Figures are medians of several repeats (the machine is shared). ``--write`` stores
results.json and RESULTS.md here.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
import json
import os
from pathlib import Path
import statistics
import subprocess
import sys
import time
from typing import Any
import uuid

import aiohttp
from aiohttp import web

from benchmarks.machine import describe
from open_hem_core.s2 import CemSession, PowerPlan, SessionConfig
from open_hem_core.s2.transport import run_session, session_for_websocket

HERE = Path(__file__).resolve().parent
REPEATS = 5
MESSAGES = 2000
SESSIONS = 50
PER_SESSION = 200
CONFIG = SessionConfig(rate_per_s=1e9, rate_burst=1e9, timer_interval_s=None)


# -- RM-side frames ----------------------------------------------------------------------


def _id() -> str:
    return str(uuid.uuid4())


def measurement() -> str:
    return json.dumps(
        {
            "message_type": "PowerMeasurement",
            "message_id": _id(),
            "measurement_timestamp": datetime.now(UTC).isoformat(),
            "values": [{"commodity_quantity": "ELECTRIC.POWER.L1", "value": 1234.5}],
        }
    )


class Battery:
    """The RM's FRBC frames for a 10 kWh, 5 kW battery (fill level in %)."""

    def __init__(self) -> None:
        self.actuator, self.charge, self.idle, self.discharge = _id(), _id(), _id(), _id()

    def frames(self) -> list[str]:
        def mode(mid: str, p0: float, p1: float, f0: float, f1: float) -> dict[str, Any]:
            return {
                "id": mid,
                "elements": [
                    {
                        "fill_level_range": {"start_of_range": 0, "end_of_range": 100},
                        "fill_rate": {"start_of_range": f0, "end_of_range": f1},
                        "power_ranges": [
                            {
                                "start_of_range": p0,
                                "end_of_range": p1,
                                "commodity_quantity": "ELECTRIC.POWER.L1",
                            }
                        ],
                    }
                ],
                "abnormal_condition_only": False,
            }

        rate = 5000 / 10000 * 100 / 3600
        sd = {
            "message_type": "FRBC.SystemDescription",
            "message_id": _id(),
            "valid_from": datetime.now(UTC).isoformat(),
            "actuators": [
                {
                    "id": self.actuator,
                    "supported_commodities": ["ELECTRICITY"],
                    "operation_modes": [
                        mode(self.charge, 0, 5000, 0, rate * 0.95),
                        mode(self.idle, 0, 0, 0, 0),
                        mode(self.discharge, -5000, 0, -rate / 0.95, 0),
                    ],
                    "transitions": [],
                    "timers": [],
                }
            ],
            "storage": {
                "provides_leakage_behaviour": False,
                "provides_fill_level_target_profile": False,
                "provides_usage_forecast": False,
                "fill_level_range": {"start_of_range": 0, "end_of_range": 100},
            },
        }
        return [
            json.dumps(sd),
            json.dumps(
                {
                    "message_type": "FRBC.StorageStatus",
                    "message_id": _id(),
                    "present_fill_level": 50,
                }
            ),
            json.dumps(
                {
                    "message_type": "FRBC.ActuatorStatus",
                    "message_id": _id(),
                    "actuator_id": self.actuator,
                    "active_operation_mode_id": self.idle,
                    "operation_mode_factor": 0,
                }
            ),
        ]


class RawRm:
    """A minimal RM: sends frames, counts ReceptionStatuses, acks the CEM's messages."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.statuses = 0
        self.instructions = 0
        self.changed = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            data = json.loads(msg.data)
            if data["message_type"] == "ReceptionStatus":
                self.statuses += 1
            else:
                if data["message_type"] == "FRBC.Instruction":
                    self.instructions += 1
                await self.ws.send_str(
                    json.dumps(
                        {
                            "message_type": "ReceptionStatus",
                            "subject_message_id": data["message_id"],
                            "status": "OK",
                        }
                    )
                )
            self.changed.set()

    async def until(self, cond: Any) -> None:
        while not cond():
            self.changed.clear()
            await self.changed.wait()

    async def send_all(self, frames: list[str], window: int = 64) -> None:
        """Send frames with at most ``window`` unanswered, then wait for all answers."""
        target = self.statuses + len(frames)
        base = self.statuses
        for i, frame in enumerate(frames):
            if i - (self.statuses - base) >= window:
                await self.until(lambda i=i: i - (self.statuses - base) < window)
            await self.ws.send_str(frame)
        await self.until(lambda: self.statuses >= target)

    async def setup(self, battery: Battery | None = None) -> None:
        hs = {
            "message_type": "Handshake",
            "message_id": _id(),
            "role": "RM",
            "supported_protocol_versions": ["0.0.2-beta"],
        }
        details = {
            "message_type": "ResourceManagerDetails",
            "message_id": _id(),
            "resource_id": _id(),
            "roles": [{"role": "ENERGY_STORAGE", "commodity": "ELECTRICITY"}],
            "instruction_processing_delay": 0,
            "available_control_types": ["FILL_RATE_BASED_CONTROL"],
            "provides_forecast": False,
            "provides_power_measurement_types": ["ELECTRIC.POWER.L1"],
        }
        await self.send_all([json.dumps(hs), json.dumps(details)], window=1)
        if battery is not None:
            await self.send_all(battery.frames(), window=1)


# -- the CEM server ----------------------------------------------------------------------


def _rss_kb() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


async def serve(port: int, sessions: list[CemSession]) -> web.AppRunner:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        session = session_for_websocket(ws, config=CONFIG)
        sessions.append(session)
        await run_session(ws, session)
        return ws

    async def stats(_: web.Request) -> web.Response:
        usage = os.times()
        return web.json_response(
            {"cpu_s": usage.user + usage.system, "rss_kb": _rss_kb(), "sessions": len(sessions)}
        )

    app = web.Application()
    app.router.add_get("/s2", handler)
    app.router.add_get("/stats", stats)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def _serve_forever(port: int) -> None:
    sessions: list[CemSession] = []
    await serve(port, sessions)
    print("ready", flush=True)
    await asyncio.Event().wait()


# -- measurements ------------------------------------------------------------------------


async def one_session(url: str) -> float:
    async with aiohttp.ClientSession() as client, client.ws_connect(url) as ws:
        rm = RawRm(ws)
        await rm.setup(Battery())
        frames = [measurement() for _ in range(MESSAGES)]
        start = time.perf_counter()
        await rm.send_all(frames)
        elapsed = time.perf_counter() - start
        rm.task.cancel()
    return MESSAGES / elapsed


async def many_sessions(base: str) -> dict[str, float]:
    async with aiohttp.ClientSession() as client:
        before = await (await client.get(f"{base}/stats")).json()
        sockets = [await client.ws_connect(f"{base}/s2") for _ in range(SESSIONS)]
        rms = [RawRm(ws) for ws in sockets]
        await asyncio.gather(*(rm.setup(Battery()) for rm in rms))
        await asyncio.sleep(0.2)
        settled = await (await client.get(f"{base}/stats")).json()
        frames = [[measurement() for _ in range(PER_SESSION)] for _ in rms]
        start = time.perf_counter()
        await asyncio.gather(*(rm.send_all(f, window=8) for rm, f in zip(rms, frames, strict=True)))
        elapsed = time.perf_counter() - start
        after = await (await client.get(f"{base}/stats")).json()
        for rm in rms:
            rm.task.cancel()
            await rm.ws.close()
    total = SESSIONS * PER_SESSION
    return {
        "messages_per_s": total / elapsed,
        "cem_cpu_us_per_message": (after["cpu_s"] - settled["cpu_s"]) / total * 1e6,
        "cem_rss_kb_per_session": (settled["rss_kb"] - before["rss_kb"]) / SESSIONS,
    }


async def plan_to_instructions(slots: int = 96) -> dict[str, float]:
    sessions: list[CemSession] = []
    runner = await serve(0, sessions)
    port = runner.addresses[0][1]
    try:
        async with (
            aiohttp.ClientSession() as client,
            client.ws_connect(f"http://127.0.0.1:{port}/s2") as ws,
        ):
            rm = RawRm(ws)
            await rm.setup(Battery())
            session = sessions[0]
            start_t = datetime.now(UTC) + timedelta(minutes=1)
            starts = tuple(start_t + timedelta(minutes=15) * i for i in range(slots))
            times = []
            for r in range(REPEATS):
                powers = tuple(((i + r) % 3 - 1) * 2500.0 for i in range(slots))
                plan = PowerPlan(starts, timedelta(minutes=15), powers)
                before = rm.instructions
                t0 = time.perf_counter()
                sent = await session.apply_plan(plan)
                wanted = before + len(sent)
                await rm.until(lambda wanted=wanted: rm.instructions >= wanted)
                times.append(time.perf_counter() - t0)
            rm.task.cancel()
            control = session.control
            assert control is not None
            ctx = session._plan_context()
            t0 = time.perf_counter()
            for _ in range(20):
                control.instructions(plan, ctx)
            translate = (time.perf_counter() - t0) / 20
    finally:
        await runner.cleanup()
    return {
        "plan_to_instructions_ms": statistics.median(times) * 1000,
        "translation_only_ms": translate * 1000,
        "slots": float(slots),
    }


async def run_all() -> dict[str, Any]:
    port = 18765 + os.getpid() % 1000
    child = subprocess.Popen(  # noqa: ASYNC220 - the server runs for the whole benchmark
        [sys.executable, "-m", "benchmarks.s2", "--serve", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        await asyncio.to_thread(child.stdout.readline)
        base = f"http://127.0.0.1:{port}"
        single = [await one_session(f"{base}/s2") for _ in range(REPEATS)]
        many = [await many_sessions(base) for _ in range(3)]
    finally:
        child.terminate()
        child.wait()
    plan = await plan_to_instructions()
    return {
        "machine": describe(),
        "one_session_messages_per_s": statistics.median(single),
        "one_session_runs": [round(x) for x in single],
        "sessions": SESSIONS,
        "many_sessions_messages_per_s": statistics.median(m["messages_per_s"] for m in many),
        "cem_cpu_us_per_message": statistics.median(m["cem_cpu_us_per_message"] for m in many),
        "cem_rss_kb_per_session": statistics.median(m["cem_rss_kb_per_session"] for m in many),
        **plan,
    }


def markdown(r: dict[str, Any]) -> str:
    m = r["machine"]
    rows = [
        (
            "one session: PowerMeasurements answered per second (64 in flight)",
            f"{r['one_session_messages_per_s']:.0f} msg/s",
        ),
        (
            f"{r['sessions']} concurrent sessions: messages answered per second, all together",
            f"{r['many_sessions_messages_per_s']:.0f} msg/s",
        ),
        (
            "CEM CPU per received message (parse, handle, ReceptionStatus, WebSocket)",
            f"{r['cem_cpu_us_per_message']:.0f} µs",
        ),
        (
            "CEM memory per session (handshake, details, FRBC system description, statuses)",
            f"{r['cem_rss_kb_per_session']:.0f} kB RSS",
        ),
        (
            f"new {r['slots']:.0f}-slot FRBC plan -> all instructions at the RM (revoking the"
            " previous ones)",
            f"{r['plan_to_instructions_ms']:.1f} ms",
        ),
        (
            "of which the translation to instructions alone",
            f"{r['translation_only_ms']:.1f} ms",
        ),
    ]
    table = "\n".join(f"| {what} | {figure} |" for what, figure in rows)
    return f"""# S2 benchmark: the CEM session over localhost WebSockets

Machine: {m["nproc"]} CPUs ({m["cpu"]}), Python {m["python"]}, {m["platform"]}, {m["date"]};
1-minute load average {m["load_average_1min"]} at the start (the machine is shared with other
work). Command: `.venv/bin/python -m benchmarks.s2 --write` (from the repository root). Medians
(one session: {REPEATS} runs of {MESSAGES} messages; {r["sessions"]} sessions: 3 runs of
{PER_SESSION} messages each; plan: {REPEATS} plans).

| what | figure |
|---|---|
{table}

The CEM runs in a child process for the throughput and per-session figures, so its CPU and RSS
are its own; the RM clients (raw aiohttp) share the machine's 2 cores with it, and the
throughput rows include the clients' work. A home has a handful of RMs sending a measurement
every few seconds: one session costs well under 1 % of a core.
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve_forever(args.serve))
        return
    result = asyncio.run(run_all())
    if args.write:
        (HERE / "results.json").write_text(json.dumps(result, indent=2) + "\n")
        (HERE / "RESULTS.md").write_text(markdown(result))
    print(json.dumps(result, indent=2) if args.json else markdown(result))


if __name__ == "__main__":
    main()
