"""Fix flows: the webhook URL problems Home Assistant can fix from the issue itself.

Parakey can only deliver to an external HTTPS address. The fix asks for that
address and sets it as Home Assistant's external URL (what Settings, System,
Network would do); the issue then clears by itself.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

CONF_EXTERNAL_URL = "external_url"


class ExternalUrlFixFlow(RepairsFlow):
    """Set Home Assistant's external HTTPS URL."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> FlowResult:
        """Start with the form (the first step receives the issue's data)."""
        return await self.async_step_external_url()

    async def async_step_external_url(
        self, user_input: dict[str, Any] | None = None
    ) -> FlowResult:
        """Ask for the address."""
        errors: dict[str, str] = {}
        if user_input is not None:
            url = str(user_input[CONF_EXTERNAL_URL]).strip().rstrip("/")
            if url.startswith("https://") and len(url) > len("https://"):
                await self.hass.config.async_update(external_url=url)
                return self.async_create_entry(data={})
            errors["base"] = "not_https"
        schema = vol.Schema(
            {
                vol.Required(CONF_EXTERNAL_URL): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.URL)
                )
            }
        )
        return self.async_show_form(
            step_id="external_url",
            data_schema=self.add_suggested_values_to_schema(
                schema, user_input or {CONF_EXTERNAL_URL: self.hass.config.external_url}
            ),
            errors=errors,
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Only the webhook URL issues are fixable; both are fixed the same way."""
    return ExternalUrlFixFlow()
