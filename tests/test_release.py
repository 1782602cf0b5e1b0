"""Releases: manifest.json, CHANGELOG.md, parakey.zip and the release workflow agree.

The zip and the tag check are made by running the workflow's own steps
(tests/release_tools.py), so a change to the workflow is tested too.
"""

from __future__ import annotations

from fnmatch import fnmatch
from itertools import pairwise
import json
from pathlib import Path
import re
import zipfile

from awesomeversion import AwesomeVersion
import pytest

from tests.release_tools import (
    INTEGRATION,
    ROOT,
    release,
    run_step,
    step_running,
    steps,
    tracked_files,
    triggers,
    workflow,
)

CHANGELOG = (ROOT / "CHANGELOG.md").read_text("utf-8")
VERSION = json.loads((INTEGRATION / "manifest.json").read_text("utf-8"))["version"]
TAG = f"v{VERSION}"


# ----- manifest.json and CHANGELOG.md -----


def test_manifest_version_is_the_newest_changelog_version() -> None:
    newest = release.newest_release(CHANGELOG)
    assert newest is not None, "CHANGELOG.md has no dated version"
    assert newest.name == VERSION


def test_only_unreleased_stands_above_the_newest_version() -> None:
    sections = release.changelog_sections(CHANGELOG)
    names = [section.name for section in sections]
    assert names.count("Unreleased") <= 1
    if "Unreleased" in names:
        assert names[0] == "Unreleased"
    for section in sections:
        if section.name != "Unreleased":
            assert section.date, f"[{section.name}] has no date"
            assert AwesomeVersion(section.name).valid, section.name


def test_changelog_versions_are_newest_first() -> None:
    released = [s for s in release.changelog_sections(CHANGELOG) if s.released]
    assert len(released) >= 2
    for newer, older in pairwise(released):
        assert AwesomeVersion(newer.name) > AwesomeVersion(older.name)
        assert newer.date >= older.date


def test_every_section_has_a_link_reference() -> None:
    links = dict(re.findall(r"^\[([^\]]+)\]: (\S+)$", CHANGELOG, flags=re.MULTILINE))
    repository = "https://github.com/parakey-ha/parakey-ha"
    for section in release.changelog_sections(CHANGELOG):
        assert links.get(section.name, "").startswith(repository), section.name


def test_the_manifest_versions_notes_are_not_empty() -> None:
    notes = release.release_notes(CHANGELOG, VERSION)
    assert notes.strip()
    assert not notes.startswith("## "), "the notes are the body, not the heading"
    assert "[Unreleased]:" not in notes, "the link references are not notes"


def test_0_2_0_tells_how_to_replace_the_removed_sensors() -> None:
    notes = release.release_notes(CHANGELOG, "0.2.0")
    assert notes.startswith("### Upgrade notes")
    for text in (
        "sensor.<door>_last_unlocked_by",
        "sensor.<door>_last_unlock",
        "state_attr('event.front_door_unlock', 'user_name')",
        "state_attr('event.front_door_unlock', 'timestamp')",
    ):
        assert text in notes


def test_changelog_parser_reads_bodies_and_rejects_what_it_cannot_read() -> None:
    text = (
        "# Changelog\n\n## [Unreleased]\n\n- next\n\n"
        "## [1.1.0] - 2026-12-02\n\n### Fixed\n\n- a\n\n"
        "## [1.0.0] - 2026-12-01\n\n- b\n\n"
        "[Unreleased]: https://x/compare/v1.1.0...HEAD\n[1.1.0]: https://x\n"
    )
    sections = release.changelog_sections(text)
    assert [(s.name, s.date) for s in sections] == [
        ("Unreleased", None),
        ("1.1.0", "2026-12-02"),
        ("1.0.0", "2026-12-01"),
    ]
    assert release.newest_release(text).name == "1.1.0"
    assert release.release_notes(text, "v1.0.0") == "- b"
    with pytest.raises(release.ReleaseError):
        release.release_notes(text, "0.9.0")
    with pytest.raises(release.ReleaseError):
        release.release_notes("## [2.0.0] - 2026-12-03\n\n", "2.0.0")
    with pytest.raises(release.ReleaseError):
        release.changelog_sections("## 2.0.0\n")


