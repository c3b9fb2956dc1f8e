"""Every language: an article's language told from its text, keywords in that
language without its stop-words, scripts without spaces that build quietly, and
stories that never mix languages."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from digest.analyse import analyse_file
from digest.config import Config
from digest.keywords import extract_keywords, names_something
from digest.languages import (
    cjk_words,
    drop_elisions,
    guess_language,
    stemmer,
    stop_words,
)
from digest.load import SourceFile
from digest.models import Article
from digest.terms import split_sentences
from tests.conftest import Builder

FRENCH = (
    "Le gouvernement a présenté mercredi un projet de loi sur la réforme des retraites. "
    "Les syndicats dénoncent une réforme injuste et appellent à la grève dans les "
    "transports. Selon le ministre, la réforme est nécessaire pour l'équilibre du système, "
    "qui sera examiné par l'Assemblée nationale au mois de mars. Les syndicats ont "
    "annoncé une grève des transports pour le jeudi suivant."
)
PORTUGUESE = (
    "O governo apresentou nesta quarta-feira um projeto de lei sobre a reforma da "
    "previdência. Os sindicatos criticam a reforma e convocam uma greve nos transportes. "
    "Segundo o ministro, a reforma é necessária para o equilíbrio do sistema, que será "
    "examinado pela Assembleia em março. Os sindicatos também anunciaram uma greve dos "
    "transportes para a semana seguinte."
)
GERMAN = (
    "Die Bundesregierung hat am Mittwoch einen Gesetzentwurf zur Rentenreform vorgelegt. "
    "Die Gewerkschaften kritisieren die Reform und rufen zu einem Streik im Verkehr auf. "
    "Nach Angaben des Ministers ist die Reform für das Gleichgewicht des Systems nötig."
)
SPANISH = (
    "El gobierno presentó el miércoles un proyecto de ley sobre la reforma de las "
    "pensiones. Los sindicatos critican la reforma y convocan una huelga en los "
    "transportes. Según el ministro, la reforma es necesaria para el equilibrio del sistema."
)
ENGLISH = (
    "The government presented a pension reform bill on Wednesday. The unions say the "
    "reform is unfair and have called a transport strike. According to the minister, the "
    "reform is needed to balance the system, which parliament will examine in March."
)
JAPANESE = (
    "政府は水曜日、年金制度改革の法案を発表した。労働組合は改革に反対し、交通機関のストライキを"
    "呼びかけた。大臣によると、改革は制度の均衡のために必要だという。年金制度改革の法案は三月に"
    "国会で審議される。労働組合はストライキを続ける考えだ。"
)
CHINESE = (
    "政府星期三公布了养老金制度改革法案。工会反对改革，并呼吁交通部门罢工。部长表示，改革对于"
    "制度的平衡是必要的。养老金制度改革法案将于三月提交议会审议。工会表示将继续罢工。"
)
KOREAN = (
    "정부는 수요일 연금 개혁 법안을 발표했다. 노동조합은 개혁에 반대하며 교통 파업을 "
    "선언했다. 장관은 제도의 균형을 위해 개혁이 필요하다고 말했다. 연금 개혁 법안은 삼월에 "
    "국회에서 심의된다. 노동조합은 파업을 계속할 계획이다."
)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (FRENCH, "fr"),
        (PORTUGUESE, "pt"),
        (GERMAN, "de"),
        (SPANISH, "es"),
        (ENGLISH, "en"),
        (JAPANESE, "ja"),
        (CHINESE, "zh"),
        (KOREAN, "ko"),
    ],
)
def test_the_language_of_an_article_is_told_from_its_text(text: str, lang: str) -> None:
    assert guess_language(text) == lang
    # whatever the digest's own language is
    assert guess_language(text, default="fr" if lang != "fr" else "de") == lang


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Les syndicats appellent à la grève dans les transports publics", "fr"),
        ("Os sindicatos convocam uma greve nos transportes públicos", "pt"),
        ("Die Gewerkschaften rufen zu einem Streik im Verkehr auf", "de"),
        ("Los sindicatos convocan una huelga en los transportes públicos", "es"),
        ("年金制度改革の法案を発表した。", "ja"),
        ("政府公布了养老金制度改革法案。", "zh"),
        ("정부는 연금 개혁 법안을 발표했다.", "ko"),
    ],
)
def test_short_texts_are_told_too(text: str, lang: str) -> None:
    assert guess_language(text) == lang


def test_a_headline_too_short_to_tell_keeps_the_default_language() -> None:
    assert guess_language("Comcast defends Time Warner merger") == "en"
    assert guess_language("Comcast defends Time Warner merger", default="de") == "de"
    assert guess_language("12 345", default="pt") == "pt"
    assert guess_language("", default="es") == "es"


@pytest.mark.parametrize(("text", "lang"), [(FRENCH, "fr"), (PORTUGUESE, "pt")])
def test_keywords_hold_no_stop_words_of_their_language(text: str, lang: str) -> None:
    keywords = extract_keywords(text, 10, 3, lang)
    assert keywords
    stop = stop_words(lang)
    for keyword in keywords:
        assert not all(w in stop for w in re.findall(r"\w+", keyword.label.lower())), keyword
    # the subject is among the first: "réforme" / "reforma", used three times
    assert {"réforme", "reforma"} & {k.label.lower() for k in keywords[:3]}


def test_french_elisions_do_not_split_a_word_from_its_uses() -> None:
    text = (
        "L'avalanche a tué neuf alpinistes. Une avalanche rare. "
        "D'après les secours, l'avalanche était énorme."
    )
    keywords = [k.label for k in extract_keywords(text, 5, 3, "fr")]
    assert keywords[0] == "avalanche"
    assert not any("'" in k for k in keywords)
    assert drop_elisions("l'armée d'une qu'il") == "armée une il"
    # English keeps its apostrophes
    assert "O'Brien" in [k.label for k in extract_keywords("O'Brien met O'Brien. " * 3, 5, 3, "en")]


def test_stop_words_and_stemmers_exist_beyond_english() -> None:
    assert {"pour", "qui", "dans", "des", "que"} <= stop_words("fr")
    assert {"uma", "foi", "para"} <= stop_words("pt")
    assert "und" in stop_words("de")
    assert stop_words("ko")  # no YAKE list: wordfreq's commonest words
    assert stop_words("qq") == frozenset()
    assert stemmer("fr")("réformes") == stemmer("fr")("réforme")
    assert stemmer("pt")("sindicatos") == stemmer("pt")("sindicato")
    assert stemmer("ko")("대통령은") == stemmer("ko")("대통령이") == "대통령"


def test_german_capitals_do_not_make_every_noun_a_name() -> None:
    # "Regierung" is a common German noun: capitalised, yet no name worth a page
    assert not names_something("Regierung", "de")
    assert names_something("Regierung", "en")  # in English text a capital is a name


def test_chinese_and_japanese_are_cut_into_words_and_sentences() -> None:
    assert split_sentences("政府公布了法案。工会反对改革！部长表示？") == [
        "政府公布了法案。",
        "工会反对改革！",
        "部长表示？",
    ]
    words = cjk_words(CHINESE, "zh")
    assert "改革" in words and "政府" in words
    assert all(len(w) >= 2 for w in words)
    labels = [k.label for k in extract_keywords(JAPANESE, 5, 3, "ja")]
    assert "改革" in labels or "年金" in labels or "年金制度" in labels
    assert all(len(label) <= 8 for label in labels)  # words, not clauses


@pytest.mark.parametrize("lang", ["ko", "th", "xx", "vi", "he", "ja", "zh"])
def test_languages_yake_rust_lacks_never_print_a_panic(
    lang: str, capfd: pytest.CaptureFixture[str]
) -> None:
    for text in (KOREAN, JAPANESE, CHINESE, ENGLISH, "นายกรัฐมนตรีประกาศนโยบายเศรษฐกิจใหม่"):
        extract_keywords(text, 10, 3, lang)
    out, err = capfd.readouterr()
    assert "panic" not in err and "panic" not in out


def test_pages_in_korean_japanese_and_chinese_build_quietly(
    tmp_path: Path, build_site: Builder, capfd: pytest.CaptureFixture[str]
) -> None:
    content = tmp_path / "content"
    content.mkdir()
    for name, lang, text in (("ko", "ko", KOREAN), ("ja", "ja", JAPANESE), ("zh", "zh", CHINESE)):
        (content / f"{name}.html").write_text(
            f'<!doctype html><html lang="{lang}"><head><title>{text[:12]}</title></head>'
            f"<body><article><h1>{text[:12]}</h1><p>{text}</p><p>{text}</p></article></body></html>",
            encoding="utf-8",
        )
        (content / f"{name}-told.md").write_text(f"---\nlang: {lang}\n---\n\n{text}\n", "utf-8")
        (content / f"{name}-untold.md").write_text(text + "\n", encoding="utf-8")
    (content / "unknown.md").write_text(f"---\nlang: xx-YY\n---\n\n{KOREAN}\n", "utf-8")
    report, data, _ = build_site(content)
    out, err = capfd.readouterr()
    assert "panic" not in err and "panic" not in out
    assert len(data["articles"]) == 10
    assert not [p for p in report.problems if "YAKE" in p.reason]
    keywords = {a["path"]: a["keywords"] for a in data["articles"]}
    assert all(keywords[path] for path in keywords), keywords


def _article(tmp_path: Path, name: str, text: str) -> Article:
    result = analyse_file(SourceFile(name, text.encode("utf-8")), name, Config())
    assert isinstance(result, Article)
    return result


def test_front_matter_lang_wins_over_the_text(tmp_path: Path) -> None:
    assert _article(tmp_path, "a.md", FRENCH + "\n").lang == "fr"
    assert _article(tmp_path, "b.md", f"---\nlang: pt-BR\n---\n\n{FRENCH}\n").lang == "pt"
    page = f'<html lang="de"><body><article><p>{FRENCH}</p></article></body></html>'
    assert _article(tmp_path, "c.html", page).lang == "de"


def test_articles_in_two_languages_never_make_one_story(
    tmp_path: Path, build_site: Builder
) -> None:
    # the same event, names and numbers in French and in English: alike enough in
    # words (names, figures) that only the language keeps them apart
    event = (
        "Airbus A350 F-WZNR Toulouse-Blagnac Guillaume Faury Boeing 787 Qantas Emirates "
        "Lufthansa 2024 A350-1000 Rolls-Royce Trent XWB-97 Airbus A350 Toulouse-Blagnac "
    )
    content = tmp_path / "content"
    content.mkdir()
    for n in range(3):
        (content / f"en{n}.md").write_text(
            f"{event} Airbus flew the new A350 from Toulouse-Blagnac for the {n + 1}st time "
            f"on Monday, Guillaume Faury said. The Trent XWB-97 engines worked well. {event}\n",
            encoding="utf-8",
        )
        (content / f"fr{n}.md").write_text(
            f"{event} Airbus a fait voler le nouvel A350 depuis Toulouse-Blagnac pour la "
            f"{n + 1}e fois lundi, a dit Guillaume Faury. Les moteurs Trent XWB-97 ont bien "
            f"fonctionné, selon les ingénieurs de la compagnie. {event}\n",
            encoding="utf-8",
        )
    (content / "pinned-en.md").write_text(f"---\nstory: pinned\n---\n\n{ENGLISH}\n", "utf-8")
    (content / "pinned-fr.md").write_text(f"---\nstory: pinned\n---\n\n{FRENCH}\n", "utf-8")
    _, data, site = build_site(content)
    # an article in another language than the site's says so on its page
    assert '<article class="article" lang="fr"' in (site / "articles" / "fr0.html").read_text()
    assert '<article class="article" data-' in (site / "articles" / "en0.html").read_text()
    path_of = {a["id"]: a["path"] for a in data["articles"]}
    stories = [sorted(path_of[a] for a in s["articles"]) for s in data["stories"]]
    for members in stories:
        languages = {p[:2] for p in members if not p.startswith("pinned")}
        assert len(languages) <= 1, members
    assert any(len(m) > 1 and m[0].startswith("en") for m in stories)  # English grouped
    assert any(len(m) > 1 and m[0].startswith("fr") for m in stories)  # French grouped
    # an editor's pin still holds both languages together
    assert ["pinned-en.md", "pinned-fr.md"] in stories


def test_a_panic_inside_yake_rust_never_reaches_the_terminal(
    capfd: pytest.CaptureFixture[str],
) -> None:
    import yake_rust

    from digest.keywords import _stderr_silenced

    with _stderr_silenced(), pytest.raises(BaseException):  # noqa: B017 (pyo3's PanicException)
        yake_rust.Yake(language="ko", ngrams=3)  # a language it lacks: it panics
    print("still here", file=sys.stderr)  # and the error stream works again after
    _, err = capfd.readouterr()
    assert "panic" not in err
    assert "still here" in err


def test_a_failing_yake_is_a_problem_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import digest.keywords

    def fails(*args: object, **kwargs: object) -> list[tuple[str, float]]:
        raise RuntimeError("boom")

    monkeypatch.setattr(digest.keywords, "yake_candidates", fails)
    article = _article(tmp_path, "news/a.md", ENGLISH + "\n")
    assert article.keywords  # the words are still counted
    assert [(p.path, "YAKE" in p.reason) for p in article.problems] == [("news/a.md", True)]
