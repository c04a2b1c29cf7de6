"""`personagen eval --embedding-model DIR`: a user's ONNX model folder is honoured and recorded; metrics.json and
the report say which model embedded the texts and warn when it does not cover their language, or when the
offline emotion critic filtered a run that is compared with GoEmotions (the critic's training corpus)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from personagen.agents.sentence_embedder import MINILM_ID, TOKENIZER_PATH, packaged_source
from personagen.commands.evaluate import register
from personagen.evaluation.embeddings import Embedder, texts_key
from personagen.evaluation.errors import EvalError
from personagen.evaluation.runner import EvalOptions, evaluate
from tests.evaluation.conftest import TEXTS, read_records
from tests.evaluation.pipeline_runs import RunCache


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory) -> Path:
    """The shipped MiniLM given as a user's folder: model.onnx + tokenizer.json copied into tmp."""
    folder = tmp_path_factory.mktemp("models") / "my-minilm"
    folder.mkdir()
    shutil.copy(packaged_source().model_file, folder / "model.onnx")
    shutil.copy(TOKENIZER_PATH, folder / "tokenizer.json")
    return folder


def eval_cli(*args: str) -> object:
    app = typer.Typer()
    register(app)
    return CliRunner().invoke(app, ["eval", *args])


def test_the_option_is_honoured_and_recorded(tiny_run: Path, model_folder: Path, embedder: Embedder):
    result = eval_cli(str(tiny_run), "--no-judge", "--json", "--embedding-model", str(model_folder))
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["embedding_model"] == "my-minilm"
    assert metrics["embedding"] == {"model": "my-minilm", "path": str(model_folder.resolve()), "languages": None,
                                    "dimension": 384}
    assert not any("covers" in w for w in metrics["warnings"])  # a folder's languages are not known: no warning
    html = (tiny_run / "eval" / "report.html").read_text()
    assert "my-minilm (languages not known, folder " in html
    texts = [r["text"] for r in read_records(tiny_run)]
    cached = list((tiny_run / "eval" / "cache").glob("*.npy"))
    assert [p.stem for p in cached] != [texts_key(texts, embedder.source.cache_id)]  # cached under its own key
    # the packaged model file given as a folder runs as it is (fp32 at run time), the default one quantised
    # (agents/quantized_model.py): near, not the same vectors
    mine, default = Embedder(model_folder).embed(texts[:4]), embedder.embed(texts[:4])
    assert (mine * default).sum(axis=1).min() > 0.98 and not np.allclose(mine, default, atol=1e-5)


def test_the_default_model_is_recorded(tiny_run: Path, embedder: Embedder):
    metrics = evaluate(EvalOptions(run=tiny_run), None, embedder).metrics
    assert metrics["embedding_model"] == MINILM_ID
    assert metrics["embedding"] == {"model": MINILM_ID, "path": None, "languages": ["en"], "dimension": 384}
    assert f"{MINILM_ID} (covers en)" in (tiny_run / "eval" / "report.html").read_text()


def test_an_incomplete_folder_stops_before_anything_is_written(tiny_run: Path, tmp_path: Path):
    folder = tmp_path / "half"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"")
    result = eval_cli(str(tiny_run), "--no-judge", "--embedding-model", str(folder))
    assert result.exit_code == 2
    assert "tokenizer.json" in result.output and "optimum-cli export onnx" in result.output
    assert "Traceback" not in result.output and not (tiny_run / "eval").exists()
    with pytest.raises(EvalError, match="missing: the folder"):
        evaluate(EvalOptions(run=tiny_run, embedding_model=tmp_path / "nowhere"))


def test_an_english_model_on_japanese_texts_is_warned_about(ja_run: Path, embedder: Embedder):
    run = ja_run
    metrics = evaluate(EvalOptions(run=run), None, embedder).metrics
    assert metrics["language"] == "ja" and metrics["n_texts"] == 18
    (warning,) = [w for w in metrics["warnings"] if "covers en only" in w]
    assert "'ja'" in warning and "--embedding-model" in warning
    assert "covers en only" in (run / "eval" / "report.html").read_text()


def goemotions_like(tmp_path: Path, tiny_real: Path) -> Path:
    """The tiny real corpus under a GoEmotions name."""
    return Path(shutil.copytree(tiny_real, tmp_path / "goemotions6"))


@pytest.mark.parametrize(("critics", "advisory", "warned"), [
    (["text_shape", "offline_emotion"], [], True),
    (["text_shape", "offline_emotion"], ["offline_emotion"], False),  # recorded only: it selected nothing
    (["text_shape"], [], False),
])
def test_the_critic_trained_on_goemotions_is_warned_about(tmp_path: Path, tiny_real: Path, embedder: Embedder,
                                                           run_cache: RunCache, critics: list[str],
                                                           advisory: list[str], warned: bool):
    chosen = {"critics": {"enable": critics, "advisory": advisory}}
    run = run_cache.copy("-".join(critics + ["advisory", *advisory]), tmp_path / "runs", TEXTS, settings=chosen)
    config = json.loads((run / "config.json").read_text(encoding="utf-8"))
    assert (sorted(config["critics"]), config["advisory_critics"]) == (sorted(critics), advisory)
    label_map = tmp_path / "map.txt"
    label_map.write_text("happy=joy\nangry=anger\nsad=sadness\n")
    options = EvalOptions(run=run, real=goemotions_like(tmp_path, tiny_real), label_map=label_map)
    metrics = evaluate(options, None, embedder).metrics
    assert metrics["n_texts"] >= 15 and metrics["downstream"]["synthetic"]["tfidf_lr"]["n_train"] == metrics["n_texts"]
    found = [w for w in metrics["warnings"] if "offline_emotion" in w]
    assert bool(found) is warned
    if warned:
        assert "optimistic" in found[0] and "optimistic" in (run / "eval" / "report.html").read_text()
    assert not [w for w in evaluate(EvalOptions(run=run, real=tiny_real, label_map=label_map), None,
                                    embedder).metrics["warnings"] if "offline_emotion" in w]
