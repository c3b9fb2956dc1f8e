"""The search index in shards: every indexed page in exactly one shard, the
shards listed for the search page, and a shard whose pages did not change taken
from the current site rather than indexed again — with the same bytes a fresh
build gives. (That the browser merges the shards is in test_browser.py.)"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from digest import search
from digest.config import Config
from digest.models import BuildReport
from digest.pipeline import build
from digest.state import STATE_FILE
from tests.site_fixture import write_fixture
from tests.test_golden import tree

NEW_STORY = """---
title: Ferry strike ends after two days
date: 2024-01-16
source: Harbour News
section: World
story: ferry
---
The ferry strike ended on Tuesday after two days, the operator said. Ferries to the
islands will run to the usual timetable from Wednesday.
"""


@pytest.fixture(autouse=True)
def small_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "SHARD_PAGES", 2)


def run(project: Path, output: str = "site") -> BuildReport:
    return build(Config(content="content", output=output), project)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_fixture(tmp_path / "content")
    return tmp_path


def shard_inodes(site: Path) -> dict[str, dict[str, int]]:
    return {
        folder.name: {
            f.relative_to(folder).as_posix(): f.stat().st_ino
            for f in folder.rglob("*")
            if f.is_file()
        }
        for folder in sorted(site.glob("pagefind*"))
    }


def indexed_pages(site: Path) -> list[str]:
    return sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if search.MARKER in p.read_bytes()
        and not p.relative_to(site).parts[0].startswith("pagefind")
    )


def test_every_indexed_page_is_in_one_listed_shard(project: Path) -> None:
    run(project)
    site = project / "site"
    pages = indexed_pages(site)
    folders = search.shard_folders(len(pages))
    assert len(folders) >= 4
    listed = json.loads((site / "pagefind" / search.SHARDS_FILE).read_text("utf-8"))["shards"]
    present = sorted(p.name for p in site.glob("pagefind*") if p.is_dir())
    assert present == sorted(["pagefind", *listed])
    counted = 0
    for name in present:
        entry = json.loads((site / name / "pagefind-entry.json").read_text("utf-8"))
        counted += sum(lang["page_count"] for lang in entry["languages"].values())
        expected = [p for p in pages if folders[search.shard_of(p, len(folders))] == name]
        assert expected, f"{name} indexes nothing"
    assert counted == len(pages)


def test_unchanged_shards_are_reused_and_equal_a_fresh_index(project: Path) -> None:
    run(project)
    site = project / "site"
    before = shard_inodes(site)
    (project / ".digest-cache" / STATE_FILE).unlink()  # a full build of the same pages
    report = run(project)
    assert not report.up_to_date
    assert shard_inodes(site) == before, "every shard was taken from the current site"

    (project / "content" / "ferry.md").write_text(NEW_STORY, "utf-8")
    run(project)
    after = shard_inodes(site)
    kept = [name for name in after if after[name] == before.get(name)]
    redone = [name for name in after if after[name] != before.get(name)]
    assert kept and redone

    shutil.rmtree(project / ".digest-cache")
    run(project, output="fresh")
    assert tree(site) == tree(project / "fresh")


def test_a_small_digest_has_one_index(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "SHARD_PAGES", 2000)
    run(project)
    site = project / "site"
    assert [p.name for p in site.glob("pagefind*")] == ["pagefind"]
    listing = json.loads((site / "pagefind" / search.SHARDS_FILE).read_text("utf-8"))
    assert listing == {"shards": []}
