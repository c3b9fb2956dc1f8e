"""Loading: content files -> Documents (metadata, blocks) or Problems."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from digest.clean import clean_document
from digest.dates import parse_date
from digest.load import SourceFile, load_document, read_content
from digest.models import Document
from digest.urls import http_url, majority_domain

SEEDS = Path(__file__).resolve().parents[1] / "content"


def load(path: str, text: str | bytes) -> Document:
    """Load one file from text; fail the test if it became a Problem."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    doc = load_document(SourceFile(path, data))
    assert isinstance(doc, Document), doc
    return doc


def seed(prefix: str) -> Document:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return load(path.name, path.read_bytes())


def texts(doc: Document) -> list[str]:
    return [t for b in doc.blocks for t in b.texts()]


# --------------------------------------------------------------------------- Markdown


FULL_FRONT_MATTER = """\
---
title: Wagner chief leaves Russia for Belarus
date: 2023-06-24
source: Reuters
url: https://www.reuters.com/world/europe/wagner-2023-06-24/
author: Jane Roe
tags: [Russia, Wagner, Belarus]
lang: en-GB
section: World
story: wagner-mutiny
exclude: true
---
The chief of the Wagner group has left Russia for Belarus.

- first point
- second point
"""


def test_markdown_front_matter_fields_become_meta():
    doc = load("wagner.md", FULL_FRONT_MATTER)
    meta = doc.meta
    assert meta.title == "Wagner chief leaves Russia for Belarus"
    assert meta.date == "2023-06-24"
    assert meta.source == "Reuters"
    assert meta.source_evidence == "meta"
    assert meta.url == "https://www.reuters.com/world/europe/wagner-2023-06-24/"
    assert meta.author == "Jane Roe"
    assert meta.tags == ("Russia", "Wagner", "Belarus")
    assert meta.lang == "en-GB"
    assert meta.section == "World"
    assert meta.story == "wagner-mutiny"
    assert meta.exclude is True
    assert doc.problems == ()


def test_markdown_body_keeps_paragraphs_and_lists():
    doc = load("wagner.md", FULL_FRONT_MATTER)
    assert [b.kind for b in doc.blocks] == ["p", "ul"]
    assert doc.blocks[0].text == "The chief of the Wagner group has left Russia for Belarus."
    assert doc.blocks[1].items == ("first point", "second point")
    # front matter is metadata, never body text
    assert not any("wagner-mutiny" in t or "Reuters" in t for t in texts(doc))


def test_markdown_without_front_matter_loads_body_only():
    doc = load("plain.md", "Just a paragraph of *Markdown* text.\n")
    assert doc.meta.title is None
    assert texts(doc) == ["Just a paragraph of Markdown text."]


def test_markdown_exclude_only_when_true():
    doc = load("a.md", "---\ntitle: x\nexclude: no\n---\nBody text.\n")
    assert doc.meta.exclude is False
    doc = load("b.md", "---\ntitle: x\ndraft: true\n---\nBody text.\n")
    assert doc.meta.exclude is True


def test_markdown_comma_separated_tags_are_split():
    doc = load("a.md", "---\ntags: Russia, Wagner , ,Belarus\n---\nBody text.\n")
    assert doc.meta.tags == ("Russia", "Wagner", "Belarus")


def test_markdown_source_falls_back_to_url_domain():
    doc = load("a.md", "---\nurl: https://www.bbc.co.uk/news/world-66000000\n---\nBody text.\n")
    assert doc.meta.url == "https://www.bbc.co.uk/news/world-66000000"
    assert doc.meta.source == "bbc.co.uk"


def test_markdown_first_heading_becomes_title_when_meta_has_none():
    doc = clean_document(load("a.md", "# Wagner turns back\n\nThe convoy stopped near Moscow.\n"))
    assert doc.headline == "Wagner turns back"
    assert texts(doc) == ["The convoy stopped near Moscow."]


# --------------------------------------------------------------------------- plain text


