"""Audit tables. Rows are only ever inserted; nothing in the platform updates or deletes them."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govshare.db import Base


class AuditRecord(Base):
    __tablename__ = "audit_record"

    #: On SQLite an INTEGER PRIMARY KEY is the rowid itself: the chain is stored in seq order, and a
    #: verifier's ordered scan reads the table sequentially instead of through a separate index.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    #: Microseconds since the Unix epoch (UTC); an integer so that the hashed form is exact on every store.
    ts_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    actor_kind: Mapped[str] = mapped_column(String(16), nullable=False)  # user | system | platform | public
    actor_id: Mapped[str] = mapped_column(String(64), nullable=False)
    actor_org_id: Mapped[str | None] = mapped_column(String(64))
    on_behalf_of: Mapped[str | None] = mapped_column(String(128))  # end user a system acts for (经办人)
    action: Mapped[str] = mapped_column(String(96), nullable=False)  # e.g. identity.credential.revoke
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(128))
    object_org_id: Mapped[str | None] = mapped_column(String(64))  # owner of the object (provider)
    #: Keyed hash (HMAC-SHA256 with the platform's pepper) of the person or entity the data is about,
    #: so the citizen can find every use of their data without the log holding ID numbers in clear.
    subject_ref: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(256))
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)  # ok | denied | failed
    request_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)  # canonical JSON (sorted keys)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)

    __table_args__ = (
        Index("ix_audit_record_actor_org_ts", "actor_org_id", "ts_us"),
        Index("ix_audit_record_object_org_ts", "object_org_id", "ts_us"),
        Index("ix_audit_record_subject_ref", "subject_ref"),
        Index("ix_audit_record_action_ts", "action", "ts_us"),
        Index("ix_audit_record_ts", "ts_us"),
    )


class AuditCheckpoint(Base):
    """A signed statement "the chain had head ``hash`` at ``seq``": truncation and rewriting become evident."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
    ts_us: Mapped[int] = mapped_column(BigInteger, nullable=False)
    hash_alg: Mapped[str] = mapped_column(String(16), nullable=False)
    key_id: Mapped[str] = mapped_column(String(64), nullable=False)
    signature: Mapped[str] = mapped_column(String(200), nullable=False)  # base64url
