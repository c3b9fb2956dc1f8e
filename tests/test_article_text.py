"""Publishing rights (setting `article_text`): an article from another site is
published as an excerpt — headline, lead, keywords, outlet, date, link out — and
nothing else of its text reaches any file of the site; the owner's own articles,
or every article under `full`, are published whole."""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.config import Config, load_config
from digest.excerpts import EXCERPT_WORDS, excerpt_of, from_another_site, shows_excerpt
from digest.models import Article, DigestError, Meta
from tests.conftest import Builder, parse_html

# a sentence deep inside the foreign report, and one deep inside the owner's note
DEEP = "Harbour inspector Olwen Brightwater counted seventeen turquoise lampposts near the ferry."
OWN_DEEP = "My neighbour Tamsin Arkwright repaired the orchard gate with reclaimed oak."
FOREIGN_URL = "https://news.example.com/2024/03/harbour-storm"

# the rest of the foreign report: a real report's length and variety (about 330 words)
REPORT = [
    "A winter storm flooded the old harbour of Port Elwyn on Tuesday night.",
    "The council closed the quay road and moved fishing boats to the inner basin.",
    "Waves broke over the harbour wall for six hours, the coastguard said.",
    "About forty homes on the seafront lost power until Wednesday morning.",
    "Storm crews worked through the night moving sandbags along the harbour wall.",
    "The pumping station at the fish market failed shortly after midnight.",
    "Residents of Quay Street were taken to the community hall by lifeboat crews.",
    "The storm flooded the harbour car park and damaged two fishing boats.",
    "Insurers expect claims from shops along the harbour front to run into millions.",
    "The council said the harbour wall would be inspected before the road reopens.",
    "Fishing crews were told to keep their boats in the inner basin until Friday.",
    "Forecasters warned that a second storm could reach the coast at the weekend.",
    "The harbour master said the flood was the worst since the wall was raised.",
    "Volunteers cleared mud and seaweed from the fish market on Wednesday.",
    "The ferry to the islands was cancelled and will resume when the wind drops.",
    "Schools near the harbour stayed closed while the streets were cleaned.",
]


def write_content(folder: Path) -> Path:
    """A report from another site (deep sentence in the middle) and an own note."""
    content = folder / "content"
    content.mkdir()
    body = " ".join(REPORT[:2]) + "\n\n" + " ".join([*REPORT[2:10], DEEP, *REPORT[10:]])
    (content / "harbour.md").write_text(
        "---\ntitle: Storm floods Port Elwyn harbour\ndate: 2024-03-05T09:00:00Z\n"
        f"source: Example News\nurl: {FOREIGN_URL}\n---\n{body}\n",
        "utf-8",
    )
    note = " ".join(
        [
            "The allotment society met on Saturday to plan the spring planting.",
            "Members agreed to share seed potatoes and a new rota for watering.",
            "The treasurer reported that the society had saved enough for a new shed.",
            "Two new plots by the river will go to families on the waiting list.",
            OWN_DEEP,
            "The next meeting is in April, when the beds will be marked out.",
        ]
    )
    (content / "allotment.md").write_text(
        f"---\ntitle: Allotment society plans spring\ndate: 2024-03-04\n---\n{note}\n", "utf-8"
    )
    return content


def site_texts(site: Path) -> dict[str, str]:
    """Every file of a site as text: the search index's compressed files decompressed."""
    texts = {}
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        data = path.read_bytes()
        with contextlib.suppress(OSError, EOFError):
            data = gzip.decompress(data)  # Pagefind's index and fragments are gzipped
        texts[path.relative_to(site).as_posix()] = data.decode("utf-8", "replace")
    return texts


def files_with(texts: dict[str, str], sentence: str) -> list[str]:
    # the words of the sentence, so a line break or markup between two cannot hide it
    probe = sentence.split()[-4:]
    return sorted(name for name, text in texts.items() if " ".join(probe) in " ".join(text.split()))


@pytest.fixture
def content(tmp_path: Path) -> Path:
    return write_content(tmp_path)


