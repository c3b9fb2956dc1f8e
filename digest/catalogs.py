"""Message catalogs upkeep: templates/ and digest/ -> digest/locale/digest.pot ->
every digest/locale/<lang>/LC_MESSAGES/digest.po.

    python -m digest.catalogs update   # re-extract, merge new strings into each catalog
    python -m digest.catalogs check    # list strings a catalog lacks or leaves untranslated
    python -m digest.catalogs add LANG # start a catalog for a new language

The plural rule of each catalog is gettext's classic one for the language
(two forms for en, fr, de, es, pt), kept in the catalog's header.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from digest.i18n import DEFAULT, DOMAIN, LOCALE_DIR, available

ROOT = Path(__file__).parent.parent
TEMPLATES = ROOT / "templates"
CODE = ROOT / "digest"
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}
# gettext's classic rules: CLDR's newer ones give French, Spanish and Portuguese a
# third form for millions, which no page here needs and every translator would leave empty
PLURALS = {
    "de": (2, "(n != 1)"),
    "en": (2, "(n != 1)"),
    "es": (2, "(n != 1)"),
    "fr": (2, "(n > 1)"),
    "pt": (2, "(n > 1)"),
}


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    """Every message in templates/*.html and digest/*.py -> a catalog template."""
    catalog = Catalog(project="digest", domain=DOMAIN, charset="utf-8")
    sources = [
        (TEMPLATES, [("**.html", "jinja2")], {"**.html": {"extensions": "jinja2.ext.i18n"}}),
        (CODE, [("**.py", "python")], {}),
    ]
    for folder, method_map, options_map in sources:
        found = extract_from_dir(
            str(folder),
            method_map,
            options_map,
            keywords=KEYWORDS,
            comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True,
        )
        for filename, lineno, message, comments, context in found:
            where = f"{folder.name}/{filename}"
            catalog.add(message, None, [(where, lineno)], auto_comments=comments, context=context)
    return catalog


def _read(lang: str) -> Catalog:
    with catalog_path(lang).open("rb") as handle:
        return read_po(handle, locale=lang, domain=DOMAIN)


def _write(path: Path, catalog: Catalog) -> None:
    catalog.fuzzy = False
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=True, no_location=True)
    text = buffer.getvalue().decode("utf-8")
    # the creation date Babel writes would change the files on every run
    lines = [line for line in text.splitlines(True) if not line.startswith('"POT-Creation-Date')]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines), encoding="utf-8")


def _new_catalog(lang: str) -> Catalog:
    catalog = Catalog(
        locale=lang,
        domain=DOMAIN,
        project="digest",
        version="",
        copyright_holder="The digest developers",
        last_translator="The digest developers",
        language_team="",
        charset="utf-8",
    )
    if lang in PLURALS:
        number, rule = PLURALS[lang]
        # Babel writes these into the catalog's Plural-Forms header
        catalog._num_plurals = number  # type: ignore[assignment]
        catalog._plural_expr = rule  # type: ignore[assignment]
    return catalog


def update() -> None:
    """Re-extract digest.pot and merge it into every catalog (new strings untranslated,
    strings no template or module uses any more dropped)."""
    template = extract()
    _write(TEMPLATE, template)
    for lang in available():
        catalog = _read(lang)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        _write(catalog_path(lang), catalog)


def add(lang: str) -> Path:
    """Start an untranslated catalog for `lang` from the current messages."""
    path = catalog_path(lang)
    if path.exists():
        raise SystemExit(f"{path} exists already")
    catalog = _new_catalog(lang)
    catalog.update(extract(), no_fuzzy_matching=True)
    _write(path, catalog)
    return path


def missing(lang: str) -> list[str]:
    """Messages of the templates and code that a catalog lacks or (but English)
    leaves untranslated."""
    catalog = _read(lang)
    out = []
    for message in extract():
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        found = catalog.get(message.id)
        if found is None or (
            lang != DEFAULT
            and (
                found.fuzzy
                or not found.string
                or (not isinstance(found.string, str) and not all(found.string))
            )
        ):
            out.append(key)
    return sorted(out)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m digest.catalogs update|check|add LANG`."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["update"]:
        update()
        print(f"updated {TEMPLATE.relative_to(ROOT)} and {', '.join(available())}")
        return 0
    if args == ["check"]:
        bad = [(lang, key) for lang in available() for key in missing(lang)]
        for lang, key in bad:
            print(f"{lang}: untranslated: {key!r}")
        return 1 if bad else 0
    if len(args) == 2 and args[0] == "add":
        print(f"created {add(args[1]).relative_to(ROOT)}: translate it, then build")
        return 0
    print("usage: python -m digest.catalogs update | check | add LANG", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
