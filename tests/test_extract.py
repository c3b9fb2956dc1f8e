"""Extraction: keywords, lead sentences, titles; the seeds' per-article results."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from digest.analyse import analyse_file
from digest.clean import clean_document
from digest.config import Config
from digest.extract import (
    extract_article,
    fix_shouting,
    lead_sentences,
    title_from_lead,
)
from digest.keywords import extract_keywords
from digest.load import SourceFile
from digest.models import Article, Block, Document, Keyword, Meta
from digest.terms import STOP_WORDS, shingle_set, words

SEEDS = Path(__file__).resolve().parents[1] / "content"

_CACHE: dict[str, Article] = {}


def seed(prefix: str) -> Article:
    """The analysed seed article (computed once per test run: YAKE is not free)."""
    if prefix not in _CACHE:
        (path,) = SEEDS.glob(f"{prefix}_*.txt")
        result = analyse_file(SourceFile(path.name, path.read_bytes()), prefix, Config())
        assert isinstance(result, Article), result
        _CACHE[prefix] = result
    return _CACHE[prefix]


def keys(article_or_list: Article | list[Keyword]) -> list[str]:
    kws = article_or_list.keywords if isinstance(article_or_list, Article) else article_or_list
    return [k.key for k in kws]


ALL_SEEDS = ["000", "001", "002", "003"]

PRIGOZHIN_TEXT = (
    "WAGNER chief Yevgeny Prigozhin left Russia for Belarus. Prigozhin said the Wagner "
    "fighters would return to their camps. The Kremlin said Prigozhin would go to Belarus. "
    "Wagner forces had seized Rostov-on-Don. Yevgeny Prigozhin will not be prosecuted. "
    "Wagner troops were cheered in Rostov-on-Don. Prigozhin thanked the Wagner fighters. "
    "Belarus president Alexander Lukashenko brokered the deal with Prigozhin."
)


# --------------------------------------------------------------------------- keywords


def test_keywords_have_no_markup_words():
    text = (
        'The Wagner chief left Russia. <a href="x" target="_blank">link</a> '
        "href target _blank href target _blank www html. "
    ) * 3
    kws = extract_keywords(text, 10, 3)
    assert "wagner" in keys(kws)
    junk = {"href", "target", "_blank", "blank", "www", "html", "a"}
    for kw in kws:
        assert not junk & set(kw.key.split()), kw


def test_keywords_have_no_stop_word_fragments():
    text = (
        "Mr Peskov told reporters the deal was done. According to Mr Peskov, Wagner fighters "
        "would sign contracts. Mr Peskov said years of fighting had ended. Several weeks ago "
        "Mr Peskov told the story. Two days later the fighters left."
    )
    kws = extract_keywords(text, 10, 3)
    assert kws
    for kw in kws:
        parts = kw.key.split()
        assert parts[0] not in STOP_WORDS and parts[-1] not in STOP_WORDS, kw
        assert not all(p in STOP_WORDS for p in parts), kw
    for fragment in ("told", "years", "weeks", "ago", "told reporters"):
        assert fragment not in keys(kws)


def test_keywords_fold_shouted_case():
    kws = extract_keywords(PRIGOZHIN_TEXT, 10, 3)
    labels = {k.key: k.label for k in kws}
    assert labels["wagner"] == "Wagner"
    assert "WAGNER" not in labels.values()


def test_keywords_fold_shouted_word_inside_a_phrase():
    from digest.keywords import _display_form

    assert _display_form("WAGNER chief", PRIGOZHIN_TEXT) == "Wagner chief"
    kws = extract_keywords(PRIGOZHIN_TEXT, 10, 3)
    for kw in kws:
        assert not any(len(w) > 4 and w.isupper() for w in kw.label.split()), kw


def test_keywords_merge_a_name_with_its_longer_form():
    kws = extract_keywords(PRIGOZHIN_TEXT, 10, 3)
    assert "prigozhin" in keys(kws)
    assert "yevgeny prigozhin" not in keys(kws)
    assert len({k.key for k in kws}) == len(kws)


def test_keywords_merge_keeps_long_form_when_short_never_stands_alone():
    text = (
        "Alexander Lukashenko met the envoy. Alexander Lukashenko said a deal was close. "
        "Alexander Lukashenko called the Kremlin twice. The Kremlin thanked Alexander Lukashenko."
    )
    got = keys(extract_keywords(text, 10, 3))
    assert "alexander lukashenko" in got
    assert "lukashenko" not in got


@pytest.mark.parametrize("prefix", ALL_SEEDS)
def test_seed_keywords_merge_prigozhin(prefix):
    got = keys(seed(prefix))
    assert "prigozhin" in got
    assert not any(k.endswith("yevgeny prigozhin") or k == "yevgeny" for k in got)


def test_long_article_has_at_least_ten_keywords_best_first():
    article = seed("002")
    assert len(article.keywords) >= 10
    scores = [k.score for k in article.keywords]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 < s <= 1.0 for s in scores)
    assert {"putin", "wagner", "prigozhin"} <= set(keys(article))


def test_keywords_respect_the_limit_and_are_unique():
    kws = extract_keywords(PRIGOZHIN_TEXT, 4, 3)
    assert len(kws) == 4
    assert len(set(keys(kws))) == 4
    for kw in extract_keywords(PRIGOZHIN_TEXT, 10, 1):
        assert " " not in kw.key


def test_keywords_of_empty_text():
    assert extract_keywords("", 10, 3) == []
    assert extract_keywords("   ", 10, 3) == []


def test_title_phrase_ranks_higher():
    plain = keys(extract_keywords(PRIGOZHIN_TEXT, 10, 3))
    word = plain[-1]
    boosted = keys(extract_keywords(PRIGOZHIN_TEXT, 10, 3, title=f"{word.title()} matters"))
    assert boosted.index(word) < plain.index(word)


def test_keywords_are_deterministic():
    assert extract_keywords(PRIGOZHIN_TEXT, 10, 3) == extract_keywords(PRIGOZHIN_TEXT, 10, 3)


# --------------------------------------------------------------------------- lead

NEWS = [
    "Putin had called the mutiny an act of treason in a televised address.",
    "Officials said the criminal case against him would be dropped soon.",
    "Wagner fighters were seen leaving Rostov-on-Don late on Saturday night.",
    "The Kremlin said the fighters who took part would not be prosecuted.",
]


@pytest.mark.parametrize(
    ("dateline", "sentence"),
    [
        ("LONDON (Reuters) - ", "The chief of the Wagner group has left Russia for Belarus."),
        ("MOSCOW, June 24 (Reuters) - ", "Russian troops set up checkpoints around the capital."),
        ("WASHINGTON (AP) — ", "The United States is monitoring the situation closely."),
        ("LONDON: ", "British officials said they were monitoring the situation."),
    ],
)
def test_lead_skips_datelines(dateline, sentence):
    assert lead_sentences([dateline + sentence, *NEWS], 1) == [sentence]


@pytest.mark.parametrize(
    "dateline", ["KYIV, Ukraine (AP) — ", "ROSTOV-ON-DON, Russia, June 24 (Reuters) - "]
)
def test_lead_skips_datelines_with_a_region(dateline):
    sentence = "Wagner fighters left the city late on Saturday night."
    assert lead_sentences([dateline + sentence], 1) == [sentence]


def test_lead_skips_questions_quotes_fragments_and_colons():
    sentences = [
        "What caused the crisis between Moscow and the Wagner group?",
        "“We're turning our columns around and going back,” he said on Saturday.",
        '"We are going all the way," Prigozhin said in a voice message.',
        "Too short to lead.",
        "Here is what we know so far about the mutiny:",
        *NEWS,
    ]
    assert lead_sentences(sentences, 3) == NEWS[:3]


def test_lead_has_at_most_the_configured_number():
    assert lead_sentences(NEWS, 1) == NEWS[:1]
    assert lead_sentences(NEWS, 2) == NEWS[:2]
    assert lead_sentences(NEWS, 10) == NEWS


def test_lead_stops_at_the_word_budget():
    long = " ".join(["word"] * 60) + "."
    assert lead_sentences([long, *NEWS], 3) == [long]
    assert lead_sentences([long, *NEWS], 3, max_words=200) == [long, *NEWS[:2]]


def test_lead_of_nothing():
    assert lead_sentences([], 3) == []
    assert lead_sentences(["Short.", "Why?"], 3) == []


def test_article_lead_respects_config():
    for n in (1, 2):
        article = extract_article(
            Document("a.txt", Meta(), tuple(Block("p", s) for s in NEWS)),
            Config(lead_sentences=n),
            "a",
        )
        assert list(article.lead) == NEWS[:n]


# --------------------------------------------------------------------------- titles


def test_title_from_short_lead_is_the_sentence():
    assert title_from_lead(["Wagner turns back."]) == "Wagner turns back"
    assert title_from_lead(["Wagner turns back.", "More."]) == "Wagner turns back"


def test_title_from_lead_cuts_at_a_clause():
    first = (
        "The chief of the Wagner mercenary force, Yevgeny Prigozhin, has been allowed to leave "
        "Russia for Belarus, following his decision to halt the advance of his fighters on Moscow."
    )
    assert title_from_lead([first]) == (
        "The chief of the Wagner mercenary force, Yevgeny Prigozhin, has been allowed to leave "
        "Russia for Belarus"
    )


def test_title_from_lead_cuts_at_a_word():
    first = (
        "The extraordinarily protracted negotiations between representatives of the Belarusian "
        "government and the mercenary commanders concluded unexpectedly yesterday afternoon."
    )
    title = title_from_lead([first])
    assert title.endswith("…")
    assert len(title) <= 111
    assert first.startswith(title[:-1] + " ")


@pytest.mark.parametrize("word_length", [1, 3, 5, 8, 13])
def test_title_from_lead_never_cuts_mid_word(word_length):
    vocabulary = [("abcdefghijklm" * 2)[i : i + word_length] for i in range(13)]
    sentence_words = [vocabulary[i % 13].capitalize() for i in range(80)]
    sentence = " ".join(sentence_words) + "."
    title = title_from_lead([sentence])
    assert len(title) <= 111
    title_words = title.rstrip("…").split()
    assert title_words == sentence_words[: len(title_words)]


def test_title_from_no_lead():
    assert title_from_lead([]) == "Untitled article"


def test_fix_shouting():
    text = "The Wagner boss fled to Belarus."
    assert fix_shouting("WAGNER coup leader flees", text) == "Wagner coup leader flees"
    # no lower-case form in the text: the capitals may be an acronym, keep them
    assert fix_shouting("WAGNER coup leader flees", "No mention.") == "WAGNER coup leader flees"
    assert fix_shouting("NATO allies watch closely", "NATO said.") == "NATO allies watch closely"
    assert fix_shouting("WAGNER COUP LEADER", text) == "WAGNER COUP LEADER"
    assert fix_shouting("Wagner coup leader", text) == "Wagner coup leader"


def test_article_title_order_meta_then_headline_then_lead():
    blocks = (Block("h", "A headline here"), *(Block("p", s) for s in NEWS))
    by_meta = extract_article(Document("a.txt", Meta(title="Meta"), blocks), Config(), "a")
    assert (by_meta.title, by_meta.title_derived) == ("Meta", False)
    doc = clean_document(Document("a.txt", Meta(), blocks))
    by_headline = extract_article(doc, Config(), "a")
    assert (by_headline.title, by_headline.title_derived) == ("A headline here", False)
    by_lead = extract_article(Document("a.txt", Meta(), blocks[1:]), Config(), "a")
    assert by_lead.title == NEWS[0].rstrip(".")
    assert by_lead.title_derived is True


def test_article_sentences_exclude_headings_and_include_list_items():
    blocks = (
        Block("h", "Section heading"),
        Block("p", NEWS[0] + " " + NEWS[1]),
        Block("ul", items=("First point of the list", "Second point")),
    )
    article = extract_article(Document("a.txt", Meta(), blocks), Config(), "x")
    assert article.sentences == (NEWS[0], NEWS[1], "First point of the list", "Second point")
    assert article.id == "x"
    assert article.word_count == len(words(" ".join(article.sentences)))


def test_word_count_treats_curly_and_straight_apostrophes_alike():
    def count(text: str) -> int:
        doc = Document("a.txt", Meta(), (Block("p", text),))
        return extract_article(doc, Config(), "a").word_count

    assert count("Putin’s forces didn’t stop at Rostov.") == count(
        "Putin's forces didn't stop at Rostov."
    )


# --------------------------------------------------------------------------- seeds


def test_seed_000_title_from_lead_without_promo():
    article = seed("000")
    assert article.title_derived is True
    assert article.title.startswith("The chief of the Wagner mercenary force")
    assert "Follow" not in article.title
    assert not article.title[-1].isspace()
    assert article.meta.source == "thenationalnews.com"
    assert article.lead[0].startswith("The chief of the Wagner mercenary force")


def test_seed_001_date_and_lead():
    article = seed("001")
    assert article.meta.date == "2023-06-24"
    assert article.title_derived is True
    assert 1 <= len(article.lead) <= 3
    assert article.lead[0].startswith("The chief of Wagner mercenary force")
    assert not any(s.endswith("?") for s in article.lead)


def test_seed_002_source_and_unshouted_title():
    article = seed("002")
    assert article.meta.source == "The Sun"
    assert article.title_derived is True
    assert article.title.startswith("Wagner coup leader Yevgeny Prigozhin fled to Belarus")
    assert "WAGNER" not in article.title
    assert "wagner" in keys(article)


def test_seed_003_title_is_its_headline():
    article = seed("003")
    assert article.title == (
        "Wagner’s March on Moscow Halted as Belarus’ Lukashenko Negotiates Stand Down "
        "with Prigozhin"
    )
    assert article.title_derived is False
    assert article.meta.source == "breitbart.com"
    assert article.lead[0].startswith("Belarusian dictator Alexander Lukashenko")
    assert not any("Getty" in s or "Zindulka" in s for s in article.sentences)


@pytest.mark.parametrize("prefix", ALL_SEEDS)
def test_seed_articles_are_well_formed(prefix):
    article = seed(prefix)
    assert article.word_count > 300
    assert 1 <= len(article.lead) <= Config().lead_sentences
    assert set(article.lead) <= set(article.sentences)  # the seeds have no datelines
    assert len(article.keywords) == Config().keywords_per_article
    assert article.terms == tuple(sorted(set(article.terms)))
    assert len(article.term_counts) == len(article.terms) and min(article.term_counts) >= 1
    hashes = struct.unpack(f"<{len(article.shingles) // 4}I", article.shingles)
    assert len(article.shingles) % 4 == 0 and list(hashes) == sorted(set(hashes))
    assert shingle_set(article.shingles) == set(hashes) and len(hashes) > 300
    assert article.problems == ()
    assert not any("<" in s or "&amp;" in s or "\ufffd" in s for s in article.sentences)


# --------------------------------------------------------------------------- backends


@pytest.mark.parametrize("name", ["000", "001", "002", "003"])
def test_rust_yake_agrees_with_reference_yake(name):
    from digest.keywords import yake_candidates

    article = seed(name)
    text = " ".join(article.sentences)
    fast = [p.lower() for p, _ in yake_candidates(text, "en", 3, 10, "yake-rust")]
    reference = [p.lower() for p, _ in yake_candidates(text, "en", 3, 10, "yake")]
    assert len(set(fast) & set(reference)) >= 8, (fast, reference)
    assert fast[:3] == reference[:3]


def test_keyword_backends_give_the_same_seed_keywords():
    for path in sorted(SEEDS.glob("*.txt")):
        source = SourceFile(path.name, path.read_bytes())
        fast = analyse_file(source, "x", Config())
        reference = analyse_file(source, "x", Config(keyword_backend="yake"))
        assert isinstance(fast, Article) and isinstance(reference, Article)
        assert [k.label for k in fast.keywords] == [k.label for k in reference.keywords]
