"""Scores, exactly as `shared/eval/README.md` defines them: F1@10, B-cubed, NMI, ROUGE.

Pure functions over plain lists; nothing here knows about the pipeline or the data files.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

_WORD = re.compile(r"\w+")


@functools.lru_cache(maxsize=1)
def _porter() -> Any:
    # nltk's Porter stemmer needs no downloaded data
    from nltk.stem.porter import PorterStemmer  # type: ignore[import-untyped,unused-ignore]

    return PorterStemmer()


@functools.lru_cache(maxsize=200_000)
def stem_word(word: str) -> str:
    """One lower-case word -> its Porter stem."""
    return str(_porter().stem(word))


def normalise_phrase(phrase: str) -> str:
    """A keyphrase -> lower-cased, split on \\w+, each word Porter-stemmed, space-joined."""
    return " ".join(stem_word(w) for w in _WORD.findall(phrase.lower()))


@functools.lru_cache(maxsize=8)
def _snowball(lang: str) -> Any:
    from nltk.stem.snowball import SnowballStemmer  # type: ignore[import-untyped,unused-ignore]

    return SnowballStemmer({"fr": "french", "pt": "portuguese"}[lang])


def normalise_phrase_in(phrase: str, lang: str) -> str:
    """A keyphrase in French or Portuguese -> lower-cased, split on \\w+, each word
    stemmed by nltk's Snowball stemmer of the language, space-joined."""
    stemmer = _snowball(lang)
    return " ".join(str(stemmer.stem(w)) for w in _WORD.findall(phrase.lower()))


def f1_at_k(
    predicted: Sequence[str], gold: Iterable[str], k: int = 10, lang: str | None = None
) -> float:
    """Ranked predicted phrases and gold phrases -> F1 of the top k (exact match after
    normalising: Porter stems, or Snowball stems of `lang`; duplicates removed from the
    top k; an empty phrase never matches)."""

    def norm(phrase: str) -> str:
        return normalise_phrase(phrase) if lang is None else normalise_phrase_in(phrase, lang)

    top = [p for p in dict.fromkeys(norm(x) for x in predicted[:k]) if p]
    truth = {g for g in (norm(x) for x in gold) if g}
    if not top or not truth:
        return 0.0
    hits = sum(1 for p in top if p in truth)
    if not hits:
        return 0.0
    precision, recall = hits / len(top), hits / len(truth)
    return 2 * precision * recall / (precision + recall)


def bcubed(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> tuple[float, float, float]:
    """Predicted and gold cluster labels of the same items -> B-cubed (precision, recall, F1).

    Averaged over items: precision is the share of an item's predicted cluster that
    shares its gold label, recall the share of its gold cluster it was grouped with.
    """
    if len(predicted) != len(gold):
        raise ValueError("predicted and gold labels differ in length")
    if not gold:
        return 0.0, 0.0, 0.0
    joint = Counter(zip(predicted, gold, strict=True))
    cluster_size = Counter(predicted)
    class_size = Counter(gold)
    n = len(gold)
    precision = sum(c * c / cluster_size[p] for (p, _), c in joint.items()) / n
    recall = sum(c * c / class_size[g] for (_, g), c in joint.items()) / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def nmi(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> float:
    """Normalised mutual information (arithmetic mean normalisation, sklearn's default)."""
    from sklearn.metrics import normalized_mutual_info_score

    # labels as small integers: sklearn wants one sortable type
    ids: dict[Hashable, int] = {}
    pred = [ids.setdefault(("p", x), len(ids)) for x in predicted]
    true = [ids.setdefault(("g", x), len(ids)) for x in gold]
    return float(normalized_mutual_info_score(true, pred))


def grouping_scores(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> dict[str, float]:
    """Predicted and gold labels -> {"b3_p", "b3_r", "b3_f1", "nmi"}."""
    p, r, f = bcubed(predicted, gold)
    return {"b3_p": p, "b3_r": r, "b3_f1": f, "nmi": nmi(predicted, gold)}


def cut_words(text: str, limit: int) -> str:
    """Text -> its first `limit` whitespace-separated words."""
    return " ".join(text.split()[:limit])


class RougeScorer:
    """ROUGE-1/2/L F1 with the Porter stemmer (the `rouge-score` package), averaged."""

    METRICS = ("rouge1", "rouge2", "rougeL")

    def __init__(self) -> None:
        from rouge_score import rouge_scorer  # type: ignore[import-untyped,unused-ignore]

        self._scorer = rouge_scorer.RougeScorer(list(self.METRICS), use_stemmer=True)

    def score(self, reference: str, candidate: str) -> dict[str, float]:
        """One reference and one candidate summary -> F1 per metric."""
        scores = self._scorer.score(reference, candidate)
        return {m: float(scores[m].fmeasure) for m in self.METRICS}

    def mean(self, pairs: Iterable[tuple[str, str]]) -> dict[str, float]:
        """(reference, candidate) pairs -> mean F1 per metric."""
        totals: Counter[str] = Counter()
        n = 0
        for reference, candidate in pairs:
            totals.update(self.score(reference, candidate))
            n += 1
        return {m: totals[m] / n if n else 0.0 for m in self.METRICS}


def _shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """Text -> its word n-grams (words: \\w+, case kept) counted with multiplicity; a text
    of fewer than n words is one shingle of all of them, an empty text has none."""
    words = _WORD.findall(text)
    if len(words) < n:
        return Counter([tuple(words)] if words else [])
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def shingle_counts(gold: str, predicted: str) -> tuple[float, float, float]:
    """Gold and extracted body -> (TP, FP, FN) over 4-word shingles, scaled to sum 1
    (all zero when both are empty), so that every page weighs the same."""
    truth, guess = _shingles(gold), _shingles(predicted)
    tp = float(sum((truth & guess).values()))
    fp = float(sum((guess - truth).values()))
    fn = float(sum((truth - guess).values()))
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def shingle_scores(pairs: Iterable[tuple[str, str]]) -> dict[str, float]:
    """(gold, extracted) bodies of many pages -> {"precision", "recall", "f1"}: precision
    averaged over the pages that extracted anything, recall over the pages whose gold
    body has any words, F1 of the two averages."""
    precisions: list[float] = []
    recalls: list[float] = []
    for gold, predicted in pairs:
        tp, fp, fn = shingle_counts(gold, predicted)
        if tp + fp > 0:
            precisions.append(tp / (tp + fp))
        if tp + fn > 0:
            recalls.append(tp / (tp + fn))
    precision = math.fsum(precisions) / len(precisions) if precisions else 0.0
    recall = math.fsum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}
