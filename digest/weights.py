"""Articles -> the IDF each one is weighed with: that of the news around it.

A term's IDF (`terms.idf_table`: log((N + B + 1) / (df + 1)) + 1) is counted over
the articles dated within IDF_WINDOW_DAYS of an article's day, either side, and
the undated articles; an undated article is weighed with the whole digest. What
is distinctive is what is rare in the news of those weeks: "election" weighs
less in an election month.

The window is what keeps a growing digest's rebuild local. With one IDF over the
whole digest, adding an article moves every term's weight a little, so every
story's summary and similarity figures would have to be weighed again; with the
window, an article added today moves the weights of the articles of the last
IDF_WINDOW_DAYS only, and a story older than that keeps its summary and figures
(the story cache holds them, keyed by the values it looked up).

A digest spanning less than the window (the sample digest, a week of feeds, the
labelled sets of the quality benchmark) is weighed exactly as with one IDF: every
window holds every article, so the values are the same floats.

Counting is done once for every (article, term) pair with sorted NumPy arrays, so
it grows with the digest's size, not with the square of its days.
"""

from __future__ import annotations

import bisect
import hashlib
import math
from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from typing import Any

from digest.dates import day_number
from digest.models import Article
from digest.terms import BACKGROUND_DOCUMENTS

# Days either side of an article's day whose articles its IDF is counted over.
# Four weeks of news in all: wide enough that one event's reports (grouped within
# `story_window_days`) are weighed alike, and a week's digest as one collection.
IDF_WINDOW_DAYS = 14

# A term is distinctive in an article when at most DISTINCTIVE_SHARE of the articles
# of its window use it (at most DISTINCTIVE_FLOOR of them in a window under 1,000):
# the names and particulars of an event rather than the vocabulary of its subject.
# Grouping bounds what two long articles' words count by what they share of those
# (`cluster.word_part`, where the values are explained).
DISTINCTIVE_SHARE = 0.005
DISTINCTIVE_FLOOR = 5


