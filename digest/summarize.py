"""A story's articles -> a short extractive summary; every sentence cites its article.

Each candidate sentence gets a score, a weighted sum of a few features: closeness to
the story's centroid (TF-IDF), support from the story's other reports (does each say
something similar?), how central its article is to the story, and its quality as a
sentence a reader can take out of its article (position, density, openings that lean
on a sentence we do not show, quotations, numbers). The weights are a linear model
fitted on Multi-News (`benchmarks/fit_summary.py`). Sentences are then picked by
maximal marginal relevance so the summary does not repeat itself, with a bonus for
the pairs of words other reports also use that the summary does not hold yet (so
each sentence adds particulars the story agrees on), best first: a summary cut short
still opens with the sentence that says most, and never with a quotation (the
reader would not know who is speaking) nor with an opening that leans on a sentence
not shown ("He said ...", "But ...").

A story whose reports are headlines alone (no body) is summarised by its headlines.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from digest.clean import analysis_text
from digest.models import Article, SummarySentence
from digest.terms import (
    STOP_WORDS,
    Vector,
    content_terms,
    cosine,
    idf_table,
    normalised,
    stem,
    tfidf,
    words,
)
from digest.titles import clean_headline, headline_penalty
from digest.urls import site_names

# Relevance against redundancy in maximal marginal relevance (1 = relevance only).
MMR_LAMBDA = 0.8
# Weight of the pairs a sentence adds: the summed weights of its word pairs (two
# adjacent words, not both stop-words) the summary does not hold yet, over the square
# root of its length in words; a pair weighs the share of the other reports using it
# (in a story of one report, the share of the other sentences). With MMR_LAMBDA, chosen
# on Multi-News dev inside the cross-validation (0, 0.15, 0.3, 0.6 x 0.7, 0.8; 0.3 and
# 0.8 in four folds of five).
PAIR_WEIGHT = 0.3
# A sentence this similar to one already chosen is a repeat and never chosen.
REPEAT_SIMILARITY = 0.5
# No bonus for a sentence from a report not yet cited (the old rule added 0.05): the
# fitted score already weighs support across reports, and the bonus cost 0.001
# ROUGE-2 at 100 words.
# Candidate sentences of one story at most: each report's first sentences, in turn.
# Bounds the time and memory of a story of hundreds of long reports.
MAX_CANDIDATES = 400
MIN_SENTENCE_WORDS = 8
MAX_SENTENCE_WORDS = 60
# Openings that lean on a sentence we may not show ("He said…", "But…").
_DANGLING = re.compile(
    r"^(?:he|she|it|they|this|these|those|that|his|her|their|its|but|and|so|also|however|"
    r"meanwhile|still|yet|or)\b",
    re.IGNORECASE,
)
# Weight of a dangling opening, set by hand for readers (the fit leaves it near 0:
# ROUGE does not mind "He said ..." without its "he"); fixed while the others are fitted.
DANGLING_WEIGHT = -0.06
_DIGIT = re.compile(r"\d")
_OPENS_QUOTE = re.compile("[\"\u201c\u2018']")
_QUOTE = re.compile('["\u201c\u201d]')

# The sentence features, in the order of WEIGHTS.
FEATURES = (
    "centroid",  # cosine to the story's centroid, IDF over the story's sentences
    "agreement",  # mean over the other reports of their closest sentence's cosine
    "term_reports",  # mean over its terms of the share of the other reports using it
    "term_share",  # mean over its terms of the share of the story's sentences using it
    "centrality",  # cosine of its article to the rest of the story
    "lead",  # 1 / (1 + position in its article)
    "density",  # content terms per word
    "dangling",  # opens with a word that leans on an earlier sentence
    "quote",  # holds a quotation mark
    "digits",  # holds a number
    "stop_words",  # share of its words that are stop-words (ROUGE counts them too)
)
# Least squares on Multi-News dev (750 clusters): each candidate sentence's label is
# the share of its unigrams plus the share of its bigrams found in the reference
# summary, features and labels centred per story; `dangling` fixed at DANGLING_WEIGHT.
# Reproduce with `python -m benchmarks.fit_summary`, which also prints the 5-fold
# cross-validated ROUGE of the whole summariser (with PAIR_WEIGHT and MMR_LAMBDA):
# ROUGE-1/2 0.364 / 0.126 at 100 words, 0.454 / 0.158 at 250 (0.361 / 0.123 and
# 0.454 / 0.157 before `stop_words` and the pair bonus). `density` turns positive
# beside `stop_words`, the two being nearly complements.
WEIGHTS: tuple[float, ...] = (
    0.4924,  # centroid
    0.1349,  # agreement
    0.336,  # term_reports
    0.1809,  # term_share
    0.6019,  # centrality
    0.0007,  # lead
    0.1901,  # density
    DANGLING_WEIGHT,
    0.0889,  # quote
    -0.0029,  # digits
    0.6604,  # stop_words
)


@dataclass(frozen=True)
class Candidate:
    article: int
    position: int
    text: str
    words: int
    vector: Vector
    terms: tuple[str, ...]  # distinct content terms
    fragment: bool  # not a whole sentence: used only when whole ones run out
    pairs: tuple[str, ...]  # `word_pairs`: adjacent stemmed words, sorted
    stop_share: float  # share of its words that are stop-words


def summarize(
    articles: Sequence[Article],
    min_words: int,
    max_words: int,
    idf: Mapping[str, float] | None = None,
    *,
    weights: Sequence[float] = WEIGHTS,
    mmr_lambda: float = MMR_LAMBDA,
    terms: Sequence[Sequence[str]] | None = None,
) -> tuple[SummarySentence, ...]:
    """A story's distinct reports -> summary sentences of min–max words in total.

    `idf` weighs terms as the whole digest does (so the story's own subject, in
    every sentence of it, still counts); without it, IDF over the story's sentences.
    `terms` are `candidate_terms(articles)` when already known (a story cache).
    """
    summary, _ = scored_summary(
        articles, min_words, max_words, idf, weights=weights, mmr_lambda=mmr_lambda, terms=terms
    )
    return summary


def scored_summary(
    articles: Sequence[Article],
    min_words: int,
    max_words: int,
    idf: Mapping[str, float] | None = None,
    *,
    weights: Sequence[float] = WEIGHTS,
    mmr_lambda: float = MMR_LAMBDA,
    terms: Sequence[Sequence[str]] | None = None,
    relevance: Sequence[float] | None = None,
) -> tuple[tuple[SummarySentence, ...], tuple[float, ...] | None]:
    """`summarize`, and the relevance of each candidate sentence when no IDF played a
    part in it (all candidates come from one report: the features that compare
    reports are 0), else None. That relevance, given back as `relevance`, saves
    computing it again when only the IDF changed (a story cache)."""
    candidates = story_candidates(articles, idf, terms)
    if not candidates:
        return headline_summary(articles, min_words, max_words, idf), None
    one_report = all(c.article == candidates[0].article for c in candidates)
    if relevance is None or len(relevance) != len(candidates) or not one_report:
        features = sentence_features(candidates, len(articles))
        relevance = [sum(w * f for w, f in zip(weights, row, strict=True)) for row in features]
    chosen = pick_sentences(candidates, relevance, min_words, max_words, mmr_lambda)
    sentences = tuple(
        SummarySentence(candidates[i].text, articles[candidates[i].article].id) for i in chosen
    )
    return sentences, tuple(relevance) if one_report else None


def pick_sentences(
    candidates: Sequence[Candidate],
    relevance: Sequence[float],
    min_words: int,
    max_words: int,
    mmr_lambda: float = MMR_LAMBDA,
    pair_weight: float = PAIR_WEIGHT,
) -> list[int]:
    """Scored candidates -> indices of the sentences chosen, best first."""
    chosen: list[int] = []
    total = 0
    remaining = set(range(len(candidates)))
    overlaps: dict[int, tuple[int, float]] = {}
    pairs = _Pairs(candidates, pair_weight)
    # Whole sentences first; quote halves and fragments only when a story has too
    # few whole sentences to reach the length asked for.
    for allow_fragments in (False, True):
        total = _pick(
            candidates, relevance, chosen, remaining, total,
            min_words, max_words, allow_fragments, overlaps, mmr_lambda, pairs,
        )  # fmt: skip
    return chosen


def pair_weights(candidates: Sequence[Candidate]) -> dict[str, float]:
    """A story's candidate sentences -> the weight of each word pair some other report
    (in a story of one report, some other sentence) also uses: the share of the other
    reports using it (of the other sentences)."""
    by_report: dict[int, set[str]] = {}
    for c in candidates:
        by_report.setdefault(c.article, set()).update(c.pairs)
    peers = len(by_report) - 1
    if peers:
        reports = Counter(p for pairs in by_report.values() for p in pairs)
        return {p: (k - 1) / peers for p, k in reports.items() if k > 1}
    uses = Counter(p for c in candidates for p in c.pairs)
    return {p: (k - 1) / len(candidates) for p, k in uses.items() if k > 1}


class _Pairs:
    """The word pairs each candidate would add to a summary, and their weight."""

    def __init__(self, candidates: Sequence[Candidate], weight: float) -> None:
        self.weight = weight  # PAIR_WEIGHT
        self.held: set[str] = set()  # the pairs of the sentences chosen so far
        weights = pair_weights(candidates) if weight else {}
        # per candidate, its pairs that weigh something (sorted: sums in a fixed order)
        self.shared = [[(p, w) for p in c.pairs if (w := weights.get(p, 0.0))] for c in candidates]
        self.roots = [math.sqrt(c.words) for c in candidates]

    def gain(self, i: int) -> float:
        """The weights of the pairs candidate i adds, over the root of its length."""
        found = sum(w for p, w in self.shared[i] if p not in self.held)
        return round(found / self.roots[i], 9)


def word_pairs(text: str) -> tuple[tuple[str, ...], float]:
    """A sentence -> its distinct pairs of adjacent words (stemmed, as "a b"; not both
    stop-words), sorted, and the share of its words that are stop-words."""
    ws = words(text)
    stops = [w in STOP_WORDS for w in ws]
    roots = [w if stop else stem(w) for w, stop in zip(ws, stops, strict=True)]
    pairs = {
        f"{roots[i]} {roots[i + 1]}" for i in range(len(ws) - 1) if not (stops[i] and stops[i + 1])
    }
    return tuple(sorted(pairs)), sum(stops) / max(len(ws), 1)


def sentence_features(candidates: Sequence[Candidate], n_articles: int) -> list[tuple[float, ...]]:
    """Candidate sentences of a story's reports -> one row of FEATURES each.

    Candidates come report by report (as story_candidates makes them); at most
    MAX_CANDIDATES of them, so the sentences x terms matrices stay small."""
    import numpy as np  # heavy import: grouping has already paid for it

    n = len(candidates)
    if not n:
        return []
    index: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for i, c in enumerate(candidates):
        cols.extend([index.setdefault(t, len(index)) for t in c.vector])
        rows.extend([i] * len(c.vector))
        vals.extend(c.vector.values())
    has = np.zeros((n, len(index)))  # which sentence uses which term
    has[rows, cols] = 1.0
    n_terms = has.sum(axis=1)
    owner = np.array([c.article for c in candidates])
    cited, starts = np.unique(owner, return_index=True)
    peers = len(cited) - 1  # the other reports a sentence can find support in
    own = np.searchsorted(cited, owner)

    # centroid: IDF over the story's own sentences, so the terms the story repeats
    # weigh less and those that tell its sentences apart weigh more
    uses = has.sum(axis=0)
    local = has * (np.log((n + 1) / (uses + 1)) + 1.0)
    local /= np.linalg.norm(local, axis=1, keepdims=True)
    centre = local.sum(axis=0)
    centroid = local @ (centre / np.linalg.norm(centre))
    term_share = (has @ uses) / n_terms / n

    if peers:  # (a story of one report: the features below, and only they, weigh by IDF)
        x = np.zeros((n, len(index)))  # TF-IDF rows, unit length
        x[rows, cols] = vals
        article = np.add.reduceat(x, starts, axis=0)  # each report's sentences summed
        total = article.sum(axis=0)
        rest = total[None, :] - article  # the story without that report
        norms = np.linalg.norm(article, axis=1) * np.linalg.norm(rest, axis=1)
        centrality = np.divide(
            (article * rest).sum(axis=1), norms, out=np.zeros(len(cited)), where=norms > 0
        )[own]
        reporting = (np.add.reduceat(has, starts, axis=0) > 0).sum(axis=0)
        term_reports = (has @ (reporting - 1)) / n_terms / peers
        closest = np.maximum.reduceat(x @ x.T, starts, axis=1)  # sentences x reports
        closest[np.arange(n), own] = 0.0  # its own report is no support
        agreement = closest.sum(axis=1) / peers
    else:
        centrality = term_reports = agreement = np.zeros(n)
    columns = [centroid, agreement, term_reports, term_share, centrality]
    # rounded, so the last bits of a sum never decide between two sentences
    numbers = np.round(np.stack(columns, axis=1), 9).tolist()
    return [
        (
            *numbers[i],
            1.0 / (1 + c.position),
            len(c.terms) / c.words,
            1.0 if _DANGLING.match(c.text) else 0.0,
            1.0 if _QUOTE.search(c.text) else 0.0,
            1.0 if _DIGIT.search(c.text) else 0.0,
            c.stop_share,
        )
        for i, c in enumerate(candidates)
    ]


def _pick(
    candidates: Sequence[Candidate],
    relevance: Sequence[float],
    chosen: list[int],
    remaining: set[int],
    total: int,
    min_words: int,
    max_words: int,
    allow_fragments: bool,
    overlaps: dict[int, tuple[int, float]],
    mmr_lambda: float,
    pairs: _Pairs,
) -> int:
    """Add sentences by maximal marginal relevance, plus the weight of the word pairs
    each adds, until min_words; -> new total.

    `overlaps` keeps, per candidate, its greatest similarity to the first so many
    chosen sentences, so each pair's similarity is computed once."""
    while remaining and total < min_words:
        best, best_score = None, float("-inf")
        for i in sorted(remaining):
            c = candidates[i]
            if total + c.words > max_words or (c.fragment and not allow_fragments):
                continue
            if not chosen and not allow_fragments and _OPENS_QUOTE.match(c.text):
                continue  # a summary opening with a quotation leaves the reader asking who
            if not chosen and not allow_fragments and _DANGLING.match(c.text):
                continue  # nor one opening with "He said ..." or "But ..."
            seen, overlap = overlaps.get(i, (0, 0.0))
            for j in chosen[seen:]:
                overlap = max(overlap, cosine(c.vector, candidates[j].vector))
            overlaps[i] = (len(chosen), overlap)
            if overlap >= REPEAT_SIMILARITY:
                continue
            score = mmr_lambda * relevance[i] - (1 - mmr_lambda) * overlap
            if pairs.weight:
                score += pairs.weight * pairs.gain(i)
            if score > best_score:
                best, best_score = i, score
        if best is None:
            break
        remaining.discard(best)
        chosen.append(best)
        pairs.held.update(candidates[best].pairs)
        total += candidates[best].words
    return total


