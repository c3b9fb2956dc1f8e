"""Stories -> the editor-defined section (`[[sections]]` in digest.toml) each best matches.

A story's match with a section is the share of its articles that carry one of the
section's tags, plus the cosine of the story's TF-IDF vector with the section's
seed words taken as one short document. (The share of the vector's squared weight
on the seed words was tried first: a few seed words hold too small a share of a
real article's weight, so no BBC article reached any section.) The best section
wins if the match reaches `section_min_score`; a story unlike every section is
left out, for inferred topics. Each story is judged on its own, so adding an
article never moves another story between sections (beyond the small change it
makes to the word weights).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from digest.config import Config, Section
from digest.models import Article, Story
from digest.terms import content_terms


def section_terms(section: Section) -> frozenset[str]:
    """A section -> the analysis terms of its seed words (stemmed, stop-words dropped)."""
    return frozenset(term for word in section.words for term in content_terms(word))


def _cosine_with_seeds(vector: Mapping[str, float], seeds: frozenset[str]) -> float:
    """A story's unit TF-IDF vector -> its cosine with the seed words taken as one
    document (each seed term weighing the same)."""
    if not seeds:
        return 0.0
    return sum(vector.get(term, 0.0) for term in seeds) / math.sqrt(len(seeds))


def match_sections(
    stories: Sequence[Story],
    vectors: Sequence[Mapping[str, float]],
    articles: Mapping[str, Article],
    config: Config,
) -> list[Section | None]:
    """Stories and their unit TF-IDF vectors -> the section each goes to, or None."""
    seeds = [section_terms(s) for s in config.sections]
    tags = [frozenset(t.casefold() for t in s.tags) for s in config.sections]
    out: list[Section | None] = []
    for story, vector in zip(stories, vectors, strict=True):
        story_tags = [
            frozenset(t.casefold() for t in articles[a].meta.tags) for a in story.articles
        ]
        best: tuple[float, int] | None = None
        for number, (section_seeds, section_tags) in enumerate(zip(seeds, tags, strict=True)):
            tagged = sum(1 for t in story_tags if t & section_tags) / max(1, len(story_tags))
            worded = _cosine_with_seeds(vector, section_seeds)
            score = round(tagged + worded, 9)  # rounded: ties go to the earlier section
            if best is None or score > best[0]:
                best = (score, number)
        if best is not None and best[0] >= config.section_min_score:
            out.append(config.sections[best[1]])
        else:
            out.append(None)
    return out
