"""`digest deploy`: the output folder -> a commit on the `gh-pages` branch, pushed.

Works the way `mkdocs gh-deploy` (ghp-import) does, with git's plumbing: the
site's files are stored as blobs, put in a *temporary* index, written as a tree
(with `.nojekyll`, so GitHub Pages serves files as they are, and a `CNAME` when
given), committed on top of the remote branch and pushed. The user's working
tree, index and checked-out branch are never touched. A site identical to the
one already on the branch makes no commit.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from digest.models import DigestError
from digest.write import MARKER

_HOST = re.compile(
    r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}", re.IGNORECASE
)
FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "digest",
    "GIT_AUTHOR_EMAIL": "digest@localhost",
    "GIT_COMMITTER_NAME": "digest",
    "GIT_COMMITTER_EMAIL": "digest@localhost",
}


@dataclass(frozen=True)
class DeployResult:
    """What a deploy did."""

    remote: str
    branch: str
    commit: str  # the branch's commit after the deploy
    files: int  # files in the deployed tree
    changed: bool  # False: the branch already held this site; nothing was pushed


def deploy_site(
    site: Path,
    project: Path,
    *,
    remote: str = "origin",
    branch: str = "gh-pages",
    message: str | None = None,
    cname: str | None = None,
    force: bool = False,
    built: tuple[Path, ...] = (),
) -> DeployResult:
    """A built site folder -> a commit on `remote`'s `branch` (of the repository
    holding `project`), pushed. `force` pushes even when the branch moved on.
    `built`: folders the build writes (the cache) that say nothing of the sources,
    so changes in them do not mark the commit as made from uncommitted work."""
    site = site.resolve()
    if not (site / MARKER).is_file():
        raise DigestError(f"{site} is not a site built by digest (no {MARKER}); build it first")
    if cname is not None and not _HOST.fullmatch(cname):
        raise DigestError(f"--cname must be a host name such as news.example.org, not {cname!r}")
    check_target(project, remote, branch)
    git = Git(project)
    ref = f"refs/heads/{branch}"

    parent = _remote_tip(git, remote, ref)
    with tempfile.TemporaryDirectory(prefix="digest-deploy-") as tmp:
        extra = {".nojekyll": b""}
        if cname is not None:
            extra["CNAME"] = cname.encode("ascii") + b"\n"
        files = _site_files(site)
        for name, data in extra.items():
            files[name] = Path(tmp, name.lstrip("."))
            files[name].write_bytes(data)
        blobs = _store_blobs(git, files)
        if cname is None and parent is not None and "CNAME" not in blobs:
            kept = git.maybe("rev-parse", "--verify", "--quiet", f"{parent}:CNAME")
            if kept:  # keep the custom domain a previous deploy set (static/CNAME wins)
                blobs["CNAME"] = kept
        tree = _write_tree(git, blobs, Path(tmp, "index"))

    if parent is not None and git.run("rev-parse", f"{parent}^{{tree}}") == tree:
        _update_local_branch(git, ref, parent)
        return DeployResult(remote, branch, parent, len(blobs), changed=False)
    if message is None:
        message = _default_message(git, project, built=(site, *built))
    identity = {} if git.maybe("var", "GIT_COMMITTER_IDENT") else FALLBACK_IDENTITY
    commit = git.run(
        "commit-tree",
        tree,
        *(["-p", parent] if parent else []),
        "-F",
        "-",
        stdin=message.encode("utf-8"),
        env=identity,
    )
    _update_local_branch(git, ref, commit)
    refspec = f"{'+' if force else ''}{commit}:{ref}"
    git.run(
        "push",
        "--quiet",
        "--",
        remote,
        refspec,
        what=f"pushing to {remote} failed (the branch may have moved on: deploy again, or "
        "use --force)",
    )
    return DeployResult(remote, branch, commit, len(blobs), changed=True)


def check_target(project: Path, remote: str, branch: str) -> str:
    """Where a deploy would push -> the remote's URL, or a DigestError saying what is
    missing (git, a repository, the remote, a valid branch name). Offline and quick,
    so `digest deploy` runs it before spending a build on a push that cannot happen."""
    git = Git(project)
    git.run("rev-parse", "--show-toplevel", what="not inside a git repository")
    remotes = (git.maybe("remote") or "").split()
    if remote not in remotes:
        known = f"; this repository has {', '.join(remotes)}" if remotes else ""
        raise DigestError(
            f"no git remote named {remote!r}{known}. Add one with `git remote add {remote} "
            "URL`, or choose another with --remote"
        )
    url = git.run("remote", "get-url", "--", remote, what=f"no git remote named {remote!r}")
    git.run("check-ref-format", f"refs/heads/{branch}", what=f"invalid branch name {branch!r}")
    return url


_GITHUB = re.compile(
    r"(?:git@github\.com:|(?:https|ssh)://(?:[^@/]+@)?github\.com/)([^/]+)/([^/]+?)(?:\.git)?/?"
)


def pages_url(remote_url: str) -> str | None:
    """A GitHub remote's URL -> the address GitHub Pages serves its gh-pages branch at
    (a guess: a custom domain changes it), or None for other hosts."""
    match = _GITHUB.fullmatch(remote_url.strip())
    if match is None:
        return None
    owner, name = match.group(1).lower(), match.group(2)
    if name.lower() == f"{owner}.github.io":
        return f"https://{owner}.github.io/"
    return f"https://{owner}.github.io/{name}/"


def _default_message(git: Git, project: Path, built: tuple[Path, ...]) -> str:
    """The deploy commit's message: the source commit, and whether the work tree had
    changes that commit does not hold (the site was built from them too)."""
    head = git.maybe("rev-parse", "--short", "HEAD")
    if not head:
        return "Deploy the digest site"
    excluded = []
    root = project.resolve()
    for folder in built:
        try:
            inside = folder.resolve().relative_to(root)
        except ValueError:
            continue
        if inside.parts:
            excluded.append(f":(exclude){inside.as_posix()}")
    status = git.maybe("status", "--porcelain", "--", ".", *excluded)
    dirty = " (with uncommitted changes)" if status else ""
    return f"Deploy the digest site built from {head}{dirty}"


class Git:
    """Runs git in one repository; failures become DigestErrors with git's message."""

    def __init__(self, folder: Path) -> None:
        if shutil.which("git") is None:
            raise DigestError("git is not installed (deploy needs it)")
        self.folder = folder

    def run(
        self,
        *args: str,
        stdin: bytes | None = None,
        env: dict[str, str] | None = None,
        what: str | None = None,
    ) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=self.folder,
            input=stdin,
            capture_output=True,
            env={**os.environ, **(env or {})},
            check=False,
        )
        if done.returncode != 0:
            detail = done.stderr.decode("utf-8", "replace").strip()
            summary = what or f"git {args[0]} failed"
            raise DigestError(f"{summary}: {detail}" if detail else summary)
        return done.stdout.decode("utf-8", "replace").strip()

    def maybe(self, *args: str) -> str | None:
        """Output of a git command, or None when it fails (a ref that does not exist)."""
        try:
            return self.run(*args) or None
        except DigestError:
            return None


