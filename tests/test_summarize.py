"""Story summaries: citations, budget, determinism, support, headline-only stories."""

from __future__ import annotations

from dataclasses import replace

import pytest

from digest.models import Article
from digest.summarize import (
    FEATURES,
    WEIGHTS,
    sentence_features,
    story_candidates,
    summarize,
)
from digest.titles import clean_headline, headline_penalty
from tests.test_stages import CHESS, FLOOD, FLOOD_2, make_article

FLOOD_3 = (
    "Emergency crews in Bexley rescued dozens of residents when the river burst its "
    "banks after a night of heavy rain. A local baker opened her shop to feed the "
    "volunteers who worked through the night. Flood defences along the river failed, "
    "officials in Bexley said on Tuesday."
)


def headline(article_id: str, title: str, date: str = "2014-05-10") -> Article:
    """A feed entry: a title and no body, as the loader makes a body-less Markdown file."""
    base = make_article(article_id, "", date=date)
    return replace(base, title=title, title_derived=False, sentences=(), lead=(), blocks=())


def test_every_sentence_cites_a_report_of_the_story_and_the_budget_holds() -> None:
    articles = [make_article("a", FLOOD), make_article("b", FLOOD_2), make_article("c", FLOOD_3)]
    for low, high in ((10, 20), (20, 40), (30, 60), (200, 260)):
        summary = summarize(articles, low, high)
        assert summary
        assert sum(len(s.text.split()) for s in summary) <= high
        for s in summary:
            source = next(a for a in articles if a.id == s.article)
            assert s.text in source.sentences
        assert len({s.text for s in summary}) == len(summary)


def test_summaries_are_deterministic_and_independent_of_earlier_calls() -> None:
    articles = [make_article("a", FLOOD), make_article("b", FLOOD_2), make_article("c", FLOOD_3)]
    first = summarize(articles, 20, 40)
    summarize([make_article("x", CHESS)], 20, 40)
    assert summarize(articles, 20, 40) == first


def test_a_sentence_several_reports_support_beats_an_isolated_one() -> None:
    # Report a has two sentences of the same length and position in its paragraph:
    # the story's other reports repeat the first and say nothing of the second.
    supported = "The river burst its banks in Bexley and flooded the streets after heavy rain."
    isolated = "A local baker opened her shop on Tuesday to feed the volunteers with fresh bread."
    a = make_article("a", f"{isolated} {supported}")
    b = make_article("b", f"{supported} Forecasters expect more rain this week.")
    c = make_article(
        "c", "Heavy rain made the river burst its banks in Bexley, flooding the streets."
    )
    candidates = story_candidates([a, b, c], None)
    rows = sentence_features(candidates, 3)
    score = {
        cand.text: sum(w * f for w, f in zip(WEIGHTS, row, strict=True))
        for cand, row in zip(candidates, rows, strict=True)
        if cand.article == 0
    }
    assert score[supported] > score[isolated]
    agreement = FEATURES.index("agreement")
    by_text = {c.text: row for c, row in zip(candidates, rows, strict=True) if c.article == 0}
    assert by_text[supported][agreement] > by_text[isolated][agreement]
    # and the summary opens with it, although the isolated sentence leads its article
    (first, *_) = summarize([a, b, c], 10, 20)
    assert "burst its banks" in first.text


def test_a_single_report_gets_no_support_from_itself() -> None:
    candidates = story_candidates([make_article("a", FLOOD)], None)
    rows = sentence_features(candidates, 1)
    for name in ("agreement", "term_reports", "centrality"):
        assert {row[FEATURES.index(name)] for row in rows} == {0.0}


def test_headline_only_stories_show_their_headlines() -> None:
    articles = [
        headline("a", "UPDATE 1-Apple to buy Beats Electronics for $3 bln"),
        headline("b", "Apple confirms it will buy Beats Electronics for $3 billion"),
        headline("c", "Apple agrees to buy Beats Electronics for $3 billion"),
        headline("d", "Dr. Dre becomes hip-hop's first billionaire with Beats sale"),
        headline("e", "APPLE BUYS BEATS"),
    ]
    summary = summarize(articles, 10, 40)
    texts = [s.text for s in summary]
    assert texts, "a headline-only story gets its headlines"
    assert sum(len(t.split()) for t in texts) <= 40
    by_id = {a.id: a for a in articles}
    for s in summary:
        # each headline cites its own article, shown without its wire slug
        assert s.text == clean_headline(by_id[s.article].title)
    # cleanest first: no wire prefix, no capitals shouting
    flawless = [a.title for a in articles if headline_penalty(a.title) == 0]
    assert texts[0] in flawless
    assert not any(t.startswith("UPDATE") for t in texts)
    # distinct: two wordings of the same headline are not both shown
    assert not {by_id["b"].title, by_id["c"].title} <= set(texts)
    assert by_id["d"].title in texts  # a headline that adds something is kept


def test_headlines_fill_at_least_the_minimum_when_they_can_and_never_pass_the_maximum() -> None:
    articles = [
        headline("a", "Heavy rain floods the river town of Bexley"),
        headline("b", "Bexley mayor blames failed flood defences"),
        headline("c", "Volunteers feed Bexley rescue crews through the night"),
    ]
    assert len(summarize(articles, 1, 100)) == 1  # one headline is enough for 1 word
    longer = summarize(articles, 20, 100)
    assert len(longer) == 3
    tight = summarize(articles, 20, 8)
    assert all(len(s.text.split()) <= 8 for s in tight)
    assert len(tight) == 1


def test_a_story_with_bodies_ignores_a_bare_headline_among_its_reports() -> None:
    bare = headline("h", "Bexley floods")
    articles = [make_article("a", FLOOD), bare, make_article("b", FLOOD_2)]
    summary = summarize(articles, 20, 40)
    assert summary
    assert "h" not in {s.article for s in summary}


def test_a_headline_repeated_as_the_body_counts_as_headline_only() -> None:
    # a feed entry written with its headline as the body, as the uci_week set is
    title = "Heavy rain floods the river town of Bexley overnight again"
    entry = replace(headline("a", title), sentences=(title,), lead=(title,))
    other = headline("b", "Bexley mayor blames failed flood defences")
    summary = summarize([entry, other], 10, 40)
    assert sorted((s.article, s.text) for s in summary) == [("a", title), ("b", other.title)]


@pytest.mark.parametrize(
    ("opening", "kept_after"),
    [
        (
            "\u201cThe river burst its banks in Bexley and flooded streets,\u201d the mayor said.",
            True,
        ),
        ("He said the river burst its banks in Bexley and flooded the streets.", False),
    ],
    ids=["quotation", "leaning on another sentence"],
)
def test_a_summary_does_not_open_with_a_sentence_a_reader_cannot_place(
    opening: str, kept_after: bool
) -> None:
    a = make_article("a", f"{opening} Rescue crews worked through the night in the town.")
    b = make_article("b", f"{opening} Forecasters expect more rain in Bexley this week.")
    plain = make_article("c", "Heavy rain made the river burst its banks in Bexley on Monday.")
    summary = summarize([a, b, plain], 20, 60)
    assert summary
    assert summary[0].text != opening
    if kept_after:  # a quotation may still follow: it is only kept from the opening
        assert any(s.text == opening for s in summary[1:])
