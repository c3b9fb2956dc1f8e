"""Grouping with publication time as evidence, and the figures a story page shows."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.cluster import (
    DISTINCTIVE_PART,
    HEADLINE_BONUS,
    SHORT_TEXT_TERMS,
    _parts,
    article_vectors,
    counted_similarity,
    group_articles,
    too_far,
)
from digest.config import Config
from digest.evidence import pair_evidence, story_evidence
from digest.models import Article
from digest.terms import cosine, tfidf
from digest.weights import TermWeights
from tests.conftest import Builder, parse_html
from tests.test_stages import CHESS, FLOOD, FLOOD_2, make_article

# Two unrelated reports that share everyday words (council, plans, budget, school).
HOUSING = (
    "The city council approved plans for four hundred new homes on the old gasworks "
    "site. Neighbours raised concerns about traffic on the ring road, parking, school "
    "places and the loss of a small park used by dog walkers. Developers promised a "
    "health centre, a bus lane and affordable flats for key workers such as nurses and "
    "teachers. Building work is expected to start in the spring and last three years, "
    "with the first families moving in before the next election."
)
LIBRARY = (
    "The county council will close two branch libraries under budget cuts announced "
    "on Monday. A petition signed by thousands of readers asks for a rethink, and "
    "campaigners say the reading rooms serve pensioners without internet access, "
    "students revising for exams and parents at toddler story time. Volunteers offered "
    "to staff the buildings for free, but officials said heating, insurance and "
    "repairs would still cost more than the authority can afford."
)
# Two reports of one event in different words: they share the names, not the phrasing.
QUAKE = (
    "A magnitude 6.1 earthquake struck near Kumamoto on Tuesday morning, shaking "
    "buildings across Kyushu. Train services were halted while engineers inspected "
    "the tracks, and the prefecture opened evacuation centres."
)
QUAKE_2 = (
    "Residents of Kumamoto spent the night in shelters after the tremor. Officials on "
    "Kyushu counted dozens of damaged homes and said aftershocks could continue for "
    "days; schools in the prefecture will stay closed."
)

# Two long reports of different events that share only the vocabulary of their
# subject (broadband, business, internet, customers, services), no name or particular.
BROADBAND_US = (
    "More American households than ever now buy broadband, a federal regulator said "
    "in its annual report on Tuesday. Cable operators in Ohio and Texas signed up "
    "eleven million broadband customers, while telephone carriers lagged in rural "
    "counties. The regulator wants faster internet services for clinics and schools "
    "before the next census, and promised grants to cooperatives laying fibre across "
    "the prairie. Business customers rely on broadband for video calls, online "
    "shopping and digital storage, the report said, and shopkeepers in Nebraska "
    "described internet services as essential to any business. Critics in Congress "
    "called the figures generous, arguing that many homes still depend on satellite "
    "dishes or slow copper lines. Online business and internet services grow fast; the report "
    "expects broadband customers and digital services to double within a decade."
)
ECOMMERCE_UK = (
    "British firms are trading online as never before, according to a study for the "
    "trade minister published in Manchester. Nine in ten manufacturers now have "
    "broadband, and half of the retailers surveyed sell through their own websites. "
    "The business report ranked Britain third after Sweden and Denmark but ahead of "
    "Germany for internet trade by companies. Bakers, plumbers and accountants told "
    "researchers that online ordering and digital services had brought new customers "
    "from abroad. The minister praised chambers of commerce for training volunteers, "
    "yet warned that cyber crime and patchy mobile coverage in the Highlands still "
    "hold broadband business back. The internet business report interviewed managers of "
    "workshops, pubs and garages, and its authors propose broadband vouchers so that "
    "customers in remote villages get digital services."
)
# Two reports of one event: they share its names and particulars.
FERRY = (
    "A ferry carrying four hundred passengers ran aground off the island of Skopelos "
    "on Sunday evening, and the Greek coastguard evacuated everyone by lifeboat. "
    "The vessel, the Aegean Star, struck rocks near the harbour of Glossa in strong "
    "winds. Coastguard divers inspected the hull overnight and found a long gash below "
    "the waterline. Passengers, many of them tourists from Italy and Austria, spent the "
    "night in a school gym where volunteers handed out blankets and soup. The shipping "
    "company said the captain had reported engine trouble minutes before the "
    "grounding, and prosecutors in Volos opened an inquiry. Tugs are expected to pull "
    "the Aegean Star free once the weather calms."
)
FERRY_2 = (
    "Prosecutors in Volos questioned the captain of the Aegean Star on Monday after the "
    "ferry ran aground near Glossa on Skopelos with four hundred people aboard. The "
    "Greek coastguard said all passengers were safe after a night ashore, and divers "
    "confirmed a gash in the hull. Tourists described a loud crash, lights going out "
    "and crew members handing out life jackets in the dark. The operator blamed a "
    "sudden engine failure in gusts of force eight, while fishermen on the island said "
    "the ship sailed far too close to the rocks. Salvage tugs from Piraeus arrived in "
    "the afternoon, and the company promised refunds and flights home for stranded "
    "holidaymakers."
)
# A sentence of that vocabulary, added to other reports: in a digest, those words
# are common, the way "business" or "internet" are in news.
GENERIC = (
    "Business customers, internet services and broadband firms were consulted online "
    "for the digital report."
)


def similarity(a: str, b: str) -> float:
    articles = [make_article("a", a), make_article("b", b)]
    va, vb = article_vectors(articles, TermWeights(articles))
    return cosine(va, vb)


def members(texts: list[str], dates: Sequence[str | None], config: Config) -> list[tuple[int, ...]]:
    articles = [
        make_article(str(n), t, date=d) for n, (t, d) in enumerate(zip(texts, dates, strict=True))
    ]
    return sorted(g.members for g in group_articles(articles, config))


def test_the_examples_sit_where_the_rule_matters() -> None:
    config = Config()
    # unrelated: some words in common, but under the floor where time starts to count
    assert 0 < similarity(HOUSING, LIBRARY) < config.story_text_floor
    # one event: words above the floor, yet under the threshold on their own
    assert config.story_text_floor <= similarity(QUAKE, QUAKE_2) < config.story_threshold


def test_unrelated_articles_published_an_hour_apart_stay_apart() -> None:
    dates = ["2024-05-01T09:00:00Z", "2024-05-01T10:00:00Z"]
    assert members([HOUSING, LIBRARY], dates, Config()) == [(0,), (1,)]
    # even published at the same minute
    same = ["2024-05-01T09:00:00Z"] * 2
    assert members([HOUSING, LIBRARY], same, Config()) == [(0,), (1,)]
    # time added nothing: their words are under the floor
    a, b = (make_article(n, t, date=same[0]) for n, t in (("a", HOUSING), ("b", LIBRARY)))
    weights = TermWeights([a, b])
    va, vb = article_vectors([a, b], weights)
    e = pair_evidence(a, b, va, vb, Config(), (weights.distinctive(a), weights.distinctive(b)))
    assert e.hours_apart == 0.0 and e.counted == e.words > 0 and e.time_bonus == 0.0


def test_reports_of_one_event_join_when_published_close_together() -> None:
    close = ["2024-05-01T09:00:00Z", "2024-05-01T11:00:00Z"]
    assert members([QUAKE, QUAKE_2], close, Config()) == [(0, 1)]
    # the same words without time of day, or a day apart, are not enough
    assert members([QUAKE, QUAKE_2], ["2024-05-01", "2024-05-01"], Config()) == [(0,), (1,)]
    apart = ["2024-05-01T09:00:00Z", "2024-05-02T09:00:00Z"]
    assert members([QUAKE, QUAKE_2], apart, Config()) == [(0,), (1,)]
    assert members([QUAKE, QUAKE_2], close, Config(story_time_bonus=0)) == [(0,), (1,)]


def test_time_bonus_is_added_only_above_the_floor() -> None:
    config = Config(story_time_bonus=0.1, story_time_scale_hours=6, story_text_floor=0.1)
    words = np.array([0.05, 0.12, 0.12, 0.12, 0.3])
    hours = np.array([0.0, 0.0, 6.0, math.nan, 0.0])
    long_texts = np.full(5, 200)
    counted = counted_similarity(words, hours, long_texts, config, distinctive=words)
    expected = [0.05, 0.22, 0.12 + 0.1 * math.exp(-1), 0.12, 0.4]
    assert np.allclose(counted, expected)
    # a brief (20 terms) needs 2/5 of the floor: 0.05 there shows one subject
    brief = float(counted_similarity(0.05, 0.0, 20, config, distinctive=0.0))
    assert math.isclose(brief, 0.15)  # (no bound on what a brief's words count)
    assert float(counted_similarity(0.03, 0.0, 20, config, distinctive=0.03)) == 0.03
    # between headlines (at most 10 terms) the bonus is larger
    headlines = float(counted_similarity(0.05, 0.0, 8, config, distinctive=0.05))
    assert math.isclose(headlines, 0.05 + HEADLINE_BONUS * 0.1)
    nothing = float(counted_similarity(0.0, 0.0, 0, config, distinctive=0.0))
    assert nothing == 0.0  # nothing shared: nothing added


def test_story_window_counts_hours_when_dates_have_a_time_of_day() -> None:
    # 47 hours apart across three calendar days; 25 hours apart within two
    assert bool(too_far(2, 47.0, 2)) is False
    assert bool(too_far(1, 49.0, 2)) is True
    assert bool(too_far(3, math.nan, 2)) is True  # no time of day: calendar days
    assert bool(too_far(2, math.nan, 2)) is False
    assert bool(too_far(math.nan, math.nan, 2)) is False  # undated: never too far
    dates = ["2024-05-01T01:00:00Z", "2024-05-03T03:00:00Z"]  # 50 hours, 2 days apart
    assert members([FLOOD, FLOOD_2], dates, Config()) == [(0,), (1,)]
    assert members([FLOOD, FLOOD_2], ["2024-05-01", "2024-05-03"], Config()) == [(0, 1)]


def test_far_apart_dates_never_pair() -> None:
    dates = ["2024-05-01T09:00:00Z", "2024-05-04T09:00:00Z"]
    assert members([FLOOD, FLOOD_2], dates, Config()) == [(0,), (1,)]
    assert members([FLOOD, FLOOD_2], dates, Config(story_window_days=0)) == [(0, 1)]


def test_story_figures_agree_with_the_threshold() -> None:
    config = Config()
    texts = [QUAKE, QUAKE_2, FLOOD, FLOOD_2, CHESS]
    dates = [
        "2024-05-01T09:00:00Z",
        "2024-05-01T11:00:00Z",
        "2024-05-01T09:30:00Z",
        "2024-05-01T10:30:00Z",
        "2024-05-01T09:15:00Z",
    ]
    articles = [
        make_article(str(n), t, date=d) for n, (t, d) in enumerate(zip(texts, dates, strict=True))
    ]
    weights = TermWeights(articles)
    vectors = article_vectors(articles, weights)
    groups = group_articles(articles, config, weights)
    idf = weights.around(None, (t for a in articles for t in a.terms))
    assert sorted(g.members for g in groups) == [(0, 1), (2, 3), (4,)]
    rare = [weights.distinctive(a) for a in articles]
    quake = story_evidence(articles[:2], vectors[:2], idf, config, rare[:2])
    ((i, j, pair),) = quake.pairs
    assert (i, j) == (0, 1)
    assert pair.words < config.story_threshold <= pair.counted  # joined through time
    assert math.isclose(pair.time_bonus, pair.counted - pair.words, abs_tol=1e-3)
    assert pair.hours_apart == 2.0
    assert quake.joined_by_time == 1 and quake.counted >= config.story_threshold
    assert quake.hours_span == 2.0
    assert {"Kumamoto", "Kyushu", "prefecture"} <= {t for t, _ in quake.shared_terms}
    flood = story_evidence(articles[2:4], vectors[2:4], idf, config, rare[2:4])
    assert flood.words >= config.story_threshold and flood.joined_by_time == 0
    assert flood.shared_terms[0][1] == 2  # every shared term is used by both
    # shown as the articles write them, not as stems ("defences", not "defence")
    assert "defences" in {t for t, _ in flood.shared_terms}
    # the pair figures are those grouping counted
    e = pair_evidence(articles[0], articles[1], vectors[0], vectors[1], config, (rare[0], rare[1]))
    assert e == pair


def test_pairs_too_far_apart_count_as_nothing_in_the_figures() -> None:
    config = Config()
    a = make_article("a", FLOOD, date="2024-05-01T09:00:00Z")
    b = make_article("b", FLOOD_2, date="2024-05-09T09:00:00Z")
    weights = TermWeights([a, b])
    va, vb = article_vectors([a, b], weights)
    e = pair_evidence(a, b, va, vb, config, (weights.distinctive(a), weights.distinctive(b)))
    assert e.too_far and e.counted == 0.0 and e.words > config.story_threshold
    assert e.time_bonus == 0.0


def test_story_page_says_time_joined_them_with_figures_that_agree(
    build_site: Builder, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    content.mkdir()
    for name, text, when in (
        ("quake-1", QUAKE, "2024-05-01T09:00:00Z"),
        ("quake-2", QUAKE_2, "2024-05-01T11:00:00Z"),
    ):
        (content / f"{name}.md").write_text(f"---\ndate: {when}\n---\n{text}\n", "utf-8")
    _, data, site = build_site(content)
    assert len(data["stories"]) == 1
    page = parse_html(site / data["stories"][0]["page"])
    why = " ".join(page.xpath("//details[@class='why']")[0].text_content().split())
    found = re.search(r"at least (\d+)% alike\. These 2 count as (\d+)%", why)
    assert found and int(found[2]) >= int(found[1]) == round(Config().story_threshold * 100)
    pair = re.search(r"words (\d+)% alike, published 2 h apart: counts as (\d+)%", why)
    assert pair and int(pair[1]) < int(found[1]) <= int(pair[2]), why
    assert "1 of the 1 pairs reach" in why and "only with the time bonus" in why
    assert "Kumamoto (all)" in why


def generic_digest() -> list[Article]:
    """The two broadband reports, the ferry reports and two unrelated ones, with the
    everyday business vocabulary in six articles: common in this digest."""
    texts = [
        BROADBAND_US,
        ECOMMERCE_UK,
        f"{FERRY} {GENERIC}",
        f"{FERRY_2} {GENERIC}",
        f"{HOUSING} {GENERIC}",
        f"{LIBRARY} {CHESS} {GENERIC}",
    ]
    return [make_article(str(n), t) for n, t in enumerate(texts)]


def test_long_articles_sharing_only_common_words_stay_apart() -> None:
    config = Config()
    articles = generic_digest()
    weights = TermWeights(articles)
    vectors = article_vectors(articles, weights)
    idf = weights.around(None, (t for a in articles for t in a.terms))
    rare = [weights.distinctive(a) for a in articles]
    assert all(len(v) >= SHORT_TEXT_TERMS for v in vectors)  # the bound is for long texts
    # their words alone are above the threshold, through words six articles use
    broadband = cosine(vectors[0], vectors[1])
    assert broadband >= config.story_threshold
    shared = set(vectors[0]) & set(vectors[1])
    assert shared and not shared & (rare[0] | rare[1])
    # the ferry reports share names and particulars, and the same common words
    assert {"aegean", "skopelo", "volo"} <= {t for t in set(vectors[2]) & set(vectors[3])}
    groups = sorted(g.members for g in group_articles(articles, config, weights))
    assert groups == [(0,), (1,), (2, 3), (4,), (5,)]
    # the story figures say the same: the broadband pair counts nothing
    e = pair_evidence(articles[0], articles[1], vectors[0], vectors[1], config, (rare[0], rare[1]))
    assert e.words == round(broadband, 4) and e.distinctive == 0.0
    assert e.word_part == e.counted == 0.0 and e.time_bonus == 0.0
    ferry = story_evidence(articles[2:4], vectors[2:4], idf, config, rare[2:4])
    ((_, _, pair),) = ferry.pairs
    assert pair.word_part is None and pair.counted == pair.words >= config.story_threshold


def test_what_long_texts_words_count_is_bounded_by_their_distinctive_terms() -> None:
    config = Config(story_time_bonus=0.1, story_time_scale_hours=6, story_text_floor=0.1)
    # long texts: the words count at most distinctive / DISTINCTIVE_PART
    bounded = float(counted_similarity(0.3, math.nan, 200, config, distinctive=0.01))
    assert math.isclose(bounded, 0.01 / DISTINCTIVE_PART)
    assert float(counted_similarity(0.3, math.nan, 200, config, distinctive=0.2)) == 0.3
    # the time bonus goes to what the words count, above the floor only
    lifted = float(counted_similarity(0.3, 0.0, 200, config, distinctive=0.012))
    assert math.isclose(lifted, 0.012 / DISTINCTIVE_PART + 0.1)
    below = float(counted_similarity(0.3, 0.0, 200, config, distinctive=0.005))
    assert math.isclose(below, 0.005 / DISTINCTIVE_PART)  # 0.05: under the floor, no bonus
    # short texts (briefs, headlines): their words count in full
    brief = float(counted_similarity(0.3, math.nan, SHORT_TEXT_TERMS - 1, config, distinctive=0))
    assert brief == 0.3


def test_story_page_says_when_common_words_were_bounded(
    build_site: Builder, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    content.mkdir()
    for n, article in enumerate(generic_digest()):
        pinned = "story: broadband\n" if n < 2 else ""  # an editor put the two together
        text = " ".join(article.sentences)
        (content / f"{n}.md").write_text(f"---\n{pinned}---\n{text}\n", "utf-8")
    _, data, site = build_site(content)
    (story,) = [s for s in data["stories"] if len(s["articles"]) == 2 and "0" in s["articles"]]
    assert sorted(story["articles"]) == ["0", "1"]
    page = parse_html(site / story["page"])
    why = " ".join(page.xpath("//details[@class='why']")[0].text_content().split())
    pair = re.search(
        r"words (\d+)% alike, (\d+)% through words few articles use: counts as (\d+)%", why
    )
    assert pair, why
    assert (
        int(pair[1]) >= round(Config().story_threshold * 100) and int(pair[2]) == int(pair[3]) == 0
    )


def test_article_vectors_are_the_tfidf_of_their_counts() -> None:
    """`article_vectors` makes each vector from the count and IDF lists directly: the
    same floats, in the same order, as `terms.tfidf` of the article's counts and IDF
    (counts past the looked-up ones included)."""
    articles = generic_digest()
    heavy = replace(
        articles[0], term_counts=tuple(c * 40 + i for i, c in enumerate(articles[0].term_counts))
    )
    assert max(heavy.term_counts) > 64
    articles = [heavy, *articles[1:]]
    weights = TermWeights(articles)
    for article, vector in zip(articles, article_vectors(articles, weights), strict=True):
        expected = tfidf(article.counts(), weights.of_article(article))
        assert list(vector.items()) == list(expected.items())


@settings(deadline=None)
@given(st.integers(1, 40), st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39))))
def test_parts_are_the_connected_components(n: int, edges: list[tuple[int, int]]) -> None:
    """The union-find of the strong-pair graph labels two nodes alike exactly when
    scipy's connected_components does."""
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    edges = [(i % n, j % n) for i, j in edges]
    left, right = [i for i, _ in edges], [j for _, j in edges]
    graph = sparse.coo_matrix((np.ones(len(edges)), (left, right)), shape=(n, n))
    _, expected = connected_components(graph, directed=False)
    found = np.asarray(_parts(n, left, right))
    assert ((found[:, None] == found[None, :]) == (expected[:, None] == expected[None, :])).all()
