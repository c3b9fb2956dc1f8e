"""Golden files: the built sample digest must match the checked-in tree byte for byte.

After an intended change to output, refresh with `pytest tests/test_golden.py
--update-golden` and review the diff of tests/golden/ like code.

The Pagefind search bundle (`pagefind/`) is left out of the golden tree: it is
Pagefind's own JavaScript and WebAssembly plus a binary index, which change
with every Pagefind release. The two-builds test still compares it byte for
byte, and the browser tests search it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import Builder

GOLDEN = Path(__file__).parent / "golden" / "seed-site"


SEARCH_BUNDLE = "pagefind"


def tree(folder: Path, with_search: bool = True) -> dict[str, bytes]:
    files = {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    if not with_search:
        files = {k: v for k, v in files.items() if not k.startswith(SEARCH_BUNDLE + "/")}
    return files


def test_seed_site_matches_golden_tree(
    build_site: Builder, seed_content: Path, update_golden: bool
) -> None:
    _, _, site = build_site(seed_content)
    built = tree(site, with_search=False)
    assert (site / SEARCH_BUNDLE / "pagefind.js").is_file(), "no search index was built"
    if update_golden:
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(site, GOLDEN, ignore=shutil.ignore_patterns(SEARCH_BUNDLE))
    expected = tree(GOLDEN)
    assert sorted(built) == sorted(expected), "the set of files changed"
    changed = [name for name in built if built[name] != expected[name]]
    assert changed == [], f"files differ from tests/golden/seed-site: {changed}"


def test_two_builds_are_byte_identical(
    build_site: Builder, seed_content: Path, tmp_path: Path
) -> None:
    _, _, site = build_site(seed_content)
    first = tree(site)
    assert any(name.startswith(SEARCH_BUNDLE + "/") for name in first)
    shutil.rmtree(site)
    _, _, site = build_site(seed_content)
    assert tree(site) == first
