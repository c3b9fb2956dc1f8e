"""Term weights by day: the IDF of the news around an article (digest.weights)."""

from __future__ import annotations

from digest.models import Article
from digest.terms import idf_table
from digest.weights import DISTINCTIVE_FLOOR, DISTINCTIVE_SHARE, IDF_WINDOW_DAYS, TermWeights
from tests.test_stages import make_article

QUAKE = "An earthquake struck Kumamoto on Tuesday; trains stopped across Kyushu."
FLOOD = "River defences failed in Carlisle overnight; the flood reached the station."
MARKET = "Shares fell in Tokyo as the yen rose; exporters led the market lower."


def test_a_digest_shorter_than_the_window_is_weighed_as_one_collection() -> None:
    # 14 days from the first article's day to the last one's
    assert IDF_WINDOW_DAYS == 14
    articles = [
        make_article("a", QUAKE, date="2024-05-01T09:00:00Z"),
        make_article("b", FLOOD, date="2024-05-09"),
        make_article("c", MARKET),  # undated
        make_article("d", QUAKE + " " + MARKET, date="2024-05-15T23:00:00Z"),
    ]
    whole, _ = idf_table(a.terms for a in articles)
    weights = TermWeights(articles)
    for a in articles:
        # the same floats, to the last bit, as one IDF over the whole digest
        assert weights.of_article(a) == {t: whole[t] for t in a.terms}
    terms = [t for a in articles for t in a.terms]
    assert weights.around("2024-05-09", terms) == {t: whole[t] for t in terms}
    assert weights.around(None, ["kumamoto", "no-such-term"])["no-such-term"] == 1.0


def far(days: int) -> str:
    return f"2024-{1 + days // 28:02d}-{1 + days % 28:02d}"


def test_an_article_weeks_away_moves_no_weight() -> None:
    quake = make_article("quake", QUAKE, date=far(0))
    flood = make_article("flood", FLOOD, date=far(3))
    later = make_article("later", QUAKE + " " + FLOOD, date=far(3 * IDF_WINDOW_DAYS))
    near = make_article("near", QUAKE + " " + FLOOD, date=far(IDF_WINDOW_DAYS))
    before = TermWeights([quake, flood])
    assert TermWeights([quake, flood, later]).of_article(quake) == before.of_article(quake)
    assert TermWeights([quake, flood, later]).around(far(1), quake.terms) == before.around(
        far(1), quake.terms
    )
    # within the window (IDF_WINDOW_DAYS days from the quake's day), it counts
    assert TermWeights([quake, flood, near]).of_article(quake) != before.of_article(quake)
    # and the late article is weighed by the news of its own weeks: alone there,
    # every term is as rare as a term can be
    alone = TermWeights([quake, flood, later]).of_article(later)
    assert len(set(alone.values())) == 1
    assert alone == TermWeights([later]).of_article(later)


def test_undated_articles_count_in_every_window_and_see_the_whole_digest() -> None:
    quake = make_article("quake", QUAKE, date=far(0))
    later = make_article("later", FLOOD, date=far(5 * IDF_WINDOW_DAYS))
    undated = make_article("undated", QUAKE + " " + FLOOD)
    weights = TermWeights([quake, later, undated])
    # the quake's window holds the quake and the undated article: "kyushu" is in both
    both, _ = idf_table([quake.terms, undated.terms])
    assert weights.of_article(quake) == {t: both[t] for t in quake.terms}
    whole, _ = idf_table([quake.terms, later.terms, undated.terms])
    assert weights.of_article(undated) == {t: whole[t] for t in undated.terms}
    assert weights.around(None, undated.terms) == weights.of_article(undated)


def test_no_articles() -> None:
    assert TermWeights([]).around(None, ["word"]) == {"word": 1.0}


def test_a_term_is_distinctive_where_few_articles_of_its_weeks_use_it() -> None:
    assert (DISTINCTIVE_FLOOR, DISTINCTIVE_SHARE) == (5, 0.005)  # 5 below 1,000 articles

    def digest(users: int, far_users: int) -> tuple[TermWeights, list[Article]]:
        near = [make_article(f"n{i}", f"Kumamoto report {i}.", date=far(i)) for i in range(users)]
        away = [
            make_article(f"f{i}", f"Kumamoto report {i}.", date=far(3 * IDF_WINDOW_DAYS + i))
            for i in range(far_users)
        ]
        return TermWeights(near + away), near

    weights, near = digest(5, 0)
    assert "kumamoto" in weights.distinctive(near[0])
    weights, near = digest(6, 0)
    assert "kumamoto" not in weights.distinctive(near[0])
    # six articles use it, but one is weeks away: in the first five's weeks, five do
    weights, near = digest(5, 1)
    assert all("kumamoto" in weights.distinctive(a) for a in near)


def test_a_window_key_changes_with_the_articles_of_that_window_only() -> None:
    quake = make_article("quake", QUAKE, date=far(0))
    flood = make_article("flood", FLOOD, date=far(2))
    later = make_article("later", MARKET, date=far(3 * IDF_WINDOW_DAYS))
    records = {a.id: f"record of {a.id}" for a in (quake, flood, later)}

    def key(articles: list[Article], date: str | None, edited: str = "") -> str:
        hashes = {**records, edited: "edited"} if edited else records
        return TermWeights(articles).window_key(date, hashes.__getitem__)

    before = key([quake, flood], far(1))
    assert key([quake, flood, later], far(1)) == before  # weeks away: the same window
    assert key([quake, flood, later], far(1), edited="later") == before
    assert key([quake, flood], far(1), edited="flood") != before  # a record in it changed
    assert key([quake], far(1)) != before  # an article left it
    # the whole digest's window (undated) holds every article
    assert key([quake, flood, later], None) != key([quake, flood], None)
