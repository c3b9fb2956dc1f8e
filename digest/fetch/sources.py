"""A fetched source's bytes -> its items: RSS 2.0, RSS 1.0 (RDF), Atom, JSON Feed 1.0
and 1.1, or one HTML article page.

feedparser reads the XML feeds (it also repairs much of their breakage); JSON Feed is
plain json. Feed HTML (summaries, content) is turned into plain paragraphs here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import xml.sax
from dataclasses import dataclass
from typing import Any, Literal

import feedparser
import lxml.etree
import lxml.html

from digest.dates import parse_date
from digest.urls import http_url

MAX_ITEMS = 200  # items read from one feed per run: a hostile feed cannot queue millions
_JSON_TYPES = ("application/feed+json", "application/json")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_FEED_MARKS = (b"<rss", b"<feed", b"<rdf:rdf", b"<rdf ")
_BLOCKS = ("p", "div", "li", "br", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr")


class SourceError(Exception):
    """A body that is neither a readable feed nor an HTML page (message: why)."""


@dataclass(frozen=True)
class Item:
    """One feed entry, as the feed gives it."""

    title: str | None
    url: str | None  # absolute http(s) link to the article page
    guid: str | None
    date: str | None  # ISO 8601
    author: str | None
    summary: str  # plain paragraphs separated by blank lines ("" when none)
    content: str  # the full text when the feed carries it, else ""


@dataclass(frozen=True)
class Parsed:
    """A source read: a feed with its title and items, or an article page (no items)."""

    kind: Literal["feed", "page"]
    title: str | None = None
    items: tuple[Item, ...] = ()


def parse_source(body: bytes, content_type: str, url: str) -> Parsed:
    """A source's body and media type -> Parsed; raises SourceError when it is neither
    a feed nor an HTML page, or is a broken feed."""
    head = body[:2048].lstrip().lower()
    if content_type in _JSON_TYPES or head.startswith(b"{"):
        return _json_feed(body)
    if any(mark in head for mark in _FEED_MARKS):
        return _xml_feed(body, content_type, url)
    if content_type in _HTML_TYPES or b"<html" in head or b"<!doctype html" in head:
        return Parsed("page")
    if content_type.endswith("xml"):
        return _xml_feed(body, content_type, url)
    raise SourceError(f"neither a feed nor an HTML page ({content_type or 'no content type'})")


def _xml_feed(body: bytes, content_type: str, url: str) -> Parsed:
    headers = {"content-location": url, "content-type": content_type or "application/xml"}
    parsed = feedparser.parse(body, response_headers=headers)
    usable = any(e.get("link") or e.get("id") for e in parsed.entries)
    # feedparser repairs broken XML where it can (and says so with a SAX error in
    # `bozo_exception`): a repaired feed that still has linked entries is read, one
    # with none is broken. Its other complaints (a wrong media type) do not matter.
    broken = isinstance(parsed.get("bozo_exception"), xml.sax.SAXException) and not usable
    if not parsed.get("version") or broken:
        why = parsed.get("bozo_exception")
        raise SourceError(f"malformed feed ({_short(why) if why else 'no feed found'})")
    items = [_xml_item(entry, url) for entry in parsed.entries[:MAX_ITEMS]]
    return Parsed("feed", _text(parsed.feed.get("title")), tuple(items))


def _xml_item(entry: Any, base: str) -> Item:
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    content = entry.get("content") or []
    full = content[0].get("value", "") if content and isinstance(content[0], dict) else ""
    return Item(
        title=_text(entry.get("title")),
        url=_link(entry.get("link")),
        guid=_text(entry.get("id")),
        date=_struct_date(when),
        author=_text(entry.get("author")),
        summary=html_text(str(entry.get("summary") or "")),
        content=html_text(str(full)),
    )


def _json_feed(body: bytes) -> Parsed:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceError(f"malformed JSON Feed ({_short(exc)})") from None
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, str) or not version.startswith("https://jsonfeed.org/version/1"):
        raise SourceError("JSON that is not a JSON Feed (no jsonfeed.org version)")
    entries = data.get("items")
    if not isinstance(entries, list):
        raise SourceError("malformed JSON Feed ('items' is not a list)")
    items = [_json_item(e) for e in entries[:MAX_ITEMS] if isinstance(e, dict)]
    return Parsed("feed", _text(data.get("title")), tuple(items))


def _json_item(entry: dict[str, Any]) -> Item:
    authors = entry.get("authors")  # 1.1: a list; 1.0: one "author" object
    if not isinstance(authors, list):
        authors = [entry.get("author")]
    names = [a.get("name") for a in authors if isinstance(a, dict)]
    content = _text(entry.get("content_text"), keep_lines=True) or html_text(
        str(entry.get("content_html") or "")
    )
    guid = entry.get("id")
    return Item(
        title=_text(entry.get("title")),
        url=_link(entry.get("url")) or _link(entry.get("external_url")),
        guid=str(guid) if isinstance(guid, str | int) and not isinstance(guid, bool) else None,
        date=parse_date(entry.get("date_published") or entry.get("date_modified")),
        author=", ".join(n for n in names if isinstance(n, str) and n.strip()) or None,
        summary=_text(entry.get("summary"), keep_lines=True) or "",
        content=content or "",
    )


def html_text(fragment: str) -> str:
    """An HTML fragment -> its text as paragraphs separated by blank lines."""
    if not fragment.strip():
        return ""
    if "<" not in fragment:
        return _text(fragment, keep_lines=True) or ""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return ""
    for element in root.iter(*_BLOCKS):
        element.tail = "\n\n" + (element.tail or "")
    return _text(root.text_content(), keep_lines=True) or ""


def _text(value: object, keep_lines: bool = False) -> str | None:
    """A feed value -> its text with spaces collapsed (paragraphs kept), or None."""
    if not isinstance(value, str):
        return None
    if keep_lines:
        paragraphs = (" ".join(p.split()) for p in re.split(r"\n\s*\n", value))
        return "\n\n".join(p for p in paragraphs if p) or None
    return " ".join(value.split()) or None


def _link(value: object) -> str | None:
    return http_url(value) if isinstance(value, str) else None


def _struct_date(value: object) -> str | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return parse_date(dt.datetime(*value[:6], tzinfo=dt.UTC))
    except (ValueError, OverflowError):
        return None


def _short(exc: object) -> str:
    return " ".join(str(exc).split())[:160]
