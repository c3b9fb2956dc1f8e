"""Words for analysis: tokens, stop-words, a light stemmer, shingles, TF-IDF vectors.

Clustering and summarising compare texts through these; keeping them in one place
means a story and its summary agree on what a "term" is.
"""

from __future__ import annotations

import math
import re
import struct
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence

from segtok.segmenter import ABBREVIATIONS, SENTENCE_TERMINALS, split_multi

from digest.models import Article

# A compact English stop-word list: function words, auxiliaries, reporting filler.
STOP_WORDS = frozenset(
    """
    a about above after again against ago all almost also although always am among an
    and another any anyone anything are around as at away back be became because become
    been before being below between both but by can cannot could did do does doing done
    down during each either else enough even ever every few for from further get gets
    getting go goes going got had has have having he her here hers herself him himself
    his how however i if in including into is it its itself just last least less let
    like made make many may me might more most much must my myself near need never new
    next no nor not now of off often on once one only onto or other others our ours
    ourselves out over own per perhaps put quite rather really said same say says see
    seen several shall she should since so some still such take than that the their
    theirs them themselves then there these they this those though through thus to today
    told too toward towards under until up upon us very via was way we well were what
    whatever when where whether which while who whom whose why will with within without
    would yet you your yours yourself yourselves also mr mrs ms dr s t re ve ll d m o y
    according told year years day days time week weeks month months two three first
    second
    """.split()
)

_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)


def words(text: str) -> list[str]:
    """Text -> its words in order, lower-cased, possessive 's dropped."""
    return [w[:-2] if w.endswith("'s") else w for w in _WORD.findall(text.lower())]


def count_words(text: str) -> int:
    """Text -> how many `words` it has."""
    return len(_WORD.findall(text))


def stem(word: str) -> str:
    """A light plural stemmer (Harman's S-stemmer): 'forces' -> 'force', 'cities' -> 'city'."""
    if len(word) <= 3 or not word.endswith("s"):
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if not word.endswith(("us", "ss")):
        return word[:-1]
    return word


def content_terms(
    text: str, stop: frozenset[str] = STOP_WORDS, root: Callable[[str], str] = stem
) -> list[str]:
    """Text -> stemmed content words (no stop-words, no bare numbers), in order;
    English unless a language's stop-words and stemmer are given."""
    terms = []
    known: dict[str, str] = {}  # word -> its term, "" for none: each word judged once
    for w in words(text):
        term = known.get(w)
        if term is None:
            is_term = len(w) > 1 and w not in stop and not w.replace("-", "").isdigit()
            term = known[w] = (root(w) or w) if is_term else ""  # a term is never empty
        if term:
            terms.append(term)
    return terms


def shingles(text: str, size: int = 3) -> bytes:
    """Text -> the distinct stable hashes (CRC-32) of its word n-grams, for
    near-duplicate checks: sorted, packed as 4-byte little-endian numbers.

    Packed, because every article keeps them until the end of the build: as a
    tuple of Python ints they took 13 KB of a BBC article's 35 KB in memory,
    packed 1.3 KB.
    """
    return word_shingles(words(text), size)


def word_shingles(ws: Sequence[str], size: int = 3) -> bytes:
    """`shingles` of a text already split into `words` (callers that need both)."""
    grams = {" ".join(ws[i : i + size]) for i in range(max(0, len(ws) - size + 1))}
    hashes = sorted({zlib.crc32(g.encode("utf-8")) for g in grams})
    return struct.pack(f"<{len(hashes)}I", *hashes)


def shingle_set(packed: bytes) -> set[int]:
    """Packed `shingles` -> the hashes."""
    return set(struct.unpack(f"<{len(packed) // 4}I", packed))


