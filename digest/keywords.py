"""Analysis text (and title) -> an article's keywords, best first.

The only module that imports yake; everything else sees our `Keyword`.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from digest.models import Keyword
from digest.terms import STOP_WORDS, stem, words

# Words that only reach a keyphrase from markup or page furniture.
_JUNK_WORDS = frozenset(
    """
    href target _blank blank http https www html nbsp amp quot div span src img click
    subscribe newsletter commenting comments cookie cookies javascript
    """.split()
)


KEYWORD_BACKENDS = ("yake-rust", "yake")


@functools.lru_cache(maxsize=8)
def _yake_extractor(backend: str, lang: str, max_words: int) -> Any:
    # imported here: only builds that compute keywords pay for loading them
    if backend == "yake-rust":
        import yake_rust

        return yake_rust.Yake(language=lang, ngrams=max_words)
    import yake

    return yake.KeywordExtractor(lan=lang, n=max_words, top=60, dedup_lim=0.9)


def yake_candidates(
    text: str, lang: str, max_words: int, top: int, backend: str = "yake-rust"
) -> list[tuple[str, float]]:
    """Text -> YAKE's (phrase, score) candidates, lower score better, from either the
    Rust implementation (fast) or the reference Python package."""
    extractor = _yake_extractor(backend, lang, max_words)
    if backend == "yake-rust":
        found = extractor.get_n_best(text, n=top)
    else:
        found = extractor.extract_keywords(text)[:top]
    return [(str(phrase), float(score)) for phrase, score in found]


def extract_keywords(
    text: str,
    limit: int,
    max_words: int,
    lang: str = "en",
    title: str = "",
    backend: str = "yake-rust",
) -> list[Keyword]:
    """Analysis text (and title) -> up to `limit` readable keywords, best first.

    Two kinds of evidence are combined: how often the article uses a word (the
    crowd-labelled keyphrases of news articles are mostly its frequent words)
    and YAKE's ranking, which also proposes multi-word names. A name enters
    when the article uses it at least twice. Markup and stop-word fragments
    are dropped, case variants folded (WAGNER -> Wagner) and a name merged
    with its longer form (Prigozhin / Yevgeny Prigozhin). The title is kept
    out of YAKE's input (its Title Case would make every word look like a
    name) but its words are counted.
    """
    if not text.strip():
        return []
    lang = lang.split("-")[0].lower() or "en"
    try:
        candidates = yake_candidates(text[:YAKE_MAX_CHARS], lang, max_words, limit * 3, backend)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # yake-rust panics surface as BaseException
        candidates = []  # yake fails on odd input; frequency alone still ranks words
    counted = f"{title}. {text}" if title else text
    stats = _word_tally(counted)
    tally, first = stats.tally, stats.first
    for root in _word_tally(title).tally if title else ():
        # a headline word counts as TITLE_WEIGHT uses
        tally[root] = tally.get(root, 0) + TITLE_WEIGHT - 1
    top = max(tally.values(), default=1)
    text_hay, counted_hay = _Haystack(text), _Haystack(counted)
    yake_bonus: dict[str, float] = {}
    found: dict[str, _Scored] = {}
    for phrase, yake_score in candidates:
        label = _tidy_phrase(str(phrase))
        if label is None:
            continue
        key = " ".join(words(label))
        bonus = YAKE_WEIGHT / (1.0 + float(yake_score) * YAKE_SCALE)
        # The checks are pure, so the cheap ones go first: a phrase is searched
        # for in the text only when its answer can still change something.
        if " " not in key:
            root = stem(key)
            if root not in yake_bonus and not _cuts_a_name(label, text):
                yake_bonus[root] = bonus
            continue
        if key in found or not _is_name(label) or _cuts_a_name(label, text):
            continue
        uses = _count_phrase(label, counted_hay)
        if uses < 2:
            continue
        found[key] = _Scored(_display_form(label, text, text_hay), key, uses / top + bonus)
    for root, count in tally.items():
        label = _word_label(stats.forms[root])
        key = label.lower()
        if key.endswith(_ADVERB_ENDINGS) or root in stats.before_names:
            continue
        if key not in found:
            found[key] = _Scored(label, key, count / top + yake_bonus.get(root, 0.0))
    merged = _merge_names(list(found.values()), text, text_hay)
    order = {k.key: first.get(stem(k.key.split()[0]), 0) for k in merged}
    ranked = sorted(merged, key=lambda k: (-k.score, order[k.key], k.key))[:limit]
    return [Keyword(k.label, k.key, round(k.score / (1 + YAKE_WEIGHT), 6)) for k in ranked]


class _Scored(NamedTuple):
    """A keyword candidate with its unscaled score (a tuple: there are a hundred
    or more per article, and only the best few become a `Keyword`)."""

    label: str
    key: str
    score: float


# YAKE reads at most this much of an article (a long article's start is its news;
# yake-rust panics on some very long unbroken runs).
YAKE_MAX_CHARS = 50_000
# Weight of YAKE's opinion against word frequency (1 = as much as the most
# frequent word), and how YAKE's lower-is-better score is scaled before 1/(1+x).
YAKE_WEIGHT = 0.5
# How many uses of a word its appearance in the headline is worth.
TITLE_WEIGHT = 3
YAKE_SCALE = 1.0
_TALLY_WORD = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")
# A _TALLY_WORD, and the letter that starts the next one when only whitespace
# lies between them (else "").
_TALLY_TOKEN = re.compile(rf"({_TALLY_WORD.pattern})\s*(?=([^\W\d_])?)")


@dataclass
class _WordStats:
    tally: dict[str, int]  # uses of each stemmed content word, in order of first use
    forms: dict[str, dict[str, int]]  # its surface forms and their uses
    first: dict[str, int]  # position of its first use
    before_names: set[str]  # names only ever used just before another name


def _word_tally(text: str) -> _WordStats:
    """Text -> counts, forms and positions of its content words, in one pass."""
    stats = _WordStats({}, {}, {}, set())
    tally, forms, first = stats.tally, stats.forms, stats.first
    tokens = _TALLY_TOKEN.findall(text)
    alone: set[str] = set()  # names seen at least once not followed by a name
    # token -> (word, root), root None for a word not counted: an article uses
    # most of its words more than once, so each is judged and stemmed once
    seen: dict[str, tuple[str, str | None]] = {}
    for i, (token, next_letter) in enumerate(tokens):
        known = seen.get(token)
        if known is None:
            word = token[:-2] if token.endswith(("'s", "’s")) else token
            lower = word.lower()
            counted = not (len(lower) < 3 or lower in STOP_WORDS or lower in _JUNK_WORDS)
            known = seen[token] = (word, stem(lower) if counted else None)
        word, root = known
        if root is None:
            continue
        if root in tally:
            tally[root] += 1
            uses = forms[root]
            uses[word] = uses.get(word, 0) + 1
        else:
            tally[root] = 1
            forms[root] = {word: 1}
            first[root] = i
        if word[0].isupper():
            # followed by a name: the next word, after nothing but whitespace, is
            # capitalised and no stop-word
            followed = next_letter.isupper() and tokens[i + 1][0].lower() not in STOP_WORDS
            if followed and root not in alone:
                stats.before_names.add(root)
            elif not followed:
                alone.add(root)
                stats.before_names.discard(root)
    return stats


def _word_label(forms: Mapping[str, int]) -> str:
    """Surface forms of one word -> its label: the commonest form, lower case on a
    tie (a noun is capitalised at a sentence start), capitals only for acronyms."""
    if len(forms) == 1:
        (best,) = forms  # most words have one form: nothing to rank
    else:
        best = min(
            forms.items(),
            key=lambda kv: (_shouting(kv[0]), -kv[1], not kv[0].islower(), kv[0]),
        )[0]
    if len(best) > 4 and best.isupper():
        for form in (best.capitalize(), best.lower()):
            if form in forms:
                return form
        return best.capitalize() if len(best) > 5 else best
    return best


# "reportedly", "allegedly": frequent in news, never what it is about.
_ADVERB_ENDINGS = ("edly", "ally", "ently", "antly", "ously", "ively", "ately")


def _phrase_pattern(label: str) -> str:
    return r"\b" + r"\s+".join(map(re.escape, label.split())) + r"\b"


def _tidy_phrase(phrase: str) -> str | None:
    tokens = phrase.strip(" \"'“”‘’()[]{}.,;:!?-").split()
    tokens = [t[:-2] if t.endswith(("'s", "’s")) else t.rstrip("'’") for t in tokens]
    if not tokens:
        return None
    lowered = [t.lower() for t in tokens]
    if any(t in _JUNK_WORDS or "/" in t or "=" in t or "<" in t or "." in t[1:-1] for t in lowered):
        return None
    if lowered[0] in STOP_WORDS or lowered[-1] in STOP_WORDS:
        return None
    if not _is_name(" ".join(tokens)) and any(t in STOP_WORDS for t in lowered[1:-1]):
        return None  # "allowed to leave": a verb phrase, not a topic ("Bank of England" stays)
    if len(tokens) > 1 and lowered[-1].endswith("ly") and tokens[-1].islower():
        return None  # "Wagner forces reportedly": ends on an adverb
    if any(t.replace(",", "").replace(".", "").isdigit() for t in (lowered[0], lowered[-1])):
        return None
    # "warlord Yevgeny Prigozhin" -> "Yevgeny Prigozhin": a title word before a name
    while len(tokens) > 1 and tokens[0].islower() and _is_name(" ".join(tokens[1:])):
        tokens = tokens[1:]
    label = " ".join(tokens)
    if len(label) < 2 or len(label) > 60 or not any(c.isalpha() for c in label):
        return None
    return label


def _display_form(label: str, text: str, hay: _Haystack | None = None) -> str:
    """The case variant of a phrase that the text uses most, avoiding ALL CAPS."""
    hay = hay or _Haystack(text)
    if hay.lower is not None and label.isascii():
        spans = _phrase_spans(text, hay.lower, label.lower().split())
        variants = Counter(" ".join(text[i:j].split()) for i, j in spans)
    else:
        pattern = re.compile(_phrase_pattern(label), re.I)
        variants = Counter(" ".join(m.group(0).split()) for m in pattern.finditer(text))
    if not variants:
        return label
    # ties go to lower case: a common noun is capitalised only at a sentence start
    ranked = sorted(
        variants.items(), key=lambda kv: (_shouting(kv[0]), -kv[1], kv[0].islower() is False, kv[0])
    )
    return " ".join(_unshout(word, text) for word in ranked[0][0].split())


def _unshout(word: str, text: str) -> str:
    """A word in capitals -> the case the text uses for it elsewhere ("WAGNER" ->
    "Wagner"); a long word only ever in capitals is still a name; acronyms stay."""
    if len(word) <= 4 or not word.isupper():
        return word
    for form in (word.capitalize(), word.lower()):
        if has_word(text, form):
            return form
    return word.capitalize() if len(word) > 5 else word


def _cuts_a_name(label: str, text: str) -> bool:
    """True when the phrase stops inside a name: "Wagner chief Yevgeny" (Prigozhin).

    That is, when its first use followed by a capitalised word (the regex
    `\\bLABEL\\s+([A-Z][\\w'-]*)`) is followed by one that is no stop-word.
    """
    parts = label.split()
    if not parts[-1][:1].isupper():
        return False
    n = len(text)
    i = text.find(parts[0])
    while i >= 0:
        end = _phrase_end(text, text, parts, i) if _at_boundary(text, i) else -1
        if end >= 0:
            pos = end
            while pos < n and text[pos].isspace():
                pos += 1
            if pos > end and pos < n and "A" <= text[pos] <= "Z":
                stop = pos + 1
                while stop < n and (_is_word_char(text[stop]) or text[stop] in "'-"):
                    stop += 1
                return text[pos:stop].lower() not in STOP_WORDS
        i = text.find(parts[0], i + 1)
    return False


def _shouting(phrase: str) -> int:
    """How many words of a phrase are in capitals beyond a short acronym."""
    return sum(1 for w in phrase.split() if len(w) > 4 and w.isupper())


def _is_name(label: str) -> bool:
    return all(t[:1].isupper() for t in label.split())


def _merge_names(keywords: list[_Scored], text: str, hay: _Haystack | None = None) -> list[_Scored]:
    """Merge a one-word name with a longer name that starts or ends with it.

    The label kept is the short form when the text also uses it on its own
    ("Prigozhin"), else the long one ("New York", never "York").
    """
    hay = hay or _Haystack(text)
    by_key = {k.key: k for k in keywords}
    stands_for: dict[str, _Scored] = {}
    for kw in keywords:
        parts = kw.key.split()
        if len(parts) < 2 or not _is_name(kw.label):
            continue
        for part in (parts[-1], parts[0]):
            single = by_key.get(part)  # a one-word name, checked only when looked up
            if single is None or " " in single.key or not _is_name(single.label):
                continue
            if single.key in stands_for:
                continue
            if hay.lower is not None and kw.label.isascii():
                long_uses = hay.lower.count(kw.label.lower())
            else:
                long_uses = len(re.findall(re.escape(kw.label), text, flags=re.IGNORECASE))
            alone = sum(1 for _ in _phrase_spans(text, text, [single.label])) - long_uses
            keep = single if alone > 0 else kw
            merged = _Scored(keep.label, keep.key, min(kw.score, single.score))
            stands_for[single.key] = stands_for[kw.key] = merged
            break
    out: dict[str, _Scored] = {}
    for kw in keywords:
        merged = stands_for.get(kw.key, kw)
        out.setdefault(merged.key, merged)
    return list(out.values())


# ---------------------------------------------------------------------- phrase search
#
# Labelling keywords asks a few questions of each candidate phrase: how often
# the text uses it, in which capitals, whether a name follows it. Asked with a
# regex built per phrase, compiling those regexes (dozens per article, new ones
# for every article, so Python's pattern cache never helped) and scanning with
# them took about as long as YAKE itself. The helpers below find the phrase with
# str.find and then check, one by one, what the regex `\bA\s+B\b` would: `\b`
# (word characters on one side only, `\w` being str.isalnum() or "_"), `\s+`
# between the words (str.isspace()), and, for IGNORECASE, a lower-cased copy of
# the text (see `_Haystack`).

# The only characters outside ASCII that IGNORECASE matches to an ASCII letter
# (İ, ı, ſ and the Kelvin sign); İ is also the only one whose lower case has two
# characters, which would shift the indices of a lower-cased copy.
_CASE_TRAPS = re.compile("[\u0130\u0131\u017f\u212a]")


class _Haystack:
    """A text searched for many phrases, with a lower-cased copy that stands in
    for IGNORECASE when matching ASCII phrases (`lower` is None when it can't:
    the text holds one of the `_CASE_TRAPS`)."""

    __slots__ = ("lower", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.lower = text.lower() if _CASE_TRAPS.search(text) is None else None


def _count_phrase(label: str, hay: _Haystack) -> int:
    """How often the text uses a phrase, in any capitals: the number of matches
    of `_phrase_pattern(label)` with IGNORECASE."""
    if hay.lower is None or not label.isascii():
        return len(re.findall(_phrase_pattern(label), hay.text, re.IGNORECASE))
    return sum(1 for _ in _phrase_spans(hay.text, hay.lower, label.lower().split()))


def has_word(text: str, word: str) -> bool:
    """True when `re.search(rf"\\b{re.escape(word)}\\b", text)` would match."""
    return next(_phrase_spans(text, text, [word]), None) is not None


def _is_word_char(c: str) -> bool:
    """True for what `\\w` matches in a str pattern."""
    return c.isalnum() or c == "_"


def _at_boundary(text: str, i: int) -> bool:
    """True where `\\b` matches: between a word character and anything else."""
    before = i > 0 and _is_word_char(text[i - 1])
    after = i < len(text) and _is_word_char(text[i])
    return before != after


def _phrase_end(text: str, hay: str, parts: Sequence[str], i: int) -> int:
    """Where the words `parts`, separated by whitespace (`A\\s+B`), end when read
    from index i, or -1 when they are not there.

    `hay` is the text itself, or its lower-cased copy with `parts` lower-cased;
    whitespace is judged in `text`. No backtracking is needed: a word never
    starts with whitespace, so `\\s+` can only take the whole run.
    """
    n = len(text)
    if not hay.startswith(parts[0], i):
        return -1
    pos = i + len(parts[0])
    for part in parts[1:]:
        start = pos
        while pos < n and text[pos].isspace():
            pos += 1
        if pos == start or not hay.startswith(part, pos):
            return -1
        pos += len(part)
    return pos


def _phrase_spans(text: str, hay: str, parts: Sequence[str]) -> Iterator[tuple[int, int]]:
    """The matches of `\\bA\\s+B\\b` for the (non-empty) words `parts`, as
    re.finditer gives them: left to right, not overlapping."""
    i = hay.find(parts[0])
    while i >= 0:
        end = _phrase_end(text, hay, parts, i) if _at_boundary(text, i) else -1
        if end >= 0 and _at_boundary(text, end):
            yield i, end
            i = hay.find(parts[0], end)
        else:
            i = hay.find(parts[0], i + 1)
