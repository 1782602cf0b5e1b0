"""The benchmark runs inside Home Assistant's test harness, like the tests."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.helpers.json import save_json
from homeassistant.helpers.storage import Store
from homeassistant.util.json import json_loads
import pytest

import custom_components.parakey  # noqa: F401  (before the harness's own package)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/parakey."""


@pytest.fixture(autouse=True)
def allow_loopback(socket_enabled: None) -> None:
    """The simulator runs as a separate process on loopback."""


@pytest.fixture(autouse=True)
def real_store_writes(
    request: pytest.FixtureRequest, hass_storage: dict[str, Any], tmp_path: Path
) -> Generator[None]:
    """Write the integration's Store as Home Assistant does, not as the harness does.

    The harness writes stores in the event loop (checking and copying every
    item, for its tests); Home Assistant writes them in the executor. The
    benchmark measures the latter. A reload still reads the file back.
    """
    if request.module.__name__.endswith("test_scale"):
        yield  # it times its writes itself
        return
    harness_write = Store._async_write_data

    async def write(store: Store[Any], path: str, data: dict[str, Any]) -> None:
        if not store.key.startswith("parakey."):
            await harness_write(store, path, data)
            return
        target = tmp_path / store.key

        def run() -> None:
            if "data_func" in data:
                data["data"] = data.pop("data_func")()
            save_json(str(target), data)
            hass_storage[store.key] = json_loads(target.read_bytes())

        await store.hass.async_add_executor_job(run)

    with patch.object(Store, "_async_write_data", new=write):
        yield
