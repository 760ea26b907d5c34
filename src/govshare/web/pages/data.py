"""数据 (data): the unified resource library's tables, the ingestion upload with its report (counts per cleaning
and validation rule, the quarantined values page by page), past ingests per table, and the quality reports
with charts (per field; the score's history) and a button to run a new one.

Rights are the library service's (:mod:`govshare.library.service`): ingest into a table — its provider
department's org admins and catalog managers (and the platform administrator); ingest reports — the provider
department and the platform's auditors; quality reports — the provider's admins, catalog managers and
auditors, and the platform's auditors. The menu mirrors them; the service decides.

An upload is streamed from the request into a temporary file under ``DATA_DIR/uploads`` (as the API does),
never read into memory, and ingested synchronously; the page shows an htmx indicator meanwhile.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from govshare.deps import ReadSession, RuntimeDep
from govshare.errors import Problem, forbidden
from govshare.identity import service as identity
from govshare.identity.principal import Principal
from govshare.library import service as library
from govshare.library.ingest import IngestOptions
from govshare.library.models import LibraryTable
from govshare.library.readers import FORMATS
from govshare.web.charts import Chart, _base, bar_chart, line_chart
from govshare.web.forms import FormErrors, text_fields
from govshare.web.i18n import N_, Translator
from govshare.web.labels import register_action_labels
from govshare.web.menu import MenuItem, register_item, register_section
from govshare.web.pages.common import FLASH_MESSAGES, html_router, page, t_of
from govshare.web.render import format_datetime, redirect, url_with
from govshare.web.session import Form, Staff

router = html_router()

QUARANTINE_PAGE = 50
UPLOAD_SUFFIXES = {".csv", ".txt", ".xlsx", ".jsonl", ".ndjson", ".json", ".parquet"}
ENCODINGS = ("utf-8", "gb18030")
DIMENSIONS = (
    ("completeness", N_("完整性")),
    ("validity", N_("有效性")),
    ("uniqueness", N_("唯一性")),
    ("timeliness", N_("及时性")),
    ("consistency", N_("一致性")),
)
STATUS_LABELS = {
    "running": N_("导入中"),
    "completed": N_("已完成"),
    "failed": N_("失败"),
    "interrupted": N_("已中断"),
}
CONSISTENCY_STATUS = {"ok": N_("已检查"), "not_applicable": N_("不适用")}


def can_ingest_somewhere(p: Principal) -> bool:
    """As library.service._can_write for staff: the platform admin, or a department's admins/catalog managers."""
    return p.is_platform_admin or p.has(*library.WRITE_ROLES)


def can_see_quality_somewhere(p: Principal) -> bool:
    """As library.service._require_quality: the platform's auditors, or a provider's admins/managers/auditors."""
    return p.is_platform_auditor or p.has(*library.READ_ROLES)


def can_ingest(p: Principal, table: LibraryTable) -> bool:
    return p.is_platform_admin or (p.org_id == table.provider_org_id and p.has(*library.WRITE_ROLES))


def can_see_ingests(p: Principal, table: LibraryTable) -> bool:
    return p.is_platform_auditor or p.org_id == table.provider_org_id


def can_see_quality(p: Principal, table: LibraryTable) -> bool:
    return p.is_platform_auditor or (p.org_id == table.provider_org_id and p.has(*library.READ_ROLES))


register_section("data", N_("数据"), order=40)
register_item(MenuItem("data.tables", "data", N_("数据导入"), "/console/data", 10, can_ingest_somewhere))
register_item(MenuItem("data.quality", "data", N_("质量报告"), "/console/data/quality", 20, can_see_quality_somewhere))
register_action_labels(
    {
        "library.ingest": N_("导入数据"),
        "library.quality.run": N_("生成质量报告"),
        "library.table.create": N_("登记资源库表"),
        "library.table.update": N_("修改资源库表"),
        "library.record.read": N_("查询库中记录"),
        "library.record.history": N_("查询记录历史"),
        "library.record.changes": N_("读取增量"),
        "open.download": N_("开放数据下载"),
    },
    {"library_table": N_("资源库表")},
)
FLASH_MESSAGES.update({"quality_run": N_("质量报告已生成。")})


def _table_or_404(session: Session, actor: Principal, code: str) -> LibraryTable:
    return library.get_table(session, actor=actor, code=code)


def _org_names(session: Session, actor: Principal) -> dict[str, str]:
    return {o.id: o.name for o in identity.list_organizations(session, actor=actor)}


# ---- the tables -----------------------------------------------------------------------------------------
@router.get("/console/data")
def tables(request: Request, principal: Staff, session: ReadSession) -> Response:
    t = t_of(request)
    if not (can_ingest_somewhere(principal) or can_see_quality_somewhere(principal)):
        raise forbidden("无权查看资源库", "no access to the resource library")
    names = _org_names(session, principal)
    rows = [
        {
            "t": tb,
            "provider": names.get(tb.provider_org_id, ""),
            "ingest": can_ingest(principal, tb),
            "ingests": can_see_ingests(principal, tb),
            "quality": can_see_quality(principal, tb),
        }
        for tb in library.list_tables(session, actor=principal)
    ]
    mine = request.query_params.get("all") != "1"
    if mine:
        rows = [r for r in rows if r["ingest"] or r["ingests"] or r["quality"]]
    return page(
        request,
        principal,
        session,
        "console/data/tables.html",
        active="data.tables",
        title=t.gettext("资源库"),
        rows=rows,
        mine=mine,
    )


