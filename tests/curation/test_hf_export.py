"""`personagen export --format hf`: a folder the real `datasets` library loads offline, with a dataset card."""

from __future__ import annotations

import json

import pytest

from tests.curation.conftest import invoke, plant_group, read_jsonl

datasets = pytest.importorskip("datasets", reason="the load test needs `datasets` (the dev extra)")
yaml = pytest.importorskip("yaml")


@pytest.fixture
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    return tmp_path / "hf-cache"


def front_matter(card: str) -> dict:
    assert card.startswith("---\n")
    return yaml.safe_load(card[4 : card.index("\n---\n", 4)])


def test_the_hf_folder_loads_with_datasets_and_emotion_is_a_class_label(stub_run, tmp_path, offline):
    plant_group(stub_run)  # three near-duplicates across personas: the export curates again and leaves them out
    out = tmp_path / "hf"
    result = invoke("export", stub_run, "--format", "hf", "--out", out)
    assert result.exit_code == 0, result.output
    config = json.loads((stub_run / "config.json").read_text())
    curation = json.loads((stub_run / "curation.json").read_text())

    loaded = datasets.load_dataset(str(out), cache_dir=str(offline))
    train = loaded["train"]
    emotion = train.features["emotion"]
    assert isinstance(emotion, datasets.ClassLabel) and emotion.names == config["emotions"]
    assert train.num_rows == curation["kept"] <= curation["records"] - 3 and list(loaded) == ["train"]
    records = {r["id"]: r for r in read_jsonl(stub_run / "records.jsonl")}
    first = train[0]
    assert emotion.int2str(first["emotion"]) == records[first["id"]]["emotion"]
    assert first["text"] == records[first["id"]]["text"] and isinstance(first["persona_age"], int)
    print(f"\nload_dataset({out.name}): {loaded}\nemotion: {emotion}")

    everything = tmp_path / "hf-all"
    assert invoke("export", stub_run, "-f", "hf", "-o", everything, "--all").exit_code == 0
    assert datasets.load_dataset(str(everything), cache_dir=str(offline))["train"].num_rows == len(records)


def test_the_card_describes_the_run(stub_run, tmp_path):
    out = tmp_path / "hf"
    assert invoke("export", stub_run, "-f", "hf", "-o", out, "--license", "cc-by-4.0").exit_code == 0
    card = (out / "README.md").read_text()
    meta = front_matter(card)
    assert meta["license"] == "cc-by-4.0" and meta["language"] == ["en"]
    assert meta["task_categories"] == ["text-classification"] and meta["size_categories"] == ["n<1K"]
    assert meta["dataset_info"]["features"][1]["dtype"]["class_label"]["names"]["0"] == "joy"
    summary = json.loads((stub_run / "summary.json").read_text())
    for section in ("## Labels", "## How it was generated", "## Models per agent", "## Critics and acceptance",
                    "## Duplicates removed", "## Coverage", "## Known limits", "## Citation"):
        assert section in card
    assert "| default | openai-compatible | stub |" in card
    assert all(f"| {critic} | {c['passed']} | {c['rejected']} |" in card for critic, c in summary["critics"].items())
    assert "Inoshita & Harada (2025)" in card and "arXiv:2507.13380" in card


def test_export_never_replaces_a_card_it_did_not_write(stub_run, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "README.md").write_text("my own card")
    result = invoke("export", stub_run, "-f", "hf", "-o", out)
    assert result.exit_code == 2 and "not a card PersonaGen wrote" in " ".join(result.output.split())
    assert (out / "README.md").read_text() == "my own card"
    again = tmp_path / "again"
    assert invoke("export", stub_run, "-f", "hf", "-o", again).exit_code == 0
    assert invoke("export", stub_run, "-f", "hf", "-o", again).exit_code == 0  # an earlier export is replaced
