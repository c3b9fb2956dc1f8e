"""A hostile content folder (tests/hostile.py) built end to end.

The build runs once, in a subprocess, so its time and peak memory can be
measured; every other test here reads what it left behind: the report's
problems, the site, and the folders around it. The site is then opened page by
page in headless Chromium to prove that no payload runs.

Bounds: the whole hostile build (a 50 MB file, a 2 MB line, HTML 20,000 deep,
YAML bombs, ~100 script-injection articles, …) must finish in under 60 s and
stay under 1.5 GB of memory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import json
import os
import re
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import lxml.etree
import lxml.html
import pytest

from digest import dates, load
from digest.config import Config
from digest.load import SourceFile, load_document
from digest.load.files import MAX_FILE_BYTES
from digest.models import Document, Problem
from digest.pipeline import build
from tests.browser_support import launch, require_browser, serve
from tests.hostile import (
    NEWS,
    SECRET,
    TEMPLATE_PRODUCT,
    HostileCorpus,
    write_hostile_corpus,
)

REPO = Path(__file__).resolve().parents[1]
MAX_SECONDS = 60
MAX_RSS_BYTES = 1.5 * 1024**3

BUILD = """
import json, resource, sys, time
from pathlib import Path
from digest.config import Config
from digest.pipeline import build
root = Path(sys.argv[1])
started = time.perf_counter()
config = Config(content="content", output="site", base_url="https://example.org/news/")
report = build(config, root, cache=False)
seconds = time.perf_counter() - started
print(json.dumps({
    "seconds": seconds,
    "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "children_rss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    "articles": report.articles,
    "problems": [[p.path, p.reason] for p in report.problems],
}))
"""


@dataclass
class Built:
    corpus: HostileCorpus
    site: Path
    result: dict[str, Any]
    wall_seconds: float
    before: dict[str, tuple[Any, ...]]  # everything around the site, before the build
    after: dict[str, tuple[Any, ...]]
    neighbours_before: list[str]
    neighbours_after: list[str]

    @property
    def problems(self) -> list[tuple[str, str]]:
        return [(p, r) for p, r in self.result["problems"]]

    def digest(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.site / "digest.json").read_text("utf-8"))
        return data


def snapshot(root: Path, skip: Path) -> dict[str, tuple[Any, ...]]:
    """Every entry under `root` except `skip`: kind, size, mtime and (files) bytes."""
    out: dict[str, tuple[Any, ...]] = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        if here == skip:
            dirs.clear()
            continue
        for name in dirs + files:
            path = here / name
            if path == skip:
                continue
            info = path.lstat()
            rel = os.fsencode(path.relative_to(root)).decode("utf-8", "backslashreplace")
            if path.is_symlink():
                out[rel] = ("link", os.readlink(path))
            elif path.is_file() and not name.startswith("huge"):
                out[rel] = ("file", info.st_size, info.st_mtime_ns, path.read_bytes())
            else:
                out[rel] = ("other", info.st_mode, info.st_size, info.st_mtime_ns)
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("hostile")
    corpus = write_hostile_corpus(root)
    site = root / "site"
    before = snapshot(root, site)
    neighbours_before = sorted(p.name for p in root.parent.iterdir())
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(root)],
        capture_output=True,
        text=True,
        timeout=MAX_SECONDS * 2,  # a hang fails here instead of holding up the suite
        env=env,
        cwd=root,
        check=False,
    )
    wall = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-3000:]
    return Built(
        corpus=corpus,
        site=site,
        result=json.loads(done.stdout.strip().splitlines()[-1]),
        wall_seconds=wall,
        before=before,
        after=snapshot(root, site),
        neighbours_before=neighbours_before,
        neighbours_after=sorted(p.name for p in root.parent.iterdir()),
    )


# ------------------------------------------------------------------ bounds


def test_build_finishes_in_bounded_time_and_memory(built: Built) -> None:
    assert built.wall_seconds < MAX_SECONDS, built.result["seconds"]
    assert built.result["rss_kib"] * 1024 < MAX_RSS_BYTES
    assert built.result["children_rss_kib"] * 1024 < MAX_RSS_BYTES  # Pagefind
    assert built.result["articles"] >= len(built.corpus.articles)


# ------------------------------------------------------------------ problems


def test_every_skipped_or_altered_file_is_a_problem_naming_it(built: Built) -> None:
    reasons: dict[str, list[str]] = {}
    for path, reason in built.problems:
        reasons.setdefault(path, []).append(reason)
    missing = []
    for name, why in built.corpus.problems.items():
        shown = os.fsencode(name).decode("utf-8", "backslashreplace")
        if not any(why.lower() in r.lower() for r in reasons.get(shown, [])):
            missing.append(f"{shown!r}: expected {why!r}, got {reasons.get(shown)}")
    assert missing == []


def test_every_file_in_the_folder_is_an_article_or_a_problem(built: Built) -> None:
    """Nothing disappears without a word: each name in the content folder (not
    inside a hidden or linked folder) is an article's path or a problem's."""
    articles = {a["path"] for a in built.digest()["articles"]}
    named = {p for p, _ in built.problems}
    content = built.corpus.content
    unaccounted = []
    for folder, dirs, files in os.walk(content, followlinks=False):
        here = Path(folder)
        for name in [*files, *(d for d in dirs if (here / d).is_symlink())]:
            rel = os.fsencode((here / name).relative_to(content)).decode(
                "utf-8", "backslashreplace"
            )
            if rel not in articles and rel not in named:
                unaccounted.append(rel)
        hidden = [d for d in dirs if d.startswith(".")]
        for d in hidden:
            assert (here / d).relative_to(content).as_posix() in named
        dirs[:] = [d for d in dirs if not d.startswith(".")]
    assert unaccounted == []


def test_expected_articles_are_kept(built: Built) -> None:
    kept = {a["path"] for a in built.digest()["articles"]}
    expected = {
        os.fsencode(p).decode("utf-8", "backslashreplace")
        for p in built.corpus.articles
        if p in kept or "\udcff" not in p
    }
    # the file with an undecodable name is refused (it has to be renamed)
    assert expected - kept == set()


def test_dates_far_off_are_flagged_and_kept(built: Built) -> None:
    problems = dict(built.problems)
    assert "future" in problems["date-2999.md"]
    assert "before 1900" in problems["date-year-1.md"]
    dates = {a["path"]: a["date"] for a in built.digest()["articles"]}
    assert dates["date-2999.md"] == "2999-01-01"
    assert dates["date-year-1.md"] == "0001-01-01"
    assert dates["date-bad.md"] is None


def test_duplicate_titles_get_distinct_pages(built: Built) -> None:
    articles = [a for a in built.digest()["articles"] if a["path"] in built.corpus.duplicates]
    ids = {a["id"] for a in articles}
    assert len(ids) == len(built.corpus.duplicates) == 3
    for article_id in ids:
        page = (built.site / "articles" / f"{article_id}.html").read_text("utf-8")
        assert built.corpus.duplicate_title in page


def test_reserved_page_names_are_not_taken_by_content(built: Built) -> None:
    """index.md with title, outlet and section "Index": the listing pages stay."""
    for folder, heading in (("topics", "Topics"), ("sources", "Sources")):
        page = lxml.html.fromstring((built.site / folder / "index.html").read_bytes())
        assert page.findtext(".//h1") == heading
        own = [p.name for p in (built.site / folder).glob("index-*.html")]
        assert own, f"the {folder} page of 'Index' is missing"


def test_large_and_deep_files(built: Built) -> None:
    problems = dict(built.problems)
    assert "too large" in problems["huge-50mb.txt"]
    articles = {a["path"]: a for a in built.digest()["articles"]}
    assert articles["one-line-2mb.txt"]["lead"]  # read, with a lead
    for name in ("deep-20000.html", "deep-span.txt"):
        assert "nested more than 255" in problems[name]
        assert articles[name]["lead"][0].startswith("The harbour authority")
    deep_page = (built.site / "articles" / f"{articles['deep-20000.html']['id']}.html").read_text()
    assert "Farmers in the northern valley" in deep_page  # the text after the deep part too


# ------------------------------------------------------------------ containment


def test_nothing_is_written_outside_the_output_folder(built: Built) -> None:
    assert built.after == built.before
    assert built.neighbours_after == built.neighbours_before
    assert not (built.corpus.root / "yaml-executed").exists()
    assert [p.name for p in built.corpus.root.iterdir() if p.name.startswith(".site")] == []


def output_texts(site: Path) -> Iterator[tuple[Path, bytes]]:
    """Every output file's bytes, and the inflated bytes of compressed ones (Pagefind)."""
    for path in sorted(site.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        yield path, data
        if data[:2] == b"\x1f\x8b":
            yield path, gzip.decompress(data)
        elif path.suffix.startswith(".pf_"):
            with contextlib.suppress(zlib.error):
                yield path, zlib.decompress(data, 47)


def test_nothing_outside_the_content_folder_is_read(built: Built) -> None:
    leaks = [str(p) for p, data in output_texts(built.site) if SECRET.encode() in data]
    assert leaks == []
    assert not any(SECRET in reason for _, reason in built.problems)
    assert b"root:x:0:0" not in b"".join(d for _, d in output_texts(built.site))


def test_direction_overrides_never_reach_a_page(built: Built) -> None:
    bidi = re.compile("[\u202a-\u202e\u2066-\u2069]")
    bad = [
        str(p)
        for p in built.site.rglob("*")
        if p.suffix in (".html", ".xml") and bidi.search(p.read_text("utf-8"))
    ]
    assert bad == []


# ------------------------------------------------------------------ XSS, statically

URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "poster", "data", "cite", "background",
    "ping", "srcset", "xlink:href", "{http://www.w3.org/1999/xlink}href", "manifest",
}  # fmt: skip
FORBIDDEN_ELEMENTS = {
    "iframe", "frame", "frameset", "object", "embed", "applet", "base", "style",
    "math", "portal", "template", "textarea", "img", "video", "audio", "select",
}  # fmt: skip
OWN_INPUTS = {"site-search-q", "search-q"}  # the search boxes
SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
OWN_SCRIPTS = ("assets/search.js",)


