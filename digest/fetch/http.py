"""A polite HTTP client: URL -> the response body, or a FetchError saying why not.

The only code of digest that opens network connections. It sends a clear User-Agent,
honours robots.txt, waits `delay` seconds between requests to one host, makes at most
`concurrency` requests at once, bounds every request in time and size, follows
redirects itself (only to http(s), each hop checked again) and asks conditionally
when the caller knows an ETag or Last-Modified date.

Every hop's host is resolved and checked by `guard` first; the request then goes to
the checked address itself (the URL names the address, the Host header and TLS
server name the host), so a second DNS answer cannot swap in another address.
Connections are not kept alive, so one made for one host name is never reused for
another name served from the same address.
"""

from __future__ import annotations

import importlib.metadata
import ssl
import threading
import time
import urllib.robotparser
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from digest import DISTRIBUTION, __version__
from digest.fetch import guard

# the address site owners can read about the crawler at when the installed metadata does
# not name one (pyproject.toml [project.urls]; a placeholder until the project has a
# public home, which the init scaffold uses too)
PROJECT_URL = "https://github.com/OWNER/digest"


def _user_agent() -> str:
    """The installed distribution's metadata -> "digest-ssg/0.1.0 (+https://…)"."""
    version, url = __version__, PROJECT_URL
    try:
        meta = importlib.metadata.metadata(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        pass  # run from a source tree that is not installed
    else:
        version = meta["Version"] or version
        for entry in meta.get_all("Project-URL") or []:
            label, _, address = entry.partition(",")
            if label.strip().lower() in {"source", "homepage"} and address.strip():
                url = address.strip()
                break
    return f"{DISTRIBUTION}/{version} (+{url})"


USER_AGENT = _user_agent()
# the token robots.txt rules name; Python's parser also applies a "digest" group to it
# (a group applies when its token is part of the agent's name)
ROBOTS_AGENT = DISTRIBUTION
MAX_BYTES = 8 * 1024 * 1024  # a larger body is refused (as content files are)
MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB
TIMEOUT = 20.0  # seconds for one request, connecting to the last byte
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})


class FetchError(Exception):
    """A request that gave nothing usable; the message is the reason, for a person."""


@dataclass(frozen=True)
class Response:
    """A successful answer: 200 with its body, or 304 (not modified) with none."""

    url: str  # after redirects
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower case ("" when not given)."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


