"""The search index in shards: every indexed page in exactly one shard, the
shards listed for the search page, and a shard whose pages did not change taken
from the current site rather than indexed again — with the same bytes a fresh
build gives. (That the browser merges the shards is in test_browser.py.)"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from digest import search
from digest.config import Config
from digest.models import BuildReport
from digest.pipeline import build
from tests.site_fixture import write_fixture
from tests.test_golden import tree

NEW_STORY = """---
title: Ferry strike ends after two days
date: 2024-01-16
source: Harbour News
section: World
story: ferry
---
The ferry strike ended on Tuesday after two days, the operator said. Ferries to the
islands will run to the usual timetable from Wednesday.
"""


@pytest.fixture(autouse=True)
def small_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "SHARD_PAGES", 2)


def run(project: Path, output: str = "site") -> BuildReport:
    return build(Config(content="content", output=output), project)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_fixture(tmp_path / "content")
    return tmp_path


def shard_inodes(site: Path) -> dict[str, dict[str, int]]:
    return {
        folder.name: {
            f.relative_to(folder).as_posix(): f.stat().st_ino
            for f in folder.rglob("*")
            if f.is_file()
        }
        for folder in sorted(site.glob("pagefind*"))
    }


def indexed_pages(site: Path) -> list[str]:
    return sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if search.MARKER in p.read_bytes()
        and not p.relative_to(site).parts[0].startswith("pagefind")
    )


def test_every_indexed_page_is_in_one_listed_shard(project: Path) -> None:
    run(project)
    site = project / "site"
    pages = indexed_pages(site)
    chosen = [
        (p, "", search.page_key(p, (site / p).read_bytes())) for p in pages
    ]  # hashes play no part in the sharding
    members = {
        folder: [page[0] for page in shard] for folder, shard in search.shard_members(chosen)
    }
    assert len(members) >= 4
    listed = json.loads((site / "pagefind" / search.SHARDS_FILE).read_text("utf-8"))["shards"]
    present = sorted(p.name for p in site.glob("pagefind*") if p.is_dir())
    assert present == sorted(["pagefind", *listed]) == sorted(members)
    assert sorted(path for shard in members.values() for path in shard) == pages
    for name in present:
        entry = json.loads((site / name / "pagefind-entry.json").read_text("utf-8"))
        count = sum(lang["page_count"] for lang in entry["languages"].values())
        assert 0 < count == len(members[name]) <= search.SHARD_PAGES, name


def test_unchanged_shards_are_reused_and_equal_a_fresh_index(project: Path) -> None:
    run(project)
    site = project / "site"
    before = shard_inodes(site)
    os.utime(site / "404.html")  # the site changed by hand: a full build of the same pages
    report = run(project)
    assert not report.up_to_date
    assert shard_inodes(site) == before, "every shard was taken from the current site"

    (project / "content" / "ferry.md").write_text(NEW_STORY, "utf-8")
    run(project)
    after = shard_inodes(site)
    kept = [name for name in after if after[name] == before.get(name)]
    redone = [name for name in after if after[name] != before.get(name)]
    assert kept and redone

    shutil.rmtree(project / ".digest-cache")
    run(project, output="fresh")
    assert tree(site) == tree(project / "fresh")


def test_a_small_digest_has_one_index(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "SHARD_PAGES", 2000)
    run(project)
    site = project / "site"
    assert [p.name for p in site.glob("pagefind*")] == ["pagefind"]
    listing = json.loads((site / "pagefind" / search.SHARDS_FILE).read_text("utf-8"))
    assert listing == {"shards": []}


def page_count(site: Path) -> int:
    total = 0
    for folder in site.glob("pagefind*"):
        entry = json.loads((folder / "pagefind-entry.json").read_text("utf-8"))
        total += sum(lang["page_count"] for lang in entry["languages"].values())
    return total


def test_pages_a_template_marks_late_are_indexed_too(project: Path) -> None:
    """The index starts once the story and article pages are written; a template
    that marks other pages for Pagefind makes it start again with all of them."""
    from tests.conftest import REPO

    run(project)
    before = page_count(project / "site")
    assert before == len(indexed_pages(project / "site"))
    (project / "templates").mkdir()
    keyword = (REPO / "templates" / "keyword.html").read_text("utf-8")
    assert "{% block main %}" in keyword
    marked = keyword.replace("{% block main %}", "{% block main %}<div data-pagefind-body>")
    marked = marked.replace("{% endblock %}", "</div>{% endblock %}", 1)
    (project / "templates" / "keyword.html").write_text(marked, "utf-8")
    run(project)
    site = project / "site"
    keywords = [p for p in indexed_pages(site) if p.startswith("keywords/")]
    assert keywords
    assert page_count(site) == len(indexed_pages(site)) == before + len(keywords)


def test_a_build_failing_while_the_index_is_made_leaves_the_old_site(project: Path) -> None:
    from digest.models import DigestError

    run(project)
    site = project / "site"
    old = tree(site)
    (project / "templates").mkdir()
    # topic pages come after the story, article and keyword pages: the index is
    # being made when this one fails
    (project / "templates" / "topic.html").write_text("{{ no_such_value }}", "utf-8")
    (project / "content" / "ferry.md").write_text(NEW_STORY, "utf-8")
    with pytest.raises(DigestError, match="template error"):
        run(project)
    assert tree(site) == old
    assert [p.name for p in project.iterdir() if p.name.startswith(".site")] == []


def test_the_index_is_made_while_other_pages_are_rendered(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    calls: list[tuple[str, int]] = []
    real = search.index_folder

    def spy(site: Path, pages: list[search.Page], *args: Any) -> search.Indexed:
        calls.append((threading.current_thread().name, len(pages)))
        return real(site, pages, *args)

    monkeypatch.setattr(search, "index_folder", spy)
    run(project)
    assert len(calls) == 1, "made once"
    assert calls[0][0] != threading.main_thread().name, "in the background"
    assert calls[0][1] == len(indexed_pages(project / "site"))


def fragment_texts(site: Path) -> dict[str, str]:
    """Every indexed page's text as Pagefind stored it (its fragments: gzip, then a
    12-byte signature, then JSON) -> {url: content}."""
    texts = {}
    for file in sorted(site.glob("pagefind*/fragment/*.pf_fragment")):
        data = json.loads(gzip.decompress(file.read_bytes())[12:])
        texts[data["url"]] = data["content"]
    return texts


def test_search_index_holds_no_citation_markers_or_links_out(project: Path) -> None:
    """What Pagefind shows as snippets is the pages' text without furniture: the
    summary's citation markers, "Read the original at …", "Also published as"."""
    build(Config(content="content", output="site", article_text="full"), project)
    site = project / "site"
    story = next(p for p in (site / "stories").glob("*.html") if "<sup" in p.read_text("utf-8"))
    assert re.search(r"\[\d+\]</a></sup>", story.read_text("utf-8"))  # the page shows them
    article_pages = [p.read_text("utf-8") for p in (site / "articles").glob("*.html")]
    assert any("Read the original at" in page for page in article_pages)
    texts = fragment_texts(site)
    assert any("/stories/" in url for url in texts) and any("/articles/" in url for url in texts)
    for url, content in texts.items():
        assert not re.search(r"\[\d+\]", content), url
        assert "Read the" not in content and "Also published as" not in content, url
        assert "Why these articles are together" not in content, url


