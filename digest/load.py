"""Content files -> `Document`s: Markdown with front matter, plain text, HTML.

This is the only module that reads the content folder. Each file becomes a
`Document` or a `Problem`; loading one file never depends on another.
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import hashlib
import html
import os
import re
import stat
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import lxml.etree
import lxml.html
import yaml
from dateutil import parser as dateparser

from digest.models import Block, BlockKind, Document, Meta, Problem
from digest.page_body import PageBody, extract_page, is_full_page
from digest.titles import strip_site_name

MARKDOWN_SUFFIXES = (".md", ".markdown")
TEXT_SUFFIXES = (".txt", ".text")
HTML_SUFFIXES = (".html", ".htm")
SUFFIXES = MARKDOWN_SUFFIXES + TEXT_SUFFIXES + HTML_SUFFIXES
MAX_FILE_BYTES = 8 * 1024 * 1024  # larger files are refused, not truncated
MAX_FRONT_MATTER_BYTES = 64 * 1024


@dataclass(frozen=True)
class SourceFile:
    """One file of the content folder: its relative path and bytes."""

    path: str  # relative to the content folder, "/"-separated
    data: bytes

    @functools.cached_property
    def content_hash(self) -> str:
        """SHA-256 of the bytes, hex: computed once for the cache key and the
        no-op check alike."""
        return hashlib.sha256(self.data).hexdigest()


# --------------------------------------------------------------------------- reading


def read_content(content_dir: Path) -> tuple[list[SourceFile], list[Problem]]:
    """Content folder -> (its article files in path order, problems with the rest).

    Every file that is not read is reported: hidden files and folders (".git",
    ".DS_Store": one problem per hidden folder, not per file in it), unknown
    types, names that are not UTF-8, links that leave the folder or loop, and
    anything that is not a regular file. Symbolic links to files are followed
    only when they stay inside the content folder; links to folders are not
    followed (a folder inside is read under its own path).
    """
    root = content_dir.resolve()
    files: list[SourceFile] = []
    problems: list[Problem] = []
    for rel, full in _walk(root, root, problems, seen=set()):
        if not rel.lower().endswith(SUFFIXES):
            problems.append(Problem(rel, "unknown file type (expected .md, .txt or .html)"))
            continue
        data = _read_file(rel, full, problems)
        if data is not None:
            files.append(SourceFile(rel, data))
    return files, problems


def _read_file(rel: str, full: Path, problems: list[Problem]) -> bytes | None:
    """One regular file's bytes, or None with a problem.

    Opened without following a link (a link was resolved and checked by `_walk`;
    a file swapped for a link since is refused) and without blocking (a named
    pipe that appeared since would hang the build), then checked on the open
    handle; at most MAX_FILE_BYTES + 1 bytes are read, so a file that grows
    while it is read cannot exhaust memory either.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(full, flags)
    except OSError as exc:
        problems.append(Problem(rel, f"cannot read file: {exc.strerror or exc}"))
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            problems.append(Problem(rel, "not a regular file (a pipe, socket or device)"))
            return None
        if info.st_size > MAX_FILE_BYTES:
            problems.append(
                Problem(rel, f"file too large ({info.st_size:,} bytes; limit {MAX_FILE_BYTES:,})")
            )
            return None
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, min(1 << 20, MAX_FILE_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_FILE_BYTES:
            problems.append(Problem(rel, f"file too large (over {MAX_FILE_BYTES:,} bytes)"))
            return None
        return b"".join(chunks)
    except OSError as exc:
        problems.append(Problem(rel, f"cannot read file: {exc.strerror or exc}"))
        return None
    finally:
        os.close(fd)


def _walk(
    folder: Path, root: Path, problems: list[Problem], seen: set[Path]
) -> Iterator[tuple[str, Path]]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        problems.append(Problem(_rel(folder, root), f"cannot list folder: {exc.strerror}"))
        return
    seen.add(folder)
    for entry in entries:
        path = Path(entry.path)
        rel = _rel(path, root)
        if not _is_utf8(entry.name):
            # A name that is not UTF-8 cannot be written into digest.json, a page
            # or the report (it crashed the whole build); it has to be renamed.
            problems.append(Problem(_printable(rel), "file name is not valid UTF-8; rename it"))
            continue
        if entry.name.startswith("."):
            # Skipped like other site generators do (".git", ".DS_Store", editor
            # files), but said: a hidden article must not vanish without a word.
            # A cache folder (digest's own, when the content folder is the project)
            # carries a CACHEDIR.TAG and is no content at all.
            kind = "folder" if entry.is_dir(follow_symlinks=False) else "file"
            if kind == "file" or not _is_cache_folder(path):
                problems.append(Problem(rel, f"hidden {kind} skipped (its name starts with '.')"))
            continue
        if entry.is_symlink():
            try:
                target = path.resolve(strict=True)
            except (OSError, RuntimeError):
                problems.append(Problem(rel, "broken or looping symbolic link"))
                continue
            if target != root and root not in target.parents:
                problems.append(Problem(rel, "symbolic link points outside the content folder"))
                continue
            if target.is_dir():
                # A folder link inside the content folder either loops (it points at
                # a folder holding it) or is an alias of a folder that is read under
                # its own path anyway. Following an alias read its articles before the
                # real folder, which was then reported as a "loop".
                if target == root or target in path.parents:
                    problems.append(Problem(rel, "symbolic link loop"))
                continue
            path = target
        if path.is_dir():
            if path in seen:
                problems.append(Problem(rel, "symbolic link loop"))
                continue
            yield from _walk(path, root, problems, seen)
        elif path.is_file():
            yield rel, path
        else:
            # a named pipe, socket or device: reading one could block forever
            problems.append(Problem(rel, "not a regular file (a pipe, socket or device)"))


CACHEDIR_SIGNATURE = b"Signature: 8a477f597d28d172789f06886806bc55"  # bford.info/cachedir


def _is_cache_folder(path: Path) -> bool:
    try:
        with open(path / "CACHEDIR.TAG", "rb") as tag:
            return tag.read(len(CACHEDIR_SIGNATURE)) == CACHEDIR_SIGNATURE
    except OSError:
        return False


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # os.scandir turned undecodable bytes into surrogates
        return False
    return True


def _printable(name: str) -> str:
    """A file name that is not UTF-8 -> the same name with the bad bytes as \\xNN."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


# --------------------------------------------------------------------------- decoding


def load_document(source: SourceFile) -> Document | Problem:
    """One file's bytes -> a `Document`, or a `Problem` saying why it can't be used."""
    text, notes = decode(source.data)
    if text is None:
        return Problem(source.path, notes[0])
    if not text.strip():
        return Problem(source.path, "empty file")
    lower = source.path.lower()
    try:
        if lower.endswith(MARKDOWN_SUFFIXES):
            doc = _load_markdown(source.path, text)
        elif lower.endswith(HTML_SUFFIXES) or (
            lower.endswith(TEXT_SUFFIXES) and _looks_like_html(text)
        ):
            doc = _load_html(source.path, text)
        else:
            doc = _load_text(source.path, text)
    except _Unusable as exc:
        return Problem(source.path, str(exc))
    except RecursionError:
        # PyYAML and Python-Markdown parse nesting recursively: front matter like
        # "title: [[[[…" or a list nested a few hundred deep crashed the whole
        # build instead of failing this one file.
        return Problem(source.path, "nested too deeply to read")
    if isinstance(doc, Problem):
        return doc
    if not any(t.strip() for b in doc.blocks for t in b.texts()) and not headline_only(doc):
        return Problem(source.path, "no article text found")
    extra = tuple(Problem(source.path, n) for n in notes)
    return replace(doc, problems=extra + doc.problems)


def headline_only(doc: Document) -> bool:
    """A Markdown or text file that declares a title but has no body: a headline
    or link entry, kept as an article of its title alone."""
    return bool(doc.meta.title) and not doc.path.lower().endswith(HTML_SUFFIXES)


class _Unusable(Exception):
    """Raised inside a loader for a file that can't become an article."""


def decode(data: bytes) -> tuple[str | None, list[str]]:
    """Bytes -> (text, notes about repairs), or (None, [reason]) for binary data.

    UTF-8 (with or without BOM) and UTF-16 with a BOM are read as such; other
    bytes that are not UTF-8 are read as Windows-1252, the usual culprit, and a
    note says so.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError:
            return None, ["invalid UTF-16 text"]
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    sample = data[:8192]
    if b"\x00" in sample or _control_share(sample) > 0.05:
        return None, ["binary file, not text"]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        position = exc.start
    text = data.decode("cp1252", errors="replace")
    return text, [f"not valid UTF-8 (first bad byte at offset {position}); read as Windows-1252"]


def _control_share(sample: bytes) -> float:
    if not sample:
        return 0.0
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls / len(sample)


_HTML_SNIFF = re.compile(
    r"<(?:a\s[^>]*href|p|div|b|i|em|strong|br|span|html|body|article|h[1-6]|ul|li)\b[^>]*>",
    re.IGNORECASE,
)


def _looks_like_html(text: str) -> bool:
    return len(_HTML_SNIFF.findall(text[:20000])) >= 2


# --------------------------------------------------------------------------- metadata


_URL_KEYS = ("url", "link", "canonical", "source_url")
_SOURCE_KEYS = ("source", "outlet", "publisher", "site_name")


def meta_from_mapping(path: str, data: dict[str, Any]) -> tuple[Meta, list[Problem]]:
    """Front matter or header fields -> (Meta, problems with individual values)."""
    problems: list[Problem] = []
    fields = {str(k).strip().lower(): v for k, v in data.items()}

    def text(*keys: str) -> str | None:
        for key in keys:
            value = fields.get(key)
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                value = " ".join(_no_surrogates(str(value)).split())
                if value:
                    return value[:500]
            elif isinstance(value, list) and value and isinstance(value[0], str):
                return ", ".join(
                    " ".join(_no_surrogates(v).split()) for v in value[:5] if isinstance(v, str)
                )
        return None

    date = None
    raw_date = next((fields[k] for k in ("date", "published", "pubdate") if k in fields), None)
    if raw_date is not None:
        date = parse_date(raw_date)
        if date is None:
            problems.append(Problem(path, f"unparsable date {str(raw_date)[:60]!r}; date left out"))
        else:
            problems.extend(Problem(path, note) for note in early_date_notes(date))
    url = None
    raw_url = text(*_URL_KEYS)
    if raw_url is not None:
        url = http_url(raw_url)
        if url is None:
            problems.append(Problem(path, f"not an http(s) URL {raw_url[:80]!r}; link left out"))
    tags_value = fields.get("tags", fields.get("keywords"))
    tags: list[str] = []
    if isinstance(tags_value, str):
        tags = [t.strip() for t in _no_surrogates(tags_value).split(",")]
    elif isinstance(tags_value, list):
        tags = [
            " ".join(_no_surrogates(str(t)).split())
            for t in tags_value[:50]
            if isinstance(t, str | int) and not isinstance(t, bool)
        ]
    source = text(*_SOURCE_KEYS)
    if source is None and url is not None:
        source = domain_of(url)
    exclude = fields.get("exclude", fields.get("draft"))
    story = text("story")
    meta = Meta(
        title=text("title", "headline"),
        date=date,
        source=source,
        url=url,
        author=text("author", "authors", "by", "byline"),
        tags=tuple(dict.fromkeys(t[:80] for t in tags if t)),
        lang=text("lang", "language"),
        section=text("section", "category", "topic"),
        story=story,
        exclude=exclude is True or (isinstance(exclude, str) and exclude.lower() == "true"),
        source_evidence="meta" if source else None,
    )
    return meta, problems


# Dates before this year are taken for mistakes (a year 1 from a broken template),
# not for old news; they are kept, with a problem saying so.
EARLIEST_PLAUSIBLE_YEAR = 1900


def clock() -> dt.datetime:
    """The current time, for date warnings only (a test may replace it)."""
    return dt.datetime.now(dt.UTC)


def date_notes(date: str, now: dt.datetime | None = None) -> list[str]:
    """An ISO date -> notes for a date that is implausible: before 1900, or later
    than `now` (the clock) by more than a day (a day of slack for time zones).

    The clock only decides whether the note is given: the date itself is kept as
    written, so it never changes a page, and two builds still give the same bytes.
    """
    return [*early_date_notes(date), *future_date_notes(date, now)]


def early_date_notes(date: str) -> list[str]:
    """The clock-free half of `date_notes`, given while a file is read (and cached)."""
    moment = _moment(date)
    if moment is not None and moment.year < EARLIEST_PLAUSIBLE_YEAR:
        return [f"implausible date {date} (before {EARLIEST_PLAUSIBLE_YEAR}); kept as written"]
    return []


def future_date_notes(date: str, now: dt.datetime | None = None) -> list[str]:
    """The half of `date_notes` that reads the clock: given on every build, after
    the cached analysis, so a note never outlives its truth."""
    moment = _moment(date)
    if moment is None:
        return []
    now = now or clock()
    limit = now.astimezone(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=1)
    return [f"date {date} is in the future; kept as written"] if moment > limit else []


def _moment(date: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(date.removesuffix("Z"))
    except ValueError:
        return None


_SURROGATES = re.compile("[\ud800-\udfff]")


def _no_surrogates(text: str) -> str:
    """YAML's "\\ud800" escape gives a lone surrogate, which no page, feed or
    digest.json can encode: writing one crashed the build."""
    return _SURROGATES.sub("", text)


def parse_date(value: object) -> str | None:
    """A date in any common form -> ISO 8601 text, or None when it can't be read."""
    if isinstance(value, dt.datetime):
        return _iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str | int):
        return None
    text = str(value).strip()
    if not text or len(text) > 64 or not re.search(r"\d", text):
        return None
    try:
        parsed = dateparser.isoparse(text)
    except (ValueError, OverflowError):
        try:
            parsed = dateparser.parse(text, default=dt.datetime(1900, 1, 1))
        except (ValueError, OverflowError, TypeError):
            return None
        if parsed.year == 1900 and "1900" not in text:
            return None  # a time or fragment with no year is not a publication date
    has_time = bool(re.search(r"\d{1,2}:\d{2}", text))
    return _iso(parsed) if has_time else parsed.date().isoformat()


