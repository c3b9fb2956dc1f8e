"""The GitHub Pages workflows: this repository's and the one `digest init` writes
pass the GitHub workflow schema and do what the README says they do."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from digest.scaffold import REPOSITORY_EXTRA_PATHS, pages_workflow, scaffold_files
from tests.conftest import REPO

REPO_WORKFLOW = REPO / ".github" / "workflows" / "pages.yml"


def init_workflow(tmp_path: Path) -> Path:
    path = tmp_path / "init-pages.yml"
    path.write_text(scaffold_files("digest==1.0")[".github/workflows/pages.yml"], "utf-8")
    return path


def test_repository_workflow_is_the_generated_one(update_golden: bool) -> None:
    """Refresh with `pytest tests/test_workflows.py --update-golden`."""
    expected = pages_workflow(None, REPOSITORY_EXTRA_PATHS)
    if update_golden:
        REPO_WORKFLOW.write_text(expected, "utf-8")
    assert REPO_WORKFLOW.read_text("utf-8") == expected


def test_workflows_pass_the_github_workflow_schema(tmp_path: Path) -> None:
    if importlib.util.find_spec("check_jsonschema") is None:
        message = "check-jsonschema is not installed (it is in the test extra)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    files = [REPO_WORKFLOW, init_workflow(tmp_path)]
    command = [sys.executable, "-m", "check_jsonschema"]
    done = subprocess.run(
        [*command, "--builtin-schema", "vendor.github-workflows", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # the check can fail: a job without runs-on is refused
    broken = tmp_path / "broken.yml"
    broken.write_text(files[1].read_text("utf-8").replace("runs-on:", "runs_on:"), "utf-8")
    done = subprocess.run(
        [*command, "--builtin-schema", "vendor.github-workflows", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text("utf-8"))
    assert isinstance(data, dict)
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


@pytest.mark.parametrize("which", ["repository", "init"])
def test_workflow_builds_caches_and_deploys(which: str, tmp_path: Path) -> None:
    flow = load(REPO_WORKFLOW if which == "repository" else init_workflow(tmp_path))
    push = flow["on"]["push"]
    for path in ("content/**", "templates/**", "digest.toml"):
        assert path in push["paths"]
    assert flow["on"]["schedule"][0]["cron"]
    assert "workflow_dispatch" in flow["on"]
    assert flow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    steps = flow["jobs"]["build"]["steps"]
    uses = {step.get("uses", "").split("@")[0]: step for step in steps}
    assert uses["actions/cache"]["with"]["path"] == ".digest-cache"
    assert "restore-keys" in uses["actions/cache"]["with"]
    assert uses["actions/upload-pages-artifact"]["with"]["path"] == "site"
    builds = [step for step in steps if "digest build" in step.get("run", "")]
    assert builds and "DIGEST_BASE_URL" in builds[0]["env"]
    names = [step.get("uses", step.get("name")) for step in steps]
    assert names.index(uses["actions/cache"]["uses"]) < names.index(builds[0]["name"])
    deploy = flow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["steps"][-1]["uses"].startswith("actions/deploy-pages@")
    install = next(step for step in steps if step.get("name") == "Install digest")
    if which == "repository":
        assert install["run"] == "python -m pip install ."
        assert "digest/**" in push["paths"]
    else:
        assert install["env"]["DIGEST_REQUIREMENT"] == "digest==1.0"
