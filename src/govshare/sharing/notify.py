"""Notifications: an inbox per user (rows in the store) and outbound hooks (e-mail, webhook …).

A notification is addressed to one user or to every holder of a role in an organization (see
:class:`~govshare.sharing.models.Notification`). Outbound delivery happens only *after* the transaction that
created the notification commits — a rolled-back approval must not e-mail anyone. Hooks implement
:class:`NotificationHook`; the default logs (structlog), real channels plug in with :func:`set_hooks`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog
from sqlalchemy import and_, event, false, func, or_, select
from sqlalchemy.orm import Session

from govshare.db import utcnow
from govshare.errors import Problem, not_found
from govshare.identity.principal import Principal
from govshare.sharing.models import Notification, NotificationRead

log = structlog.get_logger("govshare.sharing.notify")


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    id: str
    kind: str
    title_zh: str
    title_en: str
    body: str
    org_id: str | None
    role: str | None
    user_id: str | None
    object_type: str | None
    object_id: str | None
    created_at: datetime


class NotificationHook(Protocol):
    def deliver(self, message: OutboundMessage) -> None: ...


class LoggingHook:
    """The default outbound channel: one structured log line per notification."""

    def deliver(self, message: OutboundMessage) -> None:
        log.info(
            "notification",
            id=message.id,
            kind=message.kind,
            title=message.title_zh,
            org_id=message.org_id,
            role=message.role,
            user_id=message.user_id,
            object_type=message.object_type,
            object_id=message.object_id,
        )


_hooks: list[NotificationHook] = [LoggingHook()]


def set_hooks(hooks: Sequence[NotificationHook]) -> None:
    """Replace the outbound channels (e.g. ``[LoggingHook(), SmtpHook(...), WebhookHook(...)]``)."""
    _hooks[:] = list(hooks)


def after_commit(session: Session, key: str, fn: Callable[[], None]) -> None:
    """Run ``fn`` once after ``session``'s transaction commits (dropped on rollback). One per ``key``."""
    pending: dict[str, Callable[[], None]] = session.info.setdefault("sharing_after_commit", {})
    if not session.info.get("sharing_after_commit_listening"):
        session.info["sharing_after_commit_listening"] = True

        def _commit(sess: Session) -> None:
            todo = sess.info.pop("sharing_after_commit", {})
            for callback in todo.values():
                try:
                    callback()
                except Exception as exc:  # a failing side channel never undoes a committed change
                    log.warning("after_commit_failed", error=str(exc))

        def _rollback(sess: Session) -> None:
            sess.info.pop("sharing_after_commit", None)

        event.listen(session, "after_commit", _commit)
        event.listen(session, "after_soft_rollback", lambda sess, _prev: _rollback(sess))
    pending[key] = fn


def _deliver(messages: list[OutboundMessage]) -> None:
    for message in messages:
        for hook in list(_hooks):
            try:
                hook.deliver(message)
            except Exception as exc:  # one broken channel must not stop the others
                log.warning("notification_hook_failed", hook=type(hook).__name__, error=str(exc))


def notify(
    session: Session,
    *,
    kind: str,
    title_zh: str,
    title_en: str,
    body: str = "",
    org_id: str | None = None,
    role: str | None = None,
    user_id: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
) -> Notification:
    """Put a notification in the inbox of ``user_id`` or of the ``role`` holders of ``org_id``."""
    if user_id is None and org_id is None:
        raise ValueError("a notification needs a user or an organization")
    n = Notification(
        created_at=utcnow(),
        org_id=org_id,
        role=role,
        user_id=user_id,
        kind=kind,
        title_zh=title_zh[:200],
        title_en=title_en[:200],
        body=body,
        object_type=object_type,
        object_id=object_id,
    )
    session.add(n)
    session.flush()
    outbox: list[OutboundMessage] = session.info.setdefault("sharing_outbox", [])
    outbox.append(
        OutboundMessage(
            n.id, kind, n.title_zh, n.title_en, body, org_id, role, user_id, object_type, object_id, n.created_at
        )
    )

    def _flush_outbox() -> None:
        _deliver(session.info.pop("sharing_outbox", []))

    after_commit(session, "notify", _flush_outbox)
    return n


# ---- the inbox ----------------------------------------------------------------------------------------
def _addressed_to(actor: Principal):  # noqa: ANN202
    roles = [r.value for r in actor.roles]
    to_org = and_(
        Notification.org_id == actor.org_id,
        Notification.user_id.is_(None),
        or_(Notification.role.is_(None), Notification.role.in_(roles) if roles else false()),
    )
    return or_(Notification.user_id == actor.id, to_org)


def _require_user(actor: Principal) -> None:
    if not actor.is_user:
        raise Problem(403, "inbox_users_only", "只有工作人员有消息收件箱", "only staff users have an inbox")


def inbox(
    session: Session, *, actor: Principal, unread_only: bool = False, limit: int = 50, before: datetime | None = None
) -> list[tuple[Notification, datetime | None]]:
    _require_user(actor)
    stmt = (
        select(Notification, NotificationRead.read_at)
        .outerjoin(
            NotificationRead,
            and_(NotificationRead.notification_id == Notification.id, NotificationRead.user_id == actor.id),
        )
        .where(_addressed_to(actor))
    )
    if unread_only:
        stmt = stmt.where(NotificationRead.read_at.is_(None))
    if before is not None:
        stmt = stmt.where(Notification.created_at < before)
    stmt = stmt.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(min(max(limit, 1), 200))
    return [(n, read_at) for n, read_at in session.execute(stmt).all()]


def unread_count(session: Session, *, actor: Principal) -> int:
    _require_user(actor)
    stmt = (
        select(func.count())
        .select_from(Notification)
        .outerjoin(
            NotificationRead,
            and_(NotificationRead.notification_id == Notification.id, NotificationRead.user_id == actor.id),
        )
        .where(_addressed_to(actor), NotificationRead.read_at.is_(None))
    )
    return int(session.scalar(stmt) or 0)


def mark_read(session: Session, *, actor: Principal, notification_id: str) -> Notification:
    """Read markers are personal inbox state, not a change of shared data: they are not audited."""
    _require_user(actor)
    n = session.scalar(select(Notification).where(Notification.id == notification_id, _addressed_to(actor)))
    if n is None:
        raise not_found("notification", "消息")
    if session.get(NotificationRead, (n.id, actor.id)) is None:
        session.add(NotificationRead(notification_id=n.id, user_id=actor.id, read_at=utcnow()))
        session.flush()
    return n


def mark_all_read(session: Session, *, actor: Principal) -> int:
    now, total = utcnow(), 0
    while rows := inbox(session, actor=actor, unread_only=True, limit=200):
        for n, _ in rows:
            session.add(NotificationRead(notification_id=n.id, user_id=actor.id, read_at=now))
        session.flush()
        total += len(rows)
    return total
