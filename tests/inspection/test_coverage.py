"""`personagen inspect RUN --coverage` and personagen/inspection/coverage.py, on runs written by the real pipeline."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from personagen.inspection.coverage import NO_SCENARIO, age_band, normalised_entropy, run_coverage
from personagen.personas.vocab import load_vocab
from personagen.runformat.lines import iter_jsonl
from tests.inspection.real_runs import FINISHED, RUNNING, SETTINGS, run, script


@pytest.fixture(scope="module")
def base_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real `--stages base` run (records without socio or scenario)."""
    runs_dir = tmp_path_factory.mktemp("coverage") / "runs"
    run(runs_dir, "20261126-170000-eeee", script(), settings={**SETTINGS, "run": {**SETTINGS["run"], "stages": "base"}})
    return runs_dir


def test_normalised_entropy_bounds() -> None:
    assert normalised_entropy(Counter({"a": 5})) == 0.0
    assert normalised_entropy(Counter()) == 0.0
    assert normalised_entropy(Counter({"a": 3, "b": 3, "c": 3})) == pytest.approx(1.0)
    assert 0 < normalised_entropy(Counter({"a": 9, "b": 1})) < 1


def test_age_bands() -> None:
    assert [age_band(a) for a in (19, 25, 34, 44, 64, 65, 90)] == ["<25", "25-34", "25-34", "35-44", "55-64",
                                                                 "65+", "65+"]


def test_counts_match_the_records(runs_dir: Path) -> None:
    cov = run_coverage(runs_dir / FINISHED)
    records = list(iter_jsonl(runs_dir / FINISHED / "records.jsonl"))
    assert cov.records == "curated" and cov.n_records == len(records)
    attrs = {a.name: a for a in cov.attributes}
    assert set(attrs) == {"location", "partner", "medium", "language_style", "age_band", "gender",
                          "occupation_major_group"}
    expected = Counter((r["emotion"], r["scenario"]["location"]) for r in records)
    assert {(e, v): n for e, row in attrs["location"].counts.items() for v, n in row.items() if n} == expected
    groups = {r["persona"]["occupation_code"][:2] for r in records}
    assert set(attrs["occupation_major_group"].values) == groups
    for attr in cov.attributes:
        assert 0.0 <= attr.entropy <= 1.0
        assert all(n < cov.threshold for _, _, n in attr.thin)


def test_vocabulary_values_no_record_has_are_empty_cells(runs_dir: Path) -> None:
    cov = run_coverage(runs_dir / FINISHED)
    location = next(a for a in cov.attributes if a.name == "location")
    drawn = {r["scenario"]["location"] for r in iter_jsonl(runs_dir / FINISHED / "records.jsonl")}
    vocabulary = set(load_vocab().locations)
    assert set(location.unseen) == vocabulary - drawn and location.unseen
    assert set(location.values) == vocabulary | drawn
    assert {(e, v) for e, v, n in location.thin if v in location.unseen} == {
        (e, v) for e in cov.emotions for v in location.unseen}
    assert next(a for a in cov.attributes if a.name == "gender").unseen == []  # no vocabulary for personas


def test_uncurated_run_uses_all_records(runs_dir: Path) -> None:
    cov = run_coverage(runs_dir / RUNNING)
    assert cov.records == "all" and "all records" in cov.note


def test_cli_table_and_json(cli, runs_dir: Path) -> None:
    result = cli("inspect", FINISHED, "--runs-dir", str(runs_dir), "--coverage")
    assert result.exit_code == 0
    assert "normalised entropy" in result.stdout and "thin cells" in result.stdout and "curated view" in result.stdout
    data = json.loads(cli("inspect", FINISHED, "--runs-dir", str(runs_dir), "--coverage", "--json").stdout)
    assert data["records"] == "curated" and data["scenario"] is None
    assert data["attributes"]["medium"]["source"] == "scenario"


def test_base_run_says_no_scenario(cli, base_run: Path) -> None:
    cov = run_coverage(base_run / "20261126-170000-eeee")
    assert cov.n_records > 0 and cov.scenario_note == NO_SCENARIO
    assert {a.source for a in cov.attributes} == {"persona"}
    result = cli("inspect", "20261126-170000-eeee", "--runs-dir", str(base_run), "--coverage")
    assert result.exit_code == 0 and "no scenario" in result.stdout


def test_report_section_with_heatmap(runs_dir: Path) -> None:
    pytest.importorskip("matplotlib")
    import numpy as np

    from personagen.evaluation.report import section_coverage
    from personagen.evaluation.runner import make_plots

    coverage = run_coverage(runs_dir / FINISHED).to_json()
    vectors = np.eye(3)
    heatmaps = {k: v for k, v in make_plots({"coverage": coverage}, vectors, ["a", "b", "a"], None).items()
                if k != "embedding_map"}
    assert set(heatmaps) == {f"coverage_{name}" for name in coverage["attributes"]}
    html = section_coverage(coverage, heatmaps)
    assert "<h2>Coverage</h2>" in html and html.count("data:image/png;base64,") == len(coverage["attributes"])
