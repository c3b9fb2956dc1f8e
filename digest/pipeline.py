"""The build, top to bottom: load -> clean -> extract -> group -> summarise -> render -> write."""

from __future__ import annotations

import contextlib
import functools
import gc
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from digest import state
from digest.bundled import builtin_templates
from digest.cache import ArticleCache, check_cache_path, fingerprint
from digest.config import Config
from digest.dates import future_date_notes
from digest.load.files import SourceFile, read_content
from digest.models import Article, BuildReport, DigestError, Problem, Site
from digest.search import Indexer
from digest.slugs import distinct_ids, unique_names
from digest.static import check_static_path, collisions, read_static, static_bytes, stray_files
from digest.story_cache import StoryCache
from digest.write import (
    MARKER,
    PageData,
    StagingHooks,
    check_output_path,
    has_leftovers,
    write_site,
)

if TYPE_CHECKING:
    from digest.executors import Executor

# The stages past reading the content are imported where they run, not here: a
# build with nothing to do (the no-op rebuild) stops before any of them, and
# their libraries (jinja2, babel, numpy, the analysis stack) are most of the
# time such a build would take.

# Called as files are analysed: (files analysed so far, files to analyse).
Progress = Callable[[int, int], None]


def build(
    config: Config,
    base: Path | None = None,
    *,
    strict: bool = False,
    cache: bool = True,
    progress: Progress | None = None,
    jobs: int | None = None,
    executor: Executor | None = None,
) -> BuildReport:
    """Config (paths relative to `base`) -> the site written to disk, and a report.

    Raises DigestError only for faults that stop a build (missing content folder,
    unusable output path, a broken template); bad articles become problems. With
    `strict`, any problem stops the build before anything is written. Per-article
    results are kept in the cache folder (`config.cache`) unless `cache` is False.
    Articles not in the cache are analysed by `executor` (see `digest.executors`;
    default: `jobs` worker processes, one per core when None); the output is the
    same for any executor and any number of workers. With the cache, a
    build whose inputs and output folder are as the last build left them stops
    after reading the content (`BuildReport.up_to_date`; see `digest.state`).
    """
    clock = Stopwatch()
    base = base or Path.cwd()
    content_dir = (base / config.content).resolve()
    output_dir = (base / config.output).resolve()
    cache_dir, refused = _cache_folder(base, config.cache if cache else "")
    if not content_dir.is_dir():
        raise DigestError(missing_content_hint(config.content, base))
    # checked before resolving: a dangling `site` link must be refused, not followed
    check_output_path(base / config.output, content_dir, base)
    if cache_dir is not None:
        check_cache_path(cache_dir, content_dir, output_dir, base)

    others = {"output": output_dir, "content": content_dir}
    if cache_dir is not None:
        others["cache"] = cache_dir
    check_static_path(base / config.static, others)
    files, problems = read_content(content_dir)
    static, static_problems = read_static(base, config.static)
    problems += static_problems
    clock.lap("load")
    inputs = ""
    saved: state.Saved | None = None
    if cache_dir is not None:
        folders = (base / "templates", builtin_templates())
        hashes = [(f.path, f.content_hash) for f in static]
        inputs = state.input_hash(config, files, problems, folders, output_dir, hashes)
        saved, bad_state = state.load_checked(cache_dir)
        refused += bad_state
        report = _unchanged(saved, inputs, output_dir, len(files), strict, clock)
        if report is not None:
            return replace(report, cache_refused=refused)
    try:
        store = ArticleCache(cache_dir, config) if cache_dir is not None else None
        articles, more, hits = analyse_files(files, config, store, progress, executor, jobs)
        misses = len(files) - hits
        del files  # the bytes of every file: not needed again
        problems += more
        if store is not None:
            store.prune()  # keep only what this build used
            refused += store.refused
            store.close()
        clock.lap("analyse")
        # The analysed articles live until the build ends: the cyclic garbage
        # collector need not walk them again and again (`gc.freeze`: a full
        # collection walks every object, and those took 6-10 % of a rebuild of
        # 5,000 articles). Memory is still freed by reference counting.
        gc.freeze()
        stories = StoryCache(cache_dir, config) if cache_dir is not None else None
        site = assemble_site(articles, config, stories)
        if stories is not None:
            stories.save()  # keeps only what this build used
            refused += stories.refused
        clock.lap("group")
        gc.freeze()  # the site's stories and topics too
        dates = tuple((a.path, a.meta.date) for a in site.articles if a.meta.date)
        reported = problems + future_dates(dates)  # the clock's problems are never stored
        if strict and reported:
            raise _strict_error(reported)
        # shards of the current site are reused only as the build state records them
        known = {s[0]: (s[1], s[2]) for s in saved.search} if saved is not None else {}
        current = output_dir if saved is not None else None
        own_templates = _has_templates(base / "templates")
        indexer = Indexer(current, enabled=config.search, known=known, views=not own_templates)
        from digest.executors import ProcessExecutor
        from digest.render import Ledger, render_pages  # jinja2, babel: only a build that renders

        renderers = executor or ProcessExecutor(jobs)

        record = _last_written(saved, output_dir)
        paths: list[str] = []
        strays: list[Problem] = []
        # With the cache, pages are fingerprinted and those unchanged since the last
        # build are taken from the current site; a project's own templates can read
        # anything, so with them every page is rendered (`digest.page_inputs`).
        ledger = Ledger() if cache_dir is not None else None
        entries = dict(saved.indexed) if saved is not None and config.search else {}
        if ledger is not None and not own_templates:
            # a page kept as it is (a path) is hard-linked by the writer; the search
            # index needs what it took of each HTML page (`search.Chooser`): the
            # entry the last build recorded, else the page's bytes
            html = config.search
            ledger.earlier = state.earlier_pages(
                saved, output_dir, lambda p: html and p.endswith(".html") and p not in entries
            )

        def pages() -> Iterator[tuple[str, PageData]]:
            rendered = render_pages(
                site, config, templates=base / "templates", ledger=ledger, executor=renderers
            )
            for path, data in rendered:
                if isinstance(data, bytes):
                    indexer.see(path, data)
                elif path in entries:  # kept as it is: as the last build saw it
                    indexer.add(path, entries[path])
                paths.append(path)
                yield path, data
            clock.lap("render")  # rendered and written: the two go page by page
            collisions(static, paths, config.search)
            for item in static:
                copy = static_bytes(item, strays)  # None: changed since it was read
                if copy is None:
                    if strict:
                        raise _strict_error(strays)
                    continue
                paths.append(item.path)
                yield item.path, copy
            kept, found = stray_files(output_dir, paths, record)
            if strict and found:
                raise _strict_error(found)
            strays.extend(found)
            for rel in kept:
                yield rel, output_dir / rel

        written, unchanged = write_site(pages(), output_dir, hooks=TimedHooks(indexer, clock))
        problems += strays
        reported += strays
        if cache_dir is not None:
            listing, count = state.output_listing(output_dir)
            saved = state.Saved(
                inputs,
                listing,
                len(site.articles),
                len(site.stories),
                count,
                tuple(problems),
                dates,
                tuple(sorted(paths)),
                str(output_dir),
                tuple((s.folder, s.key, s.files) for s in indexer.shards),
                tuple(sorted(ledger.fingerprints.items())) if ledger is not None else (),
                tuple(sorted(indexer.chooser.entries.items())),
            )
            state.save(cache_dir, saved)
        clock.lap("write")
        return BuildReport(
            output=str(output_dir),
            articles=len(site.articles),
            stories=len(site.stories),
            files_written=written,
            files_unchanged=unchanged,
            problems=tuple(sorted_problems(reported)),
            seconds=clock.total(),
            cache_hits=hits,
            cache_misses=misses,
            cache_refused=refused,
            timings=tuple(clock.laps),
            pages_rendered=ledger.rendered if ledger is not None else 0,
            pages_reused=ledger.reused if ledger is not None else 0,
            story_hits=stories.hits if stories is not None else 0,
            story_reweighed=stories.reweighed if stories is not None else 0,
            story_misses=stories.misses if stories is not None else 0,
        )
    finally:
        gc.unfreeze()  # what this build kept is garbage for the caller (`digest serve`)


