"""S2 Connect 1.0 (flexiblepower/s2-connect): pairing and session initiation, pure logic.

No web server here: the HA side mounts :class:`PairingServer` and :class:`SessionInitServer`
on its routes and stores :class:`Pairing` / :class:`PairedClient` (token hashes only).
"""

from .crypto import (
    challenge_response,
    format_pairing_code,
    hash_token,
    new_pairing_token,
    parse_pairing_code,
    verify_response,
)
from .pairing import Pairing, PairingServer
from .session_init import PairedClient, SessionInitServer
from .shapes import ConnectError, ConnectionDetails, EndpointDescription, NodeDescription, Response

__all__ = [
    "ConnectError",
    "ConnectionDetails",
    "EndpointDescription",
    "NodeDescription",
    "PairedClient",
    "Pairing",
    "PairingServer",
    "Response",
    "SessionInitServer",
    "challenge_response",
    "format_pairing_code",
    "hash_token",
    "new_pairing_token",
    "parse_pairing_code",
    "verify_response",
]
