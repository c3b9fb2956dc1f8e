"""URLs found in articles -> absolute http(s) URLs, their domains, the domain most links share."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from urllib.parse import urlsplit

from digest.models import Meta


def http_url(value: str) -> str | None:
    """The URL when it is an absolute http(s) URL with a host, else None."""
    value = value.strip()
    if any(c.isspace() or ord(c) < 32 for c in value) or len(value) > 2000:
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return value


def domain_of(url: str) -> str | None:
    """A URL -> its host without a leading "www.", or None when it has none."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def majority_domain(urls: Iterable[str]) -> str | None:
    """The domain that most of the links point to, when at least two and over half do."""
    domains = Counter(d for d in (domain_of(u) for u in urls) if d)
    if not domains:
        return None
    (top, count), total = domains.most_common(1)[0], sum(domains.values())
    return top if count >= 2 and count * 2 > total else None


def site_names(meta: Meta) -> list[str]:
    """An article's metadata -> the names its outlet's site goes by (the source, the
    URL's host): what a site-name part of its headline would say."""
    return [n for n in (meta.source, meta.url and domain_of(meta.url)) if n]
