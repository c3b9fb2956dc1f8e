"""Command line: parses options, calls the library, reports. No logic of its own."""

from __future__ import annotations

from pathlib import Path

import click

from digest import __version__
from digest.config import load_config
from digest.models import BuildReport, DigestError
from digest.pipeline import build as build_site


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="digest")
def main() -> None:
    """Build a static news digest from the articles in a content folder."""


@main.command()
@click.option(
    "--content", type=click.Path(path_type=Path), help="Folder of articles [default: content]."
)
@click.option(
    "--output", type=click.Path(path_type=Path), help="Folder to write the site to [default: site]."
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="Config file [default: digest.toml if present].",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="Public address of the site, e.g. https://user.github.io/repo/, for absolute URLs "
    "in feeds, sitemap and canonical links [overrides base_url in the config file].",
)
@click.option("--strict", is_flag=True, help="Fail (exit 1) when any file has a problem.")
def build(
    content: Path | None,
    output: Path | None,
    config_file: Path | None,
    base_url: str | None,
    strict: bool,
) -> None:
    """Read the content folder and write the digest site."""
    try:
        config, base = load_config(
            config_file,
            content=str(content.resolve()) if content else None,
            output=str(output.resolve()) if output else None,
            base_url=base_url,
        )
        report = build_site(config, base, strict=strict)
    except DigestError as exc:
        raise click.ClickException(str(exc)) from None
    _print_report(report)
    if strict and report.problems:
        raise SystemExit(1)


def _print_report(report: BuildReport) -> None:
    click.echo(
        f"Built {report.stories} stor{'y' if report.stories == 1 else 'ies'} from "
        f"{report.articles} article{'' if report.articles == 1 else 's'} into {report.output} "
        f"in {report.seconds:.2f} s ({report.files_written} files written, "
        f"{report.files_unchanged} unchanged)."
    )
    if report.problems:
        click.echo(f"{len(report.problems)} problem(s):", err=True)
        for problem in report.problems:
            click.echo(f"  {problem.path}: {problem.reason}", err=True)
