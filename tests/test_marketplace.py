"""This repository against what Home Assistant 2026.11's Marketplace checks.

The Marketplace (`homeassistant/components/marketplace`, HACS built into Home
Assistant) reads a repository at a release tag: the git tree, hacs.json, the
integration's manifest.json, and then either the repository's archive
(`zip_release` off) or the release asset hacs.json names (`zip_release` on). Each
rule below is reimplemented from its code in the 2026.11.0 wheel, not copied; the
docstrings name the module and function it mirrors. Module paths are relative to
`homeassistant/components/marketplace/`.

Every rule is a function from a view of the repository to a list of problems.
The tests run each rule on this repository (no problem allowed) and on a broken
copy of it (the rule must find the break), so no rule passes by accident.
"""

from __future__ import annotations

from collections.abc import Callable
import copy
from dataclasses import dataclass, field, replace
from fnmatch import fnmatch
from itertools import pairwise
import json
from pathlib import Path, PurePosixPath
import posixpath
import re
import string
from typing import Any
from urllib.parse import urlsplit
import zipfile

from awesomeversion import (
    AwesomeVersion,
    AwesomeVersionException,
    AwesomeVersionStrategy,
)
import homeassistant.components
import pytest
import yaml

from tests.release_tools import (
    ROOT,
    release,
    run_step,
    step_running,
    tracked_files,
    workflow,
)

FULL_NAME = "parakey-ha/parakey-ha"
# The Home Assistant release whose Marketplace these rules come from
MARKETPLACE_RELEASE = "2026.11.0"

# const.py: MAX_ARCHIVE_MEMBERS, MAX_DOWNLOAD_SIZE
MAX_ARCHIVE_MEMBERS = 50_000
MAX_DOWNLOAD_SIZE = 100 * 1024 * 1024

# utils/validate.py: REPOSITORY_MANIFEST_VALUES, the hacs.json keys it reads
HACS_JSON_TYPES: dict[str, type] = {
    "content_in_root": bool,
    "filename": str,
    "hacs": str,
    "hide_default_branch": bool,
    "homeassistant": str,
    "name": str,
    "persistent_directory": str,
    "zip_release": bool,
}
# utils/validate.py: INTEGRATION_MANIFEST_VALUES, read besides the domain
MANIFEST_TYPES: dict[str, Callable[[Any], bool]] = {
    "codeowners": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    "config_flow": lambda v: isinstance(v, bool),
    "name": lambda v: isinstance(v, str),
}
# utils/validate.py: VALID_DOMAIN, wider than core's (hyphens are allowed)
DOMAIN_CHARACTERS = frozenset(string.ascii_lowercase + string.digits + "_-")
# repositories/integration.py: LOADABLE_VERSION_STRATEGIES
LOADABLE_VERSION_STRATEGIES = [
    AwesomeVersionStrategy.CALVER,
    AwesomeVersionStrategy.SEMVER,
    AwesomeVersionStrategy.SIMPLEVER,
    AwesomeVersionStrategy.BUILDVER,
    AwesomeVersionStrategy.PEP440,
]
# components/brands/const.py: ALLOWED_IMAGES, what /api/brands serves
BRAND_IMAGES = {
    f"{dark}{kind}{size}.png"
    for dark in ("", "dark_")
    for kind in ("icon", "logo")
    for size in ("", "@2x")
}
# repositories/base.py: README_FILENAMES
README_FILENAMES = (
    "README.md",
    "readme.md",
    "readme.MD",
    "README.MD",
    "README",
    "readme",
)
# 0.1.0 and 0.2.0 were never released with parakey.zip
LAST_VERSION_WITHOUT_ZIP = "0.2.0"


@dataclass(frozen=True)
class Repository:
    """What the Marketplace sees of a tag: its tree, some files, the release zip."""

    tree: tuple[str, ...]
    texts: dict[str, str]
    sizes: dict[str, int]
    zip_names: tuple[str, ...]
    zip_texts: dict[str, str]
    zip_sizes: dict[str, int]
    built_in: frozenset[str] = field(default_factory=frozenset)

    def read_json(self, path: str) -> Any:
        return json.loads(self.texts[path])

    @property
    def hacs(self) -> dict[str, Any]:
        return self.read_json("hacs.json")

    @property
    def workflow(self) -> dict[Any, Any]:
        return workflow_from_text(self.texts[".github/workflows/release.yml"])


def workflow_from_text(text: str) -> dict[Any, Any]:
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def tree_entries(files: tuple[str, ...]) -> list[tuple[str, bool]]:
    """(path, is directory) in the order GitHub's recursive tree lists them."""
    entries: dict[str, bool] = {}
    for path in sorted(files):
        parts = path.split("/")
        for depth in range(1, len(parts)):
            entries.setdefault("/".join(parts[:depth]), True)
        entries.setdefault(path, False)
    return list(entries.items())


