"""A local HTTP server for `digest fetch` tests and benchmarks: feeds in every format,
article pages, and endpoints that misbehave (slow, failing, redirecting, oversized).

    with FetchServer() as server:
        server.add("/feed.xml", rss2(items), "application/rss+xml")
        server.url("/feed.xml")

Every route answers conditional requests (ETag and Last-Modified) with 304 and
counts them, so a test can check that a second run asked conditionally.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.server
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.utils import format_datetime
from html import escape
from typing import Any

LAST_MODIFIED = format_datetime(dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC), usegmt=True)


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    validators: bool = True  # send ETag/Last-Modified, answer 304 when they match


@dataclass(frozen=True)
class FeedItem:
    title: str
    link: str
    guid: str
    date: dt.datetime
    summary: str


class FetchServer:
    """A threaded HTTP server on 127.0.0.1 with routes added at run time."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: Counter[str] = Counter()
        self.conditional: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.agents: set[str] = set()
        self.hosts: set[str] = set()  # Host headers received
        self.lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server._answer(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, body: bytes | str = b"", content_type: str = "", **kw: Any) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        route = Route(data, content_type or "text/html; charset=utf-8", **kw)
        self.routes[path] = route
        return self.url(path)

    def __enter__(self) -> FetchServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _answer(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        path = handler.path
        with self.lock:
            self.requests[path] += 1
            self.agents.add(handler.headers.get("User-Agent", ""))
            self.hosts.add(handler.headers.get("Host", ""))
        route = self.routes.get(path)
        if route is None:
            self._send(handler, 404, {"Content-Type": "text/plain"}, b"not found")
            return
        if route.delay:
            time.sleep(route.delay)
        headers = {"Content-Type": route.content_type, **route.headers}
        if route.validators and route.status == 200:
            etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
            headers.update({"ETag": etag, "Last-Modified": LAST_MODIFIED})
            asked_etag = handler.headers.get("If-None-Match")
            asked_date = handler.headers.get("If-Modified-Since")
            if asked_etag or asked_date:
                with self.lock:
                    self.conditional[path] += 1
                if asked_etag == etag or (not asked_etag and asked_date == LAST_MODIFIED):
                    with self.lock:
                        self.not_modified[path] += 1
                    self._send(handler, 304, {"ETag": etag}, b"")
                    return
        self._send(handler, route.status, headers, route.body)

    @staticmethod
    def _send(
        handler: http.server.BaseHTTPRequestHandler,
        status: int,
        headers: dict[str, str],
        body: bytes,
    ) -> None:
        try:
            handler.send_response(status)
            for name, value in headers.items():
                handler.send_header(name, value)
            if "Content-Length" not in headers:
                handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if status != 304:
                handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


# ---------------------------------------------------------------------- feeds


def rss2(title: str, items: list[FeedItem]) -> str:
    entries = "".join(
        f"<item><title>{escape(i.title)}</title><link>{escape(i.link)}</link>"
        f'<guid isPermaLink="false">{escape(i.guid)}</guid>'
        f"<pubDate>{format_datetime(i.date, usegmt=True)}</pubDate>"
        f"<description>{escape(i.summary)}</description></item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>http://example.org/</link>"
        f"<description>d</description>{entries}</channel></rss>"
    )


def rss1(title: str, items: list[FeedItem]) -> str:
    seq = "".join(f'<rdf:li rdf:resource="{escape(i.link)}"/>' for i in items)
    entries = "".join(
        f'<item rdf:about="{escape(i.link)}"><title>{escape(i.title)}</title>'
        f"<link>{escape(i.link)}</link><description>{escape(i.summary)}</description>"
        f"<dc:date>{i.date.isoformat()}</dc:date></item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<channel rdf:about="http://example.org/"><title>{escape(title)}</title>'
        f"<link>http://example.org/</link><description>d</description>"
        f"<items><rdf:Seq>{seq}</rdf:Seq></items></channel>{entries}</rdf:RDF>"
    )


def atom(title: str, items: list[FeedItem]) -> str:
    entries = "".join(
        f"<entry><title>{escape(i.title)}</title>"
        f'<link rel="alternate" href="{escape(i.link)}"/><id>{escape(i.guid)}</id>'
        f"<updated>{i.date.isoformat()}</updated><author><name>A. Writer</name></author>"
        f"<summary>{escape(i.summary)}</summary></entry>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:x:feed</id>"
        f"<updated>2024-03-01T12:00:00Z</updated>{entries}</feed>"
    )


def json_feed(title: str, items: list[FeedItem], version: str = "1.1") -> str:
    author_key = "authors" if version == "1.1" else "author"
    author: Any = [{"name": "J. Son"}] if version == "1.1" else {"name": "J. Son"}
    return json.dumps(
        {
            "version": f"https://jsonfeed.org/version/{version}",
            "title": title,
            "items": [
                {
                    "id": i.guid,
                    "url": i.link,
                    "title": i.title,
                    "summary": i.summary,
                    "content_text": i.summary,
                    "date_published": i.date.isoformat(),
                    author_key: author,
                }
                for i in items
            ],
        }
    )


def article_page(title: str, paragraphs: list[str], site: str = "Example News") -> str:
    """A plain news page: navigation and footer around the article's paragraphs."""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)} '
        f'| {escape(site)}</title><meta property="og:site_name" content="{escape(site)}">'
        f"</head><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{escape(title)}</h1>{body}</article>"
        "<footer>Copyright Example News. All rights reserved.</footer></body></html>"
    )
