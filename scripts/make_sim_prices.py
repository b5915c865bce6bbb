"""Write the simulated home's bundled day-ahead prices as an ENTSO-E A44 document.

Source: the spot prices of the EMHASS performance-anchor scenario (Open HEM project material,
tests/core/planner/fixtures/scenario_48h_15min.json = shared/anchors/emhass/): its export price
is the NL day-ahead spot price (its import price is exactly 1.21 x (spot + 0.1216), i.e. the
2025 energy tax, a 0.02 markup and VAT). 48 hours from 2025-06-10 12:00 Europe/Amsterdam at
15 minutes, negative in seven quarter-hours between 12:45 and 15:00 on the first afternoon.
The A44 has one period per market day (cut at the scenario's ends), prices in EUR/MWh with two
decimals, as ENTSO-E publishes them. Run it again only to regenerate that file:

    .venv/bin/python scripts/make_sim_prices.py
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import itertools
import json
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCENARIO = REPO / "tests" / "core" / "planner" / "fixtures" / "scenario_48h_15min.json"
TARGET = REPO / "custom_components" / "open_hem" / "core" / "sim" / "data"
NAME = "nl_day_ahead_2025-06-10_2025-06-12.xml"
NL = "10YNL----------L"
PLATFORM = "10X1001A1001A450"  # the Transparency Platform: sender and receiver
SLOT = timedelta(minutes=15)


def _zulu(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def document(start: datetime, spot_eur_mwh: list[float]) -> str:
    """An A44 Publication_MarketDocument with one PT15M period per (UTC 22:00) market day."""
    end = start + SLOT * len(spot_eur_mwh)
    cuts = [start]
    moment = start.astimezone(UTC).replace(hour=22, minute=0)
    while moment < end:
        if moment > start:
            cuts.append(moment)
        moment += timedelta(days=1)
    cuts.append(end)
    periods = []
    for first, last in itertools.pairwise(cuts):
        offset = int((first - start) / SLOT)
        points = "".join(
            f"""
        <Point>
          <position>{i + 1}</position>
          <price.amount>{spot_eur_mwh[offset + i]:.2f}</price.amount>
        </Point>"""
            for i in range(int((last - first) / SLOT))
        )
        periods.append(f"""
      <Period>
        <timeInterval>
          <start>{_zulu(first)}</start>
          <end>{_zulu(last)}</end>
        </timeInterval>
        <resolution>PT15M</resolution>{points}
      </Period>""")
    return f"""<?xml version="1.0" encoding="utf-8"?>
<!-- Open HEM demo prices: NL day-ahead spot prices of the EMHASS anchor scenario
     (2025-06-10 12:00 - 2025-06-12 12:00 Europe/Amsterdam); see README.md. -->
<Publication_MarketDocument xmlns="urn:iec62325.351:tc57wg16:451-3:publicationdocument:7:3">
  <mRID>open-hem-sim-nl-2025-06-10</mRID>
  <revisionNumber>1</revisionNumber>
  <type>A44</type>
  <sender_MarketParticipant.mRID codingScheme="A01">{PLATFORM}</sender_MarketParticipant.mRID>
  <sender_MarketParticipant.marketRole.type>A32</sender_MarketParticipant.marketRole.type>
  <receiver_MarketParticipant.mRID codingScheme="A01">{PLATFORM}</receiver_MarketParticipant.mRID>
  <receiver_MarketParticipant.marketRole.type>A33</receiver_MarketParticipant.marketRole.type>
  <createdDateTime>{_zulu(start - timedelta(hours=22))}</createdDateTime>
  <period.timeInterval>
    <start>{_zulu(start)}</start>
    <end>{_zulu(end)}</end>
  </period.timeInterval>
  <TimeSeries>
    <mRID>1</mRID>
    <auction.type>A01</auction.type>
    <businessType>A62</businessType>
    <in_Domain.mRID codingScheme="A01">{NL}</in_Domain.mRID>
    <out_Domain.mRID codingScheme="A01">{NL}</out_Domain.mRID>
    <contract_MarketAgreement.type>A01</contract_MarketAgreement.type>
    <currency_Unit.name>EUR</currency_Unit.name>
    <price_Measure_Unit.name>MWH</price_Measure_Unit.name>
    <curveType>A03</curveType>{"".join(periods)}
  </TimeSeries>
</Publication_MarketDocument>
"""


def main() -> None:
    """Read the scenario, write the document."""
    scenario = json.loads(SCENARIO.read_text(encoding="utf-8"))
    start = datetime.fromisoformat(scenario["start"])
    spot = [round(price * 1000, 2) for price in scenario["export_price_eur_per_kwh"]]
    TARGET.mkdir(parents=True, exist_ok=True)
    (TARGET / NAME).write_text(document(start, spot), encoding="utf-8")
    print(f"wrote {TARGET / NAME}: {len(spot)} quarter-hours from {start.isoformat()}")


if __name__ == "__main__":
    main()
