"""Groups of articles -> Story records: headline, id, keywords, summary, order, related stories.

Everything a story page or card shows about a story is decided here, the figures
on why its articles are together included (`digest.evidence`), so the renderer
only looks it up.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from itertools import chain
from typing import Any

from digest.cluster import Group, article_vectors
from digest.config import Config
from digest.dates import day_number, moment
from digest.evidence import story_evidence
from digest.models import (
    Article,
    Keyword,
    RelatedStory,
    SharedKeyword,
    Story,
    StoryEvidence,
    Topic,
)
from digest.story_cache import Entry, Members, StoryCache, Weighed, article_hash, fits, weights_hash
from digest.summarize import candidate_sentences, candidate_terms, headline_terms, scored_summary
from digest.terms import count_mentions
from digest.titles import clean_headline, headline_penalty
from digest.urls import site_names
from digest.weights import TermWeights

# What a mere mention of a keyword by one report adds, against up to 1 for
# ranking it first.
MENTION_WEIGHT = 0.5
# Related stories listed on a story page.
RELATED_STORIES = 5
# Stories a keyword may be shared by and still relate them (see related_stories).
MAX_POSTINGS = 100
# Pairs of articles listed under "how similar they are", most similar first.
SIMILAR_PAIRS = 10
# Top stories are those with a report in this many days (× 24 h) up to the digest's
# newest article.
RECENT_DAYS = 7


def make_stories(
    groups: Sequence[Group],
    articles: Sequence[Article],
    config: Config,
    weights: TermWeights,
    store: StoryCache | None = None,
) -> list[Story]:
    """Groups of articles -> stories, most-covered first (then newest, title, id).
    With a story cache, what a story's members decide is taken from it where it can be."""
    hashes: dict[str, str] = {}
    by_id = {a.id: a for a in articles}

    def hash_of(article_id: str) -> str:
        found = hashes.get(article_id)
        if found is None:
            found = hashes[article_id] = article_hash(by_id[article_id])
        return found

    stories = [make_story(g, articles, config, weights, store, hash_of) for g in groups]
    stories.sort(key=lambda s: (-distinct_reports(s), _neg_date(s.date), s.title, s.id))
    return stories


def make_story(
    group: Group,
    articles: Sequence[Article],
    config: Config,
    weights: TermWeights,
    store: StoryCache | None = None,
    hash_of: Callable[[str], str] | None = None,
) -> Story:
    """One group of articles -> a Story with title, keywords and cited summary.

    A pure function of the group's members, its duplicate pairs and cohesion, the
    config and the term weights it looks up (`story_idf`), so a story cache can
    hold it: with `store`, the members' part (`story_cache.Members`) is reused when
    the members are the same, and the summary and figures too when those weights
    are: when the articles of the IDF windows it looks up are the same (`hash_of`
    gives an article's hash by id, computed once for every story)."""
    members = [articles[i] for i in group.members]
    members.sort(key=lambda a: (a.meta.date or "9999", a.id))
    repeats = {articles[i].id: articles[j].id for i, j in group.duplicates}
    reports = [a for a in members if a.id not in repeats]
    dates = [a.meta.date for a in members if a.meta.date]
    key = entry = None
    if store is not None and hash_of is None:  # only a store needs the hashes
        hash_of = {a.id: article_hash(a) for a in articles}.__getitem__
    # A story of one article is summarised with the IDF of its own sentences: the
    # digest's would only enter the check for repeated sentences, yet it moves with
    # every article added, and the story (most stories are one article) would be
    # weighed again on every build instead of taken whole from the story cache.
    weight = weights_hash(())
    if len(members) > 1 and store is not None and hash_of is not None:
        # the articles of the windows it weighs with: its first report's (its IDF)
        # and each member's (their vectors, and which of their terms are distinctive)
        windows = [members[0], *members]
        weight = weights_hash([weights.window_key(a.meta.date, hash_of) for a in windows])
    if store is not None and hash_of is not None:
        key = store.key([hash_of(a.id) for a in members], sorted(repeats.items()))
        entry = _stored_entry(store, key, reports, members, weight)
    if entry is not None:
        part = entry.members
    else:
        keywords = story_keywords(reports, config.keywords_per_article)
        shared = shared_keywords(reports, keywords)
        part = Members(keywords, shared, candidate_terms(reports), None)
    if entry is not None and entry.weighed.idf == weight:
        weighed = entry.weighed
    else:
        looked = story_idf(members, part.terms, weights) if len(members) > 1 else {}
        summary, relevance = scored_summary(
            reports,
            config.summary_min_words,
            config.summary_max_words,
            looked if len(members) > 1 else None,
            terms=part.terms,
            relevance=part.relevance,
        )
        part = replace(part, relevance=relevance)
        weighed = Weighed(weight, summary, why_together(members, config, looked, weights))
    if store is not None and key is not None:
        if entry is None:
            store.misses += 1
        elif entry.weighed is weighed:
            store.hits += 1
        else:
            store.reweighed += 1
        if entry is None or entry.weighed is not weighed:
            store.put(key, Entry(part, weighed))
    return Story(
        id=story_id(members),
        title=story_title(members),
        articles=tuple(a.id for a in members),
        duplicates=tuple(sorted(repeats.items())),
        keywords=part.keywords,
        summary=weighed.summary,
        cohesion=group.cohesion,
        date=max(dates) if dates else None,
        evidence=weighed.evidence,
        shared_keywords=part.shared_keywords,
    )


