"""Per-article work in worker processes, local or on a Dask cluster, gives the same site
as one process."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from dask.distributed import get_task_stream

from digest import render_farm
from digest.cli import main
from digest.config import Config
from digest.executors import DASK_BATCH, PARALLEL_MIN_ITEMS, DaskExecutor, make_executor
from digest.models import DigestError
from digest.pipeline import build
from tests.conftest import wait_for
from tests.test_golden import tree

TOPICS = [
    ("flood", "Heavy rain flooded the river town of {p}. Rescue crews evacuated residents."),
    ("chess", "The chess champion from {p} won the final game of the tournament."),
    ("budget", "The finance minister of {p} presented a budget with new taxes on fuel."),
    ("storm", "A storm hit the coast near {p}, cutting power to thousands of homes."),
]
PLACES = ["Bexley", "Oslo", "Lagos", "Quito", "Hanoi", "Perth", "Tartu", "Cork", "Bergen"]


def write_corpus(folder: Path, count: int) -> None:
    rng = random.Random(7)
    folder.mkdir()
    for i in range(count):
        name, sentence = TOPICS[i % len(TOPICS)]
        place = rng.choice(PLACES)
        body = " ".join(sentence.format(p=rng.choice(PLACES)) for _ in range(4))
        (folder / f"{name}-{i:03d}.md").write_text(
            f"---\ntitle: {name.title()} news from {place} {i}\ndate: 2024-03-0{1 + i % 5}\n"
            f"---\n{body}\nOfficials in {place} said more details would follow.\n",
            encoding="utf-8",
        )


def test_parallel_build_equals_serial_build(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_corpus(content, PARALLEL_MIN_ITEMS + 8)
    outputs = {}
    for jobs in (1, 2):
        out = tmp_path / f"site-{jobs}"
        config = Config(content=str(content), output=str(out), search=False)
        report = build(config, tmp_path, cache=False, jobs=jobs)
        assert report.articles == PARALLEL_MIN_ITEMS + 8
        outputs[jobs] = tree(out)
    assert outputs[1] == outputs[2]


def test_dask_executor_builds_the_same_site_as_local_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render_farm, "RENDER_HERE", 16)  # the site has ~90 pages
    content = tmp_path / "content"
    write_corpus(content, PARALLEL_MIN_ITEMS + 8)
    local = tmp_path / "site-local"
    build(Config(content=str(content), output=str(local), search=False), tmp_path, cache=False)
    remote = tmp_path / "site-dask"
    config = Config(content=str(content), output=str(remote), search=False)
    with DaskExecutor(jobs=2) as executor:  # a LocalCluster of two worker processes
        workers = executor.client.scheduler_info()["workers"]
        assert len(workers) == 2
        with get_task_stream(executor.client) as stream:  # what ran on the workers
            report = build(config, tmp_path, cache=False, executor=executor)
    assert report.articles == PARALLEL_MIN_ITEMS + 8
    batches = [task for task in stream.data if str(task["key"]).startswith("_run_batch-")]
    assert len(batches) == -(-(PARALLEL_MIN_ITEMS + 8) // DASK_BATCH)
    assert {task["worker"] for task in batches} <= set(workers)
    # pages past the first few are rendered on the cluster too (digest.render_farm)
    pages = [task for task in stream.data if str(task["key"]).startswith("render_batch-")]
    assert pages and {task["worker"] for task in pages} <= set(workers)
    assert tree(remote) == tree(local)


def test_dask_worker_that_would_analyse_differently_stops_the_build() -> None:
    with DaskExecutor(jobs=1) as executor:
        executor.check(lambda: "same", "same")  # agreeing workers pass
        with pytest.raises(DigestError, match=r"1 of 1 Dask worker\(s\) would analyse"):
            executor.check(lambda: "digest 0.0.1", "digest 0.1.0")


def test_unreachable_scheduler_is_a_clear_error() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DigestError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1"):
        make_executor("dask", f"tcp://127.0.0.1:{port}", timeout=2).check(str, "")


def test_unknown_executor_and_stray_scheduler_are_refused() -> None:
    with pytest.raises(DigestError, match="unknown executor 'spark'"):
        make_executor("spark")
    with pytest.raises(DigestError, match="needs --executor dask"):
        make_executor("process", "tcp://127.0.0.1:8786")


def test_cli_builds_on_a_local_dask_cluster(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_corpus(content, 6)
    out = tmp_path / "site"
    args = ["build", "--content", str(content), "--output", str(out), "--no-cache"]
    result = CliRunner().invoke(main, [*args, "--executor", "dask", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "Built " in result.output and "from 6 articles" in result.output
    plain = tmp_path / "plain"
    result = CliRunner().invoke(
        main, ["build", "--content", str(content), "--output", str(plain), "--no-cache"]
    )
    assert result.exit_code == 0, result.output
    assert tree(out) == tree(plain)


def test_scheduler_from_the_environment_means_dask(tmp_path: Path) -> None:
    content = tmp_path / "content"
    write_corpus(content, 2)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(
        main,
        ["build", "--content", str(content), "--output", str(tmp_path / "site"), "--no-cache"],
        env={"DIGEST_SCHEDULER": f"tcp://127.0.0.1:{port}"},
    )
    assert result.exit_code == 1
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in result.output
    assert not (tmp_path / "site").exists()


def _marked(mark: str) -> list[int]:
    """Pids of the processes whose environment carries DIGEST_TEST_MARK=mark."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # not a process, or one that has just ended
            continue
        if f"DIGEST_TEST_MARK={mark}".encode() in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux's /proc")
def test_workers_of_a_killed_build_exit_with_it(tmp_path: Path) -> None:
    # SIGKILL leaves a process pool no chance to shut down: the workers must notice
    content = tmp_path / "content"
    write_corpus(content, 600)
    mark = uuid.uuid4().hex
    env = {**os.environ, "DIGEST_TEST_MARK": mark}
    build_cmd = [sys.executable, "-m", "digest", "build", "--no-cache", "-q", "-j", "2"]
    proc = subprocess.Popen(build_cmd, cwd=tmp_path, env=env)
    try:
        # the build, its forkserver and two workers (and multiprocessing's resource tracker)
        assert wait_for(lambda: len(_marked(mark)) >= 4, 120), _marked(mark)
        assert proc.poll() is None, "the build ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert wait_for(lambda: not _marked(mark), 30), f"left running: {_marked(mark)}"
    finally:
        for pid in _marked(mark):
            os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
