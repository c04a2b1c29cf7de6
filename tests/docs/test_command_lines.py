"""Every `personagen ...` command line shown in README.md and docs/*.md names a real command, and every option it
uses is an option of that command. Command lines come from code blocks, inline code, and the options tables
(a table whose first header cell is `option`, introduced by "Options of `personagen CMD`" or by the comment
`<!-- options-of: personagen CMD -->`). Nothing is run: the commands are looked up in the Typer app.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pytest
import typer.main
from typer.testing import CliRunner

from personagen.cli import app
from tests.docs.doc_blocks import all_blocks, code_spans, doc_files, parse, table_cells

NOT_SHELL = {"python", "json", "toml"}
OPTION = re.compile(r"(?:^|(?<=[\s\[(/|]))(--?[A-Za-z][\w-]*)")
SUBCOMMAND = re.compile(r"^[a-z][a-z-]*$")
OPTIONS_OF = re.compile(r"(?:Options of|<!-- options-of:) `?personagen ([a-z][a-z-]*)`?")
# commands a colleague is building; a doc naming one before it exists is an expected failure


@dataclass(frozen=True)
class DocCommand:
    where: str
    command: str
    options: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.where} personagen {self.command} {' '.join(self.options)}".strip()


def parse_command_line(text: str, where: str) -> list[DocCommand]:
    """The personagen invocations in one shell line (`a && b`, env prefixes, paths such as .venv/bin/ allowed)."""
    found = []
    for segment in re.split(r"&&|\|\||;", text):
        tokens = segment.split()
        starts = [i for i, t in enumerate(tokens) if t == "personagen" or t.endswith("/personagen")]
        if not starts or starts[0] + 1 >= len(tokens):
            continue
        rest = tokens[starts[0] + 1:]
        if "#" in rest:  # a shell comment
            rest = rest[: rest.index("#")]
        if not rest or not (SUBCOMMAND.match(rest[0]) or rest[0].startswith("-")):
            continue  # prose or a placeholder, not a command line
        command = "" if rest[0].startswith("-") else rest[0]
        args = " ".join(rest if not command else rest[1:])
        options = tuple(o.split("=")[0] for o in OPTION.findall(args))
        found.append(DocCommand(where, command, options))
    return found


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(offset, line) of a shell block, `\\` continuations and indented continuations (usage synopses) joined."""
    lines: list[tuple[int, str]] = []
    for offset, raw in enumerate(text.splitlines()):
        stripped = raw.strip().removeprefix("$ ")
        if lines and (lines[-1][1].endswith("\\") or (raw[:1].isspace() and lines[-1][1])):
            lines[-1] = (lines[-1][0], lines[-1][1].rstrip("\\") + " " + stripped)
        else:
            lines.append((offset, stripped))
    return [(offset, line) for offset, line in lines if line and not line.startswith("#")]


def block_commands() -> list[DocCommand]:
    found = []
    for block in all_blocks():
        if block.lang not in NOT_SHELL:
            for offset, line in logical_lines(block.text):
                found += parse_command_line(line, f"{block.where.split(':')[0]}:{block.body_line + offset}")
    return found


def inline_commands() -> list[DocCommand]:
    found = []
    for path in doc_files():
        for prose in parse(path)[1]:
            for span in code_spans(prose.text):
                found += parse_command_line(span, prose.where)
    return found


def table_commands() -> list[DocCommand]:
    """One entry per row of an options table: the command it documents and the options of its first cell."""
    found = []
    for path in doc_files():
        command, in_table = None, False
        for prose in parse(path)[1]:
            cells = table_cells(prose.text)
            if cells is None:
                in_table = False
                if match := OPTIONS_OF.search(prose.text):
                    command = match[1]
                continue
            if not in_table:  # the header row
                in_table = True
                table_command, command = (command if cells[0].lower() == "option" else None), None
                continue
            if table_command is None or set(cells[0]) <= set("-: "):
                continue
            options = tuple(o for span in code_spans(cells[0]) for o in OPTION.findall(span))
            if options:
                found.append(DocCommand(prose.where, table_command, options))
    return found


DOC_COMMANDS = block_commands() + inline_commands() + table_commands()


@cache
def click_group():
    return typer.main.get_command(app)


@cache
def help_exit_code(command: str) -> int:
    return CliRunner().invoke(app, [command, "--help"] if command else ["--help"]).exit_code


def options_of(command: str) -> set[str]:
    group = click_group()
    target = group.commands[command] if command else group
    names = {"--help"}
    for param in target.params:
        if getattr(param, "param_type_name", "") == "option":
            names.update(param.opts, param.secondary_opts)
    return names


def test_the_docs_show_commands_and_options_tables():
    commands = {c.command for c in DOC_COMMANDS}
    assert {"run", "export", "inspect", "eval", "compare", "merge", "critics", "runs"} <= commands
    tables = table_commands()
    assert {c.command for c in tables} >= {"run", "eval"}
    assert {"--personas", "-n", "--runs-dir", "--max-tokens"} <= {o for c in tables for o in c.options}


@pytest.mark.parametrize("doc", DOC_COMMANDS, ids=[c.id for c in DOC_COMMANDS])
def test_documented_command_line_exists(doc: DocCommand):
    assert doc.command == "" or doc.command in click_group().commands, (
        f"{doc.where}: `personagen {doc.command}` is not a command; commands: {sorted(click_group().commands)}")
    assert help_exit_code(doc.command) == 0
    unknown = [o for o in doc.options if o not in options_of(doc.command)]
    assert not unknown, f"{doc.where}: `personagen {doc.command}` has no option(s) {unknown}"


def test_every_command_that_reads_runs_takes_runs_dir():
    """README: the commands that read runs (those taking RUN arguments, and `runs`) take --runs-dir."""
    group = click_group()
    readers = {name for name, command in group.commands.items()
               if any(getattr(p, "param_type_name", "") == "argument" for p in command.params)} | {"runs"}
    assert {"export", "inspect", "browse", "eval", "compare", "merge"} <= readers
    assert [name for name in sorted(readers) if "--runs-dir" not in options_of(name)] == []


def test_the_extractor_reads_shell_lines():
    line = "OPENAI_API_KEY=sk-... .venv/bin/personagen run -n 5 --base-url/--model x [--no-judge | --out=D]  # -z"
    assert parse_command_line(line, "here") == [
        DocCommand("here", "run", ("-n", "--base-url", "--model", "--no-judge", "--out"))]
    assert parse_command_line("pip install -e . && personagen critics --load m.py", "here") == [
        DocCommand("here", "critics", ("--load",))]
    assert parse_command_line("from personagen.agents import x", "here") == []
    assert logical_lines("personagen eval RUN [--real P]\n    [--json]\n# c\n$ personagen runs \\\n  --json") == [
        (0, "personagen eval RUN [--real P] [--json]"), (3, "personagen runs  --json")]