def _iso(value: dt.datetime) -> str | None:
    if value.tzinfo is not None:
        try:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        except (OverflowError, ValueError):
            # "9999-12-31T23:59-14:00" is past the last UTC moment Python knows;
            # an offset of a day or more is no time zone. Both crashed the build.
            return None
        return value.isoformat(timespec="seconds") + "Z"
    return value.isoformat(timespec="seconds")


def http_url(value: str) -> str | None:
    """The URL when it is an absolute http(s) URL with a host, else None."""
    value = value.strip()
    if any(c.isspace() or ord(c) < 32 for c in value) or len(value) > 2000:
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return value


def domain_of(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def site_names(meta: Meta) -> list[str]:
    """An article's metadata -> the names its outlet's site goes by (the source, the
    URL's host): what a site-name part of its headline would say."""
    return [n for n in (meta.source, meta.url and domain_of(meta.url)) if n]


# --------------------------------------------------------------------------- Markdown

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S | re.M)


def _load_markdown(path: str, text: str) -> Document:
    meta_data: dict[str, Any] = {}
    if text.startswith("---"):
        match = _FRONT_MATTER.match(text)
        if match is None:
            raise _Unusable("front matter is never closed (no second '---' line)")
        raw = match.group(1)
        if len(raw.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
            raise _Unusable("front matter larger than 64 KiB")
        try:
            loaded = yaml.load(raw, Loader=_FrontMatterLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 2}" if mark is not None else ""
            reason = getattr(exc, "problem", None) or "invalid YAML"
            raise _Unusable(f"broken front matter{where}: {reason}") from None
        except (ValueError, OverflowError) as exc:
            # PyYAML's constructors raise these past its own error type: an integer
            # of over 4,300 digits ("title: 999…") crashed the whole build.
            raise _Unusable(f"broken front matter: {str(exc)[:100]}") from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise _Unusable(f"front matter is a {type(loaded).__name__}, not a mapping")
        meta_data = loaded
        text = text[match.end() :]
    meta, problems = meta_from_mapping(path, meta_data)
    costly = markdown_too_costly(text)
    if costly is not None:
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        problems.append(Problem(path, f"{costly}; read as plain text"))
        blocks = _text_blocks(lines, hard_wrapped=_hard_wrapped(lines))
        return Document(path=path, meta=meta, blocks=tuple(blocks), problems=tuple(problems))
    paragraphs = plain_paragraphs(text)
    if paragraphs is not None:  # most articles: what converting them would give
        return Document(path=path, meta=meta, blocks=tuple(paragraphs), problems=tuple(problems))
    html = _markdown_to_html(text)
    parser = lxml.html.HTMLParser()
    fragment = lxml.html.fragment_fromstring(html, create_parent="div", parser=parser)
    if _too_deep(parser):  # "> > > > …" quotes nested hundreds deep
        blocks, _links = flat_html_blocks(html)
        problems.append(Problem(path, TOO_DEEP))
    else:
        blocks, _links = html_blocks(fragment)
    return Document(path=path, meta=meta, blocks=tuple(blocks), problems=tuple(problems))


# What Python-Markdown (with "extra" and "sane_lists") reads as more than the text
# of a paragraph: inline markup, links, footnotes and abbreviations, HTML, tables,
# fences and attribute lists; an entity ("&amp;": any other "&" it escapes, and
# it reads back as "&"); at the start of a line, indented code, a heading, quote,
# definition, rule, setext underline or list item; and trailing spaces (a hard
# line break, or a blank line).
_MARKDOWN_SYNTAX = re.compile(
    r"[\\`*_{}\[\]<>|~^]|&#?\w+;|^(?:[ #>:=+-]|\d+\.)| $",
    re.MULTILINE,
)


def plain_paragraphs(text: str) -> list[Block] | None:
    """Markdown that is nothing but paragraphs of text -> their blocks, exactly as
    converting it to HTML and reading that gives them; None for any other text.

    Converting is the slowest step of loading an article, and most articles are
    plain paragraphs. Unprintable characters (tabs, line and paragraph
    separators, controls that Python-Markdown removes or libxml2 refuses) also
    leave the text to the converter.
    """
    if _MARKDOWN_SYNTAX.search(text) or not text.replace("\n", "").isprintable():
        return None
    paragraphs = [" ".join(words) for chunk in text.split("\n\n") if (words := chunk.split())]
    return [Block("p", p) for p in paragraphs] or None


_MARKDOWN = threading.local()  # a converter per thread: they keep state while converting


def _markdown_to_html(text: str) -> str:
    """Markdown -> HTML, as `markdown.markdown` gives it.

    Building a converter (its extensions, patterns and processors) took as long
    as converting an article, so each thread keeps one and resets it before each
    use, the reuse Python-Markdown provides. A conversion that raised (a
    RecursionError) can leave parser state that reset() does not clear: that
    converter is dropped.
    """
    converter = getattr(_MARKDOWN, "converter", None)
    if converter is None:
        import markdown  # imported here: only Markdown files need it

        converter = markdown.Markdown(extensions=["extra", "sane_lists"], output_format="html")
    _MARKDOWN.converter = None
    converted = str(converter.reset().convert(text))
    _MARKDOWN.converter = converter
    return converted


# Python-Markdown takes time quadratic in the length of a paragraph for several
# inputs ("[[[…", "- - -" lines, unclosed "<http://"), looks for the "]" of each
# "[" character by character, and builds a pattern per abbreviation: 100 KB of
# "[[[…" took 15 minutes. Markdown past these limits is read as plain text
# instead (lists and headlines still recognised), with a problem; real articles
# stay far below them. Together they bound the conversion to a few seconds.
MAX_MARKDOWN_CHARS = 256 * 1024
MAX_MARKDOWN_PARAGRAPH = 10_000
# Leading quote marks and indentation of a line: a few hundred of them are a
# nesting no article has, and Python-Markdown recurses once per level.
MAX_MARKDOWN_NESTING = 200
_NESTING = re.compile(r"^[ \t>]+", re.M)
MAX_MARKDOWN_LINK_COST = 20_000_000  # sum over paragraphs of "[" count × length
MAX_MARKDOWN_TAG_COST = 50_000_000  # unclosed "<tag" count × length of the text
MAX_ABBREVIATIONS = 100
_ABBREVIATION = re.compile(r"^\*\[", re.M)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
# "<a" with no ">" before the next "<": its raw-HTML reader (html.parser) looks for
# the end of each such tag to the end of the text
_UNCLOSED_TAG = re.compile(r"<[A-Za-z/!?][^<>]*+(?=<|\Z)")


def markdown_too_costly(text: str) -> str | None:
    """Markdown text -> why converting it would take too long, or None."""
    if len(text) > MAX_MARKDOWN_CHARS:
        return f"Markdown body over {MAX_MARKDOWN_CHARS // 1024} KiB"
    if max(map(len, _NESTING.findall(text)), default=0) > MAX_MARKDOWN_NESTING:
        return "Markdown nested too deeply (lists or quotes)"
    paragraphs = _BLANK_LINE.split(text)
    if max(len(p) for p in paragraphs) > MAX_MARKDOWN_PARAGRAPH:
        return f"a Markdown paragraph over {MAX_MARKDOWN_PARAGRAPH:,} characters"
    if len(_ABBREVIATION.findall(text)) > MAX_ABBREVIATIONS:
        return f"over {MAX_ABBREVIATIONS} Markdown abbreviations"
    if sum(p.count("[") * len(p) for p in paragraphs) > MAX_MARKDOWN_LINK_COST:
        return "thousands of '[' in Markdown paragraphs"
    if len(_UNCLOSED_TAG.findall(text)) * len(text) > MAX_MARKDOWN_TAG_COST:
        return "hundreds of unclosed '<' tags in Markdown"
    return None


class _FrontMatterLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases, so a YAML 'billion laughs' can't expand."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases are not allowed in front matter", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_lenient_timestamp(self, node: yaml.ScalarNode) -> Any:
        """A YAML date that is no real date ("2024-02-30") -> its text, so the
        article is kept and the date reported as unparsable (it crashed the build)."""
        try:
            return self.construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)


_FrontMatterLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", _FrontMatterLoader.construct_lenient_timestamp
)


# --------------------------------------------------------------------------- plain text

_HEADER_LINE = re.compile(
    r"^\s*(title|date|published|source|outlet|publisher|url|link|author|by|tags|section|"
    r"category|lang|language|story)\s*(:)?\s*(.+?)\s*$",
    re.IGNORECASE,
)
_DATE_WORD = re.compile(
    r"^(?:[\d:./T+Z-]+,?|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?|"
    r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?|[ap]\.?m\.?|utc|gmt|[A-Z]{3,4}T|at|on|of)$",
    re.IGNORECASE,
)
_TIME_WORD = re.compile(r"^(?:[ap]\.?m\.?|utc|gmt|[A-Z]{3,4}T),?$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[•·▪◦‣●■*+-]|\d{1,2}[.)])\s+")


def _load_text(path: str, text: str) -> Document:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    fields: dict[str, Any] = {}
    first_body: str | None = None
    index = 0
    # Header lines ("date 2023-06-24", "Source: The Sun") at the top are metadata.
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            index += 1
            continue
        parsed = _header_field(line)
        if parsed is None:
            break
        key, value, rest = parsed
        fields.setdefault(key, value)
        index += 1
        if rest:
            first_body = rest
            break
    meta, problems = meta_from_mapping(path, fields)
    body = lines[index:]
    if first_body is not None:
        body = [first_body, *body]
    blocks = _text_blocks(body, hard_wrapped=_hard_wrapped(body))
    meta = _evidence_from_text(meta, body)
    return Document(path=path, meta=meta, blocks=tuple(blocks), problems=tuple(problems))