def test_text_date_header_line_rest_is_body():
    doc = load("a.txt", " date 2023-06-24 Follow the latest news here\n\nThe convoy stopped.\n")
    assert doc.meta.date == "2023-06-24"
    assert texts(doc) == ["Follow the latest news here", "The convoy stopped."]
    assert not any("2023" in t for t in texts(doc))


def test_text_source_header_line():
    doc = load("a.txt", "Source: The Sun\n\nThe convoy stopped near Moscow on Saturday.\n")
    assert doc.meta.source == "The Sun"
    assert doc.meta.source_evidence == "meta"
    assert texts(doc) == ["The convoy stopped near Moscow on Saturday."]


def test_text_several_header_lines():
    doc = load(
        "a.txt",
        "Title: Wagner turns back\nDate: June 24, 2023\nAuthor: Jane Roe\n"
        "URL: https://example.com/wagner\n\nThe convoy stopped near Moscow.\n",
    )
    assert doc.meta.title == "Wagner turns back"
    assert doc.meta.date == "2023-06-24"
    assert doc.meta.author == "Jane Roe"
    assert doc.meta.url == "https://example.com/wagner"
    assert texts(doc) == ["The convoy stopped near Moscow."]


def test_text_sentence_starting_with_a_header_word_is_body():
    doc = load("a.txt", "Source material was scarce as the convoy moved north.\n\nMore text.\n")
    assert doc.meta.source is None
    assert texts(doc)[0] == "Source material was scarce as the convoy moved north."


@pytest.mark.parametrize(
    ("first_line", "body"),
    [
        ("date 2023-06-24 10 people died in the clashes.", "10 people died in the clashes."),
        ("date 2023-06-24 On Saturday, the convoy moved.", "On Saturday, the convoy moved."),
    ],
)
def test_text_date_header_leaves_body_words_alone(first_line, body):
    # Words after the date that do not change it belong to the body.
    doc = load("a.txt", f"{first_line}\n\nMore text.\n")
    assert doc.meta.date == "2023-06-24"
    assert texts(doc)[0] == body


def test_text_date_header_keeps_time_of_day():
    doc = load("a.txt", "date June 24, 2023 10:30 pm The convoy moved.\n")
    assert doc.meta.date == "2023-06-24T22:30:00"
    assert texts(doc) == ["The convoy moved."]


def test_text_date_header_of_date_words_only_is_all_date():
    doc = load("a.txt", "Date: June 24, 2023 Saturday\n\nThe convoy moved.\n")
    assert doc.meta.date == "2023-06-24"
    assert texts(doc) == ["The convoy moved."]


def test_text_first_line_that_reads_as_headline_becomes_title():
    doc = clean_document(
        load("a.txt", "Wagner chief flees to Belarus\n\nThe convoy stopped near Moscow.\n")
    )
    assert doc.headline == "Wagner chief flees to Belarus"
    assert texts(doc) == ["The convoy stopped near Moscow."]


def test_text_first_line_that_is_a_sentence_is_no_title():
    doc = clean_document(
        load("a.txt", "The convoy stopped near Moscow on Saturday.\n\nMore body text here.\n")
    )
    assert doc.headline is None
    assert doc.meta.title is None
    assert texts(doc)[0] == "The convoy stopped near Moscow on Saturday."


def test_text_bullet_lines_become_a_list():
    doc = load("a.txt", "Intro paragraph here.\n\n  • first point\n  • second point\n\nAfter.\n")
    assert [b.kind for b in doc.blocks] == ["p", "ul", "p"]
    assert doc.blocks[1].items == ("first point", "second point")


def test_text_hard_wrapped_lines_are_joined():
    line = "word " * 12
    text = "\n".join(f"{line}{i}" for i in range(5)) + "\n"
    doc = load("a.txt", text)
    assert len(doc.blocks) == 1
    assert doc.blocks[0].text.count("word") == 60