def first_integration_directory(repo: Repository) -> str | None:
    """utils/filters.py get_first_directory_in_directory(tree, "custom_components")."""
    for path, is_directory in tree_entries(repo.tree):
        if (
            is_directory
            and path.startswith("custom_components")
            and path != "custom_components"
        ):
            return PurePosixPath(path).name
    return None


def manifest_path(repo: Repository) -> str:
    return f"custom_components/{first_integration_directory(repo)}/manifest.json"


def valid_domain(domain: Any) -> bool:
    """utils/validate.py VALID_DOMAIN: lower-case letters, digits, _ and -."""
    return isinstance(domain, str) and bool(domain) and set(domain) <= DOMAIN_CHARACTERS


def usable_ref(ref: str) -> bool:
    """utils/validate.py valid_ref: no path segment starts with a dot, and none of
    ? # % \\ or white space (URLs would cut or collapse them)."""
    if not ref or any(segment.startswith(".") for segment in ref.split("/")):
        return False
    return not any(c in "?#%\\" or c.isspace() for c in ref)


def repository_of(url: str) -> str | None:
    """utils/regex.py extract_repository_from_url: owner/name of a GitHub link."""
    parts = urlsplit(url)
    if parts.hostname != "github.com":
        return None
    path = parts.path.strip("/").split("/")
    if len(path) < 2 or not path[0] or not path[1]:
        return None
    return f"{path[0]}/{path[1].removesuffix('.git')}".lower()


def loadable_version(version: Any) -> bool:
    """repositories/integration.py _is_loadable_version."""
    if not isinstance(version, str):
        return False
    try:
        AwesomeVersion(version, ensure_strategy=LOADABLE_VERSION_STRATEGIES)
    except AwesomeVersionException:
        return False
    return True


def released_versions(repo: Repository) -> list[str]:
    sections = release.changelog_sections(repo.texts["CHANGELOG.md"])
    return [section.name for section in sections if section.released]


# ----- the rules -----


def hacs_json_in_root(repo: Repository) -> list[str]:
    """repositories/base.py Repository.common_validate, async_get_repository_manifest.

    Without hacs.json in the root, validation fails ("repository_manifest_not_in_root")
    and the repository cannot be added or installed; it is read as a JSON object.
    """
    if "hacs.json" not in repo.tree:
        return ["hacs.json is not in the root of the tree"]
    if not isinstance(repo.hacs, dict):
        return ["hacs.json is not a JSON object"]
    return []


def hacs_json_types(repo: Repository) -> list[str]:
    """repositories/base.py RepositoryManifest.from_dict with REPOSITORY_MANIFEST_VALUES.

    A key of the wrong type is dropped with a warning, as if it were not there;
    `homeassistant` must also be a version (utils/validate.py valid_version).
    Keys it does not read are ignored: only `country` (which HACS reads, and
    utils/validate.py V2_COMMON_DATA_JSON_SCHEMA says the Marketplace ignores) may be
    one of them.
    """
    problems = [
        f"hacs.json {key}: {value!r} is not {HACS_JSON_TYPES[key].__name__}"
        for key, value in repo.hacs.items()
        if key in HACS_JSON_TYPES and type(value) is not HACS_JSON_TYPES[key]
    ]
    version = repo.hacs.get("homeassistant")
    if isinstance(version, str) and not AwesomeVersion(version).valid:
        problems.append(f"hacs.json homeassistant {version!r} is not a version")
    unread = set(repo.hacs) - set(HACS_JSON_TYPES) - {"country"}
    problems += [f"hacs.json {key}: neither HACS nor the Marketplace" for key in unread]
    return problems


def installable_on_the_marketplace_release(repo: Repository) -> list[str]:
    """repositories/base.py Repository._check_minimum_version and can_install.

    An install or update is refused when Home Assistant is older than hacs.json's
    `homeassistant`; 2026.11 must not be.
    """
    minimum = repo.hacs.get("homeassistant")
    if minimum is None:
        return []
    if AwesomeVersion(MARKETPLACE_RELEASE) < AwesomeVersion(minimum):
        return [f"Home Assistant {MARKETPLACE_RELEASE} is older than {minimum}"]
    return []


def one_integration_directory(repo: Repository) -> list[str]:
    """repositories/integration.py IntegrationRepository.resolve_content.

    The content is the first directory below custom_components in tree order
    (utils/filters.py get_first_directory_in_directory); none is
    "structure_not_compliant". A second integration would be ignored.
    """
    directories = {
        path.split("/")[1]
        for path, is_directory in tree_entries(repo.tree)
        if is_directory
        and path.count("/") == 1
        and path.startswith("custom_components/")
    }
    first = first_integration_directory(repo)
    if first is None:
        return ["no directory below custom_components"]
    if directories != {first}:
        return [f"directories below custom_components: {sorted(directories)}"]
    if repo.hacs.get("content_in_root"):
        return ["content_in_root would install the repository root"]
    return []


