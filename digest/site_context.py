"""What the templates look up: a `Site` and its config -> ids to records, each
story's articles, versions and similarity figures, keyword, topic, outlet and
archive pages, and the few words and dates pages format the same way.

Built once per build (and once per render worker, from the same site), read by
`digest.render` and `digest.page_inputs`; it decides nothing a build could
cache: grouping, stories and topics are decided before (`digest.stories`,
`digest.topics`).
"""

from __future__ import annotations

import datetime as dt
import gettext
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import markupsafe

from digest import i18n
from digest.config import Config
from digest.keywords import names_something
from digest.models import (
    Article,
    Site,
    Story,
    StoryEvidence,
    SummarySentence,
    Topic,
)
from digest.slugs import unique_slugs
from digest.urls import http_url

if TYPE_CHECKING:
    import jinja2  # digest.render is the one module that imports it

# On a digest large enough for date archives, the front page shows this many
# stories of each topic and links to the topic page for the rest.
INDEX_STORIES_PER_TOPIC = 6
# A top story's card shows two summary sentences when they fit in this many words.
BRIEF_WORDS = 50
UNDATED = "undated"
NO_EVIDENCE = StoryEvidence((), 0.0, 0.0, 0, None, ())


def month_name(day: str, language: str = i18n.DEFAULT) -> str:
    """ "2023-06-24" -> "June 2023" ("juin 2023" in French)."""
    try:
        return i18n.format_month(dt.date.fromisoformat(day[:10]), language)
    except ValueError:
        return day


@dataclass(frozen=True)
class Outlet:
    """An outlet (the `source` of articles) and its articles, newest first."""

    key: str | None  # None for articles whose source is unknown
    label: str
    slug: str
    articles: tuple[Article, ...]
    stories: int


@dataclass(frozen=True)
class Similarity:
    a: Article
    b: Article
    value: float  # what grouping counted for the pair, 0–1 (words + time bonus)
    versions: bool  # the two are versions of one report
    words: float = 0.0  # TF-IDF cosine of their words, 0–1
    hours_apart: float | None = None  # when both carry a time of day
    time_bonus: float = 0.0  # what publication time added to the words
    too_far: bool = False  # dated further apart than the story window
    # long texts whose words counted less than their cosine: their similarity
    # through distinctive terms alone, which bounded it (`cluster.word_part`)
    distinctive: float | None = None


@dataclass(frozen=True)
class Related:
    story: Story
    shared: tuple[str, ...]  # labels of the keywords both stories have


