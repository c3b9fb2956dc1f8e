"""Work bounded for any input: inputs shaped to be slow grow the time linearly.

Each scaling test times a step on an input and on one four times as large and
checks the ratio stays well below the sixteen a quadratic step gives (< 8: a
generous bound for a shared CI machine). The ratio of two times measured in the
same test is what is checked, never a time itself. The equivalence tests pin
that bounding the work left ordinary text as it was.
"""

from __future__ import annotations

import random
import string
import time
from collections.abc import Callable

import pytest
from segtok.segmenter import split_multi

import digest.extract
from digest.analyse import analyse_file
from digest.config import Config
from digest.extract import ANALYSED_CHARS
from digest.keywords import YAKE_MAX_STOPS, extract_keywords, yake_text
from digest.load import SourceFile
from digest.models import Article, Keyword, Story, Topic
from digest.stories import MAX_POSTINGS, RELATED_STORIES, related_stories
from digest.terms import MAX_RUN_CHARS, split_sentences

# A ratio of times for 4x the input; linear is about 4, quadratic 16.
MAX_RATIO = 8.0

_WORDS = (
    "the council voted on monday to approve a budget for schools roads and "
    "hospitals after months of talks between the mayor and union leaders who "
    "said workers would strike if pay did not rise with prices across the region"
).split()


def _seconds(step: Callable[[], object]) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def _ratio(
    make: Callable[[int], object], step: Callable[[object], object], n: int, runs: int = 3
) -> float:
    """Time of a step on an input of size 4n over its time on one of size n: the
    shortest of a few runs of each (the least disturbed by other work), the two
    sizes taken in turn so that both meet the same load on a busy machine."""
    small, large = make(n), make(4 * n)
    step(small)  # warm up: imports, caches, compiled patterns
    best_small = best_large = float("inf")
    for _ in range(runs):
        best_small = min(best_small, _seconds(lambda: step(small)))
        best_large = min(best_large, _seconds(lambda: step(large)))
    return best_large / max(best_small, 1e-4)


def _repeat(unit: str) -> Callable[[int], str]:
    return lambda n: (unit * (n // len(unit) + 1))[:n]


# Paragraph shapes that made sentence splitting (segtok) quadratic or worse.
SLOW_PARAGRAPHS = {
    "a stop then a lower-case word": _repeat("x.) lower "),
    "initials in an open bracket": _repeat("(Smith et al. Jones et al. "),
    "continuations after stops": _repeat("He left. and then. "),
    "no punctuation at all": lambda n: " ".join(
        random.Random(n).choice(_WORDS) for _ in range(n // 6)
    ),
}


@pytest.mark.parametrize("shape", sorted(SLOW_PARAGRAPHS))
def test_sentence_splitting_grows_linearly(shape: str) -> None:
    ratio = _ratio(SLOW_PARAGRAPHS[shape], lambda text: split_sentences(str(text)), 20_000)
    assert ratio < MAX_RATIO, f"{shape}: 4x the text took {ratio:.1f}x the time"


def test_no_sentence_is_longer_than_a_run() -> None:
    blob = " ".join(random.Random(1).choice(_WORDS) for _ in range(40_000))
    sentences = split_sentences(blob)
    assert max(map(len, sentences)) <= MAX_RUN_CHARS
    assert " ".join(sentences) == blob  # cut at spaces, nothing lost


def _prose(n_sentences: int, seed: int) -> str:
    rng = random.Random(seed)
    out = []
    for i in range(n_sentences):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(6, 25))]
        opener = rng.choice(["Mr. Smith said", "The U.S. team", "In (brackets) it", "Dr. Lee"])
        end = rng.choice([".", "!", "?", '."', ". (AP)"])
        out.append(f"{opener} {' '.join(words)}{end}" if i % 3 else f"{' '.join(words)}{end}")
    return " ".join(s[0].upper() + s[1:] for s in out)


@pytest.mark.parametrize("n_sentences", [3, 40, 400])
def test_prose_is_split_as_segtok_splits_it(n_sentences: int) -> None:
    """Long or short, ordinary prose gets segtok's sentences, however it is cut."""
    for seed in range(5):
        text = _prose(n_sentences, seed)
        expected = [s.strip() for s in split_multi(text) if s.strip()]
        assert split_sentences(text) == expected


def _names(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 7)))


