"""The profile's bucket sorting (bench/profile_buckets.py) on made-up stacks: no profiler, no timing."""

from __future__ import annotations

import sysconfig
from pathlib import Path

from bench import profile_buckets as pb

ROOT = Path(pb.__file__).resolve().parent.parent
STDLIB = sysconfig.get_paths()["stdlib"]
SITE = "/venv/lib/python3.11/site-packages"


def frame(func: str, path: str) -> str:
    return f"{func}\x00{path}"


LOOP = [frame("run", f"{STDLIB}/asyncio/runners.py"), frame("_run_once", f"{STDLIB}/asyncio/base_events.py"),
        frame("_run", f"{STDLIB}/asyncio/events.py")]
NODE = [*LOOP, frame("astream", f"{SITE}/langgraph/pregel/main.py"), frame("write_emotions", f"{ROOT}/agents/w.py")]
ASK = [*NODE, frame("ask", f"{ROOT}/agents/llm.py"), frame("ainvoke", f"{SITE}/langchain_core/runnables/base.py")]


def test_innermost_non_stdlib_frame_takes_the_sample() -> None:
    samples = [
        ([*ASK, frame("dumps", f"{STDLIB}/json/__init__.py")], 1.0),  # stdlib counts for its caller
        ([*ASK, frame("model_validate", f"{SITE}/pydantic/main.py")], 2.0),
        ([*NODE, frame("ensure_config", f"{SITE}/langchain_core/runnables/config.py")], 4.0),  # under LangGraph
        ([*LOOP, frame("heappop", "<built-in>")], 8.0),  # the loop's own work, not asyncio.run's caller
        ([*LOOP[:2], frame("select", f"{STDLIB}/selectors.py"), frame("poll", "<built-in>")], 16.0),  # idle
        ([*NODE, frame("emit", f"{ROOT}/agents/context.py"), frame("make_event", f"{ROOT}/agents/events.py")], 32.0),
    ]
    found = pb.classify(samples)
    assert found["exclusive"] == {pb.PLUMBING: 1.0, pb.PYDANTIC: 2.0, pb.LANGGRAPH: 4.0, pb.LOOP: 8.0, pb.EVENTS: 32.0}
    assert found["idle_s"] == 16.0 and found["busy_s"] == 47.0
    assert found["inclusive"]["pydantic, all callers"] == 2.0
    assert found["inclusive"]["AgentContext.emit: event build + write + tally + trace"] == 32.0


def test_pool_workers_waiting_are_idle() -> None:
    worker = [frame("_bootstrap", f"{STDLIB}/threading.py"), frame("_worker", f"{STDLIB}/concurrent/futures/thread.py")]
    found = pb.classify([(worker, 1.0), ([*worker, frame("run", f"{SITE}/onnxruntime/session.py")], 2.0)])
    assert found["idle_s"] == 1.0 and found["exclusive"] == {"other: onnxruntime": 2.0}