# ----- the tag check, as the workflow runs it -----


def test_the_tag_check_passes_for_the_manifest_version(tmp_path: Path) -> None:
    _, step = step_running(workflow(), "scripts/release.py check-tag")
    result = run_step(step, tag=TAG, runner_temp=tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "tag",
    [
        VERSION,  # no v
        f"v{VERSION}.1",
        f"v{VERSION}-rc.1",
        "v99.0.0",
        "",
    ],
)
def test_the_tag_check_fails_for_another_tag(tmp_path: Path, tag: str) -> None:
    _, step = step_running(workflow(), "scripts/release.py check-tag")
    result = run_step(step, tag=tag, runner_temp=tmp_path)
    assert result.returncode != 0
    assert "error:" in result.stderr


def test_the_tag_check_needs_a_dated_changelog_section() -> None:
    changelog = "## [Unreleased]\n\n- a\n\n## [1.0.0] - 2026-12-01\n\n- b\n"
    assert release.tag_problems("v1.0.0", version="1.0.0", changelog=changelog) == []
    assert release.tag_problems("v1.1.0", version="1.1.0", changelog=changelog)
    undated = "## [1.1.0]\n\n- c\n" + changelog
    assert release.tag_problems("v1.1.0", version="1.1.0", changelog=undated)
    empty = "## [1.1.0] - 2026-12-02\n\n" + changelog
    assert release.tag_problems("v1.1.0", version="1.1.0", changelog=empty)


# ----- parakey.zip, built as the workflow builds it -----


@pytest.fixture(scope="module")
def built_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runner_temp = tmp_path_factory.mktemp("runner")
    _, step = step_running(workflow(), "scripts/release.py build")
    result = run_step(step, tag=TAG, runner_temp=runner_temp)
    assert result.returncode == 0, result.stderr
    return runner_temp / "parakey.zip"


def zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def test_zip_has_the_manifest_at_its_root(built_zip: Path) -> None:
    with zipfile.ZipFile(built_zip) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest == json.loads((INTEGRATION / "manifest.json").read_text())
    assert not any(
        name.startswith("custom_components/") for name in zip_names(built_zip)
    )


def test_zip_holds_every_file_of_the_package(built_zip: Path) -> None:
    names = set(zip_names(built_zip))
    prefix = "custom_components/parakey/"
    tracked = {
        name.removeprefix(prefix) for name in tracked_files() if name.startswith(prefix)
    }
    assert tracked, "git lists no file of the integration"
    assert tracked <= names, sorted(tracked - names)
    on_disk = {
        path.relative_to(INTEGRATION).as_posix()
        for pattern in ("**/*.py", "translations/*.json", "brand/*.png")
        for path in INTEGRATION.glob(pattern)
        if "__pycache__" not in path.parts
    }
    assert on_disk <= names, sorted(on_disk - names)
    for required in ("services.yaml", "icons.json", "translations/en.json"):
        assert required in names
    assert "brand/icon.png" in names


def test_zip_has_no_compiled_files_and_no_path_outside(built_zip: Path) -> None:
    for name in zip_names(built_zip):
        assert "__pycache__" not in name.split("/"), name
        assert not name.endswith((".pyc", ".pyo")), name
        assert not name.startswith("/"), name
        assert "\\" not in name, name
        assert ".." not in name.split("/"), name
        assert not name.split("/")[0].startswith("."), name


