"""Where per-article work runs: in this process, a local process pool, or a Dask cluster.

Every executor maps one pure function over a sequence of items and yields the
results in the items' order, so the build's output never depends on where (or
in how many places) the work ran. The pipeline picks one with `make_executor`:

- "process" (the default): this process for a few items, else a pool of worker
  processes on this machine, one per core unless `jobs` says otherwise;
- "dask": the workers of a Dask distributed cluster — the scheduler at
  `scheduler` ("tcp://host:8786"), or a `LocalCluster` of `jobs` workers
  started for this build when no scheduler is given. Dask is an optional
  dependency (`pip install 'digest-ssg[dask]'`), imported only here and only
  when asked for. Before any work is sent, each worker computes the analysis
  fingerprint (digest's version and analysis code, the libraries it calls,
  Python's version, the settings) and a worker whose fingerprint differs from
  this process's stops the build: it would analyse differently. Pages are
  checked the same way before workers render them (`digest.render_farm`).

Work that needs one large value on every worker (rendering needs the whole
site) asks for `share(value)`: a local pool's workers unpickle it once as they
start, a Dask cluster's get it scattered once.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import select
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, TypeVar

from digest.models import DigestError

T = TypeVar("T")
R = TypeVar("R")

EXECUTORS = ("process", "dask")

# Fewer items than this run in this process: starting workers costs more.
PARALLEL_MIN_ITEMS = 32

# Items per Dask task: one task per item costs the scheduler about a millisecond
# each, and results come back in order, batch by batch.
DASK_BATCH = 32


class Executor(Protocol):
    """Maps a pure function over items, results in the items' order."""

    def map(self, fn: Callable[..., R], *columns: Sequence[Any]) -> Iterator[R]: ...

    def check(self, probe: Callable[[], str], expected: str) -> None:
        """Raise DigestError when a worker's `probe()` differs from `expected`."""

    def share(self, shared: Any) -> Workers | None:
        """Workers holding `shared` once each, for tasks that all need it; None when
        the work would run in this process anyway (one worker)."""

    def close(self) -> None: ...


class Pending(Protocol):
    """A task handed to workers (a concurrent.futures or Dask future)."""

    def done(self) -> bool: ...

    def result(self) -> Any: ...


class Workers(Protocol):
    """Workers that each hold one `shared` value (see `Executor.share`)."""

    def submit(self, fn: Callable[..., Any], *args: Any) -> Pending:
        """`fn(shared, *args)` on a worker."""

    def close(self) -> None: ...