def _header_field(line: str) -> tuple[str, str, str] | None:
    """A header line -> (key, value, rest of the line that is body text), or None."""
    match = _HEADER_LINE.match(line)
    if match is None or len(line) > 300:
        return None
    key, colon, value = match.group(1).lower(), match.group(2), match.group(3)
    key = {"published": "date", "by": "author", "language": "lang"}.get(key, key)
    if key == "date":
        # "date 2023-06-24 Follow the latest news here": the longest leading run
        # of words that parses as a date is the value; the rest is body text.
        words = value.split()
        n = 0
        while n < min(len(words), 8) and _DATE_WORD.match(words[n]):
            n += 1
        for m in range(n, 0, -1):
            date = parse_date(" ".join(words[:m]))
            if date is not None:
                # When body text follows, give back trailing words the date reads
                # the same without: in "2023-06-24 10 people died" or "2023-06-24
                # On Saturday, the …" they are the body's ("am", "UTC" are the
                # time's, so they stay).
                while (
                    n < len(words)
                    and m > 1
                    and not _TIME_WORD.match(words[m - 1])
                    and parse_date(" ".join(words[: m - 1])) == date
                ):
                    m -= 1
                return key, " ".join(words[:m]), " ".join(words[m:])
        return (key, value, "") if colon else None
    if key in ("url", "link"):
        return (key, value, "") if colon or http_url(value) else None
    if not colon or len(value.split()) > 12:
        return None  # "Source material was…" is a sentence, not a header
    return key, value, ""