def manifest_in_the_tree(repo: Repository) -> list[str]:
    """repositories/integration.py IntegrationRepository.try_resolve_content,
    async_get_integration_manifest, _async_resolve_catalog_content.

    The integration's manifest.json must be in the tag's tree (a file on disk that
    git does not track is not on GitHub), also with zip_release on, where the
    Marketplace reads the domain from it before downloading the zip.
    """
    path = manifest_path(repo)
    return [] if path in repo.tree else [f"{path} is not in the tree"]


def manifest_domain(repo: Repository) -> list[str]:
    """repositories/integration.py IntegrationRepository._use_integration_manifest,
    _validated_domain (utils/validate.py VALID_DOMAIN).

    A manifest without `domain` fails validation; a domain that is not a slug is
    refused, since it names the directory the install is written to.
    """
    manifest = repo.read_json(manifest_path(repo))
    if "domain" not in manifest:
        return ["manifest.json has no domain"]
    domain = manifest["domain"]
    if not valid_domain(domain):
        return [f"domain {domain!r} is not valid"]
    return []


def domain_is_the_folder(repo: Repository) -> list[str]:
    """repositories/integration.py IntegrationRepository.localpath,
    _check_loadable_manifest.

    The files are written to custom_components/<domain>, and the written
    manifest.json must name that domain; the directory in the repository has the
    same name, so a manual copy lands in the same place.
    """
    domain = repo.read_json(manifest_path(repo)).get("domain")
    folder = first_integration_directory(repo)
    return [] if domain == folder else [f"domain {domain!r} != folder {folder!r}"]


def manifest_values(repo: Repository) -> list[str]:
    """repositories/integration.py _manifest_value (INTEGRATION_MANIFEST_VALUES),
    IntegrationRepository.async_post_installation.

    `codeowners`, `name` and `config_flow` of the wrong type are ignored with a
    warning. `config_flow: true` is what lets a first install be set up without a
    restart.
    """
    manifest = repo.read_json(manifest_path(repo))
    problems = [
        f"manifest.json {key}: {manifest[key]!r} has the wrong type"
        for key, valid in MANIFEST_TYPES.items()
        if key in manifest and not valid(manifest[key])
    ]
    if manifest.get("config_flow") is not True:
        problems.append("config_flow is not true: a first install needs a restart")
    return problems


def installed_manifest_loads(repo: Repository) -> list[str]:
    """repositories/integration.py _check_loadable_manifest
    (IntegrationRepository.async_check_written_content).

    After writing, custom_components/<domain>/manifest.json is read: a JSON object
    naming the same domain, with a version the loader accepts
    (_is_loadable_version), or the install is undone. Checked for both ways the
    files arrive: the repository archive and the release zip (at its root).
    """
    domain = repo.read_json(manifest_path(repo)).get("domain")
    problems: list[str] = []
    for source, text in (
        ("archive", repo.texts[manifest_path(repo)]),
        ("parakey.zip", repo.zip_texts.get("manifest.json")),
    ):
        if text is None:
            problems.append(f"{source}: no manifest.json where it is extracted to")
            continue
        manifest = json.loads(text)
        if not isinstance(manifest, dict) or manifest.get("domain") != domain:
            problems.append(f"{source}: manifest.json is not for {domain}")
        elif not loadable_version(manifest.get("version")):
            problems.append(f"{source}: version {manifest.get('version')!r} loads not")
    return problems


def not_a_built_in_domain(repo: Repository) -> list[str]:
    """repositories/integration.py IntegrationRepository.async_replaces_built_in.

    A domain with a homeassistant/components/<domain>/manifest.json replaces a
    built-in integration and needs the user's extra confirmation.
    """
    domain = repo.read_json(manifest_path(repo)).get("domain")
    return [f"{domain} is built in"] if domain in repo.built_in else []


def archive_within_limits(repo: Repository) -> list[str]:
    """repositories/base.py RepositoryArchive.__init__ and _check_archive_size.

    With zip_release off the whole repository archive of the tag is downloaded:
    at most MAX_ARCHIVE_MEMBERS entries and MAX_DOWNLOAD_SIZE bytes unpacked. The
    release zip has the same limits (Repository.async_download_zip_file).
    """
    problems: list[str] = []
    for source, members, size in (
        ("archive", len(tree_entries(repo.tree)), sum(repo.sizes.values())),
        ("parakey.zip", len(repo.zip_names), sum(repo.zip_sizes.values())),
    ):
        if members > MAX_ARCHIVE_MEMBERS:
            problems.append(f"{source}: {members} members")
        if size > MAX_DOWNLOAD_SIZE:
            problems.append(f"{source}: {size} bytes")
    return problems


