"""What a rebuild imports: the no-op rebuild stops before the stages, so it must not
pay for their libraries; and the light stand-ins the no-op path uses agree with
what they stand in for."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from digest import cache, languages, state
from digest.extract import language_of
from digest.load import document, reader
from tests.conftest import REPO, SEEDS, build_project

# The libraries and modules of the stages after the no-op check
HEAVY = (
    "jinja2",
    "babel",
    "numpy",
    "scipy",
    "lxml",
    "yaml",
    "dateutil",
    "ftfy",
    "segtok",
    "yake",
    "trafilatura",
    "wordfreq",
    "markdown",
    "importlib.metadata",
    "digest.analyse",
    "digest.extract",
    "digest.keywords",
    "digest.cluster",
    "digest.stories",
    "digest.topics",
    "digest.render",
    "digest.serve",
    "digest.deploy",
    "digest.scaffold",
)

# `digest build` as the command line runs it, then the modules it imported
PROBE = """
import json, sys
from digest.cli import main
try:
    main(["build", "--quiet"], prog_name="digest")
except SystemExit as exc:
    assert not exc.code, exc.code
print(json.dumps(sorted(sys.modules)))
"""


def test_a_no_op_rebuild_imports_none_of_the_stages(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(SEEDS, project / "content")
    (project / "digest.toml").write_text("search = false\n", "utf-8")
    build_project(project)  # the first build: everything runs
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=project, env=env, capture_output=True, text=True
    )
    assert probe.returncode == 0, probe.stderr
    modules = set(json.loads(probe.stdout.splitlines()[-1]))
    assert "digest.pipeline" in modules and "digest.state" in modules  # the probe ran a build
    loaded = [name for name in HEAVY if name in modules]
    assert loaded == [], f"a no-op rebuild imported {loaded}"


def test_a_rebuild_that_analyses_nothing_imports_no_analysis(tmp_path: Path) -> None:
    """A change that leaves every article as it was (here the title) renders
    again, but analyses nothing: the per-article libraries stay unloaded."""
    project = tmp_path / "project"
    shutil.copytree(SEEDS, project / "content")
    (project / "digest.toml").write_text("search = false\n", "utf-8")
    build_project(project)
    (project / "digest.toml").write_text('search = false\ntitle = "Another"\n', "utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=project, env=env, capture_output=True, text=True
    )
    assert probe.returncode == 0, probe.stderr
    modules = set(json.loads(probe.stdout.splitlines()[-1]))
    assert "digest.render" in modules  # it did build
    analysis = ["digest.analyse", "digest.extract", "yake", "trafilatura", "lxml", "yaml"]
    analysis += ["wordfreq", "langcodes", "ftfy"]  # its word lists are read without it
    assert [name for name in analysis if name in modules] == []


@pytest.mark.parametrize(
    "name", [*cache.LIBRARIES, *state.SITE_LIBRARIES, "PyYAML", "Jinja2", "no-such-dist"]
)
def test_installed_versions_are_importlib_metadatas(name: str) -> None:
    try:
        expected = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        expected = "none"
    assert cache.installed_version(name) == expected


@pytest.mark.parametrize(
    "tag", ["en", "fr", "pt-BR", "FR", "zh_Hant", "deu", "e", "english", " en", "é", "12", ""]
)
def test_the_caches_language_check_is_extracts(tag: str) -> None:
    """A stored language passes the cache's check exactly when `language_of`
    could have given it."""
    passes = cache._LANGUAGE.fullmatch(tag) is not None
    assert passes == (language_of(tag) == tag)


def test_the_content_folder_lists_the_suffixes_the_readers_read() -> None:
    assert reader.SUFFIXES == document.SUFFIXES


@pytest.mark.parametrize("lang", ["en", "fr", "zh", "nb", "xx", "EN"])
def test_common_words_are_wordfreqs(lang: str) -> None:
    """Read from wordfreq's data file without importing it, the word list is
    the one wordfreq gives, word for word, in its order."""
    import math

    import wordfreq

    expected = {}
    if lang in wordfreq.available_languages("small"):
        freqs = wordfreq.get_frequency_dict(lang, "small")
        expected = {w: round(math.log10(f) + 9.0, 3) for w, f in freqs.items() if f >= 1e-6}
    found = languages.common_words.__wrapped__(lang)
    assert list(found.items()) == list(expected.items())
    assert (languages._small_list(lang) is not None) == (lang in ("en", "fr", "zh", "nb"))
