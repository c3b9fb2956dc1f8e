"""Content can never stop the build: ids and page paths are unique by construction.

Article ids come from content paths, page names from titles, outlets, sections
and keywords; whatever those are (unicode, empty, dots, slashes, very long,
differing only in case, or made so that every hash agrees: the id hash is
replaced by a constant), every article gets its own id and every page its own
path, also on a file system that ignores case, the same whatever order the
files come in, and the build never fails for it.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest import slugs
from digest.analyse import analyse_file
from digest.config import Config
from digest.load import SourceFile
from digest.models import Article
from digest.pipeline import article_ids, assemble_site, build
from digest.slugs import RESERVED, distinct_ids, unique_names

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SAFE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class _ConstantHash:
    """A stand-in for hashlib.sha1 under which every text has the same hash."""

    def __init__(self, data: bytes = b"") -> None:
        pass

    def hexdigest(self) -> str:
        return "0" * 40


@pytest.fixture
def constant_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every hash slugs takes (for names without Latin letters and for the suffix
    that sets colliding names apart) is the same."""
    monkeypatch.setattr(slugs, "hashlib", type("hashlib", (), {"sha1": _ConstantHash}))


# Path segments built to collide: case-only differences, dots, separators that
# slug away, non-Latin names (hashed), reserved names, very long names.
SEGMENTS = st.one_of(
    st.sampled_from(
        ["a", "A", "a-b", "A_B", "a.b", "a b", "index", "INDEX", "é", "e", "ß", "ss", "中", "文"]
    ),
    st.text(alphabet="aA-_. é中", min_size=1, max_size=6),
    st.text(min_size=1, max_size=6),
    st.integers(100, 300).map(lambda n: "x" * n),
).filter(lambda s: s.strip() not in ("", ".", "..") and "/" not in s and "\x00" not in s)
PATHS = st.lists(
    st.tuples(
        st.lists(SEGMENTS, min_size=1, max_size=3), st.sampled_from([".md", ".txt", ".html"])
    ).map(lambda t: "/".join(t[0]) + t[1]),
    min_size=1,
    max_size=20,
    unique=True,
)


def _check_ids(paths: list[str]) -> None:
    ids = article_ids(paths)
    assert set(ids) == set(paths)
    values = list(ids.values())
    assert len({v.casefold() for v in values}) == len(values)  # distinct, whatever the case
    for value in values:
        assert SAFE_ID.fullmatch(value), value
        assert value not in RESERVED
    shuffled = list(paths)
    random.Random(len(paths)).shuffle(shuffled)
    assert article_ids(shuffled) == ids  # the order files are found in decides nothing


@SETTINGS
@given(PATHS)
def test_article_ids_are_unique_for_adversarial_paths(paths: list[str]) -> None:
    _check_ids(paths)


@SETTINGS
@given(PATHS)
def test_article_ids_are_unique_when_every_hash_collides(
    constant_hash: None, paths: list[str]
) -> None:
    _check_ids(paths)


def test_paths_differing_only_in_case_get_ids_differing_in_more_than_case() -> None:
    ids = article_ids(["News/Story.md", "news/story.md", "NEWS/STORY.md"])
    assert len({i.casefold() for i in ids.values()}) == 3


def test_colliding_suffixes_fall_back_to_longer_ones(constant_hash: None) -> None:
    # with one hash for every key, the suffixes of six and twelve characters are
    # taken by the first two; the rest still get names of their own
    texts = {f"key {n}": "Same title" for n in range(6)}
    names = unique_names(texts)
    assert len(set(names.values())) == 6
    assert "same-title-000000" in names.values()


def test_the_hash_stand_in_is_used(constant_hash: None) -> None:
    assert slugs.slugify("中文") == "x-0000000000"
    assert hashlib.sha1(b"x").hexdigest() != "0" * 40  # only slugs' hash is replaced


# ---------------------------------------------------------------- a whole build

TITLES = ["Same title", "SAME TITLE", "", "…", "../../etc/passwd", "index", "中文标题", "x" * 300]
NAMES = [
    "a/same.md",
    "a-same.md",
    "A-Same.txt",
    "a/Same.txt",
    "中.md",
    "文.md",
    "index.md",
    "Index.txt",
    "a..b.md",
    "sources/unknown.md",
    "x" * 150 + ".md",
    "y" * 150 + "/z.md",
    "é.md",
    "e.md",
]


