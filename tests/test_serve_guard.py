"""`digest serve` on a laptop, against a web page and hostile file names: only
Host values naming the server are answered (DNS rebinding), pages of another
origin are refused, event-stream slots come back when pages close, file names
are escaped in the log, and the watcher never follows a link out of content/.

Every request goes to a real server on 127.0.0.1 with a timeout; every server
is stopped. Waits are bounded by deadlines, never asserted as durations.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import watchfiles

from digest import serve
from digest.serve import (
    EVENTS,
    MAX_EVENT_STREAMS,
    MAX_STREAMS_PER_CLIENT,
    RELOAD_SCRIPT,
    DevServer,
    folders_under,
    host_allowed,
    origin_allowed,
)
from tests.conftest import SEEDS, wait_for

HOST = "127.0.0.1"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    project = tmp_path_factory.mktemp("serve-guard")
    shutil.copytree(SEEDS, project / "content")
    (project / "digest.toml").write_text('title = "Guarded"\nsearch = false\n', "utf-8")
    server = DevServer(project / "digest.toml", host=HOST, port=0, log=lambda message: None)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def request(
    port: int,
    target: str = "/",
    headers: dict[str, str] | None = None,
    source: str | None = None,
    host: str | None = "localhost",
) -> tuple[int, bytes, socket.socket]:
    """Send a GET with exactly these headers -> (status, head and start of the
    body, the socket still open: an event stream goes on)."""
    lines = [f"GET {target} HTTP/1.1"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    sock = socket.create_connection(
        (HOST, port), timeout=10, source_address=(source, 0) if source else None
    )
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ", 2)[1]), data, sock


def status_of(port: int, target: str = "/", **kwargs: object) -> int:
    status, _, sock = request(port, target, **kwargs)  # type: ignore[arg-type]
    sock.close()
    return status


def write_until_rebuilt(server: DevServer, path: Path, text: str) -> None:
    """Write a file (again, until the watcher, which starts on its own thread, has
    seen it) -> returns once the server has built one more time."""
    builds = server.builds
    for _ in range(30):
        path.write_text(text, "utf-8")
        if wait_for(lambda: server.builds > builds, 0.5):
            return
    raise AssertionError("the watcher never saw the change")


# ------------------------------------------------------------------ Host


def answered_hosts(port: int) -> list[str]:
    return [
        "localhost",
        f"localhost:{port}",
        "LocalHost",
        "127.0.0.1",
        f"127.0.0.1:{port}",
        "[::1]",
        f"[::1]:{port}",
        "localhost:9000",  # through a tunnel: ssh -L 9000:localhost:8000
    ]


def refused_hosts(port: int) -> list[str]:
    return [
        "evil.example",
        f"evil.example:{port}",
        "localhost.evil.example",
        f"127.0.0.1.nip.io:{port}",
        "localhost.",
        "localhost:http",
        "localhost:",
        "localhost:1234567",
        f"127.0.0.1:{port}:{port}",
        f"localhost:{port}@evil.example",
        "::1",
        "[::1",
        "",
    ]


def test_host_names_of_this_server_are_answered(served: DevServer) -> None:
    for host in answered_hosts(served.port):
        assert status_of(served.port, "/", host=host) == 200, host


def test_any_other_host_gets_421_before_anything_is_served(served: DevServer) -> None:
    for host in refused_hosts(served.port):
        for target in ("/", "/index.html", EVENTS, RELOAD_SCRIPT, "/../secret"):
            status, data, sock = request(served.port, target, host=host)
            sock.close()
            assert status == 421, (host, target)
            assert b"<html" not in data.lower() and b"event-stream" not in data
    assert status_of(served.port, "/", host=None) == 421  # no Host at all


def test_host_rules_for_other_bindings() -> None:
    # bound to every interface: a machine on the network may use this one's address
    everywhere = ("0.0.0.0", "0.0.0.0")
    assert host_allowed("192.168.1.5:8000", everywhere)
    assert not host_allowed("rebound.example:8000", everywhere)
    # bound to loopback: an address of the network is no name of this server
    assert not host_allowed("192.168.1.5:8000", ("127.0.0.1", "127.0.0.1"))
    # a host name given to --host is answered to, with the port or without
    named = ("laptop.lan", "192.168.1.5")
    assert host_allowed("laptop.lan:8000", named)
    assert host_allowed("LAPTOP.LAN", named)
    assert host_allowed("192.168.1.5", named)
    assert not host_allowed("laptop.lan.evil.example", named)
    assert host_allowed("[::1]:8000", ("::1", "::1"))
    assert not host_allowed("[::1]x", ("::1", "::1"))


# ------------------------------------------------------------------ Origin


def test_pages_of_another_origin_get_403(served: DevServer) -> None:
    port = served.port
    for origin in ("http://evil.example", f"http://evil.example:{port}", "null", "file://"):
        for target in (EVENTS, "/"):
            assert status_of(port, target, headers={"Origin": origin}) == 403, origin
    same = {"Origin": f"http://localhost:{port}"}
    status, _, sock = request(port, EVENTS, headers=same)
    sock.close()
    assert status == 200
    assert origin_allowed(None, ("127.0.0.1",))  # a navigation sends none
    assert not origin_allowed(f"http://user@localhost:{port}", ("127.0.0.1",))
    assert not origin_allowed(f"https://localhost:{port}", ("127.0.0.1",))


# ------------------------------------------------------------------ event streams


def can_bind(address: str) -> bool:
    try:
        with socket.socket() as sock:
            sock.bind((address, 0))
    except OSError:
        return False
    return True


CLIENTS = [f"127.0.0.{n}" for n in range(2, 2 + MAX_EVENT_STREAMS // MAX_STREAMS_PER_CLIENT + 1)]


def skip_outside_ci(reason: str) -> None:
    """Skip on a machine without the loopback addresses; in CI (Linux) that is a failure."""
    if os.environ.get("CI"):
        pytest.fail(f"cannot run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture()
def no_keepalive(monkeypatch: pytest.MonkeyPatch, served: DevServer) -> None:
    # with no keep-alive write in the test's time, only noticing the close frees a slot
    monkeypatch.setattr(serve, "KEEPALIVE_SECONDS", 3600.0)
    # and each test starts with every slot free (an earlier test's stream is
    # noticed closed within a moment, not at once)
    assert wait_for(lambda: served.site.open_streams() == 0)


@pytest.mark.usefixtures("no_keepalive")
def test_slots_of_closed_pages_are_freed(served: DevServer) -> None:
    if not all(can_bind(c) for c in CLIENTS):
        skip_outside_ci("needs several loopback addresses (Linux has 127.0.0.0/8)")
    streams = []
    try:
        for client in CLIENTS[:-1]:
            for _ in range(MAX_STREAMS_PER_CLIENT):
                status, _, sock = request(served.port, EVENTS, source=client)
                streams.append(sock)
                assert status == 200
        assert served.site.open_streams() == MAX_EVENT_STREAMS
        # every slot taken: a page of yet another client waits its turn
        assert status_of(served.port, EVENTS, source=CLIENTS[-1]) == 503
    finally:
        for sock in streams:
            sock.close()
    # 64 pages closed: their slots come back long before any keep-alive is due
    assert wait_for(lambda: served.site.open_streams() == 0)
    status, _, sock = request(served.port, EVENTS, source=CLIENTS[-1])
    sock.close()
    assert status == 200


@pytest.mark.usefixtures("no_keepalive")
def test_one_client_holds_a_bounded_share(served: DevServer) -> None:
    if not all(can_bind(c) for c in CLIENTS[:2]):
        skip_outside_ci("needs several loopback addresses (Linux has 127.0.0.0/8)")
    greedy, other = CLIENTS[:2]
    streams = []
    try:
        for _ in range(MAX_STREAMS_PER_CLIENT):
            status, _, sock = request(served.port, EVENTS, source=greedy)
            streams.append(sock)
            assert status == 200
        assert status_of(served.port, EVENTS, source=greedy) == 503
        status, _, sock = request(served.port, EVENTS, source=other)
        streams.append(sock)
        assert status == 200  # another client still gets in
    finally:
        for sock in streams:
            sock.close()
    assert wait_for(lambda: served.site.open_streams() == 0)


@pytest.mark.usefixtures("no_keepalive")
def test_a_client_sending_more_ends_its_stream(served: DevServer) -> None:
    status, _, sock = request(served.port, EVENTS)
    try:
        assert status == 200
        assert wait_for(lambda: served.site.open_streams() == 1)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert wait_for(lambda: served.site.open_streams() == 0)
    finally:
        sock.close()


# ------------------------------------------------------------------ the log

HOSTILE = "red\x1b[31m\u202eevil\x07"


def test_every_logged_file_name_is_escaped(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(SEEDS, project / "content")
    (project / "digest.toml").write_text('title = "Logged"\nsearch = false\n', "utf-8")
    # unreadable front matter: a problem naming the file on every build
    (project / "content" / f"{HOSTILE}.md").write_text("---\ntitle: [\n---\nBody.\n", "utf-8")
    lines: list[str] = []
    server = DevServer(project / "digest.toml", host=HOST, port=0, log=lines.append)
    server.start()
    try:
        write_until_rebuilt(server, project / "content" / f"{HOSTILE}-2.md", "A new article.\n")
        # a config naming a content folder that is not there: the message quotes it
        hostile_toml = HOSTILE.encode("unicode_escape").decode().replace("\\x", "\\u00")
        config = f'title = "x"\nsearch = false\ncontent = "{hostile_toml}"\n'
        (project / "digest.toml").write_text(config, "utf-8")
        assert wait_for(lambda: any(s.startswith("Build failed") for s in lines))
    finally:
        server.stop()
    logged = "\n".join(lines)
    assert any(line.startswith("Changed: ") for line in lines)
    assert any(line.startswith("Build failed") for line in lines)
    assert any("\\u001b[31m\\u202eevil\\u0007" in line for line in lines)
    for bad in ("\x1b", "\u202e", "\x07"):
        assert bad not in logged


# ------------------------------------------------------------------ the watcher


def test_folders_under_never_follow_a_link(tmp_path: Path) -> None:
    content, outside = tmp_path / "content", tmp_path / "outside"
    (content / "a" / "b").mkdir(parents=True)
    (content / ".hidden").mkdir()
    (content / "node_modules").mkdir()
    (outside / "deep").mkdir(parents=True)
    (content / "elsewhere").symlink_to(outside, target_is_directory=True)
    (content / "a" / "up").symlink_to(tmp_path, target_is_directory=True)
    assert folders_under([content]) == (content, content / "a", content / "a" / "b")
    # deep trees are walked without recursion, and the count is bounded
    deep = content / "d"
    for _ in range(300):
        deep = deep / "d"
    deep.mkdir(parents=True)
    assert len(folders_under([content])) == 3 + 301
    assert len(folders_under([content], limit=10)) == 10
    watched = serve._ChangeFilter(folders_under([content]))
    assert watched(watchfiles.Change.added, str(content / "a" / "new.md"))
    assert not watched(watchfiles.Change.added, str(content / "elsewhere" / "new.md"))
    assert not watched(watchfiles.Change.added, str(outside / "new.md"))
    assert not watched(watchfiles.Change.added, str(content / ".hidden" / "new.md"))


def test_a_change_behind_a_link_out_of_content_is_not_watched(tmp_path: Path) -> None:
    project, outside = tmp_path / "project", tmp_path / "outside"
    shutil.copytree(SEEDS, project / "content")
    (outside / "sub").mkdir(parents=True)
    (project / "content" / "elsewhere").symlink_to(outside, target_is_directory=True)
    (project / "digest.toml").write_text('title = "Watched"\nsearch = false\n', "utf-8")
    lines: list[str] = []
    server = DevServer(project / "digest.toml", host=HOST, port=0, log=lines.append)
    server.start()
    try:
        write_until_rebuilt(server, project / "content" / "first.md", "A first new article.\n")
        builds = server.builds
        # written through the link's target first, then inside content/: the
        # watcher sees events in order, so a change it saw outside would be
        # named in this rebuild or have caused one before it
        (outside / "planted.md").write_text("Planted article text.\n", "utf-8")
        (outside / "sub" / "deeper.md").write_text("Planted article text.\n", "utf-8")
        (project / "content" / "real.md").write_text("A real new article.\n", "utf-8")
        assert wait_for(lambda: server.builds > builds)
        assert server.builds == builds + 1
        changed = [line for line in lines if line.startswith("Changed: ")][-1]
        assert "real.md" in changed
        assert "planted" not in changed and "deeper" not in changed
    finally:
        server.stop()


def test_reads_need_a_host_even_over_http_client(served: DevServer) -> None:
    # the ordinary client sends "127.0.0.1:port" and is answered
    conn = http.client.HTTPConnection(HOST, served.port, timeout=10)
    try:
        conn.request("GET", "/")
        assert conn.getresponse().status == 200
    finally:
        conn.close()
