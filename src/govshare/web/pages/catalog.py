"""目录 (catalog): search with facets, resource pages, drafts (create, edit, submit), the operator's review queue
and the spreadsheet import.

Every read and write goes through :mod:`govshare.catalog.service` (and ``catalog.spreadsheet`` for files); the
service decides visibility — another department's draft is a 404 there, and so here.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from govshare.catalog import checks as catalog_checks
from govshare.catalog import service as catalog
from govshare.catalog import spreadsheet
from govshare.catalog import vocab as cv
from govshare.catalog.permissions import is_reviewer, sees_workflow
from govshare.catalog.schemas import ResourceContent, ResourceCreate, ResourceRead
from govshare.catalog.vocab import Status
from govshare.deps import ReadSession, RuntimeDep
from govshare.errors import Problem, forbidden
from govshare.identity.principal import Principal
from govshare.web import access
from govshare.web.catalog_view import (
    CHECK_LABELS,
    CHECK_STATUS,
    SORTS,
    facet_groups,
    field_label,
    resource_rows,
    search_query,
    value_text,
)
from govshare.web.forms import FormErrors, error_message
from govshare.web.i18n import N_, Translator
from govshare.web.labels import register_action_labels
from govshare.web.menu import MenuItem, register_item, register_section
from govshare.web.pages.common import FLASH_MESSAGES, html_router, page, t_of
from govshare.web.render import is_htmx, redirect, render, url_with
from govshare.web.session import Form, Staff
from govshare.web.vocab import catalog_options, class_options

router = html_router()

register_section("catalog", N_("目录"), order=20)
register_item(MenuItem("catalog.search", "catalog", N_("资源目录"), "/console/catalog", 10))
register_item(MenuItem("catalog.new", "catalog", N_("编目"), "/console/catalog/new", 20, access.can_edit_catalog))
register_item(
    MenuItem("catalog.reviews", "catalog", N_("审核"), "/console/catalog/reviews", 30, access.can_see_reviews)
)
register_item(
    MenuItem("catalog.import", "catalog", N_("表格导入"), "/console/catalog/import", 40, access.can_edit_catalog)
)

register_action_labels(
    {
        "catalog.resource.create": N_("新建资源"),
        "catalog.resource.update": N_("修改资源"),
        "catalog.resource.delete": N_("删除草稿"),
        "catalog.resource.discard_revision": N_("放弃修改"),
        "catalog.resource.submit": N_("提交审核"),
        "catalog.resource.approve": N_("审核通过"),
        "catalog.resource.reject": N_("审核驳回"),
        "catalog.resource.revoke_request": N_("申请撤销资源"),
        "catalog.resource.revoke": N_("撤销资源"),
        "catalog.resource.revoke_reject": N_("驳回撤销申请"),
        "catalog.resource.served_by": N_("设置服务方式"),
    },
    {"resource": N_("资源")},
)
FLASH_MESSAGES.update(
    {
        "draft_saved": N_("草稿已保存。"),
        "revision_saved": N_("修改已保存，审核通过后替换已发布的版本。"),
        "submitted": N_("已提交审核。"),
        "approved": N_("已审核通过并发布。"),
        "rejected": N_("已驳回。"),
    }
)

#: Blank item rows offered under the existing ones in the draft form.
BLANK_ITEMS = 3
ITEM_FIELDS = ("name", "machine_name", "data_type", "length", "description", "sensitivity", "masking", "share_type")
TEXT_FIELDS = (
    "name",
    "summary",
    "classification_kind",
    "classification_code",
    "share_type",
    "share_condition",
    "share_basis",
    "share_reason",
    "open_type",
    "open_condition",
    "update_cycle",
    "network",
    "keywords",
    "related_codes",
)
LIST_FIELDS = ("formats", "share_modes")


# ---- search ---------------------------------------------------------------------------------------
def search_context(request: Request, session: Session, actor: Principal | None, t: Translator) -> dict[str, Any]:
    """The search's results and facets (console and portal)."""
    query = search_query(request.query_params, public=actor is None)
    result, error = None, None
    try:
        result = catalog.search(session, actor=actor, query=query)
    except Problem as exc:
        error = t.pick(exc.message_zh, exc.message_en)
    next_url = url_with(request, cursor=result.next_cursor) if result and result.next_cursor else None
    return {
        "query": query,
        "result": result,
        "search_error": error,
        "facets": facet_groups(result, query, t),
        "sorts": SORTS,
        "next_url": next_url,
        "first_url": url_with(request, cursor=None) if query.cursor else None,
        "class_text": lambda code: t.gettext(cv.class_label(code[:3])),
        "value_text": lambda name, value: value_text(t, name, value),
    }


