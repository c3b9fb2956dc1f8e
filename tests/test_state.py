"""The no-op rebuild: a build whose inputs all hash as the last build's, with the
output folder as that build left it, stops after reading the content and leaves
the site alone; any change to an input or to the output means a full build."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

import digest.pipeline
import digest.render
import digest.state
from digest.models import BuildReport, DigestError
from digest.state import STATE_FILE
from tests.conftest import REPO, SEEDS, build_project
from tests.test_golden import tree


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(SEEDS, tmp_path / "content")
    return tmp_path


def inodes(site: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(site).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def no_analysis(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every stage that runs after the content is read."""
    ran: list[str] = []

    def spy(module: object, name: str) -> object:
        real = getattr(module, name)

        def wrapper(*args: object, **kwargs: object) -> object:
            ran.append(name)
            return real(*args, **kwargs)

        return wrapper

    for name in ("analyse_files", "assemble_site", "write_site"):
        monkeypatch.setattr(digest.pipeline, name, spy(digest.pipeline, name))
    # imported by the build where it renders
    monkeypatch.setattr(digest.render, "render_pages", spy(digest.render, "render_pages"))
    return ran


def test_a_second_build_with_nothing_changed_does_nothing(
    project: Path, no_analysis: list[str]
) -> None:
    first = build_project(project)
    assert not first.up_to_date and first.files_written > 0
    before = inodes(project / "site")
    no_analysis.clear()

    second = build_project(project)
    assert second.up_to_date
    assert no_analysis == [], "no stage after reading the content may run"
    assert inodes(project / "site") == before
    assert (second.articles, second.stories) == (first.articles, first.stories)
    assert second.files_unchanged == len(before) and second.files_written == 0
    assert second.problems == first.problems
    assert [name for name, _ in second.timings] == ["load", "check"]


def test_what_the_no_op_build_keeps_is_what_a_full_build_writes(project: Path) -> None:
    (project / "content" / "empty.md").write_text("", "utf-8")  # a problem to carry over
    build_project(project)
    again = build_project(project)
    assert again.up_to_date
    kept = tree(project / "site")
    shutil.rmtree(project / ".digest-cache")
    fresh = build_project(project)
    assert not fresh.up_to_date
    assert tree(project / "site") == kept
    assert again.problems == fresh.problems and any(p.path == "empty.md" for p in fresh.problems)


@pytest.mark.parametrize(
    "change",
    [
        "edit an article",
        "add an article",
        "delete an article",
        "rename an article",
        "add a hidden file",
        "change a setting",
        "override a template",
        "edit a page in the site",
        "delete a page in the site",
        "add a file to the site",
        "damage the state file",
        "leave a killed build's staging folder",
        "change a stage of digest's code",
    ],
)
def test_any_change_means_a_full_build(
    project: Path, change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_project(project)
    content, site = project / "content", project / "site"
    article = sorted(content.glob("*.txt"))[0]
    settings: dict[str, Any] = {}
    if change == "edit an article":
        article.write_bytes(article.read_bytes() + b"\nOne more line about Rostov.\n")
    elif change == "add an article":
        (content / "new.md").write_text("---\ntitle: A new one\n---\nWagner news.\n", "utf-8")
    elif change == "delete an article":
        article.unlink()
    elif change == "rename an article":
        article.rename(content / ("renamed-" + article.name))
    elif change == "add a hidden file":
        (content / ".DS_Store").write_bytes(b"\0\1")
    elif change == "change a setting":
        settings["title"] = "Another title"
    elif change == "override a template":
        (project / "templates").mkdir()
        base = (REPO / "templates" / "base.html").read_text("utf-8")
        assert "built with digest" in base
        (project / "templates" / "base.html").write_text(
            base.replace("built with digest", "built by us"), "utf-8"
        )
    elif change == "edit a page in the site":
        page = site / "index.html"
        mtime = page.stat().st_mtime_ns
        page.write_bytes(page.read_bytes().replace(b"<title>", b"<title>X"))
        os.utime(page, ns=(mtime, mtime))  # its old time restored: the size tells
    elif change == "delete a page in the site":
        next(site.glob("articles/*.html")).unlink()
    elif change == "add a file to the site":
        (site / "stray.html").write_text("<p>stray</p>", "utf-8")
    elif change == "damage the state file":
        (project / ".digest-cache" / STATE_FILE).write_text("{", "utf-8")
    elif change == "leave a killed build's staging folder":
        (project / ".site.new-0123456789ab").mkdir()
    elif change == "change a stage of digest's code":
        # a module no article analysis runs (so not in the per-article
        # fingerprint), edited in a checkout whose version stays the same
        code = project / "code"
        shutil.copytree(digest.state.PACKAGE, code, ignore=shutil.ignore_patterns("__pycache__"))
        stories = code / "stories.py"
        stories.write_text(stories.read_text("utf-8") + "\n# edited\n", "utf-8")
        monkeypatch.setattr(digest.state, "PACKAGE", code)
        monkeypatch.setattr(digest.state.code_hash, "__defaults__", (code,))
    report = build_project(project, **settings)
    assert not report.up_to_date
    assert report.files_written + report.files_unchanged > 0
    if change == "override a template":
        assert "built by us" in (site / "404.html").read_text("utf-8")
    assert not (project / ".site.new-0123456789ab").exists()
    if change in ("edit a page in the site", "delete a page in the site", "add a file to the site"):
        # the full build puts the site back as it should be; a file digest did
        # not write is kept and reported (digest.static), on the no-op build too
        again = build_project(project)
        assert again.up_to_date
        stray = change == "add a file to the site"
        assert (site / "stray.html").exists() == stray
        assert any(p.path == "site/stray.html" for p in again.problems) == stray
        assert b"<title>X" not in (site / "index.html").read_bytes()


def test_without_the_cache_every_build_is_full(project: Path) -> None:
    build_project(project, cache="")
    assert not build_project(project, cache="").up_to_date
    assert not (project / ".digest-cache").exists()


def test_strict_still_fails_when_nothing_changed(project: Path) -> None:
    (project / "content" / "empty.md").write_text("", "utf-8")
    build_project(project)
    with pytest.raises(DigestError, match=r"empty\.md"):
        build_project(project, strict=True)


def test_date_in_the_future_is_asked_of_the_clock_on_every_build(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A "date in the future" note depends on the clock, the one input not hashed:
    neither the per-article cache nor the no-op build may keep it once untrue."""
    from digest import dates

    (project / "content" / "later.md").write_text(
        "---\ntitle: Ferry timetable\ndate: 2030-05-01\n---\nFerries run to the islands.\n",
        "utf-8",
    )

    def at(year: int) -> None:
        monkeypatch.setattr(dates, "clock", lambda: dt.datetime(year, 1, 1, tzinfo=dt.UTC))

    def future(report: BuildReport) -> list[str]:
        return [p.path for p in report.problems if "in the future" in p.reason]

    at(2025)
    assert future(build_project(project)) == ["later.md"]
    at(2040)
    again = build_project(project)
    assert again.up_to_date and future(again) == []
    (project / ".digest-cache" / STATE_FILE).unlink()
    cached = build_project(project)  # a full build, every article from the cache
    assert not cached.up_to_date and cached.cache_misses == 0 and future(cached) == []
    at(2025)
    back = build_project(project)
    assert back.up_to_date and future(back) == ["later.md"]
    with pytest.raises(DigestError, match="in the future"):
        build_project(project, strict=True)
