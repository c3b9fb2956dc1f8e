"""The rendered site, without a browser: story pages, navigation, archive,
sources, feeds, base URL, search on and off, template overrides."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import feedparser
import lxml.etree
import pytest
from click.testing import CliRunner

from digest import feeds, render, site_context
from digest.cli import main
from digest.config import Config, load_config
from digest.keywords import names_something
from digest.models import DigestError
from digest.pipeline import build
from tests.conftest import SEEDS, parse_html
from tests.site_fixture import write_fixture, write_long_story

BASE = "https://user.github.io/repo/"


def build_into(root: Path, content: Path, name: str, **settings: Any) -> Path:
    config = Config(content=str(content), output=str(root / name), **settings)
    build(config, root)
    return root / name


@pytest.fixture(scope="module")
def fixture_sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("sites")
    content = write_fixture(root / "content")
    return {
        "plain": build_into(root, content, "plain"),
        "archive": build_into(root, content, "archive", archive_threshold=0, base_url=BASE),
    }


def story_file(site: Path, prefix: str) -> Path:
    return next((site / "stories").glob(f"{prefix}*.html"))


def texts(tree: Any, xpath: str) -> list[str]:
    return [" ".join(el.text_content().split()) for el in tree.xpath(xpath)]


# --- story page ---------------------------------------------------------------


def test_story_page_explains_why_articles_are_together(fixture_sites: dict[str, Path]) -> None:
    tree = parse_html(story_file(fixture_sites["plain"], "eruption-reuters"))
    why = tree.xpath("//details[@class='why']")[0]
    text = " ".join(why.text_content().split())
    assert "Why these articles are together" in text
    assert re.search(r"on average two of these 3 articles use words \d+% alike", text)
    assert re.search(r"Distinctive words they share \w+ \(all\)", text)
    shared = texts(why, ".//ul[@class='shared']/li")
    assert any(s.startswith("Grindavik all 3 reports") for s in shared), shared
    pairs = texts(why, ".//ul[@class='pairs']/li")
    assert len(pairs) == 3  # every pair of three articles
    for timed in (p for p in pairs if "counts as" in p):  # words + time bonus
        words, counted = re.findall(r"(\d+)%", timed)[-2:]
        assert int(counted) > int(words), timed
    percents = [int(p.rsplit(" ", 1)[1].rstrip("%")) for p in pairs]
    assert percents == sorted(percents, reverse=True) and 0 < percents[-1] <= percents[0] <= 100


def test_editor_pinned_story_says_so(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    for n, topic in enumerate(["a quiet harbour", "a mountain pass"]):
        (content / f"{n}.md").write_text(
            f"---\ntitle: Notes on {topic}\nstory: pinned-one\n---\n"
            f"A long walk to {topic} took most of the day and ended at dusk.\n",
            encoding="utf-8",
        )
    site = build_into(tmp_path, content, "site")
    page = next((site / "stories").glob("*.html")).read_text("utf-8")
    assert "The editor put these articles into one story" in page
    assert "<code>story: pinned-one</code>" in page


def test_single_report_story_has_no_why_section(fixture_sites: dict[str, Path]) -> None:
    tree = parse_html(story_file(fixture_sites["plain"], "chess-notes"))
    assert tree.xpath("//details[@class='why']") == []
    assert len(tree.xpath("//ol[@class='sources']/li")) == 1


def test_coverage_lists_reports_by_date_and_time(fixture_sites: dict[str, Path]) -> None:
    tree = parse_html(story_file(fixture_sites["plain"], "eruption-reuters"))
    times = tree.xpath("//ol[@class='sources']/li/p[@class='meta']//time/@datetime")
    assert times == ["2024-01-14T08:10:00Z", "2024-01-14T10:30:00Z", "2024-01-15"]
    entries = texts(tree, "//ol[@class='sources']/li")
    assert entries[0].startswith("Reuters · 14 Jan 2024, 08:10 UTC Volcano erupts")
    assert entries[2].startswith("Associated Press · 15 Jan 2024")
    # summary markers number the reports as the list does
    ids = [i.removeprefix("source-") for i in tree.xpath("//ol[@class='sources']/li/@id")]
    for marker in tree.xpath("//span[@class='cited']//a"):
        n = int(marker.text.strip("[]"))
        assert marker.get("href") == f"#source-{ids[n - 1]}"


def test_story_page_lists_each_report_once(tmp_path: Path) -> None:
    site = build_into(tmp_path, SEEDS, "site")
    tree = parse_html(next((site / "stories").glob("*.html")))
    data = json.loads((site / "digest.json").read_text("utf-8"))
    story = data["stories"][0]
    assert len(story["articles"]) == 4
    assert sum(1 for a in data["articles"] if a["duplicate_of"]) == 1  # one is a version
    main = tree.xpath("//main")[0]
    # every article page is linked once: three reports, one version under its report
    links = [h.split("/")[-1] for h in main.xpath(".//ol[@class='sources']//a[not(@class)]/@href")]
    assert sorted(links) == sorted(f"{i}.html" for i in story["articles"])
    assert len(main.xpath(".//ol[@class='sources']/li")) == 3
    assert not main.xpath(".//ol[@class='timeline']")
    whens = texts(tree, "//ol[@class='sources']/li/p[@class='meta']")
    assert [w.rsplit(" · ", 1)[1] for w in whens] == ["24 Jun 2023", "date unknown", "date unknown"]
    assert texts(tree, "//ol[@class='sources']/li/p[@class='versions']")[0].startswith(
        "Also published as: The chief of the Wagner mercenary force"
    )
    # the coverage comes right after the summary; the explanation after it, closed
    headings = texts(main, ".//h2")
    assert headings[:3] == ["Summary", "Coverage, oldest first", "Why these articles are together"]
    why = main.xpath(".//details[@class='why']")[0]
    assert why.get("open") is None
    assert why.xpath("./summary/h2/text()") == ["Why these articles are together"]
    assert not main.xpath(".//section[@class='why']")


def test_long_story_lists_each_report_once(tmp_path: Path) -> None:
    content = write_long_story(tmp_path / "content", reports=12, outlets=5)
    site = build_into(tmp_path, content, "site", search=False)
    page = next((site / "stories").glob("*.html"))
    tree = parse_html(page)
    items = tree.xpath("//ol[@class='sources']/li")
    assert len(items) == 12
    titles = [t for t in texts(tree, "//main//a") if t.startswith("Crane collapse")]
    reports = {f"report {n} by" for n in range(12)}
    for marker in reports:  # each report once; the first one also as its two copies
        found = [t for t in titles if marker + " " in t]
        assert len(found) == (3 if marker == "report 0 by" else 1), (marker, found)
    meta = texts(tree, "//header/p[@class='meta']")[0]
    assert meta.startswith("12 reports · 7 outlets · "), meta  # 5 outlets and 2 copies


def test_sources_have_outlet_date_lead_and_safe_link_out(fixture_sites: dict[str, Path]) -> None:
    tree = parse_html(story_file(fixture_sites["plain"], "eruption-reuters"))
    items = tree.xpath("//ol[@class='sources']/li")
    assert len(items) == 3
    for item in items:
        assert item.xpath(".//p[@class='lead']")
        assert item.xpath(".//time/@datetime")
    outs = tree.xpath("//ol[@class='sources']//a[@class='out']")
    assert {a.text for a in outs} == {"Reuters", "BBC News"}  # AP has no link
    for a in outs:
        assert a.get("href").startswith("https://") and a.get("rel") == "noopener noreferrer"


def test_javascript_urls_never_become_links(fixture_sites: dict[str, Path]) -> None:
    for page in fixture_sites["plain"].rglob("*.html"):
        html = page.read_text("utf-8")
        assert "javascript:" not in html, page


def test_related_stories_share_keywords(fixture_sites: dict[str, Path]) -> None:
    tree = parse_html(story_file(fixture_sites["plain"], "eruption-reuters"))
    related = tree.xpath("//section[@class='related']//li")
    assert related, "the eruption and the Blue Lagoon stories should be related"
    first = related[0]
    assert "lagoon-ruv" in first.xpath("./a/@href")[0]  # the lagoon story, by its first report
    assert "Grindavik" in first.xpath("./span")[0].text
    chess = parse_html(story_file(fixture_sites["plain"], "chess-notes"))
    assert chess.xpath("//section[@class='related']") == []  # nothing in common


# --- index, navigation, archive, sources --------------------------------------------


def test_front_page_shows_each_story_once(fixture_sites: dict[str, Path]) -> None:
    tree = parse_html(fixture_sites["plain"] / "index.html")
    top = tree.xpath("//section[@class='top-stories']//h3/a/@href")
    assert len(top) == 3
    lines = tree.xpath("//section[@class='topic']//li/a/@href")
    assert lines and not set(top) & set(lines)
    # a topic whose stories all opened the page has no section of its own there
    assert texts(tree, "//section[@class='topic']/h2") == ["Other stories"]
    stories = {p.name for p in (fixture_sites["plain"] / "stories").glob("*.html")}
    assert sorted(h.split("/")[-1] for h in top + lines) == sorted(stories)


def test_index_groups_stories_by_topic(tmp_path: Path) -> None:
    content = write_fixture(tmp_path / "content")
    site = build_into(tmp_path, content, "site", search=False, top_stories=0)
    tree = parse_html(site / "index.html")
    topics = texts(tree, "//section[@class='topic']/h2")
    assert topics[:2] == ["World", "Sport"]
    world = tree.xpath("//section[@class='topic']")[0]
    lines = texts(world, ".//ul[@class='headlines']/li")
    assert lines[0].startswith("Volcano erupts")  # three reports before two
    assert lines[0].endswith("3 sources")
    assert not world.xpath(".//p[@class='summary']")  # topic sections are headlines only
    assert not (site / "archive").exists()
    assert "archive/index.html" not in (site / "index.html").read_text("utf-8")


# Sentences that differ between reports, so no two are versions of one report.
ANGLES = [
    "Officials gave few details on Monday",
    "Residents queued for hours in the rain",
    "The mayor promised a full inquiry",
    "Engineers inspected the site overnight",
    "Shops stayed shut for most of the day",
    "Police closed two roads near the scene",
]


def write_story(content: Path, key: str, day: str, outlets: list[str], topic: str) -> None:
    """One pinned story: a report from each outlet on `day`, hours apart."""
    for n, outlet in enumerate(outlets):
        (content / f"{key}-{n}.md").write_text(
            f"---\ntitle: {key.title()} report {n} from {outlet}\ndate: {day}T{10 + n}:00:00Z\n"
            f"source: {outlet}\nstory: {key}\nsection: {topic}\n---\n"
            f"{ANGLES[n]} after the {key} news, {outlet} reported. Reporters for {outlet} "
            f"heard that {ANGLES[(n + 1) % len(ANGLES)].lower()} near the {key}.\n",
            encoding="utf-8",
        )


def test_front_page_opens_with_the_most_covered_recent_stories(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    # the digest's newest article is on 2024-03-20: "now" for the ranking
    write_story(content, "harbour", "2024-03-08", ["A", "B", "C", "D", "E"], "Coast")  # old
    write_story(content, "bridge", "2024-03-18", ["A", "B", "C"], "Roads")
    write_story(content, "tunnel", "2024-03-20", ["A", "B", "C"], "Roads")  # ties, newer
    write_story(content, "school", "2024-03-19", ["A", "B", "C", "D"], "Town")
    write_story(content, "market", "2024-03-20", ["A"], "Town")  # one report: never top
    site = build_into(tmp_path, content, "site", search=False)
    tree = parse_html(site / "index.html")
    top = tree.xpath("//section[@class='top-stories']")[0]
    titles = texts(top, ".//h3[@class='story-title']")
    assert [t.split()[0] for t in titles] == ["School", "Tunnel", "Bridge"]
    first_link = tree.xpath("//main//a[contains(@href, 'stories/')]/@href")[0]
    assert first_link == top.xpath(".//h3/a/@href")[0]
    # every other story has its line in its topic, old ones included; top ones are not repeated
    lines = texts(tree, "//section[@class='topic']//li")
    assert any(line.startswith("Harbour") and line.endswith("5 sources") for line in lines)
    assert not any(line.startswith(("School", "Tunnel", "Bridge")) for line in lines)

    card = top.xpath("./article")[0]
    assert texts(card, "./p[@class='meta']")[0].startswith("4 sources · ")
    assert texts(card, "./p[@class='meta']")[0].endswith("A, B, C, D")
    summary = texts(card, "./p[@class='summary']")
    assert len(summary) == 1 and 1 <= summary[0].count(". ") + 1 <= 2
    assert not card.xpath(".//ul[@class='keywords']")  # a short card


def test_top_stories_count_is_configurable(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    write_story(content, "bridge", "2024-03-18", ["A", "B", "C"], "Roads")
    write_story(content, "tunnel", "2024-03-20", ["A", "B"], "Roads")
    one = parse_html(
        build_into(tmp_path, content, "one", search=False, top_stories=1) / "index.html"
    )
    assert len(one.xpath("//section[@class='top-stories']/article")) == 1
    none = parse_html(
        build_into(tmp_path, content, "none", search=False, top_stories=0) / "index.html"
    )
    assert not none.xpath("//section[@class='top-stories']")


def test_top_card_names_four_outlets_then_counts_the_rest(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    write_story(content, "bridge", "2024-03-18", ["A", "B", "C", "D", "E", "F"], "Roads")
    site = build_into(tmp_path, content, "site", search=False)
    meta = texts(
        parse_html(site / "index.html"), "//article[@class='story-card top-story']/p[@class='meta']"
    )
    assert meta[0].startswith("6 sources") and meta[0].endswith("A, B, C, D and 2 more")


def test_counts_say_reports_and_outlets(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    for n, text in enumerate(  # four distinct reports from one outlet
        [
            "Engineers closed the old bridge after cracks appeared in two of its piers.",
            "Drivers queued for an hour on the ring road while the bridge stayed shut.",
            "The council said repairs to the bridge would cost about two million pounds.",
            "Ferries added crossings for commuters until the bridge can safely reopen.",
        ]
    ):
        (content / f"bridge-{n}.md").write_text(
            f"---\ntitle: Bridge report {n} from BBC News\ndate: 2024-03-18T1{n}:00:00Z\n"
            f"source: BBC News\nstory: bridge\nsection: Roads\n---\n{text}\n",
            encoding="utf-8",
        )
    write_story(content, "tunnel", "2024-03-19", ["A", "B", "C"], "Roads")
    write_story(content, "school", "2024-03-17", ["A", "B"], "Roads")
    (content / "school-unknown.md").write_text(  # no outlet: a report, not an outlet
        "---\ntitle: School report from nowhere\ndate: 2024-03-17T15:00:00Z\nstory: school\n"
        "section: Roads\n---\nTeachers moved lessons to the town hall while builders checked "
        "the school roof for storm damage.\n",
        encoding="utf-8",
    )
    site = build_into(tmp_path, content, "site", search=False, top_stories=1)
    expected = {
        "Bridge": "4 reports · 1 outlet",
        "Tunnel": "3 sources",
        "School": "3 reports · 2 outlets",
    }
    for page in (site / "stories").glob("*.html"):
        tree = parse_html(page)
        title = texts(tree, "//h1")[0].split()[0]
        assert texts(tree, "//header/p[@class='meta']")[0].startswith(expected[title] + " · ")
    index = parse_html(site / "index.html")
    top = texts(index, "//section[@class='top-stories']//p[@class='meta']")
    assert top == ["4 reports · 1 outlet · 18 Mar 2024, 13:00 UTC · BBC News"]
    lines = texts(index, "//section[@class='topic']//li")
    assert [line.split(" from ")[1] for line in sorted(lines)] == [
        "A 3 reports · 2 outlets",  # the school story
        "A 3 sources",  # the tunnel story
    ]
    topic = parse_html(next(p for p in (site / "topics").glob("*.html") if p.name != "index.html"))
    cards = texts(topic, "//article[@class='story-card']/p[@class='meta']")
    assert sorted(re.split(r" · \d+ Mar 2024", c)[0] for c in cards) == sorted(expected.values())
    feed = json.loads((site / "feed.json").read_text("utf-8"))
    counts = {i["title"].split()[0]: i["content_html"] for i in feed["items"]}
    for title, count in expected.items():
        assert f"<p>{count}:</p>" in counts[title], counts[title]


def test_feed_entries_carry_the_summary_without_citation_markers(
    fixture_sites: dict[str, Path],
) -> None:
    site = fixture_sites["plain"]
    page = parse_html(story_file(site, "eruption-reuters"))
    assert page.xpath("//span[@class='cited']//a")  # the page has its markers
    whole = feedparser.parse((site / "feed.xml").read_bytes())
    as_json = json.loads((site / "feed.json").read_text("utf-8"))["items"]
    contents = [e.content[0].value for e in whole.entries] + [i["content_html"] for i in as_json]
    assert contents
    for html in contents:
        assert not re.search(r"\[\d+\]", html), html
    eruption = next(e for e in whole.entries if e.title.startswith("Volcano erupts"))
    first = page.xpath("//span[@class='cited']")[0].text.strip()
    assert first in eruption.content[0].value


def test_date_archive_once_the_digest_is_large(fixture_sites: dict[str, Path]) -> None:
    site = fixture_sites["archive"]
    days = sorted(p.name for p in (site / "archive").glob("*.html"))
    expected = ["2024-01-13.html", "2024-01-14.html", "2024-01-15.html", "index.html"]
    assert days == [*expected, "undated.html"]
    day = parse_html(site / "archive" / "2024-01-14.html")
    assert texts(day, "//h2[@class='story-title']") == [
        "United win the cup final after extra time & penalties"
    ]
    assert day.xpath("//a[@rel='prev']/@href") == ["../archive/2024-01-15.html"]
    assert day.xpath("//a[@rel='next']/@href") == ["../archive/2024-01-13.html"]
    index = parse_html(site / "archive" / "index.html")
    assert texts(index, "//h2") == ["January 2024", "Undated"]
    nav = parse_html(site / "index.html").xpath("//nav[@aria-label='Site']//a/@href")
    assert "archive/index.html" in nav


def test_front_page_shortens_topics_when_archived(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(site_context, "INDEX_STORIES_PER_TOPIC", 1)
    content = write_fixture(tmp_path / "content")
    site = build_into(tmp_path, content, "site", archive_threshold=3, top_stories=0)
    world = parse_html(site / "index.html").xpath("//section[@class='topic']")[0]
    assert len(world.xpath(".//li")) == 1
    assert texts(world, ".//p[@class='more']") == ["All 2 stories in World"]


def test_sources_page_counts_articles_per_outlet(tmp_path: Path) -> None:
    site = build_into(tmp_path, SEEDS, "site")
    tree = parse_html(site / "sources" / "index.html")
    rows = [texts(tr, "./*") for tr in tree.xpath("//table[@class='outlets']/tbody/tr")]
    assert rows[-1] == ["Source unknown", "1", "1"]
    assert sorted(rows[:-1]) == [
        ["The Sun", "1", "1"],
        ["breitbart.com", "1", "1"],
        ["thenationalnews.com", "1", "1"],
    ]
    unknown = parse_html(site / "sources" / "unknown.html")
    assert texts(unknown, "//ul[@class='article-list']/li/a") == [
        "The chief of Wagner mercenary force, Yevgeny Prigozhin, has been allowed to leave "
        "Russia for Belarus…"
    ]


# --- feeds -----------------------------------------------------------------------


def test_feed_dates_come_from_the_articles(fixture_sites: dict[str, Path]) -> None:
    site = fixture_sites["plain"]
    story = story_file(site, "eruption-reuters").with_suffix(".xml")
    parsed = feedparser.parse(story.read_bytes())
    assert [e.updated for e in parsed.entries] == [
        "2024-01-15T00:00:00Z",
        "2024-01-14T10:30:00Z",
        "2024-01-14T08:10:00Z",
    ]
    assert parsed.feed.updated == "2024-01-15T00:00:00Z"
    whole = feedparser.parse((site / "feed.xml").read_bytes())
    assert whole.feed.updated == "2024-01-15T00:00:00Z"
    assert whole.entries[0].published == "2024-01-14T08:10:00Z"  # its first report


def test_feeds_of_an_undated_digest_use_a_fixed_date(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.md").write_text(
        "---\ntitle: Undated\n---\nA report with no date at all, about a bridge.\n", "utf-8"
    )
    site = build_into(tmp_path, content, "site")
    parsed = feedparser.parse((site / "feed.xml").read_bytes())
    assert parsed.feed.updated == feeds.EPOCH and not parsed.bozo


def test_atom_escapes_markup_and_drops_forbidden_characters() -> None:
    nasty = 'Ünïcode <script>alert("x")</script> & \x00\x0b\x1f\ufffe done'
    entry = feeds.Entry(
        id="urn:uuid:1",
        title=nasty,
        link="a.html?x=1&y=2",
        updated="2024-01-01T00:00:00Z",
        published=None,
        summary=nasty,
        content_html=f"<p>{nasty}</p>",
    )
    feed = feeds.Feed(
        "urn:uuid:0", nasty, nasty, "feed.xml", "index.html", "en", nasty, (entry,), False
    )
    data = feeds.atom_xml(feed)
    tree = lxml.etree.fromstring(data)  # well-formed XML
    title = tree.findtext("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}title")
    assert title == 'Ünïcode <script>alert("x")</script> &  done'
    assert not feedparser.parse(data).bozo
    parsed = json.loads(feeds.json_feed(feed))
    assert parsed["items"][0]["title"] == title


def test_rfc3339_dates() -> None:
    assert feeds.rfc3339("2024-01-15") == "2024-01-15T00:00:00Z"
    assert feeds.rfc3339("2024-01-15T10:30:00Z") == "2024-01-15T10:30:00Z"
    assert feeds.rfc3339("2024-01-15T10:30:00+02:00") == "2024-01-15T08:30:00Z"
    assert feeds.rfc3339("2024-01") is None and feeds.rfc3339(None) is None


def test_pages_drop_characters_html_forbids() -> None:
    env = render.make_environment()
    assert env.from_string("{{ x }}").render(x="a\x0b\x00b<") == "ab&lt;"


# --- base URL ------------------------------------------------------------------------


def test_base_url_gives_canonical_and_open_graph_but_relative_links(
    fixture_sites: dict[str, Path],
) -> None:
    site = fixture_sites["archive"]
    path = story_file(site, "eruption-reuters")
    tree = parse_html(path)
    address = BASE + path.relative_to(site).as_posix()
    assert tree.xpath("//link[@rel='canonical']/@href") == [address]
    assert tree.xpath("//meta[@property='og:url']/@content") == [address]
    assert tree.xpath("//meta[@property='og:type']/@content") == ["article"]
    assert tree.xpath("//meta[@property='og:title']/@content")[0].startswith("Volcano erupts")
    hrefs = tree.xpath("//body//a/@href")
    assert not [h for h in hrefs if h.startswith(BASE)], "in-page links must stay relative"


def test_without_base_url_no_canonical_or_open_graph(fixture_sites: dict[str, Path]) -> None:
    html = story_file(fixture_sites["plain"], "eruption-reuters").read_text("utf-8")
    assert 'rel="canonical"' not in html and "og:" not in html


def test_404_page_links_are_absolute_with_a_base_url(fixture_sites: dict[str, Path]) -> None:
    tree = parse_html(fixture_sites["archive"] / "404.html")
    hrefs = tree.xpath("//a/@href | //link/@href | //form/@action")
    assert hrefs and all(h.startswith(BASE) or h.startswith("#") for h in hrefs), hrefs
    assert tree.xpath("//link[@rel='canonical']") == []
    plain = parse_html(fixture_sites["plain"] / "404.html")
    assert "index.html" in plain.xpath("//main//a/@href")


@pytest.mark.parametrize(
    ("given", "expected"),
    [("https://user.github.io/repo", "https://user.github.io/repo/"), (BASE, BASE)],
)
def test_base_url_gets_a_trailing_slash(given: str, expected: str) -> None:
    assert Config().with_overrides(base_url=given).base_url == expected


@pytest.mark.parametrize("bad", ["ftp://x.org/", "https://", "https://x.org/?a=1", "x.org"])
def test_bad_base_url_is_refused(bad: str) -> None:
    with pytest.raises(DigestError, match="base_url"):
        Config().with_overrides(base_url=bad)


def test_cli_base_url_wins_over_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_fixture(tmp_path / "content")
    Path("digest.toml").write_text('base_url = "https://from-config.example/"\n', "utf-8")
    result = CliRunner().invoke(main, ["build", "--base-url", "https://from-cli.example/d"])
    assert result.exit_code == 0, result.output
    feed = Path("site/feed.xml").read_text("utf-8")
    assert "https://from-cli.example/d/feed.xml" in feed and "from-config" not in feed
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    assert "https://from-config.example/feed.xml" in Path("site/feed.xml").read_text("utf-8")


def test_cli_rejects_a_bad_base_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_fixture(tmp_path / "content")
    result = CliRunner().invoke(main, ["build", "--base-url", "javascript:alert(1)"])
    assert result.exit_code == 1
    assert "'base_url' must be an http:// or https:// address" in result.output
    assert "Traceback" not in result.output


# --- config -------------------------------------------------------------------------


def test_new_settings_are_validated(tmp_path: Path) -> None:
    path = tmp_path / "digest.toml"
    path.write_text('search = "yes"\narchive_threshold = -1\n', "utf-8")
    with pytest.raises(DigestError) as info:
        load_config(path)
    assert "'search' must be true or false, not text ('yes')" in str(info.value)
    path.write_text("archive_threshold = -1\n", "utf-8")
    with pytest.raises(DigestError, match="'archive_threshold' must be 0 or more"):
        load_config(path)
    path.write_text("search = false\narchive_threshold = 0\n", "utf-8")
    config, _ = load_config(path)
    assert config.search is False and config.archive_threshold == 0


# --- search ---------------------------------------------------------------------------


def test_search_index_covers_stories_and_articles(fixture_sites: dict[str, Path]) -> None:
    site = fixture_sites["plain"]
    entry = json.loads((site / "pagefind" / "pagefind-entry.json").read_text("utf-8"))
    data = json.loads((site / "digest.json").read_text("utf-8"))
    pages = sum(lang["page_count"] for lang in entry["languages"].values())
    assert pages == len(data["stories"]) + len(data["articles"])
    tree = parse_html(site / "index.html")
    assert tree.xpath("//form[@role='search']/@action") == ["search.html"]
    search = parse_html(site / "search.html")
    assert search.xpath("//script[@type='module']/@src") == ["assets/search.js"]


def test_search_can_be_turned_off(tmp_path: Path) -> None:
    content = write_fixture(tmp_path / "content")
    site = build_into(tmp_path, content, "site", search=False)
    assert not (site / "pagefind").exists()
    assert not (site / "search.html").exists()
    assert not (site / "assets" / "search.js").exists()
    assert 'role="search"' not in (site / "index.html").read_text("utf-8")


def test_missing_pagefind_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_fixture(tmp_path / "content")
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(tmp_path / "no-such-pagefind"))
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 1
    assert "pagefind binary was not found" in result.output and "search = false" in result.output
    assert not Path("site").exists()


# --- template overrides -------------------------------------------------------------


def test_user_templates_override_built_ins_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_fixture(tmp_path / "content")
    templates = tmp_path / "templates"
    (templates / "assets").mkdir(parents=True)
    (templates / "story.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1 class="mine">{{ story.title }}</h1>'
        "{% endblock %}",
        "utf-8",
    )
    (templates / "assets" / "style.css").write_text("body { color: rebeccapurple; }\n", "utf-8")
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    site = tmp_path / "site"
    story = parse_html(story_file(site, "eruption-reuters"))
    assert texts(story, "//h1[@class='mine']") == [
        "Volcano erupts near Grindavik as lava reaches homes"
    ]
    assert story.xpath("//nav[@aria-label='Site']"), "base.html still comes from digest"
    assert (site / "assets" / "style.css").read_text("utf-8") == "body { color: rebeccapurple; }\n"
    assert parse_html(site / "index.html").xpath("//section[@class='topic']"), "others unchanged"


def test_broken_user_template_stops_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_fixture(tmp_path / "content")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "topic.html").write_text("{{ no_such_thing.x }}", "utf-8")
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 1
    assert "template error in" in result.output and "Traceback" not in result.output


# --- keyword pages ------------------------------------------------------------


def keyword_uses(site: Path) -> dict[str, tuple[int, int]]:
    """Keyword label -> (articles listing it, stories listing it), from digest.json."""
    data = json.loads((site / "digest.json").read_text("utf-8"))
    uses: dict[str, list[int]] = {}
    for kind, n in (("articles", 0), ("stories", 1)):
        for record in data[kind]:
            for label in set(record["keywords"]):
                uses.setdefault(label.lower(), [0, 0])[n] += 1
    return {k: (a, s) for k, (a, s) in uses.items()}


def test_only_keywords_shared_by_two_articles_or_stories_get_a_page(
    fixture_sites: dict[str, Path], tmp_path: Path
) -> None:
    site = fixture_sites["plain"]
    uses = keyword_uses(site)
    index = parse_html(site / "keywords" / "index.html")
    listed = {label.lower() for label in texts(index, "//ul[@class='keyword-index']/li/a")}
    pages = {p.name for p in (site / "keywords").glob("*.html")} - {"index.html"}
    assert len(pages) == len(listed) > 0
    rare = {k for k, (a, s) in uses.items() if a < 2 and s < 2}
    # keywords that name nothing ("ahead", "people") get no page however often used
    generic = {k for k, label in keyword_labels(site).items() if not names_something(label)}
    assert rare and not rare & listed and not generic & listed
    assert listed == {k for k in uses if k not in rare | generic}
    # on article pages a keyword without a page is a plain label, one with a page a link
    linked, plain = set(), set()
    for page in (site / "articles").glob("*.html"):
        tree = parse_html(page)
        linked |= {t.lower() for t in texts(tree, "//ul[@class='keywords']/li/a")}
        plain |= {t.lower() for t in texts(tree, "//ul[@class='keywords']/li/span")}
    assert plain and plain <= rare | generic and linked <= listed

    every = build_into(
        tmp_path, write_fixture(tmp_path / "content"), "all", keyword_page_min_articles=1
    )
    every_generic = {k for k, label in keyword_labels(every).items() if not names_something(label)}
    page_count = len(list((every / "keywords").glob("*.html"))) - 1
    assert page_count == len(keyword_uses(every).keys() - every_generic)


def keyword_labels(site: Path) -> dict[str, str]:
    """Keyword key (lower case) -> the label its page would carry: a story's form
    over the first article's, as the renderer picks it."""
    data = json.loads((site / "digest.json").read_text("utf-8"))
    labels: dict[str, str] = {}
    for record in data["articles"]:
        for label in record["keywords"]:
            labels.setdefault(label.lower(), label)
    for record in data["stories"]:
        for label in record["keywords"]:
            labels[label.lower()] = label
    return labels
