"""The site in the digest's language: every UI word from a catalog (Babel, Jinja's
i18n extension), dates and plurals for the locale, English for other languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from digest import catalogs, i18n
from digest.render import hours_text, nice_date
from tests.conftest import Builder, parse_html

SHIPPED = ("en", "fr", "de", "es", "pt")

# Two stories of two reports each (one of them dated 24 June 2023), a report with
# no outlet and no date, and a report alone: plurals one and many, "source unknown",
# "date unknown", French dates. Article text is French whatever the site's language.
ARTICLES = {
    "greve-1.md": (
        "Grève des cheminots : la circulation des trains perturbée",
        "Le Monde",
        "2023-06-24T07:22:00Z",
        "La grève des cheminots perturbe fortement la circulation des trains dans tout le "
        "pays. Les syndicats réclament une hausse des salaires et de meilleures conditions "
        "de travail pour les conducteurs. La direction de la compagnie ferroviaire propose "
        "une négociation dès lundi, mais les cheminots maintiennent leur mouvement.",
    ),
    "greve-2.md": (
        "Les cheminots en grève pour les salaires, trains supprimés",
        "Libération",
        "2023-06-24T09:10:00Z",
        "Des milliers de trains sont supprimés par la grève des cheminots. Les syndicats de "
        "cheminots exigent une hausse des salaires et dénoncent les conditions de travail des "
        "conducteurs. La compagnie ferroviaire appelle à la négociation avec les syndicats.",
    ),
    "vendanges-1.md": (
        "Vendanges précoces dans le Bordelais après la canicule",
        "Sud Ouest",
        "2023-08-20",
        "Les vignerons du Bordelais commencent les vendanges avec deux semaines d'avance. "
        "La canicule de l'été a mûri les raisins très vite. Les viticulteurs craignent une "
        "récolte plus faible mais saluent la qualité des raisins cette année.",
    ),
    "vendanges-2.md": (
        "Canicule : les vignerons du Bordelais avancent les vendanges",
        None,
        None,
        "Dans le Bordelais, la canicule pousse les vignerons à avancer les vendanges. Les "
        "raisins ont mûri très vite pendant l'été et les viticulteurs redoutent une récolte "
        "plus faible, malgré la belle qualité des raisins.",
    ),
    "musee.md": (
        "Le musée du Louvre prolonge ses horaires d'ouverture",
        "Le Parisien",
        "2023-07-02",
        "Le musée du Louvre ouvrira ses portes plus tard le soir pendant tout le mois. La "
        "direction du musée veut accueillir davantage de visiteurs et réduire l'attente "
        "devant la pyramide.",
    ),
}

# English words that are also the product's name or a format's name
NAMES = {"digest", "atom", "json", "markdown", "html", "javascript", "cosine"}


def write_content(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, (title, source, date, body) in ARTICLES.items():
        head = [f"title: {title!r}", "lang: fr"]
        if source:
            head.append(f"source: {source}")
        if date:
            head.append(f"date: {date!r}")
            head.append(f"url: https://example.org/{name[:-3]}")
        (folder / name).write_text("---\n" + "\n".join(head) + "\n---\n\n" + body + "\n")
    return folder


def words_of(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[^\W\d_]+", text)}


def catalog(lang: str) -> object:
    with catalogs.catalog_path(lang).open("rb") as handle:
        return read_po(handle, locale=lang, domain=i18n.DOMAIN)


def message_texts(lang: str, translated: bool) -> list[str]:
    out = []
    for message in catalog(lang):  # type: ignore[attr-defined]
        if not message.id:
            continue
        value = message.string if translated else message.id
        out.extend([value] if isinstance(value, str) else list(value))
    return out


def strip_format(text: str) -> str:
    text = re.sub(r"%\(\w+\)[sd]", " ", text)
    return re.sub(r"<[^>]+>", " ", text)


def english_ui_words(lang: str) -> set[str]:
    """Words of the English catalog's msgids that the other language's catalog and
    the article content never use (those could be there rightly)."""
    english = set().union(*(words_of(strip_format(t)) for t in message_texts("en", False)))
    theirs = set().union(*(words_of(strip_format(t)) for t in message_texts(lang, True)))
    content = set().union(*(words_of(" ".join(filter(None, a))) for a in ARTICLES.values()))
    return {w for w in english - theirs - content - NAMES if len(w) >= 3}


def visible_text(page: Path) -> str:
    """What a reader sees or hears of a page: text outside script and style, and
    the aria-label, title, placeholder and alt attributes."""
    tree = parse_html(page)
    for bad in tree.xpath("//script|//style"):
        bad.drop_tree()
    parts = [tree.text_content()]
    for attr in ("aria-label", "title", "placeholder", "alt"):
        parts.extend(tree.xpath(f"//@{attr}"))
    return " ".join(parts)


def build(build_site: Builder, tmp_path: Path, language: str, search: bool = False) -> Path:
    content = write_content(tmp_path / "content")
    _, _, site = build_site(content, language=language, archive_threshold=0, search=search)
    return site


def story_pages(site: Path) -> list[Path]:
    return sorted(p for p in (site / "stories").glob("*.html"))


@pytest.mark.parametrize(
    "language, top, summary, day",
    [
        ("fr", "À la une", "Résumé", "24 juin 2023"),
        ("de", "Topmeldungen", "Zusammenfassung", "24. Juni 2023"),
        ("es", "Noticias destacadas", "Resumen", "24 de junio de 2023"),
        ("pt-BR", "Destaques", "Resumo", "24 de junho de 2023"),
    ],
)
def test_a_digest_in_another_language_has_no_english_ui_words(
    build_site: Builder, tmp_path: Path, language: str, top: str, summary: str, day: str
) -> None:
    site = build(build_site, tmp_path, language, search=language == "fr")
    english = english_ui_words(i18n.catalog_language(language))
    # the list is long enough to mean something
    assert {"summary", "stories", "keywords", "coverage", "unknown", "top"} <= english
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 10
    found = {}
    for page in pages:
        if page.parts[-2] == "pagefind":
            continue
        leaks = words_of(visible_text(page)) & english
        if leaks:
            found[page.relative_to(site).as_posix()] = sorted(leaks)
    assert found == {}
    index = visible_text(site / "index.html")
    assert top in index
    texts = [visible_text(p) for p in story_pages(site)]
    assert any(summary in t for t in texts)
    assert any(day in t for t in texts), f"no {day!r} on a story page"
    assert f'<html lang="{language}">' in (site / "index.html").read_text()


def test_the_same_scan_finds_english_words_in_an_english_digest(
    build_site: Builder, tmp_path: Path
) -> None:
    site = build(build_site, tmp_path, "en")
    english = english_ui_words("fr")
    seen = set().union(*(words_of(visible_text(p)) for p in site.rglob("*.html")))
    assert {"summary", "stories", "keywords", "coverage", "unknown", "top"} <= seen & english
    assert "24 Jun 2023" in " ".join(visible_text(p) for p in story_pages(site))


def test_french_plurals_dates_and_feeds(build_site: Builder, tmp_path: Path) -> None:
    site = build(build_site, tmp_path, "fr")
    index = " ".join(visible_text(site / "index.html").split())
    assert "2 sources" in index
    assert "1 source" in index and "1 sources" not in index
    assert "3 sujets" in index or "2 sujets" in index
    texts = " ".join(" ".join(visible_text(p).split()) for p in site.rglob("*.html"))
    assert "source inconnue" in texts.lower()
    assert "date inconnue" in texts
    assert "juin 2023" in visible_text(site / "archive" / "index.html")
    assert "sources\u00a0:" in (site / "feed.xml").read_text()  # French puts a space before ":"
    assert "Every report" not in " ".join(p.read_text() for p in site.rglob("*.xml"))


def test_an_unknown_language_falls_back_to_english(build_site: Builder, tmp_path: Path) -> None:
    site = build(build_site, tmp_path, "nl")
    html = (site / "index.html").read_text()
    assert '<html lang="nl">' in html
    assert "Top stories" in html
    assert "24 Jun 2023" in " ".join(visible_text(p) for p in story_pages(site))


@pytest.mark.parametrize(
    "setting, used",
    [("fr", "fr"), ("pt-BR", "pt"), ("pt_PT", "pt"), ("de-AT", "de"), ("ES", "es"), ("nl", "en")],
)
def test_a_language_setting_picks_its_catalog(setting: str, used: str) -> None:
    assert i18n.catalog_language(setting) == used


def test_plural_forms() -> None:
    def sources(lang: str, n: int) -> str:
        words = i18n.translations(lang)
        return words.ngettext("%(num)d source", "%(num)d sources", n) % {"num": n}

    assert [sources("en", n) for n in (0, 1, 2)] == ["0 sources", "1 source", "2 sources"]
    assert [sources("fr", n) for n in (0, 1, 2)] == ["0 source", "1 source", "2 sources"]
    assert [sources("de", n) for n in (1, 2)] == ["1 Quelle", "2 Quellen"]
    assert [sources("es", n) for n in (1, 2)] == ["1 fuente", "2 fuentes"]
    assert [sources("pt", n) for n in (1, 2)] == ["1 fonte", "2 fontes"]


def test_dates_and_numbers_follow_the_locale() -> None:
    assert nice_date("2023-06-24") == "24 Jun 2023"
    assert nice_date("2023-06-24", language="fr") == "24 juin 2023"
    assert nice_date("2023-02-01T07:22:00Z", "Europe/Paris", "fr") == "1 février 2023, 08:22 CET"
    assert hours_text(36, "fr") == "36 h" and hours_text(60, "fr") == "2,5 jours"
    assert hours_text(60) == "2.5 days"


def test_every_catalog_has_every_message_and_the_template_is_current() -> None:
    assert set(SHIPPED) <= set(i18n.available())
    extracted = {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalogs.extract()}
    assert len(extracted) > 80
    with catalogs.TEMPLATE.open("rb") as handle:
        pot = read_po(handle)
    in_pot = {m.id if isinstance(m.id, str) else tuple(m.id) for m in pot}
    assert in_pot == extracted, "run: python -m digest.catalogs update"
    for lang in i18n.available():
        assert catalogs.missing(lang) == [], f"{lang}: untranslated messages"


@pytest.mark.parametrize("lang", SHIPPED)
def test_translations_keep_their_placeholders(lang: str) -> None:
    problems = [
        (message.id, [str(e) for e in errors])
        for message, errors in catalog(lang).check()  # type: ignore[attr-defined]
    ]
    assert problems == []
    for message in catalog(lang):  # type: ignore[attr-defined]
        if not message.id or not message.string:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        wanted = set(re.findall(r"%\(\w+\)[sd]", ids[-1]))
        for text in strings:
            # a singular may leave out the number ("Le sujet du thème …")
            assert set(re.findall(r"%\(\w+\)[sd]", text)) <= wanted, (lang, ids[0])
            assert set(re.findall(r"</?\w+", text)) == set(re.findall(r"</?\w+", ids[0]))


def search_messages(site: Path) -> dict[str, str]:
    status = parse_html(site / "search.html").get_element_by_id("search-status")
    return {k: v for k, v in status.attrib.items() if k.startswith("data-msg-")}


def test_search_messages_come_from_the_catalog(build_site: Builder, tmp_path: Path) -> None:
    site = build(build_site, tmp_path / "fr", "fr", search=True)
    messages = search_messages(site)
    assert messages["data-msg-none"] == "Aucun résultat pour «\u00a0{words}\u00a0»."
    assert messages["data-msg-other"] == "{n} résultats pour «\u00a0{words}\u00a0»."
    english = english_ui_words("fr")
    leaks = {k: words_of(re.sub(r"\{\w+\}", "", v)) & english for k, v in messages.items()}
    assert leaks == {key: set() for key in messages}
    # in English the page says what search.js would say without it (a count's
    # message in both forms: "{n} result …", "{n} results …")
    site = build(build_site, tmp_path / "en", "en", search=True)
    script = (site / "assets" / "search.js").read_text()
    messages = search_messages(site)
    assert {"data-msg-absent", "data-msg-shown-other", "data-msg-more-other"} <= messages.keys()
    for key, value in messages.items():
        if key.startswith("data-msg-kind-"):  # the page's own kind: "Story", "Article"
            assert value == key.removeprefix("data-msg-kind-").title()
        else:
            assert f'"{value}"' in script, key
