"""Per-article results kept on disk between builds (`.digest-cache/`).

`analyse.analyse_file` is a pure function of a file's path, bytes, article id
and the config, so its result (an `Article` or a `Problem`) is stored under a
key made of exactly those: a hash of the bytes, the path, the id and a
fingerprint of everything else the analysis depends on — the config fields it
reads, digest's version, the source of the analysis modules
(ANALYSIS_MODULES), the versions of the libraries it calls and Python's.
Change any of them and the entry is simply not found.

Entries are JSON, one file each, written under a temporary name and renamed
into place, so a killed build never leaves half an entry. JSON rather than
pickle: a cache restored from a CI cache service must not be able to run code.

The cache folder is untrusted input: whoever can write it (a poisoned CI cache,
another program) must not be able to crash, hang or steer a build. So every file
in it is opened through a descriptor of its folder, never through a symbolic
link, non-blocking, and read only when `fstat` says it is a regular file of a
bounded size (`read_file`); links are replaced or unlinked, never followed
(`write_file`, `open_subfolder`, `prune`); and an entry is used only when it
decodes into the current records, type for type, and fits the file it is keyed
by — the same path and article id, URLs, dates and language as the analysis
could have given (`fits`). Anything else is a miss, counted in `refused`,
never an error; so is a cache folder that cannot be written. Look-ups and
stores happen in the calling process only, so the analysis itself can move to
a process pool without touching this module.

After a build, `prune` deletes the entries that build did not use: the cache
holds the per-article results of the last build and does not grow.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import json
import math
import os
import re
import secrets
import stat
import sys
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from digest.config import Config
from digest.load.files import SourceFile
from digest.models import Article, DigestError, Problem
from digest.urls import http_url

FORMAT = 3  # bump when the entry layout changes
ENTRIES = "articles"
TAG_NAME = "CACHEDIR.TAG"
# https://bford.info/cachedir/ : backup tools skip folders carrying this tag
TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by digest.\n"
    "# Everything here is rebuilt when missing: the folder is safe to delete.\n"
)
_ENTRY_NAME = re.compile(r"[0-9a-f]{64}\.json|\.[0-9a-f]{64}\..*\.tmp")
# An entry is the analysis of one content file (at most 8 MiB): its text, its
# sentences and lead again, its terms. Past this, no analysis made it.
MAX_ENTRY_BYTES = 64 * 1024 * 1024
# A JSON escape of a lone surrogate: never written (such an entry is not stored),
# and text holding one cannot be encoded into a page.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")

# Config fields that only the whole-site stages (grouping, summaries, rendering,
# writing) read. Every other field is part of the fingerprint, so a new setting is
# assumed to change per-article results until it is listed here (a test checks
# that the per-article modules read none of these).
SITE_ONLY_FIELDS = frozenset(
    {
        "title",
        "description",
        "base_url",
        "article_text",
        "content",
        "output",
        "cache",
        "summary_min_words",
        "summary_max_words",
        "story_threshold",
        "story_time_bonus",
        "story_time_scale_hours",
        "story_text_floor",
        "story_window_days",
        "topic_threshold",
        "max_topics",
        "topic_min_stories",
        "section_min_score",
        "sections",
        # `digest fetch` settings: they never touch an analysis
        "sources",
        "allow_private",
        "fetch_delay",
        "fetch_concurrency",
        "duplicate_threshold",
        "archive_threshold",
        "topic_page_stories",
        "top_stories",
        "keyword_page_min_articles",
        "search",
        "timezone",
    }
)
# distributions whose behaviour shapes per-article results
LIBRARIES = (
    "yake",
    "yake-rust",
    "py3langid",
    "wordfreq",
    "msgpack",
    "snowballstemmer",
    "segtok",
    "ftfy",
    "lxml",
    "trafilatura",
    "htmldate",
    "justext",
    "markdown",
    "pyyaml",
    "python-dateutil",
)

Result = Article | Problem


def check_cache_path(cache: Path, content: Path, output: Path, project: Path) -> None:
    """Refuse cache folders that would mix with the articles, the site or the project."""
    cache, content, output = cache.resolve(), content.resolve(), output.resolve()
    if cache in (Path(cache.anchor), Path.home().resolve(), project.resolve()):
        raise DigestError(f"refusing to use {cache} as the cache folder")
    for name, folder in (("content", content), ("output", output)):
        inside = cache.relative_to(folder).parts if folder in cache.parents else ()
        if name == "content" and any(part.startswith(".") for part in inside):
            continue  # a hidden folder inside the content: the loader passes over it
        if cache == folder or cache in folder.parents or folder in cache.parents:
            raise DigestError(f"cache folder {cache} overlaps the {name} folder {folder}")


class ArticleCache:
    """The cache folder for one configuration: key -> Article or Problem."""

    def __init__(self, folder: Path, config: Config) -> None:
        self.folder = folder
        self.fingerprint = fingerprint(config)
        self.used: set[str] = set()
        self.refused = 0  # entries found but not used: unreadable, malformed, not fitting
        self._writable = True
        self._entries: int | None = None  # descriptor of the entries folder, once open
        self._tagged = False

    def key(self, source: SourceFile, article_id: str) -> str:
        """What one file's analysis depends on -> the key of its entry."""
        parts = json.dumps([self.fingerprint, source.path, article_id, source.content_hash])
        return hashlib.sha256(parts.encode("utf-8")).hexdigest()

    def get(self, key: str, path: str, article_id: str) -> Result | None:
        """The stored result for the file at `path` with `article_id`, or None when
        it is missing, unreadable, out of date or not that file's analysis."""
        self.used.add(key)
        folder = self._open(create=False)
        if folder is None:
            return None
        data = read_file(folder, f"{key}.json", MAX_ENTRY_BYTES)
        if data is None:
            if exists_in(folder, f"{key}.json"):
                self.refused += 1  # a link, a pipe, a folder, a file too large
            return None
        result = _entry(data, key)
        if result is None or not fits(result, path, article_id):
            self.refused += 1
            return None
        return result

    def put(self, key: str, result: Result) -> None:
        """Store a result atomically; a cache that cannot be written is skipped."""
        self.used.add(key)
        if not self._writable:
            return
        kind = "article" if isinstance(result, Article) else "problem"
        try:
            entry = {"format": FORMAT, "key": key, "kind": kind, "value": encode(result)}
            data = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except (TypeError, ValueError):  # e.g. a lone surrogate: recomputed next time
            return
        folder = self._open(create=True)
        if folder is None:
            self._writable = False  # read-only, or not a folder: build on without it
            return
        try:
            write_file(folder, f"{key}.json", data)
        except FolderNotWritable:
            self._writable = False
        except OSError:
            pass  # disk full, or a folder in the way: recomputed next time

    def _open(self, create: bool) -> int | None:
        """The entries folder's descriptor (made, with the cache tag, when `create`)."""
        if self._entries is not None and (self._tagged or not create):
            return self._entries
        top = open_folder(self.folder, create=create)
        if top is None:
            return self._entries
        try:
            if self._entries is None:
                self._entries = open_subfolder(top, ENTRIES, create=create)
            if create and self._entries is not None:
                _tag(top)
                self._tagged = True
        finally:
            os.close(top)
        return self._entries

    def prune(self) -> int:
        """Delete the entries this build did not use -> how many were deleted.
        Names are unlinked in the entries folder itself: a link goes, never what
        it points to."""
        folder = self._open(create=False)
        if folder is None:
            return 0
        removed = 0
        try:
            names = os.listdir(folder)
        except OSError:
            return 0
        for name in names:
            if _ENTRY_NAME.fullmatch(name) and name.removesuffix(".json") not in self.used:
                try:
                    os.unlink(name, dir_fd=folder)
                    removed += 1
                except OSError:
                    pass
        return removed

    def close(self) -> None:
        """Release the entries folder (a build that fails leaves it to `__del__`)."""
        if self._entries is not None:
            os.close(self._entries)
            self._entries = None

    def __del__(self) -> None:
        self.close()


