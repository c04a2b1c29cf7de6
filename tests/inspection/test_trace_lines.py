"""The live trace (personagen/trace.py) reads the events of a real run through their typed models."""

from __future__ import annotations

from pathlib import Path

from personagen.agents.events import parse_event_json
from personagen.trace import describe_event
from tests.inspection.real_runs import FINISHED, SCENE_CHECK_ERROR


def traced(runs_dir: Path) -> list[str]:
    text = (runs_dir / FINISHED / "events.jsonl").read_text(encoding="utf-8")
    return [line for raw in text.splitlines() if (line := describe_event(parse_event_json(raw)))]


def test_every_event_of_a_run_is_traced_or_left_out(runs_dir: Path) -> None:
    lines = traced(runs_dir)
    assert lines[0].startswith("[dim]p000000[/] [cyan]sampled[/]") and "(try 1)" in lines[0]
    assert any("[red]✗ plausibility[/] too young for the job" in line for line in lines)
    assert any(f"[bold red]error[/] critic:scene_check: {SCENE_CHECK_ERROR}" in line for line in lines)
    assert any("[red]dropped socio[/]: socio: 3 candidates rejected" in line for line in lines)
    assert any("[yellow]↻ expression[/]" in line for line in lines)
    assert not any("✓ emotion_fidelity" in line for line in lines)  # passed text verdicts: too many to show
    assert sum("[blue]socio_enricher[/]" in line for line in lines) == 5
