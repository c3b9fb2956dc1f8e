"""The content folder -> its article files (`SourceFile`) and a problem for every other entry.

This is the only module that reads the content folder: hidden files, links that
leave it or loop, pipes and devices, names that are not UTF-8, files over
MAX_FILE_BYTES and folders nested past MAX_DEPTH are refused here, each with a
problem. It reads race-free: every folder and file is opened relative to the
open folder holding it, never through a link (`walk_folder`), so what changes
while the build reads is refused, not followed. `static/` and the output folder's
listing use the same walk and openers.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import stat
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from digest.load.reader import SUFFIXES
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
    types, names that are not UTF-8, links that leave the folder or loop,
    anything that is not a regular file, folders nested deeper than MAX_DEPTH
    and entries that changed into something else while the build read them.
    Symbolic links to files are followed only when they stay inside the content
    folder; links to folders are not followed (a folder inside is read under
    its own path). A content folder that is itself a link is resolved by the
    caller (the build does when it starts; see `walk_folder`).
    """
    files: list[SourceFile] = []
    problems: list[Problem] = []
    for found in walk_folder(content_dir, problems, hidden=False):
        if not found.rel.lower().endswith(SUFFIXES):
            problems.append(Problem(found.rel, "unknown file type (expected .md, .txt or .html)"))
            continue
        data = found.read(problems, MAX_FILE_BYTES)
        if data is not None:
            files.append(SourceFile(found.rel, data))
    return files, problems


def read_regular_file(
    rel: str, full: Path, problems: list[Problem], limit: int | None = None
) -> bytes | None:
    """One regular file named by its path -> its bytes, or None with a problem.

    The last component is not followed if it is a link (see `_read_fd`); the
    folders above it are, so the race-free readers go through `walk_folder` and
    `read_inside` instead: this is their fallback where the system has no
    directory descriptors.
    """
    try:
        fd = os.open(full, _FILE_FLAGS)
    except OSError as exc:
        problems.append(Problem(rel, _open_failure(exc, "file")))
        return None
    return _read_fd(fd, rel, problems, limit)


def read_inside(
    root: Path, real: str, rel: str, problems: list[Problem], limit: int
) -> bytes | None:
    """A folder and a file's real path inside it ("/"-separated, no links: what
    `walk_folder` found) -> the file's bytes read again, or None with a problem
    named `rel` (see `open_inside`)."""
    try:
        fd = open_inside(root, real)
    except OSError as exc:
        problems.append(Problem(rel, _open_failure(exc, "file")))
        return None
    return _read_fd(fd, rel, problems, limit)


def open_inside(root: Path, real: str) -> int:
    """A folder and a file's path inside it ("/"-separated) -> the file, open for
    reading (not yet checked to be a regular file: see `_read_fd`).

    Every folder on the way is opened from the one above without following a
    link, so a folder swapped for a link since it was checked is refused (OSError,
    ELOOP), never followed out of `root`. Without directory descriptors, only
    the file itself is opened without following a link.
    """
    parts = real.split("/")
    if not _DIR_FDS:
        return os.open(root.joinpath(*parts), _FILE_FLAGS)
    folder = os.open(root, _DIR_FLAGS)
    try:
        return _open_beneath(folder, parts)
    finally:
        os.close(folder)


def list_inside(root: Path, rel: str) -> list[tuple[str, int]]:
    """A folder and a folder's path inside it ("" for itself, else "/"-separated
    with a trailing "/") -> (name, mode without following links) of each entry,
    in name order. The way down is opened like `open_inside`, so a folder swapped
    for a link is never listed. Raises OSError."""
    if not _DIR_FDS:
        folder: Handle = root.joinpath(*rel.rstrip("/").split("/")) if rel else root
        if os.path.islink(folder):
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(folder))
        return _entries(folder)
    top = os.open(root, _DIR_FLAGS)
    try:
        folder = _descend(top, rel.rstrip("/").split("/") if rel else [])
        try:
            return _entries(folder)
        finally:
            if folder != top:
                os.close(folder)
    finally:
        os.close(top)


def _entries(folder: Handle) -> list[tuple[str, int]]:
    found = []
    for entry in os.scandir(folder):
        try:
            found.append((entry.name, entry.stat(follow_symlinks=False).st_mode))
        except OSError:
            continue  # gone since it was listed
    return sorted(found)


def _open_beneath(folder: int, parts: list[str]) -> int:
    """An open folder and a path below it, as parts -> the file, open; each folder
    on the way opened from the last without following a link. Raises OSError."""
    below = _descend(folder, parts[:-1])
    try:
        return os.open(parts[-1], _FILE_FLAGS, dir_fd=below)
    finally:
        if below != folder:
            os.close(below)


def _descend(folder: int, parts: list[str]) -> int:
    """An open folder and names of folders below it -> the last one, open (the
    folder itself for no names), each opened from the one above without following
    a link; however deep, at most two are open at once. Raises OSError."""
    current = folder
    for part in parts:
        try:
            below = os.open(part, _DIR_FLAGS, dir_fd=current)
        finally:
            if current != folder:
                os.close(current)
        current = below
    return current


