"""`digest serve` against hostile requests: loopback by default, no path out of
the site however it is encoded, and still answering after a bounded burst of
1,000 requests from 50 threads. (tests/test_serve.py covers the live reload.)

Every request goes to 127.0.0.1 with a timeout; the server is always stopped.
"""

from __future__ import annotations

import http.client
import inspect
import itertools
import shutil
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.serve import DevServer
from tests.browser_support import launch, require_browser
from tests.conftest import SEEDS

HOST = "127.0.0.1"
SECRET = "SERVE-SECRET-5b1e"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DevServer, Path]]:
    project = tmp_path_factory.mktemp("serve-security")
    shutil.copytree(SEEDS, project / "content")
    (project / "digest.toml").write_text('title = "Served"\nsearch = false\n', "utf-8")
    (project / "secret.txt").write_text(SECRET, "utf-8")
    (project / ".digest-secret").write_text(SECRET, "utf-8")
    server = DevServer(project / "digest.toml", host=HOST, port=0, log=lambda message: None)
    server.start()
    try:
        root = server.site.root
        assert root is not None
        # links planted in the served folder that point out of it
        (root / "leak.txt").symlink_to(project / "secret.txt")
        (root / "up").symlink_to(project, target_is_directory=True)
        yield server, project
    finally:
        server.stop()


def raw(port: int, target: bytes, method: bytes = b"GET") -> tuple[int, bytes]:
    """Send a request target exactly as given -> (status, whole response)."""
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall(method + b" " + target + b" HTTP/1.0\r\nHost: localhost\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1]), data


def test_serve_listens_on_loopback_by_default() -> None:
    assert inspect.signature(DevServer).parameters["host"].default == "127.0.0.1"
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "127.0.0.1" in result.output


def test_server_socket_is_bound_to_loopback(served: tuple[DevServer, Path]) -> None:
    server, _ = served
    assert server._server is not None
    assert server._server.server_address[0] == HOST


DOTS = [
    "..", "%2e%2e", "%2E%2E", ".%2e", "%2e.", "%252e%252e", "%25252e%25252e", "%c0%ae%c0%ae",
    "%e0%80%ae%e0%80%ae", "..%00", "..;", "%2e%2e%3b", ".%00.", "..\\", "%2e%2e%5c", "\\..",
    "..%c0%af", "..%25%32%66", "．．", "%ef%bc%8e%ef%bc%8e",
]  # fmt: skip
SEPARATORS = ["/", "%2f", "%2F", "%252f", "\\", "%5c", "//", "/./", "%00/"]
TARGETS = ["secret.txt", ".digest-secret", "etc/passwd", "content/000_7a6293aeb3383be8.txt"]


def traversal_targets() -> list[bytes]:
    out = []
    for dots, sep, target in itertools.product(DOTS, SEPARATORS, TARGETS):
        for depth in (1, 3):
            path = "/" + (dots + sep) * depth + target
            out.append(path.encode("utf-8"))
    out += [
        b"/leak.txt",
        b"/up/secret.txt",
        b"/up/%2e%2e/secret.txt",
        b"/assets/../../secret.txt",
        b"/" + b"../" * 30 + b"etc/passwd",
        b"//etc/passwd",
        b"/%2fetc%2fpasswd",
        b"http://localhost/../secret.txt",
        b"*",
        b"/.digest-cache/CACHEDIR.TAG",
        b"/%2edigest-secret",
        b"/digest.toml/..",
    ]
    return out


def test_no_encoding_of_a_path_leaves_the_site(served: tuple[DevServer, Path]) -> None:
    server, _project = served
    targets = traversal_targets()
    assert len(targets) > 1000
    leaked = []
    for target in targets:
        status, data = raw(server.port, target)
        if status not in (400, 404) or SECRET.encode() in data or b"root:x:0:0" in data:
            leaked.append((target, status))
        if b"The chief of the Wagner" in data or b"[core]" in data:
            leaked.append((target, status))  # a content file is not part of the site
    assert leaked == []
    assert raw(server.port, b"/index.html")[0] == 200  # and the site itself is served


def test_other_methods_are_refused(served: tuple[DevServer, Path]) -> None:
    server, _ = served
    for method in (b"POST", b"PUT", b"DELETE", b"TRACE", b"CONNECT"):
        status, data = raw(server.port, b"/index.html", method)
        assert status in (405, 501), method
        assert SECRET.encode() not in data


def test_a_thousand_requests_from_fifty_threads(served: tuple[DevServer, Path]) -> None:
    server, _ = served
    paths = ["/", "/index.html", "/assets/style.css", "/feed.xml", "/missing.html"]
    paths += ["/../secret.txt", "/%2e%2e/secret.txt", "/topics/", "/sources/index.html", "/x/y/z"]

    def fetch(n: int) -> tuple[str, int, int]:
        path = paths[n % len(paths)]
        conn = http.client.HTTPConnection(HOST, server.port, timeout=20)
        try:
            conn.putrequest("GET", path, skip_accept_encoding=True)
            conn.endheaders()
            response = conn.getresponse()
            body = response.read()
            return path, response.status, len(body)
        finally:
            conn.close()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(fetch, range(1000), timeout=120))
    elapsed = time.monotonic() - started
    assert len(results) == 1000
    by_path: dict[str, set[int]] = {}
    for path, status, _ in results:
        by_path.setdefault(path, set()).add(status)
    assert by_path["/index.html"] == {200} and by_path["/assets/style.css"] == {200}
    assert by_path["/missing.html"] == {404} and by_path["/x/y/z"] == {404}
    assert by_path["/../secret.txt"] <= {400, 404}
    assert elapsed < 60
    # idle connections (a slow client) do not stop it answering others
    idle = [socket.create_connection((HOST, server.port), timeout=10) for _ in range(20)]
    try:
        assert fetch(1)[1] == 200
    finally:
        for sock in idle:
            sock.close()


def test_live_reload_runs_under_the_content_security_policy(
    served: tuple[DevServer, Path],
) -> None:
    """The script serve adds to pages is a same-origin file, so the pages' policy
    lets it run and connect to the event stream."""
    require_browser()
    from playwright.sync_api import sync_playwright

    server, _ = served
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            context = browser.new_context()
            context.add_init_script(
                "window.__v=[];document.addEventListener('securitypolicyviolation',"
                "e=>window.__v.push(e.violatedDirective+' '+e.blockedURI))"
            )
            page = context.new_page()
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(f"http://{HOST}:{server.port}/index.html", wait_until="load")
            page.wait_for_timeout(300)
            violations: list[Any] = page.evaluate("window.__v")
            csp = page.get_attribute("meta[http-equiv='Content-Security-Policy']", "content")
        finally:
            browser.close()
    assert csp and "script-src 'self'" in csp
    assert violations == []
    assert any(u.endswith("/__digest__/reload.js") for u in requests)
    assert any(u.endswith("/__digest__/events") for u in requests)
