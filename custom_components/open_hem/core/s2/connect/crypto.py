"""S2 Connect 1.0 tokens, pairing codes and the HMAC challenge/response (pure functions).

- Pairing token: >= 9 random bytes, shown in Base64 (12 characters for 9 bytes).
- Pairing code: ``[nodeIdAlias-]token``; the alias matches ``^[0-9a-zA-Z]+$``.
- Challenge response: ``HMAC-SHA256(key=challenge, msg=T || F)`` with T the Base64-*decoded*
  pairing token and F, for LAN-LAN pairing only, the raw 32-byte SHA-256 of the HTTP server's
  TLS leaf certificate (DER); otherwise ``HMAC-SHA256(challenge, T)``.
- Access tokens, communication (WebSocket) tokens: >= 32 random bytes in Base64. Store only
  :func:`hash_token` of them.

Randomness is injectable (``rand(n) -> bytes``) for tests; the default is ``secrets``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
import hashlib
import hmac
import re
import secrets

Random = Callable[[int], bytes]

PAIRING_TOKEN_BYTES = 9
CHALLENGE_BYTES = 32
TOKEN_BYTES = 32
ATTEMPT_ID_BYTES = 24
_ALIAS = re.compile(r"[0-9a-zA-Z]+")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    """Strict Base64 decoding; ValueError on anything else."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as err:
        raise ValueError("not Base64") from err


def new_pairing_token(rand: Random = secrets.token_bytes) -> str:
    """A dynamic pairing token (9 bytes -> 12 Base64 characters)."""
    return b64(rand(PAIRING_TOKEN_BYTES))


def new_challenge(rand: Random = secrets.token_bytes) -> bytes:
    return rand(CHALLENGE_BYTES)


def new_token(rand: Random = secrets.token_bytes, size: int = TOKEN_BYTES) -> str:
    """An access or communication token (Base64 of ``size`` random bytes)."""
    return b64(rand(size))


def format_pairing_code(token: str, alias: str | None = None) -> str:
    """The code the user types: ``alias-token`` or just the token."""
    if alias is None:
        return token
    if not _ALIAS.fullmatch(alias):
        raise ValueError("a node id alias is letters and digits only")
    return f"{alias}-{token}"


def parse_pairing_code(code: str) -> tuple[str | None, bytes]:
    """(alias or None, decoded token) of a pairing code; ValueError if it is not one."""
    code = code.strip()
    alias: str | None = None
    if "-" in code:
        alias, code = code.split("-", 1)
        if not _ALIAS.fullmatch(alias):
            raise ValueError("bad node id alias")
    token = unb64(code)
    if len(token) < PAIRING_TOKEN_BYTES:
        raise ValueError("pairing token too short")
    return alias, token


def challenge_response(
    challenge: bytes, pairing_token: bytes, leaf_certificate_sha256: bytes | None = None
) -> bytes:
    """``HMAC-SHA256(key=challenge, msg=token || fingerprint)`` (fingerprint for LAN-LAN)."""
    message = pairing_token + (leaf_certificate_sha256 or b"")
    return hmac.new(challenge, message, hashlib.sha256).digest()


def verify_response(
    response: bytes,
    challenge: bytes,
    pairing_token: bytes,
    leaf_certificate_sha256: bytes | None = None,
) -> bool:
    return hmac.compare_digest(
        response, challenge_response(challenge, pairing_token, leaf_certificate_sha256)
    )


def certificate_sha256(der: bytes) -> bytes:
    """The raw SHA-256 of a DER certificate (the F of LAN-LAN pairing)."""
    return hashlib.sha256(der).digest()


def hash_token(token: str) -> str:
    """What to store instead of a token (tokens are random, so one SHA-256 suffices)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_token(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), stored_hash)