@pytest.mark.parametrize(
    ("setting", "base_url"),
    [("auto", None), ("auto", "https://me.example.org/digest/"), ("excerpt", None)],
)
def test_foreign_article_text_reaches_no_file_of_the_site(
    build_site: Builder, content: Path, setting: str, base_url: str | None
) -> None:
    _, data, site = build_site(content, article_text=setting, base_url=base_url)
    texts = site_texts(site)
    assert any(name.startswith("pagefind/") and "fragment" in name for name in texts)
    assert files_with(texts, DEEP) == []
    # the story summary, made from the whole report, is cited extracts: not the deep one
    assert all(DEEP not in s["text"] for story in data["stories"] for s in story["summary"])
    harbour = next(a for a in data["articles"] if a["url"] == FOREIGN_URL)
    assert harbour["article_text"] == "excerpt"
    page = parse_html(site / "articles" / f"{harbour['id']}.html")
    body = " ".join(page.xpath("string(//div[@class='body'])").split())
    assert body.startswith("A winter storm flooded the old harbour of Port Elwyn on Tuesday night.")
    assert len(body.split()) <= EXCERPT_WORDS
    link = page.xpath("//p[@class='read-full']/a")[0]
    assert link.get("href") == FOREIGN_URL
    assert link.text_content() == "Read the full article at Example News"
    assert page.xpath("//ul[@class='keywords']/li")  # keywords stay
    assert page.xpath("//time/@datetime") == ["2024-03-05T09:00:00Z"]
    # the description tags (Open Graph's too, with a base URL) carry no more than the excerpt
    descriptions = page.xpath("//meta[@name='description' or @property='og:description']")
    assert len(descriptions) == (2 if base_url else 1)
    for tag in descriptions:
        assert tag.get("content") in body
    # the story feed's entry for it: the excerpt and the link out
    story = next(s for s in data["stories"] if harbour["id"] in s["articles"])
    feed = texts[f"stories/{story['id']}.xml"]
    assert "Read the full article at Example News" in feed
    assert "A winter storm flooded the old harbour" in feed


def test_full_publishes_the_whole_text_everywhere_it_went_before(
    build_site: Builder, content: Path
) -> None:
    _, data, site = build_site(content, article_text="full")
    found = files_with(site_texts(site), DEEP)
    harbour = next(a for a in data["articles"] if a["url"] == FOREIGN_URL)
    assert harbour["article_text"] == "full"
    assert f"articles/{harbour['id']}.html" in found
    # the search index holds the page's text: the check above can see inside it
    assert any(name.startswith("pagefind/") for name in found), found
    page = parse_html(site / "articles" / f"{harbour['id']}.html")
    assert page.xpath("//p[@class='read-full']") == []
    assert page.xpath("//p[@class='read-original']/a/@href") == [FOREIGN_URL]


def test_auto_publishes_the_owners_own_articles_whole(build_site: Builder, content: Path) -> None:
    _, data, site = build_site(content)  # the default: auto
    note = next(a for a in data["articles"] if a["url"] is None)
    assert note["article_text"] == "full"
    assert f"articles/{note['id']}.html" in files_with(site_texts(site), OWN_DEEP)


def test_excerpt_setting_cuts_articles_without_url_too(build_site: Builder, content: Path) -> None:
    _, data, site = build_site(content, article_text="excerpt")
    note = next(a for a in data["articles"] if a["url"] is None)
    assert note["article_text"] == "excerpt"
    assert OWN_DEEP not in " ".join(note["lead"])
    # (its story's summary, made from the whole note, may quote it: summaries stay)
    pages = [n for n in files_with(site_texts(site), OWN_DEEP) if n.startswith("articles/")]
    assert pages == []
    page = parse_html(site / "articles" / f"{note['id']}.html")
    assert page.xpath("//p[@class='read-full']") == []  # nowhere to link to
    assert "not shown on this site" in page.xpath("string(//p[contains(@class, 'excerpt-note')])")


def test_switching_the_setting_rebuilds_the_pages(build_site: Builder, content: Path) -> None:
    _, data, site = build_site(content, article_text="full")
    harbour = next(a for a in data["articles"] if a["url"] == FOREIGN_URL)
    page = site / "articles" / f"{harbour['id']}.html"
    assert DEEP.split()[-1] in page.read_text("utf-8")
    again, _, _ = build_site(content, article_text="full")
    assert again.up_to_date  # the state check is on: nothing changed, nothing done
    switched, _, _ = build_site(content, article_text="auto")
    assert not switched.up_to_date and switched.files_written > 0
    assert switched.cache_hits == 2  # the analysis is the same: only pages change
    assert files_with(site_texts(site), DEEP) == []


# --- which articles, which excerpt ------------------------------------------------------