class SiteContext:
    """Look-ups the templates need: ids to records, pages, keywords, outlets, archive."""

    def __init__(self, site: Site, config: Config, excerpts: frozenset[str] = frozenset()) -> None:
        self.site = site
        self.config = config
        self.excerpts = excerpts  # ids of the articles shown as excerpts
        self.words: gettext.NullTranslations = i18n.translations(config.language)
        self.unknown_source = self.words.gettext("source unknown")
        self.articles = {a.id: a for a in site.articles}
        self.stories = {s.id: s for s in site.stories}
        self.topics = {t.id: t for t in site.topics}
        self.story_of: dict[str, Story] = {}
        self.duplicate_of: dict[str, str] = {}
        for story in site.stories:
            for article_id in story.articles:
                self.story_of[article_id] = story
            self.duplicate_of.update(dict(story.duplicates))
        # versions of one report, by the id of the fullest version
        self.families: dict[str, list[str]] = defaultdict(list)
        for version, main in sorted(self.duplicate_of.items()):
            if not self.families[main]:
                self.families[main].append(main)
            self.families[main].append(version)
        for family in self.families.values():
            family.sort()
        labels: dict[str, str] = {}
        self.keyword_articles: dict[str, list[Article]] = defaultdict(list)
        self.keyword_stories: dict[str, list[Story]] = defaultdict(list)
        for article in site.articles:
            for kw in article.keywords:
                labels.setdefault(kw.key, kw.label)
                self.keyword_articles[kw.key].append(article)
        for story in site.stories:
            for kw in story.keywords:
                labels[kw.key] = kw.label  # a story's label is the majority form
                self.keyword_stories[kw.key].append(story)
        self.keyword_labels = labels
        least = config.keyword_page_min_articles
        with_page = [
            key
            for key in labels
            if len(self.keyword_articles[key]) >= least or len(self.keyword_stories[key]) >= least
            if names_something(labels[key], self._language_of(key, config.language))
        ]
        self.keyword_slugs = unique_slugs(with_page)
        self.has_archive = len(site.stories) > config.archive_threshold
        self._months: dict[str, list[tuple[str, list[Story]]]] = {}
        self._card_macro: Any = None
        self._cards: dict[tuple[str, str, int, bool], markupsafe.Markup] = {}

    def _language_of(self, key: str, default: str) -> str:
        """A keyword -> the language of the first article using it (`default` when
        only stories have it)."""
        users = self.keyword_articles.get(key)
        return users[0].lang if users else default

    def use_templates(self, env: jinja2.Environment) -> None:
        """The environment whose `_macros.html` (the project's, if it has one) draws
        story cards."""
        self._card_macro = env.get_template("_macros.html").module.story_card  # type: ignore[attr-defined]
        self._cards.clear()

    def story_card(
        self, story: Story, root: str, level: int = 2, summary: bool = True
    ) -> markupsafe.Markup:
        """The `story_card` macro's HTML for a story, drawn once per story and form
        and reused: a story's card is on its topic's page, its day in the archive and
        each of its keywords' pages (the front page has its own, shorter forms)."""
        key = (story.id, root, level, summary)
        card = self._cards.get(key)
        if card is None:
            card = self._cards[key] = self._card_macro(story, root, self, level, summary=summary)
        return card

    # --- addresses -------------------------------------------------------

    def absolute(self, path: str) -> str | None:
        """A path in the site -> its public address, or None without a base URL."""
        return self.site.base_url + path if self.site.base_url else None

    def story_page(self, story_id: str) -> str:
        return f"stories/{story_id}.html"

    def story_feed(self, story_id: str) -> str:
        return f"stories/{story_id}.xml"

    def topic_page(self, topic_id: str) -> str:
        return f"topics/{topic_id}.html"

    def topic_feed(self, topic_id: str) -> str:
        return f"topics/{topic_id}.xml"

    def article_page(self, article_id: str) -> str:
        return f"articles/{article_id}.html"

    def keyword_page(self, key: str) -> str | None:
        """The keyword's page, or None for a keyword too rare to have one."""
        slug = self.keyword_slugs.get(key)
        return f"keywords/{slug}.html" if slug is not None else None

    def outlet_page(self, outlet: Outlet) -> str:
        return f"sources/{outlet.slug}.html"

    def outlet_page_of(self, article: Article) -> str:
        return self.outlet_page(self.outlet_by_key[article.meta.source])

    def archive_page(self, day: str) -> str:
        return f"archive/{day}.html"

    # --- stories and their reports --------------------------------------

    def topic_stories(self, topic: Topic) -> list[Story]:
        return [self.stories[s] for s in topic.stories]

    def topic_front(self, topic: Topic) -> list[Story]:
        """The stories a topic's page lists: its first `topic_page_stories`."""
        return [self.stories[s] for s in topic.stories[: self.config.topic_page_stories]]

    def topic_months(self, topic: Topic) -> list[tuple[str, list[Story]]]:
        """A topic with more stories than its page lists -> its stories by month of
        their newest report ("2024-05"), newest month first, then "undated"; each
        month's in the topic's order. Empty for a topic whose page lists them all.
        A story stays on its month's page as the topic grows, so an added day
        changes the page of its month, not every page after it."""
        if len(topic.stories) <= self.config.topic_page_stories:
            return []
        found = self._months.get(topic.id)
        if found is None:
            months: dict[str, list[Story]] = defaultdict(list)
            for story in self.topic_stories(topic):
                day = story.date[:10] if story.date and _is_day(story.date[:10]) else UNDATED
                months[day[:7] if day != UNDATED else UNDATED].append(story)
            dated = sorted((m for m in months if m != UNDATED), reverse=True)
            found = [(m, months[m]) for m in dated]
            if UNDATED in months:
                found.append((UNDATED, months[UNDATED]))
            self._months[topic.id] = found
        return found

    def topic_month_page(self, topic_id: str, month: str) -> str:
        return f"topics/{topic_id}/{month}.html"

    def month_label(self, month: str) -> str:
        """ "2024-05" -> "May 2024" in the site's language; "undated" -> "Undated"."""
        if month == UNDATED:
            return self.words.gettext("Undated")
        return month_name(f"{month}-01", self.config.language)

    def front_page_stories(self, topic: Topic) -> list[Story]:
        """A topic's stories on the front page: those not already among the top
        stories above it, all of them or the first few once the digest is large
        enough to have an archive (the topic page lists every one)."""
        top = set(self.site.top_stories)
        stories = [self.stories[s] for s in topic.stories if s not in top]
        return stories[:INDEX_STORIES_PER_TOPIC] if self.has_archive else stories

    def front_page_topics(self) -> list[tuple[Topic, list[Story]]]:
        """The topic sections of the front page with their stories, leaving out a
        topic whose stories all opened the page as top stories."""
        sections = ((topic, self.front_page_stories(topic)) for topic in self.site.topics)
        return [(topic, shown) for topic, shown in sections if shown]

    def top_stories(self) -> list[Story]:
        """The stories opening the front page, in order (chosen by `stories.top_stories`)."""
        return [self.stories[i] for i in self.site.top_stories]

    def brief_summary(self, story: Story) -> tuple[SummarySentence, ...]:
        """A story's summary cut for a card: its first sentence, and the second when
        the two stay within BRIEF_WORDS words."""
        first = story.summary[:1]
        if len(story.summary) > 1:
            words = sum(len(s.text.split()) for s in story.summary[:2])
            if words <= BRIEF_WORDS:
                return story.summary[:2]
        return first

    def reports(self, story: Story) -> list[Article]:
        """A story's distinct reports (versions of one report folded into the first)."""
        return [self.articles[i] for i in story.articles if i not in self.duplicate_of]

    def versions(self, article_id: str) -> list[Article]:
        """Other versions of the same report as this article."""
        main = self.duplicate_of.get(article_id, article_id)
        return [self.articles[i] for i in self.families.get(main, ()) if i != article_id]

    def is_excerpt(self, article: Article) -> bool:
        """Whether the site shows only an excerpt of the article (`digest.excerpts`)."""
        return article.id in self.excerpts

    def original_site(self, article: Article) -> str:
        """Who publishes an article's original, for "Read the full article at …":
        its outlet, or the host of its URL when the outlet is unknown."""
        if article.meta.source:
            return article.meta.source
        url = http_url(article.meta.url) if article.meta.url else None
        host = (urlsplit(url).hostname or "") if url else ""
        return host.removeprefix("www.") or self.source_label(article)

    def source_label(self, article: Article) -> str:
        """An article's outlet, or "source unknown" in the site's language."""
        return article.meta.source or self.unknown_source

    def citation_numbers(self, story: Story) -> dict[str, int]:
        """Report id -> its number in the story page's list of reports (`coverage`)."""
        return {a.id: n for n, a in enumerate(self.coverage(story), start=1)}

    def keywords_by_count(self) -> list[tuple[str, str, int]]:
        """Keywords with a page, as (key, label, articles), most used first."""
        rows = [
            (k, self.keyword_labels[k], len(self.keyword_articles.get(k, ())))
            for k in self.keyword_slugs
        ]
        return sorted(rows, key=lambda r: (-r[2], r[1].lower(), r[0]))

    def outlet_names(self, story: Story) -> list[str]:
        """Outlets of a story's reports; a report whose versions name an outlet is
        shown under it, and "source unknown" only for a report with none."""
        names: set[str] = set()
        for report in self.reports(story):
            family = [report, *self.versions(report.id)]
            known = {a.meta.source for a in family if a.meta.source}
            names.update(known or {self.source_label(report)})
        return sorted(names)

    def outlet_count(self, story: Story) -> int:
        """How many outlets published a story's reports or their versions; an
        article whose outlet is unknown adds none."""
        return len({a.meta.source for a in self.story_articles(story) if a.meta.source})

    def story_articles(self, story: Story) -> list[Article]:
        return [self.articles[i] for i in story.articles]

    def timeline(self, story: Story) -> list[Article]:
        """Every article of a story (versions too) by date and time, oldest first;
        undated ones last. The built-in story page lists `coverage` instead; this
        stays for templates written against it."""
        return sorted(
            self.story_articles(story),
            key=lambda a: (a.meta.date is None, a.meta.date or "", a.id),
        )

    def coverage(self, story: Story) -> list[Article]:
        """A story's reports by date and time, oldest first, undated ones last
        (versions of a report are listed under it: `versions`)."""
        return sorted(
            self.reports(story),
            key=lambda a: (a.meta.date is None, a.meta.date or "", a.id),
        )

    def article_label(self, story: Story, article: Article) -> str:
        """How an article is named inside its story: the outlet, plus the title's start
        when the story has more than one article from that outlet."""
        members = [self.articles[i] for i in story.articles]
        label = self.source_label(article)
        if sum(1 for a in members if a.meta.source == article.meta.source) < 2:
            return label
        words = article.title.split()
        short = " ".join(words[:5]) + ("…" if len(words) > 5 else "")
        return f"{label}: {short}"

    def pinned(self, story: Story) -> str | None:
        """The front-matter `story` value that put these articles together, if any."""
        values = {self.articles[i].meta.story for i in story.articles}
        return values.pop() if len(values) == 1 and None not in values else None

    def evidence(self, story: Story) -> StoryEvidence:
        """What grouping counted for the story's articles (`digest.evidence`), or
        empty figures for a story of one article."""
        return story.evidence or NO_EVIDENCE

    def similarities(self, story: Story) -> list[Similarity]:
        """Pairs of a story's articles with what grouping counted for them, most
        similar first."""
        members = [self.articles[i] for i in story.articles]
        versions = {frozenset(p) for p in story.duplicates}
        pairs = []
        for i, j, e in self.evidence(story).pairs:
            a, b = members[i], members[j]
            together = frozenset((a.id, b.id)) in versions or (
                self.duplicate_of.get(a.id, a.id) == self.duplicate_of.get(b.id, b.id)
            )
            pairs.append(
                Similarity(
                    a,
                    b,
                    e.counted,
                    together,
                    e.words,
                    e.hours_apart,
                    round(e.time_bonus, 4),
                    e.too_far,
                    e.distinctive,
                )
            )
        return pairs

    def pair_count(self, story: Story) -> int:
        n = len(story.articles)
        return n * (n - 1) // 2

    def related(self, story: Story) -> list[Related]:
        return [Related(self.stories[r.story], r.shared) for r in story.related]

    # --- outlets ---------------------------------------------------------

    @cached_property
    def outlets(self) -> list[Outlet]:
        """Every outlet with its articles, most articles first; unknown sources last."""
        groups: dict[str | None, list[Article]] = defaultdict(list)
        for article in self.site.articles:
            groups[article.meta.source].append(article)
        slugs = unique_slugs(k for k in groups if k is not None)
        unknown = "unknown"
        while unknown in slugs.values():  # an outlet really called "Unknown"
            unknown += "-source"
        out = []
        for key, members in groups.items():
            members = newest_first(members)
            stories = {self.story_of[a.id].id for a in members if a.id in self.story_of}
            out.append(
                Outlet(
                    key=key,
                    label=key if key is not None else self.words.gettext("Source unknown"),
                    slug=slugs[key] if key is not None else unknown,
                    articles=tuple(members),
                    stories=len(stories),
                )
            )
        return sorted(out, key=lambda o: (o.key is None, -len(o.articles), o.label.lower(), o.slug))

    @cached_property
    def outlet_by_key(self) -> dict[str | None, Outlet]:
        return {o.key: o for o in self.outlets}

    # --- archive ---------------------------------------------------------

    @cached_property
    def archive_days(self) -> list[tuple[str, list[Story]]]:
        """Days with stories (by each story's newest article), newest first; then undated."""
        days: dict[str, list[Story]] = defaultdict(list)
        for story in self.site.stories:
            day = story.date[:10] if story.date and _is_day(story.date[:10]) else UNDATED
            days[day].append(story)
        dated = sorted((d for d in days if d != UNDATED), reverse=True)
        out = [(d, days[d]) for d in dated]
        if UNDATED in days:
            out.append((UNDATED, days[UNDATED]))
        return out

    def archive_months(self) -> list[tuple[str, list[tuple[str, int]]]]:
        """Archive days grouped by month: [("June 2023", [(day, stories), …]), …]."""
        months: dict[str, list[tuple[str, int]]] = {}
        for day, stories in self.archive_days:
            label = (
                month_name(day, self.config.language)
                if day != UNDATED
                else self.words.gettext("Undated")
            )
            months.setdefault(label, []).append((day, len(stories)))
        return list(months.items())


def _is_day(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def newest_first(articles: Iterable[Article]) -> list[Article]:
    """Articles, newest first, undated ones last, ties by id."""
    ordered = sorted(articles, key=lambda a: a.id)
    ordered.sort(key=lambda a: a.meta.date or "", reverse=True)  # stable: ids stay ascending
    return ordered
