"""Push delivery of feeds (库表交换, 推送): the platform POSTs each feed page to the consumer's endpoint.

A consumer system with a grant registers a subscription (resource, purpose — checked by the policy exactly as
for pull —, HTTPS endpoint, format, page size). A worker (:func:`deliver_due`; the app's background loop when
``feeds_push_enabled``, or ``govshare feeds deliver``) sends each due subscription its next page, built by the
same function as a pulled page (``feeds.build_page``: policy, quota, masking, audit).

Delivery is at-least-once: the cursor advances only after the endpoint answered 2xx. Before a page is sent
its range is stored (``pending_until``), so a retry — after a failure, a timeout or a crash between send and
commit — re-sends exactly the same range under the same ``Idempotency-Key`` (``{subscription}:{cursor}-{next}``)
and the receiver recognises the repeat. Failures back off exponentially with jitter; after
``feeds_push_max_attempts`` failures in a row the subscription is ``failed``. A policy refusal (revoked or
expired grant, changed purpose rules) stops the subscription at once; the refusal is in the audit log.
"""

from __future__ import annotations

import asyncio
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

import httpx
import structlog
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from govshare.crypto.signer import b64url
from govshare.db import utcnow
from govshare.errors import Problem, forbidden, invalid, not_found
from govshare.exchange import feeds
from govshare.exchange.models import FeedSubscription
from govshare.identity.models import Organization, System
from govshare.identity.principal import Principal, Role
from govshare.runtime import Runtime, audit_of

log = structlog.get_logger("govshare.exchange.push")

ACTIVE, PAUSED, FAILED = "active", "paused", "failed"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
#: Prefix of the bytes a push signature covers (see :func:`signing_input`).
SIGNATURE_CONTEXT = b"govshare-push-v1"


# ---- shapes -----------------------------------------------------------------------------------------------
class SubscriptionCreate(BaseModel):
    """A push subscription (推送订阅) to a library resource's feed."""

    model_config = ConfigDict(extra="forbid")

    resource_code: str = Field(min_length=1, max_length=64, description="资源代码")
    purpose_category: str = Field(min_length=2, max_length=32, description="用途类别, e.g. social_assistance")
    purpose: str = Field(min_length=2, max_length=256, description="用途 (the business at hand)")
    endpoint_url: str = Field(min_length=8, max_length=500, description="https:// URL that receives the pages")
    format: Literal["jsonl", "csv", "parquet"] = "jsonl"
    page_size: int = Field(default=500, ge=1, le=feeds.MAX_PAGE, description="rows per page at most")
    start_cursor: int = Field(default=0, ge=0, description="0 = the snapshot first; or a cursor already applied")


class SubscriptionRead(BaseModel):
    id: str
    org_id: str
    system_id: str
    resource_code: str
    purpose_category: str
    purpose: str
    endpoint_url: str
    format: str
    page_size: int
    status: str
    cursor: int
    pending_until: int | None
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_pages: int
    delivered_rows: int
    last_delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime


def subscription_read(s: FeedSubscription) -> SubscriptionRead:
    return SubscriptionRead.model_validate(s, from_attributes=True)


