"""OpenAI chat-completion payloads for the stub server: one request body in, one response body out.

The reply kind follows the request, the way a structured-output client expects it:
  * `tools` with a `tool_choice` naming a function (or "required"/"auto" with tools): a tool call whose
    arguments satisfy that function's `parameters` schema (LangChain's method="function_calling");
  * `response_format` of type `json_schema` (schema under `json_schema.schema`) or `json_object` with a
    `schema` (llama.cpp's extension): JSON content satisfying the schema (bare json_object: {"text": ...});
  * otherwise a short plain-text sentence.
Personalities (stub_personalities.py) may override the kind: "tool_content" answers a tool request in plain
content (a prose sentence, then the arguments JSON in a ```json fence), as servers whose model "decided" not
to call the tool do; "auto_call" calls the first tool listed whatever `tool_choice` names, as a model does that
calls a tool of its own accord on a server that ignores the forced choice.
Everything is drawn from a `random.Random` seeded with a hash of the messages, so identical requests get
identical answers (a deterministic backend for resume tests). `malformed=True` cuts JSON answers short.
Texts are English, or Japanese when the first (system) message asks for it ("Write in Japanese", as the
agents' prompts do for `--language ja`): `lexicon_for(body)`, one substring test per request.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
from typing import Any

try:  # imported as bench.stub_replies (tests) or as a sibling script module
    from .stub_schema import ENGLISH, JAPANESE, Lexicon, generate
except ImportError:  # pragma: no cover - script mode
    from stub_schema import ENGLISH, JAPANESE, Lexicon, generate  # type: ignore[no-redef]

MODEL = "stub"
QUOTED_WORD = re.compile(r"'(\w+)'")  # a word a critic's reason names, e.g. "uses the word 'rain'"


def request_digest(body: dict[str, Any]) -> str:
    """Stable hex digest of the request's messages (the determinism key)."""
    raw = json.dumps(body.get("messages", []), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def reply_kind(body: dict[str, Any]) -> str:
    """One of "tool_call", "json_schema", "json_object", "text"."""
    if body.get("tools") and body.get("tool_choice") != "none":
        return "tool_call"
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return "json_schema"
    if fmt.get("type") == "json_object":
        return "json_object"
    return "text"


def _chosen_function(body: dict[str, Any]) -> dict[str, Any]:
    """The function the request asks for (by tool_choice name), else the first tool."""
    functions = [t.get("function", t) for t in body.get("tools", [])]
    choice = body.get("tool_choice")
    wanted = None
    if isinstance(choice, dict):
        wanted = (choice.get("function") or {}).get("name") or choice.get("name")
    elif isinstance(choice, str) and choice not in ("auto", "required", "any", "none"):
        wanted = choice
    for fn in functions:
        if fn.get("name") == wanted:
            return fn
    return functions[0]


def _schema_for(body: dict[str, Any], kind: str) -> dict[str, Any] | None:
    fmt = body.get("response_format") or {}
    if kind == "json_schema":
        return (fmt.get("json_schema") or {}).get("schema") or {}
    if kind == "json_object":
        return fmt.get("schema") or fmt.get("json_schema", {}).get("schema") or schema_in_prompt(body)
    return None


def schema_in_prompt(body: dict[str, Any]) -> dict[str, Any] | None:
    """A JSON schema written in the last message (JSON mode asks for it in words): a model would follow it."""
    messages = body.get("messages") or [{}]
    text = str(messages[-1].get("content") or "")
    decoder = json.JSONDecoder()
    for start in (i for i, ch in enumerate(text) if ch == "{"):
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if isinstance(value, dict) and "properties" in value:
            return value
    return None


def _dump(value: Any, malformed: bool) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text[: max(1, len(text) // 2)] + ',"' if malformed else text


def lexicon_for(body: dict[str, Any]) -> Lexicon:
    """JAPANESE when the first message asks for Japanese ("Write in Japanese", "in Japanese"), else ENGLISH; without
    the words a rewrite's feedback names ("Why: ... 'rain'"): the stub heeds reasons as an instruction-following
    model would (bench/bench_feedback.py measures what that feedback is worth)."""
    messages = body.get("messages") or [{}]
    first = messages[0].get("content") if isinstance(messages[0], dict) else None
    lexicon = JAPANESE if isinstance(first, str) and "in Japanese" in first else ENGLISH
    last = messages[-1].get("content") if isinstance(messages[-1], dict) else None
    if isinstance(last, str) and "Why:" in last:
        named = {w for line in last.splitlines() if line.startswith("Why:") for w in QUOTED_WORD.findall(line)}
        kept = tuple(w for w in lexicon.words if w not in named)
        if named and kept and len(kept) < len(lexicon.words):
            return Lexicon(kept, lexicon.sep, lexicon.end)
    return lexicon


def plain_text(rng: random.Random, lexicon: Lexicon = ENGLISH) -> str:
    """A short first-person sentence."""
    if lexicon is JAPANESE:
        return f"{lexicon.phrase(rng, 3, 6)[:-1]}のことをずっと考えている。"
    return f"I keep thinking about the {lexicon.phrase(rng, 6, 12)}."


def _tool_arguments(
    body: dict[str, Any], rng: random.Random, lexicon: Lexicon = ENGLISH, first: bool = False
) -> tuple[dict[str, Any], Any]:
    """(the chosen function, or the first one, and arguments satisfying its `parameters` schema)."""
    fn = _chosen_function(body) if not first else [t.get("function", t) for t in body.get("tools", [])][0]
    return fn, generate(fn.get("parameters") or {"type": "object", "properties": {}}, rng, lexicon=lexicon)


def tool_content(name: str, args: Any, malformed: bool = False) -> str:
    """A tool answer written as content: one prose sentence, then the arguments in a ```json fence."""
    return f"Here is the {name} answer.\n\n```json\n{_dump(args, malformed)}\n```"


def build_message(
    body: dict[str, Any], malformed: bool = False, kind: str | None = None
) -> tuple[dict[str, Any], str, str, str]:
    """(assistant message, finish_reason, kind, digest) for a chat-completion request body.

    `kind` overrides `reply_kind(body)` (personalities use "tool_content")."""
    digest = request_digest(body)
    rng = random.Random(digest)
    kind = kind or reply_kind(body)
    lexicon = lexicon_for(body)
    if kind == "tool_content":
        fn, args = _tool_arguments(body, rng, lexicon)
        content = tool_content(fn.get("name", "tool"), args, malformed)
        return {"role": "assistant", "content": content}, "stop", kind, digest
    if kind in ("tool_call", "auto_call"):
        fn, args = _tool_arguments(body, rng, lexicon, first=kind == "auto_call")
        call = {
            "id": f"call_{digest[:24]}",
            "type": "function",
            "function": {"name": fn.get("name", "tool"), "arguments": _dump(args, malformed)},
        }
        return {"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls", kind, digest
    schema = _schema_for(body, kind)
    if kind == "text":
        content = plain_text(rng, lexicon)
    elif schema:
        content = _dump(generate(schema, rng, lexicon=lexicon), malformed)
    else:
        content = _dump({"text": plain_text(rng, lexicon)}, malformed)
    return {"role": "assistant", "content": content}, "stop", kind, digest


def _count_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def count_tokens(text: str) -> int:
    """Tokens in generated text (4 characters a token; empty text is 0 tokens)."""
    return _count_tokens(text) if text else 0


def usage_for(body: dict[str, Any], message: dict[str, Any]) -> dict[str, int]:
    """Approximate token usage (4 characters a token)."""
    prompt = sum(_count_tokens(json.dumps(m.get("content", ""))) for m in body.get("messages", []))
    out = message.get("content") or "".join(c["function"]["arguments"] for c in message.get("tool_calls", []))
    completion = _count_tokens(out)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def completion_payload(
    body: dict[str, Any], malformed: bool = False, kind: str | None = None
) -> tuple[dict[str, Any], str]:
    """(the non-streaming chat.completion object, reply kind); `kind` as in `build_message`."""
    message, finish, kind, digest = build_message(body, malformed, kind)
    payload = {
        "id": f"chatcmpl-{digest[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model") or MODEL,
        "system_fingerprint": "stub",
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": usage_for(body, message),
    }
    return payload, kind


def apply_cap(payload: dict[str, Any], cap: int | None, reasoning: int | None) -> None:
    """Cut the answer to `cap` tokens minus `reasoning` (finish_reason "length") and fix the usage."""
    choice = payload["choices"][0]
    message = choice["message"]
    calls = message.get("tool_calls")
    text = calls[0]["function"]["arguments"] if calls else message.get("content") or ""
    room = None if cap is None else cap - (reasoning or 0)
    if room is not None and count_tokens(text) > room:
        text = text[: max(0, room) * 4]
        choice["finish_reason"] = "length"
        if calls and text:
            calls[0]["function"]["arguments"] = text
        else:  # nothing visible left (or a plain answer): the cut text is the content
            message.pop("tool_calls", None)
            message["content"] = text
    usage = payload["usage"]
    usage["completion_tokens"] = count_tokens(text) + (reasoning or 0)
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    if reasoning is not None:
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning, "audio_tokens": 0,
                                              "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}


RAMBLE_CONTEXT = 4096  # where a rambling answer ends when the request sets no cap (the context fills up)


def ramble(payload: dict[str, Any], cap: int | None, reasoning: int | None = None) -> None:
    """A model that writes on past any cap: its answer (content or tool-call arguments) runs on, repeating its first
    words, until the cap (`RAMBLE_CONTEXT` without one) cuts it with finish_reason "length" (OpenAI's chat object:
    "length" if the maximum number of tokens specified in the request was reached,
    https://platform.openai.com/docs/api-reference/chat/object; llama-server likewise when n_predict is reached).
    `reasoning`: hidden reasoning tokens spent from the cap first (`apply_cap`)."""
    message = payload["choices"][0]["message"]
    more = ", \"note\": \"" + "red apples, " * 2000 + "\"}"
    if message.get("tool_calls"):
        call = message["tool_calls"][0]["function"]
        call["arguments"] = call["arguments"][:-1] + more
    else:
        message["content"] = (message.get("content") or "")[:-1] + more
    apply_cap(payload, RAMBLE_CONTEXT if cap is None else cap, reasoning)


def cap_of(body: dict[str, Any], *keys: str) -> int | None:
    """The token cap: the first of `keys` holding a non-negative integer (the server's precedence order)."""
    for key in keys:
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


def stream_events(payload: dict[str, Any], include_usage: bool) -> bytes:
    """The same completion as a server-sent-event stream (one delta chunk, a finish chunk, [DONE])."""
    choice = payload["choices"][0]
    message = dict(choice["message"])
    if "tool_calls" in message:
        message["tool_calls"] = [{"index": i, **c} for i, c in enumerate(message["tool_calls"])]
    base = {k: payload[k] for k in ("id", "created", "model", "system_fingerprint")}
    base["object"] = "chat.completion.chunk"
    chunks = [
        {**base, "choices": [{"index": 0, "delta": message, "finish_reason": None}]},
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}]},
    ]
    if include_usage:
        chunks.append({**base, "choices": [], "usage": payload["usage"]})
    lines = [f"data: {json.dumps(c, ensure_ascii=False)}\n\n" for c in chunks] + ["data: [DONE]\n\n"]
    return "".join(lines).encode()


class PromptCache:
    """OpenAI's automatic prompt caching, imitated (https://platform.openai.com/docs/guides/prompt-caching): a
    prompt of at least `min_tokens` (OpenAI: 1024) reuses the longest prefix of an earlier prompt, in blocks of 128
    tokens, reported as `usage.prompt_tokens_details.cached_tokens` (part of prompt_tokens). The stub's prefix is
    the messages as JSON, in blocks of 512 characters (128 tokens at its 4 characters a token)."""

    BLOCK = 512

    def __init__(self, min_tokens: int) -> None:
        self.min_tokens, self.seen = min_tokens, set()

    def cached_tokens(self, body: dict[str, Any], prompt_tokens: int) -> int:
        text = json.dumps([body.get("model"), body.get("messages", [])], sort_keys=True)
        running, hits, contiguous = hashlib.sha256(), 0, True
        for start in range(0, len(text) - self.BLOCK + 1, self.BLOCK):  # whole blocks only
            running.update(text[start:start + self.BLOCK].encode())
            key = running.hexdigest()
            contiguous = contiguous and key in self.seen
            hits += contiguous
            self.seen.add(key)
        if prompt_tokens < self.min_tokens:
            return 0
        return min(hits * self.BLOCK // 4, prompt_tokens)
