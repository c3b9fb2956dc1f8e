"""`digest serve`: rebuilds on change, live reload over Server-Sent Events, error
overlay with the last good site kept, only files inside the output folder, many
concurrent requests, and a clean exit on Ctrl-C.

Servers listen on 127.0.0.1 with a free port; every wait is bounded and every
server is stopped, whatever the test's outcome.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from digest.serve import (
    EVENTS,
    MAX_STREAMS_PER_CLIENT,
    RELOAD_SCRIPT,
    DevServer,
    resolve_inside,
    url_segments,
    with_reload_script,
)
from tests.conftest import SEEDS

HOST = "127.0.0.1"
SECRET = "TOP-SECRET-OUTSIDE-THE-SITE"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A digest project: the sample content, a config (no search index: faster), and a
    secret file beside the output folder that the server must never hand out."""
    shutil.copytree(SEEDS, tmp_path / "content")
    (tmp_path / "digest.toml").write_text('title = "Served"\nsearch = false\n', "utf-8")
    (tmp_path / "secret.txt").write_text(SECRET, "utf-8")
    return tmp_path


@pytest.fixture
def server(project: Path) -> Iterator[DevServer]:
    messages: list[str] = []
    dev = DevServer(project / "digest.toml", host=HOST, port=0, log=messages.append)
    dev.start()
    try:
        yield dev
    finally:
        dev.stop()


