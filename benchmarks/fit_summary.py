"""Fit the summary sentence score on Multi-News dev, with K-fold cross-validation.

Run from the repository root (needs rouge-score, like `benchmarks.quality`)::

    python -m benchmarks.fit_summary                 # fit, cross-validate, print weights
    python -m benchmarks.fit_summary --limit 200     # quick look on the first clusters

Every cluster of `multinews_dev` goes through the real analysis (load, clean, extract)
and grouping, pinned as one story, exactly as `python -m benchmarks.quality --sets
multinews_summaries` builds it. For every candidate sentence `digest.summarize`
computes its features; the fitted label is how much of the sentence the reference
summary contains: the share of its unigrams plus the share of its bigrams found in the
reference (rouge-score's tokens, Porter-stemmed). Per-word shares fit a word budget: a
long sentence must earn its length. The weights are least squares on those labels
(a small ridge keeps correlated features tame), centred per story, since only the order
within a story matters.

Cross-validation: the clusters are split into K folds by a hash of their id; for each
fold the weights are fitted on the other folds and the whole summariser (scoring, MMR,
budget) runs on the held-out fold; the CV figure is ROUGE over all clusters, each
summarised with weights that never saw it. The weights printed last are fitted on all
clusters: those are the ones shipped as `digest.summarize.WEIGHTS`.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import pickle
import tempfile
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.quality import (
    EVAL_DIR,
    SUMMARY_BUDGETS,
    SUMMARY_BUILD_WORDS,
    file_name,
    load_jsonl,
    markdown,
)
from benchmarks.scoring import cut_words
from digest.models import Article
from digest.summarize import (
    DANGLING_WEIGHT,
    FEATURES,
    MMR_LAMBDA,
    WEIGHTS,
    Candidate,
    pick_sentences,
    sentence_features,
    story_candidates,
)

FOLDS = 5
RIDGE = 1.0
# Weights not fitted: ROUGE does not mind a sentence that leans on one we do not show
# ("He said..."), readers do; the fit gives it about 0, this costs no ROUGE in CV.
FIXED_WEIGHTS = {"dangling": DANGLING_WEIGHT}


@dataclass(frozen=True)
class Cluster:
    """One Multi-News cluster as the build sees it: its reports, the digest-wide IDF."""

    id: str
    reports: tuple[Article, ...]
    reference: str


def analysed_clusters(eval_dir: Path, limit: int | None) -> tuple[list[Cluster], dict[str, float]]:
    """multinews_dev -> its clusters as analysed, grouped stories, and the digest's IDF."""
    from digest.cluster import group_articles
    from digest.config import Config
    from digest.load import read_content
    from digest.pipeline import analyse_files
    from digest.weights import TermWeights

    rows = load_jsonl(eval_dir, "multinews_dev.jsonl")
    rows = rows[:limit] if limit is not None else rows
    config = Config()
    with tempfile.TemporaryDirectory(prefix="digest-fit-") as tmp:
        content = Path(tmp)
        n = 0
        for r in rows:
            for a in r["articles"]:
                (content / file_name(n)).write_text(
                    markdown(a["text"], story=r["id"]), encoding="utf-8"
                )
                n += 1
        files, _ = read_content(content)
        articles, _, _ = analyse_files(files, config, None, None, None)
    ordered = sorted(articles, key=lambda a: a.id)
    weights = TermWeights(ordered)
    # the digest's IDF: these articles are undated, so every window is the whole digest
    idf = weights.around(None, (t for a in ordered for t in a.terms))
    reference = {r["id"]: r["summary"] for r in rows}
    clusters = []
    for group in group_articles(ordered, config, weights):
        members = [ordered[i] for i in group.members]
        # as digest.pipeline.make_story: by date then id, repeats of a report dropped
        members.sort(key=lambda a: (a.meta.date or "9999", a.id))
        repeats = {ordered[i].id for i, _ in group.duplicates}
        reports = tuple(a for a in members if a.id not in repeats)
        story = members[0].meta.story or ""
        clusters.append(Cluster(story, reports, reference[story]))
    clusters.sort(key=lambda c: c.id)
    return clusters, idf


