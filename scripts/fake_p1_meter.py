"""A pretend DSMR 5 smart meter on a TCP port, for trying the P1 meter in `scripts/develop`.

It serves a real DSMR 5 telegram (from dsmr_parser's test suite, tests/fixtures/dsmr/) once a
second with a moving household load, PV export around midday-like swings, growing totals, the
current time and a correct CRC. In Home Assistant: Open HEM -> Add P1 meter -> Network dongle,
host 127.0.0.1, port 2323, DSMR 5.

Its totals survive a restart, as a real meter's do: they are kept in a small state file
(default .dev/fake_p1_meter.json in the repository, which git ignores) and saved every 10
telegrams and on exit. Without it every restart would start from the template's totals again and
Open HEM would rightly reject each telegram as "went backwards".

    .venv/bin/python scripts/fake_p1_meter.py [--port 2323] [--state .dev/fake_p1_meter.json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from datetime import datetime
import json
import math
from pathlib import Path
import sys
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from open_hem_core.p1.telegram import crc16

# Dutch and Belgian meters keep local time, marked S (summer) or W (winter).
METER_TIME_ZONE = ZoneInfo("Europe/Amsterdam")

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = (REPO / "tests" / "fixtures" / "dsmr" / "telegram_v5.txt").read_bytes()
DEFAULT_STATE = REPO / ".dev" / "fake_p1_meter.json"
SAVE_EVERY = 10  # telegrams


class PretendMeter:
    """Totals that grow with the power it reports."""

    def __init__(self, state_file: Path | None = None) -> None:
        """Start from the totals in ``state_file`` if it holds any, else the template's."""
        self.state_file = state_file
        self.import_kwh = [4.426, 2.399]
        self.export_kwh = [2.444, 0.0]
        self.gas_m3 = 0.107
        self.seconds = 0
        if state_file is not None and state_file.exists():
            with contextlib.suppress(ValueError, KeyError, TypeError):
                saved = json.loads(state_file.read_text(encoding="utf-8"))
                import_kwh = [float(value) for value in saved["import_kwh"]][:2]
                export_kwh = [float(value) for value in saved["export_kwh"]][:2]
                gas_m3 = float(saved["gas_m3"])
                if len(import_kwh) == len(export_kwh) == 2:
                    self.import_kwh, self.export_kwh, self.gas_m3 = import_kwh, export_kwh, gas_m3

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
        """The next telegram: a load of 0.3-3 kW against PV of up to 4 kW."""
        self.seconds += 1
        load_kw = (
            0.3 + 1.2 * (1 + math.sin(self.seconds / 40)) + (2.5 if self.seconds % 300 < 45 else 0)
        )
        pv_kw = max(0.0, 4.0 * math.sin(self.seconds / 200))
        net_kw = load_kw - pv_kw
        import_kw, export_kw = max(net_kw, 0.0), max(-net_kw, 0.0)
        tariff = 1 if now.hour < 7 or now.hour >= 23 else 2
        self.import_kwh[tariff - 1] += import_kw / 3600
        self.export_kwh[tariff - 1] += export_kw / 3600
        self.gas_m3 += 0.0002
        if self.seconds % SAVE_EVERY == 0:
            self.save()
        stamp = now.strftime("%y%m%d%H%M%S") + ("S" if now.dst() else "W")
        values = {
            b"0-0:1.0.0": f"({stamp})",
            b"1-0:1.8.1": f"({self.import_kwh[0]:010.3f}*kWh)",
            b"1-0:1.8.2": f"({self.import_kwh[1]:010.3f}*kWh)",
            b"1-0:2.8.1": f"({self.export_kwh[0]:010.3f}*kWh)",
            b"1-0:2.8.2": f"({self.export_kwh[1]:010.3f}*kWh)",
            b"0-0:96.14.0": f"({tariff:04d})",
            b"1-0:1.7.0": f"({import_kw:06.3f}*kW)",
            b"1-0:2.7.0": f"({export_kw:06.3f}*kW)",
            b"0-1:24.2.1": f"({stamp})({self.gas_m3:09.3f}*m3)",
        }
        lines = []
        for line in TEMPLATE.split(b"\r\n"):
            code = line.split(b"(", 1)[0]
            lines.append(code + values[code].encode() if code in values else line)
        body = b"\r\n".join(lines)
        body = body[: body.index(b"!") + 1]
        return body + f"{crc16(body):04X}\r\n".encode()


async def serve(port: int, state_file: Path | None = DEFAULT_STATE) -> None:
    """Send every connected client a telegram a second."""
    meter = PretendMeter(state_file)
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
    arguments = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(arguments.port, arguments.state))


if __name__ == "__main__":
    main()
