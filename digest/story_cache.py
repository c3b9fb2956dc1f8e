"""Story results kept on disk between builds (`.digest-cache/stories/`).

What `stories.make_story` decides about one group comes in two parts:

- what the group's members alone decide — the story's keywords, the keywords
  its reports share, and the content terms of every sentence its summary may
  use (`summarize.candidate_terms`, half the time of summarising);
- what term weights (the IDF of the news around its articles, `digest.weights`)
  decide as well — the summary and the figures on why its articles are together.

An entry is keyed by exactly what the first part depends on: the members (a
hash of each analysed record), which of them repeat another (the group's
duplicate pairs), the config, digest's version and the source of the modules
that make a story (STORY_MODULES), and the versions of Python and numpy. The
second part is kept in the entry with a hash of the articles of the IDF windows
it was weighed with (`weights_hash`: its first report's window and each
member's), and reused only while those windows hold the same articles, which
fixes every weight it looked up; otherwise it is weighed again from the first
part. An article added today changes the windows of the last two weeks only.

The cache folder is untrusted (see `digest.cache`, whose safe readers and
writers this module uses): an entry is used only when it decodes into the
current records, type for type, and fits the group it is keyed by — keywords
its reports have, summary sentences that are sentences (or headlines) of the
reports they cite, evidence about pairs of its own articles, one term list per
sentence a summary may use. Anything else is a miss, counted in `refused`,
never an error. A build saves only the entries it used or made.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import hashlib
import json
import sys
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digest import cache
from digest.config import Config
from digest.models import Article, Keyword, SharedKeyword, StoryEvidence, SummarySentence

FORMAT = 2  # bump when the entry layout changes
# One file holds every entry: a build looks up every story, and reading one file is
# far cheaper than reading a file per story (about 0.5 ms each).
STORE = "stories.json"
# About 3 KB a story (most of it the terms of its sentences); past this, no cache.
MAX_STORE_BYTES = 512 * 1024 * 1024

# The modules that make a story from its group (`stories` and every digest module it
# imports, directly or not: a test keeps this list complete), this one among them;
# a change to any of them empties the story cache. Through `cache` that reaches the
# per-article modules too.
STORY_MODULES = tuple(
    sorted(
        {
            "stories",
            "story_cache",
            "summarize",
            "evidence",
            "cluster",
            "weights",
            *cache.ANALYSIS_MODULES,
        }
    )
)


# Config fields the story modules never read (rendering, topics, fetching and
# writing settings): a change to one keeps the story cache. Every other field is
# part of its fingerprint (a test checks the story modules read none of these).
NOT_STORY_FIELDS = frozenset(
    {
        "title",
        "description",
        "base_url",
        "article_text",
        "content",
        "output",
        "cache",
        "topic_threshold",
        "max_topics",
        "topic_min_stories",
        "section_min_score",
        "sections",
        "sources",
        "allow_private",
        "fetch_delay",
        "fetch_concurrency",
        "archive_threshold",
        "top_stories",
        "keyword_page_min_articles",
        "search",
        "timezone",
    }
)


@dataclass(frozen=True)
class Members:
    """What a story's members alone decide (the IDF aside)."""

    keywords: tuple[Keyword, ...]
    shared_keywords: tuple[SharedKeyword, ...]
    terms: tuple[tuple[str, ...], ...]  # of each candidate sentence of the summary
    # of each candidate sentence, when they all come from one report (no IDF in it)
    relevance: tuple[float, ...] | None


@dataclass(frozen=True)
class Weighed:
    """What term weights decide too, and a hash of what fixed them (`weights_hash`)."""

    idf: str
    summary: tuple[SummarySentence, ...]
    evidence: StoryEvidence | None


@dataclass(frozen=True)
class Entry:
    members: Members
    weighed: Weighed