def article(
    url: str | None = None, lead: tuple[str, ...] = (), sentences: tuple[str, ...] = ()
) -> Article:
    return Article(
        id="a",
        path="a.md",
        title="A title",
        title_derived=False,
        meta=Meta(url=url),
        blocks=(),
        sentences=sentences or lead,
        lead=lead,
        keywords=(),
        terms=(),
        term_counts=(),
        shingles=b"",
        word_count=0,
    )


@pytest.mark.parametrize(
    ("url", "base_url", "foreign"),
    [
        ("https://news.example.com/a", None, True),  # no base URL: any source URL
        ("https://news.example.com/a", "https://me.example.org/digest/", True),
        ("https://me.example.org/notes/a", "https://me.example.org/digest/", False),
        ("http://WWW.me.example.org:8080/a", "https://me.example.org/", False),
        ("https://example.org.evil.test/a", "https://example.org/", True),
        (None, None, False),
        ("javascript:alert(1)", None, False),  # not a source URL at all
    ],
)
def test_auto_tells_other_sites_from_the_digests_own(
    url: str | None, base_url: str | None, foreign: bool
) -> None:
    assert from_another_site(url, base_url) is foreign
    assert shows_excerpt(article(url), "auto", base_url) is foreign
    assert shows_excerpt(article(url), "excerpt", base_url)
    assert not shows_excerpt(article(url), "full", base_url)


def sentence(words: int, tag: str) -> str:
    return " ".join(f"{tag}{n}" for n in range(words - 1)) + " end."


def test_excerpt_takes_whole_lead_sentences_up_to_the_word_limit() -> None:
    lead = (sentence(25, "a"), sentence(30, "b"), sentence(10, "c"))
    assert excerpt_of(article(lead=lead)) == lead[:2]  # 55 words; a third would make 65
    assert excerpt_of(article(lead=lead), max_words=24) == (" ".join(lead[0].split()[:24]) + "…",)


def test_a_first_sentence_over_the_limit_is_cut_at_a_word_with_an_ellipsis() -> None:
    long = " ".join(f"word{n}," for n in range(200))
    (cut,) = excerpt_of(article(lead=(long, sentence(5, "x"))))
    assert cut.endswith("word59…")  # whole words only, the comma before the ellipsis dropped
    assert len(cut.split()) == EXCERPT_WORDS


def test_an_article_without_lead_is_excerpted_from_its_first_sentences() -> None:
    body = ("Short one.", sentence(20, "d"), sentence(50, "e"))
    assert excerpt_of(article(sentences=body)) == body[:2]


# --- the setting -------------------------------------------------------------------------


def test_setting_comes_from_the_file_the_environment_and_the_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_config(None, environ={})[0].article_text == "auto"
    (tmp_path / "digest.toml").write_text('article_text = "full"\n', "utf-8")
    assert load_config(None, environ={})[0].article_text == "full"
    env = {"DIGEST_ARTICLE_TEXT": "excerpt"}
    assert load_config(None, environ=env)[0].article_text == "excerpt"
    assert load_config(None, environ=env, article_text="full")[0].article_text == "full"


@pytest.mark.parametrize(
    ("toml", "env"), [('article_text = "summary"\n', {}), ("", {"DIGEST_ARTICLE_TEXT": "summary"})]
)
def test_an_unknown_value_is_a_config_error_naming_the_choices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str, env: dict[str, str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "digest.toml").write_text(toml, "utf-8")
    with pytest.raises(DigestError) as caught:
        load_config(None, environ=env)
    assert "'article_text' must be one of 'auto', 'excerpt', 'full', not 'summary'" in str(
        caught.value
    )


def test_cli_flag_and_environment_reach_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_content(tmp_path)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def deep_on_pages(*args: str, env: dict[str, Any] | None = None) -> bool:
        result = runner.invoke(main, ["build", "-q", *args], env=env)
        assert result.exit_code == 0, result.output
        data = json.loads((tmp_path / "site" / "digest.json").read_text("utf-8"))
        return any(a["article_text"] == "full" and a["url"] for a in data["articles"])

    assert not deep_on_pages()
    assert deep_on_pages(env={"DIGEST_ARTICLE_TEXT": "full"})
    assert not deep_on_pages("--article-text", "auto", env={"DIGEST_ARTICLE_TEXT": "full"})
    result = runner.invoke(main, ["build", "--article-text", "summary"])
    assert result.exit_code == 2 and "'auto', 'excerpt', 'full'" in result.output


def test_the_setting_does_not_change_the_per_article_cache_key() -> None:
    from digest.cache import fingerprint

    config = Config()
    assert fingerprint(config) == fingerprint(dataclasses.replace(config, article_text="full"))