# ---- subscriptions ----------------------------------------------------------------------------------------
def validate_endpoint(url: str, *, allow_insecure: bool) -> str:
    """HTTPS only; plain http:// only to the loopback interface and only when the platform allows it."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        parts = None
    if parts is None or not parts.hostname or parts.scheme not in ("https", "http"):
        raise invalid(
            "endpoint_url", "endpoint_invalid", "推送地址不是有效的 URL", "the endpoint is not a valid http(s) URL"
        )
    if parts.scheme == "http" and not (allow_insecure and parts.hostname in LOOPBACK_HOSTS):
        raise invalid(
            "endpoint_url",
            "endpoint_insecure",
            "推送地址必须使用 HTTPS",
            "the endpoint must use HTTPS",
        )
    if parts.username or parts.password:
        raise invalid(
            "endpoint_url",
            "endpoint_credentials",
            "推送地址中不得包含用户名或密码",
            "the endpoint URL must not carry credentials",
        )
    if parts.fragment:
        raise invalid("endpoint_url", "endpoint_invalid", "推送地址不得包含片段 (#)", "the endpoint has a fragment")
    return url


def _require_system(actor: Principal) -> None:
    if not actor.is_system:
        raise forbidden("只有应用系统可以订阅数据", "only systems subscribe to feeds")


def create_subscription(runtime: Runtime, *, actor: Principal, data: SubscriptionCreate) -> FeedSubscription:
    """Check everything first (endpoint, policy, feed, cursor); store only when all of it holds."""
    _require_system(actor)
    url = validate_endpoint(data.endpoint_url, allow_insecure=runtime.settings.feeds_push_allow_insecure)
    decision = feeds.check_policy(runtime, actor, data.resource_code, data.purpose_category, data.purpose)
    head = feeds.bus_for(runtime).head(data.resource_code)
    if data.start_cursor > head:
        raise invalid(
            "start_cursor",
            "cursor_ahead",
            f"起始游标超出当前最新变更序号 ({head})",
            f"start_cursor is ahead of the feed's newest change ({head})",
        )
    with runtime.db.write() as session:
        sub = FeedSubscription(
            org_id=actor.org_id,
            system_id=actor.id,
            resource_code=data.resource_code,
            purpose_category=data.purpose_category,
            purpose=data.purpose,
            endpoint_url=url,
            format=data.format,
            page_size=data.page_size,
            status=ACTIVE,
            cursor=data.start_cursor,
            attempts=0,
            delivered_pages=0,
            delivered_rows=0,
            created_by=actor.id,
        )
        session.add(sub)
        session.flush()
        audit_of(session).record(
            session,
            actor=actor,
            action="exchange.subscription.create",
            object_type="subscription",
            object_id=sub.id,
            object_org_id=decision.provider_org_id,
            purpose=f"{data.purpose_category}: {data.purpose}",
            detail={
                "resource_code": data.resource_code,
                "endpoint_url": url,
                "format": data.format,
                "page_size": data.page_size,
                "start_cursor": data.start_cursor,
                "grant_ids": list(decision.grant_ids),
            },
        )
        session.refresh(sub)
        session.expunge(sub)
    return sub


def list_subscriptions(session: Session, *, actor: Principal) -> list[FeedSubscription]:
    _require_system(actor)
    return list(
        session.scalars(
            select(FeedSubscription)
            .where(FeedSubscription.system_id == actor.id)
            .order_by(FeedSubscription.created_at, FeedSubscription.id)
        )
    )


def get_subscription(session: Session, *, actor: Principal, subscription_id: str) -> FeedSubscription:
    """A system sees its own subscriptions only; anyone else's is "not found" (no existence oracle)."""
    _require_system(actor)
    sub = session.get(FeedSubscription, subscription_id)
    if sub is None or sub.system_id != actor.id:
        raise not_found("subscription", "订阅", subscription_id)
    return sub


class SubscriptionOverview(BaseModel):
    """A subscription as a department's staff see it: which system receives which resource, for what purpose, and
    how delivery goes. The endpoint stays with the subscribing system (it is its own infrastructure)."""

    id: str
    org_id: str  # the subscribing (consumer) department
    system_id: str
    resource_code: str
    provider_org_id: str | None
    purpose_category: str
    purpose: str
    format: str
    status: str
    cursor: int
    attempts: int
    last_error: str | None
    delivered_pages: int
    delivered_rows: int
    last_delivered_at: datetime | None
    created_at: datetime


