"""Fix flows: the webhook URL problems Home Assistant can fix from the issue itself.

Parakey can only deliver to an external HTTPS address. The flow first shows
what is wrong and why (a fixable issue opens straight into its flow, so the
issue's own text would never be seen), with links to the README and to
Settings, System, Network. Only then does it offer to set the address, and
it says what else uses Home Assistant's external URL before it changes it.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .const import DOMAIN

CONF_EXTERNAL_URL = "external_url"


class ExternalUrlFixFlow(RepairsFlow):
    """Explain the URL problem, then set Home Assistant's external HTTPS URL."""

    def __init__(self, placeholders: dict[str, str]) -> None:
        """Show the issue's own placeholders (the place, the Learn-more link)."""
        self._placeholders = placeholders

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> FlowResult:
        """The first step receives the issue's data: explain first."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> FlowResult:
        """What is wrong, why, and where to fix it by hand."""
        if user_input is not None:
            return await self.async_step_external_url()
        return self.async_show_form(
            step_id="confirm", description_placeholders=self._placeholders
        )

    async def async_step_external_url(
        self, user_input: dict[str, Any] | None = None
    ) -> FlowResult:
        """Ask for the address, saying what else it changes."""
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
            description_placeholders={
                "current": self.hass.config.external_url or "-",
            },
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None
) -> RepairsFlow:
    """Only the webhook URL issues are fixable; both are fixed the same way."""
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    placeholders = dict(issue.translation_placeholders or {}) if issue else {}
    placeholders["learn_more"] = (issue.learn_more_url if issue else None) or ""
    return ExternalUrlFixFlow(placeholders)
