"""`{path: bytes}` -> the output folder, swapped in whole.

The new site is assembled in a temporary sibling folder: files whose bytes did
not change are hard-linked from the current site (so they keep their inode and
modification time), the rest are written. The finished folder then replaces
the old one in a single atomic exchange where the system offers one
(Linux renameat2), so a reader or a killed build never sees half a site.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from digest.models import DigestError

MARKER = "digest.json"  # every site we write has it; a folder without it is not ours


def check_output_path(output: Path, content: Path, project: Path) -> None:
    """Refuse output folders a build must never replace: /, home, the project,
    the content folder, a folder holding it, or a folder inside it."""
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


def write_site(pages: dict[str, bytes], output: Path) -> tuple[int, int]:
    """Pages -> the output folder, replaced atomically. Returns (written, unchanged)."""
    output = output.resolve()
    parent = output.parent
    parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(parent, output.name)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.new-", dir=parent))
    written = unchanged = 0
    try:
        for path in sorted(pages):
            rel = safe_relative(path)
            data = pages[path]
            target = staging.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            current = output.joinpath(*rel.parts)
            if _same_bytes(current, data):
                try:
                    os.link(current, target)
                    unchanged += 1
                    continue
                except OSError:
                    pass  # no hard links here (another file system): write a copy
            target.write_bytes(data)
            written += 1
        _swap_in(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return written, unchanged


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def _remove_leftovers(parent: Path, name: str) -> None:
    """Staging folders of an interrupted build are ours to delete."""
    for prefix in (f".{name}.new-", f".{name}.old-"):
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
    old = Path(tempfile.mkdtemp(prefix=f".{output.name}.old-", dir=output.parent))
    os.rmdir(old)
    os.rename(output, old)
    os.rename(staging, output)
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
