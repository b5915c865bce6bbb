"""Every error the P1 package raises on purpose, under one root: ``P1Error``.

Callers catch ``P1Error`` for "anything this meter could not do", or a branch of it:

* ``TelegramError`` (``ChecksumError``): a telegram that cannot be trusted;
* ``PayloadError``: an MQTT dongle message that cannot be read;
* ``SourceError``: the meter could not be opened or read at all, with one class per cause
  (``CannotConnectError`` and its ``UnknownHostError``, ``InvalidPathError``,
  ``NoTelegramError``, and HomeWizard's ``HomeWizardError`` family), so each source can say
  what the user should check.
"""

from __future__ import annotations

from ..errors import OpenHemError


class P1Error(OpenHemError):
    """Something went wrong reading a P1 meter."""


class TelegramError(P1Error):
    """A telegram that cannot be used: incomplete, garbled or not DSMR."""


class ChecksumError(TelegramError):
    """A telegram whose CRC does not match its contents."""


class PayloadError(P1Error):
    """A dongle payload that cannot be read (not a number, not JSON, not a telegram)."""


class SourceError(P1Error):
    """A P1 source could not be opened or read."""


class CannotConnectError(SourceError):
    """The host refused or did not answer, or the port could not be opened."""


class UnknownHostError(CannotConnectError):
    """The host name does not resolve (a typo, or a name the network does not know)."""


class InvalidPathError(SourceError):
    """The serial device does not exist or is not a serial port."""


class InvalidTopicError(SourceError):
    """Not an MQTT topic Open HEM can subscribe to (a raw telegram needs one exact topic)."""


class NoTelegramError(SourceError):
    """Connected, but no valid telegram (or message) arrived in time."""


class HomeWizardError(SourceError):
    """The HomeWizard meter could not be reached or did not answer like a HomeWizard P1 meter."""


class HomeWizardUnreachableError(HomeWizardError, CannotConnectError):
    """No answer from the address (nothing there, or a timeout)."""


class HomeWizardUnknownHostError(HomeWizardUnreachableError, UnknownHostError):
    """The HomeWizard meter's host name does not resolve."""


class HomeWizardApiDisabledError(HomeWizardError):
    """The meter answered 403: its local API is switched off in the HomeWizard Energy app."""


class NotHomeWizardError(HomeWizardError):
    """Something answered, but not like a HomeWizard P1 meter's ``/api/v1/data``."""
