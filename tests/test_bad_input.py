"""Bad input: every unusable file becomes a Problem; the rest of the digest still builds."""

from __future__ import annotations

import codecs
import json
import time

import pytest

from digest.analyse import analyse_file
from digest.clean import clean_document
from digest.config import Config
from digest.load import SourceFile, decode, load_document
from digest.models import Article, Document, Problem
from digest.pipeline import build

GOOD_TEXT = (
    "The chief of the Wagner mercenary force, Yevgeny Prigozhin, has been allowed to leave "
    "Russia for Belarus after halting the advance of his fighters on Moscow. The Kremlin "
    "said the criminal case against him would be closed.\n"
)

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)

# "title: *c" would expand to 9**3 strings; a real bomb nests further.
ALIAS_BOMB = (
    b"---\n"
    b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    b"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    b"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    b"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    b"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    b"title: *e\n"
    b"---\n" + GOOD_TEXT.encode()
)


def analyse(path: str, data: bytes) -> Article | Problem:
    return analyse_file(SourceFile(path, data), "x", Config())


def problem_of(path: str, data: bytes) -> Problem:
    result = analyse(path, data)
    assert isinstance(result, Problem), result
    assert result.path == path
    assert result.reason.strip()
    return result


# (file name, bytes, words the reason must contain)
UNUSABLE: list[tuple[str, bytes, str]] = [
    ("empty.txt", b"", "empty"),
    ("whitespace.md", b"  \n\t\n \r\n", "empty"),
    ("picture.txt", PNG, "binary"),
    ("nul.txt", b"The Wagner chief\x00 left Russia for Belarus.", "binary"),
    ("nul.html", b"<p>The Wagner chief\x00 left.</p>", "binary"),
    ("controls.txt", bytes(range(1, 9)) * 20 + b"text", "binary"),
    ("odd-utf16.txt", codecs.BOM_UTF16_LE + b"A\x00B", "UTF-16"),
    (
        "broken-yaml.md",
        b"---\ntitle: [unclosed\ndate: 2023-06-24\n---\n" + GOOD_TEXT.encode(),
        "front matter",
    ),
    ("tab-yaml.md", b"---\ntitle: x\n\tbad: indent\n---\n" + GOOD_TEXT.encode(), "front matter"),
    ("list-front-matter.md", b"---\n- a\n- b\n---\n" + GOOD_TEXT.encode(), "list"),
    ("scalar-front-matter.md", b"---\njust words\n---\n" + GOOD_TEXT.encode(), "not a mapping"),
    ("unclosed.md", b"---\ntitle: never closed\n\n" + GOOD_TEXT.encode(), "never closed"),
    ("alias-bomb.md", ALIAS_BOMB, "aliases"),
    ("big-front-matter.md", b"---\ntitle: " + b"x" * 70_000 + b"\n---\nBody.\n", "64 KiB"),
    ("deep-yaml.md", b"---\ntitle: " + b"[" * 5000 + b"]" * 5000 + b"\n---\nBody.\n", "deep"),
    (
        "python-tag.md",
        b"---\ntitle: !!python/object/apply:os.getcwd []\n---\n" + GOOD_TEXT.encode(),
        "python/object",
    ),
    (
        "boilerplate.txt",
        b"Follow the latest news here\n\nMost read in The Sun\n\nAdvertisement\n\n"
        b"Follow Kurt Zindulka on Twitter: or e-mail to: kzindulka@breitbart.com\n\n"
        b"COMMENTS\n\nPlease let us know if you're having issues with commenting.\n",
        "boilerplate",
    ),
    ("invisible.txt", "\u00a0\u200b\u202e\n".encode(), "no article text"),
    (
        "furniture.html",
        b"<html><head><title>T</title></head><body><script>var a = 1;</script>"
        b"<nav>Home News</nav><footer>Footer</footer></body></html>",
        "no article text",
    ),
]


@pytest.mark.parametrize(("path", "data", "why"), UNUSABLE, ids=[u[0] for u in UNUSABLE])
def test_unusable_file_is_a_problem_naming_it(path, data, why):
    assert why.lower() in problem_of(path, data).reason.lower()


def test_load_document_gives_the_same_problem():
    result = load_document(SourceFile("broken.md", b"---\n- a\n---\nText.\n"))
    assert result == Problem("broken.md", "front matter is a list, not a mapping")


def test_alias_bomb_is_refused_quickly():
    started = time.perf_counter()
    problem_of("bomb.md", ALIAS_BOMB)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.mkdir [{path}]",
        "!!python/object/new:os.mkdir [{path}]",
        "!!python/name:os.mkdir",
        "!!python/object:pathlib.Path {{}}",
    ],
)
def test_python_tags_do_not_execute(tmp_path, tag):
    marker = tmp_path / "executed"
    front = "---\ntitle: " + tag.format(path=json.dumps(str(marker))) + "\n---\n"
    problem = problem_of("evil.md", front.encode() + GOOD_TEXT.encode())
    assert "python/" in problem.reason
    assert not marker.exists()


