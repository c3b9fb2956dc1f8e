"""A hostile content folder, written by the tests (never committed as binaries).

`write_hostile_corpus(root)` fills `root/content` with files that try to break,
slow down or subvert a build — broken encodings, binary data, huge and deeply
nested files, YAML bombs, path tricks in names and fields, symbolic links out
of the folder and in loops, hidden files — and with articles that carry
script-injection payloads in every field a page shows (title, body, source,
url, author, tags, section, story, file name) as Markdown, text and HTML. It
also writes `root/outside/secret.txt`, which symbolic links in the content
folder point at: its text must never reach the site.

Every payload that would run sets `window.__xss` or opens a dialog, so a
browser can tell. The record returned says what the tests should expect.
"""

from __future__ import annotations

import codecs
import json
import os
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

SECRET = "SECRET-OUTSIDE-CONTENT-7f3a9c"
# Template syntax whose evaluation would show: 31337*3 = 94011
TEMPLATE_PRODUCT = "94011"
TEMPLATE_PAYLOADS = (
    "{{ 31337*3 }}",
    "{{7*7}}",
    "{% for x in 'abc' %}LOOPED{% endfor %}",  # evaluated, it reads LOOPEDLOOPEDLOOPED
    "{{ config.__class__ }}",
    "${7*7}",
    "{#",
)

# Payloads that run script if a page ever treats content as markup. Each sets
# window.__xss (or opens a dialog), which the browser test looks for.
XSS = (
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    '<svg onload="window.__xss=1"><circle r=1 /></svg>',
    '<iframe src="javascript:window.__xss=1"></iframe>',
    "</script><script>alert(1)</script>",
    '"><script>window.__xss=1</script>',
    "' onmouseover='window.__xss=1' x='",
    '<a href="javascript:alert(1)">click</a>',
    "<body onload=window.__xss=1>",
    "<!-- <script>window.__xss=1</script> -->",
    "<![CDATA[<script>window.__xss=1</script>]]>",
    "]]><script>window.__xss=1</script>",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>",
)
# Link values that must never become an href or src.
BAD_URLS = (
    "javascript:window.__xss=1",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "&#106;avascript:alert(1)",
    "javascript&colon;alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
    "//evil.example/x",
    "http:javascript:alert(1)",
)

# A real sentence or three, so hostile articles are kept and shown.
NEWS = (
    "The harbour authority said on Tuesday that the new ferry terminal would open in "
    "spring after two years of delays. Engineers finished testing the loading ramps last "
    "week and the first crossings are planned for April. Local businesses welcomed the "
    "news and said the delays had cost them customers."
)
NEWS_2 = (
    "Farmers in the northern valley reported the wettest month on record as rivers burst "
    "their banks. The regional council opened two emergency shelters and said repairs to "
    "the main road would take several weeks. Insurance companies set up a help line."
)


@dataclass
class HostileCorpus:
    """What was written and what a build of it must show."""

    root: Path
    content: Path
    outside: Path  # a folder beside the content folder, holding the secret
    # relative paths the build must report as problems (each with a reason word)
    problems: dict[str, str] = field(default_factory=dict)
    # relative paths that must become articles (and which problems they may carry)
    articles: set[str] = field(default_factory=set)
    # titles given to several files: each must get its own page
    duplicate_title: str = "Ferry terminal opens in spring"
    duplicates: list[str] = field(default_factory=list)


def _md(front: Mapping[str, object], body: str) -> bytes:
    # JSON strings are YAML double-quoted scalars, so any payload survives intact
    lines = [f"{key}: {json.dumps(value)}" for key, value in front.items()]
    return ("---\n" + "\n".join(lines) + "\n---\n" + body + "\n").encode("utf-8")


