"""The one atomic write: the whole new content or the old file, never a part; fsynced before the rename."""

from __future__ import annotations

import os

import pytest

from personagen.runformat import atomic
from personagen.runformat.atomic import KeepOld, atomic_file, atomic_path, atomic_write


def test_a_write_replaces_the_file_whole_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "summary.json"
    target.write_text("old")
    atomic_write(target, '{"status": "finished"}')
    assert target.read_text() == '{"status": "finished"}'
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "records.csv"
    target.write_text("old")
    with pytest.raises(ZeroDivisionError), atomic_file(target, "w", encoding="utf-8") as fh:
        fh.write("half of the new")
        raise ZeroDivisionError
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["records.csv"]


def test_keep_old_leaves_the_file_and_goes_no_further(tmp_path):
    target = tmp_path / "events.jsonl"
    target.write_text("line\n")
    with atomic_file(target) as fh:
        fh.write("other\n")
        raise KeepOld
    assert target.read_text() == "line\n" and len(list(tmp_path.iterdir())) == 1


def test_the_temporary_file_is_in_the_same_folder_and_named_with_the_pid(tmp_path):
    target = tmp_path / "data.npy"
    with atomic_path(target, suffix=".npy") as tmp:
        assert tmp.parent == tmp_path and str(os.getpid()) in tmp.name and tmp.name.endswith(".npy")
        tmp.write_bytes(b"x")
    assert target.read_bytes() == b"x"


def test_the_content_and_the_folder_are_fsynced_before_and_after_the_rename(tmp_path, monkeypatch):
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: calls.append("fsync") or real_fsync(fd))
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: calls.append("replace") or real_replace(a, b))
    atomic_write(tmp_path / "config.json", "{}")
    assert calls == ["fsync", "replace", "fsync"]  # the file, the rename, the folder
