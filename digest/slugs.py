"""Text -> safe file-name slugs and unique ids."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

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


def unique_slugs(keys: Iterable[str], max_length: int = 60) -> dict[str, str]:
    """Distinct keys -> distinct slugs; keys whose slugs collide get a hash suffix."""
    keys = sorted(set(keys))
    by_slug: dict[str, list[str]] = {}
    for key in keys:
        by_slug.setdefault(slugify(key, max_length), []).append(key)
    out: dict[str, str] = {}
    for slug, group in by_slug.items():
        for key in group:
            if len(group) == 1:
                out[key] = slug
            else:
                suffix = hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:6]
                out[key] = f"{slug}-{suffix}"
    return out
