"""A story's articles -> why they are one story: the figures grouping decided on.

Grouping sums, for every pair of articles, the similarity `cluster.counted_similarity`
gives (words, plus the publication-time bonus where it applies) and joins groups
whose average reaches `story_threshold`. These functions recompute those figures
for one story from plain records, so a story page can say what joined the
articles in numbers that agree with the rule: the words' similarity, the hours
between them, what the pair counted as, and the terms the articles share.
Between long articles, what their words count is bounded by their similarity
through distinctive terms (`cluster.word_part`); a pair so bounded says both.

Every pair of a group formed by average linkage was joined at an average at or
above the threshold, so the mean over all its pairs is too (each merge averages
parts that each reached it). Grouping counts pairs that share none of their
distinctive terms as 0; here their exact cosine is used, which can only raise
the mean: `StoryEvidence.counted` of a grouped story is never below the
threshold.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence

from digest.cluster import counted_similarity, too_far, word_part
from digest.config import Config
from digest.dates import moment
from digest.models import Article, PairEvidence, StoryEvidence
from digest.terms import Vector, cosine, stem

# Shared terms listed for a story (most distinctive first).
SHARED_TERMS = 8


def pair_evidence(
    a: Article,
    b: Article,
    va: Vector,
    vb: Vector,
    config: Config,
    rare: tuple[frozenset[str], frozenset[str]],
) -> PairEvidence:
    """Two articles, their TF-IDF vectors and the terms distinctive in each
    (`weights.TermWeights.distinctive`) -> the figures grouping counted for them."""
    alike = cosine(va, vb)
    (day_a, hour_a), (day_b, hour_b) = moment(a.meta.date), moment(b.meta.date)
    hours = abs(hour_a - hour_b) if hour_a is not None and hour_b is not None else None
    window = config.story_window_days
    if (
        window
        and day_a is not None
        and day_b is not None
        and too_far(day_a - day_b, math.nan if hours is None else hours, window)
    ):
        return PairEvidence(round(alike, 4), _rounded(hours), 0.0, too_far=True)
    small, large = (va, vb) if len(va) <= len(vb) else (vb, va)
    both = rare[0] & rare[1]
    through = sum(w * large.get(t, 0.0) for t, w in small.items() if t in both)
    shortest = min(len(va), len(vb))
    counted = float(
        counted_similarity(
            alike,
            math.nan if hours is None else hours,
            shortest,
            config,
            distinctive=through,
        )
    )
    part = float(word_part(alike, through, shortest))
    if part < alike:  # bounded by what their distinctive terms share
        return PairEvidence(
            round(alike, 4),
            _rounded(hours),
            round(counted, 4),
            word_part=round(part, 4),
            distinctive=round(through, 4),
        )
    return PairEvidence(round(alike, 4), _rounded(hours), round(counted, 4))


def story_evidence(
    articles: Sequence[Article],
    vectors: Sequence[Vector],
    idf: Mapping[str, float],
    config: Config,
    rare: Sequence[frozenset[str]],
) -> StoryEvidence:
    """A story's articles, their TF-IDF vectors, the story's IDF and the terms
    distinctive in each article (`weights.TermWeights.distinctive`) -> its evidence.
    Pairs are listed strongest first (then by position)."""
    pairs = [
        (
            i,
            j,
            pair_evidence(
                articles[i], articles[j], vectors[i], vectors[j], config, (rare[i], rare[j])
            ),
        )
        for i in range(len(articles))
        for j in range(i + 1, len(articles))
    ]
    pairs.sort(key=lambda p: (-p[2].counted, -p[2].words, p[0], p[1]))
    count = len(pairs) or 1
    threshold = config.story_threshold
    hours = [moment(a.meta.date)[1] for a in articles]
    timed = [h for h in hours if h is not None]
    return StoryEvidence(
        pairs=tuple(pairs),
        counted=round(sum(p.counted for _, _, p in pairs) / count, 4),
        words=round(sum(p.words for _, _, p in pairs) / count, 4),
        joined_by_time=sum(1 for _, _, p in pairs if p.words_counted < threshold <= p.counted),
        hours_span=_rounded(max(timed) - min(timed)) if len(timed) == len(hours) > 1 else None,
        shared_terms=shared_terms(articles, idf),
    )


def shared_terms(
    articles: Sequence[Article], idf: Mapping[str, float]
) -> tuple[tuple[str, int], ...]:
    """Articles -> the terms at least two of them use, most distinctive first (by how
    many use it times its IDF: rare names before common words), each shown in the
    word form the articles use most ("businesses", not the stem "businesse")."""
    users: Counter[str] = Counter()
    uses: Counter[str] = Counter()
    for a in articles:
        users.update(a.terms)
        uses.update(a.counts())
    shared = [(t, n) for t, n in users.items() if n >= 2]
    # ties (a small digest, where every shared term is as rare): the most used first
    shared.sort(key=lambda tn: (-tn[1] * idf.get(tn[0], 1.0), -uses[tn[0]], tn[0]))
    top = shared[:SHARED_TERMS]
    wanted = {t for t, _ in top}
    forms: dict[str, Counter[str]] = {t: Counter() for t in wanted}
    for a in articles:
        for w in _WORD.findall(" ".join([a.title, *a.sentences])):
            w = w[:-2] if w.endswith(("'s", "’s")) else w
            if (term := stem(w.lower())) in wanted:
                forms[term][w] += 1  # in its own capitals: "Alexander", "camps"
    return tuple(
        (min(forms[t].items(), key=lambda f: (-f[1], f[0]))[0] if forms[t] else t, n)
        for t, n in top
    )


# A word as `terms.words` finds one, in its own capitals.
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")


def _rounded(hours: float | None) -> float | None:
    return None if hours is None else round(hours, 1)
