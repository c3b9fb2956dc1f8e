"""Analysis text (and title) -> an article's keywords, best first; which keywords
name something (those get a page).

The only module that imports yake and wordfreq's frequencies (stop-words and
stemmers of each language come from `digest.languages`); everything else sees
our `Keyword`.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import os
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from digest.languages import (
    CJK,
    ELIDING,
    UNSPACED,
    cjk_words,
    common_words,
    drop_elisions,
    stemmer,
    stop_words,
    without_elision,
)
from digest.models import Keyword
from digest.terms import STOP_WORDS, stem, words

# Words that only reach a keyphrase from markup or page furniture.
_JUNK_WORDS = frozenset(
    """
    href target _blank blank http https www html nbsp amp quot div span src img click
    subscribe newsletter commenting comments cookie cookies javascript
    advertisement copyright redistributed rewritten
    """.split()
)
# Words that date a report but never say what it is about.
_WHEN_WORDS = frozenset(
    """
    monday tuesday wednesday thursday friday saturday sunday yesterday tomorrow tonight
    """.split()
)


KEYWORD_BACKENDS = ("yake-rust", "yake")


# The languages whose stop-words yake-rust knows by name (its `language`): asked
# for another one it panics (an unwrap in its Python binding), printing the panic
# on stderr, so for those it is given the stop-word list itself.
YAKE_RUST_LANGUAGES = frozenset(
    "ar bg br cz da de el en es et fa fi fr hi hr hu hy id it ja lt lv nl no pl pt ro ru "
    "sk sl sv tr uk zh".split()
)
_YAKE_NAMES = {"cs": "cz", "nb": "no", "nn": "no"}


@functools.lru_cache(maxsize=8)
def _yake_extractor(backend: str, lang: str, max_words: int) -> Any:
    # imported here: only builds that compute keywords pay for loading them
    name = _YAKE_NAMES.get(lang, lang)
    if backend == "yake-rust":
        import yake_rust

        if name in YAKE_RUST_LANGUAGES:
            return yake_rust.Yake(language=name, ngrams=max_words)
        return yake_rust.Yake(stopwords=set(stop_words(lang)), ngrams=max_words)
    import yake

    listed = name in YAKE_RUST_LANGUAGES  # the lists both packages ship
    stop = None if listed else set(stop_words(lang))
    return yake.KeywordExtractor(lan=name, n=max_words, top=60, dedup_lim=0.9, stopwords=stop)


def yake_candidates(
    text: str, lang: str, max_words: int, top: int, backend: str = "yake-rust"
) -> list[tuple[str, float]]:
    """Text -> YAKE's (phrase, score) candidates, lower score better, from either the
    Rust implementation (fast) or the reference Python package."""
    extractor = _yake_extractor(backend, lang, max_words)
    if backend == "yake-rust":
        with _stderr_silenced():  # a Rust panic prints straight to file descriptor 2
            found = extractor.get_n_best(text, n=top)
    else:
        found = extractor.extract_keywords(text)[:top]
    return [(str(phrase), float(score)) for phrase, score in found]


@contextlib.contextmanager
def _stderr_silenced() -> Iterator[None]:
    """Within: whatever is written to file descriptor 2 (a panic in Rust code, which
    Python cannot catch before it is printed) goes nowhere. The analysis runs one
    article at a time per process, so nothing else of ours writes meanwhile."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all: nothing to protect
        yield
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def extract_keywords(
    text: str,
    limit: int,
    max_words: int,
    lang: str = "en",
    title: str = "",
    backend: str = "yake-rust",
    trouble: list[str] | None = None,
) -> list[Keyword]:
    """Analysis text (and title) -> up to `limit` readable keywords, best first.

    A word scores by how often the article uses it (the crowd-labelled
    keyphrases of news articles are mostly its frequent words), counting the
    forms of a word together (plan / plans, arrest / arrested: a Snowball
    stemmer), each use weighted by the word's length and by how rare it is in
    the language at large (`wordfreq`): "people", "show" or "report" are
    frequent in any article, so frequency alone would rank them first. Names
    of several words come from YAKE's candidates and from runs of capitalised
    words ("Moto E", "Game of Thrones"), and enter when the article uses them
    at least twice. Markup, page-furniture and stop-word fragments are
    dropped, case variants folded (WAGNER -> Wagner, RFD-TV kept) and a name
    merged with its longer form (Prigozhin / Yevgeny Prigozhin). The title is
    kept out of YAKE's input (its Title Case would make every word look like
    a name) and its words are counted once, like any other use. A failure of
    YAKE is added to `trouble` (the words are still counted).
    """
    if not text.strip():
        return []
    lang = lang.split("-")[0].lower() or "en"
    stop = stop_words(lang)
    unspaced = lang in UNSPACED
    if unspaced and lang not in CJK:
        return []  # Thai, Lao, Khmer, Burmese: no word list to cut their text into words
    candidates: list[tuple[str, float]] = []
    if not stop and not unspaced and trouble is not None:
        # "eng" for "en", say: YAKE reads it as it reads text of no known language
        trouble.append(
            f"language {lang!r} is not one digest knows (no stop-word list); "
            "keywords found without one"
        )
    # Without spaces YAKE takes a whole clause for a word; words are counted instead.
    if not unspaced:
        try:
            candidates = yake_candidates(yake_text(text), lang, max_words, limit * 3, backend)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # yake-rust panics surface as BaseException
            candidates = []  # yake fails on odd input; frequency alone still ranks words
            if trouble is not None:
                why = " ".join(str(error).split())[:160]  # a panic's message says why
                trouble.append(
                    f"keyword extraction (YAKE) failed ({type(error).__name__}: {why}); "
                    "keywords counted without it"
                )
    root_of = stemmer(lang)
    # a body that opens with its headline (many feeds do) has counted it already
    counted = f"{title}. {text}" if title and not _opens_with(text, title) else text
    if lang in CJK:
        counted = " ".join(cjk_words(counted, lang))
    elif lang in ELIDING:
        counted = drop_elisions(counted)
    stats = _word_tally(counted, root_of, stop, 2 if unspaced else 3)
    common = common_words(lang)
    labels = {root: _word_label(forms) for root, forms in stats.forms.items()}
    if lang == "ko":
        labels = {root: root for root in labels}  # the word without its particle
    weight = {root: n * _word_weight(labels[root], common) for root, n in stats.tally.items()}
    if lang == "en":
        _fold_demonyms(weight, labels)  # Russian -> Russia: an English word pattern
    top = max(weight.values(), default=1.0) or 1.0
    text_hay, counted_hay = _Haystack(text), _Haystack(counted)
    found: dict[str, _Scored] = {}
    # YAKE's multi-word candidates, then runs of capitals (YAKE skips one-letter
    # words, so never proposes "Moto E"); YAKE's single words add nothing that
    # counting does not (measured on kp_dev: its bonus lowered F1@10)
    phrases = [p for p, _ in candidates if " " in p.strip()]
    if not unspaced:
        phrases += _name_runs(text, max_words, stop)
    for phrase in phrases:
        label = _tidy_phrase(without_elision(phrase) if lang in ELIDING else phrase, stop)
        if label is None:
            continue
        key = " ".join(words(label))
        # The checks are pure, so the cheap ones go first: a phrase is searched
        # for in the text only when its answer can still change something.
        if " " not in key or key in found or not _is_name(label) or _cuts_a_name(label, text, stop):
            continue
        uses = _count_phrase(label, counted_hay)
        if uses < 2:
            continue
        per_use = NAME_WEIGHT * max(_word_weight(w, common) for w in label.split())
        found[key] = _Scored(_display_form(label, text, text_hay), key, uses * per_use / top)
    adverbs = _ADVERB_ENDINGS.get(lang, ())
    for root, w in weight.items():
        label = labels[root]
        key = label.lower()
        if key.endswith(adverbs) or root in stats.before_names or key in _WHEN_WORDS:
            continue
        if "-" in key and label.rpartition("-")[2].islower():
            continue  # "long-awaited", "Oscar-winning": modifiers, not subjects
        if key.endswith("n't"):
            continue
        if key not in found:
            found[key] = _Scored(label, key, w / top)
    merged = _merge_names(list(found.values()), text, text_hay)
    order = {k.key: stats.first.get(root_of(k.key.split()[0]), 0) for k in merged}
    ranked = sorted(merged, key=lambda k: (-k.score, order[k.key], k.key))[:limit]
    best = ranked[0].score if ranked else 1.0
    return [Keyword(k.label, k.key, round(k.score / best, 6)) for k in ranked]