def _has_templates(folder: Path) -> bool:
    """Whether a project's templates folder holds any file but its assets (copied
    as they are, read by no page)."""
    if not folder.is_dir():
        return False
    assets = folder / "assets"
    return any(p.is_file() and assets not in p.parents for p in folder.rglob("*"))


def _cache_folder(base: Path, setting: str) -> tuple[Path | None, int]:
    """The cache setting -> (the cache folder, or None for no cache; 1 when a
    link or anything but a folder stands in its place, else 0). The folder and
    everything in it are untrusted (`digest.cache`): a link there is not
    followed, and the build runs without a cache rather than read or write where
    it points."""
    if not setting:
        return None, 0
    folder = base / setting
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        return None, 1  # a link, a file, a pipe (a missing folder is made when needed)
    return folder.resolve(), 0


def _last_written(saved: state.Saved | None, output: Path) -> list[str] | None:
    """The paths the last build wrote into `output`, or None when not known (no
    cache, no state, or the state of another output folder)."""
    if saved is None or saved.output != str(output):
        return None
    return list(saved.written)


class TimedHooks:
    """Staging hooks that time the `finish` step as the "search" stage: the wait for
    an index that was mostly built while pages were rendered."""

    def __init__(self, inner: StagingHooks, clock: Stopwatch) -> None:
        self.inner = inner
        self.clock = clock

    def begin(self, staging: Path) -> None:
        self.inner.begin(staging)

    def finish(self, staging: Path) -> int:
        count = self.inner.finish(staging)
        self.clock.lap("search")
        return count

    def abort(self) -> None:
        self.inner.abort()


