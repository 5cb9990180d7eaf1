"""Configuration: built-in defaults -> YAML file -> environment -> command-line overrides.

Every key is declared once below with its default and a description (the README's config
reference mirrors these). Loading validates the whole file and reports every invalid key at
once, with its dotted name and the file, before anything runs.

Relative paths in a config file are resolved against the folder holding that file, so a
crontab entry works from any working directory. Without a file, they resolve against the
current directory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import date as date_type
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from newsletter.errors import ConfigError
from newsletter.yamlfile import read_yaml

DEFAULT_CONFIG_PATH = Path("config") / "newsletter.yaml"
CONFIG_ENV = "NEWSLETTER_CONFIG"

_DURATION_KEYS_NOTE = "seconds unless the key name says otherwise"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class TitleConfig(_Strict):
    en: str = Field("arXiv Daily", description="English name of the newsletter.")
    zh: str = Field("arXiv 每日速递", description="Chinese name of the newsletter.")


class FetchConfig(_Strict):
    timeout_s: float = Field(20.0, gt=0, description="HTTP timeout when the source is a URL.")
    retries: int = Field(2, ge=0, le=10, description="Retries of a failed HTTP fetch.")


class InterestsConfig(_Strict):
    keywords: tuple[str, ...] = Field((), description="Keywords (English or Chinese) to highlight.")
    authors: tuple[str, ...] = Field((), description="Author names to highlight.")


class GroupingConfig(_Strict):
    mode: Literal["taxonomy", "category", "llm"] = Field(
        "taxonomy",
        description="taxonomy: offline subtopics from the taxonomy file; category: one section "
        "per arXiv category; llm: the model picks subtopics (falls back to taxonomy per paper).",
    )
    taxonomy: Path | None = Field(
        None, description="Subtopic taxonomy YAML; default: the bundled config/topics.yaml."
    )
    interests: InterestsConfig = Field(default_factory=InterestsConfig)
    max_highlights: int = Field(10, ge=0, description="At most this many Highlights.")


class BudgetConfig(_Strict):
    max_requests: int | None = Field(None, ge=0, description="Stop asking the model after this many requests.")
    max_tokens: int | None = Field(None, ge=0, description="Stop after this many tokens (in + out).")


class PricesConfig(_Strict):
    input_per_mtok: float | None = Field(None, ge=0, description="Price per million input tokens.")
    output_per_mtok: float | None = Field(None, ge=0, description="Price per million output tokens.")


class LLMConfig(_Strict):
    enabled: bool = Field(False, description="Rewrite TL;DRs and titles with an LLM (also --llm).")
    base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint; default: $OPENAI_BASE_URL, then OpenAI."
    )
    model: str = Field("gpt-4o-mini", description="Model name sent to the endpoint.")
    api_key_env: str = Field("OPENAI_API_KEY", description="Environment variable holding the key.")
    concurrency: int = Field(8, ge=1, le=256, description="Requests in flight at once.")
    timeout_s: float = Field(60.0, gt=0, description="Per-request timeout.")
    max_retries: int = Field(4, ge=0, le=20, description="Retries on 429/5xx/timeouts, with backoff.")
    temperature: float = Field(0.2, ge=0, le=2, description="Sampling temperature.")
    cache_dir: Path | None = Field(None, description="Response cache; default: <out>/.cache/llm.")
    intro: bool = Field(True, description="Write a short bilingual editor's intro.")
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
    prices: PricesConfig = Field(default_factory=PricesConfig)


class EmailConfig(_Strict):
    max_bytes: int = Field(
        100_000, ge=10_000, description="Budget for the encoded message (Gmail clips at ~102 KB)."
    )
    subject: str | None = Field(
        None,
        description="Subject template with {title}, {date}, {count}; default: per language, "
        "e.g. 'arXiv Daily · 2026-02-09 · 61 papers'.",
    )
    max_authors: int = Field(6, ge=1, description="Authors shown before 'et al.' in the email.")


class SMTPConfig(_Strict):
    host: str = Field("localhost", description="SMTP server host.")
    port: int | None = Field(None, ge=1, le=65535, description="Default: 465 for ssl, 587 for starttls, 25 for none.")
    security: Literal["ssl", "starttls", "none"] = Field("starttls", description="Transport security.")
    username: str | None = Field(None, description="Log in as this user (password: $NEWSLETTER_SMTP_PASSWORD).")
    timeout_s: float = Field(30.0, gt=0, description="Socket timeout.")


class UnsubscribeConfig(_Strict):
    url: str | None = Field(None, description="One-click unsubscribe URL; {email} is replaced per recipient.")
    mailto: str | None = Field(None, description="Unsubscribe mailbox address.")


class DeliveryConfig(_Strict):
    backend: Literal["smtp", "file", "console"] = Field("console", description="Where messages go.")
    from_: str | None = Field(None, alias="from", description="From address, e.g. 'Lab <news@example.org>'.")
    to: tuple[str, ...] | Path = Field((), description="Recipients: a list, or a file with one address per line.")
    reply_to: str | None = Field(None, description="Reply-To address.")
    unsubscribe: UnsubscribeConfig = Field(default_factory=UnsubscribeConfig)
    rate_per_s: float | None = Field(None, gt=0, description="At most this many messages per second.")
    batch_size: int = Field(50, ge=1, description="Reconnect to the SMTP server after this many messages.")
    retries: int = Field(3, ge=0, le=10, description="Retries of a temporary SMTP failure.")
    send_empty: bool = Field(False, description="Send editions of days without papers.")
    smtp: SMTPConfig = Field(default_factory=SMTPConfig)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ScheduleConfig(_Strict):
    cron: str = Field("0 9 * * mon-fri", description="Crontab expression (minute hour day month weekday).")
    timezone: str | None = Field(None, description="Time zone of the schedule; default: the top-level timezone.")
    retry_every_min: float = Field(15, gt=0, description="Retry interval while the day's digest is missing.")
    give_up_after_h: float = Field(6, gt=0, description="Stop retrying a day after this many hours.")
    misfire_grace_h: float = Field(6, gt=0, description="Run a late job if it is at most this late.")


class ArchiveConfig(_Strict):
    enabled: bool = Field(False, description="Update the static archive after each build.")
    dir: Path | None = Field(None, description="Site folder; default: <out>/site.")
    base_url: str | None = Field(None, description="Public URL of the site (for 'view in browser' and the feed).")
    feed_entries: int = Field(30, ge=1, description="Editions in the Atom feed.")
    repeats: Literal["move", "keep", "drop"] = Field(
        "move", description="Papers seen on an earlier day: move to 'Seen before', keep in place, or drop."
    )


class Config(_Strict):
    timezone: str = Field("Asia/Shanghai", description="Time zone for --date today and the schedule.")
    language: Literal["bilingual", "zh", "en"] = Field("bilingual", description="Edition language.")
    source: str = Field(
        "examples/digests",
        description="Digest file, folder (holding {date}.md / {date}_AI_enhanced_*.jsonl), or URL template with {date}.",
    )
    out_dir: Path = Field(Path("out"), description="Output folder; each day goes to <out>/<date>/.")
    templates_dir: Path | None = Field(None, description="Folder of template overrides (searched first).")
    title: TitleConfig = Field(default_factory=TitleConfig)
    fetch: FetchConfig = Field(default_factory=FetchConfig)
    grouping: GroupingConfig = Field(default_factory=GroupingConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    email: EmailConfig = Field(default_factory=EmailConfig)
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    archive: ArchiveConfig = Field(default_factory=ArchiveConfig)

    # Where the file (if any) came from; used in messages, never read from YAML.
    config_path: Path | None = Field(None, exclude=True)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def site_dir(self) -> Path:
        return self.archive.dir or self.out_dir / "site"

    @property
    def llm_cache_dir(self) -> Path:
        return self.llm.cache_dir or self.out_dir / ".cache" / "llm"


# Keys whose values are paths, resolved against the config file's folder.
_PATH_KEYS = (
    ("out_dir",),
    ("templates_dir",),
    ("grouping", "taxonomy"),
    ("llm", "cache_dir"),
    ("archive", "dir"),
)


def _looks_like_url(value: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+.-]*://", value, re.IGNORECASE))


def _resolve_paths(data: dict[str, Any], base: Path) -> None:
    for key_path in _PATH_KEYS:
        node: Any = data
        for key in key_path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            value = node.get(key_path[-1])
            if isinstance(value, str) and value and not Path(value).is_absolute():
                node[key_path[-1]] = os.path.normpath(base / value)
    source = data.get("source")
    if (
        isinstance(source, str)
        and source
        and not _looks_like_url(source)
        and not Path(source).is_absolute()
    ):
        data["source"] = os.path.normpath(base / source)
    delivery = data.get("delivery")
    if isinstance(delivery, dict) and isinstance(delivery.get("to"), str):
        to = delivery["to"]
        delivery["to"] = to if Path(to).is_absolute() else os.path.normpath(base / to)


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _format_errors(exc: ValidationError, origin: str) -> str:
    lines = [f"{origin}: {exc.error_count()} invalid setting(s):"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        key = key.replace("from_", "from")
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif "input" in error and error["type"] not in ("missing", "value_error"):
            message = f"{message} (got {error['input']!r})"
        lines.append(f"  {key}: {message}")
    return "\n".join(lines)


def _read_yaml(path: Path) -> dict[str, Any]:
    data = read_yaml(path, "config file")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    return data


def _environment_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """NEWSLETTER_SOURCE, NEWSLETTER_OUT_DIR, NEWSLETTER_TIMEZONE override the file."""
    overrides: dict[str, Any] = {}
    for env_name, key in (
        ("NEWSLETTER_SOURCE", "source"),
        ("NEWSLETTER_OUT_DIR", "out_dir"),
        ("NEWSLETTER_TIMEZONE", "timezone"),
    ):
        if environ.get(env_name):
            overrides[key] = environ[env_name]
    return overrides


def find_config_path(explicit: Path | None, environ: Mapping[str, str] | None = None) -> Path | None:
    """--config, then $NEWSLETTER_CONFIG, then ./config/newsletter.yaml if present."""
    environ = os.environ if environ is None else environ
    if explicit is not None:
        return Path(explicit)
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV])
    if DEFAULT_CONFIG_PATH.is_file():
        return DEFAULT_CONFIG_PATH
    return None


def load_config(
    path: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    search: bool = True,
) -> Config:
    """Load and validate the configuration; raise ConfigError listing every problem.

    ``overrides`` are command-line values as a nested mapping (``{"llm": {"enabled": True}}``);
    relative paths among them resolve against the current directory.
    """
    environ = os.environ if environ is None else environ
    config_path = find_config_path(path, environ) if search else path
    data: dict[str, Any] = {}
    origin = "built-in defaults"
    if config_path is not None:
        data = _read_yaml(config_path)
        _resolve_paths(data, config_path.resolve().parent)
        origin = str(config_path)
    cwd_layer = _deep_merge(_environment_overrides(environ), overrides or {})
    _resolve_paths(cwd_layer, Path.cwd())
    data = _deep_merge(data, cwd_layer)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(exc, origin)) from None
    return config.model_copy(update={"config_path": config_path})


def resolve_date(value: str, zone: ZoneInfo) -> str:
    """'today' / 'yesterday' (in ``zone``) or a YYYY-MM-DD date, returned as YYYY-MM-DD."""
    if value in ("today", "yesterday"):
        today = datetime.now(zone).date()
        if value == "yesterday":
            today = date_type.fromordinal(today.toordinal() - 1)
        return today.isoformat()
    try:
        return date_type.fromisoformat(value).isoformat() if re.fullmatch(
            r"\d{4}-\d{2}-\d{2}", value
        ) else _bad_date(value)
    except ValueError:
        return _bad_date(value)


def _bad_date(value: str) -> str:
    raise ConfigError(f"--date: expected YYYY-MM-DD, 'today' or 'yesterday' (got {value!r})")


def describe_keys(model: type[BaseModel] = Config, prefix: str = "") -> list[tuple[str, str, str]]:
    """(dotted key, default, description) for every setting: feeds the README reference."""
    rows: list[tuple[str, str, str]] = []
    for name, info in model.model_fields.items():
        if name == "config_path":
            continue
        key = f"{prefix}{info.alias or name}"
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows.extend(describe_keys(annotation, f"{key}."))
            continue
        default = info.get_default(call_default_factory=True)
        if isinstance(default, Path):
            default = str(default)
        elif isinstance(default, tuple):
            default = list(default)
        shown = "null" if default is None else yaml.safe_dump(default, default_flow_style=True, allow_unicode=True).strip().removesuffix("...").strip()
        rows.append((key, shown, info.description or ""))
    return rows
