"""What the last build read and wrote, so a rebuild with nothing new can stop early.

After a build writes the site, `save` stores in the cache folder (`build.json`)
a hash of every input the build read — each content file's path and bytes, each
static file's (`digest.static`), the problems met while reading the folders, the
whole config, the templates (the project's and digest's own), digest's code
and the versions of the libraries and Python it ran with — together with a
listing of the output folder as written (path, size, modification time and
inode of every file), the paths it wrote (so the next build can tell a file
put in the output folder by hand from an old page) and the build's report.

The next build computes the same input hash right after reading the content
folder. When it matches and the output folder still lists the same, the site
on disk is exactly what a full build would write, so the build ends there:
that is the no-op rebuild. Anything else — one byte of one article, a setting,
a template, an upgrade, a page edited or deleted in the output folder, the
state file missing or unreadable — means a full build (which still takes what
it can from the per-article cache).

The only input a build reads that is not hashed is the clock, and the clock
only decides whether a "date in the future" problem is given: those are
recomputed from the stored dates on every run, never stored.

The state also keeps each page's fingerprint (`digest.page_inputs`): the next
build that is not a no-op takes a page whose fingerprint is unchanged from the
current site instead of rendering it, but only while the output folder still
lists exactly as this build left it (`earlier_pages`).

The state file is untrusted input, like the rest of the cache folder
(`digest.cache`): it is read only when it is a regular file of bounded size
(never through a link, never a pipe), and used only when it decodes into
`Saved` type for type and its values are what a build could have stored
(hashes, counts, dates, paths inside the site). Anything else is no state: a
full build, counted, never an error. A forged state cannot make a build stop
early either: the output listing it must match holds each file's inode and
change time (ctime), which no one restoring files can choose, and an output
folder without digest's `digest.json` never counts as up to date.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from digest.cache import (
    decode,
    encode,
    exists_in,
    fingerprint,
    installed_version,
    is_iso_date,
    loads,
    open_folder,
    read_file,
    write_file,
)
from digest.config import Config
from digest.load import SourceFile
from digest.load.files import open_inside
from digest.models import Problem
from digest.search import valid_entry

# 2: static files in the inputs, the paths written kept; 3: the search shards'
# hashes, records in the JSON as they are in `Saved`, ctime in the listing;
# 4: each page's fingerprint (`digest.page_inputs`); 5: each HTML page's
# search entry (`digest.search.Chooser`)
FORMAT = 5
STATE_FILE = "build.json"
MAX_STATE_BYTES = 256 * 1024 * 1024  # 20,000 articles' paths, dates and problems: ~10 MB
MAX_PAGE_BYTES = 256 * 1024 * 1024  # a page taken from the current site, at most
_HASH = re.compile(r"[0-9a-f]{64}")
_SHARD = re.compile(r"pagefind(?:-[1-9][0-9]*)?")  # digest.search's folders
# libraries that shape the whole-site stages (per-article ones are in the cache fingerprint)
PACKAGE = Path(__file__).parent  # digest's own code, hashed into the inputs
SITE_LIBRARIES = ("jinja2", "markupsafe", "numpy", "scipy", "wordfreq", "pagefind-bin")


@dataclasses.dataclass(frozen=True)
class Saved:
    """The last build as stored: what it read, what it wrote, what it reported."""

    inputs: str
    outputs: str
    articles: int
    stories: int
    files: int
    problems: tuple[Problem, ...]  # clock-free problems only
    dates: tuple[tuple[str, str], ...]  # (path, date) of articles, for date warnings
    written: tuple[str, ...] = ()  # every path the build wrote but the search bundle's
    output: str = ""  # the output folder they were written to
    # (folder, key, hash of its files' bytes) of each search shard (digest.search)
    search: tuple[tuple[str, str, str], ...] = ()
    # (site path, fingerprint of what it was rendered from) of each page that has one
    pages: tuple[tuple[str, str], ...] = ()
    # (site path, what the search index took of it: `digest.search.Entry`) of
    # each HTML page, so the next build need not read an unchanged one again
    indexed: tuple[tuple[str, str], ...] = ()


def input_hash(
    config: Config,
    files: Sequence[SourceFile],
    read_problems: Iterable[Problem],
    template_folders: Iterable[Path],
    output: Path,
    static: Iterable[tuple[str, str]] = (),
) -> str:
    """Everything a build reads, except the clock -> one hash."""
    digest = hashlib.sha256()

    def add(label: str, value: str | bytes) -> None:
        data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
        digest.update(f"{label}:{len(data)}:".encode())
        digest.update(data)

    add("format", str(FORMAT))
    add("analysis", fingerprint(config))  # code, per-article libraries, Python, settings
    add("config", json.dumps(dataclasses.asdict(config), sort_keys=True, default=str))
    add("libraries", json.dumps({name: installed_version(name) for name in SITE_LIBRARIES}))
    add("output", str(output))
    add("code", code_hash())
    for folder in template_folders:
        add("templates", str(folder))
        for path in _files_under(folder):
            add("template", path.relative_to(folder).as_posix())
            add("bytes", path.read_bytes())
    for source in files:
        add("file", source.path)
        add("bytes", source.content_hash)
    for site_path, content_hash in static:  # (site path, hash) of each static file
        add("static", site_path)
        add("bytes", content_hash)
    for problem in read_problems:
        add("problem", f"{problem.path}\0{problem.reason}")
    return digest.hexdigest()


def output_listing(output: Path) -> tuple[str, int]:
    """The output folder -> (hash of every file's path, size, times and inode, file count).
    See `_listing`."""
    listing, count, _ = _listing(output)
    return listing, count


def _listing(output: Path) -> tuple[str, int, set[str]]:
    """The output folder -> (hash of every file's path, size, times and inode, file
    count, the paths of its regular files reached through folders, not links).

    Files a build leaves alone keep their inode and times (they are hard-linked
    into the new site, and the listing is taken after the old site is gone), so
    the listing after a build is the listing the next no-op build sees. The
    change time (ctime) cannot be set by anyone restoring or editing a file, so
    a listing stored in a forged state never matches. Symbolic links are listed
    by their own status.
    """
    digest = hashlib.sha256()
    count = 0
    regular: set[str] = set()
    stack = [(output, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            digest.update(b"unreadable:" + prefix.encode("utf-8", "surrogateescape"))
            continue
        for entry in entries:
            rel = prefix + entry.name
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:  # gone since the folder was listed: no listing to match
                digest.update(b"gone:" + rel.encode("utf-8", "surrogateescape"))
                continue
            if stat.S_ISDIR(info.st_mode):
                stack.append((Path(entry.path), rel + "/"))
                digest.update(f"d {rel}\n".encode("utf-8", "surrogateescape"))
                continue
            count += 1
            if stat.S_ISREG(info.st_mode):
                regular.add(rel)
            line = (
                f"f {rel} {info.st_mode} {info.st_size} {info.st_mtime_ns} "
                f"{info.st_ctime_ns} {info.st_ino}\n"
            )
            digest.update(line.encode("utf-8", "surrogateescape"))
    return digest.hexdigest(), count, regular


def earlier_pages(
    saved: Saved | None, output: Path, read: Callable[[str], bool] = lambda path: True
) -> Callable[[str, str], bytes | Path | None] | None:
    """The last build's state and the output folder -> a look-up from (site path,
    fingerprint) to that page's bytes in the output folder (or its file, when
    `read(path)` says the bytes are not needed) when the state recorded the same
    fingerprint for it (else None); or None when no page can be
    taken: no state, the state of another folder, or a folder that does not list
    as the last build left it (a page edited, added, deleted or touched there).

    The listing holds every file's inode and change time, so a matching folder
    holds the very files the last build wrote; a page is taken only when the
    listing found it a regular file reached through folders, not links (a
    forged state may name anything), and is still read without following a
    link (a file handed over is opened so by the writer, `digest.write`, which
    checks again that it is a regular file).
    """
    if saved is None or not saved.pages or saved.output != str(output):
        return None
    listing, _, regular = _listing(output)
    if listing != saved.outputs:
        return None
    recorded = dict(saved.pages)

    def earlier(path: str, fingerprint: str) -> bytes | Path | None:
        if recorded.get(path) != fingerprint or path not in regular:
            return None
        if read(path):
            return _read_page(output, path)
        return output.joinpath(*path.split("/"))

    return earlier


def _read_page(output: Path, path: str) -> bytes | None:
    """A page of the output folder -> its bytes; None unless it is a regular file
    inside it (reached without following a link) of at most MAX_PAGE_BYTES."""
    try:
        fd = open_inside(output, path)
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_PAGE_BYTES:
            return None
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        data = b"".join(chunks)
        return data if len(data) == info.st_size else None
    except OSError:
        return None
    finally:
        os.close(fd)


def load(cache_dir: Path) -> Saved | None:
    """The stored state, or None when there is none or it cannot be used."""
    return load_checked(cache_dir)[0]


def load_checked(cache_dir: Path) -> tuple[Saved | None, bool]:
    """The stored state -> (it, or None; whether a state file was there but refused:
    not a regular file, too large, malformed, or holding what no build stores)."""
    folder = open_folder(cache_dir)
    if folder is None:
        return None, False
    try:
        data = read_file(folder, STATE_FILE, MAX_STATE_BYTES)
        there = data is not None or exists_in(folder, STATE_FILE)
    finally:
        os.close(folder)
    if data is None:
        return None, there
    try:
        stored = loads(data)
        if type(stored) is not dict or type(stored.get("format")) is not int:
            return None, True
        if stored.pop("format") != FORMAT:
            return None, False  # an older digest's: simply not this one's
        saved: Saved = decode(Saved, stored)
    except (ValueError, TypeError, KeyError, OverflowError, RecursionError):
        return None, True
    return (saved, False) if _plausible(saved) else (None, True)


def _plausible(saved: Saved) -> bool:
    """Whether a decoded state holds only what a build stores: hashes, counts,
    ISO dates, paths inside the site, the search bundle's folders."""
    return (
        bool(_HASH.fullmatch(saved.inputs) and _HASH.fullmatch(saved.outputs))
        and min(saved.articles, saved.stories, saved.files) >= 0
        and all(is_iso_date(date) for _, date in saved.dates)
        and all(_site_path(path) for path in saved.written)
        and all(
            _SHARD.fullmatch(folder) and _HASH.fullmatch(key) and _HASH.fullmatch(files)
            for folder, key, files in saved.search
        )
        and all(_site_path(path) and _HASH.fullmatch(key) for path, key in saved.pages)
        and len({path for path, _ in saved.pages}) == len(saved.pages)
        and all(_site_path(path) and valid_entry(entry) for path, entry in saved.indexed)
    )


