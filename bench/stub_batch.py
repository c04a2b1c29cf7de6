"""The stub's Files and Batches endpoints, as OpenAI's Batch API documents them (stdlib only).

    python bench/stub_server.py --batch-delay 30 --batch-expire 1 --batch-fail 0
    python bench/stub_server.py --batch-delay 60,0.5    # the first batch takes 60 s, every later one 0.5 s

Endpoints (paths without /v1), each as https://platform.openai.com/docs/api-reference/batch and
https://platform.openai.com/docs/api-reference/files describe it:
- POST /files (multipart form: `file`, `purpose` = "batch"; 400 for another purpose) -> a File object;
  GET /files/{id}/content -> the file's bytes (input, output or error JSONL).
- POST /batches {input_file_id, endpoint: "/v1/chat/completions", completion_window: "24h", metadata} -> a Batch;
  GET /batches/{id}; GET /batches (list, newest first, `after` and `limit`); POST /batches/{id}/cancel.
- Statuses: validating -> in_progress -> finalizing -> completed, over `--batch-delay` seconds from creation (10%,
  80%, 10%; a comma list gives the delay of each batch in turn, the last one for all later batches); `failed`
  when the input file does not validate (a line without custom_id / method POST / the batch's url / a body with a
  model, or a duplicate custom_id: `errors.data` names the line, no output file) or for the
  first `--batch-fail` batches; `expired` for the first `--batch-expire` batches: half their lines (every other
  one) answered in the output file, the rest in the error file with code `batch_expired` ("Batches that do not
  complete in time eventually move to an expired state; unfinished requests within that batch are cancelled, and
  any responses to completed requests are made available via the batch's output file",
  https://platform.openai.com/docs/guides/batch); cancelling -> cancelled after a cancel (OpenAI: "cancelling for
  up to 10 minutes, before changing to cancelled, where it will have partial results (if any) available in the
  output file"; here the lines answered so far, in input order, by elapsed share of the delay).
- Output file lines: {"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error": null}; a line
  the server answered with an error status goes to the error file with its response; `output_file_id` /
  `error_file_id` are null when that file would be empty. Output order is not input order (the docs say to match
  on custom_id): the stub writes them reversed.
Each line is answered exactly as POST /chat/completions would answer its body (the same `answer` function), so a
batch run and a synchronous run of the same requests get the same answers.

Stats (GET /v1/stats, key `batch`): files, batches by final status, lines received, and `repeated_lines`: lines
whose custom_id was already answered or still pending in an earlier batch (a client that pays twice).
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Reply = tuple[int, Any]  # (HTTP status, JSON body), or (200, bytes) for file content
ENDPOINT = "/v1/chat/completions"
TERMINAL = ("completed", "failed", "expired", "cancelled")
EXPIRED_ERROR = {"code": "batch_expired",
                 "message": "This request could not be executed before the completion window expired."}


def error(message: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}


@dataclass
class StubBatch:
    """One batch: its lines, its clock and (once terminal) its files."""

    id: str
    input_file_id: str
    lines: list[dict[str, Any]]
    created: float
    metadata: dict[str, Any] | None
    delay: float = 2.0  # seconds from creation to its final status
    fate: str = "completed"  # completed, expired or failed: what it becomes when its delay is over
    errors: list[dict[str, Any]] = field(default_factory=list)
    cancelled_at: float | None = None
    status: str = "validating"
    output_file_id: str | None = None
    error_file_id: str | None = None
    counts: dict[str, int] = field(default_factory=lambda: {"total": 0, "completed": 0, "failed": 0})


class BatchAPI:
    """The Files and Batches endpoints; `answer(body, headers)` is the stub's own chat-completions answer."""

    def __init__(self, answer: Callable[[dict[str, Any], dict[str, str]], Reply], delay: str | float = 2.0,
                 expire: int = 0, fail: int = 0) -> None:
        self.answer, self.expire, self.fail = answer, expire, fail
        self.delays = [float(x) for x in str(delay).split(",")]
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, StubBatch] = {}
        self.open_ids: set[str] = set()  # custom_ids answered or pending (a repeat is a line paid twice)
        self.stats: dict[str, Any] = {"files": 0, "batches": 0, "lines": 0, "repeated_lines": 0, "final": {}}

    def route(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Reply | None:
        parts = path.strip("/").split("/")
        if parts[0] == "files":
            if method == "POST" and len(parts) == 1:
                return self.upload(body, headers.get("content-type", ""))
            if method == "GET" and len(parts) == 3 and parts[2] == "content":
                data = self.files.get(parts[1])
                return (200, data) if data is not None else (404, error(f"No such File object: {parts[1]}"))
        if parts[0] == "batches":
            if method == "POST" and len(parts) == 1:
                return self.create(body, headers)
            if method == "GET" and len(parts) == 1:
                return 200, self.listing()
            batch = self.batches.get(parts[1]) if len(parts) > 1 else None
            if batch is None:
                return 404, error(f"No batch found with id '{parts[1] if len(parts) > 1 else ''}'.")
            if method == "GET" and len(parts) == 2:
                return 200, self.view(batch, headers)
            if method == "POST" and parts[2:] == ["cancel"]:
                if batch.status not in TERMINAL and batch.cancelled_at is None:
                    batch.cancelled_at = time.monotonic()
                return 200, self.view(batch, headers)
        return None

    def upload(self, body: bytes, content_type: str) -> Reply:
        form = multipart(body, content_type)
        if form.get("purpose") != b"batch":  # "Use 'batch' for Batch API" (files/create)
            return 400, error("purpose must be 'batch' for a batch input file", param="purpose")
        if "file" not in form:
            return 400, error("missing file", param="file")
        file_id = f"file-{len(self.files) + 1:06d}"
        self.files[file_id] = form["file"]
        self.stats["files"] += 1
        return 200, {"id": file_id, "object": "file", "bytes": len(form["file"]), "created_at": int(time.time()),
                     "filename": "batch.jsonl", "purpose": "batch"}

    def create(self, raw: bytes, headers: dict[str, str]) -> Reply:
        body = json.loads(raw or b"{}")
        if body.get("completion_window") != "24h":  # "Currently only 24h is supported"
            return 400, error("completion_window must be '24h'", param="completion_window")
        if body.get("endpoint") != ENDPOINT:
            return 400, error(f"endpoint must be {ENDPOINT} on this stub", param="endpoint")
        data = self.files.get(body.get("input_file_id", ""))
        if data is None:
            return 400, error("input file not found", param="input_file_id")
        lines = [json.loads(line) for line in data.decode().splitlines() if line.strip()]
        self.stats["batches"] += 1
        batch = StubBatch(f"batch_{len(self.batches) + 1:06d}", body["input_file_id"], lines, time.monotonic(),
                          body.get("metadata"), self.delays[min(len(self.batches), len(self.delays) - 1)])
        batch.errors = validate(lines)
        if batch.errors or self.stats["batches"] <= self.fail:
            batch.fate = "failed"
            batch.errors = batch.errors or [{"code": "stub_failed", "message": "--batch-fail", "line": None}]
        else:
            batch.fate = "expired" if self.stats["batches"] <= self.fail + self.expire else "completed"
            self.count_lines(lines)
        self.batches[batch.id] = batch
        return 200, self.view(batch, headers)

    def count_lines(self, lines: list[dict[str, Any]]) -> None:
        for line in lines:
            self.stats["lines"] += 1
            self.stats["repeated_lines"] += line["custom_id"] in self.open_ids
            self.open_ids.add(line["custom_id"])

    def listing(self) -> dict[str, Any]:
        data = [self.view(b, {}) for b in reversed(self.batches.values())]
        return {"object": "list", "data": data, "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None, "has_more": False}

    def view(self, batch: StubBatch, headers: dict[str, str]) -> dict[str, Any]:
        self.advance(batch, headers)
        return {"id": batch.id, "object": "batch", "endpoint": ENDPOINT, "errors":
                {"object": "list", "data": batch.errors} if batch.errors else None,
                "input_file_id": batch.input_file_id, "completion_window": "24h", "status": batch.status,
                "output_file_id": batch.output_file_id, "error_file_id": batch.error_file_id,
                "created_at": int(time.time()), "request_counts": dict(batch.counts), "metadata": batch.metadata}

    def advance(self, batch: StubBatch, headers: dict[str, str]) -> None:
        """Move the batch along its clock; at the end write its files."""
        if batch.status in TERMINAL:
            return
        elapsed = (time.monotonic() - batch.created) / max(batch.delay, 1e-9)
        if batch.cancelled_at is not None:
            batch.status = "cancelling"
            if time.monotonic() - batch.cancelled_at >= min(batch.delay, 1.0) * 0.2:
                done = int(len(batch.lines) * min(1.0, (batch.cancelled_at - batch.created) / max(batch.delay, 1e-9)))
                self.finish(batch, "cancelled", batch.lines[:done], headers)
            return
        if batch.fate == "failed" and elapsed >= 0.1:
            batch.status = "failed"
            self.stats["final"]["failed"] = self.stats["final"].get("failed", 0) + 1
            return
        batch.status = "validating" if elapsed < 0.1 else "in_progress" if elapsed < 0.9 else "finalizing"
        if elapsed >= 1.0:
            answered = batch.lines[::2] if batch.fate == "expired" else batch.lines
            self.finish(batch, batch.fate, answered, headers)

    def finish(self, batch: StubBatch, status: str, answered: list[dict[str, Any]], headers: dict[str, str]) -> None:
        ok, bad = [], []
        for line in answered:
            code, payload = self.answer(line["body"], headers)
            out = {"id": f"batch_req_{line['custom_id']}", "custom_id": line["custom_id"], "error": None,
                   "response": {"status_code": code, "request_id": f"req_{line['custom_id']}", "body": payload}}
            (ok if code == 200 else bad).append(out)
        done = {line["custom_id"] for line in answered}
        self.open_ids -= {line["custom_id"] for line in batch.lines} - done  # never answered: not paid
        if status == "expired":
            bad += [{"id": f"batch_req_{line['custom_id']}", "custom_id": line["custom_id"], "response": None,
                     "error": EXPIRED_ERROR} for line in batch.lines if line["custom_id"] not in done]
        batch.output_file_id = self.store(f"{batch.id}-output", ok[::-1])
        batch.error_file_id = self.store(f"{batch.id}-errors", bad[::-1])
        batch.counts = {"total": len(batch.lines), "completed": len(ok), "failed": len(bad)}
        batch.status = status
        self.stats["final"][status] = self.stats["final"].get(status, 0) + 1

    def store(self, file_id: str, lines: list[dict[str, Any]]) -> str | None:
        if not lines:
            return None
        self.files[file_id] = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()
        return file_id


def validate(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The input file's validation errors (OpenAI fails the whole batch and names the line)."""
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        custom_id = line.get("custom_id")
        problem = ("missing custom_id" if not isinstance(custom_id, str) or not custom_id else
                   "duplicate custom_id" if custom_id in seen else
                   "method must be POST" if line.get("method") != "POST" else
                   f"url must be {ENDPOINT}" if line.get("url") != ENDPOINT else
                   "body has no model" if not isinstance(line.get("body"), dict) or not line["body"].get("model")
                   else None)
        if problem:
            return [{"code": "invalid_request", "message": problem, "line": number, "param": None}]
        seen.add(custom_id)  # type: ignore[arg-type]
    return []


def multipart(body: bytes, content_type: str) -> dict[str, bytes]:
    """The fields of a multipart/form-data body, by name."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, bytes] = {}
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[str(name)] = part.get_payload(decode=True) or b""
    return fields