def _read_fd(fd: int, rel: str, problems: list[Problem], limit: int | None) -> bytes | None:
    """An open file -> its bytes, or None with a problem; closes `fd`.

    The file was opened without following a link and without blocking (a named
    pipe would hang the build), and is checked on the open handle; at most
    `limit` + 1 bytes are read, so a file that grows while it is read cannot
    exhaust memory either.
    """
    if limit is None:
        limit = MAX_FILE_BYTES  # looked up at each call (tests lower it)
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
            request = min(1 << 20, limit + 1 - size)
            chunk = os.read(fd, request)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if len(chunk) < request and size <= info.st_size:
                break  # a regular file read short of what was asked: its end (no read more)
        if size > limit:
            problems.append(Problem(rel, f"file too large (over {limit:,} bytes)"))
            return None
        return b"".join(chunks)
    except OSError as exc:
        problems.append(Problem(rel, f"cannot read file: {exc.strerror or exc}"))
        return None
    finally:
        os.close(fd)


def _read_at(
    folder: Handle, parts: list[str], rel: str, problems: list[Problem], limit: int | None
) -> bytes | None:
    """A file's path under an open folder, as parts -> its bytes, or None with a
    problem (opened as `_open_beneath` does)."""
    if not isinstance(folder, int):
        return read_regular_file(rel, folder.joinpath(*parts), problems, limit)
    try:
        fd = _open_beneath(folder, parts)
    except OSError as exc:
        problems.append(Problem(rel, _open_failure(exc, "file")))
        return None
    return _read_fd(fd, rel, problems, limit)


def _read_listed(
    frame: _Frame, parts: list[str], rel: str, problems: list[Problem], limit: int | None
) -> bytes | None:
    """`Found.read`: the file under a folder the walk holds open. Once the walk has
    closed that folder its descriptor may name another file: refuse to guess."""
    if frame.closed:
        raise RuntimeError(f"{rel} was read after the walk left its folder")
    return _read_at(frame.folder, parts, rel, problems, limit)


def _open_failure(exc: OSError, kind: str) -> str:
    """Why a file or folder found by the walk could not be opened, in words."""
    if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
        # O_NOFOLLOW met a link (or a folder became a file): what was checked is
        # no longer there, and whatever replaced it is not followed
        where = "it" if kind == "folder" else "it or a folder on its way"
        return f"{kind} changed during the build ({where} is now a symbolic link); not read"
    if exc.errno == errno.ENOENT:
        return f"{kind} removed during the build"
    verb = "list" if kind == "folder" else "read"
    return f"cannot {verb} {kind}: {exc.strerror or exc}"


class Found(NamedTuple):
    """A regular file the walk found: its path, its real path (not the same for a
    link inside the folder) and a reader of its bytes, valid until the walk goes on."""

    rel: str
    real: str
    read: Callable[[list[Problem], int | None], bytes | None]


def walk_folder(
    root: Path, problems: list[Problem], *, hidden: bool
) -> Generator[Found, None, None]:
    """A folder -> each regular file in it (`Found`), in path order, with a problem
    for every entry refused (see `read_content`). With `hidden`, hidden files and
    folders are walked like the others (`.nojekyll`, `.well-known/`), except
    version-control folders and system clutter.

    The walk is iterative and holds each folder open while it reads it: every
    folder and file is opened relative to the folder holding it and without
    following a link (a folder swapped for a link after it was listed is refused
    with a problem, never followed out of `root`), files without blocking and
    checked to be regular on the open handle. Where the system has no directory
    descriptors (Windows), folders are opened by path and a swap between the
    check and the open is not caught.

    `root` itself is opened as given, without following it if it is a link: the
    build resolves its folders once, when it starts, so a folder swapped for a
    link since is refused too (a caller holding a link resolves it first).
    """
    real_root = root.resolve()  # only to decide where links inside point
    try:
        top = _open_folder(None, root)
    except OSError as exc:
        problems.append(Problem(".", _open_failure(exc, "folder")))
        return
    stack: list[_Frame] = []  # the folders being read, each open: the root first
    try:
        seen = {_identity(top)}
        _enter(stack, top, "", problems)
        while stack:
            frame = stack[-1]
            entry = next(frame.entries, None)
            if entry is None:
                _leave(stack.pop())
                continue
            rel = frame.prefix + entry.name
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
                kind = "folder" if _is_dir(entry) else "file"
                if kind == "file" or not _is_cache_folder(frame.folder, entry.name):
                    problems.append(
                        Problem(rel, f"hidden {kind} skipped (its name starts with '.')")
                    )
                continue
            if _is_link(entry):
                found = _follow(real_root, stack[0], rel, problems, hidden)
                if found is not None:
                    yield found
            elif _is_dir(entry):
                if len(stack) > MAX_DEPTH:
                    problems.append(
                        Problem(rel, f"folder nested more than {MAX_DEPTH} deep; not read")
                    )
                    continue
                try:
                    folder = _open_folder(frame.folder, entry.name)
                except OSError as exc:
                    problems.append(Problem(rel, _open_failure(exc, "folder")))
                    continue
                key = _identity(folder)
                if key is None or key in seen:  # a folder mounted inside itself
                    problems.append(Problem(rel, "folder loop (a folder mounted inside itself)"))
                    _close(folder)
                    continue
                seen.add(key)
                _enter(stack, folder, rel + "/", problems)
            elif _is_file(entry):
                yield Found(rel, rel, functools.partial(_read_listed, frame, [entry.name], rel))
            else:
                # a named pipe, socket or device: reading one could block forever
                problems.append(Problem(rel, "not a regular file (a pipe, socket or device)"))
    finally:  # the walk stopped early (its consumer failed): close what is open
        for frame in stack:
            _leave(frame)


