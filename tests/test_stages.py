"""Unit tests of the shared stages: grouping, summaries, rendering, writing, config."""

from __future__ import annotations

import gc
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from digest.cluster import Group, group_articles
from digest.config import Config, load_config
from digest.models import Article, Block, DigestError, Keyword, Meta, Story
from digest.pipeline import article_ids
from digest.stories import story_keywords, top_stories
from digest.summarize import summarize
from digest.terms import content_terms, shingles, split_sentences, stem
from digest.write import check_output_path, safe_relative, write_site
from tests.conftest import Builder


def make_article(
    article_id: str, text: str, *, date: str | None = None, story: str | None = None
) -> Article:
    sentences = tuple(split_sentences(text))
    counts: dict[str, int] = {}
    for term in content_terms(text):
        counts[term] = counts.get(term, 0) + 1
    return Article(
        id=article_id,
        path=f"{article_id}.md",
        title=sentences[0] if sentences else article_id,
        title_derived=True,
        meta=Meta(date=date, story=story),
        blocks=(Block("p", text),),
        sentences=sentences,
        lead=sentences[:2],
        keywords=(),
        terms=tuple(sorted(counts)),
        term_counts=tuple(counts[t] for t in sorted(counts)),
        shingles=shingles(text),
        word_count=len(text.split()),
    )


FLOOD = (
    "Heavy rain flooded the river town of Bexley overnight. Rescue crews evacuated "
    "residents from the flooded streets near the river. The mayor of Bexley said the "
    "flood defences failed after the river burst its banks."
)
FLOOD_2 = (
    "The river burst its banks in Bexley, flooding streets after heavy rain. Crews "
    "rescued residents as flood defences failed, the Bexley mayor said. Forecasters "
    "warn more rain will fall on the flooded town."
)
CHESS = (
    "The chess champion won the final game of the tournament in Oslo. Her opponent "
    "resigned after a long endgame. The champion now leads the world rankings."
)


def test_related_articles_group_and_unrelated_do_not() -> None:
    articles = [make_article("a", FLOOD), make_article("b", CHESS), make_article("c", FLOOD_2)]
    groups = group_articles(articles, Config())
    assert sorted(g.members for g in groups) == [(0, 2), (1,)]


def test_grouping_respects_the_time_window() -> None:
    articles = [
        make_article("a", FLOOD, date="2024-01-01"),
        make_article("b", FLOOD_2, date="2024-03-01"),
    ]
    assert len(group_articles(articles, Config())) == 2
    assert len(group_articles(articles, Config(story_window_days=0))) == 1


def test_story_pins_override_similarity() -> None:
    articles = [
        make_article("a", FLOOD, story="x"),
        make_article("b", CHESS, story="x"),
        make_article("c", FLOOD_2),
    ]
    groups = sorted(g.members for g in group_articles(articles, Config()))
    assert groups == [(0, 1), (2,)]


def test_grouping_is_independent_of_input_order() -> None:
    articles = [make_article(i, t) for i, t in (("a", FLOOD), ("b", CHESS), ("c", FLOOD_2))]
    forward = group_articles(articles, Config())
    backward = group_articles(articles[::-1], Config())

    def ids(groups: list[Group], arts: list[Article]) -> list[tuple[str, ...]]:
        return sorted(tuple(sorted(arts[i].id for i in g.members)) for g in groups)

    assert ids(forward, articles) == ids(backward, articles[::-1])


def test_near_identical_versions_are_marked() -> None:
    copy = FLOOD + " A spokesman added nothing."
    articles = [make_article("a", FLOOD), make_article("b", copy), make_article("c", FLOOD_2)]
    (group,) = [g for g in group_articles(articles, Config()) if len(g.members) > 1]
    assert group.duplicates == ((0, 1),)  # the shorter version points at the fuller one


def test_summary_fits_budget_cites_sources_and_does_not_repeat() -> None:
    articles = [make_article("a", FLOOD), make_article("b", FLOOD_2)]
    summary = summarize(articles, min_words=20, max_words=40)
    assert summary
    assert sum(len(s.text.split()) for s in summary) <= 40
    assert {s.article for s in summary} <= {"a", "b"}
    texts = [s.text for s in summary]
    assert len(texts) == len(set(texts))
    for s in summary:
        source = next(a for a in articles if a.id == s.article)
        assert s.text in source.sentences


def test_story_keywords_favour_shared_names() -> None:
    a = make_article("a", "Bexley flooded. The Bexley mayor spoke about the river.")
    b = make_article("b", "Flood in Bexley. Crews worked all night.")
    a = Article(**{**a.__dict__, "keywords": (Keyword("mayor", "mayor", 0.9),)})
    b = Article(**{**b.__dict__, "keywords": (Keyword("crews", "crews", 0.9),)})
    a = Article(**{**a.__dict__, "keywords": (*a.keywords, Keyword("Bexley", "bexley", 0.5))})
    keys = [k.key for k in story_keywords([a, b], 3)]
    assert keys[0] == "bexley"  # ranked by one, mentioned by both


