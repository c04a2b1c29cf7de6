"""The "no clear emotion" critic: rejects texts in which the offline classifier finds little sign of their target.

Input: a text candidate (its target emotion, its text, the run's language). Output: a verdict.
`offline_emotion` asks whether a text reads as *another* emotion; its six-class head has no "no emotion" class,
so a flat text spreads its probability over the six and passes. This critic reads the same head's raw score
(logit) for the target emotion, its *strength*: how much the text looks like texts that carry that emotion,
whatever the other five get. A flat text scores low on every emotion. A text is rejected when the target's
strength is below the head's `clear_below`, set on GoEmotions-6 dev by bench/train_emotion_head.py (the share of
correctly labelled real texts it rejects; docs/critics.md has the figures). The reason says whether the text
carries no clear emotion at all (its strongest emotion is weak too) or leans to another one.

By default it is enforced on the embedded model (a 270M base model whose texts are mostly flat) and advisory
on every other model (personagen/pipeline.py `advisory_critics`): recorded, never enforced, unless listed in
`[critics] advisory` otherwise. What it does not judge is accepted with a note, as in `offline_emotion`. The
verdict's score, 1 / (1 + e^(clear_below - strength)), is 0.5 at the threshold; the emotion writer ranks drafts
by the critics' scores (agents/emotion_writer.py).
"""

from __future__ import annotations

import math

from personagen.agents.critics.offline_emotion import reading_critic
from personagen.agents.critics.registry import accept, reject
from personagen.personas.models import Verdict

NAME = "offline_strength"


def strength_score(strength: float, clear_below: float) -> float:
    """The verdict's score: a logistic of the distance to the threshold (0.5 at it), rounded."""
    return round(1.0 / (1.0 + math.exp(clear_below - strength)), 4)


def judge_strength(labels: tuple[str, ...], clear_below: float, target: str, logits) -> Verdict:
    """Reject when the target's logit is below `clear_below`; say whether any emotion shows at all."""
    own = float(logits[labels.index(target)])
    top = max(range(len(labels)), key=lambda i: logits[i])
    found, strongest = labels[top], float(logits[top])
    score = strength_score(own, clear_below)
    if own >= clear_below:
        return accept(f"clear sign of {target} (strength {own:.2f}, needs {clear_below:.2f})", score=score)
    if strongest < clear_below:
        return reject(f"no clear emotion: little sign of {target} (strength {own:.2f}, needs {clear_below:.2f}) "
                      f"or of any other (strongest: {found} {strongest:.2f}); write a message in which the "
                      f"{target} shows", score=score)
    return reject(f"no clear sign of {target} (strength {own:.2f}, needs {clear_below:.2f}); it reads more as "
                  f"{found} ({strongest:.2f})", score=score)


def judge_head(head, target: str, logits) -> Verdict:
    """`judge_strength` with the head's labels and threshold (a head trained before this critic has none)."""
    if head.clear_below is None:
        return accept("not judged: the classifier head has no strength threshold (retrain it with "
                      "bench/train_emotion_head.py)")
    return judge_strength(head.labels, float(head.clear_below), target, logits)


offline_strength = reading_critic(
    NAME, "Offline classifier (MiniLM + GoEmotions-6 head, no LLM): rejects texts with no clear sign of their target "
          "emotion (flat texts); enforced on the embedded model, advisory elsewhere.", judge_head)
