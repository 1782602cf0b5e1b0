"""Options: polling and the webhook; people and presence.

A menu leads to each form. Submitting a form saves it and the running entry
follows at once (no reload), then the menu comes back with "Done", so a form
opened by mistake is one Submit away from the menu. Nothing is saved before
a form is submitted: abandoning the webhook page must not break the header
already pasted into My Parakey, nor leave a cloudhook for an id never saved.
"""

from __future__ import annotations

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
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
import voluptuous as vol

from . import async_apply_options
from .const import (
    CONF_MAX_EVENT_AGE,
    CONF_PEOPLE,
    CONF_POLL_INTERVAL,
    CONF_PRESENCE,
    CONF_PRESENCE_MINUTES,
    CONF_PRESENCE_ZONE,
    CONF_WEBHOOK_ENABLED,
    CONF_WEBHOOK_PASSWORD,
    CONF_WEBHOOK_USERNAME,
    DEFAULT_MAX_EVENT_AGE,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_PRESENCE_MINUTES,
    DEFAULT_PRESENCE_ZONE,
    MAX_MAX_EVENT_AGE,
    MAX_POLL_INTERVAL,
    MAX_PRESENCE_MINUTES,
    MIN_POLL_INTERVAL,
)
from .people import PeopleDirectory, person_names, suggest_links
from .presence_base import HAS_ZONE_MEMBERSHIP
from .webhook_url import async_delete_cloudhook, async_resolve_url, authorization_value

if TYPE_CHECKING:
    from .data import ParakeyConfigEntry