def _hard_wrapped(lines: list[str]) -> bool:
    """True for text wrapped at a fixed width (e-mail, some wire copy): most lines
    are 50–80 characters and none is much longer."""
    lengths = [len(line.rstrip()) for line in lines if line.strip()]
    if len(lengths) < 4 or max(lengths) > 100:
        return False
    return sum(50 <= n <= 80 for n in lengths) >= 0.6 * len(lengths)


def _text_blocks(lines: list[str], hard_wrapped: bool) -> list[Block]:
    """Lines of pasted text -> blocks. Pasted pages put one paragraph on a line, so
    lines are joined only in hard-wrapped text or when the next starts in lower case."""
    blocks: list[Block] = []
    items: list[str] = []
    para: list[str] = []
    first = True

    def flush_para() -> None:
        nonlocal first
        if para:
            text = " ".join(para)
            kind: BlockKind = "h" if first and _reads_as_headline(text) else "p"
            blocks.append(Block(kind, text))
            para.clear()
            first = False

    def flush_items() -> None:
        nonlocal first
        if items:
            blocks.append(Block("ul", items=tuple(items)))
            items.clear()
            first = False

    for raw in lines:
        line = " ".join(raw.split())
        if not line:
            flush_para()
            continue
        if _BULLET.match(raw) and len(line) > 2:
            flush_para()
            items.append(_BULLET.sub("", raw).strip())
            continue
        flush_items()
        if para and (hard_wrapped or line[0].islower()):
            para.append(line)
        else:
            flush_para()
            para.append(line)
    flush_para()
    flush_items()
    return blocks


