#!/usr/bin/env python3
"""OpenAI-compatible stub model server for benchmarks and tests (stdlib only).

    python bench/stub_server.py --port 0 --latency 0.1 --error-rate 0.0 --rate-limit 0 \
        --malformed-rate 0.0 --timeout-rate 0.0 --backlog 2048 --port-file F \
        --personality generic --models stub --require-key KEY

Endpoints: POST /v1/chat/completions (structured answers, see stub_replies), GET /v1/models,
GET /v1/stats -> {"requests": N, "credentials": [...], "params": {...}, ...}, GET /health. HTTP/1.1 keep-alive on
asyncio streams with a minimal hand-rolled parser (Content-Length bodies only): one core serves thousands of
requests a second.

--personality NAME makes the stub follow one real server's documented behaviour (openai, azure, vllm, ollama,
llamacpp-server, llamacpp-jinja, lmstudio; see stub_personalities.py); `generic` (default) checks nothing.
--models lists the ids of GET /v1/models (personalities answer 404 for others); --require-key KEY answers 401
to any other credential. Every distinct credential received (Bearer value or api-key header) is kept in stats.

Misbehaviour knobs: --error-rate (HTTP 500), --rate-limit RPS (token bucket; HTTP 429 with Retry-After and
retry-after-ms), --malformed-rate (JSON answers cut short), --timeout-rate (request hangs --hang seconds or
until the client gives up), --ramble (every answer runs on until the output cap cuts it, finish_reason
"length"). Answers depend only on the request's messages; --error-rate, --timeout-rate and --malformed-rate are
drawn per request with --seed (stub_faults.Draws: the n-th time a request's messages are asked), so a concurrent
client gets the same errors, hangs and malformed answers whatever the order its requests arrive in, and a retry
draws anew. (Only --rate-limit depends on timing: it is a token bucket.)
Faults about one prompt or answer (--filter-rate, --faults: Azure's content filter, OpenAI's context overflow,
OpenRouter's error in a 200, ...) hit the same prompts every time: stub_faults.py.

In Python: `with start_stub(latency=0.0) as (proc, base_url): ...`; options and flags: stub_process.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any

try:  # imported as bench.stub_server (tests) or run as a script
    from .stub_batch import BatchAPI
    from .stub_faults import Draws, Faults, fault_answer, parse_faults
    from .stub_personalities import credential_of, make_personality
    from .stub_process import StubOptions, parse_args, start_stub
    from .stub_replies import MODEL, PromptCache, cap_of, completion_payload, ramble, request_digest, stream_events
except ImportError:  # pragma: no cover - script mode
    from stub_batch import BatchAPI  # type: ignore[no-redef]
    from stub_faults import Draws, Faults, fault_answer, parse_faults  # type: ignore[no-redef]
    from stub_personalities import credential_of, make_personality  # type: ignore[no-redef]
    from stub_process import StubOptions, parse_args, start_stub  # type: ignore[no-redef]
    from stub_replies import (  # type: ignore[no-redef]
        MODEL,
        PromptCache,
        cap_of,
        completion_payload,
        ramble,
        request_digest,
        stream_events,
    )

__all__ = ["StubOptions", "StubServer", "start_stub", "main"]
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           429: "Too Many Requests", 500: "Internal Server Error"}
PARAMS = ("temperature", "max_tokens", "max_completion_tokens", "reasoning_effort", "tool_choice", "response_format",
          "seed")
MAX_CREDENTIALS = 20


class TokenBucket:
    """Requests-per-second limiter; `take()` returns 0 when allowed, else seconds until the next token."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.capacity = rate, max(1.0, burst or rate)
        self.tokens, self.stamp = self.capacity, time.monotonic()

    def take(self) -> float:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


