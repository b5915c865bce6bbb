"""The JSON shapes of S2 Connect 1.0's OpenAPI files (flexiblepower/s2-connect, ``openapi/``).

Readers validate what a peer sends and raise :class:`ConnectError` with the spec's error
message (``ParsingError`` for anything malformed); writers produce the camelCase JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
import uuid

ROLES = ("CEM", "RM")
DEPLOYMENTS = ("WAN", "LAN")
PROTOCOL = "WebSocket"
HMAC_SHA256 = "SHA256"


@dataclass(frozen=True)
class Response:
    """An HTTP answer: status and JSON body (None for 204)."""

    status: int
    body: Any = None


class ConnectError(Exception):
    """A request the spec refuses: HTTP ``status`` with ``{"errorMessage": ...}`` (if any)."""

    def __init__(self, status: int, error: str | None = None, info: str | None = None) -> None:
        super().__init__(f"{status} {error or ''} {info or ''}".strip())
        self.status = status
        self.error = error
        self.info = info

    def response(self) -> Response:
        if self.error is None:
            return Response(self.status)
        body: dict[str, str] = {"errorMessage": self.error}
        if self.info:
            body["additionalInfo"] = self.info[:200]
        return Response(self.status, body)


def parsing_error(info: str) -> ConnectError:
    return ConnectError(400, "ParsingError", info)


def obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise parsing_error(f"{what} must be an object")
    return value


def text(d: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = d.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise parsing_error(f"{key} must be a non-empty string")
    return value


def strings(d: dict[str, Any], key: str) -> list[str]:
    value = d.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise parsing_error(f"{key} must be an array of strings")
    return value


def node_id(value: Any, key: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as err:
        raise parsing_error(f"{key} must be a UUID") from err


@dataclass(frozen=True)
class NodeDescription:
    id: str
    brand: str
    type: str
    model_name: str
    role: str
    logo_url: str | None = None
    user_defined_name: str | None = None

    @classmethod
    def read(cls, value: Any) -> NodeDescription:
        d = obj(value, "NodeDescription")
        role = text(d, "role")
        if role not in ROLES:
            raise parsing_error("role must be CEM or RM")
        return cls(
            id=node_id(d.get("id"), "id"),
            brand=str(text(d, "brand")),
            type=str(text(d, "type")),
            model_name=str(text(d, "modelName")),
            role=role,
            logo_url=text(d, "logoUrl", required=False),
            user_defined_name=text(d, "userDefinedName", required=False),
        )

    def write(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "brand": self.brand,
            "type": self.type,
            "modelName": self.model_name,
            "role": self.role,
        }
        if self.logo_url:
            out["logoUrl"] = self.logo_url
        if self.user_defined_name:
            out["userDefinedName"] = self.user_defined_name
        return out


@dataclass(frozen=True)
class EndpointDescription:
    name: str | None = None
    logo_url: str | None = None
    deployment: str | None = None

    @classmethod
    def read(cls, value: Any) -> EndpointDescription:
        d = obj(value, "EndpointDescription")
        deployment = text(d, "deployment", required=False)
        if deployment is not None and deployment not in DEPLOYMENTS:
            raise parsing_error("deployment must be WAN or LAN")
        return cls(text(d, "name", required=False), text(d, "logoUrl", required=False), deployment)

    def write(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.name:
            out["name"] = self.name
        if self.logo_url:
            out["logoUrl"] = self.logo_url
        if self.deployment:
            out["deployment"] = self.deployment
        return out


@dataclass(frozen=True)
class ConnectionDetails:
    initiate_session_url: str
    access_token: str
    certificate_fingerprint: dict[str, str] | None = None

    @classmethod
    def read(cls, value: Any) -> ConnectionDetails:
        d = obj(value, "ConnectionDetails")
        url = str(text(d, "initiateSessionUrl"))
        token = str(text(d, "accessToken"))
        fp = d.get("certificateFingerprint")
        if fp is not None and (
            not isinstance(fp, dict) or not all(isinstance(v, str) for v in fp.values())
        ):
            raise parsing_error("certificateFingerprint must map algorithms to strings")
        if fp is not None and "SHA265" in fp and "SHA256" not in fp:  # the spec's typo
            fp = {**fp, "SHA256": fp["SHA265"]}
        return cls(url, token, fp)

    def write(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "initiateSessionUrl": self.initiate_session_url,
            "accessToken": self.access_token,
        }
        if self.certificate_fingerprint:
            out["certificateFingerprint"] = dict(self.certificate_fingerprint)
        return out
