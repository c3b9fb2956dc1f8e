"""The built site in a real browser: Debian's Chromium driven by Playwright.

Two digests are served from one loopback HTTP server, each under a sub-path:
the sample digest at /digest/ (built with a base URL pointing at the server,
so canonical links and feed addresses are checked too) and the multi-story
test digest at /fixture/ (no base URL, date archive forced on). Every HTML page
of both is opened at 375 px; its links, console and width are recorded once
and checked by the tests below. axe-core is injected into the main kinds of
page in the light and the dark theme.

Outside CI a missing Playwright, Chromium or axe-core skips these tests with a
message; under CI (env CI set) they fail instead (tests/run.sh installs them).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest

from digest import search
from digest.config import Config
from digest.pipeline import build
from tests.browser_support import (
    AXE,
    SUB_PATH,
    build_sample,
    launch,
    require_axe,
    require_browser,
    serve,
)
from tests.site_fixture import write_fixture

FIXTURE_PATH = "/fixture/"
SHARDED_PATH = "/sharded/"
NARROW = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@dataclass
class Served:
    host: str  # http://127.0.0.1:PORT
    root: Path  # the served folder: digest/ and fixture/ inside

    def url(self, sub_path: str, path: str = "") -> str:
        return f"{self.host}{sub_path}{path}"

    def html_pages(self) -> list[str]:
        """Every HTML page of both digests, as URLs."""
        urls = []
        for sub_path in (SUB_PATH, FIXTURE_PATH):
            site = self.root / sub_path.strip("/")
            for page in sorted(site.rglob("*.html")):
                urls.append(self.url(sub_path, page.relative_to(site).as_posix()))
        return urls

    def story_url(self, sub_path: str = SUB_PATH) -> str:
        site = self.root / sub_path.strip("/")
        first = sorted((site / "stories").glob("*.html"))[0]
        return self.url(sub_path, first.relative_to(site).as_posix())


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    require_browser()
    root = tmp_path_factory.mktemp("served")
    with serve(root) as host:
        build_sample(root, base_url=host + SUB_PATH)
        content = write_fixture(root / "fixture-content")
        config = Config(
            content=str(content),
            output=str(root / FIXTURE_PATH.strip("/")),
            archive_threshold=0,
            topic_page_stories=1,  # month pages of a topic, opened like every page
        )
        build(config, root)
        # the same digest with its search index in shards of two pages
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(search, "SHARD_PAGES", 2)
            sharded = replace(config, output=str(root / SHARDED_PATH.strip("/")))
            build(sharded, root)
        yield Served(host, root)


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch(pw)
        yield chromium
        chromium.close()


@dataclass
class PageVisit:
    url: str
    status: int
    links: list[dict[str, str]]  # {"tag", "attr", "url", "rel"}
    ids: set[str]
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    scroll_width: int = 0
    client_width: int = 0
    csp_violations: list[str] = field(default_factory=list)


COLLECT = """() => {
  const out = [];
  const take = (selector, attr) => {
    for (const el of document.querySelectorAll(selector)) {
      const raw = el.getAttribute(attr);
      out.push({tag: el.tagName.toLowerCase(), attr: attr, raw: raw,
                url: new URL(raw, document.baseURI).href, rel: el.getAttribute("rel") || ""});
    }
  };
  take("a[href]", "href"); take("link[href]", "href"); take("script[src]", "src");
  take("img[src]", "src"); take("form[action]", "action");
  return {
    violations: window.__cspViolations || [],
    links: out,
    ids: Array.from(document.querySelectorAll("[id]"), (el) => el.id),
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  };
}"""


# Runs before any page script: records what the Content-Security-Policy blocks.
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`));
"""


def watch(page: Any, errors: list[str], failed: list[str]) -> None:
    page.on("console", lambda m: errors.append(f"{m.type}: {m.text}") if m.type == "error" else 0)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    # ERR_ABORTED: a load cut short by the next navigation (the favicon, say); a
    # file that is really missing shows up as a 4xx response instead
    page.on(
        "requestfailed",
        lambda r: failed.append(f"{r.url} ({r.failure})") if "ERR_ABORTED" not in r.failure else 0,
    )
    page.on("response", lambda r: failed.append(f"{r.url} ({r.status})") if r.status >= 400 else 0)


