"""Rendered pages -> a Pagefind search index (`pagefind/…`).

The only module that knows about Pagefind. `index_folder` runs the `pagefind`
binary shipped in the `pagefind_bin` wheel over pages already written to the
staging folder of the new site (through hard links in a scratch folder inside
it, so only the pages chosen here are read and nothing is copied) and writes
the bundle beside them, before the new site is swapped in whole. Pagefind
indexes only the elements marked `data-pagefind-body` (story and article
pages).

A large digest is indexed in shards of at most SHARD_PAGES pages, by date:
each page has a key, its date (the first `<time datetime>` of its indexed body)
then a hash of its path, and the keys are split in halves — of all time, then
of the half holding the pages, and so on down to a day and then to the hashes
— until each part holds SHARD_PAGES pages or fewer (`shard_members`). A part
depends only on the pages inside its range, so new articles, which are the
newest pages, land in the newest shard and leave the older shards as they
were: a day of news re-indexes a shard or two, not the whole digest, and a
shard splits only when it outgrows SHARD_PAGES. The newest shard is
`pagefind/`, the one the search page loads; the others, `pagefind-N/` (N
names the part), are listed in `pagefind/digest-shards.json` for it to merge
(Pagefind's `mergeIndex`). Pagefind holds a whole index in memory while it
builds it (about 1 GB for 8,000 story and article pages), so shards also bound
the build's memory; and a shard is taken from the current site instead of
being indexed again when what Pagefind reads of its pages is unchanged: a
page's hash leaves out the inside of the elements marked
`data-pagefind-ignore="all"` (`indexed_view`), where digest's templates put
the cross-links other stories change (related stories, keyword links).

A shard is taken from the current site only when the build state
(`digest.state`, in the cache folder) records it — the key of the pages it
was made from, and a hash of every one of its files' bytes — and its files
still hash so: each is opened without following links, must be a regular file,
and is hashed before it is hard-linked (and checked to be the very file hashed
after). A file planted in the output folder, a changed byte, a link, or no
state (`--no-cache`, a deleted or refused state file) means the shard is
indexed again.

Pagefind's output is a function of the pages alone: its file names are
content hashes and it embeds no time stamps, so the same site gives the same
bytes. It is run in an empty working folder with no PAGEFIND_* variables so a
`pagefind.yml` or the environment cannot change the index behind our back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import subprocess
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from digest.cache import installed_version
from digest.models import DigestError

BUNDLE = "pagefind"  # folder of the search bundle in the site (the newest shard)
# Pages per shard, at most. Indexing costs about 0.7 ms a page, and a rebuild
# re-indexes the shards its changed pages are in (mostly the newest); each
# shard costs the search page two small requests more, and one per query.
SHARD_PAGES = 1000
SHARDS_FILE = "digest-shards.json"  # in the first shard: the folders of the others
TIMEOUT_SECONDS = 600
MARKER = b"data-pagefind-body"


def pagefind_executable() -> Path:
    """The pagefind binary from the pagefind_bin wheel (or $PAGEFIND_BINARY_PATH, or PATH)."""
    try:
        from pagefind.service import get_executable

        found = get_executable()
    except ImportError:  # pagefind is a dependency, but a broken install should read well
        found = None
    if found is None or not Path(found).is_file():
        raise DigestError(
            "search index: the pagefind binary was not found; "
            "install it with `pip install 'pagefind[bin]'` or set `search = false`"
        )
    return Path(found)


# A page to index: (its path in the site, hash of what Pagefind reads of it, its key: `page_key`)
Page = tuple[str, str, int]

DAY_BITS = 16  # a page's day, counted from 1970-01-01 (to 2149)
HASH_BITS = 64  # then a hash of its path
KEY_BITS = DAY_BITS + HASH_BITS
_EPOCH = dt.date(1970, 1, 1).toordinal()
_PAGE_DATE = re.compile(rb'<time datetime="(\d{4})-(\d{2})-(\d{2})')


def page_key(path: str, data: bytes) -> int:
    """A page -> its place in the shards: its day (the first `<time datetime>`
    after the indexed body's marker, as digest's story and article pages show
    their date; none or unreadable: day 0, with the undated), then a hash of its
    path. Only the shards' cost depends on it, never what a search finds."""
    day = 0
    found = _PAGE_DATE.search(data, max(data.find(MARKER), 0))
    if found is not None:
        try:
            year, month, mday = (int(part) for part in found.groups())
            day = dt.date(year, month, mday).toordinal() - _EPOCH
        except ValueError:
            day = 0
    day = min(max(day, 0), (1 << DAY_BITS) - 1)
    spread = int.from_bytes(hashlib.sha256(path.encode("utf-8")).digest()[:8], "big")
    return day << HASH_BITS | spread


