"""Shapes of the audit API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class AuditRecordRead(BaseModel):
    seq: int
    at: datetime
    actor_kind: str
    actor_id: str
    actor_org_id: str | None
    on_behalf_of: str | None
    action: str
    object_type: str | None
    object_id: str | None
    object_org_id: str | None
    subject_ref: str | None
    purpose: str | None
    outcome: str
    request_id: str | None
    detail: dict[str, Any] | None
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditRecordRead]
    #: Pass as ``before`` to get the next (older) page; null at the end.
    next_before: int | None


class UsageEventCreate(BaseModel):
    """A consumer system's own record of using shared data (谁使用、谁负责), kept in the platform's chain."""

    action: str = Field(pattern=r"^[a-z][a-z0-9_.]{2,60}$", description="e.g. use.print, use.case_decision")
    object_type: str | None = Field(default=None, max_length=64)
    object_id: str | None = Field(default=None, max_length=128)
    subject: str | None = Field(default=None, max_length=64, description="ID number or USCC the use concerns")
    purpose: str = Field(min_length=2, max_length=256, description="用途")
    on_behalf_of: str | None = Field(default=None, max_length=128, description="经办人")
    outcome: Literal["ok", "denied", "failed"] = "ok"
    detail: dict[str, Any] | None = None


class AuditReceiptRead(BaseModel):
    seq: int
    hash: str
    at: datetime


class VerifyRead(BaseModel):
    ok: bool
    records: int
    checkpoints: int
    seconds: float
    records_per_second: int
    fault: dict[str, Any] | None = None
