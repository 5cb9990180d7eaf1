"""Recipient lists: config lists and files, tolerant separators, precise errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.config import load_config
from newsletter.deliver.recipients import load_recipients
from newsletter.errors import ConfigError


def test_file_with_mixed_separators_comments_and_duplicates(tmp_path, caplog):
    people = tmp_path / "people.txt"
    people.write_text(
        "# readers\n"
        "alice@example.org\n"
        "\n"
        "bob@example.org, carol@example.org; dave@example.org  erin@example.org\n"
        '"Li, Wei" <wei@example.org>; Zhang San <zs@example.org>\n'
        "ALICE@EXAMPLE.ORG   # again, other case\n"
        "frank#team@example.org\n",
        encoding="utf-8",
    )
    boxes = load_recipients(people)
    assert [b.addr_spec for b in boxes] == [
        "alice@example.org",
        "bob@example.org",
        "carol@example.org",
        "dave@example.org",
        "erin@example.org",
        "wei@example.org",
        "zs@example.org",
        "frank#team@example.org",
    ]
    assert boxes[5].display_name == "Li, Wei" and boxes[6].display_name == "Zhang San"
    (warning,) = caplog.messages
    assert (
        "people.txt:6: ALICE@EXAMPLE.ORG is listed again" in warning and "people.txt:2" in warning
    )


def test_bad_address_names_file_and_line(tmp_path):
    people = tmp_path / "people.txt"
    people.write_text("alice@example.org\nbob(at)example.org\n", encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"people\.txt:2: 'bob\(at\)example\.org' is not a usable"
    ):
        load_recipients(people)


def test_list_errors_name_the_item():
    with pytest.raises(ConfigError, match=r"delivery\.to\[1\]"):
        load_recipients(("ok@example.org", "nope@"))
    with pytest.raises(ConfigError, match="no recipients"):
        load_recipients(())


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="recipients file .* not found"):
        load_recipients(tmp_path / "nobody.txt")


def test_config_file_path_resolves_next_to_the_config(tmp_path: Path):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "people.txt").write_text("a@example.org\n", encoding="utf-8")
    config_file = tmp_path / "conf" / "newsletter.yaml"
    config_file.write_text("delivery:\n  to: people.txt\n", encoding="utf-8")
    config = load_config(config_file)
    assert [b.addr_spec for b in load_recipients(config.delivery.to)] == ["a@example.org"]
