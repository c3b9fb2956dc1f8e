"""Raw blocks -> the story's own text: boilerplate out, encoding repaired. Pure."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import replace

from digest.models import Block, Document, Problem

# Characters that change how text displays without being text: zero-width
# marks and bidirectional overrides (used to disguise words and file names).
_INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u200b\u200c\u200d\u2060\ufeff\u00ad\u202a\u202b\u202c\u202d\u202e"
        "\u2066\u2067\u2068\u2069",
    ),
    None,
)
# Control characters (category Cc: U+0000–U+001F and U+007F–U+009F, a set
# Unicode never changes) but tab and newline; deleted together with the
# invisible ones in one pass.
_CONTROLS = {
    c: None for c in range(0x100) if unicodedata.category(chr(c)) == "Cc" and chr(c) not in "\n\t"
}
_UNSEEN = _INVISIBLE | _CONTROLS
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
# U+FFFD where an apostrophe was lost ("Putin\ufffds", "don\ufffdt")
_LOST_APOSTROPHE = re.compile(r"(?<=\w)\ufffd(?=(?:s|t|re|ve|ll|d|m)\b)")


# Page furniture that pasted text carries inside a paragraph, where line rules
# can't see it: BBC-style picture credits, "continue reading" breaks, embeds.
_INLINE_FURNITURE = re.compile(
    r"\bimage copyright\b.{0,80}?\bimage caption\b\s*"
    r"|\b(?:photo\s+)?advertisement\s+continue reading the main story\b\s*"
    r"|\bcontinue reading the main story\b\s*"
    r"|\bmedia playback is (?:unsupported|not supported) on your device\b\s*"
    r"|^(?:story highlights|close)\b\s+",
    re.IGNORECASE,
)


# Each alternative of _INLINE_FURNITURE holds one of these phrases, or starts the
# text with one of the openers: ASCII text without any is left as it is.
_FURNITURE_PHRASES = ("image copyright", "continue reading the main story", "media playback is")
_FURNITURE_OPENERS = ("story highlights", "close")


def strip_furniture(text: str) -> str:
    """Remove page furniture embedded in a paragraph of pasted text."""
    if text.isascii():  # in ASCII, lower() finds just what IGNORECASE matches
        lowered = text.lower()
        if not (
            any(phrase in lowered for phrase in _FURNITURE_PHRASES)
            or lowered.startswith(_FURNITURE_OPENERS)
        ):
            return text.strip()  # the search of the whole pattern finds nothing
    return _INLINE_FURNITURE.sub("", text).strip()


def repair_text(text: str) -> str:
    """Fix mojibake, entities, stray markup and odd spacing in one piece of text."""
    # uncurl_quotes=False: ftfy straightens every curly quote by default, which
    # turned the repaired "theâ€™s" into "the's" and every correct “quote” in the
    # display text into '"' (analysis_text plainifies quotes where that matters).
    # Printable ASCII is left as it is by every ftfy fix (no mojibake, controls,
    # ligatures, wide forms or line separators), and is most text: skip the call.
    if not (text.isascii() and text.isprintable()):
        import ftfy  # here: summaries import this module, and only the analysis repairs

        text = ftfy.fix_text(text, unescape_html=False, normalization="NFC", uncurl_quotes=False)
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "\ufffd" in text:
        text = _LOST_APOSTROPHE.sub("\u2019", text)
        text = text.replace("\ufffd", "")
    printable = text.isprintable()  # False for every invisible, control or space but " "
    if not printable:
        text = text.translate(_UNSEEN)
    if not printable or "  " in text:  # else only single " " spaces, which stay
        text = _SPACES.sub(" ", text)
    return text.strip()


def analysis_text(text: str) -> str:
    """Display text -> the normalised copy used for analysis (NFKC, plain quotes/dashes)."""
    if text.isascii():
        return text  # already NFKC, and no curly quote or dash to plain
    text = unicodedata.normalize("NFKC", text)
    return text.translate(_PLAIN)


_PLAIN = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)

# ---------------------------------------------------------------------- boilerplate

_PROMO_PHRASES = [
    r"follow (?:the|our) (?:latest|live)(?: news| updates| coverage| blog)?(?: here| live)?",
    r"(?:most read|trending|popular|top stories|latest news|more stories|recommended)"
    r"(?: (?:in|on|from) [\w&' .-]{1,40})?",
    r"read (?:more|next|also)\b.{0,120}",
    r"(?:click|tap) here\b.{0,120}",
    r"(?:sign up|subscribe|register)\b.{0,40}\b(?:newsletter|updates|alerts|email|free)\b.{0,80}",
    r"(?:share|email|print) this (?:article|story|page)",
    r"advertisement|sponsored(?: content)?|skip advert(?:isement)?|continue reading(?: below)?",
    r"listen to (?:this|the) (?:article|story)\b.{0,40}",
    r"related(?: articles| stories| coverage| content| reading)?:.{0,120}",
    r"related (?:articles|stories|coverage|content|reading)",
    r"watch(?: live)?:.{0,120}",
    r"(?:image|photo|picture|video) (?:source|caption|credit):?.{0,200}",
    r"©.{0,120}|copyright (?:©|\(c\)|\d{4}).{0,120}",
    r"all rights reserved\.?",
]
_PROMO = re.compile(r"^(?:" + "|".join(_PROMO_PHRASES) + r")[.!:]?$", re.IGNORECASE)
# A promo that starts a paragraph without punctuation after it ("Follow the
# latest news here The chief of …"), as HTML fragments often come.
_PROMO_PREFIX = re.compile(
    r"^follow (?:the|our) (?:latest|live) (?:news|updates|coverage)(?: here)?[.:!]?\s+"
    r"(?-i:(?=[A-Z\"“]))",
    re.IGNORECASE,
)
_AGENCIES = (
    r"AFP|AP|Reuters|Getty(?: Images)?|EPA(?:-EFE)?|PA(?: Wire| Media)?|Shutterstock|Alamy|"
    r"Bloomberg|Sputnik|TASS|Anadolu(?: Agency)?|SOPA Images|LightRocket|NurPhoto|ZUMA(?: Wire)?|"
    r"Xinhua|Rex Features|WireImage|Pool|Handout"
)
_CREDIT = re.compile(
    rf"(?:^(?:photo|photograph|picture|image|credit|pictured)s?(?: by)?:)|"
    rf"(?:/\s*(?:{_AGENCIES})\b)|(?:\bvia (?:{_AGENCIES})\b)|"
    rf"(?:^\(?(?:{_AGENCIES})(?: photo)?\)?$)",
    re.IGNORECASE,
)
# Local part bounded at 64 characters (RFC 5321): unbounded, a long run of
# "a.b.a.b…" with no "@" took time quadratic in its length.
_EMAIL = re.compile(r"\b[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b", re.IGNORECASE)
# "Follow Kurt Zindulka on Twitter: or e-mail to: …", "Like us on Facebook". After
# the platform only a handle, "or/and …" or the end may follow, so that news which
# goes on ("Like many Russians on Telegram, supporters shared …") is not a plug.
# A "." counts as a sentence end only before a space (not in "x@breitbart.com").
_NO_STOP = r"(?:[^.!?]|\.(?=\S))"
_SOCIAL_PLUG = (
    r"(?:follow|find|like|join) (?:[\w@'-]+(?:\.[\w@'-]+)* ){0,4}(?:on|at) "
    r"(?:twitter|x|facebook|instagram|threads|tiktok|linkedin|bluesky|mastodon|telegram|"
    rf"youtube)\b\S*(?:\s*@\w+)?(?:\s*(?:or|and)\b{_NO_STOP}*)?"
)
# "Email the author at jane@example.com", "Contact Jane Roe: jane@example.com"
_EMAIL_PLUG = (
    rf"(?:follow|contact|e-?mail|reach|write to)\b{_NO_STOP}{{0,120}}?"
    r"[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b"
)
_SOCIAL = re.compile(rf"^{_SOCIAL_PLUG}[.!]?$", re.IGNORECASE)
_COMMENTS_START = re.compile(
    r"^(?:\d+ )?(?:comments?|show comments|view comments|leave a comment|join the "
    r"(?:conversation|discussion)|discussion|reader comments|have your say|"
    r"comments? \(\d+\))[.:!]?$",
    re.IGNORECASE,
)
_COMMENT_CHATTER = re.compile(
    r"(?:having (?:issues|trouble|problems) with comment|comment(?:s|ing)? (?:policy|guidelines)|"
    r"log ?in to comment|sign in to comment|be the first to comment)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?\"”’)]$")


def is_boilerplate(text: str) -> bool:
    """True for a line that is not part of the story: promos, credits, plugs."""
    # Cheap tests first, each needed by the search after it: every alternative of
    # _COMMENT_CHATTER holds "comment" (no letter of which IGNORECASE matches to a
    # non-ASCII one), an e-mail address an "@"; most paragraphs are long.
    if _PROMO.match(text) or ("comment" in text.lower() and _COMMENT_CHATTER.search(text)):
        return True
    n_words = len(text.split())
    if n_words <= 14 and _CREDIT.search(text):
        return True
    if _SOCIAL.match(text):
        return True
    return "@" in text and n_words <= 30 and bool(_EMAIL.search(text))


# A run of more letters and digits than this, with no space or punctuation, is no
# word in any language: base64, hex dumps, minified code, a pasted data: URL. One
# of ~100 KB made yake-rust's tokenizer panic (a PanicException, which ended the
# whole build) and keyword look-ups take time quadratic in a word's length, so
# such runs are cut out, with a problem saying so. The look-behind lets a match
# start only where a run starts, which keeps the search linear.
MAX_WORD_CHARS = 1000
_ENDLESS_WORD = re.compile(rf"(?<!\w)\w{{{MAX_WORD_CHARS + 1},}}")


def clean_document(doc: Document) -> Document:
    """A loaded document -> the same document with only the story's text left."""
    repaired: list[Block] = []
    cut = 0

    def repair(text: str) -> str:
        nonlocal cut
        text, n = _ENDLESS_WORD.subn(" ", repair_text(text))
        cut += n
        return text.strip() if n else text

    for block in doc.blocks:
        if block.kind in ("ul", "ol"):
            items = tuple(t for t in (repair(i) for i in block.items) if t)
            if items:
                repaired.append(Block(block.kind, items=items))
        else:
            text = repair(block.text)
            if text:
                repaired.append(Block(block.kind, text))
    problems = doc.problems
    if cut:
        problems += (
            Problem(
                doc.path,
                f"{cut} run(s) of over {MAX_WORD_CHARS:,} letters without a space removed "
                "(encoded data, not text)",
            ),
        )
    kept: list[Block] = []
    for i, block in enumerate(repaired):
        if block.kind in ("ul", "ol"):
            items = tuple(t for t in block.items if not is_boilerplate(t))
            if items:
                kept.append(Block(block.kind, items=items))
            continue
        text = strip_furniture(_PROMO_PREFIX.sub("", block.text))
        if _COMMENTS_START.match(text):
            break  # the comment section: nothing after it is the story
        # Cut a trailing plug before judging the rest: a short paragraph that ends
        # in "… Email the author at x@y.com" is still news, and the e-mail rule of
        # is_boilerplate would have dropped all of it.
        text = _drop_plug_sentences(text)
        if not text or is_boilerplate(text):
            continue
        next_text = repaired[i + 1].text if i + 1 < len(repaired) else ""
        if _is_caption(text, next_text):
            continue
        kept.append(Block(block.kind, text))
    meta = doc.meta
    if meta.title:
        meta = replace(meta, title=repair_text(meta.title))
    if meta.author:
        meta = replace(meta, author=repair_text(meta.author))
    if meta.source:
        meta = replace(meta, source=repair_text(meta.source))
    headline = None
    if kept and kept[0].kind == "h" and not meta.title:
        headline = kept.pop(0).text
    return replace(doc, meta=meta, blocks=tuple(kept), headline=headline, problems=problems)


def _is_caption(text: str, next_text: str) -> bool:
    """A photo caption: the line just above a credit, unless it ends a sentence
    (captions pasted from a page are often cut off mid-word)."""
    if not next_text or len(next_text.split()) > 14 or not _CREDIT.search(next_text):
        return False
    return not _SENTENCE_END.search(text) or len(text.split()) <= 30


# The plug must be the whole last sentence: the old pattern also took news such as
# "Contact with the convoy was lost, the ministry said on Twitter." and missed
# plugs whose e-mail address holds a dot.
_PLUG_SENTENCE = re.compile(
    rf"(?:^|(?<=[.!?]\s))(?:{_SOCIAL_PLUG}|{_EMAIL_PLUG})[.!]?\s*$", re.IGNORECASE
)


def _drop_plug_sentences(text: str) -> str:
    """Remove an author or social plug that trails a paragraph."""
    return _PLUG_SENTENCE.sub("", text).strip()