def archive_keeps_the_integration(repo: Repository) -> list[str]:
    """repositories/base.py RepositoryArchive.extract_directory,
    Repository._async_resolve_catalog_content.

    GitHub's archive leaves out files marked export-ignore in .gitattributes
    ("Files marked export-ignore are in the tree, but not in the archive"); an
    integration directory with nothing in the archive is "archive_without_content".
    """
    integration = [p for p in repo.tree if p.startswith("custom_components/")]
    problems: list[str] = []
    for attributes in (
        p for p in repo.tree if PurePosixPath(p).name == ".gitattributes"
    ):
        base = str(PurePosixPath(attributes).parent).removeprefix(".")
        for line in repo.texts.get(attributes, "").splitlines():
            pattern, *attrs = line.split() or [""]
            if "export-ignore" not in attrs:
                continue
            pattern = pattern.lstrip("/")
            for path in [*integration, "hacs.json"]:
                relative = path.removeprefix(f"{base}/") if base else path
                parents = [str(p) for p in PurePosixPath(relative).parents][:-1]
                if any(fnmatch(c, pattern) for c in [relative, *parents]):
                    problems.append(f"{attributes}: {line!r} leaves out {path}")
    return problems


def zip_release_settings(repo: Repository) -> list[str]:
    """repositories/base.py Repository.should_try_releases, _async_download_version,
    download_zip_files (utils/url.py github_release_asset).

    With zip_release on and a `filename` ending in .zip, the install downloads
    releases/download/<tag>/<filename> and nothing else: the release workflow must
    attach a file of that name. The rest is this project's rule: zip_release stays
    off until a release carries the zip, since 0.1.0 and 0.2.0 have none.
    """
    if not repo.hacs.get("zip_release"):
        return []
    problems: list[str] = []
    filename = repo.hacs.get("filename")
    if not isinstance(filename, str) or not filename.endswith(".zip"):
        problems.append(f"zip_release with filename {filename!r}")
    _, build = step_running(repo.workflow, "scripts/release.py build")
    if f"/{filename}" not in build["run"]:
        problems.append(f"the release workflow does not build {filename}")
    if repo.hacs.get("content_in_root"):
        problems.append("content_in_root with zip_release")
    newest = released_versions(repo)[:1]
    if not newest or not AwesomeVersion(newest[0]) > LAST_VERSION_WITHOUT_ZIP:
        problems.append("zip_release is on, but no release carries parakey.zip yet")
    return problems


def zip_extracts_into_the_integration(repo: Repository) -> list[str]:
    """repositories/base.py Repository.async_download_zip_file
    (utils/path.py resolve_in_directory).

    The zip is extracted as it is into custom_components/<domain>: manifest.json
    must be at its root, and a member resolving outside that directory stops the
    install.
    """
    target = PurePosixPath("/config/custom_components/parakey")
    problems = [
        f"parakey.zip: {name} is outside the integration"
        for name in repo.zip_names
        if not (
            written := PurePosixPath(posixpath.normpath(target / name))
        ).is_relative_to(target)
        or written == target
    ]
    if "manifest.json" not in repo.zip_names:
        problems.append("parakey.zip: no manifest.json at the root")
    return problems


def tags_are_installable(repo: Repository) -> list[str]:
    """utils/validate.py valid_ref, as Repository.get_releases and async_get_releases
    use it: a release whose tag is not a usable ref is never offered.
    """
    return [
        f"tag v{version} is not a usable ref"
        for version in released_versions(repo)
        if not usable_ref(f"v{version}")
    ]


def tags_compare_as_versions(repo: Repository) -> list[str]:
    """utils/version.py is_newer_version, as Repository.pending_update uses it.

    Tags of an unknown strategy cannot be compared, and any difference then counts
    as an update; newer tags must compare newer.
    """
    tags = [AwesomeVersion(f"v{version}") for version in released_versions(repo)]
    problems = [
        f"tag {tag} has no known version scheme"
        for tag in tags
        if tag.strategy == AwesomeVersionStrategy.UNKNOWN
    ]
    for newer, older in pairwise(tags):
        try:
            if not newer > older:
                problems.append(f"{newer} is not newer than {older}")
        except AwesomeVersionException:
            problems.append(f"{newer} and {older} cannot be compared")
    return problems


def release_notes_fit_the_update(repo: Repository) -> list[str]:
    """update.py RepositoryUpdateEntity.async_release_notes.

    The update's notes are "# <tag>" (plus "  - <name>" when the release's name
    differs) and then the release body, for every release since the installed one.
    The workflow names the release after its tag, and the bodies (CHANGELOG
    sections) keep their headings below that level.
    """
    problems: list[str] = []
    _, publish = step_running(repo.workflow, "gh release create")
    if '--title "$GITHUB_REF_NAME"' not in publish["run"]:
        problems.append("the release is not named after its tag")
    try:
        sections = release.changelog_sections(repo.texts["CHANGELOG.md"])
    except release.ReleaseError as error:
        return [*problems, str(error)]
    problems.extend(
        f"[{section.name}]: {line!r} outranks the tag"
        for section in sections
        for line in section.body.splitlines()
        if re.match(r"#{1,2} ", line)
    )
    return problems


