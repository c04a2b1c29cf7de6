"""`personagen label`: a keyboard session on a run the pipeline wrote on the stub, driven by scripted keys;
its answers in RUN/labels.jsonl, resumed, deterministic for a seed; and what eval makes of them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from personagen.cli import app
from personagen.evaluation.label_accuracy import label_accuracy, wilson
from personagen.labelling import NO_EMOTION, OTHER, read_labels
from tests.conftest import GOEMOTIONS, shared_path

EMOTIONS = ["joy", "anger", "sadness"]


def invoke(*args: object, keys: str = ""):
    return CliRunner().invoke(app, [str(a) for a in args], input=keys, catch_exceptions=False)


@pytest.fixture(scope="module")
def stub_template(tmp_path_factory, stub_url) -> Path:
    runs = tmp_path_factory.mktemp("label-runs")
    # the emotion-reading critics off: on the stub's word salad their verdicts are noise (tests/runner/test_quotas.py)
    result = invoke("run", "-n", 4, "-e", ",".join(EMOTIONS), "-k", 2, "--base-url", stub_url, "--model", "stub",
                    "--runs-dir", runs, "--run-id", "r", "-q", "--no-critic", "offline_emotion",
                    "--no-critic", "emotion_fidelity")
    assert result.exit_code == 0, result.output
    return runs / "r"


@pytest.fixture
def run(stub_template: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "r"
    shutil.copytree(stub_template, folder)
    return folder


@pytest.fixture
def controls(tmp_path: Path) -> Path:
    """Real labelled rows (GoEmotions-6's test.tsv when it is there, else a few written here)."""
    if (GOEMOTIONS / "test.tsv").is_file():
        return GOEMOTIONS
    path = tmp_path / "real.tsv"
    rows = [("What a lovely surprise, thank you!", "joy"), ("This is infuriating.", "anger"),
            ("I miss him so much.", "sadness"), ("Who knew?", "surprise")] * 3
    path.write_text("text\tlabel\tid\n" + "".join(f"{t}\t{lb}\tx{i}\n" for i, (t, lb) in enumerate(rows)))
    return path


def kept_ids(run: Path) -> dict[str, str]:
    return {r["id"]: r["emotion"] for r in map(json.loads, (run / "records.jsonl").read_text().splitlines())}


def test_keys_answer_one_text_each_and_the_answers_land_in_labels_jsonl(run: Path, controls: Path) -> None:
    result = invoke("label", run, "--sample", 6, "--controls", 3, "--controls-from", controls, "--labeller", "ann",
                    keys="12x3onq")
    assert result.exit_code == 0, result.output
    rows = read_labels(run)
    assert [r.answer for r in rows] == ["joy", "anger", "sadness", OTHER, NO_EMOTION]  # 'x' is no answer
    assert "'x' is no answer" in result.output and "5 answered now; 4 left" in result.output
    kept = kept_ids(run)
    for row in rows:
        assert row.labeller == "ann" and row.seed == 0
        if row.kind == "text":
            assert row.truth == kept[row.item]
        else:
            assert row.item.startswith("control:") and row.truth in EMOTIONS
    session = result.output.split("answered now")[0]  # blind: no id, nor whether a text is a control
    assert not any(s in session for s in ("p000", "control", "target"))


def test_the_session_shows_no_agreement_figures(run: Path, controls: Path) -> None:
    """Agreement per emotion on the labelling screen would tell the labeller the targets of what they just read
    (and of the next run's texts): the blind reading of issue 22 met it. The figures are eval's."""
    result = invoke("label", run, "--sample", 6, "--controls", 3, "--controls-from", controls, keys="123123123")
    assert result.exit_code == 0 and "9 answered now; 0 left" in result.output
    assert "%" not in result.output and "agreement" not in result.output
    assert f"label accuracy: personagen eval {run.name}" in result.output
    assert label_accuracy(run)["controls"]["overall"]["n"] == 3  # ... and eval has them


def test_each_run_gets_its_own_controls(run: Path, tmp_path: Path) -> None:
    """The same seed on another run draws other controls, so answers to them stay independent across runs."""
    goemotions = shared_path("data", "goemotions6", "test.tsv", what="GoEmotions-6").parent
    other = tmp_path / "other"
    shutil.copytree(run, other)

    def controls_of(folder: Path) -> set[str]:
        invoke("label", folder, "--sample", 1, "--controls", 8, "--controls-from", goemotions, keys="n" * 9)
        return {r.item for r in read_labels(folder) if r.kind == "control"}

    first, second = controls_of(run), controls_of(other)
    assert len(first) == len(second) == 8 and first != second
    (run / "labels.jsonl").unlink()
    assert controls_of(run) == first  # the same run and seed: the same controls (a session resumes them)


def test_a_stopped_session_resumes_where_it_stopped(run: Path, controls: Path) -> None:
    args = ("label", run, "--sample", 6, "--controls", 3, "--controls-from", controls)
    assert invoke(*args, keys="12q").exit_code == 0
    second = invoke(*args, keys="3333333")  # more keys than items: the session ends at the last one
    assert "text 3 of 9" in second.output and "text 2 of 9" not in second.output
    assert "7 answered now; 0 left" in second.output
    rows = read_labels(run)
    assert len(rows) == 9 == len({r.item for r in rows})
    assert sum(r.kind == "control" for r in rows) == 3
    assert sorted(kept_ids(run)[r.item] for r in rows if r.kind == "text") == sorted(EMOTIONS * 2)  # balanced
    assert "every text of this sample is labelled" in invoke(*args, keys="1").output


def test_undo_takes_back_the_previous_answer_and_asks_again(run: Path) -> None:
    result = invoke("label", run, "--sample", 3, keys="u1u2oq")  # undo at the first text does nothing
    assert result.exit_code == 0 and "2 answered now; 1 left" in result.output
    rows = read_labels(run)
    assert [r.answer for r in rows] == ["anger", OTHER]
    assert len({r.item for r in rows}) == 2 and "text 1 of 3" in result.output.split("<- undo")[-2]


def test_the_sample_and_its_order_are_fixed_by_the_seed(run: Path) -> None:
    def order(labeller: str, seed: int) -> list[str]:
        invoke("label", run, "--sample", 6, "--seed", seed, "--labeller", labeller, keys="nnnnnn")
        return [r.item for r in read_labels(run) if r.labeller == labeller]

    first = order("a", 0)
    assert first == order("b", 0) and len(first) == 6
    assert first != order("c", 1)


@pytest.mark.parametrize(("args", "message"), [
    (("--controls", 2), "--controls N needs --controls-from DIR"),
    (("--controls", 2, "--controls-from", "/nonexistent"), "expected a .tsv file"),
])
def test_bad_input_is_one_message_and_exit_2(run: Path, args: tuple, message: str) -> None:
    result = invoke("label", run, *args, keys="1")
    assert result.exit_code == 2 and message in result.output
    assert not (run / "labels.jsonl").exists()


def test_eval_measures_accuracy_per_emotion_and_the_controls_agreement(run: Path, controls: Path) -> None:
    invoke("label", run, "--sample", 6, "--controls", 3, "--controls-from", controls, keys="111111111")
    rows = read_labels(run)
    found = label_accuracy(run)
    texts = [r for r in rows if r.kind == "text"]
    right = sum(r.truth == "joy" for r in texts)
    assert found["texts"]["overall"]["k"] == right and found["texts"]["overall"]["n"] == 6
    assert found["texts"]["per_emotion"]["joy"] == {"k": 2, "n": 2, "share": 1.0,
                                                    "low": round(wilson(2, 2)[0], 4), "high": 1.0}
    assert found["texts"]["per_emotion"]["anger"]["k"] == 0
    real_joy = sum(r.truth == "joy" for r in rows if r.kind == "control")
    assert found["controls"]["overall"]["k"] == real_joy and found["controls"]["overall"]["n"] == 3


def test_wilson_intervals_match_the_issues_figures() -> None:
    assert [round(x, 2) for x in wilson(7, 37)] == [0.09, 0.34]  # kept texts: 19% [9%-34%]
    assert [round(x, 2) for x in wilson(13, 24)] == [0.35, 0.72]  # GoEmotions controls: 54% [35%-72%]
    assert wilson(0, 0) == (0.0, 1.0)


def test_the_eval_report_shows_the_measured_accuracy(run: Path) -> None:
    from personagen.evaluation.report import render_report

    invoke("label", run, "--sample", 3, "--labeller", "bo", keys="111")
    page = render_report({"run_id": "r", "human_labels": label_accuracy(run)}, {})
    assert "<h2>Label accuracy measured by people</h2>" in page and "labelled blind by bo" in page
    assert "<td>joy</td><td>100% [" in page
    assert "<td>label accuracy, labelled by people</td>" in page  # the summary's key metrics (and compare)


def test_the_run_format_doc_shows_a_label_row() -> None:
    from personagen.labelling import LabelRow
    from tests.docs.test_run_format import doc_examples

    example = doc_examples()["labels.jsonl"]
    assert set(example) == set(LabelRow.model_fields)
    assert LabelRow.model_validate(example).kind == "text"
