"""scripts/fake_p1_meter.py keeps its totals across restarts, as a real meter does."""

from __future__ import annotations

from datetime import datetime
import importlib.util
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

from custom_components.open_hem.core.p1 import parse_telegram

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "fake_p1_meter.py"
NOON = datetime(2026, 6, 1, 12, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


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
    for _ in range(25):  # saved at 10 and 20 on its own, then on exit
        last = parse_telegram(meter.telegram(NOON).decode("ascii"), "5")
    assert state.exists()
    meter.save()
    assert last is not None
    restarted = script.PretendMeter(state)
    first = parse_telegram(restarted.telegram(NOON).decode("ascii"), "5")
    for key in ("import_t1_kwh", "import_t2_kwh", "export_t1_kwh", "export_t2_kwh", "gas_m3"):
        assert getattr(first, key) >= getattr(last, key), key
    assert first.import_total_kwh is not None
    assert first.import_total_kwh > 4.426 + 2.399


def test_a_broken_or_missing_state_file_starts_from_the_template(tmp_path: Path) -> None:
    """No file, or one that is not the meter's, gives the template's totals; no state: no file."""
    script = _script()
    broken = tmp_path / "broken.json"
    broken.write_text('{"import_kwh": "x"}')
    for state in (tmp_path / "missing.json", broken):
        assert script.PretendMeter(state).import_kwh == [4.426, 2.399]
    meter = script.PretendMeter(None)
    meter.save()
    assert list(tmp_path.iterdir()) == [broken]
