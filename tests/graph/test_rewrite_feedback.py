"""A rewrite is not blind: the next prompt carries the rejected draft and the blocking critics' reasons
(agents/drafting.py), for backgrounds, scenes and texts; advisory verdicts are not fed back."""

from __future__ import annotations

from personagen.agents.context import Limits
from personagen.agents.drafting import feedback_block
from personagen.personas.models import Stage, Verdict
from tests.fakes import ScriptedChat, good_script
from tests.graph.test_critic_loops import make_ctx, run

INCONSISTENT = {"reason": "a monk with a yacht club membership", "plausible": False, "confidence": 0.9}
CONSISTENT = {"reason": "fine", "plausible": True, "confidence": 0.9}


def prompts_of(chat: ScriptedChat, schema: str) -> list[str]:
    return [p for s, p in chat.prompts if s == schema]


def consistency_says(*answers: dict):
    queue = iter(answers)
    return lambda prompt: next(queue) if "Background:" in prompt and "consistent" in prompt else CONSISTENT


def test_a_rejected_background_and_its_reason_reach_the_rewrite():
    script = good_script(Enrichment=[{"residence": "a yacht harbour flat", "beliefs": "monastic poverty"},
                                     {"residence": "a flat in town", "beliefs": "values family"}])
    script["Judgement"] = consistency_says(INCONSISTENT, CONSISTENT)
    chat = ScriptedChat(script=script)
    ctx, _ = make_ctx(chat, limits=Limits(socio_attempts=2))
    state = run(ctx)
    assert state["status"] == "accepted" and state["attempts"][Stage.SOCIO] == 2
    first, second = prompts_of(chat, "Enrichment")
    assert "Rejected draft" not in first
    assert 'Rejected draft: {"residence": "a yacht harbour flat", "beliefs": "monastic poverty"}' in second
    assert "Why: a monk with a yacht club membership" in second


def test_rejected_texts_and_reasons_reach_the_rewrite_of_that_emotion():
    script = good_script()
    script["EmotionReading"] = [{"reason": "sounds sad", "emotion": "sadness"}]
    chat = ScriptedChat(script=script)
    ctx, _ = make_ctx(chat, emotions=["joy", "sadness"], texts_per_emotion=1, limits=Limits(text_attempts=2))
    run(ctx)
    joy = [p for p in prompts_of(chat, "Texts") if p.rstrip().endswith("Messages:") and "Emotion: joy\n" in p]
    assert len(joy) == 2 and "Rejected draft" not in joy[0]
    assert "Rejected draft: \"Honestly message" in joy[1] and "Why: reads as sadness, not joy: sounds sad" in joy[1]


def test_only_blocking_reasons_are_fed_back():
    verdicts = [Verdict(critic="consistency", stage=Stage.SOCIO, passed=False, advisory=True, reasons=["judge unsure"]),
                Verdict(critic="copied_background", stage=Stage.SOCIO, passed=False, reasons=["copies an example"]),
                Verdict(critic="socio_constraints", stage=Stage.SOCIO, passed=True, reasons=["ok"])]
    assert feedback_block('{"residence": "x"}', verdicts) == ('Rejected draft: {"residence": "x"}\n'
                                                              "Why: copies an example\n")
    assert feedback_block("x", verdicts[:1]) == ""  # nothing blocked it: no feedback


def test_an_advisory_rejection_causes_no_rewrite_and_so_no_feedback():
    script = good_script(Enrichment=[{"residence": "a yacht harbour flat", "beliefs": "monastic poverty"}])
    script["Judgement"] = consistency_says(INCONSISTENT, CONSISTENT)
    chat = ScriptedChat(script=script)
    ctx, _ = make_ctx(chat, advisory=frozenset({"consistency"}))
    state = run(ctx)
    assert state["attempts"][Stage.SOCIO] == 1  # the advisory rejection does not block, so there is no rewrite
    assert all("Rejected draft" not in p for p in prompts_of(chat, "Enrichment"))


def test_feedback_off_gives_blind_rewrites():
    script = good_script(Enrichment=[{"residence": "a yacht harbour flat", "beliefs": "monastic poverty"},
                                     {"residence": "a flat in town", "beliefs": "values family"}])
    script["Judgement"] = consistency_says(INCONSISTENT, CONSISTENT)
    chat = ScriptedChat(script=script)
    ctx, _ = make_ctx(chat, limits=Limits(socio_attempts=2), feedback=False)
    assert run(ctx)["attempts"][Stage.SOCIO] == 2
    assert all("Rejected draft" not in p for p in prompts_of(chat, "Enrichment"))
