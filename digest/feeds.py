"""Feed records -> Atom 1.0 and JSON Feed 1.1 bytes; page URLs -> sitemap.xml and robots.txt.

Pure functions over small records that `render.py` fills in. Every date comes
from the articles (never the clock), so the same input gives the same bytes.

Ids and links. With a base URL, a feed's and each entry's `<id>` is the
absolute address of its page and every link is absolute. Without one, ids are
`urn:uuid:` UUIDs (version 5) derived from the site title and the page path —
Atom needs an absolute IRI there — and links are relative references, which
Atom allows and feed readers resolve against the feed's own address.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring  # C-accelerated where the interpreter has it
from typing import Any

# Characters XML 1.0 (and HTML) do not allow in text: C0/C1 controls other than
# tab, newline and carriage return, lone surrogates and the non-characters.
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)

# The date an entry gets when nothing in the digest carries one: Atom requires
# <updated>, and the wall clock would make every build different.
EPOCH = "1970-01-01T00:00:00Z"

ATOM_NS = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def clean_text(text: str) -> str:
    """Text -> the same text without code points XML and HTML forbid."""
    # every forbidden code point is a control, surrogate or unassigned one, none of
    # which str.isprintable() passes: most text needs no regex at all
    return text if text.isprintable() else _FORBIDDEN.sub("", text)


def xml_escape(text: str) -> str:
    """Text -> XML character data or attribute value (quotes escaped too)."""
    return (
        clean_text(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def rfc3339(date: str | None) -> str | None:
    """An ISO 8601 date or date-time -> an RFC 3339 UTC time stamp (None if unreadable)."""
    if not date:
        return None
    try:
        if len(date) == 10:
            day = dt.date.fromisoformat(date)
            return f"{day.isoformat()}T00:00:00Z"
        moment = dt.datetime.fromisoformat(date.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stable_id(site_key: str, path: str) -> str:
    """A site and a page path -> an absolute `urn:uuid:` IRI that never changes."""
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"digest:{site_key}")
    return f"urn:uuid:{uuid.uuid5(namespace, path)}"


@dataclass(frozen=True)
class Entry:
    """One feed item: a story or an article."""

    id: str
    title: str
    link: str  # the page on this site, absolute or relative to the feed
    updated: str  # RFC 3339
    published: str | None  # RFC 3339
    summary: str  # plain text
    content_html: str  # an HTML fragment (escaped once more in Atom)
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    external: str | None = None  # the original report, an http(s) address


@dataclass(frozen=True)
class Feed:
    """A feed and its entries, newest first."""

    id: str
    title: str
    subtitle: str
    self_link: str  # the feed's own address, absolute or relative
    home_link: str  # the page the feed follows
    language: str
    author: str
    entries: tuple[Entry, ...]
    absolute: bool  # True when links are absolute (a base URL is configured)

    @property
    def updated(self) -> str:
        return max((e.updated for e in self.entries), default=EPOCH)


def atom_xml(feed: Feed) -> bytes:
    """A Feed -> an Atom 1.0 document."""
    x = xml_escape
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="{ATOM_NS}" xml:lang="{x(feed.language)}">',
        f"  <id>{x(feed.id)}</id>",
        f"  <title>{x(feed.title)}</title>",
    ]
    if feed.subtitle:
        out.append(f"  <subtitle>{x(feed.subtitle)}</subtitle>")
    out += [
        f"  <updated>{feed.updated}</updated>",
        f'  <link rel="self" type="application/atom+xml" href="{x(feed.self_link)}"/>',
        f'  <link rel="alternate" type="text/html" href="{x(feed.home_link)}"/>',
        f"  <author><name>{x(feed.author)}</name></author>",
        "  <generator>digest</generator>",
    ]
    for e in feed.entries:
        out += [
            "  <entry>",
            f"    <id>{x(e.id)}</id>",
            f"    <title>{x(e.title)}</title>",
            f"    <updated>{e.updated}</updated>",
        ]
        if e.published:
            out.append(f"    <published>{e.published}</published>")
        out.append(f'    <link rel="alternate" type="text/html" href="{x(e.link)}"/>')
        if e.external:
            out.append(f'    <link rel="related" type="text/html" href="{x(e.external)}"/>')
        out += [f"    <author><name>{x(name)}</name></author>" for name in e.authors]
        out += [f'    <category term="{x(term)}"/>' for term in e.categories]
        if e.summary:
            out.append(f"    <summary>{x(e.summary)}</summary>")
        out.append(f'    <content type="html">{x(e.content_html)}</content>')
        out.append("  </entry>")
    out.append("</feed>")
    return ("\n".join(out) + "\n").encode("utf-8")


def json_feed(feed: Feed) -> bytes:
    """A Feed -> a JSON Feed 1.1 document.

    JSON Feed has no notion of relative addresses, so `home_page_url` and
    `feed_url` are given only with a base URL; item `url`s are then absolute too.
    """
    data: dict[str, object] = {"version": JSON_FEED_VERSION, "title": clean_text(feed.title)}
    if feed.absolute:
        data["home_page_url"] = feed.home_link
        data["feed_url"] = feed.self_link
    if feed.subtitle:
        data["description"] = clean_text(feed.subtitle)
    data["language"] = feed.language
    data["authors"] = [{"name": clean_text(feed.author)}]
    items = []
    for e in feed.entries:
        item: dict[str, object] = {"id": e.id, "url": e.link, "title": clean_text(e.title)}
        if e.external:
            item["external_url"] = e.external
        item["content_html"] = clean_text(e.content_html)
        if e.summary:
            item["summary"] = clean_text(e.summary)
        if e.published:
            item["date_published"] = e.published
        item["date_modified"] = e.updated
        if e.authors:
            item["authors"] = [{"name": clean_text(a)} for a in e.authors]
        if e.categories:
            item["tags"] = [clean_text(c) for c in e.categories]
        items.append(item)
    data["items"] = items
    return (indented_json(data) + "\n").encode("utf-8")


class _Unusual(Exception):
    """A value `indented_json` leaves to the json module."""


def indented_json(value: Any) -> str:
    """Dicts (string keys), lists, tuples, strings, ints, None and booleans ->
    exactly `json.dumps(value, ensure_ascii=False, indent=1)`, about twice as
    fast: with `indent`, the json module encodes in Python, one generator per
    level, and digest.json holds every article. Anything else (a float, another
    key type) is left to json.dumps whole."""
    out: list[str] = []
    add = out.append

    def walk(item: Any, pad: str) -> None:
        kind = type(item)
        if kind is str:
            add(encode_basestring(item))
        elif kind is dict:
            if not item:
                add("{}")
                return
            inner = "\n" + pad + " "
            start = "{" + inner
            for key, member in item.items():
                if type(key) is not str:
                    raise _Unusual
                add(start + encode_basestring(key) + ": ")
                start = "," + inner
                walk(member, pad + " ")
            add("\n" + pad + "}")
        elif kind is list or kind is tuple:
            if not item:
                add("[]")
                return
            inner = "\n" + pad + " "
            start = "[" + inner
            for member in item:
                add(start)
                start = "," + inner
                walk(member, pad + " ")
            add("\n" + pad + "]")
        elif item is None:
            add("null")
        elif item is True:
            add("true")
        elif item is False:
            add("false")
        elif kind is int:
            add(int.__repr__(item))
        else:
            raise _Unusual

    try:
        walk(value, "")
    except _Unusual:
        return json.dumps(value, ensure_ascii=False, indent=1)
    return "".join(out)


def sitemap_xml(urls: Sequence[tuple[str, str | None]]) -> bytes:
    """(absolute URL, ISO date or None) pairs -> a sitemaps.org sitemap."""
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for loc, lastmod in urls:
        line = f"  <url><loc>{xml_escape(loc)}</loc>"
        if lastmod:
            line += f"<lastmod>{xml_escape(lastmod[:10])}</lastmod>"
        out.append(line + "</url>")
    out.append("</urlset>")
    return ("\n".join(out) + "\n").encode("utf-8")


def robots_txt(sitemap: str | None) -> bytes:
    """robots.txt allowing everything, naming the sitemap when its address is known."""
    lines = ["User-agent: *", "Allow: /"]
    if sitemap:
        lines.append(f"Sitemap: {sitemap}")
    return ("\n".join(lines) + "\n").encode("utf-8")