# YAKE reads at most this much of an article (a long article's start is its news;
# yake-rust panics on some very long unbroken runs), and at most this many
# stops: yake-rust joins pieces of a sentence as segtok does, in time quadratic
# in them ("x. lower x. lower …": 4.3 s for 20,000 characters, 22 s for 50,000).
# The most of any labelled article is 409 (wikiref220).
YAKE_MAX_CHARS = 50_000
YAKE_MAX_STOPS = 1_000
_YAKE_STOP = re.compile(r"[.!?]['\u2019\"\u201d)\]]*\s")


def yake_text(text: str) -> str:
    """Text -> the opening YAKE reads: YAKE_MAX_CHARS characters, YAKE_MAX_STOPS stops."""
    text = text[:YAKE_MAX_CHARS]
    last = next(itertools.islice(_YAKE_STOP.finditer(text), YAKE_MAX_STOPS, None), None)
    return text if last is None else text[: last.start()]


# How a use of a word is weighted: (letters / 6) ** LENGTH_POWER, times a
# logistic of its Zipf frequency (log10 of uses per billion words, from
# wordfreq: "people" 6.2, "report" 5.3, "bankruptcy" 4.1) falling from 1 for
# rare words to COMMON_FLOOR for words above COMMON_ZIPF; a name's use counts
# NAME_WEIGHT times its rarest word's. Chosen on kp_dev from a grid (length
# power 0-1.5, floor 0.3-1, name weight 0.5-1): F1@10 0.2007 with these, 0.1996
# when each fifth is scored with the weights the other four chose (5-fold CV).
# Without the background model (floor 1): 0.1996 on kp_dev, but French 0.294 and
# Portuguese 0.239 against 0.306 and 0.272 (kp_multilingual_dev).
LENGTH_POWER = 1.0
COMMON_ZIPF = 5.5
COMMON_SLOPE = 4.0
COMMON_FLOOR = 0.3
NAME_WEIGHT = 0.5


