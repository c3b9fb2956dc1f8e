"""Rendered pages -> a Pagefind search index (`pagefind/…`), as more `{path: bytes}`.

The only module that knows about Pagefind. It writes the HTML pages to a
temporary folder, runs the `pagefind` binary shipped in the `pagefind_bin`
wheel over it and reads the bundle back, so the index goes through the same
atomic write as every other file. Pagefind indexes only the elements marked
`data-pagefind-body` (story and article pages).

Pagefind's output is a function of the pages alone: its file names are
content hashes and it embeds no time stamps, so the same site gives the same
bytes. It is run in an empty working folder with no PAGEFIND_* variables so a
`pagefind.yml` or the environment cannot change the index behind our back.
"""

from __future__ import annotations

import os
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


def _pages_to_index(pages: Mapping[str, bytes]) -> dict[str, bytes]:
    """The HTML pages Pagefind would index: once any page marks its body with
    `data-pagefind-body`, Pagefind skips every page that does not, so only the
    marked ones are handed over (on a large digest most pages are keyword lists)."""
    html = {p: d for p, d in pages.items() if p.endswith(".html")}
    marked = {p: d for p, d in html.items() if MARKER in d}
    return marked or html


def index_pages(pages: Mapping[str, bytes]) -> dict[str, bytes]:
    """HTML pages (relative path -> bytes) -> the Pagefind bundle's files under `pagefind/`."""
    binary = pagefind_executable()
    with tempfile.TemporaryDirectory(prefix="digest-search-") as tmp:
        work = Path(tmp)
        site = work / "site"
        for path, data in _pages_to_index(pages).items():
            target = site.joinpath(*path.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        bundle = work / "bundle"
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
        return {
            f"{BUNDLE}/{file.relative_to(bundle).as_posix()}": file.read_bytes()
            for file in sorted(bundle.rglob("*"))
            if file.is_file()
        }
