"""Core errors as translated Home Assistant errors, decided in one place.

Wrap a service handler or an entity action with :func:`translate_core_errors`: an
``OpenHemError`` from the core becomes a ``HomeAssistantError`` with the error's translation
key and its message as the ``{error}`` placeholder, so the user reads a translated sentence
and the log keeps the detail.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import functools

from homeassistant.exceptions import HomeAssistantError

from .const import DOMAIN
from .core.errors import OpenHemError


def as_home_assistant_error(err: OpenHemError) -> HomeAssistantError:
    """The translated Home Assistant error for a core error."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=err.translation_key,
        translation_placeholders={"error": str(err)},
    )


def translate_core_errors[**P, R](
    func: Callable[P, Awaitable[R]],
) -> Callable[P, Awaitable[R]]:
    """Run ``func``; a core error it raises leaves as a translated ``HomeAssistantError``."""

    @functools.wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await func(*args, **kwargs)
        except OpenHemError as err:
            raise as_home_assistant_error(err) from err

    return wrapper
