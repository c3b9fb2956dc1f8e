"""Text -> safe file-name slugs and unique ids."""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping

_NON_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_length: int = 60) -> str:
    """Any text -> a lower-case ASCII slug of letters, digits and single hyphens.

    Text with no Latin letters or digits (Cyrillic, CJK, symbols) gets a short hash,
    so a slug is never empty and never contains a path separator or dot.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NON_SLUG.sub("-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    if not slug:
        slug = "x-" + hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return slug


# Page names the site uses for its own listings (keywords/index.html,
# topics/index.html, sources/index.html). A topic, outlet or keyword named
# "Index" took that name and one of the two pages was silently overwritten.
RESERVED = frozenset({"index"})


def unique_slugs(keys: Iterable[str], max_length: int = 60) -> dict[str, str]:
    """Distinct keys -> distinct slugs; keys whose slugs collide (with each other or
    with a reserved page name) get a hash suffix."""
    return unique_names({key: key for key in keys}, max_length)


def unique_names(texts: Mapping[str, str], max_length: int = 60) -> dict[str, str]:
    """Keys -> distinct slugs of their texts (several keys may share a text); keys
    whose slugs collide, with each other or a reserved page name, get a hash of the
    key as a suffix. The same keys and texts always give the same slugs."""
    by_slug: dict[str, list[str]] = {}
    for key in sorted(texts):
        by_slug.setdefault(slugify(texts[key], max_length), []).append(key)
    out: dict[str, str] = {}
    taken = set(RESERVED)
    for slug, group in by_slug.items():
        if len(group) == 1 and slug not in RESERVED:
            out[group[0]] = slug
            taken.add(slug)
    for slug, group in by_slug.items():
        if len(group) == 1 and slug not in RESERVED:
            continue
        for key in group:
            unique = next(c for c in _suffixed(slug, key) if c not in taken)
            out[key] = unique
            taken.add(unique)
    return out


def _suffixed(name: str, key: str) -> Iterator[str]:
    """A name taken by another -> names to try for `key`, each with a hash of the
    key: a key can be made to slug to another's "slug-hash" ("index-c2df9b"), and
    hashes can collide, so a longer hash, then a counter, keep names distinct."""
    digest = hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()
    yield from (f"{name}-{digest[:n]}" for n in (6, 12, 40))
    yield from (f"{name}-{digest}-{n}" for n in itertools.count(2))


def distinct_ids(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """(Distinct paths, their ids) -> an id per path, no two alike: an id several
    paths claim stays with the first of them in path order, the others get a
    suffix from a hash of their path. The same pairs give the same ids whatever
    their order."""
    by_id: dict[str, list[str]] = defaultdict(list)
    for path, ident in sorted(pairs):
        by_id[ident].append(path)
    taken = set(by_id)
    out: dict[str, str] = {}
    for ident, paths in sorted(by_id.items()):
        out[paths[0]] = ident
        for path in paths[1:]:
            out[path] = next(c for c in _suffixed(ident, path) if c not in taken)
            taken.add(out[path])
    return out
