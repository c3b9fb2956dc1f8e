"""`digest init`: the files of a new digest, and the config reference they share.

The commented `digest.toml` and the README's settings table are both generated
from the `Config` field docs, so neither can drift from the code. The GitHub
Pages workflow is generated too (fetch new articles on a schedule, commit them,
build, deploy): `init` writes one that installs digest, and this repository's
`.github/workflows/pages.yml` is the same workflow installing digest from the
checkout (a test keeps it equal to `pages_workflow`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import importlib.metadata
import json
import os
import stat
import textwrap
from pathlib import Path
from typing import Any

from digest import DISTRIBUTION
from digest.bundled import builtin_templates
from digest.config import ENV_PREFIX, Config, field_type
from digest.models import DigestError

# shown for settings whose default is "not set"; TOML has no null
EXAMPLES = {"base_url": "https://user.github.io/my-digest/"}
# the distribution's own name: a bare "digest" would resolve to PyPI's unrelated project
PLACEHOLDER_REQUIREMENT = f"{DISTRIBUTION} @ git+https://github.com/OWNER/digest"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a valid TOML basic string
    return repr(value)


def config_template() -> str:
    """The commented `digest.toml` that `init` writes: every setting with its doc."""
    lines = [
        "# Settings of this digest. Every one is optional: its default is shown",
        '# commented out; remove the leading "# " to change it. Folders are relative',
        "# to this file.",
        "#",
        f"# Each setting can also come from an environment variable {ENV_PREFIX}<NAME>",
        f"# (e.g. {ENV_PREFIX}BASE_URL), which beats this file; command-line flags beat both.",
    ]
    for f in dataclasses.fields(Config):
        if f.name in TABLE_FIELDS:
            continue  # a table: it goes last (see below), after every plain setting
        lines.append("")
        doc = f.metadata["doc"]
        if f.default is None:
            doc += " (Default: not set.)"
        lines.extend(textwrap.wrap(doc, 78, initial_indent="# ", subsequent_indent="# "))
        value = EXAMPLES[f.name] if f.default is None else f.default
        lines.append(f"# {f.name} = {_toml_value(value)}")
    lines.append("")
    sections = next(f for f in dataclasses.fields(Config) if f.name == "sections")
    doc = sections.metadata["doc"] + " An example:"
    lines.extend(textwrap.wrap(doc, 78, initial_indent="# ", subsequent_indent="# "))
    lines.extend(f"# {line}" for line in SECTION_EXAMPLE.splitlines())
    lines.append("")
    sources = next(f for f in dataclasses.fields(Config) if f.name == "sources")
    doc = sources.metadata["doc"] + " An example:"
    lines.extend(textwrap.wrap(doc, 78, initial_indent="# ", subsequent_indent="# "))
    lines.extend(f"# {line}" for line in SOURCE_EXAMPLE.splitlines())
    return "\n".join(lines) + "\n"


# the example section `init` shows, commented out; tables come after every plain
# setting, since TOML puts the keys that follow a table header inside the table
SECTION_EXAMPLE = """\
[[sections]]
name = "Sport"
words = ["football", "tennis", "cricket", "match", "league"]
tags = ["sport"]"""
SOURCE_EXAMPLE = """\
[[sources]]
url = "https://example.org/news/rss.xml"
name = "Example News"
section = "World"
lang = "en\""""
# settings that are arrays of tables: only in digest.toml, shown last
TABLE_FIELDS = ("sections", "sources")