def url_fault(value: str) -> str | None:
    """A URL attribute's value -> why it is unsafe, or None for relative or http(s)."""
    # browsers ignore ASCII whitespace and control characters inside a scheme
    squeezed = re.sub(r"[\x00-\x20]", "", value)
    match = SCHEME.match(squeezed)
    if match and match.group(1).lower() not in ("http", "https"):
        return f"scheme {match.group(1)!r}"
    if squeezed.startswith("//") and not value.startswith("//"):
        return "protocol-relative"
    return None


def html_faults(tree: Any, where: str, *, page: bool) -> list[str]:
    """Markup from content that could run: on* attributes, script-ish URLs, script
    elements, embedded documents, style attributes."""
    faults = []
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        tag = el.tag.lower()
        for name, value in el.attrib.items():
            lname = name.lower()
            if lname.startswith("on") or lname in ("style", "srcdoc", "formaction"):
                faults.append(f"{where}: <{tag} {name}={value!r}>")
            elif lname in URL_ATTRIBUTES and (why := url_fault(value)):
                faults.append(f"{where}: <{tag} {name}={value!r}> ({why})")
        if tag in FORBIDDEN_ELEMENTS:
            faults.append(f"{where}: <{tag}> element")
        elif tag == "input" and (not page or el.get("id") not in OWN_INPUTS):
            faults.append(f"{where}: <input id={el.get('id')!r}>")
        elif tag == "script":
            src = el.get("src") or ""
            if not page or not src.endswith(OWN_SCRIPTS) or (el.text or "").strip():
                faults.append(f"{where}: <script src={src!r}>{(el.text or '')[:40]}")
        elif tag == "meta" and el.get("http-equiv") and page:
            if el.get("http-equiv").lower() != "content-security-policy":
                faults.append(f"{where}: <meta http-equiv={el.get('http-equiv')!r}>")
        elif tag in ("svg", "rect") and (el.get("class") != "bar" and tag == "svg"):
            faults.append(f"{where}: <svg> not a similarity bar")
    return faults


