"""Frozen records passed between the build stages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

BlockKind = Literal["p", "h", "ul", "ol", "quote"]


class DigestError(Exception):
    """A fault that stops a build: broken config, template or output path."""


@dataclass(frozen=True)
class Problem:
    """Something wrong with one input file; recorded, never fatal."""

    path: str
    reason: str

    def shown(self) -> str:
        """ "path: reason" for a terminal: a file name is the content's, so its
        control and bidirectional-override characters (which move the cursor or
        reverse the text around them) are shown as escapes."""
        return f"{terminal_safe(self.path)}: {terminal_safe(self.reason)}"


# C0 and C1 controls, and the characters that change the direction of text
_UNSAFE_ON_TERMINAL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """Text for a terminal -> the same with its control and direction characters escaped."""
    return _UNSAFE_ON_TERMINAL.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


@dataclass(frozen=True)
class Block:
    """One block of article text: a paragraph, heading, quote or list."""

    kind: BlockKind
    text: str = ""
    items: tuple[str, ...] = ()

    def texts(self) -> tuple[str, ...]:
        """The block's text pieces: its items for a list, else its text."""
        return self.items if self.kind in ("ul", "ol") else (self.text,)


@dataclass(frozen=True)
class Meta:
    """Metadata a loader found in the file (front matter, header lines, tags)."""

    title: str | None = None
    date: str | None = None  # ISO 8601 date or date-time
    source: str | None = None  # outlet name or domain
    url: str | None = None  # http(s) only
    author: str | None = None
    tags: tuple[str, ...] = ()
    lang: str | None = None
    section: str | None = None
    story: str | None = None  # editor override: pin to a story key
    exclude: bool = False
    # where the source name came from: "meta", "links", "email", "promo"
    source_evidence: str | None = None


@dataclass(frozen=True)
class Document:
    """A loaded file: metadata plus raw blocks, before cleaning."""

    path: str  # relative to the content folder, "/"-separated
    meta: Meta
    blocks: tuple[Block, ...]
    headline: str | None = None  # a first line that reads as a headline
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class Keyword:
    """A keyphrase of an article: display label, folded key, score (higher is better)."""

    label: str
    key: str
    score: float


@dataclass(frozen=True)
class Article:
    """A cleaned and analysed article, ready to be grouped and rendered."""

    id: str
    path: str
    title: str
    title_derived: bool  # True when the title was made from the lead
    meta: Meta
    blocks: tuple[Block, ...]  # cleaned text for display
    sentences: tuple[str, ...]  # body sentences (display form), headings excluded
    lead: tuple[str, ...]
    keywords: tuple[Keyword, ...]
    # analysis terms, distinct and sorted, and how often each occurs (two flat
    # tuples: as (term, count) pairs they took 9 of an article's 19 KB in memory)
    terms: tuple[str, ...]
    term_counts: tuple[int, ...]
    shingles: bytes  # hashed word 3-grams for near-duplicate detection (terms.shingles)
    word_count: int
    problems: tuple[Problem, ...] = ()
    lang: str = "en"  # ISO 639-1: front matter, <html lang>, else told from the text

    @property
    def source_label(self) -> str:
        return self.meta.source or "source unknown"

    def counts(self) -> dict[str, int]:
        """Analysis term -> how often the article uses it, in term order."""
        return dict(zip(self.terms, self.term_counts, strict=True))


@dataclass(frozen=True)
class SummarySentence:
    text: str
    article: str  # article id


@dataclass(frozen=True)
class RelatedStory:
    """A story related to another: its id and the labels of the keywords both have."""

    story: str
    shared: tuple[str, ...]


