"""Fetch benchmark: `digest fetch` of 20 feeds x 50 items from a local server.

Run from the repository root::

    python -m benchmarks.fetch                  # 20 feeds x 50 items
    python -m benchmarks.fetch --feeds 4 --items 10

A server on 127.0.0.1 (tests/fetch_server.py) serves the feeds (RSS 2.0, RSS 1.0,
Atom and JSON Feed in turn) and one article page per item: the saved news pages of
`../shared/eval/html_pages_dev.jsonl`, reused in turn, each copy made distinct by a
comment. No politeness delay (fetch_delay = 0); everything else is the default
(4 requests at once, extraction by trafilatura). It prints the time of a first run
(every page fetched and extracted, one file each) and of a second run with nothing
new (every feed should answer 304 to a conditional request, 0 files written).
Targets (issue 12): first run <= 60 s on 2 cores, second <= 2 s. The pages are
evaluation data: they only ever live in memory and in a temporary folder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.quality import EVAL_DIR, load_jsonl
from digest.config import Config, Source
from digest.fetch import fetch_sources
from digest.fetch.article import extract_article
from tests.fetch_server import FeedItem, FetchServer, atom, json_feed, rss1, rss2

FORMATS = (
    (rss2, "application/rss+xml"),
    (rss1, "application/rdf+xml"),
    (atom, "application/atom+xml"),
    (json_feed, "application/feed+json"),
)


def serve(server: FetchServer, pages: list[str], feeds: int, items: int) -> list[str]:
    """Adds the feeds and their article pages to the server -> the feed URLs."""
    start = dt.datetime(2024, 1, 1, 6, tzinfo=dt.UTC)
    urls = []
    for f in range(feeds):
        entries = []
        for i in range(items):
            n = f * items + i
            path = f"/outlet-{f}/article-{i}.html"
            server.add(path, pages[n % len(pages)] + f"\n<!-- copy {n} -->\n")
            entries.append(
                FeedItem(
                    title=f"Outlet {f} article {i}",
                    link=server.url(path),
                    guid=f"outlet-{f}-{i}",
                    date=start + dt.timedelta(hours=n),
                    summary=f"Summary of article {i} of outlet {f}.",
                )
            )
        make, media = FORMATS[f % len(FORMATS)]
        urls.append(server.add(f"/feed-{f}", make(f"Outlet {f}", entries), media))
    return urls


def run(config: Config) -> tuple[float, int, int]:
    """One fetch -> (seconds, files written, problems)."""
    began = time.perf_counter()
    report = fetch_sources(config)
    seconds = time.perf_counter() - began
    for problem in report.problems[:5]:
        print(f"  problem: {problem.shown()}", file=sys.stderr)
    return seconds, len(report.written), len(report.problems)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    args = parser.parse_args()
    rows = load_jsonl(args.eval_dir, "html_pages_dev.jsonl")
    pages = [row["html"] for row in rows]
    with FetchServer() as server, tempfile.TemporaryDirectory() as folder:
        urls = serve(server, pages, args.feeds, args.items)
        config = Config(
            content=str(Path(folder) / "content"),
            cache=str(Path(folder) / "cache"),
            fetch_delay=0.0,
            allow_private=True,  # the server is on 127.0.0.1
            sources=tuple(Source(u) for u in urls),
        )
        first = run(config)
        feed_paths = [f"/feed-{f}" for f in range(args.feeds)]
        second = run(config)
        conditional = sum(1 for p in feed_paths if server.not_modified[p] == 1)
    # the machine may be shared: the CPU time of extraction (most of the work, done in
    # worker processes the wall clock cannot separate from others' load) is measured
    # here on the distinct pages, in this process
    began = time.process_time()
    for row in rows:
        extract_article(row["html"].encode("utf-8"), row["url"])
    per_page = (time.process_time() - began) / len(rows)
    load = os.getloadavg()[0]
    print(
        f"digest fetch of {args.feeds} feeds x {args.items} items (local server, no delay; "
        f"{os.cpu_count()} cores, load average {load:.1f} at the end: read times against it)"
    )
    print(f"  first run:  {first[0]:6.2f} s, {first[1]} files written, {first[2]} problems")
    print(
        f"  second run: {second[0]:6.2f} s, {second[1]} files written, {second[2]} problems, "
        f"{conditional} of {args.feeds} feeds answered 304 to a conditional GET"
    )
    total = per_page * args.feeds * args.items
    print(
        f"  extraction: {per_page:.3f} CPU-s per page (process time over the {len(rows)} "
        f"distinct pages): {total:.0f} CPU-s for the first run, about {total / 2:.0f} s of "
        "it on two idle cores"
    )


if __name__ == "__main__":
    main()
