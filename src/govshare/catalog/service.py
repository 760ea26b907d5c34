"""Catalog logic: the only code that writes resources, items, versions and reviews.

Every function takes the acting principal and a ``session``; it checks the right, makes the change, keeps the
search projection in step and appends the audit record — all in the caller's transaction, so a failure leaves
nothing half-written.

Lifecycle (状态):

    草稿 draft ──submit──▶ 发布待审核 pending_publish ──approve──▶ 已发布 published
        ▲                          └──reject──▶ 已驳回 rejected ──edit──▶ draft
        └──────── edit (a change to a published entry is kept as a revision; the published version stays live)
    已发布 published ──revoke──▶ 撤销待审核 pending_revoke ──approve──▶ 已撤销 revoked
                                          └──reject──▶ published
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from govshare.catalog import checks as checking
from govshare.catalog.models import Counter, Item, Resource, Review, Version
from govshare.catalog.permissions import is_reviewer, require_editor, require_reviewer, sees_workflow
from govshare.catalog.schemas import (
    ChecksRead,
    CompletenessOrg,
    DiffRead,
    FieldChange,
    ItemChange,
    ItemIn,
    ItemRead,
    ResourceContent,
    ResourceCreate,
    ResourcePatch,
    ResourceRead,
    ReviewRead,
    VersionRead,
    VersionSummary,
)
from govshare.catalog.search import SearchQuery, drop_doc, sync_doc
from govshare.catalog.search import search as run_search
from govshare.catalog.validation import ensure_valid
from govshare.catalog.vocab import (
    ClassificationKind,
    DataType,
    Network,
    OpenType,
    ResourceFormat,
    Sensitivity,
    ServedBy,
    ShareMode,
    ShareReason,
    ShareType,
    Status,
    UpdateCycle,
    class_label,
    label,
)
from govshare.db import utcnow
from govshare.errors import Problem, conflict, invalid, not_found
from govshare.identity import service as identity
from govshare.identity.principal import Principal
from govshare.runtime import audit_of

CONTENT_FIELDS = tuple(f for f in ResourceContent.model_fields if f != "items")
ITEM_FIELDS = tuple(ItemIn.model_fields)


# ---- helpers ---------------------------------------------------------------------------------------
_ORG_NAMES_TTL = 30.0
_org_names_cache: WeakKeyDictionary = WeakKeyDictionary()


def org_names(session: Session, actor: Principal | None, need: Iterable[str] = ()) -> dict[str, str]:
    """Names of all departments (the directory is public information).

    Search shows a provider name on every hit and facet, and loading the directory costs more than the search
    itself; so read sessions share a per-process copy for 30 s, refreshed early when an id in ``need`` is missing.
    Write sessions always read afresh (they may see uncommitted renames)."""
    rt = session.info.get("runtime")
    cacheable = rt is not None and not session.info.get("writable", True)
    if cacheable:
        hit = _org_names_cache.get(rt)
        if hit is not None and hit[0] > time.monotonic() and all(o in hit[1] for o in need):
            return hit[1]
    names = {o.id: o.name for o in identity.list_organizations(session, actor=actor)}  # type: ignore[arg-type]
    if cacheable:
        _org_names_cache[rt] = (time.monotonic() + _ORG_NAMES_TTL, names)
    return names


def _audit(session: Session, actor: Principal, action: str, r: Resource, **detail: Any) -> None:
    audit_of(session).record(
        session,
        actor=actor,
        action=action,
        object_type="resource",
        object_id=r.id,
        object_org_id=r.provider_org_id,
        detail={"code": r.code, **detail},
    )


def _transition_error(r: Resource, action_zh: str, action_en: str) -> Problem:
    return conflict(
        "invalid_transition",
        f"资源当前状态为「{label(Status, r.status)}」, 不能{action_zh}",
        f"cannot {action_en} a resource in status {r.status}",
        field="status",
    )


def content_of(r: Resource) -> ResourceContent:
    """The current content held in the columns (published version of a listed entry, else the draft)."""
    return ResourceContent(
        **{f: getattr(r, f) for f in CONTENT_FIELDS},
        items=[ItemIn(**{f: getattr(i, f) for f in ITEM_FIELDS}) for i in r.items],
    )


def working_of(r: Resource) -> ResourceContent:
    """What the provider is editing: the pending revision of a listed entry, else the current content."""
    return ResourceContent.model_validate(r.revision) if r.revision is not None else content_of(r)


def _dump(content: ResourceContent) -> dict[str, Any]:
    return content.model_dump(mode="json")


def _apply(session: Session, r: Resource, content: ResourceContent) -> None:
    data = _dump(content)
    for f in CONTENT_FIELDS:
        setattr(r, f, data[f])
    if r.items:
        # Delete the old items first: the unit of work would insert the new ones before deleting the orphans
        # and trip the (resource, machine name) unique constraint.
        r.items.clear()
        session.flush()
    r.items = [Item(position=n, **item) for n, item in enumerate(data["items"])]
    r.completeness = checking.completeness(content).score


def _next_code(session: Session, classification_code: str) -> str:
    """Resource code = classification code + "/" + a six-digit sequence per classification code.

    An upsert then an increment with RETURNING: on PostgreSQL the row lock serializes concurrent creators, on
    SQLite the write transaction already does; so two drafts never get the same code."""
    name = f"code:{classification_code}"
    dialect = session.get_bind().dialect.name
    ins = (postgresql if dialect == "postgresql" else sqlite).insert(Counter).values(name=name, value=0)
    session.execute(ins.on_conflict_do_nothing(index_elements=["name"]))
    table = Counter.__table__
    value = session.execute(
        update(table).where(table.c.name == name).values(value=table.c.value + 1).returning(table.c.value)
    ).scalar_one()
    if value > 999_999:
        raise conflict(
            "code_sequence_exhausted", "该分类下的资源代码已用尽", "resource codes of this classification are exhausted"
        )
    return f"{classification_code}/{value:06d}"


def _get(session: Session, resource_id: str) -> Resource:
    r = session.get(Resource, resource_id)
    if r is None:
        raise not_found("resource", "资源")
    return r


def _visible(actor: Principal | None, r: Resource) -> bool:
    if sees_workflow(actor, r.provider_org_id):
        return True
    if not r.is_listed:
        return False
    if actor is None:
        return r.open_type in (OpenType.unconditional, OpenType.conditional)
    return True


def get_visible(session: Session, *, actor: Principal | None, resource_id: str) -> Resource:
    r = session.get(Resource, resource_id)
    if r is None or not _visible(actor, r):
        raise not_found("resource", "资源")  # 404, not 403: another department cannot learn a draft exists
    return r


def get_by_code(session: Session, *, actor: Principal | None, code: str) -> Resource:
    r = session.scalar(select(Resource).where(Resource.code == code))
    if r is None or not _visible(actor, r):
        raise not_found("resource", "资源")
    return r


# ---- reading ---------------------------------------------------------------------------------------
def _labels(content: ResourceContent | Resource) -> dict[str, Any]:
    return {
        "classification_kind": label(ClassificationKind, content.classification_kind),
        "classification": class_label(content.classification_code[:3]),
        "share_type": label(ShareType, content.share_type),
        "share_reason": label(ShareReason, content.share_reason),
        "share_modes": [label(ShareMode, m) for m in content.share_modes],
        "open_type": label(OpenType, content.open_type),
        "update_cycle": label(UpdateCycle, content.update_cycle),
        "network": label(Network, content.network),
        "formats": [label(ResourceFormat, f) for f in content.formats],
    }


def _item_read(item: Item | ItemIn, resource_share: str | None) -> ItemRead:
    data = {f: getattr(item, f) for f in ITEM_FIELDS}
    labels = {
        k: v
        for k, v in {
            "data_type": label(DataType, item.data_type),
            "share_type": label(ShareType, item.share_type or resource_share),
            "sensitivity": label(Sensitivity, item.sensitivity),
        }.items()
        if v
    }
    return ItemRead(**data, effective_share_type=item.share_type or resource_share, labels=labels)


def resource_read(session: Session, *, actor: Principal | None, r: Resource) -> ResourceRead:
    org = identity.get_organization(session, actor=actor, org_id=r.provider_org_id)  # type: ignore[arg-type]
    inside = sees_workflow(actor, r.provider_org_id)
    status = r.status if inside else Status.published.value
    duplicates = None
    if inside and r.status in (Status.draft, Status.rejected, Status.pending_publish):
        duplicates = checking.duplicate_sources(
            session,
            working_of(r),
            provider_org_id=r.provider_org_id,
            resource_id=r.id,
            org_names=org_names(session, actor),
        )
    return ResourceRead(
        id=r.id,
        code=r.code,
        provider_org_id=r.provider_org_id,
        provider_name=org.name,
        provider_code=org.uscc,
        status=status,
        status_label=label(Status, status) or status,
        is_listed=r.is_listed,
        version=r.published_version,
        **{f: getattr(r, f) for f in CONTENT_FIELDS},
        items=[_item_read(i, r.share_type) for i in r.items],
        labels=_labels(r),
        served_by=r.served_by,
        served_by_ref=r.served_by_ref if inside else None,
        completeness=r.completeness,
        published_at=r.published_at,
        modified_at=r.modified_at,
        created_at=r.created_at,
        updated_at=r.updated_at,
        revision=ResourceContent.model_validate(r.revision) if inside and r.revision is not None else None,
        duplicates=duplicates,
    )


# ---- writing ---------------------------------------------------------------------------------------
def create_resource(session: Session, *, actor: Principal, data: ResourceCreate) -> Resource:
    provider = data.provider_org_id or actor.org_id
    if provider is None:
        raise invalid("provider_org_id", "provider_required", "请指定提供方单位", "provider organization required")
    try:
        identity.get_organization(session, actor=actor, org_id=provider)
    except Problem:
        raise not_found("organization", "单位", field="provider_org_id") from None
    require_editor(actor, provider)
    content = ResourceContent.model_validate(data.model_dump(exclude={"provider_org_id"}))
    ensure_valid(content)
    now = utcnow()
    r = Resource(
        code=_next_code(session, content.classification_code),
        provider_org_id=provider,
        status=Status.draft.value,
        is_listed=False,
        created_by=actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(r)
    _apply(session, r, content)
    session.flush()
    sync_doc(session, r)
    _audit(session, actor, "catalog.resource.create", r, name=r.name)
    return r


def replace_content(session: Session, *, actor: Principal, resource_id: str, content: ResourceContent) -> Resource:
    """Save new content: straight into a draft; as a pending revision for a published entry."""
    r = get_visible(session, actor=actor, resource_id=resource_id)
    require_editor(actor, r.provider_org_id)
    if r.status in (Status.pending_publish, Status.pending_revoke):
        raise conflict(
            "resource_under_review",
            "资源正在审核中, 不能修改",
            "the resource is under review and cannot be changed",
            field="status",
        )
    ensure_valid(content)
    before = working_of(r)
    if content.classification_code != r.classification_code or content.classification_kind != r.classification_kind:
        if r.published_version is not None:
            raise invalid(
                "classification_code",
                "classification_frozen",
                "资源发布后不能修改分类 (资源代码由分类生成, 已被引用)",
                "classification cannot change after publication: the code derives from it and is referenced",
            )
    changed = [c.field for c in _diff_fields(_dump(before), _dump(content))]
    if _dump(before)["items"] != _dump(content)["items"]:
        changed.append("items")
    if r.is_listed:
        r.revision = _dump(content)
        r.status = Status.draft.value
        content_changed = False
    else:
        if content.classification_code != r.classification_code:
            r.code = _next_code(session, content.classification_code)
        _apply(session, r, content)
        r.status = Status.draft.value
        content_changed = True
    r.updated_at = utcnow()
    session.flush()
    sync_doc(session, r, content_changed=content_changed)
    _audit(session, actor, "catalog.resource.update", r, changed=changed, revision=r.is_listed)
    return r


def patch_resource(session: Session, *, actor: Principal, resource_id: str, patch: ResourcePatch) -> Resource:
    r = get_visible(session, actor=actor, resource_id=resource_id)
    merged = _dump(working_of(r))
    merged.update(patch.model_dump(mode="json", exclude_unset=True))
    try:
        content = ResourceContent.model_validate(merged)
    except ValueError as exc:  # a patch that makes the whole invalid (e.g. clears a required field)
        errors = getattr(exc, "errors", lambda: [])()
        field_name = ".".join(str(p) for p in errors[0]["loc"]) if errors else None
        raise invalid(
            field_name or "body", "validation_failed", "修改后的内容无效", "the patched content is invalid"
        ) from None
    return replace_content(session, actor=actor, resource_id=resource_id, content=content)


def delete_resource(session: Session, *, actor: Principal, resource_id: str) -> None:
    """Delete a draft that was never published (a published entry is revoked, never deleted)."""
    r = get_visible(session, actor=actor, resource_id=resource_id)
    require_editor(actor, r.provider_org_id)
    if r.published_version is not None or r.status not in (Status.draft, Status.rejected):
        raise conflict(
            "cannot_delete",
            "只能删除从未发布的草稿; 已发布的资源请申请撤销",
            "only never-published drafts can be deleted; revoke a published resource instead",
            field="status",
        )
    _audit(session, actor, "catalog.resource.delete", r, name=r.name)
    drop_doc(session, r.id)
    session.delete(r)
    session.flush()


def discard_revision(session: Session, *, actor: Principal, resource_id: str) -> Resource:
    r = get_visible(session, actor=actor, resource_id=resource_id)
    require_editor(actor, r.provider_org_id)
    if r.revision is None or r.status not in (Status.draft, Status.rejected):
        raise _transition_error(r, "放弃修改", "discard the revision of")
    r.revision = None
    r.status = Status.published.value
    r.updated_at = utcnow()
    sync_doc(session, r, content_changed=False)
    _audit(session, actor, "catalog.resource.discard_revision", r)
    return r


def set_served_by(
    session: Session, *, actor: Principal, resource_id: str, served_by: ServedBy | None, ref: str | None
) -> Resource:
    """How the data is served (统一资源库表 / 提供方数据库 / 提供方接口): set by the library and exchange domains.
    Operational, not catalog metadata: no new version, no review; audited."""
    r = _get(session, resource_id)
    if not actor.is_platform_admin:
        require_editor(actor, r.provider_org_id)
    r.served_by = served_by.value if served_by else None
    r.served_by_ref = ref if served_by else None
    session.flush()
    _audit(session, actor, "catalog.resource.served_by", r, served_by=r.served_by, ref=r.served_by_ref)
    return r


# ---- review ----------------------------------------------------------------------------------------
def _checks(session: Session, actor: Principal | None, r: Resource, content: ResourceContent) -> ChecksRead:
    results, dups, report = checking.run_all(
        session,
        content,
        provider_org_id=r.provider_org_id,
        resource_id=r.id,
        own_code=r.code,
        org_names=org_names(session, actor),
    )
    ok = not dups and all(c.status != "fail" for c in results)
    return ChecksRead(resource_id=r.id, checks=results, duplicates=dups, completeness=report, ok=ok)


def run_checks(session: Session, *, actor: Principal, resource_id: str) -> ChecksRead:
    """The four checks and duplicate collection, on what the provider is editing (or what is published)."""
    r = get_visible(session, actor=actor, resource_id=resource_id)
    if not sees_workflow(actor, r.provider_org_id):
        raise not_found("resource", "资源")
    return _checks(session, actor, r, working_of(r))


def _pending_review(session: Session, r: Resource) -> Review:
    review = session.scalar(
        select(Review).where(Review.resource_id == r.id, Review.decision.is_(None)).order_by(Review.submitted_at.desc())
    )
    if review is None:  # only possible if the store was edited by hand
        raise conflict("review_missing", "找不到待审核记录", "no pending review for this resource")
    return review


def submit(session: Session, *, actor: Principal, resource_id: str, note: str = "") -> Review:
    r = get_visible(session, actor=actor, resource_id=resource_id)
    require_editor(actor, r.provider_org_id)
    if r.status not in (Status.draft, Status.rejected):
        raise _transition_error(r, "提交审核", "submit")
    report = _checks(session, actor, r, working_of(r))
    completeness_check = next(c for c in report.checks if c.name == "completeness")
    if completeness_check.status == "fail":
        missing = [f.field for f in completeness_check.findings if f.severity == "fail"]
        raise Problem(
            422,
            "resource_incomplete",
            f"必填元数据不完整, 不能提交审核: {', '.join(m or '' for m in missing)}",
            f"required metadata missing, cannot submit: {', '.join(m or '' for m in missing)}",
            field=missing[0] if missing else None,
            extra={"missing": missing, "checks": report.model_dump(mode="json")},
        )
    review = Review(
        resource_id=r.id,
        kind="publish",
        target_version=(r.published_version or 0) + 1,
        submitted_by=actor.id,
        submitted_by_name=actor.name,
        submitted_at=utcnow(),
        note=note,
        checks=report.model_dump(mode="json"),
    )
    session.add(review)
    r.status = Status.pending_publish.value
    r.updated_at = utcnow()
    session.flush()
    sync_doc(session, r, content_changed=False)
    _audit(
        session,
        actor,
        "catalog.resource.submit",
        r,
        review_id=review.id,
        checks={c.name: c.status for c in report.checks},
        duplicates=[d.code for d in report.duplicates],
    )
    return review


def request_revoke(session: Session, *, actor: Principal, resource_id: str, reason: str) -> Review:
    r = get_visible(session, actor=actor, resource_id=resource_id)
    require_editor(actor, r.provider_org_id)
    if r.status != Status.published or not r.is_listed:
        raise _transition_error(r, "申请撤销", "request revocation of")
    review = Review(
        resource_id=r.id,
        kind="revoke",
        target_version=r.published_version,
        submitted_by=actor.id,
        submitted_by_name=actor.name,
        submitted_at=utcnow(),
        note=reason,
        checks={},
    )
    session.add(review)
    r.status = Status.pending_revoke.value
    r.updated_at = utcnow()
    session.flush()
    sync_doc(session, r, content_changed=False)
    _audit(session, actor, "catalog.resource.revoke_request", r, review_id=review.id, reason=reason)
    return review


def _decide_preamble(session: Session, actor: Principal, resource_id: str) -> tuple[Resource, Review]:
    require_reviewer(actor)
    r = _get(session, resource_id)
    if r.status not in (Status.pending_publish, Status.pending_revoke):
        raise _transition_error(r, "审核", "decide on")
    review = _pending_review(session, r)
    if review.submitted_by == actor.id and actor.kind != "platform":
        raise Problem(
            403, "self_review_forbidden", "不能审核自己提交的申请", "you cannot decide on your own submission"
        )
    return r, review


def approve(session: Session, *, actor: Principal, resource_id: str, reason: str = "") -> Resource:
    r, review = _decide_preamble(session, actor, resource_id)
    now = utcnow()
    if review.kind == "publish":
        content = working_of(r)
        report = _checks(session, actor, r, content)
        if not report.ok and len(reason.strip()) < 2:
            failed = [c.name for c in report.checks if c.status == "fail"]
            if report.duplicates:
                failed.append("duplicate_collection")
            raise Problem(
                422,
                "approval_reason_required",
                f"检查未通过 ({', '.join(failed)}), 批准时必须填写理由",
                f"checks failed ({', '.join(failed)}); approving needs a reason",
                field="reason",
                extra={"failed": failed},
            )
        version = (r.published_version or 0) + 1
        _apply(session, r, content)
        r.revision = None
        r.status = Status.published.value
        r.is_listed = True
        r.published_version = version
        r.published_at = r.published_at or now
        r.modified_at = now
        r.updated_at = now
        session.flush()
        session.add(
            Version(
                resource_id=r.id,
                version=version,
                snapshot={"code": r.code, "version": version, **_dump(content)},
                published_at=now,
                approved_by=actor.id,
                review_id=review.id,
            )
        )
        review.checks = report.model_dump(mode="json")
        action, detail = "catalog.resource.approve", {"version": version, "checks_ok": report.ok}
        content_changed = True
    else:
        r.status = Status.revoked.value
        r.is_listed = False
        r.updated_at = now
        action, detail = "catalog.resource.revoke", {"version": r.published_version}
        content_changed = False
    review.decision = "approved"
    review.decided_by = actor.id
    review.decided_by_name = actor.name
    review.decided_at = now
    review.reason = reason
    session.flush()
    sync_doc(session, r, content_changed=content_changed)
    from govshare.sharing.service import catalog_changed  # late: sharing reads the catalog through its service

    catalog_changed(session, resource_code=r.code)  # published content/listing feed the policy decision
    _audit(session, actor, action, r, review_id=review.id, reason=reason, **detail)
    return r


def reject(session: Session, *, actor: Principal, resource_id: str, reason: str) -> Resource:
    if len(reason.strip()) < 2:
        raise invalid("reason", "reason_required", "驳回必须填写理由", "a rejection needs a reason")
    r, review = _decide_preamble(session, actor, resource_id)
    now = utcnow()
    if review.kind == "publish":
        r.status = Status.rejected.value
        action = "catalog.resource.reject"
    else:
        r.status = Status.published.value  # revocation refused: the entry stays published
        action = "catalog.resource.revoke_reject"
    r.updated_at = now
    review.decision = "rejected"
    review.decided_by = actor.id
    review.decided_by_name = actor.name
    review.decided_at = now
    review.reason = reason
    session.flush()
    sync_doc(session, r, content_changed=False)
    _audit(session, actor, action, r, review_id=review.id, reason=reason)
    return r


def _review_read(review: Review, r: Resource | None) -> ReviewRead:
    out = ReviewRead.model_validate(review)
    if r is not None:
        out.resource_code, out.resource_name, out.provider_org_id = r.code, r.name, r.provider_org_id
    return out


def review_read(session: Session, review: Review) -> ReviewRead:
    return _review_read(review, session.get(Resource, review.resource_id))


def list_reviews(session: Session, *, actor: Principal, resource_id: str) -> list[ReviewRead]:
    r = get_visible(session, actor=actor, resource_id=resource_id)
    if not sees_workflow(actor, r.provider_org_id):
        raise not_found("resource", "资源")
    reviews = session.scalars(select(Review).where(Review.resource_id == r.id).order_by(Review.submitted_at))
    return [_review_read(v, r) for v in reviews]


def review_queue(session: Session, *, actor: Principal, pending: bool = True, limit: int = 200) -> list[ReviewRead]:
    """Reviewers: every pending request. Others: their own department's requests."""
    stmt = select(Review, Resource).join(Resource, Resource.id == Review.resource_id)
    if pending:
        stmt = stmt.where(Review.decision.is_(None))
    if not is_reviewer(actor):
        stmt = stmt.where(Resource.provider_org_id == (actor.org_id or ""))
    stmt = stmt.order_by(Review.submitted_at.asc() if pending else Review.submitted_at.desc()).limit(limit)
    return [_review_read(v, r) for v, r in session.execute(stmt).all()]


