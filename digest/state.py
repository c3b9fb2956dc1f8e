"""What the last build read and wrote, so a rebuild with nothing new can stop early.

After a build writes the site, `save` stores in the cache folder (`build.json`)
a hash of every input the build read — each content file's path and bytes, each
static file's (`digest.static`), the problems met while reading the folders, the
whole config, the templates (the project's and digest's own), digest's code
and the versions of the libraries and Python it ran with — together with a
listing of the output folder as written (path, size, modification time and
inode of every file), the paths it wrote (so the next build can tell a file
put in the output folder by hand from an old page) and the build's report.

The next build computes the same input hash right after reading the content
folder. When it matches and the output folder still lists the same, the site
on disk is exactly what a full build would write, so the build ends there:
that is the no-op rebuild. Anything else — one byte of one article, a setting,
a template, an upgrade, a page edited or deleted in the output folder, the
state file missing or unreadable — means a full build (which still takes what
it can from the per-article cache).

The only input a build reads that is not hashed is the clock, and the clock
only decides whether a "date in the future" problem is given: those are
recomputed from the stored dates on every run, never stored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from digest.cache import fingerprint, installed_version, write_atomically
from digest.config import Config
from digest.load import SourceFile
from digest.models import Problem

FORMAT = 2  # 2: static files in the inputs, the paths written kept
STATE_FILE = "build.json"
# libraries that shape the whole-site stages (per-article ones are in the cache fingerprint)
SITE_LIBRARIES = ("jinja2", "markupsafe", "numpy", "scipy", "wordfreq", "pagefind-bin")


@dataclasses.dataclass(frozen=True)
class Saved:
    """The last build as stored: what it read, what it wrote, what it reported."""

    inputs: str
    outputs: str
    articles: int
    stories: int
    files: int
    problems: tuple[Problem, ...]  # clock-free problems only
    dates: tuple[tuple[str, str], ...]  # (path, date) of articles, for date warnings
    written: tuple[str, ...] = ()  # every path the build wrote but the search bundle's
    output: str = ""  # the output folder they were written to


def input_hash(
    config: Config,
    files: Sequence[SourceFile],
    read_problems: Iterable[Problem],
    template_folders: Iterable[Path],
    output: Path,
    static: Iterable[tuple[str, str]] = (),
) -> str:
    """Everything a build reads, except the clock -> one hash."""
    digest = hashlib.sha256()

    def add(label: str, value: str | bytes) -> None:
        data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
        digest.update(f"{label}:{len(data)}:".encode())
        digest.update(data)

    add("format", str(FORMAT))
    add("analysis", fingerprint(config))  # code, per-article libraries, Python, settings
    add("config", json.dumps(dataclasses.asdict(config), sort_keys=True, default=str))
    add("libraries", json.dumps({name: installed_version(name) for name in SITE_LIBRARIES}))
    add("output", str(output))
    for folder in template_folders:
        add("templates", str(folder))
        for path in _files_under(folder):
            add("template", path.relative_to(folder).as_posix())
            add("bytes", path.read_bytes())
    for source in files:
        add("file", source.path)
        add("bytes", source.content_hash)
    for site_path, content_hash in static:  # (site path, hash) of each static file
        add("static", site_path)
        add("bytes", content_hash)
    for problem in read_problems:
        add("problem", f"{problem.path}\0{problem.reason}")
    return digest.hexdigest()


def output_listing(output: Path) -> tuple[str, int]:
    """The output folder -> (hash of every file's path, size, mtime and inode, file count).

    Files a build leaves alone keep their inode and time (they are hard-linked
    into the new site), so the listing after a build is the listing the next
    no-op build sees. Symbolic links are listed by their own status.
    """
    digest = hashlib.sha256()
    count = 0
    stack = [(output, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            digest.update(b"unreadable:" + prefix.encode("utf-8", "surrogateescape"))
            continue
        for entry in entries:
            rel = prefix + entry.name
            info = entry.stat(follow_symlinks=False)
            if entry.is_dir(follow_symlinks=False):
                stack.append((Path(entry.path), rel + "/"))
                digest.update(f"d {rel}\n".encode("utf-8", "surrogateescape"))
                continue
            count += 1
            line = f"f {rel} {info.st_mode} {info.st_size} {info.st_mtime_ns} {info.st_ino}\n"
            digest.update(line.encode("utf-8", "surrogateescape"))
    return digest.hexdigest(), count


def load(cache_dir: Path) -> Saved | None:
    """The stored state, or None when there is none or it cannot be read."""
    try:
        data = json.loads((cache_dir / STATE_FILE).read_bytes())
        if data.get("format") != FORMAT:
            return None
        return Saved(
            inputs=str(data["inputs"]),
            outputs=str(data["outputs"]),
            articles=int(data["articles"]),
            stories=int(data["stories"]),
            files=int(data["files"]),
            problems=tuple(Problem(str(p), str(r)) for p, r in data["problems"]),
            dates=tuple((str(p), str(d)) for p, d in data["dates"]),
            written=tuple(str(p) for p in data["written"]),
            output=str(data["output"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(cache_dir: Path, saved: Saved) -> None:
    """Store the state atomically; a cache folder that cannot be written is skipped."""
    data: dict[str, Any] = {"format": FORMAT, **dataclasses.asdict(saved)}
    data["problems"] = [[p.path, p.reason] for p in saved.problems]
    try:
        encoded = json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogateescape")
        cache_dir.mkdir(parents=True, exist_ok=True)
        write_atomically(cache_dir / STATE_FILE, encoded)
    except (OSError, ValueError, UnicodeError):
        return


def _files_under(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file())
