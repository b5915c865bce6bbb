"""Shared helpers for the price tests: entries, generated ENTSO-E answers, entity lookup."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.open_hem.const import DOMAIN
from custom_components.open_hem.core.prices.entsoe_client import API_URL

from .core.prices.a44 import document, period, series
from .entries import hub_entry

URL = API_URL
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TODAY = date(2025, 11, 26)
# 10:05 in Amsterdam (CET, UTC+1): slot 40 of the day.
NOW = datetime(2025, 11, 26, 9, 5, tzinfo=UTC)
ENERGY_TAX_NL = 0.0916
VAT_NL = 1.21


def entsoe_entry(**options: object) -> MockConfigEntry:
    """The hub entry with ENTSO-E prices for the Netherlands."""
    return hub_entry(
        {"price_source": "entsoe", "api_token": "secret", "bidding_zone": "NL"}, options=options
    )


def day_range(day: date) -> tuple[datetime, datetime]:
    """The UTC start and end of a local (Amsterdam) day."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=AMSTERDAM).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=AMSTERDAM)
    return start, end.astimezone(UTC)


def spot(index: int, base: float = 100.0) -> float:
    """The generated spot price (EUR/kWh) of a day's slot: rising through the day."""
    return (base + index) / 1000


def a44(*days: date, base: float = 100.0) -> str:
    """An A44 document with PT15M prices base + slot index (EUR/MWh) for each local day."""
    periods = []
    for day in days:
        start, end = day_range(day)
        count = int((end - start) / timedelta(minutes=15))
        periods.append(
            period(
                start.strftime("%Y-%m-%dT%H:%MZ"),
                end.strftime("%Y-%m-%dT%H:%MZ"),
                "PT15M",
                [(i, base + i - 1) for i in range(1, count + 1)],
            )
        )
    return document(series(*periods))


async def configure_nl(hass: HomeAssistant) -> None:
    """Home Assistant set up in the Netherlands."""
    await hass.config.async_set_time_zone("Europe/Amsterdam")
    hass.config.country = "NL"


def entity_id(hass: HomeAssistant, platform: str, entry: MockConfigEntry, key: str) -> str:
    """The entity id of one of the hub's entities by its key."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{entry.entry_id}_{key}")
    assert found is not None, key
    return found


def state(hass: HomeAssistant, platform: str, entry: MockConfigEntry, key: str) -> str:
    """The state of one of the hub's entities."""
    current = hass.states.get(entity_id(hass, platform, entry, key))
    assert current is not None
    return current.state