def _entry(data: bytes, key: str) -> Result | None:
    """An entry's bytes -> the result it holds, or None when it is not a well-formed
    entry of this format under this key."""
    try:
        entry = loads(data)
        if type(entry) is not dict or entry.get("format") != FORMAT or entry.get("key") != key:
            return None
        kind = {"article": Article, "problem": Problem}[entry["kind"]]
        result = decode(kind, entry["value"])
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError):
        return None
    return result if isinstance(result, Article | Problem) else None


def fits(result: Result, path: str, article_id: str) -> bool:
    """Whether a decoded entry could be the analysis of the file at `path` with
    `article_id`: the same path and id (an entry carrying another article's id
    would name another page), and every value that came from the content as the
    loader leaves it (http(s) URLs only, ISO dates, a language code, sorted
    distinct terms with a count each)."""
    if isinstance(result, Problem):
        return result.path == path
    meta = result.meta
    return (
        result.id == article_id
        and result.path == path
        and all(p.path == path for p in result.problems)
        and bool(result.title.strip())
        and (meta.url is None or http_url(meta.url) == meta.url)
        and (meta.date is None or is_iso_date(meta.date))
        and _LANGUAGE.fullmatch(result.lang) is not None
        and len(result.terms) == len(result.term_counts)
        and min(result.term_counts, default=1) > 0
        and _strictly_increasing(result.terms)
        and len(result.shingles) % 4 == 0
        and result.word_count >= 0
        and all(math.isfinite(k.score) for k in result.keywords)
    )