def _word_weight(label: str, common: Mapping[str, float]) -> float:
    """A word -> how much each of its uses counts: longer and rarer words more."""
    zipf = common.get(label.lower(), 0.0)
    rarity = 1.0 / (1.0 + math.exp(COMMON_SLOPE * (zipf - COMMON_ZIPF)))
    return math.pow(len(label) / 6.0, LENGTH_POWER) * (COMMON_FLOOR + (1.0 - COMMON_FLOOR) * rarity)


def names_something(label: str, lang: str = "en") -> bool:
    """A keyword's label -> True when it names something a reader would look up: a
    phrase of several words, a name (capitalised) not among the language's most
    common words, or a lower-case word rare in the language ("bankruptcy", not
    "ahead")."""
    if " " in label.strip():
        return True
    lang = lang.split("-")[0].lower() or "en"
    if label.casefold() in when_words(lang):
        return False  # "December": when, not what
    zipf = common_words(lang).get(label.lower(), 0.0)
    # German capitalises every noun: a capital says nothing about a name there
    as_name = label[:1].isupper() and lang not in NOUNS_CAPITALISED
    return zipf < (NAME_PAGE_ZIPF if as_name else WORD_PAGE_ZIPF)


@functools.lru_cache(maxsize=64)
def when_words(lang: str) -> frozenset[str]:
    """A language code -> the words that date a report in it but never say what it is
    about, case-folded: the English weekdays, months and "yesterday", with the
    language's own month and weekday names from Babel's CLDR data (inside its
    wheel; an unknown code gets the English ones alone)."""
    found = set(_WHEN_WORDS | _MONTHS)
    from babel import Locale, UnknownLocaleError  # imported here: only page choices need it

    try:
        locale = Locale.parse(lang)
    except (ValueError, TypeError, UnknownLocaleError):
        return frozenset(found)
    for table in (locale.months, locale.days):
        for context in ("format", "stand-alone"):
            found.update(name.casefold() for name in table[context]["wide"].values())
    return frozenset(found)


