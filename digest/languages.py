"""Text -> its language; a language -> its stop-words, stemmer and word splitting.

What analysis needs to treat an article in its own language: which language it is
in (when neither front matter nor `<html lang>` says), the function words that are
never keywords, the Snowball stemmer that folds a word's forms, and words for the
scripts written without spaces (Chinese, Japanese, Thai).
"""

from __future__ import annotations

import functools
import importlib.resources
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from digest.terms import STOP_WORDS, content_terms, stem, words

# ---------------------------------------------------------------------- detection

# A few frequent function words of each language whose keyword stemmer and
# background model we have; enough to tell a long article's language from its
# first paragraphs, faster than py3langid (0.3 ms against 5 ms an article).
_FUNCTION_WORDS = {
    "en": "the and of to is was that for with are this from have has were which",
    "fr": "le la les des est une dans pour qui sur pas avec sont du au aux cette",
    "pt": "os das dos uma não com para por mais foi são ao pelo pela também seu em às",
    "es": "el los las una por con para del está más fue son pero sus también muy",
    "de": "der die das und ist nicht mit sich auf für dem den ein eine wird auch",
    "it": "il della che per una sono del gli con non alla nel più anche delle questo",
    "nl": "het een van dat niet zijn met voor ook aan maar wordt bij naar deze",
    "id": "yang dan di dari untuk dengan pada ini itu dalam tidak akan oleh juga",
}
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {}
for _lang, _words in _FUNCTION_WORDS.items():
    for _word in _words.split():
        _LANGUAGES_OF[_word] = (*_LANGUAGES_OF.get(_word, ()), _lang)

# The languages py3langid chooses among: those whose words we know something of
# (wordfreq's frequency lists, YAKE's stop-word lists, Snowball stemmers). Left to
# its 97 languages it spreads a Spanish sentence over Spanish, Aragonese and
# Extremaduran, and calls English headlines Latin or Nigerian Pidgin.
DETECTED = (
    "ar bg bn br ca cs da de el en es et eu fa fi fr ga he hi hr hu hy id is it ja ko lt "
    "lv mk ms nl no pl pt ro ru sk sl sv ta th tr uk ur vi zh"
).split()
# How sure py3langid must be (its normalised probability among DETECTED) to
# overrule the default language when the function words do not decide. Measured
# on kp_multilingual_dev, 200 kp_dev and 200 multinews_dev texts (accuracy whole /
# their first 80 characters) and the 15,975 UCI headlines (English ones told
# otherwise): function words alone 0.983 / 0.773; py3langid alone, all its 97
# languages, 0.991 / 0.978 and 0.963 of 1,000 headlines ("Comcast defends Time
# Warner merger" is German to it); function words first, then py3langid among
# DETECTED when at least 0.5 sure: 0.998 / 0.994, 17 headlines ("Netflix raises
# prices": French, 0.59); 0.6: 0.998 / 0.996, 8; 0.7: 0.998 / 0.991, 3 (in Urdu,
# Spanish and Korean: right); 0.8: 0.998 / 0.981, 3. Every wrong headline split
# off its story (uci_week B-cubed F1 0.760 -> 0.759 at 0.5).
LANGID_CONFIDENCE = 0.7
# Characters of the text a language is told from.
DETECT_CHARS = 2000

_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_THAI = re.compile(r"[\u0e00-\u0e7f]")
_LETTER = re.compile(r"[^\W\d_]")
_SCRIPTS = re.compile("|".join(p.pattern for p in (_HANGUL, _KANA, _HAN, _THAI)))


def guess_language(text: str, default: str = "en") -> str:
    """An article's text -> its language (ISO 639-1): by script for Korean,
    Japanese, Chinese and Thai; by function words when they clearly point to
    one language; else by py3langid when it is fairly sure; else `default`."""
    head = text[:DETECT_CHARS]
    if _LETTER.search(head) is None:
        return default
    if _SCRIPTS.search(head) is not None:  # letters counted only when it can matter
        by_script = _script_language(head, len(_LETTER.findall(head)))
        if by_script is not None:
            return by_script
    hits = dict.fromkeys(_FUNCTION_WORDS, 0)
    for word in words(head):
        for lang in _LANGUAGES_OF.get(word, ()):
            hits[lang] += 1
    ranked = sorted(hits, key=lambda lang: (-hits[lang], lang != default, lang))
    best, second = ranked[0], ranked[1]
    if hits[best] >= 5 and hits[best] > 2 * hits[second]:
        return best
    lang, confidence = _identifier().classify(head)
    return str(lang) if float(confidence) >= LANGID_CONFIDENCE else default