def test_text_that_looks_like_html_is_read_as_html():
    doc = load("a.txt", "<p>First <b>bold</b> paragraph.</p><p>Second paragraph.</p>")
    assert texts(doc) == ["First bold paragraph.", "Second paragraph."]


# --------------------------------------------------------------------------- HTML

FULL_PAGE = """<!doctype html>
<html lang="en-GB">
<head>
<title>Wagner turns back | The National</title>
<meta property="og:title" content="Wagner turns back">
<meta property="og:site_name" content="The National">
<meta property="og:url" content="https://www.thenationalnews.com/og">
<link rel="canonical" href="https://www.thenationalnews.com/canonical">
<meta property="article:published_time" content="2023-06-24T10:00:00+02:00">
<meta property="article:tag" content="Russia">
<meta property="article:tag" content="Wagner">
<script>var tracking = "do not read me";</script>
</head>
<body>
<nav><a href="/">Home</a> News</nav>
<article>
<h1>Wagner turns back</h1>
<p>The convoy <em>stopped</em> near Moscow.</p>
<figure><img src="x.jpg"><figcaption>A tank in Rostov</figcaption></figure>
<blockquote><p>We are turning back.</p></blockquote>
<ol><li>one</li><li>two</li></ol>
</article>
<footer>Copyright footer</footer>
</body>
</html>
"""


def test_html_full_page_metadata():
    meta = load("page.html", FULL_PAGE).meta
    assert meta.title == "Wagner turns back"  # og:title before <title>
    assert meta.source == "The National"
    assert meta.url == "https://www.thenationalnews.com/canonical"  # canonical wins
    assert meta.date == "2023-06-24T08:00:00Z"
    assert meta.lang == "en-GB"
    assert meta.tags == ("Russia", "Wagner")


def test_html_full_page_body_is_the_article_only():
    doc = load("page.html", FULL_PAGE)
    # the <h1> repeating the title is the headline, shown above the body, not in it
    assert [(b.kind, b.texts()) for b in doc.blocks] == [
        ("p", ("The convoy stopped near Moscow.",)),
        ("quote", ("We are turning back.",)),
        ("ol", ("one", "two")),
    ]
    body = " ".join(texts(doc))
    for furniture in ("tracking", "Home", "Copyright", "A tank in Rostov"):
        assert furniture not in body


def test_html_title_element_is_the_fallback_title_without_the_site_name():
    page = FULL_PAGE.replace('<meta property="og:title" content="Wagner turns back">', "")
    assert load("page.html", page).meta.title == "Wagner turns back"  # "| The National" cut


@pytest.mark.parametrize(
    ("title", "site_name", "expected"),
    [
        # the site named by og:site_name, before or after the headline
        ("Mars rover lands - BBC News", "BBC News", "Mars rover lands"),
        ("BBC News - Mars rover lands", "BBC News", "Mars rover lands"),
        # named by the URL's host (thenationalnews.com) when og:site_name is absent
        ("Wagner turns back | The National News", None, "Wagner turns back"),
        # a dash inside a real headline stays: "the review" names no site
        ("Spider-Man 2 - the review", "BBC News", "Spider-Man 2 - the review"),
        ("Oil prices - why they fall", None, "Oil prices - why they fall"),
    ],
)
def test_html_title_loses_only_a_part_naming_the_site(
    title: str, site_name: str | None, expected: str
) -> None:
    page = FULL_PAGE.replace('<meta property="og:title" content="Wagner turns back">', "")
    page = page.replace(
        "<title>Wagner turns back | The National</title>", f"<title>{title}</title>"
    )
    if site_name is None:
        page = page.replace('<meta property="og:site_name" content="The National">', "")
    else:
        page = page.replace('content="The National"', f'content="{site_name}"')
    assert load("page.html", page).meta.title == expected


def test_html_og_url_used_without_canonical():
    page = FULL_PAGE.replace(
        '<link rel="canonical" href="https://www.thenationalnews.com/canonical">', ""
    )
    assert load("page.html", page).meta.url == "https://www.thenationalnews.com/og"


