"""`{path: bytes}` -> the output folder, swapped in whole.

The new site is assembled in a temporary sibling folder: files whose bytes did
not change are hard-linked from the current site (so they keep their inode and
modification time), the rest are written. The finished folder then replaces
the old one in a single atomic exchange where the system offers one
(Linux renameat2), so a reader or a killed build never sees half a site.

Where there is no exchange, the old folder is renamed aside and the new one
into place; a build killed between the two leaves the old site in its
`.NAME.old-*` folder, and the next build puts it back before anything else.
Builds writing beside the same folder take turns (a lock on the parent
folder), so one never deletes the staging folder of another as a leftover.
Only the output folder and `.NAME.new-*` / `.NAME.old-*` beside it are ever
written or deleted.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import secrets
import shutil
import stat
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Protocol

from digest.load.files import open_inside
from digest.models import DigestError

MARKER = "digest.json"  # every site we write has it; a folder without it is not ours


def check_output_path(output: Path, content: Path, project: Path) -> None:
    """Refuse output folders a build must never replace: /, home, the project,
    the content folder, a folder holding it, or a folder inside it."""
    _refuse_dangling(output)
    output, content, project = output.resolve(), content.resolve(), project.resolve()
    home = Path.home().resolve()
    if output in (Path(output.anchor), home, project):
        raise DigestError(f"refusing to use {output} as the output folder")
    if output == content or output in content.parents:
        raise DigestError(f"output folder {output} would replace the content folder")
    if content in output.parents:
        raise DigestError(f"output folder {output} is inside the content folder")
    if output.exists() and not output.is_dir():
        raise DigestError(f"output path {output} is a file, not a folder")
    if output.is_dir() and any(output.iterdir()) and not (output / MARKER).is_file():
        raise DigestError(
            f"output folder {output} is not empty and was not made by digest "
            f"(no {MARKER}); choose another folder or empty it"
        )


def safe_relative(path: str) -> PurePosixPath:
    """A page path -> the same path, checked to stay inside the output folder."""
    parts = path.split("/")
    if not path or "\\" in path or "\x00" in path or any(p in ("", ".", "..") for p in parts):
        raise DigestError(f"refusing to write outside the output folder: {path!r}")
    return PurePosixPath(*parts)


class StagingHooks(Protocol):
    """Work done in the staging folder besides the pages (the search index)."""

    def begin(self, staging: Path) -> None:
        """The staging folder exists; pages are about to be written into it."""

    def finish(self, staging: Path) -> int:
        """Every page is in; the swap comes next. Returns how many files it wrote."""

    def abort(self) -> None:
        """The build failed: stop using the staging folder, which is removed next."""


# A page's bytes, or a file of the current site to keep as it is (hard-linked).
PageData = bytes | Path


def write_site(
    pages: Mapping[str, PageData] | Iterable[tuple[str, PageData]],
    output: Path,
    hooks: StagingHooks | None = None,
) -> tuple[int, int]:
    """Pages -> the output folder, replaced atomically. Returns (written, unchanged).

    `pages` may be a stream of (path, bytes): each is written as it comes, so the
    site never has to be held in memory. A Path instead of bytes names a file of
    the current site that is kept as it is (a file digest did not write).
    Raises DigestError, with the old site untouched, when the folder cannot be
    written or replaced (disk full, read-only, a mount point), and lets any
    error of the stream itself through, equally harmless.
    """
    output = _resolve_output(output)
    parent = output.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        with _parent_lock(parent):
            _recover(parent, output)
            _remove_leftovers(parent, output.name)
            items = pages.items() if isinstance(pages, Mapping) else pages
            return _write_and_swap(items, output, hooks)
    except OSError as exc:
        raise DigestError(f"cannot write the site to {output}: {exc.strerror or exc}") from None


def _write_and_swap(
    pages: Iterable[tuple[str, PageData]], output: Path, hooks: StagingHooks | None
) -> tuple[int, int]:
    staging = _make_staging(output)
    written = unchanged = 0
    seen: set[str] = set()
    folders: set[PurePosixPath] = set()
    try:
        if hooks is not None:
            hooks.begin(staging)
        for path, data in pages:
            rel = safe_relative(path)
            if path in seen:
                raise DigestError(f"two files of the site have the same path: {path}")
            seen.add(path)
            target = staging.joinpath(*rel.parts)
            if rel.parent not in folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                folders.add(rel.parent)
            if isinstance(data, Path):
                if not _link_current(data, output, target, None):
                    raise DigestError(f"cannot keep {data}: not a regular file of {output}")
                unchanged += 1
                continue
            if _link_current(output / path, output, target, data, path):
                unchanged += 1
                continue
            target.write_bytes(data)
            written += 1
        if hooks is not None:
            written += hooks.finish(staging)
        _swap_in(staging, output)
    except BaseException:
        if hooks is not None:
            hooks.abort()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return written, unchanged


def _resolve_output(output: Path) -> Path:
    """The output path -> its real path. A link must point at an existing folder:
    resolving a dangling one would name wherever it points, and the build would
    create that folder (checked here again, not only in `check_output_path`, since
    the link may have changed in between)."""
    _refuse_dangling(output)
    if not output.is_symlink():
        return output.resolve()
    try:
        real = output.resolve(strict=True)
    except (OSError, RuntimeError):
        raise DigestError(f"output path {output} is a broken symbolic link") from None
    if not real.is_dir():
        raise DigestError(f"output path {output} is a link to a file, not a folder")
    return real


def _refuse_dangling(output: Path) -> None:
    """Raise DigestError when the output path, or the first folder above it that
    exists, is a dangling symbolic link: resolve() would follow it wherever it
    points and the build would create that folder (`site`, or `build` of
    `build/site`, could place files anywhere)."""
    for path in (output, *output.absolute().parents):
        if os.path.lexists(path):
            if path.is_symlink() and not path.exists():
                if path == output:
                    raise DigestError(f"output path {output} is a broken symbolic link")
                raise DigestError(
                    f"output path {output} goes through a broken symbolic link: {path}"
                )
            return


def _link_current(
    current: Path, output: Path, target: Path, data: bytes | None, rel: str | None = None
) -> bool:
    """A file of the current site -> the same file in the new site, hard-linked (or
    copied where links cannot be made); False, with nothing made, when it is not a
    regular file really inside the output folder or (given `data`) its bytes differ.

    The file is opened from the output folder down without following a link, and
    the hard link made is checked to be that very file (device and inode): a file
    or folder swapped for a link between the check and the link never brings a
    file from elsewhere into the site. `rel`, when given, is `current` relative to
    the output folder, "/"-separated (checked by `safe_relative`).
    """
    try:
        fd = open_inside(output, rel if rel is not None else current.relative_to(output).as_posix())
    except (OSError, ValueError):
        return False
    try:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode):
            return False
        if data is not None and (found.st_size != len(data) or _read(fd, len(data) + 1) != data):
            return False
        try:
            os.link(current, target, follow_symlinks=False)
        except OSError:  # no hard links here (another file system): a copy
            if data is not None:
                target.write_bytes(data)
            else:
                os.lseek(fd, 0, os.SEEK_SET)
                with os.fdopen(os.dup(fd), "rb") as source, open(target, "xb") as copy:
                    shutil.copyfileobj(source, copy)
            return True
        made = os.lstat(target)
        if (made.st_dev, made.st_ino) != (found.st_dev, found.st_ino):
            os.unlink(target)  # not the file checked: it changed in between
            return False
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _read(fd: int, limit: int) -> bytes:
    """At most `limit` bytes of an open file, from where it stands."""
    chunks = []
    size = 0
    while size < limit and (chunk := os.read(fd, min(1 << 20, limit - size))):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _make_staging(output: Path) -> Path:
    """A new, empty sibling folder for the site being built.

    Made with the mode of the folder it replaces, or the default a new folder gets
    (umask): tempfile.mkdtemp makes folders only the owner can read, and swapped
    in, that made the published site unreadable to a web server running as
    another user.
    """
    while True:
        staging = output.parent / (_leftover_prefixes(output.name)[0] + secrets.token_hex(6))
        try:
            staging.mkdir()
            break
        except FileExistsError:
            continue
    if output.is_dir():
        os.chmod(staging, stat.S_IMODE(output.stat().st_mode))
    return staging


@contextlib.contextmanager
def _parent_lock(parent: Path) -> Iterator[None]:
    """Hold an exclusive lock on the parent folder while its site is replaced.

    A second build writing beside the same folder (`digest serve` rebuilding while
    `digest build` runs, two CI jobs) waits; without the lock it deleted the first
    one's staging folder as a leftover, the first recreated it file by file and
    swapped in a site missing every page written before. A lock dies with its
    process, so a killed build never blocks the next.
    """
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, as before
        yield
        return
    fd = os.open(parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _recover(parent: Path, output: Path) -> None:
    """A build killed halfway through a non-atomic swap left the output folder
    missing and the old site aside: put it back before anything else happens."""
    if output.exists() or output.is_symlink():
        return
    set_aside = parent.glob(_leftover_prefixes(output.name)[1] + "*")
    aside = sorted(
        (p for p in set_aside if p.is_dir() and not p.is_symlink()),
        key=lambda p: p.stat().st_mtime_ns,
    )
    if aside and (aside[-1] / MARKER).is_file():
        os.rename(aside[-1], output)


def has_leftovers(output: Path) -> bool:
    """True when an interrupted build left a staging or set-aside folder beside
    the output folder (the next full build removes or restores it)."""
    try:
        return any(
            entry.name.startswith(_leftover_prefixes(output.name))
            for entry in os.scandir(output.parent)
        )
    except OSError:
        return False


def _leftover_prefixes(name: str) -> tuple[str, str]:
    """Names of staging and set-aside folders beside an output folder start so."""
    return f".{name}.new-", f".{name}.old-"


def _remove_leftovers(parent: Path, name: str) -> None:
    """Staging folders of an interrupted build are ours to delete (only ours: the
    caller holds the lock, so no other build is writing one)."""
    for prefix in _leftover_prefixes(name):
        for leftover in parent.glob(prefix + "*"):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)


def _swap_in(staging: Path, output: Path) -> None:
    if not output.exists():
        os.rename(staging, output)
        return
    if _exchange(staging, output):
        shutil.rmtree(staging, ignore_errors=True)  # now holds the old site
        return
    old = output.parent / (_leftover_prefixes(output.name)[1] + secrets.token_hex(6))
    try:
        os.rename(output, old)
    except OSError as exc:
        if exc.errno in (errno.EXDEV, errno.EBUSY):
            # the output folder is a mount point (a Docker volume, say): it cannot
            # be renamed, so it cannot be replaced whole
            raise DigestError(
                f"cannot replace {output} in one step: it is a mount point or on another "
                "file system than the folder holding it; write to a folder inside it"
            ) from None
        raise
    try:
        os.rename(staging, output)
    except BaseException:
        os.rename(old, output)  # put the old site back
        raise
    shutil.rmtree(old, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two folders (Linux renameat2); False where unsupported."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)
