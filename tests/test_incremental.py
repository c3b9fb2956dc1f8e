"""An incremental build writes the same bytes as a fresh one (issue 15).

Random sequences of edits to a small digest — articles added, deleted, their
title, text, date or outlet changed, files touched, nothing changed, the site's
title changed — each followed by an incremental build (cache and build state,
pages whose fingerprint did not change taken from the current site) and a
fresh `--no-cache` build of the same content into another folder: the two
sites must be equal byte for byte. Several edits change only what a page shows
of another record (a related story's title, a topic's label, a keyword gaining
or losing its page, an outlet's name), the inputs a fingerprint could miss.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from digest import feeds, models, render
from digest import state as digest_state
from digest.bundled import builtin_templates
from digest.config import Config
from digest.page_inputs import NOT_SHOWN, zone_rules
from digest.pipeline import build

OUTLETS = ("Reuters", "BBC News", "Le Monde")
DAYS = ("2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04")

# Sentences of five events. Articles of one event share most of their words and
# join into a story; the bridge sentences share words across events, so adding
# one to an article can move it into another story or split one.
EVENTS: dict[str, list[str]] = {
    "volcano": [
        "Lava from the volcano near Grindavik reached the evacuated houses on Sunday.",
        "The eruption began after a swarm of earthquakes shook the Reykjanes peninsula.",
        "Civil protection officials in Iceland kept the evacuation order for Grindavik.",
        "Scientists said the eruption was weakening but more earthquakes could follow.",
        "The Blue Lagoon spa near Grindavik stayed closed because of the lava.",
        "Defensive barriers built north of Grindavik were breached by the lava flow.",
    ],
    "election": [
        "The coalition lost its majority in parliament after the vote on Tuesday.",
        "The prime minister said the coalition would call early elections in spring.",
        "Opposition parties counted the ballots again in three contested districts.",
        "The finance minister resigned after the parliament vote on the budget.",
        "Turnout in the parliament election was the lowest since the war.",
        "Coalition talks between the two largest parties broke down overnight.",
    ],
    "football": [
        "The striker scored twice as the league leaders won at their old stadium.",
        "The coach praised the striker after a late goal sealed the league title.",
        "Fans filled the stadium hours before the final league match of the season.",
        "The goalkeeper saved a penalty and the coach called it the turning point.",
        "The club confirmed the striker will stay for another league season.",
        "A record crowd at the stadium watched the derby end without a goal.",
    ],
    "storm": [
        "The storm brought heavy rainfall and flooding to coastal towns overnight.",
        "Forecasters issued flood warnings for the coastal region until Friday.",
        "Rescue teams evacuated families whose homes were cut off by flooding.",
        "The storm left thousands of homes without power along the coast.",
        "Rainfall records fell in four coastal towns as the storm moved north.",
        "Ferries stayed in port as the storm warnings were extended to the islands.",
    ],
    "markets": [
        "Shares fell as investors weighed higher inflation and interest rates.",
        "The central bank kept interest rates unchanged and warned about inflation.",
        "Investors sold bank shares after the inflation figures were published.",
        "Bond yields rose as markets expected the central bank to raise rates.",
        "The currency weakened after the central bank comments on inflation.",
        "Analysts said shares could recover if inflation slows in the summer.",
    ],
}
BRIDGES = [
    "The storm flooding near Grindavik slowed the lava barriers work.",
    "Investors said the coalition vote in parliament moved shares and rates.",
    "The striker visited coastal towns hit by the storm flooding.",
    "The eruption and the earthquakes hit shares of Iceland airlines and investors.",
]
TITLES: dict[str, list[str]] = {
    "volcano": ["Lava reaches Grindavik", "Iceland eruption weakens", "Grindavik evacuated"],
    "election": ["Coalition loses vote", "Parliament vote topples minister", "Early elections"],
    "football": ["Striker seals league title", "Derby ends goalless", "Coach praises striker"],
    "storm": ["Storm floods coastal towns", "Flood warnings extended", "Storm cuts power"],
    "markets": ["Shares fall on inflation", "Central bank holds rates", "Investors sell banks"],
}


def article_text(rng: random.Random, n: int) -> dict[str, str]:
    """A new article's fields: an event's sentences, a title, an outlet, a date."""
    event = rng.choice(sorted(EVENTS))
    sentences = rng.sample(EVENTS[event], 4)
    return {
        "title": f"{rng.choice(TITLES[event])} ({n})",
        "date": f"{rng.choice(DAYS)}T{rng.randrange(6, 22):02d}:{rng.randrange(60):02d}:00Z",
        "source": rng.choice(OUTLETS),
        "body": " ".join(sentences),
    }


def write(content: Path, name: str, fields: dict[str, str]) -> None:
    lines = ["---", f"title: {fields['title']}"]
    if fields["date"]:  # none: an undated article (its story feed shows the digest's date)
        lines.append(f"date: {fields['date']}")
    lines.append(f"source: {fields['source']}")
    lines += ["---", fields["body"], ""]
    (content / name).write_text("\n".join(lines), encoding="utf-8")


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


class Digest:
    """A project folder, its articles, and the two builds compared after each edit."""

    def __init__(self, root: Path, rng: random.Random, **settings: object) -> None:
        self.root = root
        self.rng = rng
        self.content = root / "content"
        self.content.mkdir(parents=True)
        self.articles: dict[str, dict[str, str]] = {}
        self.made = 0
        self.config = Config(
            content="content",
            output="site",
            search=False,
            base_url="https://news.example.org/",
            archive_threshold=3,
            top_stories=2,
            **settings,  # type: ignore[arg-type]
        )
        self.reused = 0

    def add(self) -> None:
        self.made += 1
        name = f"a{self.made:03d}.md"
        self.articles[name] = article_text(self.rng, self.made)
        write(self.content, name, self.articles[name])

    def pick(self) -> str:
        return self.rng.choice(sorted(self.articles))

    def edit(self, name: str, **fields: str) -> None:
        self.articles[name] = {**self.articles[name], **fields}
        write(self.content, name, self.articles[name])

    def step(self, kind: str) -> str:
        """One edit of this kind, to a random article -> what it was."""
        rng = self.rng
        if kind == "add" or (kind == "delete" and len(self.articles) < 6):
            self.add()
            return "add"
        name = self.pick()
        if kind == "delete":
            (self.content / name).unlink()
            del self.articles[name]
        elif kind == "title":
            # the story's title when it is the story's first article: related
            # stories, cards and feeds elsewhere show it
            event = rng.choice(sorted(TITLES))
            self.edit(name, title=f"{rng.choice(TITLES[event])} again ({rng.randrange(99)})")
        elif kind == "text":
            # other sentences: the keywords, the topic's label, keyword pages
            event = rng.choice(sorted(EVENTS))
            self.edit(name, body=" ".join(rng.sample(EVENTS[event], 3)))
        elif kind == "bridge":
            self.edit(name, body=self.articles[name]["body"] + " " + rng.choice(BRIDGES))
        elif kind == "date":
            day = rng.choice(DAYS)
            self.edit(name, date=f"{day}T{rng.randrange(6, 22):02d}:15:00Z")
        elif kind == "undate":
            self.edit(name, date="")
        elif kind == "copy":
            # the same report from another outlet: versions of one report, each
            # page naming the other's title and outlet
            self.made += 1
            copy = f"a{self.made:03d}.md"
            source = rng.choice([o for o in OUTLETS if o != self.articles[name]["source"]])
            self.articles[copy] = {**self.articles[name], "source": source}
            write(self.content, copy, self.articles[copy])
        elif kind == "source":
            # an outlet renamed: its page, every list showing the outlet
            self.edit(name, source=rng.choice([*OUTLETS, "Reuters Wire", "AFP"]))
        elif kind == "touch":
            path = self.content / name
            path.write_bytes(path.read_bytes())
        return kind

    def check(self, what: str) -> None:
        """Build incrementally and fresh, and compare the two sites."""
        report = build(self.config, self.root)
        # a fresh build into an empty folder: without the state, a build keeps the
        # files it finds in its output folder (it cannot tell old pages from yours)
        shutil.rmtree(self.root / "fresh", ignore_errors=True)
        fresh = build(dataclasses.replace(self.config, output="fresh"), self.root, cache=False)
        assert fresh.pages_reused == 0
        self.reused += report.pages_reused
        incremental, expected = tree(self.root / "site"), tree(self.root / "fresh")
        differ = sorted(
            p for p in incremental.keys() | expected.keys() if incremental.get(p) != expected.get(p)
        )
        assert not differ, f"after {what}: incremental build differs from a fresh one: {differ}"


KINDS = (
    *("add", "delete", "title", "text", "bridge", "date", "undate", "copy", "source"),
    *("touch", "none"),
)


@pytest.mark.parametrize("seed", [1, 2])
def test_incremental_builds_equal_fresh_builds(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    digest = Digest(tmp_path, rng)
    for _ in range(10):
        digest.add()
    digest.check("the first build")
    # every kind of edit once, in a random order, then a few more at random
    kinds = [*rng.sample(KINDS, len(KINDS)), *rng.choices(KINDS, k=1)]
    done = []
    for n, kind in enumerate(kinds):
        done.append(digest.step(kind))
        if n == 6:  # the site's title: on every page
            digest.config = dataclasses.replace(digest.config, title=f"Digest {seed}")
            done.append("site title")
        digest.check(", ".join(done))
    # the builds did take pages from the last site: the comparison tested reuse
    assert digest.reused > 0


def test_an_unchanged_page_is_taken_and_a_changed_one_rendered(tmp_path: Path) -> None:
    digest = Digest(tmp_path, random.Random(7))
    for _ in range(10):
        digest.add()
    first = build(digest.config, tmp_path)
    assert first.pages_reused == 0 and first.pages_rendered > 0
    name = digest.pick()
    digest.edit(name, body=digest.articles[name]["body"] + " One more line about nothing.")
    second = build(digest.config, tmp_path)
    assert second.pages_reused > 0
    assert second.pages_rendered < first.pages_rendered
    state = json.loads((tmp_path / ".digest-cache" / "build.json").read_text())
    pages = dict(state["pages"])
    assert f"articles/{Path(name).stem}.html" in pages
    assert all(re.fullmatch("[0-9a-f]{64}", key) for key in pages.values())


def test_a_page_changed_in_the_output_folder_means_no_reuse(tmp_path: Path) -> None:
    digest = Digest(tmp_path, random.Random(8))
    for _ in range(8):
        digest.add()
    build(digest.config, tmp_path)
    page = next((tmp_path / "site" / "articles").glob("*.html"))
    page.write_text("edited by hand", encoding="utf-8")
    digest.add()
    report = build(digest.config, tmp_path)
    assert report.pages_reused == 0
    assert page.read_text(encoding="utf-8") != "edited by hand"
    digest.check("a page edited by hand")


def test_project_templates_mean_every_page_is_rendered(tmp_path: Path) -> None:
    digest = Digest(tmp_path, random.Random(9))
    for _ in range(8):
        digest.add()
    folder = tmp_path / "templates"
    (folder / "assets").mkdir(parents=True)
    (folder / "assets" / "extra.css").write_text("p { color: red; }", "utf-8")
    build(digest.config, tmp_path)
    digest.add()
    assert build(digest.config, tmp_path).pages_reused > 0  # assets are no templates
    base = (builtin_templates() / "base.html").read_text(encoding="utf-8")
    (folder / "base.html").write_text(base.replace("built with digest", "ours"), "utf-8")
    build(digest.config, tmp_path)
    digest.add()
    report = build(digest.config, tmp_path)
    assert report.pages_reused == 0 and report.pages_rendered > 0
    digest.check("with the project's templates")


DAMAGES: list[Callable[[list[list[str]]], object]] = [
    lambda pages: [*pages, ["../outside.html", "0" * 64]],
    lambda pages: [*pages, ["stories/x.html", "not a hash"]],
    lambda pages: [*pages, pages[0]],
    lambda pages: [[p, k.upper()] for p, k in pages],
    lambda pages: [[p, k, k] for p, k in pages],
    lambda pages: {"index.html": "0" * 64},
]


def test_a_forged_page_list_is_no_reuse_never_an_error(tmp_path: Path) -> None:
    digest = Digest(tmp_path, random.Random(10))
    for _ in range(8):
        digest.add()
    build(digest.config, tmp_path)
    path = tmp_path / ".digest-cache" / "build.json"
    for damage in DAMAGES:
        state = json.loads(path.read_text())
        state["pages"] = damage(state["pages"])
        path.write_text(json.dumps(state))
        digest.add()
        report = build(digest.config, tmp_path)
        assert report.pages_reused == 0 and report.cache_refused == 1
    digest.check("forged states")


def test_fields_left_out_of_fingerprints_are_never_shown() -> None:
    """`NOT_SHOWN` fields may be left out only while no built-in template and no
    renderer reads them; every other field is in a record's repr."""
    names = {name for fields in NOT_SHOWN.values() for name in fields}
    sources = [p.read_text(encoding="utf-8") for p in builtin_templates().glob("*.html")]
    root = Path(__file__).parent.parent / "digest"
    sources += [(root / f).read_text(encoding="utf-8") for f in ("render.py", "feeds.py")]
    for name in names:
        used = re.compile(rf"\.{name}\b")
        assert not any(used.search(text) for text in sources), name
    assert not any(used.search(text) for text in sources for used in [re.compile(r"\.counts\(")])
    for record in vars(models).values():
        if dataclasses.is_dataclass(record):
            assert all(f.repr for f in dataclasses.fields(record)), record


