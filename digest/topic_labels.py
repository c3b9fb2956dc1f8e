"""Groups of stories -> labels that name each group's subject.

A label is the one or two story keywords most distinctive of the group, in
alphabetical order (so near-equal weights never swap them): used by
many of its stories and few of the others. Words of general language never label
a topic: a lower-case word as common as "people", "report" or "game" (by
`wordfreq`'s frequencies of the digest's language, which ship inside its wheel) is
passed over, as are month and weekday names ("December · Japan" named a
business section), and names and multi-word phrases are preferred, since they say
what a topic is about. A group with no such keyword is named after its first
story's title.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence

from digest.keywords import NAME_PAGE_ZIPF, WORD_PAGE_ZIPF, when_words
from digest.languages import common_words
from digest.models import Story

# Names and phrases count this much more than single common nouns.
NAME_BONUS = 1.5
# Words in a label, and the longest label made from a story title.
LABEL_KEYWORDS = 2
TITLE_LABEL_CHARS = 60


def is_generic(label: str, language: str) -> bool:
    """Whether a keyword is a word of general language rather than a subject, by the
    Zipf frequencies (log10 of uses per billion words) that also decide keyword
    pages (`keywords.names_something`): a lower-case word from WORD_PAGE_ZIPF on
    ("people" 6.3, "game" 5.7, "report" 5.3, "net" 4.8; subjects sit below:
    "transfer" 4.4, "airline" 4.1), a capitalised one from NAME_PAGE_ZIPF on ("Top",
    "New"; names sit below: "Apple" 4.8, "Obama" 4.9)."""
    words = label.split()
    if not any(ch.isalpha() for ch in label):
        return True
    if len(words) > 1:  # a phrase is generic only if every word of it is
        return all(is_generic(w, language) for w in words)
    word = words[0]
    lang = language.split("-")[0].lower() or "en"
    if word.casefold() in when_words(lang):
        return True  # "December", "Monday": when, not what
    zipf = common_words(lang).get(word.lower(), 0.0)
    return zipf >= (NAME_PAGE_ZIPF if word[:1].isupper() else WORD_PAGE_ZIPF)


def label_groups(groups: Sequence[Sequence[Story]], language: str) -> list[str]:
    """Groups of stories -> one readable label each, distinct from each other."""
    having: list[Counter[str]] = []  # per group: key -> stories using it
    strength: list[dict[str, float]] = []  # per group: key -> its summed keyword scores
    everywhere: Counter[str] = Counter()
    names: dict[str, Counter[str]] = defaultdict(Counter)
    for members in groups:
        counts: Counter[str] = Counter()
        scores: dict[str, float] = defaultdict(float)
        for story in members:
            for kw in story.keywords:
                names[kw.key][kw.label] += 1
                scores[kw.key] += kw.score
            counts.update({kw.key for kw in story.keywords})
        having.append(counts)
        strength.append(scores)
        everywhere.update(counts)
    total = sum(len(m) for m in groups)
    display = {k: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for k, c in names.items()}
    labels: list[str] = []
    used: set[str] = set()
    for members, counts, scores in zip(groups, having, strength, strict=True):
        size = len(members)

        def weight(key: str, counts: Counter[str] = counts, size: int = size) -> float:
            inside = counts[key] / size
            outside = (everywhere[key] - counts[key]) / max(1, total - size)
            bonus = NAME_BONUS if _is_name_or_phrase(display[key]) else 1.0
            return inside * math.log((inside + 0.01) / (outside + 0.01)) * bonus

        candidates = [
            k for k in counts if counts[k] >= min(2, size) and not is_generic(display[k], language)
        ]
        # equally distinctive keywords: the one the stories rank higher first
        ranked = sorted(candidates, key=lambda k: (-round(weight(k), 9), -round(scores[k], 6), k))
        # words are taken as needed: the label's first, more only while it repeats
        # another label (checking every candidate against every word taken before,
        # the whole ranking each time, cost 11 s of topics' 40 s at 20,000 articles)
        pool = _distinct_words([display[k] for k in ranked if weight(k) > 0])
        words = list(itertools.islice(pool, LABEL_KEYWORDS))
        label = _joined(words) or _title_label(members)
        while label in used and (more := next(pool, None)) is not None:
            words.append(more)
            label = _joined(words)
        while label in used:
            label += " (more)"
        used.add(label)
        labels.append(label)
    return labels


def _joined(words: Sequence[str]) -> str:
    """A label's words in alphabetical order, not by weight: two words of a topic
    weigh nearly the same as often as not, and one story joining swapped them
    ("Labour · Blair" -> "Blair · Labour" in a 1,000-article digest), which
    rewrote every page that names the topic (its 138 story pages)."""
    return " · ".join(sorted(words, key=lambda w: (w.casefold(), w)))


def _distinct_words(ranked: Sequence[str]) -> Iterator[str]:
    """Keywords best first -> those that repeat none yielded before (`_overlaps`)."""
    taken: list[str] = []
    for label in ranked:
        if not any(_overlaps(label, w) for w in taken):
            taken.append(label)
            yield label


def _is_name_or_phrase(label: str) -> bool:
    return " " in label or label[:1].isupper()


def _overlaps(a: str, b: str) -> bool:
    """Whether two keywords share a word, or nearly ("Obama" and "Michelle Obama",
    "Malaysia" and "Malaysian", "Greece" and "Greek"): one would repeat the other."""
    return any(
        _shared_start(x, y) >= max(4, min(len(x), len(y)) - 2)
        for x in a.casefold().split()
        for y in b.casefold().split()
    )


def _shared_start(x: str, y: str) -> int:
    n = 0
    while n < min(len(x), len(y)) and x[n] == y[n]:
        n += 1
    return n


def _title_label(members: Sequence[Story]) -> str:
    title = min(members, key=lambda s: (-len(s.articles), s.id)).title
    if len(title) > TITLE_LABEL_CHARS:
        title = title[:TITLE_LABEL_CHARS].rsplit(" ", 1)[0] + " …"
    return title
