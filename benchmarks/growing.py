"""The growing digest: BBC bodies and UCI headlines over one week, built, grown, rebuilt.

The set a newsroom or a feed-fed CI job produces. Half of it is BBC News articles
(exact-duplicate bodies dropped, a fixed sample stratified by section) written as
Markdown with `title`, `source: BBC News` and a `date` with a time of day drawn over
one week; the section is kept for scoring only, never given to the build. The other
half is UCI headlines of whole Google News stories (a fixed hashed order, stories of
at most `UCI_MAX_STORY` headlines), written as the `uci_week` set writes them: title,
publisher as source, url and their own date, body = the headline. The BBC week is the
UCI file's week (from 2014-05-09), so both halves share one week as a real digest would.

The digest is built once; then one article is added to the same content folder and
the site rebuilt in the same folders (content, output and cache: the incremental path
a user takes). Two additions are measured separately, each from the same first build:
a new BBC article dated after everything else, and a held-back UCI headline of a story
already in the digest. Everything is read from the built site only (digest.json,
index.html and the output file tree), never from the pipeline's internals.

Figures (definitions in the functions below): share of stories that keep their topic,
share of topic-mate pairs kept together, share of stories kept whole, share of output
files that change (pagefind/ aside), stories mixing BBC sections, whether the front
page opens with the most-covered story, B-cubed of the UCI headlines' stories, and the
story and topic counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import posixpath
import random
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.quality import Row, SetResult, file_name, markdown, stable_key, unique_bodies
from benchmarks.scoring import grouping_scores

NAME = "bbc_uci_growing"
BBC_FILE = "bbc_news.jsonl"
UCI_FILE = "uci_week_2014-05-09.jsonl"
# articles of each half in the full set (the UCI half loses one headline, held back)
HALF = 300
# the biggest Google News story taken whole: larger ones would fill the UCI half alone
UCI_MAX_STORY = 50
WEEK_START = "2014-05-09T00:00:00"
WEEK_DAYS = 7
SEED = 11
BBC_SOURCE = "BBC News"
# output folders whose bytes are not compared between builds (the search index)
UNCOMPARED = ("pagefind/",)

Story = tuple[frozenset[str], str | None]  # (content paths of its articles, topic id)


# ---------------------------------------------------------------------- the articles


def stratified_sample(rows: Sequence[Row], key: str, n: int, seed: int) -> list[Row]:
    """Rows -> n of them, each `key` value given its share of n (largest remainder, at
    least one each while n allows), a seeded choice inside each; kept in file order."""
    groups: dict[Any, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(r[key], []).append(i)
    if n >= len(rows):
        return list(rows)
    names = sorted(groups, key=str)
    exact = {g: n * len(groups[g]) / len(rows) for g in names}
    quota = {g: min(len(groups[g]), max(1, int(exact[g]))) for g in names}
    by_remainder = sorted(names, key=lambda g: (-(exact[g] - int(exact[g])), str(g)))
    for g in itertools.cycle(by_remainder):
        total = sum(quota.values())
        if total == n:
            break
        if total > n:  # the minimum of one each overshot: take back from the largest
            biggest = max(names, key=lambda x: (quota[x], str(x)))
            quota[biggest] -= 1
        elif quota[g] < len(groups[g]):
            quota[g] += 1
    rng = random.Random(seed)
    keep = {i for g in names for i in rng.sample(groups[g], quota[g])}
    return [r for i, r in enumerate(rows) if i in keep]


def week_dates(n: int, seed: int) -> list[str]:
    """n publication times (to the second, UTC) drawn uniformly over the week."""
    rng = random.Random(seed)
    start = dt.datetime.fromisoformat(WEEK_START)
    return [
        (start + dt.timedelta(seconds=round(rng.uniform(0, WEEK_DAYS * 86400)))).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        for _ in range(n)
    ]


def whole_stories(rows: Sequence[Row], n: int) -> list[Row]:
    """UCI headlines -> those of whole stories of at most UCI_MAX_STORY headlines, taken
    in a fixed hashed order while they fit in n."""
    sizes = Counter(r["story"] for r in rows)
    chosen = set()
    room = n
    for story in sorted(sizes, key=stable_key):
        if sizes[story] <= min(room, UCI_MAX_STORY):
            chosen.add(story)
            room -= sizes[story]
    return [r for r in rows if r["story"] in chosen]


def select_growing(rows: Sequence[Row], limit: int | None) -> list[Row]:
    """BBC and UCI rows (tagged "_file") -> the digest's articles, each tagged with
    "corpus" (bbc or uci), "date" and "role" (base, or added: one BBC article and one
    UCI headline). `limit` caps the base articles (half of each corpus)."""
    half = HALF if limit is None else max(2, min(HALF, limit // 2))
    bbc_rows = unique_bodies([r for r in rows if r["_file"] == BBC_FILE])
    uci_rows = [r for r in rows if r["_file"] == UCI_FILE]
    bbc = stratified_sample(bbc_rows, "category", half, SEED)
    dated = [
        {**r, "corpus": "bbc", "date": d, "role": "base"}
        for r, d in zip(bbc, week_dates(len(bbc), SEED), strict=True)
    ]
    uci = [{**r, "corpus": "uci", "role": "base"} for r in whole_stories(uci_rows, half)]
    # the UCI addition: the latest headline of a story with three or more, held back
    sizes = Counter(r["story"] for r in uci)
    grown = min((s for s in sizes if sizes[s] >= 3), key=stable_key, default=None)
    if grown is not None:
        last = max((r for r in uci if r["story"] == grown), key=lambda r: (r["date"], r["id"]))
        last["role"] = "added"
    # the BBC addition: an unused article (first in hashed order), dated after the rest
    taken = {r["id"] for r in bbc}
    spare = min((r for r in bbc_rows if r["id"] not in taken), key=lambda r: stable_key(r["id"]))
    newest = max(dt.datetime.fromisoformat(r["date"].replace("Z", "+00:00")) for r in dated + uci)
    late = (newest + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [*dated, {**spare, "corpus": "bbc", "date": late, "role": "added"}, *uci]


def article_file(row: Row) -> str:
    """One selected row -> its Markdown file (BBC: no section; UCI: as uci_week)."""
    if row["corpus"] == "bbc":
        return markdown(row["text"], title=row["title"], source=BBC_SOURCE, date=row["date"])
    return markdown(
        row["title"], title=row["title"], source=row["source"], url=row["url"], date=row["date"]
    )


# ---------------------------------------------------------------------- building


@dataclass(frozen=True)
class Snapshot:
    """What one build left in the output folder: digest.json, index.html, file hashes."""

    digest: dict[str, Any]
    index_html: str
    files: dict[str, str]  # path under the output folder -> sha256, UNCOMPARED aside
    seconds: float


def snapshot(output: Path, seconds: float) -> Snapshot:
    files = {}
    for path in sorted(output.rglob("*")):
        rel = path.relative_to(output).as_posix()
        if path.is_file() and not rel.startswith(UNCOMPARED):
            files[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return Snapshot(
        json.loads((output / "digest.json").read_text(encoding="utf-8")),
        (output / "index.html").read_text(encoding="utf-8"),
        files,
        seconds,
    )


def build_and_grow(
    files: Mapping[str, str], additions: Sequence[tuple[str, str]]
) -> tuple[Snapshot, list[Snapshot]]:
    """Files -> the first build's snapshot, and for each (name, text) added alone to the
    same folders after that build (content, output, cache restored between additions)
    the rebuild's snapshot."""
    from digest.config import Config
    from digest.pipeline import build

    config = Config()

    def run(base: Path) -> Snapshot:
        started = time.perf_counter()
        build(config, base)
        return snapshot(base / config.output, time.perf_counter() - started)

    with tempfile.TemporaryDirectory(prefix="digest-growing-") as tmp:
        base, kept = Path(tmp) / "digest", Path(tmp) / "first-build"
        content = base / config.content
        content.mkdir(parents=True)
        for name, text in files.items():
            (content / name).write_text(text, encoding="utf-8")
        first = run(base)
        shutil.copytree(base, kept, symlinks=True)
        grown = []
        for name, text in additions:
            (content / name).write_text(text, encoding="utf-8")
            grown.append(run(base))
            shutil.rmtree(base)
            shutil.copytree(kept, base, symlinks=True)
    return first, grown


