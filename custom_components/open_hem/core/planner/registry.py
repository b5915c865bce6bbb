"""Which device kinds the planner knows: spec type -> the model that plans it.

The built-in kinds register themselves in ``devices/__init__.py``; a new kind is one module
with a spec dataclass and a :class:`~.device.DeviceModel` subclass, plus a line there.
Tests (and later plug-ins) may :func:`register` further kinds at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import InvalidProblemError, PlannerError

if TYPE_CHECKING:
    from .device import DeviceModel

type Kind = type[DeviceModel[Any]]

# In registration order: the order of a plan's devices (and of Problem's device fields).
_KINDS: list[Kind] = []


def register(kind: Kind) -> Kind:
    """Make ``kind`` (a DeviceModel subclass) plan devices of its ``spec_type``."""
    for known in _KINDS:
        if known.spec_type is kind.spec_type or known.kind == kind.kind:
            if known is kind:
                return kind
            msg = f"device kind {kind.kind!r} ({kind.spec_type.__name__}) is registered already"
            raise PlannerError(msg)
    _KINDS.append(kind)
    return kind


def unregister(kind: Kind) -> None:
    """Forget ``kind`` (for tests that register a kind of their own)."""
    _KINDS.remove(kind)


def kinds() -> tuple[Kind, ...]:
    """Every registered kind, in registration order."""
    return tuple(_KINDS)


def kind_of(spec: object) -> Kind:
    """The kind that plans ``spec``, or InvalidProblemError."""
    for kind in _KINDS:
        if isinstance(spec, kind.spec_type):
            return kind
    raise InvalidProblemError(f"no device kind is registered for {type(spec).__name__}")
