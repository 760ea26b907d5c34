"""Sharing tables: requests and their history, grants, agreements, quota usage, objections, demands,
notifications, platform settings and the policy epoch.

Catalog rows are referenced by ``resource_id`` / ``resource_code`` as plain indexed strings, not foreign keys:
sharing reads the catalog only through its service (``catalog_port``), and a request keeps the name and
version of the resource as it was when applied for, so it stays readable after the catalog entry changes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from govshare.db import Base, UTCDateTime, new_id, utcnow


class SharingSetting(Base):
    """Platform-level settings of the workflow (e.g. ``reply_working_days``); a row overrides the default."""

    __tablename__ = "sharing_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), nullable=False)


class PolicyEpoch(Base):
    """One row (id = 1) whose ``value`` goes up with every change of a decision input (grant, catalog entry).

    Every process caches decision inputs; before deciding it reads this row (a primary-key lookup) and drops
    its cache when the value moved, so a revocation made by any process is seen by all on their next call."""

    __tablename__ = "sharing_epoch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class AccessRequest(Base):
    """共享申请 (application for conditional data) or 使用登记 (registered use of unconditional data)."""

    __tablename__ = "sharing_request"
    __table_args__ = (
        Index("ix_sharing_request_provider_status", "provider_org_id", "status"),
        Index("ix_sharing_request_consumer_status", "consumer_org_id", "status"),
        Index("ix_sharing_request_status_due", "status", "due_date"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)  # 申请编号
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    consumer_org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), nullable=False)
    system_id: Mapped[str] = mapped_column(ForeignKey("system.id"), nullable=False, index=True)
    requested_by: Mapped[str] = mapped_column(String(64), nullable=False)  # user or system id
    requested_by_name: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    provider_org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), nullable=False)
    resource_id: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    resource_code: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    resource_name: Mapped[str] = mapped_column(String(200), nullable=False)
    resource_version: Mapped[int | None] = mapped_column(Integer)
    items: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    purpose_category: Mapped[str] = mapped_column(String(32), nullable=False)
    purpose: Mapped[str] = mapped_column(Text, nullable=False)  # 使用场景
    legal_basis: Mapped[str] = mapped_column(Text, nullable=False, default="")  # 申请依据
    service_items: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)  # 关联政务服务事项
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_until: Mapped[date] = mapped_column(Date, nullable=False)  # inclusive (last day of use)
    expected_daily_calls: Mapped[int | None] = mapped_column(Integer)
    expected_daily_records: Mapped[int | None] = mapped_column(Integer)
    case_bound: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # 按办件使用
    contact_name: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    contact_phone: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    # ---- the provider's clock ----
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    reply_working_days: Mapped[int | None] = mapped_column(Integer)
    due_date: Mapped[date | None] = mapped_column(Date)
    due_approximate: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    clock_paused_on: Mapped[date | None] = mapped_column(Date)
    clock_remaining: Mapped[int | None] = mapped_column(Integer)  # working days left when paused
    info_request: Mapped[str] = mapped_column(Text, nullable=False, default="")
    info_response: Mapped[str] = mapped_column(Text, nullable=False, default="")
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # ---- the answer ----
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_by_org_id: Mapped[str | None] = mapped_column(String(32))
    decision_via: Mapped[str | None] = mapped_column(String(16))  # provider | coordination
    decision_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    reject_category: Mapped[str | None] = mapped_column(String(32))
    approved_items: Mapped[list[str] | None] = mapped_column(JSON)
    approved_valid_until: Mapped[date | None] = mapped_column(Date)
    narrowed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    grant_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class RequestEvent(Base):
    """The documented history of a request (submitted, info asked and given, answers, escalation …)."""

    __tablename__ = "sharing_request_event"
    __table_args__ = (Index("ix_sharing_request_event_request", "request_id", "at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(ForeignKey("sharing_request.id", ondelete="CASCADE"), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    actor_id: Mapped[str] = mapped_column(String(64), nullable=False)
    actor_name: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    actor_org_id: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)


class Grant(Base):
    """授权: what one consumer system may see of one resource, for which purpose, until when, how much a day."""

    __tablename__ = "sharing_grant"
    __table_args__ = (
        Index("ix_sharing_grant_system_resource", "system_id", "resource_code"),
        Index("ix_sharing_grant_provider", "provider_org_id", "status"),
        Index("ix_sharing_grant_consumer", "consumer_org_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # application | registration
    request_id: Mapped[str] = mapped_column(ForeignKey("sharing_request.id"), nullable=False, unique=True)
    consumer_org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), nullable=False)
    system_id: Mapped[str] = mapped_column(ForeignKey("system.id"), nullable=False)
    provider_org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), nullable=False)
    resource_id: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    resource_code: Mapped[str] = mapped_column(String(32), nullable=False)
    items: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)  # in clear
    masked_items: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)  # granted, shown masked
    purpose_category: Mapped[str] = mapped_column(String(32), nullable=False)
    purpose: Mapped[str] = mapped_column(Text, nullable=False, default="")
    case_required: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)  # exclusive
    daily_calls: Mapped[int | None] = mapped_column(Integer)  # None: no limit
    daily_records: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revoke_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Agreement(Base):
    """共享协议, one row per version. ``content`` is the agreed text's data; ``content_hash`` pins it."""

    __tablename__ = "sharing_agreement"
    __table_args__ = (UniqueConstraint("number", "version", name="uq_sharing_agreement_number_version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(32), nullable=False, index=True)  # 协议编号 (same for all versions)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    request_id: Mapped[str] = mapped_column(ForeignKey("sharing_request.id"), nullable=False, index=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("sharing_grant.id"), nullable=False, index=True)
    consumer_org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), nullable=False, index=True)
    provider_org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    content: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    change_note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    consumer_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consumer_confirmed_by: Mapped[str | None] = mapped_column(String(64))
    provider_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_confirmed_by: Mapped[str | None] = mapped_column(String(64))
    terminated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    terminated_by: Mapped[str | None] = mapped_column(String(64))
    termination_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)


