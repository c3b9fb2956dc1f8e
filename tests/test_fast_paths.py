"""The fast paths of loading, cleaning and keyword labelling give exactly what the
plain code they stand in for gives: the regex built per phrase, the Markdown
converter, ftfy, the per-character filters, the JSON encoder of digest.json.
Each is compared with that code (kept here as the reference) on generated text
full of the cases it must get right: odd whitespace, the letters IGNORECASE
folds specially, markup characters.
"""

from __future__ import annotations

import html
import json
import re
import string
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Any

import ftfy
import lxml.html
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from digest import clean, feeds, keywords
from digest.keywords import (
    _CASE_TRAPS,
    _count_phrase,
    _cuts_a_name,
    _display_form,
    _Haystack,
    _phrase_pattern,
    _phrase_spans,
    _word_label,
    _word_tally,
    has_word,
)
from digest.load import markdown
from digest.load.html import html_blocks
from digest.models import Article, Block, Meta
from digest.terms import STOP_WORDS, content_terms, shingles, stem, word_shingles, words

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Letters IGNORECASE matches across scripts (İ ı ſ and the Kelvin sign), cased
# and uncased letters, word and non-word punctuation, every kind of space. Mostly
# ASCII words, which take the fast paths; the others send them to the regex.
ASCII_LETTERS = [*"aAiIsSkKeE_1"]
LETTERS = [*ASCII_LETTERS, "é", "\u0130", "\u0131", "\u017f", "\u212a", "Σ", "ς", "ß", "日", "½"]
JOINERS = [*" -'.,’", "  ", "\t", "\n", "\u00a0", "\u2003", "\u200b", "\x0b", ""]
ASCII_WORD = st.lists(st.sampled_from(ASCII_LETTERS), min_size=1, max_size=4).map("".join)
ANY_WORD = st.lists(st.sampled_from(LETTERS), min_size=1, max_size=4).map("".join)
WORD = st.one_of(ASCII_WORD, ASCII_WORD, ASCII_WORD, ANY_WORD)
TEXT = st.lists(st.one_of(WORD, st.sampled_from(JOINERS)), max_size=40).map("".join)
PHRASE = st.lists(WORD, min_size=1, max_size=3).map(" ".join)


def text_with(phrase: str, data: st.DataObject) -> str:
    """Generated text that also holds the phrase a few times, in varied case."""
    parts = data.draw(st.lists(st.one_of(TEXT, st.just(phrase)), max_size=6))
    cased = [data.draw(st.sampled_from([p, p.upper(), p.lower(), p.title()])) for p in parts]
    joiner: str = data.draw(st.sampled_from(JOINERS))
    return joiner.join(cased)


# ------------------------------------------------------------------ phrase search


@SETTINGS
@given(PHRASE, st.data())
def test_phrase_search_matches_the_regex(phrase: str, data: st.DataObject) -> None:
    text = text_with(phrase, data)
    words_ = phrase.split()
    pattern = _phrase_pattern(phrase)
    expected = [m.span() for m in re.finditer(pattern, text)]
    assert list(_phrase_spans(text, text, words_)) == expected
    assert _count_phrase(phrase, _Haystack(text)) == len(re.findall(pattern, text, re.I))
    assert has_word(text, words_[0]) == bool(re.search(rf"\b{re.escape(words_[0])}\b", text))


def reference_cuts_a_name(label: str, text: str) -> bool:
    if not label.split()[-1][:1].isupper():
        return False
    pattern = r"\b" + r"\s+".join(map(re.escape, label.split())) + r"\s+([A-Z][\w'-]*)"
    follower = re.search(pattern, text)
    return follower is not None and follower.group(1).lower() not in STOP_WORDS


def reference_shouted(word: str) -> bool:
    """Capitals beyond a short acronym; a compound of short acronyms ("RFD-TV") is none."""
    return word.isupper() and max(len(part) for part in word.split("-")) > 4


def reference_unshout(word: str, text: str) -> str:
    if not reference_shouted(word):
        return word
    for form in (word.capitalize(), word.lower()):
        if re.search(rf"\b{re.escape(form)}\b", text):
            return form
    return word.capitalize() if len(word) > 5 else word


def reference_display_form(label: str, text: str) -> str:
    pattern = re.compile(r"\b" + r"\s+".join(map(re.escape, label.split())) + r"\b", re.I)
    variants = Counter(" ".join(m.group(0).split()) for m in pattern.finditer(text))
    if not variants:
        return label
    ranked = sorted(
        variants.items(),
        key=lambda kv: (keywords._shouting(kv[0]), -kv[1], kv[0].islower() is False, kv[0]),
    )
    return " ".join(reference_unshout(word, text) for word in ranked[0][0].split())


