"""Articles -> groups covering one story. Deterministic.

Similarity is TF-IDF cosine over content terms; articles in different languages
are never grouped (an editor may still pin them together). Only pairs that share a
distinctive term are compared (an inverted index over each article's top
terms), so the work grows with the number of related pairs rather than with
every pair. Groups are merged by average linkage: two groups join when the
mean similarity of all their article pairs reaches `story_threshold`.

Publication time is evidence, never a multiplier: a pair published close
together counts as more alike by an added bonus (`story_time_bonus`, fading
over `story_time_scale_hours`), and only when its words already are at least
`story_text_floor` alike (`counted_similarity`). Two unrelated articles an
hour apart stay what their words make them. `story_evidence` gives the same
figures for a story's page, so what the page says is what decided.

Between two long articles, words shared by chance add up: two reports on
broadband in different countries share "broadband", "business", "report",
"internet" and a dozen more, and their cosine reaches the threshold without
one name or particular in common. Reports of one event share distinctive terms
(names, places, particulars that few articles of the digest use), so a long
pair's words count at most 1 / DISTINCTIVE_PART times their similarity through
distinctive terms alone (`weights.TermWeights.distinctive`).
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

from digest.config import Config
from digest.dates import moment
from digest.models import Article
from digest.terms import Vector, containment, cosine, tfidf
from digest.weights import TermWeights

# Terms an article is indexed under: its most distinctive ones.
INDEX_TERMS = 40
# A term found in more than this share of articles is too common to propose pairs.
MAX_POSTING_SHARE = 0.1


@dataclass(frozen=True)
class Group:
    """Articles of one story (indices into the input), and their duplicate pairs."""

    members: tuple[int, ...]
    duplicates: tuple[tuple[int, int], ...]  # (index of a version, index of the one it repeats)
    cohesion: float


def article_vectors(
    articles: Sequence[Article], weights: TermWeights | None = None
) -> list[Vector]:
    """Articles (of the digest `weights` were counted over; by default, these) ->
    normalised TF-IDF vectors over their content terms, each weighed with the IDF
    of the news around it (`digest.weights`)."""
    weights = TermWeights(articles) if weights is None else weights
    return [_vector(a, weights) for a in articles]


# 1 + ln(count) for the counts most terms have: `terms.tfidf`'s sublinear TF, the
# same floats (math.log of the same int), looked up rather than computed.
_TF = [0.0] + [1.0 + math.log(c) for c in range(1, 64)]


def _vector(article: Article, weights: TermWeights) -> Vector:
    """`terms.tfidf` of an article's counts with its IDF (`weights.of_article`), the
    same floats in the same order, made from the two lists without building the
    mappings in between (a third of grouping's time on 5,000 articles)."""
    counts = article.term_counts
    if min(counts, default=1) <= 0:
        return tfidf(article.counts(), weights.of_article(article))
    raw = [
        (_TF[c] if c < len(_TF) else 1.0 + math.log(c)) * v
        for c, v in zip(counts, weights.values_of(article), strict=True)
    ]
    norm = math.sqrt(sum(v * v for v in raw))
    return dict(zip(article.terms, [v / norm for v in raw], strict=True)) if norm else {}


def group_articles(
    articles: Sequence[Article], config: Config, weights: TermWeights | None = None
) -> list[Group]:
    """Articles -> story groups, each a tuple of indices, in a deterministic order."""
    weights = TermWeights(articles) if weights is None else weights
    vectors = article_vectors(articles, weights)
    moments = [moment(a.meta.date) for a in articles]
    pinned: dict[str, list[int]] = defaultdict(list)
    # Articles in different languages never make one story (unless pinned): their
    # words are not comparable, and a reader of one language is not served by a
    # summary quoting another. Each language is grouped on its own.
    free: dict[str, list[int]] = defaultdict(list)
    for i, a in enumerate(articles):
        (pinned[a.meta.story].append(i) if a.meta.story else free[a.lang].append(i))
    clusters: list[list[int]] = []
    for _, indices in sorted(free.items()):
        edges = _candidate_similarities(
            indices, vectors, moments, config, lambda i: weights.distinctive(articles[i])
        )
        clusters.extend(average_link(indices, edges, config.story_threshold))
    clusters.extend(sorted(members) for _, members in sorted(pinned.items()))
    groups = []
    for members in clusters:
        members = sorted(members)
        groups.append(
            Group(
                members=tuple(members),
                duplicates=tuple(_duplicates(members, articles, config.duplicate_threshold)),
                cohesion=_cohesion(members, vectors),
            )
        )
    return groups


def _candidate_similarities(
    indices: list[int],
    vectors: list[Vector],
    moments: list[tuple[int | None, float | None]],
    config: Config,
    rare: Callable[[int], frozenset[str]],
) -> Iterator[tuple[int, int, float]]:
    """Similarity of every pair of articles that share a distinctive term, as
    (i, j, similarity) with i < j, ordered by i then j.

    An article is indexed under its INDEX_TERMS heaviest terms; terms indexing
    more than MAX_POSTING_SHARE of the articles propose no pairs. Cosines of
    the proposed pairs are exact, computed with sparse matrices in blocks.
    Pairs dated further apart than the story window (`too_far`) are left out (never even
    proposed: articles are compared with those of nearby dates only, so the
    work grows with the articles per day, not with the square of all of them);
    pairs whose words are alike and whose publication times are close count as
    more alike (`counted_similarity`): reports of one event cluster in time.
    Between long texts, the similarity through the terms distinctive in both
    (`rare` of an article's index, `weights.TermWeights.distinctive`: asked one
    article at a time, not held for all) bounds what the words count.
    """
    import numpy as np  # heavy imports: grouping is the first stage that needs them
    from scipy import sparse

    n = len(indices)
    if n < 2:
        return iter(())
    rows_vectors = [vectors[i] for i in indices]
    # columns numbered in order of first appearance
    vocabulary = {
        term: k for k, term in enumerate(dict.fromkeys(chain.from_iterable(rows_vectors)))
    }
    sizes = np.fromiter(map(len, rows_vectors), dtype=np.int64, count=n)
    rows = np.repeat(np.arange(n), sizes)
    cols = np.fromiter(
        map(vocabulary.__getitem__, chain.from_iterable(rows_vectors)),
        dtype=np.int64,
        count=len(rows),
    )
    weights = np.fromiter(
        chain.from_iterable(v.values() for v in rows_vectors), dtype=np.float64, count=len(rows)
    )
    shape = (n, len(vocabulary))
    matrix = sparse.csr_matrix((weights, (rows, cols)), shape=shape)
    # each article's INDEX_TERMS heaviest terms (ties: the term first in sort order)
    alphabetical = np.empty(len(vocabulary), dtype=np.int64)
    alphabetical[sorted(range(len(vocabulary)), key=list(vocabulary).__getitem__)] = np.arange(
        len(vocabulary)
    )
    order = np.lexsort((alphabetical[cols], -weights, rows))
    rank = np.arange(len(rows)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    heaviest = order[rank < INDEX_TERMS]
    index = sparse.csc_matrix(
        (np.ones(len(heaviest)), (rows[heaviest], cols[heaviest])), shape=shape
    )
    postings = np.asarray(index.sum(axis=0)).ravel()
    index = index[:, postings <= max(50, int(MAX_POSTING_SHARE * n))].tocsr()

    day = np.array([np.nan if m[0] is None else m[0] for m in (moments[i] for i in indices)])
    hour = np.array([np.nan if m[1] is None else m[1] for m in (moments[i] for i in indices)])
    window = config.story_window_days
    left, right = _proposed_pairs(index, day, window)
    if window:
        # in hours when both dates carry a time of day (`too_far`), else in days
        keep = ~too_far(day[left] - day[right], hour[left] - hour[right], window)
        left, right = left[keep], right[keep]
    sims = np.empty(len(left))
    for start in range(0, len(left), PAIR_BLOCK):
        a, b = left[start : start + PAIR_BLOCK], right[start : start + PAIR_BLOCK]
        sims[start : start + PAIR_BLOCK] = np.asarray(
            matrix[a].multiply(matrix[b]).sum(axis=1)
        ).ravel()
    shortest = np.minimum(sizes[left], sizes[right])
    # similarity through distinctive terms: needed for pairs of long texts only
    rare_part = sims.copy()
    long = np.flatnonzero(shortest >= SHORT_TEXT_TERMS)
    if len(long):
        # the matrix's entries whose term is distinctive in the row's article
        kept = np.fromiter(
            chain.from_iterable(
                map(rare(i).__contains__, v) for i, v in zip(indices, rows_vectors, strict=True)
            ),
            dtype=bool,
            count=len(rows),
        )
        through = sparse.csr_matrix((weights[kept], (rows[kept], cols[kept])), shape=shape)
        for start in range(0, len(long), PAIR_BLOCK):
            block = long[start : start + PAIR_BLOCK]
            a, b = left[block], right[block]
            rare_part[block] = np.asarray(through[a].multiply(through[b]).sum(axis=1)).ravel()
    sims = counted_similarity(
        sims,
        np.abs(hour[left] - hour[right]),
        shortest,
        config,
        distinctive=rare_part,
    )
    keep = (sims > 0) & _within_reach(left, right, sims, n, config.story_threshold)
    ids = np.asarray(indices)
    return _edges(ids[left[keep]], ids[right[keep]], sims[keep])


# Texts with fewer distinct terms than this (headlines, briefs) need proportionally
# less word similarity before publication time counts for them: two headlines
# that share a distinctive word already show one subject, while two long
# articles share some words by chance.
SHORT_TEXT_TERMS = 50
# Between headlines (the shorter text has at most HEADLINE_TERMS distinct terms)
# the time bonus is HEADLINE_BONUS times larger: a shared name is most of what a
# headline's few words can show, and their cosine stays low even for one event.
# Chosen with the other grouping defaults on multinews_dated and uci_week together
# (B-cubed F1): 1 (no headline rule) gave 0.931 / 0.68-0.70 (a 4,000-headline part:
# 0.849), 2.5 gave 0.929 / 0.745, 3.5 gives 0.927 / 0.760 (the old x4 multiplier:
# 0.912 / 0.772). Asking both texts to be short (a snippet such as "See more of
# ... on Facebook" beside a long article takes the bonus today) lifted
# multinews_dated to 0.935 with uci_week at 0.765 (both with the window in
# hours), but moved topics on the quality gate's 200-article growing digest
# (files changed after one BBC article 0.083 -> 0.107, over its ceiling): not kept.
HEADLINE_TERMS = 10
HEADLINE_BONUS = 3.5


def too_far(days_apart: Any, hours_apart: Any, window: int) -> Any:
    """Pairs' day numbers and hours apart (NaN: no time of day) and the story
    window in days -> which pairs are too far apart to be one story: over
    `window` × 24 hours when both dates carry a time of day, else over `window`
    calendar days (NaN: undated, never too far). Calendar days alone let two
    articles 47 hours apart be one day apart and two 25 hours apart be two. On
    multinews_dated (where grouped pairs over 24 hours apart were 86 wrong against
    39 right) counting hours took B-cubed F1 0.929 -> 0.931, uci_week 0.760 ->
    0.765; no length was chosen on these sets: it is the setting's own.
    Takes and returns numpy arrays (or numbers, as 0-d arrays)."""
    import numpy as np

    days = np.abs(np.asarray(days_apart, dtype=np.float64))
    hours = np.abs(np.asarray(hours_apart, dtype=np.float64))
    # NaN compares False: an unknown time falls back to days, an unknown day to kept
    return np.where(np.isnan(hours), days > window, hours > 24 * window)


# Between two long texts (both SHORT_TEXT_TERMS distinct terms or more) the
# words count at most their similarity through distinctive terms (those few
# articles of their weeks use: `weights.DISTINCTIVE_SHARE`) divided by
# DISTINCTIVE_PART: most of what two reports of one event share is distinctive
# (on multinews_dev, 18 of the 664 long pairs of one event at the threshold or
# above have under a tenth of their similarity there, against 91 of the 265
# pairs of different events). Chosen on a coarse grid with the other defaults fixed
# (B-cubed F1, multinews_dev / multinews_dated; BBC stories mixing sections on
# bbc_uci_growing): without the bound 0.911 / 0.927 / 1; share 0.01, part 0.1:
# 0.914 / 0.928 / 0; share 0.005, part 0.05-0.15: 0.916 / 0.928-0.929 / 0; share
# 0.02: 0.912-0.913 / 0.927 / 1. A floor of 3-8 articles gives the same figures; 10
# lets the mixed BBC pair join again (it shares terms five to nine articles use).
# Big stories in a small digest keep their recall (the 29 Multi-News clusters of
# 6-9 articles with 300 small ones, 969 articles: 0.924 -> 0.926), and
# headlines are unaffected (uci_week 0.760).
DISTINCTIVE_PART = 0.1


def word_part(words: Any, distinctive: Any, shortest: Any) -> Any:
    """Pairs' word similarities, their similarities through distinctive terms alone
    and the distinct terms of the shorter text of each -> what their words count:
    between long texts at most distinctive / DISTINCTIVE_PART, else the words.
    Takes and returns numpy arrays (or numbers, as 0-d arrays)."""
    import numpy as np

    words = np.asarray(words, dtype=np.float64)
    bound = np.asarray(distinctive, dtype=np.float64) / DISTINCTIVE_PART
    long = np.asarray(shortest) >= SHORT_TEXT_TERMS
    return np.where(long, np.minimum(words, bound), words)


def counted_similarity(
    words: Any,
    hours_apart: Any,
    shortest: Any,
    config: Config,
    *,
    distinctive: Any,
) -> Any:
    """Pairs' word similarities (TF-IDF cosine), hours between them (NaN: unknown),
    distinct terms of the shorter text of each and their similarities through
    distinctive terms alone -> the similarity grouping counts.

    The words count as `word_part` says (between long texts, no more than their
    distinctive terms bear out). A pair whose words so count at least
    `story_text_floor` (scaled down for
    texts under SHORT_TEXT_TERMS terms) gains `story_time_bonus` (HEADLINE_BONUS
    times more between headlines) × e^(−hours apart / story_time_scale_hours);
    every other pair counts as its words. The bonus is added, never multiplied:
    it cannot make noise count.
    Takes and returns numpy arrays (or numbers, as 0-d arrays).
    """
    import numpy as np

    words = word_part(words, distinctive, shortest)
    hours = np.asarray(hours_apart, dtype=np.float64)
    terms = np.asarray(shortest, dtype=np.float64)
    floor = config.story_text_floor * np.minimum(1.0, terms / SHORT_TEXT_TERMS)
    most = np.where(terms <= HEADLINE_TERMS, HEADLINE_BONUS, 1.0) * config.story_time_bonus
    # unknown gaps (NaN) -> infinitely far: e^(-inf) = 0, no bonus
    close = np.exp(-np.where(np.isnan(hours), np.inf, hours) / config.story_time_scale_hours)
    return words + np.where((words > 0) & (words >= floor), most * close, 0.0)


def _edges(left: Any, right: Any, sims: Any) -> Iterator[tuple[int, int, float]]:
    """Arrays of pairs and similarities -> (i, j, similarity) as Python values, made
    a block at a time (a million pairs as Python objects at once took 200 MB)."""
    for start in range(0, len(sims), PAIR_BLOCK):
        end = start + PAIR_BLOCK
        yield from zip(
            left[start:end].tolist(),
            right[start:end].tolist(),
            sims[start:end].tolist(),
            strict=True,
        )


def _within_reach(left: Any, right: Any, sims: Any, n: int, threshold: float) -> Any:
    """Which pairs could ever count in `average_link`: those inside one connected
    part of the graph of pairs at the threshold or above.

    Two clusters merge only when their average similarity reaches the threshold,
    so when at least one pair across them does (`sims` are the counted
    similarities, time bonus included, exactly as `average_link` sums them):
    every cluster stays inside one part of that graph, and a pair across two
    parts is never summed into a link that decides a merge. Leaving those pairs
    out (most of the proposed ones: 2.3 million of them on 20,000 articles)
    changes no story and saves building them into Python dictionaries.
    """
    import numpy as np

    strong = sims >= threshold
    part = np.asarray(_parts(n, left[strong].tolist(), right[strong].tolist()), dtype=np.int64)
    return part[left] == part[right]


def _parts(n: int, left: list[int], right: list[int]) -> list[int]:
    """Nodes 0..n-1 and the edges between them -> a label for each node, the same
    for two nodes exactly when they are connected (union-find: the strong pairs
    are few, and scipy's csgraph took longer to import than this takes to run)."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(left, right, strict=True):
        a, b = root(i), root(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return [root(i) for i in range(n)]


def _proposed_pairs(index: Any, day: Any, window: int) -> tuple[Any, Any]:
    """Rows (i < j, sorted) that share an indexed term. With a story window, only
    rows whose days are within the window of a block of rows close in date (and
    undated rows, which pair with any) are compared with that block; the caller
    still drops pairs outside the window, exactly."""
    import numpy as np

    n = index.shape[0]
    rows = np.arange(n)
    if not window:
        blocks = [(rows, rows)]
    else:
        undated = rows[np.isnan(day)]
        dated = rows[~np.isnan(day)]
        dated = dated[np.argsort(day[dated], kind="stable")]
        days = day[dated]
        blocks = [(undated, rows)] if len(undated) else []
        for start in range(0, len(dated), DATE_BLOCK):
            block = dated[start : start + DATE_BLOCK]
            low = np.searchsorted(days, days[start] - window, side="left")
            high = np.searchsorted(days, days[start + len(block) - 1] + window, side="right")
            blocks.append((block, np.concatenate([dated[low:high], undated])))
    lefts, rights = [], []
    for block, others in blocks:
        shared = (index[block] @ index[others].T).tocoo()
        i, j = block[shared.row], others[shared.col]
        lefts.append(i[i < j])
        rights.append(j[i < j])
    left, right = np.concatenate(lefts), np.concatenate(rights)
    order = np.lexsort((right, left))
    left, right = left[order], right[order]
    # an undated row meets a dated one from both sides: each pair once
    first = np.ones(len(left), dtype=bool)
    first[1:] = (left[1:] != left[:-1]) | (right[1:] != right[:-1])
    return left[first], right[first]


# Articles (close in date) whose pairs are proposed at once.
DATE_BLOCK = 1024


# Proposed pairs whose cosines are computed at once (bounds memory).
PAIR_BLOCK = 10_000


def average_link(
    indices: list[int],
    edges: Iterable[tuple[int, int, float]],
    threshold: float,
    sizes: Mapping[int, int] | None = None,
) -> list[list[int]]:
    """Agglomerative clustering with average linkage over a sparse similarity graph
    given as (i, j, similarity) with i < j, each pair once (absent pairs count
    as 0), merging the most similar pair first. With `sizes`, each index is a
    group of that many items already and its pairs' values are the similarities
    summed over all pairs of their items (so the average is exact)."""
    members: dict[int, list[int]] = {i: [i] for i in indices}
    size = {i: sizes[i] for i in indices} if sizes is not None else dict.fromkeys(indices, 1)
    link: dict[int, dict[int, float]] = defaultdict(dict)  # summed similarity between clusters
    # The most similar pair next: the given pairs at the threshold or above are
    # sorted once (popped from the end), pairs re-linked by a merge go into a
    # heap, and each step takes the smaller of the two heads.
    ranked = []
    for i, j, sim in edges:
        link[i][j] = sim
        link[j][i] = sim
        average = sim if sizes is None else sim / (size[i] * size[j])
        if average >= threshold:
            ranked.append((-average, i, j))
    ranked.sort()
    ranked.reverse()
    heap: list[tuple[float, int, int]] = []
    while ranked or heap:
        if heap and (not ranked or heap[0] < ranked[-1]):
            neg, a, b = heapq.heappop(heap)
        else:
            neg, a, b = ranked.pop()
        if a not in members or b not in members:
            continue
        current = link[a].get(b, 0.0) / (size[a] * size[b])
        if abs(current + neg) > 1e-12:
            continue  # stale entry: this pair's average changed after a merge
        # merge b into a (a < b keeps ids deterministic)
        a, b = min(a, b), max(a, b)
        members[a].extend(members.pop(b))
        size[a] += size.pop(b)
        near = link[a]
        for c, s in link.pop(b).items():
            other = link[c]
            other.pop(b, None)
            if c == a:
                continue
            total = near.get(c, 0.0) + s
            near[c] = total
            other[a] = total
        grown = size[a]
        for c, total in near.items():
            avg = total / (grown * size[c])
            if avg >= threshold:
                heapq.heappush(heap, (-avg, a, c) if a < c else (-avg, c, a))
    return [sorted(m) for _, m in sorted(members.items())]


def _duplicates(
    members: list[int], articles: Sequence[Article], threshold: float
) -> list[tuple[int, int]]:
    """Versions of one report inside a story: pairs whose word 3-grams overlap by at
    least `threshold`. Each version points at the fullest one (most words)."""
    if len(members) < 2:
        return []
    parent = {i: i for i in members}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for x, i in enumerate(members):
        for j in members[x + 1 :]:
            if containment(articles[i].shingles, articles[j].shingles) >= threshold:
                parent[find(i)] = find(j)
    families: dict[int, list[int]] = defaultdict(list)
    for i in members:
        families[find(i)].append(i)
    out: list[tuple[int, int]] = []
    for family in families.values():
        if len(family) < 2:
            continue
        main = max(family, key=lambda i: (articles[i].word_count, -i))
        out.extend((i, main) for i in sorted(family) if i != main)
    return sorted(out)


def _cohesion(members: list[int], vectors: list[Vector]) -> float:
    if len(members) < 2:
        return 1.0
    sims = [cosine(vectors[i], vectors[j]) for x, i in enumerate(members) for j in members[x + 1 :]]
    return round(sum(sims) / len(sims), 4)
