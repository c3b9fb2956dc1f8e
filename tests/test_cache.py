"""Incremental builds: per-article results cached by content, path, id and the
settings that shape them; hits and misses counted; corrupt entries recomputed;
unchanged output files left alone."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

import digest.analyse
import digest.pipeline
from digest.analyse import analyse_file
from digest.cache import ENTRIES, SITE_ONLY_FIELDS, ArticleCache, fingerprint
from digest.config import Config
from digest.load import SourceFile, read_content
from digest.models import Article, BuildReport, DigestError, Problem
from digest.pipeline import article_ids, build
from digest.state import STATE_FILE
from tests.conftest import REPO, SEEDS
from tests.site_fixture import write_fixture
from tests.test_golden import tree

NEW_ARTICLE = """---
title: Wagner fighters arrive at a camp in Belarus
date: 2023-06-30
source: Example Wire
---
Wagner fighters arrived at a camp in Belarus on Friday, a week after the mutiny led by
Yevgeny Prigozhin. Belarusian officials said the camp could hold several thousand men.
"""


def run(project: Path, **settings: object) -> BuildReport:
    config = Config(content="content", output="site", search=False, **settings)  # type: ignore[arg-type]
    return build(config, project)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(SEEDS, tmp_path / "content")
    return tmp_path


def forget_build(project: Path) -> None:
    """Drop the record of the last build, so the next one runs in full instead of
    finding nothing changed (the per-article cache is what is under test)."""
    (project / ".digest-cache" / STATE_FILE).unlink()


def entries(project: Path) -> list[Path]:
    return sorted((project / ".digest-cache" / ENTRIES).glob("*"))


def test_hits_and_misses_are_counted(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = run(project)
    assert (first.cache_hits, first.cache_misses) == (0, 4)
    assert len(entries(project)) == 4
    assert (project / ".digest-cache" / "CACHEDIR.TAG").is_file()

    analysed: list[str] = []
    real = digest.analyse.analyse_file

    def counting(source: SourceFile, article_id: str, config: Config) -> object:
        analysed.append(source.path)
        return real(source, article_id, config)

    monkeypatch.setattr(digest.analyse, "analyse_file", counting)  # the build imports it there
    second = run(project)
    assert (second.cache_hits, second.cache_misses) == (4, 0)
    assert analysed == []

    (project / "content" / "wagner-camp.md").write_text(NEW_ARTICLE, "utf-8")
    third = run(project)
    assert (third.cache_hits, third.cache_misses) == (4, 1)
    assert analysed == ["wagner-camp.md"], "only the new article is analysed"
    assert third.articles == 5

    edited = project / "content" / "000_7a6293aeb3383be8.txt"
    edited.write_bytes(edited.read_bytes() + b"\nOne more sentence about Rostov.\n")
    fourth = run(project)
    assert (fourth.cache_hits, fourth.cache_misses) == (4, 1)
    assert analysed[-1] == "000_7a6293aeb3383be8.txt"


def test_cached_build_is_byte_identical_to_a_fresh_one(tmp_path: Path) -> None:
    content = write_fixture(tmp_path / "content")
    shutil.copytree(SEEDS, content, dirs_exist_ok=True)
    config = Config(content="content", output="site")
    build(config, tmp_path)
    cached = build(config, tmp_path)
    assert cached.cache_misses == 0 and cached.cache_hits > 10
    warm = tree(tmp_path / "site")
    fresh = build(dataclasses.replace(config, output="fresh"), tmp_path, cache=False)
    assert fresh.cache_hits == 0
    assert tree(tmp_path / "fresh") == warm


def test_entries_decode_to_equal_records(tmp_path: Path) -> None:
    """Every record type survives the round trip: articles with problems, Problems,
    unusual characters, floats."""
    content = write_fixture(tmp_path / "content")
    shutil.copytree(SEEDS, content, dirs_exist_ok=True)
    (content / "empty.md").write_text("", "utf-8")
    (content / "odd.md").write_text(
        "---\ntitle: [unclosed\n---\nBody text with emoji 🦊 and a lone \udcff byte.\n",
        "utf-8",
        errors="surrogateescape",
    )
    files, _ = read_content(content)
    ids = article_ids([f.path for f in files])
    config = Config()
    cache = ArticleCache(tmp_path / "cache", config)
    kinds = set()
    for source in files:
        result = analyse_file(source, ids[source.path], config)
        key = cache.key(source, ids[source.path])
        cache.put(key, result)
        assert cache.get(key, source.path, ids[source.path]) == result, source.path
        kinds.add(type(result).__name__)
    assert kinds == {"Article", "Problem"}


@pytest.fixture(scope="module")
def analysed() -> tuple[SourceFile, Article | Problem]:
    path = SEEDS / "002_600575db9d6efc15.txt"
    source = SourceFile(path.name, path.read_bytes())
    return source, analyse_file(source, "002", Config())


def damaged(entry: dict[str, Any], damage: bytes | str) -> bytes:
    if isinstance(damage, bytes):
        return damage
    value = entry["value"]
    if damage == "wrong-kind":
        entry["kind"] = "problem"
    elif damage == "wrong-type":
        value["word_count"] = "many"
    elif damage == "bool-for-int":
        value["word_count"] = True
    elif damage == "missing-field":
        del value["lead"]
    elif damage == "extra-field":
        value["meta"]["colour"] = "blue"
    elif damage == "bad-literal":
        value["blocks"][0]["kind"] = "script"
    elif damage == "other-key":
        entry["key"] = "0" * 64
    elif damage == "nested-list":
        value["terms"] = [["a", 1, 2]]
    return json.dumps(entry).encode("utf-8")


DAMAGE: list[bytes | str] = [
    b"",
    b"{",
    b"\xff\xfe\x00garbage",
    b"[]",
    b"null",
    b'{"format": 1}',
    b'{"format": 999, "key": "", "kind": "article", "value": {}}',
    b"[" * 100_000,
    "wrong-kind",
    "wrong-type",
    "bool-for-int",
    "missing-field",
    "extra-field",
    "bad-literal",
    "other-key",
    "nested-list",
]


@pytest.mark.parametrize("damage", DAMAGE)
def test_corrupt_entry_is_a_miss_and_is_rewritten(
    tmp_path: Path, analysed: tuple[SourceFile, Article | Problem], damage: bytes | str
) -> None:
    source, result = analysed
    cache = ArticleCache(tmp_path, Config())
    key = cache.key(source, "002")
    cache.put(key, result)
    entry = tmp_path / ENTRIES / f"{key}.json"
    good = entry.read_bytes()
    entry.write_bytes(damaged(json.loads(good), damage))
    assert cache.get(key, source.path, "002") is None
    cache.put(key, result)
    assert entry.read_bytes() == good and cache.get(key, source.path, "002") == result


def test_build_recomputes_corrupt_entries(project: Path) -> None:
    run(project)
    paths = entries(project)
    paths[0].write_bytes(b"{")
    paths[1].write_bytes(damaged(json.loads(paths[1].read_bytes()), "wrong-type"))
    paths[2].unlink()
    paths[2].mkdir()  # a folder in the way: left alone, the result is not stored
    paths[3].write_bytes(b"\0" * 10)
    forget_build(project)
    report = run(project)
    assert (report.cache_hits, report.cache_misses) == (0, 4)
    assert report.articles == 4 and not report.problems
    forget_build(project)
    assert run(project).cache_hits == 3


def test_unwritable_cache_does_not_stop_the_build(project: Path) -> None:
    (project / ".digest-cache").mkdir()
    (project / ".digest-cache" / ENTRIES).write_text("not a folder", "utf-8")
    report = run(project)
    assert report.articles == 4 and report.cache_misses == 4


def test_settings_that_shape_articles_change_the_key(project: Path) -> None:
    run(project)
    assert run(project, title="Another title", story_threshold=0.5).cache_hits == 4
    assert run(project, keywords_per_article=5).cache_misses == 4
    assert fingerprint(Config()) != fingerprint(Config(lead_sentences=2))
    assert fingerprint(Config()) == fingerprint(Config(base_url="https://x.org/", search=False))


def test_site_only_settings_are_not_read_per_article() -> None:
    """A setting listed as site-only must not be read by the per-article stages,
    or the cache would serve results made with an old value."""
    loader = sorted(f"load/{path.name}" for path in (REPO / "digest" / "load").glob("*.py"))
    per_article = [*loader, "dates.py", "urls.py", "clean.py", "extract.py", "terms.py"]
    for name in per_article:
        source = (REPO / "digest" / name).read_text("utf-8")
        read = set(re.findall(r"\bconfig\.(\w+)", source))
        assert not read & SITE_ONLY_FIELDS, (name, read & SITE_ONLY_FIELDS)
        assert "getattr(config" not in source, name
    fields = {f.name for f in dataclasses.fields(Config)}
    assert fields >= SITE_ONLY_FIELDS


def test_deleted_articles_are_pruned_and_no_temp_files_stay(project: Path) -> None:
    run(project)
    (project / "content" / "003_c547f16ece3ff2c5.txt").unlink()
    run(project)
    names = [path.name for path in entries(project)]
    assert len(names) == 3
    assert all(re.fullmatch(r"[0-9a-f]{64}\.json", n) for n in names), names


def test_cache_can_be_deleted_or_turned_off(project: Path) -> None:
    run(project)
    shutil.rmtree(project / ".digest-cache")
    assert run(project).cache_misses == 4
    shutil.rmtree(project / ".digest-cache")
    assert run(project, cache="").cache_misses == 4
    assert not (project / ".digest-cache").exists()
    config = Config(content="content", output="site", search=False)
    build(config, project, cache=False)
    assert not (project / ".digest-cache").exists()


@pytest.mark.parametrize("where", ["content", "content/cache", "site", "site/x", ".", "/"])
def test_cache_folder_must_not_overlap_content_or_site(project: Path, where: str) -> None:
    with pytest.raises(DigestError):
        run(project, cache=where)


def test_hidden_cache_inside_the_content_folder_is_allowed(project: Path) -> None:
    config = Config(content=".", output=str(project / "out"), search=False)
    build(config, project / "content")
    report = build(config, project / "content")
    assert report.cache_hits == 4 and report.articles == 4


def test_no_op_rebuild_rewrites_nothing(project: Path) -> None:
    run(project)
    site = project / "site"

    def stamps() -> dict[str, tuple[int, int]]:
        return {
            p.relative_to(site).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted(site.rglob("*"))
            if p.is_file()
        }

    before = stamps()
    report = run(project)
    assert report.files_written == 0 and report.files_unchanged == len(before)
    assert stamps() == before, "unchanged files keep their inode and modification time"

    (project / "content" / "wagner-camp.md").write_text(NEW_ARTICLE, "utf-8")
    report = run(project)
    after = stamps()
    assert after["assets/style.css"] == before["assets/style.css"]
    assert after["index.html"] != before["index.html"]
    assert 0 < report.files_written < len(after)


def test_report_times_every_stage(project: Path) -> None:
    report = run(project)
    assert [name for name, _ in report.timings] == [
        "load",
        "analyse",
        "group",
        "render",
        "search",
        "write",
    ]
    assert all(seconds >= 0 for _, seconds in report.timings)
    assert sum(seconds for _, seconds in report.timings) <= report.seconds + 0.01


def test_the_code_hash_covers_every_module_the_analysis_imports() -> None:
    """ANALYSIS_MODULES must hold `analyse` and every digest module it reaches by
    imports: a module left out could change articles without emptying the cache."""
    import ast

    from digest.cache import ANALYSIS_MODULES, module_path

    def is_module(name: str) -> bool:
        base = REPO.joinpath("digest", *name.split("."))
        return base.is_dir() or base.with_suffix(".py").is_file()

    def digest_imports(name: str) -> set[str]:
        tree = ast.parse(module_path(name).read_text("utf-8"))
        found = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "digest" or node.module.startswith("digest."):
                    package = node.module.removeprefix("digest").lstrip(".")
                    if package:
                        found.add(package)
                    for alias in node.names:  # "from digest.load import html": a module
                        dotted = f"{package}.{alias.name}".lstrip(".")
                        if is_module(dotted):
                            found.add(dotted)
            elif isinstance(node, ast.Import):
                found |= {a.name[7:] for a in node.names if a.name.startswith("digest.")}
        # importing a package's module runs the package's __init__ too
        return found | {n.rsplit(".", 1)[0] for n in found if "." in n}

    reached, todo = set(), ["analyse"]
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo.extend(digest_imports(name))
    assert {"load.html", "load.files", "dates", "urls"} <= reached  # the walk follows packages
    assert reached <= set(ANALYSIS_MODULES), sorted(reached - set(ANALYSIS_MODULES))
    assert "render" not in ANALYSIS_MODULES and "cluster" not in ANALYSIS_MODULES