def _remote_tip(git: Git, remote: str, ref: str) -> str | None:
    """The commit `ref` points to on the remote (fetched), or None when it has no such branch."""
    listing = git.run("ls-remote", "--", remote, ref, what=f"cannot reach remote {remote!r}")
    if not listing:
        return None
    tip = listing.split()[0]
    git.run("fetch", "--quiet", "--no-tags", "--", remote, ref, what=f"fetching {ref} failed")
    return tip


def _site_files(site: Path) -> dict[str, Path]:
    """Every regular file of the site -> {relative POSIX path: file}."""
    files: dict[str, Path] = {}
    for path in sorted(site.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        name = path.relative_to(site).as_posix()
        if "\n" in name or "\0" in name:
            raise DigestError(f"cannot deploy a file named {name!r}")
        files[name] = path
    return files


def _store_blobs(git: Git, files: dict[str, Path]) -> dict[str, str]:
    """Files -> blobs in the repository's object store, as they are (no filters)."""
    names = sorted(files)
    listing = "".join(f"{files[name]}\n" for name in names).encode("utf-8")
    out = git.run("hash-object", "-w", "--no-filters", "--stdin-paths", stdin=listing)
    shas = out.split()
    if len(shas) != len(names):
        raise DigestError("git hash-object returned an unexpected answer")
    return dict(zip(names, shas, strict=True))


def _write_tree(git: Git, blobs: dict[str, str], index: Path) -> str:
    """Blobs by path -> a tree object, built in a temporary index (not the user's)."""
    env = {"GIT_INDEX_FILE": str(index)}
    entries = "".join(f"100644 {blobs[name]}\t{name}\0" for name in sorted(blobs))
    git.run("update-index", "--add", "-z", "--index-info", stdin=entries.encode("utf-8"), env=env)
    return git.run("write-tree", env=env)


def _update_local_branch(git: Git, ref: str, commit: str) -> None:
    """Move the local branch to `commit` when that loses nothing: the branch is missing
    or behind, and not checked out in any working tree."""
    current = git.maybe("rev-parse", "--verify", "--quiet", ref)
    if current == commit:
        return
    if current is not None and not _is_ancestor(git, current, commit):
        return  # local commits the remote does not have: leave them alone
    worktrees = git.maybe("worktree", "list", "--porcelain") or ""
    if f"branch {ref}" in worktrees.splitlines():
        return
    git.run("update-ref", "-m", "digest deploy", ref, commit, *([current] if current else []))


def _is_ancestor(git: Git, older: str, newer: str) -> bool:
    try:
        git.run("merge-base", "--is-ancestor", older, newer)
    except DigestError:
        return False
    return True
