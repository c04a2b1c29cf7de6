"""Fixtures of the curation tests: runs written by the real pipeline on the stub server, copied per test.

Where a test needs duplicates across personas it plants them in such a run (`plant_group`: records appended under
other personas' ids, as if they had written these texts): the stub writes word salad, whose near-duplicates are
accidental.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("onnxruntime", reason="curation needs numpy and the MiniLM embedder (the local or eval extra)")

from personagen.cli import app  # noqa: E402

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def make_run(runs: Path, run_id: str, stub_url: str, *extra: str, personas: int = 6) -> Path:
    result = invoke("run", "-n", personas, "-e", "joy,anger", "-k", "2", "--seed", "5", "--runs-dir", runs,
                    "--run-id", run_id, "--base-url", stub_url, "--model", "stub", "-q", *extra)
    assert result.exit_code == 0, result.output
    return runs / run_id


@pytest.fixture(scope="session")
def stub_run_template(tmp_path_factory, stub_url) -> Path:
    """A finished 6-persona run (curated at its end), never modified: tests copy it."""
    return make_run(tmp_path_factory.mktemp("curation-runs"), "base", stub_url)


@pytest.fixture
def stub_run(stub_run_template: Path, tmp_path: Path) -> Path:
    """A private copy of the finished run, in tmp_path/runs/<id>."""
    folder = tmp_path / "runs" / "r"
    shutil.copytree(stub_run_template, folder, ignore=shutil.ignore_patterns("curation-cache"))
    return folder


ORIGINAL = "I finally got the keys to our first flat today and I cannot stop smiling."
VARIANTS = {
    "exact": "i finally got the keys to our first flat today, and I cannot stop smiling!",
    "lexical": "I finally got the keys to our first flat today and I cannot stop smiling at all.",
    "semantic": "Today I finally got the keys to our very first flat and I can't stop smiling.",
}
DIFFERENT = ["I finally got the keys to my first car today and I cannot stop smiling.",  # cosine 0.78
             "The landlord kept our deposit and I am furious."]


def plant_group(folder: Path) -> list[str]:
    """Append ORIGINAL under the first persona, then each variant and each DIFFERENT text under later personas
    (labels alternate joy/anger); returns the new record ids in that order."""
    records = read_jsonl(folder / "records.jsonl")
    personas = sorted({r["persona_id"] for r in records})
    ids = []
    with (folder / "records.jsonl").open("a", encoding="utf-8") as handle:
        for n, text in enumerate([ORIGINAL, *VARIANTS.values(), *DIFFERENT]):
            persona = personas[0] if n == 0 else personas[1 + (n - 1) % (len(personas) - 1)]
            ids.append(f"{persona}-planted-{n}")
            handle.write(json.dumps({**records[0], "id": ids[-1], "persona_id": persona,
                                     "emotion": "joy" if n % 2 == 0 else "anger", "text": text}) + "\n")
    return ids
