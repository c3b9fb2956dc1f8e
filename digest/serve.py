"""`digest serve`: build, serve the output folder, rebuild on change, reload open pages.

Three parts, each on its own thread:

- the HTTP server (a `ThreadingHTTPServer`, one thread per connection) serves
  files from inside the output folder only, and adds a small script to HTML
  *responses* (never to the files on disk) that listens for build events;
- the event stream (`/__digest__/events`, Server-Sent Events) tells each open
  page about every build: the page reloads when a newer build is there, and
  shows the error in an overlay when the latest one failed;
- the watcher (watchfiles) rebuilds when the content folder, the templates
  folder or the config file change. A failed build keeps the last good site
  on the wire.

Safe on a laptop: only requests whose `Host` names this server are answered
(a web page using DNS rebinding sends its own name, and gets 421), a request
from a page of another origin gets 403; an event stream's slot is freed as
soon as its page goes away, and one client address holds a bounded number;
every file name logged is escaped; the watcher never follows a link out of
the folders it watches.

The build itself is the ordinary `pipeline.build` into the configured output
folder, so what `serve` shows is what `build` writes.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import secrets
import socket
import socketserver
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import watchfiles

from digest.config import Config, load_config
from digest.models import BuildReport, DigestError, terminal_safe
from digest.pipeline import build

PREFIX = "/__digest__/"  # reserved URL space of the dev server; no site path starts so
EVENTS = PREFIX + "events"
RELOAD_SCRIPT = PREFIX + "reload.js"
KEEPALIVE_SECONDS = 15.0  # a write that fails frees the slot of a page gone silently
STREAM_CHECK_SECONDS = 0.5  # how often an idle event stream looks for its page closing
MAX_EVENT_STREAMS = 64  # open pages listening at once; more get 503 and retry
# Per client address: all pages on this machine share 127.0.0.1, and a browser
# opens at most six connections to one host, so this leaves room for many tabs
# while one client on the network cannot take every slot.
MAX_STREAMS_PER_CLIENT = 16
MAX_WATCHED_FOLDERS = 10_000  # folders under the watched roots given a watch each
PLAIN = "text/plain; charset=utf-8"
POLL_MS = 300  # how often the watcher looks at the config file
SHOWN_CHANGES = 5  # changed files named in the log line of a rebuild

# Served types by suffix; anything else is application/octet-stream. Fixed here
# rather than read from the system's mime.types so every machine answers alike.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".wasm": "application/wasm",
}

# Reads its build token from its own tag; reloads when the server reports a
# newer build, shows the error when the latest build failed. Text only: the
# message is set with textContent.
RELOAD_JS = b"""\
(() => {
  const me = document.currentScript;
  const build = me ? me.dataset.build : "";
  let box = null;
  const show = (message) => {
    if (!box) {
      box = document.createElement("pre");
      box.id = "digest-serve-error";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;max-height:60vh;" +
        "overflow:auto;margin:0;padding:1em;background:#7f1d1d;color:#fff;" +
        "font:14px/1.4 ui-monospace,monospace;white-space:pre-wrap;z-index:2147483647";
      document.body.appendChild(box);
    }
    box.textContent = "digest serve: the last build failed; this is the previous site.\\n\\n" +
      message;
  };
  const events = new EventSource("/__digest__/events");
  events.addEventListener("status", (event) => {
    const status = JSON.parse(event.data);
    if (status.error) {
      show(status.error);
    } else if (status.build !== build) {
      events.close();
      location.reload();
    } else if (box) {
      box.remove();
      box = null;
    }
  });
})();
"""


# ---------------------------------------------------------------- shared state


@dataclass(frozen=True)
class Status:
    """What open pages are told: the latest good build and the latest failure, if any."""

    build: str  # changes with every successful build
    error: str | None

    def event(self) -> bytes:
        data = json.dumps({"build": self.build, "error": self.error})
        return f"event: status\ndata: {data}\n\n".encode()


class LiveSite:
    """The folder being served and the build status, shared by every thread."""

    def __init__(self, root: Path | None) -> None:
        self._changed = threading.Condition()
        self._session = secrets.token_hex(4)  # a restarted server never repeats a token
        self._builds = 0
        self._root = root
        self._error: str | None = None
        self._stopping = False
        self._streams: dict[str, int] = {}  # open event streams per client address

    @property
    def root(self) -> Path | None:
        with self._changed:
            return self._root

    def status(self) -> Status:
        with self._changed:
            return self._status()

    def _status(self) -> Status:
        return Status(f"{self._session}-{self._builds}", self._error)

    def built(self, root: Path) -> None:
        with self._changed:
            self._root, self._error = root, None
            self._builds += 1
            self._changed.notify_all()

    def failed(self, message: str) -> None:
        with self._changed:
            self._error = message
            self._changed.notify_all()

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()

    def next_status(self, seen: Status | None, timeout: float) -> Status | None:
        """Wait until the status differs from `seen` (or `timeout` passes) -> the status,
        or None once the server is stopping."""
        with self._changed:
            self._changed.wait_for(lambda: self._stopping or self._status() != seen, timeout)
            return None if self._stopping else self._status()

    def open_stream(self, client: str) -> bool:
        """Take an event-stream slot for a client address -> False when the server
        is stopping, every slot is taken, or this client holds its share."""
        with self._changed:
            held = self._streams.get(client, 0)
            if (
                self._stopping
                or sum(self._streams.values()) >= MAX_EVENT_STREAMS
                or held >= MAX_STREAMS_PER_CLIENT
            ):
                return False
            self._streams[client] = held + 1
            return True

    def close_stream(self, client: str) -> None:
        with self._changed:
            held = self._streams.get(client, 0) - 1
            if held > 0:
                self._streams[client] = held
            else:
                self._streams.pop(client, None)

    def open_streams(self) -> int:
        """How many event streams are open now."""
        with self._changed:
            return sum(self._streams.values())


# ---------------------------------------------------------------- who is asking


def host_allowed(value: str | None, bound: Iterable[str]) -> bool:
    """A `Host` header -> whether it names this server: `localhost`, a loopback
    address, one of the `bound` names (the host it was told to bind and the
    address that gave), or (bound to every interface) any IP address, each with
    or without a port.

    A web page that rebinds its own domain name to 127.0.0.1 can make the browser
    connect here, but the browser still sends that domain name as the `Host`: it
    is refused, so the page can read neither the preview nor its event stream.
    An IP address cannot be rebound, so none is a risk. Any port is accepted
    with a name that passes: the name is what rebinding cannot fake, and a
    tunnel (`ssh -L 9000:localhost:8000`) brings the preview in on another."""
    if not value:
        return False
    value = value.strip().lower()
    if value.startswith("["):  # [::1]:8000
        name, bracket, rest = value[1:].partition("]")
        if not bracket:
            return False
    elif value.count(":") > 1:
        return False  # an IPv6 address must be in brackets in a Host header
    else:
        name, colon, given = value.partition(":")
        rest = colon + given
    if rest and not (rest[0] == ":" and rest[1:].isdecimal() and len(rest) <= 6):
        return False
    names = {b.strip("[]").lower() for b in bound}
    if name == "localhost" or name in names:
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or any(_unspecified(b) for b in names)


def _unspecified(host: str) -> bool:
    """A host -> whether it is 0.0.0.0 or :: (every interface)."""
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def origin_allowed(value: str | None, bound: Iterable[str]) -> bool:
    """An `Origin` header -> whether it is a page of this server (or absent, as in
    a navigation). A page elsewhere holding an event stream open here would take
    a slot a real preview needs; "null" (a sandboxed frame, a file) is refused."""
    if value is None:
        return True
    try:
        parts = urlsplit(value.strip())
        netloc = parts.netloc
    except ValueError:
        return False
    if parts.scheme != "http" or not netloc or "@" in netloc:
        return False
    return host_allowed(netloc, bound)


# ---------------------------------------------------------------- paths


def url_segments(target: str) -> list[str] | None:
    """The path of a request target -> its decoded segments, or None when it tries to
    leave the folder or hides something: `..` or `.` segments (also percent-encoded),
    anything still percent-encoded after one decoding (double encoding), backslashes,
    NUL and other control characters, invalid UTF-8, or a target not starting with /."""
    path = target.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/"):
        return None
    try:
        decoded = unquote(path, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        return None
    if "%" in decoded or "\\" in decoded or any(ord(ch) < 32 or ord(ch) == 127 for ch in decoded):
        return None
    segments = [s for s in decoded.split("/") if s]
    if any(s in (".", "..") for s in segments):
        return None
    return segments


def resolve_inside(root: Path, segments: Iterable[str]) -> Path | None:
    """Segments under `root` -> the real path they name, or None when it (after
    following any symbolic link) is not inside `root`."""
    base = os.path.realpath(root)
    target = os.path.realpath(os.path.join(base, *segments))
    try:
        inside = os.path.commonpath([base, target]) == base
    except ValueError:  # different drives
        return None
    return Path(target) if inside else None


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")


def with_reload_script(html: bytes, build: str) -> bytes:
    """An HTML page -> the same page with the live-reload script before `</body>`."""
    tag = f'<script src="{RELOAD_SCRIPT}" data-build="{build}"></script>'.encode()
    at = html.lower().rfind(b"</body>")
    return html + tag if at < 0 else html[:at] + tag + html[at:]


# ---------------------------------------------------------------- HTTP


class SiteServer(ThreadingHTTPServer):
    """A threading HTTP server bound to one LiveSite."""

    daemon_threads = True  # open event streams must not hold up exiting
    request_queue_size = 128  # a burst of connections waits instead of being refused
    site: LiveSite

    def __init__(self, address: tuple[str, int], site: LiveSite) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.site = site
        super().__init__(address, SiteHandler)
        # the names a request may give as its Host: the one asked for, the address bound
        self.names = (address[0], str(self.server_address[0]))

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return  # the client went away mid-answer: nothing to report
        super().handle_error(request, client_address)

    def server_bind(self) -> None:
        # HTTPServer.server_bind also looks the host name up (getfqdn), which can
        # hang on a machine with slow DNS; the name is not needed here
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


class SiteHandler(BaseHTTPRequestHandler):
    """GET and HEAD of files inside the served folder, plus the reserved dev URLs."""

    server: SiteServer
    timeout = 30  # an idle or slow client's connection is closed after this

    def version_string(self) -> str:
        return "digest-serve"

    def do_GET(self) -> None:
        self._respond(body=True)

    def do_HEAD(self) -> None:
        self._respond(body=False)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request drowns the build messages

    def _respond(self, body: bool) -> None:
        site = self.server.site
        names = self.server.names
        if not host_allowed(self.headers.get("Host"), names):
            # answered before anything else, so a rebound name learns nothing
            self._send(HTTPStatus.MISDIRECTED_REQUEST, PLAIN, b"unknown host\n", body)
            return
        if not origin_allowed(self.headers.get("Origin"), names):
            self._send(HTTPStatus.FORBIDDEN, PLAIN, b"cross-origin request\n", body)
            return
        target = self.path.split("?", 1)[0]
        if target == EVENTS:
            self._events(body)
            return
        if target == RELOAD_SCRIPT:
            self._send(HTTPStatus.OK, "text/javascript; charset=utf-8", RELOAD_JS, body)
            return
        segments = url_segments(self.path)
        if segments is None:
            self._send(HTTPStatus.BAD_REQUEST, PLAIN, b"bad path\n", body)
            return
        root = site.root
        path = None
        if root is not None and not any(s.startswith(".") for s in segments):
            path = resolve_inside(root, segments)
        if path is not None and path.is_dir():
            if not target.endswith("/"):
                # relative links in an index page need the slash; rebuilt from the
                # checked segments, so "//host" can never become the location, and
                # percent-encoded: a header is Latin-1, a folder named 日本 is not
                location = "/" + "".join(quote(s, safe="") + "/" for s in segments)
                self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path = resolve_inside(path, ["index.html"])  # checked again: it may be a link
        data = _read(path) if path is not None else None
        if data is None or path is None:
            self._not_found(root, body)
            return
        kind = content_type(path)
        if kind.startswith("text/html"):
            data = with_reload_script(data, site.status().build)
        self._send(HTTPStatus.OK, kind, data, body)

    def _not_found(self, root: Path | None, body: bool) -> None:
        path = resolve_inside(root, ["404.html"]) if root is not None else None
        page = _read(path) if path is not None else None
        if page is None:
            page = b"<!doctype html><title>Not found</title><p>Not found.</p></body>"
        page = with_reload_script(page, self.server.site.status().build)
        self._send(HTTPStatus.NOT_FOUND, CONTENT_TYPES[".html"], page, body)

    def _send(self, status: HTTPStatus, kind: str, data: bytes, body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _events(self, body: bool) -> None:
        site = self.server.site
        client = str(self.client_address[0])
        if not body or not site.open_stream(client):
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, PLAIN, b"", body)
            return
        self.close_connection = True
        try:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(b"retry: 1000\n\n")
            seen: Status | None = None
            quiet = 0.0  # seconds since the last write
            while True:
                status = site.next_status(seen, STREAM_CHECK_SECONDS)
                if status is None:
                    return
                if status != seen:
                    self.wfile.write(status.event())
                    seen, quiet = status, 0.0
                elif self._client_gone():
                    return
                else:
                    quiet += STREAM_CHECK_SECONDS
                    if quiet >= KEEPALIVE_SECONDS:  # also finds a page gone without a word
                        self.wfile.write(b": keep-alive\n\n")
                        quiet = 0.0
        except OSError:
            return  # the page went away
        finally:
            site.close_stream(client)

    def _client_gone(self) -> bool:
        """Whether the client closed its end (or sent anything: a page listening to
        an event stream has nothing more to say) -> the stream can end."""
        sock = self.connection
        timeout = sock.gettimeout()
        try:
            sock.settimeout(0)  # a look, never a wait
            sock.recv(1, socket.MSG_PEEK)  # b"" once closed; bytes if it spoke
        except (BlockingIOError, InterruptedError):
            return False  # nothing to read: still listening
        except OSError:
            pass  # reset by the peer
        finally:
            sock.settimeout(timeout)
        return True


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes() if path.is_file() else None
    except OSError:
        return None


# ---------------------------------------------------------------- the dev server


Log = Callable[[str], None]


class DevServer:
    """Builds, serves and rebuilds one digest. `start()`, then `stop()` (or `with`)."""

    def __init__(
        self,
        config_file: Path | None = None,
        overrides: dict[str, Any] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        cache: bool = True,
        log: Log = print,
    ) -> None:
        self.config_file = config_file
        self.overrides = overrides or {}
        self.host, self.port = host, port
        self.cache = cache
        self.log = log
        self.cwd = Path.cwd()
        self.site = LiveSite(None)
        self.builds = 0  # attempts, good or bad
        self._stop = threading.Event()
        self._server: SiteServer | None = None
        self._threads: list[threading.Thread] = []
        self._watched: tuple[tuple[Path, ...], object] = ((), None)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> None:
        """Take the port, build once, then serve and watch on background threads.

        The port is bound before the build, so a busy one fails at once instead of
        after a build; connections made during the build wait in the backlog."""
        try:
            self._server = SiteServer((self.host, self.port), self.site)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise DigestError(
                    f"port {self.port} on {self.host} is already in use (another "
                    f"`digest serve`?); choose another with --port, e.g. --port {self.port + 1}"
                    if 0 < self.port < 65535
                    else f"port {self.port} on {self.host} is already in use; choose "
                    "another with --port"
                ) from None
            raise DigestError(f"cannot serve on {self.host}:{self.port}: {exc}") from None
        self.port = self._server.server_address[1]
        try:
            self.rebuild()
        except BaseException:  # Ctrl-C during the first build: give the port back
            self._server.server_close()
            self._server = None
            raise
        for name, target in (("serve", self._serve), ("watch", self._watch)):
            thread = threading.Thread(target=target, name=f"digest-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop watching and serving; open event streams end."""
        self._stop.set()
        self.site.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> DevServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def rebuild(self) -> BuildReport | None:
        """Build once: on success serve the new site, on failure keep the last good one
        and report the error to the terminal and to open pages."""
        self.builds += 1
        try:
            config, base = self._load()
            report = build(config, base, cache=self.cache)
        except DigestError as exc:
            self._failed(str(exc))
            return None
        except Exception:  # a bug in a build must not take the server down
            self._failed(traceback.format_exc(limit=-8).rstrip())
            return None
        self.site.built(Path(report.output))
        problems = f", {len(report.problems)} problem(s)" if report.problems else ""
        self._say(
            f"Built {_count(report.stories, 'story', 'stories')} from "
            f"{_count(report.articles, 'article', 'articles')} in {report.seconds:.2f} s "
            f"({report.cache_misses} analysed, {report.files_written} files written{problems})."
        )
        for problem in report.problems:
            self.log(f"  {problem.shown()}")  # shown() escapes
        return report

    def _say(self, message: str) -> None:
        """One message -> the log, every line escaped as the build report escapes a
        file name: names and error messages quote the content, and a control or
        direction character in them must not reach the terminal as such."""
        self.log("\n".join(terminal_safe(line) for line in message.split("\n")))

    def _failed(self, message: str) -> None:
        kept = " (still serving the last good site)" if self.site.root is not None else ""
        self._say(f"Build failed{kept}: {message}")
        self.site.failed(message)

    def _load(self) -> tuple[Config, Path]:
        path = self.config_file
        if path is not None and not path.is_absolute():
            path = self.cwd / path
        return load_config(path, **self.overrides)

    def _serve(self) -> None:
        assert self._server is not None
        self._server.serve_forever(poll_interval=0.2)

    # -------------------------------------------------------------- watching

    def watch_roots(self) -> tuple[Path, ...] | None:
        """The content, templates and static folders that exist, as real paths (the
        config may name a link to one: the user's choice); None while the settings
        are broken."""
        try:
            config, base = self._load()
        except DigestError:
            return None
        folders = [(base / name).resolve() for name in (config.content, "templates", config.static)]
        return tuple(f for f in dict.fromkeys(folders) if f.is_dir())

    def _config_path(self) -> Path:
        path = self.config_file or Path("digest.toml")
        return path if path.is_absolute() else self.cwd / path

    def _config_stamp(self) -> object:
        try:
            info = self._config_path().stat()
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size, info.st_ino)

    def _watch(self) -> None:
        stamp = self._config_stamp()
        moved = False
        pending: set[tuple[Any, str]] = set()
        roots = self.watch_roots() or ()
        while not self._stop.is_set():
            roots = tuple(r for r in roots if r.is_dir())
            # Every folder gets its own watch, none recursive: watchfiles' recursive
            # watch follows a link out of content/ (and would walk the whole disk
            # behind a link to /). With no folder yet, the config file's folder
            # alone is watched, to see one appear.
            folders = folders_under(roots) if roots else (self._config_path().parent,)
            try:
                for changes in watchfiles.watch(
                    *folders,
                    watch_filter=_ChangeFilter(folders),
                    debounce=400,
                    step=50,
                    rust_timeout=POLL_MS,
                    yield_on_timeout=True,
                    stop_event=self._stop,
                    raise_interrupt=False,
                    recursive=False,
                ):
                    pending |= changes
                    now_roots = self.watch_roots()
                    if now_roots is not None and now_roots != roots:
                        roots, moved = now_roots, True
                        break  # a root appeared or went away: watch the new set
                    if changes and roots and folders_under(roots) != folders:
                        moved = True
                        break  # a folder was made, moved or removed: watch the new set
                    now = self._config_stamp()
                    if pending or now != stamp or moved:
                        # after a move the new folders are watched from the first
                        # yield on, so this build sees whatever landed in them before
                        names = self._changed_names(pending, config=now != stamp)
                        pending, stamp, moved = set(), now, False
                        self._say(f"Changed: {names}; rebuilding…")
                        self.rebuild()
            except (OSError, RuntimeError):  # a watched folder vanished under us
                if self._stop.wait(POLL_MS / 1000):
                    return
                roots, moved = self.watch_roots() or roots, True

    def _changed_names(self, changes: Iterable[tuple[Any, str]], *, config: bool) -> str:
        """Changed paths (and whether the config file changed) -> their names for the
        terminal: relative to the current folder when inside it, escaped (a file name
        is the content's), at most SHOWN_CHANGES of them."""
        paths = {Path(p) for _, p in changes}
        if config:
            paths.add(self._config_path())
        names = sorted(terminal_safe(_relative(path, self.cwd)) for path in paths)
        if not names:
            return "the watched folders"
        more = len(names) - SHOWN_CHANGES
        return ", ".join(names[:SHOWN_CHANGES]) + (f" and {more} more" if more > 0 else "")


