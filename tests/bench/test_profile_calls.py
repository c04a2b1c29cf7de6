"""bench/profile_calls.py without its profiler: one clear message naming what to install, exit 2, before any run
(no stub started, no traceback)."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from bench import profile_calls


@pytest.fixture
def no_runs(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a run started")

    monkeypatch.setattr(profile_calls, "start_stub", refuse)


def test_missing_py_spy_is_named_before_the_runs(monkeypatch, tmp_path, capsys, no_runs):
    monkeypatch.setattr(profile_calls.shutil, "which", lambda name: None)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "bin" / "python"))  # a venv without bin/py-spy
    assert profile_calls.main(["--personas", "2", "--repeat", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --profiler py-spy: py-spy is not installed")
    assert f"{tmp_path / 'bin' / 'pip'} install py-spy" in err and "Traceback" not in err


def test_missing_pyinstrument_is_named_before_the_runs(monkeypatch, capsys, no_runs):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pyinstrument" else find_spec(name, *a))
    assert profile_calls.main(["--profiler", "pyinstrument"]) == 2
    assert "install pyinstrument" in capsys.readouterr().err


def test_py_spy_beside_the_interpreter_is_found(monkeypatch, tmp_path):
    monkeypatch.setattr(profile_calls.shutil, "which", lambda name: None)
    (tmp_path / "py-spy").write_text("")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    assert profile_calls.missing_profiler("py-spy") is None and profile_calls.py_spy() == str(tmp_path / "py-spy")
