"""Speed benchmark: digest beside Pelican and Hugo on the same real articles.

Run from the repository root::

    python -m benchmarks.speed                      # 1,000, 5,000 and 20,000 articles
    python -m benchmarks.speed --sizes 1000 --json speed.json
    python -m benchmarks.speed --sizes 100000       # the 100,000-article corpus

For each size it writes a corpus of Markdown articles into a temporary folder:
the BBC News texts of `../shared/eval/bbc_news.jsonl` (exact-duplicate bodies
dropped), each with a title and a publication time spread evenly over a year;
sizes beyond the 2,092 distinct texts repeat them with their paragraphs in
another order and the repeat number in the title, dated weeks apart, so a
repeat is a new article rather than a copy of a recent one. Every run is a
fresh process:

- digest: cold build (no output, no cache), no-op rebuild, rebuild after adding
  one article, after adding a day of news (1 % more articles, dated after the
  others), after editing one article and after deleting one, and peak RSS of
  the cold build (of the largest process: digest itself, a worker or
  Pagefind), with the time of each stage of each run;
- with `--dask`, a second cold build on a Dask `LocalCluster` (`--executor
  dask`, as many workers as the process pool) into another folder, its time
  and whether every byte matches the process pool's site;
- Pelican 4.12 (installed into a virtual environment of the benchmark's own, in
  the temporary folder; default theme, no feeds): cold build of the same files;
- Hugo (Debian's `hugo`, with a minimal list and single-page layout): cold build.

It prints one table of seconds and ratios. The texts are evaluation data: they
only ever live in the temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# the eval data beside the repository; DIGEST_EVAL_DIR points elsewhere (a git worktree)
EVAL = Path(os.environ.get("DIGEST_EVAL_DIR") or REPO.parent / "shared" / "eval")
PELICAN_VERSION = "4.12.0"
START = datetime(2024, 1, 1)


@dataclass
class Row:
    size: int
    digest_cold: float
    digest_noop: float
    digest_add_one: float
    digest_add_day: float
    digest_edit_one: float
    digest_delete_one: float
    digest_peak_rss_mb: float
    pelican_cold: float | None
    hugo_cold: float | None
    # cold build with `--executor dask` on a LocalCluster of as many workers (--dask)
    dask_cold: float | None = None
    dask_identical: bool | None = None
    # where the time went, per run: stage -> seconds, as `digest build -v` reports
    stages: dict[str, dict[str, float]] = field(default_factory=dict)

    def ratio(self, ours: float, theirs: float | None) -> str:
        return f"{ours / theirs:.2f}x" if theirs else "n/a"


def bbc_texts() -> list[tuple[str, str]]:
    path = EVAL / "bbc_news.jsonl"
    if not path.is_file():
        sys.exit(f"{path} not found: the benchmark reads its texts from ../shared/eval")
    seen: set[str] = set()
    out = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row["text"] in seen:
                continue
            seen.add(row["text"])
            out.append((row["title"], row["text"]))
    return out


def corpus(size: int) -> list[tuple[str, str, datetime]]:
    """`size` articles: (title, body, time), deterministic."""
    texts = bbc_texts()
    step = timedelta(days=365) / size
    articles = []
    for i in range(size):
        title, body = texts[i % len(texts)]
        repeat = i // len(texts)
        if repeat:
            paragraphs = body.split("\n\n")
            random.Random(i).shuffle(paragraphs)
            body = "\n\n".join(paragraphs)
            title = f"{title} ({repeat + 1})"
        articles.append((title, body, START + step * i))
    return articles


def write_digest(folder: Path, articles: list[tuple[str, str, datetime]]) -> None:
    content = folder / "content"
    content.mkdir(parents=True)
    for i, article in enumerate(articles):
        write_article(content, i, article)


def write_pelican(folder: Path, articles: list[tuple[str, str, datetime]]) -> None:
    content = folder / "content"
    content.mkdir(parents=True)
    for i, (title, body, when) in enumerate(articles):
        head = f"Title: {title}\nDate: {when:%Y-%m-%d %H:%M}\nSlug: a{i:05d}\n\n"
        (content / f"a{i:05d}.md").write_text(head + body + "\n", encoding="utf-8")
    (folder / "pelicanconf.py").write_text(
        'SITENAME = "Benchmark"\nSITEURL = ""\nTIMEZONE = "UTC"\nDEFAULT_LANG = "en"\n'
        "FEED_ALL_ATOM = None\nCATEGORY_FEED_ATOM = None\nTRANSLATION_FEED_ATOM = None\n"
        "AUTHOR_FEED_ATOM = None\nAUTHOR_FEED_RSS = None\nDEFAULT_PAGINATION = 10\n"
        "LOAD_CONTENT_CACHE = False\n",
        encoding="utf-8",
    )


def write_hugo(folder: Path, articles: list[tuple[str, str, datetime]]) -> None:
    posts = folder / "content" / "posts"
    posts.mkdir(parents=True)
    for i, (title, body, when) in enumerate(articles):
        front = f"---\ntitle: {json.dumps(title)}\ndate: {when:%Y-%m-%dT%H:%M:%S}Z\n---\n\n"
        (posts / f"a{i:05d}.md").write_text(front + body + "\n", encoding="utf-8")
    (folder / "hugo.toml").write_text(
        'baseURL = "https://example.org/"\ntitle = "Benchmark"\n'
        'disableKinds = ["taxonomy", "term", "RSS", "sitemap"]\n',
        encoding="utf-8",
    )
    layouts = folder / "layouts" / "_default"
    layouts.mkdir(parents=True)
    page = "<!DOCTYPE html><html><head><title>{{ .Title }}</title></head><body>{}</body></html>"
    (layouts / "single.html").write_text(
        page.replace("{}", "<h1>{{ .Title }}</h1>{{ .Content }}"), encoding="utf-8"
    )
    (layouts / "list.html").write_text(
        page.replace(
            "{}",
            '<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>'
            "{{ end }}</ul>",
        ),
        encoding="utf-8",
    )


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run a command -> (wall seconds, peak RSS in MB of the largest process among
    it and the processes it waited for, its standard output)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if status != 0:
            message = err.read().decode(errors="replace")
            raise RuntimeError(f"{' '.join(cmd)} failed in {cwd}:\n{message[-2000:]}")
        return seconds, usage.ru_maxrss / 1024, out.read().decode(errors="replace")


def stage_times(output: str) -> dict[str, float]:
    """`digest build -v` output -> {stage: seconds} from its "Stages:" line."""
    for line in output.splitlines():
        if line.startswith("Stages: "):
            parts = (p.strip() for p in line.removeprefix("Stages: ").rstrip(".").split(","))
            return {p.rsplit(" ", 2)[0]: float(p.rsplit(" ", 2)[1]) for p in parts if p}
    return {}


def pelican_python(work: Path) -> Path | None:
    venv = work / "pelican-venv"
    if not venv.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        result = subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", f"pelican=={PELICAN_VERSION}", "markdown"],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            print(f"Pelican could not be installed: {result.stderr[-500:]}", file=sys.stderr)
            return None
    return venv / "bin" / "pelican"


def write_article(content: Path, index: int, article: tuple[str, str, datetime]) -> None:
    title, body, when = article
    front = f"---\ntitle: {json.dumps(title)}\ndate: {when:%Y-%m-%dT%H:%M:%S}Z\n---\n\n"
    (content / f"a{index:05d}.md").write_text(front + body + "\n", encoding="utf-8")


def day_of_news(size: int) -> int:
    """How many articles "a day of news" adds to a digest of `size`: 1 %."""
    return max(1, size // 100)


def same_tree(one: Path, other: Path) -> bool:
    """Whether two folders hold the same files with the same bytes."""

    def files(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()
        }

    return files(one) == files(other)


def measure(size: int, work: Path, jobs: int | None, dask: bool = False) -> Row:
    day = day_of_news(size)
    articles = corpus(size + 1 + day)  # the digest, then one more, then a day more
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    digest_dir = work / f"digest-{size}"
    write_digest(digest_dir, articles[:size])
    content = digest_dir / "content"
    build = [sys.executable, "-m", "digest", "build", "--verbose"]
    if jobs:
        build += ["--jobs", str(jobs)]
    stages = {}

    def run(name: str) -> tuple[float, float]:
        seconds, rss, out = timed(build, digest_dir, env)
        stages[name] = stage_times(out)
        return seconds, rss

    cold, rss = run("cold")
    dask_cold = dask_identical = None
    if dask:  # the same cold build on a local Dask cluster, into another folder
        dask_build = [*build, "--executor", "dask", "--no-cache", "--output", "site-dask"]
        if not jobs:
            dask_build += ["--jobs", str(os.cpu_count() or 1)]
        dask_cold, _, out = timed(dask_build, digest_dir, env)
        stages["cold, dask"] = stage_times(out)
        dask_identical = same_tree(digest_dir / "site", digest_dir / "site-dask")
        shutil.rmtree(digest_dir / "site-dask")
    noop, _ = run("no-op")
    write_article(content, size, articles[size])
    add_one, _ = run("add one")
    for index in range(size + 1, size + 1 + day):
        write_article(content, index, articles[index])
    add_day, _ = run(f"add a day ({day})")
    edited = content / "a00000.md"
    edited.write_text(edited.read_text("utf-8") + "\nA correction was added.\n", "utf-8")
    edit_one, _ = run("edit one")
    (content / f"a{size // 2:05d}.md").unlink()
    delete_one, _ = run("delete one")
    articles = articles[:size]  # the plain generators build the digest's first size

    pelican_cold = None
    pelican = pelican_python(work)
    if pelican is not None:
        pelican_dir = work / f"pelican-{size}"
        write_pelican(pelican_dir, articles)
        pelican_cold, _, _ = timed(
            [str(pelican), "content", "-o", "output", "-s", "pelicanconf.py", "-q"], pelican_dir
        )
    hugo_cold = None
    if shutil.which("hugo"):
        hugo_dir = work / f"hugo-{size}"
        write_hugo(hugo_dir, articles)
        hugo_cold, _, _ = timed(["hugo", "--quiet"], hugo_dir)
    else:
        print("hugo not found (apt-get install hugo): Hugo column left empty", file=sys.stderr)
    return Row(
        size,
        cold,
        noop,
        add_one,
        add_day,
        edit_one,
        delete_one,
        rss,
        pelican_cold,
        hugo_cold,
        dask_cold,
        dask_identical,
        stages,
    )


def table(rows: list[Row]) -> str:
    lines = [
        "| articles | digest cold | Pelican cold | Hugo cold | cold / Pelican | no-op | add one "
        "| add one / Hugo cold | add a day (1 %) | edit one | delete one | s per 1k articles "
        "| peak RSS |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:

        def fmt(x: float | None) -> str:
            return f"{x:.2f} s" if x is not None else "n/a"

        lines.append(
            f"| {r.size:,} | {fmt(r.digest_cold)} | {fmt(r.pelican_cold)} | {fmt(r.hugo_cold)} "
            f"| {r.ratio(r.digest_cold, r.pelican_cold)} | {fmt(r.digest_noop)} "
            f"| {fmt(r.digest_add_one)} | {r.ratio(r.digest_add_one, r.hugo_cold)} "
            f"| {fmt(r.digest_add_day)} | {fmt(r.digest_edit_one)} | {fmt(r.digest_delete_one)} "
            f"| {r.digest_cold / r.size * 1000:.2f} s | {r.digest_peak_rss_mb:.0f} MB |"
        )
    return "\n".join(lines)


def stage_table(rows: list[Row]) -> str:
    """Where the time went: seconds per stage of each digest run."""
    names = ["load", "check", "analyse", "group", "render", "search", "write"]
    lines = [
        "| articles | run | " + " | ".join(names) + " |",
        "|---:|---|" + "---:|" * len(names),
    ]
    for r in rows:
        for run, stages in r.stages.items():
            cells = [f"{stages[n]:.2f}" if n in stages else "" for n in names]
            lines.append(f"| {r.size:,} | {run} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,20000")
    parser.add_argument("--jobs", type=int, default=None, help="passed to digest build")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--dask",
        action="store_true",
        help="also build cold with --executor dask (a LocalCluster) and compare the bytes",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="digest-speed-"))
    rows: list[Row] = []
    try:
        for size in sizes:
            rows.append(measure(size, work, args.jobs, args.dask))
            print(table(rows[-1:]), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(table(rows))
    print()
    print("Where digest's time went (seconds per stage, as `digest build -v` reports):")
    print(stage_table(rows))
    for r in rows:
        if r.dask_cold is not None:
            print(
                f"Dask LocalCluster, {r.size:,} articles cold: {r.dask_cold:.2f} s, "
                f"{r.ratio(r.dask_cold, r.digest_cold)} the process pool's; site "
                f"{'byte-identical' if r.dask_identical else 'DIFFERENT'}"
            )
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()
