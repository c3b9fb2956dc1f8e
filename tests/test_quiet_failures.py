"""Third-party noise becomes problems naming the file: a Rust panic inside
yake-rust, dateutil's time-zone warnings (also from htmldate inside
trafilatura), any library's warnings or log records during the analysis. The
article keeps its keywords; nothing but digest's report reaches the terminal.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from digest.analyse import analyse_file
from digest.config import Config
from digest.dates import parse_date
from digest.load import SourceFile
from digest.models import Article, Problem
from digest.noise import MAX_NOTES, FileNote, noted
from tests.conftest import REPO

BODY = (
    "Dock workers at the Port of Rotterdam ended their strike on Tuesday after the "
    "union accepted a new offer. The Port of Rotterdam said ships would be unloaded "
    "again from Wednesday. The union said the offer from the Port of Rotterdam met "
    "its demands on pay, and the harbour master thanked the dock workers."
)


def analysed(name: str, text: str) -> Article:
    result = analyse_file(SourceFile(name, text.encode("utf-8")), name, Config())
    assert isinstance(result, Article), result
    return result


def reasons(article: Article) -> list[str]:
    return [p.reason for p in article.problems]


def real_panic() -> None:
    """Raise pyo3's PanicException from real Rust code (its hook's text silenced)."""
    import yake_rust

    from digest.keywords import _stderr_silenced

    with _stderr_silenced():
        yake_rust.Yake(language="zz", ngrams=3)  # a language it lacks: unwrap on None


# ------------------------------------------------------------------ dates


def test_an_unknown_time_zone_is_a_note_not_a_warning_on_stderr(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert parse_date("March 5 2024 10:00 XYZT") == "2024-03-05T10:00:00"
        assert parse_date("March 5 2024 10:00 +0100") == "2024-03-05T09:00:00Z"
        assert parse_date("Tue, 05 Mar 2024 10:00:00 GMT") == "2024-03-05T10:00:00Z"
    assert [(w.category, "XYZT" in str(w.message)) for w in caught] == [(FileNote, True)]
    article = analysed("zone.md", f"---\ndate: March 5 2024 10:00 XYZT\n---\n\n{BODY}\n")
    assert article.meta.date == "2024-03-05T10:00:00"
    assert any("time zone 'XYZT' not understood" in r for r in reasons(article))
    assert all(p.path == "zone.md" for p in article.problems)
    _, err = capfd.readouterr()
    assert err == ""


def test_a_zone_name_that_is_the_machines_own_reads_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # dateutil takes a name found in time.tzname for the machine's local time:
    # the same article would give another date on another machine
    monkeypatch.setattr(time, "tzname", ("XYZT", "XYZS"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert parse_date("March 5 2024 10:00 XYZT") == "2024-03-05T10:00:00"


def test_a_zone_htmldate_cannot_read_is_said_once(capfd: pytest.CaptureFixture[str]) -> None:
    page = (
        '<html><head><title>Harbour strike ends</title><meta name="date" '
        'content="2024-03-05T10:00:00 PST"></head><body><article>'
        f"<p>{BODY}</p></article></body></html>"
    )
    article = analysed("page.html", page)
    zone = [r for r in reasons(article) if "time zone" in r]
    assert zone == ["time zone 'PST' not understood; the time is kept as written, without a zone"]
    assert "UnknownTimezoneWarning" not in capfd.readouterr().err


# ------------------------------------------------------------------ libraries


def test_library_warnings_and_log_records_become_problems(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    import digest.analyse
    from digest.extract import extract_article as real

    def noisy(*args: object, **kwargs: object) -> Article:
        warnings.warn("a deprecated call", DeprecationWarning, stacklevel=1)  # about code
        warnings.warn("values overflowed", RuntimeWarning, stacklevel=1)
        logging.getLogger("somelib").warning("could not parse %s", "the thing")
        logging.getLogger("somelib").info("nobody needs this")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(digest.analyse, "extract_article", noisy)
    article = analysed("noisy.md", BODY + "\n")
    assert article.keywords
    assert reasons(article) == [
        "a library warned: RuntimeWarning: values overflowed",
        "a library logged (somelib): could not parse the thing",
    ]
    _, err = capfd.readouterr()
    assert err == ""
    assert not any(isinstance(h, logging.Handler) and "Recorder" in type(h).__name__
                   for h in logging.getLogger().handlers)  # fmt: skip


def test_many_warnings_are_a_few_lines() -> None:
    with noted("many.md") as notes:
        for n in range(1000):
            warnings.warn(f"warning number {n}", UserWarning, stacklevel=1)
        for _ in range(3):
            warnings.warn("the same again", UserWarning, stacklevel=1)
    assert len(notes) == MAX_NOTES + 1
    assert notes[-1] == Problem("many.md", f"and {1001 - MAX_NOTES} more warnings")


def test_a_panic_anywhere_in_the_analysis_costs_that_file_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import digest.analyse

    def panics(*args: object, **kwargs: object) -> Article:
        real_panic()
        raise AssertionError("unreachable")

    monkeypatch.setattr(digest.analyse, "extract_article", panics)
    result = analyse_file(SourceFile("p.md", BODY.encode()), "p", Config())
    assert isinstance(result, Problem) and result.path == "p.md"
    assert "PanicException" in result.reason and "unwrap" in result.reason


def test_a_panic_inside_yake_keeps_the_keywords_and_says_why(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    import digest.keywords

    class Panicking:
        def get_n_best(self, text: str, n: int) -> list[tuple[str, float]]:
            import yake_rust

            yake_rust.Yake(language="zz", ngrams=3)  # real Rust code, real panic hook
            return []

    monkeypatch.setattr(digest.keywords, "_yake_extractor", lambda *a: Panicking())
    article = analysed("yake.md", BODY + "\n")
    assert article.keywords  # counted without YAKE
    (reason,) = reasons(article)
    assert reason.startswith("keyword extraction (YAKE) failed (PanicException: ")
    assert "unwrap" in reason and reason.endswith("keywords counted without it")
    _, err = capfd.readouterr()
    assert err == ""  # the panic hook's text went nowhere


def test_a_language_digest_does_not_know_is_named(capfd: pytest.CaptureFixture[str]) -> None:
    article = analysed("eng.md", f"---\nlang: eng\n---\n\n{BODY}\n")
    assert article.keywords
    assert any("language 'eng' is not one digest knows" in r for r in reasons(article))
    assert analysed("en.md", f"---\nlang: en\n---\n\n{BODY}\n").problems == ()
    assert capfd.readouterr().err == ""


# ------------------------------------------------------------------ the CLI

PANIC_ON_MARKER = """\
# Makes yake-rust panic for real (a Rust panic, its hook printing to stderr) on
# any text holding the marker: loaded by every interpreter of this test's build,
# the worker processes' too.
import yake_rust