def _paragraph_file(n_words: int) -> SourceFile:
    """One paragraph of n words, a new two-word name every four words: each name is
    a keyword candidate searched for in the whole text (quadratic before)."""
    rng = random.Random(n_words)
    text = " ".join(
        f"{_names(rng).capitalize()} {_names(rng).capitalize()} met the"
        for _ in range(n_words // 4)
    )
    return SourceFile("big.txt", f"title: One long paragraph\n\n{text}\n".encode())


def test_analysing_one_huge_paragraph_grows_linearly() -> None:
    # 100,000 characters against 400,000: past ANALYSED_CHARS, where the bound works
    config = Config()

    def analyse(source: object) -> object:
        assert isinstance(source, SourceFile)
        return analyse_file(source, "big", config)

    assert _ratio(_paragraph_file, analyse, 18_000, runs=1) < MAX_RATIO


def test_keywords_read_at_most_the_analysed_opening(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []

    def spy(text: str, *args: object, **kwargs: object) -> list[Keyword]:
        seen.append(len(text))
        return []

    monkeypatch.setattr(digest.extract, "extract_keywords", spy)
    article = analyse_file(_paragraph_file(ANALYSED_CHARS // 2), "big", Config())
    assert isinstance(article, Article)
    assert seen and max(seen) <= ANALYSED_CHARS
    assert sum(map(len, article.sentences)) > 2 * ANALYSED_CHARS  # the text is all shown


def test_a_text_past_the_analysed_opening_still_counts_all_its_words() -> None:
    n = ANALYSED_CHARS // 2
    article = analyse_file(_paragraph_file(n), "big", Config())
    assert isinstance(article, Article)
    assert article.word_count == n
    assert article.keywords  # chosen from the opening


def _stories(n: int) -> tuple[list[Story], list[Topic]]:
    """n stories in one topic, each with ten keywords from a vocabulary of n/20."""
    rng = random.Random(n)
    vocabulary = [f"k{i}" for i in range(max(50, n // 20))]
    stories = [
        Story(
            id=f"s{i:06d}",
            title=f"Story {i}",
            articles=(f"a{i}",),
            duplicates=(),
            keywords=tuple(
                Keyword(key, key, round(1 - j / 10, 3))
                for j, key in enumerate(rng.sample(vocabulary, 10))
            ),
            summary=(),
            cohesion=1.0,
            date=None,
            topic="t",
        )
        for i in range(n)
    ]
    return stories, [Topic("t", "Everything", tuple(s.id for s in stories))]


def test_related_stories_grow_linearly() -> None:
    def relate(made: object) -> object:
        assert isinstance(made, tuple)
        return related_stories(*made)

    assert _ratio(_stories, relate, 400) < MAX_RATIO


def test_related_stories_of_a_big_topic_are_still_listed() -> None:
    stories, topics = _stories(4 * MAX_POSTINGS * 10)
    related = related_stories(stories, topics)
    assert all(len(related[s.id]) == RELATED_STORIES for s in stories)
    assert all(r.story != s.id for s in stories for r in related[s.id])


def test_yake_reads_a_bounded_number_of_stops() -> None:
    # yake-rust joins "x. lower" pieces in time quadratic in them
    opening = yake_text("x. lower " * 20_000)
    assert opening.count(".") <= YAKE_MAX_STOPS
    prose = "The council met on Monday. It voted on the budget! " * 200
    assert yake_text(prose) == prose  # 400 stops: all of it


def test_keywords_of_dense_stops_grow_linearly() -> None:
    def keywords(text: object) -> object:
        return extract_keywords(str(text), 10, 3)

    assert _ratio(_repeat("x. lower "), keywords, 4_000, runs=3) < MAX_RATIO