def _script_language(head: str, letters: int) -> str | None:
    """The language a script gives away, when at least a third of the letters
    are in it (kana only in Japanese, Hangul only in Korean)."""
    if len(_HANGUL.findall(head)) * 3 >= letters:
        return "ko"
    kana = len(_KANA.findall(head))
    if kana * 10 >= letters and (kana + len(_HAN.findall(head))) * 3 >= letters:
        return "ja"
    if len(_HAN.findall(head)) * 3 >= letters:
        return "zh"
    if len(_THAI.findall(head)) * 3 >= letters:
        return "th"
    return None


@functools.cache
def _identifier() -> Any:
    """py3langid's classifier with normalised probabilities (loaded once a
    process, on first need: about 1.6 s)."""
    import py3langid.langid as langid  # type: ignore[import-untyped]

    identifier = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)
    identifier.set_languages([lang for lang in DETECTED if lang in identifier.nb_classes])
    return identifier


# ---------------------------------------------------------------------- word lists


@functools.lru_cache(maxsize=16)
def common_words(lang: str) -> Mapping[str, float]:
    """A language -> its common words with their Zipf frequency (wordfreq's small
    list: words used at least once per million; empty for a language it lacks)."""
    buckets = _small_list(lang)
    if buckets is None:  # not read here: as wordfreq reads it
        import wordfreq

        if lang not in wordfreq.available_languages("small"):
            return {}
        buckets = wordfreq.get_frequency_list(lang, "small")
    freqs = {}  # as wordfreq.get_frequency_dict: bucket n holds the words of -n centibels
    for index, bucket in enumerate(buckets):
        freq = 10 ** (-index / 100)
        for word in bucket:
            freqs[word] = freq
    return {w: round(math.log10(f) + 9.0, 3) for w, f in freqs.items() if f >= 1e-6}


def _small_list(lang: str) -> list[list[str]] | None:
    """wordfreq's small word list of a language, read from its data file without
    importing wordfreq (0.15-0.3 s, most of it langcodes and ftfy: paid by every
    build that renders, for one table) -> the words in buckets of frequency, or
    None when the file is not there or not in the format this reads (version 1
    of wordfreq's "cB" packing)."""
    import gzip
    import importlib.util

    import msgpack  # type: ignore[import-untyped]

    spec = importlib.util.find_spec("wordfreq")  # finds the package, runs none of it
    if not re.fullmatch(r"[a-z]{2,3}", lang) or spec is None:
        return None
    for folder in spec.submodule_search_locations or ():
        try:
            with gzip.open(f"{folder}/data/small_{lang}.msgpack.gz", "rb") as packed:
                data = msgpack.load(packed, raw=False)
        except (OSError, ValueError, msgpack.UnpackException):
            continue
        if (
            type(data) is list
            and data
            and data[0] == {"format": "cB", "version": 1}
            and all(type(b) is list and all(type(w) is str for w in b) for b in data[1:])
        ):
            return data[1:]
    return None


# Stop-word lists YAKE ships (its package data), by the file name it uses.
_YAKE_LIST_NAMES = {"cs": "cz", "nb": "no", "nn": "no"}


@functools.lru_cache(maxsize=32)
def stop_words(lang: str) -> frozenset[str]:
    """A language -> its stop-words: ours for English; YAKE's list for the 34
    languages it ships; else the 100 most frequent words of the language
    (wordfreq; empty for a language it lacks too)."""
    if lang == "en":
        return STOP_WORDS
    listed = _yake_list(_YAKE_LIST_NAMES.get(lang, lang))
    if listed:
        return listed
    import wordfreq

    if lang not in wordfreq.available_languages("small"):
        return frozenset()
    return frozenset(wordfreq.top_n_list(lang, 100, wordlist="small"))


def _yake_list(name: str) -> frozenset[str]:
    if not name.isalpha() or name == "noLang":
        return frozenset()
    path = importlib.resources.files("yake") / "core" / "StopwordsList" / f"stopwords_{name}.txt"
    try:
        raw = path.read_bytes()
    except (FileNotFoundError, OSError):
        return frozenset()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # two of YAKE's lists are not UTF-8
    return frozenset(w.strip().lower() for w in text.splitlines() if w.strip())


# ---------------------------------------------------------------------- stemming

# Snowball stemmers (ISO 639-1 -> snowballstemmer's name).
_SNOWBALL = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german",
    "el": "greek", "en": "english", "es": "spanish", "et": "estonian", "eu": "basque",
    "fa": "persian", "fi": "finnish", "fr": "french", "ga": "irish", "hi": "hindi",
    "hu": "hungarian", "hy": "armenian", "id": "indonesian", "it": "italian",
    "lt": "lithuanian", "nb": "norwegian", "ne": "nepali", "nl": "dutch", "nn": "norwegian",
    "no": "norwegian", "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian",
    "sr": "serbian", "sv": "swedish", "ta": "tamil", "tr": "turkish",
}  # fmt: skip