def test_with_search_kept_pages_are_indexed_as_in_a_fresh_build(tmp_path: Path) -> None:
    """With search, a page taken from the last site still goes through the search
    index (its bytes are read): the bundle equals a fresh build's."""
    digest = Digest(tmp_path, random.Random(11))
    digest.config = dataclasses.replace(digest.config, search=True)
    for _ in range(8):
        digest.add()
    build(digest.config, tmp_path)
    name = digest.pick()
    digest.edit(name, title="Grindavik lava reaches the harbour")
    report = build(digest.config, tmp_path)
    assert report.pages_reused > 0
    assert (tmp_path / "site" / "pagefind" / "pagefind.js").is_file()
    digest.check("an edit with search")


def test_with_search_a_kept_page_is_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build state keeps what the search index took of each HTML page, so a
    page taken from the last site is handed to the writer as its file, unread;
    the bundle still equals a fresh build's."""
    digest = Digest(tmp_path, random.Random(12))
    digest.config = dataclasses.replace(digest.config, search=True)
    for _ in range(8):
        digest.add()
    build(digest.config, tmp_path)
    state = json.loads((tmp_path / ".digest-cache" / "build.json").read_text())
    entries = dict(state["indexed"])
    assert any(re.fullmatch("[0-9a-f]{32} [0-9]+", e) for p, e in entries.items())
    assert all(p.endswith(".html") for p in entries)
    read: list[str] = []
    real = digest_state._read_page

    def spy(output: Path, path: str) -> bytes | None:
        read.append(path)
        return real(output, path)

    monkeypatch.setattr(digest_state, "_read_page", spy)
    digest.edit(digest.pick(), title="Grindavik lava reaches the harbour")
    report = build(digest.config, tmp_path)
    assert report.pages_reused > 0 and read == []
    digest.check("an edit with search, kept pages unread")