# Languages that capitalise every noun.
NOUNS_CAPITALISED = frozenset({"de", "lb"})
_MONTHS = frozenset(
    "january february march april may june july august september october november december".split()
)
# Zipf frequencies below which a one-word name ("London" 5.3, not "Top" 5.6) and
# a lower-case word ("bankruptcy" 4.1, not "announced" 5.0) get a keyword page.
NAME_PAGE_ZIPF = 5.3
WORD_PAGE_ZIPF = 4.5


def _fold_demonyms(weight: dict[str, float], labels: Mapping[str, str]) -> None:
    """Count "Russian" as a use of "Russia" (also American, Syrian, Korean: a
    name and the same name plus "n"), in place: the article is about one place."""
    names = {label: root for root, label in labels.items() if label[:1].isupper()}
    for label, root in names.items():
        place = names.get(label[:-1]) if label.endswith("n") else None
        if place is not None and root in weight and place in weight:
            weight[place] += weight.pop(root)


def _opens_with(text: str, title: str) -> bool:
    """True when the text starts with the title's words."""
    head = words(title)
    return bool(head) and words(text[: len(title) + 20])[: len(head)] == head


# Lower-case words that may join the capitalised words of a name: "Game of
# Thrones", "Bank of England", "Banco do Brasil".
_NAME_JOINERS = frozenset("of the for de du des la le di da do dos das del van von der".split())
# Words a run of capitals does not start with ("In Paris"); "New" is a stop-word
# but starts names (New York).
_RUN_EDGES = (STOP_WORDS | _NAME_JOINERS) - {"new"}


@functools.lru_cache(maxsize=16)
def _run_edges(stop: frozenset[str]) -> frozenset[str]:
    """Stop-words of a language -> the words a run of capitals does not start with."""
    return _RUN_EDGES if stop is STOP_WORDS else frozenset(stop | _NAME_JOINERS)


# A capitalised word (Latin capitals: the regex engine has no Unicode "upper case",
# and YAKE proposes the names of other scripts), and runs of them with joiners.
_CAPITALISED = r"[A-ZÀ-ÖØ-Þ][\w'’-]*"
_NAME_RUN = re.compile(
    rf"(?<![\w'’-]){_CAPITALISED}(?:\s+(?:(?:{'|'.join(sorted(_NAME_JOINERS))})\s+)*{_CAPITALISED})+"
)


def _name_runs(text: str, max_words: int, stop: frozenset[str] = STOP_WORDS) -> list[str]:
    """Text -> its runs of 2 to `max_words` capitalised words ("Moto E", "Game
    of Thrones", "New York"), each once, in order of first use."""
    runs: dict[str, None] = {}
    edges = _run_edges(stop)
    for m in _NAME_RUN.finditer(text):
        run = m.group(0).split()
        # "In New York", "The Moto E": a run starts on a word of its own
        lo = 0
        while lo < len(run) and run[lo].lower() in edges:
            lo += 1
        if 2 <= len(run) - lo <= max_words:
            runs.setdefault(" ".join(run[lo:]))
    return list(runs)


class _Scored(NamedTuple):
    """A keyword candidate with its unscaled score (a tuple: there are a hundred
    or more per article, and only the best few become a `Keyword`)."""

    label: str
    key: str
    score: float


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


