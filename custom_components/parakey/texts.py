"""Texts the integration writes itself, in Home Assistant's language.

Home Assistant translates what the frontend shows from ``translations/``. A
few texts are built on the server instead: a picker's labels, and the logbook
lines, whose describers get no language. They come from the same files, in
the server's language, with English as the fallback; the logbook's are kept
under ``exceptions`` because Home Assistant loads that category per language.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.translation import (
    async_get_cached_translations,
    async_get_translations,
)

from .const import DOMAIN


def _languages(hass: HomeAssistant) -> tuple[str, ...]:
    return tuple(dict.fromkeys((hass.config.language, "en")))


async def async_load_texts(hass: HomeAssistant) -> None:
    """Have the server-side texts ready in the server's language (and English)."""
    for language in _languages(hass):
        await async_get_translations(hass, language, "exceptions", [DOMAIN])


@callback
def text(hass: HomeAssistant, key: str, **placeholders: str) -> str:
    """One of our ``exceptions`` texts, filled in; the key if none is loaded."""
    localize_key = f"component.{DOMAIN}.exceptions.{key}.message"
    for language in _languages(hass):
        translations = async_get_cached_translations(
            hass, language, "exceptions", DOMAIN
        )
        if message := translations.get(localize_key):
            try:
                return message.format(**placeholders)
            except (KeyError, IndexError, ValueError):
                continue  # a broken translation: try the next language
    return key


async def async_selector_label(hass: HomeAssistant, selector: str, option: str) -> str:
    """The translated label of one option of one of our selectors."""
    key = f"component.{DOMAIN}.selector.{selector}.options.{option}"
    for language in _languages(hass):
        texts = await async_get_translations(hass, language, "selector", [DOMAIN])
        if label := texts.get(key):
            return label
    return option