def _reads_as_headline(text: str) -> bool:
    words = text.split()
    return 2 <= len(words) <= 25 and len(text) <= 200 and not text.endswith((".", ",", ";"))


# The local part is bounded (64 characters, as in RFC 5321): unbounded, a long run
# of "a.b.a.b…" with no "@" took time quadratic in its length.
_EMAIL = re.compile(r"\b[\w.+-]{1,64}@([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})\b", re.IGNORECASE)
_PROMO_OUTLET = re.compile(
    r"^(?:most read|more|trending|latest|read more) (?:in|on|from) "
    r"((?:the )?[A-Z][\w&' .-]{1,40})$",
    re.IGNORECASE,
)
_WEBMAIL = {"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "protonmail.com", "aol.com"}
_BARE_URL = re.compile(r"https?://[^\s<>\"')\]]+")


def _evidence_from_text(meta: Meta, lines: list[str]) -> Meta:
    """Outlet evidence in pasted text: bare links, promo lines naming the outlet,
    and a byline e-mail domain. Used only when no header named the source."""
    if meta.source:
        return meta
    links = [u for u in _BARE_URL.findall("\n".join(lines)) if http_url(u)]
    domain = majority_domain(links)
    if domain:
        return replace(meta, source=domain, source_evidence="links")
    for line in lines:
        match = _PROMO_OUTLET.match(" ".join(line.split()))
        if match and match.group(1)[0].isupper():
            return replace(meta, source=match.group(1).strip(), source_evidence="promo")
    for line in lines:
        for match in _EMAIL.finditer(line):
            domain = match.group(1).lower()
            if domain not in _WEBMAIL:
                return replace(meta, source=domain, source_evidence="email")
    return meta


def majority_domain(urls: Iterable[str]) -> str | None:
    """The domain that most of the links point to, when at least two and over half do."""
    domains = Counter(d for d in (domain_of(u) for u in urls) if d)
    if not domains:
        return None
    (top, count), total = domains.most_common(1)[0], sum(domains.values())
    return top if count >= 2 and count * 2 > total else None


# --------------------------------------------------------------------------- HTML

_DROP_TAGS = {
    "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
    "figure", "figcaption", "iframe", "svg", "math", "button", "select", "textarea", "input",
    "object", "embed", "video", "audio", "canvas", "picture", "img", "head", "title", "meta",
    "link",
}  # fmt: skip
_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "body", "html", "br", "hr", "table", "tr", "td",
    "th", "dl", "dt", "dd", "pre", "address", "center",
}  # fmt: skip
_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