@SETTINGS
@given(PHRASE, st.data(), st.sampled_from(["The", "Prigozhin", "Kelvin", "and"]))
def test_name_checks_match_the_regex(phrase: str, data: st.DataObject, after: str) -> None:
    check_name_helpers(phrase, text_with(f"{phrase} {after}", data))


def test_name_checks_on_shouted_names() -> None:
    check_name_helpers("WAGNER chief", "WAGNER chief Yevgeny. Wagner chief said. WAGNER CHIEF")
    check_name_helpers("Kelvin Smith", "a \u212aelvin Smith and KELVIN SMITH Jones, Kelvin Smith")
    check_name_helpers("Yevgeny", "Yevgeny. Yevgeny, said Yevgeny\u00a0 Prigozhin")
    check_name_helpers("Yevgeny", "Yevgeny. Yevgeny\tThe Yevgeny Prigozhin")
    check_name_helpers("Wagner Chief", "Wagner Chief_ Wagner Chief1 Wagner  Chief\nYevgeny")
    check_name_helpers("RFD-TV", "RFD-TV said. Rfd-tv RFD-TV-LONGER and WAGNER-LED")
    check_name_helpers("WAGNER-LED forces", "WAGNER-LED forces, Wagner-led forces")


def check_name_helpers(phrase: str, text: str) -> None:
    assert _cuts_a_name(phrase, text) == reference_cuts_a_name(phrase, text)
    assert _display_form(phrase, text) == reference_display_form(phrase, text)
    for word in phrase.split():
        assert keywords._unshout(word, text) == reference_unshout(word, text)


def test_case_traps_are_all_the_letters_ignorecase_folds_onto_ascii() -> None:
    """The lower-cased copy stands in for IGNORECASE only for text without these."""
    everything = "".join(map(chr, range(0x80, sys.maxunicode + 1)))
    folded = {
        c
        for letter in string.ascii_letters
        for c in re.findall(re.escape(letter), everything, re.IGNORECASE)
    }
    longer = {c for c in everything if len(c.lower()) != 1}
    assert folded | longer == set(_CASE_TRAPS.findall(everything))


# ------------------------------------------------------------------ word tally


@dataclass
class _ReferenceStats:
    tally: Counter[str]
    forms: dict[str, Counter[str]]
    first: dict[str, int]
    before_names: set[str]


def reference_word_tally(text: str) -> _ReferenceStats:
    """The word tally as first written: one regex match at a time."""
    stats = _ReferenceStats(Counter(), {}, {}, set())
    tokens = list(keywords._TALLY_WORD.finditer(text))
    alone: set[str] = set()
    for i, match in enumerate(tokens):
        word = match.group(0)
        if word.endswith(("'s", "’s")):
            word = word[:-2]
        lower = word.lower()
        if len(lower) < 3 or lower in STOP_WORDS or lower in keywords._JUNK_WORDS:
            continue
        root = stem(lower)
        stats.tally[root] += 1
        stats.forms.setdefault(root, Counter())[word] += 1
        stats.first.setdefault(root, i)
        if word[0].isupper():
            after = tokens[i + 1] if i + 1 < len(tokens) else None
            followed = (
                after is not None
                and after.group(0)[0].isupper()
                and not text[match.end() : after.start()].strip()
                and after.group(0).lower() not in STOP_WORDS
            )
            if followed and root not in alone:
                stats.before_names.add(root)
            elif not followed:
                alone.add(root)
                stats.before_names.discard(root)
    return stats


NAMES = st.sampled_from(["Yevgeny", "Prigozhin's", "The", "Wagner", "wagner", "WAGNER", "said"])


@SETTINGS
@given(st.lists(st.one_of(TEXT, NAMES, st.sampled_from(JOINERS)), max_size=30).map("".join))
def test_word_tally_matches_the_reference(text: str) -> None:
    got, want = _word_tally(text), reference_word_tally(text)
    assert list(got.tally.items()) == list(want.tally.items())
    assert got.forms == want.forms and got.first == want.first
    assert got.before_names == want.before_names
    for root, forms in want.forms.items():
        assert _word_label(got.forms[root]) == reference_word_label(forms)


def reference_word_label(forms: Counter[str]) -> str:
    ranked = sorted(
        forms.items(),
        key=lambda kv: (keywords._shouting(kv[0]), -kv[1], not kv[0].islower(), kv[0]),
    )
    best = ranked[0][0]
    if reference_shouted(best):
        for form in (best.capitalize(), best.lower()):
            if form in forms:
                return form
        return best.capitalize() if len(best) > 5 else best
    return best