def cached_clusters(
    eval_dir: Path, limit: int | None, cache: Path | None
) -> tuple[list[Cluster], dict[str, float]]:
    """analysed_clusters, kept in a pickle between runs when `cache` is given."""
    if cache is not None and cache.exists():
        data: tuple[list[Cluster], dict[str, float]] = pickle.loads(cache.read_bytes())
        return data
    data = analysed_clusters(eval_dir, limit)
    if cache is not None:
        cache.write_bytes(pickle.dumps(data))
    return data


def fold_of(cluster_id: str, folds: int = FOLDS) -> int:
    """A cluster id -> its cross-validation fold (a hash: stable, order-free)."""
    return int(hashlib.sha256(cluster_id.encode()).hexdigest(), 16) % folds


class Rouge:
    """ROUGE-1/2 F1 exactly as rouge-score computes it (its tokenizer and Porter
    stemmer), with each text's tokens computed once: the grid below scores the same
    sentences thousands of times."""

    def __init__(self) -> None:
        from rouge_score import tokenizers  # type: ignore[import-untyped,unused-ignore]

        self._tokenizer = tokenizers.DefaultTokenizer(use_stemmer=True)
        self._tokens: dict[str, list[str]] = {}

    def tokens(self, text: str) -> list[str]:
        found = self._tokens.get(text)
        if found is None:
            found = self._tokens[text] = list(self._tokenizer.tokenize(text))
        return found

    def summary_tokens(self, sentences: Sequence[str], budget: int) -> list[str]:
        """Sentences joined by spaces and cut to `budget` words -> their tokens."""
        out: list[str] = []
        words = 0
        for s in sentences:
            n = len(s.split())
            if words + n <= budget:
                out.extend(self.tokens(s))
                words += n
            else:
                out.extend(self.tokens(cut_words(s, budget - words)))
                break
        return out

    @staticmethod
    def f1(reference: Sequence[str], summary: Sequence[str], n: int) -> float:
        ref = Counter(tuple(reference[i : i + n]) for i in range(len(reference) - n + 1))
        got = Counter(tuple(summary[i : i + n]) for i in range(len(summary) - n + 1))
        hits = sum(min(c, got[g]) for g, c in ref.items())
        p = hits / max(sum(got.values()), 1)
        r = hits / max(sum(ref.values()), 1)
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Prepared:
    """One cluster ready for the grid: candidates, feature rows, labels, reference tokens."""

    id: str
    candidates: tuple[Candidate, ...]
    features: Any  # numpy array, candidates x FEATURES
    labels: Any  # numpy array, one per candidate
    reference: tuple[str, ...]


def prepare(clusters: Sequence[Cluster], idf: Mapping[str, float], rouge: Rouge) -> list[Prepared]:
    """Clusters -> candidates, features and per-sentence labels."""
    import numpy as np

    prepared = []
    for c in clusters:
        candidates = story_candidates(c.reports, idf)
        reference = rouge.tokens(c.reference)
        ref1 = set(reference)
        ref2 = set(itertools.pairwise(reference))
        labels = []
        for cand in candidates:
            toks = rouge.tokens(cand.text)
            bigrams = list(itertools.pairwise(toks))
            p1 = sum(t in ref1 for t in toks) / max(len(toks), 1)
            p2 = sum(b in ref2 for b in bigrams) / max(len(bigrams), 1)
            labels.append(p1 + p2)
        features = np.array(sentence_features(candidates, len(c.reports)), dtype=float)
        prepared.append(
            Prepared(c.id, tuple(candidates), features, np.array(labels), tuple(reference))
        )
    return prepared


def fit(prepared: Sequence[Prepared], ridge: float = RIDGE) -> tuple[float, ...]:
    """Clusters -> least-squares weights of FEATURES, features and labels centred per
    story (only the order within a story matters), with a small ridge."""
    import numpy as np

    xs, ys = [], []
    for p in prepared:
        if len(p.candidates) < 2:
            continue
        xs.append(p.features - p.features.mean(axis=0))
        ys.append(p.labels - p.labels.mean())
    x = np.vstack(xs)
    y = np.concatenate(ys)
    # a weight set by hand is taken out of the label, the others fitted around it
    fixed = [FEATURES.index(name) for name in FIXED_WEIGHTS]
    free = [i for i in range(len(FEATURES)) if i not in fixed]
    for i in fixed:
        y = y - FIXED_WEIGHTS[FEATURES[i]] * x[:, i]
    x = x[:, free]
    w = np.linalg.solve(x.T @ x + ridge * np.eye(x.shape[1]), x.T @ y)
    weights = dict(zip(free, w, strict=True))
    weights.update({i: FIXED_WEIGHTS[FEATURES[i]] for i in fixed})
    return tuple(round(float(weights[i]), 4) for i in range(len(FEATURES)))