def containment(a: bytes, b: bytes) -> float:
    """Share of the smaller shingle set found in the other (0–1)."""
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return len(shingle_set(small) & shingle_set(large)) / (len(small) // 4)


# Where a Chinese or Japanese sentence ends: after a full-width stop, question or
# exclamation mark (and a closing quote or bracket), which segtok does not split on.
_CJK_SENTENCE_END = re.compile(r"(?<=[。！？])(?![。！？」』）”])|(?<=[。！？][」』）”])")


def split_sentences(text: str) -> list[str]:
    """A paragraph -> its sentences (rule-based, needs no downloaded model; CJK
    sentences end at 。！？), in time linear in its length."""
    pieces = [s.strip() for s in _sentences_of(_bounded_runs(text)) if s.strip()]
    if any(mark in text for mark in "。！？"):
        pieces = [p.strip() for s in pieces for p in _CJK_SENTENCE_END.split(s) if p.strip()]
    return pieces


# segtok joins the pieces of a sentence (after "Mr.", "U.S.", "(…") by testing
# the whole sentence so far at each stop, which takes time quadratic in the
# pieces of a sentence: a paragraph of "x.) lower x.) lower …" took 9 s for 20 KB
# and two minutes for 80 KB. So a long paragraph is cut first where segtok surely
# ends a sentence (`_SURE_END`), and only runs of it that read like prose (at
# most MAX_RUN_CHARS characters and MAX_RUN_STOPS stops) go to segtok; the rest
# is cut at every stop, and at spaces into pieces of at most MAX_RUN_CHARS.
# Prose goes to segtok whole as before (no run of any labelled set is longer).
MAX_RUN_CHARS = 10_000
MAX_RUN_STOPS = 40
# A long paragraph with fewer characters per stop than this is not prose either
# (segtok takes about 3 µs a character there; the long paragraphs of the
# labelled sets have 74 or more).
MIN_CHARS_PER_STOP = 25
# Where segtok may end a sentence: a stop, a closing quote, brackets, spaces.
_STOPS = re.compile(rf"[{re.escape(SENTENCE_TERMINALS)}]['\u2019\"\u201d]?[\])]*\s+")
# Where it surely does: after a lower-case word of three letters or more, at a
# stop with a quote at most after it, before a capital, with no bracket left open
# since the last such end. Every rule segtok joins sentences by asks for
# something else: an abbreviation (its own list, checked) or an initial before
# the stop, a lower-case word or a continuation ("and", "by") after it, or an
# open bracket.
_BRACKETS = re.compile(r"[()\[\]]")
_SURE_END = re.compile(r"(?<![^\W\d_])([a-z]{3,})[.!?]['\u2019\"\u201d]?\s+(?=[A-Z])")


def _bounded_runs(text: str) -> list[str]:
    """A paragraph -> consecutive pieces of it, cut where segtok surely ends a
    sentence; the paragraph itself when it is short prose (most are)."""
    if _is_prose(text):
        return [text]
    if len(text) < MIN_CHARS_PER_STOP * len(_STOPS.findall(text)):
        return [text]  # stops far denser than in any prose: none of it goes to segtok
    runs: list[str] = []
    start = scanned = 0
    depth = {"(": 0, "[": 0}  # brackets open since `start`
    for m in _SURE_END.finditer(text):
        for bracket in _BRACKETS.findall(text, scanned, m.start()):  # each looked at once
            if bracket in "([":
                depth[bracket] += 1
            elif depth[opener := "(" if bracket == ")" else "["]:
                depth[opener] -= 1
        scanned = m.start()
        if depth["("] or depth["["] or ABBREVIATIONS.search(m.group(1)):
            continue
        runs.append(text[start : m.end()])
        start = m.end()
    runs.append(text[start:])
    return runs


def _is_prose(run: str) -> bool:
    """True for text segtok splits in time linear in its length."""
    return len(run) <= MAX_RUN_CHARS and len(_STOPS.findall(run)) <= MAX_RUN_STOPS


def _sentences_of(runs: list[str]) -> Iterable[str]:
    """Pieces of a paragraph cut by `_bounded_runs` -> their sentences: segtok's
    for prose (consecutive runs of it in one call: it ends a sentence between
    them anyway), anything else cut at every stop and at spaces."""
    prose: list[str] = []
    for run in runs:
        if _is_prose(run):
            prose.append(run)
            continue
        if prose:
            yield from split_multi("".join(prose))
            prose = []
        start = 0
        for stop in _STOPS.finditer(run):  # each piece keeps its stop
            yield from _cut(run[start : stop.end()], MAX_RUN_CHARS)
            start = stop.end()
        yield from _cut(run[start:], MAX_RUN_CHARS)
    if prose:
        yield from split_multi("".join(prose))


def _cut(text: str, limit: int) -> list[str]:
    """Text -> pieces of at most `limit` characters, cut at a space where there is one."""
    pieces = []
    while len(text) > limit:
        cut = text.rfind(" ", 0, limit + 1)
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut])
        text = text[cut:]
    pieces.append(text)
    return pieces