def candidate_sentences(articles: Sequence[Article]) -> list[tuple[int, int, str, int, bool]]:
    """A story's reports -> the sentences a summary may use, as (report, position,
    text, words, fragment), at most MAX_CANDIDATES of them; their terms aside."""
    raw: list[tuple[int, int, str, int, bool]] = []
    for a, article in enumerate(articles):
        if headline_only(article):
            continue
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
            raw.append((a, p, text, n, fragment))
    if len(raw) > MAX_CANDIDATES:  # each report's first sentences, report by report
        raw = sorted(sorted(raw, key=lambda r: (r[1], r[0]))[:MAX_CANDIDATES])
    return raw


def candidate_terms(articles: Sequence[Article]) -> tuple[tuple[str, ...], ...]:
    """A story's reports -> the content terms of each of its `candidate_sentences`, in
    order: the part of a summary that depends on the reports alone (a story cache
    keeps it; it is half the time of summarising)."""
    return tuple(
        tuple(content_terms(analysis_text(text)))
        for _, _, text, _, _ in candidate_sentences(articles)
    )


def story_candidates(
    articles: Sequence[Article],
    idf: Mapping[str, float] | None,
    terms: Sequence[Sequence[str]] | None = None,
) -> list[Candidate]:
    """A story's reports (and their `candidate_terms`, when known) -> the sentences a
    summary may use, with their vectors."""
    raw = candidate_sentences(articles)
    if terms is None:
        terms = [content_terms(analysis_text(text)) for _, _, text, _, _ in raw]
    if len(terms) != len(raw):
        raise ValueError("terms for other sentences")
    if idf is None:
        idf, _ = idf_table(terms)
    return [
        Candidate(
            a,
            p,
            text,
            n,
            tfidf(Counter(ts), idf),
            tuple(sorted(set(ts))),
            fragment,
            *word_pairs(text),
        )
        for (a, p, text, n, fragment), ts in zip(raw, terms, strict=True)
        if ts
    ]


