"""审计 (audit): search the audit log (newest first, keyset paging); the platform's auditors verify the chain."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import orjson
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from govshare.audit import service as audit
from govshare.deps import ReadSession, RuntimeDep
from govshare.errors import forbidden
from govshare.identity import service as identity
from govshare.identity.principal import Principal
from govshare.standards.identifiers import is_valid_id_number, is_valid_uscc
from govshare.web import access
from govshare.web.forms import FormErrors
from govshare.web.i18n import N_, Translator
from govshare.web.labels import (
    ACTION_LABELS,
    ACTION_PREFIXES,
    ACTOR_KIND_LABELS,
    OBJECT_LABELS,
    OUTCOME_LABELS,
)
from govshare.web.menu import MenuItem, register_item, register_section
from govshare.web.pages.common import console_context, html_router, page, t_of
from govshare.web.render import CST, is_htmx, render
from govshare.web.session import Form, Staff, csrf_token

if TYPE_CHECKING:
    from govshare.audit.models import AuditRecord  # rows come from audit.service.search; typing only

router = html_router()

register_section("audit", N_("审计"), order=80)
register_item(MenuItem("audit.search", "audit", N_("审计日志"), "/console/audit", allowed=access.can_read_audit))

PAGE_SIZE = 50
FILTERS = ("actor", "org", "action", "object_type", "object_id", "subject", "purpose", "outcome", "since", "until")

CHAIN_FAULTS = {
    "changed": N_("记录内容与其哈希不符（被改动）"),
    "removed": N_("缺少记录（被删除）"),
    "inserted_or_reordered": N_("记录未链接到前一条（被插入或调换）"),
    "truncated": N_("签名检查点之后的记录缺失（被截断）"),
    "checkpoint_mismatch": N_("记录与签名检查点不符（链被重写）"),
    "bad_signature": N_("检查点签名无效"),
}


@dataclass
class Directory:
    """Names for the ids in the log, as far as the reader may see them (the department list is public;
    staff and systems are those of the reader's scope)."""

    orgs: dict[str, str] = field(default_factory=dict)
    users: dict[str, tuple[str, str]] = field(default_factory=dict)  # id → (display name, username)
    systems: dict[str, str] = field(default_factory=dict)
    user_ids: dict[str, str] = field(default_factory=dict)  # username → id
    system_ids: dict[str, str] = field(default_factory=dict)  # system code → id

    @classmethod
    def load(cls, session: Session, principal: Principal) -> Directory:
        d = cls()
        d.orgs = {o.id: o.name for o in identity.list_organizations(session, actor=principal)}
        if access.can_list_users(principal):
            for u in identity.list_users(session, actor=principal):
                d.users[u.id] = (u.display_name, u.username)
                d.user_ids[u.username] = u.id
        for s in identity.list_systems(session, actor=principal):
            d.systems[s.id] = s.name
            d.system_ids[s.code] = s.id
        return d

    def resolve_actor(self, text: str) -> str:
        return self.user_ids.get(text) or self.system_ids.get(text) or text

    def actor_name(self, r: AuditRecord) -> str:
        if r.actor_kind == "user" and r.actor_id in self.users:
            name, username = self.users[r.actor_id]
            return f"{name} ({username})"
        if r.actor_kind == "system" and r.actor_id in self.systems:
            return self.systems[r.actor_id]
        if r.actor_id.startswith("login:"):
            return r.actor_id.removeprefix("login:")
        return r.actor_id

    def object_name(self, r: AuditRecord) -> str | None:
        if r.object_id is None:
            return None
        if r.object_type == "user" and r.object_id in self.users:
            return self.users[r.object_id][0]
        if r.object_type == "system":
            return self.systems.get(r.object_id)
        if r.object_type == "organization":
            return self.orgs.get(r.object_id)
        return None


@dataclass
class Query:
    values: dict[str, str]
    errors: FormErrors
    hints: dict[str, str]
    kwargs: dict[str, Any]

    @property
    def active(self) -> bool:
        return any(self.values.values())

    def params(self, **extra: Any) -> str:
        """The query string of this search (for the "older records" link)."""
        pairs = {k: v for k, v in self.values.items() if v}
        pairs.update({k: v for k, v in extra.items() if v is not None})
        return urlencode(pairs)


def _day_us(text: str, *, end: bool) -> int:
    day = date.fromisoformat(text)
    moment = datetime.combine(day, time.max if end else time.min, tzinfo=CST)
    if end:  # exclusive upper bound: the first microsecond of the next day
        return int(moment.timestamp() * 1_000_000) + 1
    return int(moment.timestamp() * 1_000_000)


def _parse(request: Request, t: Translator, directory: Directory, principal: Principal) -> Query:
    values = {name: (request.query_params.get(name) or "").strip()[:128] for name in FILTERS}
    errors = FormErrors()
    hints: dict[str, str] = {}
    kwargs: dict[str, Any] = {}
    if values["actor"]:
        kwargs["actor_id"] = directory.resolve_actor(values["actor"])
    if values["org"] and principal.is_platform_auditor:
        kwargs["org_id"] = values["org"]
    if values["action"]:
        kwargs["action"] = values["action"]
    if values["object_type"]:
        kwargs["object_type"] = values["object_type"]
    if values["object_id"]:
        kwargs["object_id"] = values["object_id"]
    if values["subject"]:
        subject = values["subject"].upper()
        if not (is_valid_id_number(subject) or is_valid_uscc(subject)):
            # Still searched: a system may have logged a malformed number, and that record must be findable.
            hints["subject"] = t.gettext("这不是有效的公民身份号码或统一社会信用代码，仍按原样查找。")
        kwargs["subject"] = subject
    if values["purpose"]:
        kwargs["purpose"] = values["purpose"]
    if values["outcome"] in OUTCOME_LABELS:
        kwargs["outcome"] = values["outcome"]
    for name, end in (("since", False), ("until", True)):
        if values[name]:
            try:
                kwargs["since_us" if not end else "until_us"] = _day_us(values[name], end=end)
            except ValueError:
                errors.fields[name] = t.gettext("日期格式应为 YYYY-MM-DD")
    before = request.query_params.get("before")
    if before and before.isdigit():
        kwargs["before"] = int(before)
    return Query(values, errors, hints, kwargs)


def _row(r: AuditRecord, directory: Directory) -> dict[str, Any]:
    return {
        "r": r,
        "actor": directory.actor_name(r),
        "actor_org": directory.orgs.get(r.actor_org_id or ""),
        "object_name": directory.object_name(r),
        "object_org": directory.orgs.get(r.object_org_id or ""),
        "detail": orjson.dumps(orjson.loads(r.detail), option=orjson.OPT_INDENT_2).decode() if r.detail else None,
    }


def _search(
    request: Request, principal: Principal, session: Session, runtime, t: Translator
) -> tuple[Query, Directory, list[dict[str, Any]], int | None]:
    if not access.can_read_audit(principal):
        raise forbidden("需要审计员角色", "requires role: auditor")
    directory = Directory.load(session, principal)
    query = _parse(request, t, directory, principal)
    if query.errors:
        return query, directory, [], None
    rows, next_before = audit.search(session, actor=principal, audit=runtime.audit, limit=PAGE_SIZE, **query.kwargs)
    return query, directory, [_row(r, directory) for r in rows], next_before


def _labels() -> dict[str, Any]:
    return {
        "action_labels": ACTION_LABELS,
        "action_prefixes": ACTION_PREFIXES,
        "object_labels": OBJECT_LABELS,
        "outcome_labels": OUTCOME_LABELS,
        "actor_kind_labels": ACTOR_KIND_LABELS,
    }


def _audit_page(
    request: Request, principal: Principal, session: Session, runtime, *, chain: dict[str, Any] | None = None
) -> Response:
    t = t_of(request)
    query, directory, rows, next_before = _search(request, principal, session, runtime, t)
    context = {
        "query": query,
        "rows": rows,
        "next_before": next_before,
        "orgs": sorted(directory.orgs.items(), key=lambda kv: kv[1]),
        "usernames": sorted(directory.user_ids),
        "can_verify": access.can_verify_chain(principal),
        "platform_wide": principal.is_platform_auditor,
        "chain": chain,
        **_labels(),
    }
    status = 422 if query.errors else 200
    if request.headers.get("hx-target") == "audit-results":
        ctx = console_context(request, principal, session, active="audit.search", title="", **context)
        return render(request, "console/audit/_results.html", ctx, status_code=status)
    return page(
        request,
        principal,
        session,
        "console/audit/index.html",
        active="audit.search",
        title=t.gettext("审计日志"),
        status_code=status,
        page_url="/console/audit",
        **context,
    )


@router.get("/console/audit")
def audit_page(request: Request, principal: Staff, session: ReadSession, runtime: RuntimeDep) -> Response:
    return _audit_page(request, principal, session, runtime)


@router.get("/console/audit/more")
def audit_more(request: Request, principal: Staff, session: ReadSession, runtime: RuntimeDep) -> Response:
    """The next (older) page of rows, appended under the table by htmx."""
    t = t_of(request)
    query, _directory, rows, next_before = _search(request, principal, session, runtime, t)
    ctx = console_context(
        request, principal, session, active="audit.search", title="", query=query, rows=rows, next_before=next_before
    )
    ctx.update(_labels())
    return render(request, "console/audit/_rows.html", ctx)


@router.post("/console/audit/verify")
def verify(request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep) -> Response:
    """Walk the chain and check the signed checkpoints (on PostgreSQL inside the database). "recent" starts
    from the newest checkpoint whose signature holds: the cheap daily check; "full" walks everything."""
    if not access.can_verify_chain(principal):
        raise forbidden("只有平台审计员可以校验整条审计链", "only the platform's auditors verify the chain")
    recent = form.get("mode") == "recent"
    report = audit.verify_chain(runtime.db, runtime.keys, hash_alg=runtime.settings.audit_hash, since_checkpoint=recent)
    chain = {"report": report, "recent": recent, "fault_labels": CHAIN_FAULTS, "checked_at": datetime.now(CST)}
    if is_htmx(request):
        return render(request, "console/audit/_chain.html", {"chain": chain, "csrf": csrf_token(request)})
    return _audit_page(request, principal, session, runtime, chain=chain)