def reference_table() -> str:
    """The README's table of settings: key, environment variable, type, default, meaning."""
    words = {
        "str": "text",
        "str | None": "text",
        "int": "integer",
        "float": "number",
        "bool": "true/false",
        "tuple[Section, ...]": "tables",
        "tuple[Source, ...]": "tables",
    }
    rows = [
        "| setting | environment | type | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for f in dataclasses.fields(Config):
        default = "not set" if f.default is None else f"`{_toml_value(f.default)}`"
        if f.name in TABLE_FIELDS:
            default = "none"
        doc = f.metadata["doc"].replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
        env = "—" if f.name in TABLE_FIELDS else f"`{ENV_PREFIX}{f.name.upper()}`"
        rows.append(f"| `{f.name}` | {env} | {words[field_type(f)]} | {default} | {doc} |")
    return "\n".join(rows) + "\n"


# ------------------------------------------------------------------ the workflow

WORKFLOW = """\
# Fetches new articles, commits them and publishes the digest with GitHub Pages.
#
# - every 3 hours (the schedule below) and by hand (Actions > "Publish digest" >
#   Run workflow): `digest fetch` reads the sources listed in digest.toml, the
#   new articles are committed to {content}/ and pushed, then the site is built
#   from that commit and deployed. A scheduled run that finds nothing new commits
#   nothing and publishes nothing; a run by hand always publishes.
# - on every push to the repository's default branch that touches the articles,
#   templates, static files or settings: no fetch, the pushed commit is built and
#   deployed. Pushes to other branches start no job: only the default branch is
#   published.
#
# One-time setup: Settings > Pages > Build and deployment > Source: GitHub Actions
# (until then the build job stops at its first step and says so).
# The site is built with the Pages address as its base URL; per-article results
# are kept between runs in .digest-cache with actions/cache, under a key made of
# the installed packages and the inputs, so a run with one new article analyses
# only that article and a run with nothing new adds no cache entry.
name: Publish digest

on:
  # no branch filter: the default branch is not always `main`, and a filter cannot
  # name it; each job checks it instead (a schedule always runs on it)
  push:
    paths:
{paths}
  schedule:
    - cron: "{cron}"
  workflow_dispatch:

# nothing by default; each job asks for what it needs
permissions: {{}}

# one run at a time: two runs never push fetched articles at once, and a newer
# run waits instead of cancelling a deployment
concurrency:
  group: pages
  cancel-in-progress: false
{env}
jobs:
  fetch:
    # never on a push: the push is the content. The commit below is pushed with
    # the workflow's GITHUB_TOKEN, and GitHub starts no workflow run for a push
    # made with that token, so the bot's commit cannot trigger this workflow
    # again (and if another token were used, that run's event would be a push,
    # which skips this job); the build and deploy jobs publish it in this run.
    if: >-
      github.event_name != 'push' && {on_default}
    runs-on: ubuntu-latest
    timeout-minutes: 30
    permissions:
      contents: write  # to push the fetched articles
    env:
      # the content folder of digest.toml: articles are written and committed here
      CONTENT: {content_value}
    outputs:
      sha: ${{{{ steps.commit.outputs.sha }}}}
      pushed: ${{{{ steps.commit.outputs.pushed }}}}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install digest
{install}
      - name: Restore the fetch state
        id: fetch-state
        uses: actions/cache/restore@v4
        with:
          # ETag / Last-Modified of every source, for conditional requests;
          # the newest saved state is restored
          path: {state}
          key: digest-fetch-${{{{ runner.os }}}}-${{{{ github.run_id }}}}
          restore-keys: |
            digest-fetch-${{{{ runner.os }}}}-
      - name: Fetch
        run: digest fetch --content "$CONTENT"
      - name: Commit and push the new articles
        id: commit
        run: |
          git config user.name "github-actions[bot]"
          git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
          # only the content folder is committed, whatever else changed
          if [ -d "$CONTENT" ]; then git add -- "$CONTENT"; fi
          if git diff --cached --quiet; then
            echo "No new articles: nothing to commit."
            echo "pushed=false" >> "$GITHUB_OUTPUT"
          else
            added=$(git diff --cached --name-only --diff-filter=A | wc -l)
            git commit --quiet -m "Fetch $added new article(s)"
            for attempt in 1 2 3; do
              if git push --quiet origin "HEAD:$GITHUB_REF_NAME"; then break; fi
              if [ "$attempt" = 3 ]; then exit 1; fi
              # someone pushed meanwhile: put the new articles on top and retry
              git pull --quiet --rebase --autostash origin "$GITHUB_REF_NAME"
            done
            echo "pushed=true" >> "$GITHUB_OUTPUT"
          fi
          echo "sha=$(git rev-parse HEAD)" >> "$GITHUB_OUTPUT"
      - name: Save the fetch state
        # after the push, so a failed run never records articles as seen that
        # were not committed; keyed by its contents, so an unchanged state adds
        # no cache entry
        if: >-
          hashFiles('{state}/**') != '' &&
          steps.fetch-state.outputs.cache-matched-key !=
          format('digest-fetch-{{0}}-{{1}}', runner.os, hashFiles('{state}/**'))
        uses: actions/cache/save@v4
        with:
          path: {state}
          key: digest-fetch-${{{{ runner.os }}}}-${{{{ hashFiles('{state}/**') }}}}

  build:
    needs: fetch
    # on the default branch, after the fetch job, or without it on a push (fetch
    # skipped); on the schedule only when the fetch pushed new articles
    if: >-
      !cancelled() && {on_default} &&
      (needs.fetch.result == 'success' || needs.fetch.result == 'skipped') &&
      (github.event_name != 'schedule' || needs.fetch.outputs.pushed == 'true')
    runs-on: ubuntu-latest
    permissions:
      contents: read
      pages: read  # configure-pages reads the site's address
    steps:
      - uses: actions/checkout@v4
        with:
          # the commit the fetch job pushed, not the one that started the run
          # (the triggering commit when fetch did not run)
          ref: ${{{{ needs.fetch.outputs.sha || github.sha }}}}
      - name: Check that Pages publishes from GitHub Actions
        # configure-pages fails with an obscure message until Pages is set up
        env:
          GH_TOKEN: ${{{{ github.token }}}}
        run: |
          found=$(gh api "repos/$GITHUB_REPOSITORY/pages" --jq .build_type 2>&1) || true
          if [ "$found" != "workflow" ]; then
            settings="$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/settings/pages"
            message="GitHub Pages does not publish this repository from GitHub Actions yet."
            message="$message Open $settings, set Build and deployment > Source to"
            message="$message GitHub Actions, then re-run this workflow."
            echo "::error title=GitHub Pages is not set up::$message"
            {{
              echo "### GitHub Pages is not set up"
              echo
              echo "$message"
              echo
              echo "GitHub said: $found"
            }} >> "$GITHUB_STEP_SUMMARY"
            exit 1
          fi
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install digest
{install}
      - name: Configure Pages
        id: pages
        uses: actions/configure-pages@v5
      - name: Name the build cache
        id: packages
        # cached results depend on digest and its libraries as much as on the inputs
        run: echo "hash=$(python -m pip freeze | sha256sum | cut -c1-16)" >> "$GITHUB_OUTPUT"
      - name: Restore the build cache
        id: build-cache
        uses: actions/cache@v4
        with:
          path: .digest-cache
          # saved only when the packages or the inputs changed; otherwise the
          # newest entry for the same packages (or any) is restored
          key: {cache_key}
          restore-keys: |
            digest-cache-${{{{ runner.os }}}}-${{{{ steps.packages.outputs.hash }}}}-
            digest-cache-${{{{ runner.os }}}}-
      - name: Build
        run: digest build --verbose
        env:
          # the Pages address (a custom domain too); beats base_url in digest.toml
          DIGEST_BASE_URL: ${{{{ steps.pages.outputs.base_url }}}}/
      - name: Upload the site
        uses: actions/upload-pages-artifact@v3
        with:
          path: site

  deploy:
    needs: build
    # stated, not implied: a job after one that ran despite a skipped job
    # (build on a push) is otherwise skipped too; only the default branch deploys
    if: ${{{{ !cancelled() && needs.build.result == 'success' && {on_default} }}}}
    runs-on: ubuntu-latest
    permissions:
      pages: write  # to deploy to Pages
      id-token: write  # to prove the deployment comes from this workflow
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - name: Deploy to GitHub Pages
        id: deployment
        uses: actions/deploy-pages@v4
"""

# every 3 hours at 23 past (GitHub delays runs at the top of the hour most)
FETCH_CRON = "23 */3 * * *"
# where `digest fetch` keeps its conditional-request state: the cache folder's fetch/
FETCH_STATE = ".digest-cache/fetch"
TEMPLATES = "templates"  # the user's template folder, beside digest.toml (not a setting)
CONFIG_FILE = "digest.toml"
# true on the repository's default branch: a schedule always runs there, and a push or a
# run by hand elsewhere publishes nothing
ON_DEFAULT_BRANCH = (
    "(github.event_name == 'schedule' || github.ref_name == github.event.repository.default_branch)"
)


def pages_workflow(
    requirement: str | None = None,
    extra_paths: tuple[str, ...] = (),
    content: str = Config.content,
    static: str = Config.static,
) -> str:
    """The GitHub Pages workflow (fetch, commit, build, deploy): installs digest with
    pip from `requirement`, or from the checked-out repository when it is None (this
    repository's own workflow); `content` and `static` are the folders of digest.toml.
    A push that touches them, the templates, the config or `extra_paths` publishes,
    and the build cache's key hashes the same files."""
    inputs = (f"{content}/**", f"{TEMPLATES}/**", f"{static}/**", CONFIG_FILE, *extra_paths)
    watched = (*inputs, ".github/workflows/pages.yml")
    paths = "\n".join(f"      - {json.dumps(p)}" for p in watched)
    if requirement is None:
        install, env = "        run: python -m pip install .", ""
    else:
        install = '        run: python -m pip install "$DIGEST_REQUIREMENT"'
        env = (
            "\nenv:\n"
            "  # where pip gets digest from (both jobs): a version, a git URL or a wheel\n"
            f"  DIGEST_REQUIREMENT: {json.dumps(requirement)}\n"
        )
    return WORKFLOW.format(
        paths=paths,
        env=env,
        install=install,
        content=content,
        content_value=json.dumps(content),
        cache_key="digest-cache-${{ runner.os }}-${{ steps.packages.outputs.hash }}-"
        + "${{ hashFiles("
        + ", ".join(_expression_string(p) for p in inputs)
        + ") }}",
        on_default=ON_DEFAULT_BRANCH,
        cron=FETCH_CRON,
        state=FETCH_STATE,
    )


def _expression_string(text: str) -> str:
    """Text -> a string literal of a GitHub Actions expression ('…', quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


# this repository's workflow also rebuilds the sample digest when digest changes
REPOSITORY_EXTRA_PATHS = ("digest/**", "pyproject.toml")


def digest_requirement() -> str | None:
    """The pip requirement that installs the running digest in CI, or None when it
    was installed from a local folder (which CI cannot reach)."""
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    text = dist.read_text("direct_url.json")
    if not text:
        return f"{DISTRIBUTION}=={dist.version}"  # from a package index
    try:
        info = json.loads(text)
        url = str(info["url"])
    except (ValueError, KeyError, TypeError):
        return None
    vcs = info.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git":
        commit = vcs.get("commit_id") or vcs.get("requested_revision")
        return f"{DISTRIBUTION} @ git+{url}" + (f"@{commit}" if commit else "")
    if url.startswith(("https://", "http://")):
        return f"{DISTRIBUTION} @ {url}"
    return None


# ------------------------------------------------------------------ the other files

SAMPLE_ARTICLE = """\
---
title: A new digest opens with a single article
date: 2024-01-15
source: digest
section: Meta
---
A new news digest went up today with exactly one article in it: this one. It was
written by the `digest init` command, which also created the settings file, a folder
for templates and a workflow that publishes the site with GitHub Pages.

The digest grows as articles arrive. Each file in the content folder becomes one
article: Markdown with front matter like this file, plain text saved from a web page,
or a saved HTML page. Articles about the same event are grouped into one story, and
every story gets a short summary whose sentences link back to the articles they came
from.

To see the site, run `digest serve` in the folder of the settings file and open the
address it prints. The page reloads by itself whenever an article, a template or a
setting changes. Delete this article once the first real ones are in.
"""

TEMPLATES_README = """\
# Templates

A file here replaces digest's built-in template of the same name; everything
else still comes from digest. Templates are Jinja, with autoescaping on and
undefined names as errors. For example, `templates/story.html` could start as

    {{% extends "base.html" %}}
    {{% block main %}}<h1>{{{{ story.title }}}}</h1> … {{% endblock %}}

Any other file under `templates/assets/` (a font, an image) is copied into the
site's `assets/` as it is; files for elsewhere in the site (a favicon.ico,
CNAME, .nojekyll) go in a `static/` folder beside digest.toml.