def test_a_topic_feed_is_kept_while_stories_it_does_not_show_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A topic's feed shows its newest FEED_ENTRIES stories, and only those are
    its inputs: an edit to an older story of the topic changes the topic page,
    not the feed, which is taken from the last build; every build still equals
    a fresh one."""
    monkeypatch.setattr(render, "FEED_ENTRIES", 1)
    rendered: list[str] = []
    real = feeds.atom_xml

    def spy(feed: feeds.Feed) -> bytes:
        rendered.append(feed.self_link.rsplit("/", 1)[-1])
        return real(feed)

    monkeypatch.setattr(feeds, "atom_xml", spy)
    digest = Digest(tmp_path, random.Random(14))
    for _ in range(12):
        digest.add()
    digest.check("the first build")
    topics = tmp_path / "site" / "topics"
    kept = 0
    for kind in ("title", "text", "bridge", "title", "date", "text", "title", "source"):
        pages = {p.stem: p.read_bytes() for p in topics.glob("*.html") if p.stem != "index"}
        digest.step(kind)
        rendered.clear()
        build(digest.config, tmp_path)
        incremental = set(rendered)
        digest.check(kind)  # its own build is a no-op now
        for topic, page in pages.items():
            now = topics / f"{topic}.html"
            if now.is_file() and now.read_bytes() != page and f"{topic}.xml" not in incremental:
                kept += 1
    assert kept, "no topic feed was kept while its topic page changed"


def test_the_time_zone_rules_are_an_input_of_every_page() -> None:
    """Pages show times in the configured zone: its rules are part of every
    fingerprint (a new tz database can move a time), none for UTC."""
    assert zone_rules("UTC") == ""
    paris, new_york = zone_rules("Europe/Paris"), zone_rules("America/New_York")
    assert re.fullmatch("[0-9a-f]{64}", paris) and paris != new_york