def _word_tally(
    text: str, root_of: Any = stem, stop: frozenset[str] = STOP_WORDS, shortest: int = 3
) -> _WordStats:
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
            counted = not (len(lower) < shortest or lower in stop or lower in _JUNK_WORDS)
            known = seen[token] = (word, root_of(lower) if counted else None)
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
            followed = next_letter.isupper() and tokens[i + 1][0].lower() not in stop
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
    if _shouted(best):
        for form in (best.capitalize(), best.lower()):
            if form in forms:
                return form
        return best.capitalize() if len(best) > 5 else best
    return best


# "reportedly", "allegedly": frequent in news, never what it is about.
# Their endings in the languages where an ending tells (French "-ment" also ends
# nouns: "gouvernement"). Portuguese adverbs in "-mente" took 0.004 off F1@10 on
# kp_multilingual_dev's Portuguese ("nomeadamente", "relativamente").
_ADVERB_ENDINGS = {
    "en": ("edly", "ally", "ently", "antly", "ously", "ively", "ately"),
    "pt": ("mente",),
    "es": ("mente",),
    "it": ("mente",),
    "gl": ("mente",),
}


def _phrase_pattern(label: str) -> str:
    return r"\b" + r"\s+".join(map(re.escape, label.split())) + r"\b"


def _tidy_phrase(phrase: str, stop: frozenset[str] = STOP_WORDS) -> str | None:
    tokens = phrase.strip(" \"'“”‘’()[]{}.,;:!?-").split()
    tokens = [t[:-2] if t.endswith(("'s", "’s")) else t.rstrip("'’") for t in tokens]
    if not tokens:
        return None
    lowered = [t.lower() for t in tokens]
    if any(t in _JUNK_WORDS or "/" in t or "=" in t or "<" in t or "." in t[1:-1] for t in lowered):
        return None
    if lowered[0] in stop or lowered[-1] in stop:
        return None
    if not _is_name(" ".join(tokens)) and any(t in stop for t in lowered[1:-1]):
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
    if not _shouted(word):
        return word
    for form in (word.capitalize(), word.lower()):
        if has_word(text, form):
            return form
    return word.capitalize() if len(word) > 5 else word


def _cuts_a_name(label: str, text: str, stop_set: frozenset[str] = STOP_WORDS) -> bool:
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
                return text[pos:stop].lower() not in stop_set
        i = text.find(parts[0], i + 1)
    return False


def _shouted(word: str) -> bool:
    """True for a word in capitals beyond a short acronym ("WAGNER"), not for one
    made of short acronyms ("NATO", "RFD-TV")."""
    return word.isupper() and any(len(part) > 4 for part in word.split("-"))


def _shouting(phrase: str) -> int:
    """How many words of a phrase are in capitals beyond a short acronym."""
    return sum(1 for w in phrase.split() if _shouted(w))


def _is_name(label: str) -> bool:
    """True when every word is capitalised, or joins capitalised words inside."""
    tokens = label.split()
    return (
        bool(tokens)
        and tokens[0][:1].isupper()
        and tokens[-1][:1].isupper()
        and all(t[:1].isupper() or t in _NAME_JOINERS for t in tokens[1:-1])
    )


def _merge_names(keywords: list[_Scored], text: str, hay: _Haystack | None = None) -> list[_Scored]:
    """Merge a one-word name with a longer name that starts or ends with it.

    The label kept is the short form when the text also uses it on its own
    ("Prigozhin"), else the long one ("New York", never "York"). A name's other
    end is absorbed too when it never stands alone ("Game" of "Game of Thrones").
    """
    hay = hay or _Haystack(text)
    by_key = {k.key: k for k in keywords}
    stands_for: dict[str, _Scored] = {}
    for kw in keywords:
        parts = kw.key.split()
        if len(parts) < 2 or not _is_name(kw.label):
            continue
        merged: _Scored | None = None
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
            if merged is None:
                keep = single if alone > 0 else kw
                merged = _Scored(keep.label, keep.key, single.score)
                stands_for[single.key] = stands_for[kw.key] = merged
            elif alone <= 0:
                stands_for[single.key] = merged
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
