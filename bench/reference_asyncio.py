#!/usr/bin/env python3
"""The asyncio + openai reference at its best configuration: openai's own default async client.

The same workload as the peers' `ideal_asyncio.py` (/work/shared/bench/peers, its prompts and JSON line come from
`_peerlib.py` there): N records x 4 chained chat calls, at most --concurrency calls in flight (one
asyncio.Semaphore around every call). The difference: the shared script hands the SDK a classic
`httpx.AsyncClient`, whose httpcore 1.x pool rescans every idle keep-alive connection on each request
(docs/benchmarks.md); this one lets `AsyncOpenAI` build its own client, as an application would.

    python bench/reference_asyncio.py --base-url URL --n 256 --concurrency 64 [--client default|aiohttp]

`--client aiohttp` uses `openai.DefaultAioHttpClient()` (needs `openai[aiohttp]`), the transport PersonaGen uses
(personagen/backends/model_set.py). The peers folder is found through $PEERS_DIR (default
/work/shared/bench/peers); bench/peers_bench.py sets it from --peers-dir. Prints one JSON line.
"""

from __future__ import annotations

import asyncio
import os
import sys

PEERS_DIR = os.environ.get("PEERS_DIR", "/work/shared/bench/peers")
CLIENTS = ("default", "aiohttp")


def split_client(argv: list[str]) -> tuple[str, list[str]]:
    """(--client value, the other arguments), so that _peerlib's own parser sees only its flags."""
    client, rest, i = "default", [], 0
    while i < len(argv):
        if argv[i] == "--client" and i + 1 < len(argv):
            client, i = argv[i + 1], i + 2
        elif argv[i].startswith("--client="):
            client, i = argv[i].split("=", 1)[1], i + 1
        else:
            rest, i = [*rest, argv[i]], i + 1
    if client not in CLIENTS:
        sys.exit(f"reference_asyncio: --client must be one of {', '.join(CLIENTS)}, not {client!r}")
    return client, rest


async def run(args, pl, client_kind: str) -> list:
    from openai import AsyncOpenAI, DefaultAioHttpClient

    http = {"http_client": DefaultAioHttpClient(timeout=60)} if client_kind == "aiohttp" else {}
    client = AsyncOpenAI(base_url=args.base_url, api_key=args.api_key, max_retries=2, timeout=60, **http)
    sem = asyncio.Semaphore(args.concurrency)

    async def call(prompt: str) -> str:
        async with sem:
            r = await client.chat.completions.create(model=args.model, messages=[{"role": "user", "content": prompt}])
        return r.choices[0].message.content

    async def chain(row: dict) -> dict:
        persona = await call(pl.P_PERSONA.format(**row))
        background = await call(pl.P_BACKGROUND.format(persona=persona))
        scenario = await call(pl.P_SCENARIO.format(persona=persona, background=background, emotion=row["emotion"]))
        text = await call(pl.P_TEXT.format(scenario=scenario, emotion=row["emotion"]))
        return {**row, "persona": persona, "background": background, "scenario": scenario, "text": text}

    try:
        return await asyncio.gather(*(chain(r) for r in pl.seed_rows(args.n)), return_exceptions=True)
    finally:
        await client.close()


def main() -> None:
    sys.path.insert(0, PEERS_DIR)
    import _peerlib as pl

    client_kind, argv = split_client(sys.argv[1:])
    tool = "reference" if client_kind == "default" else f"reference_{client_kind}"
    args = pl.parse_args(tool, argv)
    with pl.Meter(tool, args) as m:
        results = asyncio.run(run(args, pl, client_kind))
    ok = [r for r in results if isinstance(r, dict) and r.get("text")]
    errors = [repr(r)[:200] for r in results if isinstance(r, BaseException)]
    m.emit(len(ok), errors=len(errors), first_error=errors[0] if errors else None, client=client_kind)


if __name__ == "__main__":
    main()