`digest serve` rebuilds and reloads the page when a template here changes.
The built-in templates, to copy from:

{names}
"""

GITIGNORE = """\
# the built site and the build cache: both are remade by `digest build`
/site/
/.digest-cache/
"""


def scaffold_files(requirement: str | None) -> dict[str, str]:
    """Relative path -> text of every file `init` writes."""
    builtin = builtin_templates()
    names = sorted(p.relative_to(builtin).as_posix() for p in builtin.rglob("*") if p.is_file())
    content = Config.content  # the folder the config `init` writes names
    return {
        "digest.toml": config_template(),
        f"{content}/welcome.md": SAMPLE_ARTICLE,
        "templates/README.md": TEMPLATES_README.format(
            names="\n".join(f"- `{name}`" for name in names)
        ),
        ".gitignore": GITIGNORE,
        ".github/workflows/pages.yml": pages_workflow(
            requirement or PLACEHOLDER_REQUIREMENT, content=content
        ),
    }


def init_digest(folder: Path, requirement: str | None = None) -> list[Path]:
    """Write a new digest's files into `folder` -> the files written.

    Every target is checked before any is written: a file that exists (a link too,
    even a dangling one) or a folder on the way that is a link or not a folder
    refuses the whole `init` (DigestError naming them all) with nothing written.
    The files are then created from the folder down without following a link and
    never over an existing file, so a link planted after the check is refused too.
    """
    files = scaffold_files(requirement)
    refused = [f"{folder} is {why}" for why in _unusable_folder(folder)]
    for name in sorted(files):
        why = _unusable_target(folder, name)
        if why:
            refused.append(name if why == "exists" else f"{name} ({why})")
    if refused:
        raise DigestError(
            f"not overwriting existing file(s) in {folder}: {', '.join(refused)}; "
            "nothing was written: move them away or choose another folder"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DigestError(f"cannot create {folder}: {exc.strerror or exc}") from None
    written: list[Path] = []
    for name, text in files.items():
        try:
            _create(folder, name, text.encode("utf-8"))
        except OSError as exc:
            done = f" (already created: {', '.join(map(str, written))})" if written else ""
            why = "it exists" if exc.errno == errno.EEXIST else (exc.strerror or str(exc))
            raise DigestError(f"cannot write {folder / name}: {why}{done}") from None
        written.append(folder / name)
    return written


def _unusable_folder(folder: Path) -> list[str]:
    """The folder `init` writes into -> why it cannot be used (none when it can)."""
    if folder.is_symlink() and not folder.exists():
        return ["a broken symbolic link"]
    if folder.exists() and not folder.is_dir():
        return ["not a folder"]
    return []


def _unusable_target(folder: Path, name: str) -> str:
    """A file `init` would write -> why it cannot be ("" when it can): it exists
    or is a link (even a dangling one), or a folder on its way is a link or a file."""
    parts = name.split("/")
    path = folder
    for i, part in enumerate(parts):
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            return ""  # nothing further down can exist either
        except OSError as exc:
            return f"cannot be checked: {exc.strerror or exc}"
        if i == len(parts) - 1:
            return "a symbolic link" if stat.S_ISLNK(mode) else "exists"
        if stat.S_ISLNK(mode):
            return f"{'/'.join(parts[: i + 1])} is a symbolic link"
        if not stat.S_ISDIR(mode):
            return f"{'/'.join(parts[: i + 1])} is not a folder"
    return ""


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _create(folder: Path, name: str, data: bytes) -> None:
    """Create `folder/name` with `data`: folders on the way made or opened one by
    one without following a link, the file made new (never over another)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_BINARY", 0)
    *parents, leaf = name.split("/")
    if os.open not in os.supports_dir_fd or os.name != "posix":
        (folder.joinpath(*parents)).mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / name, flags, 0o666)
    else:
        opened = [os.open(folder, os.O_RDONLY | os.O_DIRECTORY)]
        try:
            for part in parents:
                # a folder an earlier file made exists already (a link fails the open)
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, dir_fd=opened[-1])
                opened.append(
                    os.open(part, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW, dir_fd=opened[-1])
                )
            fd = os.open(leaf, flags, 0o666, dir_fd=opened[-1])
        finally:
            for descriptor in opened:
                os.close(descriptor)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