def department_subscriptions(
    session: Session, *, actor: Principal, resource_code: str | None = None
) -> list[SubscriptionOverview]:
    """Subscriptions a department's staff may see: those of its own systems (consumer side) and those to the
    resources it provides (provider side: who takes our data, 谁在用我们的数据); the platform's administrators and
    auditors see all. Org admins, catalog managers and auditors."""
    from govshare.sharing import catalog_port

    if not actor.is_user:
        raise forbidden(
            "应用系统请使用 /exchange/v1/subscriptions", "systems list their own at /exchange/v1/subscriptions"
        )
    actor.require(Role.org_admin, Role.catalog_manager, Role.auditor)
    sees_all = actor.is_platform_auditor
    stmt = select(FeedSubscription).order_by(FeedSubscription.created_at, FeedSubscription.id)
    if resource_code:
        stmt = stmt.where(FeedSubscription.resource_code == resource_code)
    providers: dict[str, str | None] = {}
    out = []
    # Subscriptions are few (one per consumer system and resource), so the provider is resolved per code here
    # rather than by joining the catalog's tables (a domain reads another through its service).
    for sub in session.scalars(stmt):
        if sub.resource_code not in providers:
            info = catalog_port.resource_by_code(session, sub.resource_code)
            providers[sub.resource_code] = info.provider_org_id if info is not None else None
        provider = providers[sub.resource_code]
        if sees_all or actor.org_id in (sub.org_id, provider):
            out.append(
                SubscriptionOverview.model_validate(
                    {
                        **SubscriptionRead.model_validate(sub, from_attributes=True).model_dump(),
                        "provider_org_id": provider,
                    }
                )
            )
    return out


def _audit_change(session: Session, actor: Principal, sub: FeedSubscription, action: str, **detail: object) -> None:
    audit_of(session).record(
        session,
        actor=actor,
        action=action,
        object_type="subscription",
        object_id=sub.id,
        detail={"resource_code": sub.resource_code, "status": sub.status, "cursor": sub.cursor, **detail},
    )


def pause(session: Session, *, actor: Principal, subscription_id: str) -> FeedSubscription:
    sub = get_subscription(session, actor=actor, subscription_id=subscription_id)
    if sub.status != PAUSED:
        sub.status = PAUSED
        session.flush()
        _audit_change(session, actor, sub, "exchange.subscription.pause")
    return sub


def resume(session: Session, *, actor: Principal, subscription_id: str) -> FeedSubscription:
    """Active again (also after "failed"): attempts reset, due at once. The policy is checked at the next page."""
    sub = get_subscription(session, actor=actor, subscription_id=subscription_id)
    if sub.status != ACTIVE:
        previous = sub.status
        sub.status, sub.attempts, sub.next_attempt_at, sub.lease_until = ACTIVE, 0, None, None
        session.flush()
        _audit_change(session, actor, sub, "exchange.subscription.resume", previous=previous)
    return sub


def delete_subscription(session: Session, *, actor: Principal, subscription_id: str) -> None:
    sub = get_subscription(session, actor=actor, subscription_id=subscription_id)
    _audit_change(session, actor, sub, "exchange.subscription.delete")
    session.execute(delete(FeedSubscription).where(FeedSubscription.id == sub.id))


# ---- delivery ---------------------------------------------------------------------------------------------
@dataclass
class DeliveryReport:
    """What one pass of :func:`deliver_due` did, by subscription id."""

    delivered: list[str] = field(default_factory=list)  # a page was sent and acknowledged (2xx)
    failed: list[str] = field(default_factory=list)  # sent, not acknowledged: retried later (backoff)
    stopped: list[str] = field(default_factory=list)  # status became "failed" (refused, or too many failures)
    deferred: list[str] = field(default_factory=list)  # quota exhausted: retried after Retry-After
    idle: list[str] = field(default_factory=list)  # nothing new
    rows: int = 0

    def describe(self) -> str:
        return (
            f"delivered {len(self.delivered)} pages ({self.rows} rows), failed {len(self.failed)}, "
            f"stopped {len(self.stopped)}, deferred {len(self.deferred)}, idle {len(self.idle)}"
        )