def _unchanged(
    saved: state.Saved | None,
    inputs: str,
    output: Path,
    files: int,
    strict: bool,
    clock: Stopwatch,
) -> BuildReport | None:
    """The report of a build that has nothing to do: the inputs hash as the last
    build's did and the output folder is as that build left it. None otherwise."""
    if saved is None or saved.inputs != inputs or has_leftovers(output):
        return None  # (a full build also clears what a killed one left behind)
    if (output / MARKER).is_symlink() or not (output / MARKER).is_file():
        return None  # not a site digest wrote (a missing folder lists the same always)
    listing, count = state.output_listing(output)
    if listing != saved.outputs:
        return None
    problems = sorted_problems([*saved.problems, *future_dates(saved.dates)])
    if strict and problems:
        raise _strict_error(problems)
    clock.lap("check")
    return BuildReport(
        output=str(output),
        articles=saved.articles,
        stories=saved.stories,
        files_written=0,
        files_unchanged=count,
        problems=tuple(problems),
        seconds=clock.total(),
        cache_hits=files,
        cache_misses=0,
        timings=tuple(clock.laps),
        up_to_date=True,
    )


def _strict_error(problems: Sequence[Problem]) -> DigestError:
    listing = "".join(f"\n  {p.shown()}" for p in sorted_problems(problems))
    return DigestError(
        f"{len(problems)} problem(s) with the content; nothing written (--strict):{listing}"
    )


class Stopwatch:
    """Times a build's stages: `lap(name)` closes the stage running since the last lap."""

    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()
        self.laps: list[tuple[str, float]] = []

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps.append((name, round(now - self.last, 3)))
        self.last = now

    def total(self) -> float:
        return round(time.perf_counter() - self.started, 3)


def future_dates(dates: Iterable[tuple[str, str]]) -> list[Problem]:
    """(path, date) of articles -> a problem for each date in the future. Asked of
    the clock on every build: the per-article cache must not keep such a note."""
    return [Problem(path, note) for path, date in dates for note in future_date_notes(date)]


def sorted_problems(problems: Sequence[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.path, p.reason))


def analyse_files(
    files: Sequence[SourceFile],
    config: Config,
    cache: ArticleCache | None = None,
    progress: Progress | None = None,
    executor: Executor | None = None,
    jobs: int | None = None,
) -> tuple[list[Article], list[Problem], int]:
    """Source files -> (articles, problems, how many results came from the cache).

    Each file is analysed on its own. The cache is read and written here, in the
    calling process, and only the misses are analysed: that loop is the one to
    hand to the executor (default: a local process pool of `jobs` workers).
    """
    ids = article_ids([f.path for f in files])
    results: dict[str, Article | Problem] = {}
    keys: dict[str, str] = {}
    if cache is not None:
        # decoding the records makes millions of objects and no reference cycles:
        # the cyclic collector, run every 700 of them, would find nothing
        with _no_collection():
            for source in files:
                keys[source.path] = cache.key(source, ids[source.path])
                hit = cache.get(keys[source.path], source.path, ids[source.path])
                if hit is not None:
                    results[source.path] = shared_terms(hit)
    hits = len(results)
    misses = [source for source in files if source.path not in results]
    analysed = _analyse_in_parallel(misses, ids, config, executor, jobs)
    for done, (source, result) in enumerate(zip(misses, analysed, strict=False), 1):
        if cache is not None:
            cache.put(keys[source.path], result)
        results[source.path] = shared_terms(result)
        if progress is not None:
            progress(done, len(misses))

    articles: list[Article] = []
    problems: list[Problem] = []
    for source in files:
        result = results[source.path]
        if isinstance(result, Problem):
            problems.append(result)
            continue
        problems.extend(result.problems)
        if not result.meta.exclude:
            articles.append(result)
    return articles, problems, hits


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector (reference counting still frees memory)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def shared_terms(result: Article | Problem) -> Article | Problem:
    """An article with its analysis terms interned: each article arrives with its
    own copy of every term (from a worker or the cache), and the terms are most of
    an analysed article's memory; one copy per distinct term is enough. Done as
    each result arrives, so the copies are freed one article at a time."""
    if isinstance(result, Problem):
        return result
    return replace(result, terms=tuple(map(sys.intern, result.terms)))