def test_furniture_is_marked_for_pagefind_to_skip(project: Path) -> None:
    build(Config(content="content", output="site", article_text="full"), project)
    site = project / "site"
    for page in sorted((site / "stories").glob("*.html")) + sorted(
        (site / "articles").glob("*.html")
    ):
        html = page.read_text("utf-8")
        assert html.count("data-pagefind-body") == 1, page
        for sup in re.findall(r"<sup[^>]*>", html):
            assert "data-pagefind-ignore" in sup, page
        for para in re.findall(r'<p class="(?:read-original|read-full|versions)[^>]*>', html):
            assert "data-pagefind-ignore" in para, page


def keyed(path: str, date: str | None) -> search.Page:
    """A page of a story or article dated `date` (None: undated), as the indexer sees it."""
    shown = f'<time datetime="{date}">{date}</time>' if date else "date unknown"
    html = f"<article data-pagefind-body><p>{shown}</p></article>".encode()
    return (path, "", search.page_key(path, html))


def test_a_pages_key_is_its_date_then_its_path() -> None:
    first, later, undated = (
        keyed("b.html", "2024-01-15"),
        keyed("a.html", "2024-01-16"),
        keyed("c.html", None),
    )
    assert undated[2] < first[2] < later[2]  # by day first, whatever the path
    assert first[2] >> search.HASH_BITS == 19737  # days from 1970-01-01
    assert keyed("b.html", "2024-01-15T23:59:00Z")[2] == first[2]
    assert keyed("b.html", "2024-02-30")[2] >> search.HASH_BITS == 0  # no such day: undated


