"""`digest deploy` against a local bare repository: the site lands on gh-pages
with .nojekyll (and CNAME), the user's working tree, index and branch are
untouched, an unchanged site makes no commit."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.deploy import deploy_site, pages_url
from digest.models import DigestError
from tests.conftest import SEEDS

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

IDENTITY = {
    "GIT_AUTHOR_NAME": "Tester",
    "GIT_AUTHOR_EMAIL": "tester@example.org",
    "GIT_COMMITTER_NAME": "Tester",
    "GIT_COMMITTER_EMAIL": "tester@example.org",
}


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=folder, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


@pytest.fixture
def repos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(project with an `origin` remote and one commit, the bare remote)."""
    for name, value in IDENTITY.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOME", str(tmp_path))  # no global git config of the machine
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "--quiet", "-b", "main")
    shutil.copytree(SEEDS, project / "content")
    (project / ".gitignore").write_text("/site/\n/.digest-cache/\n", "utf-8")
    (project / "digest.toml").write_text("search = false\n", "utf-8")  # faster builds
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "-m", "content")
    git(project, "remote", "add", "origin", str(remote))
    monkeypatch.chdir(project)
    return project, remote


def state(project: Path) -> tuple[str, ...]:
    """What the user sees of their repository: branch, staged and unstaged changes."""
    return (
        git(project, "symbolic-ref", "HEAD"),
        git(project, "rev-parse", "HEAD"),
        git(project, "ls-files", "--stage"),
        git(project, "status", "--porcelain", "--untracked-files=all"),
    )


def test_deploy_pushes_the_site_to_gh_pages(repos: tuple[Path, Path]) -> None:
    project, remote = repos
    (project / "notes.txt").write_text("work in progress", "utf-8")  # untracked
    (project / ".gitignore").write_text("/site/\n/.digest-cache/\n*.bak\n", "utf-8")  # unstaged
    (project / "staged.txt").write_text("staged", "utf-8")
    git(project, "add", "staged.txt")
    before = state(project)

    result = CliRunner().invoke(main, ["deploy", "--cname", "news.example.org"])
    assert result.exit_code == 0, result.output
    assert "Pushed" in result.output and "origin/gh-pages" in result.output
    assert state(project) == before, "working tree, index and branch are untouched"

    files = git(remote, "ls-tree", "-r", "--name-only", "gh-pages").splitlines()
    site = project / "site"
    expected = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert sorted(set(files) - {".nojekyll", "CNAME"}) == expected
    assert ".nojekyll" in files and "CNAME" in files
    assert git(remote, "show", "gh-pages:CNAME") == "news.example.org"
    assert git(remote, "show", "gh-pages:index.html") == (site / "index.html").read_text(
        "utf-8"
    ).rstrip("\n")
    head = git(project, "rev-parse", "--short", "HEAD")
    assert f"built from {head}" in git(remote, "log", "-1", "--format=%s", "gh-pages")
    # the local branch follows, as with mkdocs gh-deploy
    assert git(project, "rev-parse", "gh-pages") == git(remote, "rev-parse", "gh-pages")


def test_redeploy_unchanged_makes_no_commit_and_keeps_cname(repos: tuple[Path, Path]) -> None:
    project, remote = repos
    runner = CliRunner()
    assert runner.invoke(main, ["deploy", "--cname", "news.example.org"]).exit_code == 0
    first = git(remote, "rev-parse", "gh-pages")
    result = runner.invoke(main, ["deploy"])
    assert result.exit_code == 0, result.output
    assert "nothing pushed" in result.output
    assert git(remote, "rev-parse", "gh-pages") == first

    (project / "content" / "extra.md").write_text(
        "---\ntitle: A quiet day in Rostov\ndate: 2023-06-26\n---\nRostov was quiet.\n", "utf-8"
    )
    result = runner.invoke(main, ["deploy", "-m", "Second edition"])
    assert result.exit_code == 0, result.output
    second = git(remote, "rev-parse", "gh-pages")
    assert second != first
    assert git(remote, "rev-parse", "gh-pages^") == first, "built on top of the previous deploy"
    assert git(remote, "log", "-1", "--format=%s", "gh-pages") == "Second edition"
    assert git(remote, "show", "gh-pages:CNAME") == "news.example.org", "custom domain kept"
    assert "articles/extra.html" in git(remote, "ls-tree", "-r", "--name-only", "gh-pages")


def test_a_cname_in_static_beats_the_one_deployed_before(repos: tuple[Path, Path]) -> None:
    project, remote = repos
    runner = CliRunner()
    assert runner.invoke(main, ["deploy", "--cname", "old.example.org"]).exit_code == 0
    (project / "static").mkdir()
    (project / "static" / "CNAME").write_text("new.example.org\n", "utf-8")
    result = runner.invoke(main, ["deploy"])
    assert result.exit_code == 0, result.output
    assert git(remote, "show", "gh-pages:CNAME") == "new.example.org"


def test_deploy_library_call_and_no_build(repos: tuple[Path, Path]) -> None:
    project, remote = repos
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 0
    deployed = deploy_site(project / "site", project, branch="pages", message="by hand")
    assert deployed.changed and deployed.files > 10
    assert git(remote, "rev-parse", "pages") == deployed.commit
    result = CliRunner().invoke(main, ["deploy", "--no-build", "--branch", "pages"])
    assert result.exit_code == 0 and "nothing pushed" in result.output


