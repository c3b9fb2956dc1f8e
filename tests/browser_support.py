"""Helpers for the browser tests and the screenshot script: build the sample
digest under a sub-path, serve it on loopback, launch Debian's Chromium.

Nothing here downloads a browser: Playwright drives /usr/bin/chromium (Debian's
package, installed by tests/run.sh). Outside CI a missing tool skips the tests
that need it with a message saying how to get it; under CI (env CI set) it fails.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from digest.config import Config
from digest.models import BuildReport
from digest.pipeline import build

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "content"
CHROMIUM = Path("/usr/bin/chromium")
AXE = REPO / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SUB_PATH = "/digest/"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def require(ok: bool, message: str) -> None:
    """Skip (outside CI) or fail (in CI) unless `ok`."""
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI must run these tests: tests/run.sh installs it)")
    pytest.skip(f"{message}; run `bash tests/run.sh` to install it")


def require_browser() -> None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        require(False, "Python Playwright is not installed (pip install -e '.[test]')")
    require(CHROMIUM.is_file(), f"Chromium not found at {CHROMIUM} (apt-get install chromium)")


def require_axe() -> None:
    require(AXE.is_file(), f"axe-core not found at {AXE} (npm ci --prefix tests/browser)")


def require_java() -> None:
    require(shutil.which("java") is not None, "Java is not installed (needed by the Nu checker)")


def build_sample(root: Path, base_url: str | None = None, **settings: Any) -> BuildReport:
    """The sample digest -> root/digest/ (the sub-path the server shows it under)."""
    output = root / SUB_PATH.strip("/")
    config = Config(content=str(SAMPLE), output=str(output), base_url=base_url, **settings)
    return build(config, root)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(folder: Path, port: int = 0) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1 from a thread -> its base address ("http://127.0.0.1:N")."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def launch(playwright: Any) -> Any:
    """Debian's Chromium, headless, with no network chatter of its own."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
