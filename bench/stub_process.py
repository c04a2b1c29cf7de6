"""The stub server's options (StubOptions, its CLI flags) and running it as a child process: `start_stub(**opts)`.

    from bench.stub_server import start_stub
    with start_stub(latency=0.0, error_rate=0.1) as (proc, base_url):
        ChatOpenAI(base_url=base_url, api_key="stub", model="stub")...
    with start_stub(personality="openai", models="gpt-4o-mini,o4-mini", require_key="sk-test") as (_, url): ...

Keyword options are the server's CLI flags with underscores (latency, error_rate, rate_limit, burst,
malformed_rate, timeout_rate, hang, backlog, seed, host, personality, models, require_key, filter_rate,
faults, batch_delay, batch_expire, batch_fail, prompt_cache); switches are booleans (no_keep_alive=True,
ramble=True). The child runs on the current interpreter; the helper waits until GET /health
answers (GET /v1/models may need a key) and stops the child (SIGTERM, then SIGKILL) on exit.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:  # imported as bench.stub_process or as a sibling script module
    from .stub_faults import add_fault_args
    from .stub_personalities import PERSONALITIES
    from .stub_replies import MODEL
except ImportError:  # pragma: no cover - script mode
    from stub_faults import add_fault_args  # type: ignore[no-redef]
    from stub_personalities import PERSONALITIES  # type: ignore[no-redef]
    from stub_replies import MODEL  # type: ignore[no-redef]

SERVER = Path(__file__).resolve().parent / "stub_server.py"


@dataclass
class StubOptions:
    """Server settings (the CLI flags)."""

    host: str = "127.0.0.1"
    port: int = 0
    latency: float = 0.1
    error_rate: float = 0.0
    rate_limit: float = 0.0
    burst: float = 0.0
    malformed_rate: float = 0.0
    timeout_rate: float = 0.0
    hang: float = 300.0
    backlog: int = 2048
    seed: int = 0
    keep_alive: bool = True
    port_file: str | None = None
    personality: str = "generic"
    models: str = MODEL
    require_key: str | None = None
    filter_rate: float = 0.0  # faults about one prompt or answer: stub_faults.py
    faults: str = ""
    batch_delay: str | float = 2.0  # Files and Batches endpoints: stub_batch.py
    batch_expire: int = 0
    batch_fail: int = 0
    ramble: bool = False  # every answer runs on past the output cap (stub_replies.ramble)
    prompt_cache: int = 0  # report cached prompt tokens for prompts of at least this many tokens (0: off)


def parse_args(argv: list[str] | None = None) -> StubOptions:
    """The server's command line as StubOptions."""
    p = argparse.ArgumentParser(description="OpenAI-compatible stub model server (benchmarks, tests).")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port (see --port-file)")
    p.add_argument("--latency", type=float, default=0.1, help="seconds added to every answered request")
    p.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered with HTTP 500")
    p.add_argument("--rate-limit", type=float, default=0.0, help="requests/s before HTTP 429 (0: unlimited)")
    p.add_argument("--burst", type=float, default=0.0, help="token-bucket size (default: one second's worth)")
    p.add_argument("--malformed-rate", type=float, default=0.0, help="share of JSON answers cut short")
    p.add_argument("--timeout-rate", type=float, default=0.0, help="share of requests that hang (--hang s)")
    p.add_argument("--hang", type=float, default=300.0, help="how long a hanging request waits")
    p.add_argument("--backlog", type=int, default=2048, help="listen queue length")
    p.add_argument("--seed", type=int, default=0, help="seed of the misbehaviour RNG")
    p.add_argument(
        "--no-keep-alive", dest="keep_alive", action="store_false", help="close the connection after every response"
    )
    p.add_argument("--port-file", default=None, help="write the bound port here once listening")
    p.add_argument("--personality", default="generic", choices=list(PERSONALITIES), help="real server to mimic")
    p.add_argument("--models", default=MODEL, help="comma-separated model ids served (GET /v1/models)")
    p.add_argument("--require-key", default=None, help="answer 401 unless the request carries this key")
    add_fault_args(p)
    p.add_argument("--batch-delay", default="2.0", help="seconds from a batch's creation to completed (a comma "
                   "list: each batch in turn, the last for all later ones)")
    p.add_argument("--batch-expire", type=int, default=0, help="the first N batches expire, half their lines done")
    p.add_argument("--prompt-cache", type=int, default=0, help="report usage.prompt_tokens_details.cached_tokens "
                   "for prompts of at least N tokens (OpenAI caches from 1024; 0: off)")
    p.add_argument("--ramble", action="store_true", help="the model writes on past any output cap: every answer is "
                   "cut at max_tokens (finish_reason \"length\")")
    p.add_argument("--batch-fail", type=int, default=0, help="the first N batches fail validation")
    return StubOptions(**vars(p.parse_args(argv)))


def stub_command(port_file: str, python: str | None = None, **opts: Any) -> list[str]:
    """The argv that starts the stub with these options."""
    cmd = [python or sys.executable, str(SERVER), "--port-file", port_file]
    for key, value in opts.items():
        flag = f"--{key.replace('_', '-')}"
        if isinstance(value, list | tuple):
            value = ",".join(value)  # models=["a", "b"]
        if value is True:
            cmd.append(flag)  # a switch such as no_keep_alive=True
        elif value is not None and value is not False:
            cmd += [flag, str(value)]
    return cmd


def _wait_ready(proc: subprocess.Popen, port_file: Path, log: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"stub server exited with {proc.returncode}: {log.read_text()[-2000:]}")
        if port_file.exists():
            base_url = f"http://{_host_for_url(proc)}:{port_file.read_text().strip()}/v1"
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(base_url + "/health", timeout=2) as resp:
                    json.loads(resp.read())
                return base_url
        time.sleep(0.02)
    raise RuntimeError(f"stub server not ready after {timeout}s: {log.read_text()[-2000:]}")


def _host_for_url(proc: subprocess.Popen) -> str:
    args = list(proc.args)  # type: ignore[arg-type]
    host = args[args.index("--host") + 1] if "--host" in args else "127.0.0.1"
    return "127.0.0.1" if host in ("0.0.0.0", "") else host


@contextlib.contextmanager
def start_stub(ready_timeout: float = 15.0, **opts: Any) -> Iterator[tuple[subprocess.Popen, str]]:
    """Start the stub server in a subprocess; yields (process, base_url ending in /v1)."""
    with tempfile.TemporaryDirectory(prefix="stub-") as tmp:
        port_file, log = Path(tmp) / "port", Path(tmp) / "stub.log"
        opts.setdefault("port", 0)
        with open(log, "wb") as log_fh:
            proc = subprocess.Popen(
                stub_command(str(port_file), **opts),
                stdout=log_fh,
                stderr=log_fh,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        try:
            yield proc, _wait_ready(proc, port_file, log, ready_timeout)
        finally:
            stop(proc)


def stop(proc: subprocess.Popen, grace: float = 5.0) -> None:
    """Terminate the child, escalating to SIGKILL after `grace` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def fetch_stats(base_url: str) -> dict[str, Any]:
    """GET /v1/stats of a running stub."""
    with urllib.request.urlopen(base_url.rstrip("/") + "/stats", timeout=10) as resp:
        return json.loads(resp.read())
