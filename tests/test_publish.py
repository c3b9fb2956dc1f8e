"""Publishing a site: atomic, never damaged by a killed build, and only ever in
the output folder the build is allowed to replace.

The kill test builds real BBC articles from the evaluation data (written into a
temporary folder, never committed) in a subprocess and kills it with SIGKILL at
pseudo-random moments (fixed seed): before, during and after the analysis, and
while the new site is being staged and swapped in. After each kill the previous
site must be there byte for byte; afterwards a normal build must succeed and
equal a fresh build made without the cache.
"""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from digest import write
from digest.config import Config
from digest.models import DigestError
from digest.pipeline import build
from digest.write import MARKER, check_output_path, write_site
from tests.conftest import read_jsonl, require_eval

REPO = Path(__file__).resolve().parents[1]
ARTICLES = 120
KILLS = 6
SEED = 20240601


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def write_articles(content: Path, rows: list[dict[str, Any]]) -> None:
    content.mkdir(parents=True, exist_ok=True)
    for row in rows:
        name = row["id"].replace("/", "-") + ".md"
        front = f"title: {json.dumps(row['title'])}\nsource: BBC News\n"
        (content / name).write_text(f"---\n{front}---\n{row['text']}\n", encoding="utf-8")


def run_build(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "digest", "build", "-q", *args],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def staging_exists(project: Path) -> bool:
    return any(p.name.startswith(".site.new-") for p in project.iterdir())


