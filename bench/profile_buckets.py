"""Sorting stack samples of a PersonaGen run into buckets of client CPU (used by bench/profile_calls.py).

Input: samples as (stack, seconds), the stack outermost frame first, each frame "function\\x00file[\\x00...]" (the
form pyinstrument uses; py-spy's raw lines are converted to it). Output: `classify(samples)`:
- `exclusive`: every busy sample goes to one bucket, that of its innermost frame that is not plain stdlib plumbing
  (asyncio, json, copy, typing, builtins ... count for their caller; asyncio/locks.py is the semaphore);
- `inclusive`: a sample counts for every named spot on its stack (overlapping);
- `frames`: the seconds of each innermost non-stdlib frame, to name what a bucket is made of;
- `idle_s`: samples of a thread waiting (the event loop in epoll, pool workers on their queue), left out.
Caveat: asyncio stacks start at the running task, so work in a task a spot spawned (LangChain's `gather` in
`agenerate`) is not on the spot's stack; the exclusive buckets do not depend on it.
"""

from __future__ import annotations

import os
import sysconfig
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STDLIB = os.path.realpath(sysconfig.get_paths()["stdlib"])
HTTP = ("/aiohttp/", "/httpx2/", "/httpcore2/", "/yarl/", "/multidict/", "/propcache/", "/aiohappyeyeballs/",
        "/openai/_vendor/", "/h11/", "/anyio/", "/frozenlist/", "/aiosignal/", "/sniffio/")

PACER = "pacer (personagen/throttle.py)"
SEMAPHORE = "semaphore (asyncio.Semaphore around each call, agents/llm.py)"
TRACE = "trace (personagen/trace.py)"
ANSWERS = "answer reading (agents/answers.py)"
SCHEMA = "schema building (agents/strict_schema.py, llm.request_fields/schema_of/prepared)"
EVENTS = "events: build + validate (agents/events.py, AgentContext.emit)"
WRITES = "events, records: serialise + write (personagen/runformat/)"
TALLY = "run tally, early stop (summary.py, early_stop.py)"
WRAPPER = "our call wrapper (agents/llm.py ask/interpret, AgentContext.ask)"
OURS = "our nodes, critics, prompts, sampling, runner (agents/, graph/, personas/, personagen/)"
PYDANTIC = "pydantic (validation, dumps; all callers)"
CONVERSION = "LangChain message conversion (langchain_openai payload/result, langchain_core.messages)"
LANGGRAPH = "LangGraph step overhead (langgraph + the langchain_core runnables/config it runs)"
PLUMBING = "LangChain chat-model plumbing (runnables, callbacks, agenerate)"
TRANSPORT = "HTTP transport (aiohttp via openai's httpx2 adapter)"
OPENAI = "openai SDK (request build, response parse, retries)"
LOOP = "asyncio event loop, sockets, callbacks (stdlib)"

OUR_FILES = {
    "personagen/throttle.py": PACER, "personagen/trace.py": TRACE, "agents/answers.py": ANSWERS,
    "agents/strict_schema.py": SCHEMA, "agents/events.py": EVENTS, "personagen/runformat/lines.py": WRITES,
    "personagen/runformat/store.py": WRITES, "personagen/summary.py": TALLY, "personagen/early_stop.py": TALLY,
    "backends/openai_compat.py": CONVERSION,
}

Predicate = Callable[[str, str], bool]
SPOTS: list[tuple[str, Predicate]] = [
    ("LangChain chat model (BaseChatModel.ainvoke and below, same task)",
     lambda f, p: "/langchain_core/language_models/" in p),
    ("HTTP transport", lambda f, p: any(h in p for h in HTTP)),
    ("pydantic, all callers", lambda f, p: "/pydantic/" in p or "/pydantic_core/" in p),
    ("AgentContext.emit: event build + write + tally + trace",
     lambda f, p: ours(p, "agents/context.py") and f == "emit"),
    (ANSWERS, lambda f, p: ours(p, "agents/answers.py")),
    (SCHEMA, lambda f, p: ours(p, "agents/strict_schema.py")
     or (ours(p, "agents/llm.py") and f in ("schema_of", "request_fields", "prepared"))),
    (PACER, lambda f, p: ours(p, "personagen/throttle.py")),
    (SEMAPHORE, lambda f, p: p.endswith("asyncio/locks.py")),
    (TRACE, lambda f, p: ours(p, "personagen/trace.py")),
]


def ours(path: str, suffix: str = "") -> bool:
    """A file of this checkout (not of a venv), optionally ending in `suffix`."""
    return "site-packages/" not in path and path.startswith(str(ROOT)) and path.endswith(suffix)