@pytest.fixture(scope="module")
def crawl(served: Served, browser: Any) -> list[PageVisit]:
    """Open every HTML page at 375 px wide and record what the tests check."""
    context = browser.new_context(viewport=NARROW)
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    errors: list[str] = []
    failed: list[str] = []
    watch(page, errors, failed)  # one page, reused: opening a page costs ~0.3 s
    visits = []
    for url in served.html_pages():
        errors.clear()
        failed.clear()
        response = page.goto(url, wait_until="load")
        found = page.evaluate(COLLECT)
        visits.append(
            PageVisit(
                url=url,
                status=response.status if response else 0,
                links=found["links"],
                ids=set(found["ids"]),
                console_errors=list(errors),
                failed_requests=list(failed),
                scroll_width=found["scrollWidth"],
                client_width=found["clientWidth"],
                csp_violations=found["violations"],
            )
        )
    context.close()
    return visits


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_every_page_was_opened(crawl: list[PageVisit], served: Served) -> None:
    assert len(crawl) >= 40
    assert [v.url for v in crawl if v.status != 200] == []


def test_every_internal_link_resolves(crawl: list[PageVisit], served: Served) -> None:
    by_url = {v.url: v for v in crawl}
    checked: dict[str, int] = {}
    broken = []
    for visit in crawl:
        for link in visit.links:
            if urlsplit(link["url"]).netloc != urlsplit(served.host).netloc:
                continue
            target, fragment = urldefrag(link["url"])
            target = target.split("?")[0]
            if target not in checked:
                checked[target] = http_status(target)
            if checked[target] != 200:
                broken.append(f"{visit.url}: {link['raw']} -> {checked[target]}")
            elif fragment and target in by_url and fragment not in by_url[target].ids:
                broken.append(f"{visit.url}: {link['raw']} -> no id {fragment!r}")
    assert broken == []
    # the crawl saw pages, feeds, stylesheet, search script and canonical links
    assert any(u.endswith("/feed.xml") for u in checked)
    assert any(u.endswith("/assets/style.css") for u in checked)
    assert any(u.startswith(served.url(SUB_PATH, "stories/")) for u in checked)
    assert len(checked) > 50


def test_links_out_are_http_and_open_safely(crawl: list[PageVisit], served: Served) -> None:
    own = urlsplit(served.host).netloc
    bad = []
    for visit in crawl:
        for link in visit.links:
            parts = urlsplit(link["url"])
            if parts.netloc == own:
                continue
            if parts.scheme not in ("http", "https"):
                bad.append(f"{visit.url}: {link['raw']}")
            elif link["tag"] == "a" and set(link["rel"].split()) != {"noopener", "noreferrer"}:
                bad.append(f"{visit.url}: {link['raw']} rel={link['rel']!r}")
    assert bad == []


def test_no_console_errors_or_failed_requests(crawl: list[PageVisit]) -> None:
    problems = [f"{v.url}: {e}" for v in crawl for e in v.console_errors + v.failed_requests]
    assert problems == []


def test_content_security_policy_on_every_page_and_never_violated(
    crawl: list[PageVisit], served: Served
) -> None:
    violated = [f"{v.url}: {v.csp_violations}" for v in crawl if v.csp_violations]
    assert violated == []
    for sub_path in (SUB_PATH, FIXTURE_PATH):
        site = served.root / sub_path.strip("/")
        for page in site.rglob("*.html"):
            if "pagefind" in page.parts:
                continue
            head = page.read_text("utf-8").split("</head>")[0]
            assert head.count('http-equiv="Content-Security-Policy"') == 1, page
            assert "script-src 'self'" in head and "unsafe-inline" not in head, page


def test_search_runs_under_the_policy(served: Served, browser: Any) -> None:
    """Pagefind compiles WebAssembly: in its worker, or on the page where a worker
    cannot start, which the search page's policy allows ('wasm-unsafe-eval')."""
    context = browser.new_context()
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    page.route("**/pagefind-worker.js", lambda route: route.abort())
    page.goto(served.url(SUB_PATH, "search.html?q=Prigozhin"))
    assert search_results(page)
    assert page.evaluate("window.__cspViolations") == []
    context.close()


def test_nothing_scrolls_sideways_at_375_px(crawl: list[PageVisit]) -> None:
    wide = [f"{v.url}: {v.scroll_width}px" for v in crawl if v.scroll_width > v.client_width]
    assert crawl and all(v.client_width <= 375 for v in crawl)
    assert wide == []


