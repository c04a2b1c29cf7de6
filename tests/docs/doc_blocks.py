"""What the docs show: code blocks, inline code and tables of README.md and docs/*.md, with their line numbers.

Used by the doc tests: every config example must load (test_config_examples.py) and every command line must
name a real command and real options (test_command_lines.py). A block is marked as deliberately not a config
by an HTML comment `<!-- not-a-config -->` on the line before it (blank lines between are allowed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_A_CONFIG = "<!-- not-a-config -->"
FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
TABLE_HEADER = re.compile(r"^\s*\[[A-Za-z_][\w.\"-]*\]\s*(#.*)?$")  # a TOML table header such as [models.default]
CODE_SPAN = re.compile(r"`([^`]+)`")


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@dataclass(frozen=True)
class Block:
    """One code block: fenced (with its language, maybe empty) or indented (language 'indented')."""

    path: Path
    line: int  # 1-based line of the opening fence, or of the first indented line
    lang: str
    text: str
    marked_not_config: bool
    body_line: int  # 1-based line of the block's first line of text

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    def is_config(self) -> bool:
        """A toml block, or an unlabelled / indented block that has a TOML table header line."""
        if self.lang == "toml":
            return True
        return self.lang in ("", "indented") and any(TABLE_HEADER.match(line) for line in self.text.splitlines())


@dataclass(frozen=True)
class Prose:
    """A line outside code blocks (tables included), for its inline code spans."""

    path: Path
    line: int
    text: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def _marked(lines: list[str], start: int) -> bool:
    """Whether the last non-blank line before lines[start] is the not-a-config comment."""
    i = start - 1
    while i >= 0 and not lines[i].strip():
        i -= 1
    return i >= 0 and lines[i].strip() == NOT_A_CONFIG


def _dedent(lines: list[str], indent: int) -> str:
    return "\n".join(line[indent:] if line[:indent].strip() == "" else line.lstrip() for line in lines)


def parse(path: Path) -> tuple[list[Block], list[Prose]]:
    """The code blocks and the prose lines of one markdown file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    prose: list[Prose] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        opening = FENCE.match(line)
        if opening:
            fence, indent = opening["fence"], len(opening["indent"])
            end = i + 1
            while end < len(lines) and not lines[end].strip().startswith(fence[0] * len(fence)):
                end += 1
            text = _dedent(lines[i + 1:end], indent)
            blocks.append(Block(path, i + 1, opening["lang"].lower(), text, _marked(lines, i), i + 2))
            i = end + 1
            continue
        if line.startswith("    ") and line.strip() and (i == 0 or not lines[i - 1].strip()):
            end = i
            while end < len(lines) and (lines[end].startswith("    ") or not lines[end].strip()):
                end += 1
            body = lines[i:end]
            while body and not body[-1].strip():
                body.pop()
            blocks.append(Block(path, i + 1, "indented", _dedent(body, 4), _marked(lines, i), i + 1))
            i = end
            continue
        prose.append(Prose(path, i + 1, line))
        i += 1
    return blocks, prose


def all_blocks() -> list[Block]:
    return [block for path in doc_files() for block in parse(path)[0]]


def all_prose() -> list[Prose]:
    return [line for path in doc_files() for line in parse(path)[1]]


def code_spans(text: str) -> list[str]:
    """The inline code of a markdown line; `\\|` (a pipe escaped inside a table) is a plain pipe."""
    return [span.replace("\\|", "|") for span in CODE_SPAN.findall(text)]


def table_cells(line: str) -> list[str] | None:
    """The cells of a markdown table row (None when the line is not one); escaped pipes stay in the cell."""
    if not line.lstrip().startswith("|"):
        return None
    cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
    return [cell.strip() for cell in cells]