class ProcessExecutor:
    """This process for few items, else a process pool of `jobs` workers (default:
    one per core)."""

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = jobs

    def check(self, probe: Callable[[], str], expected: str) -> None:
        """Local workers run this installation: nothing to check."""

    def map(self, fn: Callable[..., R], *columns: Sequence[Any]) -> Iterator[R]:
        count = len(columns[0]) if columns else 0
        workers = min(self.jobs or os.cpu_count() or 1, max(1, count // 8))
        if workers < 2 or count < PARALLEL_MIN_ITEMS:
            return map(fn, *columns)
        chunk = max(1, count // (workers * 8))
        return _pool_map(worker_pool(workers), chunk, fn, columns)

    def share(self, shared: Any) -> Workers | None:
        workers = self.jobs or os.cpu_count() or 1
        return _PoolWorkers(workers, shared) if workers > 1 else None

    def close(self) -> None:
        """Each map's pool is shut down when the map is done: nothing to close."""


class _PoolWorkers:
    """A local pool whose workers each unpickle `shared` once, when they start."""

    def __init__(self, workers: int, shared: Any) -> None:
        # pickled once into a private temporary file, not into bytes the pool would
        # hold (and send to each worker) for its lifetime: at 20,000 articles the
        # site is a few hundred MB pickled
        handle, name = tempfile.mkstemp(prefix="digest-shared-", suffix=".pickle")
        self.path = Path(name)
        try:
            with os.fdopen(handle, "wb") as file:
                pickle.dump(shared, file, protocol=pickle.HIGHEST_PROTOCOL)
            self.pool = worker_pool(workers, str(self.path))
        except BaseException:
            self.path.unlink(missing_ok=True)
            raise

    def submit(self, fn: Callable[..., Any], *args: Any) -> Pending:
        return self.pool.submit(_with_shared, fn, *args)

    def close(self) -> None:
        try:
            self.pool.shutdown(wait=True, cancel_futures=True)
        finally:
            self.path.unlink(missing_ok=True)


# What `_PoolWorkers` gave this worker process (see `_start_worker`).
_SHARED: Any = None


def _with_shared(fn: Callable[..., R], *args: Any) -> R:
    return fn(_SHARED, *args)


def worker_pool(workers: int, shared: str | None = None) -> ProcessPoolExecutor:
    """A pool of `workers` processes for pure per-item work (analysis here, page
    extraction in `digest fetch`), each exiting when this process ends; each
    unpickles the file `shared` (if given) once, for `_with_shared` tasks."""
    # forkserver: workers never inherit threads of the caller (digest serve and
    # digest fetch have some)
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if context.get_start_method() == "forkserver":
        # imported once by the fork server (when it starts), so each worker starts
        # with it and reaches `_start_worker` at once, not after its imports
        context.set_forkserver_preload(["digest.executors"])
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start_worker,
        initargs=(os.getpid(), shared),
    )


def _start_worker(parent: int, shared: str | None = None) -> None:
    """A pool worker's first instruction: leave Ctrl-C to the build, and watch it.

    Ctrl-C is the main process's to handle (exit 130, "Interrupted."), instead of
    each worker printing a KeyboardInterrupt traceback. A build killed outright
    (SIGKILL, the OOM killer, a CI job cancelled) cannot shut its pool down, and
    the workers — waiting on a queue they hold both ends of — would sleep
    forever, each holding its memory, with the forkserver kept alive by them. So
    each worker watches the build process from its start (not from its first
    task: a build killed while its workers start has given them none) and exits
    with it.
    """
    global _SHARED
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    if shared is not None:
        with open(shared, "rb") as file:  # written by this build's own process
            _SHARED = pickle.load(file)


def _pool_map(
    pool: ProcessPoolExecutor, chunk: int, fn: Callable[..., R], columns: Sequence[Sequence[Any]]
) -> Iterator[R]:
    try:
        yield from pool.map(fn, *columns, chunksize=chunk)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)  # queued items are not started
        raise
    pool.shutdown()


def _exit_with(pid: int) -> None:
    """Wait for process `pid` to end, then end this one (a worker thread)."""
    try:
        handle = os.pidfd_open(pid)  # Linux 5.3+: readable once the process has ended
    except (AttributeError, OSError):
        handle = None
    if handle is not None:
        select.select([handle], [], [])
        os._exit(1)
    while True:  # elsewhere: ask every second (a recycled pid only delays the exit)
        time.sleep(1)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:
            pass


def _reachable(address: str, timeout: float) -> None:
    """Fail at once (OSError) when a tcp:// scheduler address refuses connections:
    Dask's client would retry until its timeout. Other schemes are left to Dask."""
    scheme, _, rest = address.partition("://")
    host, _, port = rest.rpartition(":")
    if scheme != "tcp" or not host or not port.isdigit():
        return
    with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
        pass


def _run_batch(fn: Callable[..., R], rows: list[tuple[Any, ...]]) -> list[R]:
    """One Dask task: `fn` over a batch of argument rows."""
    return [fn(*row) for row in rows]


class DaskExecutor:
    """The workers of a Dask distributed cluster: the scheduler at `scheduler`, or
    a LocalCluster of `jobs` single-threaded worker processes when it is None.
    `timeout`: seconds to wait for the scheduler."""

    def __init__(
        self, scheduler: str | None = None, jobs: int | None = None, timeout: float = 20
    ) -> None:
        try:
            import dask.distributed  # noqa: F401  (checked now, used when work arrives)
        except ImportError:
            raise DigestError(
                "the dask executor needs Dask: pip install 'digest-ssg[dask]'"
            ) from None
        self.scheduler = scheduler
        self.jobs = jobs
        self.timeout = timeout
        self.cluster: Any = None
        self._client: Any = None

    @property
    def client(self) -> Any:
        """The Dask client, connected (or its local cluster started) on first use: a
        build that finds everything in the cache never waits for a cluster."""
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> Any:
        from dask.distributed import Client, LocalCluster

        try:
            if self.scheduler:
                _reachable(self.scheduler, self.timeout)
                return Client(self.scheduler, timeout=self.timeout)  # type: ignore[no-untyped-call]
            self.cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=self.jobs or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            return Client(self.cluster)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as exc:
            self.close()
            where = self.scheduler or "a local cluster"
            raise DigestError(f"cannot reach the Dask scheduler at {where}: {exc}") from None

    def check(self, probe: Callable[[], str], expected: str) -> None:
        answers: dict[str, str] = self.client.run(probe)
        if not answers:
            raise DigestError("the Dask cluster has no workers")
        odd = sorted(worker for worker, answer in answers.items() if answer != expected)
        if odd:
            raise DigestError(
                f"{len(odd)} of {len(answers)} Dask worker(s) would analyse or render "
                f"differently from this machine (another digest-ssg, library or Python "
                f"version, first "
                f"{odd[0]}): install the same versions on every worker"
            )

    def map(self, fn: Callable[..., R], *columns: Sequence[Any]) -> Iterator[R]:
        rows = list(zip(*columns, strict=True))
        batches = [rows[i : i + DASK_BATCH] for i in range(0, len(rows), DASK_BATCH)]
        return self._in_order(fn, batches)

    def _in_order(self, fn: Callable[..., R], batches: list[list[tuple[Any, ...]]]) -> Iterator[R]:
        """Submit a window of batches ahead, yield their results in order: the
        cluster stays busy while memory holds only the window's results."""
        window = max(4, 4 * len(self.client.scheduler_info().get("workers", {})))
        futures: list[Any] = []
        submitted = 0
        try:
            for index in range(len(batches)):
                while submitted < len(batches) and submitted < index + window:
                    futures.append(
                        self.client.submit(_run_batch, fn, batches[submitted], pure=False)
                    )
                    submitted += 1
                yield from futures[index].result()
                futures[index] = None  # its results are out: let it go
        except BaseException:
            self.client.cancel([f for f in futures if f is not None])
            raise

    def share(self, shared: Any) -> Workers | None:
        return _DaskWorkers(self.client, shared)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class _DaskWorkers:
    """`shared` scattered to every worker of a Dask cluster once; tasks get it as
    their first argument."""

    def __init__(self, client: Any, shared: Any) -> None:
        self.client = client
        self.shared = client.scatter(shared, broadcast=True, hash=False)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Pending:
        future: Pending = self.client.submit(fn, self.shared, *args, pure=False)
        return future

    def close(self) -> None:
        self.client.cancel([self.shared])


def make_executor(
    name: str = "process",
    scheduler: str | None = None,
    jobs: int | None = None,
    timeout: float = 20,
) -> Executor:
    """An executor's name ("process" or "dask"), a Dask scheduler address and a worker
    count (and seconds to wait for the scheduler) -> the executor. DigestError for an
    unknown name or an unreachable cluster."""
    if name == "process":
        if scheduler:
            raise DigestError("a scheduler address needs --executor dask")
        return ProcessExecutor(jobs)
    if name == "dask":
        return DaskExecutor(scheduler, jobs, timeout)
    raise DigestError(f"unknown executor '{name}' (choose from: {', '.join(EXECUTORS)})")
