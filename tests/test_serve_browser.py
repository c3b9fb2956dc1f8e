"""Live reload in a real page: Chromium opens a page from `digest serve`, the page
reloads by itself after an edit, shows a failed build over the page and drops
the overlay once the fault is fixed — under the site's Content-Security-Policy,
with no console errors."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from digest.serve import DevServer
from tests.browser_support import SAMPLE, launch, require_browser


def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.05)


def test_open_page_reloads_and_shows_failed_builds(tmp_path: Path) -> None:
    require_browser()
    from playwright.sync_api import sync_playwright

    shutil.copytree(SAMPLE, tmp_path / "content")
    config = tmp_path / "digest.toml"
    config.write_text('title = "Before"\nsearch = false\n', "utf-8")
    with (
        DevServer(config, host="127.0.0.1", port=0, log=lambda _: None) as dev,
        sync_playwright() as p,
    ):
        browser = launch(p)
        try:
            page = browser.new_page()
            console: list[str] = []
            page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
            page.goto(dev.url)
            assert page.title() == "Before"
            # no need to wait for the event stream: a page that connects after a
            # build learns of it from the first message and reloads all the same

            config.write_text('title = "After"\nsearch = false\n', "utf-8")
            until(lambda: page.title() == "After")

            templates = tmp_path / "templates"
            templates.mkdir()
            (templates / "index.html").write_text("{% extends 'base.html' %}{% block", "utf-8")
            overlay = page.wait_for_selector("#digest-serve-error", timeout=5000)
            assert overlay is not None and "template error" in overlay.inner_text()
            assert page.title() == "After", "the last good page stays"

            (templates / "index.html").unlink()
            page.wait_for_selector("#digest-serve-error", state="detached", timeout=5000)
            assert console == []
        finally:
            browser.close()