def test_html_relative_canonical_does_not_discard_og_url():
    page = FULL_PAGE.replace("https://www.thenationalnews.com/canonical", "/canonical")
    doc = load("page.html", page)
    assert doc.meta.url == "https://www.thenationalnews.com/og"


def test_html_time_datetime_gives_date():
    doc = load(
        "a.html",
        '<html><body><p>Posted <time datetime="2023-06-24T10:00:00Z">Saturday</time></p>'
        "<p>The convoy stopped near Moscow.</p></body></html>",
    )
    assert doc.meta.date == "2023-06-24T10:00:00Z"


def test_html_fragment_loads_paragraphs_and_link_domain():
    doc = load(
        "frag.html",
        '<p>Wagner left <a href="https://www.example.org/a">Rostov</a> and '
        '<a href="https://example.org/b">Moscow</a> was calm.</p>'
        "<p>The Kremlin said <b>nothing</b>.</p>",
    )
    assert texts(doc) == ["Wagner left Rostov and Moscow was calm.", "The Kremlin said nothing."]
    assert doc.meta.source == "example.org"
    assert doc.meta.source_evidence == "links"
    assert doc.meta.url is None  # links in the body are evidence of the outlet, not its URL
    assert doc.meta.title is None


def test_html_javascript_links_are_no_evidence():
    doc = load(
        "frag.html",
        '<p>A <a href="javascript:alert(1)">b</a> <a href="javascript:alert(2)">c</a>.</p>'
        "<p>More text.</p>",
    )
    assert doc.meta.source is None


# --------------------------------------------------------------------------- outlet evidence


def test_seed_000_outlet_from_majority_link_domain():
    doc = seed("000")
    assert doc.meta.source == "thenationalnews.com"
    assert doc.meta.source_evidence == "links"
    assert doc.meta.url is None


def test_seed_002_outlet_from_most_read_promo():
    doc = seed("002")
    assert doc.meta.source == "The Sun"
    assert doc.meta.source_evidence == "promo"
    assert doc.meta.url is None


def test_seed_003_outlet_from_byline_email_domain():
    doc = seed("003")
    assert doc.meta.source == "breitbart.com"
    assert doc.meta.source_evidence == "email"
    assert doc.meta.url is None


def test_seed_001_date_header_and_no_outlet():
    doc = seed("001")
    assert doc.meta.date == "2023-06-24"
    assert doc.meta.source is None  # nothing in the text names it: none is made up
    assert doc.meta.url is None


def test_webmail_address_is_no_outlet():
    doc = load("a.txt", "The convoy stopped near Moscow.\n\nTips to jane.roe@gmail.com please.\n")
    assert doc.meta.source is None


def test_header_source_beats_text_evidence():
    doc = load("a.txt", "Source: Reuters\n\nThe convoy stopped.\n\nMost read in The Sun\n")
    assert doc.meta.source == "Reuters"
    assert doc.meta.source_evidence == "meta"


def test_majority_domain_needs_two_links_and_a_majority():
    assert majority_domain(["https://a.com/1"]) is None
    assert majority_domain(["https://a.com/1", "https://b.com/1"]) is None
    assert majority_domain(["https://www.a.com/1", "https://a.com/2", "https://b.com/"]) == "a.com"


# --------------------------------------------------------------------------- URLs


@pytest.mark.parametrize(
    "text",
    [
        "---\nurl: javascript:alert(1)\n---\nBody text.\n",
        "---\nurl: //example.com/x\n---\nBody text.\n",
        "---\nurl: ftp://example.com/x\n---\nBody text.\n",
        "---\nurl: data:text/html,hi\n---\nBody text.\n",
    ],
)
def test_non_http_url_is_dropped_with_a_problem(text):
    doc = load("bad-url.md", text)
    assert doc.meta.url is None
    assert [p.path for p in doc.problems] == ["bad-url.md"]
    assert "URL" in doc.problems[0].reason


