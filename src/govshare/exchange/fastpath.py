"""The query gateway's route served straight from ASGI, ahead of FastAPI's router.

``POST /exchange/v1/resources/{code}/query`` is the platform's hot path. Through FastAPI it paid about a fifth of
its CPU for the framework: matching against every route of the application, solving dependencies, building a
``Request`` and running the exception middleware. This middleware answers that one route itself — it reads the
body, validates it with the same :class:`QueryRequest` model, calls :meth:`Gateway.query` and writes the sealed
answer or the same problem+json the application's handlers give. It sits inside ``RequestContext`` (both wrap
FastAPI's own middleware, see ``app._App``), so request ids, HTTP metrics and the request log are as for every
other route. The FastAPI route of the same path stays declared in ``exchange/api.py``: it describes the call in
the OpenAPI document and serves it if this middleware is not installed.
"""

from __future__ import annotations

from typing import Any

import orjson
import structlog
from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from govshare.audit.service import AuditUnavailable
from govshare.errors import (
    AUDIT_UNAVAILABLE,
    INTERNAL_ERROR,
    PROBLEM_JSON,
    Problem,
    unauthenticated,
    validation_problem,
)
from govshare.exchange.gateway import Gateway
from govshare.exchange.schemas import QueryRequest

log = structlog.get_logger("govshare.exchange")

PREFIX = "/exchange/v1/resources/"
SUFFIX = "/query"
ROUTE_PATH = PREFIX + "{code:path}" + SUFFIX
#: 100 keys of 64 characters with a purpose and a case reference fit many times over.
MAX_BODY_BYTES = 64 * 1024


class _Route:
    """What ``RequestContext`` reads from ``scope["route"]`` for its metrics label."""

    path = ROUTE_PATH


_ROUTE = _Route()
_JSON = (b"content-type", b"application/json")
_PROBLEM = (b"content-type", PROBLEM_JSON.encode())


class GatewayFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            path: str = scope["path"]
            if path.startswith(PREFIX) and path.endswith(SUFFIX) and len(path) > len(PREFIX) + len(SUFFIX):
                await self._serve(scope, receive, send, path[len(PREFIX) : -len(SUFFIX)])
                return
        await self.app(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, code: str) -> None:
        scope["route"] = _ROUTE
        request_id = scope.get("state", {}).get("request_id")
        try:
            raw = await _read_body(receive)
            if raw is None:
                return  # the client went away
            headers = _headers(scope)
            api_key = headers.get(b"x-api-key", b"").decode("latin-1")
            if not api_key:
                scheme, _, value = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
                if scheme.lower() == "apikey":
                    api_key = value.strip()
            if not api_key:
                raise unauthenticated("数据接口需要应用系统的 API 密钥", "the exchange needs a system API key")
            try:
                body = QueryRequest.model_validate_json(raw)
            except ValidationError as exc:
                raise validation_problem(exc.errors(include_url=False, include_input=False)) from None
            on_behalf_of = headers.get(b"x-on-behalf-of")
            answer = await Gateway.for_runtime(scope["app"].state.runtime).query(
                api_key=api_key,
                on_behalf_of=on_behalf_of.decode("utf-8", "replace") if on_behalf_of else None,
                code=code,
                body=body,
                request_id=request_id,
            )
        except Problem as problem:
            await _problem(send, problem, request_id)
            return
        except AuditUnavailable:
            await _problem(send, Problem(503, *AUDIT_UNAVAILABLE), request_id)
            return
        except Exception:
            log.exception("unhandled_error", path=scope["path"])
            await _problem(send, Problem(500, *INTERNAL_ERROR), request_id)
            return
        await _respond(send, 200, [_JSON], answer)


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Problem(413, "payload_too_large", "请求内容过大", "payload too large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _headers(scope: Scope) -> dict[bytes, bytes]:
    # ASGI header names are lower-case; the first of repeated headers wins, as in Starlette's Headers.get
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        found.setdefault(name, value)
    return found


async def _problem(send: Send, problem: Problem, request_id: str | None) -> None:
    headers = [_PROBLEM]
    for name, value in (problem.headers or {}).items():
        headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    await _respond(send, problem.status, headers, orjson.dumps(problem.body(request_id)))


async def _respond(send: Send, status: int, headers: list[Any], body: bytes) -> None:
    await send(
        {"type": "http.response.start", "status": status, "headers": [*headers, (b"content-length", b"%d" % len(body))]}
    )
    await send({"type": "http.response.body", "body": body})
