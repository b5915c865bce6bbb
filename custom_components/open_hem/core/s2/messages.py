"""Decoding and encoding S2 messages, leniently and without ever raising on peer input.

Received frames are parsed with s2-python's wrapper classes first (``S2Parser``'s table) and,
when those refuse a message the JSON schema allows (non-UUID ids, s2-python's own DDBC
quirks), with the generated models in ``s2python.generated.gen_s2`` (ids
``[a-zA-Z0-9-_:]{2,64}``). Wrapper instances *are* generated-model instances (subclasses), so
the control types read both alike; ids go through :func:`sid`.

Outgoing messages are built with the generated models (they accept the RM's ids whatever
their shape) and serialised by alias without ``None`` fields, as the schema wants.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
import json
import re
from typing import Any
import uuid

from s2python.generated import gen_s2
from s2python.s2_parser import TYPE_TO_MESSAGE_CLASS

Status = gen_s2.ReceptionStatusValues

ZERO_ID = "00000000-0000-0000-0000-000000000000"
"""Subject of a ReceptionStatus for a frame without a usable message_id (as s2-python does)."""

_ID = re.compile(r"[a-zA-Z0-9\-_:]{2,64}")
_MESSAGE_ID_IN_TEXT = re.compile(r'"message_id"\s*:\s*"([a-zA-Z0-9\-_:]{2,64})"')

CEM_SENT_TYPES = frozenset(
    {
        "HandshakeResponse",
        "SelectControlType",
        "FRBC.Instruction",
        "PEBC.Instruction",
        "OMBC.Instruction",
        "DDBC.Instruction",
        "PPBC.ScheduleInstruction",
        "PPBC.StartInterruptionInstruction",
        "PPBC.EndInterruptionInstruction",
    }
)
"""Message types only a CEM sends: an RM sending one is out of order."""


def new_id() -> str:
    """A fresh message/instruction id (a UUID: s2-python RMs accept nothing else)."""
    return str(uuid.uuid4())


def sid(value: Any) -> str:
    """An S2 id as a string, whether a UUID (wrapper), an ``ID`` root model or a string."""
    return str(getattr(value, "root", value))


def is_valid_id(value: object) -> bool:
    """Whether ``value`` is a schema-valid S2 id."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class Rejected:
    """A frame the CEM cannot accept: answer ``status`` with ``label`` about ``subject_id``."""

    subject_id: str
    status: Status
    label: str


@dataclass(frozen=True, slots=True)
class Parsed:
    """A decoded message: its type, id (``""`` for a ReceptionStatus) and model."""

    message_type: str
    message_id: str
    message: Any
    lenient: bool
    """Whether only the generated (schema) model accepted it."""


def message_id_in_text(text: str) -> str:
    """A message id found by a cheap scan, for frames too large or too many to parse."""
    found = _MESSAGE_ID_IN_TEXT.search(text, 0, 4096)
    return found.group(1) if found else ZERO_ID


def _short(error: Exception) -> str:
    cause: BaseException = error
    while cause.__cause__ is not None:
        cause = cause.__cause__
    errors = getattr(cause, "errors", None)
    if callable(errors):
        with contextlib.suppress(Exception):  # a label is best effort
            first = errors()[0]
            loc = ".".join(str(p) for p in first.get("loc", ()))
            return f"{loc}: {first.get('msg', '')}"[:200]
    return str(cause).splitlines()[0][:200] if str(cause) else type(cause).__name__


def parse(frame: str | bytes) -> Parsed | Rejected:
    """Decode one received frame; never raises."""
    if isinstance(frame, bytes):
        try:
            frame = frame.decode("utf-8")
        except UnicodeDecodeError:
            return Rejected(ZERO_ID, Status.INVALID_DATA, "frame is not UTF-8 text")
    try:
        data = json.loads(frame)
    except ValueError:
        return Rejected(message_id_in_text(frame), Status.INVALID_DATA, "not valid JSON")
    if not isinstance(data, dict):
        return Rejected(ZERO_ID, Status.INVALID_DATA, "not a JSON object")
    message_type = data.get("message_type")
    if message_type == "ReceptionStatus":
        try:
            status = gen_s2.ReceptionStatus.model_validate(data)
        except Exception as err:
            return Rejected("", Status.INVALID_MESSAGE, f"ReceptionStatus: {_short(err)}")
        return Parsed("ReceptionStatus", "", status, lenient=True)
    message_id = data.get("message_id")
    if not is_valid_id(message_id):
        return Rejected(ZERO_ID, Status.INVALID_DATA, "no valid message_id")
    assert isinstance(message_id, str)
    if not isinstance(message_type, str):
        return Rejected(message_id, Status.INVALID_MESSAGE, "no message_type")
    wrapper = TYPE_TO_MESSAGE_CLASS.get(message_type)
    if wrapper is None:
        return Rejected(
            message_id, Status.INVALID_MESSAGE, f"unknown message_type {message_type[:64]!r}"
        )
    with contextlib.suppress(Exception):  # else the schema's generated model decides
        return Parsed(message_type, message_id, wrapper.model_validate(data), lenient=False)
    generated = getattr(gen_s2, message_type.replace(".", ""))
    try:
        return Parsed(message_type, message_id, generated.model_validate(data), lenient=True)
    except Exception as err:
        return Rejected(message_id, Status.INVALID_MESSAGE, f"{message_type}: {_short(err)}")


def encode(message: Any) -> str:
    """Serialise a model for the wire (by alias, without None fields)."""
    text: str = message.model_dump_json(by_alias=True, exclude_none=True)
    return text


def reception_status(subject_id: str, status: Status, label: str | None = None) -> str:
    """The JSON of a ReceptionStatus."""
    return encode(
        gen_s2.ReceptionStatus(
            subject_message_id=subject_id if is_valid_id(subject_id) else ZERO_ID,
            status=status,
            diagnostic_label=label,
        )
    )
