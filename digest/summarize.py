"""A story's articles -> a short extractive summary; every sentence cites its article.

Sentences are scored by closeness to the story's centroid (TF-IDF) and by how
early they stand in their article, then picked by maximal marginal relevance
so the summary does not repeat itself.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from digest.clean import analysis_text
from digest.models import Article, SummarySentence
from digest.terms import Vector, content_terms, cosine, idf_table, normalised, tfidf

# Relevance against redundancy in maximal marginal relevance (1 = relevance only).
MMR_LAMBDA = 0.7
# A sentence this similar to one already chosen is a repeat and never chosen.
REPEAT_SIMILARITY = 0.5
# Weight of a sentence's position in its article (leads carry the news).
POSITION_WEIGHT = 0.1
MIN_SENTENCE_WORDS = 8
MAX_SENTENCE_WORDS = 60
# Openings that lean on a sentence we may not show ("He said…", "But…").
_DANGLING = re.compile(
    r"^(?:he|she|it|they|this|these|those|that|his|her|their|its|but|and|so|also|however|"
    r"meanwhile|still|yet|or)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Candidate:
    article: int
    position: int
    text: str
    words: int
    vector: Vector
    fragment: bool  # not a whole sentence: used only when whole ones run out


def summarize(
    articles: Sequence[Article],
    min_words: int,
    max_words: int,
    idf: Mapping[str, float] | None = None,
) -> tuple[SummarySentence, ...]:
    """A story's distinct reports -> summary sentences of min–max words in total.

    `idf` weighs terms as the whole digest does (so the story's own subject, in
    every sentence of it, still counts); without it, IDF over the story's sentences.
    """
    candidates = _candidates(articles, idf)
    if not candidates:
        return ()
    centroid: Counter[str] = Counter()
    for c in candidates:
        centroid.update(c.vector)
    centre = normalised(centroid)
    relevance = [
        cosine(c.vector, centre)
        + POSITION_WEIGHT / (1 + c.position)
        - (0.1 if _DANGLING.match(c.text) else 0.0)
        for c in candidates
    ]
    chosen: list[int] = []
    total = 0
    used_articles: set[int] = set()
    remaining = set(range(len(candidates)))
    overlaps: dict[int, tuple[int, float]] = {}
    # Whole sentences first; quote halves and fragments only when a story has too
    # few whole sentences to reach the length asked for.
    for allow_fragments in (False, True):
        total = _pick(
            candidates, relevance, chosen, remaining, used_articles, total,
            min_words, max_words, allow_fragments, overlaps,
        )  # fmt: skip
    return tuple(
        SummarySentence(candidates[i].text, articles[candidates[i].article].id) for i in chosen
    )


def _pick(
    candidates: list[_Candidate],
    relevance: list[float],
    chosen: list[int],
    remaining: set[int],
    used_articles: set[int],
    total: int,
    min_words: int,
    max_words: int,
    allow_fragments: bool,
    overlaps: dict[int, tuple[int, float]],
) -> int:
    """Add sentences by maximal marginal relevance until min_words; -> new total.

    `overlaps` keeps, per candidate, its greatest similarity to the first so many
    chosen sentences, so each pair's similarity is computed once."""
    while remaining and total < min_words:
        best, best_score = None, float("-inf")
        for i in sorted(remaining):
            c = candidates[i]
            if total + c.words > max_words or (c.fragment and not allow_fragments):
                continue
            seen, overlap = overlaps.get(i, (0, 0.0))
            for j in chosen[seen:]:
                overlap = max(overlap, cosine(c.vector, candidates[j].vector))
            overlaps[i] = (len(chosen), overlap)
            if overlap >= REPEAT_SIMILARITY:
                continue
            novelty = 0.05 if c.article not in used_articles else 0.0
            score = MMR_LAMBDA * relevance[i] - (1 - MMR_LAMBDA) * overlap + novelty
            if score > best_score:
                best, best_score = i, score
        if best is None:
            break
        remaining.discard(best)
        chosen.append(best)
        total += candidates[best].words
        used_articles.add(candidates[best].article)
    return total


def _candidates(articles: Sequence[Article], idf: Mapping[str, float] | None) -> list[_Candidate]:
    raw: list[tuple[int, int, str, int, list[str], bool]] = []
    for a, article in enumerate(articles):
        lead = set(article.lead)
        for p, sentence in enumerate(article.sentences):
            text = sentence.strip()
            n = len(text.split())
            if not MIN_SENTENCE_WORDS <= n <= MAX_SENTENCE_WORDS or text.endswith(("?", ":")):
                continue
            # half of a quotation split across sentences, or a list item or fragment
            fragment = (
                text.count("\u201c") != text.count("\u201d")
                or text.count('"') % 2 == 1
                or (text[-1] not in ".!\"'\u201d\u2019)" and text not in lead)
            )
            raw.append((a, p, text, n, content_terms(analysis_text(text)), fragment))
    if idf is None:
        idf, _ = idf_table(terms for *_, terms, _ in raw)
    return [
        _Candidate(a, p, text, n, tfidf(Counter(terms), idf), fragment)
        for a, p, text, n, terms, fragment in raw
        if terms
    ]
