"""The Python shown in README.md and docs/*.md parses, imports only names that exist, and uses `with` /
`async with` only on objects that support it (nothing is run: no model, no server)."""

from __future__ import annotations

import ast
import importlib
import inspect

import pytest

from tests.docs.doc_blocks import Block, all_blocks

PYTHON_BLOCKS = [block for block in all_blocks() if block.lang == "python"]


def imported_names(tree: ast.Module) -> dict[str, object]:
    """Every `from module import name` of the example, resolved (AssertionError naming what is missing)."""
    names: dict[str, object] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            module = importlib.import_module(node.module)
            for alias in node.names:
                if not hasattr(module, alias.name):
                    importlib.import_module(f"{node.module}.{alias.name}")  # a submodule is fine
                    continue
                names[alias.asname or alias.name] = getattr(module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                importlib.import_module(alias.name)
    return names


def context_managers(tree: ast.Module) -> list[tuple[str, str]]:
    """(name, 'with' or 'async with') for every `with Name(...)` of the example."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.With | ast.AsyncWith):
            kind = "async with" if isinstance(node, ast.AsyncWith) else "with"
            for item in node.items:
                call = item.context_expr
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
                    found.append((call.func.id, kind))
    return found


def calls_of(tree: ast.Module, names: dict[str, object]) -> list[tuple[str, int, list[str]]]:
    """(name, positional count, keywords) of every plain call of an imported name (no *args / **kwargs)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
            if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
                continue
            found.append((node.func.id, len(node.args), [k.arg for k in node.keywords if k.arg]))
    return found


def test_the_docs_show_python():
    assert PYTHON_BLOCKS


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=[block.where for block in PYTHON_BLOCKS])
def test_python_example_names_what_exists(block: Block):
    tree = ast.parse(block.text, filename=block.where)
    names = imported_names(tree)
    for name, kind in context_managers(tree):
        if not isinstance(names.get(name), type):
            continue  # a function (such as a @contextmanager) cannot be checked without calling it
        needed = "__aenter__" if kind == "async with" else "__enter__"
        assert hasattr(names[name], needed), f"{block.where}: `{kind} {name}(...)` but {name} has no {needed}"
    for name, positional, keywords in calls_of(tree, names):
        try:
            signature = inspect.signature(names[name])
        except (TypeError, ValueError):
            continue  # a builtin without a signature
        try:
            signature.bind(*[None] * positional, **dict.fromkeys(keywords))
        except TypeError as exc:
            pytest.fail(f"{block.where}: {name}() does not take these arguments: {exc}")
