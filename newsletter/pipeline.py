"""The orchestrator: ingest -> group -> rewrite -> compose -> render -> write.

``build_edition`` gathers everything first and writes last, in one staged swap of the day's
folder, so a failure at any stage leaves the previous edition as it was. Stage timings and
what each stage decided are returned in a ``BuildResult`` for the CLI to report.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from newsletter.compose import compose_edition
from newsletter.config import Config
from newsletter.history import IDS_FILE, first_seen, ids_json
from newsletter.model import Edition, RenderedEmail, RewriteStats
from newsletter.render import EmailReport, Renderer
from newsletter.writer import exclusive_lock, staged_directory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildResult:
    date: str
    edition_dir: Path
    edition: Edition
    email: RenderedEmail
    email_report: EmailReport
    files: tuple[Path, ...]
    timings: tuple[tuple[str, float], ...]
    rewrite_stats: RewriteStats | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)


class _Timer:
    def __init__(self) -> None:
        self.timings: list[tuple[str, float]] = []

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings.append((name, time.perf_counter() - start))


def edition_dir(config: Config, date: str) -> Path:
    return config.out_dir / date


def build_time() -> datetime:
    """Now, or $SOURCE_DATE_EPOCH when set (reproducible builds: golden tests, diffs)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC)


def preview_message_bytes(email: RenderedEmail, config: Config) -> bytes:
    """The message as ``email.eml`` stores it (and as the size budget measures it)."""
    from newsletter.message import compose_message, message_bytes

    sender = config.delivery.from_ or f"{config.title.en} <newsletter@localhost>"
    message = compose_message(
        email,
        sender=sender,
        recipient=None,
        reply_to=config.delivery.reply_to,
        unsubscribe=config.delivery.unsubscribe,
        now=build_time(),
    )
    return message_bytes(message)


def _llm_subtopic_chooser(config: Config, papers, *, refresh: bool):
    """Ask the model for every paper's subtopic up front (concurrently, cached), and hand the
    grouping stage a chooser that looks the answers up; unanswered papers stay offline."""
    from newsletter.group.llm import subtopic_choices
    from newsletter.group.taxonomy import load_taxonomy
    from newsletter.rewrite.classify import classify_papers

    choices = subtopic_choices(load_taxonomy(config.grouping.taxonomy))
    result = classify_papers(papers, choices, config.llm, cache_dir=config.llm_cache_dir, refresh=refresh)
    log.info(
        "llm grouping: %d papers placed by the model (%d requests, %d cached, %d fell back)",
        len(result.picks), result.requests, result.cache_hits, len(result.failures),
    )
    return lambda paper, _choices: result.picks.get(paper.id)


def build_edition(
    config: Config,
    date: str,
    *,
    refresh: bool = False,
    progress: bool = False,
) -> BuildResult:
    """Build ``date``'s edition into ``<out>/<date>/`` and return what was decided."""
    from newsletter.group import group_papers
    from newsletter.ingest import load_digest

    timer = _Timer()
    with timer.stage("ingest"):
        digest = load_digest(
            config.source, date, timeout_s=config.fetch.timeout_s, retries=config.fetch.retries
        )
    with timer.stage("group"):
        chooser = None
        if config.grouping.mode == "llm" and digest.papers:
            chooser = _llm_subtopic_chooser(config, digest.papers, refresh=refresh)
        grouping = group_papers(digest.papers, config.grouping, chooser=chooser)

    rewrites = None
    if config.llm.enabled and digest.papers:
        from newsletter.rewrite import rewrite_papers

        with timer.stage("rewrite"):
            rewrites = rewrite_papers(
                digest.papers,
                config.llm,
                cache_dir=config.llm_cache_dir,
                refresh=refresh,
                progress=progress,
                section_titles=[s.title.en for s in grouping.sections if s.title.en],
            )

    with timer.stage("compose"):
        seen = first_seen(config.out_dir, date, {p.id for p in digest.papers})
        edition = compose_edition(
            digest,
            grouping,
            language=config.language,
            rewrites=rewrites,
            seen_on=seen,
            repeats=config.archive.repeats,
            now=build_time(),
        )

    renderer = Renderer(config)
    with timer.stage("render"):
        # The budget search measures each candidate as its preview message; the chosen one's
        # message is email.eml, so it is kept rather than composed a second time.
        measured: list[tuple[RenderedEmail, bytes]] = []

        def measure(rendered: RenderedEmail) -> int:
            measured.append((rendered, preview_message_bytes(rendered, config)))
            return len(measured[-1][1])

        email, report = renderer.email_within_budget(edition, measure)
        eml = next((data for candidate, data in measured if candidate is email), None)
        eml = eml or preview_message_bytes(email, config)
        markdown = renderer.markdown(edition)
        edition_json = renderer.json(edition)

    target = edition_dir(config, date)
    # Two builds of one day (cron and a manual preview) take turns to swap the folder in.
    lock = config.out_dir / ".locks" / f"{date}.lock"
    with (
        timer.stage("write"),
        exclusive_lock(lock, what=f"another build of {date}"),
        staged_directory(target) as writer,
    ):
        writer.write_text("email.html", email.html)
        writer.write_text("email.txt", email.text)
        writer.write_bytes("email.eml", eml)
        writer.write_text("newsletter.md", markdown)
        writer.write_text("edition.json", edition_json)
        writer.write_text(IDS_FILE, ids_json([p.id for p in digest.papers]))
        files = tuple(target / path.name for path in writer.written)

    return BuildResult(
        date=date,
        edition_dir=target,
        edition=edition,
        email=email,
        email_report=report,
        files=files,
        timings=tuple(timer.timings),
        rewrite_stats=rewrites.stats if rewrites else None,
        warnings=digest.warnings,
    )


def format_build_summary(result: BuildResult) -> str:
    edition = result.edition
    report = result.email_report
    total = sum(seconds for _, seconds in result.timings)
    lines = [
        f"{result.date}: {edition.paper_count} papers in "
        f"{len(edition.topic_sections)} sections ({edition.grouping_method}) -> {result.edition_dir}",
        "  stages: "
        + ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in result.timings)
        + f" (total {total * 1000:.0f} ms)",
        f"  email: {report.size:,} bytes encoded (budget {'ok' if report.fits else 'EXCEEDED'}), "
        f"{report.html_bytes:,} bytes HTML; {report.shown} papers shown, {report.linked} linked",
    ]
    for step in report.steps:
        lines.append(f"  email budget: tried {step}")
    if result.rewrite_stats is not None:
        from newsletter.rewrite import format_stats

        lines.append(f"  llm: {format_stats(result.rewrite_stats)}")
    for warning in result.warnings:
        lines.append(f"  warning: {warning}")
    return "\n".join(lines)