# ---------------------------------------------------------------------- scoring


def stories_of(digest: Mapping[str, Any]) -> dict[str, Story]:
    """digest.json -> story id -> (content paths of its articles, topic id or None)."""
    path_of = {a["id"]: a["path"] for a in digest["articles"]}
    topic_of = {sid: t["id"] for t in digest.get("topics") or () for sid in t["stories"]}
    return {
        s["id"]: (
            frozenset(path_of[a] for a in s["articles"]),
            topic_of.get(s["id"], s.get("topic")),
        )
        for s in digest["stories"]
    }


def counterparts(before: Mapping[str, Story], after: Mapping[str, Story]) -> dict[str, str | None]:
    """Stories of two builds -> each first-build story's counterpart: the second-build
    story holding all of its articles (None when they were split up)."""
    holder = {path: sid for sid, (paths, _) in after.items() for path in paths}
    out: dict[str, str | None] = {}
    for sid, (paths, _) in before.items():
        owners = {holder.get(p) for p in paths}
        out[sid] = owners.pop() if len(owners) == 1 else None
    return out


def topics_kept(before: Mapping[str, Story], after: Mapping[str, Story]) -> float:
    """Share of first-build stories whose counterpart is in the same topic (same topic
    id, so the same topic page and feed; no topic in both builds counts as kept). A
    story split up has no counterpart and did not keep its topic."""
    if not before:
        return 1.0
    match = counterparts(before, after)
    kept = sum(
        1 for sid, other in match.items() if other is not None and after[other][1] == before[sid][1]
    )
    return kept / len(before)