def test_canonical_and_open_graph_point_at_the_served_pages(served: Served, browser: Any) -> None:
    page = browser.new_page()
    story = served.story_url()
    page.goto(story)
    assert page.get_attribute("link[rel=canonical]", "href") == story
    assert page.get_attribute("meta[property='og:url']", "content") == story
    assert page.get_attribute("meta[property='og:type']", "content") == "article"
    page.goto(served.story_url(FIXTURE_PATH))  # no base URL: no canonical link, no og tags
    assert page.locator("link[rel=canonical]").count() == 0
    assert page.locator("meta[property='og:url']").count() == 0
    page.close()


def test_404_page_works_at_any_depth(served: Served, browser: Any) -> None:
    """Hosts serve 404.html for a missing page wherever it was asked for: with a
    base URL its links are absolute, so they work from a deep address."""
    body = (served.root / "digest" / "404.html").read_bytes()
    page = browser.new_page()
    missing = served.url(SUB_PATH, "no/such/deep/page.html")
    page.route(
        missing,
        lambda route: route.fulfill(status=404, body=body, content_type="text/html"),
    )
    errors: list[str] = []
    failed: list[str] = []
    watch(page, errors, failed)
    page.goto(missing)
    assert page.locator("h1").inner_text() == "Page not found"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgba(0, 0, 0, 0)", "the stylesheet did not load"
    hrefs = page.eval_on_selector_all("main a", "els => els.map(e => e.href)")
    assert hrefs and all(http_status(h) == 200 for h in hrefs)
    # the only failure is the page's own 404 status, which Chromium logs once
    assert failed == [f"{missing} (404)"]
    assert errors == [
        "error: Failed to load resource: the server responded with a status of 404 (Not Found)"
    ]
    page.close()


def search_results(page: Any) -> list[str]:
    page.wait_for_selector("#search-results li a", timeout=15_000)
    return list(page.eval_on_selector_all("#search-results li a", "els => els.map(e => e.href)"))


@pytest.mark.parametrize("sub_path", [SUB_PATH, FIXTURE_PATH])
def test_search_box_finds_the_story(served: Served, browser: Any, sub_path: str) -> None:
    page = browser.new_page()
    errors: list[str] = []
    failed: list[str] = []
    watch(page, errors, failed)
    page.goto(served.url(sub_path, "index.html"))
    query = "Prigozhin" if sub_path == SUB_PATH else "Grindavik"
    page.fill("#site-search-q", query)
    page.press("#site-search-q", "Enter")
    page.wait_for_url("**/search.html?q=*")
    found = search_results(page)
    story_pages = [u for u in found if "/stories/" in u]
    assert story_pages, found
    assert all(u.startswith(served.url(sub_path)) for u in found), found
    assert page.locator("#search-status").inner_text().endswith(f"for “{query}”.")
    assert page.locator("#search-results mark").count() > 0  # hits highlighted
    page.goto(story_pages[0])  # a result opens a real page
    assert page.locator("h1").count() == 1
    assert errors == [] and failed == []
    page.close()


def test_search_merges_every_shard_of_the_index(served: Served, browser: Any) -> None:
    sharded = served.root / SHARDED_PATH.strip("/")
    shards = json.loads((sharded / "pagefind" / "digest-shards.json").read_text("utf-8"))
    assert len(shards["shards"]) >= 2
    found = {}
    for sub_path in (FIXTURE_PATH, SHARDED_PATH):
        page = browser.new_page()
        errors: list[str] = []
        failed: list[str] = []
        watch(page, errors, failed)
        page.goto(served.url(sub_path, "search.html?q=Grindavik"))
        results = search_results(page)  # the list is filled in one go
        assert errors == [] and failed == []
        found[sub_path] = sorted(u.removeprefix(served.url(sub_path)) for u in results)
        page.close()
    assert len(found[FIXTURE_PATH]) >= 3
    assert found[SHARDED_PATH] == found[FIXTURE_PATH]


def test_search_sample_story_by_name(served: Served, browser: Any) -> None:
    page = browser.new_page()
    page.goto(served.url(SUB_PATH, "search.html?q=Prigozhin"))
    found = search_results(page)
    assert served.story_url() in found
    page.fill("#search-q", "zzzxqy")
    page.press("#search-q", "Enter")
    # predicates as functions: a bare expression that is not true at once is polled
    # with eval, which the search page's Content-Security-Policy refuses
    page.wait_for_function("() => document.querySelectorAll('#search-results li').length === 0")
    page.wait_for_function(
        "() => document.getElementById('search-status').textContent.startsWith('Nothing found')"
    )
    page.close()