def test_checked_out_branch_is_not_moved(repos: tuple[Path, Path]) -> None:
    project, remote = repos
    git(project, "checkout", "--quiet", "-b", "gh-pages")
    before = state(project)
    result = CliRunner().invoke(main, ["deploy"])
    assert result.exit_code == 0, result.output
    assert state(project) == before
    assert git(remote, "rev-parse", "gh-pages") != git(project, "rev-parse", "gh-pages")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--remote", "nowhere"], "no git remote named 'nowhere'"),
        (["--branch", "bad..name"], "invalid branch name"),
        (["--cname", "https://news.example.org/"], "--cname must be a host name"),
    ],
)
def test_deploy_errors_are_one_clean_message(
    repos: tuple[Path, Path], args: list[str], message: str
) -> None:
    result = CliRunner().invoke(main, ["deploy", *args])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_deploy_refuses_a_folder_digest_did_not_build(repos: tuple[Path, Path]) -> None:
    project, _ = repos
    (project / "other").mkdir()
    with pytest.raises(DigestError, match="not a site built by digest"):
        deploy_site(project / "other", project)


def test_deploy_outside_a_repository(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "digest.json").write_text("{}", "utf-8")
    with pytest.raises(DigestError, match="not inside a git repository"):
        deploy_site(site, tmp_path)


def test_deploy_builds_on_the_remote_tip(repos: tuple[Path, Path], tmp_path: Path) -> None:
    project, remote = repos
    assert CliRunner().invoke(main, ["deploy"]).exit_code == 0
    # someone else pushes an unrelated history to gh-pages meanwhile
    other = tmp_path / "other"
    git(tmp_path, "clone", "--quiet", str(remote), str(other))
    git(other, "checkout", "--quiet", "--orphan", "gh-pages-new")
    (other / "x.txt").write_text("x", "utf-8")
    git(other, "add", "x.txt")
    git(other, "commit", "--quiet", "-m", "unrelated")
    git(other, "push", "--quiet", "--force", "origin", "HEAD:gh-pages")
    (project / "content" / "extra.md").write_text("---\ntitle: Extra\n---\nMore text.\n", "utf-8")
    # deploy builds on the fetched tip, so it still fast-forwards
    result = CliRunner().invoke(main, ["deploy"])
    assert result.exit_code == 0, result.output
    assert git(remote, "rev-parse", "gh-pages^") == git(other, "rev-parse", "HEAD")


def test_missing_remote_fails_before_building(repos: tuple[Path, Path]) -> None:
    project, _ = repos
    result = CliRunner().invoke(main, ["deploy", "--remote", "upstream"])
    assert result.exit_code == 1
    assert "no git remote named 'upstream'" in result.output
    assert "this repository has origin" in result.output and "--remote" in result.output
    assert "Built" not in result.output
    assert not (project / "site").exists(), "nothing is built for a push that cannot happen"


def test_no_base_url_warns_before_building(repos: tuple[Path, Path]) -> None:
    result = CliRunner().invoke(main, ["deploy"])
    assert result.exit_code == 0, result.output
    assert "Warning: no base_url is set" in result.output
    assert "404 page" in result.output and "GitHub Pages" in result.output
    # a local remote: the address cannot be guessed (a GitHub one can, see below)
    assert 'base_url = "https://USER.github.io/REPO/"' in result.output
    assert result.output.index("Warning") < result.output.index("Built"), "said before building"

    result = CliRunner().invoke(main, ["deploy", "--base-url", "https://news.example.org/"])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/Someone/news.git", "https://someone.github.io/news/"),
        ("git@github.com:someone/news", "https://someone.github.io/news/"),
        ("ssh://git@github.com/someone/someone.github.io.git", "https://someone.github.io/"),
        ("https://gitlab.com/someone/news.git", None),
        ("/srv/git/news.git", None),
    ],
)
def test_pages_url_is_guessed_for_github_remotes(url: str, expected: str | None) -> None:
    assert pages_url(url) == expected


def test_dirty_work_tree_is_marked_in_the_commit_message(repos: tuple[Path, Path]) -> None:
    project, remote = repos
    runner = CliRunner()
    head = git(project, "rev-parse", "--short", "HEAD")
    # clean: the built site and the cache (ignored here) do not count as changes
    assert runner.invoke(main, ["deploy"]).exit_code == 0
    subject = git(remote, "log", "-1", "--format=%s", "gh-pages")
    assert subject == f"Deploy the digest site built from {head}"

    (project / "content" / "extra.md").write_text("---\ntitle: Extra\n---\nMore text.\n", "utf-8")
    result = runner.invoke(main, ["deploy"])
    assert result.exit_code == 0, result.output
    subject = git(remote, "log", "-1", "--format=%s", "gh-pages")
    assert subject == f"Deploy the digest site built from {head} (with uncommitted changes)"


def test_output_folders_not_ignored_do_not_make_the_tree_dirty(repos: tuple[Path, Path]) -> None:
    project, remote = repos
    (project / ".gitignore").unlink()  # the site and cache folders are not ignored now
    git(project, "commit", "--quiet", "-am", "no ignores")
    head = git(project, "rev-parse", "--short", "HEAD")
    assert CliRunner().invoke(main, ["deploy"]).exit_code == 0
    subject = git(remote, "log", "-1", "--format=%s", "gh-pages")
    assert subject == f"Deploy the digest site built from {head}"
