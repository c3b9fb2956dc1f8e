"""Pages rendered by worker processes are the pages one process renders, in the same
order; a template error in a worker's page stops the build as it would here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from digest import render_farm
from digest.config import Config
from digest.executors import ProcessExecutor, Workers, _PoolWorkers
from digest.models import DigestError, Site
from digest.pipeline import build
from digest.render import render_pages
from tests.test_parallel import write_corpus

# enough articles that most pages are past the ones a build renders itself
ARTICLES = 100


@pytest.fixture(autouse=True)
def few_pages_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers take over after 64 pages, not 1,000: these digests have ~200."""
    monkeypatch.setattr(render_farm, "RENDER_HERE", 64)
    monkeypatch.setattr(render_farm, "BATCH", 16)


class Counting:
    """A local pool of two that counts the jobs its workers were given."""

    def __init__(self) -> None:
        self.inner = ProcessExecutor(2)
        self.handed = 0
        self.checked = 0
        self.shared_files: list[Path] = []  # where each pool's site was pickled

    def map(self, fn: Any, *columns: Any) -> Any:
        return self.inner.map(fn, *columns)

    def close(self) -> None:
        self.inner.close()

    def check(self, probe: Any, expected: str) -> None:
        self.checked += 1
        assert probe() == expected

    def share(self, shared: Any) -> Workers | None:
        shared_by = self.inner.share(shared)
        assert isinstance(shared_by, _PoolWorkers)
        self.shared_files.append(shared_by.path)
        workers: Workers = shared_by
        outer = self

        class Counted:
            def submit(self, fn: Any, *args: Any) -> Any:
                outer.handed += len(args[0])
                return workers.submit(fn, *args)

            def close(self) -> None:
                workers.close()

        return Counted()


def _site(tmp_path: Path, **settings: Any) -> tuple[Site, Config]:
    content = tmp_path / "content"
    write_corpus(content, ARTICLES)
    config = Config(content=str(content), output=str(tmp_path / "site"), search=False, **settings)
    sites: list[Site] = []
    from digest import pipeline

    assemble = pipeline.assemble_site

    def keep(*args: Any, **kwargs: Any) -> Site:
        site = assemble(*args, **kwargs)
        sites.append(site)
        return site

    pipeline.assemble_site = keep
    try:
        build(config, tmp_path, cache=False, jobs=1)
    finally:
        pipeline.assemble_site = assemble
    return sites[0], config


def _templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    builtin = (Path(__file__).resolve().parents[1] / "templates" / "story.html").read_text("utf-8")
    (folder / "story.html").write_text(
        builtin.replace("{% block main %}", "{% block main %}<p>Édition spéciale</p>", 1),
        encoding="utf-8",
    )
    return folder


def test_workers_render_the_same_files_in_the_same_order(tmp_path: Path) -> None:
    # excerpts cut articles before rendering, and a project's own story template:
    # both must reach the workers as they are here
    site, config = _site(tmp_path, article_text="excerpt")
    templates = _templates(tmp_path)
    here = list(render_pages(site, config, templates))
    counting = Counting()
    there = list(render_pages(site, config, templates, executor=counting))
    # the site pickled for the workers is gone once they are (asked by path: other
    # test processes may be rendering beside this one)
    assert counting.shared_files
    assert not any(path.exists() for path in counting.shared_files)
    assert [path for path, _ in there] == [path for path, _ in here]
    assert there == here
    assert counting.checked == 1  # workers were asked to render as this process does
    stories = [p for p, _ in here if p.startswith("stories/") and p.endswith(".html")]
    assert counting.handed > 0.5 * len(here) - render_farm.RENDER_HERE
    special = "Édition spéciale".encode()
    assert stories and all(special in _bytes(dict(here)[p]) for p in stories)


def test_a_few_pages_are_rendered_without_workers(tmp_path: Path) -> None:
    site, config = _site(tmp_path)
    counting = Counting()
    pages = render_pages(site, config, None, executor=counting)
    first = [next(pages) for _ in range(render_farm.RENDER_HERE)]
    assert len(first) == render_farm.RENDER_HERE
    assert counting.handed == 0 and counting.checked == 0
    del pages  # closes the generator (and any workers)


def test_a_template_error_on_a_workers_page_stops_as_it_would_here(tmp_path: Path) -> None:
    site, config = _site(tmp_path)
    order = [path for path, _ in render_pages(site, config)]
    # keyword pages come after the story and article pages: past those rendered here
    first = next(n for n, path in enumerate(order) if path.startswith("keywords/"))
    assert first > render_farm.RENDER_HERE + render_farm.BATCH
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "keyword.html").write_text(
        '{% extends "base.html" %}{% block main %}{{ key.no_such_field }}{% endblock %}\n',
        encoding="utf-8",
    )
    messages = []
    for executor in (None, Counting()):
        with pytest.raises(DigestError) as caught:
            list(render_pages(site, config, folder, executor=executor))
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert "keyword.html" in messages[0] and "no_such_field" in messages[0]


def test_too_large_a_templates_folder_is_rendered_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site, config = _site(tmp_path)
    templates = _templates(tmp_path)
    monkeypatch.setattr(render_farm, "MAX_SHIPPED_TEMPLATES", 100)
    counting = Counting()
    assert list(render_pages(site, config, templates, executor=counting)) == list(
        render_pages(site, config, templates)
    )
    assert counting.handed == 0


def test_jobs_carry_records_by_reference() -> None:
    site_records = _records()
    values = {"story": site_records["s"], "stories": [site_records["s"]], "title": "T"}
    packed = render_farm.packed(values)
    assert packed["story"] == render_farm._Ref("stories", "s1")
    tables: dict[str, dict[str, Any]] = {"stories": {"s1": site_records["s"]}}
    assert render_farm.unpacked(packed, tables) == values


def _bytes(data: bytes | Path) -> bytes:
    assert isinstance(data, bytes)
    return data


def _records() -> dict[str, Any]:
    from digest.models import Story

    fields = {name: () for name in Story.__dataclass_fields__}
    story = Story(**{**fields, "id": "s1", "title": "A story"})  # type: ignore[arg-type]
    return {"s": story}