def get(dev: DevServer, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(HOST, dev.port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def raw_get(port: int, target: bytes) -> tuple[int, bytes]:
    """Send a request target exactly as given (no client-side normalising)."""
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.0\r\nHost: localhost\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data


class EventStream:
    """A minimal Server-Sent Events client."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection(HOST, port, timeout=10)
        self.conn.request("GET", EVENTS)
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type") == "text/event-stream"

    def next(self, timeout: float) -> tuple[str, dict[str, object]]:
        """The next named event (comments and retry lines skipped) within `timeout` s."""
        deadline = time.monotonic() + timeout
        name, data = "", ""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no event in time")
            self.response.fp.raw._sock.settimeout(left)  # type: ignore[attr-defined]
            line = self.response.fp.readline().decode("utf-8")
            if not line:
                raise ConnectionError("stream closed")
            line = line.rstrip("\n")
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif line == "" and name:
                return name, json.loads(data)

    def close(self) -> None:
        self.conn.close()


# ------------------------------------------------------------------ paths


@pytest.mark.parametrize(
    "target",
    [
        "/../secret.txt",
        "/../../etc/passwd",
        "/assets/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2e%2E/etc/passwd",
        "/.%2e/secret.txt",
        "/%252e%252e/secret.txt",  # double-encoded
        "/%25252e%25252e/secret.txt",
        "/..%2fsecret.txt",
        "/..%5csecret.txt",
        "/..\\secret.txt",
        "/assets\\..\\..\\secret.txt",
        "/index.html%00.css",
        "/index.html\x00",
        "/%c0%ae%c0%ae/secret.txt",  # overlong UTF-8 dots
        "/./index.html",
        "relative/path",
        "http://evil.example/",
    ],
)
def test_url_segments_refuses_escapes(target: str) -> None:
    assert url_segments(target) is None


def test_url_segments_accepts_site_paths() -> None:
    assert url_segments("/") == []
    assert url_segments("/stories/a-b.html?x=1#top") == ["stories", "a-b.html"]
    assert url_segments("//assets//style.css") == ["assets", "style.css"]
    assert url_segments("/caf%C3%A9.html") == ["café.html"]


def test_resolve_inside_refuses_symlinks_out(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    (root / "page.html").write_text("ok", "utf-8")
    (tmp_path / "secret.txt").write_text(SECRET, "utf-8")
    (root / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (root / "up").symlink_to(tmp_path)
    assert resolve_inside(root, ["page.html"]) == (root / "page.html").resolve()
    assert resolve_inside(root, ["leak.txt"]) is None
    assert resolve_inside(root, ["up", "secret.txt"]) is None
    assert resolve_inside(root, ["..", "secret.txt"]) is None


def test_reload_script_goes_before_the_last_body_end() -> None:
    page = b"<html><body><p>&lt;/body&gt;</p></BODY></html>"
    out = with_reload_script(page, "abc-1")
    assert out.index(RELOAD_SCRIPT.encode()) < out.index(b"</BODY>")
    assert b'data-build="abc-1"' in out
    assert with_reload_script(b"<p>no body end", "x").startswith(b"<p>no body end<script")


# ------------------------------------------------------------------ the running server


def test_serves_site_with_reload_script_only_in_responses(server: DevServer) -> None:
    status, headers, body = get(server, "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert RELOAD_SCRIPT.encode() in body
    assert int(headers["Content-Length"]) == len(body)
    root = server.site.root
    assert root is not None
    on_disk = (root / "index.html").read_bytes()
    assert RELOAD_SCRIPT.encode() not in on_disk, "the script must never reach the files"
    status, headers, css = get(server, "/assets/style.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css")
    assert css == (root / "assets" / "style.css").read_bytes()
    status, _, script = get(server, RELOAD_SCRIPT)
    assert status == 200 and b"EventSource" in script
    status, headers, _ = get(server, "/stories")
    assert status == 301 and headers["Location"] == "/stories/"
    (root / "日本 news").mkdir()  # a folder name a Latin-1 header cannot carry raw
    (root / "日本 news" / "index.html").write_text("<p>x</p>", "utf-8")
    status, headers, _ = get(server, "/%E6%97%A5%E6%9C%AC%20news")
    assert status == 301 and headers["Location"] == "/%E6%97%A5%E6%9C%AC%20news/"
    status, _, body = get(server, headers["Location"])
    assert status == 200 and b"<p>x</p>" in body
    status, _, body = get(server, "/no-such-page.html")
    assert status == 404 and b"Page not found" in body


def test_attacks_on_the_live_server_never_leak(server: DevServer, project: Path) -> None:
    root = server.site.root
    assert root is not None
    (root / "leak.txt").symlink_to(project / "secret.txt")
    (root / "linked").mkdir()
    (root / "linked" / "index.html").symlink_to(project / "secret.txt")
    targets = [
        b"/../secret.txt",
        b"/%2e%2e/secret.txt",
        b"/%2e%2e%2fsecret.txt",
        b"/%252e%252e/secret.txt",
        b"/..%5csecret.txt",
        b"/..\\secret.txt",
        b"/secret.txt%00.html",
        b"/leak.txt",
        b"/linked/",
        b"/linked/index.html",
        b"//" + str(project).encode() + b"/secret.txt",
        b"/" + b"../" * 20 + str(project).encode()[1:] + b"/secret.txt",
        b"/.digest-cache/CACHEDIR.TAG",
        b"http://evil.example/../secret.txt",
    ]
    for target in targets:
        status, data = raw_get(server.port, target)
        assert status in (400, 404), target
        assert SECRET.encode() not in data, target
    # "//evil.example" must not turn into an open redirect
    status, data = raw_get(server.port, b"//evil.example/../stories")
    assert SECRET.encode() not in data and b"Location: //" not in data


def test_many_concurrent_requests(server: DevServer) -> None:
    streams = [EventStream(server.port) for _ in range(8)]  # open pages hold connections
    idle = [socket.create_connection((HOST, server.port), timeout=10) for _ in range(40)]
    idle[0].sendall(b"GET / HTTP/1.0\r\n")  # a request that never ends
    try:
        paths = ["/", "/assets/style.css", "/feed.xml", "/missing", "/topics/"] * 60

        def fetch(path: str) -> int:
            return get(server, path)[0]

        with ThreadPoolExecutor(max_workers=32) as pool:
            statuses = list(pool.map(fetch, paths, timeout=60))
        assert statuses.count(404) == 60
        assert all(s in (200, 404) for s in statuses)
        assert get(server, "/")[0] == 200, "the server must still answer afterwards"
    finally:
        for stream in streams:
            stream.close()
        for sock in idle:
            sock.close()


def test_event_streams_are_capped(server: DevServer) -> None:
    # one client address holds at most its share (tests/test_serve_guard.py: the total);
    # streams of earlier tests are noticed closed within a moment, not at once
    deadline = time.monotonic() + 15
    while server.site.open_streams() and time.monotonic() < deadline:
        time.sleep(0.05)
    streams = [EventStream(server.port) for _ in range(MAX_STREAMS_PER_CLIENT)]
    try:
        conn = http.client.HTTPConnection(HOST, server.port, timeout=10)
        conn.request("GET", EVENTS)
        assert conn.getresponse().status == 503
        conn.close()
        assert get(server, "/")[0] == 200
    finally:
        for stream in streams:
            stream.close()


def test_change_rebuilds_and_reloads_within_two_seconds(server: DevServer, project: Path) -> None:
    stream = EventStream(server.port)
    try:
        name, first = stream.next(timeout=5)
        assert name == "status" and first["error"] is None
        article = project / "content" / "001_2ab743aecac506e8.txt"
        started = time.monotonic()
        article.write_text(article.read_text("utf-8") + "\nA new closing line.\n", "utf-8")
        name, second = stream.next(timeout=2.0)
        elapsed = time.monotonic() - started
        assert second["build"] != first["build"] and second["error"] is None
        print(f"rebuilt and reported in {elapsed:.2f} s")
        assert elapsed < 2.0
        # only the changed article was analysed again
        assert server.builds == 2

        # a new article file appears
        (project / "content" / "new.md").write_text(
            "---\ntitle: Lava reaches the sea\ndate: 2024-02-01\n---\nLava reached the sea.\n",
            "utf-8",
        )
        _, third = stream.next(timeout=5)
        assert third["build"] != second["build"]
        status, _, body = get(server, "/articles/new.html")
        assert status == 200 and b"Lava reaches the sea" in body
    finally:
        stream.close()


def test_failed_rebuild_shows_error_and_keeps_last_good_site(
    server: DevServer, project: Path
) -> None:
    stream = EventStream(server.port)
    try:
        _, good = stream.next(timeout=5)
        _, _, before = get(server, "/")
        templates = project / "templates"
        templates.mkdir()
        (templates / "index.html").write_text("{% extends 'base.html' %}{% block", "utf-8")
        _, failed = stream.next(timeout=5)
        assert failed["build"] == good["build"]
        assert "template error in" in str(failed["error"])
        assert "index.html" in str(failed["error"])
        status, _, during = get(server, "/")
        assert status == 200 and during == before, "the last good site keeps being served"
        # a page opened now learns about the failure at once
        late = EventStream(server.port)
        try:
            assert "template error" in str(late.next(timeout=5)[1]["error"])
        finally:
            late.close()
        (templates / "index.html").write_text(
            "{% extends 'base.html' %}{% block main %}<p>Custom front page</p>{% endblock %}",
            "utf-8",
        )
        _, fixed = stream.next(timeout=5)
        assert fixed["error"] is None and fixed["build"] != good["build"]
        assert b"Custom front page" in get(server, "/")[2]
        shutil.rmtree(templates)  # back to the built-in templates
        deadline = time.monotonic() + 5
        while b"Custom front page" in get(server, "/")[2]:
            stream.next(timeout=max(0.1, deadline - time.monotonic()))
    finally:
        stream.close()


def test_config_change_rebuilds(server: DevServer, project: Path) -> None:
    stream = EventStream(server.port)
    try:
        stream.next(timeout=5)
        (project / "digest.toml").write_text('title = "Renamed"\nsearch = false\n', "utf-8")
        _, status = stream.next(timeout=5)
        assert status["error"] is None
        assert b"<title>Renamed</title>" in get(server, "/")[2]
        (project / "digest.toml").write_text("title = 3\nsearch = false\n", "utf-8")
        _, status = stream.next(timeout=5)
        assert "'title' must be text, not a whole number (3)" in str(status["error"])
    finally:
        stream.close()


def test_stop_ends_event_streams(project: Path) -> None:
    dev = DevServer(project / "digest.toml", host=HOST, port=0, log=lambda _: None)
    dev.start()
    stream = EventStream(dev.port)
    try:
        stream.next(timeout=5)
        started = time.monotonic()
        dev.stop()
        assert time.monotonic() - started < 5
        with pytest.raises((ConnectionError, OSError)):
            stream.next(timeout=5)
        with pytest.raises(OSError):
            socket.create_connection((HOST, dev.port), timeout=2).close()
    finally:
        stream.close()
        dev.stop()


def test_port_in_use_is_a_clean_error(project: Path) -> None:
    from digest.models import DigestError

    with socket.socket() as busy:
        busy.bind((HOST, 0))
        busy.listen()
        dev = DevServer(
            project / "digest.toml", host=HOST, port=busy.getsockname()[1], log=lambda _: None
        )
        with pytest.raises(DigestError, match="in use"):
            dev.start()
        dev.stop()


def test_cli_serve_exits_130_on_ctrl_c(project: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "digest", "serve", "--port", "0"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # printed once the server is listening
        assert "Serving" in line and "http://127.0.0.1:" in line, line
        port = int(line.rsplit(":", 1)[1].split("/")[0])
        assert raw_get(port, b"/")[0] == 200
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == 130, err  # 128 + SIGINT, as a shell reports Ctrl-C
        assert "Interrupted." in err
        assert "Traceback" not in err and "Aborted!" not in out + err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
