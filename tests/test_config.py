from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.config import load_config, resolve_date
from newsletter.errors import ConfigError

PROJECT_CONFIG = Path(__file__).resolve().parents[1] / "config" / "newsletter.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newsletter.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_project_config_is_valid_and_points_at_the_bundled_sample(monkeypatch):
    monkeypatch.delenv("NEWSLETTER_OUT_DIR")
    config = load_config(PROJECT_CONFIG)
    assert Path(config.source) == PROJECT_CONFIG.parents[1] / "examples" / "digests"
    assert (Path(config.source) / "2026-02-09.md").is_file()
    assert config.out_dir == PROJECT_CONFIG.parents[1] / "out"
    assert config.llm.enabled is False


def test_missing_keys_take_defaults(tmp_path):
    config = load_config(write(tmp_path, "language: zh\n"))
    assert config.language == "zh"
    assert config.llm.concurrency == 8
    assert config.email.max_bytes == 100_000
    assert config.delivery.backend == "console"


def test_every_invalid_key_is_reported_at_once(tmp_path):
    path = write(
        tmp_path,
        "language: fr\nllm: {concurrency: 0, colour: blue}\ndelivery: {backend: pigeon}\n"
        "timezone: Mars/Olympus\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message
    assert "4 invalid" not in message  # there are five
    for key in ("language", "llm.concurrency", "llm.colour: unknown key", "delivery.backend", "timezone"):
        assert key in message, key
    assert "5 invalid setting(s)" in message


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, "language: zh\nllm:\n  model: [unclosed\n")
    with pytest.raises(ConfigError, match=rf"{path}:\d+: invalid YAML"):
        load_config(path)


def test_top_level_must_be_a_mapping(tmp_path):
    with pytest.raises(ConfigError, match="mapping"):
        load_config(write(tmp_path, "- a\n- b\n"))


def test_relative_paths_resolve_against_the_config_file(tmp_path):
    path = write(tmp_path, "source: digests\nout_dir: build/out\narchive: {dir: site}\n")
    config = load_config(path, environ={})
    assert config.source == str(tmp_path / "digests")
    assert config.out_dir == tmp_path / "build" / "out"
    assert config.site_dir == tmp_path / "site"


def test_url_sources_are_not_treated_as_paths(tmp_path):
    url = "https://example.org/data/{date}.md"
    assert load_config(write(tmp_path, f"source: '{url}'\n")).source == url


def test_layers_file_then_environment_then_flags(tmp_path):
    path = write(tmp_path, "source: from-file\nlanguage: zh\n")
    env = {"NEWSLETTER_SOURCE": "/from/env"}
    assert load_config(path, environ=env).source == "/from/env"
    flags = load_config(path, {"source": "/from/flag", "language": "en"}, environ=env)
    assert flags.source == "/from/flag"
    assert flags.language == "en"


def test_resolve_date():
    from zoneinfo import ZoneInfo

    assert resolve_date("2026-02-09", ZoneInfo("UTC")) == "2026-02-09"
    assert len(resolve_date("today", ZoneInfo("Asia/Shanghai"))) == 10
    for bad in ("2026-2-9", "2026-02-30", "tomorrow", "09/02/2026"):
        with pytest.raises(ConfigError, match="YYYY-MM-DD"):
            resolve_date(bad, ZoneInfo("UTC"))
