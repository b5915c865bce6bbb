"""scripts/fake_p1_meter.py serves a simulated home's telegrams and keeps its totals across
restarts, as a real meter does."""

from __future__ import annotations

from datetime import datetime, timedelta
import importlib.util
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

from custom_components.open_hem.core.p1 import parse_telegram

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "fake_p1_meter.py"
NOON = datetime(2026, 6, 1, 12, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
EVENING = NOON + timedelta(hours=9)  # the car is charging: the totals move fast
SECOND = timedelta(seconds=1)


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fake_p1_meter", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_totals_continue_after_a_restart(tmp_path: Path) -> None:
    """A restarted pretend meter starts where the last one stopped: nothing goes backwards."""
    script = _script()
    state = tmp_path / "nested" / "fake_p1_meter.json"
    meter = script.PretendMeter(state)
    last = None
    for second in range(25):  # saved at 10 and 20 on its own, then on exit
        last = parse_telegram(meter.telegram(EVENING + second * SECOND).decode("ascii"), "5")
    assert state.exists()
    meter.save()
    assert last is not None
    restarted = script.PretendMeter(state)
    first = parse_telegram(restarted.telegram(EVENING + 30 * SECOND).decode("ascii"), "5")
    for key in ("import_t1_kwh", "import_t2_kwh", "export_t1_kwh", "export_t2_kwh", "gas_m3"):
        assert getattr(first, key) >= getattr(last, key), key
    assert first.import_total_kwh is not None
    assert first.export_total_kwh is not None
    assert first.import_total_kwh > 4.426 + 2.399


def test_it_serves_the_simulated_home(tmp_path: Path) -> None:
    """The telegram is the home's at that time (stepped on, never back); a long gap jumps."""
    script = _script()
    meter = script.PretendMeter(None, seed=3)
    meter.telegram(NOON)
    assert meter.home is not None
    reading = parse_telegram(meter.telegram(NOON + 5 * SECOND).decode("ascii"), "5")
    assert reading.timestamp == NOON + 5 * SECOND
    assert reading.power_net_w == round(meter.home.meter().net_w)
    meter.telegram(NOON)  # time went back: the home stays where it is
    assert meter.home.now == NOON + 5 * SECOND
    later = NOON + timedelta(days=3)
    meter.telegram(later)
    assert meter.home.now == later
    meter.telegram(later + timedelta(minutes=10))
    assert meter.home.now == later + timedelta(minutes=10)


def test_a_broken_or_missing_state_file_starts_from_the_first_totals(tmp_path: Path) -> None:
    """No file, or one that is not the meter's, gives the first totals; no state: no file."""
    script = _script()
    broken = tmp_path / "broken.json"
    broken.write_text('{"import_kwh": "x"}')
    for state in (tmp_path / "missing.json", broken):
        meter = script.PretendMeter(state)
        assert meter.import_kwh == [4.426, 2.399]
        assert meter.export_kwh == [2.444, 0.0]
        assert meter.gas_m3 == 0.107
    meter = script.PretendMeter(None)
    meter.save()
    assert list(tmp_path.iterdir()) == [broken]