def fragment_faults(html: str, where: str) -> list[str]:
    if not html.strip():
        return []
    return html_faults(lxml.html.fragment_fromstring(html, create_parent="div"), where, page=False)


@pytest.mark.parametrize(
    "markup",
    [
        '<p onclick="x()">a</p>',
        '<a href=" JaVa&#x09;Script:alert(1)">a</a>',
        '<a href="java\tscript:alert(1)">a</a>',
        '<a href="data:text/html,x">a</a>',
        '<img src="x">',
        "<script>alert(1)</script>",
        '<svg onload="x()"></svg>',
        '<iframe src="https://example.org"></iframe>',
        '<p style="background:url(x)">a</p>',
        '<form action="vbscript:x"></form>',
    ],
)
def test_static_checks_catch_markup(markup: str) -> None:
    """The checks below would notice a payload that got through."""
    assert fragment_faults(markup, "test")


def test_no_markup_from_content_in_any_page(built: Built) -> None:
    faults = []
    pages = [p for p in built.site.rglob("*.html") if "pagefind" not in p.parts]
    assert len(pages) > 200
    for page in pages:
        tree = lxml.html.fromstring(page.read_bytes())
        faults += html_faults(tree, page.relative_to(built.site).as_posix(), page=True)
    assert faults == []


