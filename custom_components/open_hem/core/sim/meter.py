"""The simulated home's smart meter: totals per tariff, per-phase values and DSMR 5 telegrams.

Dutch meters count tariff 1 as the low tariff (*dal*): from 23:00 to 07:00 on weekdays and all
weekend (public holidays, which most grid operators also count as low, are not modelled), and
tariff 2 as the normal one. Energy is netted over the three phases, as Dutch meters do.

``render_telegram`` writes a DSMR 5.0 telegram in the layout of a real one (the Kaifa/Iskra
example in tests/fixtures/dsmr/telegram_v5.txt) with the CRC of ``open_hem_core.p1``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from ..p1.telegram import crc16

TARIFF_LOW = 1
TARIFF_NORMAL = 2
METER_HEADER = "ISk5\\2MT382-1000"


def nl_tariff(moment: datetime, zone: tzinfo) -> int:
    """The Dutch tariff at the moment: 1 (low) at night and at weekends, else 2 (normal)."""
    local = moment.astimezone(zone)
    if local.weekday() >= 5 or local.hour >= 23 or local.hour < 7:
        return TARIFF_LOW
    return TARIFF_NORMAL


@dataclass
class MeterTotals:
    """The registers that only go up: kWh per tariff (index 0 = tariff 1) and gas m³."""

    import_kwh: list[float] = field(default_factory=lambda: [0.0, 0.0])
    export_kwh: list[float] = field(default_factory=lambda: [0.0, 0.0])
    gas_m3: float = 0.0

    def add(self, net_w: float, seconds: float, tariff: int, gas_m3: float) -> None:
        """Count ``net_w`` held for ``seconds`` on ``tariff``, and the gas."""
        kwh = net_w * seconds / 3.6e6
        if kwh >= 0:
            self.import_kwh[tariff - 1] += kwh
        else:
            self.export_kwh[tariff - 1] -= kwh
        self.gas_m3 += gas_m3


@dataclass(frozen=True, kw_only=True)
class MeterView:
    """What the meter shows at one moment (powers: the mean over the last step)."""

    time: datetime
    tariff: int
    net_w: float
    phase_w: tuple[float, float, float]
    """Net power per phase, W (positive: import)."""
    voltage_v: tuple[float, float, float]
    import_t1_kwh: float
    import_t2_kwh: float
    export_t1_kwh: float
    export_t2_kwh: float
    gas_m3: float
    meter_id: str = "E0099999999999999"
    gas_meter_id: str = "G0099999999999999"

    @property
    def power_import_w(self) -> float:
        """Power taken from the grid, W."""
        return max(self.net_w, 0.0)

    @property
    def power_export_w(self) -> float:
        """Power returned to the grid, W."""
        return max(-self.net_w, 0.0)

    @property
    def current_a(self) -> tuple[float, float, float]:
        """Current per phase, A."""
        a, b, c = (abs(p) / v for p, v in zip(self.phase_w, self.voltage_v, strict=True))
        return a, b, c

    @property
    def import_kwh(self) -> float:
        """Imported over both tariffs, kWh."""
        return self.import_t1_kwh + self.import_t2_kwh

    @property
    def export_kwh(self) -> float:
        """Exported over both tariffs, kWh."""
        return self.export_t1_kwh + self.export_t2_kwh

    def to_telegram(self) -> bytes:
        """This view as a DSMR 5 telegram with a valid CRC."""
        return render_telegram(self)


def _stamp(moment: datetime) -> str:
    """DSMR time: local YYMMDDhhmmss and S (summer) or W (winter)."""
    return moment.strftime("%y%m%d%H%M%S") + ("S" if moment.dst() else "W")


def _kw(watts: float) -> str:
    return f"{max(watts, 0.0) / 1000:06.3f}*kW"


def render_telegram(view: MeterView) -> bytes:
    """A DSMR 5.0 telegram of the view, ``/`` up to ``!CRC\\r\\n`` (CRC-16/ARC, 4 hex digits).

    The time is written in the zone of ``view.time`` (give it the meter's local time).
    """
    stamp = _stamp(view.time)
    imports = [max(p, 0.0) for p in view.phase_w]
    exports = [max(-p, 0.0) for p in view.phase_w]
    lines = [
        f"/{METER_HEADER}",
        "",
        "1-3:0.2.8(50)",
        f"0-0:1.0.0({stamp})",
        f"0-0:96.1.1({view.meter_id.encode('ascii').hex().upper()})",
        f"1-0:1.8.1({view.import_t1_kwh:010.3f}*kWh)",
        f"1-0:1.8.2({view.import_t2_kwh:010.3f}*kWh)",
        f"1-0:2.8.1({view.export_t1_kwh:010.3f}*kWh)",
        f"1-0:2.8.2({view.export_t2_kwh:010.3f}*kWh)",
        f"0-0:96.14.0({view.tariff:04d})",
        f"1-0:1.7.0({_kw(view.power_import_w)})",
        f"1-0:2.7.0({_kw(view.power_export_w)})",
        "0-0:96.7.21(00000)",
        "0-0:96.7.9(00000)",
        "1-0:99.97.0(0)(0-0:96.7.19)",
        "1-0:32.32.0(00000)",
        "1-0:52.32.0(00000)",
        "1-0:72.32.0(00000)",
        "1-0:32.36.0(00000)",
        "1-0:52.36.0(00000)",
        "1-0:72.36.0(00000)",
        "0-0:96.13.0()",
        *(
            f"1-0:{code}.7.0({volts:05.1f}*V)"
            for code, volts in zip((32, 52, 72), view.voltage_v, strict=True)
        ),
        *(
            f"1-0:{code}.7.0({round(amps):03d}*A)"
            for code, amps in zip((31, 51, 71), view.current_a, strict=True)
        ),
        *(f"1-0:{code}.7.0({_kw(w)})" for code, w in zip((21, 41, 61), imports, strict=True)),
        *(f"1-0:{code}.7.0({_kw(w)})" for code, w in zip((22, 42, 62), exports, strict=True)),
        "0-1:24.1.0(003)",
        f"0-1:96.1.0({view.gas_meter_id.encode('ascii').hex().upper()})",
        f"0-1:24.2.1({stamp})({view.gas_m3:09.3f}*m3)",
        "!",
    ]
    body = "\r\n".join(lines).encode("ascii")
    return body + f"{crc16(body):04X}\r\n".encode("ascii")
