"""Same input, same bytes: builds in separate processes under different hash seeds,
working folders, file creation orders, locales and time zones give identical
site trees, and no code puts the clock into the output."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, SEEDS
from tests.site_fixture import ARTICLES
from tests.test_golden import tree

EXTRA = {
    "notes/café-mañana.md": "---\ntitle: Café opens\ndate: 2024-01-12\n---\n"
    "A café opened in the square on Friday morning.\n",
}


def content_files() -> dict[str, bytes]:
    files = {p.name: p.read_bytes() for p in sorted(SEEDS.iterdir())}
    files.update({name: text.encode("utf-8") for name, text in ARTICLES.items()})
    files.update({name: text.encode("utf-8") for name, text in EXTRA.items()})
    return files


def write_in_order(folder: Path, files: dict[str, bytes], order: list[str]) -> None:
    for name in order:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[name])


def test_builds_are_byte_identical_whatever_the_environment(tmp_path: Path) -> None:
    files = content_files()
    names = sorted(files)
    shuffled = names[:]
    random.Random(7).shuffle(shuffled)
    runs = [
        # (hash seed, locale variables, time zone, creation order, working folder)
        ("0", {"LC_ALL": "C"}, "UTC", names, "a"),
        ("1", {"LC_ALL": "C.UTF-8"}, "Asia/Tokyo", names[::-1], "b/deeper/still"),
        ("4242", {"LANG": "POSIX"}, "America/St_Johns", shuffled, "c"),
    ]
    base_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LC_", "DIGEST_")) and k not in ("LANG", "TZ", "PYTHONHASHSEED")
    }
    procs = []
    for seed, locale_env, zone, order, cwd in runs:  # the three run side by side
        work = tmp_path / cwd
        content = work / "articles"
        content.mkdir(parents=True)
        write_in_order(content, files, order)
        env = {**base_env, **locale_env, "PYTHONHASHSEED": seed, "TZ": zone}
        command = ["build", "--content", "articles", "--output", "out"]
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "digest", *command],
                cwd=work,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    trees = []
    try:
        for proc, (*_, cwd) in zip(procs, runs, strict=True):
            output, _ = proc.communicate(timeout=300)
            assert proc.returncode == 0, output
            trees.append(tree(tmp_path / cwd / "out"))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert len(trees[0]) > 50 and any(name.startswith("pagefind/") for name in trees[0])
    for other in trees[1:]:
        assert sorted(other) == sorted(trees[0])
        assert [n for n in trees[0] if other[n] != trees[0][n]] == []


CLOCK = re.compile(
    r"datetime\.now|datetime\.utcnow|date\.today|time\.time\(|time\.localtime|time\.gmtime"
    r"|time\.ctime"
)
# a file's time stamp is no date for a page either (a checkout resets it)...
FILE_TIMES = re.compile(r"\.st_mtime|\.st_ctime|\.st_atime|getmtime|getctime")
# ...but the modules that manage files rather than make pages may compare them
FILE_MANAGERS = {"write.py", "serve.py", "cache.py", "deploy.py", "state.py"}
# dates.py compares article dates with the clock only to warn about dates in the
# future (the date itself is kept as written)
ALLOWED = {("dates.py", "dt.datetime.now(dt.UTC)")}


def test_no_clock_in_the_code_that_makes_output() -> None:
    """Dates on pages come from articles or settings. The clock may only be read
    for timings (time.perf_counter), never for anything written to the site."""
    offenders = []
    for path in sorted((REPO / "digest").rglob("*.py")):
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            allowed = any(name == path.name and part in line for name, part in ALLOWED)
            file_time = path.name not in FILE_MANAGERS and FILE_TIMES.search(line)
            if (CLOCK.search(line) or file_time) and not allowed:
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert offenders == []
