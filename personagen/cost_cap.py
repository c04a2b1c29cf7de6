"""A hard cap in dollars (`--max-cost`, `[run] max_cost`): no request is sent whose worst case could pass it.

Input: the cap, what the run has spent already (a resumed run: its summary's figures), and the price of each
model handle (personagen/pricing.py). Output: a meter on every handle (`ModelHandle.meter`, consulted by
agents/llm.py `ask` around each call) and, when the next request does not fit, the run stopped with status
`budget` (resumable with a higher cap).

Before a request is sent its worst case is reserved: the prompt's tokens, estimated from its bytes (messages and
the schema sent with them), at the uncached input price, plus the output cap at the output price. The reservation
is settled when the answer comes: by the usage the server reports (cached prompt tokens at their own price), 0 when
the server refused the request (an HTTP error status: not billed), or kept whole when the outcome is unknown (a
timeout or a lost connection: the server may have answered and billed). So spent + reserved never passes the cap.

The prompt estimate starts at 0.5 tokens a byte (English runs near 0.25, Japanese near 0.33 in UTF-8) and then
follows the largest ratio the server has reported, with a 25% margin.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import openai
from langchain_core.messages import BaseMessage

from personagen.agents.llm import ModelHandle, prepared
from personagen.errors import BudgetReached
from personagen.pricing import Price, price_lookup
from personagen.settings import ConfigError

START_RATIO = 0.5  # prompt tokens per byte before any call has reported its usage
MARGIN = 1.25  # over the largest ratio seen
MESSAGE_OVERHEAD = 8  # tokens a message costs beyond its text (role, separators)
UNBOUNDED_CAP = 16_384  # output cap assumed for a chat model that states none


class CostCapReached(BudgetReached):
    """The next request's worst case would pass the cost cap (raised where no run can be stopped: eval)."""


@dataclass
class Ticket:
    """One reserved request: its price, the amount reserved and the prompt's size."""

    cap: CostCap
    price: Price
    reserved: float
    prompt_bytes: int

    def settle(self, outcome: Any) -> None:
        self.cap.settle(self, outcome)


def prompt_bytes(handle: ModelHandle, messages: list[BaseMessage], schema: type) -> tuple[int, int]:
    """(bytes, messages) of a request as sent: the messages and the structured-output fields that carry the schema."""
    sent = prepared(handle, messages, schema)
    text = "".join(str(m.content) for m in sent) + json.dumps(handle.fields(schema), ensure_ascii=False)
    return len(text.encode("utf-8")), len(sent)


def output_cap(handle: ModelHandle) -> int:
    return int(getattr(handle.chat, "max_tokens", None) or UNBOUNDED_CAP)


def usage_of(outcome: Any) -> tuple[int, int, int] | None:
    """(prompt, completion, cached prompt) tokens the server reported for a call's outcome, or None."""
    meta = getattr(outcome, "usage_metadata", None)
    if meta:
        cached = (meta.get("input_token_details") or {}).get("cache_read") or 0
        return int(meta.get("input_tokens", 0)), int(meta.get("output_tokens", 0)), int(cached)
    usage = getattr(getattr(outcome, "completion", None), "usage", None)  # openai.LengthFinishReasonError
    if usage is not None:
        cached = getattr(getattr(usage, "prompt_tokens_details", None), "cached_tokens", 0) or 0
        return usage.prompt_tokens or 0, usage.completion_tokens or 0, cached
    return None