@dataclass
class Stats:
    """Counters served by GET /v1/stats (`requests` counts chat-completion requests received)."""

    requests: int = 0
    ok: int = 0
    status: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    malformed: int = 0
    hung: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    connections: int = 0
    open_connections: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    credentials: list[str] = field(default_factory=list)
    params: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.time)

    def snapshot(self) -> dict[str, Any]:
        ru = resource.getrusage(resource.RUSAGE_SELF)
        out = {k: v for k, v in self.__dict__.items() if k != "started"}
        out["uptime_s"] = round(time.time() - self.started, 3)
        out["cpu_s"] = round(ru.ru_utime + ru.ru_stime, 3)
        out["max_rss_mb"] = round(ru.ru_maxrss / 1024, 1)
        return out

    def count(self, key: str, table: dict[str, int]) -> None:
        table[key] = table.get(key, 0) + 1

    def note_credentials(self, headers: dict[str, str]) -> None:
        """Keep each distinct key a request carried (leak tests), at most MAX_CREDENTIALS of them."""
        for name in ("authorization", "api-key", "openai-organization", "openai-project"):  # keys, OpenAI's ids
            key = credential_of(headers, (name,))
            if key and key not in self.credentials and len(self.credentials) < MAX_CREDENTIALS:
                self.credentials.append(key)

    def note_params(self, body: dict[str, Any]) -> None:
        """Count the sampling/format fields the client sent, with the tool_choice / response_format variant."""
        for key in PARAMS:
            value = body.get(key)
            if value is not None:
                self.count(key, self.params)
                if key == "tool_choice":
                    self.count(f"tool_choice:{value if isinstance(value, str) else 'function'}", self.params)
                elif key == "response_format" and isinstance(value, dict):
                    self.count(f"response_format:{value.get('type')}", self.params)
                elif key == "seed":
                    self.count(f"seed:{value}", self.params)


Response = tuple[int, bytes, list[tuple[str, str]], str] | None  # None: hang up without answering