def topic_pairs_kept(before: Mapping[str, Story], after: Mapping[str, Story]) -> float:
    """Share of pairs of first-build stories in one topic whose counterparts still share
    a topic, whatever its id: a relabelled topic keeps all its pairs, a reshuffle does
    not. 1.0 when no two stories shared a topic."""
    match = counterparts(before, after)
    members: dict[str, list[str]] = {}
    for sid, (_, topic) in sorted(before.items()):
        if topic is not None:
            members.setdefault(topic, []).append(sid)
    pairs = [pair for group in members.values() for pair in itertools.combinations(group, 2)]
    if not pairs:
        return 1.0

    def topic_after(sid: str) -> str | None:
        other = match[sid]
        return after[other][1] if other is not None else None

    together = sum(
        1 for a, b in pairs if topic_after(a) is not None and topic_after(a) == topic_after(b)
    )
    return together / len(pairs)


def stories_whole(before: Mapping[str, Story], after: Mapping[str, Story]) -> float:
    """Share of first-build stories whose articles all stay in one story."""
    if not before:
        return 1.0
    return sum(1 for other in counterparts(before, after).values() if other) / len(before)


def files_changed(before: Mapping[str, str], after: Mapping[str, str]) -> tuple[int, int, int]:
    """{path: hash} of two builds -> (added, removed, modified) file counts."""
    added = sum(1 for p in after if p not in before)
    removed = sum(1 for p in before if p not in after)
    modified = sum(1 for p, h in before.items() if p in after and after[p] != h)
    return added, removed, modified


def share_changed(before: Mapping[str, str], after: Mapping[str, str]) -> float:
    """Files added, removed or modified, over the first build's file count."""
    return sum(files_changed(before, after)) / len(before) if before else 0.0


def mixed_stories(stories: Mapping[str, Story], section_of: Mapping[str, str]) -> list[str]:
    """Story ids (sorted) holding articles of two or more sections (`section_of`: content
    path -> section; paths without one, e.g. headlines, are ignored)."""
    return sorted(
        sid
        for sid, (paths, _) in stories.items()
        if len({section_of[p] for p in paths if p in section_of}) > 1
    )


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def page_path(href: str) -> str:
    """A link on the front page -> the site path it points to (query, fragment dropped)."""
    path = urlsplit(href).path
    return posixpath.normpath(path).lstrip("/") if path else ""


def first_story_link(index_html: str, digest: Mapping[str, Any]) -> str | None:
    """Front page HTML -> id of the story its first story-page link points to."""
    story_of = {page_path(s["page"]): s["id"] for s in digest["stories"]}
    parser = _Links()
    parser.feed(index_html)
    for href in parser.hrefs:
        if urlsplit(href).scheme or urlsplit(href).netloc:
            continue
        sid = story_of.get(page_path(href))
        if sid is not None:
            return str(sid)
    return None


def reports(digest: Mapping[str, Any]) -> dict[str, int]:
    """digest.json -> story id -> distinct reports (articles that are not a duplicate of
    another article)."""
    duplicate = {a["id"] for a in digest["articles"] if a.get("duplicate_of")}
    return {s["id"]: sum(1 for a in s["articles"] if a not in duplicate) for s in digest["stories"]}


def opens_with_most_covered(snap: Snapshot) -> bool:
    """Whether the front page's first story link is to a story with the most distinct
    reports (any of them, when several tie)."""
    counts = reports(snap.digest)
    first = first_story_link(snap.index_html, snap.digest)
    return first is not None and counts[first] == max(counts.values())


def topic_labels(digest: Mapping[str, Any]) -> str:
    """digest.json -> "label (n stories)" of each topic, largest first."""
    topics = sorted(digest.get("topics") or (), key=lambda t: (-len(t["stories"]), t["id"]))
    return "; ".join(f"{t['label']} ({len(t['stories'])})" for t in topics) or "none"


# ---------------------------------------------------------------------- the set


