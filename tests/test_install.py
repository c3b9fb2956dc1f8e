"""README's install command, run as written on a Python that refuses to install outside a
virtual environment; and the distribution's own name (`digest-ssg`, not PyPI's "digest").

The install test copies the repository (no .git, .venv or build output) into a temporary
folder and runs the first command of README's "Two commands" in it with bash, with only
a base interpreter named `python3` first on PATH. That interpreter is the system's
`/usr/bin/python3` when it is a PEP 668 "externally managed" Python 3.11+ with `venv`
and pip (Debian 12 with python3-venv, like the machines this project is tested on),
else the base interpreter of the one running the tests; in both cases
PIP_REQUIRE_VIRTUALENV=1 makes any pip outside a virtual environment refuse, and the
test checks that the guard refuses. It needs the package index tests/run.sh installs
from (about a minute). It cannot take python3-venv off the machine: that a fresh
Debian 12 needs it is README's word, checked with dpkg, not here.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from digest import DISTRIBUTION, __version__
from digest.cli import main
from digest.scaffold import PLACEHOLDER_REQUIREMENT, scaffold_files
from tests.conftest import REPO

SKIP_IN_COPY = {
    ".git",
    ".venv",
    "site",
    ".digest-cache",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    "build",
    "dist",
}


def readme_commands() -> list[str]:
    """README.md's "Two commands" section -> the text of its sh code blocks, in order."""
    text = (REPO / "README.md").read_text("utf-8")
    section = text.split("\n## Two commands\n", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.S)]


def externally_managed(python: Path) -> bool:
    """Whether `python` is a Python 3.11+ that carries PEP 668's marker and has venv with
    pip (ensurepip)."""
    probe = (
        "import sys, sysconfig, os, importlib.util;"
        "marker = os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED');"
        "ok = sys.version_info >= (3, 11) and os.path.isfile(marker)"
        " and importlib.util.find_spec('ensurepip') is not None;"
        "sys.exit(0 if ok else 1)"
    )
    if not python.is_file():
        return False
    return subprocess.run([python, "-I", "-c", probe], check=False).returncode == 0


def base_python() -> Path:
    """The interpreter README's `python3` stands for here: a PEP 668 system Python when
    there is one, else the (non-venv) base of the running interpreter."""
    system = Path("/usr/bin/python3")
    if externally_managed(system):
        return system
    return Path(getattr(sys, "_base_executable", sys.executable))


def clean_env(bin_dir: Path) -> dict[str, str]:
    """The environment of a fresh shell: no venv or PYTHONPATH of ours, `python3` is ours."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP"}
    }
    env["PATH"] = os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"])
    env["PIP_REQUIRE_VIRTUALENV"] = "1"  # pip outside a virtual environment refuses
    return env


def test_readme_has_two_commands_and_the_first_makes_a_venv() -> None:
    install, tests = readme_commands()
    assert install.startswith("python3 -m venv .venv || ")
    assert install.endswith(" && .venv/bin/pip install . && .venv/bin/digest build")
    assert tests == "bash tests/run.sh"


def test_readme_install_command_works_where_pip_outside_a_venv_refuses(
    tmp_path: Path,
) -> None:
    install = readme_commands()[0]
    repo = tmp_path / "clone"
    shutil.copytree(REPO, repo, ignore=lambda _dir, names: SKIP_IN_COPY & set(names))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(base_python())
    env = clean_env(bin_dir)

    # the guard is on: installing into the base interpreter itself is refused
    refused = subprocess.run(
        ["python3", "-m", "pip", "install", "--no-deps", "--no-index", "."],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode != 0
    # (a system Python without its pip package cannot install at all: refused as well)
    output = refused.stdout + refused.stderr
    assert re.search(r"virtualenv|externally-managed|No module named pip", output), output

    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", install],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (repo / "site" / "index.html").is_file()
    assert (repo / "site" / "digest.json").is_file()

    # the build ran the digest installed in .venv (not the copy's source folder)
    venv_python = repo / ".venv" / "bin" / "python"
    where = subprocess.run(
        [
            venv_python,
            "-I",
            "-c",
            f"import digest, importlib.metadata as m; "
            f"print(digest.__file__); print(m.version({DISTRIBUTION!r}))",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert Path(where[0]).is_relative_to(repo / ".venv")
    assert where[1] == __version__
    version = subprocess.run(
        [repo / ".venv" / "bin" / "digest", "--version"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == f"digest ({DISTRIBUTION}) {__version__}"


def test_version_names_the_distribution() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"digest (digest-ssg) {__version__}\n"


def test_installed_metadata_is_found_under_the_distribution_name() -> None:
    dist = importlib.metadata.distribution(DISTRIBUTION)
    assert dist.metadata["Name"] == "digest-ssg"
    assert dist.version == __version__  # pyproject.toml takes it from digest/__init__.py
    scripts = {ep.name: ep.value for ep in dist.entry_points if ep.group == "console_scripts"}
    assert scripts == {"digest": "digest.cli:main"}


def test_pyproject_names_the_distribution() -> None:
    text = (REPO / "pyproject.toml").read_text("utf-8")
    assert re.search(r'(?m)^name = "digest-ssg"$', text)


def test_scaffold_installs_the_distribution_not_pypis_digest() -> None:
    workflow = scaffold_files(None)[".github/workflows/pages.yml"]
    assert PLACEHOLDER_REQUIREMENT.startswith("digest-ssg @ ")
    assert f'DIGEST_REQUIREMENT: "{PLACEHOLDER_REQUIREMENT}"' in workflow
    assert not re.search(r"pip install (-U )?digest\b(?!-)", workflow)


def test_fetch_user_agent_names_the_distribution() -> None:
    from digest.fetch.http import ROBOTS_AGENT, USER_AGENT

    assert re.fullmatch(rf"digest-ssg/{re.escape(__version__)} \(\+https://\S+\)", USER_AGENT)
    assert ROBOTS_AGENT == "digest-ssg"


DEBIAN_PYTHON_STUB = """#!/bin/sh
# python3 of a fresh Debian: venv cannot make pip until python3-venv is installed
for last; do :; done
if [ "$1 $2" = "-m venv" ] && [ ! -e "$STUBS/python3-venv-installed" ]; then
  mkdir -p "$last"
  echo "The virtual environment was not created successfully because ensurepip is not"
  echo "available.  On Debian/Ubuntu systems, you need to install the python3-venv"
  echo "package using the following command."
  exit 1