_Real = yake_rust.Yake


class _PanicOnMarker:
    def __init__(self, real):
        self.real = real

    def get_n_best(self, text, n):
        if "zebrapanic" in text:
            _Real(language="zz", ngrams=3)
        return self.real.get_n_best(text, n=n)


def _yake(**kwargs):
    return _PanicOnMarker(_Real(**kwargs))


yake_rust.Yake = _yake
"""

HOSTILE_FILES = {
    "unknown-lang.md": f"---\ntitle: Harbour strike ends\nlang: xx\n---\n\n{BODY}\n",
    "eng.md": f"---\ntitle: Strike over in Rotterdam\nlang: eng\n---\n\n{BODY}\n",
    "zone.md": f"---\ntitle: Port reopens\ndate: 2024-03-05 10:00 XYZT\n---\n\n{BODY}\n",
    "header.txt": f"date March 5 2024 10:00 QQQT\nPort news\n\n{BODY}\n",
    "broken.html": (
        '<html lang="qq"><head><title>Broken <b>page</title><meta name="date" '
        'content="2024-03-05T10:00:00 PST"></head><body><p>Unclosed <div><table><tr>'
        f"<td>{BODY}<p>{BODY}<script>x</script></body"
    ),
    "panic.md": f"---\ntitle: Zebra news\n---\n\n{BODY} The zebrapanic word.\n",
    "nothing.md": "---\ntitle: [\n---\n",
}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_hostile_build_prints_only_digests_report(tmp_path: Path, jobs: str) -> None:
    content = tmp_path / "content"
    content.mkdir()
    for name, text in HOSTILE_FILES.items():
        (content / name).write_text(text, "utf-8")
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(PANIC_ON_MARKER, "utf-8")
    path = [str(inject), str(REPO), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}
    env.pop("PYTHONWARNINGS", None)
    result = subprocess.run(
        [sys.executable, "-m", "digest", "build", "--no-cache", "-j", jobs],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Built "), result.stdout
    lines = result.stderr.splitlines()
    # the report and nothing else: its count, then one "  file: reason" line each
    assert re.fullmatch(r"\d+ problem\(s\):", lines[0]), result.stderr
    names = "|".join(re.escape(n) for n in HOSTILE_FILES)
    for line in lines[1:]:
        assert re.match(rf"  ({names}): \S", line), line
    assert int(lines[0].split()[0]) == len(lines) - 1
    report = "\n".join(lines)
    assert "unknown-lang.md: language 'xx' is not one digest knows" in report
    assert "eng.md: language 'eng' is not one digest knows" in report
    assert "zone.md: time zone 'XYZT' not understood" in report
    assert "header.txt: time zone 'QQQT' not understood" in report
    assert "broken.html: time zone 'PST' not understood" in report
    assert "panic.md: keyword extraction (YAKE) failed (PanicException: " in report
    data = json.loads((tmp_path / "site" / "digest.json").read_text("utf-8"))
    keywords = {a["path"]: a["keywords"] for a in data["articles"]}
    assert keywords["panic.md"] and keywords["unknown-lang.md"]  # kept, by counting
