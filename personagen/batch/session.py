"""Batch mode for a run: the batchers of its models, the run folder's journal, progress and the summary's figures.

The model set (personagen/backends/model_set.py) asks `transport(entry, endpoint, model)` for each model entry in
batch mode and gives its chat model an HTTP client on that transport; the pipeline attaches the run folder before
the graph runs (`attach`) and closes the session on the run's event loop (`aclose`). A stopped run leaves its
batches running: `left_running(folder)` says so and how to cancel them (`cancel_batches`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2

from personagen.batch.api import BatchAPIError, BatchClient
from personagen.batch.batcher import Batcher
from personagen.batch.journal import BatchJournal, in_flight_batches
from personagen.errors import RunFailure


class BatchSession:
    """The batch side of one run: one Batcher per (endpoint URL, model)."""

    def __init__(self, window_s: float, poll_s: float, max_requests: int,
                 on_note: Callable[[str], None] = lambda text: None) -> None:
        self.window_s, self.poll_s, self.max_requests, self.on_note = window_s, poll_s, max_requests, on_note
        self.clients: dict[str, tuple[str, str, BatchClient]] = {}  # key -> (entry, model, client)
        self.batchers: dict[str, Batcher] = {}
        self.journal: BatchJournal | None = None
        self.run_id = ""

    def transport(self, entry: str, base_url: str, api_key: str, model: str, timeout: float) -> BatchTransport:
        key = f"{base_url.rstrip('/')} {model}"
        if key not in self.clients:
            self.clients[key] = (entry, model, BatchClient(base_url, api_key, timeout))
        return BatchTransport(self, key)

    def attach(self, folder: Path) -> None:
        """The run folder is known: read what an earlier process of this run submitted and received."""
        self.journal, self.run_id = BatchJournal(folder), folder.name
        for key, (entry, model, client) in self.clients.items():
            self.batchers[key] = Batcher(key, entry, model, client, self.journal, window_s=self.window_s,
                                         poll_s=self.poll_s, max_requests=self.max_requests, run_id=self.run_id,
                                         note=self.on_note, counts=self.counts)

    def counts(self) -> str:
        journal = self.journal
        flying = len(journal.in_flight()) if journal else 0
        done = len(journal.results) if journal else 0
        return f"{flying} batch{'es' if flying != 1 else ''} in flight, {done} requests done"

    def batcher(self, key: str) -> Batcher:
        if key not in self.batchers:
            raise RunFailure("batch mode: the run folder was not attached before the first request")
        return self.batchers[key]

    def report(self) -> dict[str, Any]:
        """The summary's `batch` entry: batches and requests submitted by this process, answers read back, and
        the batches still in flight."""
        stats = {"batches": 0, "requests": 0, "reused": 0, "resubmitted": 0}
        for batcher in self.batchers.values():
            for name, value in batcher.stats.items():
                stats[name] += value
        per_batch = round(stats["requests"] / stats["batches"], 1) if stats["batches"] else 0
        in_flight = sorted(self.journal.in_flight()) if self.journal else []
        return {**stats, "requests_per_batch": per_batch, "in_flight": in_flight}

    async def aclose(self) -> None:
        for batcher in self.batchers.values():
            await batcher.aclose()
        for _, _, client in self.clients.values():
            await client.aclose()
        if self.journal is not None:
            self.journal.close()


class BatchTransport(httpx2.AsyncBaseTransport):
    """An HTTP transport that answers POST .../chat/completions from a batch (anything else is refused: the chat
    model of a batch-mode entry sends nothing else)."""

    def __init__(self, session: BatchSession, key: str) -> None:
        self.session, self.key = session, key

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.method != "POST" or not request.url.path.endswith("/chat/completions"):
            return httpx2.Response(404, json={"error": {"message": f"batch mode sends chat completions only, not "
                                                                   f"{request.method} {request.url.path}"}},
                                   request=request)
        body = json.loads(await request.aread())
        status, payload = await self.session.batcher(self.key).ask(body)
        return httpx2.Response(status, json=payload, request=request)


def left_running(folder: Path) -> str | None:
    """The end-of-run line for batches a stopped run leaves running, or None."""
    flying = in_flight_batches(folder)
    if not flying:
        return None
    requests = sum(b.get("requests", 0) for b in flying.values())
    return (f"{len(flying)} batch{'es' if len(flying) != 1 else ''} ({requests} requests) left running at the "
            f"provider: `personagen run --resume {folder.name}` collects them without paying again; "
            f"`personagen run --resume {folder.name} --cancel-batches` cancels them")


def cancel_batches(folder: Path, key_for: Callable[[str], tuple[str, str]]) -> list[str]:
    """Cancel the batches a run left running (POST /batches/{id}/cancel); `key_for(entry)` gives the (URL, key) of
    a model entry. Returns one line per batch. Answers already made stay in their output files: a later resume
    collects them and asks the rest again."""
    async def cancel_all() -> list[str]:
        lines = []
        for bid, batch in in_flight_batches(folder).items():
            base_url, api_key = key_for(batch["entry"])
            client = BatchClient(base_url, api_key)
            try:
                status = (await client.cancel(bid))["status"]
                lines.append(f"batch {bid} ({batch.get('requests', 0)} requests): {status}")
            except BatchAPIError as exc:
                lines.append(f"batch {bid}: not cancelled ({exc})")
            finally:
                await client.aclose()
        return lines

    return asyncio.run(cancel_all())
