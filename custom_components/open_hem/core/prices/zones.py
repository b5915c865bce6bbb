"""European day-ahead bidding zones and their EIC codes (ENTSO-E Transparency Platform).

Source: the ENTSO-E Transparency Platform RESTful API guide, "Areas" (bidding zones, BZN).
Only zones that publish single-day-ahead-coupling (or national day-ahead) prices are listed.
"""

from __future__ import annotations

from typing import Final

# zone key -> (EIC code, human name). Keys are ENTSO-E's short names with "-" replaced by "_".
BIDDING_ZONES: Final[dict[str, tuple[str, str]]] = {
    "AL": ("10YAL-KESH-----5", "Albania"),
    "AT": ("10YAT-APG------L", "Austria"),
    "BA": ("10YBA-JPCC-----D", "Bosnia and Herzegovina"),
    "BE": ("10YBE----------2", "Belgium"),
    "BG": ("10YCA-BULGARIA-R", "Bulgaria"),
    "CH": ("10YCH-SWISSGRIDZ", "Switzerland"),
    "CZ": ("10YCZ-CEPS-----N", "Czechia"),
    "DE_LU": ("10Y1001A1001A82H", "Germany and Luxembourg"),
    "DK_1": ("10YDK-1--------W", "Denmark West (DK1)"),
    "DK_2": ("10YDK-2--------M", "Denmark East (DK2)"),
    "EE": ("10Y1001A1001A39I", "Estonia"),
    "ES": ("10YES-REE------0", "Spain"),
    "FI": ("10YFI-1--------U", "Finland"),
    "FR": ("10YFR-RTE------C", "France"),
    "GR": ("10YGR-HTSO-----Y", "Greece"),
    "HR": ("10YHR-HEP------M", "Croatia"),
    "HU": ("10YHU-MAVIR----U", "Hungary"),
    "IE_SEM": ("10Y1001A1001A59C", "Ireland and Northern Ireland (SEM)"),
    "IT_CALA": ("10Y1001C--00096J", "Italy Calabria"),
    "IT_CNOR": ("10Y1001A1001A70O", "Italy Centre-North"),
    "IT_CSUD": ("10Y1001A1001A71M", "Italy Centre-South"),
    "IT_NORD": ("10Y1001A1001A73I", "Italy North"),
    "IT_SARD": ("10Y1001A1001A74G", "Italy Sardinia"),
    "IT_SICI": ("10Y1001A1001A75E", "Italy Sicily"),
    "IT_SUD": ("10Y1001A1001A788", "Italy South"),
    "LT": ("10YLT-1001A0008Q", "Lithuania"),
    "LV": ("10YLV-1001A00074", "Latvia"),
    "ME": ("10YCS-CG-TSO---S", "Montenegro"),
    "MK": ("10YMK-MEPSO----8", "North Macedonia"),
    "NL": ("10YNL----------L", "Netherlands"),
    "NO_1": ("10YNO-1--------2", "Norway Oslo (NO1)"),
    "NO_2": ("10YNO-2--------T", "Norway Kristiansand (NO2)"),
    "NO_3": ("10YNO-3--------J", "Norway Trondheim (NO3)"),
    "NO_4": ("10YNO-4--------9", "Norway Tromsø (NO4)"),
    "NO_5": ("10Y1001A1001A48H", "Norway Bergen (NO5)"),
    "PL": ("10YPL-AREA-----S", "Poland"),
    "PT": ("10YPT-REN------W", "Portugal"),
    "RO": ("10YRO-TEL------P", "Romania"),
    "RS": ("10YCS-SERBIATSOV", "Serbia"),
    "SE_1": ("10Y1001A1001A44P", "Sweden Luleå (SE1)"),
    "SE_2": ("10Y1001A1001A45N", "Sweden Sundsvall (SE2)"),
    "SE_3": ("10Y1001A1001A46L", "Sweden Stockholm (SE3)"),
    "SE_4": ("10Y1001A1001A47J", "Sweden Malmö (SE4)"),
    "SI": ("10YSI-ELES-----O", "Slovenia"),
    "SK": ("10YSK-SEPS-----K", "Slovakia"),
}

# ISO 3166 country -> the zone most households there are in (for countries with several zones,
# the zone of the capital). Luxembourg shares Germany's zone.
_COUNTRY_DEFAULT: Final[dict[str, str]] = {
    "DE": "DE_LU",
    "LU": "DE_LU",
    "DK": "DK_2",
    "IE": "IE_SEM",
    "IT": "IT_CSUD",
    "NO": "NO_1",
    "SE": "SE_3",
    "XK": "RS",
}

FALLBACK_ZONE: Final = "NL"


def eic(zone: str) -> str:
    """The EIC code of a bidding zone key (raises KeyError for an unknown zone)."""
    return BIDDING_ZONES[zone][0]


def default_zone(country: str | None) -> str:
    """The bidding zone to suggest for an ISO country code; the Netherlands when unknown."""
    if not country:
        return FALLBACK_ZONE
    country = country.upper()
    if country in BIDDING_ZONES:
        return country
    return _COUNTRY_DEFAULT.get(country, FALLBACK_ZONE)