@router.get("/console/catalog")
def search(request: Request, principal: Staff, session: ReadSession) -> Response:
    t = t_of(request)
    ctx = search_context(request, session, principal, t)
    if is_htmx(request) and request.headers.get("hx-target") == "catalog-results":
        return render(request, "catalog/_results.html", {**ctx, "base": "/console/catalog", "link": _console_link})
    return page(
        request,
        principal,
        session,
        "console/catalog/search.html",
        active="catalog.search",
        title=t.gettext("资源目录"),
        base="/console/catalog",
        link=_console_link,
        status_options=catalog_options(t, cv.Status),
        **ctx,
    )


def _console_link(hit_id: str) -> str:
    return f"/console/catalog/resources/{hit_id}"


# ---- a resource -----------------------------------------------------------------------------------
def items_view(read: ResourceRead, t: Translator) -> list[dict[str, Any]]:
    return [
        {
            "i": i,
            "type": value_text(t, "data_type", i.data_type),
            "share": value_text(t, "share_type", i.effective_share_type),
            "level": f"{i.sensitivity} {value_text(t, 'sensitivity', i.sensitivity)}" if i.sensitivity else "—",
        }
        for i in read.items
    ]


def _diff_view(session: Session, principal: Principal, r_id: str, a: str, b: str, t: Translator) -> dict[str, Any]:
    d = catalog.diff(session, actor=principal, resource_id=r_id, from_=a, to=b)
    return {
        "from": d.from_version,
        "to": d.to_version,
        "fields": [
            {
                "label": field_label(t, c.field),
                "old": value_text(t, c.field, c.old),
                "new": value_text(t, c.field, c.new),
            }
            for c in d.fields
        ],
        "added": d.items_added,
        "removed": d.items_removed,
        "changed": [
            {
                "machine_name": ic.machine_name,
                "changes": [
                    {
                        "label": field_label(t, c.field),
                        "old": value_text(t, c.field, c.old),
                        "new": value_text(t, c.field, c.new),
                    }
                    for c in ic.changes
                ],
            }
            for ic in d.items_changed
        ],
    }


def checks_view(checks: dict[str, Any] | None, t: Translator) -> list[dict[str, Any]]:
    """The four checks as stored on a review (or as run now) for the template."""
    if not checks:
        return []
    out = []
    for c in checks.get("checks", []):
        out.append(
            {
                "name": c["name"],
                "label": t.gettext(CHECK_LABELS.get(c["name"], c["name"])),
                "status": c["status"],
                "status_label": t.gettext(CHECK_STATUS.get(c["status"], c["status"])),
                "findings": [
                    {
                        "severity": f["severity"],
                        "field": field_label(t, f["field"].split(".")[-1]) if f.get("field") else "",
                        "message": t.pick(f["message_zh"], f["message_en"]),
                        "refs": f.get("refs", []),
                    }
                    for f in c.get("findings", [])
                ],
            }
        )
    return out