def test_no_url_is_invented_from_body_links():
    doc = load(
        "a.txt",
        "See https://www.reuters.com/world/a and https://reuters.com/world/b for more.\n\n"
        "Body text here.\n",
    )
    assert doc.meta.source == "reuters.com"
    assert doc.meta.url is None


def test_http_url():
    assert http_url(" https://example.com/a?b=1 ") == "https://example.com/a?b=1"
    assert http_url("HTTP://EXAMPLE.COM") == "HTTP://EXAMPLE.COM"
    assert http_url("https://") is None
    assert http_url("https://exa mple.com") is None
    assert http_url("mailto:x@example.com") is None
    assert http_url("/relative") is None


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2023-06-24", "2023-06-24"),
        ("June 24, 2023", "2023-06-24"),
        ("24 June 2023", "2023-06-24"),
        ("2023-06-24T10:00:00+02:00", "2023-06-24T08:00:00Z"),
        ("2023-06-24T10:00:00Z", "2023-06-24T10:00:00Z"),
        ("2023-06-24 10:00", "2023-06-24T10:00:00"),
    ],
)
def test_parse_date_to_iso(raw, iso):
    assert parse_date(raw) == iso


@pytest.mark.parametrize("raw", ["yesterday", "Saturday", "10:00", "24 June", "2023-13-45", ""])
def test_parse_date_refuses_what_is_not_a_date(raw):
    assert parse_date(raw) is None


def test_yaml_date_and_datetime_values():
    doc = load("a.md", "---\ndate: 2023-06-24 10:00:00+02:00\n---\nBody text.\n")
    assert doc.meta.date == "2023-06-24T08:00:00Z"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("a.md", "---\ntitle: Wagner\ndate: sometime last week\n---\nBody text of the article.\n"),
        ("b.txt", "Date: sometime last week\n\nBody text of the article.\n"),
        (
            "c.html",
            '<html><head><meta property="article:published_time" content="not a date">'
            "</head><body><p>Body text of the article.</p></body></html>",
        ),
    ],
)
def test_unparsable_date_is_a_problem_but_article_loads(path, text):
    doc = load(path, text)
    assert doc.meta.date is None
    assert texts(doc) == ["Body text of the article."]
    assert len(doc.problems) == 1
    assert doc.problems[0].path == path
    assert "date" in doc.problems[0].reason


# --------------------------------------------------------------------------- read_content