class StoryCache:
    """The story entries of the cache folder (one file, STORE), for one configuration."""

    def __init__(self, folder: Path, config: Config) -> None:
        self.folder = folder
        self.fingerprint = fingerprint(config)
        self.hits = 0  # stories taken whole from the cache
        self.reweighed = 0  # members' part reused, summary and figures weighed again
        self.misses = 0
        self.refused = 0  # the file or entries found but not used: malformed, not fitting
        self._stored: dict[str, Any] | None = None  # key -> an entry's data, once read
        self._kept: dict[str, Any] = {}  # what this build used or made, to be saved

    def key(self, members: Sequence[str], duplicates: Sequence[tuple[str, str]]) -> str:
        """Hashes of a story's members (in story order) and its duplicate pairs (as
        article ids) -> the key of its entry."""
        parts = json.dumps([FORMAT, self.fingerprint, list(members), list(duplicates)])
        return hashlib.sha256(parts.encode("utf-8")).hexdigest()

    def get(self, key: str) -> Entry | None:
        """The entry stored under `key` (decoded, not yet checked against its group),
        or None when there is none or it is malformed. A got entry is kept (`save`).

        Its sentences' terms and relevance are left out (`Members.terms` empty,
        `relevance` None): only a story weighed again reads them, and they are most
        of an entry; `sentences` decodes them for that story."""
        data = self._entries().get(key)
        if data is None:
            return None
        try:
            entry = decode_entry(data, sentences=False)
        except (ValueError, KeyError, TypeError, OverflowError, RecursionError):
            self.refused += 1
            return None
        self._kept[key] = data
        return entry

    def sentences(self, key: str) -> tuple[tuple[tuple[str, ...], ...], tuple[float, ...] | None]:
        """The terms of each candidate sentence and their relevance, of an entry
        `get` gave; TypeError when they are malformed (the caller refuses the entry)."""
        data = self._kept[key]
        return _sentence_terms(data), _relevance(data)

    def put(self, key: str, entry: Entry) -> None:
        """Keep an entry made by this build, to be saved (in place of any got)."""
        self._kept[key] = encode_entry(entry)

    def drop(self, key: str) -> None:
        """Forget an entry that was got but turned out not to fit its group."""
        self._kept.pop(key, None)

    def _entries(self) -> dict[str, Any]:
        if self._stored is None:
            self._stored = {}
            data = cache.read_below(self.folder, STORE, MAX_STORE_BYTES)
            if data is not None:
                try:
                    stored = _loads_uncollected(data)
                    if type(stored) is not dict:
                        raise TypeError("not a store")
                    if stored.get("format") != FORMAT:
                        return self._stored  # another digest's: not this one's, not refused
                    entries = stored["entries"]
                    if type(entries) is not dict:
                        raise TypeError("not entries")
                    self._stored = entries
                except (ValueError, KeyError, TypeError, RecursionError):
                    self.refused += 1
        return self._stored

    def save(self) -> None:
        """Write the entries this build used or made (and only those: the others are
        dropped), atomically, unless they are what the file holds already. A cache
        that cannot be written is skipped; an entry that cannot be encoded (a lone
        surrogate) is left out."""
        if self._kept == self._entries():
            return
        try:
            data = _store_bytes(self._kept)
        except (TypeError, ValueError, UnicodeError):  # a lone surrogate somewhere
            data = _store_bytes({k: v for k, v in self._kept.items() if _encodable(v)})
        if len(data) > MAX_STORE_BYTES:
            return
        with contextlib.suppress(OSError):
            cache.write_below(self.folder, STORE, data)