# What the build state keeps of an HTML page for the search index, so an
# unchanged page is not read again (`Chooser.entries`): "HASH KEY" of a page
# with a `data-pagefind-body`, "-" of one without.
Entry = str
UNMARKED: Entry = "-"
_ENTRY = re.compile(r"-|[0-9a-f]{32} [0-9]{1,25}")


def valid_entry(entry: str) -> bool:
    """Whether a stored entry is one `Chooser.entries` could have made."""
    return bool(_ENTRY.fullmatch(entry)) and (entry == UNMARKED or int(entry[33:]) < 1 << KEY_BITS)


# An element Pagefind skips whole, its content, filters, meta and anchors
# (`data-pagefind-ignore="all"`), as digest's own templates write its tag.
_IGNORED_ALL = re.compile(rb'<([a-z][a-z0-9]*)\b[^<>]*\sdata-pagefind-ignore="all"[^<>]*>')
# Markup inside which a tag is not a tag: with any of it in the indexed part,
# the page is keyed by all its bytes.
_OPAQUE = re.compile(rb"<!--|<!\[CDATA\[|<(?:script|style|textarea|template|title|xmp|noscript)\b")


def indexed_view(data: bytes) -> bytes:
    """A page digest's own templates rendered -> its bytes without the inside of
    each element marked `data-pagefind-ignore="all"` after its indexed body's
    marker: what Pagefind reads of it. The related stories, keyword links and
    other cross-links are so marked, so a page that changed only there keeps
    its shard. Whole bytes when an element cannot be matched to its end."""
    start = data.find(MARKER)
    if start < 0 or _OPAQUE.search(data, start):
        return data
    parts = []
    done = 0
    at = start
    while (found := _IGNORED_ALL.search(data, at)) is not None:
        end = _closing(data, found.group(1), found.end())
        if end < 0:
            return data
        parts.append(data[done : found.end()])
        done = at = end
    parts.append(data[done:])
    return b"".join(parts)


def _closing(data: bytes, name: bytes, at: int) -> int:
    """Where the element `name` opened just before `at` closes (the start of its
    end tag, counting nested elements of the same name), or -1."""
    tags = re.compile(rb"<(/?)" + re.escape(name) + rb"[\s>]")
    depth = 1
    for tag in tags.finditer(data, at):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return tag.start()
    return -1


