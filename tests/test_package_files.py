"""The files hassfest and HACS validate: translations, manifest, hacs.json."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from homeassistant.components.blueprint.models import Blueprint
from homeassistant.components.blueprint.schemas import BLUEPRINT_SCHEMA
from homeassistant.util.yaml import load_yaml
from PIL import Image
import pytest

from custom_components.parakey.issues import LEARN_MORE_ANCHORS

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / "parakey"


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


STRINGS = flatten(json.loads((INTEGRATION / "strings.json").read_text()))
LANGUAGES = sorted(path.stem for path in (INTEGRATION / "translations").glob("*.json"))


def test_every_language_is_there() -> None:
    # English, and the languages of the countries Parakey is sold in.
    assert set(LANGUAGES) == {"en", "sv", "nb"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_translation_matches_strings(language: str) -> None:
    translation = flatten(
        json.loads(
            (INTEGRATION / "translations" / f"{language}.json").read_text("utf-8")
        )
    )
    assert sorted(set(STRINGS) - set(translation)) == []  # English has, it lacks
    assert sorted(set(translation) - set(STRINGS)) == []  # English lacks, it has
    for key, text in translation.items():
        assert set(re.findall(r"{\w+}", text)) == set(
            re.findall(r"{\w+}", STRINGS[key])
        ), key
        assert text == text.strip(), key
        assert not re.search(r"https?://", text), (
            key
        )  # hassfest: links go in placeholders


def test_english_translation_is_strings_json() -> None:
    assert (INTEGRATION / "translations" / "en.json").read_text() == (
        INTEGRATION / "strings.json"
    ).read_text()


def test_every_translation_key_in_code_has_a_string() -> None:
    code = "\n".join(path.read_text() for path in INTEGRATION.glob("*.py"))
    for key in re.findall(r'translation_key="(\w+)"', code):
        assert any(f".{key}." in f".{name}" for name in STRINGS), key
    for key in ("invalid_auth", "rate_limited", "request_failed"):
        assert f"exceptions.{key}.message" in STRINGS


def test_manifest_is_valid_and_sorted() -> None:
    manifest = json.loads((INTEGRATION / "manifest.json").read_text())
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert manifest["domain"] == INTEGRATION.name
    for required in (
        "version",
        "codeowners",
        "documentation",
        "issue_tracker",
        "iot_class",
    ):
        assert manifest[required]
    assert manifest["config_flow"] is True
    assert "webhook" in manifest["dependencies"]
    assert "cloud" in manifest["after_dependencies"]


def test_hacs_json() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text())
    allowed = {
        "name", "content_in_root", "zip_release", "filename", "hide_default_branch",
        "country", "homeassistant", "hacs", "persistent_directory",
    }  # fmt: skip
    assert set(hacs) <= allowed
    assert hacs["homeassistant"] == "2025.4.0"
    # Where Parakey is sold; HACS hides the integration from users elsewhere.
    assert hacs["country"] == ["SE", "NO"]


def test_blueprints_are_valid() -> None:
    folder = ROOT / "blueprints" / "automation" / "parakey"

    def load(name: str) -> Blueprint:
        return Blueprint(
            load_yaml(folder / name),
            expected_domain="automation",
            schema=BLUEPRINT_SCHEMA,
        )

    notify = load("notify_when_person_unlocks.yaml")
    assert set(notify.inputs) == {
        "door",
        "person",
        "parakey_user_name",
        "notify_action",
    }
    assert notify.data["triggers"][0]["event_type"] == "parakey_unlock"
    keys = load("key_for_calendar_events.yaml")
    assert set(keys.inputs) == {"calendar", "place", "access", "email", "lead_time"}
    assert keys.data["triggers"][0]["trigger"] == "calendar"
    assert keys.data["actions"][0]["action"] == "parakey.grant_key"
    assert sorted(p.name for p in folder.iterdir()) == [
        "key_for_calendar_events.yaml",
        "notify_when_person_unlocks.yaml",
    ]


def github_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a README's headings."""
    anchors = set()
    text = re.sub(r"^```.*?^```", "", markdown, flags=re.MULTILINE | re.DOTALL)
    for heading in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


def test_every_repair_issue_links_to_a_readme_section() -> None:
    anchors = github_anchors((ROOT / "README.md").read_text("utf-8"))
    assert "webhook-optional-for-unlocks-within-a-second" in anchors
    issues = json.loads((INTEGRATION / "strings.json").read_text())["issues"]
    assert set(LEARN_MORE_ANCHORS) == set(issues)
    assert set(LEARN_MORE_ANCHORS.values()) <= anchors


def test_brand_images_exist() -> None:
    with Image.open(INTEGRATION / "brand" / "icon.png") as icon:
        assert icon.size == (256, 256)
    with Image.open(INTEGRATION / "brand" / "logo.png") as logo:
        assert min(logo.size) == 128


def test_licence_is_there_for_hacs() -> None:
    # HACS's "license" check fails a repository without one.
    licence = (ROOT / "LICENSE").read_text()
    assert "Apache License" in licence
    assert "Version 2.0" in licence
    assert "[LICENSE](LICENSE)" in (ROOT / "README.md").read_text()
