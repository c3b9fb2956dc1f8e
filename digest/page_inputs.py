"""A page of the site -> what it is rendered from, hashed: its fingerprint.

A rebuild renders a page only when its fingerprint differs from the one the last
build recorded (`digest.state`); otherwise the page's bytes are taken from the
current site. So a fingerprint must cover everything the page shows, directly or
not: a missed input is a stale page, an incremental build that differs from a
fresh one. Each fingerprint hashes

- `site_inputs`: what every page may show or depend on — the whole config (site
  title, description, base URL, language, search, thresholds the story page
  explains…), whether the site has an archive (the navigation), the rules of
  the time zone dates are shown in, and the
  rendering environment: every file of the templates folders, digest's own code
  and translations, the versions of jinja2, markupsafe, babel and Python;
- the page's own arguments (path, template, title, description, date, feeds);
- the values its template reads: one function per page kind below, each naming
  the template(s) it mirrors and calling the same `SiteContext` look-ups the
  template calls. A change to a built-in template that reads something new
  must change its function here (the templates are hashed too, so an edited
  template re-renders every page anyway; the function keeps the *next* builds
  exact).

Records are hashed whole but for the analysis data no template reads
(`NOT_SHOWN`; a test checks that no built-in template or renderer names them).
A project's own templates can read anything: with them, every page is rendered
(`digest.pipeline`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
import zoneinfo
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from digest.bundled import builtin_templates
from digest.cache import installed_version
from digest.config import Config
from digest.feeds import rfc3339
from digest.models import Article, Story, Topic
from digest.state import code_hash

if TYPE_CHECKING:
    from digest.site_context import Outlet, SiteContext

# Bumped when what a fingerprint covers changes: every page is rendered again.
FORMAT = 1
# Record fields no page shows, blanked before a record is hashed: the analysis
# terms and shingles of an article (most of its size) and a story's cohesion (it
# moves with every new article).
NOT_SHOWN: dict[type, dict[str, Any]] = {
    Article: {"terms": (), "term_counts": (), "shingles": b""},
    Story: {"cohesion": 0.0},
}
RENDER_LIBRARIES = ("jinja2", "markupsafe", "babel")


def shown(record: Any) -> str:
    """A frozen record (models) -> its repr, with the fields in `NOT_SHOWN` blanked.

    A record's repr names every field and its value exactly (strings quoted,
    floats to the last digit, nested records the same way), and is five to ten
    times faster to make than JSON; no model field is left out of it
    (`repr=False`: a test checks)."""
    blank = NOT_SHOWN.get(type(record))
    return repr(dataclasses.replace(record, **blank) if blank else record)


def digest_of(value: Any) -> str:
    """Strings, numbers, None, records and lists or tuples of them -> the sha256
    of their repr, hex (records as `shown`)."""
    return hashlib.sha256(repr(value).encode("utf-8", "surrogatepass")).hexdigest()


def rendering_hash() -> str:
    """What rendering runs here (Python, the rendering libraries, digest's code and
    built-in templates; not where they are installed) -> one hash: a machine
    rendering pages for a build must give the same one."""
    digest = hashlib.sha256()
    parts = [("format", str(FORMAT)), ("python", sys.version), ("digest", code_hash())]
    parts += [(name, installed_version(name)) for name in RENDER_LIBRARIES]
    folder = builtin_templates()
    for path in sorted(folder.rglob("*")):
        if "__pycache__" not in path.parts and path.is_file():
            content = hashlib.sha256(path.read_bytes()).hexdigest()
            parts.append((path.relative_to(folder).as_posix(), content))
    for label, text in parts:
        data = text.encode("utf-8", "surrogateescape")
        digest.update(f"{label}:{len(data)}:".encode("utf-8", "surrogateescape") + data)
    return digest.hexdigest()


def environment_hash(template_folders: Iterable[Path | None]) -> str:
    """The templates folders, digest's code and translations, and the libraries
    rendering runs on -> one hash."""
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}:{len(data)}:".encode("utf-8", "surrogateescape"))
        digest.update(data)

    add("format", str(FORMAT).encode())
    add("python", sys.version.encode())
    for name in RENDER_LIBRARIES:
        add(name, installed_version(name).encode())
    add("digest", code_hash().encode())  # digest's code and translations
    for folder in (f for f in template_folders if f):
        label = "templates"
        add(label, str(folder).encode("utf-8", "surrogateescape"))
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            add(path.relative_to(folder).as_posix(), path.read_bytes())
    return digest.hexdigest()


def site_inputs(config: Config, ctx: SiteContext, environment: str) -> str:
    """What every page may show (config, navigation) and the rendering
    environment -> one hash, part of every page's fingerprint."""
    site = ctx.site
    return digest_of(
        {
            "environment": environment,
            "config": json.dumps(dataclasses.asdict(config), sort_keys=True, default=str),
            "site": [site.title, site.description, site.base_url],
            "archive": ctx.has_archive,
            "zone": zone_rules(config.timezone),
        }
    )