def _strictly_increasing(terms: tuple[str, ...]) -> bool:
    """Whether terms are sorted and distinct (in C: sorting a sorted list is one pass)."""
    return len(set(terms)) == len(terms) and sorted(terms) == list(terms)


# What `extract.language_of` gives (an ISO 639 code, lower case), checked here
# without importing the analysis stack (a test keeps the two in step).
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}Z?)?")


def is_iso_date(text: str) -> bool:
    """Whether a stored date is one `dates.parse_date` could have given: an ISO
    date, or date and time to the second (in UTC when marked Z), that exists."""
    if not _ISO_DATE.fullmatch(text):
        return False
    try:
        dt.datetime.fromisoformat(text.removesuffix("Z"))
    except ValueError:
        return False
    return True


def loads(data: bytes) -> Any:
    """JSON bytes written by this module -> data; ValueError or RecursionError when
    malformed. Refuses what is never written: NaN and infinities (they would reach
    scores and pages) and escaped lone surrogates (text no page can encode)."""
    if _SURROGATE_ESCAPE.search(data):
        raise ValueError("an escaped lone surrogate")
    return json.loads(data, parse_constant=_no_constant, parse_float=_finite)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not finite")
    return value


class FolderNotWritable(OSError):
    """The folder a file was to be written in cannot take files at all."""


# ------------------------------------------------------------ the folder on disk

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FDS = {os.open, os.stat, os.mkdir, os.unlink, os.rename} <= os.supports_dir_fd
_O_FOLDER = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _O_NOFOLLOW | _O_CLOEXEC


def open_folder(path: Path, *, create: bool = False) -> int | None:
    """The cache folder -> a descriptor of it, or None when it is missing (and not
    to be made) or is not a real folder: a symbolic link in its place is not
    followed. The folders above it are the configuration's, and trusted. Where
    the system has no calls relative to a folder's descriptor, there is no cache."""
    if not _DIR_FDS:
        return None  # no descriptor-relative calls here (Windows): no cache
    try:
        if create:
            path.mkdir(parents=True, exist_ok=True)
        return os.open(path, _O_FOLDER)
    except OSError:
        return None


