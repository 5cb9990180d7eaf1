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


def _build_and_send(config, date: str, *, force: bool, rebuild: bool):
    """Build ``date`` (always with ``rebuild``, else only when missing), then send it."""
    from newsletter.deliver import check_delivery, send_edition
    from newsletter.deliver.stored import is_built, load_built_email
    from newsletter.pipeline import build_edition, edition_dir, format_build_summary

    check_delivery(config.delivery)  # a missing password or bad address fails before the build
    folder = edition_dir(config, date)
    if rebuild or not is_built(folder):
        result = build_edition(config, date)
        email = result.email
        # What the build decided (LLM failures by kind, email budget steps) belongs in the
        # cron mail too, not only in `build`'s output.
        click.echo(format_build_summary(result), err=True)
        if config.archive.enabled:
            from newsletter.archive import update_site

            update_site(config, [date])
    else:
        email = load_built_email(folder, date)
    return send_edition(email, config.delivery, out_dir=config.out_dir, force=force)


def _delivery_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--backend", type=click.Choice(["smtp", "file", "console"]),
        help="Where messages go (config: delivery.backend).",
    )(func)
    func = click.option(
        "--force", is_flag=True, help="Resend to recipients the ledger says already have it."
    )(func)
    return common_options(func)


@main.command()
@click.option("--date", "date_value", required=True, help="YYYY-MM-DD, 'today' or 'yesterday'.")
@_delivery_options
@_fail_cleanly
def send(date_value: str, config_path: Path | None, source: str | None, out_dir: Path | None,
         force: bool, backend: str | None) -> None:
    """Send a day's edition to everyone not yet served (builds it first if missing).

    Exit status 0 when every recipient has it, 1 when some did not get it (see the ledger in
    <out>/ledger/), 2 for an error before sending.
    """
    config = load(config_path, source=source, out_dir=out_dir, **{"delivery.backend": backend})
    report = _build_and_send(config, resolve_date(config, date_value), force=force, rebuild=False)
    click.echo(report.summary())
    sys.exit(0 if report.ok else 1)


@main.command()
@click.option("--date", "date_value", default="today", show_default=True,
              help="YYYY-MM-DD, 'today' or 'yesterday'.")
@_delivery_options
@_fail_cleanly
def run(date_value: str, config_path: Path | None, source: str | None, out_dir: Path | None,
        force: bool, backend: str | None) -> None:
    """Build and send a day's edition: the entry point for cron (exit status as for send)."""
    config = load(config_path, source=source, out_dir=out_dir, **{"delivery.backend": backend})
    report = _build_and_send(config, resolve_date(config, date_value), force=force, rebuild=True)
    click.echo(report.summary())
    sys.exit(0 if report.ok else 1)


@main.command()
@common_options
@_fail_cleanly
def schedule(config_path: Path | None, source: str | None, out_dir: Path | None) -> None:
    """Run forever, building and sending each day at schedule.cron (schedule.timezone)."""
    from newsletter.schedule import JobOutcome, run_scheduler

    config = load(config_path, source=source, out_dir=out_dir)
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        logging.getLogger("newsletter").setLevel(logging.INFO)  # a daemon should say what it did

    def job(date: str) -> JobOutcome:
        report = _build_and_send(config, date, force=False, rebuild=True)
        if report.skipped_reason:
            return JobOutcome(date, "empty", report.skipped_reason)
        status = "sent" if report.ok else "partial"
        return JobOutcome(date, status, report.summary(), retry_later=report.retry_later)

    run_scheduler(config, job)  # returns on Ctrl-C or SIGTERM
    click.echo("scheduler stopped", err=True)


@main.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Config file.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Output folder (config: out_dir).")
@click.option("--full", is_flag=True, help="Rebuild every page, not only what changed.")
@_fail_cleanly
def archive(config_path: Path | None, out_dir: Path | None, full: bool) -> None:
    """Update the static web archive (<out>/site) from the built editions."""
    from newsletter.archive import update_site

    config = load(config_path, out_dir=out_dir)
    report = update_site(config, None if full else (), full=full)
    click.echo(report.summary(), err=True)


@main.command()
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Config file.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Output folder (config: out_dir).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port on 127.0.0.1.")
@_fail_cleanly
def serve(config_path: Path | None, out_dir: Path | None, port: int) -> None:
    """Bring the archive up to date and preview it on http://127.0.0.1:PORT/."""
    from newsletter.archive import make_server, update_site

    config = load(config_path, out_dir=out_dir)
    click.echo(update_site(config, ()).summary(), err=True)
    server = make_server(config.site_dir, port)
    click.echo(f"serving {config.site_dir} on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":  # pragma: no cover
    main()
