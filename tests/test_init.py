"""`digest init`: a scaffold that builds, a config file that documents every
setting, and no file ever overwritten."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from digest.cli import main
from digest.config import Config, load_config
from digest.scaffold import (
    EXAMPLES,
    PLACEHOLDER_REQUIREMENT,
    config_template,
    init_digest,
    pages_workflow,
    scaffold_files,
)

FILES = [
    ".github/workflows/pages.yml",
    ".gitignore",
    "content/welcome.md",
    "digest.toml",
    "templates/README.md",
]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def written(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_init_scaffold_builds(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["init", "news"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "news"
    assert written(folder) == FILES
    assert "cd news && digest serve" in result.output
    os.chdir(folder)
    result = runner.invoke(main, ["build", "--strict"])
    assert result.exit_code == 0, result.output
    assert "Built 1 story from 1 article" in result.output
    assert (folder / "site" / "index.html").is_file()
    assert (folder / ".digest-cache").is_dir()
    ignored = (folder / ".gitignore").read_text("utf-8").split()
    assert "/site/" in ignored and "/.digest-cache/" in ignored


def test_init_in_the_current_folder(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    assert written(tmp_path) == FILES


def test_init_refuses_to_overwrite_and_names_the_files(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "welcome.md").write_text("mine", "utf-8")
    (tmp_path / ".gitignore").write_text("mine too", "utf-8")
    result = runner.invoke(main, ["init"])
    assert result.exit_code == 1
    assert ".gitignore, content/welcome.md" in result.output
    assert "Traceback" not in result.output
    assert written(tmp_path) == [".gitignore", "content/welcome.md"], "nothing else written"
    assert (tmp_path / ".gitignore").read_text("utf-8") == "mine too"


def test_config_template_documents_every_setting_with_its_default() -> None:
    text = config_template()
    assert tomllib.loads(text) == {}, "every setting is commented out"
    plain, _example = text.split("# [[sections]]\n")
    settings = "\n".join(
        line[2:] for line in plain.splitlines() if line.startswith("# ") and " = " in line
    )
    values = tomllib.loads(settings)
    fields = [f for f in dataclasses.fields(Config) if f.name not in ("sections", "sources")]
    assert list(values) == [f.name for f in fields]
    for f in fields:
        expected = EXAMPLES[f.name] if f.default is None else f.default
        assert values[f.name] == expected, f.name
        first_words = " ".join(f.metadata["doc"].split()[:4])
        assert first_words in " ".join(text.replace("# ", " ").split()), f.name


def test_uncommented_config_template_is_valid(tmp_path: Path) -> None:
    text = "\n".join(
        line[2:] if line.startswith("# ") and (" = " in line or line.startswith("# [[")) else line
        for line in config_template().splitlines()
    )
    path = tmp_path / "digest.toml"
    path.write_text(text, "utf-8")
    config, _ = load_config(path, environ={})
    assert dataclasses.replace(config, base_url=None, sections=(), sources=()) == Config()
    (section,) = config.sections  # the commented example section, now in force
    assert section.name == "Sport" and "football" in section.words and section.tags
    (source,) = config.sources  # and the example source
    assert source.url.startswith("https://") and source.name and source.section and source.lang


def test_workflow_installs_the_given_requirement(tmp_path: Path) -> None:
    files = scaffold_files("digest @ git+https://example.org/digest@abc123")
    assert (
        'DIGEST_REQUIREMENT: "digest @ git+https://example.org/digest@abc123"'
        in files[".github/workflows/pages.yml"]
    )
    assert PLACEHOLDER_REQUIREMENT in scaffold_files(None)[".github/workflows/pages.yml"]
    init_digest(tmp_path, None)
    assert written(tmp_path) == FILES


def test_templates_readme_lists_the_builtin_templates() -> None:
    text = scaffold_files(None)["templates/README.md"]
    for name in ("base.html", "story.html", "assets/style.css"):
        assert f"- `{name}`" in text
    assert '{% extends "base.html" %}' in text
    assert "`static/`" in text and "templates/assets/" in text


def test_workflow_fetches_into_and_commits_the_content_folder(tmp_path: Path) -> None:
    init_digest(tmp_path, "digest==1.0")
    config, base = load_config(tmp_path / "digest.toml", environ={})
    folder = (base / config.content).relative_to(tmp_path).as_posix()
    assert (tmp_path / folder / "welcome.md").is_file()
    text = (tmp_path / ".github" / "workflows" / "pages.yml").read_text("utf-8")
    flow = yaml.safe_load(text)
    assert flow["jobs"]["fetch"]["env"]["CONTENT"] == folder
    assert f"{folder}/**" in flow[True]["push"]["paths"]  # YAML 1.1 reads `on` as true
    # another folder is named everywhere the workflow names one
    other = yaml.safe_load(pages_workflow("digest==1.0", content="news articles"))
    assert other["jobs"]["fetch"]["env"]["CONTENT"] == "news articles"
    assert "news articles/**" in other[True]["push"]["paths"]
    assert not any(p.startswith("content") for p in other[True]["push"]["paths"])
