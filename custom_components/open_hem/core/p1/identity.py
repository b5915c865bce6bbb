"""Who made the meter and what it is called, from what the meter says about itself.

A DSMR telegram starts with the meter's identification line, ``/XXXZ\\Widentification``
(IEC 62056-21): ``XXX`` is the manufacturer's three-letter FLAG id (registered with the DLMS UA;
the case of the letters carries no meaning), ``Z`` the baud-rate character, an optional ``\\W``
and then the manufacturer's own type text. ``/ISk5\\2MT382-1000`` is an Iskra MT382-1000.
The equipment identifier (0-0:96.1.1) is the meter's serial number as hexadecimal ASCII
(``4B384547...`` is ``K8EG...``); some meters send it as plain text, and those are kept.
HomeWizard passes both on: ``meter_model`` ("ISKRA 2M550T-1012") and ``unique_id`` (hex).
"""

from __future__ import annotations

from dataclasses import dataclass
import re
import string

# FLAG ids of the meters Dutch, Belgian and Luxembourg grid operators install.
MANUFACTURERS: dict[str, str] = {
    "EE": "Elster",
    "ELS": "Elster",
    "ENE": "Sagemcom",
    "FLU": "Fluvius",
    "ISK": "Iskra",
    "KAM": "Kamstrup",
    "KFM": "Kaifa",
    "KMP": "Kamstrup",
    "LGF": "Landis+Gyr",
    "SAG": "Sagemcom",
    "XMX": "Landis+Gyr",
    "ZIV": "ZIV",
}
# How HomeWizard spells the brand at the start of ``meter_model``.
_BRANDS = {name.upper().replace("+", ""): name for name in MANUFACTURERS.values()}

_HEADER = re.compile(
    r"^/?(?P<flag>[A-Za-z]{3})(?P<baud>[0-9A-Za-z])(?:\\(?P<mode>\d))?(?P<rest>.*)$"
)
_HEX = re.compile(r"^(?:[0-9A-Fa-f]{2})+$")
_PRINTABLE = frozenset(string.ascii_letters + string.digits + string.punctuation + " ")


@dataclass(frozen=True, slots=True)
class MeterIdentity:
    """What the device registry shows: manufacturer, model and serial number (None if unknown)."""

    manufacturer: str | None = None
    model: str | None = None
    serial_number: str | None = None


def serial_number(equipment_id: str | None) -> str | None:
    """The equipment identifier as text: decoded from hex when it is hex-encoded ASCII."""
    if not equipment_id:
        return None
    text = equipment_id.strip()
    if _HEX.match(text):
        decoded = bytes.fromhex(text).decode("ascii", "replace")
        if decoded and all(char in _PRINTABLE for char in decoded):
            return decoded.strip() or text
    return text


def meter_identity(model: str | None, equipment_id: str | None = None) -> MeterIdentity:
    """Manufacturer and model from an identification line or a HomeWizard ``meter_model``."""
    serial = serial_number(equipment_id)
    if not model or not model.strip():
        return MeterIdentity(serial_number=serial)
    text = model.strip()
    words = text.split(None, 1)
    brand = _BRANDS.get(words[0].upper().replace("+", ""))
    if brand is not None:  # HomeWizard: "ISKRA 2M550T-1012"
        return MeterIdentity(brand, words[1].strip() if len(words) > 1 else None, serial)
    match = _HEADER.match(text)
    if match is None:
        return MeterIdentity(model=text, serial_number=serial)
    flag = match.group("flag").upper()
    rest = match.group("rest").strip().lstrip("\\").strip()
    manufacturer = MANUFACTURERS.get(flag)
    if manufacturer is None:
        # An unknown FLAG id: show the whole line rather than guess where the type starts.
        return MeterIdentity(model=text.lstrip("/"), serial_number=serial)
    return MeterIdentity(manufacturer, rest or None, serial)