@dataclass(frozen=True)
class PairEvidence:
    """Why two articles count as alike: words, time apart, and what grouping counted."""

    words: float  # TF-IDF cosine of their words, 0–1
    hours_apart: float | None  # when both dates carry a time of day
    counted: float  # the similarity grouping summed (words + time bonus, or 0 out of window)
    too_far: bool = False  # dated further apart than the story window: counted as 0
    # Long articles whose words count less than their cosine: what the words
    # counted, bounded by their similarity through distinctive terms alone
    # (`cluster.word_part`); None when the words counted in full.
    word_part: float | None = None
    distinctive: float | None = None

    @property
    def words_counted(self) -> float:
        """What the words counted (their cosine, unless distinctive terms bounded it)."""
        return self.words if self.word_part is None else self.word_part

    @property
    def time_bonus(self) -> float:
        """What publication time added (0 when it did not count)."""
        return 0.0 if self.too_far else max(0.0, self.counted - self.words_counted)


@dataclass(frozen=True)
class StoryEvidence:
    """A story's figures: its pairs, their averages, time span and shared terms."""

    pairs: tuple[tuple[int, int, PairEvidence], ...]  # (i, j) into the articles, i < j
    counted: float  # mean counted similarity over all pairs (what met the threshold)
    words: float  # mean word similarity over all pairs
    joined_by_time: int  # pairs whose time bonus lifted them to the threshold
    hours_span: float | None  # first to last publication, when every article has a time
    shared_terms: tuple[tuple[str, int], ...]  # (term, how many articles use it), >= 2


@dataclass(frozen=True)
class SharedKeyword:
    """A story keyword and how many of the story's reports mention it."""

    key: str
    label: str
    reports: int


@dataclass(frozen=True)
class Story:
    """Articles covering one event, with a cited extractive summary."""

    id: str
    title: str
    articles: tuple[str, ...]  # article ids, ordered by date then id
    duplicates: tuple[tuple[str, str], ...]  # (article id, id of the version it repeats)
    keywords: tuple[Keyword, ...]
    summary: tuple[SummarySentence, ...]
    cohesion: float  # mean pairwise similarity of its articles
    date: str | None  # newest article date
    topic: str | None = None
    related: tuple[RelatedStory, ...] = ()  # most related first
    # why its articles are together (stories of two or more articles): what grouping
    # counted, its strongest pairs, and the keywords two or more reports mention
    evidence: StoryEvidence | None = None
    shared_keywords: tuple[SharedKeyword, ...] = ()


@dataclass(frozen=True)
class Topic:
    id: str
    label: str
    stories: tuple[str, ...]


@dataclass(frozen=True)
class Site:
    """Everything the renderer needs."""

    title: str
    description: str
    base_url: str | None
    build_date: str | None
    articles: tuple[Article, ...]
    stories: tuple[Story, ...]
    topics: tuple[Topic, ...] = ()
    top_stories: tuple[str, ...] = ()  # ids of the stories opening the front page, in order


@dataclass(frozen=True)
class BuildReport:
    """What a build did: counts, problems, where the site went, how long each stage took."""

    output: str
    articles: int
    stories: int
    files_written: int
    files_unchanged: int
    problems: tuple[Problem, ...]
    seconds: float
    # content files whose analysis came from the cache / had to be computed
    cache_hits: int = 0
    cache_misses: int = 0
    # cache entries and build state found but refused (unreadable, malformed, not
    # fitting their file, a link or a pipe): recomputed, never an error
    cache_refused: int = 0
    # (stage, seconds) in pipeline order: load, analyse, group, render, write
    timings: tuple[tuple[str, float], ...] = ()
    # nothing had changed since the last build: the site on disk was left as it was
    up_to_date: bool = False
    # output files rendered, and pages taken unchanged from the last build's site
    # (`digest.render.Ledger`; both 0 without the cache, which keeps no fingerprints)
    pages_rendered: int = 0
    pages_reused: int = 0
    # stories taken whole from the story cache / whose members' part was reused and
    # summary and figures weighed again (the IDF moved) / made anew (`story_cache`)
    story_hits: int = 0
    story_reweighed: int = 0
    story_misses: int = 0