class Chooser:
    """Watches pages go by and names the ones Pagefind would index, with a hash
    and a key of each: once any page marks its body with `data-pagefind-body`,
    Pagefind skips every page that does not, so only the marked ones are handed
    over (on a large digest most pages are keyword lists); with no marked page,
    every HTML page.

    With `views`, a marked page is hashed by what Pagefind reads of it
    (`indexed_view`), so a shard whose pages changed only in what Pagefind skips
    is taken from the current site: only for pages of digest's own templates,
    whose markup `indexed_view` reads soundly. A page the last build saw and
    left unchanged comes with the entry it recorded (`add`) instead of its bytes;
    `entries` are this build's, for the build state.
    """

    def __init__(self, views: bool = False) -> None:
        self.views = views
        self.html: list[Page] = []
        self.marked: list[Page] = []
        self.unread: list[str] = []  # unmarked pages known from their entry alone
        self.entries: dict[str, Entry] = {}

    def see(self, path: str, data: bytes) -> None:
        if not path.endswith(".html"):
            return
        if MARKER in data:
            shown = indexed_view(data) if self.views else data
            entry = f"{hashlib.sha256(shown).hexdigest()[:32]} {page_key(path, data)}"
            self.add(path, entry)
        else:
            self.entries[path] = UNMARKED
            if not self.marked:
                self.html.append((path, hashlib.sha256(data).hexdigest(), page_key(path, data)))

    def add(self, path: str, entry: Entry) -> None:
        """A page known by the entry the last build recorded for the same bytes."""
        self.entries[path] = entry
        if entry == UNMARKED:
            if not self.marked:
                self.unread.append(path)
            return
        digest, key = entry.split(" ")
        self.marked.append((path, digest, int(key)))
        self.html.clear()  # the fallback is not needed any more
        self.unread.clear()

    def chosen(self, staging: Path | None = None) -> list[Page]:
        """The pages to index, by path (unmarked pages known by their entry alone
        are read from `staging` when no page is marked)."""
        if self.marked or not self.unread or staging is None:
            return sorted(self.marked or self.html)
        read = [(p, (staging / p).read_bytes()) for p in self.unread]
        pages = [(p, hashlib.sha256(d).hexdigest(), page_key(p, d)) for p, d in read]
        return sorted(self.html + pages)


# Where the pages Pagefind indexes come from, as digest renders them: all of
# them before any other page but the front page.
BODY_FOLDERS = ("stories/", "articles/")


class Indexer:
    """The search index of a site being written, made while the rest is written.

    Write's staging hooks: pages are watched as they go into the staging folder
    (`see`), and as soon as the story and article pages are all in — the first
    other HTML page after them — the index is built from them in a thread
    (Pagefind is a separate process, so it runs on the other core while Python
    renders keyword, topic and archive pages). At `finish`, if the pages to
    index turned out to be exactly those (always, with digest's templates), that
    index is kept; if a template marked other pages for indexing, it is made
    again from all of them. Either way it is the index of exactly the pages
    `Chooser` picks, so the early start never changes a byte.
    """

    def __init__(
        self,
        current: Path | None,
        enabled: bool = True,
        known: Mapping[str, tuple[str, str]] | None = None,
        views: bool = False,
    ) -> None:
        self.current = current  # the site being replaced: unchanged shards come from it
        self.known = dict(known or {})  # its shards as the build state records them
        self.shards: tuple[Shard, ...] = ()  # the new site's, once finished
        self.enabled = enabled
        self.chooser = Chooser(views)
        self._staging: Path | None = None
        self._thread: threading.Thread | None = None
        self._early: list[Page] = []
        self._result: Indexed | None = None
        self._error: BaseException | None = None

    def begin(self, staging: Path) -> None:
        self._staging = staging

    def see(self, path: str, data: bytes) -> None:
        if self.enabled:
            self.chooser.see(path, data)
            self._start(path)

    def add(self, path: str, entry: Entry) -> None:
        """A page unchanged since the last build, known by the entry it recorded."""
        if self.enabled:
            self.chooser.add(path, entry)
            self._start(path)

    def _start(self, path: str) -> None:
        if (
            self._thread is None
            and self._staging is not None
            and self.chooser.marked
            and path.endswith(".html")
            and not path.startswith(BODY_FOLDERS)
        ):
            self._early = self.chooser.chosen()
            self._thread = threading.Thread(
                target=self._run, args=(self._staging, self._early), daemon=True
            )
            self._thread.start()

    def _run(self, staging: Path, pages: list[Page]) -> None:
        try:
            self._result = index_folder(staging, pages, self.current, self.known)
        except BaseException as exc:  # handed to the build thread in finish()
            self._error = exc

    def finish(self, staging: Path) -> int:
        if not self.enabled:
            return 0
        chosen = self.chooser.chosen(staging)
        if self._thread is not None:
            self._thread.join()
            if chosen == self._early:
                if self._error is not None:
                    raise self._error
                if self._result is not None:
                    self.shards = self._result.shards
                    return self._result.written
            for folder in staging.glob(BUNDLE + "*"):  # indexed too early: again
                shutil.rmtree(folder)
        result = index_folder(staging, chosen, self.current, self.known)
        self.shards = result.shards
        return result.written

    def abort(self) -> None:
        if self._thread is not None:
            self._thread.join()  # Pagefind done before its folder is removed