class Client:
    """Polite GETs shared by many threads; one per `digest fetch` run (robots.txt
    files and per-host timing live as long as it does)."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        delay: float = 1.0,
        concurrency: int = 4,
        timeout: float | None = None,
        max_bytes: int | None = None,
        verify: ssl.SSLContext | bool = True,  # tests trust their own certificate authority
    ) -> None:
        self.allow_private = allow_private
        self.delay = delay
        self.timeout = TIMEOUT if timeout is None else timeout
        self.max_bytes = MAX_BYTES if max_bytes is None else max_bytes
        self._slots = threading.Semaphore(concurrency)
        self._lock = threading.Lock()
        self._next_turn: dict[str, float] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | FetchError | None] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._http = httpx.Client(
            follow_redirects=False,
            verify=verify,
            trust_env=False,  # a proxy from the environment would undo the address check
            timeout=httpx.Timeout(self.timeout),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=0),
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "*/*",
    ) -> Response:
        """URL -> its Response (304 when the validators still hold); raises FetchError."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for _hop in range(MAX_REDIRECTS + 1):
            self._check_robots(url)
            response = self._request(url, headers, self.max_bytes)
            if response.status not in REDIRECTS:
                break
            location = response.headers.get("location", "").strip()
            if not location:
                raise FetchError(f"HTTP {response.status} without a Location")
            url = urljoin(url, location)
        else:
            raise FetchError(f"more than {MAX_REDIRECTS} redirects")
        if response.status not in (200, 304):
            raise FetchError(f"HTTP {response.status}")
        return response

    # ------------------------------------------------------------------ one hop

    def _request(self, url: str, headers: Mapping[str, str], max_bytes: int) -> Response:
        """One GET of one URL, no redirects followed -> its Response (any status)."""
        try:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise FetchError(f"not a valid address: {url[:200]}") from None
        if parts.scheme not in ("http", "https"):
            raise FetchError(f"refused to go to a non-http address: {url[:200]}")
        host = parts.hostname
        if not host:
            raise FetchError(f"no host in {url[:200]}")
        try:
            address = guard.resolve(host, port, allow_private=self.allow_private)[0]
        except guard.Refused as exc:
            raise FetchError(str(exc)) from None
        literal = f"[{address}]" if ":" in address else address
        pinned = urlunsplit((parts.scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
        default_port = port == (443 if parts.scheme == "https" else 80)
        host_header = host if default_port else f"{host}:{port}"
        if ":" in host and not host.startswith("["):
            host_header = f"[{host}]" if default_port else f"[{host}]:{port}"
        extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
        self._wait_turn(host)
        deadline = time.monotonic() + self.timeout
        with self._slots:
            try:
                with self._http.stream(
                    "GET",
                    pinned,
                    headers={**headers, "Host": host_header},
                    extensions=extensions,
                ) as answer:
                    return Response(
                        url=url,
                        status=answer.status_code,
                        headers={k.lower(): v for k, v in answer.headers.items()},
                        body=_body(answer, max_bytes, deadline)
                        if answer.status_code == 200
                        else b"",
                    )
            except httpx.TimeoutException:
                raise FetchError(f"timed out after {self.timeout:g} s") from None
            except httpx.HTTPError as exc:
                raise FetchError(f"connection failed: {_said(exc)}") from None

    def _wait_turn(self, host: str) -> None:
        """Sleeps until this host may be asked again (`delay` after the last request)."""
        with self._lock:
            now = time.monotonic()
            turn = max(now, self._next_turn.get(host, now))
            self._next_turn[host] = turn + self.delay
        if turn > now:
            time.sleep(turn - now)

    # ------------------------------------------------------------------ robots.txt

    def _check_robots(self, url: str) -> None:
        """Raises FetchError when the site's robots.txt disallows `url` for digest."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return  # refused with its own reason by _request
        origin = f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"
        with self._lock:
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:  # one fetch of robots.txt per site, however many threads ask
            if origin not in self._robots:
                self._robots[origin] = self._read_robots(origin)
            rules = self._robots[origin]
        if isinstance(rules, FetchError):
            raise rules
        if rules is not None and not rules.can_fetch(ROBOTS_AGENT, url):
            raise FetchError("robots.txt disallows it")

    def _read_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | FetchError | None:
        """A site -> its robots.txt rules; None allows everything (no file, RFC 9309:
        4xx), a FetchError refuses everything (server error or unreachable)."""
        url = origin + "/robots.txt"
        try:
            response = self._request(url, {"Accept": "text/plain"}, MAX_ROBOTS_BYTES)
            for _hop in range(MAX_REDIRECTS):
                location = response.headers.get("location", "")
                if response.status not in REDIRECTS or not location:
                    break
                response = self._request(urljoin(url, location), {}, MAX_ROBOTS_BYTES)
        except FetchError as exc:
            if "larger than" in str(exc):
                return None
            return FetchError(f"robots.txt unreachable ({exc})")
        if 400 <= response.status < 500:
            return None
        if response.status != 200:
            return FetchError(
                f"robots.txt answered HTTP {response.status}: the site is treated as closed"
            )
        rules = urllib.robotparser.RobotFileParser(url)
        rules.parse(response.body.decode("utf-8", "replace").splitlines())
        return rules


def _body(answer: httpx.Response, max_bytes: int, deadline: float) -> bytes:
    """A streamed answer -> its (decompressed) bytes; raises FetchError past the size
    cap or the deadline (a server that drips bytes never times out a single read)."""
    declared = answer.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"larger than {max_bytes // 1024} KiB ({int(declared) // 1024} KiB)")
    chunks: list[bytes] = []
    size = 0
    for chunk in answer.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"larger than {max_bytes // 1024} KiB")
        if time.monotonic() > deadline:
            raise FetchError("timed out while reading the body")
        chunks.append(chunk)
    return b"".join(chunks)


def _said(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:200]