def _relative(path: Path, folder: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return str(path)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def folders_under(roots: Iterable[Path], limit: int = MAX_WATCHED_FOLDERS) -> tuple[Path, ...]:
    """Root folders -> them and the folders below them, in a fixed order, found
    without following a symbolic link; hidden folders and those watchfiles
    ignores (node_modules, __pycache__, …) left out; at most `limit` of them."""
    ignored = set(watchfiles.DefaultFilter.ignore_dirs)
    found: list[Path] = []
    seen: set[Path] = set()
    stack = list(reversed(tuple(roots)))
    while stack and len(found) < limit:  # a stack, not recursion: any depth is fine
        folder = stack.pop()
        if folder in seen:
            continue  # a root inside another root
        seen.add(folder)
        found.append(folder)
        try:
            with os.scandir(folder) as entries:
                below = sorted(
                    Path(entry.path)
                    for entry in entries
                    if not entry.name.startswith(".")
                    and entry.name not in ignored
                    and entry.is_dir(follow_symlinks=False)
                )
        except OSError:  # vanished or unreadable: its changes cannot be seen anyway
            continue
        stack.extend(reversed(below))
    return tuple(found)


class _ChangeFilter(watchfiles.DefaultFilter):
    """watchfiles' default filter (editor swap files, .git, …), no hidden files, and
    only entries of the watched folders themselves."""

    def __init__(self, folders: Iterable[Path]) -> None:
        super().__init__()
        self.folders = {str(f) for f in folders}

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        if not super().__call__(change, path):
            return False
        folder, name = os.path.split(path)
        return folder in self.folders and not name.startswith(".")
