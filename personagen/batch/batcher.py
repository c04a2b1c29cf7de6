"""Requests to one (endpoint, model) gathered into batches, submitted, polled and resolved back to their callers.

`ask(body)` is what a chat call becomes in batch mode (the transport in personagen/batch/session.py hands it the
request body): it returns (HTTP status, JSON body) as the server would have answered the same request synchronously.

- Every request gets a custom id from its body (sha256 of the canonical JSON) and how many times this process
  asked the same body before (`-0`, `-1`, ...): a resumed run asks the same requests in the same order, so the
  answers already received are read from the run folder (RUN/batch/requests.jsonl) and requests still in a
  submitted batch wait for that batch: nothing is paid twice.
- Gathering: requests wait until no new one has arrived for `window_s` seconds (or the file holds
  `max_requests`, or `MAX_GATHER_S` passed), then go out as one batch. The graph runs its personas concurrently, so
  one step of every persona in flight lands in the same batch: each dependent step is one batch round.
- Polling: every `poll_s` seconds each batch in flight is checked; when it is final its output and error files are
  read. Expired, cancelled or missing lines, and the lines of a failed batch, are asked again in a later batch (at
  most MAX_ATTEMPTS times); a line answered with an error status is resolved with that error, which the caller
  sorts as usual (agents/call_errors.py: the candidate's failure or the endpoint's).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from personagen.batch.api import BatchAPIError, BatchClient
from personagen.batch.journal import TERMINAL, BatchJournal

MAX_GATHER_S = 60.0  # a batch goes out at the latest this long after its first request
MAX_ATTEMPTS = 4  # submissions of one request (expired / failed batches) before it is answered with an error
RESUBMIT = ("batch_expired", "batch_cancelled")
Answer = tuple[int, Any]


def custom_id(body: dict[str, Any], occurrence: int) -> str:
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode())
    return f"{digest.hexdigest()[:40]}-{occurrence}"


def error_answer(status: int, message: str, code: str) -> Answer:
    return status, {"error": {"message": message, "type": "batch_error", "code": code}}


class Batcher:
    """The batches of one (endpoint, model) of a run."""

    def __init__(self, key: str, entry: str, model: str, client: BatchClient, journal: BatchJournal, *,
                 window_s: float, poll_s: float, max_requests: int, run_id: str,
                 note: Callable[[str], None], counts: Callable[[], str]) -> None:
        self.key, self.entry, self.model, self.client, self.journal = key, entry, model, client, journal
        self.window_s, self.poll_s, self.max_requests, self.run_id = window_s, poll_s, max_requests, run_id
        self.note, self.counts = note, counts
        self.queue: dict[str, dict[str, Any]] = {}  # gathered, not yet submitted
        self.bodies: dict[str, dict[str, Any]] = {}  # the request of every caller waiting
        self.waiters: dict[str, list[asyncio.Future[Answer]]] = {}
        self.flight: dict[str, str] = {}  # custom id -> batch id
        self.asked: Counter[str] = Counter()
        self.attempts: Counter[str] = Counter()
        self.stats = {"batches": 0, "requests": 0, "reused": 0, "resubmitted": 0}
        self.failure: Answer | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._wake: asyncio.Event | None = None
        self._adopting: asyncio.Task[None] | None = None

    async def ask(self, body: dict[str, Any]) -> Answer:
        digest = custom_id(body, 0)[:-2]
        cid = f"{digest}-{self.asked[digest]}"
        self.asked[digest] += 1
        self.start()
        assert self._adopting is not None
        await asyncio.shield(self._adopting)  # input files a crash left without a batch: in flight before we look
        if self.failure is not None:
            return self.failure
        if (known := self.journal.results.get(cid)) is not None:
            self.stats["reused"] += 1
            return known["status_code"], known["body"]
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self.waiters.setdefault(cid, []).append(future)
        self.bodies[cid] = body
        if cid not in self.flight and cid not in self.queue:
            self.queue[cid] = body
            assert self._wake is not None
            self._wake.set()
        return await future

    def start(self) -> None:
        """Start gathering and polling (on the run's event loop); a resumed run polls what it left in flight."""
        if self._tasks:
            return
        self._wake = asyncio.Event()
        for bid, batch in self.journal.in_flight().items():
            if batch["key"] == self.key:
                self.flight.update({cid: bid for cid in batch["custom_ids"]})
        self._adopting = asyncio.create_task(self._adopt_uploads())
        self._tasks = [self._adopting, asyncio.create_task(self._gather()), asyncio.create_task(self._poll())]

    async def _gather(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            began, size = loop.time(), -1
            while size != len(self.queue) and len(self.queue) < self.max_requests and \
                    loop.time() - began < MAX_GATHER_S:
                size = len(self.queue)
                await asyncio.sleep(self.window_s)
            taken = list(self.queue)[: self.max_requests]
            bodies = [self.queue.pop(cid) for cid in taken]
            if not self.queue:
                self._wake.clear()
            await self._submit(taken, bodies)

    async def _submit(self, cids: list[str], bodies: list[dict[str, Any]]) -> None:
        url = self.client.dialect.url
        content = "".join(json.dumps({"custom_id": c, "method": "POST", "url": url, "body": b}, ensure_ascii=False,
                                     separators=(",", ":")) + "\n" for c, b in zip(cids, bodies, strict=True))
        try:
            file_id = await self.client.upload(content.encode())
            self.journal.uploads[file_id] = {"key": self.key, "entry": self.entry, "custom_ids": cids}
            self.journal.save()
            batch = await self.client.create(file_id, {"personagen_run": self.run_id[:512]})
        except BatchAPIError as exc:
            for cid in cids:
                self._resolve(cid, (exc.status, exc.body))
            return
        self._adopt(batch, cids)

    def _adopt(self, batch: dict[str, Any], cids: list[str]) -> None:
        bid, file_id = batch["id"], batch.get("input_file_id")
        self.journal.uploads.pop(file_id or "", None)
        entry: dict[str, Any] = {
            "key": self.key, "entry": self.entry, "model": self.model, "base_url": self.client.base_url,
            "input_file_id": file_id, "status": batch.get("status"), "requests": len(cids),
            "submitted": datetime.now(UTC).isoformat(timespec="seconds"), "custom_ids": cids}
        self.journal.batches[bid] = entry
        self.journal.save()
        self.flight.update({cid: str(bid) for cid in cids})
        for cid in cids:
            self.attempts[cid] += 1
        self.stats["batches"] += 1
        self.stats["requests"] += len(cids)
        self.note(f"batch {bid}: {len(cids)} requests submitted to {self.model} ({self.counts()})")

    async def _adopt_uploads(self) -> None:
        """Input files a stopped run uploaded without recording a batch: the batch made from each, or a new one."""
        for file_id, upload in list(self.journal.uploads.items()):
            if upload["key"] != self.key:
                continue
            try:
                batch = await self.client.find(file_id) or await self.client.create(
                    file_id, {"personagen_run": self.run_id[:512]})
            except BatchAPIError as exc:
                self.note(f"batch file {file_id} left out ({exc}): its requests are asked again")
                self.journal.uploads.pop(file_id)
                continue
            self._adopt(batch, upload["custom_ids"])

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_s)
            for bid, batch in list(self.journal.in_flight().items()):
                if batch["key"] != self.key:
                    continue
                try:
                    current = await self.client.retrieve(bid)
                    if current["status"] != batch.get("status"):
                        batch["status"] = current["status"]
                        self.journal.save()
                    if current["status"] in TERMINAL:
                        await self._collect(bid, batch, current)
                except BatchAPIError as exc:
                    self._fail((exc.status, exc.body))

    async def _collect(self, bid: str, batch: dict[str, Any], current: dict[str, Any]) -> None:
        """Read a final batch's files: resolve what was answered, ask again what was not."""
        lines = []
        for key in ("output_file_id", "error_file_id"):
            if current.get(key):
                lines += await self.client.content(current[key])
        answered, again = 0, 0
        seen = set()
        for line in lines:
            cid, response, error = line.get("custom_id"), line.get("response"), line.get("error")
            if cid not in batch["custom_ids"] or cid in seen:
                continue
            seen.add(cid)
            if response and response.get("status_code"):
                state = "done" if response["status_code"] < 300 else "error"
                self.journal.record(cid, state, bid, response["status_code"], response.get("body"))
                self._resolve(cid, (response["status_code"], response.get("body")))
                answered += 1
            elif error and error.get("code") not in RESUBMIT:
                self.journal.record(cid, "error", bid, 400, {"error": error})
                self._resolve(cid, (400, {"error": error}))
                answered += 1
            else:
                again += self._again(cid, bid, current)
        for cid in batch["custom_ids"]:
            if cid not in seen:
                again += self._again(cid, bid, current)
        batch.update(status=current["status"], collected=True, output_file_id=current.get("output_file_id"),
                     error_file_id=current.get("error_file_id"))
        self.journal.save()
        self.note(f"batch {bid} {current['status']}: {answered} answered, {again} to ask again ({self.counts()})")

    def _again(self, cid: str, bid: str, current: dict[str, Any]) -> int:
        """A request its batch did not answer (expired, cancelled, failed): queued again while someone waits."""
        self.journal.record(cid, "retry", bid)
        self.flight.pop(cid, None)
        if cid not in self.waiters:
            return 1
        if self.attempts[cid] >= MAX_ATTEMPTS:
            errors = json.dumps(current.get("errors") or current.get("error") or current["status"])[:300]
            self._resolve(cid, error_answer(400, f"batch {bid} {current['status']} ({errors}); the request was "
                                                 f"submitted {self.attempts[cid]} times", f"batch_{current['status']}"))
            return 0
        self.stats["resubmitted"] += 1
        self.queue[cid] = self.bodies[cid]
        assert self._wake is not None
        self._wake.set()
        return 1

    def _resolve(self, cid: str, answer: Answer) -> None:
        self.flight.pop(cid, None)
        self.bodies.pop(cid, None)
        for future in self.waiters.pop(cid, []):
            if not future.done():
                future.set_result(answer)

    def _fail(self, answer: Answer) -> None:
        """The provider refused a status check (key revoked, ...): every waiting request gets that answer."""
        self.failure = answer
        for cid in list(self.waiters):
            self._resolve(cid, answer)

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - closing: its outcome no longer matters
                pass
        self._tasks = []
