"""Story titles and ids: the cleanest headline, cleaned; an id that outlives edits."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from digest.config import Config
from digest.models import Article, Meta
from digest.pipeline import build
from digest.stories import story_id, story_title
from digest.titles import clean_headline, headline_penalty, strip_site_name


def article(
    article_id: str,
    title: str,
    *,
    date: str | None = None,
    source: str | None = None,
    words: int = 100,
    derived: bool = False,
) -> Article:
    return Article(
        id=article_id,
        path=f"{article_id}.md",
        title=title,
        title_derived=derived,
        meta=Meta(title=title, date=date, source=source),
        blocks=(),
        sentences=(),
        lead=(),
        keywords=(),
        terms=(),
        term_counts=(),
        shingles=b"",
        word_count=words,
    )


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("UPDATE 1-BlackBerry aims to cut costs", "BlackBerry aims to cut costs"),
        ("UPDATE 2-US lawmakers air concerns over deal", "US lawmakers air concerns over deal"),
        ("PFIZER NEWS UPDATE - Pfizer offers guarantees", "Pfizer offers guarantees"),
        ("WRAPUP 1-Fannie Mae posts a profit", "Fannie Mae posts a profit"),
        ("RPT-Comcast to face critics at hearing", "Comcast to face critics at hearing"),
        ("CORRECTED-UPDATE 1-Fed portfolio to shrink", "Fed portfolio to shrink"),
        ("EXCLUSIVE-Apple in talks to buy Beats", "Apple in talks to buy Beats"),
        ("US STOCKS-Wall St set for flat open", "Wall St set for flat open"),
        # capitals that are the subject, not a wire slug, stay
        ("AT&T-DirecTV deal reported near", "AT&T-DirecTV deal reported near"),
        ("MERS-stricken hospital gets new managers", "MERS-stricken hospital gets new managers"),
        ("NASA-UCI study finds glacier loss", "NASA-UCI study finds glacier loss"),
        # an all-caps headline is not cut at a dash inside it
        ("BIKE TO WORK NEWS--LET'S RIDE", "BIKE TO WORK NEWS--LET'S RIDE"),
        # a feed's cut end becomes one ellipsis
        ("Twitter introduces Mute  ...", "Twitter introduces Mute…"),
    ],
)
def test_clean_headline_strips_wire_slugs(raw: str, clean: str) -> None:
    assert clean_headline(raw) == clean


@pytest.mark.parametrize(
    ("title", "names", "expected"),
    [
        ("Mars rover lands safely | Newsweek", ["newsweek.com"], "Mars rover lands safely"),
        ("Mars rover lands safely - BBC News", ["BBC News"], "Mars rover lands safely"),
        ("Mars rover lands safely - BBC News", ["bbc.co.uk"], "Mars rover lands safely"),
        (
            "The Guardian view on Mars | The Guardian",
            ["www.theguardian.com"],
            "The Guardian view on Mars",
        ),
        ("Apple buys Beats - Reuters", ["Reuters UK"], "Apple buys Beats"),
        # a dash in a real headline, naming no outlet of the story, stays
        ("Spider-Man 2 - the review", ["BBC News"], "Spider-Man 2 - the review"),
        ("Brexit - what happens next", ["bbc.co.uk"], "Brexit - what happens next"),
        # a headline's first word that only starts the outlet's name is its subject
        (
            "Tesla - the car that changed driving",
            ["Tesla Motors Club"],
            "Tesla - the car that changed driving",
        ),
        ("BBC News - Mars rover lands", ["bbc.co.uk"], "Mars rover lands"),
        # a site name that would leave less than a headline stays
        ("Newsweek - Archive", ["Newsweek"], "Newsweek - Archive"),
        ("Markets | Today", [], "Markets | Today"),
    ],
)
def test_site_names_are_cut_only_when_they_name_the_outlet(
    title: str, names: list[str], expected: str
) -> None:
    assert strip_site_name(title, names) == expected


def test_penalty_ranks_the_flaws() -> None:
    clean = "BlackBerry aims to cut its budget by a third"
    assert headline_penalty(clean) == 0
    assert headline_penalty("UPDATE 1-" + clean) > 0
    assert headline_penalty(clean + " | Reuters", ["Reuters"]) > 0
    assert headline_penalty(clean.upper()) > headline_penalty("UPDATE 1-" + clean)
    assert headline_penalty("BlackBerry aims to cut its ...") > headline_penalty(clean.upper())


def test_truncated_headline_loses_to_a_full_one() -> None:
    # the cut one is from the longer article, which used to decide
    cut = article("a", "Twitter introduces Mute...", words=900, source="Mashable")
    full = article("b", "Twitter introduces a mute button for its users", words=200, source="CNET")
    assert story_title([cut, full]) == "Twitter introduces a mute button for its users"


def test_wire_slug_and_site_suffix_lose_and_are_cleaned() -> None:
    wire = article("a", "UPDATE 1-BlackBerry aims to cut its budget", words=900, source="Reuters")
    suffixed = article("b", "BlackBerry to cut budget | Newsweek", words=800, source="Newsweek")
    caps = article("c", "BLACKBERRY SLASHES ITS BUDGET BY A THIRD", words=700, source="WKRG")
    assert story_title([wire, suffixed, caps]) == "BlackBerry aims to cut its budget"
    # with only the suffixed one and the capitals, the suffixed one wins, cleaned
    assert story_title([suffixed, caps]) == "BlackBerry to cut budget"


def test_headline_made_from_the_lead_comes_last() -> None:
    derived = article("a", "A clean sentence taken from the lead", words=900, derived=True)
    cut = article("b", "Budget cuts at BlackBerry ...", words=100)
    assert story_title([derived, cut]) == "Budget cuts at BlackBerry…"


def test_story_id_is_the_earliest_article_whatever_is_edited_or_added() -> None:
    first = article("reuters-1", "First report", date="2024-01-14T08:10:00Z")
    second = article("bbc-2", "Second report, longer", date="2024-01-14T10:30:00Z", words=900)
    assert story_id([second, first]) == "reuters-1"
    edited = replace(first, title="An edited headline", word_count=5)
    later = article("ap-0", "A later report", date="2024-01-15")
    undated = article("aaa", "An undated report")
    assert story_id([second, edited, later, undated]) == "reuters-1"
    # an article dated before the first report takes the story over (the documented edge)
    earlier = article("zz", "A backdated report", date="2024-01-13")
    assert story_id([first, second, earlier]) == "zz"


# --- through a build ----------------------------------------------------------


def write(content: Path, name: str, title: str, date: str, body: str) -> None:
    (content / name).write_text(
        f"---\ntitle: {title}\ndate: {date}\nsource: {name.split('-')[0]}\nstory: harbour\n---\n"
        f"{body}\n",
        encoding="utf-8",
    )


BODY = (
    "The old harbour wall at Porthleven collapsed in a storm on Tuesday night. Engineers "
    "said the wall, built in 1855, could not be repaired before winter. The council closed "
    "the quay to visitors while the harbour master assessed the damage."
)


def story_pages(site: Path) -> dict[str, str]:
    return {p.name: p.read_text("utf-8") for p in sorted((site / "stories").glob("*.html"))}


def test_story_url_survives_editing_its_headline_and_a_later_report(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    write(
        content, "gazette-wall.md", "Harbour wall collapses in storm", "2024-03-05T07:00:00Z", BODY
    )
    write(
        content,
        "post-wall.md",
        "UPDATE 1-Porthleven harbour wall falls",
        "2024-03-05T09:00:00Z",
        BODY + " More to come.",
    )
    config = Config(content=str(content), output=str(tmp_path / "site"), search=False)
    build(config, tmp_path, cache=False)
    before = story_pages(tmp_path / "site")
    assert len(before) == 1
    (name,) = before
    assert "Harbour wall collapses in storm" in before[name]

    # the article the title came from gets a new headline: same page, new title
    write(
        content,
        "gazette-wall.md",
        "Storm brings down historic harbour wall",
        "2024-03-05T07:00:00Z",
        BODY,
    )
    build(config, tmp_path, cache=False)
    after_edit = story_pages(tmp_path / "site")
    assert list(after_edit) == [name]
    assert "Storm brings down historic harbour wall" in after_edit[name]
    assert (tmp_path / "site" / "stories" / name.replace(".html", ".xml")).is_file()

    # a later, longer report joins: same page and feed
    write(
        content,
        "aaa-wall.md",
        "Porthleven counts the cost of the storm",
        "2024-03-06T12:00:00Z",
        BODY * 3,
    )
    build(config, tmp_path, cache=False)
    after_add = story_pages(tmp_path / "site")
    assert list(after_add) == [name]
    assert "aaa-wall" in after_add[name]  # the new report is in the story
