"""A list of callbacks that can be unsubscribed: the one shape every notifier uses."""

from __future__ import annotations

from collections.abc import Callable
import logging

from homeassistant.core import CALLBACK_TYPE, callback

_LOGGER = logging.getLogger(__package__)


class Listeners[**P]:
    """Callbacks to call with the same arguments, each removable on its own."""

    def __init__(self) -> None:
        """Start with nobody listening."""
        self._callbacks: list[Callable[P, None]] = []

    def __bool__(self) -> bool:
        """Whether anybody listens."""
        return bool(self._callbacks)

    @callback
    def add(self, listener: Callable[P, None]) -> CALLBACK_TYPE:
        """Call ``listener`` from now on; return what stops it."""
        self._callbacks.append(listener)

        @callback
        def remove() -> None:
            if listener in self._callbacks:
                self._callbacks.remove(listener)

        return remove

    @callback
    def notify(self, *args: P.args, **kwargs: P.kwargs) -> None:
        """Call every listener; one that raises does not stop the others."""
        for listener in list(self._callbacks):
            try:
                listener(*args, **kwargs)
            except Exception:
                # One faulty listener must not starve the rest: an unlock is
                # claimed before it is handed on, so it would be lost to them.
                _LOGGER.exception("Error in a Parakey listener")
