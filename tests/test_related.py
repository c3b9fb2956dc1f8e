"""Related stories (stories.related_stories) against their definition, written plainly."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest

from digest.models import Keyword, RelatedStory, Story, Topic
from digest.stories import MAX_POSTINGS, RELATED_STORIES, related_stories


def plainly(stories: list[Story], topics: list[Topic]) -> dict[str, tuple[RelatedStory, ...]]:
    """Each story's related stories by the definition: every other story sharing one
    of its keywords that at most `common` stories have scores the product of their
    two scores for it, summed, plus 0.25 in the same topic; the RELATED_STORIES
    best (to 6 places; then the earlier story), then stories of its topic."""
    common = min(MAX_POSTINGS, max(20, len(stories) // 5))
    having: dict[str, list[Story]] = defaultdict(list)
    for s in stories:
        for kw in s.keywords:
            having[kw.key].append(s)
    labels = {kw.key: kw.label for s in stories for kw in s.keywords}
    order = {s.id: n for n, s in enumerate(stories)}
    members = {t.id: t.stories for t in topics}
    out = {}
    for s in stories:
        used = [kw for kw in s.keywords if len(having[kw.key]) <= common]
        score: dict[str, float] = {}
        for kw in used:
            for other in having[kw.key]:
                if other.id != s.id:
                    mine = next(k.score for k in other.keywords if k.key == kw.key)
                    score[other.id] = score.get(other.id, 0.0) + kw.score * mine
        topic = {o.id: o.topic for o in stories}
        for other_id in score:
            if topic[other_id] == s.topic:
                score[other_id] += 0.25
        best = sorted(score, key=lambda i: (-round(score[i], 6), order[i]))[:RELATED_STORIES]
        picks = [
            RelatedStory(
                i,
                tuple(labels[kw.key] for kw in used if any(o.id == i for o in having[kw.key])),
            )
            for i in best
        ]
        for other_id in members.get(s.topic or "", ()):
            if len(picks) < RELATED_STORIES and other_id != s.id and other_id not in score:
                picks.append(RelatedStory(other_id, ()))
        out[s.id] = tuple(picks)
    return out


@pytest.mark.parametrize("seed", range(12))
def test_related_stories_follow_their_definition(seed: int) -> None:
    r = random.Random(seed)
    size = r.choice([2, 8, 40, 200, 600])
    vocabulary = [f"w{j}" for j in range(r.choice([4, 30, 300]))]
    scores = [1.0, 0.5, 0.0, 0.333333]  # 0.0: a keyword ranked so low it rounds away
    topics = [f"t{k}" for k in range(r.randint(1, 5))]
    stories = [
        Story(
            id=f"s{n:04d}",
            title=f"Story {n}",
            articles=(f"s{n:04d}",),
            duplicates=(),
            keywords=tuple(
                Keyword(label=key.upper(), key=key, score=r.choice([*scores, r.random()]))
                for key in r.sample(vocabulary, min(len(vocabulary), r.randint(0, 8)))
            ),
            summary=(),
            cohesion=1.0,
            date=None,
            topic=r.choice(topics),
        )
        for n in range(size)
    ]
    grouped = [Topic(t, t, tuple(s.id for s in stories if s.topic == t)) for t in topics]
    assert related_stories(stories, grouped) == plainly(stories, grouped)