def test_invalid_utf8_is_read_as_windows_1252_with_a_note():
    data = "Prigozhin said \x93we are turning back\x94 \x96 and left for Belarus.".encode("latin-1")
    result = analyse("cp1252.txt", data)
    assert isinstance(result, Article)
    assert result.sentences == ("Prigozhin said “we are turning back” – and left for Belarus.",)
    assert len(result.problems) == 1
    assert result.problems[0].path == "cp1252.txt"
    assert "Windows-1252" in result.problems[0].reason
    assert "offset 15" in result.problems[0].reason


@pytest.mark.parametrize(
    "bom_codec", [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE)]
)
def test_utf16_with_bom(bom_codec):
    codec, bom = bom_codec
    text = "---\ntitle: Wagner turns back\ndate: 2023-06-24\n---\n" + GOOD_TEXT
    result = analyse("utf16.md", bom + text.encode(codec))
    assert isinstance(result, Article)
    assert result.title == "Wagner turns back"
    assert result.meta.date == "2023-06-24"
    assert result.sentences[0].startswith("The chief of the Wagner mercenary force")
    assert result.problems == ()


def test_utf8_bom_and_crlf_front_matter():
    text = "---\r\ntitle: Wagner turns back\r\n---\r\n" + GOOD_TEXT.replace("\n", "\r\n")
    result = analyse("bom.md", codecs.BOM_UTF8 + text.encode())
    assert isinstance(result, Article)
    assert result.title == "Wagner turns back"
    assert not any("\ufeff" in s or "\r" in s for s in result.sentences)


def test_decode():
    assert decode(b"plain") == ("plain", [])
    assert decode(codecs.BOM_UTF8 + "é".encode()) == ("é", [])
    assert decode(codecs.BOM_UTF16_LE + "é".encode("utf-16-le")) == ("é", [])
    assert decode(b"\x00\x01\x02") == (None, ["binary file, not text"])
    text, notes = decode(b"caf\xe9")
    assert text == "café"
    assert len(notes) == 1 and "offset 3" in notes[0]


def test_odd_front_matter_values_are_problems_not_crashes():
    data = (
        b"---\ntitle: {a: b}\ndate: [1, 2]\ntags: 5\nurl: 12\nauthor: null\n---\n"
        + GOOD_TEXT.encode()
    )
    result = analyse("odd.md", data)
    assert isinstance(result, Article)
    assert result.meta.date is None
    assert result.meta.url is None
    assert result.meta.tags == ()
    assert result.title_derived is True  # the mapping title was refused
    reasons = sorted(p.reason for p in result.problems)
    assert len(reasons) == 2
    assert "date" in reasons[1] and "URL" in reasons[0]
    assert {p.path for p in result.problems} == {"odd.md"}


def test_nul_after_the_sniffed_part_is_removed():
    data = GOOD_TEXT.encode() * 60 + b"\x00 trailing words of the text."
    result = analyse("late-nul.txt", data)
    assert isinstance(result, Article)
    assert not any("\x00" in s for s in result.sentences)


def test_long_dotted_token_is_read_in_linear_time():
    # A long run like "a.b.a.b…" with no "@" made the e-mail patterns of load and
    # clean quadratic (seconds for 45 KB, hours for a few MB of untrusted text).
    data = ("The convoy stopped near Moscow. " + "a.b" * 15_000 + "\n").encode()
    started = time.perf_counter()
    doc = load_document(SourceFile("dotted.txt", data))
    assert isinstance(doc, Document)
    cleaned = clean_document(doc)
    assert time.perf_counter() - started < 1.0
    assert cleaned.blocks[0].text.startswith("The convoy stopped near Moscow. a.ba.b")


def test_markup_only_text_file():
    problem = problem_of("tags.txt", b"<div><span></span><b> </b></div><p></p>")
    assert "no article text" in problem.reason


# --------------------------------------------------------------------------- whole build


GOOD_FILES = {
    "good-one.md": (
        "---\ntitle: Wagner chief leaves Russia for Belarus\ndate: 2023-06-24\n"
        "source: Reuters\n---\n" + GOOD_TEXT
    ).encode(),
    "good-two.txt": (
        b"Source: The National\n date 2023-06-24 Follow the latest news here\n\n"
        b"Russian President Vladimir Putin warned of civil war as Wagner fighters seized a "
        b"military headquarters in Rostov-on-Don. The mercenaries later turned back.\n"
    ),
    "sub/good-three.html": (
        b'<html lang="en"><head><meta property="og:title" content="Moscow calm after mutiny">'
        b'<link rel="canonical" href="https://example.com/moscow"></head><body><article>'
        b"<p>Moscow was calm on Sunday after the Wagner mutiny ended overnight.</p>"
        b"<p>Checkpoints around the capital were removed by the afternoon.</p>"
        b"</article></body></html>"
    ),
}


