"""The story cache (`digest.story_cache`): a story taken from it is the story a fresh
build makes; an added article reuses the stories it cannot touch; an entry that is
damaged, forged or malformed is a miss, never an error, and the site is the one a
clean build writes."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from digest.cluster import group_articles
from digest.config import Config
from digest.load import read_content
from digest.models import Article
from digest.pipeline import analyse_files, build
from digest.state import STATE_FILE
from digest.stories import make_stories
from digest.story_cache import (
    FORMAT,
    NOT_STORY_FIELDS,
    STORE,
    STORY_MODULES,
    StoryCache,
    fingerprint,
    fits,
)
from digest.weights import TermWeights
from tests.site_fixture import write_fixture, write_long_story
from tests.test_golden import tree

CACHE = ".digest-cache"
REPO = Path(__file__).resolve().parents[1]


def articles_of(folder: Path) -> list[Article]:
    config = Config()
    files, _ = read_content(folder)
    found, _, _ = analyse_files(files, config)
    return sorted(found, key=lambda a: a.id)


def stories_with(articles: list[Article], store: StoryCache | None) -> list[Any]:
    config = Config()
    weights = TermWeights(articles)
    groups = group_articles(articles, config, weights)
    stories = make_stories(groups, articles, config, weights, store)
    if store is not None:
        store.save()
    return stories


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Article]:
    folder = tmp_path_factory.mktemp("corpus")
    write_fixture(folder)
    write_long_story(folder, reports=8, outlets=5)
    return articles_of(folder)


def test_a_story_from_the_cache_is_the_story_made_afresh(
    corpus: list[Article], tmp_path: Path
) -> None:
    fresh = stories_with(corpus, None)
    assert any(s.evidence is not None for s in fresh), "the corpus has a story of several"
    first = StoryCache(tmp_path, Config())
    assert stories_with(corpus, first) == fresh
    assert (first.hits, first.misses) == (0, len(fresh))
    again = StoryCache(tmp_path, Config())
    assert stories_with(corpus, again) == fresh
    assert (again.hits, again.reweighed, again.misses) == (len(fresh), 0, 0)


def test_a_story_of_many_pairs_fits_its_entry(corpus: list[Article], tmp_path: Path) -> None:
    """Evidence lists the SIMILAR_PAIRS strongest pairs but counts every pair joined by
    time: an entry counting more of those than it lists is still a story's own."""
    config = Config()
    weights = TermWeights(corpus)
    groups = group_articles(corpus, config, weights)
    group = max(groups, key=lambda g: len(g.members))
    assert len(group.members) >= 6  # 15 pairs or more, 10 listed
    store = StoryCache(tmp_path, config)
    story = make_stories([group], corpus, config, weights, store)[0]
    store.save()
    (key,) = stored_entries(tmp_path)
    entry = StoryCache(tmp_path, config).get(key)
    assert entry is not None and story.evidence is not None
    by_id = {a.id: a for a in corpus}
    members = [by_id[i] for i in story.articles]
    reports = [a for a in members if a.id not in dict(story.duplicates)]
    assert fits(entry, reports, members)
    pairs = len(members) * (len(members) - 1) // 2
    for joined, fitting in ((pairs, True), (pairs + 1, False), (-1, False)):
        evidence = replace(story.evidence, joined_by_time=joined)
        forged = replace(entry, weighed=replace(entry.weighed, evidence=evidence))
        assert fits(forged, reports, members) is fitting


def stored_entries(folder: Path) -> dict[str, Any]:
    data = json.loads((folder / STORE).read_bytes())
    assert isinstance(data, dict)
    return dict(data["entries"])