def evaluate(
    prepared: Sequence[Prepared],
    weights: Sequence[float],
    rouge: Rouge,
    mmr_lambda: float = MMR_LAMBDA,
    order: str = "score",
) -> dict[str, float]:
    """Clusters, weights -> mean ROUGE-1/2 at each budget of the whole selection."""
    import numpy as np

    totals: dict[str, float] = defaultdict(float)
    w = np.array(weights)
    for p in prepared:
        relevance = [float(v) for v in p.features @ w] if len(p.candidates) else []
        chosen = pick_sentences(
            p.candidates, relevance, SUMMARY_BUILD_WORDS, SUMMARY_BUILD_WORDS, mmr_lambda
        )
        if order == "text":  # as the articles tell it: by report, then by position
            chosen.sort(key=lambda i: (p.candidates[i].article, p.candidates[i].position))
        elif order == "position":  # leads of every report first
            chosen.sort(key=lambda i: (p.candidates[i].position, p.candidates[i].article))
        sentences = [p.candidates[i].text for i in chosen]
        for budget in SUMMARY_BUDGETS:
            summary = rouge.summary_tokens(sentences, budget)
            totals[f"rouge1@{budget}"] += rouge.f1(p.reference, summary, 1)
            totals[f"rouge2@{budget}"] += rouge.f1(p.reference, summary, 2)
    return {k: round(v / len(prepared), 4) for k, v in sorted(totals.items())}


def cross_validate(
    prepared: Sequence[Prepared], rouge: Rouge, mmr_lambda: float, folds: int = FOLDS
) -> tuple[dict[str, float], list[tuple[float, ...]]]:
    """Clusters -> ROUGE of each fold summarised with weights fitted on the others."""
    totals: dict[str, float] = defaultdict(float)
    fitted = []
    for k in range(folds):
        train = [p for p in prepared if fold_of(p.id, folds) != k]
        test = [p for p in prepared if fold_of(p.id, folds) == k]
        weights = fit(train)
        fitted.append(weights)
        for metric, value in evaluate(test, weights, rouge, mmr_lambda).items():
            totals[metric] += value * len(test)
    return {k: round(v / len(prepared), 4) for k, v in sorted(totals.items())}, fitted


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fit_summary")
    parser.add_argument("--limit", type=int, default=None, help="first N clusters only")
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--cache", type=Path, default=None, help="pickle of the analysis")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args(argv)
    clusters, idf = cached_clusters(args.eval_dir, args.limit, args.cache)
    rouge = Rouge()
    prepared = prepare(clusters, idf, rouge)
    print(f"{len(prepared)} clusters, {sum(len(p.candidates) for p in prepared)} sentences")
    figures: dict[str, Any] = {}
    cv, fitted = cross_validate(prepared, rouge, MMR_LAMBDA)
    figures[f"cross-validated ({FOLDS} folds)"] = cv
    weights = fit(prepared)
    figures["weights fitted on all clusters"] = evaluate(prepared, weights, rouge)
    figures["shipped weights (digest.summarize.WEIGHTS)"] = evaluate(prepared, WEIGHTS, rouge)
    for order in ("text", "position"):
        figures[f"shipped weights, sentences in {order} order"] = evaluate(
            prepared, WEIGHTS, rouge, order=order
        )
    for name, values in figures.items():
        print(f"{name}: {values}")
    print("fold weights (min .. max):")
    for k, name in enumerate(FEATURES):
        low, high = min(w[k] for w in fitted), max(w[k] for w in fitted)
        print(f"  {name:16s} {weights[k]:+.4f}   ({low:+.4f} .. {high:+.4f})")
    print("WEIGHTS =", weights)
    figures["weights"] = dict(zip(FEATURES, weights, strict=True))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
