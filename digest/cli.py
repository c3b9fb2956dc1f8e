"""Command line: parses options, calls the library, reports. No logic of its own."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

from digest import DISTRIBUTION, __version__
from digest.config import ARTICLE_TEXT_CHOICES, Config, load_config
from digest.executors import EXECUTORS, Executor, make_executor
from digest.load.reader import SUFFIXES
from digest.models import BuildReport, DigestError, terminal_safe
from digest.pipeline import build as build_site

# Each command imports the modules only it uses (deploy, init, serve, fetch):
# `digest build` is run on every change, and a no-op build is mostly imports.
if TYPE_CHECKING:
    from digest.fetch import FetchReport

F = TypeVar("F", bound=Callable[..., Any])

# the progress bar appears only when at least this many files need analysing
PROGRESS_MIN_FILES = 50
LOOPBACK = ("127.0.0.1", "localhost", "::1")
INTERRUPTED = 130  # exit status after Ctrl-C: 128 + SIGINT, as shells report it


class DigestGroup(click.Group):
    """The `digest` group: Ctrl-C in any command is one word and exit status 130.

    Click would print "Aborted!" and exit 1; 128 + SIGINT is what shells and CI
    runners expect of an interrupted program, and a traceback is noise."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (KeyboardInterrupt, click.Abort):
            click.echo("Interrupted.", err=True)
            ctx.exit(INTERRUPTED)


@click.group(cls=DigestGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__,
    package_name=DISTRIBUTION,
    prog_name="digest",
    message="%(prog)s (%(package)s) %(version)s",  # the command, what pip calls it, version
)
def main() -> None:
    """Build a static news digest from the articles in a content folder."""


