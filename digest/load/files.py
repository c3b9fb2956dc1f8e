"""The content folder -> its article files (`SourceFile`) and a problem for every other entry.

This is the only module that reads the content folder: hidden files, links that
leave it or loop, pipes and devices, names that are not UTF-8 and files over
MAX_FILE_BYTES are refused here, each with a problem.
"""

from __future__ import annotations

import functools
import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from digest.load.document import SUFFIXES
from digest.models import Problem

MAX_FILE_BYTES = 8 * 1024 * 1024  # larger files are refused, not truncated


@dataclass(frozen=True)
class SourceFile:
    """One file of the content folder: its relative path and bytes."""

    path: str  # relative to the content folder, "/"-separated
    data: bytes

    @functools.cached_property
    def content_hash(self) -> str:
        """SHA-256 of the bytes, hex: computed once for the cache key and the
        no-op check alike."""
        return hashlib.sha256(self.data).hexdigest()


def read_content(content_dir: Path) -> tuple[list[SourceFile], list[Problem]]:
    """Content folder -> (its article files in path order, problems with the rest).

    Every file that is not read is reported: hidden files and folders (".git",
    ".DS_Store": one problem per hidden folder, not per file in it), unknown
    types, names that are not UTF-8, links that leave the folder or loop, and
    anything that is not a regular file. Symbolic links to files are followed
    only when they stay inside the content folder; links to folders are not
    followed (a folder inside is read under its own path).
    """
    root = content_dir.resolve()
    files: list[SourceFile] = []
    problems: list[Problem] = []
    for rel, full in _walk(root, root, problems, seen=set()):
        if not rel.lower().endswith(SUFFIXES):
            problems.append(Problem(rel, "unknown file type (expected .md, .txt or .html)"))
            continue
        data = read_regular_file(rel, full, problems)
        if data is not None:
            files.append(SourceFile(rel, data))
    return files, problems


def read_regular_file(
    rel: str, full: Path, problems: list[Problem], limit: int | None = None
) -> bytes | None:
    """One regular file's bytes, or None with a problem.

    Opened without following a link (a link was resolved and checked by `_walk`;
    a file swapped for a link since is refused) and without blocking (a named
    pipe that appeared since would hang the build), then checked on the open
    handle; at most `limit` + 1 bytes are read, so a file that grows
    while it is read cannot exhaust memory either.
    """
    if limit is None:
        limit = MAX_FILE_BYTES  # looked up at each call (tests lower it)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(full, flags)
    except OSError as exc:
        problems.append(Problem(rel, f"cannot read file: {exc.strerror or exc}"))
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            problems.append(Problem(rel, "not a regular file (a pipe, socket or device)"))
            return None
        if info.st_size > limit:
            problems.append(
                Problem(rel, f"file too large ({info.st_size:,} bytes; limit {limit:,})")
            )
            return None
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            problems.append(Problem(rel, f"file too large (over {limit:,} bytes)"))
            return None
        return b"".join(chunks)
    except OSError as exc:
        problems.append(Problem(rel, f"cannot read file: {exc.strerror or exc}"))
        return None
    finally:
        os.close(fd)


def walk_folder(root: Path, problems: list[Problem], *, hidden: bool) -> Iterator[tuple[str, Path]]:
    """A folder -> (relative path, real path) of each regular file in it, in path
    order, with a problem for every entry refused (see `read_content`). With
    `hidden`, hidden files and folders are walked like the others (`.nojekyll`,
    `.well-known/`), except version-control folders and system clutter."""
    root = root.resolve()
    return _walk(root, root, problems, set(), hidden)


# never published, never worth a word: version control and desktop clutter
CLUTTER = frozenset({".git", ".hg", ".svn", ".DS_Store", "Thumbs.db", "desktop.ini"})


def _walk(
    folder: Path, root: Path, problems: list[Problem], seen: set[Path], hidden: bool = False
) -> Iterator[tuple[str, Path]]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        problems.append(Problem(_rel(folder, root), f"cannot list folder: {exc.strerror}"))
        return
    seen.add(folder)
    for entry in entries:
        path = Path(entry.path)
        rel = _rel(path, root)
        if not _is_utf8(entry.name):
            # A name that is not UTF-8 cannot be written into digest.json, a page
            # or the report (it crashed the whole build); it has to be renamed.
            problems.append(Problem(_printable(rel), "file name is not valid UTF-8; rename it"))
            continue
        if hidden and entry.name in CLUTTER:
            continue
        if entry.name.startswith(".") and not hidden:
            # Skipped like other site generators do (".git", ".DS_Store", editor
            # files), but said: a hidden article must not vanish without a word.
            # A cache folder (digest's own, when the content folder is the project)
            # carries a CACHEDIR.TAG and is no content at all.
            kind = "folder" if entry.is_dir(follow_symlinks=False) else "file"
            if kind == "file" or not _is_cache_folder(path):
                problems.append(Problem(rel, f"hidden {kind} skipped (its name starts with '.')"))
            continue
        if entry.is_symlink():
            try:
                target = path.resolve(strict=True)
            except (OSError, RuntimeError):
                problems.append(Problem(rel, "broken or looping symbolic link"))
                continue
            if target != root and root not in target.parents:
                problems.append(Problem(rel, "symbolic link points outside the content folder"))
                continue
            if target.is_dir():
                # A folder link inside the content folder either loops (it points at
                # a folder holding it) or is an alias of a folder that is read under
                # its own path anyway. Following an alias read its articles before the
                # real folder, which was then reported as a "loop".
                if target == root or target in path.parents:
                    problems.append(Problem(rel, "symbolic link loop"))
                continue
            path = target
        if path.is_dir():
            if path in seen:
                problems.append(Problem(rel, "symbolic link loop"))
                continue
            yield from _walk(path, root, problems, seen, hidden)
        elif path.is_file():
            yield rel, path
        else:
            # a named pipe, socket or device: reading one could block forever
            problems.append(Problem(rel, "not a regular file (a pipe, socket or device)"))


CACHEDIR_SIGNATURE = b"Signature: 8a477f597d28d172789f06886806bc55"  # bford.info/cachedir


def _is_cache_folder(path: Path) -> bool:
    try:
        with open(path / "CACHEDIR.TAG", "rb") as tag:
            return tag.read(len(CACHEDIR_SIGNATURE)) == CACHEDIR_SIGNATURE
    except OSError:
        return False


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # os.scandir turned undecodable bytes into surrogates
        return False
    return True


def _printable(name: str) -> str:
    """A file name that is not UTF-8 -> the same name with the bad bytes as \\xNN."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name