class QuotaUsage(Base):
    """Per grant and day (Beijing date): quota leased to gateway processes, and use they reported back.

    ``reserved_*`` never exceeds the grant's limit (leases are taken under a row lock), so however many
    processes serve a consumer, together they cannot answer more than the limit."""

    __tablename__ = "sharing_quota_usage"
    __table_args__ = (PrimaryKeyConstraint("grant_id", "day", name="pk_sharing_quota_usage"),)

    grant_id: Mapped[str] = mapped_column(ForeignKey("sharing_grant.id", ondelete="CASCADE"), nullable=False)
    day: Mapped[str] = mapped_column(String(10), nullable=False)  # YYYY-MM-DD in China time
    reserved_calls: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    reserved_records: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    used_calls: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    used_records: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    refused_calls: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Objection(Base):
    """校核纠错: a consumer flags a record or item as doubtful; the provider corrects or explains in time."""

    __tablename__ = "sharing_objection"
    __table_args__ = (
        Index("ix_sharing_objection_provider_status", "provider_org_id", "status"),
        Index("ix_sharing_objection_consumer", "consumer_org_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)  # 纠错编号, carried by the fix
    consumer_org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), nullable=False)
    raised_by: Mapped[str] = mapped_column(String(64), nullable=False)
    raised_by_name: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    provider_org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), nullable=False)
    resource_id: Mapped[str] = mapped_column(String(32), nullable=False)
    resource_code: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    resource_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    grant_id: Mapped[str | None] = mapped_column(String(32))
    record_ref: Mapped[str] = mapped_column(String(200), nullable=False)  # key of the doubtful record
    items: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    evidence: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    working_days: Mapped[int] = mapped_column(Integer, nullable=False)
    due_date: Mapped[date] = mapped_column(Date, nullable=False)
    due_approximate: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    answer: Mapped[str] = mapped_column(Text, nullable=False, default="")
    correction: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # what was changed, with the objection number
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    close_note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Demand(Base):
    """需求清单: data a department needs that nobody catalogued yet."""

    __tablename__ = "sharing_demand"
    __table_args__ = (
        Index("ix_sharing_demand_status", "status", "created_at"),
        Index("ix_sharing_demand_routed", "routed_org_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), nullable=False, index=True)
    posted_by: Mapped[str] = mapped_column(String(64), nullable=False)
    posted_by_name: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    title: Mapped[str] = mapped_column(String(200), nullable=False)  # what data
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    reason: Mapped[str] = mapped_column(Text, nullable=False)  # why (use scenario)
    purpose_category: Mapped[str | None] = mapped_column(String(32))
    suspected_org_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"))
    suspected_holder: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    routed_org_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"))
    routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    routed_by: Mapped[str | None] = mapped_column(String(64))
    route_note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    answer: Mapped[str] = mapped_column(Text, nullable=False, default="")
    resource_code: Mapped[str | None] = mapped_column(String(32))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Notification(Base):
    """An inbox entry, addressed to one user or to every holder of a role in an organization.

    Addressing by (organization, role) instead of fanning out to users means staff who join later still see
    open work, and a notification is one row however many approvers a department has."""

    __tablename__ = "sharing_notification"
    __table_args__ = (
        Index("ix_sharing_notification_org", "org_id", "created_at"),
        Index("ix_sharing_notification_user", "user_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    org_id: Mapped[str | None] = mapped_column(ForeignKey("organization.id"))
    role: Mapped[str | None] = mapped_column(String(32))  # None with org_id: everyone of the organization
    user_id: Mapped[str | None] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(48), nullable=False)
    title_zh: Mapped[str] = mapped_column(String(200), nullable=False)
    title_en: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(32))


class NotificationRead(Base):
    __tablename__ = "sharing_notification_read"
    __table_args__ = (PrimaryKeyConstraint("notification_id", "user_id", name="pk_sharing_notification_read"),)

    notification_id: Mapped[str] = mapped_column(
        ForeignKey("sharing_notification.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[str] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
