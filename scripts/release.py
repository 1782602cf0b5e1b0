#!/usr/bin/env python3
"""Release helpers, used by .github/workflows/release.yml and tests/test_release.py.

    python scripts/release.py build [--output dist/parakey.zip]
    python scripts/release.py notes VERSION   # 0.3.0 or v0.3.0: its CHANGELOG section
    python scripts/release.py check-tag TAG   # fails unless TAG is v<manifest version>
                                              # and CHANGELOG.md has that version

`build` writes the files of custom_components/parakey at the root of the zip
(manifest.json at the top, the way HACS and the Marketplace extract a
`zip_release` asset into custom_components/parakey), without __pycache__ or
compiled files, in a fixed order with fixed timestamps: the same files give the
same zip. Standard library only, so the workflow needs no install step.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
import json
from pathlib import Path
import re
import sys
import zipfile

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "parakey"
CHANGELOG = ROOT / "CHANGELOG.md"
ZIP_NAME = "parakey.zip"
DEFAULT_OUTPUT = ROOT / "dist" / ZIP_NAME
TAG_PREFIX = "v"
UNRELEASED = "Unreleased"

# The earliest time a zip entry can carry; any fixed time makes builds repeatable.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# Regular file, rw-r--r--, as a Unix zip tool records it.
ZIP_FILE_MODE = 0o100644 << 16
ZIP_UNIX = 3
SKIPPED_DIRECTORIES = frozenset({"__pycache__"})
SKIPPED_SUFFIXES = frozenset({".pyc", ".pyo"})

_HEADING = re.compile(
    r"^## \[(?P<name>[^\]]+)\](?:\s+-\s+(?P<date>\d{4}-\d{2}-\d{2}))?\s*$"
)
_LINK_REFERENCE = re.compile(r"^\[[^\]]+\]:\s+\S+")


class ReleaseError(Exception):
    """A release cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class Section:
    """One `## [name] - date` section of the changelog."""

    name: str
    date: str | None
    body: str

    @property
    def released(self) -> bool:
        """A version with a date; `Unreleased` is work in progress."""
        return self.name != UNRELEASED and self.date is not None


def changelog_sections(text: str) -> list[Section]:
    """The `## [...]` sections in file order, each body without its heading.

    A body ends at the next `## ` heading or at the link references at the
    bottom of the file.
    """
    sections: list[Section] = []
    name: str | None = None
    date: str | None = None
    lines: list[str] = []

    def close() -> None:
        if name is not None:
            sections.append(Section(name, date, "\n".join(lines).strip()))

    for line in text.splitlines():
        if line.startswith("## "):
            close()
            match = _HEADING.match(line)
            if match is None:
                raise ReleaseError(f"CHANGELOG.md: cannot read the heading {line!r}")
            name, date, lines = match["name"], match["date"], []
        elif _LINK_REFERENCE.match(line):
            close()
            name, lines = None, []
        elif name is not None:
            lines.append(line)
    close()
    return sections


def newest_release(text: str) -> Section | None:
    """The first dated version of the changelog (above it only `Unreleased`)."""
    return next((s for s in changelog_sections(text) if s.released), None)


def version_of(tag_or_version: str) -> str:
    """`v0.3.0` or `0.3.0` -> `0.3.0`."""
    if tag_or_version.startswith(TAG_PREFIX) and tag_or_version[1:2].isdigit():
        return tag_or_version[len(TAG_PREFIX) :]
    return tag_or_version


def release_notes(text: str, version: str) -> str:
    """The body of a version's section: the text of its GitHub release."""
    version = version_of(version)
    for section in changelog_sections(text):
        if section.name == version:
            if not section.body:
                raise ReleaseError(f"CHANGELOG.md: [{version}] has no notes")
            return section.body
    raise ReleaseError(f"CHANGELOG.md has no section [{version}]")


def manifest_version(integration: Path = INTEGRATION) -> str:
    """The `version` of the integration's manifest.json."""
    manifest = json.loads((integration / "manifest.json").read_text("utf-8"))
    version = manifest.get("version")
    if not isinstance(version, str) or not version:
        raise ReleaseError("manifest.json has no version")
    return version


def tag_problems(tag: str, *, version: str, changelog: str) -> list[str]:
    """Why `tag` must not be released; empty when it may be."""
    problems: list[str] = []
    expected = f"{TAG_PREFIX}{version}"
    if tag != expected:
        problems.append(
            f"tag {tag!r} is not {expected!r} (manifest.json has version {version})"
        )
    section = next(
        (s for s in changelog_sections(changelog) if s.name == version), None
    )
    if section is None:
        problems.append(f"CHANGELOG.md has no section [{version}]")
    else:
        if section.date is None:
            problems.append(f"CHANGELOG.md: [{version}] has no date (## [x] - Y-M-D)")
        if not section.body:
            problems.append(f"CHANGELOG.md: [{version}] has no notes")
    return problems


def integration_files(source: Path = INTEGRATION) -> list[str]:
    """The files a release ships, as sorted POSIX paths relative to `source`."""
    names: list[str] = []
    for path in source.rglob("*"):
        relative = path.relative_to(source)
        if not path.is_file() or path.suffix in SKIPPED_SUFFIXES:
            continue
        if any(part in SKIPPED_DIRECTORIES for part in relative.parts):
            continue
        if any(part.startswith(".") for part in relative.parts):
            continue  # editor and OS droppings, never part of the integration
        names.append(relative.as_posix())
    return sorted(names)


def build_zip(output: Path, source: Path = INTEGRATION) -> list[str]:
    """Write the release zip with `source`'s files at its root; return the names."""
    names = integration_files(source)
    if "manifest.json" not in names:
        raise ReleaseError(f"{source} has no manifest.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.create_system = ZIP_UNIX
            info.external_attr = ZIP_FILE_MODE
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, (source / name).read_bytes(), compresslevel=9)
    return names


def _build(arguments: argparse.Namespace) -> int:
    output: Path = arguments.output
    names = build_zip(output)
    print(f"{output}: {len(names)} files of version {manifest_version()}")
    return 0


def _notes(arguments: argparse.Namespace) -> int:
    print(release_notes(CHANGELOG.read_text("utf-8"), arguments.version))
    return 0


def _check_tag(arguments: argparse.Namespace) -> int:
    tag: str = arguments.tag
    problems = tag_problems(
        tag, version=manifest_version(), changelog=CHANGELOG.read_text("utf-8")
    )
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"{tag}: manifest.json and CHANGELOG.md agree")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sub-command; 0 on success, 1 when the release must not go ahead."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help=f"build {ZIP_NAME}")
    build.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    build.set_defaults(run=_build)

    notes = commands.add_parser("notes", help="print a version's CHANGELOG section")
    notes.add_argument("version", help="0.3.0 or v0.3.0")
    notes.set_defaults(run=_notes)

    check = commands.add_parser(
        "check-tag", help="fail unless TAG is v<manifest version> in CHANGELOG.md"
    )
    check.add_argument("tag", help="for example v0.3.0")
    check.set_defaults(run=_check_tag)

    arguments = parser.parse_args(argv)
    try:
        result: int = arguments.run(arguments)
    except (ReleaseError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return result


if __name__ == "__main__":
    sys.exit(main())
