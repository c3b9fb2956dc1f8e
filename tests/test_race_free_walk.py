"""The content and static folders are read race-free, and the output folder and
`digest init` refuse before writing.

An attacker who can change the file system while a build runs swaps folders and
files for links, pipes or something else between the moment the build lists a
folder and the moment it opens what it listed. The tests make those swaps at
exactly that moment (a hook around the walk's own step) and check that the
build completes, publishes nothing from outside the content folder and names
what it refused.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from digest import pipeline, write
from digest import static as copying
from digest.cli import main
from digest.config import Config
from digest.load import files as walk
from digest.load import read_content
from digest.models import BuildReport, DigestError, Problem
from digest.pipeline import build
from digest.scaffold import init_digest
from digest.write import write_site

pytestmark = pytest.mark.skipif(os.name != "posix", reason="links, pipes and dir_fd: POSIX")

SECRET = "Quuxblort"  # a word only the files outside the content folder hold
ARTICLE = (
    "---\ntitle: {title}\nsource: Harbour News\n---\n"
    "The harbour ferry terminal opens in spring after two years of work, officials "
    "said on Monday. {extra}\n"
)


def article(path: Path, title: str, extra: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ARTICLE.format(title=title, extra=extra), encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """content/ with two articles (one in sub/), and outside/ with secret ones."""
    project = tmp_path / "project"
    article(project / "content" / "a.md", "Ferry terminal opens")
    article(project / "content" / "sub" / "b.md", "Terminal opening date set")
    article(project / "content" / "sub" / "real.md", "Ferry timetable published")
    for name in ("b.md", "real.md", "secret.md"):
        article(tmp_path / "outside" / name, f"{SECRET} leaked", f"{SECRET} {SECRET}.")
    return project


def run(project: Path, **settings: Any) -> BuildReport:
    config = Config(content="content", output="site", search=False, cache="", **settings)
    return build(config, project)


def reasons(found: BuildReport | list[Problem]) -> dict[str, str]:
    problems = found.problems if isinstance(found, BuildReport) else found
    return {p.path: p.reason for p in problems}


def assert_nothing_from_outside(site: Path) -> None:
    assert (site / "digest.json").is_file(), "the build completed"
    for path in site.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def swap_after_listing(
    monkeypatch: pytest.MonkeyPatch, prefix: str, swap: Callable[[], None]
) -> list[bool]:
    """Run `swap` once, right after the walk lists the folder at `prefix` ("" for
    the root): between listing an entry and opening it."""
    real = walk._enter
    done: list[bool] = []

    def hooked(stack: list[Any], folder: Any, at: str, problems: list[Problem]) -> None:
        real(stack, folder, at, problems)
        if at == prefix and not done:
            swap()
            done.append(True)

    monkeypatch.setattr(walk, "_enter", hooked)
    return done


def relink(path: Path, target: Path, aside: Path) -> None:
    """Move `path` aside and put a symbolic link to `target` in its place."""
    path.rename(aside)
    path.symlink_to(target)


# ------------------------------------------------------------------ the content walk


def test_a_subfolder_swapped_for_a_link_mid_build_is_refused(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = project / "content" / "sub"
    done = swap_after_listing(
        monkeypatch, "", lambda: relink(sub, tmp_path / "outside", tmp_path / "moved")
    )
    report = run(project)
    assert done and sub.is_symlink()
    assert reasons(report)["sub"] == (
        "folder changed during the build (it is now a symbolic link); not read"
    )
    assert report.articles == 1
    assert_nothing_from_outside(project / "site")


def test_the_content_folder_swapped_for_a_link_after_the_build_began_is_refused(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = project / "content"
    real = read_content

    def racing(folder: Path) -> Any:  # the build resolved and checked it; now it moves
        relink(content, tmp_path / "outside", tmp_path / "moved")
        return real(folder)

    monkeypatch.setattr(pipeline, "read_content", racing)
    report = run(project)
    assert reasons(report) == {
        ".": "folder changed during the build (it is now a symbolic link); not read"
    }
    assert report.articles == 0
    assert_nothing_from_outside(project / "site")


def test_a_file_swapped_for_a_link_mid_build_is_refused(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = project / "content" / "sub" / "b.md"
    done = swap_after_listing(
        monkeypatch, "sub/", lambda: relink(target, tmp_path / "outside" / "b.md", tmp_path / "b")
    )
    report = run(project)
    assert done
    assert "file changed during the build" in reasons(report)["sub/b.md"]
    assert report.articles == 2  # a.md and sub/real.md
    assert_nothing_from_outside(project / "site")


def test_a_file_swapped_for_a_pipe_mid_build_is_refused_without_blocking(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = project / "content" / "a.md"

    def to_pipe() -> None:
        target.unlink()
        os.mkfifo(target)

    done = swap_after_listing(monkeypatch, "", to_pipe)
    report = run(project)
    assert done
    assert reasons(report)["a.md"] == "not a regular file (a pipe, socket or device)"
    assert report.articles == 2


def test_a_link_inside_whose_folder_is_swapped_after_the_check_is_refused(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = project / "content"
    (content / "alias.md").symlink_to("sub/real.md")
    sub = content / "sub"
    real = walk._follow
    swapped: list[bool] = []

    def hooked(*args: Any) -> walk.Found | None:
        found = real(*args)  # the link is checked: it stays inside
        if not swapped:  # then, before it is read, its folder becomes a link out
            relink(sub, tmp_path / "outside", tmp_path / "moved")
            swapped.append(True)
        return found

    monkeypatch.setattr(walk, "_follow", hooked)
    report = run(project)
    assert swapped
    found = reasons(report)
    assert "changed during the build" in found["alias.md"]
    assert "changed during the build" in found["sub"]
    assert report.articles == 1
    assert_nothing_from_outside(project / "site")


def test_a_link_inside_is_still_read(project: Path) -> None:
    (project / "content" / "alias.md").symlink_to("sub/real.md")
    files, problems = read_content(project / "content")
    by_path = {f.path: f.data for f in files}
    assert by_path["alias.md"] == by_path["sub/real.md"]
    assert problems == []


def test_a_link_into_a_hidden_folder_is_refused(project: Path) -> None:
    article(project / "content" / ".drafts" / "x.md", "Unpublished draft")
    (project / "content" / "draft.md").symlink_to(".drafts/x.md")
    files, problems = read_content(project / "content")
    assert "draft.md" not in {f.path for f in files}
    assert reasons(problems)["draft.md"] == "symbolic link to a hidden file or folder; not read"


def test_a_pipe_named_cachedir_tag_in_a_hidden_folder_does_not_hang(project: Path) -> None:
    hidden = project / "content" / ".cache"
    hidden.mkdir()
    os.mkfifo(hidden / "CACHEDIR.TAG")
    result: list[BuildReport] = []
    # a watchdog, not a timing: a blocked open would never return at all
    worker = threading.Thread(target=lambda: result.append(run(project)), daemon=True)
    worker.start()
    worker.join(120)
    assert result, "the build blocked on the pipe"
    assert reasons(result[0])[".cache"] == "hidden folder skipped (its name starts with '.')"
    assert result[0].articles == 3


def make_nested(folder: Path, depth: int, leaf: bytes) -> None:
    """`folder`/d/d/…/d (`depth` deep) with a file at the bottom, made one level
    at a time from open folders (pathlib and os.makedirs recurse)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            below = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = below
        out = os.open("deepest.md", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, leaf)
        os.close(out)
    finally:
        os.close(fd)