def _write_content(folder: Path, rng: random.Random) -> None:
    for n, name in enumerate(NAMES):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        title = rng.choice(TITLES)
        outlet = rng.choice(["Unknown", "unknown", "Index", "Outlet", "outlet", "中文"])
        section = rng.choice(["Index", "index", "News", "news", "中文"])
        path.write_text(
            f"---\ntitle: {title!r}\nsource: {outlet}\nsection: {section}\n"
            f"date: 2024-03-{1 + n % 3:02d}\n---\n\n"
            f"The Springfield council met on Monday and voted on the budget, report {n} says. "
            "The mayor said the Index Fund and the Unknown Party backed the plan.\n",
            encoding="utf-8",
        )


@pytest.mark.parametrize("forced", [False, True], ids=["real hash", "constant hash"])
def test_a_build_of_colliding_names_never_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forced: bool
) -> None:
    if forced:
        monkeypatch.setattr(slugs, "hashlib", type("hashlib", (), {"sha1": _ConstantHash}))
    _write_content(tmp_path / "content", random.Random(3))
    config = Config(content="content", output="site", cache=".cache")
    report = build(config, tmp_path, cache=False, jobs=1)
    assert report.articles == len(NAMES)
    pages = [p.relative_to(tmp_path / "site").as_posix() for p in (tmp_path / "site").rglob("*")]
    files = [p for p in pages if (tmp_path / "site" / p).is_file()]
    # no two pages, not even on a file system that ignores case
    assert not [p for p, n in Counter(p.casefold() for p in files).items() if n > 1]
    article_pages = [p for p in files if p.startswith("articles/")]
    assert len(article_pages) == len(NAMES)  # one page per article, none lost
    for page in files:
        assert all(SAFE_ID.fullmatch(part) or part in ("pagefind",) for part in _names(page))


def _names(page: str) -> list[str]:
    """A generated page path -> the names to check (folders and stems of our pages)."""
    if page.startswith(("pagefind/", "assets/")):
        return []
    parts = page.split("/")
    return [*parts[:-1], parts[-1].rsplit(".", 1)[0].replace("_", "-")]


# ------------------------------------------------ records that share an id or path


def _article(path: str, article_id: str, n: int) -> Article:
    text = f"title: Report {n}\n\nThe Springfield council voted on the budget, said report {n}.\n"
    found = analyse_file(SourceFile(path, text.encode()), article_id, Config())
    assert isinstance(found, Article)
    return found


@SETTINGS
@given(
    st.lists(
        st.tuples(st.sampled_from(["a.md", "b.md", "B.md", "c/d.md"]), st.sampled_from(["a", "b"])),
        min_size=1,
        max_size=8,
    ),
    st.randoms(use_true_random=False),
)
def test_records_sharing_an_id_or_path_never_stop_the_site(
    constant_hash: None, claims: list[tuple[str, str]], rng: random.Random
) -> None:
    """Whatever reaches the pipeline (a cache entry, a library caller's records),
    the site gets one article per path, each with its own id, in any order."""
    articles = [_ARTICLES[(path, ident)] for path, ident in claims]
    site = assemble_site(articles, Config())
    ids = [a.id for a in site.articles]
    assert len(set(ids)) == len(ids)
    assert sorted(a.path for a in site.articles) == sorted({path for path, _ in claims})
    rng.shuffle(articles)
    assert [a.id for a in assemble_site(articles, Config()).articles] == ids


_ARTICLES = {
    (path, ident): _article(path, ident, n)
    for n, (path, ident) in enumerate(
        (p, i) for p in ["a.md", "b.md", "B.md", "c/d.md"] for i in ["a", "b"]
    )
}


def test_an_id_two_paths_share_stays_with_the_first_path() -> None:
    ids = distinct_ids([("b.md", "same"), ("a.md", "same"), ("c.md", "other")])
    assert ids["a.md"] == "same" and ids["c.md"] == "other"
    assert ids["b.md"].startswith("same-") and len(set(ids.values())) == 3
