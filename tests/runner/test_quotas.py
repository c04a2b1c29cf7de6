"""`--texts N`: rounds of personas until every emotion has its quota; deterministic, resumable, shardable."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from personagen.critics import Candidate, Stage, Verdict, accept, critic, isolated_registry, reject
from personagen.pipeline import execute
from personagen.quotas import STALL_ASKED, QuotaShort, Round, count_texts, next_round, quota_per_emotion
from personagen.settings import load_settings
from tests.runner.conftest import dataset, invoke, read_jsonl, summary

TEXTS = ["-e", "joy,anger", "-k", "2", "--model", "stub", "-q", "--seed", "7", "--no-curate", "--no-critic",
         "offline_emotion"]  # the stub writes word salad: the classifier's verdicts on it are noise


def kept(folder) -> Counter[str]:
    return Counter(r["emotion"] for r in read_jsonl(folder / "records.jsonl"))


def rounds(folder) -> list[dict]:
    return json.loads((folder / "quota.json").read_text())["rounds"]


# planning (pure)

def test_quota_is_split_over_emotions_and_shards() -> None:
    assert quota_per_emotion(10, ["joy", "anger", "fear"]) == {"joy": 4, "anger": 4, "fear": 4}
    assert quota_per_emotion(10, ["joy", "anger"], shards=3) == {"joy": 2, "anger": 2}


def test_round_one_assumes_every_text_is_kept_then_rounds_follow_the_yield() -> None:
    quota = {"joy": 20, "anger": 20}
    first = next_round([], {}, quota, per_persona=2)
    assert first == Round(1, 0, {"joy": 10, "anger": 10}, {})
    # joy kept 16 of 20 asked texts (1.6 per persona), anger 4 (0.4): 3 more joy personas, 20 anger (capped)
    second = next_round([first], {"joy": 16, "anger": 4}, quota, per_persona=2)
    assert second == Round(2, 10, {"joy": 3, "anger": 20}, {"joy": 16, "anger": 4})
    assert second.size == 20
    assert second.emotions_at(10, ["joy", "anger"]) == ["joy", "anger"]
    assert second.emotions_at(13, ["joy", "anger"]) == ["anger"]
    assert next_round([first, second], {"joy": 20, "anger": 21}, quota, per_persona=2) is None


def test_a_round_adds_at_most_twice_the_personas_so_far() -> None:
    first = Round(1, 0, {"joy": 2}, {})
    assert next_round([first], {"joy": 1}, {"joy": 100}, per_persona=2).asks == {"joy": 4}


def test_an_emotion_with_no_text_after_many_personas_stops_the_run_with_the_reason() -> None:
    first = Round(1, 0, {"joy": STALL_ASKED, "anger": STALL_ASKED}, {})
    with pytest.raises(QuotaShort, match=r"no anger text was kept after 10 or more personas.*inspect RUN --critics"):
        next_round([first], {"joy": 3, "anger": 0}, {"joy": 20, "anger": 20}, per_persona=2)


# whole runs on the stub

@pytest.fixture(scope="module")
def texts_run(tmp_path_factory, stub_url):
    runs = tmp_path_factory.mktemp("texts")
    result = invoke("run", "--texts", 12, *TEXTS, "--runs-dir", runs, "--run-id", "t", "--base-url", stub_url)
    assert result.exit_code == 0, result.output
    return runs / "t"


def test_a_texts_run_meets_each_quota_in_rounds_and_says_so(texts_run) -> None:
    s = summary(texts_run)
    assert s["status"] == "finished"
    got = kept(texts_run)
    assert got["joy"] >= 6 and got["anger"] >= 6
    assert s["quota"]["per_emotion"] == {e: {"quota": 6, "counted": got[e]} for e in ("joy", "anger")}
    planned = rounds(texts_run)
    assert planned[0]["asks"] == {"joy": 3, "anger": 3}  # 6 texts at 2 per persona
    personas = read_jsonl(texts_run / "personas.jsonl")
    assert sorted(p["index"] for p in personas) == list(range(sum(max(r["asks"].values()) for r in planned)))
    assert s["personas"]["requested"] == len(personas) and s["quota"]["rounds"] == len(planned)


def test_later_rounds_write_only_the_emotions_still_short(texts_run) -> None:
    planned = [Round(**r) for r in rounds(texts_run)]
    assert len(planned) >= 2, "the stub rejects enough texts to need a second round"
    for record in read_jsonl(texts_run / "records.jsonl"):
        index = int(record["persona_id"][1:])
        r = next(r for r in planned if r.start <= index < r.start + r.size)
        assert record["emotion"] in r.emotions_at(index, ["joy", "anger"])


def test_the_same_seed_gives_the_same_rounds_and_texts(texts_run, tmp_path, stub_url) -> None:
    result = invoke("run", "--texts", 12, *TEXTS, "--concurrency", 2, "--runs-dir", tmp_path, "--run-id", "again",
                    "--base-url", stub_url)
    assert result.exit_code == 0, result.output
    assert "texts kept / quota" in result.output and "joy " in result.output  # the summary table's row
    assert rounds(tmp_path / "again") == rounds(texts_run)
    assert dataset(tmp_path / "again") == dataset(texts_run)


def test_a_texts_run_stopped_by_its_budget_resumes_to_the_same_dataset(texts_run, tmp_path, stub_url) -> None:
    result = invoke("run", "--texts", 12, *TEXTS, "--runs-dir", tmp_path, "--run-id", "b", "--base-url", stub_url,
                    "--max-tokens", 9000, "--concurrency", 2)
    assert result.exit_code == 3, result.output
    assert summary(tmp_path / "b")["status"] == "budget"
    result = invoke("run", "--resume", "b", "--runs-dir", tmp_path, "--base-url", stub_url, "-q",
                    "--max-tokens", 10_000_000)
    assert result.exit_code == 0, result.output
    assert rounds(tmp_path / "b") == rounds(texts_run)
    assert dataset(tmp_path / "b") == dataset(texts_run)


def test_shards_share_the_quota_and_merge_into_one_run(tmp_path, stub_url) -> None:
    for shard in ("0/2", "1/2"):
        result = invoke("run", "--texts", 12, *TEXTS, "--shard", shard, "--runs-dir", tmp_path,
                        "--run-id", f"s{shard[0]}", "--base-url", stub_url)
        assert result.exit_code == 0, result.output
        s = summary(tmp_path / f"s{shard[0]}")
        assert {e: q["quota"] for e, q in s["quota"]["per_emotion"].items()} == {"joy": 3, "anger": 3}
        indices = {p["index"] % 2 for p in read_jsonl(tmp_path / f"s{shard[0]}" / "personas.jsonl")}
        assert indices == {int(shard[0])}
    result = invoke("merge", tmp_path / "s0", tmp_path / "s1", "--runs-dir", tmp_path, "--run-id", "m")
    assert result.exit_code == 0, result.output
    merged = kept(tmp_path / "m")
    assert merged["joy"] >= 6 and merged["anger"] >= 6


# counting with curation

def test_curated_counts_leave_out_near_duplicates_across_personas(texts_run, tmp_path) -> None:
    folder = tmp_path / "copy"
    folder.mkdir()
    for name in ("config.json", "records.jsonl", "personas.jsonl"):
        (folder / name).write_bytes((texts_run / name).read_bytes())
    first = read_jsonl(folder / "records.jsonl")[0]
    twin = {**first, "id": "p999999-joy-0", "persona_id": "p999999"}  # another persona wrote the same sentence
    with (folder / "records.jsonl").open("a") as fh:
        fh.write(json.dumps(twin) + "\n")
    accepted, curated_flag = count_texts(folder, ["joy", "anger"], False, "en", print)
    curated, applied = count_texts(folder, ["joy", "anger"], True, "en", print)
    assert not curated_flag and applied
    assert accepted[first["emotion"]] == kept(texts_run)[first["emotion"]] + 1
    assert curated[first["emotion"]] <= accepted[first["emotion"]] - 1


# errors

def test_personas_and_texts_together_are_refused(tmp_path, stub_url) -> None:
    result = invoke("run", "-n", 3, "--texts", 12, *TEXTS, "--runs-dir", tmp_path, "--base-url", stub_url)
    assert result.exit_code == 2 and "--personas or --texts, not both" in result.output
    cfg = tmp_path / "c.toml"
    cfg.write_text("[run]\npersonas = 3\ntexts = 12\n")
    result = invoke("run", "--config", cfg, *TEXTS, "--runs-dir", tmp_path, "--base-url", stub_url)
    assert result.exit_code == 2 and "[run] has both personas and texts" in result.output
    result = invoke("run", "--texts", 12, "--ray", *TEXTS, "--runs-dir", tmp_path, "--base-url", stub_url)
    assert result.exit_code == 2 and "size a --ray run with --personas" in result.output
    assert not list(tmp_path.glob("*/records.jsonl"))


def test_a_quota_no_text_can_meet_fails_loudly_and_names_the_emotion(tmp_path, stub_url) -> None:
    with isolated_registry():
        @critic("no_anger", stage=Stage.EXPRESSION, description="test: rejects every anger text")
        def no_anger(candidate: Candidate) -> Verdict:
            if candidate.expression.emotion == "anger":
                return reject("anger is not allowed here")
            return accept("fine")

        settings = load_settings(None, run={"texts": 8, "emotions": "joy,anger", "texts_per_emotion": 2, "seed": 7,
                                            "curate": False}, models={"base_url": stub_url, "model": "stub"})
        result = execute(settings, tmp_path)
    s = result.summary
    assert s["status"] == "failed"
    # the quota planner's stall check, or the health watch over the last personas (lost texts by emotion, most first)
    assert re.search(r"no anger text was kept|texts lost by emotion: anger \d+", s["message"]), s["message"]
    assert "--resume" in s["message"]
    assert s["quota"]["per_emotion"]["anger"]["counted"] == 0


def test_without_curation_packages_counts_accepted_texts_and_says_so(texts_run, monkeypatch) -> None:
    import personagen.curation.engine as engine

    def missing(*args, **kwargs):
        raise ImportError("No module named 'datasketch'", name="datasketch")

    monkeypatch.setattr(engine, "curate_corpus", missing)
    notes: list[str] = []
    counts, applied = count_texts(texts_run, ["joy", "anger"], True, "en", notes.append)
    assert not applied and counts == {e: kept(texts_run)[e] for e in ("joy", "anger")}
    assert len(notes) == 1 and "near-duplicates included" in notes[0] and "datasketch" in notes[0]


def test_the_dataset_card_says_the_run_was_sized_by_texts(texts_run, tmp_path) -> None:
    pytest.importorskip("pyarrow")
    result = invoke("export", texts_run, "--format", "hf", "--out", tmp_path / "hf")
    assert result.exit_code == 0, result.output
    card = (tmp_path / "hf" / "README.md").read_text()
    assert "Sized by texts: 12 in all" in card and "Personas requested" not in card
