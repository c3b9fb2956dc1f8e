"""A `Site` -> `{path: bytes}`: HTML pages, stylesheet and digest.json.

The only module that imports jinja2. Templates autoescape everything and fail
on undefined names; article text is never marked safe. Links between pages are
relative, so the site works from any folder or sub-path.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import jinja2

from digest.config import Config
from digest.load import http_url
from digest.models import Article, DigestError, Site, Story, Topic
from digest.slugs import unique_slugs

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"  # installed wheel
SOURCE_TEMPLATES = Path(__file__).parent.parent / "templates"  # source checkout
ASSETS = ("assets/style.css",)


def builtin_templates() -> Path:
    return PACKAGE_TEMPLATES if PACKAGE_TEMPLATES.is_dir() else SOURCE_TEMPLATES


def make_environment(user_templates: Path | None = None) -> jinja2.Environment:
    """A Jinja environment: the user's templates folder first, then the built-in ones."""
    loaders: list[jinja2.BaseLoader] = []
    if user_templates is not None and user_templates.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(user_templates)))
    loaders.append(jinja2.FileSystemLoader(str(builtin_templates())))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["http_url"] = lambda value: http_url(value) if isinstance(value, str) else None
    env.filters["nice_date"] = nice_date
    return env


def nice_date(value: str | None) -> str:
    """ISO date or date-time -> "24 Jun 2023" (or "24 Jun 2023, 07:22 UTC")."""
    if not value:
        return ""
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        return value
    text = f"{day.day} {day:%b %Y}"
    if len(value) >= 16 and value[10] == "T":
        text += f", {value[11:16]}" + (" UTC" if value.endswith("Z") else "")
    return text


def render_site(site: Site, config: Config, templates: Path | None = None) -> dict[str, bytes]:
    """Site -> every output file as relative path and bytes."""
    env = make_environment(templates)
    ctx = SiteContext(site)
    pages: dict[str, bytes] = {}

    def page(path: str, template: str, **values: Any) -> None:
        root = "../" * path.count("/")
        try:
            html = env.get_template(template).render(
                site=site, ctx=ctx, config=config, root=root, page_path=path, **values
            )
        except jinja2.TemplateError as exc:
            where = getattr(exc, "filename", None) or template
            raise DigestError(f"template error in {where}: {exc}") from None
        pages[path] = html.encode("utf-8")

    page("index.html", "index.html")
    for story in site.stories:
        page(ctx.story_page(story.id), "story.html", story=story)
    for article in site.articles:
        page(ctx.article_page(article.id), "article.html", article=article)
    for key, slug in ctx.keyword_slugs.items():
        page(f"keywords/{slug}.html", "keyword.html", key=key)
    page("keywords/index.html", "keywords.html")
    for topic in site.topics:
        page(ctx.topic_page(topic.id), "topic.html", topic=topic)
    page("topics/index.html", "topics.html")
    for name in ASSETS:
        source = _find_asset(templates, name)
        pages[name] = source.read_bytes()
    pages["digest.json"] = digest_json(site, ctx)
    return pages


def _find_asset(user_templates: Path | None, name: str) -> Path:
    for folder in (user_templates, builtin_templates()):
        if folder is not None and (folder / name).is_file():
            return folder / name
    raise DigestError(f"missing asset {name} in the templates folder")


class SiteContext:
    """Look-ups the templates need: ids to records, pages, keyword slugs."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.articles = {a.id: a for a in site.articles}
        self.stories = {s.id: s for s in site.stories}
        self.topics = {t.id: t for t in site.topics}
        self.story_of: dict[str, Story] = {}
        self.duplicate_of: dict[str, str] = {}
        for story in site.stories:
            for article_id in story.articles:
                self.story_of[article_id] = story
            self.duplicate_of.update(dict(story.duplicates))
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
        self.keyword_slugs = unique_slugs(labels.keys())

    def story_page(self, story_id: str) -> str:
        return f"stories/{story_id}.html"

    def topic_page(self, topic_id: str) -> str:
        return f"topics/{topic_id}.html"

    def topic_stories(self, topic: Topic) -> list[Story]:
        return [self.stories[s] for s in topic.stories]

    def article_page(self, article_id: str) -> str:
        return f"articles/{article_id}.html"

    def keyword_page(self, key: str) -> str:
        return f"keywords/{self.keyword_slugs[key]}.html"

    def reports(self, story: Story) -> list[Article]:
        """A story's distinct reports (versions of one report folded into the first)."""
        return [self.articles[i] for i in story.articles if i not in self.duplicate_of]

    def versions(self, article_id: str) -> list[Article]:
        """Other versions of the same report as this article."""
        main = self.duplicate_of.get(article_id, article_id)
        return [
            self.articles[i]
            for i in sorted(self.articles)
            if i != article_id and (i == main or self.duplicate_of.get(i) == main)
        ]

    def citation_numbers(self, story: Story) -> dict[str, int]:
        return {a.id: n for n, a in enumerate(self.reports(story), start=1)}

    def keywords_by_count(self) -> list[tuple[str, str, int]]:
        rows = [(k, self.keyword_labels[k], len(v)) for k, v in self.keyword_articles.items()]
        return sorted(rows, key=lambda r: (-r[2], r[1].lower(), r[0]))

    def outlets(self, story: Story) -> list[str]:
        return sorted({a.source_label for a in self.reports(story)})


def digest_json(site: Site, ctx: SiteContext) -> bytes:
    """The machine-readable digest (schema in README)."""
    data = {
        "articles": [
            {
                "id": a.id,
                "path": a.path,
                "title": a.title,
                "source": a.meta.source,
                "url": a.meta.url,
                "date": a.meta.date,
                "keywords": [k.label for k in a.keywords],
                "lead": list(a.lead),
                "duplicate_of": ctx.duplicate_of.get(a.id),
            }
            for a in site.articles
        ],
        "stories": [
            {
                "id": s.id,
                "title": s.title,
                "page": ctx.story_page(s.id),
                "articles": list(s.articles),
                "keywords": [k.label for k in s.keywords],
                "summary": [{"text": x.text, "article": x.article} for x in s.summary],
                "topic": s.topic,
            }
            for s in site.stories
        ],
        "topics": [{"id": t.id, "label": t.label, "stories": list(t.stories)} for t in site.topics],
    }
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
