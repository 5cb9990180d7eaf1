"""The command line: each subcommand loads the config and calls one function.

Heavy libraries (openai, premailer, apscheduler, playwright) are imported inside the commands,
so ``newsletter --help`` starts fast. Every ``NewsletterError`` becomes a one-line message on
stderr and exit code 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from newsletter import __version__
from newsletter.errors import NewsletterError


def _fail_cleanly(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except NewsletterError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper


def common_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--config, --source, --out: accepted by every command that builds or sends."""
    func = click.option(
        "--out", "out_dir", type=click.Path(path_type=Path), help="Output folder (config: out_dir)."
    )(func)
    func = click.option(
        "--source", help="Digest file, folder, or URL template with {date} (config: source)."
    )(func)
    func = click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path),
        help="Config file (default: $NEWSLETTER_CONFIG, then ./config/newsletter.yaml).",
    )(func)
    return func


def load(config_path: Path | None, **overrides: Any):
    """Load the config with command-line overrides (None values are not overrides)."""
    from newsletter.config import load_config

    nested: dict[str, Any] = {}
    for dotted, value in overrides.items():
        if value is None:
            continue
        node = nested
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = str(value) if isinstance(value, Path) else value
    return load_config(config_path, nested)


def resolve_date(config, value: str) -> str:
    from newsletter.config import resolve_date as resolve

    return resolve(value, config.zone)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsletter")
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
def main(verbose: int) -> None:
    """Turn a daily arXiv digest into a bilingual newsletter edition."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.option("--date", "date_value", required=True, help="YYYY-MM-DD, 'today' or 'yesterday'.")
@common_options
@click.option(
    "--lang",
    "language",
    type=click.Choice(["bilingual", "zh", "en"]),
    help="Edition language (config: language; default bilingual).",
)
@click.option("--llm/--no-llm", "llm", default=None, help="Rewrite summaries with the LLM (config: llm.enabled).")
@click.option("--refresh", is_flag=True, help="Ignore the LLM cache (ask the model again).")
@click.option("--quiet", "-q", is_flag=True, help="Print only errors.")
@_fail_cleanly
def build(
    date_value: str,
    config_path: Path | None,
    source: str | None,
    out_dir: Path | None,
    language: str | None,
    llm: bool | None,
    refresh: bool,
    quiet: bool,
) -> None:
    """Build one day's edition into <out>/<date>/ (email, text, Markdown, JSON)."""
    from newsletter.pipeline import build_edition, format_build_summary

    config = load(config_path, source=source, out_dir=out_dir, language=language, **{"llm.enabled": llm})
    date = resolve_date(config, date_value)
    result = build_edition(config, date, refresh=refresh, progress=not quiet and sys.stderr.isatty())
    if config.archive.enabled:
        from newsletter.archive import update_site

        update_site(config, [date])
    if not quiet:
        click.echo(format_build_summary(result), err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
