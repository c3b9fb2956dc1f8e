"""Front matter or header fields -> `Meta` and problems; front-matter YAML; outlet evidence."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import yaml

from digest.dates import early_date_notes, parse_date
from digest.load.reader import Unusable
from digest.models import Meta, Problem
from digest.urls import domain_of, http_url, majority_domain

MAX_FRONT_MATTER_BYTES = 64 * 1024


_URL_KEYS = ("url", "link", "canonical", "source_url")
_SOURCE_KEYS = ("source", "outlet", "publisher", "site_name")


def meta_from_mapping(path: str, data: dict[str, Any]) -> tuple[Meta, list[Problem]]:
    """Front matter or header fields -> (Meta, problems with individual values)."""
    problems: list[Problem] = []
    fields = {str(k).strip().lower(): v for k, v in data.items()}

    def text(*keys: str) -> str | None:
        for key in keys:
            value = fields.get(key)
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                value = " ".join(_no_surrogates(str(value)).split())
                if value:
                    return value[:500]
            elif isinstance(value, list) and value and isinstance(value[0], str):
                return ", ".join(
                    " ".join(_no_surrogates(v).split()) for v in value[:5] if isinstance(v, str)
                )
        return None

    date = None
    raw_date = next((fields[k] for k in ("date", "published", "pubdate") if k in fields), None)
    if raw_date is not None:
        date = parse_date(raw_date)
        if date is None:
            problems.append(Problem(path, f"unparsable date {str(raw_date)[:60]!r}; date left out"))
        else:
            problems.extend(Problem(path, note) for note in early_date_notes(date))
    url = None
    raw_url = text(*_URL_KEYS)
    if raw_url is not None:
        url = http_url(raw_url)
        if url is None:
            problems.append(Problem(path, f"not an http(s) URL {raw_url[:80]!r}; link left out"))
    tags_value = fields.get("tags", fields.get("keywords"))
    tags: list[str] = []
    if isinstance(tags_value, str):
        tags = [t.strip() for t in _no_surrogates(tags_value).split(",")]
    elif isinstance(tags_value, list):
        tags = [
            " ".join(_no_surrogates(str(t)).split())
            for t in tags_value[:50]
            if isinstance(t, str | int) and not isinstance(t, bool)
        ]
    source = text(*_SOURCE_KEYS)
    if source is None and url is not None:
        source = domain_of(url)
    exclude = fields.get("exclude", fields.get("draft"))
    story = text("story")
    meta = Meta(
        title=text("title", "headline"),
        date=date,
        source=source,
        url=url,
        author=text("author", "authors", "by", "byline"),
        tags=tuple(dict.fromkeys(t[:80] for t in tags if t)),
        lang=text("lang", "language"),
        section=text("section", "category", "topic"),
        story=story,
        exclude=exclude is True or (isinstance(exclude, str) and exclude.lower() == "true"),
        source_evidence="meta" if source else None,
    )
    return meta, problems


_SURROGATES = re.compile("[\ud800-\udfff]")


def _no_surrogates(text: str) -> str:
    """YAML's "\\ud800" escape gives a lone surrogate, which no page, feed or
    digest.json can encode: writing one crashed the build."""
    return _SURROGATES.sub("", text)


# --------------------------------------------------------------------------- front matter

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S | re.M)


def front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Markdown text -> (its front matter's fields, the text after it); ({}, text)
    when it has none. Raises `Unusable` for front matter that can't be read."""
    if not text.startswith("---"):
        return {}, text
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise Unusable("front matter is never closed (no second '---' line)")
    raw = match.group(1)
    if len(raw.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        raise Unusable("front matter larger than 64 KiB")
    try:
        loaded = yaml.load(raw, Loader=_FrontMatterLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or "invalid YAML"
        raise Unusable(f"broken front matter{where}: {reason}") from None
    except (ValueError, OverflowError) as exc:
        # PyYAML's constructors raise these past its own error type: an integer
        # of over 4,300 digits ("title: 999…") crashed the whole build.
        raise Unusable(f"broken front matter: {str(exc)[:100]}") from None
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        raise Unusable(f"front matter is a {type(loaded).__name__}, not a mapping")
    return loaded, text[match.end() :]


class _FrontMatterLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases, so a YAML 'billion laughs' can't expand."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases are not allowed in front matter", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_lenient_timestamp(self, node: yaml.ScalarNode) -> Any:
        """A YAML date that is no real date ("2024-02-30") -> its text, so the
        article is kept and the date reported as unparsable (it crashed the build)."""
        try:
            return self.construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            return self.construct_scalar(node)


_FrontMatterLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", _FrontMatterLoader.construct_lenient_timestamp
)


# --------------------------------------------------------------------------- outlet evidence

_EMAIL = re.compile(r"\b[\w.+-]{1,64}@([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})\b", re.IGNORECASE)
_PROMO_OUTLET = re.compile(
    r"^(?:most read|more|trending|latest|read more) (?:in|on|from) "
    r"((?:the )?[A-Z][\w&' .-]{1,40})$",
    re.IGNORECASE,
)
_WEBMAIL = {"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "protonmail.com", "aol.com"}
_BARE_URL = re.compile(r"https?://[^\s<>\"')\]]+")


def evidence_from_text(meta: Meta, lines: list[str]) -> Meta:
    """Outlet evidence in pasted text: bare links, promo lines naming the outlet,
    and a byline e-mail domain. Used only when no header named the source."""
    if meta.source:
        return meta
    links = [u for u in _BARE_URL.findall("\n".join(lines)) if http_url(u)]
    domain = majority_domain(links)
    if domain:
        return replace(meta, source=domain, source_evidence="links")
    for line in lines:
        match = _PROMO_OUTLET.match(" ".join(line.split()))
        if match and match.group(1)[0].isupper():
            return replace(meta, source=match.group(1).strip(), source_evidence="promo")
    for line in lines:
        for match in _EMAIL.finditer(line):
            domain = match.group(1).lower()
            if domain not in _WEBMAIL:
                return replace(meta, source=domain, source_evidence="email")
    return meta
