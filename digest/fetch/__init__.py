"""Feeds and article pages -> new Markdown files in the content folder (`digest fetch`).

    fetch_sources(config) -> FetchReport

Reads each configured source (or the URLs given), asks conditionally when it was
read before, turns every item not fetched before into one file
`<content>/<outlet>/<YYYY-MM-DD>/<slug>.md`, and remembers what it wrote. Every
failure is a Problem naming the source and the reason; the other sources go on.
The subpackage is the only code of digest that touches the network (`http.py`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from digest.config import Config, Source
from digest.dates import parse_date
from digest.executors import worker_pool
from digest.fetch.article import Extracted, escape, extract_article
from digest.fetch.http import Client, FetchError, Response
from digest.fetch.sources import Item, Parsed, SourceError, parse_source
from digest.fetch.store import (
    State,
    article_path,
    candidates,
    item_keys,
    load_state,
    save_state,
    state_path,
    urls_in_content,
    write_new,
)
from digest.models import Problem
from digest.urls import domain_of, http_url

__all__ = ["FetchReport", "fetch_sources"]

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, application/json;q=0.8, text/html;q=0.7, */*;q=0.1"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
# feed content at least this long is the article itself: its page is not fetched
FULL_CONTENT_WORDS = 150
# fewer article pages than this are extracted in this process: starting workers costs more
PARALLEL_MIN_PAGES = 16


@dataclass(frozen=True)
class FetchReport:
    """What a run did: files written (content-relative paths; in a dry run, the files
    it would write), items skipped as fetched before, sources unchanged, problems."""

    written: tuple[str, ...]
    skipped: int
    sources: int
    unchanged: int
    problems: tuple[Problem, ...]
    dry_run: bool = False


@dataclass
class _Job:
    """One new item to turn into a file."""

    source: Source
    outlet: str
    item: Item
    keys: list[str]
    page: Extracted | None = None
    problem: str | None = None
    queued: bool = False  # new: not seen before, so a file is wanted
    written: bool = False


@dataclass
class _Read:
    """One source fetched: its answer, what it held, or why it failed."""

    source: Source
    response: Response | None = None
    parsed: Parsed | None = None
    problem: str | None = None
    jobs: list[_Job] = field(default_factory=list)


def fetch_sources(
    config: Config,
    urls: Sequence[str] | None = None,
    content_dir: Path | None = None,
    allow_private: bool | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    base: Path | None = None,
) -> FetchReport:
    """Config (and optional URLs that replace its sources) -> new files and a report.

    Folders in the config are relative to `base` (default: the current folder). A dry
    run fetches but writes neither files nor state. No sources: an empty report.
    Everything that goes wrong is a Problem in the report.
    """
    base = base or Path.cwd()
    content = content_dir or base / config.content
    sources = [Source(u.strip()) for u in urls] if urls else list(config.sources)
    if not sources:  # a digest fed by hand: the scheduled workflow still runs fetch
        return FetchReport((), 0, 0, 0, ())
    private = config.allow_private if allow_private is None else allow_private
    where = state_path(base / config.cache if config.cache else None)
    state = load_state(where)
    seen = state.seen | urls_in_content(content.resolve())
    problems: list[Problem] = []
    with (
        Client(
            allow_private=private, delay=config.fetch_delay, concurrency=config.fetch_concurrency
        ) as client,
        ThreadPoolExecutor(max_workers=config.fetch_concurrency) as pool,
    ):
        reads = list(pool.map(lambda s: _read_source(client, s, state), sources))
        jobs: list[_Job] = []
        skipped = 0
        for read in reads:
            if read.problem:
                problems.append(Problem(read.source.url, read.problem))
                continue
            for job in read.jobs:
                if any(key in seen for key in job.keys):
                    skipped += 1
                    continue
                seen.update(job.keys)
                job.queued = True
                jobs.append(job)
        with _Extractor(len(jobs), config.fetch_concurrency) as extract:
            finished = pool.map(lambda j: _complete(client, j, extract), jobs)
            for done, _ in enumerate(finished, 1):
                if progress is not None:
                    progress(done, len(jobs))
    written = _write(jobs, content, state, problems, dry_run)
    if not dry_run:
        for read in reads:
            _remember_validators(state, read)
        if where is not None:
            try:
                save_state(where, state)
            except OSError as exc:
                problems.append(Problem(str(where), f"cannot save the fetch state: {exc}"))
    return FetchReport(
        written=tuple(written),
        skipped=skipped,
        sources=len(sources),
        unchanged=sum(1 for r in reads if r.response is not None and r.response.status == 304),
        problems=tuple(problems),
        dry_run=dry_run,
    )


def _read_source(client: Client, source: Source, state: State) -> _Read:
    """A source -> its answer and the items it offers (nothing when unchanged)."""
    read = _Read(source)
    if http_url(source.url) is None:
        read.problem = "not an http:// or https:// address"
        return read
    held = state.validators.get(source.url, {})
    try:
        read.response = client.get(
            source.url,
            etag=held.get("etag"),
            last_modified=held.get("last_modified"),
            accept=FEED_ACCEPT,
        )
    except FetchError as exc:
        read.problem = str(exc)
        return read
    if read.response.status == 304:
        return read
    try:
        read.parsed = parse_source(read.response.body, read.response.content_type, source.url)
    except SourceError as exc:
        read.problem = str(exc)
        return read
    if read.parsed.kind == "page":
        page = extract_article(read.response.body, read.response.url)
        if page is None:
            read.problem = "no article text found on the page"
            return read
        item = Item(page.title, read.response.url, None, page.date, page.author, "", "")
        outlet = source.name or page.site or domain_of(read.response.url) or "web"
        job = _Job(source, outlet, item, item_keys(item.url, None, source.url), page=page)
        read.jobs.append(job)
        return read
    outlet = source.name or read.parsed.title or domain_of(source.url) or "feed"
    for item in read.parsed.items:
        keys = item_keys(item.url, item.guid, source.url)
        if keys:
            read.jobs.append(_Job(source, outlet, item, keys))
    return read


class _Extractor:
    """Runs `extract_article` in worker processes when there are many pages (it is
    CPU-bound Python: threads would take turns), else in the calling thread. The
    fetching threads each wait for their page's result, so at most one page per
    thread is held in memory."""

    def __init__(self, pages: int, threads: int) -> None:
        workers = min(os.cpu_count() or 1, threads)
        self.pool: ProcessPoolExecutor | None = None
        if workers > 1 and pages >= PARALLEL_MIN_PAGES:
            self.pool = worker_pool(workers)

    def __call__(self, body: bytes, url: str) -> Extracted | None:
        if self.pool is None:
            return extract_article(body, url)
        return self.pool.submit(extract_article, body, url).result()

    def __enter__(self) -> _Extractor:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def _complete(client: Client, job: _Job, extract: Callable[[bytes, str], Extracted | None]) -> None:
    """Fetches and extracts the article page of an item whose feed has no full text."""
    if job.page is not None or not job.item.url:
        return
    if len(job.item.content.split()) >= FULL_CONTENT_WORDS:
        return
    try:
        response = client.get(job.item.url, accept=PAGE_ACCEPT)
    except FetchError as exc:
        job.problem = f"article page {job.item.url}: {exc}"
        return
    if response.content_type and response.content_type not in (
        "text/html",
        "application/xhtml+xml",
    ):
        job.problem = f"article page {job.item.url}: not an HTML page ({response.content_type})"
        return
    job.page = extract(response.body, response.url)
    if job.page is None:
        job.problem = f"article page {job.item.url}: no article text found"


def _write(
    jobs: list[_Job], content: Path, state: State, problems: list[Problem], dry_run: bool
) -> list[str]:
    """New items -> files (in feed order, so names are deterministic) -> their paths."""
    written: list[str] = []
    taken: set[str] = set()
    for job in jobs:
        text = _body(job)
        if job.problem:
            why = "saved the feed's text instead" if text else "nothing saved; tried again next run"
            problems.append(Problem(job.source.url, f"{job.problem} ({why})"))
        if not text:
            continue
        url = job.item.url or ""
        title = job.item.title or (job.page.title if job.page else None)
        date = job.item.date or (parse_date(job.page.date) if job.page and job.page.date else None)
        wanted = article_path(job.outlet, date, title, url or (job.item.guid or ""))
        document = _document(job, title, date, text)
        for rel in candidates(wanted, url or (job.item.guid or "")):
            if rel in taken or (content / rel).exists():
                continue
            if dry_run:
                break
            try:
                if write_new(content, rel, document):
                    break
            except OSError as exc:
                problems.append(Problem(job.source.url, f"cannot write {rel}: {exc}"))
                rel = ""
                break
        else:  # pragma: no cover - a thousand articles with one title on one day
            continue
        if not rel:
            continue
        taken.add(rel)
        written.append(rel)
        job.written = True
        state.seen.update(job.keys)
    return written


def _body(job: _Job) -> str:
    """An item -> the best text it has, as Markdown: the page's, else the feed's full
    text or summary."""
    if job.page is not None:
        return job.page.text  # Markdown already
    plain = job.item.content or job.item.summary
    return "\n\n".join(escape(p) for p in plain.split("\n\n") if p.strip())


def _document(job: _Job, title: str | None, date: str | None, text: str) -> str:
    """An item and its text -> the Markdown file: YAML front matter, then the text."""
    page = job.page
    meta = {
        "title": title,
        "date": date,
        "source": job.outlet,
        "url": job.item.url,
        "author": job.item.author or (page.author if page else None),
        "lang": job.source.lang or (page.lang if page else None),
        "section": job.source.section,
    }
    front = yaml.safe_dump(
        {k: v for k, v in meta.items() if v}, allow_unicode=True, sort_keys=False, width=1000
    )
    # the text is Markdown whose every character of markup was escaped (`article.escape`)
    return f"---\n{front}---\n\n{text}\n"


def _remember_validators(state: State, read: _Read) -> None:
    response = read.response
    if response is None or response.status != 200 or read.problem:
        return
    if any(job.queued and not job.written for job in read.jobs):
        # an item could not be saved: ask for the whole feed again next run, not
        # conditionally, or its 304 would hide that item for good
        state.validators.pop(read.source.url, None)
        return
    held = {
        "etag": response.headers.get("etag", ""),
        "last_modified": response.headers.get("last-modified", ""),
    }
    held = {k: v for k, v in held.items() if v}
    if held:
        state.validators[read.source.url] = held
    else:
        state.validators.pop(read.source.url, None)