def write_hostile_corpus(root: Path, *, huge: bool = True) -> HostileCorpus:
    """Write the hostile content folder under `root` -> what was written.

    `huge` adds the 50 MB article (refused as too large; it costs ~0.1 s to write).
    """
    content = root / "content"
    outside = root / "outside"
    content.mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.txt").write_text(f"{SECRET} is not news.\n", encoding="utf-8")
    (outside / "secret.md").write_text(f"---\ntitle: {SECRET}\n---\n{SECRET}\n", encoding="utf-8")
    corpus = HostileCorpus(root=root, content=content, outside=outside)
    rng = random.Random(7)

    def put(name: str, data: bytes, problem: str | None = None, article: bool = False) -> None:
        path = content / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if problem is not None:
            corpus.problems[name] = problem
        if article:
            corpus.articles.add(name)

    # --- unusable bytes ------------------------------------------------------
    put("empty.txt", b"", "empty")
    put("whitespace.md", b" \n\t\r\n  \n", "empty")
    put("random.txt", bytes(rng.getrandbits(8) for _ in range(4096)), "binary")
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
        b"\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05"
        b"\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    put("photo.png.md", png, "binary")
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(
        rng.getrandbits(8) for _ in range(2048)
    )
    put("photo.html", jpeg, "binary")
    put("nul.txt", NEWS.encode() + b"\x00\x00" + NEWS_2.encode(), "binary")

    # --- encodings that are read, with a note where they were guessed ---------
    put("latin1.txt", ("Café owners in Málaga said " + NEWS).encode("latin-1"), "Windows-1252")
    corpus.articles.add("latin1.txt")
    put(
        "invalid-utf8.md",
        b"---\ntitle: Broken bytes \xff\xfe\xc3\x28\n---\n" + NEWS.encode(),
        "Windows-1252",
    )
    corpus.articles.add("invalid-utf8.md")
    put(
        "utf16.md",
        codecs.BOM_UTF16_LE + ("---\ntitle: Sixteen bits wide\n---\n" + NEWS_2).encode("utf-16-le"),
        article=True,
    )
    put("utf16-odd.txt", codecs.BOM_UTF16_BE + b"\x00A\x00", "UTF-16")

    # --- size and depth -------------------------------------------------------
    if huge:
        with (content / "huge-50mb.txt").open("wb") as out:
            chunk = (NEWS + "\n\n").encode() * 200
            while out.tell() < 50 * 1024 * 1024:
                out.write(chunk)
        corpus.problems["huge-50mb.txt"] = "too large"
    words = (NEWS + " " + NEWS_2).split()
    line = " ".join(words[i % len(words)] for i in range(2 * 1024 * 1024 // 6))
    put("one-line-2mb.txt", line.encode()[: 2 * 1024 * 1024] + b"\n", article=True)
    put(
        "deep-20000.html",
        (
            "<html><body>"
            + "<div>" * 20_000
            + f"<p>{NEWS}</p>"
            + "</div>" * 20_000
            + f"<p>{NEWS_2}</p></body></html>"
        ).encode(),
        article=True,
    )
    put(
        "deep-20000.md",
        ("---\ntitle: Deeply quoted\n---\n" + "> " * 20_000 + NEWS + "\n").encode(),
        "deep",
    )
    put("deep-span.txt", ("<span>" * 20_000 + "<p>" + NEWS + "</p>").encode(), article=True)

    # --- YAML ----------------------------------------------------------------
    bomb = "---\na: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n"
    for name, prev in zip("bcdefghi", "abcdefgh", strict=True):
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    put("yaml-bomb.md", (bomb + "title: *i\n---\n" + NEWS + "\n").encode(), "aliases")
    marker = root / "yaml-executed"
    put(
        "python-tag.md",
        (
            f"---\ntitle: !!python/object/apply:os.mkdir [{json.dumps(str(marker))}]\n---\n{NEWS}"
        ).encode(),
        "python/object",
    )
    put(
        "python-name.md",
        b"---\ntitle: !!python/name:os.system\n---\n" + NEWS.encode(),
        "python/name",
    )
    put("front-list.md", b"---\n- one\n- two\n---\n" + NEWS.encode(), "list")
    put("front-open.md", b"---\ntitle: Never closed\n\n" + NEWS.encode(), "never closed")

    # --- dates ---------------------------------------------------------------
    put("date-2999.md", _md({"title": "Colony ship lands", "date": "2999-01-01"}, NEWS), "future")
    corpus.articles.add("date-2999.md")
    put("date-year-1.md", _md({"title": "Ancient ferry", "date": "0001-01-01"}, NEWS_2), "1900")
    corpus.articles.add("date-year-1.md")
    put("date-bad.md", _md({"title": "Undated ferry", "date": "the 32nd of Smarch"}, NEWS), "date")
    corpus.articles.add("date-bad.md")
    put(
        "date-bad.txt",
        ("Date: 99999-99-99T99:99\nSource: Clock Times\n\n" + NEWS_2).encode(),
        "date",
    )
    corpus.articles.add("date-bad.txt")

    # --- names and paths -----------------------------------------------------
    for n in range(3):
        name = f"dup-{n}.md"
        put(
            name,
            _md({"title": corpus.duplicate_title, "source": f"Outlet {n}"}, NEWS),
            article=True,
        )
        corpus.duplicates.append(name)
    traversal = "../../../../etc/passwd"
    put(
        "traversal.md",
        _md(
            {
                "title": traversal,
                "source": "../../outside",
                "section": "../../../tmp",
                "story": "../../escape",
                "tags": ["../..", "..\\..\\windows", "/etc/passwd"],
            },
            NEWS,
        ),
        article=True,
    )
    put("..md", _md({"title": "Dots only"}, NEWS_2), "hidden")  # a hidden file, by its name
    put(
        "index.md",
        _md({"title": "Index", "source": "Index", "section": "Index"}, NEWS),
        article=True,
    )
    long_name = "l" * 247 + ".md"  # 250 bytes, close to the 255-byte limit of most file systems
    put(long_name, _md({"title": "A very long file name"}, NEWS_2), article=True)
    put("новости-дня.md", _md({"title": "Новости дня"}, NEWS), article=True)
    put("日本語のニュース.txt", ("日本語のニュース\n\n" + NEWS_2).encode(), article=True)
    put("cafe\u0301.md", _md({"title": "Cafe NFD"}, NEWS), article=True)
    put("caf\u00e9.md", _md({"title": "Cafe NFC"}, NEWS_2), article=True)
    # right-to-left override: "report[RLO]txt.exe" shows as "reportexe.txt"
    put("report\u202eexe.md", _md({"title": "Right\u202eto-left\u202c title"}, NEWS), article=True)
    put(
        "rtl-text.txt",
        ("Source: Mirror\u202eTimes\n\nThe mayor\u202e said\u2066 the ferry " + NEWS).encode(),
        article=True,
    )
    bad_name = os.fsdecode(b"bad-bytes-\xff\xfe.md")  # not UTF-8: a lone surrogate in Python
    put(bad_name, _md({"title": "Undecodable file name"}, NEWS_2), "name", article=True)
    put("new\nline.md", _md({"title": "Newline in the name"}, NEWS), article=True)

    # --- links ---------------------------------------------------------------
    os.symlink(outside / "secret.txt", content / "secret-link.txt")
    os.symlink(outside / "secret.md", content / "secret-link.md")
    os.symlink(outside, content / "outside-dir")
    os.symlink("../outside/secret.txt", content / "relative-secret.txt")
    os.symlink("/etc/passwd", content / "passwd.txt")
    for name in ("secret-link.txt", "secret-link.md", "outside-dir", "relative-secret.txt",
                 "passwd.txt"):  # fmt: skip
        corpus.problems[name] = "outside"
    (content / "loops").mkdir()
    os.symlink("..", content / "loops" / "up", target_is_directory=True)
    corpus.problems["loops/up"] = "loop"
    os.symlink("self.md", content / "self.md")
    corpus.problems["self.md"] = "looping"
    os.symlink("ping.md", content / "pong.md")
    os.symlink("pong.md", content / "ping.md")
    corpus.problems["ping.md"] = "looping"
    corpus.problems["pong.md"] = "looping"
    os.mkfifo(content / "pipe.md")  # reading a FIFO would block the build forever
    corpus.problems["pipe.md"] = "not a regular file"

    # --- unknown and hidden ----------------------------------------------------
    put("notes.docx", b"PK\x03\x04" + bytes(64), "unknown file type")
    put("README", NEWS.encode(), "unknown file type")
    put("script.exe", b"MZ\x90\x00", "unknown file type")
    put(".hidden.md", _md({"title": SECRET}, SECRET), "hidden")
    put(".DS_Store", b"\x00\x00\x00\x01Bud1", "hidden")
    put(".git/config", b"[core]\n")
    corpus.problems[".git"] = "hidden"
    put(".git/objects/ab/cdef", b"x")
    put(".drafts/secret-draft.md", _md({"title": "Draft"}, NEWS))
    corpus.problems[".drafts"] = "hidden"

    # --- script injection in every field, in each format ------------------------
    write_xss_articles(content, corpus)
    return corpus


def write_xss_articles(content: Path, corpus: HostileCorpus | None = None) -> list[str]:
    """Articles with script payloads in every field -> their relative paths."""
    names: list[str] = []

    def put(name: str, data: bytes) -> None:
        (content / name).write_bytes(data)
        names.append(name)
        if corpus is not None:
            corpus.articles.add(name)

    payloads = XSS + TEMPLATE_PAYLOADS
    for n, payload in enumerate(payloads):
        bad_url = BAD_URLS[n % len(BAD_URLS)]
        front = {
            "title": f"Ferry payload {n} {payload}",
            "date": f"2024-03-{n % 28 + 1:02d}",
            "source": f"Outlet {payload}",
            "url": bad_url,
            "author": f"Reporter {payload}",
            "tags": [payload, f"tag {n}"],
            "section": f"Section {payload}",
            "story": f"story {payload}",
        }
        body = (
            f"{NEWS} {payload}\n\n"
            f"{payload}\n\n"
            f'[a link]({bad_url.strip()}) and <a href="{bad_url}">another</a>\n\n'
            f"- item {payload}\n- {NEWS_2}\n\n"
            f"> quoted {payload}\n\n"
            f"## Heading {payload}\n\n{NEWS_2}\n"
        )
        put(f"xss-{n:02d}.md", _md(front, body))

    # text files: header lines carry the fields
    for n, payload in enumerate(payloads):
        bad_url = BAD_URLS[(n + 3) % len(BAD_URLS)]
        text = (
            f"Title: Harbour text {n} {payload}\n"
            f"Source: Wire {payload}\n"
            f"URL: {bad_url}\n"
            f"Author: Desk {payload}\n"
            f"Tags: {payload}, harbour\n"
            f"Section: Text {payload}\n"
            f"Story: text story {n} {payload}\n"
            f"Date: 2024-04-{n % 28 + 1:02d}\n\n"
            f"{NEWS} {payload}\n\n{payload}\n\n{NEWS_2}\n"
        )
        put(f"xss-{n:02d}.txt", text.encode())

    # HTML pages: metadata in tags and attributes, payloads in the body
    for n, payload in enumerate(payloads):
        bad_url = BAD_URLS[(n + 7) % len(BAD_URLS)]
        attr = payload.replace("&", "&amp;").replace('"', "&quot;")
        html = (
            f'<!DOCTYPE html><html lang="en"><head><title>Page {n} {payload}</title>'
            f'<meta property="og:site_name" content="Site {attr}">'
            f'<meta property="og:url" content="{bad_url}">'
            f'<link rel="canonical" href="{bad_url}">'
            f'<meta name="author" content="Byline {attr}">'
            f'<meta property="article:tag" content="{attr}">'
            f'<meta property="article:section" content="Web {attr}">'
            f'<meta property="article:published_time" content="2024-05-{n % 28 + 1:02d}">'
            f"<script>window.__xss=1</script><style>body{{background:url(javascript:1)}}</style>"
            f'</head><body onload="window.__xss=1"><article>'
            f"<h1>Web page {n} {payload}</h1>"
            f"<p>{NEWS} {payload}</p>"
            f'<p><a href="{bad_url}" onclick="window.__xss=1">link</a> {NEWS_2}</p>'
            f'<svg onload="window.__xss=1"><script>window.__xss=1</script></svg>'
            f'<iframe src="javascript:window.__xss=1"></iframe>'
            f'<img src="x" onerror="window.__xss=1">'
            f"<p>&lt;script&gt;window.__xss=1&lt;/script&gt; {payload}</p>"
            f"<![CDATA[ cdata {payload} ]]><!-- comment {payload} -->"
            f"</article></body></html>"
        )
        put(f"xss-{n:02d}.html", html.encode())

    # file names carrying payloads ("/" cannot be in a name)
    for n, name in enumerate(
        [
            "<img src=x onerror=window.__xss=1>.md",
            "<svg onload=alert(1)>.txt",
            "{{ 31337*3 }}.md",
            "javascript:alert(1).md",
            '"onmouseover=window.__xss=1 x=".md',
        ]
    ):
        put(name, _md({"title": f"Named payload {n}"}, NEWS_2 + f" {n}"))
    return names
