"""A pretend DSMR 5 smart meter on a TCP port, for trying the P1 meter in `scripts/develop`.

Behind it is a simulated home (`open_hem_core.sim.SimHome.demo`): a household with its daily
load, PV on the sun of the day, a battery in self-consumption, an EV that comes home in the
evening and charges, a heat pump with its own thermostat, and gas for showers and cooking. Once a
second the home is stepped to the current time and its meter's DSMR 5 telegram (totals per
tariff, per-phase values, gas, the current time, a correct CRC) goes to every connected client,
so Open HEM reads it on the same code path as a real meter. In Home Assistant: Open HEM -> Add P1
meter -> Network dongle, host 127.0.0.1, port 2323, DSMR 5.

Its totals survive a restart, as a real meter's do: they are kept in a small state file
(default .dev/fake_p1_meter.json in the repository, which git ignores) and saved every 10
telegrams and on exit. Without it every restart would start from the first totals again and
Open HEM would rightly reject each telegram as "went backwards".

    .venv/bin/python scripts/fake_p1_meter.py [--port 2323] [--state .dev/fake_p1_meter.json]
                                              [--seed 0]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from datetime import datetime
import json
from pathlib import Path
import sys
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from open_hem_core.sim import MeterTotals, SimHome

# Dutch and Belgian meters keep local time, marked S (summer) or W (winter).
METER_TIME_ZONE = ZoneInfo("Europe/Amsterdam")

REPO = Path(__file__).resolve().parent.parent
DEFAULT_STATE = REPO / ".dev" / "fake_p1_meter.json"
SAVE_EVERY = 10  # telegrams
# The totals of the real telegram the first version served (tests/fixtures/dsmr/telegram_v5.txt).
FIRST_TOTALS = ([4.426, 2.399], [2.444, 0.0], 0.107)
MAX_STEP_S = 60.0  # a long gap (a suspended laptop) is caught up in steps of at most this
MAX_CATCH_UP_S = 86400.0  # ... and at most a day of it


class PretendMeter:
    """A simulated home's meter whose totals carry on across restarts."""

    def __init__(self, state_file: Path | None = None, seed: int = 0) -> None:
        """Start from the totals in ``state_file`` if it holds any, else the first ones."""
        self.state_file = state_file
        self.seed = seed
        imports, exports, gas = FIRST_TOTALS
        self.totals = MeterTotals(list(imports), list(exports), gas)
        self.home: SimHome | None = None
        self.telegrams = 0
        if state_file is not None and state_file.exists():
            with contextlib.suppress(ValueError, KeyError, TypeError):
                saved = json.loads(state_file.read_text(encoding="utf-8"))
                import_kwh = [float(value) for value in saved["import_kwh"]][:2]
                export_kwh = [float(value) for value in saved["export_kwh"]][:2]
                gas_m3 = float(saved["gas_m3"])
                if len(import_kwh) == len(export_kwh) == 2:
                    self.totals = MeterTotals(import_kwh, export_kwh, gas_m3)

    @property
    def import_kwh(self) -> list[float]:
        """Imported kWh per tariff (1, 2)."""
        return self.totals.import_kwh

    @property
    def export_kwh(self) -> list[float]:
        """Exported kWh per tariff (1, 2)."""
        return self.totals.export_kwh

    @property
    def gas_m3(self) -> float:
        """Gas used, m³."""
        return self.totals.gas_m3

    def save(self) -> None:
        """Write the totals to the state file (atomically: a crash leaves the old one)."""
        if self.state_file is None:
            return
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        state = {
            "import_kwh": self.import_kwh,
            "export_kwh": self.export_kwh,
            "gas_m3": self.gas_m3,
        }
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(state), encoding="utf-8")
        temporary.replace(self.state_file)

    def telegram(self, now: datetime) -> bytes:
        """The home's telegram at ``now``: stepped on to it (never back), then rendered."""
        if self.home is None:
            self.home = SimHome.demo(now, self.seed, totals=self.totals)
        home = self.home
        behind = (now - home.now).total_seconds()
        if behind > MAX_CATCH_UP_S:  # days skipped: the household goes on from now
            home.now = now.astimezone(home.zone)
        elif behind > 0:
            home.run(behind, MAX_STEP_S)
        self.telegrams += 1
        if self.telegrams % SAVE_EVERY == 0:
            self.save()
        return home.to_telegram()


async def serve(port: int, state_file: Path | None = DEFAULT_STATE, seed: int = 0) -> None:
    """Send every connected client a telegram a second."""
    meter = PretendMeter(state_file, seed)
    clients: set[asyncio.StreamWriter] = set()

    async def on_connect(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        clients.add(writer)

    server = await asyncio.start_server(on_connect, "127.0.0.1", port)
    print(f"fake_p1_meter: DSMR 5 telegrams on 127.0.0.1:{port} (totals in {state_file})")
    try:
        await _send_forever(server, meter, clients)
    finally:
        meter.save()


async def _send_forever(
    server: asyncio.Server, meter: PretendMeter, clients: set[asyncio.StreamWriter]
) -> None:
    async with server:
        while True:
            telegram = meter.telegram(datetime.now(METER_TIME_ZONE))
            for writer in list(clients):
                if writer.is_closing():
                    clients.discard(writer)
                    continue
                writer.write(telegram)
            await asyncio.sleep(1)


def main() -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=2323)
    parser.add_argument(
        "--state", type=Path, default=DEFAULT_STATE, help="where the totals are kept"
    )
    parser.add_argument("--seed", type=int, default=0, help="which simulated home")
    arguments = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(arguments.port, arguments.state, arguments.seed))


if __name__ == "__main__":
    main()
