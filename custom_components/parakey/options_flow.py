"""Options: how often to poll, which unlocks are too old to act on, the webhook."""

from __future__ import annotations

import secrets
from typing import Any

from homeassistant.components import webhook
from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.const import CONF_WEBHOOK_ID, UnitOfTime
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)
import voluptuous as vol

from .const import (
    CONF_MAX_EVENT_AGE,
    CONF_POLL_INTERVAL,
    CONF_WEBHOOK_ENABLED,
    CONF_WEBHOOK_PASSWORD,
    CONF_WEBHOOK_USERNAME,
    DEFAULT_MAX_EVENT_AGE,
    DEFAULT_POLL_INTERVAL,
    MAX_MAX_EVENT_AGE,
    MAX_POLL_INTERVAL,
    MIN_POLL_INTERVAL,
)
from .webhook_url import async_delete_cloudhook, async_resolve_url, authorization_value

CONF_REGENERATE = "regenerate_credentials"


def _number_box(minimum: int, maximum: int, unit: str) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum,
            max=maximum,
            step=1,
            unit_of_measurement=unit,
            mode=NumberSelectorMode.BOX,
        )
    )


class ParakeyOptionsFlow(OptionsFlow):
    """Tune polling and delays, and switch the webhook on or off.

    Nothing is saved until the user finishes: abandoning the flow must not
    break the header already pasted into My Parakey, nor leave a cloudhook
    for a webhook id that was never saved.
    """

    def __init__(self) -> None:
        """Start with nothing chosen."""
        self._options: dict[str, Any] = {}
        self._credentials: dict[str, str] = {}
        self._unsaved_cloudhook: str | None = None

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Polling, the age limit and the webhook switch."""
        if user_input is not None:
            self._options = {
                **self.config_entry.options,
                CONF_POLL_INTERVAL: int(user_input[CONF_POLL_INTERVAL]),
                CONF_MAX_EVENT_AGE: int(user_input[CONF_MAX_EVENT_AGE]),
                CONF_WEBHOOK_ENABLED: bool(user_input[CONF_WEBHOOK_ENABLED]),
            }
            if not self._options[CONF_WEBHOOK_ENABLED]:
                return self._async_finish()
            self._async_new_credentials(regenerate=False)
            return await self.async_step_webhook()
        options = self.config_entry.options
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_POLL_INTERVAL,
                    default=options.get(CONF_POLL_INTERVAL, DEFAULT_POLL_INTERVAL),
                ): _number_box(
                    MIN_POLL_INTERVAL, MAX_POLL_INTERVAL, UnitOfTime.SECONDS
                ),
                vol.Required(
                    CONF_MAX_EVENT_AGE,
                    default=options.get(CONF_MAX_EVENT_AGE, DEFAULT_MAX_EVENT_AGE),
                ): _number_box(0, MAX_MAX_EVENT_AGE, UnitOfTime.MINUTES),
                vol.Required(
                    CONF_WEBHOOK_ENABLED,
                    default=options.get(CONF_WEBHOOK_ENABLED, False),
                ): BooleanSelector(),
            }
        )
        return self.async_show_form(step_id="init", data_schema=schema)

    async def async_step_webhook(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show what to paste into My Parakey, and what stands in the way."""
        if user_input is not None:
            if not user_input.get(CONF_REGENERATE):
                return self._async_finish()
            self._async_new_credentials(regenerate=True)
        data = {**self.config_entry.data, **self._credentials}
        webhook_id = data[CONF_WEBHOOK_ID]
        resolved = await async_resolve_url(self.hass, webhook_id)
        if resolved.cloudhook and CONF_WEBHOOK_ID in self._credentials:
            self._unsaved_cloudhook = webhook_id
        return self.async_show_form(
            step_id="webhook",
            data_schema=vol.Schema(
                {vol.Required(CONF_REGENERATE, default=False): BooleanSelector()}
            ),
            # Shown as the form's error, so the text is translated.
            errors={"base": f"url_{resolved.problem}"} if resolved.problem else None,
            description_placeholders={
                "url": resolved.url,
                "header_name": "Authorization",
                "header_value": authorization_value(
                    data[CONF_WEBHOOK_USERNAME], data[CONF_WEBHOOK_PASSWORD]
                ),
            },
        )

    @callback
    def _async_new_credentials(self, *, regenerate: bool) -> None:
        """Make the webhook id and credentials once; new ones on request."""
        data = self.config_entry.data
        if CONF_WEBHOOK_ID not in data:
            self._credentials.setdefault(CONF_WEBHOOK_ID, webhook.async_generate_id())
        if regenerate or CONF_WEBHOOK_USERNAME not in data:
            self._credentials[CONF_WEBHOOK_USERNAME] = f"ha-{secrets.token_hex(4)}"
            self._credentials[CONF_WEBHOOK_PASSWORD] = secrets.token_urlsafe(24)

    @callback
    def _async_finish(self) -> ConfigFlowResult:
        """Save and reload, so the new options apply without a restart."""
        entry = self.config_entry
        # Saved here, not only by async_create_entry: the reload starts
        # eagerly and must read the new options (newer releases' own
        # OptionsFlowWithReload does the same; 2025.4 lacks it).
        self.hass.config_entries.async_update_entry(
            entry, data={**entry.data, **self._credentials}, options=self._options
        )
        self.hass.config_entries.async_schedule_reload(entry.entry_id)
        self._unsaved_cloudhook = None
        return self.async_create_entry(data=self._options)

    @callback
    def async_remove(self) -> None:
        """The flow ended; delete a cloudhook made for an id never saved."""
        if webhook_id := self._unsaved_cloudhook:
            self.hass.async_create_background_task(
                async_delete_cloudhook(self.hass, webhook_id),
                "parakey: delete the cloudhook of an abandoned options flow",
            )
