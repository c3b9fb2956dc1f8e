"""Messages a first day meets: template errors with file and line, did-you-mean for
settings, plain words for types, hints for a missing or empty content folder, a busy
port found before building, and Ctrl-C exiting 130 in every command."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.serve import DevServer


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def story_template(body: str) -> None:
    """templates/story.html: the built-in frame with `body` as its main block."""
    Path("templates").mkdir(exist_ok=True)
    Path("templates/story.html").write_text(
        '{% extends "base.html" %}\n{% block main %}\n<h1>Story</h1>\n'
        + body
        + "\n{% endblock %}\n",
        encoding="utf-8",
    )


def test_template_syntax_error_names_file_and_line(runner: CliRunner, seed_content: Path) -> None:
    story_template("<p>\n{{ story.title( }}\n</p>")  # line 5
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 1
    assert "template error in templates/story.html, line 5:" in result.output
    assert "Traceback" not in result.output
    assert not Path("site").exists()


def test_template_runtime_error_names_file_and_line(runner: CliRunner, seed_content: Path) -> None:
    story_template("<p>{{ story.title }}</p>\n<p>{{ headline }}</p>")  # line 5
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 1
    assert "template error in templates/story.html, line 5: 'headline' is undefined" in (
        result.output
    )
    story_template("\n\n{{ 1 // 0 }}")  # line 6: an expression's own error
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 1
    assert "templates/story.html, line 6: ZeroDivisionError" in result.output
    story_template('{% include "missing.html" %}')
    result = runner.invoke(main, ["build"])
    assert "templates/story.html, line 4: template 'missing.html' not found" in result.output


def test_error_in_a_built_in_template_called_from_the_user_one(
    runner: CliRunner, seed_content: Path
) -> None:
    # the user's base.html breaks; the page template is a built-in one
    Path("templates").mkdir()
    Path("templates/base.html").write_text("<html>\n{{ nothing.here }}\n</html>\n", "utf-8")
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 1
    assert "template error in templates/base.html, line 2: 'nothing' is undefined" in (
        result.output
    )


def test_unknown_setting_suggests_the_closest_name(runner: CliRunner, seed_content: Path) -> None:
    Path("digest.toml").write_text(
        'titel = "News"\nzzz = 1\n[[sections]]\nname = "Sport"\nwrods = ["match"]\n'
        'tags = ["sport"]\n[[sources]]\nurl = "https://example.org/feed"\nnmae = "Example"\n',
        "utf-8",
    )
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 1
    assert "unknown setting 'titel' (did you mean 'title'?)" in result.output
    assert "unknown setting 'zzz';" in result.output, "no suggestion when nothing is close"
    assert "sections[1]: unknown key 'wrods' (did you mean 'words'?)" in result.output
    assert "sources[1]: unknown key 'nmae' (did you mean 'name'?)" in result.output


def test_environment_typo_suggests_the_variable(runner: CliRunner, seed_content: Path) -> None:
    result = runner.invoke(main, ["build"], env={"DIGEST_TITEL": "News"})
    assert result.exit_code == 1
    assert "unknown setting DIGEST_TITEL (did you mean DIGEST_TITLE?)" in result.output
    # variables of other tools that share the prefix are left alone
    result = runner.invoke(main, ["build"], env={"DIGEST_REQUIREMENT": "x", "DIGEST_EVAL_DIR": "y"})
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("line", "fault"),
    [
        ('story_threshold = "high"', "'story_threshold' must be a number, not text ('high')"),
        ("title = 3", "'title' must be text, not a whole number (3)"),
        ('search = "no"', "'search' must be true or false, not text ('no')"),
        ("max_topics = 2.5", "'max_topics' must be a whole number, not a decimal number (2.5)"),
        ("lead_sentences = [1, 2]", "'lead_sentences' must be a whole number, not a list"),
    ],
)
def test_type_errors_in_plain_words(
    runner: CliRunner, seed_content: Path, line: str, fault: str
) -> None:
    Path("digest.toml").write_text(line + "\n", "utf-8")
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 1
    assert fault in result.output
    for word in ("float", "str", "bool", "int"):
        assert f"be {word}" not in result.output


def test_no_content_folder_suggests_init(runner: CliRunner) -> None:
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 1
    assert (
        "content folder 'content' not found — run `digest init` to start a digest here"
        in result.output
    )
    # with a config file, the hint is about the setting instead
    Path("digest.toml").write_text('content = "news"\n', "utf-8")
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 1
    assert "content folder 'news' not found — create it, or set 'content' in" in result.output


def test_empty_content_folder_gives_a_hint(runner: CliRunner) -> None:
    Path("content").mkdir()
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    assert "Hint: content has no articles" in result.output
    assert ".md" in result.output and "digest fetch" in result.output


def test_missing_config_file_names_file_and_folder(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["build", "--config", "conf/site.toml"])
    assert result.exit_code == 1
    assert f"config file 'site.toml' not found in {tmp_path / 'conf'}" in result.output


def test_busy_port_fails_before_building(runner: CliRunner, seed_content: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(main, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.output
    assert "--port" in result.output and "Built" not in result.output
    assert not Path("site").exists(), "the build never ran"


def test_changed_files_are_named_relative_and_escaped(tmp_path: Path) -> None:
    server = DevServer(tmp_path / "digest.toml")
    server.cwd = tmp_path
    changes = [(1, str(tmp_path / "content" / "a\x1b[2Jb.md")), (2, str(tmp_path / "x.md"))]
    assert server._changed_names(changes, config=False) == "content/a\\u001b[2Jb.md, x.md"
    assert server._changed_names([], config=True) == "digest.toml"
    many = [(1, str(tmp_path / f"{n}.md")) for n in range(8)]
    assert server._changed_names(many, config=False).endswith("4.md and 3 more")


def _interrupt(*args: Any, **kwargs: Any) -> Any:
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("command", "target"),
    [
        (["build"], "digest.cli.build_site"),
        (["deploy"], "digest.deploy.check_target"),
        (["init", "new"], "digest.scaffold.init_digest"),
        (["serve", "--port", "0"], "digest.serve.DevServer"),
    ],
)
def test_ctrl_c_exits_130_without_aborted(
    runner: CliRunner,
    seed_content: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    target: str,
) -> None:
    monkeypatch.setattr(target, _interrupt)  # where the command finds it when it runs
    result = runner.invoke(main, command)
    assert result.exit_code == 130
    assert "Interrupted." in result.output
    assert "Aborted!" not in result.output and "Traceback" not in result.output


def test_ctrl_c_in_fetch_exits_130(
    runner: CliRunner, seed_content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import digest.fetch

    monkeypatch.setattr(digest.fetch, "fetch_sources", _interrupt)
    result = runner.invoke(main, ["fetch", "https://example.org/feed"])
    assert result.exit_code == 130
    assert "Interrupted." in result.output and "Aborted!" not in result.output


def test_ctrl_c_during_a_parallel_build_is_one_clean_line(tmp_path: Path) -> None:
    """A real SIGINT to the whole process group (what a terminal's Ctrl-C sends) while
    worker processes analyse: exit 130 with "Interrupted.", and no worker prints a
    KeyboardInterrupt traceback of its own."""
    import os
    import signal
    import subprocess
    import sys
    import time

    content = tmp_path / "content"
    content.mkdir()
    words = "harbour council budget storm rail vote court school market bridge".split()
    for n in range(400):
        body = " ".join(
            f"The {words[(n + i) % 10]} report number {n}-{i} was read by officials."
            for i in range(40)
        )
        (content / f"a{n:03d}.md").write_text(f"# Report {n}\n\n{body}\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "digest", "build", "--no-cache", "-j", "2"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            ps = subprocess.run(
                ["ps", "-o", "pid=", "-g", str(proc.pid)], capture_output=True, text=True
            )
            if len(ps.stdout.split()) >= 4:  # the build, the fork server and 2 workers
                break
            time.sleep(0.1)
        assert proc.poll() is None, "the build ended before its workers were seen"
        time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGINT)
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130
    text = err.decode("utf-8", "replace")
    assert "Interrupted." in text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text
