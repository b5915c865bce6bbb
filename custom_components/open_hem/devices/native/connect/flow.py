"""The pairing page, shared by the S2 device flow and the flow of a discovered RM.

One page shows the pairing code, the pairing URL and the CA fingerprint; Submit checks that
an RM paired with that code. The code stays while it is valid; an expired or spent one is
replaced (and the user told), so the page never shows a code that cannot work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ....core.s2.connect import NodeDescription
from .server import ConnectListener

if TYPE_CHECKING:
    from . import S2Connect


async def async_listener(
    connect: S2Connect | None,
) -> tuple[ConnectListener | None, str, dict[str, str]]:
    """The running listener, or None with the abort reason and its placeholders."""
    if connect is None:
        return None, "s2_connect_unavailable", {}
    try:
        return await connect.async_start(), "", {}
    except OSError as err:
        return None, "s2_connect_port", {"error": str(err)}


@dataclass
class PairingPage:
    """What one pairing page shows and what it found."""

    code: str | None = None
    errors: dict[str, str] = field(default_factory=dict)
    placeholders: dict[str, str] = field(default_factory=dict)

    def update(self, listener: ConnectListener, submitted: bool) -> NodeDescription | None:
        """The RM that paired with the shown code on Submit, else None (page refreshed)."""
        self.errors = {}
        if self.code is not None and submitted:
            pairing = listener.paired_with(self.code)
            if pairing is not None:
                return pairing.client
            self.errors["base"] = "not_paired" if listener.code_valid(self.code) else "code_expired"
        if self.code is None or not listener.code_valid(self.code):
            self.code = listener.new_code()
        self.placeholders = {
            "code": self.code,
            "url": listener.pairing_url,
            "fingerprint": listener.tls.ca_sha256_hex,
        }
        return None


def device_title(client: NodeDescription) -> str:
    """How a paired RM is called when the user gave no name: its own name, else its model."""
    return client.user_defined_name or f"{client.brand} {client.model_name}"