def _stored_entry(
    store: StoryCache,
    key: str,
    reports: Sequence[Article],
    members: Sequence[Article],
    weight: str,
) -> Entry | None:
    """The story cache's entry under `key`, when it fits the story of these reports
    and members; None (a miss, and a refused entry dropped) otherwise. The terms of
    its sentences are decoded, and checked to be one list per candidate sentence,
    only when its weights moved (`weight` is not its `idf`): a story taken whole
    never reads them."""
    entry = store.get(key)
    if entry is None:
        return None
    fitting = fits(entry, reports, members)
    if fitting and entry.weighed.idf != weight:
        try:
            terms, relevance = store.sentences(key)
        except (TypeError, ValueError, OverflowError):
            fitting = False
        else:
            fitting = len(terms) == len(candidate_sentences(reports))
            part = replace(entry.members, terms=terms, relevance=relevance)
            entry = replace(entry, members=part)
    if not fitting:
        store.refused += 1
        store.drop(key)
        return None
    return entry


def story_idf(
    members: Sequence[Article], sentence_terms: Sequence[Sequence[str]], weights: TermWeights
) -> dict[str, float]:
    """A story's members (in story order), the terms of its summary's candidate
    sentences and the digest's term weights -> the story's IDF: that of the news
    around its first report, for its members' terms when it has several
    (`why_together`), those sentence terms, and its headlines' terms when no
    sentence has any (`summarize.headline_summary`)."""
    wanted: list[str] = []
    if len(members) > 1:
        wanted.extend(chain.from_iterable(a.terms for a in members))
    wanted.extend(chain.from_iterable(sentence_terms))
    if not any(sentence_terms):
        wanted.extend(chain.from_iterable(map(headline_terms, members)))
    return weights.around(members[0].meta.date, wanted)


def why_together(
    members: Sequence[Article], config: Config, idf: Mapping[str, float], weights: TermWeights
) -> StoryEvidence | None:
    """A story's articles (in story order), its IDF and the digest's term weights ->
    what grouping counted for them, with the SIMILAR_PAIRS strongest pairs kept (a
    story of 300 headlines has 44,850); None for a story of one article."""
    if len(members) < 2:
        return None
    # the vectors and distinctive terms grouping compared, so the figures agree
    # with what decided
    found = story_evidence(
        members,
        article_vectors(members, weights),
        idf,
        config,
        [weights.distinctive(a) for a in members],
    )
    return replace(found, pairs=found.pairs[:SIMILAR_PAIRS])


def shared_keywords(
    reports: Sequence[Article], keywords: Sequence[Keyword]
) -> tuple[SharedKeyword, ...]:
    """A story's distinct reports and keywords -> the keywords at least two reports
    mention, most shared first (keyword rank among equals)."""
    if len(reports) < 2:
        return ()
    mentions = count_mentions(reports, (kw.key for kw in keywords))
    shared = [SharedKeyword(kw.key, kw.label, mentions[kw.key]) for kw in keywords]
    return tuple(sorted((s for s in shared if s.reports >= 2), key=lambda s: -s.reports))


def story_title(members: Sequence[Article]) -> str:
    """A story's articles -> its title: the cleanest of their headlines (see
    `titles.headline_penalty`; among equals, that of the longest article), cleaned
    of wire slugs and site names. A headline made from an article's lead comes last."""
    names = sorted({n for a in members for n in site_names(a.meta)})
    headline = min(
        members,
        key=lambda a: (a.title_derived, headline_penalty(a.title, names), -a.word_count, a.id),
    )
    return clean_headline(headline.title, names)