def _site_path(path: str) -> bool:
    parts = path.split("/")
    return not ("\\" in path or "\0" in path or any(p in ("", ".", "..") for p in parts))


def save(cache_dir: Path, saved: Saved) -> None:
    """Store the state atomically; a cache folder that cannot be written is skipped."""
    data = {"format": FORMAT, **encode(saved)}
    try:
        encoded = json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeError):  # a lone surrogate in a problem: no state
        return
    folder = open_folder(cache_dir, create=True)
    if folder is None:
        return
    try:
        write_file(folder, STATE_FILE, encoded)
    except OSError:
        return
    finally:
        os.close(folder)


def code_hash(package: Path = PACKAGE) -> str:
    """digest's package folder -> a hash of every file in it (code and catalogs).

    The analysis fingerprint covers only the per-article modules; a changed later
    stage (grouping, stories, rendering) in a checkout whose version stays the same
    must not leave the old site standing as up to date."""
    digest = hashlib.sha256()
    for path in _files_under(package):
        if "__pycache__" not in path.parts:
            data = path.read_bytes()
            name = path.relative_to(package).as_posix().encode("utf-8", "surrogateescape")
            digest.update(b"%d:%s%d:" % (len(name), name, len(data)))
            digest.update(data)
    return digest.hexdigest()


def _files_under(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file())
