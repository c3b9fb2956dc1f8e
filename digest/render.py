"""A `Site` -> `(path, bytes)` for every output file: pages, feeds, sitemap,
stylesheet, digest.json (the search index is made from the written pages, in
`search`).

Files are produced one at a time, so a large digest is never held in memory
as a whole.

The only module that imports jinja2. Templates autoescape everything and fail
on undefined names; article text is never marked safe. Links between pages are
relative, so the site works from any folder or sub-path; only feeds, the
sitemap, canonical links and Open Graph tags use the configured base URL.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jinja2
import markupsafe
from babel.numbers import format_percent

from digest import feeds, i18n
from digest.bundled import ASSETS, builtin_templates
from digest.config import Config
from digest.excerpts import restrict_site
from digest.feeds import Entry, Feed
from digest.models import (
    Article,
    DigestError,
    Site,
    Story,
    terminal_safe,
)
from digest.page_inputs import PageInputs, digest_of, environment_hash, site_inputs
from digest.render_farm import Farm, Job, Scene, project_templates, unpacked
from digest.site_context import (
    UNDATED,
    SiteContext,
)
from digest.urls import http_url

if TYPE_CHECKING:
    from digest.executors import Executor

# Entries in the whole-digest feed and in each topic feed: the newest stories.
FEED_ENTRIES = 50


# What a template can raise while it renders: jinja's own errors (syntax, undefined
# names, missing includes) and what its expressions raise (`{{ 1 / 0 }}`, a filter
# given the wrong kind of value). Reported with the template's file and line.
TEMPLATE_FAULTS = (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError)
# where Python calls a template's macros, a template without one of them raises this
MACRO_FAULTS = (*TEMPLATE_FAULTS, AttributeError)


def template_error(exc: BaseException, template: str, env: jinja2.Environment | None = None) -> str:
    """An error raised while rendering `template` -> "templates/story.html, line 12:
    'x' is undefined": the file and line of the innermost template frame (jinja
    rewrites tracebacks so template code appears at its own file and line), or, for
    a syntax error, those jinja records on the error."""
    filename: str | None = None
    line: int | None = None
    if isinstance(exc, jinja2.TemplateSyntaxError):
        filename, line = exc.filename, exc.lineno
    else:
        frame = exc.__traceback__
        while frame is not None:
            # jinja's rewritten frames (and any left as compiled) carry these globals
            names = frame.tb_frame.f_globals
            if "__jinja_exception__" in names or "__jinja_template__" in names:
                filename, line = frame.tb_frame.f_code.co_filename, frame.tb_lineno
            frame = frame.tb_next
    if filename is None and env is not None:
        # no template frame: name the file of the template the error is about
        with contextlib.suppress(jinja2.TemplateError):
            filename = env.get_template(template).filename
    where = _shown_template(filename) if filename else template
    message = exc.message if isinstance(exc, jinja2.TemplateError) and exc.message else str(exc)
    if isinstance(exc, jinja2.TemplateNotFound):
        message = f"template {exc.name!r} not found"
    elif not isinstance(exc, jinja2.TemplateError):
        message = f"{type(exc).__name__}: {message}"
    # a value in the message may come from an article: escaped for the terminal
    message = terminal_safe(message)
    return f"template error in {where}" + (f", line {line}" if line else "") + f": {message}"


def _shown_template(filename: str) -> str:
    """A template's file -> relative to the current folder when inside it; a built-in
    template by its name and origin."""
    path = Path(filename)
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        pass
    try:
        return f"{path.resolve().relative_to(builtin_templates().resolve()).as_posix()} (built in)"
    except (ValueError, OSError):
        return filename


def _finalize(value: Any) -> Any:
    """Every `{{ }}` value: drop code points HTML forbids (controls, non-characters)."""
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return feeds.clean_text(value)
    return value


def make_environment(
    user_templates: Path | Sequence[tuple[str, str, bytes]] | None = None,
    language: str = i18n.DEFAULT,
    zone: str = "UTC",
) -> jinja2.Environment:
    """A Jinja environment: the user's templates first (their folder, or its files as
    a `render_farm.Scene` carries them), then the built-in ones;
    `_`/`gettext`/`ngettext` and the date and number filters speak `language`."""
    loaders: list[jinja2.BaseLoader] = []
    if isinstance(user_templates, Path):
        if user_templates.is_dir():
            loaders.append(jinja2.FileSystemLoader(str(user_templates)))
    elif user_templates:
        loaders.append(_shipped_loader(user_templates))
    loaders.append(jinja2.FileSystemLoader(str(builtin_templates())))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
        extensions=["jinja2.ext.i18n"],
    )
    words = i18n.translations(language)
    env.install_gettext_translations(words, newstyle=True)  # type: ignore[attr-defined]
    env.filters["http_url"] = lambda value: http_url(value) if isinstance(value, str) else None
    env.filters["nice_date"] = functools.partial(nice_date, zone=zone, language=language)
    env.filters["percent"] = functools.partial(percent_text, language=language)
    env.filters["hours"] = functools.partial(hours_text, language=language)
    env.filters["origin"] = csp_origin
    unknown = words.gettext("source unknown")
    env.filters["source_label"] = lambda article: article.meta.source or unknown
    return env


def _shipped_loader(files: Sequence[tuple[str, str, bytes]]) -> jinja2.BaseLoader:
    """A project's template files as (name, file name, bytes) -> a loader that finds
    them as the folder's FileSystemLoader would (same names, file names, and
    UTF-8 decoding when a template is read)."""
    found = {name: (filename, data) for name, filename, data in files}

    def load(name: str) -> tuple[str, str, Callable[[], bool]] | None:
        if name not in found:
            return None
        filename, data = found[name]
        return data.decode("utf-8"), filename, lambda: True

    return jinja2.FunctionLoader(load)


@functools.lru_cache(maxsize=4096)
def percent_text(value: float, language: str = i18n.DEFAULT) -> str:
    """0.456 -> "46%" ("46 %" in French): rounded to a whole percent."""
    return format_percent(round(float(value) * 100) / 100, locale=i18n.babel_locale(language))


@functools.lru_cache(maxsize=4096)
def hours_text(hours: float, language: str = i18n.DEFAULT) -> str:
    """Hours -> "40 min", "2 h", "1.5 h", "3 days" (rounded for reading)."""
    words = i18n.translations(language)
    point = i18n.decimal_separator(language)
    if hours < 1:
        return words.gettext("%(num)s min") % {"num": round(hours * 60)}
    if hours < 48:
        return words.gettext("%(num)s h") % {"num": f"{round(hours, 1):g}".replace(".", point)}
    days = round(hours / 24, 1)
    text = f"{days:g}".replace(".", point)
    return words.ngettext("%(num)s day", "%(num)s days", int(days)) % {"num": text}


_ORIGIN = re.compile(r"https?://[a-z0-9.-]+(?::\d{1,5})?")


def csp_origin(base_url: str | None) -> str:
    """A base URL -> " scheme://host[:port]" for a Content-Security-Policy source
    list, or "" when there is none (or it could not be a plain origin)."""
    if not base_url:
        return ""
    parts = urlsplit(base_url)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return ""
    origin = f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}{port}"
    return f" {origin}" if _ORIGIN.fullmatch(origin) else ""


# Babel formats a date in about 0.1 ms and a site shows the same few dates
# thousands of times (timelines, source lists, feeds): each is formatted once.
@functools.lru_cache(maxsize=8192)
def nice_date(value: str | None, zone: str = "UTC", language: str = i18n.DEFAULT) -> str:
    """ISO date or date-time -> "24 Jun 2023" (or "24 Jun 2023, 07:22 UTC"; the day
    in `language`: "24 juin 2023").

    A UTC time ("…Z") is shown in `zone` (an IANA name) with the zone's abbreviation.
    """
    if not value:
        return ""
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        return value
    if zone != "UTC" and value.endswith("Z") and len(value) >= 16 and value[10] == "T":
        try:
            utc = dt.datetime.fromisoformat(value[:-1]).replace(tzinfo=dt.UTC)
        except ValueError:
            return i18n.format_day(day, language)
        local = utc.astimezone(zoneinfo.ZoneInfo(zone))
        return f"{i18n.format_day(local.date(), language)}, {local:%H:%M} {local.tzname()}"
    text = i18n.format_day(day, language)
    if len(value) >= 16 and value[10] == "T":
        text += f", {value[11:16]}" + (" UTC" if value.endswith("Z") else "")
    return text


# An output file's bytes, or the file of the current site that holds them.
Output = bytes | Path


@dataclass
class Ledger:
    """Which pages a build rendered and which it took from the last build's site.

    Given to `render_pages`, it is filled with the fingerprint of every page that
    has one (`digest.page_inputs`: story, article, keyword, topic, outlet and
    archive-day pages, story and topic feeds). `earlier(path, fingerprint)` gives
    the bytes the last build wrote for that page — or the path of its file, for
    the writer to keep, when nothing needs the bytes (the search index reads the
    HTML pages) — when it recorded the same fingerprint and the file is still as
    it wrote it, else None: the page is then rendered. The few pages shown from
    the whole site (front page, indexes, whole-digest feeds, digest.json,
    sitemap) are always rendered.
    """

    earlier: Callable[[str, str], Output | None] | None = None
    fingerprints: dict[str, str] = field(default_factory=dict)
    rendered: int = 0  # output files rendered (the copied assets aside)
    reused: int = 0  # pages taken from the last build

    def take(self, path: str, fingerprint: str) -> Output | None:
        self.fingerprints[path] = fingerprint
        data = self.earlier(path, fingerprint) if self.earlier is not None else None
        if data is not None:
            self.reused += 1
        return data


def render_pages(
    site: Site,
    config: Config,
    templates: Path | None = None,
    ledger: Ledger | None = None,
    executor: Executor | None = None,
) -> Iterator[tuple[str, Output]]:
    """Site -> every output file but the search index, as (relative path, bytes),
    one at a time. Articles shown as excerpts (`config.article_text`) are cut to
    their excerpt first, so no output file can carry the rest of their text.
    With a `ledger`, each page is fingerprinted and a page whose fingerprint the
    last build recorded is taken from it instead of rendered (see `Ledger`).
    With an `executor`, pages past the first few are rendered by its workers
    (`digest.render_farm`); the files are the same, in the same order."""
    for path, data in _render_pages(site, config, templates, ledger, executor):
        if ledger is not None and path not in ASSETS:
            ledger.rendered += 1
        yield path, data
    if ledger is not None:
        ledger.rendered -= ledger.reused


def _render_pages(
    site: Site,
    config: Config,
    templates: Path | None,
    ledger: Ledger | None,
    executor: Executor | None,
) -> Iterator[tuple[str, Output]]:
    site, excerpts = restrict_site(site, config.article_text, config.base_url)
    env, ctx = _staged(site, excerpts, config, templates)
    here = functools.partial(_render_job, env, ctx, site, config)

    def scene() -> Scene | None:
        shipped = project_templates(templates)
        return None if shipped is None else Scene(site, excerpts, config, shipped)

    farm = Farm(executor, here, scene)
    yield from farm.in_order(_pages(site, config, templates, ledger, env, ctx, farm))


def page_renderer(scene: Scene) -> Callable[[Job], bytes]:
    """A scene -> a function rendering its pages (what a worker of `render_farm` runs)."""
    config = scene.config
    env, ctx = _staged(scene.site, scene.excerpts, config, scene.templates)
    tables: dict[str, dict[str, Any]] = {
        "stories": ctx.stories,
        "articles": ctx.articles,
        "topics": ctx.topics,
    }

    def render(job: Job) -> bytes:
        values = unpacked(job.values, tables)
        return _render_job(env, ctx, scene.site, config, replace(job, values=values))

    return render


def _staged(
    site: Site,
    excerpts: frozenset[str],
    config: Config,
    templates: Path | Sequence[tuple[str, str, bytes]] | None,
) -> tuple[jinja2.Environment, SiteContext]:
    """The shown site and the project's templates -> the environment and site
    context its pages are rendered with (here or in a worker)."""
    env = make_environment(templates, config.language, config.timezone)
    ctx = SiteContext(site, config, excerpts)
    try:
        ctx.use_templates(env)
    except MACRO_FAULTS as exc:
        raise DigestError(template_error(exc, "_macros.html", env)) from None
    return env, ctx


def _render_job(
    env: jinja2.Environment, ctx: SiteContext, site: Site, config: Config, job: Job
) -> bytes:
    try:
        html = env.get_template(job.template).render(
            site=site, ctx=ctx, config=config, **job.values
        )
    except TEMPLATE_FAULTS as exc:
        raise DigestError(template_error(exc, job.template, env)) from None
    return html.encode("utf-8")


def _pages(
    site: Site,
    config: Config,
    templates: Path | None,
    ledger: Ledger | None,
    env: jinja2.Environment,
    ctx: SiteContext,
    farm: Farm,
) -> Iterator[tuple[str, Any]]:
    """Every output file as (path, bytes, a kept file, or a page handed to `farm`)."""
    words = i18n.translations(config.language)
    sitemap: list[tuple[str, str | None]] = []
    inputs = PageInputs(ctx)
    shared = ""
    if ledger is not None:
        shared = site_inputs(config, ctx, environment_hash((templates, builtin_templates())))

    def page(
        path: str,
        template: str,
        *,
        title: str | None = None,
        description: str = "",
        og_type: str = "website",
        date: str | None = None,
        alternates: Iterable[tuple[str, str]] = (),
        listed: bool = True,
        root: str | None = None,
        canonical_link: bool = True,
        shows: Callable[[], Any] | None = None,
        **values: Any,
    ) -> tuple[str, Any]:
        """A page, rendered (or handed to the farm); or, given what it `shows`
        (`PageInputs`) and the ledger, taken from the last build when that is
        unchanged."""
        if root is None:
            root = "../" * path.count("/")
        canonical = ctx.absolute(path) if canonical_link else None
        alternates = list(alternates)
        if listed and canonical:
            sitemap.append((canonical, date))
        if ledger is not None and shows is not None:
            arguments = [path, template, title, description, og_type, date, alternates]
            key = digest_of([shared, arguments, listed, root, canonical_link, shows()])
            kept = ledger.take(path, key)
            if kept is not None:
                return path, kept
        values.update(
            root=root,
            page_path=path,
            page_title=title,
            description=description or site.description,
            og_type=og_type,
            canonical=canonical,
            page_date=date,
            alternates=[(name, root + href) for name, href in alternates],
        )
        return path, farm.render(Job(path, template, values))

    yield page("index.html", "index.html", date=site.build_date)
    for story in site.stories:
        yield page(
            ctx.story_page(story.id),
            "story.html",
            story=story,
            title=story.title,
            description=" ".join(s.text for s in story.summary),
            og_type="article",
            date=story.date,
            shows=functools.partial(inputs.story_page, story),
            alternates=[
                (
                    words.gettext("Follow this story: %(title)s") % {"title": story.title},
                    ctx.story_feed(story.id),
                )
            ],
        )
    for article in site.articles:
        yield page(
            ctx.article_page(article.id),
            "article.html",
            article=article,
            title=article.title,
            description=" ".join(article.lead),
            og_type="article",
            date=article.meta.date,
            shows=functools.partial(inputs.article_page, article),
        )
    for key, slug in ctx.keyword_slugs.items():
        yield page(
            f"keywords/{slug}.html",
            "keyword.html",
            key=key,
            title=ctx.keyword_labels[key],
            shows=functools.partial(inputs.keyword_page, key),
        )
    yield page("keywords/index.html", "keywords.html", title=words.gettext("Keywords"))
    for topic in site.topics:
        yield page(
            ctx.topic_page(topic.id),
            "topic.html",
            topic=topic,
            title=topic.label,
            shows=functools.partial(inputs.topic_page, topic),
            alternates=[
                (
                    words.gettext("Topic: %(topic)s") % {"topic": topic.label},
                    ctx.topic_feed(topic.id),
                )
            ],
        )
        months = ctx.topic_months(topic)
        for n, (month, stories) in enumerate(months):
            newer = months[n - 1][0] if n > 0 else None
            older = months[n + 1][0] if n + 1 < len(months) else None
            yield page(
                ctx.topic_month_page(topic.id, month),
                "topic_month.html",
                topic=topic,
                month=month,
                stories=stories,
                newer=newer,
                older=older,
                title=(
                    words.gettext("%(topic)s in %(month)s")
                    % {"topic": topic.label, "month": ctx.month_label(month)}
                    if month != UNDATED
                    else words.gettext("%(topic)s, undated") % {"topic": topic.label}
                ),
                shows=functools.partial(inputs.topic_month, topic, month, stories, newer, older),
            )
    yield page("topics/index.html", "topics.html", title=words.gettext("Topics"))
    for outlet in ctx.outlets:
        yield page(
            ctx.outlet_page(outlet),
            "source.html",
            outlet=outlet,
            title=outlet.label,
            shows=functools.partial(inputs.outlet_page, outlet),
        )
    yield page("sources/index.html", "sources.html", title=words.gettext("Sources"))
    if ctx.has_archive:
        days = ctx.archive_days
        for n, (day, stories) in enumerate(days):
            newer = days[n - 1][0] if n > 0 else None
            older = days[n + 1][0] if n + 1 < len(days) else None
            yield page(
                ctx.archive_page(day),
                "archive_day.html",
                day=day,
                stories=stories,
                newer=newer,
                older=older,
                shows=functools.partial(inputs.archive_day, day, stories, newer, older),
                title=(
                    nice_date(day, language=config.language)
                    if day != UNDATED
                    else words.gettext("Undated stories")
                ),
            )
        yield page("archive/index.html", "archive.html", title=words.gettext("Archive"))
    if config.search:
        yield page("search.html", "search.html", title=words.gettext("Search"), listed=False)
    # The host serves 404.html for a missing page at any depth, so relative
    # links cannot work there: with a base URL they are made absolute.
    yield page(
        "404.html",
        "404.html",
        title=words.gettext("Page not found"),
        listed=False,
        canonical_link=False,
        root=site.base_url or "",
    )

    for name in ASSETS:
        if name == "assets/search.js" and not config.search:
            continue
        yield name, _find_asset(templates, name).read_bytes()
    try:
        yield from render_feeds(site, ctx, env, ledger, inputs, shared)
    except MACRO_FAULTS as exc:
        raise DigestError(template_error(exc, "_feed.html", env)) from None
    yield "digest.json", digest_json(site, ctx)
    yield "robots.txt", feeds.robots_txt(ctx.absolute("sitemap.xml"))
    if site.base_url:  # a sitemap must list absolute URLs
        yield "sitemap.xml", feeds.sitemap_xml(sorted(sitemap))


def _find_asset(user_templates: Path | None, name: str) -> Path:
    for folder in (user_templates, builtin_templates()):
        if folder is not None and (folder / name).is_file():
            return folder / name
    raise DigestError(f"missing asset {name} in the templates folder")


# --- feeds -------------------------------------------------------------------


def render_feeds(
    site: Site,
    ctx: SiteContext,
    env: jinja2.Environment,
    ledger: Ledger | None = None,
    inputs: PageInputs | None = None,
    shared: str = "",
) -> Iterator[tuple[str, Output]]:
    """The Atom feeds (whole digest, each topic, each story) and feed.json; with a
    ledger, a topic or story feed whose inputs did not change is taken from the
    last build (see `render_pages`)."""
    macros: Any = env.get_template("_feed.html").module  # its macros are attributes
    fallback = feeds.rfc3339(site.build_date) or feeds.EPOCH
    site_key = site.title
    words = ctx.words

    def link(path: str, feed_path: str) -> str:
        absolute = ctx.absolute(path)
        return absolute or "../" * feed_path.count("/") + path

    def ident(path: str) -> str:
        return ctx.absolute(path) or feeds.stable_id(site_key, path)

    def story_entry(story: Story, feed_path: str) -> Entry:
        root = link("", feed_path)
        dates = [d for i in story.articles if (d := ctx.articles[i].meta.date)]
        path = ctx.story_page(story.id)
        return Entry(
            id=ident(path),
            title=story.title,
            link=link(path, feed_path),
            updated=feeds.rfc3339(story.date) or fallback,
            published=feeds.rfc3339(min(dates)) if dates else None,
            summary=" ".join(s.text for s in story.summary),
            content_html=str(macros.story_content(story, root, ctx)).strip(),
            authors=tuple(sorted({a.meta.source for a in ctx.reports(story) if a.meta.source})),
            categories=tuple(k.label for k in story.keywords),
        )

    def article_entry(article: Article, feed_path: str) -> Entry:
        root = link("", feed_path)
        path = ctx.article_page(article.id)
        return Entry(
            id=ident(path),
            title=article.title,
            link=link(path, feed_path),
            updated=feeds.rfc3339(article.meta.date) or fallback,
            published=feeds.rfc3339(article.meta.date),
            summary=" ".join(article.lead),
            content_html=str(macros.article_content(article, root, ctx)).strip(),
            authors=(article.meta.source,) if article.meta.source else (),
            categories=tuple(k.label for k in article.keywords),
            external=http_url(article.meta.url) if article.meta.url else None,
        )

    def newest_stories(stories: Iterable[Story]) -> list[Story]:
        # the stories `newest` keeps of their entries, in its order: found from
        # their dates alone, so only FEED_ENTRIES entries are drawn, not one per story
        keyed = []
        for story in stories:
            dates = [d for i in story.articles if (d := ctx.articles[i].meta.date)]
            published = feeds.rfc3339(min(dates)) if dates else None
            updated = feeds.rfc3339(story.date) or fallback
            keyed.append((ident(ctx.story_page(story.id)), published, updated, story))
        keyed.sort(key=lambda k: k[0])
        keyed.sort(key=lambda k: (k[1] is not None, k[2]), reverse=True)
        return [k[3] for k in keyed[:FEED_ENTRIES]]

    def newest(entries: list[Entry], limit: int | None = None) -> tuple[Entry, ...]:
        # newest first; entries with no date of their own (no `published`) carry
        # the digest's date only because Atom requires one, so they go last
        entries.sort(key=lambda e: e.id)
        entries.sort(key=lambda e: (e.published is not None, e.updated), reverse=True)
        return tuple(entries[:limit])

    def make_feed(path: str, home: str, title: str, subtitle: str, entries: Any) -> Feed:
        return Feed(
            id=ident(path),
            title=title,
            subtitle=subtitle,
            self_link=link(path, path),
            home_link=link(home, path),
            language=ctx.config.language,
            author=site.title,
            entries=entries,
            absolute=bool(site.base_url),
        )

    latest = newest_stories(site.stories)  # the same in both whole-digest feeds
    whole = make_feed(
        "feed.xml",
        "index.html",
        site.title,
        site.description,
        newest([story_entry(s, "feed.xml") for s in latest], FEED_ENTRIES),
    )
    yield "feed.xml", feeds.atom_xml(whole)
    as_json = make_feed(
        "feed.json",
        "index.html",
        site.title,
        site.description,
        newest([story_entry(s, "feed.json") for s in latest], FEED_ENTRIES),
    )
    yield "feed.json", feeds.json_feed(as_json)

    def kept(path: str, shows: Callable[[], Any]) -> Output | None:
        if ledger is None:
            return None
        return ledger.take(path, digest_of([shared, path, shows()]))

    pages = inputs or PageInputs(ctx)
    for topic in site.topics:
        path = ctx.topic_feed(topic.id)
        # the feed shows the newest FEED_ENTRIES stories: only those are its inputs
        stories = newest_stories(ctx.topic_stories(topic))
        shows = functools.partial(pages.topic_feed, topic, fallback, stories)
        if (data := kept(path, shows)) is not None:
            yield path, data
            continue
        yield (
            path,
            feeds.atom_xml(
                make_feed(
                    path,
                    ctx.topic_page(topic.id),
                    f"{topic.label} · {site.title}",
                    words.gettext("Stories in the topic %(topic)s") % {"topic": topic.label},
                    newest([story_entry(s, path) for s in stories], FEED_ENTRIES),
                )
            ),
        )
    for story in site.stories:
        path = ctx.story_feed(story.id)
        if (data := kept(path, functools.partial(pages.story_feed, story, fallback))) is not None:
            yield path, data
            continue
        yield (
            path,
            feeds.atom_xml(
                make_feed(
                    path,
                    ctx.story_page(story.id),
                    f"{story.title} · {site.title}",
                    words.gettext("Every report of this story"),
                    newest([article_entry(ctx.articles[i], path) for i in story.articles]),
                )
            ),
        )


# --- digest.json ---------------------------------------------------------------


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
                "article_text": "excerpt" if ctx.is_excerpt(a) else "full",
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
    return (feeds.indented_json(data) + "\n").encode("utf-8")
