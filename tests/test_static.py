"""`static/` and the user's extra assets are copied into the site byte for byte,
checked like content; a file in the output folder that digest did not write is
kept and reported, never silently deleted."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from digest.config import Config
from digest.models import BuildReport, DigestError
from digest.pipeline import build
from tests.conftest import SEEDS, build_project
from tests.test_golden import tree

FAVICON = bytes(range(256)) * 3  # every byte value: nothing may be decoded or changed


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(SEEDS, tmp_path / "content")
    static = tmp_path / "static"
    (static / ".well-known").mkdir(parents=True)
    (static / "favicon.ico").write_bytes(FAVICON)
    (static / "CNAME").write_bytes(b"news.example.org\n")
    (static / ".nojekyll").write_bytes(b"")
    (static / ".well-known" / "security.txt").write_bytes(b"Contact: mailto:a@example.org\r\n")
    (static / "assets").mkdir()
    (static / "assets" / "extra.css").write_bytes(b"body { color: red }\n")
    (static / ".git").mkdir()  # version control is never published
    (static / ".git" / "HEAD").write_bytes(b"ref: refs/heads/main\n")
    return tmp_path


def problems(report: BuildReport) -> dict[str, str]:
    return {p.path: p.reason for p in report.problems}


def test_static_files_are_copied_byte_for_byte(project: Path) -> None:
    report = build_project(project)
    site = project / "site"
    for name in ("favicon.ico", "CNAME", ".nojekyll", ".well-known/security.txt"):
        assert (site / name).read_bytes() == (project / "static" / name).read_bytes(), name
    assert (site / "assets" / "extra.css").read_bytes() == b"body { color: red }\n"
    assert (site / "assets" / "style.css").is_file()  # beside the built-in assets
    assert not (site / ".git").exists()
    assert problems(report) == {}


def test_a_static_folder_elsewhere_and_none_at_all(project: Path) -> None:
    (project / "static").rename(project / "public")
    build_project(project, static="public")
    assert (project / "site" / "favicon.ico").read_bytes() == FAVICON
    shutil.rmtree(project / "site")
    build_project(project)  # no static/ folder: no error, no copies
    assert not (project / "site" / "favicon.ico").exists()


def test_links_out_of_static_and_bad_names_are_refused(project: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("private", "utf-8")
    static = project / "static"
    (static / "leak.txt").symlink_to(secret)
    (static / "inside.ico").symlink_to(static / "favicon.ico")  # stays inside: copied
    (static / "back\\slash.txt").write_text("x", "utf-8")
    os.mkfifo(static / "pipe")
    found = problems(build_project(project))
    assert found["static/leak.txt"] == "symbolic link points outside static/"
    assert "not a regular file" in found["static/pipe"]
    assert "cannot be published" in found["static/'back\\\\slash.txt'"]
    site = project / "site"
    assert not (site / "leak.txt").exists() and not (site / "pipe").exists()
    assert (site / "inside.ico").read_bytes() == FAVICON
    assert not (site / "leak.txt").is_symlink()
    with pytest.raises(DigestError, match="problem"):
        build_project(project, strict=True)


def test_a_static_file_over_the_size_bound_is_refused(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("digest.static.MAX_STATIC_FILE_BYTES", len(FAVICON) - 1)
    found = problems(build_project(project))
    assert found["static/favicon.ico"].startswith("file too large")
    assert not (project / "site" / "favicon.ico").exists()


def test_a_static_file_with_a_page_path_stops_the_build(project: Path) -> None:
    build_project(project)
    before = tree(project / "site")
    (project / "static" / "robots.txt").write_text("User-agent: *\n", "utf-8")
    (project / "static" / "index.html").write_text("mine", "utf-8")
    with pytest.raises(DigestError, match=r"digest writes itself: index\.html, robots\.txt"):
        build_project(project)
    assert tree(project / "site") == before  # the old site untouched


def test_the_search_bundle_folder_is_reserved(project: Path) -> None:
    (project / "static" / "pagefind-2").mkdir()
    (project / "static" / "pagefind-2" / "x.js").write_text("", "utf-8")
    config = Config(content="content", output="site", search=True)
    with pytest.raises(DigestError, match=r"pagefind-2/x\.js"):
        build(config, project)


def test_user_assets_are_copied_not_only_the_builtin_names(project: Path) -> None:
    assets = project / "templates" / "assets"
    (assets / "fonts").mkdir(parents=True)
    (assets / "fonts" / "serif.woff2").write_bytes(b"\x00woff2\xff")
    (assets / "style.css").write_text("/* mine */\n", "utf-8")  # overrides, as before
    build_project(project)
    site = project / "site" / "assets"
    assert (site / "fonts" / "serif.woff2").read_bytes() == b"\x00woff2\xff"
    assert (site / "style.css").read_text("utf-8") == "/* mine */\n"
    # one path from two folders is refused
    (assets / "extra.css").write_text("other", "utf-8")
    with pytest.raises(DigestError, match=r"both give assets/extra\.css"):
        build_project(project)


def test_a_file_put_in_the_site_by_hand_is_kept_and_reported(project: Path) -> None:
    build_project(project)
    site = project / "site"
    (site / "google1234.html").write_text("google-site-verification", "utf-8")
    (site / "stories" / "mine.html").write_text("by hand", "utf-8")
    old_page = next(p for p in (site / "articles").iterdir())
    report = build_project(project)
    found = problems(report)
    assert "move it to static/google1234.html" in found["site/google1234.html"]
    assert "site/stories/mine.html" in found  # the record says digest never wrote it
    assert (site / "google1234.html").read_text("utf-8") == "google-site-verification"
    assert (site / "stories" / "mine.html").read_text("utf-8") == "by hand"
    assert f"site/{old_page.relative_to(site).as_posix()}" not in found
    # a no-op build says it again
    again = build_project(project)
    assert again.up_to_date and problems(again) == found
    # moved to static/: part of the site, no problem
    (site / "google1234.html").rename(project / "static" / "google1234.html")
    (site / "stories" / "mine.html").unlink()
    report = build_project(project)
    assert problems(report) == {}
    assert (site / "google1234.html").read_text("utf-8") == "google-site-verification"
    with pytest.raises(DigestError, match="google"):  # --strict stops on a stray file
        (site / "google.html").write_text("x", "utf-8")
        build_project(project, strict=True)
    assert (site / "google.html").exists()


def test_old_pages_and_old_static_files_go_without_a_word(project: Path) -> None:
    build_project(project)
    site = project / "site"
    (project / "static" / "CNAME").unlink()
    pages = {p.name for p in (site / "articles").iterdir()}
    (project / "content" / "000_7a6293aeb3383be8.txt").unlink()
    report = build_project(project)
    assert problems(report) == {}
    assert not (site / "CNAME").exists()
    assert len({p.name for p in (site / "articles").iterdir()}) == len(pages) - 1


def test_without_a_record_only_files_outside_the_site_folders_are_strays(project: Path) -> None:
    build_project(project, cache="")
    site = project / "site"
    (site / "CNAME").unlink()  # as if static/CNAME had been added since
    (project / "static" / "CNAME").unlink()
    (site / "mine.txt").write_text("x", "utf-8")
    (site / "articles" / "gone.html").write_text("an old page", "utf-8")
    found = problems(build_project(project, cache=""))
    assert set(found) == {"site/mine.txt"}
    assert not (site / "articles" / "gone.html").exists()


def test_a_change_in_static_rebuilds_just_that(project: Path) -> None:
    build_project(project)
    assert build_project(project).up_to_date
    site = project / "site"
    before = {p: p.stat().st_ino for p in site.rglob("*") if p.is_file()}
    (project / "static" / "CNAME").write_bytes(b"other.example.org\n")
    report = build_project(project)
    assert not report.up_to_date
    assert report.cache_misses == 0  # no article analysed again
    assert report.files_written == 1
    assert (site / "CNAME").read_bytes() == b"other.example.org\n"
    changed = [p for p in site.rglob("*") if p.is_file() and before.get(p) != p.stat().st_ino]
    assert changed == [site / "CNAME"]
    (project / "static" / "new.txt").write_text("new", "utf-8")
    report = build_project(project)
    assert not report.up_to_date and report.files_written == 1


def test_static_files_are_deterministic(project: Path, tmp_path: Path) -> None:
    build_project(project)
    other = tmp_path / "other"
    shutil.copytree(project / "content", other / "content")
    shutil.copytree(project / "static", other / "static")
    build_project(other)
    assert tree(project / "site") == tree(other / "site")


@pytest.mark.parametrize("static", [".", "site", "content", "content/images", ".digest-cache"])
def test_a_static_folder_overlapping_another_is_refused(project: Path, static: str) -> None:
    (project / "content" / "images").mkdir()
    (project / static).mkdir(exist_ok=True)
    with pytest.raises(DigestError, match="overlaps the"):
        build_project(project, static=static)
    assert not (project / "site" / "index.html").exists()
    # a folder that does not exist overlaps nothing (content = "." is allowed)
    build_project(project, static="content/missing")