def test_article_ids_are_unique_and_safe() -> None:
    ids = article_ids(["a.md", "a.txt", "x/a.md", "Ünïcode title.md", "../../etc.md"])
    assert len(set(ids.values())) == 5
    for value in ids.values():
        assert "/" not in value and ".." not in value and value


def test_light_stemmer() -> None:
    assert [stem(w) for w in ("forces", "cities", "bus", "glass", "news")] == [
        "force",
        "city",
        "bus",
        "glass",
        "new",
    ]


def test_write_site_keeps_unchanged_files_and_removes_stale(tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert write_site({"digest.json": b"{}", "a.html": b"A", "old.html": b"O"}, out) == (3, 0)
    before = os.stat(out / "a.html")
    assert write_site({"digest.json": b"{}", "a.html": b"A", "b/c.html": b"C"}, out) == (1, 2)
    assert os.stat(out / "a.html").st_ino == before.st_ino  # not rewritten
    assert not (out / "old.html").exists()
    assert (out / "b" / "c.html").read_bytes() == b"C"
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # no staging folders left


@pytest.mark.parametrize("bad", ["../x.html", "/etc/passwd", "a/../../b", "", "a//b"])
def test_pages_cannot_escape_the_output_folder(bad: str, tmp_path: Path) -> None:
    with pytest.raises(DigestError):
        safe_relative(bad)
    with pytest.raises(DigestError):
        write_site({bad: b"x"}, tmp_path / "site")
    assert not (tmp_path / "x.html").exists()


def test_output_path_checks(tmp_path: Path) -> None:
    content = tmp_path / "project" / "content"
    content.mkdir(parents=True)
    project = tmp_path / "project"
    for bad in (Path("/"), Path.home(), project, content, content / "site"):
        with pytest.raises(DigestError):
            check_output_path(bad, content, project)
    check_output_path(project / "site", content, project)


def test_render_escapes_content_and_drops_unsafe_links(build_site: Builder, tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "x.md").write_text(
        "---\ntitle: '<script>alert(1)</script> Storm'\nurl: 'javascript:alert(1)'\n"
        "source: '<b>Evil</b>'\n---\n"
        "The storm <img src=x onerror=alert(1)> hit the coast on Monday, officials said.\n",
        encoding="utf-8",
    )
    _, data, site = build_site(content)
    for page in site.rglob("*.html"):
        html = page.read_text("utf-8")
        assert "<script>alert" not in html and "javascript:" not in html, page
        assert "onerror" not in html and "<b>Evil" not in html, page
    assert data["articles"][0]["url"] is None


def test_config_defaults_and_validation(tmp_path: Path) -> None:
    config, base = load_config(None)
    assert config == Config() and base == Path.cwd()
    path = tmp_path / "digest.toml"
    path.write_text('title = "T"\nstory_threshold = 2\nbase_url = "ftp://x"\n', "utf-8")
    with pytest.raises(DigestError) as err:
        load_config(path)
    assert "story_threshold" in str(err.value) and "base_url" in str(err.value)
    path.write_text('title = "T"\nstory_threshold = 0.4\n', "utf-8")
    config, base = load_config(path)
    assert (config.title, config.story_threshold, base) == ("T", 0.4, tmp_path)


def test_digest_json_schema(build_site: Builder, seed_content: Path) -> None:
    _, _, site = build_site(seed_content)
    raw = json.loads((site / "digest.json").read_text("utf-8"))
    assert set(raw) >= {"articles", "stories"}
    for article in raw["articles"]:
        assert set(article) == {
            "id", "path", "title", "source", "url", "date", "keywords", "lead", "article_text",
            "duplicate_of",
        }  # fmt: skip
        assert article["article_text"] in ("excerpt", "full")
    for story in raw["stories"]:
        assert {"id", "title", "page", "articles", "keywords", "summary"} <= set(story)
        assert (site / story["page"]).is_file()


def test_close_publication_times_make_weak_matches_one_story() -> None:
    a_text = "Comcast defends its Time Warner Cable merger before House panel."
    b_text = "Lawmakers grill Comcast chief at a heated hearing on Capitol Hill."

    def pair(first: str, second: str) -> list[tuple[int, ...]]:
        articles = [make_article("a", a_text, date=first), make_article("b", b_text, date=second)]
        return sorted(g.members for g in group_articles(articles, Config()))

    assert pair("2014-05-09T07:00:00Z", "2014-05-09T08:00:00Z") == [(0, 1)]
    assert pair("2014-05-09", "2014-05-09") == [(0,), (1,)]  # no time of day: no boost
    assert pair("2014-05-09T07:00:00Z", "2014-05-12T07:00:00Z") == [(0,), (1,)]
    articles = [make_article("a", a_text, date="2014-05-09T07:00:00Z")]
    articles.append(make_article("b", b_text, date="2014-05-09T07:30:00Z"))
    assert len(group_articles(articles, Config(story_time_bonus=0))) == 2


def test_headline_only_markdown_is_an_article(build_site: Builder, tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.md").write_text(
        "---\ntitle: 'WATCH: Comcast chief grilled over cable merger'\n"
        "url: https://example.com/a\n---\n",
        encoding="utf-8",
    )
    report, data, _ = build_site(content)
    assert report.problems == ()
    (article,) = data["articles"]
    assert article["title"].startswith("WATCH: Comcast")
    assert article["url"] == "https://example.com/a"
    assert any("Comcast" in k for k in article["keywords"])


def test_clean_text_drops_every_forbidden_code_point_and_only_those() -> None:
    """clean_text skips its regex for printable text: that is only right if no
    printable code point is one XML and HTML forbid. Checked over all of Unicode."""
    from digest.feeds import _FORBIDDEN, clean_text

    every = "".join(chr(cp) for cp in range(0x110000))
    kept = clean_text(every)
    assert kept == _FORBIDDEN.sub("", every)
    assert not _FORBIDDEN.search(kept) and "\x0b" not in kept and "\ufffe" not in kept
    for cp in range(0x110000):
        c = chr(cp)
        assert clean_text(c) == ("" if _FORBIDDEN.match(c) else c), hex(cp)


def test_pairs_across_parts_of_the_strong_graph_never_change_the_clusters() -> None:
    """Grouping leaves out pairs that join two parts of the graph of pairs at the
    threshold or above (`_within_reach`): on random graphs, average linkage gives
    the same clusters with and without them."""
    import random

    import numpy as np

    from digest.cluster import _within_reach, average_link

    rng = random.Random(7)
    dropped = 0
    for _ in range(200):
        n = rng.randint(2, 40)
        pairs = sorted({tuple(sorted(rng.sample(range(n), 2))) for _ in range(rng.randint(1, 120))})
        sims = [round(rng.random() ** 2, 3) for _ in pairs]
        threshold = rng.choice([0.1, 0.2, 0.35])
        left = np.array([i for i, _ in pairs])
        right = np.array([j for _, j in pairs])
        keep = _within_reach(left, right, np.array(sims), n, threshold)
        every = [(i, j, s) for (i, j), s in zip(pairs, sims, strict=True)]
        kept = [edge for edge, k in zip(every, keep.tolist(), strict=True) if k]
        dropped += len(every) - len(kept)
        assert average_link(list(range(n)), kept, threshold) == average_link(
            list(range(n)), every, threshold
        )
    assert dropped > 1000  # the check had pairs to leave out


def test_top_stories_reach_back_seven_days_from_the_newest_article() -> None:
    """A story counts as recent when it has a report within 7 × 24 hours of the
    digest's newest article, whatever the calendar days: a digest spanning a week
    and an hour still opens with its most-covered story."""

    def story(key: str, dates: list[str]) -> tuple[Story, list[Article]]:
        members = [
            make_article(f"{key}{n}", f"{key} text {n}.", date=d) for n, d in enumerate(dates)
        ]
        made = Story(
            id=key,
            title=key,
            articles=tuple(a.id for a in members),
            duplicates=(),
            keywords=(),
            summary=(),
            cohesion=1.0,
            date=max(dates),
        )
        return made, members

    big, big_articles = story("big", ["2014-05-09T12:31:00Z"] * 4)
    small, small_articles = story("small", ["2014-05-15T10:00:00Z"] * 2)
    late, late_articles = story("late", ["2014-05-16T00:53:00Z", "2014-05-16T00:50:00Z"])
    old, old_articles = story("old", ["2014-05-08T23:00:00Z"] * 5)  # 170 hours before: too old
    articles = big_articles + small_articles + late_articles + old_articles
    ordered = [old, big, small, late]
    assert top_stories(ordered, 8, articles) == ("big", "late", "small")  # ties: newer first
    assert top_stories(ordered, 1, articles) == ("big",)
    assert top_stories(ordered, 0, articles) == ()
    # without dates, every story is recent and coverage alone decides
    undated = [replace(a, meta=Meta()) for a in articles]
    dateless = [replace(s, date=None) for s in ordered]
    assert top_stories(dateless, 2, undated) == ("old", "big")


def test_a_build_leaves_the_garbage_collector_as_it_found_it(
    build_site: Builder, seed_content: Path
) -> None:
    """A build pauses the cyclic collector while it decodes cached records and
    freezes what lives until it ends (`pipeline`): afterwards the collector is as
    the caller left it, enabled or not, and nothing stays frozen (`digest serve`
    builds again and again in one process)."""
    for _ in range(2):  # a cold build, then one reading every article from the cache
        report, _, _ = build_site(seed_content)
        assert gc.isenabled() and gc.get_freeze_count() == 0
    assert report.cache_hits > 0
    gc.disable()
    try:
        (seed_content / "extra.md").write_text("# Extra\n\nA new article about ferries.\n")
        build_site(seed_content)
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.enable()
