"""Exchange tables: how each resource's data is fetched (provider bindings); push subscriptions to feeds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govshare.db import Base, UTCDateTime, new_id, utcnow


class ProviderBinding(Base):
    """Where a resource's data lives: the provider's database or API (same source, 同源).

    ``config`` holds what is safe to show (table, column mapping, URL template, JMESPath mapping, timeout);
    ``secret`` the credentials (database URL with password, auth header value), AES-GCM encrypted under the
    platform's data key and never returned by the API.
    """

    __tablename__ = "exchange_binding"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    resource_code: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    provider_org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # sql | http
    config: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    secret: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_by: Mapped[str] = mapped_column(String(64), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class FeedSubscription(Base):
    """A push subscription (推送订阅): a consumer system's endpoint gets a resource's feed pages as they come.

    Delivery state lives on the row: ``cursor`` (the last seq the endpoint acknowledged with a 2xx),
    ``pending_until`` (the last seq of the page in flight — a retry, even after a crash, re-sends exactly that
    range under the same Idempotency-Key), ``attempts`` / ``last_error`` / ``next_attempt_at`` (backoff), and
    ``lease_until`` (a worker's claim, so two workers never deliver the same subscription at once).
    ``status``: active | paused | failed.
    """

    __tablename__ = "exchange_subscription"
    __table_args__ = (Index("ix_exchange_subscription_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organization.id"), nullable=False, index=True)
    system_id: Mapped[str] = mapped_column(ForeignKey("system.id"), nullable=False, index=True)
    resource_code: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    purpose_category: Mapped[str] = mapped_column(String(32), nullable=False)
    purpose: Mapped[str] = mapped_column(String(256), nullable=False)
    endpoint_url: Mapped[str] = mapped_column(String(500), nullable=False)
    format: Mapped[str] = mapped_column(String(16), nullable=False)  # jsonl | csv | parquet
    page_size: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    cursor: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    pending_until: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_pages: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    delivered_rows: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    last_delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
