"""Cached prompt tokens end to end: the stub reports `usage.prompt_tokens_details.cached_tokens` as OpenAI does
(bench/stub_replies.py PromptCache), and each call, the summary per agent and the run's cost count them at the
cached price (personagen/pricing.py)."""

from __future__ import annotations

import pytest

from bench.stub_process import start_stub
from tests.runner.conftest import SMALL, invoke, read_jsonl, summary

PRICED = ("[models.default]\nmodel = 'stub'\nprice_in_per_mtok = 10.0\nprice_cached_in_per_mtok = 1.0\n"
          "price_out_per_mtok = 40.0\n")


def test_cached_prompt_tokens_are_priced_at_the_cached_price_from_the_answer_to_the_summary(tmp_path):
    cfg = tmp_path / "priced.toml"
    cfg.write_text(PRICED)
    with start_stub(latency=0.0, prompt_cache=128) as (_, url):  # OpenAI caches from 1024 tokens; ours are shorter
        result = invoke("run", "-n", 4, *SMALL, "--runs-dir", tmp_path, "--run-id", "c", "--base-url", url,
                        "--config", cfg)
    assert result.exit_code == 0, result.output
    calls = [e for e in read_jsonl(tmp_path / "c" / "events.jsonl") if e["type"] == "llm_call"]
    cached = [e for e in calls if e.get("tokens_cached")]
    assert cached and len(cached) < len(calls)  # the first call of each prompt prefix is not cached
    for e in calls:
        tin, tout, tc = e["tokens_in"], e["tokens_out"], e.get("tokens_cached") or 0
        assert 0 <= tc <= tin and tc % 128 == 0
        assert e["cost"] == pytest.approx(((tin - tc) * 10 + tc * 1 + tout * 40) / 1e6)
    s = summary(tmp_path / "c")
    assert sum(a.get("tokens_cached", 0) for a in s["agents"].values()) == sum(e.get("tokens_cached") or 0
                                                                               for e in calls)
    assert s["cost"] == pytest.approx(sum(e["cost"] for e in calls), abs=1e-5)
    uncached = sum((e["tokens_in"] * 10 + e["tokens_out"] * 40) / 1e6 for e in calls)
    assert s["cost"] < uncached - 1e-4  # the cache made it cheaper, by the cached tokens' discount