@dataclass(frozen=True, slots=True)
class _Claimed:
    id: str
    system_id: str
    resource_code: str
    purpose_category: str
    purpose: str
    endpoint_url: str
    format: str
    page_size: int
    cursor: int
    pending_until: int | None
    attempts: int


def idempotency_key(subscription_id: str, cursor: int, next_cursor: int) -> str:
    """Stable for one subscription and one range of seqs: a repeat of a page carries the same key."""
    return f"{subscription_id}:{cursor}-{next_cursor}"


def signing_input(subscription_id: str, key: str, sha256: str) -> bytes:
    """What ``X-Govshare-Signature`` signs: the context, the subscription, the Idempotency-Key (which names the
    seq range) and the SHA-256 of the body, joined by newlines."""
    return b"\n".join([SIGNATURE_CONTEXT, subscription_id.encode(), key.encode(), sha256.encode()])


def backoff_seconds(attempts: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with "equal jitter": half of the step fixed, half random; never above ``cap``."""
    step = min(cap, base * (2 ** max(0, attempts - 1)))
    return step / 2 + (rng or random).uniform(0, step / 2)


def _due(now: datetime):  # noqa: ANN202
    return (
        FeedSubscription.status == ACTIVE,
        or_(FeedSubscription.next_attempt_at.is_(None), FeedSubscription.next_attempt_at <= now),
        or_(FeedSubscription.lease_until.is_(None), FeedSubscription.lease_until <= now),
    )


def deliver_due(
    runtime: Runtime,
    now: datetime | None = None,
    *,
    client: httpx.Client | None = None,
    bus: feeds.FeedBus | None = None,
    limit: int = 200,
) -> DeliveryReport:
    """One pass: one page to every due subscription (active, not backing off, not claimed by another worker)."""
    now = now or utcnow()
    settings = runtime.settings
    with runtime.db.read() as session:
        ids = list(
            session.scalars(
                select(FeedSubscription.id)
                .where(*_due(now))
                .order_by(FeedSubscription.updated_at, FeedSubscription.id)
                .limit(limit)
            )
        )
    report = DeliveryReport()
    if not ids:
        return report
    own = client is None
    client = client or httpx.Client(timeout=settings.feeds_push_timeout_seconds, follow_redirects=False)
    try:
        workers = max(1, min(settings.feeds_push_concurrency, len(ids)))
        if workers == 1:
            outcomes = [deliver_one(runtime, i, now=now, client=client, bus=bus) for i in ids]
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="feed-push") as pool:
                outcomes = list(pool.map(lambda i: deliver_one(runtime, i, now=now, client=client, bus=bus), ids))
    finally:
        if own:
            client.close()
    for sub_id, (outcome, rows) in zip(ids, outcomes, strict=True):
        if outcome != "skipped":
            getattr(report, outcome).append(sub_id)
        report.rows += rows
    return report


def _claim(runtime: Runtime, sub_id: str, now: datetime) -> _Claimed | None:
    lease = now + timedelta(seconds=runtime.settings.feeds_push_timeout_seconds + 60)
    with runtime.db.write() as session:
        claimed = session.execute(
            update(FeedSubscription)
            .where(FeedSubscription.id == sub_id, *_due(now))
            .values(lease_until=lease)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            return None
        s = session.get(FeedSubscription, sub_id)
        return _Claimed(
            s.id,
            s.system_id,
            s.resource_code,
            s.purpose_category,
            s.purpose,
            s.endpoint_url,
            s.format,
            s.page_size,
            s.cursor,
            s.pending_until,
            s.attempts,
        )


def _system_principal(runtime: Runtime, system_id: str) -> Principal:
    from govshare.identity.principal import OrgKind

    with runtime.db.read() as session:
        row = session.execute(
            select(System.id, System.name, System.active, Organization.id, Organization.active, Organization.kind)
            .join(Organization, Organization.id == System.org_id)
            .where(System.id == system_id)
        ).first()
    if row is None or not row[2] or not row[4]:
        raise Problem(
            403, "system_disabled", "应用系统或单位已停用", "the subscribing system or its organization is disabled"
        )
    return Principal(
        kind="system", id=row[0], org_id=row[3], name=row[1], org_is_operator=row[5] == OrgKind.platform_operator
    )


def _update(runtime: Runtime, sub_id: str, **values: object) -> None:
    with runtime.db.write() as session:
        session.execute(
            update(FeedSubscription)
            .where(FeedSubscription.id == sub_id)
            .values(**values, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )


def _stop(runtime: Runtime, c: _Claimed, principal: Principal | None, code: str, message: str) -> None:
    """Status "failed" and why, with an audit record, in one transaction."""
    with runtime.db.write() as session:
        session.execute(
            update(FeedSubscription)
            .where(FeedSubscription.id == c.id)
            .values(status=FAILED, last_error=f"{code}: {message}"[:2000], lease_until=None, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        audit_of(session).record(
            session,
            actor=principal or Principal(kind="system", id=c.system_id, org_id=None, name=c.system_id),
            action="exchange.subscription.stopped",
            outcome="denied" if code not in ("delivery_failed",) else "error",
            object_type="subscription",
            object_id=c.id,
            purpose=f"{c.purpose_category}: {c.purpose}",
            detail={"resource_code": c.resource_code, "code": code, "message": message, "cursor": c.cursor},
        )
    log.warning("feed_subscription_stopped", subscription=c.id, resource=c.resource_code, code=code)


def deliver_one(
    runtime: Runtime,
    sub_id: str,
    *,
    now: datetime | None = None,
    client: httpx.Client,
    bus: feeds.FeedBus | None = None,
) -> tuple[str, int]:
    """Send one subscription its next page. Returns (outcome, rows acknowledged); outcome is one of the
    :class:`DeliveryReport` lists, or "skipped" when another worker holds it or it is no longer due."""
    now = now or utcnow()
    c = _claim(runtime, sub_id, now)
    if c is None:
        return "skipped", 0
    principal: Principal | None = None
    bus = bus or feeds.bus_for(runtime)
    try:
        principal = _system_principal(runtime, c.system_id)
        if c.pending_until is None and bus.head(c.resource_code) <= c.cursor:
            # Nothing new. The policy is still asked (cached, nothing spent), so a revoked grant stops the
            # subscription now rather than at the next change.
            feeds.check_policy(runtime, principal, c.resource_code, c.purpose_category, c.purpose)
            _update(runtime, c.id, lease_until=None)
            return "idle", 0
        page = feeds.build_page(
            runtime,
            principal=principal,
            code=c.resource_code,
            cursor=c.cursor,
            limit=c.page_size,
            purpose_category=c.purpose_category,
            purpose=c.purpose,
            fmt=c.format,
            until=c.pending_until,
            channel="push",
            subscription_id=c.id,
            bus=bus,
        )
    except Problem as exc:
        if exc.status == 429:
            retry = int((exc.headers or {}).get("Retry-After", "60"))
            _update(
                runtime, c.id, lease_until=None, next_attempt_at=now + timedelta(seconds=retry), last_error=exc.code
            )
            return "deferred", 0
        if exc.status < 500:
            _stop(runtime, c, principal, exc.code, exc.message_en)
            return "stopped", 0
        return _failed(runtime, c, principal, now, f"{exc.code}: {exc.message_en}")
    except Exception as exc:  # the store or the audit log briefly unavailable: retried with backoff
        log.exception("feed_page_build_failed", subscription=c.id)
        return _failed(runtime, c, principal, now, exc.__class__.__name__)
    if page.rows == 0:
        _update(runtime, c.id, lease_until=None, pending_until=None)
        return "idle", 0
    if c.pending_until is None:
        _update(runtime, c.id, pending_until=page.next_cursor)  # the range in flight: a retry re-sends it
    key = idempotency_key(c.id, page.cursor, page.next_cursor)
    signer = runtime.keys.signer
    signature = b64url(signer.sign(signing_input(c.id, key, page.sha256)))
    headers = {
        "Content-Type": page.media_type,
        "Idempotency-Key": key,
        "X-Govshare-Subscription": c.id,
        "X-Govshare-Resource": c.resource_code,
        "X-Govshare-Format": page.format,
        "X-Govshare-Cursor": str(page.cursor),
        "X-Govshare-Next-Cursor": str(page.next_cursor),
        "X-Govshare-Has-More": "true" if page.has_more else "false",
        "X-Govshare-Rows": str(page.rows),
        "X-Govshare-SHA256": page.sha256,
        "X-Govshare-Signature": f'kid="{signer.key_id}", alg="{signer.algorithm}", sig="{signature}"',
        "User-Agent": "govshare-feed-push/1",
    }
    if page.audit_seq is not None:
        headers["X-Govshare-Audit-Seq"] = str(page.audit_seq)
    try:
        resp = client.post(c.endpoint_url, content=page.body, headers=headers)
    except httpx.TimeoutException:
        return _failed(runtime, c, principal, now, "timeout")
    except httpx.HTTPError as exc:
        return _failed(runtime, c, principal, now, f"{exc.__class__.__name__}: {exc}")
    if not 200 <= resp.status_code < 300:
        return _failed(runtime, c, principal, now, f"HTTP {resp.status_code}")
    with runtime.db.write() as session:
        session.execute(
            update(FeedSubscription)
            .where(FeedSubscription.id == c.id, FeedSubscription.cursor == c.cursor)
            .values(
                cursor=page.next_cursor,
                pending_until=None,
                attempts=0,
                last_error=None,
                next_attempt_at=None,
                lease_until=None,
                delivered_pages=FeedSubscription.delivered_pages + 1,
                delivered_rows=FeedSubscription.delivered_rows + page.rows,
                last_delivered_at=now,
                updated_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
    log.info("feed_page_pushed", subscription=c.id, cursor=page.cursor, next_cursor=page.next_cursor, rows=page.rows)
    return "delivered", page.rows


def _failed(runtime: Runtime, c: _Claimed, principal: Principal | None, now: datetime, error: str) -> tuple[str, int]:
    s = runtime.settings
    attempts = c.attempts + 1
    if attempts >= s.feeds_push_max_attempts:
        _update(runtime, c.id, attempts=attempts)
        _stop(runtime, c, principal, "delivery_failed", f"{attempts} failed attempts; last: {error}")
        return "stopped", 0
    delay = backoff_seconds(attempts, base=s.feeds_push_backoff_base_seconds, cap=s.feeds_push_backoff_max_seconds)
    _update(
        runtime,
        c.id,
        attempts=attempts,
        last_error=error[:2000],
        next_attempt_at=now + timedelta(seconds=delay),
        lease_until=None,
    )
    log.info("feed_push_failed", subscription=c.id, attempts=attempts, error=error, retry_in_s=round(delay, 2))
    return "failed", 0


async def run_forever(runtime: Runtime, stop: asyncio.Event) -> None:
    """The app's background loop: a pass every ``feeds_push_interval_seconds``, or straight away while the last
    pass delivered something (a snapshot drains at full speed)."""
    interval = runtime.settings.feeds_push_interval_seconds
    while not stop.is_set():
        delivered = False
        try:
            report = await asyncio.to_thread(deliver_due, runtime)
            delivered = bool(report.delivered)
        except Exception:  # the loop survives a bad pass (store briefly unavailable, …)
            log.exception("feed_push_pass_failed")
        if delivered:
            await asyncio.sleep(0)
            continue
        try:
            await asyncio.wait_for(stop.wait(), interval)
        except TimeoutError:
            pass