# libxml2 gives up on a document nested 256 elements deep and returns it empty:
# a saved page with a few hundred unclosed <div> or <font> tags lost all its text
# without a word. Such a page is read again by a tokenizer that ignores nesting.
TOO_DEEP = "HTML nested more than 255 elements deep; read as plain paragraphs"


def _too_deep(parser: lxml.html.HTMLParser) -> bool:
    return any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log)


def _load_html(path: str, text: str) -> Document:
    parser = lxml.html.HTMLParser()
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        if not _too_deep(parser):
            raise _Unusable(f"cannot parse HTML: {exc}") from None
        root = lxml.html.document_fromstring("<html></html>")
    too_deep = _too_deep(parser)
    if too_deep:
        # metadata from the head alone, which is shallow; the text from the tokenizer
        head_end = text.lower().find("<body")
        head = text[:head_end] if head_end >= 0 else ""
        root = lxml.html.document_fromstring(head + "<body></body></html>")
    # a whole saved page (not a fragment, not too deep) is read by trafilatura too
    page = None if too_deep or not is_full_page(text) else extract_page(text)
    fields, problems = _html_meta(root, page)
    meta, more = meta_from_mapping(path, fields)
    if too_deep:
        blocks, links = flat_html_blocks(text)
        more.append(Problem(path, TOO_DEEP))
    else:
        blocks, links = html_blocks(_main_element(root))
        if page is not None and page.blocks and (blocks or html_blocks(root)[0]):
            # trafilatura's body, when the page has any text outside its navigation,
            # headers, footers and forms (its fallbacks read a page of nothing else)
            blocks = list(page.blocks)
    if meta.source is None:
        domain = majority_domain(links)
        if domain:
            meta = replace(meta, source=domain, source_evidence="links")
    meta = _evidence_from_text(meta, [t for b in blocks for t in b.texts()])
    if meta.title:
        # a page's title names its site ("… | Newsweek", "BBC News - …"); the article's does not
        meta = replace(meta, title=strip_site_name(meta.title, site_names(meta)))
    return Document(
        path=path,
        meta=meta,
        blocks=tuple(blocks),
        problems=tuple(Problem(path, p) for p in problems) + tuple(more),
    )


def _html_meta(
    root: lxml.html.HtmlElement, page: PageBody | None = None
) -> tuple[dict[str, Any], list[str]]:
    fields: dict[str, Any] = {}
    tags: list[str] = []
    for el in root.iter("meta"):
        key = (el.get("property") or el.get("name") or "").strip().lower()
        value = (el.get("content") or "").strip()
        if not key or not value:
            continue
        target = {
            "og:title": "title",
            "twitter:title": "title",
            "og:site_name": "source",
            "og:url": "url",
            "article:published_time": "date",
            "date": "date",
            "pubdate": "date",
            "dc.date": "date",
            "author": "author",
            "article:author": "author",
            "article:section": "section",
            "keywords": "keywords",
            "news_keywords": "keywords",
        }.get(key)
        if key == "article:tag":
            tags.append(value)
        elif target:
            fields.setdefault(target, value)
    for el in root.iter("link"):
        rel = (el.get("rel") or "").lower().split()
        href = el.get("href")
        # A relative or non-http canonical link must not push out a good og:url.
        if "canonical" in rel and href and (http_url(href) or "url" not in fields):
            fields["url"] = href
    found = page.meta_fields() if page is not None else {}
    if "date" not in fields:
        # A first <time> may be a comment's or a related story's: htmldate's choice
        # (via trafilatura) wins, unless the <time> says the same day more exactly.
        stamp = next((el.get("datetime") for el in root.iter("time") if el.get("datetime")), None)
        day = found.get("date")
        if stamp or day:
            fields["date"] = stamp if stamp and (not day or stamp.startswith(day)) else day
    if "title" not in fields:
        title_el = root.find(".//title")
        if title_el is not None and title_el.text_content().strip():
            fields["title"] = title_el.text_content()
    # the page's own tags first; trafilatura fills the gaps
    fields = {**found, **fields}
    lang = root.get("lang")
    if lang:
        fields.setdefault("lang", lang)
    if tags:
        fields["tags"] = tags
    elif isinstance(fields.get("keywords"), str):
        fields["tags"] = fields.pop("keywords")
    fields.pop("keywords", None)
    return fields, []


