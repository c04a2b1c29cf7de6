"""The price table and its lookups (personagen/pricing.py): providers told by host, aliases, OpenRouter's
pass-through, loopback servers free, config overrides, cached prompt tokens priced apart."""

from __future__ import annotations

import csv
import re
from importlib import resources

import pytest
from langchain_core.messages import AIMessage

from personagen.agents.answers import cached_tokens
from personagen.pricing import Price, list_price, price_for, price_table, provider_of
from personagen.settings import ModelSettings

OPENAI = "https://api.openai.com/v1"


def table_rows() -> list[dict[str, str]]:
    text = resources.files("personagen").joinpath("prices.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


def test_every_row_has_its_source_and_date_and_sane_prices() -> None:
    rows = table_rows()
    assert {r["provider"] for r in rows} >= {"openai", "azure", "gemini", "groq", "together", "mistral"}
    for row in rows:
        assert row["source"].startswith("https://"), row
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["checked"]), row
        assert 0 < float(row["input"]) <= float(row["output"]) * 4, row
        if row["cached_input"]:
            assert float(row["cached_input"]) <= float(row["input"]), row
        if row["batch_discount"]:
            # 0: the provider's batch page lists no discount for this model (Together's unlisted models)
            assert 0 <= float(row["batch_discount"]) < 1 and row["batch_source"].startswith("https://"), row
    names = [(r["provider"], r["model"]) for r in rows]
    assert len(names) == len(set(names))
    assert len(price_table()) >= len(rows)


@pytest.mark.parametrize(("url", "provider"), [
    (OPENAI, "openai"), ("https://my-res.openai.azure.com/openai/v1", "azure"),
    ("https://generativelanguage.googleapis.com/v1beta/openai/", "gemini"), ("https://api.groq.com/openai/v1", "groq"),
    ("https://api.together.xyz/v1", "together"), ("https://api.mistral.ai/v1", "mistral"),
    ("https://openrouter.ai/api/v1", "openrouter"), ("http://gpu-box:8000/v1", None), (None, None),
])
def test_provider_is_told_by_the_host(url, provider) -> None:
    assert provider_of(url) == provider


def test_lookups_by_name_alias_and_through_openrouter() -> None:
    mini = list_price("openai", "gpt-4o-mini")
    assert (mini.input, mini.cached_input, mini.output) == (0.15, 0.075, 0.6)
    assert "https://" in mini.source and "checked 20" in mini.source
    assert list_price("openai", "gpt-4o-mini-2024-07-18") == mini  # a dated snapshot is the same model
    assert list_price("openrouter", "openai/gpt-4o-mini").input == mini.input  # OpenRouter passes prices through
    assert list_price("gemini", "models/gemini-2.5-flash") == list_price("gemini", "gemini-2.5-flash")
    assert list_price("gemini", "gemini-2.5-flash").batch_discount == 0.5
    assert list_price("openai", "gpt-4o-mini-nonexistent") is None
    assert list_price("groq", "gpt-4o-mini") is None  # a name is priced at its own provider only
    assert list_price(None, "gpt-4o-mini") is None


def test_loopback_and_embedded_are_free_unless_priced_and_unknown_servers_unpriced() -> None:
    plain = ModelSettings()
    for url in ("http://127.0.0.1:8000/v1", "http://localhost:11434/v1", "http://[::1]:8080/v1"):
        assert price_for(plain, "openai-compatible", url, "llama3.1").cost(1e6, 1e6) == 0.0
    assert price_for(plain, "local", None, "gemma").cost(1e6, 1e6) == 0.0
    assert price_for(plain, "openai-compatible", "http://gpu-box:8000/v1", "Qwen") is None
    priced = ModelSettings(price_in_per_mtok=0.2, price_out_per_mtok=0.8)
    own = price_for(priced, "openai-compatible", "http://127.0.0.1:8000/v1", "x")
    assert (own.input, own.output) == (0.2, 0.8) and own.source.startswith("config")
    assert price_for(priced, "openai-compatible", "http://gpu-box:8000/v1", "Qwen").output == 0.8


def test_config_fields_override_the_table_one_by_one() -> None:
    s = ModelSettings(price_out_per_mtok=1.0, price_cached_in_per_mtok=0.01, batch_discount=0.4)
    p = price_for(s, "openai", OPENAI, "gpt-4o-mini")
    assert (p.input, p.output, p.cached_input, p.batch_discount) == (0.15, 1.0, 0.01, 0.4)
    assert p.source.startswith("config over openai list price")
    assert price_for(ModelSettings(), "openai", OPENAI, "gpt-4o-mini") == list_price("openai", "gpt-4o-mini")


def test_cached_prompt_tokens_cost_the_cached_price() -> None:
    p = Price(input=2.0, output=8.0, cached_input=0.5)
    assert p.cost(1_000_000, 0) == pytest.approx(2.0)
    assert p.cost(1_000_000, 100_000, 800_000) == pytest.approx(0.2 * 2.0 + 0.8 * 0.5 + 0.1 * 8.0)
    assert Price(input=2.0, output=8.0).cost(1_000_000, 0, 800_000) == pytest.approx(2.0)  # no cached price
    assert p.cost(100, 0, 500) == pytest.approx(100 * 0.5 / 1e6)  # never more cached than prompt tokens


def test_cached_tokens_are_read_from_the_standard_usage_fields() -> None:
    # langchain-openai reports usage.prompt_tokens_details.cached_tokens as input_token_details.cache_read
    message = AIMessage(content="", usage_metadata={"input_tokens": 1200, "output_tokens": 30, "total_tokens": 1230,
                                                    "input_token_details": {"cache_read": 1024}})
    assert cached_tokens(message) == 1024
    assert cached_tokens(AIMessage(content="")) == 0
    assert cached_tokens(None) == 0


def test_batch_mode_is_priced_at_the_batch_discount() -> None:
    sync = price_for(ModelSettings(), "openai", OPENAI, "gpt-4o-mini")
    batch = price_for(ModelSettings(batch=True), "openai", OPENAI, "gpt-4o-mini")
    assert sync is not None and batch is not None and sync.batch_discount == 0.5
    assert (batch.input, batch.output, batch.cached_input) == (sync.input / 2, sync.output / 2, sync.cached_input / 2)
    assert batch.cost(1000, 100, 200) == pytest.approx(sync.cost(1000, 100, 200) / 2)
    assert "batch price: 50% off" in batch.source
    groq = price_for(ModelSettings(batch=True), "openai-compatible", "https://api.groq.com/openai/v1",
                     "llama-3.3-70b-versatile")
    assert groq is not None and groq.input == pytest.approx(0.59 * 0.75)
    together = "https://api.together.xyz/v1"
    listed = price_for(ModelSettings(batch=True), "openai-compatible", together,
                       "meta-llama/Llama-3.3-70B-Instruct-Turbo")
    unlisted = price_for(ModelSettings(batch=True), "openai-compatible", together,
                         "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo")
    assert listed is not None and listed.input == pytest.approx(0.44)
    assert unlisted is not None and unlisted.input == 0.18  # its batch page gives it no discount
    unknown = price_for(ModelSettings(batch=True, price_in_per_mtok=1.0, price_out_per_mtok=2.0), "openai-compatible",
                        "https://llm.example.com/v1", "m")
    assert unknown is not None and unknown.input == 1.0 and "no batch discount known" in unknown.source
    free = price_for(ModelSettings(batch=True), "openai-compatible", "http://127.0.0.1:8000/v1", "stub")
    assert free is not None and free.free and free.cost(100, 100) == 0