def open_subfolder(parent: int, name: str, *, create: bool = False) -> int | None:
    """A folder inside an open folder -> its descriptor, or None. With `create`, a
    missing folder is made, and anything else in its place (a link, a file, a
    pipe) is unlinked first: the link goes, never what it points to."""
    try:
        return os.open(name, _O_FOLDER, dir_fd=parent)
    except OSError:
        if not create:
            return None
    try:
        try:
            if stat.S_ISDIR(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode):
                return None  # a real folder that cannot be opened
            os.unlink(name, dir_fd=parent)
        except FileNotFoundError:
            pass
        os.mkdir(name, dir_fd=parent)
        return os.open(name, _O_FOLDER, dir_fd=parent)
    except OSError:
        return None


def read_file(folder: int, name: str, limit: int) -> bytes | None:
    """A regular file in an open folder -> its bytes; None when it is missing, is
    anything else (a link, a pipe, a socket, a device, a folder) or holds more than
    `limit` bytes. Opened without following a link and without blocking, so a
    named pipe can never stall the build."""
    try:
        handle = os.open(name, os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK | _O_CLOEXEC, dir_fd=folder)
    except OSError:
        return None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(handle, min(1 << 20, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:  # grew while read
                return None
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(handle)


def write_file(folder: int, name: str, data: bytes) -> None:
    """Write a file in an open folder under a temporary name, then rename it into
    place: a reader, or a build killed meanwhile, sees the old file or the new
    one, never half of one; a link in its place is replaced, never followed.
    Raises FolderNotWritable when no file can be made in the folder, OSError when
    this one could not be written (no temporary file is left either way)."""
    temp = f".{name}.{secrets.token_hex(6)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC
    try:
        handle = os.open(temp, flags, 0o600, dir_fd=folder)
    except OSError as exc:
        raise FolderNotWritable(str(exc)) from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp, dir_fd=folder)
        raise


def read_below(root: Path, rel: str, limit: int) -> bytes | None:
    """A regular file at `rel` ("/"-separated) in the cache folder `root` -> its
    bytes, every folder on the way opened without following a link; None when
    anything on the way is missing or not what it should be (see `read_file`)."""
    *folders, name = rel.split("/")
    handle = open_folder(root)
    try:
        for part in folders:
            if handle is None:
                return None
            inner = open_subfolder(handle, part)
            os.close(handle)
            handle = inner
        return None if handle is None else read_file(handle, name, limit)
    finally:
        if handle is not None:
            os.close(handle)


def write_below(root: Path, rel: str, data: bytes) -> None:
    """Write a file at `rel` ("/"-separated) in the cache folder `root`, atomically,
    making the folders on the way (a link in the place of one is replaced, never
    followed). Raises OSError when it cannot."""
    *folders, name = rel.split("/")
    handle = open_folder(root, create=True)
    try:
        for part in folders:
            if handle is None:
                break
            inner = open_subfolder(handle, part, create=True)
            os.close(handle)
            handle = inner
        if handle is None:
            raise FolderNotWritable(f"cannot make {rel} in {root}")
        write_file(handle, name, data)
    finally:
        if handle is not None:
            os.close(handle)


def exists_in(folder: int, name: str) -> bool:
    """Whether `name` is anything at all (a link is not followed) in an open folder."""
    try:
        os.stat(name, dir_fd=folder, follow_symlinks=False)
        return True
    except OSError:
        return False


def _tag(folder: int) -> None:
    """Put the cache directory tag in the cache folder when no regular file has it."""
    try:
        info = os.stat(TAG_NAME, dir_fd=folder, follow_symlinks=False)
        if stat.S_ISREG(info.st_mode):
            return
        os.unlink(TAG_NAME, dir_fd=folder)  # a link or a pipe by that name: unlinked
    except FileNotFoundError:
        pass
    except OSError:
        return
    with contextlib.suppress(OSError):
        write_file(folder, TAG_NAME, TAG.encode("utf-8"))


def fingerprint(config: Config) -> str:
    """Everything besides a file's own path and bytes that its analysis depends on."""
    settings = {
        f.name: getattr(config, f.name)
        for f in dataclasses.fields(config)
        if f.name not in SITE_ONLY_FIELDS
    }
    parts = {
        "format": FORMAT,
        "digest": _digest_version(),
        "code": _code_hash(),
        "libraries": _library_versions(),
        "python": list(sys.version_info[:2]),
        "config": settings,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()


def _digest_version() -> str:
    import digest  # the package is fully imported by the time a build runs

    return digest.__version__


# The modules of the per-article stage: `analyse` and every digest module it
# imports, directly or not (a test keeps this list complete), and this one,
# which encodes the entries. Dotted names are modules of a package ("load" is
# digest/load/__init__.py, "load.html" digest/load/html.py).
ANALYSIS_MODULES = (
    "analyse",
    "load",
    "load.files",
    "load.decode",
    "load.meta",
    "load.reader",
    "load.document",
    "load.markdown",
    "load.text",
    "load.html",
    "dates",
    "noise",
    "urls",
    "page_body",
    "clean",
    "extract",
    "keywords",
    "languages",
    "terms",
    "titles",
    "models",
    "config",
    "cache",
)


def module_path(name: str) -> Path:
    """A module name of ANALYSIS_MODULES ("load.html") -> its source file."""
    base = Path(__file__).parent.joinpath(*name.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


@functools.cache
def _code_hash() -> str:
    """Hash of the modules the analysis runs: a changed analysis invalidates the
    cache even before the version number moves (as it does during development),
    while a change to grouping or rendering keeps it."""
    digest = hashlib.sha256()
    for name in sorted(ANALYSIS_MODULES):
        path = module_path(name)
        label = path.relative_to(Path(__file__).parent).as_posix()
        digest.update(label.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache
def installed_version(name: str) -> str:
    """The installed version of a distribution, or "none": what
    `importlib.metadata.version` gives, read from the metadata folders found by
    one listing of each folder on sys.path (`_metadata_folders`). Asking
    importlib.metadata for each of the twenty libraries every build hashes cost
    60 ms, a third of a no-op rebuild; it is asked only when this falls short."""
    folders, complete = _metadata_folders()
    folder = folders.get(_normal_name(name))
    version = _version_in(folder) if folder is not None else None
    if version is not None:
        return version
    if folder is None and complete:
        return "none"
    import importlib.metadata  # a zip on sys.path, or metadata this does not read

    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "none"


def _normal_name(name: str) -> str:
    """A distribution's name as its metadata folder spells it ("PyYAML",
    "python-dateutil") -> one spelling ("pyyaml", "python_dateutil")."""
    return re.sub(r"[-_.]+", "_", name).lower()


@functools.cache
def _metadata_folders() -> tuple[dict[str, Path], bool]:
    """Normal name -> the `*.dist-info` or `*.egg-info` folder of each distribution
    on sys.path, the first found winning as in importlib.metadata; and whether
    every entry of sys.path could be listed (a zip file cannot)."""
    found: dict[str, Path] = {}
    complete = True
    for entry in sys.path:
        folder = Path(entry or ".")
        try:
            names = sorted(os.listdir(folder))
        except NotADirectoryError:
            complete = False  # a zip file: importlib.metadata reads those
            continue
        except OSError:
            continue  # missing: nothing installed there
        for name in names:
            stem, _, kind = name.rpartition(".")
            if kind in ("dist-info", "egg-info"):
                found.setdefault(_normal_name(stem.split("-")[0]), folder / name)
    return found, complete


def _version_in(folder: Path) -> str | None:
    """A metadata folder -> the Version field of its METADATA (or PKG-INFO), or None."""
    for file in ("METADATA", "PKG-INFO"):
        try:
            with (folder / file).open(encoding="utf-8") as lines:
                for line in lines:
                    if line.startswith("Version:"):
                        return line.removeprefix("Version:").strip()
                    if not line.strip():
                        break  # the end of the headers
        except (OSError, UnicodeError):
            continue
    return None


def _library_versions() -> dict[str, str]:
    return {name: installed_version(name) for name in LIBRARIES}


# ------------------------------------------------------------------ JSON <-> records


def encode(value: Any) -> Any:
    """A frozen record (or tuple, or scalar) -> JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [encode(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot cache a {type(value).__name__}")


def decode(tp: Any, data: Any) -> Any:
    """JSON data -> a value of type `tp`, checked all the way down; TypeError if it is not."""
    return _decoder(tp)(data)


Decoder = Callable[[Any], Any]


@functools.cache
def _decoder(tp: Any) -> Decoder:
    """A type -> a function that turns JSON data into a checked value of that type.

    Made once per type: a cached build decodes hundreds of entries, each with
    hundreds of shingles and terms, so the type is not re-read for every value.
    """
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _record_decoder(tp)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        if args[0] in (int, str):
            kind = args[0]

            exact = frozenset({kind})

            def scalars(data: Any) -> Any:
                # the types of all items at once (an entry holds thousands of terms)
                if type(data) is not list or not exact.issuperset(map(type, data)):
                    raise TypeError(f"not a list of {kind.__name__}")
                return tuple(data)

            return scalars
        item = _decoder(args[0])

        def items(data: Any) -> Any:
            if type(data) is not list:
                raise TypeError("not a list")
            return tuple(map(item, data))

        return items
    if origin is tuple:
        parts = [_decoder(arg) for arg in args]

        def fixed(data: Any) -> Any:
            if type(data) is not list or len(data) != len(parts):
                raise TypeError("not a list of the right length")
            return tuple(part(x) for part, x in zip(parts, data, strict=True))

        return fixed
    if origin in (types.UnionType, typing.Union):
        options = [arg for arg in args if arg is not type(None)]
        if len(options) != 1 or len(args) != 2:
            raise TypeError(f"cannot decode {tp!r}")
        inner = _decoder(options[0])
        return lambda data: None if data is None else inner(data)
    if origin is Literal:
        allowed = frozenset(args)

        def literal(data: Any) -> Any:
            if not isinstance(data, str) or data not in allowed:
                raise TypeError("not an allowed value")
            return data

        return literal
    if tp is float:

        def number(data: Any) -> float:
            if type(data) not in (int, float):
                raise TypeError("not a number")
            return float(data)

        return number
    if tp is bytes:

        def packed(data: Any) -> bytes:
            if type(data) is not str:
                raise TypeError("not base64 text")
            try:
                return base64.b64decode(data.encode("ascii"), validate=True)
            except (ValueError, UnicodeError):
                raise TypeError("not base64 text") from None

        return packed
    if tp in (bool, int, str):

        def scalar(data: Any) -> Any:
            if type(data) is not tp:  # exact: True is not an int here
                raise TypeError(f"not a {tp.__name__}")
            return data

        return scalar
    raise TypeError(f"cannot decode {tp!r}")


def _record_decoder(cls: type) -> Decoder:
    hints = _hints(cls)
    names = frozenset(hints)
    # Plain fields (text, numbers, flags) are checked in the loop, the others by
    # their decoders: a cached build decodes some 16 records per article, and a
    # call per field was most of the time of its look-ups.
    exact = [(name, hint) for name, hint in hints.items() if hint in (bool, int, str)]
    nested = [(name, _decoder(hint)) for name, hint in hints.items() if (name, hint) not in exact]
    # A frozen record's __init__ sets each field through object.__setattr__; every
    # field is given and checked here, so a record without __post_init__ or
    # slots is filled directly.
    direct = not hasattr(cls, "__post_init__") and not hasattr(cls, "__slots__")
    new = object.__new__

    def record(data: Any) -> Any:
        if type(data) is not dict or data.keys() != names:
            raise TypeError(f"not a {cls.__name__}")
        for name, kind in exact:
            if type(data[name]) is not kind:  # exact: True is not an int here
                raise TypeError(f"not a {cls.__name__}: {name} is not a {kind.__name__}")
        values = dict(data)
        for name, decode in nested:
            values[name] = decode(values[name])
        if not direct:
            return cls(**values)
        made: Any = new(cls)
        made.__dict__.update(values)
        return made

    return record


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """A record's fields and their types (resolved from the postponed annotations)."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}
