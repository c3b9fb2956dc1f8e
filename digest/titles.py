"""Headline text -> how clean it is, and its cleaned form (wire prefixes, site names).

Headlines arrive the way outlets and wires publish them: "UPDATE 1-BlackBerry
aims …", "PFIZER NEWS UPDATE - …", a feed's cut "Twitter introduces Mute...", a
page's <title> ending in "… | Newsweek". A story shows the cleanest of its
reports' headlines (`headline_penalty`), cleaned (`clean_headline`); a saved
page's own title loses its site name when loaded (`strip_site_name`).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

# Words that make an all-caps lead-in a wire slug ("UPDATE 2-", "RPT-",
# "US STOCKS-", "PFIZER NEWS UPDATE - "), not the headline's subject
# ("AT&T-DirecTV deal", "NASA-UCI study", "MERS-stricken hospital").
WIRE_WORDS = frozenset(
    {
        "ALERT", "ANALYSIS", "BREAKING", "BRIEF", "BRIEFS", "BUZZ", "COLUMN", "COPY",
        "CORRECTED", "CORRECTING", "CORRECTION", "DIGEST", "EDITORIAL", "EXCLUSIVE",
        "FACTBOX", "FEATURE", "FLASH", "FOREX", "HIGHLIGHTS", "INSIGHT", "INTERVIEW",
        "MARKETS", "METALS", "NEWS", "OPINION", "PRECIOUS", "PREVIEW", "REFILE", "REPEAT",
        "RPT", "SNAPSHOT", "STOCKS", "TIMELINE", "UPDATE", "UPDATES", "URGENT", "VIDEO",
        "WRAP", "WRAPUP",
    }
)  # fmt: skip
# Up to five all-caps words or numbers, then a dash or colon: a candidate wire slug.
_LEAD_IN = re.compile(
    r"(?P<slug>(?:[A-Z][A-Z0-9&/.']*|\d+)(?: (?:[A-Z][A-Z0-9&/.']*|\d+)){0,4})"
    r" ?(?:-{1,2}|–|—|:) ?(?=\S)"
)
# A title's last (or first) part after " | ", " - ", " – ", " — ", " · ", " :: ".
_SEPARATOR = re.compile(r"\s+(?:\||-|–|—|·|•|::)\s+")
_TRUNCATED = re.compile(r"\s*(?:\.\.\.|…)$")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def wire_prefix_end(title: str) -> int:
    """Where a title's wire slugs end ("CORRECTED-UPDATE 1-Fed …" -> the index of
    "Fed"), or 0 when it has none."""
    end = 0
    while (match := _LEAD_IN.match(title, end)) is not None:
        words = set(match.group("slug").split())
        rest = title[match.end() :]
        if not words & WIRE_WORDS or not any(c.islower() for c in rest):
            break  # not a slug, or an all-caps headline that happens to hold one
        end = match.end()
    return end


def is_truncated(title: str) -> bool:
    """True for a headline cut short by its feed ("Twitter introduces Mute...")."""
    return _TRUNCATED.search(title) is not None


def is_all_caps(title: str) -> bool:
    """True for a headline set in capitals (a few lower-case letters allowed: "iPHONE")."""
    upper = sum(c.isupper() for c in title)
    lower = sum(c.islower() for c in title)
    return upper >= 8 and lower * 10 < upper


def _compact(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NON_ALNUM.sub("", ascii_text.lower())


@functools.lru_cache(maxsize=4096)
def _name_forms(name: str) -> frozenset[str]:
    """An outlet name or host -> the compact forms a title might show it in:
    "www.theguardian.com" -> {"theguardiancom", "theguardian"}."""
    forms = {_compact(name)}
    labels = [part for part in name.lower().split(".") if part]
    if len(labels) > 1 and " " not in name:  # a host name
        labels = labels[1:] if labels[0] == "www" else labels
        # the registered name: "bbc" of bbc.co.uk, "ndtv" of gadgets.ndtv.com
        core = [p for p in labels if p not in _HOST_PARTS]
        forms.update(_compact(p) for p in core)
        forms.add(_compact("".join(core)))
    return frozenset(f for f in forms if len(f) >= 3)


# Host labels that never name an outlet on their own.
_HOST_PARTS = frozenset(
    {"com", "co", "org", "net", "uk", "us", "au", "ca", "in", "de", "fr", "news", "www", "m",
     "amp", "edition", "mobile", "online", "info", "tv", "gov", "ac", "nz", "ie", "io"}
)  # fmt: skip


def names_site(part: str, names: Iterable[str], *, loose: bool = True) -> bool:
    """True when a title part ("BBC News", "Newsweek") is one of the outlet names
    or hosts given, or starts with one ("BBC News" for bbc.co.uk); if `loose`,
    also when it is the start of one ("Reuters" of "Reuters UK")."""
    text = _compact(part)
    if len(text) < 3 or len(part.split()) > 5:
        return False
    for name in names:
        for form in _name_forms(name):
            if text.startswith(form) or (loose and form.startswith(text)):
                return True
    return False


def strip_site_name(title: str, names: Iterable[str]) -> str:
    """A title -> the same without a leading or trailing part that names the site
    ("Mars rover lands | Newsweek" -> "Mars rover lands"); a title whose parts name
    no outlet given ("Apple - the review") is left as it is."""
    known = [n for n in names if n]
    if not known:
        return title
    for _ in range(2):  # "Title - Section - Site": the site, then maybe the section
        seps = list(_SEPARATOR.finditer(title))
        if not seps:
            break
        last, first = seps[-1], seps[0]
        if names_site(title[last.end() :], known) and _enough(title[: last.start()]):
            title = title[: last.start()]
        # a headline's first words name its subject more often than its site
        # ("Tesla - the car …" on Tesla Motors Club): only a whole name counts there
        elif names_site(title[: first.start()], known, loose=False) and _enough(
            title[first.end() :]
        ):
            title = title[first.end() :]
        else:
            break
    return title


def _enough(text: str) -> bool:
    """Whether what is left once a site name is cut still reads as a headline."""
    return len(text.split()) >= 2


def clean_headline(title: str, names: Iterable[str] = ()) -> str:
    """A headline -> without wire slugs or a part naming the site (one of `names`),
    and with a cut end shown as one "…"."""
    title = title[wire_prefix_end(title) :]
    title = strip_site_name(title, names)
    if is_truncated(title):
        title = _TRUNCATED.sub("…", title)
    return title


def headline_penalty(title: str, names: Iterable[str] = ()) -> int:
    """A headline -> how far it is from a clean one (0: clean): cut short, in
    capitals, naming its site, under a wire slug, too short or too long."""
    penalty = 0
    if is_truncated(title):
        penalty += 4  # words are missing: the worst a headline can be
    if is_all_caps(title):
        penalty += 3
    if strip_site_name(title, names) != title:
        penalty += 2
    if wire_prefix_end(title):
        penalty += 1  # stripped when shown, but a headline written without one is better
    words = len(title.split())
    if words < 4 or words > 25:
        penalty += 1
    return penalty