# Pagefind's own answer, without the search page's checks (run on search.html)
RAW_SEARCH = """async (q) => {
  const pf = await import(new URL("pagefind/pagefind.js", document.baseURI).href);
  return (await pf.search(q)).results.length;
}"""


def settled(page: Any) -> str:
    """The search status once a search has finished."""
    page.wait_for_function(
        "() => { const t = document.getElementById('search-status').textContent;"
        " return t !== '' && t !== document.getElementById('search-status').dataset.msgSearching; }"
    )
    return str(page.inner_text("#search-status"))


def test_search_for_an_absent_word_finds_nothing(served: Served, browser: Any) -> None:
    """Pagefind alone cuts a word it does not know back to one it does ("wagnerian"
    -> "wagner"): the page says nothing was found instead of showing those pages."""
    page = browser.new_page()
    page.goto(served.url(SUB_PATH, "search.html"))
    assert page.evaluate(RAW_SEARCH, "wagnerian") > 0  # what Pagefind alone returns
    for query in ("wagnerian", "Putin wagnerian", "zebra"):
        page.fill("#search-q", query)
        page.press("#search-q", "Enter")
        assert settled(page).startswith("Nothing found"), query
        assert page.locator("#search-results li").count() == 0
        assert not page.is_visible("#search-more")
    for query in ("Prigoz", "Wagner", "negotiating", "strikes"):  # prefix, word, stems
        page.fill("#search-q", query)
        page.press("#search-q", "Enter")
        assert settled(page).endswith(f"for “{query}”."), query
        assert page.locator("#search-results li").count() > 0, query
    page.close()


def test_more_results_loads_the_next_ones(served: Served, browser: Any) -> None:
    page = browser.new_page()
    page.goto(served.url(FIXTURE_PATH, "search.html"))
    total = page.evaluate(RAW_SEARCH, "the")
    assert total > 6
    page.eval_on_selector("#search-results", "el => { el.dataset.pageSize = '5'; }")
    page.fill("#search-q", "the")
    page.press("#search-q", "Enter")
    assert settled(page) == f"{total} results for “the”, 5 shown."
    assert page.locator("#search-results li").count() == 5
    seen = 5
    while seen < total:
        assert page.is_visible("#search-more")
        assert page.inner_text("#search-more") == f"More results ({total - seen} more)"
        page.click("#search-more")
        first_new, seen = seen, min(seen + 5, total)
        page.wait_for_function(
            f"() => document.querySelectorAll('#search-results li').length === {seen}"
        )
        # focus moves to the first new result, for keyboard and screen-reader users
        focused = page.evaluate(
            "(n) => document.activeElement.closest('li') ==="
            " document.querySelectorAll('#search-results li')[n]",
            first_new,
        )
        assert focused
    assert not page.is_visible("#search-more")
    assert page.inner_text("#search-status") == f"{total} results for “the”."
    links = page.eval_on_selector_all("#search-results li a", "els => els.map(e => e.href)")
    assert len(set(links)) == total  # each page once
    page.close()


def test_search_snippets_have_no_furniture(served: Served, browser: Any) -> None:
    page = browser.new_page()
    for sub_path, query in (
        (SUB_PATH, "Prigozhin"),
        (FIXTURE_PATH, "the"),
        (FIXTURE_PATH, "eruption"),
    ):
        page.goto(served.url(sub_path, f"search.html?q={query}"))
        settled(page)
        page.eval_on_selector("#search-results", "el => { el.dataset.pageSize = '100'; }")
        snippets = page.eval_on_selector_all(
            "#search-results .excerpt", "els => els.map(e => e.textContent)"
        )
        assert snippets
        for text in snippets:
            assert not re.search(r"\[\d+\]", text), text
            assert "Read the" not in text and "Also published as" not in text, text
    page.close()


def test_search_page_explains_itself_without_javascript_or_from_disk(
    served: Served, browser: Any
) -> None:
    site = served.root / SUB_PATH.strip("/")
    page = browser.new_page()
    page.goto((site / "search.html").as_uri() + "?q=Prigozhin")  # opened from disk
    page.wait_for_load_state("load")
    assert page.is_visible("#search-needs")
    assert "http(s)" in page.inner_text("#search-needs")
    page.goto(served.url(SUB_PATH, "search.html?q=Prigozhin"))  # served: it goes
    search_results(page)
    assert not page.is_visible("#search-needs")
    page.close()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(served.url(SUB_PATH, "search.html?q=Prigozhin"))
    assert page.is_visible("#search-needs")
    assert page.locator("#search-needs a").count() == 2  # topics and keywords instead
    context.close()