def shard_members(pages: list[Page]) -> list[tuple[str, list[Page]]]:
    """The pages to index -> (folder, its pages) of each shard, the first (the
    search page's `pagefind/`) holding the newest pages. The range of all keys
    is halved while a part holds more than SHARD_PAGES pages; each part left
    with pages is a shard, named by its place in that halving (part N splits
    into 2N and 2N + 1), so a shard's name and pages depend only on the pages
    in its range."""
    parts: list[tuple[int, int, list[Page]]] = []  # (first key of its range, number, pages)
    todo = [(0, 1, pages)]  # (depth, part number, its pages)
    while todo:
        depth, number, members = todo.pop()
        if len(members) <= SHARD_PAGES or depth == KEY_BITS:
            if members:
                parts.append(((number - (1 << depth)) << (KEY_BITS - depth), number, members))
            continue
        bit = KEY_BITS - 1 - depth
        low = [page for page in members if not page[2] >> bit & 1]
        high = [page for page in members if page[2] >> bit & 1]
        todo += [(depth + 1, 2 * number, low), (depth + 1, 2 * number + 1, high)]
    parts.sort(key=lambda part: part[0])
    if not parts:
        return [(BUNDLE, [])]
    named = [(f"{BUNDLE}-{number}", members) for _, number, members in parts[:-1]]
    return [(BUNDLE, parts[-1][2]), *named]


@dataclass(frozen=True)
class Shard:
    """A shard as the build state records it: its folder, the key of the pages it
    indexes, and a hash of its files' paths and bytes."""

    folder: str
    key: str
    files: str


@dataclass(frozen=True)
class Indexed:
    """What `index_folder` did: files written (not those linked), the shards made."""

    written: int
    shards: tuple[Shard, ...]


def index_folder(
    site: Path,
    pages: list[Page],
    current: Path | None = None,
    known: Mapping[str, tuple[str, str]] | None = None,
) -> Indexed:
    """Pages written under `site` ((relative path, hash, key) of each) -> the
    search bundle's shards in `site`, each taken from the `current` site when
    `known` (folder -> (key, files hash), from the build state) says it was made
    from the same pages and its files still hash as recorded."""
    version = _pagefind_version()
    # A shard's key is its pages' (not its folder's: the newest shard is renamed
    # when a newer one starts, and Pagefind's output does not depend on the name)
    by_key = {key: (folder, files) for folder, (key, files) in (known or {}).items()}
    merged = []
    shards = []
    written = 0
    for n, (folder, shard) in enumerate(shard_members(pages)):
        key = hashlib.sha256(json.dumps([version, shard]).encode("utf-8")).hexdigest()
        recorded = by_key.get(key)
        files = None
        if current is not None and recorded is not None:
            files = _reuse(current / recorded[0], site / folder, recorded[1])
        if files is None:
            _index_shard(site, shard, site / folder)
            files = _files_hash(site / folder)
            written += sum(1 for file in (site / folder).rglob("*") if file.is_file())
        shards.append(Shard(folder, key, files))
        if n:
            merged.append(folder)
    listing = json.dumps({"shards": merged}, indent=1) + "\n"
    shards_file = site / BUNDLE / SHARDS_FILE
    old = current / BUNDLE / SHARDS_FILE if current is not None else None
    if old is None or not _link_verified(old, shards_file, _sha256(listing.encode("utf-8"))):
        shards_file.write_text(listing, encoding="utf-8")
        written += 1
    return Indexed(written, tuple(shards))