class StubServer:
    """The HTTP server: routing, misbehaviour knobs and stats."""

    def __init__(self, opts: StubOptions) -> None:
        self.opts = opts
        self.stats = Stats()
        self.draws = Draws(opts.seed)  # --error-rate, --timeout-rate, --malformed-rate: by request, in any order
        self.bucket = TokenBucket(opts.rate_limit, opts.burst) if opts.rate_limit > 0 else None
        models = [m.strip() for m in opts.models.split(",") if m.strip()] or [MODEL]
        self.persona = make_personality(opts.personality, models, opts.require_key)
        self.faults = Faults(parse_faults(opts.faults, opts.filter_rate))
        owner = getattr(self.persona, "owned_by", "stub")
        data = [{"id": m, "object": "model", "created": 0, "owned_by": owner} for m in models]
        slots = getattr(self.persona, "slots", None)  # a server that runs this many requests at once, queues the rest
        self.slots = asyncio.Semaphore(slots) if slots else None
        self.models_reply = _json(200, {"object": "list", "data": data})
        self.cache = PromptCache(opts.prompt_cache) if opts.prompt_cache else None  # --prompt-cache MIN_TOKENS
        self.batch = BatchAPI(self.answer, opts.batch_delay, opts.batch_expire, opts.batch_fail)  # stub_batch.py

    async def serve(self) -> None:
        server = await asyncio.start_server(
            self.handle_connection, self.opts.host, self.opts.port, backlog=self.opts.backlog, limit=1 << 22
        )
        port = server.sockets[0].getsockname()[1]
        if self.opts.port_file:
            tmp = f"{self.opts.port_file}.tmp"
            with open(tmp, "w") as fh:
                fh.write(str(port))
            os.replace(tmp, self.opts.port_file)
        print(f"stub listening on http://{self.opts.host}:{port}/v1", file=sys.stderr, flush=True)
        async with server:
            await server.serve_forever()

    async def handle_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.connections += 1
        self.stats.open_connections += 1
        try:
            while await self._serve_one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            self.stats.open_connections -= 1
            writer.close()

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Read one request, answer it; False when the connection should close."""
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        body = await reader.readexactly(length) if length else b""
        response = await self.dispatch(method, target.split("?", 1)[0], body, reader, headers)
        if response is None:
            return False
        status, payload, extra, ctype = response
        keep = self.opts.keep_alive and headers.get("connection", "").lower() != "close"
        head_lines = [
            f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}",
            f"Content-Type: {ctype}",
            f"Content-Length: {len(payload)}",
            "Connection: " + ("keep-alive" if keep else "close"),
        ]
        head_lines += [f"{k}: {v}" for k, v in extra]
        writer.write(("\r\n".join(head_lines) + "\r\n\r\n").encode() + payload)
        if writer.transport.get_write_buffer_size() > 1 << 16:
            await writer.drain()
        return keep

    async def dispatch(
        self, method: str, path: str, body: bytes, reader: asyncio.StreamReader, headers: dict[str, str]
    ) -> Response:
        path = path.rstrip("/").removeprefix("/v1")
        self.stats.note_credentials(headers)
        if method == "POST" and path == "/chat/completions":
            return await self.chat(body, reader, headers)
        if method == "GET" and path == "/stats":
            return _json(200, {**self.stats.snapshot(), "batch": self.batch.stats})
        if method == "GET" and path == "/models":
            refused = self.persona and self.persona.check_auth(headers)
            return _json(*refused) if refused else self.models_reply
        if method == "GET" and path == "/health":
            return _json(200, {"status": "ok"})
        if path.startswith(("/files", "/batches")):  # OpenAI's Files and Batches endpoints (stub_batch.py)
            refused = self.persona and self.persona.check_auth(headers)
            batch = refused or self.batch.route(method, path, body, headers)
            if batch is not None:
                return _file(batch[1]) if isinstance(batch[1], bytes) else _json(*batch)
        own = self.persona and self.persona.route(method, path)  # a server's own endpoints (/props, /api/version)
        if own:
            return _json(*own)
        return _json(404, _error(f"no route {method} {path}", "not_found"))

    async def chat(self, raw: bytes, reader: asyncio.StreamReader, headers: dict[str, str]) -> Response:
        stats = self.stats
        stats.requests += 1
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            response = await self._chat(raw, reader, headers)
        finally:
            stats.in_flight -= 1
        stats.count(str(response[0]) if response else "hung", stats.status)
        return response

    async def _chat(self, raw: bytes, reader: asyncio.StreamReader, headers: dict[str, str]) -> Response:
        opts, draws = self.opts, self.draws
        if self.bucket is not None and (wait := self.bucket.take()) > 0:
            retry = [
                ("Retry-After", str(max(1, round(wait + 0.499)))),
                ("retry-after-ms", str(int(wait * 1000) + 1)),
            ]
            return _json(429, _error("stub rate limit exceeded", "rate_limit_exceeded"), retry)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        digest = "" if not (opts.timeout_rate or opts.error_rate) else (  # the key of the per-request draws
            request_digest(body) if isinstance(body, dict) else hashlib.sha256(raw).hexdigest())
        if opts.timeout_rate and draws.hit("timeout", digest, opts.timeout_rate):
            self.stats.hung += 1
            try:  # returns early when the client closes the connection
                await asyncio.wait_for(reader.read(1), opts.hang)
            except TimeoutError:
                pass
            return None
        if self.slots is not None:
            async with self.slots:  # the queue of a server with few slots: waiting is part of the latency
                await asyncio.sleep(opts.latency)
        elif opts.latency > 0:
            await asyncio.sleep(opts.latency)
        if opts.error_rate and draws.hit("error", digest, opts.error_rate):
            return _json(500, _error("stub injected server error", "server_error"))
        if body is None:
            return _json(400, _error("request body is not JSON", "invalid_request_error"))
        if not isinstance(body, dict):
            return _json(400, _error("request body is not a JSON object", "invalid_request_error"))
        status, payload = self.answer(body, headers)
        if status != 200 or "choices" not in payload:
            return _json(status, payload)
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return (
                200,
                stream_events(payload, include_usage),
                [("Cache-Control", "no-cache")],
                "text/event-stream",
            )
        return _json(200, payload)

    def answer(self, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """(status, JSON body) of a chat-completions request: the same for a request and a batch line."""
        self.stats.note_params(body)
        persona = self.persona
        refused = persona and persona.check(body, headers)
        if refused:
            return refused
        rate = self.opts.malformed_rate
        malformed = bool(rate) and self.draws.hit("malformed", request_digest(body), rate)
        payload, kind = persona.payload(body, malformed) if persona else completion_payload(body, malformed)
        if self.opts.ramble:  # a model that writes on past any cap (stub_replies.ramble)
            ramble(payload, cap_of(body, *getattr(persona, "cap_keys", ()) or ("max_completion_tokens", "max_tokens")))
        if fault := self.faults.pick(body):  # the same prompt always gets the same fault (stub_faults.py)
            self.stats.count(fault, self.stats.faults)
            status, payload = fault_answer(fault, payload)
            if status != 200 or "choices" not in payload:
                return status, payload
        if self.cache is not None:
            usage = payload["usage"]
            usage["prompt_tokens_details"] = {"cached_tokens": self.cache.cached_tokens(body, usage["prompt_tokens"])}
        self.stats.malformed += malformed
        self.stats.count(kind, self.stats.kinds)
        self.stats.ok += 1
        self.stats.prompt_tokens += payload["usage"]["prompt_tokens"]
        self.stats.completion_tokens += payload["usage"]["completion_tokens"]
        return 200, payload


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": kind}}


def _json(status: int, obj: Any, extra: list[tuple[str, str]] | None = None) -> Response:
    return status, json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode(), extra or [], "application/json"


def _file(data: bytes) -> Response:
    return 200, data, [], "application/octet-stream"


def main(argv: list[str] | None = None) -> None:
    """CLI entry point."""
    try:
        asyncio.run(StubServer(parse_args(argv)).serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