fi
echo "python3 $*" >> "$STUBS/calls"
if [ "$1 $2" = "-m venv" ]; then mkdir -p "$last/bin"; fi
"""

APT_STUB = """#!/bin/sh
echo "apt-get $* (uid $ROLE)" >> "$STUBS/calls"
case "$*" in *"install"*"python3-venv"*) touch "$STUBS/python3-venv-installed";; esac
"""

SUDO_STUB = """#!/bin/sh
ROLE=root exec "$@"
"""


def _run_install_with_stubs(tmp_path: Path, *, with_sudo: bool) -> list[str]:
    """README's first command up to the venv, on stubs of a fresh Debian's python3,
    apt-get and (optionally) sudo -> the calls they saw, in order."""
    install = readme_commands()[0].split(" && .venv/bin/pip install")[0]
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    for name, text in [("python3", DEBIAN_PYTHON_STUB), ("apt-get", APT_STUB)] + (
        [("sudo", SUDO_STUB)] if with_sudo else []
    ):
        (stubs / name).write_text(text, "utf-8")
        (stubs / name).chmod(0o755)
    tools = tmp_path / "tools"  # PATH holds the stubs and these only: no real sudo
    tools.mkdir()
    for tool in ("mkdir", "touch"):
        found = shutil.which(tool)
        assert found, tool
        (tools / tool).symlink_to(found)
    env = {"PATH": f"{stubs}:{tools}", "STUBS": str(stubs), "ROLE": "user"}
    bash = shutil.which("bash")
    assert bash
    done = subprocess.run(
        [bash, "-euo", "pipefail", "-c", install],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ensurepip is not" in done.stdout  # Python's own word reaches the reader
    return (stubs / "calls").read_text("utf-8").splitlines()


def test_install_command_installs_python3_venv_through_sudo_on_a_fresh_debian(
    tmp_path: Path,
) -> None:
    calls = _run_install_with_stubs(tmp_path, with_sudo=True)
    assert calls == [
        "apt-get update -q (uid root)",
        "apt-get install -y -q python3-venv (uid root)",
        "python3 -m venv --clear .venv",
    ]


def test_install_command_runs_apt_get_itself_as_root_without_sudo(tmp_path: Path) -> None:
    # a container: root, no sudo installed (the stub apt-get sees no sudo in between)
    calls = _run_install_with_stubs(tmp_path, with_sudo=False)
    assert calls == [
        "apt-get update -q (uid user)",
        "apt-get install -y -q python3-venv (uid user)",
        "python3 -m venv --clear .venv",
    ]
