"""`static/` and the user's template assets -> files copied into the site as they are;
the output folder -> the files in it that digest did not write.

A static file is read like an article file (`digest.load.files`): links that
leave its folder or loop, pipes and devices, names that are not UTF-8 are
refused with a problem, and so are names a site cannot carry (control
characters, backslashes) and files past the size bounds below. Hidden files are
copied (`.nojekyll`, `.well-known/`); version-control folders are not.

Nothing here writes: the pipeline streams the files to `digest.write` after the
pages, and a static path that is also a page path stops the build (`collisions`).
"""

from __future__ import annotations

import hashlib
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from digest.bundled import ASSETS
from digest.load.files import MAX_DEPTH, list_inside, read_inside, walk_folder
from digest.models import DigestError, Problem
from digest.search import BUNDLE

# GitHub refuses files over 100 MB in a repository and Pages sites over 1 GB
MAX_STATIC_FILE_BYTES = 100 * 1024 * 1024
MAX_STATIC_BYTES = 1024 * 1024 * 1024
MAX_STATIC_FILES = 20_000
USER_ASSETS = "templates/assets"  # beside digest.toml; copied under assets/
# control characters and the backslash: a name a URL or another system cannot carry
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f\\]")
# the search bundle's folders: `pagefind/`, `pagefind-1/`, … (digest.search)
_BUNDLE_FOLDER = re.compile(rf"{BUNDLE}(?:-\d+)?")


@dataclass(frozen=True)
class StaticFile:
    """A file copied into the site: its path there, where it is read from, its hash."""

    path: str  # in the site, "/"-separated
    folder: Path  # the folder it was found in (static/ or templates/assets/), resolved
    real: str  # its path in that folder, "/"-separated, links resolved
    label: str  # how problems name it: "static/favicon.ico"
    content_hash: str  # SHA-256 hex of the bytes when they were read
    size: int


def read_static(base: Path, static: str) -> tuple[list[StaticFile], list[Problem]]:
    """The folders beside the config -> the files of `static/` and the user's extra
    assets (`templates/assets/` files other than the built-in names, which the
    renderer takes from there), in site-path order, and a problem for each refused.

    A missing folder is no problem. A path both folders give stops the build.
    """
    files, problems = _read_folder(base / static, static.rstrip("/") or ".", "")
    assets, more = _read_folder(base / USER_ASSETS, USER_ASSETS, "assets/")
    problems += more
    builtin = set(ASSETS)
    assets = [f for f in assets if f.path not in builtin]
    taken = {f.path for f in files}
    twice = sorted(f.path for f in assets if f.path in taken)
    if twice:
        raise DigestError(
            f"{static}/ and {USER_ASSETS}/ both give {', '.join(twice)}: keep one of each"
        )
    files = sorted([*files, *assets], key=lambda f: f.path)
    return _bounded(files, problems)


def check_static_path(static: Path, others: dict[str, Path]) -> None:
    """Refuse a static folder that is, holds or sits inside another folder of the
    build (named -> path: output, content, cache): it would copy the site into
    itself, publish the raw articles or the cache. A missing one overlaps nothing."""
    if not static.is_dir():
        return
    static = static.resolve()
    for name, folder in others.items():
        folder = folder.resolve()
        if static == folder or static in folder.parents or folder in static.parents:
            raise DigestError(
                f"the static folder {static} overlaps the {name} folder {folder}; "
                "give static files a folder of their own"
            )


def _read_folder(folder: Path, label: str, prefix: str) -> tuple[list[StaticFile], list[Problem]]:
    if not folder.is_dir():
        return [], []
    folder = folder.resolve()
    found: list[Problem] = []
    files: list[StaticFile] = []
    problems: list[Problem] = []
    for item in walk_folder(folder, found, hidden=True):
        rel = item.rel
        if _BAD_NAME.search(rel):
            problems.append(Problem(f"{label}/{rel!r}", "file name cannot be published; rename it"))
            continue
        if len(files) >= MAX_STATIC_FILES:
            problems.append(Problem(f"{label}/{rel}", f"more than {MAX_STATIC_FILES:,} files"))
            continue
        data = item.read(found, MAX_STATIC_FILE_BYTES)
        if data is not None:
            digest = hashlib.sha256(data).hexdigest()
            shown = f"{label}/{rel}"
            files.append(StaticFile(prefix + rel, folder, item.real, shown, digest, len(data)))
    for problem in found:  # the walker speaks of the content folder
        reason = problem.reason.replace("the content folder", f"{label}/")
        problems.append(Problem(f"{label}/{problem.path}", reason))
    return files, problems