def test_no_markup_from_content_in_feeds_and_data(built: Built) -> None:
    faults = []
    atom = "{http://www.w3.org/2005/Atom}"
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True)
    for feed in sorted(built.site.rglob("*.xml")):
        where = feed.relative_to(built.site).as_posix()
        tree = lxml.etree.fromstring(feed.read_bytes(), parser)  # well-formed despite CDATA
        for el in tree.iter():
            if el.get("type") == "html":  # HTML a feed reader will render
                faults += fragment_faults(el.text or "", where)
            for name in ("href", "src"):
                value = el.get(name)
                if value and (why := url_fault(value)):
                    faults.append(f"{where}: {el.tag} {name}={value!r} ({why})")
            if el.tag in (atom + "id", "{http://www.sitemaps.org/schemas/sitemap/0.9}loc"):
                assert not url_fault(el.text or "") or (el.text or "").startswith("urn:uuid:")
    feed = json.loads((built.site / "feed.json").read_text("utf-8"))
    for item in feed["items"]:
        faults += fragment_faults(item.get("content_html", ""), "feed.json")
        for key in ("url", "external_url"):
            if item.get(key) and (why := url_fault(item[key])):
                faults.append(f"feed.json: {key}={item[key]!r} ({why})")
    for article in built.digest()["articles"]:
        if article["url"] is not None:
            assert article["url"].startswith(("http://", "https://")), article
            assert url_fault(article["url"]) is None
    assert faults == []


def test_template_syntax_in_content_is_never_evaluated(built: Built) -> None:
    evaluated = [
        str(p)
        for p, data in output_texts(built.site)
        if TEMPLATE_PRODUCT.encode() in data or b"LOOPEDLOOPED" in data
    ]
    assert evaluated == []
    article_pages = b"".join(p.read_bytes() for p in (built.site / "articles").glob("*.html"))
    assert b"{{ 31337*3 }}" in article_pages  # shown as the text it is


def test_every_page_carries_the_content_security_policy(built: Built) -> None:
    missing = []
    for page in built.site.rglob("*.html"):
        if "pagefind" in page.parts:
            continue
        tree: Any = lxml.html.fromstring(page.read_bytes())
        policies = tree.xpath("//head/meta[@http-equiv='Content-Security-Policy']/@content")
        # the policy comes before anything it governs: right after <meta charset>
        second = tree.xpath("//head/*[2]")[0]
        if (
            len(policies) != 1
            or "script-src 'self'" not in policies[0]
            or "unsafe-inline" in policies[0]
            or second.get("http-equiv") != "Content-Security-Policy"
        ):
            missing.append(page.name)
    assert missing == []


