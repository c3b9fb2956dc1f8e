"""Property-based tests (hypothesis): the loaders take any bytes without raising,
and the names that become files and URLs are always safe, relative and unique.

Runs are derandomized (the same examples every run, so CI never flakes) and
kept to modest example counts so the file runs in a few seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import string
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from digest.clean import clean_document
from digest.dates import parse_date
from digest.load import (
    SUFFIXES,
    SourceFile,
    decode,
    load_document,
    meta_from_mapping,
    read_content,
)
from digest.models import Document, Problem
from digest.pipeline import article_ids
from digest.slugs import RESERVED, slugify, unique_names, unique_slugs

SETTINGS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# pieces that steer generated files into the loaders' interesting paths
FRAGMENTS = [
    "---\n", "...\n", "title: ", "date: ", "tags: [", "]", "{", "}", "&a ", "*a", "!!binary ",
    "!!python/name:os.system", "<<: ", "? ", ": ", "- ", "\t", "\r\n", "\n\n", "# ", "> ", "```",
    "<p>", "</p>", "<div>", "<a href='javascript:x'>", "<script>", "</script>", "<!--", "-->",
    "<![CDATA[", "]]>", "&amp;", "&#0;", "&#xD800;", "&#x110000;", "'>", "<time datetime='",
    "<meta property='og:title' content='",
    "Source: ", "URL: https://", "date 2023-06-24 ", "2999-01-01", "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00", "\ufeff", "\u202e", "\x00", "\ud800", "é", "日本", "{{ 7*7 }}",
    "https://example.com/a", "x@example.com", "Most read in The Sun", "•",
]  # fmt: skip
TEXTISH = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=30)), max_size=40).map(
    "".join
)
ANY_BYTES = st.one_of(
    st.binary(max_size=3000),
    TEXTISH.map(lambda t: t.encode("utf-8", "surrogatepass")),
    TEXTISH.map(lambda t: t.encode("utf-16", "surrogatepass")),
    TEXTISH.map(lambda t: t.encode("cp1252", "replace")),
)
SAFE_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def assert_writable(value: object) -> None:
    """Every string in a record can be written to a page or digest.json."""
    json.dumps(value, ensure_ascii=False, default=lambda o: o.__dict__).encode("utf-8")


# ------------------------------------------------------------------ loaders


@SETTINGS
@given(data=ANY_BYTES, suffix=st.sampled_from((*SUFFIXES, ".TXT", ".Md")))
@example(data=b"---\ntitle: " + b"9" * 5000 + b"\n---\nText.\n", suffix=".md")
@example(data=b"---\ndate: 2024-02-30\n---\nText.\n", suffix=".md")
@example(data=b"<div>" * 300 + b"deep", suffix=".html")
def test_load_document_never_raises(data: bytes, suffix: str) -> None:
    result = load_document(SourceFile("f" + suffix, data))
    assert isinstance(result, Document | Problem)
    if isinstance(result, Problem):
        assert result.path == "f" + suffix and result.reason
        return
    assert all(p.path == "f" + suffix and p.reason for p in result.problems)
    assert_writable(result)
    cleaned = clean_document(result)  # cleaning takes whatever loading gives
    assert_writable(cleaned)


@SETTINGS
@given(ANY_BYTES)
def test_decode_never_raises(data: bytes) -> None:
    text, notes = decode(data)
    if text is None:
        assert len(notes) == 1 and notes[0]
    else:
        text.encode("utf-8")  # no lone surrogates
        assert all(isinstance(n, str) for n in notes)


DATE_LIKE = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["2023-06-24", "24 June 2023", "2023-06-24T10:00:00+14:00", "99999-1-1"]),
    st.lists(
        st.one_of(st.integers(0, 99999).map(str), st.sampled_from([*"-:T+Z ./,", "June"])),
        max_size=12,
    ).map("".join),
)


@SETTINGS
@given(
    st.one_of(
        DATE_LIKE,
        st.integers(),
        st.floats(),
        st.none(),
        st.dates(),
        st.datetimes(
            timezones=st.sampled_from([None, dt.UTC, dt.timezone(dt.timedelta(hours=14))])
        ),
    )
)
@example("9999-12-31T23:59:59-14:00")
@example(dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14))))
def test_parse_date_never_raises(value: object) -> None:
    result = parse_date(value)
    if result is not None:
        dt.datetime.fromisoformat(result.removesuffix("Z"))


YAML_SCALARS = st.one_of(
    st.text(max_size=20),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.dates(),
)
YAML_VALUES = st.recursive(
    YAML_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(
    ["title", "date", "source", "url", "author", "tags", "lang", "section", "story", "exclude"]
)


@SETTINGS
@given(st.dictionaries(st.one_of(KEYS, st.text(max_size=8)), YAML_VALUES, max_size=8))
def test_front_matter_mappings_never_raise(fields: dict[str, object]) -> None:
    meta, problems = meta_from_mapping("f.md", fields)
    assert_writable(meta)
    assert all(isinstance(p, Problem) for p in problems)
    assert meta.url is None or meta.url.startswith(("http://", "https://"))


@SETTINGS
@given(YAML_VALUES)
def test_front_matter_yaml_never_raises(value: object) -> None:
    import yaml

    front = yaml.safe_dump({"title": value, "date": value, "tags": value}, allow_unicode=True)
    result = load_document(SourceFile("f.md", f"---\n{front}---\nSome words here.\n".encode()))
    assert isinstance(result, Document | Problem)
    assert_writable(result)


NAMES = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + "-_ .", min_size=1, max_size=12),
    st.text(min_size=1, max_size=10).filter(lambda n: "/" not in n and "\x00" not in n),
    st.sampled_from([".hidden", "..", ".", "a.md", "b.txt", "c.html", "README", "日本.md"]),
).filter(lambda n: n not in (".", "..") and len(n.encode("utf-8", "surrogatepass")) < 200)
ENTRY = st.tuples(
    st.sampled_from(["file", "dir", "link-in", "link-out", "link-dangling", "link-loop"]),
    NAMES,
    st.sampled_from([".md", ".txt", ".html", ".bin", ""]),
    st.binary(max_size=300),
)


@settings(SETTINGS, max_examples=40)
@given(st.lists(ENTRY, max_size=12))
def test_read_content_never_raises_and_accounts_for_every_entry(
    entries: list[tuple[str, str, str, bytes]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "content"
        outside = Path(tmp) / "outside.md"
        outside.write_bytes(b"SECRET")
        root.mkdir()
        folders = [root]
        made: list[Path] = []
        for kind, name, suffix, data in entries:
            where = folders[len(made) % len(folders)]
            path = where / (name + suffix)
            try:
                if path.exists() or path.is_symlink():
                    continue
                if kind == "file":
                    path.write_bytes(data)
                elif kind == "dir":
                    path.mkdir()
                    folders.append(path)
                elif kind == "link-in" and made:
                    path.symlink_to(made[-1])
                elif kind == "link-out":
                    path.symlink_to(outside)
                elif kind == "link-dangling":
                    path.symlink_to(where / "missing.md")
                elif kind == "link-loop":
                    path.symlink_to(path)
                else:
                    continue
            except (OSError, UnicodeEncodeError):
                continue  # a name the file system refuses
            made.append(path)
        files, problems = read_content(root)
        assert all(b"SECRET" not in f.data for f in files)
        assert_writable([f.path for f in files] + [p.path + p.reason for p in problems])
        seen = {f.path for f in files} | {p.path for p in problems}
        for path in made:
            rel = path.relative_to(root)
            ancestors = [root.joinpath(*rel.parts[:i]) for i in range(1, len(rel.parts))]
            if any(a.name.startswith(".") or a.is_symlink() for a in ancestors):
                continue  # reported (or read) as the folder holding it
            if path.is_dir() and not path.name.startswith("."):
                real = path.resolve()
                if not path.is_symlink() or (real != root and real.is_relative_to(root)):
                    continue  # a folder is read, not reported; a link to one is an alias
            assert rel.as_posix() in seen, (rel, seen)


# ------------------------------------------------------------------ names


def assert_safe_name(name: str, limit: int) -> None:
    assert name and len(name) <= limit
    assert "/" not in name and "\\" not in name and ".." not in name and "\x00" not in name
    assert not any(unicodedata.category(c).startswith("C") for c in name)
    assert not name.startswith((".", "-")) and name == name.strip()


ANY_TEXT = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=string.printable, max_size=120),
    st.sampled_from(["../../etc/passwd", "..", ".", "", " ", "\u202e", "INDEX", "日本", "\ud800"]),
)


@SETTINGS
@given(ANY_TEXT, st.integers(12, 100))
def test_slugify_gives_safe_names(text: str, max_length: int) -> None:
    slug = slugify(text, max_length)
    assert_safe_name(slug, max_length)
    assert SAFE_NAME.fullmatch(slug)


@SETTINGS
@given(st.lists(ANY_TEXT, max_size=30), st.integers(12, 80))
@example(["Index", "index-c2df9b", "a b", "a-b", "A B"], 60)
def test_unique_slugs_are_safe_and_distinct(keys: list[str], max_length: int) -> None:
    slugs = unique_slugs(keys, max_length)
    assert set(slugs) == set(keys)
    assert len(set(slugs.values())) == len(slugs)
    for slug in slugs.values():
        assert_safe_name(slug, max_length + 1 + 40 + 8)
        assert SAFE_NAME.fullmatch(slug) and slug not in RESERVED
    assert unique_slugs(list(reversed(keys)), max_length) == slugs  # order does not matter


@SETTINGS
@given(st.dictionaries(st.text(max_size=20), st.sampled_from(["a", "a b", "A-B", "", "日"])))
def test_unique_names_are_distinct_per_key(texts: dict[str, str]) -> None:
    names = unique_names(texts)
    assert set(names) == set(texts)
    assert len(set(names.values())) == len(names)


PATHS = st.lists(
    st.lists(
        st.one_of(
            st.text(alphabet="ab-_. ", min_size=1, max_size=4),
            st.text(min_size=1, max_size=8),
        ).filter(lambda p: p not in (".", "..") and "/" not in p),
        min_size=1,
        max_size=3,
    ).map(lambda parts: "/".join(parts) + ".md"),
    max_size=25,
    unique=True,
)


@SETTINGS
@given(PATHS)
def test_article_ids_are_safe(paths: list[str]) -> None:
    ids = article_ids(paths)
    assert set(ids) == set(paths)
    for value in ids.values():
        assert_safe_name(value, 80 + 1 + 40 + 8)
        assert SAFE_NAME.fullmatch(value)


@SETTINGS
@given(PATHS)
@example(["a.md", "a.txt", "a-md.txt"])
def test_article_ids_are_unique(paths: list[str]) -> None:
    ids = article_ids(paths)
    assert len(set(ids.values())) == len(paths)


def test_article_ids_are_unique_when_a_stem_is_another_path() -> None:
    ids = article_ids(["a.md.txt", "a.md", "a.txt"])
    assert len(set(ids.values())) == 3


def test_the_properties_can_fail() -> None:
    """The checks above reject what they should (so passing means something)."""
    for bad in ("../x", "a/b", "", "a\x00", ".x", "a\u202eb"):
        with pytest.raises(AssertionError):
            assert_safe_name(bad, 80)
    with pytest.raises(UnicodeEncodeError):
        assert_writable({"title": "\ud800"})
    assert os.sep == "/"  # the names are checked for POSIX paths
