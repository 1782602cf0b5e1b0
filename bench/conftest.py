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
    """Write and read the integration's Store as Home Assistant does.

    The harness writes stores in the event loop and keeps a parsed copy of
    each in memory (checking and copying every item, for its tests); Home
    Assistant writes a file in the executor and keeps nothing. The benchmark
    measures the latter: a save writes the file, a load reads it back.
    """
    if request.module.__name__.endswith("test_scale"):
        yield  # it times its writes itself
        return
    harness_write = Store._async_write_data
    harness_load = Store._async_load

    def ours(store: Store[Any]) -> bool:
        return store.key.startswith("parakey.")

    async def write(store: Store[Any], path: str, data: dict[str, Any]) -> None:
        if not ours(store):
            await harness_write(store, path, data)
            return
        target = tmp_path / store.key

        def run() -> None:
            if "data_func" in data:
                data["data"] = data.pop("data_func")()
            save_json(str(target), data)

        await store.hass.async_add_executor_job(run)

    async def load(store: Store[Any]) -> Any:
        target = tmp_path / store.key
        if ours(store) and store._data is None and target.exists():
            raw = await store.hass.async_add_executor_job(target.read_bytes)
            hass_storage[store.key] = json_loads(raw)
        loaded = await harness_load(store)
        if ours(store):
            hass_storage.pop(store.key, None)  # nothing stays in memory
        return loaded

    with (
        patch.object(Store, "_async_write_data", new=write),
        patch.object(Store, "_async_load", new=load),
    ):
        yield
