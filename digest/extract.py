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
from digest.terms import split_sentences, word_shingles, words

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
    keywords = extract_keywords(
        body or analysis_text(title),  # a headline-only article: its title is its text
        config.keywords_per_article,
        config.keyword_max_words,
        lang,
        title="" if derived else analysis_text(title),
        backend=config.keyword_backend,
        trouble=trouble,
    )
    counts = Counter(terms_of(body if derived else f"{title}. {body}", lang))
    body_words = words(analysis_text(joined))  # shingled and counted: tokenised once
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
        word_count=len(body_words),
        problems=(*doc.problems, *(Problem(doc.path, reason) for reason in trouble)),
        lang=lang,
    )


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
