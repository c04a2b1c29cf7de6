"""`personagen merge` accepts shards that ended `short` (they lost text slots to model errors): the merged run is
short too when its own share of lost slots is over `[limits] max_error_share` (exit 4, as `run` exits), and a
resume of the merged run re-attempts the lost slots like any run's."""

from __future__ import annotations

import json
from collections import Counter

from tests.runformat.scripted_runs import invoke, rows, write_run

TEXTS = {"joy": ["We won the match in the last minute.", "My sister had her baby this morning.",
                 "I passed the exam I failed twice.", "The test results came back clear."],
         "anger": ["They cancelled my train again.", "Someone scratched my car and drove off.",
                   "The landlord kept my whole deposit.", "My flatmate ate the dinner I cooked for us."]}


def summary(folder):
    return json.loads((folder / "summary.json").read_text())


def test_short_shards_merge_into_a_short_run_that_a_resume_completes(tmp_path):
    for i in (0, 1):  # every anger answer of the writer is unparseable: half the slots lost to model errors
        shard = write_run(tmp_path, f"s{i}", TEXTS, {"personas": 4, "shard": f"{i}/2", "curate": False},
                          broken=frozenset({"anger"}))
        assert summary(shard)["status"] == "short"
    merged = invoke(TEXTS, "merge", "s0", "s1", "--runs-dir", str(tmp_path), "--run-id", "m")
    assert merged.exit_code == 4, merged.output
    s = summary(tmp_path / "m")
    assert s["status"] == "short" and s["texts"] == {"accepted": 4, "dropped": 4, "requested": 8,
                                                      "lost_to_errors": 4}
    assert "personagen run --resume m" in s["message"] and "personagen run --resume m" in merged.output
    resumed = invoke(TEXTS, "run", "--resume", "m", "--runs-dir", str(tmp_path), "-q")
    assert resumed.exit_code == 0, resumed.output
    assert summary(tmp_path / "m")["status"] == "finished"
    assert Counter(r["emotion"] for r in rows(tmp_path / "m" / "records.jsonl")) == {"joy": 4, "anger": 4}


def test_a_failed_shard_is_still_refused(tmp_path):
    write_run(tmp_path, "s0", TEXTS, {"personas": 4, "shard": "0/2", "curate": False}, stop_after=1)
    write_run(tmp_path, "s1", TEXTS, {"personas": 4, "shard": "1/2", "curate": False})
    merged = invoke(TEXTS, "merge", "s0", "s1", "--runs-dir", str(tmp_path), "--run-id", "m")
    assert merged.exit_code == 2 and "run s0 is interrupted" in " ".join(merged.output.split())
    assert not (tmp_path / "m").exists()