def story_id(members: Sequence[Article]) -> str:
    """A story's articles -> its id: the id of its earliest article (by date, undated
    last, then path).

    Nothing else about the story enters it, so the id, the story's page and its
    feed stay put while articles are edited (title or text) or added later. It
    changes only when the earliest article leaves the story, or another article
    becomes the earliest: one dated (or backdated) before the story's first
    report, or the earliest article of another story when two stories merge.
    Ids are distinct because every article is in exactly one story.
    """
    anchor = min(members, key=lambda a: (a.meta.date or "9999", a.path))
    return anchor.id


def story_keywords(reports: Sequence[Article], limit: int) -> tuple[Keyword, ...]:
    """Keywords of a story's reports -> the story's keywords.

    A phrase counts for each report that ranks it (more for a higher rank) and
    for each report that mentions it at all, so the names every outlet uses
    (Prigozhin, Belarus) rise above one outlet's turns of phrase. Each label is
    the form most reports use.
    """
    weight: dict[str, float] = defaultdict(float)
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    for article in reports:
        n = len(article.keywords)
        for rank, kw in enumerate(article.keywords):
            weight[kw.key] += (n - rank) / n
            labels[kw.key][kw.label] += 1
    mentions = count_mentions(reports, labels)
    for key in labels:
        weight[key] += MENTION_WEIGHT * mentions[key]
    ranked = sorted(weight, key=lambda k: (-weight[k], k))[:limit]
    scale = max(weight.values(), default=1.0)
    return tuple(
        Keyword(
            label=min(labels[k].items(), key=lambda kv: (-kv[1], kv[0]))[0],
            key=k,
            score=round(weight[k] / scale, 6),
        )
        for k in ranked
    )


def distinct_reports(story: Story) -> int:
    """How many reports a story has, versions of one report counted once."""
    return len(story.articles) - len(story.duplicates)


def _neg_date(date: str | None) -> int:
    """Sort key putting newer dates first, and undated stories last."""
    day = day_number(date)
    return -day if day is not None else 1


def place_stories(stories: Sequence[Story], topics: Sequence[Topic]) -> list[Story]:
    """Ordered stories and their topics -> the stories with their topic and related stories."""
    topic_of = {story_id: t.id for t in topics for story_id in t.stories}
    placed = [replace(s, topic=topic_of[s.id]) for s in stories]
    related = related_stories(placed, topics)
    return [replace(s, related=related[s.id]) for s in placed]


