"""Tests that need the recorder (logbook): it must start before ``hass``."""

from __future__ import annotations

from homeassistant.components.recorder import Recorder
import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """Start the recorder first, then let Home Assistant load the integration."""