def bench_growing(rows: Sequence[Row], baselines: bool = True) -> SetResult:
    """The selected rows -> built, grown by each addition, scored (no baselines)."""
    del baselines  # nothing to compare against but the targets
    names = [f"{r['corpus'][0]}{file_name(i)}" for i, r in enumerate(rows)]
    base = {n: article_file(r) for n, r in zip(names, rows, strict=True) if r["role"] == "base"}
    additions = [
        (n, r["corpus"], article_file(r))
        for n, r in zip(names, rows, strict=True)
        if r["role"] == "added"
    ]
    first, grown = build_and_grow(base, [(n, text) for n, _, text in additions])
    section_of = {
        n: r["category"] for n, r in zip(names, rows, strict=True) if r["corpus"] == "bbc"
    }
    before = stories_of(first.digest)
    stories_by_path = {p: sid for sid, (paths, _) in before.items() for p in paths}
    uci = [
        (n, r["story"])
        for n, r in zip(names, rows, strict=True)
        if n in base and r["corpus"] == "uci"
    ]
    uci_scores = grouping_scores(
        [stories_by_path.get(n, f"dropped:{n}") for n, _ in uci], [g for _, g in uci]
    )
    builds = [first, *grown]
    mixed = [mixed_stories(stories_of(s.digest), section_of) for s in builds]
    figures: dict[str, float] = {
        "stories": len(before),
        "topics": len(first.digest.get("topics") or ()),
    }
    for (_, corpus, _), snap in zip(additions, grown, strict=True):
        after = stories_of(snap.digest)
        figures[f"topics+{corpus}"] = len(snap.digest.get("topics") or ())
        figures[f"topics_kept+{corpus}"] = topics_kept(before, after)
        figures[f"topic_pairs_kept+{corpus}"] = topic_pairs_kept(before, after)
        figures[f"stories_whole+{corpus}"] = stories_whole(before, after)
        figures[f"files_changed+{corpus}"] = share_changed(first.files, snap.files)
    figures["mixed_sections"] = max(len(m) for m in mixed)
    figures["front_page_most_covered"] = sum(opens_with_most_covered(s) for s in builds) / len(
        builds
    )
    figures.update({f"uci_{k}": v for k, v in uci_scores.items()})
    result = SetResult(NAME, "growing", len(base), first.seconds, figures)
    result.notes.extend(growing_notes(rows, names, base, additions, builds, mixed, section_of))
    return result


def growing_notes(
    rows: Sequence[Row],
    names: Sequence[str],
    base: Mapping[str, str],
    additions: Sequence[tuple[str, str, str]],
    builds: Sequence[Snapshot],
    mixed: Sequence[Sequence[str]],
    section_of: Mapping[str, str],
) -> Iterable[str]:
    """What a reader of the table needs besides the figures: sizes, labels, examples."""
    corpora = Counter(r["corpus"] for n, r in zip(names, rows, strict=True) if n in base)
    uci_stories = len({r["story"] for r in rows if r["corpus"] == "uci"})
    yield (
        f"{corpora['bbc']} BBC articles (sections kept for scoring only), {corpora['uci']} UCI "
        f"headlines of {uci_stories} stories; added one at a time: "
        + ", ".join(f"{corpus} ({name})" for name, corpus, _ in additions)
    )
    tags = ["build 1", *(f"+{corpus}" for _, corpus, _ in additions)]
    first = builds[0]
    for tag, snap in zip(tags, builds, strict=True):
        changed = ""
        if snap is not first:
            added, removed, modified = files_changed(first.files, snap.files)
            changed = f" files +{added} -{removed} ~{modified} of {len(first.files)};"
        yield (
            f"{tag}: {snap.seconds:.1f} s,{changed} {len(snap.digest['stories'])} stories, "
            f"{len(snap.digest.get('topics') or ())} topics: {topic_labels(snap.digest)}"
        )
    titles = {s["id"]: s["title"] for s in first.digest["stories"]}
    counts = reports(first.digest)
    lead = first_story_link(first.index_html, first.digest)
    top = max(counts, key=lambda s: (counts[s], s)) if counts else None
    yield (
        f"front page opens with {titles.get(lead or '', lead)!r} ({counts.get(lead or '', 0)} "
        f"reports); most covered: {titles.get(top or '', top)!r} ({counts.get(top or '', 0)})"
    )
    stories = stories_of(first.digest)
    for sid in mixed[0][:3]:
        sections = Counter(section_of[p] for p in stories[sid][0] if p in section_of)
        yield f"mixed: {titles[sid]!r} holds " + ", ".join(
            f"{n} {s}" for s, n in sorted(sections.items())
        )