def related_stories(
    stories: Sequence[Story], topics: Sequence[Topic]
) -> dict[str, tuple[RelatedStory, ...]]:
    """Ordered stories with their topics -> each story's related stories: those sharing
    its keywords (weighted by both stories' keyword scores), then stories of the same
    topic; computed once over an inverted index, in time linear in the stories."""
    import numpy as np  # heavy import: only the builds that make stories need it

    topic_stories = {t.id: t.stories for t in topics}
    # a keyword's label as the story pages show it: the last story's form
    labels = {kw.key: kw.label for s in stories for kw in s.keywords}
    by_key: dict[str, list[tuple[int, float, int]]] = defaultdict(list)
    for n, story in enumerate(stories):
        for k, kw in enumerate(story.keywords):
            by_key[kw.key].append((n, kw.score, k))
    # A keyword half the digest has relates nothing; one of more than
    # MAX_POSTINGS stories little, and following it made the work grow with the
    # square of the stories (4,000 stories sharing their keywords: 210 s).
    common = min(MAX_POSTINGS, max(20, len(stories) // 5))
    users = {key: {n for n, _, _ in postings} for key, postings in by_key.items()}
    # every (story, other story) pair sharing a keyword of at most `common` stories:
    # the product of their scores for it, and the keyword's place in the first's list
    lefts, rights, products, places = [], [], [], []
    for postings in by_key.values():
        if 2 <= len(postings) <= common:
            where, scores, place = (np.array(column) for column in zip(*postings, strict=True))
            size = len(postings)
            left, right = np.repeat(where, size), np.tile(where, size)
            apart = left != right
            lefts.append(left[apart])
            rights.append(right[apart])
            products.append((np.repeat(scores, size) * np.tile(scores, size))[apart])
            places.append(np.repeat(place, size)[apart])
    size = len(stories)
    topic = {t: k for k, t in enumerate(topic_stories)}
    topic_of = np.array([topic.get(s.topic or "", -1) for s in stories])
    picks: list[list[int]] = [[] for _ in stories]
    if lefts:
        pairs, which = np.unique(
            np.concatenate(lefts) * size + np.concatenate(rights), return_inverse=True
        )
        which = which.ravel()
        product, place = np.concatenate(products), np.concatenate(places)
        # summed in the order of the first story's keywords, one keyword at a time
        # (a pair meets each keyword once), so the sums are those of adding them up
        # one by one: the same floats, whatever order the pairs were found in
        score = np.zeros(len(pairs))
        for k in range(int(place.max()) + 1):
            at = place == k
            score[which[at]] += product[at]
        left, right = np.divmod(pairs, size)
        score += np.where(topic_of[left] == topic_of[right], 0.25, 0.0)
        # per story: the highest scores first (to 6 places), then the stories' order
        ranked = np.lexsort((right, -_rounded(score), left))
        left, right = left[ranked], right[ranked]
        first = np.r_[True, left[1:] != left[:-1]]
        at = np.arange(len(left))
        rank = at - np.maximum.accumulate(np.where(first, at, 0))
        kept = rank < RELATED_STORIES
        for n, other in zip(left[kept].tolist(), right[kept].tolist(), strict=True):
            picks[n].append(other)
    out: dict[str, tuple[RelatedStory, ...]] = {}
    for n, story in enumerate(stories):
        used = [kw for kw in story.keywords if len(by_key[kw.key]) <= common]
        related = [
            RelatedStory(stories[i].id, tuple(labels[kw.key] for kw in used if i in users[kw.key]))
            for i in picks[n]
        ]
        # fewer than RELATED_STORIES picks: every story sharing a keyword is one
        if len(related) < RELATED_STORIES and story.topic in topic_stories:
            taken = {stories[i].id for i in picks[n]}
            for other_id in topic_stories[story.topic]:
                if len(related) == RELATED_STORIES:
                    break
                if other_id != story.id and other_id not in taken:
                    related.append(RelatedStory(other_id, ()))
        out[story.id] = tuple(related)
    return out


def _rounded(values: Any) -> Any:
    """Floats -> each rounded to 6 places as Python's round() does: NumPy's round
    (scaled, rounded, scaled back) agrees except within a hair of a half, where
    its scaling can cross it (1.7499995 -> 1.75, not 1.749999); those few are
    rounded by Python."""
    import numpy as np

    rounded = np.round(values, 6)
    scaled = values * 1e6
    near = np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-3)
    rounded[near] = [round(v, 6) for v in values[near].tolist()]
    return rounded


def top_stories(
    stories: Sequence[Story], limit: int, articles: Sequence[Article]
) -> tuple[str, ...]:
    """Ordered stories and the digest's articles -> ids of the `limit` top stories.

    Like Techmeme or Google News, coverage decides and recency bounds it: the
    stories with a report in the RECENT_DAYS × 24 hours up to the digest's newest
    article ("now" is the content's, never the clock, so builds stay
    reproducible), ranked by their distinct reports (versions of one report
    once), then their outlets, then the newer story, then the order of the
    stories. A story needs two reports to be a top story. In a digest without
    dates every story is recent.
    """
    moments = [m for a in articles if (m := _hours(a.meta.date)) is not None]
    since = max(moments) - RECENT_DAYS * 24 if moments else None
    source_of = {a.id: a.meta.source or a.id for a in articles}  # an unknown outlet: its own
    scored = []
    for n, story in enumerate(stories):
        newest = _hours(story.date)
        if since is not None and (newest is None or newest < since):
            continue
        repeats = dict(story.duplicates)
        reports = [i for i in story.articles if i not in repeats]
        if len(reports) >= 2:
            outlets = len({source_of[i] for i in reports})
            scored.append((-len(reports), -outlets, _neg_date(story.date), n, story.id))
    return tuple(row[-1] for row in sorted(scored)[:limit])


def _hours(date: str | None) -> float | None:
    """An ISO date or date-time -> hours since the epoch (UTC); a date without a time
    of day counts as its last moment, so "2024-03-20" is as recent as that day goes."""
    day, hours = moment(date)  # dates arrive from the loader naive or in UTC ("…Z")
    if hours is not None or day is None:
        return hours
    return (day - EPOCH_DAY + 1) * 24.0


EPOCH_DAY = dt.date(1970, 1, 1).toordinal()
