"""A whole saved page -> its article body and metadata (digest/page_body.py, trafilatura)."""

from __future__ import annotations

import pytest

from digest.load import SourceFile, load_document
from digest.models import Block, Document
from digest.page_body import MAX_PAGE_TAGS, extract_page, is_full_page, within_bounds

PAGE = """\
<!doctype html>
<html lang="fr-FR">
<head>
<title>Harbour bridge reopens after repairs - The Coastal Courier</title>
<meta property="og:site_name" content="The Coastal Courier">
<link rel="canonical" href="https://courier.example.com/2024/05/02/harbour-bridge-reopens">
<script
type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle","headline":"Harbour
bridge reopens after
repairs","datePublished":"2024-05-02T07:30:00Z","author":{"@type":"Person","name":"Mara
Lindqvist"}}</script>
</head>
<body>
<header><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<div class="cookie-banner">We use cookies to improve your experience. Accept all
cookies?</div></header>
<main>
<article>
<h1>Harbour bridge reopens after repairs</h1>
<p class="byline">By Mara Lindqvist</p>
<p>The harbour bridge opened to traffic again on Thursday morning after eight months of repairs to
its steel deck, the city's transport office said.</p>
<p>Engineers replaced more than four hundred corroded plates and repainted the whole span, a job
that cost the city about twelve million euros.</p>
<h2>Buses return first</h2>
<p>Bus lines 4 and 11 will use the bridge from Monday, while lorries heavier than forty tonnes
stay on the ring road until the load tests end in June.</p>
<ul><li>Cars: open from Thursday</li><li>Buses: open from Monday</li></ul>
<p>Shop owners on the north bank welcomed the news, saying trade had fallen by a third since the
closure began last September.</p>
</article>
<section class="related"><h3><a href="/a">Ferry fares rise again</a></h3><h3><a href="/b">New
cycle lanes planned</a></h3><h3><a href="/c">Council approves budget</a></h3></section>
<section id="comments"><h2>Comments</h2><div class="comment"><p>Finally! It took them long enough
to fix that bridge, honestly.</p></div></section>
</main>
<footer><p>© 2024 The Coastal Courier. All rights reserved.</p><a
href="/privacy">Privacy</a></footer>
</body>
</html>
"""

BODY = [
    ("p", "The harbour bridge opened to traffic again on Thursday morning"),
    ("p", "Engineers replaced more than four hundred corroded plates"),
    ("h", "Buses return first"),
    ("p", "Bus lines 4 and 11 will use the bridge from Monday"),
    ("ul", "Cars: open from Thursday"),
    ("p", "Shop owners on the north bank welcomed the news"),
]
FURNITURE = ("Home", "cookies", "Ferry fares", "cycle lanes", "Finally!", "rights reserved", "By ")


def load(text: str) -> Document:
    doc = load_document(SourceFile("page.html", text.encode()))
    assert isinstance(doc, Document)
    return doc


def starts(blocks: tuple[Block, ...]) -> list[tuple[str, str]]:
    return [(b.kind, b.texts()[0][: len(want)]) for b, (_, want) in zip(blocks, BODY, strict=False)]


def test_page_body_is_the_article_without_furniture() -> None:
    page = extract_page(PAGE)
    assert starts(page.blocks) == BODY
    assert len(page.blocks) == len(BODY)  # the <h1> headline is not repeated in the body
    assert page.blocks[4].items == ("Cars: open from Thursday", "Buses: open from Monday")
    for furniture in FURNITURE:
        assert furniture not in page.text


def test_page_metadata() -> None:
    page = extract_page(PAGE)
    assert page.title == "Harbour bridge reopens after repairs"
    assert page.date == "2024-05-02"  # from the JSON-LD, which the loader does not read
    assert page.author == "Mara Lindqvist"
    assert page.site_name == "The Coastal Courier"
    assert page.url == "https://courier.example.com/2024/05/02/harbour-bridge-reopens"
    assert page.lang == "fr-FR"


def test_loader_reads_a_saved_page_through_trafilatura() -> None:
    doc = load(PAGE)
    assert starts(doc.blocks) == BODY
    meta = doc.meta
    assert meta.title == "Harbour bridge reopens after repairs"  # "- The Coastal Courier" cut
    assert (meta.date, meta.author) == ("2024-05-02", "Mara Lindqvist")
    assert (meta.source, meta.source_evidence) == ("The Coastal Courier", "meta")
    assert meta.url == "https://courier.example.com/2024/05/02/harbour-bridge-reopens"


def test_the_pages_own_tags_win_over_trafilatura() -> None:
    tagged = PAGE.replace(
        "</head>",
        '<meta property="article:published_time" content="2024-05-01T22:00:00Z">'
        '<meta name="author" content="Desk Editor"></head>',
    )
    meta = load(tagged).meta
    assert (meta.date, meta.author) == ("2024-05-01T22:00:00Z", "Desk Editor")


def test_a_fragment_is_not_a_page() -> None:
    assert not is_full_page("<p>Just <b>two</b> paragraphs.</p><p>Of an article.</p>")
    assert is_full_page("<!doctype html><HTML><body><p>x</p></body></HTML>")


def test_three_headings_in_a_row_are_links_not_sections() -> None:
    related = "".join(f"<h2>Another story number {i}</h2>" for i in range(3))
    page = PAGE.replace("<p>Shop owners", related + "<p>Shop owners")
    assert "Another story" not in extract_page(page).text
    two = "".join(f"<h2>Another story number {i}</h2>" for i in range(2))
    page = PAGE.replace("<p>Shop owners", two + "<p>Shop owners")
    assert "Another story number 1" in extract_page(page).text


def test_a_page_over_the_bounds_is_left_to_the_loaders_own_reader() -> None:
    filler = "<span>x</span>" * (MAX_PAGE_TAGS + 1)
    big = PAGE.replace("<footer>", f"<aside>{filler}</aside><footer>")
    assert not within_bounds(big)
    assert extract_page(big).blocks == ()
    doc = load(big)
    # the loader's own reading: the whole <article>, the byline included
    assert any(t.startswith("By Mara") for b in doc.blocks for t in b.texts())


def test_an_extractor_failure_is_not_a_build_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    import trafilatura

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("tripped")

    monkeypatch.setattr(trafilatura, "bare_extraction", broken)
    assert extract_page(PAGE).blocks == ()
    doc = load(PAGE)
    assert any("harbour bridge opened" in t for b in doc.blocks for t in b.texts())


def test_dates_do_not_depend_on_the_day_of_the_build() -> None:
    # htmldate's default latest date is today: a page dated after the build day would
    # lose its date, and gain it when built again later; a fixed latest date keeps it
    future = PAGE.replace("2024", "2030")  # the JSON-LD date and the date in the URL
    assert extract_page(future).date == "2030-05-02"
