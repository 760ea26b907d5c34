"""Tables of the web UI: the citizen page's sign-in state (我的数据使用记录), shared by every worker process.

- ``citizen_signin``: a pending one-time code (``kind`` "code") or a signed-in session (``kind`` "session"),
  found by the SHA-256 of the random token in the person's cookie (the token itself is never stored). A code is
  stored as HMAC-SHA256 keyed with that token, so the table alone does not give the 6 digits away. Rows past
  ``expires_at`` are refused and removed.
- ``citizen_signin_attempt``: one row per counted attempt, per ID number (its keyed hash, as in the audit log)
  and per client address, for the sliding-window rate limits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from govshare.db import Base, UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class CitizenSignin(Base):
    __tablename__ = "citizen_signin"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # code | session
    id_number: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    code_hash: Mapped[str | None] = mapped_column(String(64))
    tries: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    csrf: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class CitizenSigninAttempt(Base):
    __tablename__ = "citizen_signin_attempt"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(8), nullable=False)  # id | ip
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (Index("ix_citizen_signin_attempt_key", "scope", "key_hash", "at"),)
