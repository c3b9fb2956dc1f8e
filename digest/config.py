"""The build configuration: one frozen record, loaded from `digest.toml`.

Settings come from four layers, later ones winning: the field defaults below,
`digest.toml`, `DIGEST_<FIELD>` environment variables, and command-line flags.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import tomllib
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from digest.models import DigestError

ENV_PREFIX = "DIGEST_"
# what `article_text` may be (see its doc and digest.excerpts)
ARTICLE_TEXT_CHOICES = ("auto", "excerpt", "full")
# settings that name folders: in digest.toml relative to the file, elsewhere to the
# current folder
PATH_FIELDS = ("content", "output", "static", "cache")


def _opt(default: Any, doc: str) -> Any:
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class Section:
    """A section an editor defined in `digest.toml`: its name, seed words and tags."""

    name: str
    words: tuple[str, ...] = ()  # seed words (or phrases) its stories use
    tags: tuple[str, ...] = ()  # front-matter tags that put an article's story in it


# the keys a `[[sections]]` table may have, and what each must hold
SECTION_KEYS = ("name", "words", "tags")


@dataclass(frozen=True)
class Source:
    """A feed or article page `digest fetch` reads: its address and what to call it."""

    url: str  # http(s): an RSS, Atom or JSON feed, or one article page
    name: str | None = None  # outlet name written as `source` (else the feed's title)
    section: str | None = None  # written as `section` in every article's front matter
    lang: str | None = None  # written as `lang` (else the page's own language)


# the keys a `[[sources]]` table may have
SOURCE_KEYS = ("url", "name", "section", "lang")


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
    article_text: str = _opt(
        "auto",
        "What article pages, feeds, the search index and digest.json show of an article's "
        "text: 'excerpt' (headline, the lead's opening sentences up to 60 words, keywords, "
        "outlet, date and a link to the original), 'full' (the whole cleaned text, for "
        "content you may republish) or 'auto': an excerpt of articles whose url is on "
        "another site than base_url (without base_url: any url), the whole text of the "
        "rest. Story summaries are not affected.",
    )
    language: str = _opt(
        "en",
        "Language of the digest (keyword stop-words, <html lang>, the site's own words and dates).",
    )
    content: str = _opt("content", "Folder of articles, relative to the config file.")
    output: str = _opt("site", "Folder the site is written to, relative to the config file.")
    static: str = _opt(
        "static",
        "Folder of files copied into the site as they are (a favicon, CNAME, .nojekyll, a "
        "verification file, an extra stylesheet), relative to the config file; a missing "
        "folder is no error.",
    )
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
        0.16,
        "Average similarity (0–1) two groups of articles need to be one story: the TF-IDF "
        "cosine of their words, plus the publication-time bonus where it applies.",
    )
    story_time_bonus: float = _opt(
        0.1,
        "Similarity (0–1) added to a pair of articles published close together: "
        "bonus × e^(−hours apart / story_time_scale_hours), 3.5 times that between headlines "
        "(at most 10 distinct words). Only for pairs whose words are "
        "at least story_text_floor alike and whose dates both carry a time of day: time "
        "is evidence between reports of one event, never a reason on its own. 0 turns it off.",
    )
    story_time_scale_hours: float = _opt(
        6.0, "Hours over which the publication-time bonus fades (see story_time_bonus)."
    )
    story_text_floor: float = _opt(
        0.1,
        "How alike (TF-IDF cosine, 0–1) two articles' words must be before publication time "
        "counts for them (story_time_bonus). Scaled down for short texts (under 50 distinct "
        "words, such as headlines), where one shared distinctive word already shows one "
        "subject.",
    )
    story_window_days: int = _opt(
        2,
        "Articles dated more than this many days apart are not one story: counted in hours "
        "(days × 24) when both dates carry a time of day, else in calendar days (0 turns the "
        "check off).",
    )
    topic_threshold: float = _opt(
        0.08,
        "Average similarity (0–1, TF-IDF cosine) for stories without a section to share an "
        "inferred topic.",
    )
    max_topics: int = _opt(
        24, "Most topics inferred from the stories' words (the largest are kept)."
    )
    topic_min_stories: int = _opt(
        3,
        "Fewest stories an inferred topic needs; stories of smaller groups are listed "
        "under 'Other stories'.",
    )
    section_min_score: float = _opt(
        0.03,
        "How well (0–1) a story must match a section of `sections` to go in it: the share "
        "of its articles carrying one of the section's tags plus the cosine of its words "
        "(TF-IDF) with the section's seed words. Less, and topics are inferred for it.",
    )
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
    topic_page_stories: int = _opt(
        50,
        "Stories a topic's page lists; a topic with more gets a page per month besides "
        "(`topics/ID/2024-05.html`), so an added day changes one month's page.",
    )
    top_stories: int = _opt(
        8,
        "Stories that open the front page as cards: the most-covered of those with a report "
        "in the 7 days up to the digest's newest article (0: none).",
    )
    keyword_page_min_articles: int = _opt(
        2,
        "A keyword gets a page of its own when at least this many articles, or this many "
        "stories, list it (1: every keyword); other keywords are shown without a link.",
    )
    search: bool = _opt(True, "Build a Pagefind search index and the search page.")
    timezone: str = _opt(
        "UTC",
        "IANA time zone (e.g. Europe/London) that times of day are shown in. Dates in feeds "
        "and digest.json stay UTC.",
    )
    cache: str = _opt(
        ".digest-cache",
        "Folder for per-article results that make rebuilds fast, relative to the config file; "
        'safe to delete. "" turns the cache off.',
    )
    sections: tuple[Section, ...] = _opt(
        (),
        "Sections defined by the editor, as [[sections]] tables with a 'name' and a few "
        "seed 'words' and/or 'tags'. Each story goes to the section it matches best (at "
        "least section_min_score); a section or category in an article's front matter "
        "still wins, and stories matching no section get inferred topics. Only in "
        "digest.toml: no environment variable or flag sets sections.",
    )

    sources: tuple[Source, ...] = _opt(
        (),
        "Feeds (RSS 2.0 and 1.0, Atom, JSON Feed) and article pages for `digest fetch`: one "
        "[[sources]] table each, with a 'url' and an optional 'name' (the outlet), 'section' "
        "and 'lang'. Only in digest.toml.",
    )
    allow_private: bool = _opt(
        False,
        "Let `digest fetch` reach loopback, private, link-local and other non-public "
        "addresses (refused by default, so a feed cannot make it probe your network).",
    )
    fetch_delay: float = _opt(
        1.0, "Seconds `digest fetch` waits between two requests to the same host."
    )
    fetch_concurrency: int = _opt(4, "Requests `digest fetch` makes at the same time, at most.")

    def with_overrides(self, **changes: Any) -> Config:
        """A copy with the given non-None fields replaced and validated."""
        data = {k: v for k, v in changes.items() if v is not None}
        return _validated({**dataclasses.asdict(self), **data}, source="options")


def load_config(
    path: Path | None, *, environ: Mapping[str, str] | None = None, **overrides: Any
) -> tuple[Config, Path]:
    """Read `digest.toml` (or the given file), `DIGEST_*` variables and overrides ->
    (config, folder relative paths start from).

    Precedence: overrides (command-line flags) > environment (`environ`, by default
    `os.environ`) > the config file > defaults. Folders given in the environment are
    relative to the current folder. A missing default file means defaults; a missing
    named file, bad TOML, unknown keys, wrong types or values out of range raise one
    DigestError listing every fault of every layer.
    """
    base = Path.cwd()
    data: dict[str, Any] = {}
    sources = []
    if path is None and (base / "digest.toml").is_file():
        path = base / "digest.toml"
    if path is not None:
        if not path.is_file():
            folder = path.parent.resolve() if path.parent != Path() else Path.cwd()
            raise DigestError(f"config file '{path.name}' not found in {folder}")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise DigestError(f"cannot read config {path}: {exc}") from None
        base = path.resolve().parent
        sources.append(str(path))
    values, errors = _checked(data)
    env, env_errors = environment_overrides(os.environ if environ is None else environ)
    if env or env_errors:
        sources.append("environment")
    errors += env_errors
    values.update(env)
    flags, flag_errors = _checked({k: v for k, v in overrides.items() if v is not None})
    errors += [f"option {e}" for e in flag_errors]
    values.update(flags)
    return _finished(values, errors, ", ".join(sources) or "defaults"), base


def environment_overrides(environ: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """`DIGEST_<FIELD>` variables -> (settings parsed by the field's type, errors).

    An empty value for a setting that may be unset (`DIGEST_BASE_URL=`) unsets it.
    Folders are made absolute against the current folder. Other variables are ignored.
    """
    values: dict[str, Any] = {}
    errors: list[str] = []
    settings = [f.name for f in dataclasses.fields(Config)]
    for name in sorted(environ):
        key = name[len(ENV_PREFIX) :].lower()
        if not name.startswith(ENV_PREFIX) or key in settings:
            continue
        # other tools' DIGEST_* variables (DIGEST_REQUIREMENT in the workflow) are
        # left alone; only a near miss of a setting's name is a typo worth stopping for
        close = difflib.get_close_matches(key, settings, n=1, cutoff=ENV_TYPO_CUTOFF)
        if close:
            errors.append(f"unknown setting {name} (did you mean {ENV_PREFIX}{close[0].upper()}?)")
    for f in dataclasses.fields(Config):
        name = ENV_PREFIX + f.name.upper()
        if name not in environ:
            continue
        raw = environ[name]
        kind = field_type(f)
        if kind not in _TYPE_WORDS:  # tables (sections) have no one-line form
            errors.append(f"{name} is not supported: set '{f.name}' in digest.toml")
            continue
        value: Any
        try:
            value = _parse_env(raw, kind)
        except ValueError:
            errors.append(f"{name} must be {_TYPE_WORDS[kind]}, not {raw!r}")
            continue
        if f.name in PATH_FIELDS and value:
            value = str(Path.cwd() / value)
        values[f.name] = value
    return values, errors


# how alike (difflib ratio) an unknown name must be to a known one to be suggested
# ("titel" -> "title" is 0.8); an unknown DIGEST_* variable must be closer still to
# count as a typo at all
TYPO_CUTOFF = 0.6
ENV_TYPO_CUTOFF = 0.8


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """An unknown name -> " (did you mean 'x'?)" for the closest known one, or ""."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=TYPO_CUTOFF)
    return f" (did you mean '{close[0]}'?)" if close else ""


def unknown_keys(where: str, table: Mapping[str, Any], known: Iterable[str]) -> list[str]:
    """A table's keys -> a fault with a suggestion for each key not in `known`."""
    names = list(known)
    return [
        f"{where}unknown {'setting' if not where else 'key'} '{key}'{did_you_mean(key, names)}"
        for key in sorted(set(table) - set(names))
    ]


def type_word(value: Any) -> str:
    """A value read from TOML -> what it is in plain words ("text", "a whole number")."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return type(value).__name__  # dates and times: TOML's own words


def _shown(value: Any) -> str:
    """A scalar value -> " (value)" to quote after its type, short; "" for lists and tables."""
    if isinstance(value, list | tuple | Mapping):
        return ""
    text = repr(value)
    return f" ({text if len(text) <= 40 else text[:37] + '...'})"


_TYPE_WORDS = {
    "str": "text",
    "str | None": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _parse_env(raw: str, kind: str) -> Any:
    text = raw.strip()
    if kind == "str":
        return raw
    if kind == "str | None":
        return raw if text else None
    if kind == "int":
        return int(text)
    if kind == "float":
        number = float(text)
        if not math.isfinite(number):
            raise ValueError(raw)
        return number
    if kind == "bool":
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(raw)
    raise ValueError(kind)  # pragma: no cover - every field type is listed above


def field_type(f: dataclasses.Field[Any]) -> str:
    """A Config field -> its type as written: "str", "str | None", "int", "float", "bool"."""
    return f.type if isinstance(f.type, str) else f.type.__name__


def _validated(data: dict[str, Any], source: str) -> Config:
    values, errors = _checked(data)
    return _finished(values, errors, source)


def _checked(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Raw settings -> (the well-typed ones, a fault for each unknown key or wrong type)."""
    errors: list[str] = []
    fields = {f.name: f for f in dataclasses.fields(Config)}
    errors.extend(unknown_keys("", data, fields))
    values: dict[str, Any] = {}
    for name, f in fields.items():
        if name not in data:
            continue
        value = data[name]
        expected = field_type(f)
        if expected.startswith("str"):
            ok = isinstance(value, str) or (value is None and "None" in expected)
        elif expected == "bool":
            ok = isinstance(value, bool)
        elif expected == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif expected == "float":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            value = float(value) if ok else value
        elif expected == "tuple[Section, ...]":
            value, faults = _sections(value)
            errors.extend(faults)
            if faults:
                continue
            ok = True
        elif expected == "tuple[Source, ...]":
            value, faults = _sources(value)
            errors.extend(faults)
            if faults:
                continue
            ok = True
        else:  # pragma: no cover - every field type is listed above
            ok = True
        if not ok:
            errors.append(
                f"'{name}' must be {_TYPE_WORDS[expected]}, not {type_word(value)}{_shown(value)}"
            )
            continue
        values[name] = value
    return values, errors


def _sections(value: Any) -> tuple[tuple[Section, ...], list[str]]:
    """`[[sections]]` tables (or Section records turned into dicts) -> Section records,
    and a fault for each malformed one."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, Mapping) for v in value):
        return (), ["'sections' must be an array of tables ([[sections]] with name, words, tags)"]
    errors: list[str] = []
    sections: list[Section] = []
    seen: set[str] = set()
    for number, table in enumerate(value, 1):
        where = f"sections[{number}]"
        errors.extend(unknown_keys(f"{where}: ", table, SECTION_KEYS))
        name = table.get("name")
        if not isinstance(name, str) or not name.strip():
            errors.append(f"{where}: 'name' must be non-empty text")
            name = ""
        elif name.strip().casefold() in seen:
            errors.append(f"{where}: the name {name.strip()!r} is used by an earlier section")
        seen.add(name.strip().casefold())
        lists: dict[str, tuple[str, ...]] = {}
        for key in ("words", "tags"):
            items = table.get(key, [])
            if not isinstance(items, list | tuple) or not all(
                isinstance(item, str) and item.strip() for item in items
            ):
                errors.append(f"{where}: '{key}' must be a list of non-empty texts")
                items = []
            lists[key] = tuple(" ".join(item.split()) for item in items)
        if not lists["words"] and not lists["tags"] and name:
            errors.append(f"{where}: give the section some 'words' or 'tags' to match")
        sections.append(Section(" ".join(name.split()), lists["words"], lists["tags"]))
    return tuple(sections), errors


def _sources(value: Any) -> tuple[tuple[Source, ...], list[str]]:
    """`[[sources]]` tables (or Source records turned into dicts) -> Source records,
    and a fault for each malformed one."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, Mapping) for v in value):
        return (), ["'sources' must be an array of tables ([[sources]] with url, name, ...)"]
    errors: list[str] = []
    sources: list[Source] = []
    for number, table in enumerate(value, 1):
        where = f"sources[{number}]"
        errors.extend(unknown_keys(f"{where}: ", table, SOURCE_KEYS))
        url = table.get("url")
        parts = urlsplit(url) if isinstance(url, str) else None
        if (
            not isinstance(url, str)
            or parts is None
            or parts.scheme not in ("http", "https")
            or not parts.hostname
            or any(ch.isspace() for ch in url)
        ):
            errors.append(f"{where}: 'url' must be an http:// or https:// address")
            url = ""
        texts: dict[str, str | None] = {}
        for key in ("name", "section", "lang"):
            item = table.get(key)
            if item is not None and (not isinstance(item, str) or not item.strip()):
                errors.append(f"{where}: '{key}' must be non-empty text")
                item = None
            texts[key] = " ".join(item.split()) if isinstance(item, str) else None
        sources.append(Source(url, texts["name"], texts["section"], texts["lang"]))
    return tuple(sources), errors


def _finished(values: dict[str, Any], errors: list[str], source: str) -> Config:
    """Checked settings of every layer -> the Config, or one DigestError with every fault."""
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
    if c.article_text not in ARTICLE_TEXT_CHOICES:
        allowed = ", ".join(f"'{choice}'" for choice in ARTICLE_TEXT_CHOICES)
        errors.append(f"'article_text' must be one of {allowed}, not {c.article_text!r}")
    if c.keyword_backend not in ("yake-rust", "yake"):
        errors.append("'keyword_backend' must be 'yake-rust' or 'yake'")
    if not 0.0 <= c.story_time_bonus <= 1.0 or c.story_time_scale_hours <= 0:
        errors.append("'story_time_bonus' must be 0–1 and 'story_time_scale_hours' above 0")
    if not 0.0 <= c.story_text_floor <= 1.0:
        errors.append("'story_text_floor' must be 0–1")
    for name in ("story_threshold", "duplicate_threshold", "topic_threshold"):
        if not 0.0 < getattr(c, name) <= 1.0:
            errors.append(f"'{name}' must be above 0 and at most 1")
    for name in ("archive_threshold", "top_stories"):
        if getattr(c, name) < 0:
            errors.append(f"'{name}' must be 0 or more")
    if not 0.0 < c.section_min_score <= 1.0:
        errors.append("'section_min_score' must be above 0 and at most 1")
    for name in (
        "keywords_per_article",
        "topic_min_stories",
        "keyword_max_words",
        "lead_sentences",
        "max_topics",
        "keyword_page_min_articles",
        "topic_page_stories",
    ):
        if getattr(c, name) < 1:
            errors.append(f"'{name}' must be at least 1")
    if c.summary_min_words < 1 or c.summary_max_words < c.summary_min_words:
        errors.append("'summary_min_words' must be at least 1 and at most 'summary_max_words'")
    if not 0.0 <= c.fetch_delay <= 3600:
        errors.append("'fetch_delay' must be 0–3600 seconds")
    if not 1 <= c.fetch_concurrency <= 64:
        errors.append("'fetch_concurrency' must be 1–64")
    if c.story_window_days < 0:
        errors.append("'story_window_days' must be 0 or more")
    if c.base_url is not None:
        # Not urls.http_url: the site's own address is held to more (no query,
        # fragment or spaces; "HTTP://" refused) than a link in an article.
        parts = urlsplit(c.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            errors.append("'base_url' must be an http:// or https:// address")
        elif parts.query or parts.fragment or any(ch.isspace() for ch in c.base_url):
            errors.append("'base_url' must not contain spaces, a query or a fragment")
    if not valid_timezone(c.timezone):
        errors.append(
            f"'timezone' must be an IANA time zone name such as Europe/London, not {c.timezone!r}"
        )
    return errors


def valid_timezone(name: str) -> bool:
    """Whether `name` is a time zone the system's (or tzdata's) database knows."""
    if name == "UTC":
        return True  # needs no database
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True