def test_new_pages_change_only_the_newest_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shards hold ranges of dates: a day of new pages leaves every shard of the
    days before it as it was (the same pages: reused, whatever its folder), and
    no shard holds more than SHARD_PAGES pages."""
    monkeypatch.setattr(search, "SHARD_PAGES", 40)
    days = [f"2024-{month:02d}-{day:02d}" for month in range(1, 13) for day in range(1, 29)]
    old = [keyed(f"stories/s{n}.html", days[n % len(days)]) for n in range(600)]
    new = [keyed(f"articles/n{n}.html", "2024-12-29") for n in range(30)]
    before = {frozenset(pages) for _, pages in search.shard_members(sorted(old))}
    after = search.shard_members(sorted(old + new))
    assert all(0 < len(pages) <= 40 for _, pages in after)
    assert len(before) >= 15
    redone = [pages for _, pages in after if frozenset(pages) not in before]
    assert 1 <= len(redone) <= 2  # the newest shard, split in two at most
    assert set(new) <= {page for pages in redone for page in pages}
    assert max(after[0][1], key=lambda p: p[2]) == max(old + new, key=lambda p: p[2])


def test_a_shard_of_one_day_splits_by_path() -> None:
    pages = [keyed(f"articles/a{n}.html", "2024-05-01") for n in range(3 * search.SHARD_PAGES)]
    shards = search.shard_members(sorted(pages))
    assert len(shards) >= 3 and all(len(s) <= search.SHARD_PAGES for _, s in shards)
    assert sorted(p for _, s in shards for p in s) == sorted(pages)


# --- what Pagefind reads of a page decides whether its shard is indexed again --


def story_page(related: str, text: str = "The ferry strike ended on Tuesday.") -> bytes:
    """A page shaped as digest's story pages: its related stories in a section
    Pagefind skips whole."""
    return (
        '<!doctype html><html lang="en"><head><title>Ferry</title></head><body>'
        '<article class="story" data-pagefind-body data-pagefind-meta="kind:Story">'
        '<h1 data-pagefind-weight="5">Ferry strike ends</h1>'
        '<p class="meta" data-pagefind-ignore="all">2 sources · '
        '<time datetime="2024-01-16">16 Jan</time></p>'
        f'<p class="summary">{text}</p>'
        '<section class="related" data-pagefind-ignore="all"><h2 id="related-h">Related</h2>'
        f'<ul class="related-list">{related}</ul></section></article></body></html>'
    ).encode()


OLD_RELATED = '<li><a href="a.html">Bus strike</a></li>'
NEW_RELATED = (
    '<li><a href="b.html" id="x">Rail strike</a> <span data-pagefind-filter="topic">World'
    '</span></li><li><section data-pagefind-ignore="all"><a href="a.html">Bus</a></section></li>'
)


def test_the_indexed_view_leaves_out_what_pagefind_skips_whole() -> None:
    old, new = story_page(OLD_RELATED), story_page(NEW_RELATED)
    assert old != new and search.indexed_view(old) == search.indexed_view(new)
    assert b'<section class="related" data-pagefind-ignore="all"></section>' in (
        search.indexed_view(new)
    )
    other = story_page(OLD_RELATED, text="The ferry strike goes on.")
    assert search.indexed_view(other) != search.indexed_view(old)  # indexed text: kept
    # what could hide a tag, or an element never closed: the page is keyed whole
    commented = old.replace(b'<p class="summary">', b'<!-- </section> --><p class="summary">')
    assert search.indexed_view(commented) == commented
    unclosed = old.replace(b"</ul></section>", b"</ul>")
    assert search.indexed_view(unclosed) == unclosed
    plain = old.replace(b" data-pagefind-body", b"")
    assert search.indexed_view(plain) == plain  # nothing indexed by marker: all of it


def test_pagefind_gives_the_same_index_for_pages_with_the_same_view(tmp_path: Path) -> None:
    """The premise of keying shards by `indexed_view`, checked against the
    installed Pagefind: pages that differ only inside elements marked
    `data-pagefind-ignore="all"` (links, ids, filters) index to the same bytes."""
    trees = []
    for name, related in (("old", OLD_RELATED), ("new", NEW_RELATED)):
        site = tmp_path / name
        chooser = search.Chooser(views=True)
        for n in range(3):
            page = story_page(related, text=f"Ferry strike number {n} ended.")
            (site / "stories").mkdir(parents=True, exist_ok=True)
            (site / "stories" / f"s{n}.html").write_bytes(page)
            chooser.see(f"stories/s{n}.html", page)
        search.index_folder(site, chooser.chosen())
        trees.append((chooser.chosen(), tree(site / search.BUNDLE)))
    assert trees[0][0] == trees[1][0]  # the same shard key
    assert trees[0][1] == trees[1][1]  # the same index


def members(site: Path, pages: dict[str, bytes]) -> dict[frozenset[str], str]:
    """Each shard's pages -> its folder."""
    chosen = [(p, "", search.page_key(p, data)) for p, data in sorted(pages.items())]
    return {frozenset(p[0] for p in shard): f for f, shard in search.shard_members(chosen)}