def test_killed_builds_never_damage_the_site(tmp_path: Path) -> None:
    rows = read_jsonl(require_eval("bbc_news.jsonl"))
    project = tmp_path / "project"
    content = project / "content"
    write_articles(content, rows[:ARTICLES])
    (project / "digest.toml").write_text('title = "Killed"\nsearch = false\n', "utf-8")
    started = time.monotonic()
    first = run_build(project)
    full = time.monotonic() - started
    assert first.returncode == 0, first.stderr
    site = project / "site"
    before = original = tree(site)
    assert len(before) > 300

    # the next version of the content: some articles gone, some new, some edited
    for path in sorted(content.iterdir())[:15]:
        path.unlink()
    write_articles(content, rows[ARTICLES : ARTICLES + 20])
    for path in sorted(content.iterdir())[-10:]:
        path.write_text(path.read_text("utf-8") + "\nA late paragraph was added.\n", "utf-8")

    # the complete site of the new content, built elsewhere: a build killed after
    # its atomic swap leaves exactly this, which is as good as the old one
    expected = run_build(project, "--no-cache", "--output", str(tmp_path / "expected"))
    assert expected.returncode == 0, expected.stderr
    complete_new = tree(tmp_path / "expected")

    rng = random.Random(SEED)
    entries = project / ".digest-cache" / "articles"
    cached = len(list(entries.glob("*.json")))
    moments: list[str] = []
    killed: list[str] = []
    for n in range(KILLS):
        # three kinds of moment, in turn: while analysed articles are being stored in
        # the cache; anywhere in a build (without the cache, so its length is known);
        # while the new site is being staged and swapped in
        kind = ("caching", "anywhere", "staged")[n % 3]
        process = subprocess.Popen(
            [sys.executable, "-m", "digest", "build", "-q"]
            + (["--no-cache"] if kind == "anywhere" else []),
            cwd=project,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            if kind == "anywhere":
                delay = rng.uniform(0.05, 0.9) * full
                time.sleep(delay)
            else:
                deadline = time.monotonic() + 4 * full + 30
                while process.poll() is None and not (
                    staging_exists(project)
                    if kind == "staged"
                    else len(list(entries.glob("*.json"))) > cached
                ):
                    assert time.monotonic() < deadline, f"the build never reached {kind}"
                    time.sleep(0.002)
                delay = rng.uniform(0, 0.15)
                time.sleep(delay)
            moments.append(f"{kind}+{delay:.2f}s")
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        cached = len(list(entries.glob("*.json")))
        if process.returncode == 0:  # it finished before the kill: start over from it
            before = tree(site)
            continue
        assert process.returncode == -signal.SIGKILL
        killed.append(moments[-1])
        now = tree(site)
        assert now in (before, complete_new), f"site damaged by a build killed at {moments[-1]}"
        before = now
    # most kills land inside builds (a fast build may finish first on an idle machine)
    assert len(killed) >= KILLS // 2, moments

    after = run_build(project)
    assert after.returncode == 0, after.stderr
    assert not staging_exists(project)
    assert not any(p.name.startswith(".site.old-") for p in project.iterdir())
    rebuilt = tree(site)
    assert rebuilt != original
    # a fresh build of the same content, no cache: the same bytes
    fresh = run_build(project, "--no-cache", "--output", str(tmp_path / "fresh"))
    assert fresh.returncode == 0, fresh.stderr
    assert rebuilt == tree(tmp_path / "fresh")
    cache = project / ".digest-cache"
    if cache.exists():  # the cache survived the kills: no half-written entries left
        assert not [p.name for p in cache.rglob("*.tmp")]
        for entry in (cache / "articles").glob("*.json"):
            json.loads(entry.read_bytes())


# ------------------------------------------------------------------ write_site faults

PAGES_A = {"digest.json": b"{}", "index.html": b"A", "a/one.html": b"1", "a/two.html": b"2"}
PAGES_B = {"digest.json": b"{}", "index.html": b"B", "b/three.html": b"3"}


def test_leftovers_of_a_killed_build_are_removed(tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_site(PAGES_A, site)
    for name in (".site.new-deadbeef", ".site.old-deadbeef"):
        (tmp_path / name / "a").mkdir(parents=True)
        (tmp_path / name / "a" / "x.html").write_text("half")
    (tmp_path / ".other.new-1").mkdir()  # not ours: another output's name
    (tmp_path / "notes.txt").write_text("mine")
    write_site(PAGES_B, site)
    assert tree(site) == PAGES_B
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.new-1", "notes.txt", "site"]


def test_a_killed_swap_without_exchange_is_recovered(tmp_path: Path) -> None:
    """Killed between "old site aside" and "new site in": the old one comes back
    even if the next build fails before its own swap."""
    site = tmp_path / "site"
    write_site(PAGES_A, site)
    site.rename(tmp_path / ".site.old-0123456789ab")
    (tmp_path / ".site.new-0123456789ab").mkdir()  # the new site, half staged
    with pytest.raises(DigestError):
        write_site({**PAGES_B, "../escape.html": b"x"}, site)
    assert tree(site) == PAGES_A
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def test_swap_without_renameat2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(write, "_exchange", lambda a, b: False)
    site = tmp_path / "site"
    write_site(PAGES_A, site)
    assert write_site(PAGES_B, site) == (2, 1)  # digest.json is unchanged: linked
    assert tree(site) == PAGES_B
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def test_interrupted_write_keeps_the_old_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    write_site(PAGES_A, site)
    real = Path.write_bytes
    calls = []

    def full_disk(self: Path, data: bytes) -> int:
        calls.append(self)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full_disk)
    with pytest.raises(DigestError, match="No space left"):
        write_site(PAGES_B, site)
    monkeypatch.setattr(write, "_swap_in", lambda a, b: (_ for _ in ()).throw(KeyboardInterrupt))
    monkeypatch.setattr(Path, "write_bytes", real)
    with pytest.raises(KeyboardInterrupt):
        write_site(PAGES_B, site)
    assert tree(site) == PAGES_A
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def test_output_on_a_mount_point_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    write_site(PAGES_A, site)
    monkeypatch.setattr(write, "_exchange", lambda a, b: False)
    real = os.rename

    def rename(a: Any, b: Any) -> None:
        if Path(a) == site:
            raise OSError(errno.EBUSY, "Device or resource busy")
        real(a, b)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(DigestError, match="mount point"):
        write_site(PAGES_B, site)
    assert tree(site) == PAGES_A
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def test_published_folder_is_readable_like_any_folder(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        site = tmp_path / "site"
        write_site(PAGES_A, site)
        assert site.stat().st_mode & 0o777 == 0o755  # tempfile.mkdtemp gave 0o700
        site.chmod(0o750)  # the owner's choice is kept
        write_site(PAGES_B, site)
        assert site.stat().st_mode & 0o777 == 0o750
    finally:
        os.umask(old)


def test_concurrent_builds_take_turns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second build arriving while the first has staged its site must neither
    delete the first one's staging folder nor interleave with it."""
    site = tmp_path / "site"
    write_site(PAGES_A, site)
    staged = threading.Event()
    real_swap = write._swap_in

    def slow_swap(staging: Path, output: Path) -> None:
        if threading.current_thread().name == "first":
            staged.set()
            time.sleep(0.3)  # the second build starts meanwhile
        real_swap(staging, output)

    monkeypatch.setattr(write, "_swap_in", slow_swap)
    errors: list[BaseException] = []
    many = {**PAGES_B, **{f"p/{n}.html": b"x" * n for n in range(200)}}

    def first() -> None:
        try:
            write_site(many, site)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=first, name="first")
    thread.start()
    assert staged.wait(10)
    write_site(PAGES_A, site)  # waits for the first build's swap, then replaces it
    thread.join(10)
    assert errors == []
    assert tree(site) == PAGES_A
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def test_symlinked_output_folder_is_replaced_behind_the_link(tmp_path: Path) -> None:
    real = tmp_path / "www"
    write_site(PAGES_A, real)
    link = tmp_path / "site"
    link.symlink_to(real)
    write_site(PAGES_B, link)
    assert link.is_symlink() and tree(real) == PAGES_B


# ------------------------------------------------------------------ output-path safety


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "content").mkdir(parents=True)
    (project / "content" / "a.md").write_text(
        "---\ntitle: Ferry news\n---\nThe harbour ferry terminal opens in spring, officials said.\n"
    )
    return project


