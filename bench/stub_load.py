#!/usr/bin/env python3
"""Measure the stub server's own capacity with a lean raw-socket load generator (stdlib only).

    python bench/stub_load.py --requests 20000 --connections 64 --kind tool_call

Starts a stub (latency 0 unless --latency), opens --connections keep-alive connections, sends pre-built
chat-completion requests back to back and prints one JSON line: requests/s and the stub's CPU per request
(from GET /v1/stats). The client is far cheaper than any OpenAI SDK, so on 2 cores the figure is the stub's
ceiling (both processes share the machine; pin with `taskset` for a one-core figure).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.stub_process import fetch_stats, start_stub  # noqa: E402

TOOL = {
    "type": "function",
    "function": {
        "name": "Verdict",
        "description": "a critic verdict",
        "parameters": {
            "type": "object",
            "required": ["passed", "score", "reasons"],
            "properties": {
                "passed": {"type": "boolean"},
                "score": {"type": "number", "minimum": 0, "maximum": 1},
                "reasons": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
            },
        },
    },
}


def request_bytes(port: int, kind: str, i: int) -> bytes:
    """One HTTP/1.1 keep-alive POST /v1/chat/completions request."""
    body: dict[str, Any] = {
        "model": "stub",
        "messages": [{"role": "user", "content": f"Persona {i}: say hi."}],
    }
    if kind == "tool_call":
        body |= {"tools": [TOOL], "tool_choice": {"type": "function", "function": {"name": "Verdict"}}}
    raw = json.dumps(body).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(raw)}\r\n\r\n"
    )
    return head.encode() + raw


async def worker(port: int, requests: list[bytes]) -> int:
    """Send the requests one after another on one connection; returns the number of 200 answers."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    ok = 0
    for req in requests:
        writer.write(req)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
        ok += head.startswith(b"HTTP/1.1 200")
    writer.close()
    return ok


async def load(port: int, total: int, connections: int, kind: str) -> tuple[int, float]:
    per = [
        [request_bytes(port, kind, c * 1_000_003 + i) for i in range(total // connections)]
        for c in range(connections)
    ]
    t0 = time.perf_counter()
    oks = await asyncio.gather(*(worker(port, reqs) for reqs in per))
    return sum(oks), time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--requests", type=int, default=20000)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--kind", choices=["text", "tool_call"], default="tool_call")
    p.add_argument("--latency", type=float, default=0.0)
    args = p.parse_args()
    with start_stub(latency=args.latency) as (_proc, base_url):
        port = int(base_url.rsplit(":", 1)[1].split("/")[0])
        before = fetch_stats(base_url)
        ok, wall = asyncio.run(load(port, args.requests, args.connections, args.kind))
        after = fetch_stats(base_url)
    served = after["requests"] - before["requests"]
    cpu = after["cpu_s"] - before["cpu_s"]
    print(
        json.dumps(
            {
                "kind": args.kind,
                "connections": args.connections,
                "requests": served,
                "ok": ok,
                "wall_s": round(wall, 3),
                "req_per_s": round(served / wall, 1),
                "stub_cpu_ms_per_req": round(1000 * cpu / max(served, 1), 3),
                "stub_cpu_bound_req_per_s": round(served / cpu, 1) if cpu else None,
            }
        )
    )


if __name__ == "__main__":
    main()
