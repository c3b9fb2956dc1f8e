"""Pages rendered by workers: the build hands out jobs and takes the pages back in order.

A page is a pure function of the site as it is shown (a `Scene`: the site, the
settings, the project's templates) and of the page's own values (a `Job`). The
first RENDER_HERE pages a build renders are rendered in its own process, so a
rebuild that renders a few hundred changed pages starts no worker. Past that, the
executor (`digest.executors`: a local process pool or a Dask cluster) is given
the scene once per worker, and jobs go to it in batches of BATCH; `in_order`
gives the pages back in the order they were handed out, holding at most a
window of them. Where a page was rendered never changes its bytes.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from digest.config import Config
from digest.models import Article, Site, Story, Topic
from digest.page_inputs import rendering_hash

if TYPE_CHECKING:
    from digest.executors import Executor, Pending, Workers

# Pages rendered in the build's own process before workers are asked for. One
# process renders about 1,000 pages a second (1,000 BBC articles: 3,238 pages in
# 3 s); a worker takes about a second to start (imports, the site unpickled, the
# templates compiled), so on 2 cores a pool pays for itself from about 2,000
# pages: a rebuild that renders fewer never starts one.
RENDER_HERE = 1000
# Pages per task handed to a worker (a Dask task costs about a millisecond).
BATCH = 32
# Pages held back at most (rendered or handed out) while earlier ones are awaited.
WINDOW = 256
# A project's templates folder larger than this is not copied to workers: its
# pages are rendered in the build's process.
MAX_SHIPPED_TEMPLATES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Job:
    """One page to render: the template's name and every value it is given besides
    `site`, `ctx` and `config`."""

    path: str
    template: str
    values: dict[str, Any]


@dataclass(frozen=True)
class Scene:
    """What every page of a build is rendered from, sent once to each worker."""

    site: Site  # as shown: excerpt articles already cut (`digest.excerpts`)
    excerpts: frozenset[str]
    config: Config
    # the project's templates as (name, file name, bytes): workers elsewhere have
    # no copy of the folder; decoded where Jinja reads them, as its loader would
    templates: tuple[tuple[str, str, bytes], ...]
    token: str = field(default_factory=lambda: uuid.uuid4().hex)  # names it in a worker


def project_templates(folder: Path | None) -> tuple[tuple[str, str, bytes], ...] | None:
    """A project's templates folder -> its files as a `Scene` carries them; None when
    it is too large to copy (or unreadable): its pages render in this process."""
    if folder is None or not folder.is_dir():
        return ()
    shipped = []
    total = 0
    try:
        for path in sorted(folder.rglob("*")):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            total += path.stat().st_size
            if total > MAX_SHIPPED_TEMPLATES:
                return None
            # the name and file name Jinja's FileSystemLoader would give it
            name = path.relative_to(folder).as_posix()
            shipped.append((name, str(folder / name), path.read_bytes()))
    except OSError:
        return None
    return tuple(shipped)


class _Handed:
    """A page handed to workers, in the batch `batch` at `index`."""

    __slots__ = ("batch", "index")

    def __init__(self, batch: _Batch, index: int) -> None:
        self.batch = batch
        self.index = index


class _Batch:
    __slots__ = ("jobs", "pages", "pending")

    def __init__(self) -> None:
        self.jobs: list[Job] = []
        self.pending: Pending | None = None
        self.pages: list[bytes] | None = None


class Farm:
    """Renders jobs here or hands them to workers (see the module's docstring).

    `here` renders a job in this process; `scene` makes the Scene, called once,
    when workers are first needed (None: never hand pages out).
    """

    def __init__(
        self,
        executor: Executor | None,
        here: Callable[[Job], bytes],
        scene: Callable[[], Scene | None],
    ) -> None:
        self.executor = executor
        self.here = here
        self.scene = scene
        self.workers: Workers | None = None
        self.local = executor is None
        self.count = 0
        self.filling = _Batch()

    def render(self, job: Job) -> bytes | _Handed:
        """A job -> its page, or a handle to it when a worker renders it."""
        self.count += 1
        if self.local or self.count <= RENDER_HERE or not self._started():
            return self.here(job)
        batch = self.filling
        batch.jobs.append(job)
        if len(batch.jobs) >= BATCH:
            self._send()
        return _Handed(batch, len(batch.jobs) - 1)

    def _started(self) -> bool:
        if self.workers is None and not self.local:
            scene = self.scene()
            if scene is None or self.executor is None:
                self.local = True
                return False
            # a worker elsewhere with other code, libraries or templates would
            # render other bytes: the build stops rather than mix them
            self.executor.check(rendering_hash, rendering_hash())
            shared = self.executor.share(scene)
            if shared is None:
                self.local = True
                return False
            self.workers = shared
        return True

    def _send(self) -> None:
        batch = self.filling
        if batch.jobs and self.workers is not None:
            jobs = [Job(j.path, j.template, packed(j.values)) for j in batch.jobs]
            batch.pending = self.workers.submit(render_batch, jobs)
            self.filling = _Batch()

    def page(self, handed: _Handed) -> bytes:
        """The page of a handed-out job, waiting for it."""
        batch = handed.batch
        if batch.pages is None:
            if batch.pending is None:
                self._send()
            assert batch.pending is not None
            batch.pages = batch.pending.result()
            batch.pending = None
        return batch.pages[handed.index]

    def in_order(self, stream: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, Any]]:
        """(path, page or handle) in order -> (path, page) in the same order, waiting
        for a handed-out page only when WINDOW pages are held back or the stream ends."""
        held: deque[tuple[str, Any]] = deque()
        try:
            for item in stream:
                held.append(item)
                while held and (len(held) > WINDOW or not self._waiting(held[0][1])):
                    path, data = held.popleft()
                    yield path, self.page(data) if isinstance(data, _Handed) else data
            self._send()
            while held:
                path, data = held.popleft()
                yield path, self.page(data) if isinstance(data, _Handed) else data
        finally:
            self.close()

    def _waiting(self, data: Any) -> bool:
        """Whether `data` is a handed-out page not rendered yet."""
        if not isinstance(data, _Handed):
            return False
        batch = data.batch
        return batch.pages is None and (batch.pending is None or not batch.pending.done())

    def close(self) -> None:
        if self.workers is not None:
            self.workers.close()
            self.workers = None


@dataclass(frozen=True)
class _Ref:
    """A story, article or topic of the scene's site, by id: a worker has them all,
    so a job carries only which one (pickling the records themselves made a
    thousand jobs 18 MB, and unpickling them cost a worker more than rendering)."""

    table: str  # "stories", "articles" or "topics"
    id: str


def packed(values: dict[str, Any]) -> dict[str, Any]:
    """A job's values with its site's records (alone or in lists) as references."""
    return {key: _packed(value) for key, value in values.items()}


def _packed(value: Any) -> Any:
    if isinstance(value, Story):
        return _Ref("stories", value.id)
    if isinstance(value, Article):
        return _Ref("articles", value.id)
    if isinstance(value, Topic):
        return _Ref("topics", value.id)
    if isinstance(value, list) and value and isinstance(value[0], Story | Article | Topic):
        return [_packed(item) for item in value]
    return value


def unpacked(values: dict[str, Any], tables: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`packed` values -> the values, each reference looked up in `tables`."""

    def look(value: Any) -> Any:
        if isinstance(value, _Ref):
            return tables[value.table][value.id]
        if isinstance(value, list) and value and isinstance(value[0], _Ref):
            return [look(item) for item in value]
        return value

    return {key: look(value) for key, value in values.items()}


# A worker's environment and site context for the scene it was last given.
_STAGED: tuple[str, Callable[[Job], bytes]] | None = None


def render_batch(scene: Scene, jobs: list[Job]) -> list[bytes]:
    """A scene and jobs -> their pages (in a worker)."""
    global _STAGED
    if _STAGED is None or _STAGED[0] != scene.token:
        from digest.render import page_renderer  # jinja2, babel: only a worker that renders

        _STAGED = (scene.token, page_renderer(scene))
    render = _STAGED[1]
    return [render(job) for job in jobs]
