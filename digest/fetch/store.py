"""What `digest fetch` remembers and writes: the state file in the cache folder,
the already-fetched articles, and new article files in the content folder.

The state file (`<cache>/fetch/state.json`) keeps each source's ETag and
Last-Modified (for conditional requests) and the keys of every item written. It is
read as untrusted input: anything of the wrong shape counts as empty. The cache
folder may be deleted at any time, so the content folder is the other memory: the
`url` in the front matter of every Markdown file there counts as fetched too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import courlan

from digest.cache import read_below, write_below
from digest.load.files import walk_folder
from digest.slugs import slugify

STATE_VERSION = 1
MAX_STATE_BYTES = 64 * 1024 * 1024
_URL_LINE = re.compile(
    r"^(?:url|link|canonical|source_url):[ \t]*['\"]?(https?://[^'\"\s]+)", re.M | re.I
)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*$", re.S | re.M)


@dataclass
class State:
    """Validators per source URL and the keys of items already written."""

    validators: dict[str, dict[str, str]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)


def canonical_url(url: str) -> str:
    """A URL -> its canonical form for deduplication: lower-case host, no fragment,
    no tracking parameters (utm_*, fbclid, ...), sorted query."""
    try:
        return str(courlan.normalize_url(url, strict=True))
    except (ValueError, TypeError, AttributeError):
        return url.strip()


def item_keys(url: str | None, guid: str | None, feed_url: str) -> list[str]:
    """An item's link and GUID -> the keys it is remembered by. A GUID that is a URL
    is canonicalised like one; other GUIDs are only unique within their feed."""
    keys = []
    if url:
        keys.append("url:" + canonical_url(url))
    if guid:
        if guid.startswith(("http://", "https://")):
            keys.append("url:" + canonical_url(guid))
        else:
            keys.append(f"guid:{canonical_url(feed_url)} {guid}")
    return sorted(set(keys))


def state_path(cache_dir: Path | None) -> Path | None:
    return cache_dir / "fetch" / "state.json" if cache_dir is not None else None


def load_state(path: Path | None) -> State:
    """The state file -> State; a missing, unreadable or malformed file -> empty State."""
    if path is None:
        return State()
    # the cache folder is untrusted: a link or a pipe there is never opened
    raw = read_below(path.parent.parent, f"{path.parent.name}/{path.name}", MAX_STATE_BYTES)
    if raw is None:
        return State()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return State()
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        return State()
    state = State()
    sources = data.get("sources")
    if isinstance(sources, dict):
        for url, held in sources.items():
            if isinstance(url, str) and isinstance(held, dict):
                kept = {
                    k: v
                    for k, v in held.items()
                    if k in ("etag", "last_modified") and _header_safe(v)
                }
                if kept:
                    state.validators[url] = kept
    seen = data.get("seen")
    if isinstance(seen, list):
        state.seen = {key for key in seen if isinstance(key, str)}
    return state


def _header_safe(value: object) -> bool:
    """Whether a stored validator can go back into a request header as it is."""
    return (
        isinstance(value, str) and 0 < len(value) < 1000 and value.isascii() and value.isprintable()
    )


def save_state(path: Path, state: State) -> None:
    """Writes the state file atomically (sorted: the same state gives the same bytes);
    raises OSError when it cannot."""
    data = {
        "version": STATE_VERSION,
        "sources": {url: state.validators[url] for url in sorted(state.validators)},
        "seen": sorted(state.seen),
    }
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    write_below(path.parent.parent, f"{path.parent.name}/{path.name}", text.encode("utf-8"))


def urls_in_content(content_dir: Path) -> set[str]:
    """The content folder -> keys of the URLs its Markdown files' front matter names."""
    keys: set[str] = set()
    if not content_dir.is_dir():
        return keys
    # the build's own walk: never blocks on a pipe, never follows a link out, never
    # recurses (pathlib's rglob ran out of stack on 1,000 nested folders)
    for found in walk_folder(content_dir, [], hidden=False):
        if not found.rel.endswith(".md"):
            continue
        data = found.read([], None)  # files the build refuses as too large are skipped
        if data is None:
            continue
        head = data[: 64 * 1024].decode("utf-8", "replace")
        match = _FRONT_MATTER.match(head)
        if match:
            keys.update("url:" + canonical_url(u) for u in _URL_LINE.findall(match.group(1)))
    return keys


def article_path(outlet: str, date: str | None, title: str | None, url: str) -> str:
    """An item -> its file's path in the content folder: `<outlet>/<YYYY-MM-DD>/<slug>.md`
    (`undated` when the date is unknown); only [a-z0-9-] in every part."""
    day = "undated"
    if date:
        with contextlib.suppress(ValueError):
            day = dt.date.fromisoformat(date[:10]).isoformat()
    return f"{slugify(outlet, 40)}/{day}/{slugify(title or url, 60)}.md"


def candidates(path: str, url: str) -> Iterable[str]:
    """A wanted path -> it, then variants with a hash of the URL and a counter (for
    two articles with one title on one day)."""
    yield path
    stem = path[: -len(".md")]
    digest = hashlib.sha1(url.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    yield f"{stem}-{digest}.md"
    for n in range(2, 1000):
        yield f"{stem}-{digest}-{n}.md"


def write_new(content_dir: Path, rel: str, text: str) -> bool:
    """Writes `text` to content_dir/rel atomically, only if no file is there yet ->
    whether it was written. Raises OSError on a path outside the folder or a failure."""
    root = content_dir.resolve()
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.parent.resolve().is_relative_to(root):
        raise OSError(f"{rel} would be outside the content folder")
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".fetch-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        try:
            os.link(temp, target)  # fails when the name is taken: never overwrites
        except FileExistsError:
            return False
        return True
    finally:
        Path(temp).unlink(missing_ok=True)