def brand_icon(repo: Repository) -> list[str]:
    """update.py RepositoryUpdateEntity.entity_picture.

    The update entity's picture is /api/brands/integration/<domain>/icon.png, which
    Home Assistant serves from the integration's brand/ directory
    (components/brands `_read_brand_file`, ALLOWED_IMAGES), icon.png being the
    fallback of every other image.
    """
    brand = f"{manifest_path(repo).removesuffix('manifest.json')}brand/"
    names = {p.removeprefix(brand) for p in repo.tree if p.startswith(brand)}
    problems = [] if "icon.png" in names else ["brand/icon.png is missing"]
    problems += [f"brand/{name} is never served" for name in names - BRAND_IMAGES]
    return problems


def detected_as_an_integration_only(repo: Repository) -> list[str]:
    """base.py MarketplaceManager.async_detect_categories ("Add from link"), with
    ThemeRepository.resolve_content, PluginRepository._update_filenames_from_tree and
    TemplateRepository.resolve_content.

    The dialog picks the type itself when the tree holds one kind of content: no
    theme (themes/*.yaml), no dashboard resource (<repository name>.js in the root
    or dist/), no template (hacs.json filename ending in .jinja).
    """
    name = FULL_NAME.split("/")[1]
    scripts = {f"{name.replace('lovelace-', '')}.js", f"{name}.js", f"{name}.umd.js"}
    scripts.add(f"{name}-bundle.js")
    if isinstance(filename := repo.hacs.get("filename"), str):
        scripts = {filename}
    problems = [
        f"{path} looks like a theme"
        for path in repo.tree
        if PurePosixPath(path).parent == PurePosixPath("themes")
        and path.endswith(".yaml")
    ]
    problems += [
        f"{path} looks like a dashboard resource"
        for path in repo.tree
        if path.endswith(".js") and path in scripts | {f"dist/{s}" for s in scripts}
    ]
    if str(repo.hacs.get("filename", "")).endswith(".jinja"):
        problems.append("hacs.json filename looks like a template")
    if first_integration_directory(repo) is None:
        problems.append("no integration found")
    return problems


def readme_for_the_repository_page(repo: Repository) -> list[str]:
    """repositories/base.py Repository.async_get_readme_contents (README_FILENAMES),
    and utils/regex.py extract_repository_from_url for "Add from link".

    The repository page shows the README of the root. The link the README gives
    for "Add from link" must name this repository, as the manifest's links do.
    """
    if not any(name in repo.tree for name in README_FILENAMES):
        return ["no README in the root"]
    manifest = repo.read_json(manifest_path(repo))
    named = {
        repository_of(manifest.get(key, ""))
        for key in ("documentation", "issue_tracker")
    }
    links = re.findall(r"https://github\.com/[\w./-]+", repo.texts["README.md"])
    from_readme = {repository_of(link) for link in links}
    if named != {FULL_NAME}:
        return [f"manifest.json links to {sorted(named)}"]
    if FULL_NAME not in from_readme:
        return [f"the README gives no link to {FULL_NAME}"]
    return []


RULES = [
    hacs_json_in_root,
    hacs_json_types,
    installable_on_the_marketplace_release,
    one_integration_directory,
    manifest_in_the_tree,
    manifest_domain,
    domain_is_the_folder,
    manifest_values,
    installed_manifest_loads,
    not_a_built_in_domain,
    archive_within_limits,
    archive_keeps_the_integration,
    zip_release_settings,
    zip_extracts_into_the_integration,
    tags_are_installable,
    tags_compare_as_versions,
    release_notes_fit_the_update,
    brand_icon,
    detected_as_an_integration_only,
    readme_for_the_repository_page,
]


# ----- this repository -----


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Repository:
    """This checkout as the Marketplace would see its tag, with the release zip
    built by the release workflow's own step."""
    tree = tuple(tracked_files())
    texts = {
        path: (ROOT / path).read_text("utf-8")
        for path in tree
        if path.endswith((".json", ".gitattributes", ".md", ".yml"))
        and not path.startswith(("docs/", "tests/"))
    }
    runner_temp = tmp_path_factory.mktemp("runner")
    _, build = step_running(workflow(), "scripts/release.py build")
    result = run_step(build, tag="v0.0.0", runner_temp=runner_temp)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(runner_temp / "parakey.zip") as archive:
        infos = archive.infolist()
        zip_texts = {"manifest.json": archive.read("manifest.json").decode()}
    components = Path(homeassistant.components.__file__).parent
    return Repository(
        tree=tree,
        texts=texts,
        sizes={path: (ROOT / path).stat().st_size for path in tree},
        zip_names=tuple(info.filename for info in infos),
        zip_texts=zip_texts,
        zip_sizes={info.filename: info.file_size for info in infos},
        built_in=frozenset(
            path.parent.name for path in components.glob("*/manifest.json")
        ),
    )


def test_hacs_json_in_root(repo: Repository) -> None:
    """repositories/base.py Repository.common_validate: hacs.json in the root."""
    assert hacs_json_in_root(repo) == []