def _main_element(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    for xpath in ("//article", "//main", "//*[@role='main']"):
        found = root.xpath(xpath)
        if found:
            return max(found, key=lambda el: len(el.text_content()))
    body = root.find("body")
    return body if body is not None else root


def html_blocks(root: lxml.html.HtmlElement) -> tuple[list[Block], list[str]]:
    """An HTML element -> (text blocks in document order, the http(s) links it holds)."""
    blocks: list[Block] = []
    links: list[str] = []
    inline: list[str] = []

    def flush(kind: BlockKind = "p") -> None:
        text = " ".join("".join(inline).split())
        inline.clear()
        if text:
            blocks.append(Block(kind, text))

    def visit(el: Any, depth: int) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.lower()
        if tag in _DROP_TAGS or not tag:
            return  # comments and processing instructions have no str tag
        if tag == "a":
            href = http_url(el.get("href") or "")
            if href:
                links.append(href)
        if depth > 200:  # deeper nesting is text only, read without recursion
            inline.append(el.text_content())
            return
        if tag in ("ul", "ol"):
            flush()
            items = [" ".join(li.text_content().split()) for li in el.iterchildren("li")]
            items = [i for i in items if i]
            if items:
                blocks.append(Block("ol" if tag == "ol" else "ul", items=tuple(items)))
            for li in el.iter("a"):
                href = http_url(li.get("href") or "")
                if href:
                    links.append(href)
            return
        if tag in _HEADING_TAGS or tag == "blockquote":
            flush()
            before = len(blocks)
            visit_children(el, depth)
            flush("h" if tag in _HEADING_TAGS else "quote")
            if tag == "blockquote":
                # a quote of several paragraphs: mark each as a quote
                for i in range(before, len(blocks)):
                    if blocks[i].kind == "p":
                        blocks[i] = Block("quote", blocks[i].text)
            return
        if tag in _BLOCK_TAGS:
            flush()
            visit_children(el, depth)
            flush()
            return
        visit_children(el, depth)

    def visit_children(el: Any, depth: int) -> None:
        if el.text:
            inline.append(el.text)
        for child in el:
            visit(child, depth + 1)
            if child.tail:
                inline.append(child.tail)

    visit(root, 0)
    flush()
    return blocks, links


# The fallback reader for documents libxml2 refuses. Python's html.parser was the
# first choice, but it takes time quadratic in some inputs ("</</</…", unclosed
# attribute quotes: minutes for 1 MB), so the text is read with one pattern that
# moves forward through it. A comment, declaration or tag left open runs to the
# end of the text, as in a browser.
_FLAT_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<!\[CDATA\[.*?(?:\]\]>|\Z)"
    r"|<[!?][^>]*(?:>|\Z)"
    r"|<(?P<end>/?)(?P<name>[A-Za-z][A-Za-z0-9:-]*)(?P<attrs>[^>]*)(?:>|\Z)",
    re.S,
)
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.I)
# Elements whose text is not markup: skipped to their end tag in one step.
_RAW_TEXT = {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"}
# Elements whose content is never article text; the void ones (img, meta, …) have
# no content to skip, so they are left out of the count.
_FLAT_SKIP = _DROP_TAGS - _RAW_TEXT - {"img", "meta", "link", "input", "embed"}
_FLAT_BREAK = _BLOCK_TAGS | {"li", "blockquote"}


def flat_html_blocks(text: str) -> tuple[list[Block], list[str]]:
    """HTML of any depth -> (text blocks in document order, the http(s) links), in
    time linear in its length; nesting is ignored, paragraphs and headings kept."""
    blocks: list[Block] = []
    links: list[str] = []
    inline: list[str] = []
    skipping = 0

    def flush(kind: BlockKind = "p") -> None:
        content = " ".join(html.unescape("".join(inline)).split())
        inline.clear()
        if content:
            blocks.append(Block(kind, content))

    pos = 0
    while pos < len(text):
        match = _FLAT_TOKEN.search(text, pos)
        end = match.start() if match else len(text)
        if not skipping:
            inline.append(text[pos:end])
        if match is None:
            break
        pos = match.end()
        tag = (match.group("name") or "").lower()
        if not tag:
            continue  # a comment or declaration
        if match.group("end"):
            if tag in _FLAT_SKIP:
                skipping = max(0, skipping - 1)
            elif tag in _HEADING_TAGS:
                flush("h")
            elif tag in _FLAT_BREAK:
                flush()
        elif tag in _RAW_TEXT:
            close = re.compile(rf"</{tag}\b", re.I).search(text, pos)
            pos = close.start() if close else len(text)
        elif tag in _FLAT_SKIP:
            skipping += 1
        elif tag == "a" and not skipping:
            found = _HREF.search(match.group("attrs"))
            href = (
                http_url(html.unescape(next(g for g in found.groups() if g is not None)))
                if found
                else None
            )
            if href:
                links.append(href)
        elif tag in _FLAT_BREAK or tag in _HEADING_TAGS:
            flush()
    flush()
    return blocks, links
