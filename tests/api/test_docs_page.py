"""docs/python-api.md runs: its Python blocks, in order and in one namespace, against the repo's stub server."""

from __future__ import annotations

import contextlib
import io

from personagen.critics import isolated_registry
from tests.docs.doc_blocks import ROOT, parse

PAGE = ROOT / "docs" / "python-api.md"
SERVER = "http://localhost:8000/v1"  # the page's example server; the stub stands in for it


def test_every_python_block_of_the_page_runs(tmp_path, monkeypatch, stub_url):
    blocks = [b for b in parse(PAGE)[0] if b.lang == "python"]
    assert len(blocks) >= 6 and all(SERVER in b.text for b in blocks if "personagen.run(" in b.text)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PERSONAGEN_RUNS_DIR", raising=False)
    namespace: dict = {}
    printed = io.StringIO()
    with isolated_registry(), contextlib.redirect_stdout(printed):
        for block in blocks:
            code = compile(block.text.replace(SERVER, stub_url), block.where, "exec")
            exec(code, namespace)  # noqa: S102 - the page's own examples
    run, checked, finished = namespace["run"], namespace["checked"], namespace["finished"]
    assert run.status == finished.status == "finished" and run.folder.parent == tmp_path / "runs"
    assert checked.summary["critics"]["over_25"]["rejected"] > 0  # the cell's critic took part
    assert min(record["persona"]["age"] for record in checked.records) > 25
    assert "\nbudget 3\n" in printed.getvalue()  # RunEnded: the token budget stopped the run, exit code 3
    assert (run.folder / "dataset.csv").is_file() and (run.folder / "hf" / "README.md").is_file()
    assert "2 options: run.personas" in printed.getvalue()  # exit code and the CLI's message for -n 0