def site_options(command: F) -> F:
    """The options that say which digest to build, shared by build, serve and deploy."""
    options = [
        click.option(
            "--content",
            type=click.Path(path_type=Path),
            help="Folder of articles [default: content].",
        ),
        click.option(
            "--output",
            type=click.Path(path_type=Path),
            help="Folder to write the site to [default: site].",
        ),
        click.option(
            "--config",
            "config_file",
            type=click.Path(path_type=Path),
            help="Config file [default: digest.toml if present].",
        ),
        click.option(
            "--base-url",
            metavar="URL",
            help="Public address of the site, e.g. https://user.github.io/repo/, for absolute "
            "URLs in feeds, sitemap and canonical links [overrides DIGEST_BASE_URL and "
            "base_url in the config file].",
        ),
        click.option(
            "--article-text",
            type=click.Choice(ARTICLE_TEXT_CHOICES),
            help="What article pages, feeds and the search index show of each article: "
            "'excerpt' (lead and link out), 'full' (whole text) or 'auto' (an excerpt of "
            "articles from other sites) [overrides DIGEST_ARTICLE_TEXT and article_text in "
            "the config file; default: auto].",
        ),
        click.option(
            "--no-cache",
            is_flag=True,
            help="Build everything again: analyse every article instead of reusing the cache "
            "folder, even when nothing changed since the last build.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def verbosity_options(command: F) -> F:
    command = click.option(
        "-v", "--verbose", is_flag=True, help="Also show timings per stage and cache use."
    )(command)
    return click.option("-q", "--quiet", is_flag=True, help="Show only problems and errors.")(
        command
    )


def _overrides(
    content: Path | None,
    output: Path | None,
    base_url: str | None,
    article_text: str | None = None,
) -> dict[str, Any]:
    """Command-line settings -> config overrides (folders absolute: they are relative to
    the current folder, not to the config file). The output folder is made absolute
    without resolving links: a dangling `site` link must reach the build's check, which
    refuses it, instead of being replaced by wherever it points."""
    return {
        "content": str(content.resolve()) if content else None,
        "output": str(output.absolute()) if output else None,
        "base_url": base_url,
        "article_text": article_text,
    }


def _load(config_file: Path | None, overrides: dict[str, Any]) -> tuple[Config, Path]:
    try:
        return load_config(config_file, **overrides)
    except DigestError as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@site_options
@click.option("--strict", is_flag=True, help="Fail (exit 1) when any file has a problem.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    help="Worker processes analysing articles [default: one per core].",
)
@click.option(
    "--executor",
    type=click.Choice(EXECUTORS),
    envvar="DIGEST_EXECUTOR",
    help="Where articles are analysed: worker processes here, or a Dask cluster "
    "[default: process; dask when a scheduler is given]. Env: DIGEST_EXECUTOR.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    envvar="DIGEST_SCHEDULER",
    help="Dask scheduler (tcp://host:8786); without one, --executor dask starts a "
    "local cluster of --jobs workers. Env: DIGEST_SCHEDULER.",
)
@verbosity_options
def build(
    content: Path | None,
    output: Path | None,
    config_file: Path | None,
    base_url: str | None,
    article_text: str | None,
    no_cache: bool,
    strict: bool,
    jobs: int | None,
    executor: str | None,
    scheduler: str | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Read the content folder and write the digest site."""
    config, base = _load(config_file, _overrides(content, output, base_url, article_text))
    try:
        runner = make_executor(executor or ("dask" if scheduler else "process"), scheduler, jobs)
    except DigestError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        report = _build(
            config, base, strict=strict, cache=not no_cache, quiet=quiet, executor=runner
        )
    finally:
        runner.close()
    _print_report(report, quiet=quiet, verbose=verbose)
    _hint_if_empty(report, base / config.content)
    if strict and report.problems:
        raise SystemExit(1)


def _build(
    config: Config,
    base: Path,
    *,
    strict: bool,
    cache: bool,
    quiet: bool,
    executor: Executor | None = None,
) -> BuildReport:
    try:
        with ProgressBar(enabled=not quiet) as progress:
            return build_site(
                config, base, strict=strict, cache=cache, progress=progress, executor=executor
            )
    except DigestError as exc:
        raise click.ClickException(str(exc)) from None


class ProgressBar:
    """A progress bar on stderr for the analysis of many files, only on a terminal."""

    def __init__(self, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self.bar: Any = None
        self.shown = 0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < PROGRESS_MIN_FILES:
            return
        if self.bar is None:
            self.bar = click.progressbar(
                length=total, label="Analysing articles", file=self.stream, show_pos=True
            )
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.bar is not None:
            self.bar.__exit__(kind, exc, tb)


def _hint_if_empty(report: BuildReport, content: Path) -> None:
    """A build that found no article at all -> a hint on what the content folder needs."""
    if report.articles or report.problems:
        return
    kinds = ", ".join(SUFFIXES)
    click.echo(
        f"Hint: {_shown_folder(content)} has no articles. Add files ({kinds}) to it, "
        "list feeds as [[sources]] in digest.toml and run `digest fetch`, or run "
        "`digest init` in a new folder for a sample digest.",
        err=True,
    )


def _print_report(report: BuildReport, *, quiet: bool = False, verbose: bool = False) -> None:
    if not quiet and report.up_to_date:
        click.echo(
            f"Nothing changed since the last build: {report.output} is up to date "
            f"({report.stories} stor{'y' if report.stories == 1 else 'ies'} from "
            f"{report.articles} article{'' if report.articles == 1 else 's'}; checked in "
            f"{report.seconds:.2f} s)."
        )
    elif not quiet:
        analysed = report.cache_hits + report.cache_misses
        click.echo(
            f"Built {report.stories} stor{'y' if report.stories == 1 else 'ies'} from "
            f"{report.articles} article{'' if report.articles == 1 else 's'} into "
            f"{report.output} in {report.seconds:.2f} s ({report.files_written} files written, "
            f"{report.files_unchanged} unchanged; {report.cache_hits} of {analysed} files "
            "from the cache)."
        )
    if verbose:
        stages = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in report.timings)
        click.echo(f"Stages: {stages}.")
        if not report.up_to_date and report.pages_rendered + report.pages_reused:
            click.echo(
                f"Pages: {report.pages_rendered} rendered, {report.pages_reused} reused "
                "(unchanged since the last build)."
            )
        refused = (
            f"; {report.cache_refused} entr{'y' if report.cache_refused == 1 else 'ies'} "
            "refused as malformed"
            if report.cache_refused
            else ""
        )
        click.echo(
            f"Cache: {report.cache_hits} hit(s), {report.cache_misses} miss(es) "
            f"(files analysed){refused}."
        )
        if report.story_hits or report.story_reweighed or report.story_misses:
            click.echo(
                f"Story cache: {report.story_hits} hit(s), {report.story_reweighed} "
                f"reweighed (IDF moved), {report.story_misses} miss(es)."
            )
    if report.problems:
        click.echo(f"{len(report.problems)} problem(s):", err=True)
        for problem in report.problems:
            click.echo(f"  {problem.shown()}", err=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port).",
)
@site_options
def serve(
    host: str,
    port: int,
    content: Path | None,
    output: Path | None,
    config_file: Path | None,
    base_url: str | None,
    article_text: str | None,
    no_cache: bool,
) -> None:
    """Preview the site; rebuild and reload it on every change.

    Watches the content folder, the templates folder and the config file. A
    failed rebuild is shown in the terminal and over the page while the last
    good site stays up. Ctrl-C stops.
    """
    from digest.serve import DevServer

    server = DevServer(
        config_file,
        _overrides(content, output, base_url, article_text),
        host=host,
        port=port,
        cache=not no_cache,
        log=lambda message: click.echo(message, err=True),
    )
    try:
        server.start()
    except DigestError as exc:
        raise click.ClickException(str(exc)) from None
    stop = threading.Event()
    _stop_on_sigterm(stop)
    root = terminal_safe(str(server.site.root or "nothing yet"))  # as the serve log is
    click.echo(f"Serving {root} at {server.url} (Ctrl-C to stop)")
    if host not in LOOPBACK:
        click.echo(f"Warning: listening on {host}: other machines can reach this server.", err=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:  # Ctrl-C goes on to DigestGroup: "Interrupted.", exit 130
        server.stop()
    click.echo("Stopped.")


def _stop_on_sigterm(stop: threading.Event) -> None:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)


@main.command()
@click.argument("folder", default=".", type=click.Path(file_okay=False, path_type=Path))
def init(folder: Path) -> None:
    """Start a new digest in FOLDER (default: the current folder).

    Writes digest.toml with every setting commented, content/ with one sample
    article, templates/ for overrides, .gitignore and a GitHub Pages workflow.
    Existing files are never overwritten.
    """
    from digest.scaffold import digest_requirement, init_digest

    requirement = digest_requirement()
    try:
        written = init_digest(folder, requirement)
    except DigestError as exc:
        raise click.ClickException(str(exc)) from None
    for path in written:
        click.echo(f"created {path}")
    where = "" if folder.resolve() == Path.cwd() else f"cd {folder} && "
    click.echo(f"Next: {where}digest serve — then add articles to content/.")
    if requirement is None:
        click.echo(
            "Note: digest was installed from a local folder, which GitHub Actions cannot "
            "reach; set DIGEST_REQUIREMENT in .github/workflows/pages.yml to where pip "
            "should get digest from.",
            err=True,
        )


@main.command()
@site_options
@click.option("--remote", default="origin", show_default=True, help="Git remote to push to.")
@click.option("--branch", default="gh-pages", show_default=True, help="Branch to push to.")
@click.option("-m", "--message", help="Commit message [default: names the source commit].")
@click.option("--cname", metavar="DOMAIN", help="Custom domain, written to CNAME.")
@click.option("--force", is_flag=True, help="Push even if the branch has moved on.")
@click.option("--no-build", is_flag=True, help="Push the output folder as it is, unbuilt.")
@click.option("--strict", is_flag=True, help="Refuse to deploy when any file has a problem.")
@verbosity_options
def deploy(
    content: Path | None,
    output: Path | None,
    config_file: Path | None,
    base_url: str | None,
    article_text: str | None,
    no_cache: bool,
    remote: str,
    branch: str,
    message: str | None,
    cname: str | None,
    force: bool,
    no_build: bool,
    strict: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Build the site and push it to the gh-pages branch.

    Commits the output folder, plus .nojekyll and an optional CNAME, on top of
    the remote branch without touching your working tree or index.
    """
    from digest.deploy import check_target, deploy_site

    config, base = _load(config_file, _overrides(content, output, base_url, article_text))
    try:  # before building: a build is wasted when the push cannot happen
        remote_url = check_target(base, remote, branch)
    except DigestError as exc:
        raise click.ClickException(str(exc)) from None
    if config.base_url is None:
        _warn_no_base_url(remote_url)
    if not no_build:
        report = _build(config, base, strict=strict, cache=not no_cache, quiet=quiet)
        _print_report(report, quiet=quiet, verbose=verbose)
        if strict and report.problems:
            raise SystemExit(1)
    try:
        result = deploy_site(
            base / config.output,
            base,
            remote=remote,
            branch=branch,
            message=message,
            cname=cname,
            force=force,
            built=(base / config.cache,) if config.cache else (),
        )
    except DigestError as exc:
        raise click.ClickException(str(exc)) from None
    if not result.changed:
        click.echo(
            f"{remote}/{branch} already holds this site ({result.commit[:12]}); nothing pushed."
        )
    elif not quiet:
        click.echo(
            f"Pushed {result.files} files to {remote}/{branch} (commit {result.commit[:12]})."
        )


def _warn_no_base_url(remote_url: str) -> None:
    from digest.deploy import pages_url

    guess = pages_url(remote_url)
    example = guess or "https://USER.github.io/REPO/"
    click.echo(
        "Warning: no base_url is set, so the feeds' links are relative (feed readers "
        "cannot follow them), no sitemap.xml is written, pages carry no canonical or "
        "Open Graph address, and the links of the 404 page break on GitHub Pages, which "
        "shows it for a missing page at any depth. Set "
        f'base_url = "{example}" in digest.toml, or pass --base-url.',
        err=True,
    )


@main.command()
@click.argument("urls", nargs=-1, metavar="[URL]...")
@click.option(
    "--content",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the articles to [default: content].",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="Config file [default: digest.toml if present].",
)
@click.option(
    "--allow-private",
    is_flag=True,
    default=None,
    help="Let fetch reach loopback and private addresses [overrides allow_private].",
)
@click.option("--dry-run", is_flag=True, help="Fetch, but only list the files it would write.")
@click.option("--strict", is_flag=True, help="Fail (exit 1) when any source has a problem.")
@click.option("-q", "--quiet", is_flag=True, help="Show only problems and errors.")
def fetch(
    urls: tuple[str, ...],
    content: Path | None,
    config_file: Path | None,
    allow_private: bool | None,
    dry_run: bool,
    strict: bool,
    quiet: bool,
) -> None:
    """Fetch new articles from the feeds and pages in digest.toml's [[sources]]
    (or only the feed or page URLs given) into the content folder.

    Each new item becomes content/<outlet>/<date>/<slug>.md; items fetched before
    are skipped. A source that fails is reported and the others still fetch.
    """
    # imported here: trafilatura and httpx take a second or two to load, which
    # every other command would pay for nothing
    from digest.fetch import fetch_sources

    config, base = _load(config_file, _overrides(content, None, None))
    try:
        with FetchProgress(enabled=not quiet) as progress:
            report = fetch_sources(
                config,
                urls=list(urls) or None,
                content_dir=base / config.content,
                allow_private=allow_private,
                dry_run=dry_run,
                progress=progress,
                base=base,
            )
    except DigestError as exc:
        raise click.ClickException(str(exc)) from None
    if not report.sources:
        # not an error: the scheduled workflow `digest init` writes runs fetch on
        # every digest, including those whose articles are added by hand
        if not quiet:
            click.echo("Nothing to fetch: add [[sources]] tables to digest.toml or give feed URLs.")
        return
    _print_fetch_report(report, base / config.content, quiet=quiet)
    if strict and report.problems:
        raise SystemExit(1)


class FetchProgress(ProgressBar):
    """The progress bar of `digest fetch`: article pages fetched, on a terminal only."""

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            self.bar = click.progressbar(
                length=total, label="Fetching articles", file=self.stream, show_pos=True
            )
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done


def _print_fetch_report(report: FetchReport, content: Path, *, quiet: bool) -> None:
    shown = _shown_folder(content)
    if report.dry_run and not quiet:
        for rel in report.written:
            click.echo(f"would write {shown}/{rel}")
    if not quiet:
        new = len(report.written)
        count = len(report.problems)
        click.echo(
            f"{new} new article{'' if new == 1 else 's'} from {report.sources} "
            f"source{'' if report.sources == 1 else 's'}"
            + (f", {report.skipped} seen before" if report.skipped else "")
            + f", {count} problem{'' if count == 1 else 's'}"
            + (" (dry run: nothing written)" if report.dry_run else f" (in {shown})")
            + "."
        )
    for problem in report.problems:
        click.echo(f"  {problem.shown()}", err=True)


def _shown_folder(path: Path) -> str:
    """A folder -> relative to the current folder when it is inside it, else as given."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
