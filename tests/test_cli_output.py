"""What `digest build` prints: --quiet, --verbose with stage timings and cache use,
and a progress bar only on a terminal with many files to analyse."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import PROGRESS_MIN_FILES, ProgressBar, main


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "digest.toml").write_text("search = false\n", "utf-8")
    return CliRunner()


def test_default_summary_counts_cache_use(runner: CliRunner, seed_content: Path) -> None:
    first = runner.invoke(main, ["build"])
    assert first.exit_code == 0, first.output
    assert "0 of 4 files from the cache" in first.output
    second = runner.invoke(main, ["build"])
    assert "Nothing changed since the last build" in second.output
    assert "is up to date (1 story from 4 articles" in second.output
    # a new setting: a full build again, its articles from the cache
    Path("digest.toml").write_text('search = false\ntitle = "Another title"\n', "utf-8")
    third = runner.invoke(main, ["build"])
    assert "4 of 4 files from the cache" in third.output
    assert "Stages:" not in third.output


def test_verbose_shows_stage_timings_and_cache(runner: CliRunner, seed_content: Path) -> None:
    (seed_content / "empty.md").write_text("", "utf-8")
    result = runner.invoke(main, ["build", "--verbose"])
    assert result.exit_code == 0, result.output
    stages = next(line for line in result.output.splitlines() if line.startswith("Stages:"))
    for stage in ("load", "analyse", "group", "render", "search", "write"):
        assert f"{stage} " in stages
    assert "Cache: 0 hit(s), 5 miss(es)" in result.output
    assert "empty.md: empty file" in result.output


def test_quiet_prints_only_problems(runner: CliRunner, seed_content: Path) -> None:
    result = runner.invoke(main, ["build", "--quiet"])
    assert result.exit_code == 0 and result.output == ""
    (seed_content / "empty.md").write_text("", "utf-8")
    result = runner.invoke(main, ["build", "-q"])
    assert result.exit_code == 0
    assert result.output.splitlines() == ["1 problem(s):", "  empty.md: empty file"]


def test_no_cache_flag(runner: CliRunner, seed_content: Path, tmp_path: Path) -> None:
    result = runner.invoke(main, ["build", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / ".digest-cache").exists()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal_with_many_files() -> None:
    screen = Terminal()
    with ProgressBar(stream=screen) as progress:
        for done in range(1, PROGRESS_MIN_FILES + 1):
            progress(done, PROGRESS_MIN_FILES)
    assert "Analysing articles" in screen.getvalue()
    assert f"{PROGRESS_MIN_FILES}/{PROGRESS_MIN_FILES}" in screen.getvalue()

    few = Terminal()
    with ProgressBar(stream=few) as progress:
        for done in range(1, 4):
            progress(done, 3)
    assert few.getvalue() == ""

    pipe = io.StringIO()  # not a terminal: CI logs stay clean
    with ProgressBar(stream=pipe) as progress:
        for done in range(1, 101):
            progress(done, 100)
    assert pipe.getvalue() == ""

    quiet = Terminal()
    with ProgressBar(enabled=False, stream=quiet) as progress:
        progress(1, 100)
    assert quiet.getvalue() == ""


def test_file_names_cannot_drive_the_terminal(runner: CliRunner, seed_content: Path) -> None:
    """A content file's name is the content's: its escape sequences and direction
    overrides are printed as escapes, in the report and in --strict's error."""
    name = "evil\u202etxt\x1b[2J.md"
    (seed_content / name).write_text("", "utf-8")
    for args in (["build"], ["build", "--strict"]):
        result = runner.invoke(main, args)
        assert "\x1b" not in result.output and "\u202e" not in result.output
        assert "evil\\u202etxt\\u001b[2J.md: empty file" in result.output
