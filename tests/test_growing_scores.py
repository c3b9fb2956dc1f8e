"""The growing digest's scoring definitions, pinned on tiny hand-made inputs."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from benchmarks.growing import (
    BBC_FILE,
    UCI_FILE,
    Snapshot,
    article_file,
    counterparts,
    files_changed,
    first_story_link,
    mixed_stories,
    opens_with_most_covered,
    select_growing,
    share_changed,
    stories_of,
    stories_whole,
    stratified_sample,
    topic_pairs_kept,
    topics_kept,
)
from benchmarks.quality import SetResult, format_table


def story(paths: str, topic: str | None) -> tuple[frozenset[str], str | None]:
    return frozenset(paths.split()), topic


BEFORE = {
    "s1": story("a b", "T1"),
    "s2": story("c", "T1"),
    "s3": story("d e", "T2"),
    "s4": story("g", "T2"),
}


def test_a_relabelled_topic_loses_its_stories_but_keeps_its_pairs() -> None:
    # T1 became U1 with the same members; s3 was split up; s4 stayed in T2
    after = {
        "x": story("a b new", "U1"),
        "y": story("c", "U1"),
        "z": story("d", "T2"),
        "w": story("e", "T2"),
        "v": story("g", "T2"),
    }
    assert counterparts(BEFORE, after) == {"s1": "x", "s2": "y", "s3": None, "s4": "v"}
    assert topics_kept(BEFORE, after) == 1 / 4  # only s4: same topic id
    # pairs (s1, s2) still together under the new label; (s3, s4) lost with s3's split
    assert topic_pairs_kept(BEFORE, after) == 1 / 2
    assert stories_whole(BEFORE, after) == 3 / 4


def test_a_reshuffle_loses_pairs_even_when_ids_survive() -> None:
    after = {
        "x": story("a b", "T1"),
        "y": story("c", "T2"),
        "z": story("d e", "T1"),
        "v": story("g", "T2"),
    }
    assert topics_kept(BEFORE, after) == 2 / 4  # s1 and s4 kept their topic ids
    assert topic_pairs_kept(BEFORE, after) == 0.0
    assert stories_whole(BEFORE, after) == 1.0


def test_stories_without_topics_in_both_builds_keep_them() -> None:
    before = {"s1": story("a", None), "s2": story("b", "T")}
    after = {"x": story("a", None), "y": story("b", None)}
    assert topics_kept(before, after) == 1 / 2
    assert topic_pairs_kept(before, after) == 1.0  # no pair shared a topic


def test_files_changed_counts_added_removed_and_modified_over_the_first_build() -> None:
    before = {"a.html": "1", "b.html": "2", "c.html": "3", "d.html": "4"}
    after = {"a.html": "1", "b.html": "9", "d.html": "4", "e.html": "5", "f.html": "6"}
    assert files_changed(before, after) == (2, 1, 1)
    assert share_changed(before, after) == 4 / 4
    assert share_changed(before, dict(before)) == 0.0


def test_mixed_stories_ignore_articles_without_a_section() -> None:
    stories = {
        "ok": story("b1 b2 u1", None),
        "mixed": story("b3 b4", None),
        "headlines": story("u2 u3", None),
    }
    section_of = {"b1": "sport", "b2": "sport", "b3": "tech", "b4": "politics"}
    assert mixed_stories(stories, section_of) == ["mixed"]


DIGEST: dict[str, Any] = {
    "articles": [
        {"id": "1", "path": "p1.md", "duplicate_of": None},
        {"id": "2", "path": "p2.md", "duplicate_of": "1"},
        {"id": "3", "path": "p3.md", "duplicate_of": "1"},
        {"id": "4", "path": "p4.md", "duplicate_of": None},
        {"id": "5", "path": "p5.md", "duplicate_of": None},
    ],
    "stories": [
        {"id": "copies", "page": "stories/copies.html", "articles": ["1", "2", "3"]},
        {"id": "wide", "page": "stories/wide.html", "articles": ["4", "5"]},
    ],
    "topics": [{"id": "t", "label": "t", "stories": ["copies", "wide"]}],
}


def front_page(*hrefs: str) -> str:
    return "<nav><a href='topics/index.html'>Topics</a></nav>" + "".join(
        f'<a href="{h}">x</a>' for h in hrefs
    )


def test_first_story_link_skips_other_links_and_normalises_paths() -> None:
    html = front_page("https://example.org/stories/wide.html", "./stories/copies.html#top")
    assert first_story_link(html, DIGEST) == "copies"
    assert first_story_link(front_page("keywords/a.html"), DIGEST) is None


def test_most_covered_counts_distinct_reports_not_copies() -> None:
    # "copies" has 3 articles but 1 distinct report; "wide" has 2
    def snap(html: str) -> Snapshot:
        return Snapshot(DIGEST, html, {}, 0.0)

    assert opens_with_most_covered(snap(front_page("stories/wide.html", "stories/copies.html")))
    assert not opens_with_most_covered(snap(front_page("stories/copies.html")))
    assert not opens_with_most_covered(snap(front_page()))


def test_stories_of_reads_topics_and_paths() -> None:
    assert stories_of(DIGEST) == {
        "copies": (frozenset({"p1.md", "p2.md", "p3.md"}), "t"),
        "wide": (frozenset({"p4.md", "p5.md"}), "t"),
    }


def rows() -> list[dict[str, Any]]:
    bbc = [
        {"_file": BBC_FILE, "id": f"{c}/{i}", "category": c, "title": f"{c} {i}", "text": f"{c}{i}"}
        for c, n in (("sport", 12), ("tech", 6), ("arts", 2))
        for i in range(n)
    ]
    bbc.append({**bbc[0], "id": "sport/copy"})  # an exact-duplicate body
    uci = [
        {
            "_file": UCI_FILE,
            "id": 1000 + 10 * s + i,
            "title": f"headline {s} {i}",
            "source": f"outlet {i}",
            "url": f"https://example.org/{s}/{i}",
            "date": f"2014-05-1{s}T0{i}:00:00Z",
            "story": f"story{s}",
        }
        for s, n in ((0, 4), (1, 3), (2, 2))
        for i in range(n)
    ]
    return bbc + uci


def test_select_growing_gives_both_halves_and_one_addition_each() -> None:
    chosen = select_growing(rows(), 20)
    assert chosen == select_growing(rows(), 20)  # fixed seeds
    base = [r for r in chosen if r["role"] == "base"]
    added = [r for r in chosen if r["role"] == "added"]
    assert Counter(r["corpus"] for r in added) == {"bbc": 1, "uci": 1}
    bbc = [r for r in base if r["corpus"] == "bbc"]
    assert len(bbc) == 10 and {r["category"] for r in bbc} == {"sport", "tech", "arts"}
    assert "sport/copy" not in {r["id"] for r in chosen}
    new_bbc = next(r for r in added if r["corpus"] == "bbc")
    assert new_bbc["id"] not in {r["id"] for r in bbc}
    assert new_bbc["date"] > max(r["date"] for r in base)
    new_uci = next(r for r in added if r["corpus"] == "uci")
    # a held-back headline of a story still in the digest, its latest one
    siblings = [r for r in base if r.get("story") == new_uci["story"]]
    assert len(siblings) >= 2 and new_uci["date"] > max(r["date"] for r in siblings)


def test_bbc_files_never_tell_the_section() -> None:
    row = {"corpus": "bbc", "title": "A title", "text": "Body.", "date": "2014-05-09T10:00:00Z"}
    text = article_file({**row, "category": "politics"})
    assert "politics" not in text and 'source: "BBC News"' in text
    assert 'date: "2014-05-09T10:00:00Z"' in text


@pytest.mark.parametrize("n", [1, 3, 5, 19])
def test_stratified_sample_takes_each_group_its_share(n: int) -> None:
    data = [{"k": k, "i": i} for k, size in (("a", 10), ("b", 6), ("c", 4)) for i in range(size)]
    picked = stratified_sample(data, "k", n, seed=1)
    counts = Counter(r["k"] for r in picked)
    assert len(picked) == n
    if n >= 3:
        assert set(counts) == {"a", "b", "c"}
    for k, size in (("a", 10), ("b", 6), ("c", 4)):
        assert abs(counts[k] - n * size / 20) <= 1


def test_the_table_marks_each_figure_against_its_target() -> None:
    figures = {"topics_kept+bbc": 0.96, "files_changed+bbc": 0.2, "mixed_sections": 0}
    table = format_table([SetResult("bbc_uci_growing", "growing", 10, 1.0, figures)])
    lines = {line.strip().split("  ")[0]: line for line in table.splitlines()}
    assert lines["+1 BBC: stories keeping their topic"].endswith("≥ 0.95 ok")
    assert lines["+1 BBC: share of files changed"].endswith("≤ 0.05 MISSED")
    assert lines["stories mixing BBC sections (worst build)"].endswith("≤ 0 ok")