def split_id(frame_id: str) -> tuple[str, str]:
    """(function without its class, file) of a frame identifier."""
    parts = frame_id.split("\x00")
    return parts[0].rsplit(".", 1)[-1], parts[1] if len(parts) > 1 else ""


WAITS = {("_worker", "concurrent/futures/thread.py"), ("wait", "threading.py"), ("get", "queue.py"),
         ("_wait_for_tstate_lock", "threading.py"), ("select", "selectors.py")}


def idle(frames: list[tuple[str, str]]) -> bool:
    """A thread waiting, not computing: the event loop in epoll, a pool worker or a thread waiting on its queue or
    event (its innermost Python frame is the wait; a builtin under it, e.g. epoll.poll, is part of it)."""
    leaf = frames[-1]
    if leaf[1] == "<built-in>" and len(frames) > 1:
        leaf = frames[-2]
    return any(leaf[0] == func and leaf[1].endswith(file) for func, file in WAITS)


def transparent(path: str) -> bool:
    """Plain stdlib and builtins count for their caller (asyncio.locks excepted: it is the semaphore)."""
    if not path or path.startswith("<"):
        return True
    return (os.path.realpath(path).startswith(STDLIB) and "site-packages" not in path
            and not path.endswith("asyncio/locks.py"))


def in_model_call(outer: Iterable[tuple[str, str]]) -> bool:
    """Whether a frame runs under a model call (our `ask`, a LangChain chat model) rather than under LangGraph."""
    return any((ours(p, "agents/llm.py") and f in ("ask", "ask_sync")) or "/langchain_core/language_models/" in p
               or "/langchain_openai/" in p for f, p in outer)


def our_bucket(func: str, path: str) -> str:
    for suffix, name in OUR_FILES.items():
        if path.endswith(suffix):
            return name
    if path.endswith("agents/llm.py"):
        if func in ("schema_of", "request_fields", "prepared"):
            return SCHEMA
        return SEMAPHORE if func == "semaphore" else WRAPPER
    if path.endswith("agents/context.py"):
        return EVENTS if func == "emit" else WRAPPER
    return OURS


def bucket(func: str, path: str, outer: list[tuple[str, str]]) -> str:
    """The bucket of a non-stdlib frame; `outer` are the frames that called it (outermost first)."""
    if ours(path):
        return our_bucket(func, path)
    if path.endswith("asyncio/locks.py"):
        return SEMAPHORE
    if "/pydantic/" in path or "/pydantic_core/" in path:
        return PYDANTIC
    if "/langchain_openai/" in path or "/langchain_core/messages/" in path or "/output_parsers/" in path:
        return CONVERSION
    if "/langgraph/" in path:
        return LANGGRAPH
    if "/langchain_core/" in path:
        return PLUMBING if in_model_call(outer) else LANGGRAPH
    if any(h in path for h in HTTP):
        return TRANSPORT
    if "/openai/" in path:
        return OPENAI
    if "site-packages/" in path:
        return "other: " + path.split("site-packages/", 1)[1].split("/", 1)[0]
    return "other: " + Path(path).name


def short(func: str, path: str) -> str:
    """function (package/file.py) for the frame listings."""
    where = path.split("site-packages/", 1)[1] if "site-packages/" in path else os.path.relpath(path, ROOT)
    return f"{func} ({where})"


def innermost_owner(frames: list[tuple[str, str]]) -> int | None:
    """Index of the innermost non-stdlib frame, or None when the event loop's own machinery (`_run_once`: timers,
    ready callbacks, task steps in C) comes first: that time is the loop's, not its caller's (`asyncio.run`)."""
    for i in range(len(frames) - 1, -1, -1):
        func, path = frames[i]
        if func == "_run_once" and path.endswith("asyncio/base_events.py"):
            return None
        if not transparent(path):
            return i
    return None


def classify(samples: Iterable[tuple[list[str], float]]) -> dict[str, Any]:
    """Exclusive seconds per bucket (with its frames), inclusive seconds per spot, idle and busy seconds."""
    exclusive: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    frames_of: dict[str, Counter[str]] = {}
    idle_s = 0.0
    for stack, seconds in samples:
        frames = [split_id(f) for f in stack]
        if not frames or idle(frames):
            idle_s += seconds
            continue
        for name, pred in SPOTS:
            if any(pred(f, p) for f, p in frames):
                inclusive[name] += seconds
        where = innermost_owner(frames)
        name = LOOP if where is None else bucket(*frames[where], frames[:where])
        exclusive[name] += seconds
        frame = "(stdlib only)" if where is None else short(*frames[where])
        frames_of.setdefault(name, Counter())[frame] += seconds
    return {"exclusive": exclusive, "inclusive": inclusive, "frames": frames_of, "idle_s": idle_s,
            "busy_s": sum(exclusive.values())}
