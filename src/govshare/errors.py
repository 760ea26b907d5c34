"""RFC 9457 problem details, spoken in Chinese and English.

Every error the API returns is ``application/problem+json`` with:
``type`` (a stable URI under ``urn:govshare:problem:``), ``title``, ``status``, ``code`` (stable, machine
readable), ``detail``, ``message_zh``, ``message_en``, ``field`` (the input at fault, when there is one),
``errors`` (every field at fault, for validation) and ``request_id``.
Services raise :class:`Problem`; routers never build error bodies by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("govshare.errors")


class Problem(Exception):
    """An error with a stable code and bilingual message. Raise it from any service."""

    def __init__(
        self,
        status: int,
        code: str,
        message_zh: str,
        message_en: str,
        *,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message_en}")
        self.status = status
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.field = field
        self.extra = extra or {}
        self.headers = headers

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"urn:govshare:problem:{self.code}",
            "title": self.message_en,
            "status": self.status,
            "code": self.code,
            "detail": f"{self.message_zh} / {self.message_en}",
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }
        if self.field is not None:
            body["field"] = self.field
        body.update(self.extra)
        if request_id:
            body["request_id"] = request_id
        return body


# Common problems, so that the same situation always gets the same code and words.
def not_found(kind: str, kind_zh: str, ident: str | None = None, *, field: str | None = None) -> Problem:
    suffix = f" {ident}" if ident else ""
    return Problem(404, f"{kind}_not_found", f"{kind_zh}不存在{suffix}", f"{kind} not found{suffix}", field=field)


def forbidden(message_zh: str = "无权执行此操作", message_en: str = "not allowed") -> Problem:
    return Problem(403, "forbidden", message_zh, message_en)


def unauthenticated(message_zh: str = "需要登录或有效的凭证", message_en: str = "authentication required") -> Problem:
    return Problem(401, "unauthenticated", message_zh, message_en, headers={"WWW-Authenticate": "Bearer"})


def invalid(field: str, code: str, message_zh: str, message_en: str) -> Problem:
    return Problem(422, code, message_zh, message_en, field=field)


def conflict(code: str, message_zh: str, message_en: str, *, field: str | None = None) -> Problem:
    return Problem(409, code, message_zh, message_en, field=field)


class ProblemResponse(Response):
    media_type = PROBLEM_JSON

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def problem_response(problem: Problem, request: Request | None) -> ProblemResponse:
    request_id = getattr(request.state, "request_id", None) if request is not None else None
    return ProblemResponse(problem.body(request_id), status_code=problem.status, headers=problem.headers)


_HTTP_CODES = {
    400: ("bad_request", "请求无效", "bad request"),
    401: ("unauthenticated", "需要登录或有效的凭证", "authentication required"),
    403: ("forbidden", "无权执行此操作", "not allowed"),
    404: ("not_found", "资源不存在", "not found"),
    405: ("method_not_allowed", "不支持该请求方法", "method not allowed"),
    406: ("not_acceptable", "无法提供所请求的格式", "not acceptable"),
    413: ("payload_too_large", "请求内容过大", "payload too large"),
    415: ("unsupported_media_type", "不支持的内容类型", "unsupported media type"),
    429: ("too_many_requests", "请求过于频繁", "too many requests"),
}


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) if parts else ".".join(str(p) for p in loc)


def validation_problem(errors: Sequence[Any]) -> Problem:
    """422 ``validation_failed`` listing pydantic's errors, each with the field at fault."""
    listed = [
        {"field": _field_path(tuple(err.get("loc", ()))), "type": err.get("type"), "message_en": err.get("msg")}
        for err in errors
    ]
    first = listed[0]["field"] if listed else None
    return Problem(
        422,
        "validation_failed",
        f"输入有误: {first}" if first else "输入有误",
        f"invalid input: {first}" if first else "invalid input",
        field=first,
        extra={"errors": listed},
    )


AUDIT_UNAVAILABLE = ("audit_unavailable", "审计日志暂不可写,服务暂停", "audit log unavailable; service stopped")
INTERNAL_ERROR = ("internal_error", "服务器内部错误", "internal server error")


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> ProblemResponse:
        return problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> ProblemResponse:
        return problem_response(validation_problem(exc.errors()), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> ProblemResponse:
        code, zh, en = _HTTP_CODES.get(exc.status_code, ("http_error", "请求失败", "request failed"))
        if isinstance(exc.detail, str) and exc.detail and exc.status_code not in _HTTP_CODES:
            en = exc.detail
        return problem_response(Problem(exc.status_code, code, zh, en, headers=exc.headers), request)

    from govshare.audit.service import AuditUnavailable  # late: audit imports this module

    @app.exception_handler(AuditUnavailable)
    async def _audit_down(request: Request, exc: AuditUnavailable) -> ProblemResponse:
        # X-Road's safety stop: when the log cannot be written, nothing flows.
        return problem_response(Problem(503, *AUDIT_UNAVAILABLE), request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> ProblemResponse:
        log.exception("unhandled_error", path=request.url.path)
        return problem_response(Problem(500, *INTERNAL_ERROR), request)
