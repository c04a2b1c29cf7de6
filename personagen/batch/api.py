"""The provider's Files and Batches endpoints, as OpenAI's Batch API defines them, with each provider's differences.

- OpenAI (https://platform.openai.com/docs/guides/batch, https://platform.openai.com/docs/api-reference/batch):
  upload the JSONL with purpose "batch" (POST /files), POST /batches {input_file_id, endpoint
  "/v1/chat/completions", completion_window "24h"}, GET /batches/{id} until completed / failed / expired /
  cancelled, then GET /files/{output_file_id}/content and the error file; lines are matched by custom_id (the
  output order is not the input order); at most 50,000 requests and 200 MB per file; one model per file.
- Azure OpenAI (https://learn.microsoft.com/en-us/azure/ai-foundry/openai/how-to/batch): the same endpoints under
  the resource's /openai/v1/, on a Global Batch deployment (the `model` of each line is the deployment name); the
  line url and the batch endpoint are "/chat/completions"; jobs that take longer than 24 hours are not expired.
- Groq (https://console.groq.com/docs/batch): the same endpoints under https://api.groq.com/openai/v1, each line
  with method POST and url /v1/chat/completions.
- Together (https://docs.together.ai/docs/batch-inference, https://docs.together.ai/reference/batch-create): files
  are uploaded with purpose "batch-api", POST /batches answers {"job": {...}} and statuses are upper case
  (VALIDATING, IN_PROGRESS, COMPLETED, FAILED, EXPIRED, CANCELLED).
The key goes as `Authorization: Bearer` (and Azure's `api-key` header on Azure hosts), as the chat calls send it.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2

from personagen.errors import RunFailure

RETRY_STATUS = (408, 409, 429, 500, 502, 503, 504)
BACKOFF_S = (1.0, 3.0, 10.0, 30.0)


class BatchAPIError(RunFailure):
    """The provider refused a Files or Batches call (after retries): status and JSON body as it answered."""

    def __init__(self, status: int, body: Any, what: str) -> None:
        detail = body.get("error", body) if isinstance(body, dict) else body
        super().__init__(f"{what}: HTTP {status} {json.dumps(detail)[:300]}")
        self.status, self.body = status, body if isinstance(body, dict) else {"error": {"message": str(body)}}


@dataclass(frozen=True)
class Dialect:
    """How one provider's Batch API differs from OpenAI's."""

    purpose: str = "batch"
    url: str = "/v1/chat/completions"


def dialect_for(base_url: str) -> Dialect:
    host = (urlsplit(base_url).hostname or "").lower()
    if host.endswith(("together.xyz", "together.ai")):
        return Dialect(purpose="batch-api")
    if host.endswith((".azure.com", ".azure-api.net")):
        return Dialect(url="/chat/completions")
    return Dialect()


def batch_object(data: Any) -> dict[str, Any]:
    """A Batch as OpenAI shapes it: Together's {"job": ...} unwrapped, the status in lower case."""
    obj = dict(data.get("job", data)) if isinstance(data, dict) else {}
    obj["status"] = str(obj.get("status", "")).lower()
    return obj


class BatchClient:
    """Files and Batches calls to one endpoint; transient failures (connection, 429, 5xx) are tried again."""

    def __init__(self, base_url: str, api_key: str, timeout: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.dialect = dialect_for(base_url)
        headers = {"Authorization": f"Bearer {api_key}"}
        if self.dialect.url == "/chat/completions":
            headers["api-key"] = api_key
        self.http = httpx2.AsyncClient(base_url=self.base_url + "/", headers=headers, timeout=timeout)

    async def _call(self, what: str, method: str, path: str, **kwargs: Any) -> httpx2.Response:
        for attempt in range(len(BACKOFF_S) + 1):
            try:
                response = await self.http.request(method, path, **kwargs)
            except httpx2.TransportError as exc:
                if attempt == len(BACKOFF_S):
                    raise BatchAPIError(503, {"error": {"message": f"cannot reach {self.base_url}: {exc}"}},
                                        what) from exc
            else:
                if response.status_code < 300:
                    return response
                if response.status_code not in RETRY_STATUS or attempt == len(BACKOFF_S):
                    try:
                        body = response.json()
                    except ValueError:
                        body = response.text
                    raise BatchAPIError(response.status_code, body, what)
            await asyncio.sleep(BACKOFF_S[attempt])
        raise AssertionError("unreachable")

    async def upload(self, content: bytes) -> str:
        response = await self._call("upload the batch file", "POST", "files", data={"purpose": self.dialect.purpose},
                                    files={"file": ("batch.jsonl", content, "application/jsonl")})
        return response.json()["id"]

    async def create(self, input_file_id: str, metadata: dict[str, str]) -> dict[str, Any]:
        body = {"input_file_id": input_file_id, "endpoint": self.dialect.url, "completion_window": "24h",
                "metadata": metadata}
        return batch_object((await self._call("create the batch", "POST", "batches", json=body)).json())

    async def retrieve(self, batch_id: str) -> dict[str, Any]:
        return batch_object((await self._call("check the batch", "GET", f"batches/{batch_id}")).json())

    async def cancel(self, batch_id: str) -> dict[str, Any]:
        return batch_object((await self._call("cancel the batch", "POST", f"batches/{batch_id}/cancel")).json())

    async def content(self, file_id: str) -> list[dict[str, Any]]:
        response = await self._call("read the batch results", "GET", f"files/{file_id}/content")
        return [json.loads(line) for line in response.text.splitlines() if line.strip()]

    async def find(self, input_file_id: str, pages: int = 5) -> dict[str, Any] | None:
        """The batch made from `input_file_id`, among the newest (GET /batches is listed newest first)."""
        after = None
        for _ in range(pages):
            params = {"limit": 100, **({"after": after} if after else {})}
            data = (await self._call("list the batches", "GET", "batches", params=params)).json()
            items = data.get("data", []) if isinstance(data, dict) else data
            for item in items:
                if batch_object(item).get("input_file_id") == input_file_id:
                    return batch_object(item)
            if not isinstance(data, dict) or not data.get("has_more") or not items:
                return None
            after = batch_object(items[-1]).get("id")
        return None

    async def aclose(self) -> None:
        await self.http.aclose()