def test_hacs_json_types(repo: Repository) -> None:
    """repositories/base.py RepositoryManifest.from_dict: hacs.json keys and types."""
    assert hacs_json_types(repo) == []


def test_installable_on_home_assistant_2026_11(repo: Repository) -> None:
    """repositories/base.py Repository._check_minimum_version: hacs.json homeassistant."""
    assert installable_on_the_marketplace_release(repo) == []


def test_one_integration_directory(repo: Repository) -> None:
    """repositories/integration.py IntegrationRepository.resolve_content."""
    assert one_integration_directory(repo) == []


def test_manifest_in_the_tree(repo: Repository) -> None:
    """repositories/integration.py IntegrationRepository.try_resolve_content."""
    assert manifest_in_the_tree(repo) == []


def test_manifest_domain(repo: Repository) -> None:
    """repositories/integration.py _validated_domain."""
    assert manifest_domain(repo) == []


def test_domain_is_the_folder(repo: Repository) -> None:
    """repositories/integration.py IntegrationRepository.localpath."""
    assert domain_is_the_folder(repo) == []


def test_manifest_values(repo: Repository) -> None:
    """repositories/integration.py _manifest_value, async_post_installation."""
    assert manifest_values(repo) == []


def test_installed_manifest_loads(repo: Repository) -> None:
    """repositories/integration.py _check_loadable_manifest."""
    assert installed_manifest_loads(repo) == []


def test_manifest_version_parses_with_awesomeversion(repo: Repository) -> None:
    """repositories/integration.py _is_loadable_version: the version loads with
    AwesomeVersion; this project's versions are SemVer, so tags compare as versions."""
    version = repo.read_json(manifest_path(repo))["version"]
    assert loadable_version(version)
    assert AwesomeVersion(version).strategy == AwesomeVersionStrategy.SEMVER


def test_not_a_built_in_domain(repo: Repository) -> None:
    """repositories/integration.py IntegrationRepository.async_replaces_built_in."""
    assert repo.built_in, "no built-in integration found: the rule would see nothing"
    assert not_a_built_in_domain(repo) == []


def test_archive_within_limits(repo: Repository) -> None:
    """repositories/base.py _check_archive_size."""
    assert archive_within_limits(repo) == []


def test_archive_keeps_the_integration(repo: Repository) -> None:
    """repositories/base.py RepositoryArchive.extract_directory."""
    assert archive_keeps_the_integration(repo) == []


def test_zip_release_settings(repo: Repository) -> None:
    """repositories/base.py Repository.should_try_releases, download_zip_files."""
    assert zip_release_settings(repo) == []


def test_zip_extracts_into_the_integration(repo: Repository) -> None:
    """repositories/base.py Repository.async_download_zip_file."""
    assert zip_extracts_into_the_integration(repo) == []


def test_tags_are_installable(repo: Repository) -> None:
    """utils/validate.py valid_ref."""
    assert tags_are_installable(repo) == []


def test_tags_compare_as_versions(repo: Repository) -> None:
    """utils/version.py is_newer_version."""
    assert tags_compare_as_versions(repo) == []


def test_release_notes_fit_the_update(repo: Repository) -> None:
    """update.py RepositoryUpdateEntity.async_release_notes."""
    assert release_notes_fit_the_update(repo) == []


def test_brand_icon(repo: Repository) -> None:
    """update.py RepositoryUpdateEntity.entity_picture."""
    assert brand_icon(repo) == []


def test_detected_as_an_integration_only(repo: Repository) -> None:
    """base.py MarketplaceManager.async_detect_categories."""
    assert detected_as_an_integration_only(repo) == []


def test_readme_for_the_repository_page(repo: Repository) -> None:
    """repositories/base.py Repository.async_get_readme_contents."""
    assert readme_for_the_repository_page(repo) == []


def test_every_rule_is_tested_against_a_break() -> None:
    assert {rule.__name__ for rule in RULES} == BREAKS_BY_RULE


# ----- each rule finds a break -----


def with_json(repo: Repository, path: str, **changes: Any) -> Repository:
    data = copy.deepcopy(repo.read_json(path))
    for key, value in changes.items():
        if value is ...:
            data.pop(key, None)
        else:
            data[key] = value
    return replace(repo, texts={**repo.texts, path: json.dumps(data)})


def with_hacs(repo: Repository, **changes: Any) -> Repository:
    return with_json(repo, "hacs.json", **changes)


def with_manifest(repo: Repository, **changes: Any) -> Repository:
    return with_json(repo, "custom_components/parakey/manifest.json", **changes)


def with_tree(repo: Repository, *added: str, drop: str = "\0") -> Repository:
    tree = tuple(p for p in repo.tree if not p.startswith(drop)) + added
    return replace(repo, tree=tree, sizes={**repo.sizes, **dict.fromkeys(added, 1)})