# ---- upload ---------------------------------------------------------------------------------------------
def _ingest_page(
    request: Request,
    principal: Principal,
    session: Session,
    code: str,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    t = t_of(request)
    table = _table_or_404(session, principal, code)
    if not (can_ingest(principal, table) or can_see_ingests(principal, table)):
        raise forbidden("只能查看本部门的导入记录", "ingests are visible to the providing department")
    history = [library.ingest_read(i) for i in library.list_ingests(session, actor=principal, code=code, limit=50)]
    systems = [
        (s.code, f"{s.name}（{s.code}）")
        for s in identity.list_systems(session, actor=principal)
        if s.org_id == table.provider_org_id and s.active
    ]
    return page(
        request,
        principal,
        session,
        "console/data/ingest.html",
        active="data.tables",
        title=t.gettext("导入数据：%(name)s", name=table.name),
        status_code=status_code,
        page_url=f"/console/data/ingest?table={quote(code, safe='')}",
        table=library.table_read(table),
        fields=library.schema_of(table).fields,
        can_upload=can_ingest(principal, table),
        history=history,
        status_labels=STATUS_LABELS,
        formats=[(f, f.upper() if f != "jsonl" else "JSON Lines") for f in FORMATS],
        encodings=[(e, e.upper()) for e in ENCODINGS],
        systems=systems,
        values=values or {},
        errors=errors,
    )


@router.get("/console/data/ingest")
def ingest_form(request: Request, principal: Staff, session: ReadSession) -> Response:
    return _ingest_page(request, principal, session, request.query_params.get("table") or "")


@router.post("/console/data/ingest")
def upload(request: Request, principal: Staff, form: Form, session: ReadSession, runtime: RuntimeDep) -> Response:
    t = t_of(request)
    values = text_fields(form, "table", "format", "encoding", "source_system")
    code = values["table"]
    table = _table_or_404(session, principal, code)
    if not can_ingest(principal, table):
        raise forbidden(
            "只有数源部门(单位管理员、目录管理员)和平台管理员可以向该库导入数据",
            "only the providing department's admins and catalog managers, or platform admins, may ingest",
        )
    errors = FormErrors()
    upload = form.get("file")
    name = Path(upload.filename or "").name if isinstance(upload, UploadFile) else ""
    if not isinstance(upload, UploadFile) or not name:
        errors.fields["file"] = t.gettext("请选择要导入的文件")
    elif Path(name).suffix.lower() not in UPLOAD_SUFFIXES and not values["format"]:
        errors.fields["file"] = t.gettext("不支持的文件类型：请上传 CSV、Excel（.xlsx）、JSON Lines 或 Parquet 文件")
    if values["format"] and values["format"] not in FORMATS:
        errors.fields["format"] = t.gettext("请选择有效的选项")
    if values["encoding"] and values["encoding"] not in ENCODINGS:
        errors.fields["encoding"] = t.gettext("请选择有效的选项")
    ingest_id = None
    if not errors:
        assert isinstance(upload, UploadFile)
        spool_dir = runtime.settings.data_dir / "uploads"
        spool_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=spool_dir, suffix=Path(name).suffix) as tmp:
            upload.file.seek(0)
            shutil.copyfileobj(upload.file, tmp, length=1 << 20)
            tmp.flush()
            if tmp.tell() == 0:
                errors.fields["file"] = t.gettext("文件是空的")
            else:
                options = IngestOptions(
                    format=values["format"] or None,
                    encoding=values["encoding"] or None,
                    file_name=name,
                )
                try:
                    ingest_id = library.ingest(
                        runtime.db,
                        actor=principal,
                        code=code,
                        path=Path(tmp.name),
                        options=options,
                        source_system=values["source_system"] or None,
                    )
                except Problem as exc:
                    if exc.status in (403, 404):
                        raise
                    errors.add_problem(exc, t, {"file", "format", "encoding", "source_system"})
    if errors or ingest_id is None:
        return _ingest_page(request, principal, session, code, values=values, errors=errors, status_code=422)
    return redirect(f"/console/data/ingests/{ingest_id}", request)


