"""Stories -> topics (sections) with readable labels, stable as a digest grows.

Where a story goes, first match wins:

1. a `section` or `category` in its articles' front matter (the most common one);
2. the editor's section it matches best (`[[sections]]` in digest.toml, see
   `digest.sections`), if it matches well enough;
3. an inferred topic: stories are linked by average-link clustering of their
   TF-IDF vectors at `topic_threshold` (each story compared with its nearest
   stories), then these fine topics are linked into broader ones by average
   link continued over the groups, exactly, while two groups are more alike
   than BROAD_SHARE times the digest's background (the mean similarity of two
   of its stories), so broad sections such as sport or business come out; each
   group of `topic_min_stories` or more becomes a topic; the rest are listed
   under "Other stories".

Every decision depends on a story and the stories like it, never on a discrete
global choice (such as "the number of topics most stable under resampling");
the background is a mean over every pair, which one added article moves by
about 1/n. So adding an article moves few stories. An inferred topic's id (its
page and feed URL) is the id of the oldest of the most central stories of its
core (its largest fine topic), so it survives stories joining or leaving at its
edge and its label changing. Labels come from `digest.topic_labels`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from digest import i18n
from digest.cluster import average_link
from digest.config import Config
from digest.models import Article, Story, Topic
from digest.sections import match_sections
from digest.slugs import unique_names
from digest.topic_labels import label_groups

# the label is in the site's language; the page's name stays "other-stories"
OTHER_LABEL = i18n._("Other stories")


def assign_topics(
    stories: Sequence[Story], articles: dict[str, Article], config: Config
) -> list[Topic]:
    """Stories (in display order) -> topics in the order of their first stories;
    every story in exactly one."""
    if not stories:
        return []
    counts = [_story_terms(s, articles) for s in stories]
    matrix, columns = _count_matrix(counts)
    tfidf = _tfidf(matrix)
    named: dict[str, list[int]] = defaultdict(list)  # section name -> story positions
    # a front-matter section spelt like an editor's section ("sport", "Sport") is it
    spelling = {s.name.casefold(): s.name for s in config.sections}
    free: list[int] = []
    for i, story in enumerate(stories):
        given = Counter(
            spelling.get(name.casefold(), name)
            for a in story.articles
            if (name := articles[a].meta.section)
        )
        if given:
            named[min(given.items(), key=lambda kv: (-kv[1], kv[0]))[0]].append(i)
        else:
            free.append(i)
    if config.sections and free:
        vectors = [_row(tfidf, i, columns) for i in free]
        chosen = match_sections([stories[i] for i in free], vectors, articles, config)
        for i, match in zip(free, chosen, strict=True):
            if match is not None:
                named[match.name].append(i)
        free = [i for i, match in zip(free, chosen, strict=True) if match is None]
    inferred, cores, rest = _infer_groups(free, stories, tfidf, config)
    groups = [[stories[i] for i in named[name]] for name in sorted(named)]
    found = [[stories[i] for i in members] for members in inferred]
    labels = sorted(named) + label_groups(found, config.language)
    keys = [f"section:{name}" for name in sorted(named)]
    keys += [f"topic:{stories[_anchor(m, tfidf, stories, articles)].id}" for m in cores]
    texts = {key: key.split(":", 1)[1] for key in keys}
    groups += found
    if rest:
        groups.append([stories[i] for i in rest])
        labels.append(i18n.translations(config.language).gettext(OTHER_LABEL))
        keys.append("other")
        texts["other"] = OTHER_LABEL
    ids = unique_names(texts)
    topics = [
        Topic(id=ids[key], label=label, stories=tuple(s.id for s in members))
        for key, label, members in zip(keys, labels, groups, strict=True)
    ]
    # in the order of their first stories (the stories come most-covered first), so
    # the front page, which lists topics in this order, opens with the top story
    rank = {story.id: n for n, story in enumerate(stories)}
    return sorted(topics, key=lambda t: (min(rank[s] for s in t.stories), t.id))


def _anchor(
    members: list[int], tfidf: Any, stories: Sequence[Story], articles: dict[str, Article]
) -> int:
    """The story whose id names a topic: the oldest of its central stories (those
    within CENTRAL_SHARE of the highest similarity to the topic as a whole). A
    story joining or leaving at the edge of a topic moves neither its centre nor,
    within the centre, which story is oldest; so the topic's URL stays."""
    centre = tfidf[members].sum(axis=0).A1
    scores = (tfidf[members] @ centre).tolist()
    best = max(scores)
    central = [i for i, score in zip(members, scores, strict=True) if score >= CENTRAL_SHARE * best]
    return min(
        central, key=lambda i: (articles[stories[i].articles[0]].meta.date or "9999", stories[i].id)
    )


