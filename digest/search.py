"""Rendered pages -> a Pagefind search index (`pagefind/…`).

The only module that knows about Pagefind. `index_folder` runs the `pagefind`
binary shipped in the `pagefind_bin` wheel over pages already written to the
staging folder of the new site (through hard links in a scratch folder inside
it, so only the pages chosen here are read and nothing is copied) and writes
the bundle beside them, before the new site is swapped in whole.
`index_pages` does the same for pages held in memory. Pagefind indexes only the
elements marked `data-pagefind-body` (story and article pages).

Pagefind's output is a function of the pages alone: its file names are
content hashes and it embeds no time stamps, so the same site gives the same
bytes. It is run in an empty working folder with no PAGEFIND_* variables so a
`pagefind.yml` or the environment cannot change the index behind our back.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from digest.models import DigestError

BUNDLE = "pagefind"  # folder of the search bundle in the site
TIMEOUT_SECONDS = 600
MARKER = b"data-pagefind-body"


def pagefind_executable() -> Path:
    """The pagefind binary from the pagefind_bin wheel (or $PAGEFIND_BINARY_PATH, or PATH)."""
    try:
        from pagefind.service import get_executable

        found = get_executable()
    except ImportError:  # pagefind is a dependency, but a broken install should read well
        found = None
    if found is None or not Path(found).is_file():
        raise DigestError(
            "search index: the pagefind binary was not found; "
            "install it with `pip install 'pagefind[bin]'` or set `search = false`"
        )
    return Path(found)


class Chooser:
    """Watches pages go by and names the ones Pagefind would index: once any page
    marks its body with `data-pagefind-body`, Pagefind skips every page that does
    not, so only the marked ones are handed over (on a large digest most pages
    are keyword lists); with no marked page, every HTML page."""

    def __init__(self) -> None:
        self.html: list[str] = []
        self.marked: list[str] = []

    def see(self, path: str, data: bytes) -> None:
        if path.endswith(".html"):
            self.html.append(path)
            if MARKER in data:
                self.marked.append(path)

    def chosen(self) -> list[str]:
        return sorted(self.marked or self.html)


def index_pages(pages: Mapping[str, bytes]) -> dict[str, bytes]:
    """HTML pages (relative path -> bytes) -> the Pagefind bundle's files under `pagefind/`."""
    chooser = Chooser()
    for path, data in pages.items():
        chooser.see(path, data)
    with tempfile.TemporaryDirectory(prefix="digest-search-") as tmp:
        site = Path(tmp) / "site"
        for path in chooser.chosen():
            target = site.joinpath(*path.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(pages[path])
        bundle = Path(tmp) / "bundle"
        _run_pagefind(site, bundle)
        return {
            f"{BUNDLE}/{file.relative_to(bundle).as_posix()}": file.read_bytes()
            for file in sorted(bundle.rglob("*"))
            if file.is_file()
        }


def index_folder(site: Path, pages: list[str]) -> int:
    """Pages written under `site` (relative paths) -> the bundle in `site/pagefind`.
    Returns the number of bundle files."""
    scratch = site / f"_search-pages-{secrets.token_hex(6)}"  # removed before the swap
    try:
        for path in pages:
            target = scratch.joinpath(*path.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(site.joinpath(*path.split("/")), target)
            except OSError:  # no hard links on this file system: copy
                shutil.copyfile(site.joinpath(*path.split("/")), target)
        bundle = site / BUNDLE
        _run_pagefind(scratch, bundle)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return sum(1 for file in bundle.rglob("*") if file.is_file())


def _run_pagefind(site: Path, bundle: Path) -> None:
    """Pagefind over the pages in `site` -> its bundle in `bundle`."""
    binary = pagefind_executable()
    with tempfile.TemporaryDirectory(prefix="digest-search-") as work:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAGEFIND_")}
        command = [
            str(binary),
            "--site",
            str(site),
            "--output-path",
            str(bundle),
            "--keep-index-url",  # our pages are files: keep "index.html" in result URLs
            "--silent",
        ]
        try:
            result = subprocess.run(
                command,
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DigestError(f"search index: cannot run pagefind: {exc}") from None
        if result.returncode != 0 or not (bundle / "pagefind.js").is_file():
            detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
            raise DigestError(
                f"search index: pagefind failed (exit {result.returncode}): " + " / ".join(detail)
            )
