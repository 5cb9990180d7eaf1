from __future__ import annotations

import pytest

from newsletter.errors import OutputError
from newsletter.writer import Writer, atomic_write_bytes, recover_directory, staged_directory


def test_atomic_write_replaces_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "a" / "file.txt"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.txt"]


def test_writer_refuses_to_write_a_path_twice(tmp_path):
    writer = Writer(tmp_path)
    writer.write_text("x.txt", "1")
    with pytest.raises(OutputError, match="written twice"):
        writer.write_text("x.txt", "2")
    assert (tmp_path / "x.txt").read_text() == "1"


def test_writer_refuses_paths_outside_its_root(tmp_path):
    with pytest.raises(OutputError, match="outside"):
        Writer(tmp_path / "root").write_text("../escape.txt", "no")
    assert not (tmp_path / "escape.txt").exists()


def test_staged_directory_swaps_in_a_complete_folder(tmp_path):
    target = tmp_path / "2026-02-09"
    with staged_directory(target) as writer:
        writer.write_text("a.txt", "old a")
        writer.write_text("b.txt", "old b")
    with staged_directory(target) as writer:
        writer.write_text("a.txt", "new a")
    assert sorted(p.name for p in target.iterdir()) == ["a.txt"]
    assert (target / "a.txt").read_text() == "new a"
    assert [p.name for p in tmp_path.iterdir()] == ["2026-02-09"]


def test_failure_inside_staged_directory_keeps_the_previous_folder(tmp_path):
    target = tmp_path / "day"
    with staged_directory(target) as writer:
        writer.write_text("edition.json", "{}")
    with pytest.raises(RuntimeError), staged_directory(target) as writer:
        writer.write_text("edition.json", '{"half": ')
        raise RuntimeError("render failed")
    assert (target / "edition.json").read_text() == "{}"
    assert [p.name for p in tmp_path.iterdir()] == ["day"]


def test_recover_restores_a_folder_left_between_the_two_renames(tmp_path):
    target = tmp_path / "day"
    old = tmp_path / ".replaced-day"
    old.mkdir()
    (old / "edition.json").write_text("previous")
    stale = tmp_path / ".staging-day-abc"
    stale.mkdir()
    recover_directory(target)
    assert (target / "edition.json").read_text() == "previous"
    assert not stale.exists() and not old.exists()


def test_unwritable_location_is_an_output_error(tmp_path):
    # A file where a folder should be fails for root too (permissions would not).
    (tmp_path / "blocker").write_text("a file, not a folder")
    with pytest.raises(OutputError, match="cannot write"):
        atomic_write_bytes(tmp_path / "blocker" / "x.txt", b"1")
