"""docs/configuration.md is what `python -m personagen.config_reference` makes of the settings model, and names every
`[section] key` with its type, default and meaning."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel, Field

from personagen import config_reference
from personagen.config_reference import DOC, UndescribedSetting, render, rows
from personagen.settings import ModelSettings, Settings


def test_the_reference_is_up_to_date():
    assert DOC.read_text(encoding="utf-8") == render(), "run: python -m personagen.config_reference"
    assert config_reference.main(["--check"]) == 0


def test_every_key_of_every_section_is_listed_with_its_default():
    text = DOC.read_text(encoding="utf-8")
    sections = {m.group(1): m.start() for m in re.finditer(r"^## `\[(\w+)(?:\.<name>)?\]`", text, re.M)}
    assert list(sections) == list(Settings.model_fields)
    for name, field in Settings.model_fields.items():
        model = ModelSettings if name == "models" else field.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        body = text[sections[name]:].split("\n## ", 1)[0]
        listed = re.findall(r"^\| `(\w+)` \|", body, re.M)
        assert listed == list(model.model_fields), name
    assert "| `base_attempts` | int (> 0, <= 100) | `4` |" in text
    assert '| `on_error` | "skip" &#124; "stop" | `"skip"` |' in text


def test_a_setting_without_a_description_is_refused():
    class Section(BaseModel):
        described: int = Field(default=1, description="Has one.")
        bare: int = 2

    with pytest.raises(UndescribedSetting, match="Section.bare"):
        rows(Section)


def test_a_stale_file_is_reported(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "configuration.md"
    stale.write_text("# old\n", encoding="utf-8")
    monkeypatch.setattr(config_reference, "DOC", stale)
    assert config_reference.main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().err
    assert config_reference.main([]) == 0 and stale.read_text(encoding="utf-8") == render()