def headline_terms(article: Article) -> list[str]:
    """An article -> the content terms of its headline, as `headline_summary` weighs them."""
    return content_terms(analysis_text(" ".join(article.title.split())))


def summary_texts(article: Article) -> frozenset[str]:
    """An article -> every text a summary may quote of it: its sentences, and its
    headline as `headline_summary` shows it."""
    headline = clean_headline(" ".join(article.title.split()), site_names(article.meta))
    return frozenset([*(s.strip() for s in article.sentences), headline])


def headline_only(article: Article) -> bool:
    """An article whose only text is its headline (a feed entry, a link)."""
    return not article.title_derived and all(
        s.strip() == article.title.strip() for s in article.sentences
    )


def headline_summary(
    articles: Sequence[Article],
    min_words: int,
    max_words: int,
    idf: Mapping[str, float] | None = None,
) -> tuple[SummarySentence, ...]:
    """Reports with no usable body sentence -> their distinct headlines, cleanest first,
    each citing its article, min–max words in total.

    Among equally clean headlines the one closest to all the story's headlines comes
    first; a headline too close to one already shown is a repeat and left out."""
    entries = []
    flaws: list[int] = []
    for a, article in enumerate(articles):
        title = " ".join(article.title.split())
        terms = headline_terms(article)
        if article.title_derived or not title or not terms:
            continue
        names = site_names(article.meta)
        # shown cleaned (no wire slug or site name); the cleanest come first
        entries.append((a, clean_headline(title, names), terms))
        flaws.append(headline_penalty(title, names))
    if not entries:
        return ()
    if idf is None:
        idf, _ = idf_table(terms for *_, terms in entries)
    vectors = [tfidf(Counter(terms), idf) for *_, terms in entries]
    total: Counter[str] = Counter()
    for v in vectors:
        total.update(v)
    centre = normalised(total)
    order = sorted(
        range(len(entries)),
        key=lambda i: (
            flaws[i],
            -round(cosine(vectors[i], centre), 9),
            entries[i][1],
            entries[i][0],
        ),
    )
    chosen: list[int] = []
    words = 0
    for i in order:
        n = len(entries[i][1].split())
        if words >= min_words:
            break
        if words + n > max_words or any(
            cosine(vectors[i], vectors[j]) >= REPEAT_SIMILARITY for j in chosen
        ):
            continue
        chosen.append(i)
        words += n
    return tuple(SummarySentence(entries[i][1], articles[entries[i][0]].id) for i in chosen)