def test_an_added_article_reuses_what_it_cannot_touch(
    corpus: list[Article], tmp_path: Path
) -> None:
    """Adding an article moves the IDF of the articles dated within weeks of it: the
    stories of several articles there keep their members' part (keywords, sentence
    terms) and are weighed again; a story months away, and one of one article, are
    taken whole. Either way, what a fresh build gives."""
    added = next(a for a in corpus if a.id == "lagoon-ruv")  # January, as 2 other stories
    before = [a for a in corpus if a is not added]
    stories_with(before, StoryCache(tmp_path, Config()))
    store = StoryCache(tmp_path, Config())
    assert stories_with(corpus, store) == stories_with(corpus, None)
    # hits: the May story of 10 articles and the undated story of one; reweighed: the
    # eruption and the final (January); missed: the lagoon story, which has a new member
    assert (store.hits, store.reweighed, store.misses, store.refused) == (2, 2, 1, 0)


# Forged terms of an entry's sentences: read only by a story weighed again.
SENTENCES_FORGED: dict[str, Callable[[dict[str, Any]], None]] = {
    "terms for other sentences": lambda e: e["terms"].pop(),
    "a term that is not a string": lambda e: e["terms"][0].append(3),
    "relevance that is not numbers": lambda e: e.__setitem__("relevance", ["high"]),
}


@pytest.mark.parametrize("name", sorted(SENTENCES_FORGED))
def test_forged_sentence_terms_are_a_miss_where_they_are_read(
    corpus: list[Article], tmp_path: Path, name: str
) -> None:
    """The terms of a story's sentences (and their relevance) are decoded only when
    its weights moved: an entry whose terms are forged is refused there, a miss,
    and a story taken whole never reads them. Either way, what a fresh build gives."""
    added = next(a for a in corpus if a.id == "lagoon-ruv")
    before = [a for a in corpus if a is not added]
    stories_with(before, StoryCache(tmp_path, Config()))
    data = json.loads((tmp_path / STORE).read_bytes())
    several = [e for e in data["entries"].values() if e["evidence"] is not None]
    assert len(several) == 3  # the May story, the eruption and the final
    for entry in several:
        SENTENCES_FORGED[name](entry)
    (tmp_path / STORE).write_text(json.dumps(data), "utf-8")
    store = StoryCache(tmp_path, Config())
    assert stories_with(corpus, store) == stories_with(corpus, None)
    # the May story is taken whole (its forged terms unread); the eruption and the
    # final would be weighed again: refused, and made afresh
    assert (store.hits, store.reweighed, store.misses, store.refused) == (2, 0, 3, 2)
    again = StoryCache(tmp_path, Config())
    stories_with(corpus, again)
    assert again.hits == len(stories_with(corpus, None)) and again.refused == 0


def test_another_config_misses(corpus: list[Article], tmp_path: Path) -> None:
    stories_with(corpus, StoryCache(tmp_path, Config()))
    other = StoryCache(tmp_path, Config(summary_max_words=40))
    config = Config(summary_max_words=40)
    weights = TermWeights(corpus)
    groups = group_articles(corpus, config, weights)
    made = make_stories(groups, corpus, config, weights, other)
    assert made == make_stories(groups, corpus, config, weights)
    assert other.hits == other.reweighed == 0


def test_settings_stories_never_read_keep_the_cache() -> None:
    """A field left out of the fingerprint must not be read where stories are made,
    or the cache would serve stories made with an old value."""
    for name in ("stories", "story_cache", "summarize", "evidence", "cluster"):
        source = (REPO / "digest" / f"{name}.py").read_text("utf-8")
        read = set(re.findall(r"\bconfig\.(\w+)", source))
        assert not read & NOT_STORY_FIELDS, (name, read & NOT_STORY_FIELDS)
        assert "getattr(config" not in source or name == "story_cache", name
    assert {f.name for f in dataclasses.fields(Config)} >= NOT_STORY_FIELDS
    assert fingerprint(Config()) == fingerprint(Config(title="Other", base_url="https://x.org/"))
    assert fingerprint(Config()) != fingerprint(Config(summary_max_words=40))
    assert fingerprint(Config()) != fingerprint(Config(story_threshold=0.5))


