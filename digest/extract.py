"""A cleaned document -> an `Article`: title, sentences, lead, keywords, terms.

The only module that imports yake; everything else sees our `Keyword`.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from digest.clean import analysis_text
from digest.config import Config
from digest.models import Article, Document, Keyword
from digest.terms import STOP_WORDS, content_terms, shingles, split_sentences, stem, words

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
    title = fix_shouting(title, " ".join(sentences))
    # Sentences end with a stop so that no keyphrase runs from one into the next
    # (list items and headings often have none).
    body = analysis_text(" ".join(s if s[-1:] in ".!?\"'”’" else s + "." for s in sentences))
    keywords = extract_keywords(
        body or analysis_text(title),  # a headline-only article: its title is its text
        config.keywords_per_article,
        config.keyword_max_words,
        doc.meta.lang or "en",
        title="" if derived else analysis_text(title),
        backend=config.keyword_backend,
    )
    counts = Counter(content_terms(body if derived else f"{title}. {body}"))
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
        terms=tuple(sorted(counts.items())),
        shingles=shingles(analysis_text(" ".join(sentences))),
        word_count=len(words(analysis_text(" ".join(sentences)))),
        problems=doc.problems,
    )


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
        if re.search(rf"\b{re.escape(normal)}\b", text):
            return f"{normal} {rest}"
    return title


# ---------------------------------------------------------------------- keywords

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
        tally[root] += TITLE_WEIGHT - 1  # a headline word counts as TITLE_WEIGHT uses
    top = max(tally.values(), default=1)
    yake_bonus: dict[str, float] = {}
    found: dict[str, Keyword] = {}
    for phrase, yake_score in candidates:
        label = _tidy_phrase(str(phrase))
        if label is None or _cuts_a_name(label, text):
            continue
        key = " ".join(words(label))
        bonus = YAKE_WEIGHT / (1.0 + float(yake_score) * YAKE_SCALE)
        if " " not in key:
            yake_bonus.setdefault(stem(key), bonus)
            continue
        uses = len(re.findall(_phrase_pattern(label), counted, re.IGNORECASE))
        if key in found or not _is_name(label) or uses < 2:
            continue
        found[key] = Keyword(_display_form(label, text), key, uses / top + bonus)
    for root, count in tally.items():
        label = _word_label(stats.forms[root])
        key = label.lower()
        if _ADVERB.search(key) or root in stats.before_names:
            continue
        if key not in found:
            found[key] = Keyword(label, key, count / top + yake_bonus.get(root, 0.0))
    merged = _merge_names(list(found.values()), text)
    order = {k.key: first.get(stem(k.key.split()[0]), 0) for k in merged}
    ranked = sorted(merged, key=lambda k: (-k.score, order[k.key], k.key))[:limit]
    return [Keyword(k.label, k.key, round(k.score / (1 + YAKE_WEIGHT), 6)) for k in ranked]


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


@dataclass
class _WordStats:
    tally: Counter[str]  # uses of each stemmed content word
    forms: dict[str, Counter[str]]  # its surface forms
    first: dict[str, int]  # position of its first use
    before_names: set[str]  # names only ever used just before another name


def _word_tally(text: str) -> _WordStats:
    """Text -> counts, forms and positions of its content words, in one pass."""
    stats = _WordStats(Counter(), {}, {}, set())
    tokens = list(_TALLY_WORD.finditer(text))
    alone: set[str] = set()  # names seen at least once not followed by a name
    for i, match in enumerate(tokens):
        word = match.group(0)
        if word.endswith(("'s", "’s")):
            word = word[:-2]
        lower = word.lower()
        if len(lower) < 3 or lower in STOP_WORDS or lower in _JUNK_WORDS:
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


def _word_label(forms: Counter[str]) -> str:
    """Surface forms of one word -> its label: the commonest form, lower case on a
    tie (a noun is capitalised at a sentence start), capitals only for acronyms."""
    ranked = sorted(
        forms.items(), key=lambda kv: (_shouting(kv[0]), -kv[1], not kv[0].islower(), kv[0])
    )
    best = ranked[0][0]
    if len(best) > 4 and best.isupper():
        for form in (best.capitalize(), best.lower()):
            if form in forms:
                return form
        return best.capitalize() if len(best) > 5 else best
    return best


# "reportedly", "allegedly": frequent in news, never what it is about.
_ADVERB = re.compile(r"(?:edly|ally|ently|antly|ously|ively|ately)$")


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


def _display_form(label: str, text: str) -> str:
    """The case variant of a phrase that the text uses most, avoiding ALL CAPS."""
    pattern = re.compile(r"\b" + r"\s+".join(map(re.escape, label.split())) + r"\b", re.I)
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
        if re.search(rf"\b{re.escape(form)}\b", text):
            return form
    return word.capitalize() if len(word) > 5 else word


def _cuts_a_name(label: str, text: str) -> bool:
    """True when the phrase stops inside a name: "Wagner chief Yevgeny" (Prigozhin)."""
    if not label.split()[-1][:1].isupper():
        return False
    pattern = r"\b" + r"\s+".join(map(re.escape, label.split())) + r"\s+([A-Z][\w'-]*)"
    follower = re.search(pattern, text)
    return follower is not None and follower.group(1).lower() not in STOP_WORDS


def _shouting(phrase: str) -> int:
    """How many words of a phrase are in capitals beyond a short acronym."""
    return sum(1 for w in phrase.split() if len(w) > 4 and w.isupper())


def _is_name(label: str) -> bool:
    return all(t[:1].isupper() for t in label.split())


def _merge_names(keywords: list[Keyword], text: str) -> list[Keyword]:
    """Merge a one-word name with a longer name that starts or ends with it.

    The label kept is the short form when the text also uses it on its own
    ("Prigozhin"), else the long one ("New York", never "York").
    """
    singles = {k.key: k for k in keywords if " " not in k.key and _is_name(k.label)}
    stands_for: dict[str, Keyword] = {}
    for kw in keywords:
        parts = kw.key.split()
        if len(parts) < 2 or not _is_name(kw.label):
            continue
        for part in (parts[-1], parts[0]):
            single = singles.get(part)
            if single is None or single.key in stands_for:
                continue
            alone = len(re.findall(rf"\b{re.escape(single.label)}\b", text)) - len(
                re.findall(re.escape(kw.label), text, flags=re.IGNORECASE)
            )
            keep = single if alone > 0 else kw
            merged = Keyword(keep.label, keep.key, min(kw.score, single.score))
            stands_for[single.key] = stands_for[kw.key] = merged
            break
    out: dict[str, Keyword] = {}
    for kw in keywords:
        merged = stands_for.get(kw.key, kw)
        out.setdefault(merged.key, merged)
    return list(out.values())
