"""Exchange tables: how each resource's data is fetched (provider bindings)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
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