def fingerprint(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    return {
        p.relative_to(folder).as_posix(): (
            p.lstat().st_mtime_ns,
            p.lstat().st_ino,
            p.read_bytes() if p.is_file() and not p.is_symlink() else b"",
        )
        for p in sorted(folder.rglob("*"))
    }


def forbidden_outputs(project: Path) -> dict[str, Path]:
    return {
        "root": Path("/"),
        "home": Path.home(),
        "project": project,
        "content": project / "content",
        "inside content": project / "content" / "site",
        "parent of project": project.parent,
    }


@pytest.mark.parametrize(
    "where", ["root", "home", "project", "content", "inside content", "parent of project"]
)
def test_symlinked_output_to_a_forbidden_folder_is_refused(project: Path, where: str) -> None:
    target = forbidden_outputs(project)[where]
    link = project / "site"
    link.symlink_to(target, target_is_directory=True)
    before = fingerprint(project.parent)
    config = Config(content="content", output="site", cache="")
    with pytest.raises(DigestError):
        build(config, project)
    assert fingerprint(project.parent) == before
    assert link.is_symlink()


@pytest.mark.parametrize(
    "output",
    ["content/..", "content/../content", "site/../content/x", "./.", "..", "content/./sub/../.."],
)
def test_relative_paths_with_dots_are_resolved_before_checking(project: Path, output: str) -> None:
    before = fingerprint(project.parent)
    with pytest.raises(DigestError):
        build(Config(content="content", output=output, cache=""), project)
    assert fingerprint(project.parent) == before


def test_broken_symlink_as_output_is_refused(project: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "deep" / "site"
    (project / "site").symlink_to(target)
    with pytest.raises(DigestError, match="broken symbolic link"):
        check_output_path(project / "site", project / "content", project)
    with pytest.raises(DigestError, match="broken symbolic link"):
        write_site(PAGES_A, project / "site")
    assert not (tmp_path / "elsewhere").exists()


def test_build_refuses_a_broken_symlink_as_output(project: Path, tmp_path: Path) -> None:
    (project / "site").symlink_to(tmp_path / "elsewhere" / "deep" / "site")
    try:
        with pytest.raises(DigestError, match="broken symbolic link"):
            build(Config(content="content", output="site", search=False, cache=""), project)
    finally:
        assert not (tmp_path / "elsewhere").exists()


def test_foreign_folder_is_refused_and_left_untouched(project: Path) -> None:
    foreign = project / "site"
    (foreign / "sub").mkdir(parents=True)
    (foreign / "notes.txt").write_text("my notes")
    (foreign / "sub" / "index.html").write_text("<p>hand-made</p>")
    (foreign / "link").symlink_to(project / "content")
    before = fingerprint(project.parent)
    with pytest.raises(DigestError, match=r"not empty and was not made by digest"):
        build(Config(content="content", output="site", cache=""), project)
    assert fingerprint(project.parent) == before


def test_only_the_output_folder_is_replaced(project: Path) -> None:
    (project / "site").mkdir()  # empty: allowed, and it becomes ours
    (project / "site.txt").write_text("beside")
    (project / ".site.notes").write_text("also beside")
    build(Config(content="content", output="site", search=False, cache=""), project)
    assert (project / "site" / MARKER).is_file()
    assert sorted(p.name for p in project.iterdir()) == [
        ".site.notes",
        "content",
        "site",
        "site.txt",
    ]
    build(Config(content="content", output="site", search=False, cache=""), project)
    assert (project / "site.txt").read_text() == "beside"


def test_check_output_path_direct(tmp_path: Path) -> None:
    project = tmp_path / "p"
    content = project / "content"
    content.mkdir(parents=True)
    for bad in (Path("/"), Path.home(), project, content, project.parent, content / "x" / ".."):
        with pytest.raises(DigestError):
            check_output_path(bad, content, project)
    (project / "file").write_text("x")
    with pytest.raises(DigestError, match="is a file"):
        check_output_path(project / "file", content, project)
    check_output_path(project / "site", content, project)
    check_output_path(tmp_path / "elsewhere" / "new", content, project)
    shutil.rmtree(project)