# Deeper folders are reported, not read: no real content is nested this deep,
# and the walk holds one descriptor per level.
MAX_DEPTH = 100
# never published, never worth a word: version control and desktop clutter
CLUTTER = frozenset({".git", ".hg", ".svn", ".DS_Store", "Thumbs.db", "desktop.ini"})

# Directory descriptors (openat, fstatat, fdopendir): all POSIX systems Python runs on.
_DIR_FDS = os.open in os.supports_dir_fd and os.scandir in os.supports_fd and os.name == "posix"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_FILE_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_DIR_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_DIRECTORY", 0)

# An open folder: a descriptor, or (without directory descriptors) its path.
Handle = int | Path


@dataclass
class _Frame:
    folder: Handle
    prefix: str  # its path relative to the root, with a trailing "/" ("" for the root)
    entries: Iterator[os.DirEntry[str]]
    closed: bool = False


def _open_folder(parent: Handle | None, name: str | Path) -> Handle:
    """A folder named in an open folder (or a path, for the root) -> it, opened
    without following a link. Raises OSError (ELOOP for a link)."""
    if _DIR_FDS:
        dir_fd = parent if isinstance(parent, int) else None
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    path = Path(name) if parent is None or isinstance(parent, int) else parent / name
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path))
    if not stat.S_ISDIR(info.st_mode):
        raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path))
    return path


def _enter(stack: list[_Frame], folder: Handle, prefix: str, problems: list[Problem]) -> None:
    """Push an open folder with its entries listed in name order; one that cannot
    be listed is closed with a problem instead."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        problems.append(Problem(prefix.rstrip("/") or ".", f"cannot list folder: {exc.strerror}"))
        _close(folder)
        return
    stack.append(_Frame(folder, prefix, iter(entries)))


def _identity(folder: Handle) -> tuple[int, int] | None:
    """An open folder -> (device, inode), None when it cannot be had (then it is
    not read: a loop could not be told)."""
    try:
        info = os.fstat(folder) if isinstance(folder, int) else os.stat(folder)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _leave(frame: _Frame) -> None:
    frame.closed = True
    _close(frame.folder)


def _close(folder: Handle) -> None:
    if isinstance(folder, int):
        os.close(folder)


def _is_link(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return False


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return False


def _follow(
    root: Path, top: _Frame, rel: str, problems: list[Problem], hidden: bool
) -> Found | None:
    """A symbolic link the walk met -> the file it points at inside `root`, or None
    (with a problem unless it is an alias of a folder read under its own path).

    The link is resolved by path only to decide; the file is then opened from the
    root folder down its real path without following any link, so a link changed
    in between is refused, not followed.
    """
    path = root / rel
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        problems.append(Problem(rel, "broken or looping symbolic link"))
        return None
    if target != root and root not in target.parents:
        problems.append(Problem(rel, "symbolic link points outside the content folder"))
        return None
    if target.is_dir():
        # A folder link inside the content folder either loops (it points at a
        # folder holding it) or is an alias of a folder that is read under its own
        # path anyway. Following an alias read its articles before the real
        # folder, which was then reported as a "loop".
        if target == root or target in path.parents:
            problems.append(Problem(rel, "symbolic link loop"))
        return None
    real = target.relative_to(root).as_posix()
    parts = real.split("/")
    if any(p in CLUTTER or (p.startswith(".") and not hidden) for p in parts):
        # the walk skips these (a link must not publish .git/config)
        problems.append(Problem(rel, "symbolic link to a hidden file or folder; not read"))
        return None
    return Found(rel, real, functools.partial(_read_listed, top, parts, rel))


CACHEDIR_SIGNATURE = b"Signature: 8a477f597d28d172789f06886806bc55"  # bford.info/cachedir


def _is_cache_folder(parent: Handle, name: str) -> bool:
    """Whether a hidden folder is a cache (holds a CACHEDIR.TAG with its signature).

    The tag is opened like any file of the walk: a named pipe or a link called
    CACHEDIR.TAG is no tag, and never blocks or leaves the folder.
    """
    try:
        folder = _open_folder(parent, name)
    except OSError:
        return False
    try:
        data = _read_at(folder, ["CACHEDIR.TAG"], name, [], len(CACHEDIR_SIGNATURE) + 1024)
    finally:
        _close(folder)
    return data is not None and data.startswith(CACHEDIR_SIGNATURE)


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