# Korean particles, longest first: "대통령이", "대통령은" and "대통령을" are one
# word (president) with a subject, topic or object marker.
_KOREAN_PARTICLES = tuple(
    sorted(
        (
            "에서는 으로는 에게서 에서 으로 에게 까지 부터 처럼 보다 "
            "은 는 이 가 을 를 에 의 로 와 과 도 만"
        ).split(),
        key=len,
        reverse=True,
    )
)


def _korean_stem(word: str) -> str:
    """A Korean word -> without its particle, when two syllables remain."""
    for particle in _KOREAN_PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= 2:
            return word[: -len(particle)]
    return word


@functools.lru_cache(maxsize=16)
def stemmer(lang: str) -> Callable[[str], str]:
    """A language -> its word -> stem function (Snowball; particles dropped in
    Korean; the light English plural stemmer for a language Snowball lacks)."""
    if lang == "ko":
        return _korean_stem
    name = _SNOWBALL.get(lang)
    if name is None:
        return stem
    import snowballstemmer  # type: ignore[import-untyped]

    try:
        word_stem: Callable[[str], str] = snowballstemmer.stemmer(name).stemWord
    except KeyError:  # an older snowballstemmer without this language
        return stem
    return functools.lru_cache(maxsize=100_000)(word_stem)


# ---------------------------------------------------------------------- elision

# An elided article or pronoun glued to the next word by an apostrophe: French
# "l'armée", "d'une", "qu'il", Italian "dell'anno", Catalan "l'any". Counted as
# part of the word, "l'avalanche" and "avalanche" would be two words, and "d'une"
# a keyword.
_ELIDED = re.compile(
    r"\b(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu|presqu|dell|dall|nell|sull|all|"
    r"quest|un)['’](?=[^\W\d_])",
    re.IGNORECASE,
)
# Languages that elide so (English "o'clock" and "O'Brien" stay whole).
ELIDING = frozenset({"fr", "it", "ca", "pt", "es", "oc", "wa", "lb"})


def drop_elisions(text: str) -> str:
    """Text -> the same with elided articles and pronouns removed ("l'armée" ->
    "armée"), for counting words, never for display."""
    return _ELIDED.sub("", text)


def without_elision(word: str) -> str:
    """A word -> the same without an elided article or pronoun before it."""
    m = _ELIDED.match(word)
    return word[m.end() :] if m else word


# ---------------------------------------------------------------------- scripts without spaces

# Languages written without spaces between words.
UNSPACED = frozenset({"zh", "ja", "th", "lo", "km", "my"})
# Runs of Han characters, of katakana (Japanese loanwords and names), and of other
# letters; hiragana (Japanese particles and endings) separate words.
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[\u30a0-\u30ff\u31f0-\u31ffー]+")
# The longest word looked up when cutting a run of Han characters into words.
_LONGEST_WORD = 4


def cjk_words(text: str, lang: str) -> list[str]:
    """Chinese or Japanese text -> words for counting, in order: runs of katakana
    whole, runs of Han characters cut into the longest words the language's
    frequency list knows (forward maximum matching), characters it does not know
    kept together (a name), single characters and stop-words left out."""
    vocabulary = common_words(lang)
    stops = stop_words(lang)
    out: list[str] = []
    for m in _CJK_RUN.finditer(text):
        run = m.group(0)
        if _KANA.match(run):
            if len(run) >= 2:
                out.append(run)  # a katakana word is whole however long
            continue
        i, unknown = 0, ""
        while i < len(run):
            for size in range(min(_LONGEST_WORD, len(run) - i), 1, -1):
                if run[i : i + size] in vocabulary:
                    break
            else:
                size = 1
            piece = run[i : i + size]
            i += size
            if size == 1 and piece not in stops:
                unknown += piece
                continue
            if len(unknown) >= 2:
                out.append(unknown)
            unknown = ""
            if size > 1 and piece not in stops:
                out.append(piece)
        if len(unknown) >= 2:
            out.append(unknown)
    return out


# Languages whose words `cjk_words` finds.
CJK = frozenset({"zh", "ja"})


def terms_of(text: str, lang: str) -> list[str]:
    """Text in a language -> its analysis terms (`terms.content_terms` with the
    language's stop-words and stemmer; English as it always was)."""
    if lang == "en":
        return content_terms(text)
    if lang in CJK:
        text = " ".join(cjk_words(text, lang))
    elif lang in ELIDING:
        text = drop_elisions(text)
    return content_terms(text, stop_words(lang), stemmer(lang))
