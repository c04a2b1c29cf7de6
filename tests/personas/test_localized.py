"""Japanese persona lines: the jp tables carry Japanese labels, and a `--language ja` run's prompts show them
(scripted fake and stub); English runs keep their lines."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from personagen.cli import app
from personagen.personas.locale import load_locale
from personagen.personas.localized import TABLE_KEYS, base_line, label, scene_line, socio_line
from personagen.personas.models import Scenario, SocioCultural
from personagen.personas.sampling import sample_base, sample_socio

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def test_every_jp_table_value_has_a_japanese_label() -> None:
    loc = load_locale("jp")
    for table, key in TABLE_KEYS.items():
        for row in getattr(loc, table).rows:
            assert JAPANESE.search(row["label_ja"]) and not LATIN_WORD.search(row["label_ja"]), (table, row)
            assert label(row[key], "jp", "ja") == row["label_ja"]


def test_a_sampled_jp_persona_reads_in_japanese_and_keeps_its_table_values() -> None:
    for index in range(30):
        base = sample_base("jp", 1000 + index, index)
        line = base_line(base, "ja")
        assert LATIN_WORD.findall(line) == ["MBTI", base.mbti], line
        assert line.startswith(f"{base.age}歳の") and base.occupation in {r["title"] for r in
                                                                       load_locale("jp").occupations.rows}
        drawn = {name: value for name, (value, _) in sample_socio(load_locale("jp"), base, index, 1).items()}
        socio = SocioCultural(**drawn, residence="大阪の団地", beliefs="家族が一番", income="ふつう")
        assert not LATIN_WORD.search(socio_line(socio, "jp", "ja")), socio_line(socio, "jp", "ja")


def test_english_lines_are_the_models_own() -> None:
    base = sample_base("jp", 7, 0)
    assert base_line(base, "en") == base.summary()
    scene = Scenario(location="駅", activity="通勤中", partner="友達", medium="LINE", language_style="くだけた")
    assert scene_line(scene, "en") == scene.summary()
    assert scene_line(scene, "ja") == "駅で通勤中、友達にLINEで（くだけた）"


def test_a_japanese_stub_run_prompts_with_japanese_persona_lines(tmp_path: Path, stub_url: str) -> None:
    args = ["run", "--locale", "jp", "--language", "ja", "-n", "2", "-e", "joy", "-k", "1", "--base-url", stub_url,
            "--model", "stub", "--runs-dir", str(tmp_path), "--run-id", "ja", "-q"]
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    calls = [json.loads(line) for line in (tmp_path / "ja" / "events.jsonl").read_text().splitlines()]
    prompts = {e["agent"]: e["prompt"][-1]["content"] for e in calls if e["type"] == "llm_call"}
    for agent in ("socio_enricher", "scenario_designer", "emotion_writer"):
        own = prompts[agent].rsplit("\n\n", 1)[-1]  # the persona's own block, after the examples
        assert "歳の" in own and "職業: " in own, (agent, own)
        assert "year-old" not in prompts[agent] and "occupation:" not in prompts[agent], agent