CONF_REGENERATE = "regenerate_credentials"
CONF_SUGGESTED = "suggested_links"
CONF_USER = "user"
CONF_PERSON = "person"
MENU = ["settings", "people"]
# The links listed on the People page; the rest is counted.
LINKS_SHOWN = 20


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
    """Tune polling and the webhook; link people and switch presence on."""

    config_entry: ParakeyConfigEntry

    def __init__(self) -> None:
        """Start with nothing chosen."""
        self._options: dict[str, Any] = {}
        self._credentials: dict[str, str] = {}
        self._unsaved_cloudhook: str | None = None
        self._user_id: str | None = None

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose what to change."""
        return self.async_show_menu(step_id="init", menu_options=MENU)

    async def async_step_saved(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The menu again after a save, with a way to close."""
        return self.async_show_menu(step_id="saved", menu_options=[*MENU, "done"])

    async def async_step_done(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Close; every form was saved when it was submitted."""
        return self.async_create_entry(data=dict(self.config_entry.options))

    # ----- polling and webhook -----

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
                return await self._async_save()
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
                return await self._async_save()
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

    # ----- people and presence -----

    def _people(self) -> PeopleDirectory | None:
        if self.config_entry.state is not ConfigEntryState.LOADED:
            return None
        return self.config_entry.runtime_data.people

    async def async_step_people(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Presence, links suggested by name, and one user to link by hand.

        One link at a time scales to a place of a thousand users: the user
        picker searches, and no form grows with the number of users.
        """
        if (people := self._people()) is None:
            return self.async_abort(reason="not_loaded")
        options = self.config_entry.options
        links = dict(people.links)
        persons = person_names(self.hass)
        suggestions = suggest_links(people, persons)
        errors: dict[str, str] = {}
        if user_input is not None and (typed := user_input.get(CONF_USER)):
            # Picked, or typed into the search box: a name, a person, an id.
            found = people.find_users(typed, persons)
            if len(found) == 1:
                self._user_id = found[0]
            else:
                errors[CONF_USER] = "ambiguous_user" if found else "unknown_user"
        if user_input is not None and not errors:
            links |= {
                user_id: person
                for user_id, person in suggestions.items()
                if user_id in user_input.get(CONF_SUGGESTED, [])
            }
            self._options = {
                **options,
                CONF_PEOPLE: links,
                CONF_PRESENCE: bool(user_input[CONF_PRESENCE]),
                CONF_PRESENCE_MINUTES: int(user_input[CONF_PRESENCE_MINUTES]),
            }
            if HAS_ZONE_MEMBERSHIP:
                self._options[CONF_PRESENCE_ZONE] = user_input.get(
                    CONF_PRESENCE_ZONE, DEFAULT_PRESENCE_ZONE
                )
            if user_input.get(CONF_USER):
                return await self.async_step_link()
            return await self._async_save()
        schema: dict[Any, Any] = {}
        suggested: dict[str, Any] = {
            CONF_PRESENCE: options.get(CONF_PRESENCE, False),
            CONF_PRESENCE_MINUTES: options.get(
                CONF_PRESENCE_MINUTES, DEFAULT_PRESENCE_MINUTES
            ),
        }
        if suggestions:
            # A name match is only suggested: ticked, but linked on Submit.
            schema[vol.Optional(CONF_SUGGESTED)] = SelectSelector(
                SelectSelectorConfig(
                    options=[
                        SelectOptionDict(
                            value=user_id,
                            label=f"{people.users[user_id].label} → {persons[person]}",
                        )
                        for user_id, person in suggestions.items()
                    ],
                    multiple=True,
                    mode=SelectSelectorMode.LIST,
                )
            )
            suggested[CONF_SUGGESTED] = list(suggestions)
        # A combo box: the one picker that searches (it also takes typed text).
        schema[vol.Optional(CONF_USER)] = SelectSelector(
            SelectSelectorConfig(
                options=people.user_choices(persons),
                mode=SelectSelectorMode.DROPDOWN,
                custom_value=True,
            )
        )
        schema[vol.Required(CONF_PRESENCE)] = BooleanSelector()
        schema[vol.Required(CONF_PRESENCE_MINUTES)] = _number_box(
            1, MAX_PRESENCE_MINUTES, UnitOfTime.MINUTES
        )
        if HAS_ZONE_MEMBERSHIP:
            # Zones count persons by membership (2026.7+): which zone an unlock
            # here means, e.g. an office.
            schema[vol.Required(CONF_PRESENCE_ZONE)] = EntitySelector(
                EntitySelectorConfig(domain="zone")
            )
            suggested[CONF_PRESENCE_ZONE] = options.get(
                CONF_PRESENCE_ZONE, DEFAULT_PRESENCE_ZONE
            )
        shown = [
            f"- {people.label(user_id)} → {persons.get(person, person)}"
            for user_id, person in sorted(
                links.items(), key=lambda link: people.label(link[0]).casefold()
            )
        ]
        if len(shown) > LINKS_SHOWN:
            shown = [*shown[:LINKS_SHOWN], f"- … (+{len(shown) - LINKS_SHOWN})"]
        return self.async_show_form(
            step_id="people",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(schema), user_input or suggested
            ),
            errors=errors,
            description_placeholders={
                "count": str(len(people.users)),
                # Not "-": under "Linked now:" that would make it a heading.
                "links": "\n".join(shown) or "—",
            },
        )

    async def async_step_link(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The person of one Parakey user; empty unlinks."""
        people = self._people()
        if people is None or self._user_id is None:
            return self.async_abort(reason="not_loaded")
        user_id = self._user_id
        links: dict[str, str] = dict(self._options[CONF_PEOPLE])
        if user_input is not None:
            if person := user_input.get(CONF_PERSON):
                links[user_id] = person
            else:
                links.pop(user_id, None)
            self._options = {**self._options, CONF_PEOPLE: links}
            return await self._async_save()
        persons = person_names(self.hass)
        current = links.get(user_id) or suggest_links(
            people, persons, only=[user_id]
        ).get(user_id)
        return self.async_show_form(
            step_id="link",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(
                    {
                        vol.Optional(CONF_PERSON): EntitySelector(
                            EntitySelectorConfig(domain="person")
                        )
                    }
                ),
                {CONF_PERSON: current} if current else {},
            ),
            description_placeholders={"user": people.label(user_id)},
        )

    # ----- saving -----

    async def _async_save(self) -> ConfigFlowResult:
        """Save, make the running entry follow at once, and show the menu again.

        No reload: a reload makes every entity unavailable for a moment, which
        shows in the logbook and flips linked persons.
        """
        entry = self.config_entry
        self.hass.config_entries.async_update_entry(
            entry, data={**entry.data, **self._credentials}, options=self._options
        )
        self._credentials = {}
        self._unsaved_cloudhook = None
        if entry.state is ConfigEntryState.LOADED:
            await async_apply_options(self.hass, entry)
        return await self.async_step_saved()

    @callback
    def async_remove(self) -> None:
        """The flow ended; delete a cloudhook made for an id never saved."""
        if webhook_id := self._unsaved_cloudhook:
            self.hass.async_create_background_task(
                async_delete_cloudhook(self.hass, webhook_id),
                "parakey: delete the cloudhook of an abandoned options flow",
            )