def test_the_code_hash_covers_every_module_stories_imports() -> None:
    """STORY_MODULES must hold `stories` and every digest module it reaches by imports
    (skipping what the per-article cache already covers would be wrong: those
    modules change what a story is made of too)."""
    import ast

    from digest.cache import module_path

    def digest_imports(name: str) -> set[str]:
        tree_ = ast.parse(module_path(name).read_text("utf-8"))
        found = set()
        for node in ast.walk(tree_):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith("digest."):
                    found.add(node.module.removeprefix("digest."))
                elif node.module == "digest":
                    found |= {a.name for a in node.names}
        return found

    reached, todo = set(), ["stories"]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo.extend(digest_imports(name))
    assert {"summarize", "evidence", "cluster", "terms"} <= reached
    assert reached <= set(STORY_MODULES), sorted(reached - set(STORY_MODULES))


# ------------------------------------------------------------ through the pipeline


def run(project: Path, *, cache: bool = True) -> Any:
    return build(
        Config(content="content", output="site", search=False), project, cache=cache, jobs=1
    )


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    project = tmp_path_factory.mktemp("clean")
    write_fixture(project / "content")
    write_long_story(project / "content", reports=6, outlets=4)
    run(project, cache=False)
    return tree(project / "site")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_fixture(tmp_path / "project" / "content")
    write_long_story(tmp_path / "project" / "content", reports=6, outlets=4)
    report = run(tmp_path / "project")
    assert report.story_misses == report.stories and report.story_hits == 0
    return tmp_path / "project"


def rebuild(project: Path) -> Any:
    """Build again as if something else had changed (no build state: no early stop)."""
    (project / CACHE / STATE_FILE).unlink()
    return run(project)


def test_a_rebuild_takes_every_story_from_the_cache(project: Path, clean: dict[str, bytes]) -> None:
    report = rebuild(project)
    assert report.story_hits == report.stories and report.story_misses == 0
    assert tree(project / "site") == clean


def test_adding_an_article_gives_the_site_a_fresh_build_gives(
    project: Path, tmp_path: Path
) -> None:
    text = (
        "Moon landing planned\n\nA space agency plans a crewed landing on the moon next spring.\n"
    )
    (project / "content" / "moon.txt").write_text(text, "utf-8")
    report = run(project)
    assert report.story_misses == 1  # the new article's story
    assert report.story_reweighed + report.story_hits == report.stories - 1
    fresh = tmp_path / "fresh"
    (fresh / "content").mkdir(parents=True)
    for path in (project / "content").iterdir():
        (fresh / "content" / path.name).write_bytes(path.read_bytes())
    run(fresh, cache=False)
    assert tree(project / "site") == tree(fresh / "site")


def stored(project: Path) -> dict[str, Any]:
    data = json.loads((project / CACHE / STORE).read_bytes())
    assert isinstance(data, dict)
    return data