def _bounded(
    files: list[StaticFile], problems: list[Problem]
) -> tuple[list[StaticFile], list[Problem]]:
    """Files past MAX_STATIC_BYTES in all (in path order) -> problems, not copies."""
    kept: list[StaticFile] = []
    total = 0
    for f in files:
        if total + f.size > MAX_STATIC_BYTES:
            problems.append(
                Problem(f.path, f"not copied: static files over {MAX_STATIC_BYTES:,} bytes in all")
            )
            continue
        total += f.size
        kept.append(f)
    return kept, problems


def static_bytes(item: StaticFile, problems: list[Problem]) -> bytes | None:
    """A static file -> its bytes for the site, read again as when first read (down
    its folder without following a link), or None with a problem when it is no
    longer the file that was read: it changed, or a folder on its way became a link.
    """
    found: list[Problem] = []
    data = read_inside(item.folder, item.real, item.label, found, MAX_STATIC_FILE_BYTES)
    if data is not None and hashlib.sha256(data).hexdigest() != item.content_hash:
        found.append(Problem(item.label, "file changed during the build"))
        data = None
    if data is None:
        problems += [
            Problem(p.path, f"{p.reason.removesuffix('; not read')}; not copied") for p in found
        ]
    return data


def collisions(files: Sequence[StaticFile], pages: Iterable[str], search: bool) -> None:
    """Raise DigestError naming every static file whose path is one digest writes
    itself (a page, a feed, digest.json, the search bundle): the page would
    silently replace it, or it the page."""
    written = set(pages)
    clash = [
        f.path
        for f in files
        if f.path in written or (search and _BUNDLE_FOLDER.fullmatch(f.path.split("/")[0]))
    ]
    if clash:
        raise DigestError(
            "static file(s) with the path of a file digest writes itself: "
            + ", ".join(clash)
            + "; rename or remove them in the static folder"
        )


def stray_files(
    output: Path, written: Iterable[str], record: Iterable[str] | None
) -> tuple[list[str], list[Problem]]:
    """The output folder, the paths this build writes and the paths the last build
    wrote (None when unknown) -> (regular files digest did not write, kept in the new
    site; a problem for each of them and for any other entry that goes).

    Without a record, a file in a folder the new site has, or in the search
    bundle, counts as digest's own (an old page); anything else is a stray.
    """
    new = set(written)
    if not output.is_dir():
        return [], []
    ours = set(record) if record is not None else None
    folders = {p.split("/")[0] for p in new if "/" in p}
    kept: list[str] = []
    problems: list[Problem] = []
    shown = output.name
    for rel, mode in _listing(output):
        top = rel.split("/")[0]
        if rel in new or (_BUNDLE_FOLDER.fullmatch(top) and "/" in rel):
            continue
        if ours is not None and rel in ours:
            continue
        if ours is None and "/" in rel and top in folders:
            continue
        if not _publishable(rel):
            reason = "not written by digest, and its name cannot be published: removed"
        elif stat.S_ISREG(mode):
            kept.append(rel)
            reason = (
                f"not written by digest: kept, and reported on every build; to make it part "
                f"of the site, move it to static/{rel}"
            )
        else:
            reason = "not written by digest and not a regular file: removed"
        problems.append(Problem(f"{shown}/{rel}", reason))
    return kept, problems


def _publishable(rel: str) -> bool:
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not _BAD_NAME.search(rel)


def _listing(output: Path) -> list[tuple[str, int]]:
    """Every entry under the output folder but folders -> (relative path, mode).

    Each folder is opened from the output folder down without following a link
    (`list_inside`): a folder swapped for a link mid-build is not listed, so no
    file from elsewhere is taken for one of the site's. Folders nested deeper
    than the content walk's bound are not listed (their files go with the old site).
    """
    found: list[tuple[str, int]] = []
    stack = [""]
    while stack:
        prefix = stack.pop()
        try:
            entries = list_inside(output, prefix)
        except OSError:
            continue
        for name, mode in entries:
            rel = prefix + name
            if not stat.S_ISDIR(mode):
                found.append((rel, mode))
            elif rel.count("/") < MAX_DEPTH:
                stack.append(rel + "/")
    return sorted(found)
