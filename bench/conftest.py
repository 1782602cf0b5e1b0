"""The benchmark runs inside Home Assistant's test harness, like the tests."""

from __future__ import annotations

import pytest

import custom_components.parakey  # noqa: F401  (before the harness's own package)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/parakey."""


@pytest.fixture(autouse=True)
def allow_loopback(socket_enabled: None) -> None:
    """The simulator runs as a separate process on loopback."""