def test_zip_is_the_same_for_the_same_files(built_zip: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.zip"
    release.build_zip(again)
    assert again.read_bytes() == built_zip.read_bytes()
    with zipfile.ZipFile(built_zip) as archive:
        infos = archive.infolist()
    assert [info.filename for info in infos] == sorted(info.filename for info in infos)
    assert {info.date_time for info in infos} == {release.ZIP_TIME}


def test_zip_leaves_out_caches_and_hidden_files(tmp_path: Path) -> None:
    source = tmp_path / "parakey"
    for name, content in {
        "manifest.json": "{}",
        "__init__.py": "",
        "api/client.py": "",
        "__pycache__/__init__.cpython-313.pyc": "x",
        "api/__pycache__/client.cpython-313.pyc": "x",
        "api/__pycache__/README": "not Python, still a cache",
        "stray.pyc": "x",
        ".DS_Store": "x",
        "translations/sv.json": "{}",
    }.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(content)
    names = release.build_zip(tmp_path / "out" / "parakey.zip", source)
    assert names == [
        "__init__.py",
        "api/client.py",
        "manifest.json",
        "translations/sv.json",
    ]
    (source / "manifest.json").unlink()
    with pytest.raises(release.ReleaseError):
        release.build_zip(tmp_path / "out" / "parakey.zip", source)


# ----- the workflow -----


def test_workflow_runs_on_version_tags_only() -> None:
    on = triggers(workflow())
    assert set(on) == {"push"}
    patterns = on["push"]["tags"]
    assert patterns == ["v*.*.*"]
    assert "branches" not in on["push"]
    assert fnmatch(TAG, patterns[0])
    assert not fnmatch(VERSION, patterns[0])


def test_workflow_checks_the_tag_before_it_builds_and_releases() -> None:
    data = workflow()
    assert data["permissions"] == {"contents": "write"}
    check, check_step = step_running(data, "scripts/release.py check-tag")
    build, build_step = step_running(data, "scripts/release.py build")
    notes, notes_step = step_running(data, "scripts/release.py notes")
    publish, publish_step = step_running(data, "gh release create")
    assert check < build < publish
    assert check < notes < publish
    assert '"$GITHUB_REF_NAME"' in check_step["run"]
    assert '"$GITHUB_REF_NAME"' in notes_step["run"]
    uses = [step.get("uses", "") for step in steps(data)[:check]]
    assert any(use.startswith("actions/checkout@") for use in uses)


def test_workflow_releases_the_zip_it_built_with_the_notes() -> None:
    data = workflow()
    _, build_step = step_running(data, "scripts/release.py build")
    _, notes_step = step_running(data, "scripts/release.py notes")
    _, publish_step = step_running(data, "gh release create")
    zip_path = re.search(r"--output (\S+)", build_step["run"])
    notes_path = re.search(r"> (\S+)", notes_step["run"])
    assert zip_path
    assert notes_path
    assert zip_path[1].endswith('/parakey.zip"')
    run = publish_step["run"]
    assert f'"$GITHUB_REF_NAME" {zip_path[1]}' in run
    assert f"--notes-file {notes_path[1]}" in run
    assert '--title "$GITHUB_REF_NAME"' in run
    assert publish_step["env"]["GH_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"


def test_workflow_notes_step_prints_the_changelog_section(tmp_path: Path) -> None:
    _, step = step_running(workflow(), "scripts/release.py notes")
    result = run_step(step, tag=TAG, runner_temp=tmp_path)
    assert result.returncode == 0, result.stderr
    notes = (tmp_path / "notes.md").read_text("utf-8")
    assert notes.strip() == release.release_notes(CHANGELOG, VERSION)


@pytest.mark.parametrize(
    ("tag", "prerelease"),
    [(TAG, False), ("v0.3.0b1", True), ("v1.0.0-rc.1", True), ("v10.2.3", False)],
)
def test_workflow_publish_step_calls_gh_as_expected(
    tmp_path: Path, tag: str, prerelease: bool
) -> None:
    """Runs the publish step with a stand-in `gh` that records its arguments."""
    (tmp_path / "bin").mkdir()
    gh = tmp_path / "bin" / "gh"
    gh.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$RUNNER_TEMP/gh-args"\n')
    gh.chmod(0o755)
    _, step = step_running(workflow(), "gh release create")
    step = {**step, "run": f'PATH="{tmp_path / "bin"}:$PATH"\n{step["run"]}'}
    result = run_step(step, tag=tag, runner_temp=tmp_path)
    assert result.returncode == 0, result.stderr
    args = (tmp_path / "gh-args").read_text().splitlines()
    assert args[:4] == ["release", "create", tag, str(tmp_path / "parakey.zip")]
    assert args[args.index("--notes-file") + 1] == str(tmp_path / "notes.md")
    assert args[args.index("--title") + 1] == tag
    assert "--verify-tag" in args
    assert ("--prerelease" in args) is prerelease
