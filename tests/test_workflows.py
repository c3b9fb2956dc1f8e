"""The GitHub Pages workflows: this repository's and the one `digest init` writes
pass the GitHub workflow schema and do what the README says they do: fetch on a
schedule, commit only the content folder, build the fetched commit, deploy."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from digest.config import Config
from digest.scaffold import (
    FETCH_CRON,
    FETCH_STATE,
    ON_DEFAULT_BRANCH,
    REPOSITORY_EXTRA_PATHS,
    pages_workflow,
    scaffold_files,
)
from tests.conftest import REPO

REPO_WORKFLOW = REPO / ".github" / "workflows" / "pages.yml"


def init_workflow(tmp_path: Path) -> Path:
    path = tmp_path / "init-pages.yml"
    path.write_text(scaffold_files("digest==1.0")[".github/workflows/pages.yml"], "utf-8")
    return path


def test_repository_workflow_is_the_generated_one(update_golden: bool) -> None:
    """Refresh with `pytest tests/test_workflows.py --update-golden`."""
    expected = pages_workflow(None, REPOSITORY_EXTRA_PATHS)
    if update_golden:
        REPO_WORKFLOW.write_text(expected, "utf-8")
    assert REPO_WORKFLOW.read_text("utf-8") == expected


def test_workflows_pass_the_github_workflow_schema(tmp_path: Path) -> None:
    if importlib.util.find_spec("check_jsonschema") is None:
        message = "check-jsonschema is not installed (it is in the test extra)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    files = [REPO_WORKFLOW, init_workflow(tmp_path)]
    command = [sys.executable, "-m", "check_jsonschema"]
    done = subprocess.run(
        [*command, "--builtin-schema", "vendor.github-workflows", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # the check can fail: a job without runs-on is refused
    broken = tmp_path / "broken.yml"
    broken.write_text(files[1].read_text("utf-8").replace("runs-on:", "runs_on:"), "utf-8")
    done = subprocess.run(
        [*command, "--builtin-schema", "vendor.github-workflows", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text("utf-8"))
    assert isinstance(data, dict)
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


WHICH = ["repository", "init"]


def workflow(which: str, tmp_path: Path) -> dict[Any, Any]:
    return load(REPO_WORKFLOW if which == "repository" else init_workflow(tmp_path))


def step_names(steps: list[dict[str, Any]]) -> list[str]:
    return [str(step.get("name") or step.get("uses")) for step in steps]


@pytest.mark.parametrize("which", WHICH)
def test_workflow_builds_caches_and_deploys(which: str, tmp_path: Path) -> None:
    flow = workflow(which, tmp_path)
    push = flow["on"]["push"]
    for path in ("content/**", "templates/**", "digest.toml"):
        assert path in push["paths"]
    assert "workflow_dispatch" in flow["on"]
    steps = flow["jobs"]["build"]["steps"]
    uses = {step.get("uses", "").split("@")[0]: step for step in steps}
    assert uses["actions/cache"]["with"]["path"] == ".digest-cache"
    assert "restore-keys" in uses["actions/cache"]["with"]
    assert uses["actions/upload-pages-artifact"]["with"]["path"] == "site"
    builds = [step for step in steps if "digest build" in step.get("run", "")]
    assert builds and "DIGEST_BASE_URL" in builds[0]["env"]
    assert steps.index(uses["actions/cache"]) < steps.index(builds[0])
    deploy = flow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["steps"][-1]["uses"].startswith("actions/deploy-pages@")
    for job in ("fetch", "build"):
        install = next(s for s in flow["jobs"][job]["steps"] if s.get("name") == "Install digest")
        if which == "repository":
            assert install["run"] == "python -m pip install ."
            assert "env" not in flow
        else:
            assert install["run"] == 'python -m pip install "$DIGEST_REQUIREMENT"'
            assert flow["env"] == {"DIGEST_REQUIREMENT": "digest==1.0"}
    if which == "repository":
        assert "digest/**" in push["paths"]


@pytest.mark.parametrize("which", WHICH)
def test_workflow_triggers_on_any_branch_and_checks_it_in_each_job(
    which: str, tmp_path: Path
) -> None:
    flow = workflow(which, tmp_path)
    # a branch filter cannot name the default branch: there is none
    assert set(flow["on"]["push"]) == {"paths"}
    for job in ("fetch", "build", "deploy"):
        condition = " ".join(str(flow["jobs"][job]["if"]).split())
        assert ON_DEFAULT_BRANCH in condition, job


def test_workflow_paths_and_cache_key_follow_the_configured_folders() -> None:
    flow = yaml.safe_load(pages_workflow("digest==1.0", content="news", static="public"))
    paths = flow[True]["push"]["paths"]
    assert paths[:4] == ["news/**", "templates/**", "public/**", "digest.toml"]
    assert "content/**" not in paths and "static/**" not in paths
    assert flow["jobs"]["fetch"]["env"]["CONTENT"] == "news"
    cache = next(
        s for s in flow["jobs"]["build"]["steps"] if s.get("uses", "").startswith("actions/cache@")
    )
    assert (
        "hashFiles('news/**', 'templates/**', 'public/**', 'digest.toml')" in cache["with"]["key"]
    )
    # a quote in a folder name stays inside its expression string
    odd = yaml.safe_load(pages_workflow("digest==1.0", content="it's"))
    key = next(s for s in odd["jobs"]["build"]["steps"] if s.get("id") == "build-cache")
    assert "hashFiles('it''s/**'," in key["with"]["key"]


@pytest.mark.parametrize("which", WHICH)
def test_build_cache_key_changes_only_with_the_inputs(which: str, tmp_path: Path) -> None:
    flow = workflow(which, tmp_path)
    steps = flow["jobs"]["build"]["steps"]
    cache = next(s for s in steps if s.get("id") == "build-cache")
    key = cache["with"]["key"]
    # no run id, run number or sha: the key is the same for the same inputs
    assert "github.run" not in key and "github.sha" not in key
    inputs = ["content/**", "templates/**", "static/**", "digest.toml"]
    if which == "repository":
        inputs += list(REPOSITORY_EXTRA_PATHS)
    assert "hashFiles(" + ", ".join(f"'{p}'" for p in inputs) + ")" in key
    assert flow["on"]["push"]["paths"][: len(inputs)] == inputs
    # the installed packages are part of the key: the cached results depend on them
    packages = next(s for s in steps if s.get("id") == "packages")
    assert "pip freeze" in packages["run"]
    assert "${{ steps.packages.outputs.hash }}" in key
    assert steps.index(packages) < steps.index(cache)
    # restore: the newest entry for these packages, else any
    restore = cache["with"]["restore-keys"].strip().splitlines()
    assert restore == [
        "digest-cache-${{ runner.os }}-${{ steps.packages.outputs.hash }}-",
        "digest-cache-${{ runner.os }}-",
    ]
    assert all(key.startswith(prefix) for prefix in restore)


def test_pages_check_explains_the_first_run_and_passes_once_set_up(tmp_path: Path) -> None:
    """The check step, run here with a fake `gh`: Pages not enabled or publishing from
    a branch -> exit 1 with the fix in the job summary; from Actions -> passes."""
    steps = workflow("init", tmp_path)["jobs"]["build"]["steps"]
    names = step_names(steps)
    check = steps[names.index("Check that Pages publishes from GitHub Actions")]
    assert names.index("Check that Pages publishes from GitHub Actions") < names.index(
        "Configure Pages"
    )
    assert check["env"] == {"GH_TOKEN": "${{ github.token }}"}
    script = tmp_path / "check.sh"
    script.write_text(check["run"], "utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_gh = bin_dir / "gh"
    fake_gh.write_text('#!/bin/sh\nprintf "%s" "$GH_ANSWER"\nexit "$GH_EXIT"\n', "utf-8")
    fake_gh.chmod(0o755)

    def run(answer: str, code: int) -> tuple[int, str, str]:
        summary = tmp_path / f"summary-{code}-{len(answer)}.md"
        env = {
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "GH_ANSWER": answer,
            "GH_EXIT": str(code),
            "GITHUB_REPOSITORY": "someone/news",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_STEP_SUMMARY": str(summary),
        }
        done = subprocess.run(
            ["bash", "-e", str(script)], env=env, capture_output=True, text=True, timeout=60
        )
        text = summary.read_text("utf-8") if summary.exists() else ""
        return done.returncode, done.stdout, text

    code, out, summary = run("gh: Not Found (HTTP 404)", 1)
    assert code == 1
    assert "::error title=GitHub Pages is not set up::" in out
    assert "https://github.com/someone/news/settings/pages" in summary
    assert "Source to GitHub Actions" in summary and "HTTP 404" in summary
    code, out, summary = run("legacy", 0)  # publishing from a branch
    assert code == 1 and "legacy" in summary
    code, out, summary = run("workflow", 0)
    assert (code, out, summary) == (0, "", "")


@pytest.mark.parametrize("which", WHICH)
def test_fetch_job_fetches_commits_then_saves_its_state(which: str, tmp_path: Path) -> None:
    flow = workflow(which, tmp_path)
    (cron,) = (entry["cron"] for entry in flow["on"]["schedule"])
    assert cron == FETCH_CRON and len(cron.split()) == 5
    fetch = flow["jobs"]["fetch"]
    assert fetch["env"]["CONTENT"] == Config.content
    steps = fetch["steps"]
    names = step_names(steps)
    by_name = dict(zip(names, steps, strict=True))
    restore, save = by_name["Restore the fetch state"], by_name["Save the fetch state"]
    fetch_step, commit = by_name["Fetch"], by_name["Commit and push the new articles"]
    order = [
        "actions/checkout@v4",
        "Install digest",
        "Restore the fetch state",
        "Fetch",
        "Commit and push the new articles",
        "Save the fetch state",
    ]
    assert [name for name in names if name in order] == order
    assert fetch_step["run"] == 'digest fetch --content "$CONTENT"'
    # the state is restored from the newest entry and saved only when it changed,
    # under a prefix of its own (the build cache's restore-keys never match it)
    assert restore["uses"].startswith("actions/cache/restore@")
    assert save["uses"].startswith("actions/cache/save@")
    assert restore["with"]["path"] == save["with"]["path"] == FETCH_STATE
    prefix = "digest-fetch-${{ runner.os }}-"
    assert restore["with"]["restore-keys"].strip() == prefix
    assert save["with"]["key"] == prefix + "${{ hashFiles('" + FETCH_STATE + "/**') }}"
    assert "cache-matched-key" in save["if"]
    build_cache = next(s for s in flow["jobs"]["build"]["steps"] if s.get("id") == "build-cache")
    for build_prefix in build_cache["with"]["restore-keys"].strip().splitlines():
        assert not prefix.startswith(build_prefix) and not build_prefix.startswith(prefix)
    # the job hands on the commit it pushed
    assert fetch["outputs"]["sha"] == "${{ steps.commit.outputs.sha }}"
    assert fetch["outputs"]["pushed"] == "${{ steps.commit.outputs.pushed }}"
    assert commit["id"] == "commit"
    # the commit step stages the content folder and nothing else
    adds = [line.strip() for line in commit["run"].splitlines() if "git add" in line]
    assert adds == ['if [ -d "$CONTENT" ]; then git add -- "$CONTENT"; fi']
    assert not re.search(r"git commit[^\n]*(-a\b|--all)", commit["run"])


def test_readme_describes_the_workflow_as_it_is(tmp_path: Path) -> None:
    text = (REPO / "README.md").read_text("utf-8")
    section = text.split("### Fetch and publish on a schedule\n")[1].split("\n## ")[0]
    fetch = workflow("init", tmp_path)["jobs"]["fetch"]
    (step,) = (s for s in fetch["steps"] if s.get("name") == "Fetch")
    assert f"`{step['run']}`" in section
    assert f'`cron: "{FETCH_CRON}"`' in section
    assert f"`{FETCH_STATE}/`" in section
    assert f'`CONTENT: "{fetch["env"]["CONTENT"]}"`' in section


@pytest.mark.parametrize("which", WHICH)
def test_each_job_gets_only_the_permissions_it_needs(which: str, tmp_path: Path) -> None:
    flow = workflow(which, tmp_path)
    assert flow["permissions"] == {}, "nothing granted to every job"
    jobs = flow["jobs"]
    assert jobs["fetch"]["permissions"] == {"contents": "write"}
    assert jobs["build"]["permissions"] == {"contents": "read", "pages": "read"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    # one run at a time, and a running deployment is never cancelled
    assert flow["concurrency"] == {"group": "pages", "cancel-in-progress": False}


# ------------------------------------------------ the job conditions, evaluated

_TOKEN = re.compile(r"\s*(?:('(?:[^']|'')*')|(&&|\|\||==|!=|!|\(|\)|,)|([A-Za-z_][\w.-]*))")
STATUS_FUNCTIONS = ("success(", "failure(", "always(", "cancelled(")


def evaluate(expression: str, context: dict[str, Any], upstream_ok: bool) -> Any:
    """A GitHub Actions expression -> its value, for the subset the workflow uses
    (strings, names, ==, !=, !, &&, ||, parentheses, status functions). `!` binds
    tighter than `==` in GitHub but not in Python: the workflow only negates calls."""
    text = expression.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    python, pos = [], 0
    while pos < len(text.rstrip()):
        match = _TOKEN.match(text, pos)
        assert match, f"cannot read {text[pos:]!r}"
        string, op, name = match.groups()
        if string:
            python.append(repr(string[1:-1].replace("''", "'")))
        elif op:
            python.append({"&&": " and ", "||": " or ", "!": " not "}.get(op, op))
        elif text[match.end() :].lstrip().startswith("("):
            python.append(f"f_{name}")
        else:
            python.append(f"ctx({name!r})")
        pos = match.end()
    functions = {
        "f_success": lambda: upstream_ok,
        "f_failure": lambda: False,
        "f_always": lambda: True,
        "f_cancelled": lambda: False,
    }
    return eval("".join(python), {"ctx": lambda name: context.get(name, "")}, functions)


def job_runs(job: dict[str, Any], context: dict[str, Any], upstream_ok: bool) -> bool:
    condition = str(job.get("if", "true"))
    if not any(f in condition for f in STATUS_FUNCTIONS):
        condition = f"success() && ({condition.removeprefix('${{').removesuffix('}}')})"
    return bool(evaluate(condition, context, upstream_ok))


def simulate(
    flow: dict[str, Any], event: str, fetch: str, pushed: bool, branch: str = "trunk"
) -> dict[str, Any]:
    """Which jobs run for an event on `branch` (the default branch is "trunk") when
    fetch ends with `fetch` ('success' or 'failure') -> job results and the ref the
    build checks out."""
    jobs = flow["jobs"]
    context: dict[str, Any] = {
        "github.event_name": event,
        "github.sha": "trigger-sha",
        "github.ref_name": branch,
        "github.event.repository.default_branch": "trunk",
    }
    if event == "schedule":  # its event has no repository: it always runs on the default
        del context["github.event.repository.default_branch"]
    results: dict[str, str] = {}
    ran_ok = True  # every job so far succeeded: `success()` looks at the whole chain
    for name in ("fetch", "build", "deploy"):
        needs = jobs[name].get("needs")
        assert list(results)[-1:] == ([needs] if needs else [])
        if job_runs(jobs[name], context, ran_ok):
            results[name] = fetch if name == "fetch" else "success"
        else:
            results[name] = "skipped"
        ran_ok = ran_ok and results[name] == "success"
        context[f"needs.{name}.result"] = results[name]
        if name == "fetch" and results[name] == "success":
            context["needs.fetch.outputs.sha"] = "fetched-sha" if pushed else "head-sha"
            context["needs.fetch.outputs.pushed"] = "true" if pushed else "false"
    checkout = jobs["build"]["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    ref = evaluate(checkout["with"]["ref"], context, True)
    return {**results, "ref": ref}


@pytest.mark.parametrize("which", WHICH)
@pytest.mark.parametrize(
    ("event", "fetch", "pushed", "expected"),
    [
        # a push builds and deploys the pushed commit; nothing is fetched
        ("push", "success", False, ("skipped", "success", "success", "trigger-sha")),
        # the schedule publishes what it fetched, from the commit it pushed...
        ("schedule", "success", True, ("success", "success", "success", "fetched-sha")),
        # ...and nothing when nothing was new
        ("schedule", "success", False, ("success", "skipped", "skipped", "head-sha")),
        # by hand: always publishes
        ("workflow_dispatch", "success", False, ("success", "success", "success", "head-sha")),
        ("workflow_dispatch", "success", True, ("success", "success", "success", "fetched-sha")),
        # a failed fetch publishes nothing
        ("schedule", "failure", False, ("failure", "skipped", "skipped", "trigger-sha")),
        ("workflow_dispatch", "failure", False, ("failure", "skipped", "skipped", "trigger-sha")),
    ],
)
def test_job_conditions(
    which: str,
    event: str,
    fetch: str,
    pushed: bool,
    expected: tuple[str, str, str, str],
    tmp_path: Path,
) -> None:
    result = simulate(workflow(which, tmp_path), event, fetch, pushed)
    assert (result["fetch"], result["build"], result["deploy"], result["ref"]) == expected


@pytest.mark.parametrize("which", WHICH)
@pytest.mark.parametrize("event", ["push", "workflow_dispatch"])
def test_nothing_runs_off_the_default_branch(which: str, event: str, tmp_path: Path) -> None:
    flow = workflow(which, tmp_path)
    result = simulate(flow, event, "success", True, branch="feature")
    assert (result["fetch"], result["build"], result["deploy"]) == ("skipped",) * 3
    # and the deploy job checks the branch itself, whatever the build did
    flow["jobs"]["build"]["if"] = "!cancelled() && needs.fetch.result == 'skipped'"
    result = simulate(flow, event, "success", True, branch="feature")
    assert result["build"] == "success" and result["deploy"] == "skipped"


def test_condition_evaluator_sees_an_implied_skip(tmp_path: Path) -> None:
    """Without its stated condition the deploy job would be skipped on a push (the
    build ran although fetch was skipped): the evaluator catches that."""
    flow = workflow("init", tmp_path)
    del flow["jobs"]["deploy"]["if"]
    assert simulate(flow, "push", "success", False)["deploy"] == "skipped"
    flow["jobs"]["build"]["if"] = "github.event_name != 'push'"
    assert simulate(flow, "push", "success", False)["build"] == "skipped"


# ------------------------------------------------ the commit step, run for real


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Someone", "-c", "user.email=someone@example.org", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=GIT_ENV,
    )
    return done.stdout.strip()


# no configuration from the machine running the tests
GIT_ENV = {
    "PATH": os.environ["PATH"],
    "HOME": "/nonexistent",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "LC_ALL": "C",
}


def run_commit_step(script: Path, work: Path, output: Path) -> dict[str, str]:
    env = {**GIT_ENV, "CONTENT": "content", "GITHUB_OUTPUT": str(output)}
    env["GITHUB_REF_NAME"] = "main"
    output.write_text("", "utf-8")
    done = subprocess.run(
        ["bash", "-e", str(script)], cwd=work, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return dict(line.split("=", 1) for line in output.read_text("utf-8").splitlines())


@pytest.mark.parametrize("which", WHICH)
def test_commit_step_pushes_only_new_articles_as_the_bot(which: str, tmp_path: Path) -> None:
    steps = workflow(which, tmp_path)["jobs"]["fetch"]["steps"]
    run = next(s["run"] for s in steps if s.get("id") == "commit")
    assert "${{" not in run, "the script runs here as it is"
    script = tmp_path / "commit.sh"
    script.write_text(run, "utf-8")
    # a remote with one article, a shallow checkout of it (as actions/checkout makes)
    remote, seed = tmp_path / "remote.git", tmp_path / "seed"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    git(tmp_path, "clone", "--quiet", str(remote), str(seed))
    (seed / "content").mkdir()
    (seed / "content" / "old.md").write_text("old\n", "utf-8")
    (seed / "digest.toml").write_text('title = "News"\n', "utf-8")
    git(seed, "add", ".")
    git(seed, "commit", "--quiet", "-m", "seed")
    git(seed, "push", "--quiet", "origin", "HEAD:main")
    work = tmp_path / "work"
    git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{remote}", str(work))
    # the fetch wrote two articles; other files changed too, which must stay out
    (work / "content" / "outlet").mkdir()
    (work / "content" / "outlet" / "2024-05-01-a.md").write_text("a\n", "utf-8")
    (work / "content" / "2024-05-01-b.md").write_text("b\n", "utf-8")
    (work / "digest.toml").write_text('title = "Changed"\n', "utf-8")
    (work / ".digest-cache" / "fetch").mkdir(parents=True)
    (work / ".digest-cache" / "fetch" / "state.json").write_text("{}", "utf-8")
    # meanwhile someone else pushes: the step must rebase onto it and push again
    git(seed, "pull", "--quiet")
    (seed / "content" / "by-hand.md").write_text("by hand\n", "utf-8")
    git(seed, "add", ".")
    git(seed, "commit", "--quiet", "-m", "by hand")
    git(seed, "push", "--quiet", "origin", "HEAD:main")

    outputs = run_commit_step(script, work, tmp_path / "out-1")
    head = git(remote, "rev-parse", "main")
    assert outputs == {"pushed": "true", "sha": head}
    author = git(remote, "log", "-1", "--format=%an <%ae>|%cn|%s", "main")
    assert author == (
        "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>"
        "|github-actions[bot]|Fetch 2 new article(s)"
    )
    assert git(remote, "log", "-1", "--format=%s", "main~1") == "by hand"
    changed = git(remote, "show", "--name-only", "--format=", "main").splitlines()
    assert changed == ["content/2024-05-01-b.md", "content/outlet/2024-05-01-a.md"]
    assert git(remote, "show", "main:digest.toml") == 'title = "News"'

    # a second run with nothing new: no commit, no push, no failure
    outputs = run_commit_step(script, work, tmp_path / "out-2")
    assert outputs == {"pushed": "false", "sha": head}
    assert git(remote, "rev-parse", "main") == head