# Stories this close (as a share) to the most central one count as central.
CENTRAL_SHARE = 0.9


def _story_terms(story: Story, articles: dict[str, Article]) -> Counter[str]:
    counts: Counter[str] = Counter()
    repeats = dict(story.duplicates)
    for article_id in story.articles:
        if article_id not in repeats:
            counts.update(articles[article_id].counts())
    return counts


def _row(tfidf: Any, i: int, columns: list[str]) -> dict[str, float]:
    """Row i of the TF-IDF matrix -> {term: weight}."""
    start, end = tfidf.indptr[i], tfidf.indptr[i + 1]
    return dict(
        zip(
            (columns[j] for j in tfidf.indices[start:end].tolist()),
            tfidf.data[start:end].tolist(),
            strict=True,
        )
    )


def _infer_groups(
    free: list[int],
    stories: Sequence[Story],
    tfidf: Any,
    config: Config,
) -> tuple[list[list[int]], list[list[int]], list[int]]:
    """Positions of stories without a section -> (topics of at least topic_min_stories
    stories, largest max_topics; each topic's core, its largest fine topic; the
    positions left over for "Other stories")."""
    if len(free) < max(2, config.topic_min_stories):
        return [], [], list(free)
    matrix = tfidf[free]
    labels = _average_link_labels(matrix, config.topic_threshold)
    fine: dict[int, list[int]] = defaultdict(list)  # label -> rows of `matrix`
    for row, label in enumerate(labels):
        fine[label].append(row)
    top = config.topic_threshold
    broad = min(top, max(top * BROAD_FLOOR, BROAD_SHARE * _background(matrix)))
    groups = [fine[label] for label in sorted(fine)]
    if broad > 0:
        groups = _broader(matrix, groups, broad)
    big = [[free[row] for row in m] for m in groups if len(m) >= config.topic_min_stories]
    # the largest topics are kept; ties by story id, so the cut is the same for the
    # same stories
    big.sort(key=lambda m: (-len(m), min(stories[i].id for i in m)))
    kept = big[: config.max_topics]
    # a broad topic's core is its largest fine topic (a fine topic is never split):
    # its id is chosen there, since fine topics stay put as the digest grows while
    # a broad topic's edge and centre shift with every fine topic that joins or leaves
    fine_of = {free[row]: label for label, rows in fine.items() for row in rows}
    cores = []
    for members in kept:
        parts: dict[int, list[int]] = defaultdict(list)
        for i in members:
            parts[fine_of[i]].append(i)
        cores.append(min(parts.values(), key=lambda m: (-len(m), min(stories[i].id for i in m))))
    taken = {i for m in kept for i in m}
    return kept, cores, [i for i in free if i not in taken]


def _tfidf(counts: Any) -> Any:
    """Count matrix -> rows of unit length, exactly (same floats) as scikit-learn's
    normalize(TfidfTransformer(sublinear_tf=True).fit_transform(counts)) makes them:
    the same NumPy operations in the same order, and its row normalisation (a
    sum of squares in stored order, its square root, a division) done the same
    way. Topics were first made with scikit-learn; keeping its floats to the last
    bit kept every topic in place when it left the dependencies. A plain row
    normalisation would do as well for a new digest but could move a story that
    sits on the threshold."""
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


def _count_matrix(docs: list[Counter[str]]) -> tuple[Any, list[str]]:
    """Term counts -> (a CSR matrix of them, one row per document and one column per
    term in sorted order, as DictVectorizer(sort=True) makes it, without its
    per-value Python work; the terms of the columns)."""
    import numpy as np
    from scipy import sparse

    names = sorted({t for doc in docs for t in doc})
    column = {term: k for k, term in enumerate(names)}
    indptr = [0]
    indices: list[int] = []
    values: list[int] = []
    for doc in docs:
        terms = sorted(doc)
        indices.extend(map(column.__getitem__, terms))
        values.extend(map(doc.__getitem__, terms))
        indptr.append(len(indices))
    matrix = sparse.csr_matrix(
        (
            np.array(values, dtype=np.float64),
            np.array(indices, dtype=np.int32),
            np.array(indptr, dtype=np.int32),
        ),
        shape=(len(docs), len(column)),
    )
    return matrix, names


def _average_link_labels(tfidf: Any, threshold: float) -> list[int]:
    """Average-link topics over each story's NEIGHBOURS most similar stories (the
    other pairs count as 0), so the work grows linearly with the digest."""
    n = tfidf.shape[0]
    edges = _nearest_pairs(tfidf, None)
    clusters = average_link(list(range(n)), ((i, j, s) for (i, j), s in edges.items()), threshold)
    labels = [0] * n
    for number, members in enumerate(clusters):
        for i in members:
            labels[i] = number
    return labels