def luminance(css_colour: str) -> float:
    """ "rgb(r, g, b)" -> relative luminance 0 (black) to 1 (white)."""
    values = css_colour[css_colour.index("(") + 1 : css_colour.index(")")].split(",")
    r, g, b = (float(v) / 255 for v in values[:3])

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_colour_scheme_follows_the_system(served: Served, browser: Any, scheme: str) -> None:
    context = browser.new_context(color_scheme=scheme, viewport=DESKTOP)
    page = context.new_page()
    page.goto(served.story_url())
    background = luminance(page.evaluate("getComputedStyle(document.body).backgroundColor"))
    text = luminance(page.evaluate("getComputedStyle(document.body).color"))
    if scheme == "dark":
        assert background < 0.05 and text > 0.6
    else:
        assert background > 0.9 and text < 0.05
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
    context.close()


def test_print_stylesheet_hides_navigation(served: Served, browser: Any) -> None:
    page = browser.new_page()
    page.goto(served.story_url())
    assert page.is_visible("nav[aria-label=Site]")
    page.emulate_media(media="print")
    assert not page.is_visible("nav[aria-label=Site]")
    assert not page.is_visible(".site-search")
    assert page.is_visible("h1")
    page.close()


def test_why_box_is_closed_until_opened(served: Served, browser: Any) -> None:
    site = served.root / FIXTURE_PATH.strip("/")
    story = next((site / "stories").glob("eruption-reuters*.html"))
    page = browser.new_page(viewport=DESKTOP)
    page.goto(served.url(FIXTURE_PATH, f"stories/{story.name}"))
    why = page.locator("details.why")
    assert why.get_attribute("open") is None
    assert page.is_visible("details.why > summary")
    assert not page.is_visible("details.why .pairs")
    # the coverage is above the explanation
    coverage_top = page.locator("ol.sources").bounding_box()["y"]
    assert coverage_top < why.bounding_box()["y"]
    page.click("details.why > summary")
    assert why.get_attribute("open") is not None
    assert page.is_visible("details.why .pairs")
    page.close()


AXE_PAGES = {
    "index": (SUB_PATH, "index.html"),
    "story": (SUB_PATH, None),
    "article": (SUB_PATH, "articles/002-600575db9d6efc15.html"),
    "keyword": (SUB_PATH, "keywords/prigozhin.html"),
    "topic": (SUB_PATH, None),
    "sources": (SUB_PATH, "sources/index.html"),
    "search": (SUB_PATH, "search.html?q=Prigozhin"),
    "archive": (FIXTURE_PATH, "archive/index.html"),
    "fixture story": (FIXTURE_PATH, None),
    "fixture story, why opened": (FIXTURE_PATH, None),
}

AXE_SOURCE = "(() => {" + (AXE.read_text("utf-8") if AXE.is_file() else "") + "\n})()"
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
  }));
}"""


def axe_url(served: Served, name: str) -> str:
    sub_path, path = AXE_PAGES[name]
    if path is not None:
        return served.url(sub_path, path)
    if name == "topic":
        site = served.root / sub_path.strip("/")
        topic = sorted(p for p in (site / "topics").glob("*.html") if p.name != "index.html")[0]
        return served.url(sub_path, f"topics/{topic.name}")
    if name.endswith("why opened"):
        story = next((served.root / sub_path.strip("/") / "stories").glob("eruption-reuters*.html"))
        return served.url(sub_path, f"stories/{story.name}")
    return served.story_url(sub_path)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", list(AXE_PAGES))
def test_axe_finds_no_serious_violations(
    served: Served, browser: Any, name: str, scheme: str
) -> None:
    require_axe()
    context = browser.new_context(color_scheme=scheme, viewport=DESKTOP)
    page = context.new_page()
    response = page.goto(axe_url(served, name))
    assert response is not None and response.status == 200
    if name == "search":
        search_results(page)
    if name.endswith("why opened"):
        page.click("details.why > summary")
    # evaluated over the DevTools protocol, which the pages' Content-Security-Policy
    # does not govern (an injected <script> tag would be refused, as it should be)
    page.evaluate(AXE_SOURCE)
    violations = page.evaluate(AXE_RUN)
    context.close()
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
