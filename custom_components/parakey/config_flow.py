"""Config, reauth, reconfigure and options flows for Parakey."""

from __future__ import annotations

import hashlib
from typing import Any

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.const import CONF_ACCESS_TOKEN
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .api import (
    DEFAULT_BASE_URL,
    ParakeyAuthError,
    ParakeyClient,
    ParakeyError,
)
from .const import (
    CONF_ADVANCED,
    CONF_BASE_URL,
    DOMAIN,
    LOGGER,
    TOKEN_UNIQUE_ID_PREFIX,
)
from .data import ParakeyConfigEntry
from .options_flow import ParakeyOptionsFlow

TOKEN_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))


def _connection_schema(
    token: str | None = None, base_url: str = DEFAULT_BASE_URL
) -> vol.Schema:
    token_key = (
        vol.Required(CONF_ACCESS_TOKEN)
        if token is None
        else vol.Required(CONF_ACCESS_TOKEN, default=token)
    )
    return vol.Schema(
        {
            token_key: TOKEN_SELECTOR,
            vol.Required(CONF_ADVANCED): section(
                vol.Schema(
                    {vol.Required(CONF_BASE_URL, default=base_url): URL_SELECTOR}
                ),
                # Open when it holds an address of the user's, so a form error
                # does not hide what was just typed.
                {"collapsed": base_url.rstrip("/") == DEFAULT_BASE_URL},
            ),
        }
    )


def _typed_base_url(user_input: dict[str, Any] | None) -> str:
    advanced = (user_input or {}).get(CONF_ADVANCED) or {}
    return str(advanced.get(CONF_BASE_URL) or DEFAULT_BASE_URL)


async def _async_identify_place(
    hass: HomeAssistant, token: str, base_url: str
) -> tuple[str, str]:
    """Make a real request with ``token``; return (unique id, title).

    The place comes from ``/domains`` or else the newest event log. A place
    that has neither yet gets an id derived from the token, which the
    coordinator upgrades once the first log names the place.
    """
    client = ParakeyClient(async_get_clientsession(hass), token, base_url=base_url)
    places = await client.list_places()
    if places:
        return places[0].id, places[0].name or "Parakey"
    page = await client.list_event_logs(limit=1)
    if page.logs and (place := page.logs[0].place):
        return place.id, place.name or "Parakey"
    digest = hashlib.sha256(token.encode()).hexdigest()[:16]
    return f"{TOKEN_UNIQUE_ID_PREFIX}{digest}", "Parakey"


class ParakeyConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a Parakey place with the token of a manual integration."""

    VERSION = 1
    MINOR_VERSION = 3

    async def _async_validate(
        self, user_input: dict[str, Any], errors: dict[str, str]
    ) -> tuple[str, str, dict[str, Any]] | None:
        """Try the credentials; fill ``errors`` and return None on failure."""
        token = user_input[CONF_ACCESS_TOKEN].strip()
        base_url = (
            user_input.get(CONF_ADVANCED, {}).get(CONF_BASE_URL) or DEFAULT_BASE_URL
        ).rstrip("/")
        try:
            unique_id, title = await _async_identify_place(self.hass, token, base_url)
        except ParakeyAuthError:
            errors["base"] = "invalid_auth"
        except ParakeyError:
            errors["base"] = "cannot_connect"
        except Exception:  # noqa: BLE001 - shown to the user as "unknown"
            LOGGER.exception("Unexpected error while checking the Parakey token")
            errors["base"] = "unknown"
        else:
            return unique_id, title, {CONF_ACCESS_TOKEN: token, CONF_BASE_URL: base_url}
        return None

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the token (and, folded away, the API address)."""
        errors: dict[str, str] = {}
        if user_input is not None and (
            checked := await self._async_validate(user_input, errors)
        ):
            unique_id, title, data = checked
            await self.async_set_unique_id(unique_id)
            self._abort_if_unique_id_configured()
            return self.async_create_entry(title=title, data=data)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                _connection_schema(base_url=_typed_base_url(user_input)),
                user_input or {},
            ),
            errors=errors,
        )

    async def async_step_reauth(self, entry_data: dict[str, Any]) -> ConfigFlowResult:
        """Parakey refused the token: ask for a new one."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Take a new token for the same place."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            checked = await self._async_validate(
                {
                    **user_input,
                    CONF_ADVANCED: {CONF_BASE_URL: entry.data.get(CONF_BASE_URL)},
                },
                errors,
            )
            if checked:
                return self._async_update_same_place(entry, *checked)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_ACCESS_TOKEN): TOKEN_SELECTOR}),
            description_placeholders={"title": entry.title},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the token or the API address of an existing place."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None and (
            checked := await self._async_validate(user_input, errors)
        ):
            return self._async_update_same_place(entry, *checked)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=_connection_schema(
                entry.data[CONF_ACCESS_TOKEN],
                entry.data.get(CONF_BASE_URL, DEFAULT_BASE_URL),
            ),
            errors=errors,
        )

    def _async_update_same_place(
        self,
        entry: ParakeyConfigEntry,
        unique_id: str,
        title: str,
        data: dict[str, Any],
    ) -> ConfigFlowResult:
        """Store new credentials if they still belong to the entry's place."""
        current = entry.unique_id or ""
        reason = "wrong_place"
        if current.startswith(TOKEN_UNIQUE_ID_PREFIX):
            # The place was never known, so nothing can contradict the new token;
            # learn the place now if the new token reveals it.
            if unique_id.startswith(TOKEN_UNIQUE_ID_PREFIX):
                unique_id = current
            elif self.hass.config_entries.async_entry_for_domain_unique_id(
                DOMAIN, unique_id
            ):
                return self.async_abort(reason="already_configured")
        elif unique_id != current:
            return self.async_abort(reason=reason)
        return self.async_update_reload_and_abort(
            entry,
            unique_id=unique_id,
            title=title if unique_id != current else entry.title,
            data_updates=data,
            reason="reauth_successful"
            if self.source == SOURCE_REAUTH
            else "reconfigure_successful",
        )

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ParakeyConfigEntry) -> ParakeyOptionsFlow:
        """Options: poll interval, max event age, webhook."""
        return ParakeyOptionsFlow()
