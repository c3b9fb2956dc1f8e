"""Quality benchmark: the real build on the labelled public sets in `../shared/eval/`.

Run from the repository root (needs nltk, rouge-score and scikit-learn besides digest)::

    python -m benchmarks.quality                             # all sets: ~15 min, 3 GB
    python -m benchmarks.quality --sets keywords,wikiref220  # a task name or set names
    python -m benchmarks.quality --limit 100 --json out.json # quick deterministic subsample

Each set is fed through the pipeline the way a user runs it: its articles are written
as files into a temporary content folder, `digest.pipeline.build` runs with the default
`Config()` (one configuration for every set; only the summary word budget changes for
the summary set), and the figures are read back from the `site/digest.json` it wrote.
Baselines run in the same process on the same articles, and the table prints each
figure beside them and beside the reference numbers of `shared/eval/README.md`, whose
scoring definitions `benchmarks.scoring` follows.

Sets (`--sets` takes these names, or a task name for all of its sets):

- keywords: `kp_dev` — Markdown, front matter `title:` + text; F1@10 of each article's
  keywords. Baselines: plain `yake` (n=1, top 10) on title + text, and term frequency
  (sklearn's English stop-words, numbers and words under 3 letters dropped, Porter
  stems); the README's stop-word list is not stated, so that one lands near, not on,
  its 0.182.
  `kp_multilingual` — French and Portuguese news (`kp_multilingual_dev`), every
  document a Markdown file without front matter in one folder (the build tells each
  one's language); F1@10 per language with Snowball stems of the language, beside
  plain `yake` (n=3 and n=1, top 10) told the language; keywords among each
  article's top 10 made only of stop-words of its language (YAKE's lists); stories
  mixing languages.
- stories: `multinews_dev` — every article of every cluster in one folder, Markdown body
  only (the set has no titles); scored over the articles kept by Multi-News+, the others
  stay in as distractors. `multinews_dated` — the same with realistic publication times
  in front matter (each cluster a centre time uniform over 7 days, each article that
  time + N(0, 8 h) clipped to +-36 h, fixed seed), the undated build beside it.
  `uci_week` — each headline one Markdown article with front
  matter title, source, url and date, body = the headline.
- topics: `wikiref220` (raw pages, as `.txt`) and `bbc_news` (Markdown with title; exact
  duplicate bodies dropped first). Scored on digest.json's "topics" when it has them,
  else on its stories (a note says so).
- summaries: `multinews_summaries` — each cluster pinned as one story (`story:` front
  matter), built with a 260-word summary budget; the story's summary sentences, joined
  in the order given, are cut to 100 and to 250 words and scored with ROUGE.
- bodies: `html_pages` — each saved page of `html_pages_dev` written as it was fetched
  (`NNN.html`, nothing else), built with the whole text on article pages (`article_text
  = "full"` where that setting exists), and the text of each article page's body section
  read back from the site; shingle precision, recall and F1 against the marked article
  body (the README's definition, `benchmarks.scoring.shingle_scores`). Baselines:
  `trafilatura.extract` on the raw page in the same run, with its defaults (the target's
  reference) and with the options digest's loader passes it, and digest's own figures
  before its HTML loader used trafilatura (fixed numbers, whole set only).
- growing: `bbc_uci_growing` — 300 BBC articles dated over one week (section kept for
  scoring only) and 300 UCI headlines of whole stories, built once, then rebuilt in the
  same folders after adding one BBC article and, separately, one UCI headline: stories
  keeping their topic, files changed, stories mixing BBC sections, whether the front
  page opens with the most-covered story (see `benchmarks.growing`). `--limit N` takes
  N/2 of each half. Each figure with a target in issue 11 is printed beside it.

Baseline clustering is plain TF-IDF (sklearn, English stop-words, sublinear tf, which
reproduces the README's 0.911 / 0.805 on multinews_dev) with average-link
cosine agglomerative clustering, exact (scipy `linkage` on the condensed distance
matrix, built from the sparse similarity product in row blocks), reported at its best
threshold on a 0.01 grid. Pairs that share no term have similarity 0, so nothing is
approximated; for uci_week's 15,975 headlines that matrix takes about 1 GB and the
linkage about 10 s. `--limit N` keeps at most N items of each set: the first N
clusters of multinews, whole stories of uci_week (in a fixed hashed order) up to N
headlines, and a fixed random sample of N documents elsewhere. The eval folder is
`../shared/eval` beside the repository, or DIGEST_EVAL_DIR, or `--eval-dir`.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.scoring import (
    RougeScorer,
    cut_words,
    f1_at_k,
    grouping_scores,
    shingle_scores,
    stem_word,
)

# the eval data beside the repository; DIGEST_EVAL_DIR points elsewhere (a git worktree)
EVAL_DIR = Path(
    os.environ.get("DIGEST_EVAL_DIR") or Path(__file__).resolve().parents[2] / "shared" / "eval"
)

Row = dict[str, Any]

# Summary budget the summary set is built with (cut to SUMMARY_BUDGETS afterwards).
SUMMARY_BUILD_WORDS = 260
SUMMARY_BUDGETS = (100, 250)
# MMR trade-off of the centroid baseline (1 = relevance only).
MMR_LAMBDA = 0.7
THRESHOLDS = tuple(round(0.01 * i, 2) for i in range(1, 100))

# Baseline names, as printed and as keys of REFERENCES.
YAKE = "yake n=1 (title+text)"
TERM_FREQUENCY = "term frequency"
AVERAGE_LINK = "tf-idf average-link, best threshold"
KMEANS_K = 5
KMEANS = f"tf-idf k-means, k={KMEANS_K}"
LEAD = "lead of first article"
RANDOM = "random sentences"
CENTROID = "tf-idf centroid + MMR"
UNDATED = "digest, same clusters undated"
TRAFILATURA = "trafilatura.extract, raw page"
TRAFILATURA_TUNED = "trafilatura.extract, favor_precision, no comments"
DIGEST_BEFORE = "digest before issue 12 (measured)"
# digest's own figures on all 91 pages of html_pages_dev before the HTML loader used
# trafilatura (commit fce93a3, this benchmark): printed beside today's as a fixed baseline
HTML_PAGES_BEFORE = {"precision": 0.784, "recall": 0.960, "f1": 0.863}
HTML_PAGES_COUNT = 91
YAKE_TOLD_3 = "yake n=3 told the language"
YAKE_TOLD_1 = "yake n=1 told the language"

# Reference figures quoted in shared/eval/README.md: set -> (system, metric) -> value.
REFERENCES: dict[str, dict[tuple[str, str], float]] = {
    "kp_dev": {(YAKE, "f1@10"): 0.167, (TERM_FREQUENCY, "f1@10"): 0.182},
    "multinews_dev": {(AVERAGE_LINK, "b3_f1"): 0.911},
    "multinews_dated": {(AVERAGE_LINK, "b3_f1"): 0.911},
    "uci_week": {(AVERAGE_LINK, "b3_f1"): 0.617},
    "wikiref220": {(AVERAGE_LINK, "b3_f1"): 0.922},
    "bbc_news": {(KMEANS, "nmi"): 0.88},
    "multinews_summaries": {
        (LEAD, "rouge1@100"): 0.292,
        (LEAD, "rouge2@100"): 0.094,
        (RANDOM, "rouge1@100"): 0.298,
        (RANDOM, "rouge2@100"): 0.091,
        (CENTROID, "rouge1@100"): 0.323,
        (CENTROID, "rouge2@100"): 0.110,
        (RANDOM, "rouge1@250"): 0.441,
        (RANDOM, "rouge2@250"): 0.148,
        (CENTROID, "rouge1@250"): 0.447,
        (CENTROID, "rouge2@250"): 0.153,
    },
}

# Targets of issue 11 for the digest's own figures: set -> metric -> (">=" or "<=", value).
TARGETS: dict[str, dict[str, tuple[str, float]]] = {
    "kp_dev": {"f1@10": (">=", 0.20)},
    # issue 12: every language
    "kp_multilingual": {
        "f1@10_fr_over_yake": (">=", 0.02),
        "f1@10_pt_over_yake": (">=", 0.02),
        "stop_words": ("<=", 0),
        "mixed_stories": ("<=", 0),
    },
    "multinews_dev": {"b3_f1": (">=", 0.915)},
    "multinews_dated": {"b3_f1": (">=", 0.93), "b3_f1_minus_undated": (">=", -0.01)},
    "uci_week": {"b3_f1": (">=", 0.77)},
    "wikiref220": {"b3_f1": (">=", 0.93)},
    "bbc_news": {"nmi": (">=", 0.85)},
    "multinews_summaries": {"rouge1@100": (">=", 0.36), "rouge2@100": (">=", 0.13)},
    # issue 12: at least trafilatura's F1 in the same run + 0.005
    "html_pages": {"f1_minus_trafilatura": (">=", 0.005)},
    "bbc_uci_growing": {
        "topics_kept+bbc": (">=", 0.95),
        "topics_kept+uci": (">=", 0.95),
        "files_changed+bbc": ("<=", 0.05),
        "files_changed+uci": ("<=", 0.05),
        "mixed_sections": ("<=", 0),
        "front_page_most_covered": (">=", 1.0),
    },
}


def meets(value: float, target: tuple[str, float]) -> bool:
    """Whether a figure meets its target (">=" a floor or "<=" a ceiling)."""
    op, bound = target
    return value >= bound if op == ">=" else value <= bound


@dataclass
class SetResult:
    """The figures of one set: the pipeline's, each baseline's, and notes."""

    name: str
    task: str
    articles: int
    seconds: float  # wall time of the build
    digest: dict[str, float]
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ms_per_article(self) -> float:
        return 1000 * self.seconds / self.articles if self.articles else 0.0

    def as_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["ms_per_article"] = round(self.ms_per_article, 2)
        data["references"] = {
            f"{system}: {metric}": value
            for (system, metric), value in REFERENCES.get(self.name, {}).items()
        }
        data["targets"] = {
            metric: f"{op} {bound}" for metric, (op, bound) in TARGETS.get(self.name, {}).items()
        }
        return data


# ---------------------------------------------------------------------- data


def load_jsonl(eval_dir: Path, name: str) -> list[Row]:
    """One eval file -> its records (read at run time; never copied into the repo)."""
    with (eval_dir / name).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def stable_key(value: object) -> str:
    return hashlib.sha1(str(value).encode("utf-8")).hexdigest()


def sample(rows: Sequence[Row], limit: int | None) -> list[Row]:
    """At most `limit` rows, a fixed pseudo-random choice, kept in file order."""
    if limit is None or limit >= len(rows):
        return list(rows)
    keep = set(random.Random(0).sample(range(len(rows)), limit))
    return [r for i, r in enumerate(rows) if i in keep]


def whole_groups(rows: Sequence[Row], key: str, limit: int | None) -> list[Row]:
    """Rows of whole gold groups, taken in a fixed hashed order, up to `limit` rows."""
    if limit is None or limit >= len(rows):
        return list(rows)
    sizes = Counter(r[key] for r in rows)
    chosen: set[Hashable] = set()
    room = limit
    for group in sorted(sizes, key=stable_key):
        if sizes[group] <= room:
            chosen.add(group)
            room -= sizes[group]
    return [r for r in rows if r[key] in chosen]


def unique_bodies(rows: Sequence[Row]) -> list[Row]:
    """Rows with exact-duplicate bodies dropped (the first copy stays)."""
    seen: set[str] = set()
    out = []
    for r in rows:
        if r["text"] not in seen:
            seen.add(r["text"])
            out.append(r)
    return out


def markdown(body: str, **front: str | None) -> str:
    """A Markdown article: front matter (values as YAML double-quoted strings) + body."""
    lines = [f"{k}: {json.dumps(v)}" for k, v in front.items() if v]
    head = "---\n" + "\n".join(lines) + "\n---\n\n" if lines else ""
    return head + body.strip() + "\n"


def file_name(index: int, suffix: str = ".md") -> str:
    return f"{index:05d}{suffix}"


# ---------------------------------------------------------------------- the pipeline


@dataclass(frozen=True)
class BuildOutput:
    """What one build produced: digest.json, wall time, and counts."""

    digest: dict[str, Any]
    seconds: float
    files: int
    problems: Counter[str]  # reason -> how many files
    pages: dict[str, str] = field(default_factory=dict)  # what `read_pages` read back

    def article_stories(self) -> dict[str, str]:
        """Content path -> id of the story holding it."""
        path_of = {a["id"]: a["path"] for a in self.digest["articles"]}
        return {path_of[a]: s["id"] for s in self.digest["stories"] for a in s["articles"]}

    def article_topics(self) -> dict[str, str] | None:
        """Content path -> topic id, or None when digest.json has no "topics" yet."""
        topics = self.digest.get("topics")
        if topics is None:
            return None
        topic_of = {sid: t["id"] for t in topics for sid in t.get("stories", ())}
        for story in self.digest["stories"]:
            if story.get("topic"):
                topic_of.setdefault(story["id"], story["topic"])
        return {
            path: topic_of.get(story, f"story:{story}")
            for path, story in self.article_stories().items()
        }


def run_pipeline(
    files: Mapping[str, str],
    read_pages: Callable[[Path, dict[str, Any]], dict[str, str]] | None = None,
    **overrides: Any,
) -> BuildOutput:
    """{file name: text} -> written into a temporary content folder, built with the
    default Config (plus `overrides`), digest.json read back (and, with `read_pages`,
    whatever it reads from the site folder and digest.json before the folder goes)."""
    from digest.config import Config
    from digest.pipeline import build

    config = Config().with_overrides(**overrides) if overrides else Config()
    with tempfile.TemporaryDirectory(prefix="digest-quality-") as tmp:
        base = Path(tmp)
        content = base / config.content
        content.mkdir(parents=True)
        for name, text in files.items():
            (content / name).write_text(text, encoding="utf-8")
        started = time.perf_counter()
        report = build(config, base)
        seconds = time.perf_counter() - started
        data = json.loads((base / config.output / "digest.json").read_text(encoding="utf-8"))
        pages = read_pages(base / config.output, data) if read_pages else {}
    problems = Counter(p.reason for p in report.problems)
    return BuildOutput(data, seconds, len(files), problems, pages)


def labels_for(names: Sequence[str], assigned: Mapping[str, str]) -> list[str]:
    """Content paths -> predicted labels; an article the build dropped is its own group."""
    return [assigned.get(name, f"dropped:{name}") for name in names]


def dropped_note(out: BuildOutput) -> list[str]:
    kept = len(out.digest["articles"])
    notes = []
    if kept < out.files:
        notes.append(f"{out.files - kept} of {out.files} files did not become articles")
    for reason, count in sorted(out.problems.items(), key=lambda rc: (-rc[1], rc[0]))[:3]:
        notes.append(f"build problem x{count}: {reason}")
    return notes


# ---------------------------------------------------------------------- baselines


def english_stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def term_frequency_keywords(text: str, stop_words: frozenset[str], k: int = 10) -> list[str]:
    """Text -> its k most frequent stemmed words (English stop-words, numbers and words
    under 3 letters removed), ties broken by first position."""
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for i, word in enumerate(re.findall(r"\w+", text.lower())):
        if word in stop_words or len(word) < 3 or word.isdigit():
            continue
        stem = stem_word(word)
        counts[stem] += 1
        first.setdefault(stem, i)
    return sorted(counts, key=lambda s: (-counts[s], first[s]))[:k]


def tfidf_matrix(texts: Sequence[str]) -> Any:
    """Texts -> L2-normalised TF-IDF rows (sklearn, English stop-words, sublinear tf:
    the setting that reproduces the README's reference figures)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(texts).tocsr()


def average_link_tree(matrix: Any) -> Any:
    """TF-IDF rows -> scipy average-link tree over cosine distance (exact).

    The condensed distance matrix is filled from the sparse similarity product a
    block of rows at a time, so no dense n x n matrix is held besides it.
    """
    import numpy as np
    from scipy.cluster.hierarchy import linkage

    n = matrix.shape[0]
    distances = np.empty(n * (n - 1) // 2, dtype=np.float64)
    transposed = matrix.T.tocsc()
    offset = 0
    for start in range(0, n, 1000):
        block = (matrix[start : start + 1000] @ transposed).toarray()
        for k in range(block.shape[0]):
            i = start + k
            width = n - i - 1
            distances[offset : offset + width] = 1.0 - block[k, i + 1 :]
            offset += width
    np.clip(distances, 0.0, 2.0, out=distances)
    return linkage(distances, method="average")


def best_threshold(
    tree: Any, gold: Sequence[Hashable], scored: Sequence[int]
) -> tuple[float, dict[str, float]]:
    """Average-link tree -> (threshold, scores) at the similarity threshold with the best
    B-cubed F1 over the `scored` items."""
    from scipy.cluster.hierarchy import fcluster

    best: tuple[float, dict[str, float]] | None = None
    truth = [gold[i] for i in scored]
    for threshold in THRESHOLDS:
        labels = fcluster(tree, t=1.0 - threshold, criterion="distance")
        predicted = [int(labels[i]) for i in scored]
        scores = {**grouping_scores(predicted, truth), "groups": len(set(predicted))}
        if best is None or scores["b3_f1"] > best[1]["b3_f1"]:
            best = (threshold, scores)
    assert best is not None
    return best


def kmeans_labels(matrix: Any, k: int) -> list[int]:
    """TF-IDF rows -> k-means cluster labels (fixed seed, 10 restarts)."""
    from sklearn.cluster import KMeans

    return [int(x) for x in KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(matrix)]


def sentences_of(text: str) -> list[str]:
    from segtok.segmenter import split_multi

    return [s.strip() for s in split_multi(text) if s.strip()]


def centroid_mmr(sentences: Sequence[str], budget: int) -> list[str]:
    """Sentences -> picked by TF-IDF centroid relevance with MMR until `budget` words."""
    import numpy as np

    if not sentences:
        return []
    try:
        matrix = tfidf_matrix(sentences)
    except ValueError:  # nothing but stop-words
        return list(sentences)
    centre = np.asarray(matrix.mean(axis=0)).ravel()
    norm = float(np.linalg.norm(centre))
    relevance = matrix @ (centre / norm) if norm else np.zeros(len(sentences))
    similarity = (matrix @ matrix.T).toarray()
    redundancy = np.zeros(len(sentences))
    available = np.ones(len(sentences), dtype=bool)
    picked: list[str] = []
    words = 0
    while words < budget and available.any():
        score = MMR_LAMBDA * relevance - (1 - MMR_LAMBDA) * redundancy
        score[~available] = -np.inf
        best = int(np.argmax(score))
        available[best] = False
        picked.append(sentences[best])
        words += len(sentences[best].split())
        redundancy = np.maximum(redundancy, similarity[best])
    return picked


# ---------------------------------------------------------------------- the sets


def bench_keywords(rows: Sequence[Row], baselines: bool = True) -> SetResult:
    """kp_dev -> F1@10 of the build's article keywords (and of the baselines)."""
    names = [file_name(i) for i in range(len(rows))]
    files = {n: markdown(r["text"], title=r["title"]) for n, r in zip(names, rows, strict=True)}
    out = run_pipeline(files)
    keywords = {a["path"]: a["keywords"] for a in out.digest["articles"]}
    golds = [r["keyphrases"] for r in rows]
    result = SetResult(
        "kp_dev",
        "keywords",
        len(rows),
        out.seconds,
        {"f1@10": mean(f1_at_k(keywords.get(n, []), g) for n, g in zip(names, golds, strict=True))},
        notes=dropped_note(out),
    )
    if baselines:
        import yake

        extractor = yake.KeywordExtractor(lan="en", n=1, top=10)
        texts = [f"{r['title']}\n{r['text']}" for r in rows]
        yake_f1 = [
            f1_at_k([str(k) for k, _ in extractor.extract_keywords(t)], g)
            for t, g in zip(texts, golds, strict=True)
        ]
        stop = english_stop_words()
        tf_f1 = [
            f1_at_k(term_frequency_keywords(t, stop), g) for t, g in zip(texts, golds, strict=True)
        ]
        result.baselines[YAKE] = {"f1@10": mean(yake_f1)}
        result.baselines[TERM_FREQUENCY] = {"f1@10": mean(tf_f1)}
    return result


def bench_kp_multilingual(rows: Sequence[Row], baselines: bool = True) -> SetResult:
    """kp_multilingual_dev -> F1@10 per language of the build's keywords, every
    document in one folder with no language given (and of plain YAKE told it), the
    keywords that are stop-words of their language, and stories mixing languages."""
    from digest.languages import stop_words

    names = [file_name(i) for i in range(len(rows))]
    out = run_pipeline({n: markdown(r["text"]) for n, r in zip(names, rows, strict=True)})
    keywords = {a["path"]: a["keywords"] for a in out.digest["articles"]}
    langs = sorted({str(r["lang"]) for r in rows})
    figures: dict[str, float] = {}
    stopped = 0
    for lang in langs:
        mine = [(n, r) for n, r in zip(names, rows, strict=True) if r["lang"] == lang]
        figures[f"f1@10_{lang}"] = mean(
            f1_at_k(keywords.get(n, []), r["keyphrases"], lang=lang) for n, r in mine
        )
        stop = stop_words(lang)
        stopped += sum(
            1
            for n, _ in mine
            for k in keywords.get(n, [])[:10]
            if all(w in stop for w in re.findall(r"\w+", k.lower()))
        )
    figures["stop_words"] = stopped
    lang_of = {n: r["lang"] for n, r in zip(names, rows, strict=True)}
    by_story: dict[str, set[str]] = defaultdict(set)
    for path, story in out.article_stories().items():
        by_story[story].add(lang_of[path])
    figures["mixed_stories"] = sum(1 for found in by_story.values() if len(found) > 1)
    result = SetResult(
        "kp_multilingual", "keywords", len(rows), out.seconds, figures, notes=dropped_note(out)
    )
    if baselines:
        import yake

        for label, n in ((YAKE_TOLD_3, 3), (YAKE_TOLD_1, 1)):
            told: dict[str, float] = {}
            for lang in langs:
                extractor = yake.KeywordExtractor(lan=lang, n=n, top=10)
                told[f"f1@10_{lang}"] = mean(
                    f1_at_k(
                        [str(k) for k, _ in extractor.extract_keywords(r["text"])],
                        r["keyphrases"],
                        lang=lang,
                    )
                    for r in rows
                    if r["lang"] == lang
                )
            result.baselines[label] = told
        for lang in langs:  # the target: 0.02 above YAKE n=3 told the language
            lead = figures[f"f1@10_{lang}"] - result.baselines[YAKE_TOLD_3][f"f1@10_{lang}"]
            figures[f"f1@10_{lang}_over_yake"] = lead
    return result


def bench_grouping(
    name: str,
    task: str,
    files: Mapping[str, str],
    gold: Sequence[Hashable],
    texts: Sequence[str],
    scored: Sequence[int],
    baselines: Iterable[str] = (),
    topics: bool = False,
) -> SetResult:
    """Articles as files, gold labels and baseline texts -> B-cubed and NMI of the
    build's stories (or topics) and of the chosen baselines, over the `scored` items."""
    names = list(files)
    out = run_pipeline(files)
    notes = dropped_note(out)
    assigned: Mapping[str, str] | None = out.article_topics() if topics else None
    if topics and assigned is None:
        notes.append('digest.json has no "topics" yet: its stories are scored instead')
    if assigned is None:
        assigned = out.article_stories()
    predicted = labels_for(names, assigned)
    truth = [gold[i] for i in scored]
    figures = grouping_scores([predicted[i] for i in scored], truth)
    figures["groups"] = len({predicted[i] for i in scored})
    notes.append(f"{len(set(truth))} gold groups among {len(scored)} scored articles")
    result = SetResult(name, task, len(names), out.seconds, figures, notes=notes)
    wanted = set(baselines)
    if not wanted:
        return result
    matrix = tfidf_matrix(texts)
    if AVERAGE_LINK in wanted:
        threshold, scores = best_threshold(average_link_tree(matrix), gold, scored)
        result.baselines[AVERAGE_LINK] = {**scores, "threshold": threshold}
    if KMEANS in wanted:
        labels = kmeans_labels(matrix, KMEANS_K)
        result.baselines[KMEANS] = {
            **grouping_scores([labels[i] for i in scored], truth),
            "groups": len({labels[i] for i in scored}),
        }
    return result


def bench_multinews_stories(rows: Sequence[Row], baselines: bool = True) -> SetResult:
    articles = [(r["id"], a) for r in rows for a in r["articles"]]
    files = {file_name(i): markdown(a["text"]) for i, (_, a) in enumerate(articles)}
    scored = [i for i, (_, a) in enumerate(articles) if a["kept_by_multinews_plus"]]
    result = bench_grouping(
        "multinews_dev",
        "stories",
        files,
        [cid for cid, _ in articles],
        [a["text"] for _, a in articles],
        scored,
        [AVERAGE_LINK] if baselines else [],
    )
    result.notes.append(
        f"{len(rows)} clusters; scored over {len(scored)} kept articles, "
        f"{len(articles) - len(scored)} distractors"
    )
    return result


# The dated Multi-News condition: each cluster gets a centre time drawn uniformly over
# DATED_DAYS days from DATED_START, each article that time + N(0, DATED_SPREAD_HOURS)
# clipped to +-DATED_CLIP_HOURS, from a fixed seed.
DATED_START = "2024-03-04T00:00:00"
DATED_DAYS = 7
DATED_SPREAD_HOURS = 8.0
DATED_CLIP_HOURS = 36.0
DATED_SEED = 11


def dated_articles(rows: Sequence[Row]) -> list[tuple[str, Row, str]]:
    """Multi-News clusters -> (cluster id, article, ISO date-time) with realistic dates:
    the articles of one event a few hours apart, the events spread over a week."""
    import datetime as dt

    rng = random.Random(DATED_SEED)
    start = dt.datetime.fromisoformat(DATED_START)
    out = []
    for r in rows:
        centre = rng.uniform(0, DATED_DAYS * 24)
        for a in r["articles"]:
            offset = max(-DATED_CLIP_HOURS, min(DATED_CLIP_HOURS, rng.gauss(0, DATED_SPREAD_HOURS)))
            when = start + dt.timedelta(hours=centre + offset)
            out.append((r["id"], a, when.strftime("%Y-%m-%dT%H:%M:%SZ")))
    return out


def bench_multinews_dated(rows: Sequence[Row], baselines: bool = True) -> SetResult:
    """multinews_dev with realistic publication times (`dated_articles`), scored like
    the undated set; the undated build of the same clusters is reported beside it."""
    articles = dated_articles(rows)
    files = {
        file_name(i): markdown(a["text"], date=when) for i, (_, a, when) in enumerate(articles)
    }
    scored = [i for i, (_, a, _) in enumerate(articles) if a["kept_by_multinews_plus"]]
    result = bench_grouping(
        "multinews_dated",
        "stories",
        files,
        [cid for cid, _, _ in articles],
        [a["text"] for _, a, _ in articles],
        scored,
        [AVERAGE_LINK] if baselines else [],
    )
    undated = bench_multinews_stories(rows, baselines=False)
    result.baselines[UNDATED] = {
        k: v for k, v in undated.digest.items() if k in ("b3_p", "b3_r", "b3_f1", "nmi")
    }
    result.digest["b3_f1_minus_undated"] = result.digest["b3_f1"] - undated.digest["b3_f1"]
    result.notes.append(
        f"{len(rows)} clusters; dates: centre uniform over {DATED_DAYS} days, "
        f"articles N(0, {DATED_SPREAD_HOURS:g} h) clipped to +-{DATED_CLIP_HOURS:g} h"
    )
    return result


def bench_uci_week(rows: Sequence[Row], baselines: bool = True) -> SetResult:
    files = {
        file_name(i): markdown(
            r["title"], title=r["title"], source=r["source"], url=r["url"], date=r["date"]
        )
        for i, r in enumerate(rows)
    }
    return bench_grouping(
        "uci_week",
        "stories",
        files,
        [r["story"] for r in rows],
        [r["title"] for r in rows],
        range(len(rows)),
        [AVERAGE_LINK] if baselines else [],
    )


def bench_wikiref(rows: Sequence[Row], baselines: bool = True) -> SetResult:
    files = {file_name(i, ".txt"): r["text"].strip() + "\n" for i, r in enumerate(rows)}
    return bench_grouping(
        "wikiref220",
        "topics",
        files,
        [r["topic_key"] for r in rows],
        [r["text"] for r in rows],
        range(len(rows)),
        [AVERAGE_LINK] if baselines else [],
        topics=True,
    )


def bench_bbc(rows: Sequence[Row], baselines: bool = True) -> SetResult:
    files = {file_name(i): markdown(r["text"], title=r["title"]) for i, r in enumerate(rows)}
    return bench_grouping(
        "bbc_news",
        "topics",
        files,
        [r["category"] for r in rows],
        [f"{r['title']}\n{r['text']}" for r in rows],
        range(len(rows)),
        [KMEANS, AVERAGE_LINK] if baselines else [],
        topics=True,
    )


def bench_summaries(rows: Sequence[Row], baselines: bool = True) -> SetResult:
    """multinews_dev, each cluster pinned as one story -> ROUGE of the story summaries."""
    names: list[str] = []
    cluster_of: dict[str, str] = {}
    files: dict[str, str] = {}
    for r in rows:
        for a in r["articles"]:
            name = file_name(len(files))
            files[name] = markdown(a["text"], story=r["id"])
            cluster_of[name] = r["id"]
            names.append(name)
    out = run_pipeline(
        files, summary_min_words=SUMMARY_BUILD_WORDS, summary_max_words=SUMMARY_BUILD_WORDS
    )
    path_of = {a["id"]: a["path"] for a in out.digest["articles"]}
    summary_of: dict[str, str] = {}
    for story in out.digest["stories"]:
        votes = Counter(cluster_of[path_of[a]] for a in story["articles"])
        cluster = min(votes, key=lambda c: (-votes[c], c))
        text = " ".join(s["text"] for s in story["summary"])
        summary_of.setdefault(cluster, text)
    scorer = RougeScorer()
    references = [r["summary"] for r in rows]

    def rouge(system: Sequence[str]) -> dict[str, float]:
        figures = {"words": mean(len(s.split()) for s in system)}
        for budget in SUMMARY_BUDGETS:
            pairs = zip(references, (cut_words(s, budget) for s in system), strict=True)
            for metric, value in scorer.mean(pairs).items():
                figures[f"{metric}@{budget}"] = value
        return figures

    result = SetResult(
        "multinews_summaries",
        "summaries",
        len(files),
        out.seconds,
        rouge([summary_of.get(r["id"], "") for r in rows]),
        notes=dropped_note(out),
    )
    result.notes.append(f"{len(rows)} clusters, {len(files)} articles")
    if len(out.digest["stories"]) != len(rows):
        result.notes.append(f"{len(out.digest['stories'])} stories for {len(rows)} clusters")
    if baselines:
        budget = max(SUMMARY_BUDGETS)
        sentences = [[s for a in r["articles"] for s in sentences_of(a["text"])] for r in rows]
        result.baselines[LEAD] = rouge([r["articles"][0]["text"] for r in rows])
        shuffled = []
        for r, sents in zip(rows, sentences, strict=True):
            order = list(sents)
            random.Random(r["id"]).shuffle(order)
            shuffled.append(" ".join(order))
        result.baselines[RANDOM] = rouge(shuffled)
        result.baselines[CENTROID] = rouge([" ".join(centroid_mmr(s, budget)) for s in sentences])
    return result


def article_bodies(site: Path, digest: dict[str, Any]) -> dict[str, str]:
    """A built site -> content path -> the text of its article page's body section
    (`<div class="body">` of templates/article.html), one line per block."""
    import lxml.html

    bodies: dict[str, str] = {}
    for a in digest["articles"]:
        page = lxml.html.fromstring((site / "articles" / f"{a['id']}.html").read_bytes())
        sections = [
            div
            for div in page.iter("div")
            if div.get("class") == "body" and any(up.tag == "article" for up in div.iterancestors())
        ]
        parts = [
            " ".join("".join(str(t) for t in child.itertext()).split())
            for body in sections
            for child in body
        ]
        bodies[a["path"]] = "\n".join(p for p in parts if p)
    return bodies


def full_article_text() -> dict[str, str]:
    """The override that makes article pages show the whole text (`article_text =
    "full"`), for builds that have that setting; today's pages always do."""
    from digest.config import Config

    names = {f.name for f in dataclasses.fields(Config)}
    return {"article_text": "full"} if "article_text" in names else {}


def bench_html_pages(rows: Sequence[Row], baselines: bool = True) -> SetResult:
    """html_pages_dev -> shingle P/R/F1 of the article bodies the build shows on its
    article pages, each saved page written as it was fetched (`NNN.html`)."""
    names = [f"{i:03d}.html" for i in range(len(rows))]
    files = {n: r["html"] for n, r in zip(names, rows, strict=True)}
    out = run_pipeline(files, article_bodies, **full_article_text())
    golds = [r["article_body"] for r in rows]
    figures = shingle_scores(zip(golds, (out.pages.get(n, "") for n in names), strict=True))
    result = SetResult(
        "html_pages", "bodies", len(rows), out.seconds, figures, notes=dropped_note(out)
    )
    if baselines:
        import trafilatura

        started = time.perf_counter()
        extracted = [trafilatura.extract(r["html"]) or "" for r in rows]
        ms = 1000 * (time.perf_counter() - started) / max(1, len(rows))
        result.baselines[TRAFILATURA] = shingle_scores(zip(golds, extracted, strict=True))
        result.digest["f1_minus_trafilatura"] = figures["f1"] - result.baselines[TRAFILATURA]["f1"]
        result.notes.append(f"trafilatura.extract: {ms:.1f} ms per page")
        # the options digest's loader uses, on the whole text trafilatura returns
        tuned = [
            trafilatura.extract(r["html"], favor_precision=True, include_comments=False) or ""
            for r in rows
        ]
        result.baselines[TRAFILATURA_TUNED] = shingle_scores(zip(golds, tuned, strict=True))
        if len(rows) == HTML_PAGES_COUNT:  # the figures hold for the whole set only
            result.baselines[DIGEST_BEFORE] = dict(HTML_PAGES_BEFORE)
    result.notes.append(
        "README's reference on all 181 pages: trafilatura 2.0 0.958, newspaper4k 0.949, "
        "readability-lxml 0.922"
    )
    return result


def mean(values: Iterable[float]) -> float:
    items = list(values)
    return math.fsum(items) / len(items) if items else 0.0


# ---------------------------------------------------------------------- registry


@dataclass(frozen=True)
class BenchSet:
    name: str
    task: str
    file: str | tuple[str, ...]  # several files: each row tagged "_file"
    run: Callable[[Sequence[Row], bool], SetResult]
    select: Callable[[Sequence[Row], int | None], list[Row]]


def _first(rows: Sequence[Row], limit: int | None) -> list[Row]:
    return list(rows[:limit] if limit is not None else rows)


# benchmarks.growing builds on this module: imported when its set runs
def _growing_select(rows: Sequence[Row], limit: int | None) -> list[Row]:
    from benchmarks.growing import select_growing

    return select_growing(rows, limit)


def _growing_run(rows: Sequence[Row], baselines: bool) -> SetResult:
    from benchmarks.growing import bench_growing

    return bench_growing(rows, baselines)


SETS: dict[str, BenchSet] = {
    s.name: s
    for s in (
        BenchSet("kp_dev", "keywords", "kp_dev.jsonl", bench_keywords, sample),
        BenchSet(
            "kp_multilingual",
            "keywords",
            "kp_multilingual_dev.jsonl",
            bench_kp_multilingual,
            sample,
        ),
        BenchSet(
            "multinews_dev", "stories", "multinews_dev.jsonl", bench_multinews_stories, _first
        ),
        BenchSet(
            "multinews_dated", "stories", "multinews_dev.jsonl", bench_multinews_dated, _first
        ),
        BenchSet(
            "uci_week",
            "stories",
            "uci_week_2014-05-09.jsonl",
            bench_uci_week,
            lambda rows, limit: whole_groups(rows, "story", limit),
        ),
        BenchSet("wikiref220", "topics", "wikiref220.jsonl", bench_wikiref, sample),
        BenchSet(
            "bbc_news",
            "topics",
            "bbc_news.jsonl",
            bench_bbc,
            lambda rows, limit: sample(unique_bodies(rows), limit),
        ),
        BenchSet(
            "multinews_summaries",
            "summaries",
            "multinews_dev.jsonl",
            bench_summaries,
            _first,
        ),
        BenchSet("html_pages", "bodies", "html_pages_dev.jsonl", bench_html_pages, sample),
        BenchSet(
            "bbc_uci_growing",
            "growing",
            ("bbc_news.jsonl", "uci_week_2014-05-09.jsonl"),
            _growing_run,
            _growing_select,
        ),
    )
}


def resolve_sets(spec: Sequence[str] | None) -> list[str]:
    """Set or task names (comma-separated or repeated) -> set names in table order."""
    if not spec:
        return list(SETS)
    wanted: set[str] = set()
    for item in (x.strip() for part in spec for x in part.split(",")):
        if not item:
            continue
        matches = [s.name for s in SETS.values() if item in (s.name, s.task)]
        if not matches:
            known = ", ".join([*SETS, *dict.fromkeys(s.task for s in SETS.values())])
            raise SystemExit(f"unknown set {item!r}; choose from {known}")
        wanted.update(matches)
    return [name for name in SETS if name in wanted]


def run_set(
    name: str, eval_dir: Path = EVAL_DIR, limit: int | None = None, baselines: bool = True
) -> SetResult:
    """One set by name -> its figures (pipeline, and baselines unless turned off)."""
    bench = SETS[name]
    if isinstance(bench.file, str):
        rows = load_jsonl(eval_dir, bench.file)
    else:
        rows = [{**r, "_file": f} for f in bench.file for r in load_jsonl(eval_dir, f)]
    rows = bench.select(rows, limit)
    return bench.run(rows, baselines)


# ---------------------------------------------------------------------- the table

METRIC_LABELS = {
    "f1@10": "F1@10",
    "f1@10_fr": "French: F1@10 (Snowball stems)",
    "f1@10_pt": "Portuguese: F1@10 (Snowball stems)",
    "f1@10_fr_over_yake": "French: F1@10 minus YAKE n=3 told the language",
    "f1@10_pt_over_yake": "Portuguese: F1@10 minus YAKE n=3 told the language",
    "stop_words": "keywords that are stop-words (YAKE's list of the language), top 10",
    "mixed_stories": "stories mixing languages",
    "b3_p": "B3 precision",
    "b3_r": "B3 recall",
    "b3_f1": "B3 F1",
    "nmi": "NMI",
    "groups": "groups found",
    "threshold": "threshold",
    "words": "words before the cut",
    "b3_f1_minus_undated": "B3 F1 minus the undated build's",
    "stories": "stories (build 1)",
    "topics": "topics (build 1)",
    "mixed_sections": "stories mixing BBC sections (worst build)",
    "front_page_most_covered": "front page opens with most-covered story (share of builds)",
    "uci_b3_p": "UCI headlines: B3 precision",
    "uci_b3_r": "UCI headlines: B3 recall",
    "uci_b3_f1": "UCI headlines: B3 F1",
    "uci_nmi": "UCI headlines: NMI",
    "precision": "shingle precision",
    "recall": "shingle recall",
    "f1": "shingle F1",
    "f1_minus_trafilatura": "shingle F1 minus trafilatura's",
}
for _corpus in ("bbc", "uci"):
    METRIC_LABELS |= {
        f"topics+{_corpus}": f"+1 {_corpus.upper()}: topics",
        f"topics_kept+{_corpus}": f"+1 {_corpus.upper()}: stories keeping their topic",
        f"topic_pairs_kept+{_corpus}": f"+1 {_corpus.upper()}: topic-mate pairs kept together",
        f"stories_whole+{_corpus}": f"+1 {_corpus.upper()}: stories kept whole",
        f"files_changed+{_corpus}": f"+1 {_corpus.upper()}: share of files changed",
    }


def _number(value: float | None, digits: int = 3) -> str:
    if value is None:
        return ""
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _target(target: tuple[str, float] | None, value: float | None) -> str:
    if target is None:
        return ""
    op, bound = target
    mark = "" if value is None else (" ok" if meets(value, target) else " MISSED")
    return f"{'≥' if op == '>=' else '≤'} {bound:g}{mark}"


def format_table(results: Sequence[SetResult]) -> str:
    """Results -> one plain-text table: each figure beside baselines, references and
    the issue's target (marked ok or MISSED)."""
    header = ("set / metric", "digest", "baseline", "value", "reference", "target")
    lines: list[tuple[str, ...]] = [header]
    for res in results:
        lines.append((f"{res.name} ({res.task}, {res.articles} articles)", "", "", "", "", ""))
        refs = REFERENCES.get(res.name, {})
        targets = TARGETS.get(res.name, {})
        metrics = list(res.digest)
        for values in res.baselines.values():
            metrics.extend(m for m in values if m not in metrics)
        for metric in metrics:
            label = "  " + METRIC_LABELS.get(metric, metric)
            rows = [(b, v[metric]) for b, v in res.baselines.items() if metric in v]
            digits = 1 if metric == "words" else 3
            mine = _number(res.digest.get(metric), digits)
            target = _target(targets.get(metric), res.digest.get(metric))
            if not rows:
                lines.append((label, mine, "", "", _number(refs.get(("digest", metric))), target))
            for k, (baseline, value) in enumerate(rows):
                lines.append(
                    (
                        label if k == 0 else "",
                        mine if k == 0 else "",
                        baseline,
                        _number(value, digits),
                        _number(refs.get((baseline, metric))),
                        target if k == 0 else "",
                    )
                )
        lines.append(("  ms per article", f"{res.ms_per_article:.1f}", "", "", "", ""))
        lines.extend(("  note: " + note, "", "", "", "", "") for note in res.notes)
    widths = [
        max(len(row[i]) for row in lines if not row[0].startswith("  note")) for i in range(6)
    ]
    out = []
    for row in lines:
        if row[0].startswith("  note") or not any(row[1:]):
            out.append(row[0])
            continue
        cells = [row[0].ljust(widths[0]), row[1].rjust(widths[1]), row[2].ljust(widths[2])]
        cells += [row[3].rjust(widths[3]), row[4].rjust(widths[4]), row[5].ljust(widths[5])]
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.quality", description=__doc__.split("\n", 1)[0]
    )
    parser.add_argument(
        "--sets",
        action="append",
        help=f"sets or tasks, comma-separated (default: all): {', '.join(SETS)}; "
        "keywords, stories, topics, summaries, bodies",
    )
    parser.add_argument(
        "--limit", type=int, help="at most N items per set (deterministic subsample)"
    )
    parser.add_argument("--json", type=Path, help="write the results to this JSON file")
    parser.add_argument(
        "--eval-dir", type=Path, default=EVAL_DIR, help=f"eval data folder (default: {EVAL_DIR})"
    )
    parser.add_argument("--no-baselines", action="store_true", help="skip the baselines")
    args = parser.parse_args(argv)
    if not args.eval_dir.is_dir():
        parser.error(f"eval data folder not found: {args.eval_dir}")
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    results = []
    for name in resolve_sets(args.sets):
        started = time.perf_counter()
        results.append(run_set(name, args.eval_dir, args.limit, not args.no_baselines))
        print(f"{name}: done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    print(format_table(results))
    if args.json:
        args.json.write_text(
            json.dumps([r.as_json() for r in results], indent=1) + "\n", encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
