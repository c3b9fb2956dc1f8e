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
An entry that cannot be read or does not decode into the current records is a
miss, never an error; so is a cache folder that cannot be written. Look-ups and
stores happen in the calling process only, so the analysis itself can move to
a process pool without touching this module.

After a build, `prune` deletes the entries that build did not use: the cache
holds the per-article results of the last build and does not grow.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import importlib.metadata
import json
import os
import re
import sys
import tempfile
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from digest.config import Config
from digest.load import SourceFile
from digest.models import Article, DigestError, Problem

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
    if cache.exists() and not cache.is_dir():
        raise DigestError(f"cache path {cache} is a file, not a folder")


class ArticleCache:
    """The cache folder for one configuration: key -> Article or Problem."""

    def __init__(self, folder: Path, config: Config) -> None:
        self.folder = folder
        self.entries = folder / ENTRIES
        self.fingerprint = fingerprint(config)
        self.used: set[str] = set()
        self._writable = True

    def key(self, source: SourceFile, article_id: str) -> str:
        """What one file's analysis depends on -> the key of its entry."""
        parts = json.dumps([self.fingerprint, source.path, article_id, source.content_hash])
        return hashlib.sha256(parts.encode("utf-8")).hexdigest()

    def get(self, key: str) -> Result | None:
        """The stored result, or None when it is missing, unreadable or out of date."""
        self.used.add(key)
        try:
            data = json.loads((self.entries / f"{key}.json").read_bytes())
            if data.get("format") != FORMAT or data.get("key") != key:
                return None
            kind = {"article": Article, "problem": Problem}[data["kind"]]
            result = _decode(kind, data["value"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return None
        return result if isinstance(result, Article | Problem) else None

    def put(self, key: str, result: Result) -> None:
        """Store a result atomically; a cache that cannot be written is skipped."""
        self.used.add(key)
        if not self._writable:
            return
        kind = "article" if isinstance(result, Article) else "problem"
        try:
            entry = {"format": FORMAT, "key": key, "kind": kind, "value": _encode(result)}
            data = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except (TypeError, ValueError):  # e.g. a lone surrogate: recomputed next time
            return
        try:
            self._prepare()
            write_atomically(self.entries / f"{key}.json", data)
        except FolderNotWritable:
            self._writable = False  # read-only, or not a folder: build on without it
        except OSError:
            pass  # disk full, or a folder in the way: recomputed next time

    def _prepare(self) -> None:
        try:
            if not self.entries.is_dir():
                self.entries.mkdir(parents=True, exist_ok=True)
            tag = self.folder / TAG_NAME
            if not tag.exists():
                tag.write_text(TAG, encoding="utf-8")
        except OSError as exc:
            raise FolderNotWritable(str(exc)) from None

    def prune(self) -> int:
        """Delete the entries this build did not use -> how many were deleted."""
        removed = 0
        try:
            names = os.listdir(self.entries)
        except OSError:
            return 0
        for name in names:
            if _ENTRY_NAME.fullmatch(name) and name.removesuffix(".json") not in self.used:
                try:
                    (self.entries / name).unlink()
                    removed += 1
                except OSError:
                    pass
        return removed


class FolderNotWritable(OSError):
    """The folder a file was to be written in cannot take files at all."""


def write_atomically(target: Path, data: bytes) -> None:
    """Write a file under a temporary name beside it, then rename it into place:
    a reader, or a build killed meanwhile, sees the old file or the new one,
    never half of one. Raises FolderNotWritable when no file can be made in the
    folder, OSError when this one could not be written (no temporary file is
    left either way)."""
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise FolderNotWritable(str(exc)) from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


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
    """The installed version of a distribution, or "none"."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "none"


def _library_versions() -> dict[str, str]:
    return {name: installed_version(name) for name in LIBRARIES}


# ------------------------------------------------------------------ JSON <-> records


def _encode(value: Any) -> Any:
    """A frozen record (or tuple, or scalar) -> JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _decode(tp: Any, data: Any) -> Any:
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

            def scalars(data: Any) -> Any:
                if type(data) is not list or not all(type(x) is kind for x in data):
                    raise TypeError(f"not a list of {kind.__name__}")
                return tuple(data)

            return scalars
        item = _decoder(args[0])

        def items(data: Any) -> Any:
            if type(data) is not list:
                raise TypeError("not a list")
            return tuple(item(x) for x in data)

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
    fields = [(name, _decoder(hint)) for name, hint in hints.items()]

    def record(data: Any) -> Any:
        if type(data) is not dict or data.keys() != names:
            raise TypeError(f"not a {cls.__name__}")
        return cls(**{name: decode(data[name]) for name, decode in fields})

    return record


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """A record's fields and their types (resolved from the postponed annotations)."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}