def _loads_uncollected(data: bytes) -> Any:
    """`cache.loads` with the cyclic garbage collector paused: JSON makes no reference
    cycles, and the store's million lists and strings set off collection after
    collection (0.80 -> 0.32 s of CPU for the 14 MB store of 5,000 articles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return cache.loads(data)
    finally:
        if enabled:
            gc.enable()


def _store_bytes(entries: dict[str, Any]) -> bytes:
    store = {"format": FORMAT, "entries": dict(sorted(entries.items()))}
    return json.dumps(store, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _encodable(data: Any) -> bool:
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError, UnicodeError):
        return False
    return True


def article_hash(article: Article) -> str:
    """An analysed article -> a hash of every field a story reads of it (all but its
    display blocks and shingles), which identifies it as a story member."""
    a = article
    digest = hashlib.sha256()
    small = (a.id, a.path, a.title, a.title_derived, a.meta, a.keywords, a.term_counts)
    digest.update(repr((*small, a.word_count, a.lang)).encode("utf-8", "surrogatepass"))
    for texts in (a.sentences, a.lead, a.terms):  # joined, with their lengths: unambiguous
        digest.update(array("q", [len(texts), *map(len, texts)]).tobytes())
        digest.update("\0".join(texts).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def weights_hash(windows: Sequence[str]) -> str:
    """Keys of the IDF windows a story weighs with (`weights.TermWeights.window_key`),
    in the order it looks them up -> their hash (of none: a story of one article)."""
    digest = hashlib.sha256(b"windows")
    for window in windows:
        digest.update(b"\0" + window.encode())
    return digest.hexdigest()


def encode_entry(entry: Entry) -> dict[str, Any]:
    """An entry -> JSON-ready data (lists, not the generic `cache.encode` of records:
    an entry holds thousands of terms, and this is five times faster)."""
    part, weighed = entry.members, entry.weighed
    return {
        "keywords": [[k.label, k.key, k.score] for k in part.keywords],
        "shared": [[s.key, s.label, s.reports] for s in part.shared_keywords],
        "terms": part.terms,
        "relevance": part.relevance,
        "idf": weighed.idf,
        "summary": [[s.text, s.article] for s in weighed.summary],
        "evidence": cache.encode(weighed.evidence),
    }


_FIELDS = frozenset({"keywords", "shared", "terms", "relevance", "idf", "summary", "evidence"})


def decode_entry(data: Any, sentences: bool = True) -> Entry:
    """`encode_entry`'s data -> the entry; TypeError when it is not one, type for type.
    Without `sentences`, the terms of its sentences and their relevance are left
    out (empty, None): `StoryCache.sentences` decodes them when needed."""
    if type(data) is not dict or data.keys() != _FIELDS or type(data["idf"]) is not str:
        raise TypeError("not an entry")
    keywords = tuple(
        Keyword(_str(label), _str(k), _number(score))
        for label, k, score in _rows(data["keywords"], 3)
    )
    shared = tuple(
        SharedKeyword(_str(k), _str(label), _int(n)) for k, label, n in _rows(data["shared"], 3)
    )
    terms: tuple[tuple[str, ...], ...] = ()
    relevance = None
    if sentences:
        terms, relevance = _sentence_terms(data), _relevance(data)
    summary = tuple(SummarySentence(_str(text), _str(a)) for text, a in _rows(data["summary"], 2))
    evidence = cache.decode(StoryEvidence | None, data["evidence"])
    return Entry(
        Members(keywords, shared, terms, relevance), Weighed(data["idf"], summary, evidence)
    )


def _sentence_terms(data: dict[str, Any]) -> tuple[tuple[str, ...], ...]:
    return tuple(_strings(row) for row in _list(data["terms"]))


def _relevance(data: dict[str, Any]) -> tuple[float, ...] | None:
    found = data["relevance"]
    return None if found is None else tuple(_number(x) for x in _list(found))


def _list(data: Any) -> list[Any]:
    if type(data) is not list:
        raise TypeError("not a list")
    return data


def _rows(data: Any, size: int) -> list[list[Any]]:
    rows = _list(data)
    if not all(type(row) is list and len(row) == size for row in rows):
        raise TypeError("not rows")
    return rows


def _strings(data: Any) -> tuple[str, ...]:
    if type(data) is not list or not all(type(t) is str for t in data):
        raise TypeError("not a list of strings")
    return tuple(data)


def _str(data: Any) -> str:
    if type(data) is not str:
        raise TypeError("not a string")
    return data


def _int(data: Any) -> int:
    if type(data) is not int:
        raise TypeError("not an int")
    return data


def _number(data: Any) -> float:
    if type(data) not in (int, float):
        raise TypeError("not a number")
    return float(data)


def fingerprint(config: Config) -> str:
    """Everything besides its members that a story depends on."""
    import numpy  # summaries are weighed with it (grouping has imported it already)

    import digest

    settings = [
        (f.name, getattr(config, f.name))
        for f in dataclasses.fields(config)
        if f.name not in NOT_STORY_FIELDS
    ]
    parts = [
        FORMAT,
        repr(settings),
        digest.__version__,
        _code_hash(),
        numpy.__version__,
        list(sys.version_info[:2]),
    ]
    return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()


@functools.cache
def _code_hash() -> str:
    """Hash of the modules that make a story."""
    digest = hashlib.sha256()
    for name in sorted(STORY_MODULES):
        path = cache.module_path(name)
        digest.update(name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def fits(entry: Entry, reports: Sequence[Article], members: Sequence[Article]) -> bool:
    """Whether a decoded entry could be what `stories.make_story` makes of a group
    with these reports and members: keywords the reports have, the keywords they
    share counted within bounds, summary sentences taken from the reports they
    cite, evidence about pairs of the members. (That the terms fit the candidate
    sentences is checked where they are used.)"""
    from digest.summarize import summary_texts

    labels = {(kw.key, kw.label) for a in reports for kw in a.keywords}
    found = entry.members
    if not all((kw.key, kw.label) in labels and 0 <= kw.score <= 1 for kw in found.keywords):
        return False
    keys = {kw.key: kw.label for kw in found.keywords}
    if not all(
        keys.get(s.key) == s.label and 2 <= s.reports <= len(reports) for s in found.shared_keywords
    ):
        return False
    texts = {a.id: summary_texts(a) for a in reports}
    if not all(s.text in texts.get(s.article, ()) for s in entry.weighed.summary):
        return False
    return _evidence_fits(entry.weighed.evidence, len(members))


def _evidence_fits(evidence: StoryEvidence | None, n: int) -> bool:
    if evidence is None:
        return n < 2
    return (
        n >= 2
        and all(0 <= i < j < n for i, j, _ in evidence.pairs)
        and len({(i, j) for i, j, _ in evidence.pairs}) == len(evidence.pairs)
        and all(2 <= count <= n and bool(term) for term, count in evidence.shared_terms)
        and _finite_figures(evidence)
        and 0 <= evidence.joined_by_time <= n * (n - 1) // 2  # (pairs lists the strongest only)
    )


def _finite_figures(evidence: StoryEvidence) -> bool:
    """Figures in the ranges grouping gives (JSON brings no NaN: `cache.loads`)."""
    numbers: list[Any] = [evidence.counted, evidence.words]
    for _, _, pair in evidence.pairs:
        numbers += [pair.words, pair.counted]
        numbers += [x for x in (pair.word_part, pair.distinctive) if x is not None]
    hours = [evidence.hours_span, *(p.hours_apart for _, _, p in evidence.pairs)]
    return all(-1e-6 <= x <= 100 for x in numbers) and all(h is None or h >= 0 for h in hours)
