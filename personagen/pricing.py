"""What a model call costs: the price of each agent's model, from the settings over a dated table of list prices.

Input: a model entry's settings and the endpoint it resolved to (backend, URL, model name). Output: a `Price`
(USD per million tokens: uncached prompt, cached prompt, completion; the batch discount where known) with where it
came from, or None when nothing prices the model.

The table (`personagen/prices.csv`, package data) lists hosted models by provider, each row with its pricing page
and the date its price was checked; the provider is told by the endpoint's host (api.openai.com, Azure's hosts,
generativelanguage.googleapis.com, api.groq.com, api.together.xyz, api.mistral.ai, openrouter.ai). OpenRouter
passes the provider's price through ("OpenRouter passes through the pricing of the underlying providers",
https://openrouter.ai/docs/faq), so `openai/gpt-4o-mini` there costs what `gpt-4o-mini` costs at OpenAI.
The embedded model and servers on a loopback address cost 0 unless priced. Settings override the table per field:
`price_in_per_mtok`, `price_out_per_mtok`, `price_cached_in_per_mtok`, `batch_discount` in `[models.X]`. A model
entry in batch mode (`batch = true`, personagen/batch/) is priced at the batch price: `batch_discount` off each price.

Cached prompt tokens (`usage.prompt_tokens_details.cached_tokens`, part of `prompt_tokens`) are priced at the
cached price; reasoning tokens are part of `completion_tokens` (https://platform.openai.com/docs/guides/reasoning)
and so are priced as output, never twice.
"""

from __future__ import annotations

import csv
import ipaddress
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from personagen.agents.events import LlmCallEvent
from personagen.settings import ModelSettings, Settings

HOSTS = {"api.openai.com": "openai", "generativelanguage.googleapis.com": "gemini", "api.groq.com": "groq",
         "api.together.xyz": "together", "api.together.ai": "together", "api.mistral.ai": "mistral",
         "openrouter.ai": "openrouter", "api.deepseek.com": "deepseek"}
AZURE_HOSTS = (".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com")
FREE = "free: the embedded model or a server on this machine"
OPENROUTER_VENDORS = {"openai": "openai", "google": "gemini", "mistralai": "mistral"}


@dataclass(frozen=True)
class Price:
    """USD per million tokens; `cached_input` None: cached prompt tokens cost the input price."""

    input: float
    output: float
    cached_input: float | None = None
    batch_discount: float | None = None
    source: str = ""

    @property
    def free(self) -> bool:
        return self.source == FREE

    def cost(self, tokens_in: float, tokens_out: float, tokens_cached: float = 0) -> float:
        """USD for one call's (or a sum of calls') tokens; `tokens_cached` is the part of `tokens_in` from cache."""
        cached = min(tokens_cached, tokens_in)
        cached_price = self.input if self.cached_input is None else self.cached_input
        return ((tokens_in - cached) * self.input + cached * cached_price + tokens_out * self.output) / 1e6

    def batched(self) -> Price:
        """The price through the provider's Batch API: `batch_discount` off every token price. With no discount
        known the list price stays, and the source says so."""
        if self.free or self.batch_discount is None:
            note = "" if self.free else "; batch mode: no batch discount known, list price counted (set batch_discount)"
            return Price(self.input, self.output, self.cached_input, self.batch_discount, self.source + note)
        keep = 1.0 - self.batch_discount
        cached = None if self.cached_input is None else self.cached_input * keep
        return Price(self.input * keep, self.output * keep, cached, self.batch_discount,
                     f"{self.source}; batch price: {self.batch_discount:.0%} off")

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


@cache
def price_table() -> dict[tuple[str, str], Price]:
    """(provider, model name or alias) -> its list price, from the packaged table."""
    text = resources.files("personagen").joinpath("prices.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    table: dict[tuple[str, str], Price] = {}
    for row in rows:
        price = Price(float(row["input"]), float(row["output"]), _number(row["cached_input"]),
                      _number(row["batch_discount"]),
                      f"{row['provider']} list price, {row['source']} (checked {row['checked']})")
        for name in (row["model"], *row["aliases"].split()):
            table[(row["provider"], name)] = price
    return table


def is_loopback(url: str | None) -> bool:
    host = urlsplit(url or "").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def provider_of(base_url: str | None) -> str | None:
    """The provider whose list prices apply to an endpoint, told by its host; None for any other server."""
    host = (urlsplit(base_url or "").hostname or "").lower()
    if host.endswith(AZURE_HOSTS):
        return "azure"
    return HOSTS.get(host)


def list_price(provider: str | None, model: str) -> Price | None:
    """The table's price of `model` at `provider` (OpenRouter: the vendor's own price), or None."""
    table = price_table()
    model = model.removeprefix("models/")  # Gemini's OpenAI endpoint accepts "models/gemini-..." too
    if provider == "openrouter":
        vendor, _, name = model.partition("/")
        return table.get((OPENROUTER_VENDORS.get(vendor, ""), name))
    return table.get((provider or "", model))


def price_for(s: ModelSettings, backend: str | None, base_url: str | None, model: str | None) -> Price | None:
    """The price of a model entry: the configured fields over the table's row (or 0 for the embedded model and
    loopback servers); None when neither prices it."""
    if backend == "local" or is_loopback(base_url):
        base: Price | None = Price(0.0, 0.0, source=FREE)
    else:
        base = list_price(provider_of(base_url), model or "")
    given = {"input": s.price_in_per_mtok, "output": s.price_out_per_mtok,
             "cached_input": s.price_cached_in_per_mtok, "batch_discount": s.batch_discount}
    given = {k: v for k, v in given.items() if v is not None}
    if base is None and "input" not in given and "output" not in given:
        return None
    if base is None:
        base = Price(0.0, 0.0)
    if given:
        source = "config" if not base.source or base.free else f"config over {base.source}"
        base = Price(**{**asdict(base), **given, "source": source})
    return base.batched() if s.batch else base


def price_lookup(settings: Settings, models: Any = None) -> Callable[[str], Price | None]:
    """The price of the model an agent uses: its settings over the price table; without `models` (a ModelSet,
    whose `described` holds each entry's resolved backend, URL and model), the settings alone."""

    @cache  # prices do not change during a run; this is asked once per model call
    def price_of(agent: str) -> Price | None:
        name = agent.removeprefix("critic:")
        key = name if name in settings.models else "default"
        described = (models.described.get(key) if models is not None else None) or {}
        return price_for(settings.model_for(name), described.get("backend"), described.get("base_url"),
                         described.get("model"))

    return price_of


def price_call(event: LlmCallEvent, price_of: Callable[[str], Price | None]) -> None:
    """Set `cost` (USD, at the agent's price) on an `llm_call` event before it is stored, when the model is priced."""
    price = price_of(event.agent)
    if price is not None:
        event.cost = round(price.cost(event.tokens_in or 0, event.tokens_out or 0, event.tokens_cached or 0), 9)