def with_text(repo: Repository, path: str, text: str) -> Repository:
    return replace(repo, tree=(*repo.tree, path), texts={**repo.texts, path: text})


def with_changelog_version(repo: Repository, version: str) -> Repository:
    changelog = repo.texts["CHANGELOG.md"].replace(
        "## [Unreleased]", f"## [Unreleased]\n\n## [{version}] - 2099-01-01\n\n- x", 1
    )
    return replace(repo, texts={**repo.texts, "CHANGELOG.md": changelog})


def with_releases_up_to(repo: Repository, version: str) -> Repository:
    """The CHANGELOG as it was when ``version`` was the newest release."""
    changelog = repo.texts["CHANGELOG.md"]
    for section in release.changelog_sections(changelog):
        if section.released and AwesomeVersion(section.name) > version:
            changelog = changelog.replace(
                f"## [{section.name}] - {section.date}", "## [draft]", 1
            )
    return replace(repo, texts={**repo.texts, "CHANGELOG.md": changelog})


MANIFEST = "custom_components/parakey/manifest.json"

BREAKS: list[
    tuple[Callable[[Repository], list[str]], str, Callable[..., Repository]]
] = [
    (hacs_json_in_root, "no hacs.json", lambda r: with_tree(r, drop="hacs.json")),
    (
        hacs_json_in_root,
        "hacs.json in a folder",
        lambda r: with_tree(r, "docs/hacs.json", drop="hacs.json"),
    ),
    (
        hacs_json_types,
        "zip_release as text",
        lambda r: with_hacs(r, zip_release="true"),
    ),
    (hacs_json_types, "bad minimum", lambda r: with_hacs(r, homeassistant="soon")),
    (hacs_json_types, "unknown key", lambda r: with_hacs(r, domains=["parakey"])),
    (
        installable_on_the_marketplace_release,
        "needs 2027.1",
        lambda r: with_hacs(r, homeassistant="2027.1.0"),
    ),
    (
        one_integration_directory,
        "a second integration",
        lambda r: with_tree(r, "custom_components/aaa/manifest.json"),
    ),
    (
        one_integration_directory,
        "no integration",
        lambda r: with_tree(r, drop="custom_components/"),
    ),
    (
        one_integration_directory,
        "content_in_root",
        lambda r: with_hacs(r, content_in_root=True),
    ),
    (
        manifest_in_the_tree,
        "manifest not tracked",
        lambda r: with_tree(r, drop=MANIFEST),
    ),
    (manifest_domain, "no domain", lambda r: with_manifest(r, domain=...)),
    (
        manifest_domain,
        "domain with a dot",
        lambda r: with_manifest(r, domain="para.key"),
    ),
    (
        domain_is_the_folder,
        "other domain",
        lambda r: with_manifest(r, domain="parakey2"),
    ),
    (
        manifest_values,
        "config_flow as text",
        lambda r: with_manifest(r, config_flow="yes"),
    ),
    (manifest_values, "no config_flow", lambda r: with_manifest(r, config_flow=...)),
    (
        manifest_values,
        "codeowners as text",
        lambda r: with_manifest(r, codeowners="@x"),
    ),
    (installed_manifest_loads, "no version", lambda r: with_manifest(r, version=...)),
    (
        installed_manifest_loads,
        "version 'latest'",
        lambda r: with_manifest(r, version="latest"),
    ),
    (
        installed_manifest_loads,
        "zip without manifest",
        lambda r: replace(r, zip_texts={}),
    ),
    (
        installed_manifest_loads,
        "zip of another domain",
        lambda r: replace(
            r,
            zip_texts={
                "manifest.json": json.dumps({"domain": "x", "version": "1.0.0"})
            },
        ),
    ),
    (
        not_a_built_in_domain,
        "domain of a built-in",
        lambda r: replace(r, built_in=frozenset({"parakey"})),
    ),
    (
        archive_within_limits,
        "too many files",
        lambda r: with_tree(r, *(f"data/{i}" for i in range(MAX_ARCHIVE_MEMBERS))),
    ),
    (
        archive_within_limits,
        "too large",
        lambda r: replace(r, sizes={**r.sizes, "README.md": MAX_DOWNLOAD_SIZE + 1}),
    ),
    (
        archive_within_limits,
        "zip too large",
        lambda r: replace(r, zip_sizes={"a": MAX_DOWNLOAD_SIZE + 1}),
    ),
    (
        archive_keeps_the_integration,
        "export-ignore custom_components",
        lambda r: with_text(r, ".gitattributes", "custom_components export-ignore\n"),
    ),
    (
        archive_keeps_the_integration,
        "export-ignore a file type",
        lambda r: with_text(r, ".gitattributes", "*.py export-ignore\n"),
    ),
    (
        zip_release_settings,
        "zip_release without filename",
        lambda r: with_changelog_version(with_hacs(r, zip_release=True), "9.0.0"),
    ),
    (
        zip_release_settings,
        "zip_release with another filename",
        lambda r: with_changelog_version(
            with_hacs(r, zip_release=True, filename="other.zip"), "9.0.0"
        ),
    ),
    (
        zip_release_settings,
        "zip_release before a release has the zip",
        lambda r: with_releases_up_to(
            with_hacs(r, zip_release=True, filename="parakey.zip"),
            LAST_VERSION_WITHOUT_ZIP,
        ),
    ),
    (
        zip_extracts_into_the_integration,
        "member outside",
        lambda r: replace(r, zip_names=(*r.zip_names, "../evil.py")),
    ),
    (
        zip_extracts_into_the_integration,
        "files under a folder",
        lambda r: replace(
            r, zip_names=tuple(f"custom_components/parakey/{n}" for n in r.zip_names)
        ),
    ),
    (
        tags_are_installable,
        "version with a space",
        lambda r: with_changelog_version(r, "9.0.0 beta"),
    ),
    (
        tags_compare_as_versions,
        "version going back",
        lambda r: with_changelog_version(r, "0.0.1"),
    ),
    (
        tags_compare_as_versions,
        "version without a scheme",
        lambda r: with_changelog_version(r, "next"),
    ),
    (
        release_notes_fit_the_update,
        "a top heading in the notes",
        lambda r: replace(
            r,
            texts={
                **r.texts,
                "CHANGELOG.md": r.texts["CHANGELOG.md"].replace(
                    "### Added", "# Added", 1
                ),
            },
        ),
    ),
    (
        release_notes_fit_the_update,
        "release named otherwise",
        lambda r: replace(
            r,
            texts={
                **r.texts,
                ".github/workflows/release.yml": r.texts[
                    ".github/workflows/release.yml"
                ].replace(
                    '--title "$GITHUB_REF_NAME"', '--title "Parakey $GITHUB_REF_NAME"'
                ),
            },
        ),
    ),
    (
        brand_icon,
        "no icon.png",
        lambda r: with_tree(r, drop="custom_components/parakey/brand/icon.png"),
    ),
    (
        brand_icon,
        "a misnamed image",
        lambda r: with_tree(r, "custom_components/parakey/brand/icon_256.png"),
    ),
    (
        detected_as_an_integration_only,
        "a theme",
        lambda r: with_tree(r, "themes/x.yaml"),
    ),
    (
        detected_as_an_integration_only,
        "a card",
        lambda r: with_tree(r, "dist/parakey-ha.js"),
    ),
    (
        detected_as_an_integration_only,
        "a template",
        lambda r: with_hacs(r, filename="parakey.jinja"),
    ),
    (
        readme_for_the_repository_page,
        "no README",
        lambda r: with_tree(r, drop="README.md"),
    ),
    (
        readme_for_the_repository_page,
        "README links elsewhere",
        lambda r: replace(
            r,
            texts={
                **r.texts,
                "README.md": r.texts["README.md"].replace(FULL_NAME, "someone/else"),
            },
        ),
    ),
]
BREAKS_BY_RULE = {rule.__name__ for rule, _, _ in BREAKS}


