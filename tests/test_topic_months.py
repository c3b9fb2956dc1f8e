"""A topic with more stories than its page lists gets a page per month; an added story
changes its own month's page, never the pages of other months."""

from __future__ import annotations

from pathlib import Path

from digest import state
from digest.config import Config
from digest.pipeline import build
from tests.conftest import parse_html

SUBJECTS = [
    "harbour cranes strike dockers",
    "marathon runner record city",
    "chess olympiad grandmaster draw",
    "rowing regatta crew river",
    "cycling tour mountain stage",
    "tennis final tiebreak serve",
    "sailing yacht ocean race",
    "rugby scrum penalty derby",
]
# (article, its newest report's day): three months and an undated story
DAYS = ["2024-03-02", "2024-03-20", "2024-04-11", "2024-05-01", "2024-05-09", None, "2024-04-30"]


def _write(content: Path, n: int, day: str | None) -> None:
    words = SUBJECTS[n % len(SUBJECTS)]
    body = " ".join(f"The {words} report {n} part {i} was followed closely." for i in range(6))
    date = f"date: {day}T09:00:00Z\n" if day else ""
    (content / f"a{n}.md").write_text(
        f"---\ntitle: Story {n} about {words.split()[0]}\n{date}section: Sport\nstory: s{n}\n"
        f"---\n{body}\n",
        encoding="utf-8",
    )


def _site(tmp_path: Path) -> tuple[Config, Path]:
    content = tmp_path / "content"
    content.mkdir()
    for n, day in enumerate(DAYS):
        _write(content, n, day)
    config = Config(content="content", output="site", search=False, topic_page_stories=3)
    return config, tmp_path / "site"


def _titles(page: Path) -> list[str]:
    return [t.strip() for t in parse_html(page).xpath("//main//h2[@class='story-title']/a/text()")]


def test_a_large_topic_lists_its_first_stories_and_a_page_per_month(tmp_path: Path) -> None:
    config, site = _site(tmp_path)
    build(config, tmp_path)
    landing = site / "topics" / "sport.html"
    assert len(_titles(landing)) == 3
    links = parse_html(landing).xpath("//nav[@class='months']//a/@href")
    months = ["2024-05", "2024-04", "2024-03", "undated"]
    assert links == [f"../topics/sport/{m}.html" for m in months]
    seen: list[str] = []
    for month in months:
        page = site / "topics" / "sport" / f"{month}.html"
        titles = _titles(page)
        expected = {
            f"Story {n} about {SUBJECTS[n].split()[0]}"
            for n, day in enumerate(DAYS)
            if (day[:7] if day else "undated") == month
        }
        assert set(titles) == expected, month
        seen += titles
        for href in parse_html(page).xpath("//nav[@class='pager']//a/@href"):
            assert (page.parent / href).resolve().is_file(), href
    assert sorted(seen) == sorted(f"Story {n} about {SUBJECTS[n].split()[0]}" for n in range(7))
    heading = parse_html(site / "topics" / "sport" / "2024-04.html").xpath("//h1/text()")
    assert heading == ["Sport in April 2024"]


def test_a_small_topic_has_no_month_pages(tmp_path: Path) -> None:
    config, site = _site(tmp_path)
    build(Config(**{**config.__dict__, "topic_page_stories": 50}), tmp_path)
    assert not (site / "topics" / "sport").exists()
    assert len(_titles(site / "topics" / "sport.html")) == len(DAYS)
    assert not parse_html(site / "topics" / "sport.html").xpath("//nav[@class='months']")


def test_an_added_story_changes_only_its_months_page(tmp_path: Path) -> None:
    config, site = _site(tmp_path)
    build(config, tmp_path)
    saved = state.load_checked(tmp_path / ".digest-cache")[0]
    assert saved is not None
    before = dict(saved.pages)
    _write(tmp_path / "content", len(DAYS), "2024-05-20")
    build(config, tmp_path)
    saved = state.load_checked(tmp_path / ".digest-cache")[0]
    assert saved is not None
    after = dict(saved.pages)
    month = "topics/sport/{}.html".format
    assert after[month("2024-05")] != before[month("2024-05")]
    for other in ("2024-04", "2024-03", "undated"):
        assert after[month(other)] == before[month(other)], other
    assert "Story 7 about rugby" in _titles(site / "topics" / "sport" / "2024-05.html")
