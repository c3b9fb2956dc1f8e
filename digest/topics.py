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
            counts.update(dict(articles[article_id].terms))
    return counts


def _infer_groups(
    stories: Sequence[Story], articles: dict[str, Article], config: Config
) -> list[list[Story]]:
    if not stories:
        return []
    if len(stories) == 1:
        return [list(stories)]
    # heavy imports (numpy, scikit-learn): only a build with topics to infer needs them;
    # loaded before the thread limit is set, which applies to libraries already loaded
    import sklearn.cluster
    import sklearn.decomposition
    import sklearn.metrics  # noqa: F401
    from threadpoolctl import threadpool_limits

    # One thread: these matrices are small, so OpenMP's start-up costs more than
    # it saves (k-means 6x faster here), and results can't depend on core count.
    with threadpool_limits(1):
        return _grouped(stories, articles, config)


def _grouped(
    stories: Sequence[Story], articles: dict[str, Article], config: Config
) -> list[list[Story]]:
    import numpy as np
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.preprocessing import normalize

    docs = [_story_terms(s, articles) for s in stories]
    matrix = DictVectorizer(sort=True).fit_transform(docs)
    tfidf = normalize(TfidfTransformer(sublinear_tf=True).fit_transform(matrix))
    linked = _at_most(_average_link_labels(tfidf, config.topic_threshold), config.max_topics)
    candidates = [linked]
    if len(stories) >= MIN_STORIES_FOR_KMEANS:
        from sklearn.decomposition import TruncatedSVD

        dims = max(2, min(LSA_DIMENSIONS, tfidf.shape[0] - 1, tfidf.shape[1] - 1))
        space = normalize(TruncatedSVD(dims, random_state=0).fit_transform(tfidf))
        candidates.append(_stable_kmeans(space, config.max_topics))
    else:
        space = tfidf
    labels = max(candidates, key=lambda lab: _silhouette(space, lab))
    grouped: dict[int, list[Story]] = defaultdict(list)
    for story, label in zip(stories, np.asarray(labels).tolist(), strict=True):
        grouped[int(label)].append(story)
    return [grouped[k] for k in sorted(grouped, key=lambda k: min(s.id for s in grouped[k]))]


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
    edges: dict[tuple[int, int], float] = {}
    keep = min(NEIGHBOURS, n - 1)
    for start in range(0, n, NEIGHBOUR_BLOCK):
        block = (tfidf[start : start + NEIGHBOUR_BLOCK] @ tfidf.T).toarray()
        for row in range(block.shape[0]):
            block[row, start + row] = 0.0  # not its own neighbour
        if keep < 1:
            break
        best = np.argpartition(-block, keep - 1, axis=1)[:, :keep]
        for row, columns in enumerate(best):
            i = start + row
            for j in columns.tolist():
                sim = float(block[row, j])
                if sim > 0:
                    edges[(i, j) if i < j else (j, i)] = sim
    clusters = average_link(list(range(n)), dict(sorted(edges.items())), threshold)
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
    from sklearn.metrics import adjusted_rand_score

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
                    adjusted_rand_score(runs[a], runs[b])
                    for a in range(len(runs))
                    for b in range(a + 1, len(runs))
                ]
            )
        )
    most = max(stabilities.values())
    best_k = min(k for k, s in stabilities.items() if s >= STABILITY_TOLERANCE * most)
    model = KMeans(best_k, n_init=4, random_state=0).fit(full)
    return [int(x) for x in model.labels_]


def _silhouette(space: Any, labels: list[int]) -> float:
    from sklearn.metrics import silhouette_score

    distinct = len(set(labels))
    if distinct < 2 or distinct >= len(labels):
        return -1.0
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
