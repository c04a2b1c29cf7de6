"""examples/python-api.ipynb runs top to bottom in a real Jupyter kernel (nbclient + ipykernel) on the stub server,
and "interrupt kernel" stops a run cleanly: interrupted, resumable, KeyboardInterrupt in the cell."""

from __future__ import annotations

import ast
import json
import re
import time

import nbformat
import pytest
from jupyter_client.manager import start_new_kernel
from nbclient import NotebookClient

import personagen
from bench.stub_process import start_stub
from tests.docs.doc_blocks import ROOT

NOTEBOOK = ROOT / "examples" / "python-api.ipynb"


def texts(output) -> list[str]:
    return [output.get("text", "")] + [str(v) for v in output.get("data", {}).values()]


def outputs_of(nb, start: str) -> list:
    """The outputs of the code cell whose source starts with `start`."""
    [cell] = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(start)]
    return cell.outputs


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    runs = tmp_path_factory.mktemp("nb")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PERSONAGEN_RUNS_DIR", str(runs))  # the kernel inherits it: the notebook's runs go there
        nb = nbformat.read(NOTEBOOK, as_version=4)
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()  # raises on a cell error
    return nb, runs


def test_the_notebook_makes_a_dataset_and_shows_it_without_escape_codes(executed):
    nb, runs = executed
    [folder] = [p for p in runs.iterdir() if p.is_dir()]
    run = personagen.load(folder)
    assert run.status == "finished" and len(run.records) > 0
    every = [t for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs for t in texts(o)]
    assert not any("\x1b[" in t for t in every)  # HTML and plain text, never terminal escapes
    [display, printed] = outputs_of(nb, "import personagen")
    assert display.output_type == "display_data" and "<pre" in display.data["text/html"]
    shown = display.data["text/plain"]  # the bar's last state, then the summary table
    assert re.search(r"personas ━+ 6/6", shown) and "finished" in shown and "texts accepted" in shown
    assert printed.text.strip() == f"{run.id} finished exit code 0 - {len(run.records)} texts"
    [frame] = outputs_of(nb, "frame = run.to_pandas()")
    assert "<table" in frame.data["text/html"] and all(r["persona_id"] in frame.data["text/html"]
                                                       for r in run.records)


def test_the_notebook_critic_rejected_personas_and_the_journey_shows_it(executed):
    nb, runs = executed
    [counted] = outputs_of(nb, 'run.summary["critics"]')
    verdicts = ast.literal_eval(counted.data["text/plain"])
    assert verdicts["rejected"] > 0 and verdicts["passed"] == 6
    [journey] = outputs_of(nb, "persona = next(")
    shown = journey.data["text/plain"]
    assert "critic:at_least_40" in shown and "✘ rejected" in shown and "is under 40" in shown
    assert "<pre" in journey.data["text/html"]


def test_the_notebook_exports_a_datasets_dataset(executed):
    nb, runs = executed
    [folder] = [p for p in runs.iterdir() if p.is_dir()]
    printed, dataset = outputs_of(nb, "dataset = run.to_dataset()")
    assert printed.text.strip() == "ClassLabel(names=['joy', 'anger', 'sadness'])"
    rows = len(personagen.load(folder).rows())
    assert dataset.data["text/plain"].startswith("Dataset({") and f"num_rows: {rows}" in dataset.data["text/plain"]


def run_cell(kc, code: str, timeout: float = 120) -> dict:
    msg_id = kc.execute(code)
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            return reply["content"]


@pytest.mark.parametrize(("call", "raised", "resume"), [
    ("personagen.run", "KeyboardInterrupt",
     "r = personagen.load('k', runs_dir=runs).resume(base_url=url, quiet=True, curate=False)"),
    ("await personagen.arun", "CancelledError",  # ipykernel cancels an async cell's task
     "r = await personagen.load('k', runs_dir=runs).aresume(base_url=url, quiet=True, curate=False)"),
], ids=["run", "arun"])
def test_interrupt_kernel_stops_the_run_which_then_resumes(tmp_path, call, raised, resume):
    # the stub runs here: "interrupt kernel" signals the kernel's whole process group, children included
    with start_stub(latency=0.2) as (_, url):
        km, kc = start_new_kernel(kernel_name="python3")
        try:
            assert run_cell(kc, f"import personagen\nurl, runs = {url!r}, {str(tmp_path)!r}")["status"] == "ok"
            # stop_on_error=False: after a cell's error ipykernel aborts the execute requests that reach it before it
            # has finished replying (ipykernel kernelbase.py `_abort_queues`; `stop_on_error` of execute_request,
            # https://jupyter-client.readthedocs.io/en/latest/messaging.html#execute; ipython/ipykernel#609): the
            # resume cell, sent as soon as the error reply is read, came back "aborted" now and then under load
            # (a kernel sent "raise KeyboardInterrupt" then "1" at once: 2 of 300 aborted under load, 0 of 300 so)
            msg_id = kc.execute(f"{call}(personas=4, emotions='joy', texts_per_emotion=1, concurrency=1, "
                                "base_url=url, runs_dir=runs, run_id='k', no_critic='offline_emotion', curate=False)",
                                stop_on_error=False)
            rows = tmp_path / "k" / "personas.jsonl"
            deadline = time.monotonic() + 60
            while not (rows.exists() and rows.read_text().count("\n") >= 1):
                assert time.monotonic() < deadline, "the run never wrote a persona"
                time.sleep(0.05)
            km.interrupt_kernel()
            reply = kc.get_shell_msg(timeout=60)
            assert reply["parent_header"]["msg_id"] == msg_id
            assert reply["content"]["status"] == "error" and reply["content"]["ename"] == raised
            assert "run interrupted: stopped by the user" in reply["content"]["evalue"]
            summary = json.loads((tmp_path / "k" / "summary.json").read_text())
            assert summary["status"] == "interrupted" and summary["personas"]["accepted"] < 4
            resumed = run_cell(kc, resume)
            assert resumed["status"] == "ok", resumed
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    run = personagen.load(tmp_path / "k")
    assert run.status == "finished" and len(run.personas) == 4
