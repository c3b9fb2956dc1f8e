"""Plain text (path, text) -> `Document`: header lines as metadata, paragraphs, lists.

A page saved as .txt (it holds HTML tags) goes to the HTML reader.
"""

from __future__ import annotations

import re
from typing import Any

from digest.dates import parse_date
from digest.load import html
from digest.load.decode import looks_like_html
from digest.load.meta import evidence_from_text, meta_from_mapping
from digest.load.reader import TEXT_SUFFIXES, Reader
from digest.models import Block, BlockKind, Document
from digest.urls import http_url

SUFFIXES = TEXT_SUFFIXES


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


def read(path: str, text: str) -> Document:
    """A text file's path and text -> its `Document`; a page saved as .txt (it has
    HTML tags) is read by the HTML reader."""
    if looks_like_html(text):
        return html.read(path, text)
    return read_plain(path, text)


def read_plain(path: str, text: str) -> Document:
    """Text -> `Document`, whatever tags it holds: header lines at the top are
    metadata, the rest pasted paragraphs and lists."""
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
    blocks = text_blocks(body, hard_wrapped=hard_wrapped(body))
    meta = evidence_from_text(meta, body)
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


def hard_wrapped(lines: list[str]) -> bool:
    """True for text wrapped at a fixed width (e-mail, some wire copy): most lines
    are 50–80 characters and none is much longer."""
    lengths = [len(line.rstrip()) for line in lines if line.strip()]
    if len(lengths) < 4 or max(lengths) > 100:
        return False
    return sum(50 <= n <= 80 for n in lengths) >= 0.6 * len(lengths)


def text_blocks(lines: list[str], hard_wrapped: bool) -> list[Block]:
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


READER = Reader("text", SUFFIXES, read)
