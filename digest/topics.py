"""Stories -> a handful of topics (sections) with readable labels.

A `section` or `category` in front matter wins. The other stories are grouped
by their words: two candidate groupings are made — k-means over a latent
semantic (LSA) space, with the number of topics chosen as the one whose
clusters are most stable when the stories are resampled, and average-link
clustering at `topic_threshold` — and the one whose topics are better
separated (higher mean silhouette) is kept. Broad news sections (business,
sport, …) come out best from the first, sets of tight subjects with strays
from the second; neither needs to be told how many topics there are.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from digest.cluster import average_link
from digest.config import Config
from digest.models import Article, Story, Topic
from digest.slugs import unique_slugs

# Below this many stories, topics come from average-link alone.
MIN_STORIES_FOR_KMEANS = 12
# Resampled k-means runs per candidate number of topics, and the share kept.
STABILITY_RUNS = 10
STABILITY_SAMPLE = 0.7
# Stability is judged on at most this many stories (a fixed sample), so the
# choice costs the same for a digest of any size.
STABILITY_MAX_STORIES = 3000
# A number of topics this close to the most stable one counts as stable: the
# fewest such is chosen (a handful of broad sections beats many narrow ones).
STABILITY_TOLERANCE = 0.9
LSA_DIMENSIONS = 100


def assign_topics(
    stories: Sequence[Story], articles: dict[str, Article], config: Config
) -> list[Topic]:
    """Stories (in display order) -> topics, largest first; every story in one."""
    by_section: dict[str, list[Story]] = defaultdict(list)
    free: list[Story] = []
    for story in stories:
        sections = Counter(section for a in story.articles if (section := articles[a].meta.section))
        if sections:
            section = min(sections.items(), key=lambda kv: (-kv[1], kv[0]))[0]
            by_section[section].append(story)
        else:
            free.append(story)
    groups: list[tuple[str | None, list[Story]]] = [
        (label, members) for label, members in sorted(by_section.items())
    ]
    for members in _infer_groups(free, articles, config):
        groups.append((None, members))
    labels = _labels(groups, articles)
    slugs = unique_slugs(labels)
    topics = [
        Topic(id=slugs[label], label=label, stories=tuple(s.id for s in members))
        for label, (_, members) in zip(labels, groups, strict=True)
    ]
    return sorted(topics, key=lambda t: (-len(t.stories), t.label, t.id))


def _story_terms(story: Story, articles: dict[str, Article]) -> Counter[str]:
    counts: Counter[str] = Counter()
    repeats = dict(story.duplicates)
    for article_id in story.articles:
        if article_id not in repeats:
            counts.update(articles[article_id].counts())
    return counts


def _infer_groups(
    stories: Sequence[Story], articles: dict[str, Article], config: Config
) -> list[list[Story]]:
    if not stories:
        return []
    if len(stories) == 1:
        return [list(stories)]
    tfidf = _tfidf(_count_matrix([_story_terms(s, articles) for s in stories]))
    labels = _at_most(_average_link_labels(tfidf, config.topic_threshold), config.max_topics)
    if len(stories) >= MIN_STORIES_FOR_KMEANS:
        labels = _better_separated(tfidf, labels, config)
    grouped: dict[int, list[Story]] = defaultdict(list)
    for story, label in zip(stories, labels, strict=True):
        grouped[label].append(story)
    return [grouped[k] for k in sorted(grouped, key=lambda k: min(s.id for s in grouped[k]))]


def _better_separated(tfidf: Any, linked: list[int], config: Config) -> list[int]:
    """The linked topics, or k-means topics in the LSA space if those are better
    separated (higher mean silhouette there)."""
    # heavy imports (scikit-learn, ~1 s): only a build with enough topics to infer
    # needs them; loaded before the thread limit is set, which applies to
    # libraries already loaded
    import sklearn.cluster
    import sklearn.decomposition
    import sklearn.metrics
    import sklearn.preprocessing  # noqa: F401
    from threadpoolctl import threadpool_limits

    # One thread: these matrices are small, so OpenMP's start-up costs more than
    # it saves (k-means 6x faster here), and results can't depend on core count.
    with threadpool_limits(1):
        from sklearn.decomposition import TruncatedSVD
        from sklearn.preprocessing import normalize

        dims = max(2, min(LSA_DIMENSIONS, tfidf.shape[0] - 1, tfidf.shape[1] - 1))
        space = normalize(TruncatedSVD(dims, random_state=0).fit_transform(tfidf))
        candidates = [linked, _stable_kmeans(space, config.max_topics)]
        return max(candidates, key=lambda lab: _silhouette(space, lab))


def _tfidf(counts: Any) -> Any:
    """Count matrix -> rows of unit length, exactly (same floats) as scikit-learn's
    normalize(TfidfTransformer(sublinear_tf=True).fit_transform(counts)) makes them:
    the same NumPy operations in the same order, and its row normalisation (a
    sum of squares in stored order, its square root, a division) done the same
    way. Doing it here spares a build with few stories importing scikit-learn."""
    import numpy as np

    n, width = counts.shape
    # fit: smoothed idf
    df = np.bincount(counts.indices, minlength=width).astype(np.float64, copy=False)
    df += 1.0
    idf = np.full_like(df, fill_value=n + 1, dtype=np.float64)
    idf /= df
    np.log(idf, out=idf)
    idf += 1.0
    # transform: sublinear tf, idf, then rows to unit length (twice, as normalize()
    # runs on the transformer's already normalised output)
    tfidf = counts.copy()
    np.log(tfidf.data, tfidf.data)
    tfidf.data += 1.0
    tfidf.data *= idf[tfidf.indices]
    _unit_rows(tfidf)
    _unit_rows(tfidf)
    return tfidf


def _unit_rows(matrix: Any) -> None:
    """Scale each non-empty row of a CSR matrix to unit length, in place, as
    sklearn.utils.sparsefuncs_fast.inplace_csr_row_normalize_l2 does: squares
    summed one by one in stored order (one vectorised step per position in a
    row), then divided by the square root of that sum."""
    import numpy as np

    lengths = np.diff(matrix.indptr)
    starts = matrix.indptr[:-1].astype(np.int64)
    squares = matrix.data * matrix.data
    by_length = np.argsort(-lengths, kind="stable")  # longest rows first
    longer = np.searchsorted(-lengths[by_length], -np.arange(lengths.max(initial=0)), "left")
    sums = np.zeros(len(lengths))
    for position, rows in enumerate(longer.tolist()):
        active = by_length[:rows]  # the rows with more than `position` entries
        sums[active] += squares[starts[active] + position]
    norms = np.sqrt(sums)
    scale = np.repeat(norms, lengths)
    nonzero = scale != 0.0
    matrix.data[nonzero] /= scale[nonzero]


def _count_matrix(docs: list[Counter[str]]) -> Any:
    """Term counts -> a CSR matrix of them, one row per document and one column per
    term in sorted order: what DictVectorizer(sort=True) makes (same entries, same
    order), built without its per-value Python work."""
    import numpy as np
    from scipy import sparse

    column = {term: k for k, term in enumerate(sorted({t for doc in docs for t in doc}))}
    indptr = [0]
    indices: list[int] = []
    values: list[int] = []
    for doc in docs:
        terms = sorted(doc)
        indices.extend(map(column.__getitem__, terms))
        values.extend(map(doc.__getitem__, terms))
        indptr.append(len(indices))
    return sparse.csr_matrix(
        (
            np.array(values, dtype=np.float64),
            np.array(indices, dtype=np.int32),
            np.array(indptr, dtype=np.int32),
        ),
        shape=(len(docs), len(column)),
    )


def _at_most(labels: list[int], max_topics: int) -> list[int]:
    """Keep the largest max_topics - 1 groups (of two or more stories) and gather
    the rest into one: linking leaves many strays, and a digest wants a handful
    of sections, not dozens."""
    sizes = Counter(labels)
    ranked = sorted(sizes, key=lambda label: (-sizes[label], label))
    kept = {label for label in ranked[: max_topics - 1] if sizes[label] >= 2}
    rest = max(labels, default=0) + 1
    return [label if label in kept else rest for label in labels]


def _average_link_labels(tfidf: Any, threshold: float) -> list[int]:
    """Average-link topics over each story's NEIGHBOURS most similar stories (the
    other pairs count as 0), so the work grows linearly with the digest."""
    import numpy as np

    n = tfidf.shape[0]
    keep = min(NEIGHBOURS, n - 1)
    # (i, j, similarity) of each story and its neighbours, block by block in row
    # order; a pair met twice keeps the similarity met last
    pairs: list[tuple[Any, Any, Any]] = []
    for start in range(0, n, NEIGHBOUR_BLOCK):
        block = (tfidf[start : start + NEIGHBOUR_BLOCK] @ tfidf.T).toarray()
        rows = np.arange(block.shape[0])
        block[rows, start + rows] = 0.0  # not its own neighbour
        if keep < 1:
            break
        best = np.argpartition(-block, keep - 1, axis=1)[:, :keep]
        sims = np.take_along_axis(block, best, axis=1)
        found = sims > 0
        story = np.broadcast_to((start + rows)[:, None], best.shape)
        pairs.append((np.minimum(story, best)[found], np.maximum(story, best)[found], sims[found]))
    edges: dict[tuple[int, int], float] = {}
    if pairs:
        left, right, sim = (np.concatenate(column)[::-1] for column in zip(*pairs, strict=True))
        # np.unique sorts the pairs and, on the reversed list, finds each one's last value
        _, last = np.unique(left.astype(np.int64) * n + right, return_index=True)
        edges = dict(
            zip(
                zip(left[last].tolist(), right[last].tolist(), strict=True),
                sim[last].tolist(),
                strict=True,
            )
        )
    clusters = average_link(list(range(n)), ((i, j, s) for (i, j), s in edges.items()), threshold)
    labels = [0] * n
    for number, members in enumerate(clusters):
        for i in members:
            labels[i] = number
    return labels


# Most similar stories each story is linked to when topics are formed by
# linking, and how many stories' similarities are computed at once.
NEIGHBOURS = 50
NEIGHBOUR_BLOCK = 512


def _stable_kmeans(space: Any, max_topics: int) -> list[int]:
    """K-means labels for the fewest topics (2..max) about as stable under resampling
    as the most stable number: within STABILITY_TOLERANCE of it."""
    import numpy as np
    from sklearn.cluster import KMeans

    rng = np.random.RandomState(0)
    full = space
    if space.shape[0] > STABILITY_MAX_STORIES:
        space = space[np.sort(rng.choice(space.shape[0], STABILITY_MAX_STORIES, replace=False))]
    n = space.shape[0]
    stabilities: dict[int, float] = {}
    for k in range(2, max(2, min(max_topics, n // 3)) + 1):
        runs = []
        for seed in range(STABILITY_RUNS):
            sample = rng.rand(n) < STABILITY_SAMPLE
            if sample.sum() <= k:
                sample[:] = True
            model = KMeans(k, n_init=1, random_state=seed).fit(space[sample])
            runs.append(model.predict(space))
        stabilities[k] = float(
            np.mean(
                [
                    _adjusted_rand(runs[a], runs[b])
                    for a in range(len(runs))
                    for b in range(a + 1, len(runs))
                ]
            )
        )
    most = max(stabilities.values())
    best_k = min(k for k, s in stabilities.items() if s >= STABILITY_TOLERANCE * most)
    model = KMeans(best_k, n_init=4, random_state=0).fit(full)
    return [int(x) for x in model.labels_]


def _adjusted_rand(labels_true: Any, labels_pred: Any) -> float:
    """sklearn's adjusted_rand_score, by the same exact pair counts (integers) and
    the same final expression, so the same float; without its input checks and
    sparse contingency table, which cost far more than the sum itself."""
    import numpy as np

    rows, x = np.unique(labels_true, return_inverse=True)
    columns, y = np.unique(labels_pred, return_inverse=True)
    shape = (len(rows), len(columns))
    table = np.bincount(x * shape[1] + y, minlength=shape[0] * shape[1]).reshape(shape)
    table = table.astype(np.int64)
    n = len(x)
    n_c = table.sum(axis=1)
    n_k = table.sum(axis=0)
    sum_squares = int((table**2).sum())
    tp = sum_squares - n
    fp = int((table @ n_k).sum()) - sum_squares
    fn = int((table.T @ n_c).sum()) - sum_squares
    tn = n * n - fp - fn - sum_squares
    if fn == 0 and fp == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


# Memory (MB) scikit-learn may use for one block of pairwise distances in the
# silhouette: its default, 1 GB, set the whole build's peak on a large digest.
# Blocks are whole rows, so the score is the same at any size.
SILHOUETTE_WORKING_MB = 64


def _silhouette(space: Any, labels: list[int]) -> float:
    import sklearn
    from sklearn.metrics import silhouette_score

    distinct = len(set(labels))
    if distinct < 2 or distinct >= len(labels):
        return -1.0
    with sklearn.config_context(working_memory=SILHOUETTE_WORKING_MB):
        return float(silhouette_score(space, labels, metric="cosine"))


def _labels(
    groups: list[tuple[str | None, list[Story]]], articles: dict[str, Article]
) -> list[str]:
    """Readable topic labels: the section name, or the two keywords most
    distinctive of the topic's stories (frequent in it, rare in the others)."""
    in_topics: Counter[str] = Counter()
    per_topic: list[dict[str, float]] = []
    names: dict[str, Counter[str]] = defaultdict(Counter)
    for _, members in groups:
        weights: dict[str, float] = defaultdict(float)
        for story in members:
            for kw in story.keywords:
                weights[kw.key] += kw.score
                names[kw.key][kw.label] += 1
        per_topic.append(weights)
        in_topics.update(weights.keys())
    labels: list[str] = []
    used: set[str] = set()
    for (section, _), weights in zip(groups, per_topic, strict=True):
        if section:
            label = section
        else:
            ranked = sorted(
                weights,
                key=lambda k: (-weights[k] * math.log(1 + len(groups) / in_topics[k]), k),
            )
            words = [min(names[k].items(), key=lambda kv: (-kv[1], kv[0]))[0] for k in ranked]
            label = " · ".join(words[:2]) or "Other stories"
            extra = 2
            while label in used and extra < len(words):
                extra += 1
                label = " · ".join(words[:extra])
        while label in used:
            label += " (more)"
        used.add(label)
        labels.append(label)
    return labels