def remove_nested(folder: Path) -> None:
    """Remove `folder`/d/d/…/d level by level (shutil.rmtree recurses)."""
    top, below = folder / "d", folder / "d-below"
    while top.exists():
        if (top / "d").is_dir():
            (top / "d").rename(below)
        shutil.rmtree(top)
        if below.exists():
            below.rename(top)


def test_a_thousand_nested_folders_are_a_problem_not_a_crash(project: Path) -> None:
    content = project / "content"
    deepest = ARTICLE.format(title="Deepest article", extra=SECRET)
    make_nested(content, 1000, deepest.encode())
    article(content.joinpath(*["d"] * 5) / "shallow.md", "Ferry news from five folders down")
    try:
        report = run(project)
    finally:
        remove_nested(content)
    too_deep = "/".join(["d"] * (walk.MAX_DEPTH + 1))
    assert reasons(report) == {too_deep: "folder nested more than 100 deep; not read"}
    assert report.articles == 4  # a.md, sub/b.md, sub/real.md and the shallow one
    assert "d/d/d/d/d/shallow.md" in (project / "site" / "digest.json").read_text("utf-8")
    assert_nothing_from_outside(project / "site")  # the deepest article was not read


def test_the_walk_holds_no_descriptor_after_it_stops_and_reads_nothing_after(project: Path) -> None:
    before = set(os.listdir("/proc/self/fd")) if Path("/proc/self/fd").is_dir() else None
    problems: list[Problem] = []
    walker = walk.walk_folder(project / "content", problems, hidden=False)
    first = next(walker)  # open mid-walk, then abandoned
    walker.close()
    with pytest.raises(RuntimeError, match="after the walk left its folder"):
        first.read(problems, None)  # its folder's descriptor may name another by now
    read_content(project / "content")
    if before is not None:
        assert set(os.listdir("/proc/self/fd")) == before


