"""The comparison harness: a missing peer is skipped, a PersonaGen command is measured from outside."""

from __future__ import annotations

import json

from bench import peers_bench

FAKE_PERSONAGEN = (
    '{python} -c "import json, sys, urllib.request as u; '
    "body = json.dumps({{'model': 'stub', 'messages': [{{'role': 'user', 'content': 'hi'}}]}}).encode(); "
    "[u.urlopen(u.Request('{base_url}/chat/completions', data=body, "
    "headers={{'Content-Type': 'application/json'}})).read() for _ in range(6)]; "
    "print(json.dumps({{'records_ok': {n}}}))\""
)


def test_missing_peer_skipped_and_personagen_measured(tmp_path, capsys) -> None:
    out = tmp_path / "bench.json"
    code = peers_bench.main(
        [
            "--n",
            "3",
            "--latency",
            "0",
            "--only",
            "data_designer,personagen",
            "--dd-venv",
            str(tmp_path / "no-venv"),
            "--personagen-cmd",
            FAKE_PERSONAGEN,
            "--workdir",
            str(tmp_path),
            "--json-out",
            str(out),
            "--timeout",
            "60",
        ]
    )
    assert code == 0
    rows = {r["tool"]: r for r in json.loads(out.read_text())["results"]}
    assert rows["data_designer"]["status"] == "skipped" and "no venv" in rows["data_designer"]["note"]
    pg = rows["personagen"]
    assert pg["status"] == "ok" and pg["calls"] == 6 and pg["records"] == 3
    assert pg["cpu_ms_per_call"] > 0 and pg["peak_rss_mb"] > 0
    assert "personagen" in capsys.readouterr().out


def test_failing_command_reported(tmp_path) -> None:
    cmd = "{python} -c \"import sys; sys.exit('personagen: boom')\""
    out = tmp_path / "bench.json"
    args = [
        "--n",
        "1",
        "--latency",
        "0",
        "--only",
        "personagen",
        "--personagen-cmd",
        cmd,
        "--workdir",
        str(tmp_path),
        "--json-out",
        str(out),
    ]
    assert peers_bench.main(args) == 1
    row = json.loads(out.read_text())["results"][0]
    assert row["status"] == "failed (exit 1)" and row["note"] == "personagen: boom"
