"""The site's own words in the digest's language: `language` -> gettext
translations, dates and numbers formatted for the locale (Babel).

Catalogs are `digest/locale/<lang>/LC_MESSAGES/digest.po`, compiled in memory
when a build first needs them (no .mo files to keep in step, nothing to
download). A language without a catalog falls back to English, the msgids.

Catalog upkeep (extraction, merging, checking) is in `digest.catalogs`.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import io
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "digest"
DEFAULT = "en"


def _(message: str) -> str:
    """Marks a string for extraction; it is translated where it is used."""
    return message


# Date patterns (CLDR syntax) are themselves messages, so each catalog says how
# its language writes a day and a month; English keeps "24 Jun 2023".
# TRANSLATORS: a CLDR date pattern for a day: d = day, MMM = short month, MMMM = month, y = year
DAY_PATTERN = _("d MMM y")
# TRANSLATORS: a CLDR date pattern for a month heading: LLLL = month name (standalone), y = year
MONTH_PATTERN = _("MMMM y")


def available() -> list[str]:
    """Languages with a catalog, sorted."""
    return sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def catalog_language(language: str) -> str:
    """A `language` setting ("pt-BR", "fr", "xx") -> the catalog used ("pt", "fr", "en")."""
    tag = language.replace("_", "-").lower()
    shipped = available()
    if tag in shipped:
        return tag
    base = tag.split("-")[0]
    return base if base in shipped else DEFAULT


@functools.lru_cache(maxsize=16)
def translations(language: str) -> gettext.NullTranslations:
    """A `language` setting -> its gettext translations (the catalog compiled in memory)."""
    lang = catalog_language(language)
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@functools.lru_cache(maxsize=16)
def babel_locale(language: str) -> Locale:
    """A `language` setting -> the Babel locale of its catalog."""
    return Locale.parse(catalog_language(language))


def format_day(day: dt.date, language: str) -> str:
    """A date -> "24 Jun 2023" / "24 juin 2023" (the catalog's day pattern)."""
    pattern = translations(language).gettext(DAY_PATTERN)
    return format_date(day, pattern, locale=babel_locale(language))


def format_month(day: dt.date, language: str) -> str:
    """A date -> "June 2023" / "juin 2023" (the catalog's month pattern)."""
    pattern = translations(language).gettext(MONTH_PATTERN)
    return format_date(day, pattern, locale=babel_locale(language))


def decimal_separator(language: str) -> str:
    """The locale's decimal separator: "." in English, "," in French."""
    return str(babel_locale(language).number_symbols["latn"]["decimal"])