# ------------------------------------------------------------------ XSS, in Chromium

# Set before any page script runs: records CSP violations and dialogs (a dialog
# is also caught by Playwright's "dialog" event, this keeps the page's own view).
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI + " " + e.sample));
"""
PROBE = """() => ({
  xss: typeof window.__xss !== "undefined" || typeof window.__xss2 !== "undefined",
  violations: window.__violations || [],
  scripts: Array.from(document.scripts, (s) => s.src || "inline:" + s.textContent.slice(0, 40)),
})"""


@pytest.fixture(scope="module")
def hostile_browser(built: Built) -> Iterator[tuple[str, Any]]:
    require_browser()
    from playwright.sync_api import sync_playwright

    with serve(built.site) as host, sync_playwright() as pw:
        browser = launch(pw)
        try:
            yield host, browser
        finally:
            browser.close()


def test_no_payload_runs_on_any_page(built: Built, hostile_browser: tuple[str, Any]) -> None:
    host, browser = hostile_browser
    context = browser.new_context()
    context.add_init_script(WATCH)
    page = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(f"{page.url}: {dialog.type} {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    # with a base URL, 404.html links to https://example.org/news/: not fetched here
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
    ran = []
    urls = [
        p.relative_to(built.site).as_posix()
        for p in sorted(built.site.rglob("*.html"))
        if "pagefind" not in p.parts
    ]
    for path in urls:
        response = page.goto(f"{host}/{quote(path)}", wait_until="load")
        assert response is not None and response.status == 200, path
        found = page.evaluate(PROBE)
        if found["xss"] or found["violations"]:
            ran.append(f"{path}: {found}")
        if any(not s.endswith(OWN_SCRIPTS) for s in found["scripts"]):
            ran.append(f"{path}: scripts {found['scripts']}")
    # hovering and focusing everything would fire handlers, had any survived
    page.goto(f"{host}/index.html")
    page.evaluate(
        """() => { for (const el of document.querySelectorAll('*')) {
             for (const t of ['mouseover', 'focus', 'click', 'error', 'load']) {
               if (t !== 'click' || el.tagName !== 'A') el.dispatchEvent(new Event(t)); } } }"""
    )
    assert not page.evaluate(PROBE)["xss"]
    context.close()
    assert len(urls) > 200
    assert dialogs == []
    assert ran == []


def test_search_results_stay_text(built: Built, hostile_browser: tuple[str, Any]) -> None:
    host, browser = hostile_browser
    context = browser.new_context()
    context.add_init_script(WATCH)
    page = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(f"{host}/search.html?q=payload")
    page.wait_for_selector("#search-results li a", timeout=15_000)
    found = page.evaluate(PROBE)
    elements = page.evaluate(
        "Array.from(document.querySelectorAll('#search-results *'), (e) => e.tagName)"
    )
    context.close()
    assert not found["xss"] and found["violations"] == [] and dialogs == []
    assert set(elements) <= {"LI", "P", "A", "SPAN", "MARK"}


def test_policy_blocks_a_script_that_got_in(built: Built, hostile_browser: tuple[str, Any]) -> None:
    """Were a payload ever to reach a page as markup, the policy stops it."""
    host, browser = hostile_browser
    page_file = built.site / "index.html"
    planted = built.site / "planted.html"
    html = page_file.read_text("utf-8").replace(
        "</main>",
        "<script>window.__xss=1</script><img src=x onerror='window.__xss2=1'></main>",
    )
    planted.write_text(html, "utf-8")
    try:
        context = browser.new_context()
        context.add_init_script(WATCH)
        page = context.new_page()
        page.goto(f"{host}/planted.html", wait_until="load")
        page.wait_for_timeout(100)
        found = page.evaluate(PROBE)
        context.close()
    finally:
        planted.unlink()
    assert not found["xss"]
    assert any(v.startswith("script-src") for v in found["violations"]), found
    # and the probe does see a payload run where no policy stops it
    planted.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html))
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{host}/planted.html", wait_until="load")
        assert page.evaluate(PROBE)["xss"]
        context.close()
    finally:
        planted.unlink()


# ------------------------------------------------------------------ clock, dates


def test_the_clock_changes_problems_never_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.md").write_text(f"---\ntitle: Ferry\ndate: 2030-05-01\n---\n{NEWS}\n")
    (content / "b.md").write_text(f"---\ntitle: Ferry two\ndate: 2024-05-01\n---\n{NEWS}\n")
    sites = []
    reports = []
    for year in (2020, 2040):
        monkeypatch.setattr(dates, "clock", lambda y=year: dt.datetime(y, 1, 1, tzinfo=dt.UTC))
        out = tmp_path / f"site-{year}"
        config = Config(content=str(content), output=str(out), search=False)
        reports.append(build(config, tmp_path, cache=False))
        sites.append({p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()})
    assert sites[0] == sites[1]
    assert [p.path for p in reports[0].problems] == ["a.md", "b.md"]  # both future in 2020
    assert reports[1].problems == ()


@pytest.mark.parametrize(
    ("date", "note"),
    [
        ("2999-01-01", "future"),
        ("0001-01-01", "before 1900"),
        ("1899-12-31T23:00:00Z", "before 1900"),
        ("1900-01-01", None),
        ("2024-06-01", None),
        ("2024-06-02T12:00:00Z", None),  # within a day: time zones
        ("2024-06-03T00:00:01", "future"),
    ],
)
def test_date_notes(date: str, note: str | None) -> None:
    notes = dates.date_notes(date, now=dt.datetime(2024, 6, 1, 12, tzinfo=dt.UTC))
    assert (notes[0] if notes else None) == note or (note and note in notes[0])


@pytest.mark.parametrize(
    "front",
    [
        "date: 2024-02-30",  # a YAML timestamp that is no date
        "date: 9999-12-31T23:59:59-14:00",  # past the last UTC moment
        "date: 0001-01-01T00:00:00+14:00",
        "date: 2024-01-01T00:00:00+25:00",
        "title: " + "9" * 5000,  # an integer too long to print
        'title: "\\ud800 lone surrogate"',
        'tags: ["\\udfff", "ok"]',
        'section: "\\ud83d"',
    ],
)
def test_front_matter_values_that_crashed_the_build(front: str) -> None:
    result = load_document(SourceFile("odd.md", f"---\n{front}\n---\n{NEWS}\n".encode()))
    assert isinstance(result, Document | Problem)
    if isinstance(result, Document):
        json.dumps(result.meta.__dict__, ensure_ascii=False).encode("utf-8")


def test_a_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_bytes(b"x")
    with (tmp_path / "big.txt").open("r+b") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: instant, no disk used
    files, problems = load.read_content(tmp_path)
    assert files == []
    assert [p.path for p in problems] == ["big.txt"] and "too large" in problems[0].reason


def test_long_runs_without_spaces_are_cut_with_a_problem() -> None:
    from digest.clean import clean_document

    data = f"{NEWS}\n\n{'A' * 150_000} and the ferry sailed.\n\n{'日本語' * 50_000}\n".encode()
    started = time.perf_counter()
    doc = load_document(SourceFile("blob.txt", data))
    assert isinstance(doc, Document)
    cleaned = clean_document(doc)
    assert time.perf_counter() - started < 5
    assert "AAAA" not in " ".join(t for b in cleaned.blocks for t in b.texts())
    assert any("2 run(s) of over 1,000 letters" in p.reason for p in cleaned.problems)


def test_keyword_extraction_survives_long_unbroken_text() -> None:
    from digest.analyse import analyse_file
    from digest.models import Article

    result = analyse_file(SourceFile("dots.txt", b"a.b" * 100_000), "x", Config())
    assert isinstance(result, Article | Problem)
