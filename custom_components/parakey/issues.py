"""Repair issues: things only the user can fix, which clear once fixed."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.loader import async_get_loaded_integration

from .const import DOMAIN

WEBHOOK_URL_ISSUES = {"no_url": "webhook_no_url", "not_https": "webhook_not_https"}
WEBHOOK_NOT_DELIVERING = "webhook_not_delivering"
RATE_LIMITED = "rate_limited"
UNREADABLE = {"logs": "unreadable_logs", "doors": "unreadable_doors"}

# The README section behind each issue's "Learn more" link (a heading's anchor as
# GitHub makes it), appended to the manifest's documentation URL.
LEARN_MORE_ANCHORS = {
    "webhook_no_url": "webhook-optional-for-unlocks-within-a-second",
    "webhook_not_https": "webhook-optional-for-unlocks-within-a-second",
    WEBHOOK_NOT_DELIVERING: "troubleshooting",
    RATE_LIMITED: "troubleshooting",
    "unreadable_logs": "troubleshooting",
    "unreadable_doors": "troubleshooting",
}


def _issue_id(entry: ConfigEntry, key: str) -> str:
    return f"{key}_{entry.entry_id}"


def _learn_more_url(hass: HomeAssistant, key: str) -> str | None:
    documentation = async_get_loaded_integration(hass, DOMAIN).documentation
    if documentation is None or key not in LEARN_MORE_ANCHORS:
        return None
    return f"{documentation}#{LEARN_MORE_ANCHORS[key]}"


def _create(
    hass: HomeAssistant, entry: ConfigEntry, key: str, **placeholders: str
) -> None:
    ir.async_create_issue(
        hass,
        DOMAIN,
        _issue_id(entry, key),
        # The URL issues have a fix flow (repairs.py): set the external URL.
        is_fixable=key in WEBHOOK_URL_ISSUES.values(),
        learn_more_url=_learn_more_url(hass, key),
        severity=ir.IssueSeverity.WARNING,
        translation_key=key,
        translation_placeholders={"title": entry.title, **placeholders},
    )


@callback
def async_update_webhook_url_issue(
    hass: HomeAssistant, entry: ConfigEntry, problem: str | None
) -> None:
    """Show the issue for ``problem`` (None = the URL is fine) and clear others."""
    for key, translation_key in WEBHOOK_URL_ISSUES.items():
        if key == problem:
            _create(hass, entry, translation_key)
        else:
            ir.async_delete_issue(hass, DOMAIN, _issue_id(entry, translation_key))


@callback
def async_update_not_delivering_issue(
    hass: HomeAssistant, entry: ConfigEntry, missing: int | None
) -> None:
    """Show "webhook not delivering" with the count, or clear it (None)."""
    if missing is None:
        ir.async_delete_issue(hass, DOMAIN, _issue_id(entry, WEBHOOK_NOT_DELIVERING))
    else:
        _create(hass, entry, WEBHOOK_NOT_DELIVERING, missing=str(missing))


@callback
def async_update_rate_limited_issue(
    hass: HomeAssistant, entry: ConfigEntry, wait_seconds: int | None
) -> None:
    """Show "Parakey is rate-limiting" with the wait it asked for, or clear it."""
    if wait_seconds is None:
        ir.async_delete_issue(hass, DOMAIN, _issue_id(entry, RATE_LIMITED))
    else:
        _create(hass, entry, RATE_LIMITED, seconds=str(wait_seconds))


@callback
def async_report_unreadable(
    hass: HomeAssistant, entry: ConfigEntry, what: str, missing: str
) -> None:
    """Say that Parakey answered in a shape Home Assistant cannot fully read."""
    integration = async_get_loaded_integration(hass, DOMAIN)
    _create(
        hass,
        entry,
        UNREADABLE[what],
        missing=missing,
        issue_tracker=integration.issue_tracker or "-",
    )


@callback
def async_clear_webhook_issues(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Remove the webhook's issues (it was switched off)."""
    for key in (*WEBHOOK_URL_ISSUES.values(), WEBHOOK_NOT_DELIVERING):
        ir.async_delete_issue(hass, DOMAIN, _issue_id(entry, key))


@callback
def async_clear_all(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Remove every issue of ``entry`` (it was removed or the webhook turned off)."""
    for key in (
        *WEBHOOK_URL_ISSUES.values(),
        WEBHOOK_NOT_DELIVERING,
        RATE_LIMITED,
        *UNREADABLE.values(),
    ):
        ir.async_delete_issue(hass, DOMAIN, _issue_id(entry, key))