def test_bad_files_do_not_stop_the_build(tmp_path):
    content = tmp_path / "content"
    for name, data in [*GOOD_FILES.items(), *((p, d) for p, d, _ in UNUSABLE)]:
        (content / name).parent.mkdir(parents=True, exist_ok=True)
        (content / name).write_bytes(data)
    (content / "notes.docx").write_bytes(b"PK\x03\x04")
    (content / "cp1252.txt").write_bytes(
        "Prigozhin said \x93we are turning back\x94 and left for Belarus.".encode("latin-1")
    )
    (content / "bad-date.md").write_bytes(
        b"---\ntitle: Undated report\ndate: last Tuesday-ish\n---\n" + GOOD_TEXT.encode()
    )

    report = build(Config(), tmp_path)

    by_path: dict[str, list[str]] = {}
    for problem in report.problems:
        by_path.setdefault(problem.path, []).append(problem.reason)
    unusable = {p for p, _, _ in UNUSABLE}
    assert unusable | {"notes.docx", "cp1252.txt", "bad-date.md"} == set(by_path)
    for path, _, why in UNUSABLE:
        assert len(by_path[path]) == 1
        assert why.lower() in by_path[path][0].lower(), (path, by_path[path])
    assert "unknown file type" in by_path["notes.docx"][0]
    assert "Windows-1252" in by_path["cp1252.txt"][0]
    assert "date" in by_path["bad-date.md"][0]
    assert list(report.problems) == sorted(report.problems, key=lambda p: (p.path, p.reason))

    site = json.loads((tmp_path / "site" / "digest.json").read_text(encoding="utf-8"))
    articles = {a["path"]: a for a in site["articles"]}
    usable = {*GOOD_FILES, "cp1252.txt", "bad-date.md"}
    assert set(articles) == usable
    assert report.articles == len(usable)
    assert articles["good-one.md"]["title"] == "Wagner chief leaves Russia for Belarus"
    assert articles["good-one.md"]["source"] == "Reuters"
    assert articles["good-two.txt"]["date"] == "2023-06-24"
    assert articles["good-two.txt"]["source"] == "The National"
    assert articles["sub/good-three.html"]["url"] == "https://example.com/moscow"
    assert articles["bad-date.md"]["date"] is None
    assert all(a["keywords"] for a in site["articles"])
    story_members = [a for s in site["stories"] for a in s["articles"]]
    assert sorted(story_members) == sorted(a["id"] for a in site["articles"])
    assert (tmp_path / "site" / "index.html").is_file()


def test_build_of_only_bad_files_still_writes_a_site(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "empty.txt").write_bytes(b"")
    (content / "picture.txt").write_bytes(PNG)
    report = build(Config(), tmp_path)
    assert report.articles == 0
    assert [p.path for p in report.problems] == ["empty.txt", "picture.txt"]
    site = json.loads((tmp_path / "site" / "digest.json").read_text(encoding="utf-8"))
    assert site["articles"] == [] and site["stories"] == []


def test_excluded_article_is_left_out_without_a_problem(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "draft.md").write_bytes(
        b"---\ntitle: Draft\nexclude: true\n---\n" + GOOD_TEXT.encode()
    )
    (content / "kept.md").write_bytes(b"---\ntitle: Kept\n---\n" + GOOD_TEXT.encode())
    report = build(Config(), tmp_path)
    assert report.problems == ()
    site = json.loads((tmp_path / "site" / "digest.json").read_text(encoding="utf-8"))
    assert [a["path"] for a in site["articles"]] == ["kept.md"]


def test_analyse_file_result_types():
    assert isinstance(analyse("ok.txt", GOOD_TEXT.encode()), Article)
    assert isinstance(load_document(SourceFile("ok.txt", GOOD_TEXT.encode())), Document)


def test_deeply_nested_markdown_is_read_as_plain_text_with_a_problem():
    data = "".join("    " * i + "- item\n" for i in range(300)).encode()
    doc = load_document(SourceFile("deep-list.md", data))
    assert isinstance(doc, Document)
    (problem,) = doc.problems
    assert problem.path == "deep-list.md" and "nested too deeply" in problem.reason


def test_saved_page_cut_before_its_body_in_a_markdown_file(tmp_path):
    # lxml finds no <body> in such a body and asserts: it used to crash the whole build
    page = (
        '---\ntitle: Cut page\n---\n<html lang="en"><head><title>Cut page</title>'
        '<meta name="x" content="y"><style>p{margin:0}</style></head>\n'
    )
    result = analyse("cut.md", page.encode())
    assert isinstance(result, Article)  # a headline entry: the page has no text of its own
    assert any("whole HTML page" in p.reason for p in result.problems)
    assert not any("margin" in s for s in result.sentences)
    content = tmp_path / "content"
    content.mkdir()
    (content / "cut.md").write_text(page, encoding="utf-8")
    (content / "good.md").write_text(GOOD_TEXT, encoding="utf-8")
    report = build(Config(content=str(content), output=str(tmp_path / "site"), search=False))
    assert report.articles == 2


def test_an_unforeseen_reader_error_costs_the_file_not_the_build(monkeypatch):
    from digest import analyse as analyse_module

    def broken(source: SourceFile) -> Document:
        raise AssertionError("a parser library's own check")

    monkeypatch.setattr(analyse_module, "load_document", broken)
    result = analyse("odd.md", GOOD_TEXT.encode())
    assert isinstance(result, Problem) and result.path == "odd.md"
    assert "internal error AssertionError" in result.reason