def _files_hash(folder: Path) -> str:
    """A shard folder digest wrote -> hash of its files' paths and bytes (the
    shards listing aside: it changes with the other shards)."""
    lines = sorted(
        f"{file.relative_to(folder).as_posix()}\0{_sha256(file.read_bytes())}\n"
        for file in folder.rglob("*")
        if file.is_file() and file.relative_to(folder).as_posix() != SHARDS_FILE
    )
    return _sha256("".join(lines).encode("utf-8"))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _reuse(old: Path, new: Path, files: str) -> str | None:
    """Hard-link the shard in `old` into `new` when its files hash to `files` ->
    that hash, or None (and nothing left in `new`) when they do not: a folder
    that is a link, any entry but a folder or a regular file, a changed byte."""
    lines = []
    try:
        if not stat.S_ISDIR(os.lstat(old).st_mode):
            return None
        stack = [(old, "")]
        while stack:
            folder, prefix = stack.pop()
            for entry in sorted(os.scandir(folder), key=lambda e: e.name):
                rel = prefix + entry.name
                target = new.joinpath(*rel.split("/"))
                if entry.is_dir(follow_symlinks=False):
                    target.mkdir(parents=True, exist_ok=True)
                    stack.append((Path(entry.path), rel + "/"))
                    continue
                if rel == SHARDS_FILE:
                    continue  # made afresh or checked on its own (index_folder)
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = _link_regular(Path(entry.path), target)
                if digest is None:
                    raise OSError(f"{rel}: not a regular file")
                lines.append(f"{rel}\0{digest}\n")
        if _sha256("".join(sorted(lines)).encode("utf-8")) != files:
            raise OSError("the shard's files are not the ones recorded")
        return files
    except (OSError, UnicodeError):
        shutil.rmtree(new, ignore_errors=True)
        return None


MAX_SHARD_FILE_BYTES = 256 * 1024 * 1024


def _link_regular(source: Path, target: Path) -> str | None:
    """A regular file -> hard-linked at `target`, returning the hash of its bytes;
    None for anything else (a link, a pipe, a device, a file too large), with
    nothing made. The link is checked to be the very file that was hashed."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        handle = os.open(source, flags)
    except OSError:
        return None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_SHARD_FILE_BYTES:
            return None
        digest = hashlib.sha256()
        while chunk := os.read(handle, 1 << 20):
            digest.update(chunk)
        os.link(source, target, follow_symlinks=False)
        made = os.lstat(target)
        if (made.st_dev, made.st_ino) != (info.st_dev, info.st_ino):
            os.unlink(target)  # swapped between hashing and linking
            return None
        return digest.hexdigest()
    except OSError:
        return None
    finally:
        os.close(handle)


def _link_verified(source: Path, target: Path, expected: str) -> bool:
    """Hard-link `source` at `target` when it is a regular file with the bytes
    hashing to `expected` -> whether it was (nothing is left at `target` if not)."""
    if _link_regular(source, target) == expected:
        return True
    with contextlib.suppress(OSError):
        target.unlink(missing_ok=True)
    return False


def _index_shard(site: Path, pages: list[Page], bundle: Path) -> None:
    """Pagefind over some pages written under `site` -> a bundle in `bundle`."""
    scratch = site / f"_search-pages-{secrets.token_hex(6)}"  # removed before the swap
    try:
        scratch.mkdir()
        for path, _, _ in pages:
            target = scratch.joinpath(*path.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(site.joinpath(*path.split("/")), target)
            except OSError:  # no hard links on this file system: copy
                shutil.copyfile(site.joinpath(*path.split("/")), target)
        _run_pagefind(scratch, bundle)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _pagefind_version() -> str:
    version = installed_version("pagefind-bin")
    return version if version != "none" else str(pagefind_executable())


def _run_pagefind(site: Path, bundle: Path) -> None:
    """Pagefind over the pages in `site` -> its bundle in `bundle`."""
    binary = pagefind_executable()
    with tempfile.TemporaryDirectory(prefix="digest-search-") as work:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAGEFIND_")}
        command = [
            str(binary),
            "--site",
            str(site),
            "--output-path",
            str(bundle),
            "--keep-index-url",  # our pages are files: keep "index.html" in result URLs
            "--silent",
        ]
        try:
            result = subprocess.run(
                command,
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DigestError(f"search index: cannot run pagefind: {exc}") from None
        if result.returncode != 0 or not (bundle / "pagefind.js").is_file():
            detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
            raise DigestError(
                f"search index: pagefind failed (exit {result.returncode}): " + " / ".join(detail)
            )
