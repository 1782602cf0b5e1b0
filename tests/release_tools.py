"""What tests/test_release.py and tests/test_marketplace.py share.

`scripts/release.py` is loaded from its file (scripts/ is not a package), and the
release workflow's steps are run as GitHub Actions would run them: through bash,
with GITHUB_REF_NAME and RUNNER_TEMP set, `python` being this venv's.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
import shutil
import subprocess
import sys
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "parakey"
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
SCRIPT = ROOT / "scripts" / "release.py"
# Without git (a copy of the repository): what .gitignore keeps out of it
_NOT_IN_GIT = {
    ".git", ".venv", "__pycache__", ".hypothesis", ".pytest_cache", ".mypy_cache",
    ".ruff_cache", "dist",
}  # fmt: skip


def _load_release_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("parakey_release", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


release = _load_release_script()


def tracked_files(root: Path = ROOT) -> list[str]:
    """The repository's files as GitHub has them: tracked by git, else on disk."""
    git = shutil.which("git")
    if git and (root / ".git").exists():
        result = subprocess.run(
            [git, "ls-files", "-z"], cwd=root, capture_output=True, check=True
        )
        return sorted(
            name
            for name in result.stdout.decode().split("\0")
            if name and (root / name).is_file()
        )
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and not _NOT_IN_GIT & set(path.relative_to(root).parts)
    )


def workflow(path: Path = WORKFLOW) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def triggers(data: dict[Any, Any]) -> dict[str, Any]:
    """The `on:` block; YAML 1.1 reads the bare key `on` as True."""
    block = data.get("on", data.get(True))
    assert isinstance(block, dict), "the workflow has no on: block"
    return block


def steps(data: dict[Any, Any]) -> list[dict[str, Any]]:
    jobs = list(data["jobs"].values())
    assert len(jobs) == 1, "one job makes the release"
    return list(jobs[0]["steps"])


def step_running(data: dict[Any, Any], text: str) -> tuple[int, dict[str, Any]]:
    """The index and step whose `run` contains `text`; exactly one must."""
    found = [
        (index, step)
        for index, step in enumerate(steps(data))
        if text in step.get("run", "")
    ]
    assert len(found) == 1, f"{len(found)} steps run {text!r}, expected 1"
    return found[0]


def run_step(
    step: dict[str, Any], *, tag: str, runner_temp: Path
) -> subprocess.CompletedProcess[str]:
    """Run a step's script from the repository root, as the runner would."""
    bash = shutil.which("bash")
    assert bash is not None
    env = {
        **os.environ,
        "GITHUB_REF_NAME": tag,
        "RUNNER_TEMP": str(runner_temp),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    return subprocess.run(
        [bash, "-eo", "pipefail", "-c", step["run"]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
