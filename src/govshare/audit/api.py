"""Audit routes: search the log, verify the chain, record a consumer's own use, publish the keys."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query

from govshare.audit import service
from govshare.audit.models import AuditRecord
from govshare.audit.schemas import AuditPage, AuditReceiptRead, AuditRecordRead, UsageEventCreate, VerifyRead
from govshare.deps import CurrentPrincipal, ReadSession, RuntimeDep
from govshare.errors import forbidden

router = APIRouter(prefix="/api/v1", tags=["audit 审计"])


def _us(dt: datetime | None) -> int | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1_000_000)


def _at(ts_us: int) -> datetime:
    return datetime.fromtimestamp(ts_us / 1_000_000, tz=UTC)


def record_read(r: AuditRecord) -> AuditRecordRead:
    detail: dict[str, Any] | None = orjson.loads(r.detail) if r.detail else None
    return AuditRecordRead(
        seq=r.seq,
        at=_at(r.ts_us),
        actor_kind=r.actor_kind,
        actor_id=r.actor_id,
        actor_org_id=r.actor_org_id,
        on_behalf_of=r.on_behalf_of,
        action=r.action,
        object_type=r.object_type,
        object_id=r.object_id,
        object_org_id=r.object_org_id,
        subject_ref=r.subject_ref,
        purpose=r.purpose,
        outcome=r.outcome,
        request_id=r.request_id,
        detail=detail,
        prev_hash=r.prev_hash,
        hash=r.hash,
    )


@router.get("/keys", summary="Platform public keys (JWKS) 平台公钥")
def keys(runtime: RuntimeDep) -> dict[str, Any]:
    return runtime.keys.public_jwks()


@router.get("/audit/records", response_model=AuditPage, summary="Search the audit log 审计查询")
def search_records(
    principal: CurrentPrincipal,
    session: ReadSession,
    runtime: RuntimeDep,
    actor_id: str | None = None,
    org_id: str | None = None,
    action: Annotated[str | None, Query(max_length=96, description="prefix, e.g. identity.")] = None,
    object_type: str | None = None,
    object_id: str | None = None,
    subject: Annotated[str | None, Query(max_length=64, description="ID number or USCC")] = None,
    purpose: Annotated[str | None, Query(max_length=256)] = None,
    outcome: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AuditPage:
    rows, next_before = service.search(
        session,
        actor=principal,
        audit=runtime.audit,
        actor_id=actor_id,
        org_id=org_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        subject=subject,
        purpose=purpose,
        outcome=outcome,
        since_us=_us(since),
        until_us=_us(until),
        before=before,
        limit=limit,
    )
    return AuditPage(items=[record_read(r) for r in rows], next_before=next_before)


@router.post("/audit/verify", response_model=VerifyRead, summary="Verify the whole chain 校验审计链")
def verify(principal: CurrentPrincipal, runtime: RuntimeDep) -> VerifyRead:
    if not principal.is_platform_auditor:
        raise forbidden("只有平台审计员可以校验整条审计链", "only the platform's auditors verify the chain")
    report = service.verify_chain(runtime.db, runtime.keys, hash_alg=runtime.settings.audit_hash)
    return VerifyRead(**report.as_dict())


@router.post(
    "/audit/events",
    response_model=AuditReceiptRead,
    status_code=201,
    summary="Record a consumer system's use of shared data 登记数据使用",
)
async def record_event(body: UsageEventCreate, principal: CurrentPrincipal, runtime: RuntimeDep) -> AuditReceiptRead:
    """Systems record what they did with shared data; the answer is the durable receipt (seq and hash)."""
    if not principal.is_system:
        raise forbidden("只有应用系统可以登记数据使用", "only systems record usage events")
    receipt = await runtime.audit.append_async(
        actor=principal,
        action=f"usage.{body.action}",
        outcome=body.outcome,
        object_type=body.object_type,
        object_id=body.object_id,
        subject=body.subject,
        purpose=body.purpose,
        on_behalf_of=body.on_behalf_of or principal.on_behalf_of,
        detail=body.detail,
    )
    return AuditReceiptRead(seq=receipt.seq, hash=receipt.hash, at=_at(receipt.ts_us))