class TermWeights:
    """The IDF of a digest's terms, by day (see the module's docstring)."""

    def __init__(self, articles: Sequence[Article], window: int = IDF_WINDOW_DAYS) -> None:
        import numpy as np  # heavy import: only the builds that group need it

        self._window = window
        every = dict.fromkeys(chain.from_iterable(a.terms for a in articles))
        self._vocabulary = {t: k for k, t in enumerate(every)}
        sizes = np.fromiter((len(a.terms) for a in articles), dtype=np.int64, count=len(articles))
        ends = np.cumsum(sizes)
        starts = (ends - sizes).tolist()
        self._start = {a.id: start for a, start in zip(articles, starts, strict=True)}
        ids = np.fromiter(
            map(self._vocabulary.__getitem__, chain.from_iterable(a.terms for a in articles)),
            dtype=np.int64,
            count=int(ends[-1]) if len(ends) else 0,
        )
        days = [day_number(a.meta.date) for a in articles]
        known = [d for d in days if d is not None]
        self._first = min(known, default=0)
        self._span = max(known, default=0) - self._first  # last day's offset
        # each article's day as an offset from the first; undated: -1
        offset = np.array([-1 if d is None else d - self._first for d in days], dtype=np.int64)
        at = np.repeat(offset, sizes)
        dated = at >= 0
        stride = self._span + 1
        # (term, day) of every dated article's terms, sorted: a term's articles by day
        self._keys = np.sort(ids[dated] * stride + at[dated])
        self._stride = stride
        self._days = np.sort(offset[offset >= 0])
        self._undated = len(articles) - len(self._days)
        self._undated_df = np.bincount(ids[~dated], minlength=len(self._vocabulary))
        # each (article, term) pair's IDF and whether the term is distinctive there,
        # in the order of the articles and their terms; the articles of each window
        low, high = self._bounds(at)
        # (NumPy arrays: 8 bytes and 1 byte a pair, against 32 and 8 as Python lists)
        df, n = self._counts(ids, low, high)
        self._values = self._idf(df, n)
        self._distinctive = df <= np.maximum(DISTINCTIVE_FLOOR, DISTINCTIVE_SHARE * n)
        # the articles of each window, for its key: the dated by day (then id), the undated
        placed = sorted((o, a.id) for o, a in zip(offset.tolist(), articles, strict=True) if o >= 0)
        self._placed_days = [o for o, _ in placed]
        self._placed_ids = [i for _, i in placed]
        self._undated_ids = sorted(
            a.id for o, a in zip(offset.tolist(), articles, strict=True) if o < 0
        )
        self._window_keys: dict[tuple[int, int], str] = {}

    def _bounds(self, offsets: Any) -> tuple[Any, Any]:
        """Day offsets (-1: undated) -> the first and last day offsets of their windows."""
        import numpy as np

        undated = offsets < 0
        low = np.where(undated, 0, np.maximum(offsets - self._window, 0))
        high = np.where(undated, self._span, np.minimum(offsets + self._window, self._span))
        return low, high

    def _counts(self, ids: Any, low: Any, high: Any) -> tuple[Any, Any]:
        """Term ids and their windows (day offsets, inclusive) -> (how many articles
        of each window have the term, how many articles each window has)."""
        import numpy as np

        n = np.searchsorted(self._days, high, side="right")
        n -= np.searchsorted(self._days, low, side="left")
        n += self._undated
        if not len(ids):
            return np.zeros(0, dtype=np.int64), n
        # searched in sorted order: each search starts where the last one ended
        order = np.argsort(ids * self._stride + low, kind="stable")
        base = ids[order] * self._stride
        df = np.empty(len(ids), dtype=np.int64)
        df[order] = np.searchsorted(self._keys, base + high[order], side="right") - np.searchsorted(
            self._keys, base + low[order], side="left"
        )
        df += self._undated_df[ids]
        return df, n

    def _idf(self, df: Any, n: Any) -> Any:
        """Document frequencies and numbers of articles -> IDF values; a term no
        article of the window has weighs 1.0, as `terms.tfidf` weighs a term
        missing from its table."""
        import numpy as np

        if not len(df):
            return np.zeros(0)
        # one logarithm per distinct (articles, df): the values repeat
        width = len(self._days) + self._undated + 1  # more than any df
        pairs, inverse = np.unique(n * width + df, return_inverse=True)
        values = [
            # as `terms.idf_table`, to the last bit
            math.log((docs + BACKGROUND_DOCUMENTS + 1) / (count + 1)) + 1.0 if count else 1.0
            for docs, count in (divmod(pair, width) for pair in pairs.tolist())
        ]
        return np.asarray(values)[inverse.ravel()]

    def of_article(self, article: Article) -> dict[str, float]:
        """One of the digest's articles -> the IDF of each of its terms."""
        return dict(zip(article.terms, self.values_of(article), strict=True))

    def values_of(self, article: Article) -> list[float]:
        """One of the digest's articles -> the IDF of each of its terms, in term order."""
        start = self._start[article.id]
        values: list[float] = self._values[start : start + len(article.terms)].tolist()
        return values

    def distinctive(self, article: Article) -> frozenset[str]:
        """One of the digest's articles -> its terms that are distinctive in its window
        (DISTINCTIVE_SHARE)."""
        start = self._start[article.id]
        flags = self._distinctive[start : start + len(article.terms)].tolist()
        return frozenset(t for t, rare in zip(article.terms, flags, strict=True) if rare)

    def window_key(self, date: str | None, hash_of: Callable[[str], str]) -> str:
        """A date (None: the whole digest) and a hash of each article's record by id ->
        a hash of the articles of that date's window. With the records, they fix every
        IDF value there and which terms are distinctive: two builds giving a window the
        same key weigh its terms alike."""
        day = day_number(date)
        if day is None:
            bounds = (0, self._span)
        else:
            offset = min(max(day - self._first, 0), self._span)
            bounds = (max(offset - self._window, 0), min(offset + self._window, self._span))
        key = self._window_keys.get(bounds)
        if key is None:
            start = bisect.bisect_left(self._placed_days, bounds[0])
            end = bisect.bisect_right(self._placed_days, bounds[1])
            digest = hashlib.sha256(f"window {self._window}".encode())
            for article_id in chain(self._placed_ids[start:end], self._undated_ids):
                digest.update(hash_of(article_id).encode())
            key = self._window_keys[bounds] = digest.hexdigest()
        return key

    def around(self, date: str | None, terms: Iterable[str]) -> dict[str, float]:
        """A date (None: the whole digest) and terms -> their IDF in the window of
        that date's day, in the order given (a term no article of the window has,
        or none of the digest: 1.0)."""
        import numpy as np

        wanted = list(dict.fromkeys(terms))
        day = day_number(date)
        offset = -1 if day is None else min(max(day - self._first, 0), self._span)
        known = [t for t in wanted if t in self._vocabulary]
        ids = np.fromiter(map(self._vocabulary.__getitem__, known), np.int64, len(known))
        low, high = self._bounds(np.full(len(known), offset, dtype=np.int64))
        found = dict(zip(known, self._idf(*self._counts(ids, low, high)).tolist(), strict=True))
        return {t: found.get(t, 1.0) for t in wanted}