def _resource_page(
    request: Request,
    principal: Principal,
    session: Session,
    resource_id: str,
    *,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    t = t_of(request)
    r = catalog.get_visible(session, actor=principal, resource_id=resource_id)
    read = catalog.resource_read(session, actor=principal, r=r)
    inside = sees_workflow(principal, r.provider_org_id)
    versions = catalog.list_versions(session, actor=principal, resource_id=r.id)
    diff = None
    a, b = request.query_params.get("from"), request.query_params.get("to")
    if a and b:
        try:
            diff = _diff_view(session, principal, r.id, a, b, t)
        except Problem as exc:
            if exc.status == 404 and exc.code != "version_not_found":
                raise
            diff = {"error": t.pick(exc.message_zh, exc.message_en)}
    checks = catalog.run_checks(session, actor=principal, resource_id=r.id) if inside else None
    report = checks.completeness if checks else catalog_checks.completeness(catalog.content_of(r))
    reviews = catalog.list_reviews(session, actor=principal, resource_id=r.id) if inside else []
    pending = next((v for v in reviews if v.decision is None), None)
    editor = access.can_edit_catalog(principal) and (
        principal.is_platform_admin or principal.org_id == r.provider_org_id
    )
    return page(
        request,
        principal,
        session,
        "console/catalog/resource.html",
        active="catalog.search",
        title=read.name,
        status_code=status_code,
        page_url=f"/console/catalog/resources/{r.id}",
        r=read,
        rows=resource_rows(read, t),
        items=items_view(read, t),
        versions=versions,
        diff=diff,
        inside=inside,
        checks=checks_view(checks.model_dump(mode="json"), t) if checks else [],
        duplicates=checks.duplicates if checks else [],
        report=report,
        missing=[field_label(t, m.split(".")[-1].split("[")[0]) for m in report.required.missing],
        reviews=reviews,
        pending=pending,
        can_edit=editor and r.status in (Status.draft, Status.rejected, Status.published),
        can_submit=editor and r.status in (Status.draft, Status.rejected),
        can_decide=pending is not None and is_reviewer(principal) and pending.submitted_by != principal.id,
        pending_checks=checks_view(pending.checks, t) if pending else [],
        can_apply=read.status == Status.published and access.can_file_requests(principal) and read.share_type != "none",
        errors=errors,
    )


@router.get("/console/catalog/resources/{resource_id}")
def resource(resource_id: str, request: Request, principal: Staff, session: ReadSession) -> Response:
    return _resource_page(request, principal, session, resource_id)


@router.post("/console/catalog/resources/{resource_id}/submit")
def submit(
    resource_id: str, request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep
) -> Response:
    t = t_of(request)
    errors = FormErrors()
    note = form.get("note")
    try:
        with runtime.db.write() as s:
            catalog.submit(
                s, actor=principal, resource_id=resource_id, note=note[:2000] if isinstance(note, str) else ""
            )
    except Problem as exc:
        if exc.status == 404:
            raise
        errors.add_problem(exc, t, set())
        return _resource_page(request, principal, session, resource_id, errors=errors, status_code=exc.status)
    return redirect(f"/console/catalog/resources/{resource_id}?done=submitted", request)


@router.post("/console/catalog/resources/{resource_id}/decide")
def decide(
    resource_id: str, request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep
) -> Response:
    t = t_of(request)
    errors = FormErrors()
    reason = form.get("reason")
    reason = reason.strip()[:2000] if isinstance(reason, str) else ""
    decision = form.get("decision")
    if decision not in ("approve", "reject"):
        raise Problem(422, "decision_invalid", "请选择通过或驳回", "choose approve or reject")
    try:
        with runtime.db.write() as s:
            if decision == "approve":
                catalog.approve(s, actor=principal, resource_id=resource_id, reason=reason)
            else:
                catalog.reject(s, actor=principal, resource_id=resource_id, reason=reason)
    except Problem as exc:
        if exc.status == 404:
            raise
        errors.add_problem(exc, t, {"reason"})
        return _resource_page(request, principal, session, resource_id, errors=errors, status_code=exc.status)
    target = request.query_params.get("back") == "queue"
    done = "approved" if decision == "approve" else "rejected"
    return redirect(
        f"/console/catalog/reviews?done={done}" if target else f"/console/catalog/resources/{resource_id}?done={done}",
        request,
    )


# ---- drafts ---------------------------------------------------------------------------------------
def _form_values(content: ResourceContent | None) -> dict[str, Any]:
    if content is None:
        return {
            "classification_kind": "department",
            "formats": [],
            "share_modes": [],
            "items": [],
            "is_data_source": False,
        }
    values: dict[str, Any] = content.model_dump(mode="json")
    values["keywords"] = "，".join(content.keywords)
    values["related_codes"] = "，".join(content.related_codes)
    return values


def _split(text: str) -> list[str]:
    for sep in ("，", "；", ";", "、"):
        text = text.replace(sep, ",")
    return [p.strip() for p in text.split(",") if p.strip()]


def _read_form(form: FormData) -> dict[str, Any]:
    """The posted draft as the form shows it again (strings), with the item rows that have any text."""
    values: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        v = form.get(name)
        values[name] = v.strip() if isinstance(v, str) else ""
    for name in LIST_FIELDS:
        values[name] = [v for v in form.getlist(name) if isinstance(v, str) and v]
    values["is_data_source"] = form.get("is_data_source") == "1"
    columns = {f: [v if isinstance(v, str) else "" for v in form.getlist(f"item_{f}")] for f in ITEM_FIELDS}
    keys = {v for v in form.getlist("item_is_key") if isinstance(v, str)}
    sensitive = {v for v in form.getlist("item_is_sensitive") if isinstance(v, str)}
    rows = max((len(c) for c in columns.values()), default=0)
    items = []
    for n in range(rows):
        row = {f: (columns[f][n].strip() if n < len(columns[f]) else "") for f in ITEM_FIELDS}
        if not row["name"] and not row["machine_name"]:
            continue
        row["is_key"] = str(n) in keys
        row["is_sensitive"] = str(n) in sensitive
        items.append(row)
    values["items"] = items
    return values


def _content(values: dict[str, Any], errors: FormErrors, t: Translator) -> ResourceContent | None:
    """Form values → the service's schema. Item errors land on ``items.N.field`` (the row's cell)."""
    data: dict[str, Any] = {
        k: (v if v != "" else None)
        for k, v in values.items()
        if k
        not in ("keywords", "related_codes", "items", "summary", "share_condition", "share_basis", "open_condition")
    }
    for k in ("summary", "share_condition", "share_basis", "open_condition"):
        data[k] = values[k]
    data["keywords"] = _split(values["keywords"])
    data["related_codes"] = _split(values["related_codes"])
    data["items"] = [
        {
            **{k: (v if v != "" else None) for k, v in row.items() if k != "description"},
            "description": row["description"],
        }
        for row in values["items"]
    ]
    try:
        return ResourceContent.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = err.get("loc", ())
            message = error_message(err, t)
            if len(loc) >= 3 and loc[0] == "items" and isinstance(loc[1], int):
                errors.fields.setdefault(f"items.{loc[1]}.{loc[2]}", message)
                errors.fields.setdefault("items", t.gettext("信息项有错误，请检查标出的单元格"))
            elif loc:
                errors.fields.setdefault(str(loc[0]), message)
            else:
                errors.general.append(message)
        return None


def _problem_errors(exc: Problem, errors: FormErrors, t: Translator) -> None:
    """A service refusal: every issue it lists (``errors`` of a validation problem) next to its field."""
    issues = exc.extra.get("errors") if isinstance(exc.extra.get("errors"), list) else None
    if not issues:
        errors.add_problem(exc, t, None)
        return
    for issue in issues:
        name = (issue.get("field") or "").replace("[", ".").replace("]", "")
        message = t.pick(issue.get("message_zh"), issue.get("message_en"))
        if name.startswith("items."):
            errors.fields.setdefault(name, message)
            errors.fields.setdefault("items", t.gettext("信息项有错误，请检查标出的单元格"))
        elif name:
            errors.fields.setdefault(name, message)
        else:
            errors.general.append(message)


def _draft_page(
    request: Request,
    principal: Principal,
    session: Session,
    *,
    values: dict[str, Any],
    resource: ResourceRead | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    t = t_of(request)
    items = list(values.get("items", [])) + [{} for _ in range(BLANK_ITEMS)]
    return page(
        request,
        principal,
        session,
        "console/catalog/edit.html",
        active="catalog.new" if resource is None else "catalog.search",
        title=t.gettext("编辑资源") if resource else t.gettext("新建资源"),
        status_code=status_code,
        r=resource,
        values=values,
        items=items,
        errors=errors,
        kinds=catalog_options(t, cv.ClassificationKind),
        classes=class_options(t),
        share_types=catalog_options(t, cv.ShareType),
        share_reasons=catalog_options(t, cv.ShareReason),
        share_modes=catalog_options(t, cv.ShareMode),
        open_types=catalog_options(t, cv.OpenType),
        cycles=catalog_options(t, cv.UpdateCycle),
        networks=catalog_options(t, cv.Network),
        formats=catalog_options(t, cv.ResourceFormat),
        data_types=catalog_options(t, cv.DataType),
        levels=[(v, f"{v} {label}") for v, label in catalog_options(t, cv.Sensitivity)],
    )


def _require_editor(principal: Principal) -> None:
    if not access.can_edit_catalog(principal):
        raise forbidden("需要目录管理员角色", "requires role: catalog_manager")


@router.get("/console/catalog/new")
def new_draft(request: Request, principal: Staff, session: ReadSession) -> Response:
    _require_editor(principal)
    return _draft_page(request, principal, session, values=_form_values(None))


@router.post("/console/catalog/new")
def create_draft(request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep) -> Response:
    t = t_of(request)
    _require_editor(principal)
    values = _read_form(form)
    errors = FormErrors()
    content = _content(values, errors, t)
    created = None
    if content is not None:
        try:
            with runtime.db.write() as s:
                created = catalog.create_resource(s, actor=principal, data=ResourceCreate(**content.model_dump())).id
        except Problem as exc:
            if exc.status == 404 and exc.field != "provider_org_id":
                raise
            _problem_errors(exc, errors, t)
    if errors or created is None:
        return _draft_page(request, principal, session, values=values, errors=errors, status_code=422)
    return redirect(f"/console/catalog/resources/{created}?done=draft_saved", request)


@router.get("/console/catalog/resources/{resource_id}/edit")
def edit_draft(resource_id: str, request: Request, principal: Staff, session: ReadSession) -> Response:
    r = catalog.get_visible(session, actor=principal, resource_id=resource_id)
    if not sees_workflow(principal, r.provider_org_id):
        raise forbidden("只有提供单位可以修改资源", "only the provider edits a resource")
    _require_editor(principal)
    read = catalog.resource_read(session, actor=principal, r=r)
    return _draft_page(request, principal, session, values=_form_values(catalog.working_of(r)), resource=read)


@router.post("/console/catalog/resources/{resource_id}/edit")
def save_draft(
    resource_id: str, request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep
) -> Response:
    t = t_of(request)
    r = catalog.get_visible(session, actor=principal, resource_id=resource_id)
    _require_editor(principal)
    values = _read_form(form)
    errors = FormErrors()
    content = _content(values, errors, t)
    published = r.status == Status.published
    if content is not None:
        try:
            with runtime.db.write() as s:
                catalog.replace_content(s, actor=principal, resource_id=resource_id, content=content)
        except Problem as exc:
            if exc.status == 404:
                raise
            _problem_errors(exc, errors, t)
    if errors:
        read = catalog.resource_read(session, actor=principal, r=r)
        return _draft_page(request, principal, session, values=values, resource=read, errors=errors, status_code=422)
    done = "revision_saved" if published else "draft_saved"
    return redirect(f"/console/catalog/resources/{resource_id}?done={done}", request)


# ---- review queue ---------------------------------------------------------------------------------
@router.get("/console/catalog/reviews")
def reviews(request: Request, principal: Staff, session: ReadSession) -> Response:
    t = t_of(request)
    if not access.can_see_reviews(principal):
        raise forbidden("需要目录管理员角色", "requires role: catalog_manager")
    decided = request.query_params.get("decided") == "1"
    queue = catalog.review_queue(session, actor=principal, pending=not decided, limit=100)
    names = catalog.org_names(session, principal, {v.provider_org_id for v in queue})
    rows = []
    for v in queue:
        checks = checks_view(v.checks, t)
        dups = v.checks.get("duplicates", []) if v.checks else []
        rows.append({"v": v, "checks": checks, "duplicates": dups, "provider": names.get(v.provider_org_id, "")})
    return page(
        request,
        principal,
        session,
        "console/catalog/reviews.html",
        active="catalog.reviews",
        title=t.gettext("审核"),
        rows=rows,
        decided=decided,
        reviewer=is_reviewer(principal),
    )


# ---- spreadsheet import ---------------------------------------------------------------------------
MAX_UPLOAD = 20 * 1024 * 1024


def _import_page(request: Request, principal: Principal, session: Session, **extra: Any) -> Response:
    t = t_of(request)
    status_code = extra.pop("status_code", 200)
    return page(
        request,
        principal,
        session,
        "console/catalog/import.html",
        active="catalog.import",
        title=t.gettext("表格导入"),
        status_code=status_code,
        **extra,
    )


@router.get("/console/catalog/import")
def import_form(request: Request, principal: Staff, session: ReadSession) -> Response:
    _require_editor(principal)
    return _import_page(request, principal, session)


async def _read_upload(upload: Any) -> bytes | None:
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise Problem(422, "file_too_large", "文件超过 20 MB", "file larger than 20 MB", field="file")
    return data


@router.post("/console/catalog/import")
async def import_file(request: Request, principal: Staff, form: Form, runtime: RuntimeDep) -> Response:
    t = t_of(request)
    _require_editor(principal)
    upload, items_upload = form.get("file"), form.get("items")
    errors = FormErrors()
    cells: list[dict[str, Any]] = []
    result = None
    try:
        data = await _read_upload(upload)
        item_data = await _read_upload(items_upload)
        if data is None:
            raise Problem(422, "file_required", "请选择文件", "choose a file", field="file")
        name = (upload.filename or "").lower()  # type: ignore[union-attr]
        if name.endswith(".csv"):
            res_rows = spreadsheet.read_csv(data)
            item_rows = spreadsheet.read_csv(item_data) if item_data is not None else None
        elif name.endswith(".xlsx"):
            res_rows, item_rows = spreadsheet.read_xlsx(data)
        else:
            raise Problem(
                422, "file_type_unsupported", "只支持 .xlsx 和 .csv 文件", "only .xlsx and .csv", field="file"
            )
        with runtime.db.write() as s:
            result = spreadsheet.import_catalog(s, actor=principal, res_rows=res_rows, item_rows=item_rows)
    except Problem as exc:
        if exc.status == 404 or exc.code == "forbidden":
            raise
        errors.add_problem(exc, t, {"file", "items"})
        for e in exc.extra.get("errors", []) if exc.code == "import_invalid" else []:
            cells.append({**e, "message": t.pick(e.get("message_zh"), e.get("message_en"))})
    with runtime.db.read() as session:
        return _import_page(
            request,
            principal,
            session,
            errors=errors,
            cells=cells,
            result=result,
            status_code=422 if errors else 200,
        )


@router.get("/console/catalog/template.xlsx")
def template(principal: Staff) -> Response:
    data = (
        spreadsheet.TEMPLATE_PATH.read_bytes() if spreadsheet.TEMPLATE_PATH.exists() else spreadsheet.template_bytes()
    )
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="catalog_template.xlsx"', "Cache-Control": "no-store"},
    )
