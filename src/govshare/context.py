"""Per-request context shared by middleware, services and logs."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("govshare_request_id", default=None)