def write(path: Path, text: str = "The convoy stopped near Moscow.\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_read_content_reads_articles_in_path_order(tmp_path):
    write(tmp_path / "b.md")
    write(tmp_path / "a.txt")
    write(tmp_path / "sub" / "c.html", "<p>Hi there.</p>")
    files, problems = read_content(tmp_path)
    assert [f.path for f in files] == ["a.txt", "b.md", "sub/c.html"]
    assert files[0].data == b"The convoy stopped near Moscow.\n"
    assert problems == []


def test_read_content_skips_hidden_files_and_folders_with_a_problem(tmp_path):
    write(tmp_path / "a.txt")
    write(tmp_path / ".hidden.txt")
    write(tmp_path / ".DS_Store")
    write(tmp_path / ".git" / "notes.md")
    write(tmp_path / ".git" / "objects" / "x.md")
    write(tmp_path / "sub" / ".draft.md")
    write(
        tmp_path / ".digest-cache" / "CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n"
    )
    write(tmp_path / ".digest-cache" / "articles" / "x.md")  # a cache is not content: no problem
    files, problems = read_content(tmp_path)
    assert [f.path for f in files] == ["a.txt"]
    # one problem per hidden folder, not per file in it
    assert {p.path: p.reason for p in problems} == {
        ".DS_Store": "hidden file skipped (its name starts with '.')",
        ".git": "hidden folder skipped (its name starts with '.')",
        ".hidden.txt": "hidden file skipped (its name starts with '.')",
        "sub/.draft.md": "hidden file skipped (its name starts with '.')",
    }


def test_read_content_reports_unknown_extensions(tmp_path):
    write(tmp_path / "a.txt")
    write(tmp_path / "notes.docx")
    write(tmp_path / "README")
    files, problems = read_content(tmp_path)
    assert [f.path for f in files] == ["a.txt"]
    assert sorted(p.path for p in problems) == ["README", "notes.docx"]
    assert all("unknown file type" in p.reason for p in problems)


def test_read_content_extensions_are_case_insensitive(tmp_path):
    write(tmp_path / "A.TXT")
    write(tmp_path / "B.Md")
    files, problems = read_content(tmp_path)
    assert [f.path for f in files] == ["A.TXT", "B.Md"]
    assert problems == []


def test_read_content_refuses_symlinks_outside(tmp_path):
    content = tmp_path / "content"
    secret = write(tmp_path / "outside" / "secret.txt", "secret text\n")
    write(content / "a.txt")
    os.symlink(secret, content / "escape.txt")
    os.symlink(secret.parent, content / "escape-dir")
    files, problems = read_content(content)
    assert [f.path for f in files] == ["a.txt"]
    assert all(b"secret" not in f.data for f in files)
    assert {p.path: p.reason for p in problems} == {
        "escape.txt": "symbolic link points outside the content folder",
        "escape-dir": "symbolic link points outside the content folder",
    }


def test_read_content_follows_symlinked_file_inside(tmp_path):
    write(tmp_path / "sub" / "real.md", "Real text.\n")
    os.symlink(tmp_path / "sub" / "real.md", tmp_path / "alias.md")
    files, problems = read_content(tmp_path)
    assert {f.path: f.data for f in files} == {
        "alias.md": b"Real text.\n",
        "sub/real.md": b"Real text.\n",
    }
    assert problems == []


def test_read_content_refuses_symlink_loops(tmp_path):
    write(tmp_path / "a.txt")
    os.symlink("..", tmp_path / "sub-up", target_is_directory=True)  # points at the parent
    os.symlink(".", tmp_path / "self", target_is_directory=True)  # points at the content root
    os.symlink("loop.txt", tmp_path / "loop.txt")  # points at itself
    os.symlink("missing.txt", tmp_path / "broken.txt")
    (tmp_path / "sub").mkdir()
    os.symlink("..", tmp_path / "sub" / "up", target_is_directory=True)
    files, problems = read_content(tmp_path)
    assert [f.path for f in files] == ["a.txt"]
    reasons = {p.path: p.reason for p in problems}
    assert set(reasons) == {"sub-up", "self", "loop.txt", "broken.txt", "sub/up"}
    assert "outside" in reasons["sub-up"]
    assert "loop" in reasons["self"]
    assert "loop" in reasons["sub/up"]
    assert "broken or looping" in reasons["loop.txt"]
    assert "broken or looping" in reasons["broken.txt"]


def test_read_content_symlinked_folder_inside_does_not_flag_the_real_one(tmp_path):
    # "alias" sorts before "sub": the real folder must still not be called a loop,
    # and its article must be read once, not twice.
    write(tmp_path / "sub" / "c.md", "Text.\n")
    os.symlink("sub", tmp_path / "alias", target_is_directory=True)
    files, problems = read_content(tmp_path)
    assert [f.path for f in files] == ["sub/c.md"]
    assert problems == []


def test_read_content_refuses_files_too_large(tmp_path, monkeypatch):
    import digest.load.files

    monkeypatch.setattr(digest.load.files, "MAX_FILE_BYTES", 10)
    write(tmp_path / "big.txt", "x" * 11)
    write(tmp_path / "small.txt", "x" * 10)
    files, problems = read_content(tmp_path)
    assert [f.path for f in files] == ["small.txt"]
    assert [p.path for p in problems] == ["big.txt"]
    assert "too large" in problems[0].reason
