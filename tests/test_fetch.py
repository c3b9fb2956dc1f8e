"""`digest fetch` end to end against a real HTTP server on 127.0.0.1: every feed
format to files, conditional second runs, deduplication, the address guard,
robots.txt, every failure as a problem, a corrupted state file, then a build."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from digest.cli import main
from digest.config import Config, Source, load_config
from digest.fetch import fetch_sources, guard, http
from digest.fetch.store import canonical_url
from digest.models import DigestError
from digest.pipeline import build
from tests.conftest import read_jsonl, require_eval
from tests.fetch_server import (
    FeedItem,
    FetchServer,
    article_page,
    atom,
    json_feed,
    rss1,
    rss2,
)

WORDS = (
    "The council voted on Tuesday to expand the harbour, after months of debate about "
    "the cost to local fishing crews and the promised jobs for the town."
).split()


def paragraphs(seed: int) -> list[str]:
    """Four distinct paragraphs of plain news text."""
    out = []
    for n in range(4):
        words = WORDS[(seed + n) % 7 :] + WORDS[: (seed + n) % 7]
        out.append(f"Report {seed} part {n}: " + " ".join(words) + ".")
    return out


def day(n: int, month: int = 1) -> dt.datetime:
    return dt.datetime(2024, month, n, tzinfo=dt.UTC)


@pytest.fixture
def server() -> Iterator[FetchServer]:
    with FetchServer() as running:
        yield running


def items_for(server: FetchServer, prefix: str, count: int = 3) -> list[FeedItem]:
    """`count` feed items whose article pages the server serves."""
    out = []
    for n in range(count):
        path = f"/{prefix}/story-{n}.html"
        title = f"{prefix.title()} story number {n}"
        server.add(path, article_page(title, paragraphs(n + 10 * len(prefix))))
        out.append(
            FeedItem(
                title=title,
                link=server.url(path),
                guid=f"{prefix}-{n}",
                date=dt.datetime(2024, 3, 1 + n, 9, 30, tzinfo=dt.UTC),
                summary=f"Short summary of {prefix} story {n}.",
            )
        )
    return out


def config(tmp_path: Path, *urls: str, **settings: object) -> Config:
    values: dict[str, object] = {
        "content": str(tmp_path / "content"),
        "cache": str(tmp_path / "cache"),
        "fetch_delay": 0.0,
        "allow_private": True,
        "sources": tuple(Source(u) for u in urls),
    }
    values.update(settings)
    return Config(**values)  # type: ignore[arg-type]


def front_matter(path: Path) -> dict[str, object]:
    text = path.read_text("utf-8")
    data = yaml.safe_load(text.split("---\n", 2)[1])
    assert isinstance(data, dict)
    return data


FORMATS = {
    "rss2": (rss2, "application/rss+xml"),
    "rss1": (rss1, "application/rdf+xml"),
    "atom": (atom, "application/atom+xml"),
    "jsonfeed11": (json_feed, "application/feed+json"),
    "jsonfeed10": (lambda t, i: json_feed(t, i, "1.0"), "application/json"),
}


@pytest.mark.parametrize("kind", sorted(FORMATS))
def test_every_feed_format_becomes_files(server: FetchServer, tmp_path: Path, kind: str) -> None:
    make, media = FORMATS[kind]
    feed = server.add(f"/{kind}.xml", make(f"The {kind} Times", items_for(server, kind)), media)
    report = fetch_sources(config(tmp_path, feed))
    assert report.problems == ()
    assert len(report.written) == 3
    content = tmp_path / "content"
    for n, rel in enumerate(report.written):
        assert rel == f"the-{kind}-times/2024-03-0{n + 1}/{kind}-story-number-{n}.md"
        meta = front_matter(content / rel)
        assert meta["title"] == f"{kind.title()} story number {n}"
        assert meta["source"] == f"The {kind} Times"
        assert meta["url"] == server.url(f"/{kind}/story-{n}.html")
        assert str(meta["date"]).startswith(f"2024-03-0{n + 1}")
        text = (content / rel).read_text("utf-8")
        # the article page's text, without its navigation and footer
        assert f"Report {n + 10 * len(kind)} part 3" in text
        assert "All rights reserved" not in text
    if kind == "atom":
        assert front_matter(content / report.written[0])["author"] == "A. Writer"
    assert any(agent.startswith("digest-ssg/") for agent in server.agents)


def test_second_run_is_conditional_and_writes_nothing(server: FetchServer, tmp_path: Path) -> None:
    feeds = [
        server.add("/a.xml", rss2("A", items_for(server, "aa")), "application/rss+xml"),
        server.add("/b.json", json_feed("B", items_for(server, "bb")), "application/feed+json"),
    ]
    first = fetch_sources(config(tmp_path, *feeds))
    assert len(first.written) == 6
    files = sorted(p for p in (tmp_path / "content").rglob("*.md"))
    second = fetch_sources(config(tmp_path, *feeds))
    assert second.written == () and second.problems == ()
    assert second.unchanged == 2
    assert server.conditional["/a.xml"] == 1 and server.not_modified["/b.json"] == 1
    assert sorted((tmp_path / "content").rglob("*.md")) == files


def test_seen_items_are_skipped_when_the_feed_changes(server: FetchServer, tmp_path: Path) -> None:
    items = items_for(server, "cc", 4)
    feed = server.add("/c.xml", rss2("C", items[:2]), "application/rss+xml")
    assert len(fetch_sources(config(tmp_path, feed)).written) == 2
    server.add("/c.xml", rss2("C", items), "application/rss+xml")  # two new items
    report = fetch_sources(config(tmp_path, feed))
    assert len(report.written) == 2 and report.skipped == 2
    assert server.requests["/cc/story-0.html"] == 1  # a seen article is not fetched again


def test_content_folder_remembers_when_the_cache_is_gone(
    server: FetchServer, tmp_path: Path
) -> None:
    feed = server.add("/d.xml", atom("D", items_for(server, "dd")), "application/atom+xml")
    assert len(fetch_sources(config(tmp_path, feed)).written) == 3
    report = fetch_sources(config(tmp_path, feed, cache=""))  # no state at all
    assert report.written == () and report.skipped == 3


def test_same_article_in_two_feeds_with_tracking_parameters_is_one_file(
    server: FetchServer, tmp_path: Path
) -> None:
    items = items_for(server, "ee", 2)
    tracked = [
        FeedItem(i.title, i.link + "?utm_source=rss&utm_medium=feed", "other-" + i.guid, i.date, "")
        for i in items
    ]
    one = server.add("/e1.xml", rss2("E", items), "application/rss+xml")
    two = server.add("/e2.xml", atom("E2", tracked), "application/atom+xml")
    report = fetch_sources(config(tmp_path, one, two))
    assert len(report.written) == 2 and report.skipped == 2
    assert canonical_url(tracked[0].link) == canonical_url(items[0].link)


def test_private_addresses_are_refused_by_default(server: FetchServer, tmp_path: Path) -> None:
    feed = server.add("/f.xml", rss2("F", items_for(server, "ff")), "application/rss+xml")
    report = fetch_sources(config(tmp_path, feed, allow_private=False))
    assert report.written == ()
    assert len(report.problems) == 1 and report.problems[0].path == feed
    assert "non-public address 127.0.0.1" in report.problems[0].reason
    assert server.requests["/f.xml"] == 0  # refused before connecting


def test_guard_checks_every_resolved_address(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = [("93.184.216.34", 80), ("10.0.0.7", 80)]  # one public, one private
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", sa) for sa in answers]
    )
    with pytest.raises(guard.Refused, match=r"10\.0\.0\.7"):
        guard.resolve("mixed.example", 80, allow_private=False)
    assert guard.resolve("mixed.example", 80, allow_private=True)[0] == "93.184.216.34"
    for text in ("169.254.169.254", "::1", "fe80::1", "224.0.0.1", "::ffff:127.0.0.1", "0.0.0.0"):
        assert not guard.is_public(ipaddress.ip_address(text)), text
    assert guard.is_public(ipaddress.ip_address("93.184.216.34"))


def test_the_checked_address_is_the_one_connected_to(
    server: FetchServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A made-up name that only digest's own resolver knows: the request can only
    reach the server if it goes to the address guard checked, with the name as Host."""
    real = socket.getaddrinfo

    def resolver(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "news.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", server.port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    path = "/pinned.xml"
    server.add(path, rss2("Pinned", []), "application/rss+xml")
    report = fetch_sources(config(tmp_path, f"http://news.test:{server.port}{path}"))
    assert report.problems == ()
    assert server.requests[path] == 1
    assert f"news.test:{server.port}" in server.hosts
    refused = fetch_sources(
        config(tmp_path, f"http://news.test:{server.port}{path}", allow_private=False)
    )
    assert "news.test resolves to the non-public address 127.0.0.1" in refused.problems[0].reason


def test_https_is_pinned_with_the_name_as_tls_server_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over TLS the checked address is connected to while the certificate is still
    checked against the host name (sent as SNI): a certificate for another name fails."""
    if shutil.which("openssl") is None:  # tests/run.sh installs it
        if os.environ.get("CI"):
            pytest.fail("openssl not installed (tests/run.sh installs it with apt-get)")
        pytest.skip("openssl not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=news.test",
         "-addext", "subjectAltName=DNS:news.test"],
        check=True, capture_output=True,
    )  # fmt: skip
    with FetchServer() as server:
        server.add("/tls.xml", rss2("TLS", []), "application/rss+xml")
        served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        served.load_cert_chain(cert, key)
        server.httpd.socket = served.wrap_socket(server.httpd.socket, server_side=True)
        real = socket.getaddrinfo

        def resolver(host: str, *args: Any, **kwargs: Any) -> Any:
            if host in ("news.test", "other.test"):
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", server.port))]
            return real(host, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", resolver)
        trusted = ssl.create_default_context(cafile=str(cert))
        with http.Client(allow_private=True, delay=0, verify=trusted) as client:
            answer = client.get(f"https://news.test:{server.port}/tls.xml")
            assert answer.status == 200 and b"<title>TLS</title>" in answer.body
            with pytest.raises(http.FetchError, match="connection failed"):
                client.get(f"https://other.test:{server.port}/tls.xml")  # wrong certificate


@pytest.fixture
def only_test_server_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat 127.0.0.1 (the test server) as public, every other private address not."""
    real = guard.is_public
    monkeypatch.setattr(guard, "is_public", lambda a: str(a) == "127.0.0.1" or real(a))


def test_redirects_to_private_or_non_http_addresses_are_refused(
    server: FetchServer, tmp_path: Path, only_test_server_public: None
) -> None:
    ok = items_for(server, "gg", 1)
    server.add("/to-ftp", "", status=302, headers={"Location": "ftp://example.org/x"})
    server.add("/to-private", "", status=301, headers={"Location": "http://10.1.2.3/feed"})
    server.add("/to-meta", "", status=307, headers={"Location": "http://169.254.169.254/"})
    server.add("/to-feed", "", status=302, headers={"Location": "/g.xml"})
    server.add("/g.xml", rss2("G", ok), "application/rss+xml")
    urls = [server.url(p) for p in ("/to-ftp", "/to-private", "/to-meta", "/to-feed")]
    report = fetch_sources(config(tmp_path, *urls, allow_private=False))
    reasons = {p.path: p.reason for p in report.problems}
    assert "non-http address: ftp://example.org/x" in reasons[urls[0]]
    assert "10.1.2.3" in reasons[urls[1]] and "non-public" in reasons[urls[1]]
    assert "169.254.169.254" in reasons[urls[2]]
    assert urls[3] not in reasons and len(report.written) == 1  # an http redirect is followed


def test_robots_txt_is_honoured(server: FetchServer, tmp_path: Path) -> None:
    items = items_for(server, "hh", 2)
    server.add("/robots.txt", "User-agent: *\nDisallow: /hh/story-1.html\n", "text/plain")
    feed = server.add("/h.xml", rss2("H", items), "application/rss+xml")
    report = fetch_sources(config(tmp_path, feed))
    assert server.requests["/hh/story-1.html"] == 0
    assert server.requests["/robots.txt"] == 1  # read once per site per run
    [problem] = report.problems
    assert "robots.txt disallows it" in problem.reason and problem.path == feed
    # the disallowed article is kept from the feed's own summary
    assert len(report.written) == 2
    text = (tmp_path / "content" / report.written[1]).read_text("utf-8")
    assert "Short summary of hh story 1." in text


def test_robots_txt_can_close_the_feed_itself(server: FetchServer, tmp_path: Path) -> None:
    server.add("/robots.txt", "User-agent: digest\nDisallow: /\n", "text/plain")
    feed = server.add("/i.xml", rss2("I", items_for(server, "ii")), "application/rss+xml")
    report = fetch_sources(config(tmp_path, feed))
    assert report.written == () and server.requests["/i.xml"] == 0
    assert "robots.txt disallows it" in report.problems[0].reason


def test_every_failure_is_a_problem_and_others_still_fetch(
    server: FetchServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http, "TIMEOUT", 0.5)
    monkeypatch.setattr(http, "MAX_BYTES", 64 * 1024)
    good = server.add("/good.xml", rss2("Good", items_for(server, "ok", 2)), "application/rss+xml")
    bad = {
        server.add("/slow.xml", rss2("S", []), "application/rss+xml", delay=3): "timed out",
        server.add("/gone.xml", "", status=404): "HTTP 404",
        server.add("/broken.xml", "", status=500): "HTTP 500",
        server.add("/big.xml", "<rss>" + "x" * 100_000, "application/rss+xml"): "larger than",
        server.add("/bad.xml", "<rss version='2.0'><channel><item>", "application/rss+xml"): (
            "malformed feed"
        ),
        server.add("/bad.json", "{not json", "application/feed+json"): "malformed JSON Feed",
        server.add(
            "/latin.json",
            b'{"version": "https://jsonfeed.org/version/1.1", "title": "Caf\xe9", "items": []}',
            "application/feed+json",
        ): "malformed JSON Feed",
        server.add("/pic.png", b"\x89PNG\r\n", "image/png"): "neither a feed nor an HTML page",
        server.add("/loop", "", status=302, headers={"Location": "/loop"}): "redirects",
        "http://no-such-host.invalid/feed": "cannot resolve",
        "ftp://example.org/feed": "not an http",
    }
    report = fetch_sources(config(tmp_path, good, *bad))
    reasons = {p.path: p.reason for p in report.problems}
    for url, why in bad.items():
        assert why in reasons.get(url, ""), (url, reasons.get(url))
    assert good not in reasons and len(report.written) == 2


def test_failed_article_page_keeps_the_feed_summary(server: FetchServer, tmp_path: Path) -> None:
    items = items_for(server, "jj", 3)
    server.add("/jj/story-1.html", "", status=500)
    server.add("/jj/story-2.html", b"%PDF-1.4", "application/pdf")
    feed = server.add("/j.xml", rss2("J", items), "application/rss+xml")
    report = fetch_sources(config(tmp_path, feed))
    assert len(report.written) == 3
    reasons = sorted(p.reason for p in report.problems)
    assert "HTTP 500 (saved the feed's text instead)" in reasons[0]
    assert "not an HTML page (application/pdf)" in reasons[1]


def test_unsaved_item_is_tried_again(server: FetchServer, tmp_path: Path) -> None:
    items = items_for(server, "uu", 2)
    items[1] = FeedItem(items[1].title, items[1].link, items[1].guid, items[1].date, "")
    server.add("/uu/story-1.html", "", status=503)  # and no summary to fall back on
    feed = server.add("/u.xml", rss2("U", items), "application/rss+xml")
    first = fetch_sources(config(tmp_path, feed))
    assert len(first.written) == 1 and "tried again next run" in first.problems[0].reason
    server.add("/uu/story-1.html", article_page("Back", paragraphs(5)))
    second = fetch_sources(config(tmp_path, feed))
    assert server.conditional["/u.xml"] == 0  # asked in full, not conditionally
    assert len(second.written) == 1 and second.skipped == 1 and second.problems == ()


def test_single_article_page_as_a_source(server: FetchServer, tmp_path: Path) -> None:
    page = server.add("/one.html", article_page("A page on its own", paragraphs(3), "Solo Post"))
    source = Source(page, name=None, section="Local", lang="fr")
    report = fetch_sources(config(tmp_path, sources=(source,)))
    [rel] = report.written
    meta = front_matter(tmp_path / "content" / rel)
    assert meta["source"] == "Solo Post" and meta["section"] == "Local" and meta["lang"] == "fr"
    assert meta["title"] == "A page on its own"
    assert rel.startswith("solo-post/")


def test_dry_run_writes_nothing(server: FetchServer, tmp_path: Path) -> None:
    feed = server.add("/k.xml", rss2("K", items_for(server, "kk")), "application/rss+xml")
    report = fetch_sources(config(tmp_path, feed), dry_run=True)
    assert len(report.written) == 3 and report.dry_run
    assert not (tmp_path / "content").exists() and not (tmp_path / "cache").exists()
    assert fetch_sources(config(tmp_path, feed)).written == report.written


BAD_VALIDATORS = '{"version": 1, "sources": {"%s": {"etag": "x\\r\\nEvil: 1"}}, "seen": [3]}'


@pytest.mark.parametrize(
    "state", ["[]", "1", "{{{garbage", '{"version": 1, "seen": 5}', BAD_VALIDATORS, "dir"]
)
def test_corrupted_state_is_treated_as_empty(
    server: FetchServer, tmp_path: Path, state: str
) -> None:
    where = tmp_path / "cache" / "fetch" / "state.json"
    if state == "dir":
        where.mkdir(parents=True)
    else:
        where.parent.mkdir(parents=True)
        where.write_text(state, "utf-8")
    feed = server.url("/l.xml")
    if state == BAD_VALIDATORS:
        where.write_text(state % feed, "utf-8")
    server.add("/l.xml", rss2("L", items_for(server, "ll")), "application/rss+xml")
    report = fetch_sources(config(tmp_path, feed))
    assert server.conditional["/l.xml"] == 0
    assert len(report.written) == 3
    problems = [p.reason for p in report.problems]
    if state == "dir":  # the state cannot be saved there: said, not fatal
        assert len(problems) == 1 and problems[0].startswith("cannot save the fetch state")
    else:
        assert problems == []


def test_file_names_are_deterministic_and_inside_content(
    server: FetchServer, tmp_path: Path
) -> None:
    hostile = [
        FeedItem(
            "../../etc/passwd",
            server.url("/m/1.html"),
            "m1",
            day(1),
            "",
        ),
        FeedItem("Same title", server.url("/m/2.html"), "m2", day(2), "x"),
        FeedItem("Same title", server.url("/m/3.html"), "m3", day(2), "y"),
        FeedItem(
            "日本語のニュース",
            server.url("/m/4.html"),
            "m4",
            day(3),
            "z",
        ),
    ]
    for n in range(1, 5):
        server.add(f"/m/{n}.html", article_page(f"Page {n}", paragraphs(n)))
    feed = server.add("/m.xml", rss2("../Outlet/..", hostile), "application/rss+xml")
    first = fetch_sources(config(tmp_path / "one", feed))
    second = fetch_sources(config(tmp_path / "two", feed))
    assert first.written == second.written and len(first.written) == 4
    assert len(set(first.written)) == 4
    for rel in first.written:
        assert ".." not in rel and rel.startswith("outlet/2024-01-0")
        assert (tmp_path / "one" / "content" / rel).is_file()
    assert first.written[2].startswith(first.written[1][: -len(".md")] + "-")


def test_fetched_folder_builds(server: FetchServer, tmp_path: Path) -> None:
    feeds = [
        server.add("/n.xml", rss2("North Post", items_for(server, "nn")), "application/rss+xml"),
        server.add("/s.json", json_feed("South Wire", items_for(server, "ss")), "application/json"),
    ]
    fetch_sources(config(tmp_path, *feeds))
    report = build(config(tmp_path, output=str(tmp_path / "site")), tmp_path)
    assert report.articles == 6 and report.problems == ()
    data = json.loads((tmp_path / "site" / "digest.json").read_text("utf-8"))
    outlets = {a["source"] for a in data["articles"]}
    assert outlets == {"North Post", "South Wire"}


def test_saved_news_pages_are_extracted(server: FetchServer, tmp_path: Path) -> None:
    rows = read_jsonl(require_eval("html_pages_dev.jsonl"))[:6]
    items = []
    for n, row in enumerate(rows):
        path = f"/saved/{n}.html"
        server.add(path, row["html"])
        items.append(FeedItem(f"Saved {n}", server.url(path), f"s{n}", day(1, 5), ""))
    feed = server.add("/saved.xml", rss2("Saved", items), "application/rss+xml")
    report = fetch_sources(config(tmp_path, feed))
    assert len(report.written) == len(rows) and report.problems == ()
    for rel, row in zip(report.written, rows, strict=True):
        text = (tmp_path / "content" / rel).read_text("utf-8")
        gold = row["article_body"].split()
        body = set(text.split())
        # most of the marked article body's words are in the file
        assert sum(w in body for w in gold) / len(gold) > 0.8, rel


def test_no_sources_fetches_nothing(tmp_path: Path) -> None:
    report = fetch_sources(config(tmp_path))
    assert report.sources == 0 and not report.written and not report.problems
    assert not (tmp_path / "content").exists() or not any((tmp_path / "content").iterdir())


def test_sources_config_is_checked(tmp_path: Path) -> None:
    toml = tmp_path / "digest.toml"
    toml.write_text(
        '[[sources]]\nurl = "https://example.org/rss"\nname = "Ex"\nsection = "World"\n'
        '[[sources]]\nurl = "ftp://x"\ncolour = 1\nlang = ""\n',
        "utf-8",
    )
    with pytest.raises(DigestError) as fault:
        load_config(toml, environ={})
    message = str(fault.value)
    assert "sources[2]: unknown key 'colour'" in message
    assert "sources[2]: 'url' must be an http:// or https:// address" in message
    assert "sources[2]: 'lang' must be non-empty text" in message
    toml.write_text('allow_private = true\n[[sources]]\nurl = "https://example.org/rss"\n')
    loaded, _ = load_config(toml, environ={"DIGEST_FETCH_DELAY": "0.5"})
    assert loaded.sources == (Source("https://example.org/rss"),)
    assert loaded.allow_private and loaded.fetch_delay == 0.5
    loaded, _ = load_config(toml, environ={"DIGEST_ALLOW_PRIVATE": "false"})
    assert not loaded.allow_private


# ---------------------------------------------------------------------- the command


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DIGEST_FETCH_DELAY", "0")
    return CliRunner()


def test_cli_fetches_urls_and_summarises(server: FetchServer, runner: CliRunner) -> None:
    feed = server.add("/o.xml", rss2("O", items_for(server, "oo")), "application/rss+xml")
    gone = server.add("/gone", "", status=404)
    result = runner.invoke(main, ["fetch", feed, gone, "--allow-private"])
    assert result.exit_code == 0, result.output
    assert "3 new articles from 2 sources, 1 problem" in result.output
    assert f"{gone}: HTTP 404" in result.output
    assert len(list(Path("content").rglob("*.md"))) == 3
    again = runner.invoke(main, ["fetch", feed, "--allow-private", "--strict"])
    assert again.exit_code == 0 and "0 new articles from 1 source" in again.output
    strict = runner.invoke(main, ["fetch", gone, "--allow-private", "--strict"])
    assert strict.exit_code == 1


def test_cli_dry_run_and_config_sources(server: FetchServer, runner: CliRunner) -> None:
    feed = server.add("/p.xml", rss2("P", items_for(server, "pp")), "application/rss+xml")
    Path("digest.toml").write_text(
        f'allow_private = true\n[[sources]]\nurl = "{feed}"\nname = "Pee"\n', "utf-8"
    )
    result = runner.invoke(main, ["fetch", "--dry-run", "--content", "elsewhere"])
    assert result.exit_code == 0, result.output
    assert "would write elsewhere/pee/2024-03-01/pp-story-number-0.md" in result.output
    assert "3 new articles from 1 source, 0 problems (dry run: nothing written)" in result.output
    assert not Path("elsewhere").exists()


def test_cli_private_refused_without_flag(server: FetchServer, runner: CliRunner) -> None:
    feed = server.add("/q.xml", rss2("Q", []), "application/rss+xml")
    result = runner.invoke(main, ["fetch", feed])
    assert result.exit_code == 0
    assert "non-public address" in result.output and "1 problem" in result.output


def test_cli_without_sources_says_so_and_succeeds(runner: CliRunner) -> None:
    # the scheduled workflow runs fetch on every digest, fed by hand or not
    result = runner.invoke(main, ["fetch"])
    assert result.exit_code == 0 and "Nothing to fetch" in result.output
    bad = runner.invoke(main, ["fetch", "--config", "missing.toml"])
    assert bad.exit_code == 1 and "config file 'missing.toml' not found in" in bad.output


def test_worker_processes_extract_the_same_text(
    server: FetchServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import digest.executors
    import digest.fetch

    feed = server.add("/w.xml", rss2("W", items_for(server, "ww", 4)), "application/rss+xml")
    inline = fetch_sources(config(tmp_path / "inline", feed))
    monkeypatch.setattr(digest.fetch, "PARALLEL_MIN_PAGES", 1)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    pools: list[object] = []

    class Counted(ProcessPoolExecutor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            pools.append(self)

    monkeypatch.setattr(digest.executors, "ProcessPoolExecutor", Counted)
    pooled = fetch_sources(config(tmp_path / "pooled", feed))
    assert pooled.written == inline.written and len(inline.written) == 4
    assert len(pools) == 1  # the pages went through worker processes
    for rel in inline.written:
        one = (tmp_path / "inline" / "content" / rel).read_bytes()
        assert one == (tmp_path / "pooled" / "content" / rel).read_bytes()


def test_extracted_text_reads_back_as_the_same_blocks_and_never_as_markup() -> None:
    from digest.fetch.article import blocks_markdown
    from digest.load import SourceFile, load_document
    from digest.models import Block, Document

    blocks = (
        Block("p", "Shares fell 5% *after* the [report](javascript:alert(1)) & <b>news</b>."),
        Block("h", "# Not a heading of its own"),
        Block("p", "1. not a list, - nor this; > nor a quote `code` \\ back_slash_"),
        Block("ul", items=("first item", "second [item]")),
        Block("ol", items=("one", "two")),
        Block("quote", "a quoted line"),
    )
    text = "---\ntitle: T\n---\n\n" + blocks_markdown(blocks) + "\n"
    doc = load_document(SourceFile("a.md", text.encode()))
    assert isinstance(doc, Document)
    assert [(b.kind, b.texts()) for b in doc.blocks] == [(b.kind, b.texts()) for b in blocks]