Vector = dict[str, float]


# Pseudo-documents added to every collection, holding none of its terms. In a
# digest of a handful of articles plain IDF calls a word in all of them common,
# although in news at large "Prigozhin" is rare; the padding keeps small
# collections from over-weighting words unique to one article. It fades as the
# collection grows past it.
BACKGROUND_DOCUMENTS = 20


def idf_table(documents: Iterable[Iterable[str]]) -> tuple[dict[str, float], int]:
    """Term sets of a collection -> (smoothed IDF per term, number of documents)."""
    df: Counter[str] = Counter()
    n = 0
    for terms in documents:
        df.update(set(terms))
        n += 1
    total = n + BACKGROUND_DOCUMENTS
    return {t: math.log((total + 1) / (c + 1)) + 1.0 for t, c in df.items()}, n


def tfidf(counts: Mapping[str, int], idf: Mapping[str, float]) -> Vector:
    """Term counts -> L2-normalised TF-IDF vector with sublinear TF."""
    return normalised(
        {t: (1.0 + math.log(c)) * idf.get(t, 1.0) for t, c in counts.items() if c > 0}
    )


def normalised(vector: Mapping[str, float]) -> Vector:
    """A sparse vector scaled to unit length (empty stays empty)."""
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {t: v / norm for t, v in vector.items()} if norm else {}


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Dot product of two normalised sparse vectors."""
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


def count_mentions(reports: Sequence[Article], keys: Iterable[str]) -> dict[str, int]:
    """Keyword keys -> how many of the reports (title and sentences, lower case)
    mention each.

    A report mentions a key when r"\\bword\\W+word\\b" (its words, anything but
    letters and digits between them) finds it. A key of plain words is found
    exactly when they stand next to each other among the report's words (runs
    of \\w), so each report is split once and looked up by the words keys start
    with, instead of being searched once per key: the work grows with the
    reports' text, not with their text times the keys. A key with other
    characters too ("line-up") is confirmed by its pattern where its words are.
    """
    keys = list(dict.fromkeys(keys))
    word = re.compile(r"\w+")
    parts = {key: tuple(word.findall(key)) for key in keys}
    plain = {key for key in keys if key.split() and all(map(word.fullmatch, key.split()))}
    keys_of: dict[tuple[str, ...], list[str]] = defaultdict(list)
    singles: set[str] = set()  # keys of one word
    lengths: dict[str, set[int]] = defaultdict(set)  # first word -> lengths of longer keys
    for key, phrase in parts.items():
        if phrase:
            keys_of[phrase].append(key)
        if len(phrase) == 1:
            singles.add(phrase[0])
        elif len(phrase) > 1:
            lengths[phrase[0]].add(len(phrase))
    wordless = [key for key, phrase in parts.items() if not phrase]

    def pattern(key: str) -> re.Pattern[str]:
        return re.compile(r"\b" + r"\W+".join(map(re.escape, key.split())) + r"\b")

    mentions = dict.fromkeys(keys, 0)
    for a in reports:
        text = " ".join([a.title, *a.sentences]).lower()
        words = word.findall(text)
        present = set(words)
        found = {(w,) for w in singles & present}
        if starts := lengths.keys() & present:
            found.update(
                tuple(words[i : i + n])
                for i in [i for i, w in enumerate(words) if w in starts]
                for n in lengths[words[i]]
            )
        for phrase in found & keys_of.keys():
            for key in keys_of[phrase]:
                if key in plain or pattern(key).search(text):
                    mentions[key] += 1
        for key in wordless:
            if pattern(key).search(text):
                mentions[key] += 1
    return mentions