class CostCap:
    """The run's spending: settled costs, reservations in flight, and the cap they must stay under."""

    def __init__(self, limit: float, spent: float, prices: dict[ModelHandle, Price],
                 stop: Callable[[str], None] | None = None) -> None:
        self.limit, self.spent, self.reserved = limit, spent, 0.0
        self.prices, self.stop = prices, stop
        self.ratio = START_RATIO
        self.seen_ratio = 0.0
        self.probe = 0.0  # the worst case of the capability probes, of this process and the earlier ones
        self.reached: str | None = None  # why a request was refused (where no run could be stopped)
        self.shared: Any = None  # a --ray run's ledger (personagen/scale/ledger.py): `limit` is then this shard's lease
        self.run_limit = limit

    def start(self, spent: float, earlier_probes: float, stop: Callable[[str], None] | None,
              shared: Any = None) -> None:
        """Arm the cap on a run that has spent `spent` (and probed for up to `earlier_probes`) already; with
        `shared` (a shard of a --ray run), leasing from the run's ledger, which counts the earlier spending."""
        new_probes = self.probe
        self.probe += earlier_probes
        self.spent, self.stop = spent + self.probe, stop
        if shared is not None:
            self.shared, self.limit = shared, self.spent
            ray_get(shared.force.remote(new_probes))
        for handle in self.prices:
            handle.meter = self

    async def lease(self, worst: float) -> bool:
        """A shard of a --ray run: lease what the next request lacks from the run's ledger (True when granted)."""
        from personagen.scale.ledger import SLICE

        need = self.spent + self.reserved + worst - self.limit
        if self.shared is None or need <= 0:
            return need <= 0
        granted = await self.shared.take.remote(max(need, self.run_limit * SLICE), need)
        self.limit += granted
        return self.spent + self.reserved + worst <= self.limit

    def release(self) -> None:
        """A shard that ends hands back the part of its lease it did not use."""
        if self.shared is not None:
            ray_get(self.shared.give_back.remote(self.limit - self.spent - self.reserved))
            self.limit = self.spent + self.reserved

    def report(self) -> dict[str, Any]:
        """summary.json `cost_cap`: the cap, what counted against it (probes at their worst case), in flight."""
        return {"max_cost": self.run_limit, "spent": round(self.spent, 6), "probes": round(self.probe, 6),
                "in_flight": round(self.reserved, 6)}

    def worst_case(self, handle: ModelHandle, size: int, messages: int) -> float:
        tokens = math.ceil(size * self.ratio) + MESSAGE_OVERHEAD * messages
        return self.prices[handle].cost(tokens, output_cap(handle))

    async def reserve(self, handle: ModelHandle, messages: list[BaseMessage], schema: type) -> Ticket:
        """Reserve the request's worst case; when it does not fit, stop the run (and wait to be cancelled) or,
        with no run to stop, raise CostCapReached."""
        size, count = prompt_bytes(handle, messages, schema)
        worst = self.worst_case(handle, size, count)
        if self.spent + self.reserved + worst > self.limit and not await self.lease(worst):
            shared = " (shared by the run's shards: the rest is spent or leased by the others)" if self.shared else ""
            message = (f"cost cap reached: ${self.spent:.4f} spent and ${self.reserved:.4f} in flight of "
                       f"${self.run_limit:g}{shared}; the next request could cost up to ${worst:.4f}")
            if self.stop is None:
                self.reached = message
                raise CostCapReached(message)
            self.stop(message)
            await asyncio.Event().wait()  # the runner cancels every persona thread once the run is stopped
        self.reserved += worst
        return Ticket(self, self.prices[handle], worst, size)

    def settle(self, ticket: Ticket, outcome: Any) -> None:
        """Replace the reservation by what the request cost (see the module docstring)."""
        self.reserved -= ticket.reserved
        usage = usage_of(outcome)
        if usage is not None:
            self.spent += ticket.price.cost(usage[0], usage[1], usage[2])
            if ticket.prompt_bytes:
                self.seen_ratio = max(self.seen_ratio, usage[0] / ticket.prompt_bytes)
                self.ratio = self.seen_ratio * MARGIN
        elif not isinstance(outcome, openai.APIStatusError):
            self.spent += ticket.reserved


def ray_get(ref: Any) -> Any:
    import ray  # a --ray shard only (the ray extra)

    return ray.get(ref)


def unpriced_error(agent: str, model: str, where: str | None) -> ConfigError:
    entry = agent.removeprefix("critic:")
    return ConfigError(
        f"--max-cost needs a price for every model: '{model}' ({agent}, at {where or 'OpenAI'}) is not in the price "
        f"table (docs/costs.md). Set price_in_per_mtok and price_out_per_mtok in [models.{entry}] (or "
        "[models.default]), or run without a cost cap")


def priced_handles(models: Any, agents: list[str], price_of: Callable[[str], Price | None]) -> dict[ModelHandle, Price]:
    """The price of each agent's model handle; ConfigError naming the fix when one has none."""
    prices: dict[ModelHandle, Price] = {}
    for agent in agents:
        handle, price = models.for_agent(agent), price_of(agent)
        if price is None:
            described = models.described.get(agent.removeprefix("critic:")) or models.described.get("default") or {}
            raise unpriced_error(agent, handle.name, described.get("base_url"))
        prices[handle] = price
    return prices


def probe_worst_case(models: Any, price_of: Callable[[str], Price | None]) -> float:
    """What this process's capability probes could have cost: each request at its worst case (the probe runs before
    the cap can be checked: at most a handful of tiny requests per endpoint, backends/probe.py)."""
    from personagen.backends.endpoint import max_tokens_for
    from personagen.backends.probe import PROBE_MESSAGES

    size = sum(len(str(m.content).encode("utf-8")) for m in PROBE_MESSAGES) + 1000  # + the schema sent
    total = 0.0
    for key, described in models.described.items():
        report = (described.get("probe") or {})
        requests = len(report.get("results") or []) + len(report.get("adjust") or {})
        price = price_of(key)
        if requests and price is not None:
            cap = max_tokens_for(models.settings.model_for(key), described["model"])
            total += requests * price.cost(math.ceil(size * START_RATIO) + 2 * MESSAGE_OVERHEAD, cap)
    return total


def for_run(settings: Any, models: Any, agents: list[str], price_of: Callable[[str], Price | None]) -> CostCap | None:
    """The run's cost cap (None without `max_cost`), its models priced; ConfigError when one has no price."""
    if settings.run.max_cost is None:
        return None
    cap = CostCap(settings.run.max_cost, 0.0, priced_handles(models, agents, price_of))
    cap.probe = probe_worst_case(models, price_of)
    return cap


def for_judge(limit: float | None, settings: Any, models: Any) -> CostCap | None:
    """`personagen eval --max-cost`: a cap over the judge's calls (and its probe); a refused call fails that text's
    judgement (CostCapReached) and `reached` says why."""
    if limit is None:
        return None
    price_of = price_lookup(settings, models)
    cap = CostCap(limit, 0.0, priced_handles(models, ["judge"], price_of))
    cap.start(0.0, probe_worst_case(models, price_of), stop=None)
    return cap