def test_a_shard_whose_pages_changed_only_where_pagefind_skips_is_kept(project: Path) -> None:
    """A new story changes older story pages only in their related stories (a
    section Pagefind skips whole): the shards holding them, their pages otherwise
    the same, are taken from the current site; and the site equals a fresh build."""
    run(project)
    site = project / "site"
    old = {p: (site / p).read_bytes() for p in indexed_pages(site)}
    old_shards, old_files = members(site, old), shard_inodes(site)
    (project / "content" / "ferry.md").write_text(NEW_STORY, "utf-8")
    run(project)
    new = {p: (site / p).read_bytes() for p in indexed_pages(site)}
    new_shards, new_files = members(site, new), shard_inodes(site)
    changed = [p for p in old if new[p] != old[p]]
    assert changed, "the new story changed older story pages"
    checked = 0
    for page in changed:
        assert search.indexed_view(old[page]) == search.indexed_view(new[page]), page
        shard = next(s for s in new_shards if page in s)
        if shard in old_shards:  # the same pages as before: kept, not indexed again
            files = [new_files[new_shards[shard]], old_files[old_shards[shard]]]
            for listing in files:  # the first shard's list of the others
                listing.pop(search.SHARDS_FILE, None)
            assert files[0] == files[1], page
            checked += 1
    assert checked, "a shard holding a changed page was kept"
    shutil.rmtree(project / ".digest-cache")
    run(project, output="fresh")
    assert tree(site) == tree(project / "fresh")
