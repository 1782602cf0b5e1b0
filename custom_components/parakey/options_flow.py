"""Options: how often to poll, which unlocks are too old to act on, the webhook."""

from __future__ import annotations

from collections.abc import Iterable
import secrets
from typing import TYPE_CHECKING, Any

from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult, OptionsFlow
from homeassistant.const import CONF_WEBHOOK_ID, UnitOfTime
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)
import voluptuous as vol

from . import async_apply_options
from .const import (
    CONF_MAX_EVENT_AGE,
    CONF_PEOPLE,
    CONF_POLL_INTERVAL,
    CONF_PRESENCE,
    CONF_PRESENCE_MINUTES,
    CONF_WEBHOOK_ENABLED,
    CONF_WEBHOOK_PASSWORD,
    CONF_WEBHOOK_USERNAME,
    DEFAULT_MAX_EVENT_AGE,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_PRESENCE_MINUTES,
    MAX_MAX_EVENT_AGE,
    MAX_POLL_INTERVAL,
    MAX_PRESENCE_MINUTES,
    MIN_POLL_INTERVAL,
)
from .people import KnownUser, person_names, suggest_person
from .webhook_url import async_delete_cloudhook, async_resolve_url, authorization_value

if TYPE_CHECKING:
    from .data import ParakeyConfigEntry

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


def _user_fields(users: Iterable[KnownUser]) -> dict[str, str]:
    """A form field per known user, named so the form shows who it is."""
    fields: dict[str, str] = {}
    for user in sorted(users, key=lambda u: (u.label.casefold(), u.user_id)):
        label = user.label
        if label in fields or label in (CONF_PRESENCE, CONF_PRESENCE_MINUTES):
            label = f"{label} ({user.user_id})"
        fields[label] = user.user_id
    return fields


class ParakeyOptionsFlow(OptionsFlow):
    """Tune polling and delays, and switch the webhook on or off.

    Nothing is saved until the user finishes: abandoning the flow must not
    break the header already pasted into My Parakey, nor leave a cloudhook
    for a webhook id that was never saved.
    """

    config_entry: ParakeyConfigEntry

    def __init__(self) -> None:
        """Start with nothing chosen."""
        self._options: dict[str, Any] = {}
        self._credentials: dict[str, str] = {}
        self._unsaved_cloudhook: str | None = None

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose what to change."""
        return self.async_show_menu(step_id="init", menu_options=["settings", "people"])

    async def async_step_settings(
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
                return await self._async_finish()
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
        return self.async_show_form(step_id="settings", data_schema=schema)

    async def async_step_webhook(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show what to paste into My Parakey, and what stands in the way."""
        if user_input is not None:
            if not user_input.get(CONF_REGENERATE):
                return await self._async_finish()
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

    async def async_step_people(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Link Parakey users to persons, and choose whether unlocks mean home."""
        if self.config_entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        people = self.config_entry.runtime_data.people
        fields = _user_fields(people.users.values())
        if user_input is not None:
            links = {
                user_id: person
                for field, user_id in fields.items()
                if (person := user_input.get(field))
            }
            self._options = {
                **self.config_entry.options,
                CONF_PEOPLE: links,
                CONF_PRESENCE: bool(user_input[CONF_PRESENCE]),
                CONF_PRESENCE_MINUTES: int(user_input[CONF_PRESENCE_MINUTES]),
            }
            return await self._async_finish()
        options = self.config_entry.options
        persons = person_names(self.hass)
        suggested: dict[str, Any] = {
            CONF_PRESENCE: options.get(CONF_PRESENCE, False),
            CONF_PRESENCE_MINUTES: options.get(
                CONF_PRESENCE_MINUTES, DEFAULT_PRESENCE_MINUTES
            ),
        }
        schema: dict[Any, Any] = {}
        for field, user_id in fields.items():
            user = people.users[user_id]
            # A name match is only suggested: the user sees it and submits it.
            if person := people.person_of(user_id) or suggest_person(user, persons):
                suggested[field] = person
            schema[vol.Optional(field)] = EntitySelector(
                EntitySelectorConfig(domain="person")
            )
        schema[vol.Required(CONF_PRESENCE)] = BooleanSelector()
        schema[vol.Required(CONF_PRESENCE_MINUTES)] = _number_box(
            1, MAX_PRESENCE_MINUTES, UnitOfTime.MINUTES
        )
        return self.async_show_form(
            step_id="people",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(schema), suggested
            ),
            description_placeholders={"count": str(len(fields))},
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

    async def _async_finish(self) -> ConfigFlowResult:
        """Save, and make the running entry follow the new options at once.

        No reload: a reload makes every entity unavailable for a moment, which
        shows in the logbook and flips linked persons. The options are saved
        here, not only by ``async_create_entry``, so the entry follows them
        before the flow closes.
        """
        entry = self.config_entry
        self.hass.config_entries.async_update_entry(
            entry, data={**entry.data, **self._credentials}, options=self._options
        )
        self._unsaved_cloudhook = None
        if entry.state is ConfigEntryState.LOADED:
            await async_apply_options(self.hass, entry)
        return self.async_create_entry(data=self._options)

    @callback
    def async_remove(self) -> None:
        """The flow ended; delete a cloudhook made for an id never saved."""
        if webhook_id := self._unsaved_cloudhook:
            self.hass.async_create_background_task(
                async_delete_cloudhook(self.hass, webhook_id),
                "parakey: delete the cloudhook of an abandoned options flow",
            )
