"""The running platform: settings, store, keys and audit log, built once per process.

The app factory and the CLI build a :class:`Runtime`; every session it hands out carries it in
``session.info["runtime"]`` so domain services reach the audit log without globals.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from govshare.audit.service import AuditLog
from govshare.config import Settings
from govshare.crypto.signer import KeyStore
from govshare.db import Database


class Runtime:
    def __init__(self, settings: Settings, *, database_url: str | None = None) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database(database_url or settings.effective_database_url, settings=settings)
        self.keys = KeyStore(settings.keys_dir)
        self.audit = AuditLog(
            self.db,
            self.keys,
            hash_alg=settings.audit_hash,
            checkpoint_every=settings.audit_checkpoint_every,
            checkpoint_seconds=settings.audit_checkpoint_seconds,
            batch_max=settings.audit_batch_max,
            batch_wait_ms=settings.audit_batch_wait_ms,
        )
        self.db.info["runtime"] = self

    def close(self) -> None:
        self.audit.close()
        self.db.dispose()


def runtime_of(session: Session) -> Runtime:
    rt = session.info.get("runtime")
    if rt is None:
        raise RuntimeError("session was not opened through a Runtime's Database")
    return rt


def audit_of(session: Session) -> AuditLog:
    return runtime_of(session).audit