@SETTINGS
@given(TEXT)
def test_terms_match_the_reference(text: str) -> None:
    expected = [
        stem(w)
        for w in words(text)
        if len(w) > 1 and w not in STOP_WORDS and not w.replace("-", "").isdigit()
    ]
    assert content_terms(text) == expected
    assert words(text) == [
        m.group(0)[:-2] if m.group(0).endswith("'s") else m.group(0)
        for m in re.finditer(r"[^\W_]+(?:[-'][^\W_]+)*", text.lower())
    ]
    assert word_shingles(words(text)) == shingles(text)


# ------------------------------------------------------------------ cleaning


def test_unseen_characters_are_all_unprintable() -> None:
    """repair_text deletes them only from text that is not printable."""
    assert not any(chr(c).isprintable() for c in clean._UNSEEN)
    controls = {c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cc"}
    assert controls - {ord("\n"), ord("\t")} == set(clean._CONTROLS)


@SETTINGS
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=200))
@example("&amp; &#39; \\x1b[31m don't -- 1/2 ... <b>A</b>  ")
def test_ftfy_leaves_printable_ascii_alone(text: str) -> None:
    assert (
        ftfy.fix_text(text, unescape_html=False, normalization="NFC", uncurl_quotes=False) == text
    )


def reference_repair_text(text: str) -> str:
    text = ftfy.fix_text(text, unescape_html=False, normalization="NFC", uncurl_quotes=False)
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = clean._TAG.sub(" ", text)
    text = clean._LOST_APOSTROPHE.sub("\u2019", text)
    text = text.replace("\ufffd", "")
    text = text.translate(clean._INVISIBLE)
    text = "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")
    return clean._SPACES.sub(" ", text).strip()


FURNITURE = [
    "Image copyright AFP Image caption ",
    "Advertisement Continue reading the main story ",
    "Media playback is unsupported on your device ",
    "Story highlights ",
    "Close ",
    "CLOSE",
    "comment policy",
    "Log in to comment",
    "x@example.com",
    "/ Getty",
    "via Reuters",
]
DIRTY = st.lists(
    st.one_of(
        TEXT,
        st.sampled_from(FURNITURE),
        st.sampled_from(["\ufffd", "don\ufffdt", "\x00", "\x85", "\u202e", "&amp;", "<b>", "Â£"]),
    ),
    max_size=12,
).map("".join)


@SETTINGS
@given(DIRTY)
def test_cleaning_matches_the_reference(text: str) -> None:
    assert clean.repair_text(text) == reference_repair_text(text)
    assert clean.strip_furniture(text) == clean._INLINE_FURNITURE.sub("", text).strip()
    n_words = len(text.split())
    expected = bool(
        clean._PROMO.match(text)
        or clean._COMMENT_CHATTER.search(text)
        or (clean._CREDIT.search(text) and n_words <= 14)
        or clean._SOCIAL.match(text)
        or (clean._EMAIL.search(text) and n_words <= 30)
    )
    assert clean.is_boilerplate(text) == expected
    expected_text = unicodedata.normalize("NFKC", text).translate(clean._PLAIN)
    assert clean.analysis_text(text) == expected_text


# ------------------------------------------------------------------ Markdown


def converted_blocks(text: str) -> list[Block]:
    """Markdown -> blocks the slow way: converted to HTML and read back."""
    converted = markdown._markdown_to_html(text)
    if not converted:
        return []
    parser = lxml.html.HTMLParser()
    fragment = lxml.html.fragment_fromstring(converted, create_parent="div", parser=parser)
    return html_blocks(fragment)[0]


# Paragraphs of plain text (words, spaces, punctuation Markdown leaves alone), and
# ones with lines that start with or hold something it reads as markup.
PLAIN = st.sampled_from(["Word", "word", " ", " ", " ", *".,;:'\"()!?%$£/@-+=#&1"])
WORDS = st.lists(PLAIN, min_size=1, max_size=8).map(lambda pieces: "".join(pieces).strip())
LINE_START = st.sampled_from(["1986. ", "1. ", "2) ", "- ", "+ ", "* ", "# ", "> ", ": ", "    "])
MARKUP = st.sampled_from(["&amp;", "&x;", "*a*", "_a_", "`a`", "[a](b)", "<b>", "  ", "==", "---"])
ODD = st.sampled_from([*"&*_[]{}<>|~^\\`\t\r", "\u2028", "\x02", "\x00", "\u00a0", "\ufeff"])
ODD_LINE = st.tuples(
    st.just("") | LINE_START | ODD,
    WORDS | st.tuples(WORDS, MARKUP | ODD, WORDS).map("".join),
    st.sampled_from(["", " ", "  "]),  # trailing spaces: "  " is a line break
).map("".join)
BREAKS = st.sampled_from(["\n", "\n\n", "\n\n\n"])
MARKDOWNISH = st.lists(st.tuples(WORDS | WORDS | ODD_LINE, BREAKS), max_size=6).map(
    lambda lines: "".join(line + end for line, end in lines)
)