def zone_rules(zone: str) -> str:
    """The time zone pages show times in -> a hash of its rules as `zoneinfo` reads
    them (the system's tz database file, else the tzdata package), "" for UTC: a
    new tz database can move a time shown on a page."""
    if zone == "UTC":
        return ""
    digest = hashlib.sha256(installed_version("tzdata").encode())
    if ".." not in zone.split("/"):
        for folder in zoneinfo.TZPATH:
            path = Path(folder, *zone.split("/"))
            if path.is_file():
                digest.update(path.read_bytes())
                break
    return digest.hexdigest()


class PageInputs:
    """The values each kind of page is rendered from, for one site: records
    hashed once and shared between the pages that show them."""

    def __init__(self, ctx: SiteContext) -> None:
        self.ctx = ctx
        self._articles: dict[str, str] = {}
        self._cards: dict[tuple[str, bool], str] = {}

    # --- what several pages show ------------------------------------------

    def article(self, article: Article) -> str:
        """An article as any page shows it: its record (after `restrict_site`),
        whether it is an excerpt and where its original is."""
        found = self._articles.get(article.id)
        if found is None:
            ctx = self.ctx
            found = self._articles[article.id] = digest_of(
                [shown(article), ctx.is_excerpt(article), ctx.original_site(article)]
            )
        return found

    def keyword_pages(self, keys: Iterable[str]) -> list[tuple[str, str | None]]:
        """`keyword_link`: each key with its page (None: shown without a link)."""
        return [(key, self.ctx.keyword_page(key)) for key in keys]

    def card(self, story: Story, summary: bool = True) -> str:
        """`_macros.html` `story_card` (and `story_line`, `top_story_card`): what a
        story's card shows."""
        key = (story.id, summary)
        found = self._cards.get(key)
        if found is None:
            ctx = self.ctx
            found = self._cards[key] = digest_of(
                {
                    "id": story.id,
                    "title": story.title,
                    "date": story.date,
                    "reports": len(ctx.reports(story)),
                    "outlets": ctx.outlet_count(story),
                    "outlet_names": ctx.outlet_names(story),
                    "summary": [s.text for s in story.summary] if summary else None,
                    "keywords": story.keywords[:6],
                    "keyword_pages": self.keyword_pages(k.key for k in story.keywords[:6]),
                }
            )
        return found

    # --- one function per page kind -----------------------------------------

    def story_page(self, story: Story) -> Any:
        """story.html: the story, every article of it and their versions, the
        articles its summary cites, its keywords' pages, its topic's label, its
        related stories' titles."""
        ctx = self.ctx
        members = ctx.story_articles(story)
        versions = {a.id: [v.id for v in ctx.versions(a.id)] for a in members}
        cited = {a.id for a in members}
        cited.update(v for ids in versions.values() for v in ids)
        cited.update(s.article for s in story.summary)
        keys = [k.key for k in story.keywords] + [k.key for k in story.shared_keywords]
        topic = ctx.topics.get(story.topic) if story.topic else None
        return {
            "story": shown(story),
            "articles": [
                (i, self.article(ctx.articles[i])) for i in sorted(cited) if i in ctx.articles
            ],
            "duplicate_of": {a.id: ctx.duplicate_of.get(a.id) for a in members},
            "versions": versions,
            "keyword_pages": self.keyword_pages(keys),
            "topic": topic.label if topic is not None else None,
            "related": [(r.story.id, r.story.title, r.shared) for r in ctx.related(story)],
        }

    def story_feed(self, story: Story, fallback: str) -> Any:
        """stories/ID.xml (`render_feeds`, `_feed.html` article_content): the
        story's title and articles; the digest's date for an undated one."""
        articles = [self.ctx.articles[i] for i in story.articles]
        undated = any(rfc3339(a.meta.date) is None for a in articles)
        return {
            "story": [story.id, story.title],
            "articles": [self.article(a) for a in articles],
            "fallback": fallback if undated else None,
        }

    def article_page(self, article: Article) -> Any:
        """article.html: the article, its story's title, its versions, its
        keywords' pages and its outlet's page."""
        ctx = self.ctx
        story = ctx.story_of.get(article.id)
        outlet = ctx.outlet_page_of(article) if article.meta.source else None
        return {
            "article": self.article(article),
            "story": [story.id, story.title] if story is not None else None,
            "versions": [self.article(v) for v in ctx.versions(article.id)],
            "keyword_pages": self.keyword_pages(k.key for k in article.keywords),
            "outlet": outlet,
        }

    def keyword_page(self, key: str) -> Any:
        """keyword.html: the label, its stories' cards, its articles in a list."""
        ctx = self.ctx
        return {
            "label": ctx.keyword_labels[key],
            "stories": [self.card(s, summary=False) for s in ctx.keyword_stories.get(key, [])],
            "articles": [self.article(a) for a in ctx.keyword_articles.get(key, [])],
        }

    def topic_page(self, topic: Topic) -> Any:
        """topic.html: the topic (its stories counted), the cards of the stories its
        page lists and the months of its month pages."""
        return {
            "topic": [topic.id, topic.label, len(topic.stories)],
            "stories": [self.card(s) for s in self.ctx.topic_front(topic)],
            "months": [month for month, _ in self.ctx.topic_months(topic)],
        }

    def topic_month(
        self, topic: Topic, month: str, stories: list[Story], newer: str | None, older: str | None
    ) -> Any:
        """topic_month.html: the topic, the month, its neighbours and its stories' cards."""
        return {
            "topic": [topic.id, topic.label],
            "month": [month, newer, older],
            "stories": [self.card(s) for s in stories],
        }

    def topic_feed(self, topic: Topic, fallback: str, shown: Iterable[Story]) -> Any:
        """topics/ID.xml (`render_feeds` story_entry, `_feed.html` story_content):
        the topic's name and, of the stories the feed `shown` (its newest), each
        one's title, dates, summary, keywords, reports and outlets."""
        ctx = self.ctx
        entries = []
        for story in shown:
            entries.append(
                {
                    "story": [story.id, story.title, story.date],
                    "fallback": fallback if rfc3339(story.date) is None else None,
                    "summary": [s.text for s in story.summary],
                    "keywords": [k.label for k in story.keywords],
                    "dates": [ctx.articles[i].meta.date for i in story.articles],
                    "coverage": [self.article(a) for a in ctx.coverage(story)],
                    "reports": len(ctx.reports(story)),
                    "outlets": ctx.outlet_count(story),
                }
            )
        return {"topic": [topic.id, topic.label], "stories": entries}

    def outlet_page(self, outlet: Outlet) -> Any:
        """source.html: the outlet and its articles."""
        return {
            "outlet": [outlet.key, outlet.label, outlet.slug, outlet.stories],
            "articles": [self.article(a) for a in outlet.articles],
        }

    def archive_day(
        self, day: str, stories: list[Story], newer: str | None, older: str | None
    ) -> Any:
        """archive_day.html: the day, its neighbours and its stories' cards."""
        return {
            "day": [day, newer, older],
            "stories": [self.card(s) for s in stories],
        }
