"""Acceptance: the four real seed reports build into one clean story."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import Builder, parse_html, read_jsonl, require_eval

# Text in the seeds that is page furniture, not the story.
BOILERPLATE = [
    "Follow the latest news here",
    "Most read in The Sun",
    "via Getty Images",
    "ROMAN ROMOKHOV",
    "Follow Kurt Zindulka on Twitter",
    "kzindulka@breitbart.com",
    "COMMENTS",
    "having issues with commenting",
]


def visible_text(page: Path) -> str:
    root = parse_html(page)
    for el in root.xpath("//script|//style"):
        el.drop_tree()
    return " ".join(root.text_content().split())


def test_seeds_form_one_story_of_four(build_site: Builder, seed_content: Path) -> None:
    report, data, _ = build_site(seed_content)
    assert report.problems == ()
    assert len(data["articles"]) == 4
    assert len(data["stories"]) == 1
    story = data["stories"][0]
    assert sorted(story["articles"]) == sorted(a["id"] for a in data["articles"])
    labels = {k.lower() for k in story["keywords"]}
    assert {"prigozhin", "wagner", "belarus"} <= labels


def test_versions_of_one_report_are_marked(build_site: Builder, seed_content: Path) -> None:
    _, data, _ = build_site(seed_content)
    by_path = {a["path"][:3]: a for a in data["articles"]}
    pair = {by_path["000"]["duplicate_of"], by_path["001"]["duplicate_of"]}
    assert pair in ({None, by_path["000"]["id"]}, {None, by_path["001"]["id"]})
    assert by_path["002"]["duplicate_of"] is None
    assert by_path["003"]["duplicate_of"] is None


def test_outlets_come_from_evidence_and_no_url_is_invented(
    build_site: Builder, seed_content: Path
) -> None:
    _, data, site = build_site(seed_content)
    by_path = {a["path"][:3]: a for a in data["articles"]}
    assert by_path["000"]["source"] == "thenationalnews.com"  # from its links
    assert by_path["002"]["source"] == "The Sun"  # "Most read in The Sun"
    assert by_path["003"]["source"] == "breitbart.com"  # byline e-mail
    assert by_path["001"]["source"] is None  # no evidence at all
    assert all(a["url"] is None for a in data["articles"])
    for page in site.rglob("*.html"):
        hrefs = parse_html(page).xpath("//@href")
        absolute = [h for h in hrefs if re.match(r"^[a-z][a-z0-9+.-]*:", h, re.I)]
        assert absolute == [], f"{page.name} links out to {absolute}"
    article_001 = (site / "articles" / f"{by_path['001']['id']}.html").read_text("utf-8")
    assert "source unknown" in article_001


def test_no_page_shows_boilerplate_or_markup(build_site: Builder, seed_content: Path) -> None:
    _, _, site = build_site(seed_content)
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 8
    for page in pages:
        raw = page.read_text("utf-8")
        assert "&lt;a" not in raw and "&lt;b" not in raw, page
        text = visible_text(page)
        for phrase in BOILERPLATE:
            assert phrase not in text, f"{phrase!r} on {page.relative_to(site)}"
        words = set(re.findall(r"[\w]+", text))
        assert not words & {"href", "target", "_blank"}, page


def test_story_page_cites_every_sentence(build_site: Builder, seed_content: Path) -> None:
    _, data, site = build_site(seed_content)
    story = data["stories"][0]
    assert 60 <= sum(len(s["text"].split()) for s in story["summary"]) <= 120
    ids = {a["id"] for a in data["articles"]}
    assert all(s["article"] in ids for s in story["summary"])
    page = parse_html(site / story["page"])
    cited = page.xpath("//span[@class='cited']")
    assert len(cited) == len(story["summary"])
    for span in cited:
        (link,) = span.xpath(".//a/@href")
        assert link.startswith("#source-")
        assert page.xpath(f"//*[@id='{link[1:]}']"), f"citation {link} has no target"


def test_seed_story_survives_among_bbc_articles(build_site: Builder, seed_content: Path) -> None:
    rows = read_jsonl(require_eval("bbc_news.jsonl"))
    for row in rows[:: len(rows) // 50][:50]:  # 50 articles spread over all five sections
        name = "bbc-" + row["id"].replace("/", "-") + ".txt"
        (seed_content / name).write_text(f"{row['title']}\n\n{row['text']}", encoding="utf-8")
    _, data, _ = build_site(seed_content)
    assert len(data["articles"]) == 54
    seed_ids = {a["id"] for a in data["articles"] if not a["path"].startswith("bbc-")}
    holding = [s for s in data["stories"] if seed_ids & set(s["articles"])]
    assert len(holding) == 1
    assert set(holding[0]["articles"]) == seed_ids


@pytest.mark.parametrize("name", ["index.html", "keywords/index.html", "assets/style.css"])
def test_site_has_core_files(build_site: Builder, seed_content: Path, name: str) -> None:
    _, _, site = build_site(seed_content)
    assert (site / name).is_file()