def edit_entries(project: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = stored(project)
    for entry in data["entries"].values():
        change(entry)
    (project / CACHE / STORE).write_text(json.dumps(data), "utf-8")  # a surrogate escaped


def forge(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    """A change made to one entry only: the first of a story of several articles."""
    done: list[bool] = []

    def apply(entry: dict[str, Any]) -> None:
        if entry["evidence"] is not None and not done:
            change(entry)
            done.append(True)

    return apply


FORGED: dict[str, Callable[[dict[str, Any]], None]] = {
    "summary text no report has": forge(lambda e: e["summary"][0].__setitem__(0, "Buy now!")),
    "summary citing no member": forge(lambda e: e["summary"][0].__setitem__(1, "elsewhere")),
    "keyword no report has": forge(lambda e: e["keywords"].append(["Buy", "buy", 0.5])),
    "keyword score out of range": forge(lambda e: e["keywords"][0].__setitem__(2, 7.0)),
    "shared keyword not a keyword": forge(lambda e: e["shared"].append(["zzz", "Zzz", 2])),
    "shared by more reports than it has": forge(lambda e: e["shared"][0].__setitem__(2, 99)),
    "evidence about an article it lacks": forge(
        lambda e: e["evidence"]["pairs"][0].__setitem__(1, 40)
    ),
    "evidence figure out of range": forge(
        lambda e: e["evidence"]["pairs"][0][2].__setitem__("counted", 1e9)
    ),
    "a field missing": forge(lambda e: e.pop("shared")),
    "a field too many": forge(lambda e: e.__setitem__("colour", "blue")),
    "a summary row too short": forge(lambda e: e["summary"][0].pop()),
    "an idf hash that is not text": forge(lambda e: e.__setitem__("idf", 3)),
}


@pytest.mark.parametrize("name", sorted(FORGED))
def test_a_forged_entry_is_a_miss(project: Path, clean: dict[str, bytes], name: str) -> None:
    edit_entries(project, FORGED[name])
    report = rebuild(project)
    assert report.cache_refused == 1 and report.story_misses == 1
    assert report.story_hits == report.stories - 1
    assert tree(project / "site") == clean
    assert rebuild(project).story_hits == report.stories, "the entry is written afresh"


STORES: list[bytes] = [
    b"[]",
    b"null",
    b"[" * 200_000,
    b"\xff\xfe",
    b'{"format": %d, "entries": []}' % FORMAT,
    b'{"format": %d}' % FORMAT,
]


@pytest.mark.parametrize("data", STORES, ids=range(len(STORES)))
def test_a_malformed_store_is_no_store(project: Path, clean: dict[str, bytes], data: bytes) -> None:
    (project / CACHE / STORE).write_bytes(data)
    report = rebuild(project)
    assert report.cache_refused == 1 and report.story_hits == 0
    assert tree(project / "site") == clean
    assert rebuild(project).story_hits == report.stories


def test_nan_and_lone_surrogates_are_refused(project: Path, clean: dict[str, bytes]) -> None:
    path = project / CACHE / STORE
    good = path.read_bytes()
    path.write_bytes(good.replace(b'"idf":', b'"x":NaN,"idf":', 1))
    assert rebuild(project).cache_refused == 1
    edit_entries(project, forge(lambda e: e["summary"][0].__setitem__(0, "\ud800")))
    report = rebuild(project)
    assert report.cache_refused == 1 and report.story_hits == 0
    assert tree(project / "site") == clean


def test_a_store_of_another_format_is_not_refused(project: Path, clean: dict[str, bytes]) -> None:
    data = stored(project)
    data["format"] = 0
    (project / CACHE / STORE).write_text(json.dumps(data), "utf-8")
    report = rebuild(project)
    assert report.cache_refused == 0 and report.story_hits == 0
    assert tree(project / "site") == clean


def test_a_link_or_pipe_in_place_of_the_store_is_not_followed(
    project: Path, clean: dict[str, bytes], tmp_path: Path
) -> None:
    secret = tmp_path / "secret.json"
    secret.write_bytes((project / CACHE / STORE).read_bytes())
    (project / CACHE / STORE).unlink()
    (project / CACHE / STORE).symlink_to(secret)
    report = rebuild(project)
    assert report.story_hits == 0 and tree(project / "site") == clean
    assert not (project / CACHE / STORE).is_symlink(), "the link was replaced"
    assert secret.read_bytes() != b"" and stored(project)["entries"]
    (project / CACHE / STORE).unlink()
    os.mkfifo(project / CACHE / STORE)
    report = rebuild(project)
    assert report.story_hits == 0 and tree(project / "site") == clean


def test_unused_entries_are_dropped(project: Path) -> None:
    before = set(stored(project)["entries"])
    (project / "content" / "chess-notes.txt").unlink()
    run(project)
    after = set(stored(project)["entries"])
    assert len(after) == len(before) - 1 and after < before