def _analyse_in_parallel(
    files: Sequence[SourceFile],
    ids: dict[str, str],
    config: Config,
    executor: Executor | None,
    jobs: int | None,
) -> Iterator[Article | Problem]:
    """Files -> their analyses in the same order, from the executor's workers (each
    analysis is independent and pure; default: a pool of `jobs` processes), once
    they are known to analyse as this process would. Nothing to analyse: no
    executor, no analysis modules imported."""
    if not files:
        return iter(())
    # the analysis stack (lxml, ftfy, segtok, the keyword modules): only for a miss
    from digest.analyse import analyse_file
    from digest.executors import ProcessExecutor

    executor = executor or ProcessExecutor(jobs)
    executor.check(functools.partial(fingerprint, config), fingerprint(config))
    return executor.map(analyse_file, files, [ids[f.path] for f in files], [config] * len(files))


def missing_content_hint(name: str, base: Path) -> str:
    """A content folder that does not exist -> the error, with what to do about it."""
    here = Path.cwd().resolve()
    folder = Path(name)
    if folder.is_absolute() and folder.resolve().is_relative_to(here):
        name = folder.resolve().relative_to(here).as_posix()  # a --content flag: as typed
    shown = f"content folder '{name}' not found"
    if not folder.is_absolute() and base.resolve() != here:
        shown += f" in {base}"
    if (base / "digest.toml").is_file():
        return f"{shown} — create it, or set 'content' in {base / 'digest.toml'}"
    return f"{shown} — run `digest init` to start a digest here"


def article_ids(paths: Sequence[str]) -> dict[str, str]:
    """Content paths -> distinct, URL-safe article ids derived from the paths."""
    stems = {p: p.rsplit(".", 1)[0].replace("/", "-") for p in paths}
    counts = Counter(stems.values())
    # "a.md" and "a.txt" share a stem: those are named by their full path. One
    # call for all names, so a slug collision anywhere gets a hash suffix.
    names = {p: stems[p] if counts[stems[p]] == 1 else p for p in paths}
    return unique_names(names, max_length=80)  # keyed by path: no two paths share an id


def distinct_articles(articles: Sequence[Article]) -> list[Article]:
    """Analysed articles -> the same, no two with one path or one id (`article_ids`
    gives distinct ids; this holds whatever reached the pipeline — a library
    caller's records, a cache entry — so two pages can never have one path): a
    path met twice is kept once, an id two paths share set apart by `distinct_ids`."""
    if len({a.id for a in articles}) == len({a.path for a in articles}) == len(articles):
        return list(articles)
    by_path: dict[str, Article] = {}
    for article in sorted(articles, key=lambda a: (a.path, a.id, a.title)):
        by_path.setdefault(article.path, article)
    ids = distinct_ids((path, a.id) for path, a in by_path.items())
    return [a if ids[p] == a.id else replace(a, id=ids[p]) for p, a in by_path.items()]


def assemble_site(
    articles: Sequence[Article], config: Config, store: StoryCache | None = None
) -> Site:
    """Analysed articles -> the Site: stories grouped, summarised, ordered and placed in
    topics (with `store`, what the story cache holds of a story is taken from it)."""
    # the whole-site stages: imported by the builds that run them
    from digest.cluster import group_articles
    from digest.stories import make_stories, place_stories, top_stories
    from digest.topics import assign_topics
    from digest.weights import TermWeights

    ordered = sorted(distinct_articles(articles), key=lambda a: a.id)
    weights = TermWeights(ordered)
    groups = group_articles(ordered, config, weights)
    stories = make_stories(groups, ordered, config, weights, store)
    topics = assign_topics(stories, {a.id: a for a in ordered}, config)
    stories = place_stories(stories, topics)
    dates = [a.meta.date for a in ordered if a.meta.date]
    return Site(
        title=config.title,
        description=config.description,
        base_url=config.base_url,
        build_date=max(dates)[:10] if dates else None,
        articles=tuple(ordered),
        stories=tuple(stories),
        topics=tuple(topics),
        top_stories=top_stories(stories, config.top_stories, ordered),
    )
