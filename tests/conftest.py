"""Shared fixtures: the sample digest, the evaluation data, one-call builds."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from digest.config import Config
from digest.models import BuildReport
from digest.pipeline import build

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "content"
# DIGEST_EVAL_DIR names it when it is not beside the repository (a git worktree)
EVAL = Path(os.environ.get("DIGEST_EVAL_DIR") or REPO.parent / "shared" / "eval")


# The longest modules (a minute or more each on 2 cores), started first when the
# suite runs on several workers (tests/run.sh): started last, one of them would
# leave the other workers idle at the end.
LONGEST_MODULES = (
    "test_quality_gate.py",
    "test_hostile.py",
    "test_publish.py",
    "test_install.py",
    "test_incremental.py",
    "test_fast_paths.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def first(item: pytest.Item) -> int:
        name = item.path.name
        return LONGEST_MODULES.index(name) if name in LONGEST_MODULES else len(LONGEST_MODULES)

    items.sort(key=first)  # stable: the order inside a module is kept


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the expected files of golden-file tests from the current output",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def require_eval(name: str) -> Path:
    """Path of an evaluation file; skip outside CI when it is absent, fail in CI."""
    path = EVAL / name
    if not path.is_file():
        message = f"evaluation data {path} not found (it lives in ../shared/eval beside the repo)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def parse_html(path: Path) -> Any:
    """An HTML file -> its lxml tree (typed Any: lxml's XPath results are unions)."""
    return lxml.html.fromstring(path.read_bytes())


def build_project(project: Path, *, strict: bool = False, **settings: Any) -> BuildReport:
    """Build `project`/content into `project`/site (search off) -> the report."""
    config = Config(content="content", output="site", search=False, **settings)
    return build(config, project, strict=strict)


def wait_for(condition: Callable[[], bool], seconds: float = 15.0) -> bool:
    """Poll `condition` until it holds or `seconds` pass -> whether it held."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


Builder = Callable[..., tuple[BuildReport, dict[str, Any], Path]]


@pytest.fixture
def build_site(tmp_path: Path) -> Builder:
    """Build a content folder into tmp_path/site -> (report, digest.json, site folder)."""

    def run(content: Path, **settings: Any) -> tuple[BuildReport, dict[str, Any], Path]:
        config = Config(content=str(content), output=str(tmp_path / "site"), **settings)
        report = build(config, tmp_path)
        site = tmp_path / "site"
        data = json.loads((site / "digest.json").read_text(encoding="utf-8"))
        return report, data, site

    return run


@pytest.fixture
def seed_content(tmp_path: Path) -> Path:
    """A copy of the sample digest's content folder."""
    target = tmp_path / "content"
    shutil.copytree(SEEDS, target)
    return target