# ---- an ingest report -----------------------------------------------------------------------------------
@router.get("/console/data/ingests/{ingest_id}")
def ingest_report(ingest_id: int, request: Request, principal: Staff, session: ReadSession) -> Response:
    t = t_of(request)
    report = library.ingest_read(library.get_ingest(session, actor=principal, ingest_id=ingest_id))
    rule = request.query_params.get("rule") or None
    field = request.query_params.get("field") or None
    page_no = request.query_params.get("page", "1")
    page_no = int(page_no) if page_no.isdigit() and int(page_no) > 0 else 1
    rows = library.list_quarantine(
        session,
        actor=principal,
        ingest_id=ingest_id,
        rule_code=rule,
        field=field,
        limit=QUARANTINE_PAGE + 1,
        offset=(page_no - 1) * QUARANTINE_PAGE,
    )
    has_next = len(rows) > QUARANTINE_PAGE
    rule_charts: list[Chart] = []
    counted = [(r.message_zh if t.is_zh else r.message_en, r.count) for r in report.cleaning + report.validation]
    if counted:
        rule_charts.append(bar_chart("ingest-rules", t.gettext("各规则处理的值"), counted[:15], t.gettext("数量")))
    return page(
        request,
        principal,
        session,
        "console/data/report.html",
        active="data.tables",
        title=t.gettext("导入报告 #%(id)s", id=ingest_id),
        r=report,
        status_labels=STATUS_LABELS,
        quarantine=rows[:QUARANTINE_PAGE],
        page_no=page_no,
        prev_url=url_with(request, page=page_no - 1 if page_no > 2 else None) if page_no > 1 else None,
        next_url=url_with(request, page=page_no + 1) if has_next else None,
        rule=rule,
        field=field,
        clear_url=f"/console/data/ingests/{ingest_id}",
        rule_url=lambda code: url_with(request, rule=code, page=None),
        charts=rule_charts,
        message=lambda r: r.message_zh if t.is_zh else r.message_en,
    )


# ---- quality --------------------------------------------------------------------------------------------
def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def _field_chart(t: Translator, fields: list[dict[str, Any]]) -> Chart:
    """Completeness and validity per field, as grouped horizontal bars (percent)."""
    names = [f"{f.get('title') or f['name']}" for f in fields]
    ordered = list(reversed(range(len(fields))))
    option = _base(t.gettext("各字段的完整性与有效性"))
    option.update(
        legend={"top": 0},
        tooltip={"trigger": "axis", "axisPointer": {"type": "shadow"}},
        grid={"left": 16, "right": 40, "top": 32, "bottom": 24, "containLabel": True},
        xAxis={"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}},
        yAxis={"type": "category", "data": [names[i] for i in ordered], "axisLabel": {"width": 160}},
        series=[
            {
                "name": t.gettext(label),
                "type": "bar",
                "barMaxWidth": 14,
                "data": [_pct(fields[i].get(key)) for i in ordered],
            }
            for key, label in (("completeness", N_("完整性")), ("validity", N_("有效性")))
        ],
    )
    rows = [[names[i], _pct(f.get("completeness")), _pct(f.get("validity"))] for i, f in enumerate(fields)]
    head = ["", t.gettext("完整性（%）"), t.gettext("有效性（%）")]
    return Chart(
        "quality-fields", t.gettext("各字段的完整性与有效性"), option, head, rows, max(220, 40 * len(fields) + 60)
    )


@router.get("/console/data/quality")
def quality(request: Request, principal: Staff, session: ReadSession) -> Response:
    t = t_of(request)
    code = request.query_params.get("table")
    if not code:
        if not can_see_quality_somewhere(principal):
            raise forbidden("质量报告只对数源部门和平台开放", "quality reports are for the provider and the platform")
        names = _org_names(session, principal)
        rows = [
            {"t": tb, "provider": names.get(tb.provider_org_id, "")}
            for tb in library.list_tables(session, actor=principal)
            if can_see_quality(principal, tb)
        ]
        return page(
            request,
            principal,
            session,
            "console/data/quality_index.html",
            active="data.quality",
            title=t.gettext("质量报告"),
            rows=rows,
        )
    table = _table_or_404(session, principal, code)
    history = library.quality_history(session, actor=principal, code=code, limit=50)  # 403 unless allowed
    latest = history[0] if history else None
    report = latest.report if latest else None
    charts: list[Chart] = []
    if report:
        if report.get("fields"):
            charts.append(_field_chart(t, report["fields"]))
        points = list(reversed(history))
        charts.append(
            line_chart(
                "quality-history",
                t.gettext("质量得分历史"),
                [format_datetime(r.run_at, seconds=False) for r in points],
                [(t.gettext("得分"), [round(r.score, 1) for r in points])],
            )
        )
    dims = [
        {"key": key, "label": label, "pct": _pct((report or {}).get("dimensions", {}).get(key))}
        for key, label in DIMENSIONS
    ]
    return page(
        request,
        principal,
        session,
        "console/data/quality.html",
        active="data.quality",
        title=t.gettext("质量报告：%(name)s", name=table.name),
        page_url=f"/console/data/quality?table={quote(code, safe='')}",
        table=library.table_read(table),
        run=latest,
        report=report,
        dims=dims,
        charts=charts,
        pct=_pct,
        consistency_status=CONSISTENCY_STATUS,
        can_run=can_see_quality(principal, table),
        runs=history[:10],
    )


@router.post("/console/data/quality")
def run_quality(request: Request, principal: Staff, form: Form, runtime: RuntimeDep) -> Response:
    code = text_fields(form, "table")["table"]
    with runtime.db.write() as s:
        library.run_quality(s, actor=principal, code=code)  # 404 unknown table, 403 not allowed
    return redirect(f"/console/data/quality?table={quote(code, safe='')}&done=quality_run", request)
