"""A cleaned document -> an `Article`: title, sentences, lead, keywords, terms.

Keywords come from `digest.keywords`; this module assembles the rest.
"""

from __future__ import annotations

import re
from collections import Counter

from digest.clean import analysis_text
from digest.config import Config
from digest.keywords import extract_keywords, has_word
from digest.languages import guess_language, terms_of
from digest.models import Article, Document, Problem
from digest.terms import count_words, split_sentences, word_shingles, words

_DATELINE = re.compile(
    r"^(?:[A-Z][A-Z.'-]+(?: [A-Z][A-Z.'-]+){0,3})(?:, [A-Z][a-z]+(?: [A-Z][a-z]+)?)?"
    r"(?:, [A-Z][a-z]+\.? \d{1,2})?"
    r"(?: \((?:AP|AFP|Reuters|UPI|dpa|CNN|[A-Z]{2,8})\))? ?[-–—:] "
)
_QUOTE_OPEN = tuple("\"“‘'")


def extract_article(doc: Document, config: Config, article_id: str) -> Article:
    """A cleaned document and its id -> the analysed `Article`."""
    sentences: list[str] = []
    for block in doc.blocks:
        if block.kind == "h":
            continue
        for piece in block.texts():
            sentences.extend(split_sentences(piece))
    lead = lead_sentences(sentences, config.lead_sentences)
    derived = not (doc.meta.title or doc.headline)
    title = doc.meta.title or doc.headline or title_from_lead(lead or sentences)
    joined = " ".join(sentences)
    title = fix_shouting(title, joined)
    # Sentences end with a stop so that no keyphrase runs from one into the next
    # (list items and headings often have none).
    body = analysis_text(" ".join(s if s[-1:] in ".!?\"'”’" else s + "." for s in sentences))
    default = language_of(config.language) or "en"
    lang = language_of(doc.meta.lang) or guess_language(body or title, default)
    trouble: list[str] = []
    # Word-level analysis reads the opening of a very long text (ANALYSED_CHARS).
    opening = _opening(body, ANALYSED_CHARS)
    keywords = extract_keywords(
        opening or analysis_text(title),  # a headline-only article: its title is its text
        config.keywords_per_article,
        config.keyword_max_words,
        lang,
        title="" if derived else analysis_text(title),
        backend=config.keyword_backend,
        trouble=trouble,
    )
    counts = Counter(terms_of(opening if derived else f"{title}. {opening}", lang))
    shown = analysis_text(joined)
    body_words = words(_opening(shown, ANALYSED_CHARS))  # shingled and counted: tokenised once
    word_count = len(body_words) if len(shown) <= ANALYSED_CHARS else count_words(shown)
    terms = tuple(sorted(counts))
    return Article(
        id=article_id,
        path=doc.path,
        title=title,
        title_derived=derived,
        meta=doc.meta,
        blocks=doc.blocks,
        sentences=tuple(sentences),
        lead=tuple(lead),
        keywords=tuple(keywords),
        terms=terms,
        term_counts=tuple(counts[t] for t in terms),
        shingles=word_shingles(body_words),
        word_count=word_count,
        problems=(*doc.problems, *(Problem(doc.path, reason) for reason in trouble)),
        lang=lang,
    )


# Keywords, terms and shingles come from at most this much of an article's text
# (about 15,000 words, longer than the longest report of every labelled set:
# 58,000 characters). Labelling keywords searches the text once per candidate
# name, and a longer text has more candidates, so that work grew with the square
# of its length (a 2 MB paragraph took minutes); terms and shingles grow with it.
# The opening of a text that long says what it is about as well as the whole.
ANALYSED_CHARS = 100_000


def _opening(text: str, limit: int) -> str:
    """Text -> at most its first `limit` characters, cut after a whole word."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit + 1)
    return text[: cut if cut > limit // 2 else limit]


def language_of(tag: str | None) -> str | None:
    """A language tag from front matter or `<html lang>` ("pt-BR", "FR") -> its
    ISO 639 code ("pt", "fr"), or None when there is none worth the name."""
    code = (tag or "").strip().replace("_", "-").split("-")[0].lower()
    return code if 2 <= len(code) <= 3 and code.isascii() and code.isalpha() else None


# ---------------------------------------------------------------------- lead


def lead_sentences(sentences: list[str], limit: int, max_words: int = 70) -> list[str]:
    """Body sentences -> the first few that carry news: no datelines, questions,
    opening quotes or fragments."""
    lead: list[str] = []
    total = 0
    for sentence in sentences[:40]:
        text = _DATELINE.sub("", sentence).strip()
        n = len(text.split())
        if n < 6 or text.endswith("?") or text.startswith(_QUOTE_OPEN) or text.endswith(":"):
            continue
        if lead and total + n > max_words:
            break
        lead.append(text)
        total += n
        if len(lead) >= limit:
            break
    return lead


def title_from_lead(sentences: list[str] | tuple[str, ...], limit: int = 110) -> str:
    """A title for an article with none: its first sentence, cut at a clause or word."""
    if not sentences:
        return "Untitled article"
    first = sentences[0].rstrip(" .")
    if len(first) <= limit:
        return first
    cut = first[:limit]
    clause = max(cut.rfind(", "), cut.rfind("; "), cut.rfind(" – "), cut.rfind(" — "))
    if clause >= limit * 0.7:
        return cut[:clause]
    space = cut.rfind(" ")
    return (cut[:space] if space > 30 else cut).rstrip(",;:") + "…"


def fix_shouting(title: str, text: str) -> str:
    """Tabloid capitals at the start of a title ("WAGNER coup leader…") -> the
    form the article itself uses elsewhere ("Wagner")."""
    first, _, rest = title.partition(" ")
    if len(first) > 3 and first.isupper() and rest and not rest.split()[0].isupper():
        normal = first.capitalize()
        if has_word(text, normal):
            return f"{normal} {rest}"
    return title
