"""The batch journal and the never-pay-twice paths of personagen/batch/ against the stub's Batch API: an input file
uploaded just before a crash is adopted (its batch found, or made once), answers already received are read back,
and the custom ids follow the request bodies."""

from __future__ import annotations

import asyncio
import json

from bench.stub_process import fetch_stats, start_stub
from personagen.batch.api import BatchClient
from personagen.batch.batcher import Batcher, custom_id
from personagen.batch.journal import BatchJournal

BODY = {"model": "stub", "messages": [{"role": "user", "content": "Write a note about the rain."}]}


def batcher(url: str, journal: BatchJournal) -> Batcher:
    return Batcher(f"{url} stub", "default", "stub", BatchClient(url, "sk-test"), journal, window_s=0.1, poll_s=0.1,
                   max_requests=100, run_id="r", note=lambda text: None, counts=lambda: "")


def line(cid: str) -> bytes:
    return (json.dumps({"custom_id": cid, "method": "POST", "url": "/v1/chat/completions", "body": BODY}) + "\n"
            ).encode()


def test_custom_ids_follow_the_body_and_the_times_it_was_asked():
    assert custom_id(BODY, 0) == custom_id(json.loads(json.dumps(BODY)), 0) != custom_id(BODY, 1)
    other = {**BODY, "messages": [{"role": "user", "content": "Write a note about the sun."}]}
    assert custom_id(other, 0)[:-2] != custom_id(BODY, 0)[:-2] and len(custom_id(BODY, 12)) <= 64


def test_an_upload_left_by_a_crash_is_adopted_and_answers_are_read_back(tmp_path):
    cid = custom_id(BODY, 0)

    async def scenario(url: str) -> tuple[int, dict, int, dict]:
        client = BatchClient(url, "sk-test")
        made = await client.create(await client.upload(line(cid)), {})  # the crash came before batches.json said so
        await client.aclose()
        journal = BatchJournal(tmp_path)
        journal.uploads[made["input_file_id"]] = {"key": f"{url} stub", "entry": "default", "custom_ids": [cid]}
        journal.save()
        first = batcher(url, BatchJournal(tmp_path))
        status, body = await first.ask(BODY)  # waits for the adopted batch, submits nothing
        await first.aclose()
        again = batcher(url, BatchJournal(tmp_path))  # a later process: the answer is in the run folder
        status2, body2 = await again.ask(BODY)
        await again.aclose()
        assert again.stats["reused"] == 1 and again.stats["batches"] == 0
        return status, body, status2, body2

    with start_stub(latency=0.0, batch_delay=0.3) as (_, url):
        status, body, status2, body2 = asyncio.run(scenario(url))
        stats = fetch_stats(url)["batch"]
    assert status == status2 == 200 and body == body2 and body["choices"]
    assert stats["batches"] == 1 and stats["lines"] == 1 and stats["repeated_lines"] == 0
    state = json.loads((tmp_path / "batch" / "batches.json").read_text())
    assert state["uploads"] == {} and list(state["batches"]) == ["batch_000001"]


def test_a_torn_last_line_of_the_request_log_is_ignored(tmp_path):
    journal = BatchJournal(tmp_path)
    journal.record("a-0", "done", "b1", 200, {"ok": 1})
    journal.close()
    with open(tmp_path / "batch" / "requests.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"custom_id": "b-0", "state": "do')  # the process died while appending
    assert BatchJournal(tmp_path).results == {"a-0": {"status_code": 200, "body": {"ok": 1}}}


def test_each_provider_dialect_as_its_docs_give_it():
    from personagen.batch.api import batch_object, dialect_for

    assert dialect_for("https://api.openai.com/v1") == dialect_for("https://api.groq.com/openai/v1")
    assert dialect_for("https://api.openai.com/v1").purpose == "batch"
    assert dialect_for("https://api.together.xyz/v1").purpose == "batch-api"  # docs.together.ai/docs/batch-inference
    assert dialect_for("https://res.openai.azure.com/openai/v1").url == "/chat/completions"  # Azure's batch how-to
    together = {"job": {"id": "0123", "status": "IN_PROGRESS", "input_file_id": "file-1"}, "warning": None}
    assert batch_object(together) == {"id": "0123", "status": "in_progress", "input_file_id": "file-1"}
    assert batch_object({"id": "batch_1", "status": "completed"})["status"] == "completed"