# ---- versions and differences ----------------------------------------------------------------------
def list_versions(session: Session, *, actor: Principal | None, resource_id: str) -> list[VersionSummary]:
    r = get_visible(session, actor=actor, resource_id=resource_id)
    rows = session.scalars(select(Version).where(Version.resource_id == r.id).order_by(Version.version))
    return [VersionSummary(version=v.version, published_at=v.published_at, approved_by=v.approved_by) for v in rows]


def get_version(session: Session, *, actor: Principal | None, resource_id: str, version: int) -> VersionRead:
    r = get_visible(session, actor=actor, resource_id=resource_id)
    v = session.scalar(select(Version).where(Version.resource_id == r.id, Version.version == version))
    if v is None:
        raise not_found("version", "版本", str(version))
    return VersionRead(version=v.version, published_at=v.published_at, approved_by=v.approved_by, snapshot=v.snapshot)


def _diff_fields(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    return [FieldChange(field=f, old=old.get(f), new=new.get(f)) for f in CONTENT_FIELDS if old.get(f) != new.get(f)]


def diff_content(old: dict[str, Any], new: dict[str, Any], from_label: int | str, to_label: int | str) -> DiffRead:
    old_items = {i["machine_name"]: i for i in old.get("items", [])}
    new_items = {i["machine_name"]: i for i in new.get("items", [])}
    changed = []
    for name in new_items.keys() & old_items.keys():
        a, b = old_items[name], new_items[name]
        fields = [FieldChange(field=f, old=a.get(f), new=b.get(f)) for f in ITEM_FIELDS if a.get(f) != b.get(f)]
        if fields:
            changed.append(ItemChange(machine_name=name, changes=fields))
    return DiffRead(
        from_version=from_label,
        to_version=to_label,
        fields=_diff_fields(old, new),
        items_added=[n for n in new_items if n not in old_items],
        items_removed=[n for n in old_items if n not in new_items],
        items_changed=sorted(changed, key=lambda c: c.machine_name),
    )


def diff(session: Session, *, actor: Principal | None, resource_id: str, from_: str, to: str) -> DiffRead:
    """Differences between two published versions, or between one and the pending change (``working``)."""
    r = get_visible(session, actor=actor, resource_id=resource_id)

    def side(ref: str) -> tuple[dict[str, Any], int | str]:
        if ref == "working":
            if not sees_workflow(actor, r.provider_org_id):
                raise not_found("version", "版本", ref)
            return _dump(working_of(r)), "working"
        if not ref.isdigit():
            raise invalid("from", "version_invalid", f"版本号无效: {ref}", f"not a version: {ref}")
        v = session.scalar(select(Version).where(Version.resource_id == r.id, Version.version == int(ref)))
        if v is None:
            raise not_found("version", "版本", ref)
        return v.snapshot, int(ref)

    (old, a), (new, b) = side(from_), side(to)
    return diff_content(old, new, a, b)


# ---- completeness ----------------------------------------------------------------------------------
def completeness_by_org(session: Session, *, actor: Principal, org_id: str | None = None) -> list[CompletenessOrg]:
    """Per department: completeness of its published entries (average, range) and its unpublished count."""
    listed = Resource.is_listed.is_(True)
    stmt = select(
        Resource.provider_org_id,
        func.sum(case((listed, 1), else_=0)),
        func.avg(case((listed, Resource.completeness), else_=None)),
        func.min(case((listed, Resource.completeness), else_=None)),
        func.max(case((listed, Resource.completeness), else_=None)),
        func.sum(case((listed, 0), else_=1)),
    ).group_by(Resource.provider_org_id)
    if org_id:
        stmt = stmt.where(Resource.provider_org_id == org_id)
    names = org_names(session, actor)
    out = []
    for org, n, avg, lo, hi, drafts in session.execute(stmt):
        # Another department's unpublished count is its own business.
        drafts_visible = int(drafts or 0) if sees_workflow(actor, org) else 0
        out.append(
            CompletenessOrg(
                org_id=org,
                org_name=names.get(org, org),
                resources=int(n or 0),
                average=round(float(avg or 0), 1),
                minimum=round(float(lo or 0), 1),
                maximum=round(float(hi or 0), 1),
                drafts=drafts_visible,
            )
        )
    return sorted(out, key=lambda o: (-o.average, o.org_name))


# ---- search ----------------------------------------------------------------------------------------
def search(session: Session, *, actor: Principal | None, query: SearchQuery):
    return run_search(session, actor=actor, query=query, org_names=lambda need: org_names(session, actor, need))


def listed_for_export(
    session: Session, *, actor: Principal | None, open_only: bool, modified_since: datetime | None = None
):
    """Published entries in code order, for the open catalog (DCAT) and spreadsheet export."""
    stmt = select(Resource).where(Resource.is_listed.is_(True))
    if open_only or actor is None:
        stmt = stmt.where(Resource.open_type.in_([OpenType.unconditional.value, OpenType.conditional.value]))
    if modified_since is not None:
        stmt = stmt.where(Resource.modified_at >= modified_since)
    return stmt.order_by(Resource.code)


def resources_for_export(session: Session, *, actor: Principal | None, org_id: str | None = None) -> list[Resource]:
    """What a spreadsheet export holds: one department's entries (all of them, drafts included, for its own staff
    and reviewers; else its published ones), or the whole published catalog the caller sees."""
    if org_id and sees_workflow(actor, org_id):
        stmt = select(Resource).where(Resource.provider_org_id == org_id).order_by(Resource.code)
    else:
        stmt = listed_for_export(session, actor=actor, open_only=actor is None)
        if org_id:
            stmt = stmt.where(Resource.provider_org_id == org_id)
    return list(session.scalars(stmt))


# ---- open catalog (DCAT-AP) ------------------------------------------------------------------------
def public_base_url(configured: str, request_base: str) -> str:
    """The base of the open catalog's absolute links: ``GOVSHARE_PUBLIC_BASE_URL`` when set (behind a reverse
    proxy the request's host is an internal name), else the request's own base. No trailing slash."""
    base = configured.strip() or request_base
    return base.rstrip("/")


def open_catalog_graph(
    session: Session,
    *,
    base_url: str,
    page: int = 1,
    page_size: int = 100,
    modified_since: datetime | None = None,
):
    """One page of the open catalog (无条件/有条件开放, published) as a DCAT-AP graph. Public: no actor."""
    from govshare.catalog import dcat
    from govshare.standards.regions import region_full_name

    if page < 1:
        raise invalid("page", "page_invalid", "页码从 1 开始", "page numbers start at 1")
    if not 1 <= page_size <= 1000:
        raise invalid("page_size", "page_size_invalid", "每页条数应为 1–1000", "page_size must be 1–1000")
    if modified_since is not None and modified_since.tzinfo is None:
        raise invalid("modified_since", "timezone_required", "时间须带时区, 如 2026-01-01T00:00:00Z", "give a timezone")
    stmt = listed_for_export(session, actor=None, open_only=True, modified_since=modified_since)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    resources = list(session.scalars(stmt.offset((page - 1) * page_size).limit(page_size)))
    orgs = {
        o.id: dcat.Org(o.id, o.name, o.uscc, o.region_code)
        for o in identity.list_organizations(session, actor=None)  # type: ignore[arg-type]
    }
    op = identity.platform_operator(session)
    operator = orgs.get(op.id) if op else None
    regions = {o.region_code: region_full_name(o.region_code) or o.region_code for o in orgs.values()}
    first, last = session.execute(
        select(func.min(Resource.published_at), func.max(Resource.modified_at)).where(
            Resource.is_listed.is_(True),
            Resource.open_type.in_([OpenType.unconditional.value, OpenType.conditional.value]),
        )
    ).one()
    return dcat.build_graph(
        resources,
        base_url=base_url,
        orgs=orgs,
        operator=operator,
        region_names=regions,
        page=dcat.Page(page, page_size, total),
        modified_since=modified_since,
        issued=first,
        modified=last,
    )