def _broader(tfidf: Any, groups: list[list[int]], threshold: float) -> list[list[int]]:
    """Groups of rows -> the same rows in fewer, broader groups: average link
    continued from the groups, each linked to the NEIGHBOURS groups nearest on
    average, the average between two groups computed exactly from their summed
    vectors (rows are unit length, so sum(A) . sum(B) is the sum of the pairs'
    cosines). Repeated while groups merge, at most BROAD_ROUNDS times."""
    import numpy as np
    from scipy import sparse

    for _ in range(BROAD_ROUNDS):
        m = len(groups)
        if m < 2:
            break
        sizes = [len(g) for g in groups]
        owner = np.repeat(np.arange(m), sizes)
        rows = np.concatenate([np.asarray(g, dtype=np.int64) for g in groups])
        pick = sparse.csr_matrix((np.ones(len(rows)), (owner, rows)), shape=(m, tfidf.shape[0]))
        sums = (pick @ tfidf).tocsr()
        edges = _nearest_pairs(sums, np.asarray(sizes, dtype=np.float64))
        merged = average_link(
            list(range(m)),
            ((i, j, s) for (i, j), s in edges.items()),
            threshold,
            dict(enumerate(sizes)),
        )
        if len(merged) == m:
            break
        groups = [sorted(i for g in parts for i in groups[g]) for parts in merged]
    return groups


def _background(tfidf: Any) -> float:
    """Unit-length rows -> the mean cosine over all pairs of distinct rows, exactly
    and without the pairs: |sum of rows|^2 less each row's own square, over n(n-1)."""
    import numpy as np

    n = int(tfidf.shape[0])
    if n < 2:
        return 0.0
    total = np.asarray(tfidf.sum(axis=0)).ravel()
    own = float(tfidf.data @ tfidf.data)
    return max(0.0, (float(total @ total) - own) / (n * (n - 1)))


def _nearest_pairs(matrix: Any, sizes: Any) -> dict[tuple[int, int], float]:
    """Rows -> {(i, j): row i . row j} for each row and its NEIGHBOURS nearest rows
    (by that product, or with `sizes` by it over the other row's size: the average
    similarity between two groups whose rows are summed vectors), i < j, block by
    block in row order; a pair met twice keeps the value met last."""
    import numpy as np

    n = matrix.shape[0]
    keep = min(NEIGHBOURS, n - 1)
    pairs: list[tuple[Any, Any, Any]] = []
    # transposed once, not once a block (the same matrix, so the same products)
    columns = matrix.T.tocsr()
    for start in range(0, n, NEIGHBOUR_BLOCK):
        block = (matrix[start : start + NEIGHBOUR_BLOCK] @ columns).toarray()
        rows = np.arange(block.shape[0])
        block[rows, start + rows] = 0.0  # not its own neighbour
        if keep < 1:
            break
        order = block if sizes is None else block / sizes
        best = np.argpartition(-order, keep - 1, axis=1)[:, :keep]
        sims = np.take_along_axis(block, best, axis=1)
        found = sims > 0
        story = np.broadcast_to((start + rows)[:, None], best.shape)
        pairs.append((np.minimum(story, best)[found], np.maximum(story, best)[found], sims[found]))
    if not pairs:
        return {}
    left, right, sim = (np.concatenate(column)[::-1] for column in zip(*pairs, strict=True))
    # np.unique sorts the pairs and, on the reversed list, finds each one's last value
    _, last = np.unique(left.astype(np.int64) * n + right, return_index=True)
    return dict(
        zip(
            zip(left[last].tolist(), right[last].tolist(), strict=True),
            sim[last].tolist(),
            strict=True,
        )
    )


# Most similar stories each story is linked to when topics are formed by
# linking, and how many stories' similarities are computed at once.
NEIGHBOURS = 50
NEIGHBOUR_BLOCK = 512
# Fine topics are linked into broader ones while their average similarity is at
# least BROAD_SHARE times the digest's background, the mean similarity of two of
# its stories (never more than topic_threshold). Relative, since what is close
# depends on the digest: long BBC articles of one section average 0.04-0.07
# against a background of 0.030, while two unrelated WikiRef topics (the Paris
# attacks and MH370) average 0.068 against 0.055. Chosen on those two sets (see
# README Quality): 1.28-1.39 keeps WikiRef's topics apart, and lower shares
# merge more BBC sections; the growing digest was measured after.
BROAD_SHARE = 1.33
# Never below this share of topic_threshold (0.01 by default): a guard for a
# digest so varied that its background is near 0, where any shared word would
# link topics. Not fitted; the lowest measured, uci_week's 527 stories of
# headlines, gets 0.0107, above it.
BROAD_FLOOR = 0.125
# Rounds of linking broader topics (each repeats the neighbour search over groups).
BROAD_ROUNDS = 4
