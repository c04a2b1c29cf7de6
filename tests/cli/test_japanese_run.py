"""A Japanese run end to end through the CLI, against the stub server answering in Japanese."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from bench.stub_replies import build_message, lexicon_for
from bench.stub_schema import ENGLISH, JAPANESE
from personagen.cli import app

JAPANESE_CHARS = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_japanese_texts_are_written_and_accepted(tmp_path, stub_url):
    args = ["run", "--locale", "jp", "--language", "ja", "-n", "3", "-e", "joy,anger", "-k", "1",
            "--base-url", stub_url, "--model", "stub", "--runs-dir", str(tmp_path), "--run-id", "ja", "--json", "-q"]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    records = read_jsonl(tmp_path / "ja" / "records.jsonl")
    assert summary["texts"]["accepted"] == len(records) > 0
    assert all(r["language"] == "ja" and JAPANESE_CHARS.search(r["text"]) for r in records)
    shape = [v for r in records for v in r["verdicts"] if v["critic"] == "text_shape"]
    assert shape and all(v["passed"] and v["reasons"][0].endswith(" characters") for v in shape)
    assert summary["critics"]["text_shape"]["acceptance"] == 1.0
    assert summary["critics"]["duplicates"]["acceptance"] == 1.0
    calls = [e for e in read_jsonl(tmp_path / "ja" / "events.jsonl")
             if e["type"] == "llm_call" and e["agent"] == "emotion_writer"]
    assert calls and all("Write in Japanese" in e["prompt"][0]["content"] for e in calls)


def test_the_stub_answers_in_japanese_only_when_asked():
    def body(system: str) -> dict:
        schema = {"type": "object", "properties": {"texts": {"type": "array", "items": {"type": "string"}}}}
        return {"messages": [{"role": "system", "content": system}, {"role": "user", "content": "Emotion: joy"}],
                "tools": [{"type": "function", "function": {"name": "Texts", "parameters": schema}}],
                "tool_choice": {"type": "function", "function": {"name": "Texts"}}}

    japanese, english = body("Short messages. Write in Japanese."), body("Short messages. Write in English.")
    assert lexicon_for(japanese) is JAPANESE and lexicon_for(english) is ENGLISH
    assert lexicon_for({"messages": []}) is ENGLISH
    texts = json.loads(build_message(japanese)[0]["tool_calls"][0]["function"]["arguments"])["texts"]
    assert texts and all(JAPANESE_CHARS.search(t) and t.endswith("。") for t in texts)
    texts = json.loads(build_message(english)[0]["tool_calls"][0]["function"]["arguments"])["texts"]
    assert texts and not any(JAPANESE_CHARS.search(t) for t in texts)
    plain = build_message({"messages": [{"role": "system", "content": "Answer in Japanese."}]})[0]["content"]
    assert plain.endswith("ことをずっと考えている。")
