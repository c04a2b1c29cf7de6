"""Fixtures of the evaluation tests: a shared embedder and tiny fake runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("sklearn", reason="the evaluation tests need the 'eval' extra")

from personagen.evaluation.embeddings import Embedder  # noqa: E402

TEXTS = {
    "joy": [
        "I finally got the job, I can't stop smiling!",
        "Best birthday ever, thank you all so much!",
        "We won the final, what a night!",
        "My sister just had a healthy baby girl, so happy.",
        "Sunshine, coffee and a day off. Perfect.",
        "Passed my driving test on the first try!",
    ],
    "anger": [
        "They cancelled my flight again without telling me. Unbelievable.",
        "Stop taking my lunch from the office fridge!",
        "The landlord ignored my emails for a month.",
        "I am furious that the bank charged me twice.",
        "Why does nobody ever clean up after themselves?",
        "He lied to my face and thinks it's fine.",
    ],
    "sadness": [
        "I miss my grandmother every single day.",
        "The house feels so empty since the dog died.",
        "Nobody came to my show tonight.",
        "I failed the exam after months of studying.",
        "We said goodbye at the station and I cried all the way home.",
        "Another rainy Sunday alone in this flat.",
    ],
}


def write_run(
    folder: Path, records: list[dict], personas: list[dict] | None = None, config: dict | None = None
) -> Path:
    """A run folder with the given rows (see docs/run-format.md)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(
        json.dumps(config or {"run_id": folder.name, "method": "test", "locale": "us"})
    )
    (folder / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (folder / "personas.jsonl").write_text("".join(json.dumps(p) + "\n" for p in personas or []))
    return folder


def records_of(texts: dict[str, list[str]]) -> list[dict]:
    return [
        {"id": f"p{i:06d}-{label}-0", "persona_id": f"p{i:06d}", "emotion": label, "text": text}
        for label, items in texts.items()
        for i, text in enumerate(items)
    ]


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the shared embedding cache of the tests out of the user's home."""
    monkeypatch.setenv("PERSONAGEN_CACHE_DIR", str(tmp_path / "shared-cache"))


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture
def tiny_run(tmp_path: Path) -> Path:
    return write_run(tmp_path / "runs" / "tiny", records_of(TEXTS))


@pytest.fixture
def tiny_real(tmp_path: Path) -> Path:
    """A real corpus folder whose labels need a map: happy/angry/sad."""
    folder = tmp_path / "real"
    folder.mkdir()
    names = {"joy": "happy", "anger": "angry", "sadness": "sad"}
    rows = [(text, names[label]) for label, items in TEXTS.items() for text in items]
    train = "".join(f"{t} indeed\t{lb}\tid{i}\n" for i, (t, lb) in enumerate(rows))
    test = "".join(f'"{t}" she said\t{lb}\tt{i}\n' for i, (t, lb) in enumerate(rows[::2]))
    (folder / "train.tsv").write_text("text\tlabel\tid\n" + train)
    (folder / "test.tsv").write_text("text\tlabel\tid\n" + test)
    return folder