@settings(SETTINGS, max_examples=600)
@given(MARKDOWNISH)
@example("Text & more.\n\nAT&T said: (yes) 100% - or not!\n\n\n1986 was a year.")
@example("A line  \nbroken.")
@example("    code\nand text")
@example("Fish &amp; chips &x; &#39;")
@example("A quote\n> here")
def test_plain_paragraphs_are_what_markdown_gives(text: str) -> None:
    blocks = markdown.plain_paragraphs(text)
    if blocks is not None:
        assert blocks == converted_blocks(text)


def test_plain_paragraphs_leave_markup_to_markdown() -> None:
    for text in ["*a*", "a  \nb", "1. a", "- a", "    code", "a\n===", "a &amp; b", "[a](b)"]:
        assert markdown.plain_paragraphs(text) is None, text
    assert markdown.plain_paragraphs("A & B.\n\n\nC") == [Block("p", "A & B."), Block("p", "C")]


def test_markdown_converter_is_reused_and_dropped_after_a_failure() -> None:
    first = markdown._markdown_to_html("*a*")
    converter = markdown._MARKDOWN.converter
    assert markdown._markdown_to_html("*a*") == first and markdown._MARKDOWN.converter is converter
    deep = "> " * 2000 + "a"
    try:
        markdown._markdown_to_html(deep)
    except RecursionError:
        assert markdown._MARKDOWN.converter is None
    assert markdown._markdown_to_html("- a\n- b") == "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"


# ------------------------------------------------------------------ keyword mentions


def mentions_reference(texts: list[str], keys: list[str]) -> dict[str, int]:
    """A report mentions a key where r"\\bword\\W+word\\b" finds it in its lower-cased
    title and sentences: one search per key and report."""
    out = {}
    for key in dict.fromkeys(keys):
        pattern = re.compile(r"\b" + r"\W+".join(map(re.escape, key.split())) + r"\b")
        out[key] = sum(1 for text in texts if pattern.search(text))
    return out


SPECIAL_KEYS = ["line-up", "o'brien", "u.s.", "--", "a_b", "", " ", "ß straße", "a s"]
KEY = st.one_of(PHRASE.map(str.lower), st.sampled_from(SPECIAL_KEYS))
# texts made of the same pieces as the keys, so their words meet in every way
PIECES = ["u", "s", "u.s.", "line", "up", "-", "o", "brien", "'", "a", "b", "_", "ß", "straße"]
REPORT_TEXT = st.lists(
    st.one_of(WORD, st.sampled_from(JOINERS), st.sampled_from(PIECES)), max_size=40
).map("".join)


@SETTINGS
@given(
    st.lists(st.tuples(REPORT_TEXT, st.lists(REPORT_TEXT, max_size=3)), min_size=1, max_size=4),
    st.lists(KEY, max_size=8),
)
def test_count_mentions_matches_one_search_per_key(
    reports: list[tuple[str, list[str]]], keys: list[str]
) -> None:
    from digest.terms import count_mentions

    empty: dict[str, Any] = {
        "blocks": (),
        "lead": (),
        "keywords": (),
        "terms": (),
        "term_counts": (),
    }
    articles = [
        Article(
            id=f"a{n}",
            path=f"a{n}.md",
            title=title,
            title_derived=False,
            meta=Meta(),
            sentences=tuple(sentences),
            shingles=b"",
            word_count=0,
            **empty,
        )
        for n, (title, sentences) in enumerate(reports)
    ]
    texts = [" ".join([a.title, *a.sentences]).lower() for a in articles]
    assert count_mentions(articles, keys) == mentions_reference(texts, keys)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from('"\\\n\t\x00/é')),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=6) | st.integers(), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example({"articles": [], "stories": [{"id": "a", "keywords": ["x"], "topic": None}]})
@example({1: "key not a string"})
@given(JSON_VALUES)
def test_indented_json_is_json_dumps(value: Any) -> None:
    """digest.json and feed.json's encoder gives json.dumps(indent=1)'s bytes."""
    assert feeds.indented_json(value) == json.dumps(value, ensure_ascii=False, indent=1)
