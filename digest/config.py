"""The build configuration: one frozen record, loaded from `digest.toml`."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from digest.models import DigestError


def _opt(default: Any, doc: str) -> Any:
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class Config:
    """Every setting of a build. Field docs are the reference for `digest.toml`."""

    title: str = _opt("News digest", "Site title shown in the header and feeds.")
    description: str = _opt("", "One-line description of the digest.")
    base_url: str | None = _opt(
        None,
        "Public address of the site (https://…/): absolute URLs in feeds, sitemap, canonical "
        "links and Open Graph tags. Links between pages stay relative.",
    )
    language: str = _opt("en", "Language of the digest (keyword stop-words, <html lang>).")
    content: str = _opt("content", "Folder of articles, relative to the config file.")
    output: str = _opt("site", "Folder the site is written to, relative to the config file.")
    keywords_per_article: int = _opt(10, "Keywords kept for each article.")
    keyword_backend: str = _opt(
        "yake-rust",
        "Keyword extractor: 'yake-rust' (fast Rust YAKE) or 'yake' (the reference Python "
        "package); both implement the same algorithm.",
    )
    keyword_max_words: int = _opt(3, "Longest keyphrase, in words.")
    lead_sentences: int = _opt(3, "Lead sentences kept for each article (1–3 fit most pages).")
    summary_min_words: int = _opt(60, "A story summary grows to at least this many words.")
    summary_max_words: int = _opt(120, "A story summary never grows past this many words.")
    story_threshold: float = _opt(
        0.2,
        "Average similarity (0–1, TF-IDF cosine) two groups of articles need to be one story.",
    )
    story_time_boost: float = _opt(
        3.0,
        "How much more alike two articles count when published close together: their "
        "similarity is multiplied by 1 + boost × e^(−hours apart / story_time_scale_hours). "
        "Used only when both dates carry a time of day; 0 turns it off.",
    )
    story_time_scale_hours: float = _opt(
        6.0, "Hours over which the publication-time boost fades (see story_time_boost)."
    )
    story_window_days: int = _opt(
        4, "Articles dated further apart than this are not one story (0 turns the check off)."
    )
    topic_threshold: float = _opt(
        0.08,
        "Average similarity (0–1) for stories to share a topic when topics are formed by "
        "linking similar stories (the alternative to k-means; the better separated wins).",
    )
    max_topics: int = _opt(12, "Most topics inferred from the stories' words.")
    duplicate_threshold: float = _opt(
        0.5,
        "Share (0–1) of one article's sentences found again in another for the two to count "
        "as versions of one report.",
    )

    archive_threshold: int = _opt(
        30,
        "A digest with more stories than this gets date archive pages, and its front page "
        "shows only the first stories of each topic (0: always build the archive).",
    )
    search: bool = _opt(True, "Build a Pagefind search index and the search page.")

    def with_overrides(self, **changes: Any) -> Config:
        """A copy with the given non-None fields replaced and validated."""
        data = {k: v for k, v in changes.items() if v is not None}
        return _validated({**dataclasses.asdict(self), **data}, source="options")


def load_config(path: Path | None, **overrides: Any) -> tuple[Config, Path]:
    """Read `digest.toml` (or the given file) -> (config, folder relative paths start from).

    A missing default file means defaults; a missing named file, bad TOML, unknown
    keys or wrong types raise one DigestError listing every fault.
    """
    base = Path.cwd()
    data: dict[str, Any] = {}
    name = "defaults"
    if path is None and (base / "digest.toml").is_file():
        path = base / "digest.toml"
    if path is not None:
        if not path.is_file():
            raise DigestError(f"config file not found: {path}")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise DigestError(f"cannot read config {path}: {exc}") from None
        base = path.resolve().parent
        name = str(path)
    data.update({k: v for k, v in overrides.items() if v is not None})
    return _validated(data, source=name), base


def _validated(data: dict[str, Any], source: str) -> Config:
    errors: list[str] = []
    fields = {f.name: f for f in dataclasses.fields(Config)}
    for key in sorted(set(data) - set(fields)):
        errors.append(f"unknown setting '{key}'")
    values: dict[str, Any] = {}
    for name, f in fields.items():
        if name not in data:
            continue
        value = data[name]
        expected = f.type if isinstance(f.type, str) else f.type.__name__
        if expected.startswith("str"):
            ok = isinstance(value, str) or (value is None and "None" in expected)
        elif expected == "bool":
            ok = isinstance(value, bool)
        elif expected == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif expected == "float":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            value = float(value) if ok else value
        else:  # pragma: no cover - every field type is listed above
            ok = True
        if not ok:
            errors.append(f"'{name}' must be {expected}, not {type(value).__name__}")
            continue
        values[name] = value
    base_url = values.get("base_url")
    if isinstance(base_url, str) and base_url and not base_url.endswith("/"):
        values["base_url"] = base_url + "/"  # so page paths join under it, not beside it
    config = Config(**values) if not errors else Config()
    if not errors:
        errors.extend(_range_errors(config))
    if errors:
        raise DigestError(f"invalid configuration ({source}): " + "; ".join(errors))
    return config


def _range_errors(c: Config) -> list[str]:
    errors = []
    if c.keyword_backend not in ("yake-rust", "yake"):
        errors.append("'keyword_backend' must be 'yake-rust' or 'yake'")
    if c.story_time_boost < 0 or c.story_time_scale_hours <= 0:
        errors.append("'story_time_boost' must be 0 or more and 'story_time_scale_hours' above 0")
    for name in ("story_threshold", "duplicate_threshold", "topic_threshold"):
        if not 0.0 < getattr(c, name) <= 1.0:
            errors.append(f"'{name}' must be above 0 and at most 1")
    if c.archive_threshold < 0:
        errors.append("'archive_threshold' must be 0 or more")
    for name in ("keywords_per_article", "keyword_max_words", "lead_sentences", "max_topics"):
        if getattr(c, name) < 1:
            errors.append(f"'{name}' must be at least 1")
    if c.summary_min_words < 1 or c.summary_max_words < c.summary_min_words:
        errors.append("'summary_min_words' must be at least 1 and at most 'summary_max_words'")
    if c.story_window_days < 0:
        errors.append("'story_window_days' must be 0 or more")
    if c.base_url is not None:
        parts = urlsplit(c.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            errors.append("'base_url' must be an http:// or https:// address")
        elif parts.query or parts.fragment or any(ch.isspace() for ch in c.base_url):
            errors.append("'base_url' must not contain spaces, a query or a fragment")
    return errors