@pytest.mark.parametrize(
    ("rule", "breakage"),
    [(rule, breakage) for rule, _, breakage in BREAKS],
    ids=[f"{rule.__name__}: {name}" for rule, name, _ in BREAKS],
)
def test_each_rule_finds_a_break(
    repo: Repository,
    rule: Callable[[Repository], list[str]],
    breakage: Callable[[Repository], Repository],
) -> None:
    assert rule(repo) == []
    assert rule(breakage(repo)), "the rule does not see the break"


def test_the_reimplemented_readers_agree_with_the_marketplace_on_examples() -> None:
    """utils/validate.py VALID_DOMAIN and valid_ref, utils/regex.py
    extract_repository_from_url, repositories/integration.py _is_loadable_version:
    examples worked through their code in the 2026.11.0 wheel."""
    assert valid_domain("parakey")
    assert valid_domain("my-lock_2")
    assert not valid_domain("Parakey")
    assert not valid_domain("para.key")
    assert not valid_domain("")
    assert usable_ref("v0.2.0")
    assert usable_ref("release/v1")
    for ref in ("", ".hidden", "a/.b", "v1 0", "v1?x", "v1#x", "v1%20", "a\\b"):
        assert not usable_ref(ref), ref
    for url in (
        "https://github.com/Parakey-HA/parakey-ha",
        "https://github.com/parakey-ha/parakey-ha.git",
        "https://github.com/parakey-ha/parakey-ha/issues",
        "https://github.com/parakey-ha/parakey-ha/releases/tag/v0.2.0",
    ):
        assert repository_of(url) == FULL_NAME, url
    assert repository_of("https://gitlab.com/parakey-ha/parakey-ha") is None
    for version in ("0.2.0", "2026.11.0", "1.0.0b1", "1.0"):
        assert loadable_version(version), version
    for version in ("latest", "", None, 1.0, "next"):
        assert not loadable_version(version), version