def test_without_directory_descriptors_the_walk_reads_the_same(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = project / "content"
    (content / "alias.md").symlink_to("sub/real.md")
    (content / "out.md").symlink_to(tmp_path / "outside" / "secret.md")
    os.mkfifo(content / "pipe.md")
    article(content / ".git" / "x.md", "Version control")
    with_fds = read_content(content)
    monkeypatch.setattr(walk, "_DIR_FDS", False)
    assert read_content(content) == with_fds
    assert {f.path for f in with_fds[0]} == {"a.md", "alias.md", "sub/b.md", "sub/real.md"}
    assert set(reasons(with_fds[1])) == {".git", "out.md", "pipe.md"}


# ------------------------------------------------------------------ static files


@pytest.fixture
def static(project: Path, tmp_path: Path) -> Path:
    static = project / "static"
    (static / "docs").mkdir(parents=True)
    (static / "docs" / "readme.txt").write_text("Read me.\n", "utf-8")
    (static / "humans.txt").write_text("User-agent: *\n", "utf-8")
    (tmp_path / "outside" / "docs").mkdir()
    (tmp_path / "outside" / "docs" / "readme.txt").write_text(SECRET, "utf-8")
    return static


def swap_before_copy(monkeypatch: pytest.MonkeyPatch, swap: Callable[[], object]) -> list[bool]:
    """Run `swap` once, after static files were read and hashed, before the copy."""
    real = copying.static_bytes
    done: list[bool] = []

    def hooked(*args: Any) -> bytes | None:
        if not done:
            swap()
            done.append(True)
        return real(*args)

    monkeypatch.setattr(pipeline, "static_bytes", hooked)
    return done


def test_a_static_folder_swapped_for_a_link_before_the_copy_is_refused(
    project: Path, static: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = static / "docs"
    done = swap_before_copy(
        monkeypatch, lambda: relink(docs, tmp_path / "outside" / "docs", tmp_path / "moved")
    )
    report = run(project)
    assert done
    assert "changed during the build" in reasons(report)["static/docs/readme.txt"]
    assert "not copied" in reasons(report)["static/docs/readme.txt"]
    assert not (project / "site" / "docs" / "readme.txt").exists()
    assert (project / "site" / "humans.txt").read_text("utf-8") == "User-agent: *\n"
    assert_nothing_from_outside(project / "site")


def test_a_static_file_changed_before_the_copy_is_not_copied(
    project: Path, static: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = static / "docs" / "readme.txt"
    done = swap_before_copy(monkeypatch, lambda: readme.write_text(SECRET, "utf-8"))
    report = run(project)
    assert done
    assert reasons(report)["static/docs/readme.txt"] == (
        "file changed during the build; not copied"
    )
    assert_nothing_from_outside(project / "site")


def test_a_static_link_into_version_control_is_refused(project: Path, static: Path) -> None:
    (static / ".git").mkdir()
    (static / ".git" / "config").write_text(f"[remote] url = {SECRET}", "utf-8")
    (static / "config.txt").symlink_to(".git/config")
    report = run(project)
    assert "hidden" in reasons(report)["static/config.txt"]
    assert_nothing_from_outside(project / "site")


# ------------------------------------------------------------------ the output folder


PAGES = {"digest.json": b"{}", "index.html": b"<p>home</p>", "notes/a.html": b"A"}


def swap_after_open(monkeypatch: pytest.MonkeyPatch, secret: Path, aside: Path) -> None:
    """Each file of the current site is swapped for a link to `secret` right after
    the writer has opened and checked it, before it hard-links it."""
    real = walk.open_inside

    def hooked(root: Path, rel: str) -> int:
        fd = real(root, rel)
        relink(root / rel, secret, aside / rel.replace("/", "-"))
        return fd

    aside.mkdir()
    monkeypatch.setattr(write, "open_inside", hooked)


def test_an_unchanged_page_swapped_for_a_link_is_written_not_linked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    write_site(PAGES, site)
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET, "utf-8")
    swap_after_open(monkeypatch, secret, tmp_path / "aside")
    assert write_site(PAGES, site) == (3, 0)  # every page written again, none linked
    for rel, data in PAGES.items():
        assert not (site / rel).is_symlink() and (site / rel).read_bytes() == data
    assert secret.stat().st_nlink == 1, "never hard-linked into the site"


def test_a_kept_file_swapped_for_a_link_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    write_site(PAGES, site)
    (site / "mine.txt").write_text("my notes", "utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET, "utf-8")
    swap_after_open(monkeypatch, secret, tmp_path / "aside")
    with pytest.raises(DigestError, match="cannot keep"):
        write_site([*PAGES.items(), ("mine.txt", site / "mine.txt")], site)
    assert secret.stat().st_nlink == 1
    assert not any(p.name.startswith(".site.new-") for p in tmp_path.iterdir())


def test_a_site_folder_swapped_for_a_link_while_listed_keeps_nothing_from_behind_it(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(project)
    extra = project / "site" / "extra"
    extra.mkdir()
    (extra / "mine.txt").write_text("my notes", "utf-8")  # a stray: kept and reported
    (tmp_path / "outside" / "mine.txt").write_text(SECRET, "utf-8")
    real = walk.list_inside
    swapped: list[bool] = []

    def hooked(root: Path, rel: str) -> list[tuple[str, int]]:
        found = real(root, rel)
        if rel == "" and not swapped:  # listed as a folder, then swapped for a link out
            relink(extra, tmp_path / "outside", tmp_path / "moved")
            swapped.append(True)
        return found

    monkeypatch.setattr(copying, "list_inside", hooked)
    report = run(project)
    assert swapped
    assert "site/extra/mine.txt" not in reasons(report)
    assert not (project / "site" / "extra").exists()
    assert_nothing_from_outside(project / "site")


def test_a_dangling_output_link_is_refused_from_the_command_line(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    behind = tmp_path / "elsewhere" / "site"
    (project / "site").symlink_to(behind)
    monkeypatch.chdir(project)
    result = CliRunner().invoke(main, ["build", "--output", "site", "-q"])
    assert result.exit_code == 1
    assert "broken symbolic link" in result.output
    assert not (tmp_path / "elsewhere").exists()


def test_an_output_folder_below_a_dangling_link_is_refused(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "build").symlink_to(tmp_path / "elsewhere" / "deep")
    monkeypatch.chdir(project)
    result = CliRunner().invoke(main, ["build", "--output", "build/site", "-q"])
    assert result.exit_code == 1
    assert "goes through a broken symbolic link" in result.output
    with pytest.raises(DigestError, match="broken symbolic link"):
        write_site(PAGES, project / "build" / "site")
    assert not (tmp_path / "elsewhere").exists()


def test_an_output_link_left_dangling_after_the_check_is_refused_when_writing(
    tmp_path: Path,
) -> None:
    real = tmp_path / "www"
    write_site(PAGES, real)
    link = tmp_path / "site"
    link.symlink_to(real)
    shutil.rmtree(real)  # the check passed earlier; now the link dangles
    with pytest.raises(DigestError, match="broken symbolic link"):
        write_site(PAGES, link)
    assert not real.exists()


# ------------------------------------------------------------------ digest init


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


@pytest.mark.parametrize(
    ("plant", "named"),
    [
        (lambda f, out: (f / ".gitignore").symlink_to(out / "missing"), ".gitignore"),
        (lambda f, out: (f / "templates").symlink_to(out), "templates/README.md"),
        (lambda f, out: (f / ".github").write_text("x"), ".github/workflows/pages.yml"),
        (lambda f, out: (f / "content").symlink_to(out / "gone"), "content/welcome.md"),
    ],
    ids=["dangling-file-link", "linked-folder", "file-as-folder", "dangling-folder-link"],
)
def test_init_checks_every_target_before_writing_any(
    tmp_path: Path, plant: Callable[[Path, Path], Any], named: str
) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    plant(folder, outside)
    before = listing(folder)
    with pytest.raises(DigestError, match="nothing was written") as refused:
        init_digest(folder)
    assert named in str(refused.value)
    assert listing(folder) == before, "nothing written"
    assert listing(outside) == []


def test_init_refuses_a_link_planted_after_its_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "news"
    outside = tmp_path / "outside"
    outside.mkdir()
    import digest.scaffold as scaffold

    real = scaffold._create

    def racing(where: Path, name: str, data: bytes) -> None:
        if name.startswith(".github/") and not (where / ".github").is_symlink():
            (where / ".github").symlink_to(outside)  # planted between check and write
        real(where, name, data)

    monkeypatch.setattr(scaffold, "_create", racing)
    with pytest.raises(DigestError, match=r"pages\.yml"):
        init_digest(folder)
    assert listing(outside) == []


def test_init_from_the_command_line_refuses_a_dangling_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "digest.toml").symlink_to(tmp_path / "nowhere" / "digest.toml")
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 1
    assert "digest.toml (a symbolic link)" in result.output
    assert listing(tmp_path) == ["digest.toml"]
    assert not (tmp_path / "nowhere").exists()
