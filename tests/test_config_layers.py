"""Settings from four layers (defaults < digest.toml < DIGEST_* environment < flags),
all faults at once, the time zone, and a README reference that lists every setting."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.config import Config, environment_overrides, load_config
from digest.models import DigestError
from digest.render import nice_date
from digest.scaffold import reference_table
from tests.conftest import REPO, Builder

README = REPO / "README.md"
START, END = "<!-- settings:start -->\n", "<!-- settings:end -->\n"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_environment_values_are_parsed_by_type(folder: Path) -> None:
    values, errors = environment_overrides(
        {
            "DIGEST_TITLE": " Spaced title ",
            "DIGEST_BASE_URL": "https://example.org/news",
            "DIGEST_KEYWORDS_PER_ARTICLE": " 7 ",
            "DIGEST_STORY_THRESHOLD": "0.3",
            "DIGEST_SEARCH": "off",
            "DIGEST_OUTPUT": "public",
            "DIGEST_UNRELATED": "ignored",
            "HOME": "/root",
        }
    )
    assert errors == []
    assert values == {
        "title": " Spaced title ",
        "base_url": "https://example.org/news",
        "keywords_per_article": 7,
        "story_threshold": 0.3,
        "search": False,
        "output": str(folder / "public"),
    }


def test_environment_faults_are_reported_with_the_file_faults(folder: Path) -> None:
    (folder / "digest.toml").write_text('colour = "blue"\nlead_sentences = "3"\n', "utf-8")
    env = {
        "DIGEST_SEARCH": "maybe",
        "DIGEST_MAX_TOPICS": "1.5",
        "DIGEST_STORY_THRESHOLD": "nan",
    }
    with pytest.raises(DigestError) as caught:
        load_config(None, environ=env)
    message = str(caught.value)
    for fault in (
        "unknown setting 'colour'",
        "'lead_sentences' must be a whole number, not text ('3')",
        "DIGEST_SEARCH must be true or false, not 'maybe'",
        "DIGEST_MAX_TOPICS must be a whole number",
        "DIGEST_STORY_THRESHOLD must be a number",
    ):
        assert fault in message
    assert "digest.toml, environment" in message


def test_precedence_flag_over_environment_over_file_over_default(folder: Path) -> None:
    (folder / "digest.toml").write_text(
        'title = "From file"\ndescription = "File description"\n'
        'base_url = "https://file.example/"\nlead_sentences = 2\n',
        "utf-8",
    )
    env = {"DIGEST_TITLE": "From environment", "DIGEST_BASE_URL": "https://env.example/"}
    config, base = load_config(None, environ=env, base_url="https://flag.example/")
    assert base == folder
    assert config.base_url == "https://flag.example/"  # flag beats environment
    assert config.title == "From environment"  # environment beats file
    assert config.description == "File description"  # file beats default
    assert config.lead_sentences == 2
    assert config.summary_max_words == Config().summary_max_words  # default
    config, _ = load_config(None, environ={"DIGEST_BASE_URL": ""})
    assert config.base_url is None, "an empty variable unsets an optional setting"
    config, _ = load_config(None, environ={})
    assert config.title == "From file"


def test_range_checks_apply_to_the_merged_settings(folder: Path) -> None:
    with pytest.raises(DigestError, match="summary_min_words"):
        load_config(None, environ={"DIGEST_SUMMARY_MIN_WORDS": "500"})
    with pytest.raises(DigestError, match="option 'lead_sentences' must be a whole number"):
        load_config(None, environ={}, lead_sentences="three")


def test_cli_reads_the_environment(folder: Path, seed_content: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["build", "--base-url", "https://flag.example/"],
        env={"DIGEST_TITLE": "Env title", "DIGEST_BASE_URL": "https://env.example/"},
    )
    assert result.exit_code == 0, result.output
    index = (folder / "site" / "index.html").read_text("utf-8")
    assert "<title>Env title</title>" in index
    assert "https://flag.example/" in index and "env.example" not in index
    result = runner.invoke(main, ["build"], env={"DIGEST_ARCHIVE_THRESHOLD": "-1"})
    assert result.exit_code == 1 and "archive_threshold" in result.output
    assert "Traceback" not in result.output


def test_timezone_is_validated_and_used_for_times_of_day(folder: Path) -> None:
    for bad in ("Mars/Olympus", "../../etc/passwd", "", "Europe/"):
        with pytest.raises(DigestError, match="'timezone' must be an IANA time zone"):
            load_config(None, environ={"DIGEST_TIMEZONE": bad})
    config, _ = load_config(None, environ={"DIGEST_TIMEZONE": "Europe/Moscow"})
    assert config.timezone == "Europe/Moscow"
    assert nice_date("2023-06-24T07:22:00Z") == "24 Jun 2023, 07:22 UTC"
    assert nice_date("2023-06-24T07:22:00Z", "Europe/Moscow") == "24 Jun 2023, 10:22 MSK"
    assert nice_date("2023-06-24T22:30:00Z", "Asia/Tokyo") == "25 Jun 2023, 07:30 JST"
    assert nice_date("2023-06-24", "Asia/Tokyo") == "24 Jun 2023", "a date alone stays put"
    assert nice_date("2023-06-24T07:22:00", "Asia/Tokyo") == "24 Jun 2023, 07:22"


def test_timezone_changes_shown_times_only(build_site: Builder, tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.md").write_text(
        "---\ntitle: Late news\ndate: 2024-01-14T23:30:00Z\n---\nSomething happened late.\n",
        "utf-8",
    )
    _, _, site = build_site(content, timezone="Asia/Tokyo")
    page = (site / "articles" / "a.html").read_text("utf-8")
    assert "15 Jan 2024, 08:30 JST" in page
    assert 'datetime="2024-01-14T23:30:00Z"' in page


def readme_section() -> str:
    text = README.read_text("utf-8")
    assert START in text and END in text, "README lacks the settings markers"
    return text.split(START, 1)[1].split(END, 1)[0]


def test_readme_lists_every_setting(update_golden: bool) -> None:
    """The README's settings table is generated from the Config field docs
    (refresh with `pytest tests/test_config_layers.py --update-golden`)."""
    table = reference_table()
    if update_golden:
        text = README.read_text("utf-8")
        head, rest = text.split(START, 1)
        README.write_text(head + START + table + END + rest.split(END, 1)[1], "utf-8")
    assert readme_section() == table
    listed = re.findall(r"^\| `(\w+)` \| `DIGEST_(\w+)`", readme_section(), re.M)
    # sections and sources are tables, set only in digest.toml: no environment variable
    names = [f.name for f in dataclasses.fields(Config) if f.name not in ("sections", "sources")]
    assert [name for name, _ in listed] == names
    assert "| `sections` | — | tables |" in readme_section()
    assert "| `sources` | — | tables |" in readme_section()
    assert all(env == name.upper() for name, env in listed)
