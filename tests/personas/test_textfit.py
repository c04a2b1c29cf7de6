"""One-line text fitting: white space folded, an ellipsis where the text is cut."""

from __future__ import annotations

from personagen.personas.textfit import one_line


def test_short_text_is_only_folded() -> None:
    assert one_line("  two\n words\t", 20) == "two words"
    assert one_line({"a": 1}, 20) == "{'a': 1}"


def test_long_text_keeps_its_start_or_its_end() -> None:
    assert one_line("abcdefghij", 5) == "abcd…"
    assert one_line("abcdefghij", 5, keep="end") == "…ghij"
    assert len(one_line("word " * 50, 30)) == 30
    assert one_line("abc", 1) == "…"
