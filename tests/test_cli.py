"""The command line: exit codes, messages, no tracebacks on user errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def test_build_defaults_to_content_and_site(runner: CliRunner, seed_content: Path) -> None:
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    assert "Built 1 story from 4 articles" in result.output
    assert (Path("site") / "index.html").is_file()


def test_build_with_options(runner: CliRunner, seed_content: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    result = runner.invoke(main, ["build", "--content", str(seed_content), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "digest.json").read_text("utf-8"))["stories"]


def test_missing_content_folder_is_one_line_error(runner: CliRunner) -> None:
    result = runner.invoke(main, ["build", "--content", "nowhere"])
    assert result.exit_code != 0
    assert "content folder 'nowhere' not found" in result.output
    assert "run `digest init` to start a digest here" in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_bad_config_lists_every_fault(runner: CliRunner, seed_content: Path) -> None:
    Path("digest.toml").write_text(
        'story_threshold = "high"\ncolour = "blue"\nsummary_min_words = 0\n', encoding="utf-8"
    )
    result = runner.invoke(main, ["build"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "unknown setting 'colour'" in result.output
    assert "'story_threshold' must be a number, not text ('high')" in result.output


def test_unreadable_toml_is_reported(runner: CliRunner, seed_content: Path) -> None:
    Path("broken.toml").write_text("title = [", encoding="utf-8")
    result = runner.invoke(main, ["build", "--config", "broken.toml"])
    assert result.exit_code != 0
    assert "cannot read config" in result.output and "Traceback" not in result.output


def test_config_file_sets_title(runner: CliRunner, seed_content: Path) -> None:
    Path("digest.toml").write_text('title = "Wagner watch"\n', encoding="utf-8")
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    assert "<title>Wagner watch</title>" in (Path("site") / "index.html").read_text("utf-8")


def test_problems_are_reported_but_not_fatal(runner: CliRunner, seed_content: Path) -> None:
    (seed_content / "empty.md").write_text("", encoding="utf-8")
    (seed_content / "notes.docx").write_bytes(b"PK\x03\x04")
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    assert "2 problem(s)" in result.output
    assert "empty.md: empty file" in result.output
    assert "notes.docx: unknown file type" in result.output


def test_strict_fails_on_problems_and_writes_nothing(runner: CliRunner, seed_content: Path) -> None:
    (seed_content / "empty.md").write_text("   \n", encoding="utf-8")
    result = runner.invoke(main, ["build", "--strict"])
    assert result.exit_code == 1
    assert "empty.md" in result.output
    assert not Path("site").exists()


def test_strict_passes_on_clean_content(runner: CliRunner, seed_content: Path) -> None:
    result = runner.invoke(main, ["build", "--strict"])
    assert result.exit_code == 0, result.output


def test_refuses_to_overwrite_a_foreign_folder(runner: CliRunner, seed_content: Path) -> None:
    Path("docs").mkdir()
    Path("docs/thesis.tex").write_text("precious", encoding="utf-8")
    result = runner.invoke(main, ["build", "--output", "docs"])
    assert result.exit_code != 0
    assert "not made by digest" in result.output
    assert Path("docs/thesis.tex").read_text("utf-8") == "precious"


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and "digest" in result.output
