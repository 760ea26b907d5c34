"""Spreadsheet import and export of catalog entries (.xlsx, .csv), in one documented column layout.

Layout (docs/catalog.md has the full table): a workbook with a sheet ``资源`` (one resource per row) and a sheet
``信息项`` (one data item per row, linked to its resource by ``资源序号`` = the resource row's ``序号``). As CSV, the
two sheets are two files. Header cells read ``资源名称 (name)``; either part is enough to recognise a column.
Enumerated cells take the Chinese label (有条件共享) or the English value (conditional); lists are separated by
``；`` ``;`` ``，`` ``,`` or ``、``.

Import is all or nothing: every row is parsed and validated first, and each bad cell is reported with its sheet,
row, column and reason; only when there is none are the drafts written, all in the caller's one transaction.
A row with a 资源代码 updates that existing entry of the department (as a revision if it is published).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from govshare.catalog import service
from govshare.catalog.models import Resource
from govshare.catalog.permissions import require_editor, sees_workflow
from govshare.catalog.schemas import ImportResult, ResourceContent, ResourceCreate
from govshare.catalog.validation import validate_content
from govshare.catalog.vocab import (
    FAMILY_ZH,
    LABELS_ZH,
    ClassificationKind,
    DataType,
    Network,
    OpenType,
    ResourceFormat,
    Sensitivity,
    ShareMode,
    ShareReason,
    ShareType,
    Status,
    UpdateCycle,
    parse_label,
)
from govshare.errors import Problem, invalid
from govshare.identity import service as identity
from govshare.identity.principal import Principal

TEMPLATE_PATH = Path(__file__).parent / "data" / "catalog_template.xlsx"
SHEET_RESOURCES = "资源"
SHEET_ITEMS = "信息项"
SHEET_ALIASES = {SHEET_RESOURCES: ("资源", "resources", "资源目录"), SHEET_ITEMS: ("信息项", "items", "数据项")}
MAX_RESOURCES = 5_000
MAX_ITEMS = 200_000
_SPLIT = re.compile(r"[;；,，、\n]+")
_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "t"}
_FALSE = {"否", "n", "no", "false", "0", "×", "f", ""}


@dataclass(frozen=True, slots=True)
class Col:
    key: str  # the field (English)
    zh: str  # the header (Chinese)
    kind: str  # text | enum | enums | bool | int
    family: type | None = None
    required: bool = False
    note: str = ""

    @property
    def header(self) -> str:
        return f"{self.zh} ({self.key})"


RESOURCE_COLS: tuple[Col, ...] = (
    Col("key", "序号", "text", required=True, note="本表内唯一, 信息项表用它关联资源"),
    Col("code", "资源代码", "text", note="留空: 新建草稿; 填写: 修改本单位已有资源"),
    Col("name", "资源名称", "text", required=True),
    Col("classification_kind", "资源分类", "enum", ClassificationKind, required=True),
    Col("classification_code", "分类代码", "text", required=True, note="类1位+项2位+目3位(+细目3位), 如 101001"),
    Col("summary", "摘要", "text"),
    Col("keywords", "关键词", "text", note="多个用；分隔"),
    Col("formats", "资源格式", "enums", ResourceFormat, note="多个用；分隔"),
    Col("share_type", "共享类型", "enum", ShareType),
    Col("share_condition", "共享条件", "text", note="有条件/不予共享时必填"),
    Col("share_basis", "共享依据", "text", note="有条件/不予共享时必填: 法律法规或政策文件"),
    Col("share_reason", "原因类别", "enum", ShareReason, note="有条件/不予共享时必填"),
    Col("share_modes", "共享方式", "enums", ShareMode, note="多个用；分隔"),
    Col("open_type", "开放类型", "enum", OpenType),
    Col("open_condition", "开放条件", "text", note="有条件开放时必填"),
    Col("update_cycle", "更新周期", "enum", UpdateCycle),
    Col("network", "网络类型", "enum", Network),
    Col("related_codes", "关联资源代码", "text", note="多个用；分隔"),
    Col("is_data_source", "数源部门", "bool", note="是/否"),
)
ITEM_COLS: tuple[Col, ...] = (
    Col("resource_key", "资源序号", "text", required=True, note="资源表的序号"),
    Col("name", "信息项名称", "text", required=True),
    Col("machine_name", "字段名", "text", required=True, note="英文字母开头, 字母数字下划线"),
    Col("data_type", "数据类型", "enum", DataType),
    Col("length", "长度", "int"),
    Col("description", "描述", "text"),
    Col("is_key", "查询条件", "bool", note="是否可作为查询条件 (是/否)"),
    Col("share_type", "共享类型", "enum", ShareType, note="留空: 同资源"),
    Col("is_secret", "涉密", "bool", note="是/否"),
    Col("is_sensitive", "敏感", "bool", note="是/否"),
    Col("sensitivity", "敏感级别", "enum", Sensitivity, note="L1 不敏感 / L2 低敏感 / L3 较敏感 / L4 敏感"),
    Col("masking", "脱敏规则", "text", note="none / full / keep:6:4 / name / email / year"),
)


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self._cells: set[tuple[str, int, str]] = set()

    def add(self, sheet: str, row: int, col: Col | None, col_index: int | None, code: str, zh: str, en: str) -> None:
        column = get_column_letter(col_index + 1) if col_index is not None else None
        if column is not None:
            if (sheet, row, column) in self._cells:
                return  # one reason per cell: a required cell left empty is not also "invalid"
            self._cells.add((sheet, row, column))
        self.items.append(
            {
                "sheet": sheet,
                "row": row,
                "column": get_column_letter(col_index + 1) if col_index is not None else None,
                "header": col.zh if col else None,
                "field": col.key if col else None,
                "code": code,
                "message_zh": zh,
                "message_en": en,
            }
        )


def _problem(errors: _Errors) -> Problem:
    first = errors.items[0]
    where = f"{first['sheet']} 第{first['row']}行" + (f" {first['column']}列" if first["column"] else "")
    return Problem(
        422,
        "import_invalid",
        f"导入失败, 共 {len(errors.items)} 处错误, 未导入任何资源。首个错误: {where} {first['message_zh']}",
        f"import failed with {len(errors.items)} errors; nothing was imported. First: "
        f"{first['sheet']} row {first['row']} {first['message_en']}",
        extra={"errors": errors.items, "error_count": len(errors.items)},
    )


# ---- reading files ---------------------------------------------------------------------------------
Rows = list[tuple[int, list[Any]]]  # (1-based row number, cells)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _rows_of_sheet(ws) -> Rows:  # noqa: ANN001
    return [(n, [_cell_text(v) for v in row]) for n, row in enumerate(ws.iter_rows(values_only=True), start=1)]


def read_xlsx(data: bytes) -> tuple[Rows | None, Rows | None]:
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise invalid(
            "file", "file_unreadable", "无法读取 Excel 文件 (.xlsx)", "not a readable .xlsx workbook"
        ) from None
    sheets: dict[str, Rows | None] = {SHEET_RESOURCES: None, SHEET_ITEMS: None}
    for ws in wb.worksheets:
        title = ws.title.strip().lower()
        for canonical, aliases in SHEET_ALIASES.items():
            if title in aliases:
                sheets[canonical] = _rows_of_sheet(ws)
    wb.close()
    return sheets[SHEET_RESOURCES], sheets[SHEET_ITEMS]


def read_csv(data: bytes) -> Rows:
    """UTF-8 (with or without BOM) or GB18030, as Excel in Chinese saves CSV."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise invalid(
            "file", "file_unreadable", "CSV 编码无法识别 (应为 UTF-8 或 GB18030)", "CSV must be UTF-8 or GB18030"
        )
    return [(n, [c.strip() for c in row]) for n, row in enumerate(csv.reader(io.StringIO(text)), start=1)]


# ---- parsing ---------------------------------------------------------------------------------------
def _match_header(text: str, cols: tuple[Col, ...]) -> Col | None:
    t = text.strip()
    m = re.match(r"^(.*?)\s*[(（]\s*([A-Za-z_]+)\s*[)）]\s*$", t)
    candidates = {t, t.lower()}
    if m:
        candidates |= {m.group(1).strip(), m.group(2).strip().lower()}
    for col in cols:
        if col.zh in candidates or col.key in candidates:
            return col
    return None


def _header_map(sheet: str, rows: Rows, cols: tuple[Col, ...], errors: _Errors) -> tuple[dict[str, int], Rows]:
    """Find the header row (the first non-empty one) and map each known column to its index."""
    body = [(n, r) for n, r in rows if any(c for c in r)]
    if not body:
        return {}, []
    header_row, header = body[0]
    mapping: dict[str, int] = {}
    for idx, text in enumerate(header):
        col = _match_header(text, cols) if text else None
        if col is not None and col.key not in mapping:
            mapping[col.key] = idx
    for col in cols:
        if col.required and col.key not in mapping:
            errors.add(
                sheet,
                header_row,
                col,
                None,
                "column_missing",
                f"缺少必需的列: {col.zh}",
                f"required column missing: {col.key}",
            )
    return mapping, body[1:]


def _parse_cell(sheet: str, row: int, col: Col, idx: int, raw: str, errors: _Errors) -> Any:
    if col.kind == "text":
        if col.key in ("keywords", "related_codes"):
            return [p.strip() for p in _SPLIT.split(raw) if p.strip()]
        return raw
    if col.kind == "bool":
        low = raw.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        errors.add(sheet, row, col, idx, "bool_invalid", f"应填 是 或 否: {raw}", f"expected yes/no: {raw}")
        return None
    if col.kind == "int":
        if not raw:
            return None
        try:
            return int(raw)
        except ValueError:
            errors.add(sheet, row, col, idx, "int_invalid", f"应为整数: {raw}", f"expected an integer: {raw}")
            return None
    assert col.family is not None
    values = [p for p in _SPLIT.split(raw) if p.strip()] if col.kind == "enums" else ([raw] if raw else [])
    parsed = []
    for v in values:
        value = parse_label(col.family, v)
        if value is None:
            allowed = "、".join(LABELS_ZH[col.family].values())
            errors.add(
                sheet,
                row,
                col,
                idx,
                "value_invalid",
                f"{FAMILY_ZH[col.family]}无效: {v} (可选: {allowed})",
                f"unknown {col.key}: {v} (allowed: {', '.join(LABELS_ZH[col.family])})",
            )
        else:
            parsed.append(value)
    if col.kind == "enums":
        return parsed
    return parsed[0] if parsed else None


@dataclass
class _ResourceRow:
    row: int
    key: str
    code: str
    data: dict[str, Any]
    items: list[tuple[int, dict[str, Any]]]
    content: ResourceContent | None = None


def _locate(r: _ResourceRow, path: tuple[Any, ...]) -> tuple[str, int, Col | None, int | None]:
    """Sheet, row and column of a content field path such as ("items", 3, "sensitivity")."""
    if path and path[0] == "items" and len(path) >= 2 and isinstance(path[1], int) and path[1] < len(r.items):
        row, _ = r.items[path[1]]
        col = next((c for c in ITEM_COLS if len(path) > 2 and c.key == path[2]), None)
        return SHEET_ITEMS, row, col, None
    key = path[0] if path else None
    col = next((c for c in RESOURCE_COLS if c.key == key), None)
    return SHEET_RESOURCES, r.row, col, None


def _parse_path(field: str) -> tuple[Any, ...]:
    """``items[3].sensitivity`` → ("items", 3, "sensitivity")."""
    out: list[Any] = []
    for part in field.split("."):
        m = re.match(r"^(\w+)\[(\d+)\]$", part)
        if m:
            out += [m.group(1), int(m.group(2))]
        else:
            out.append(part)
    return tuple(out)


@dataclass
class Parsed:
    rows: list[_ResourceRow]
    errors: _Errors
    res_map: dict[str, int]
    item_map: dict[str, int]

    def add(self, rr: _ResourceRow, field: str | None, code: str, zh: str, en: str) -> None:
        """An error about ``field`` (a content path) of resource row ``rr``, placed on its cell."""
        sheet, row, col, _ = _locate(rr, _parse_path(field) if field else ())
        idx = (self.res_map if sheet == SHEET_RESOURCES else self.item_map).get(col.key) if col else None
        self.errors.add(sheet, row, col, idx, code, zh, en)


def parse_rows(res_rows: Rows | None, item_rows: Rows | None) -> Parsed:
    errors = _Errors()
    if res_rows is None:
        errors.add(
            SHEET_RESOURCES, 1, None, None, "sheet_missing", "缺少工作表「资源」", "sheet 资源 (resources) missing"
        )
        return Parsed([], errors, {}, {})
    res_map, res_body = _header_map(SHEET_RESOURCES, res_rows, RESOURCE_COLS, errors)
    item_map, item_body = _header_map(SHEET_ITEMS, item_rows or [], ITEM_COLS, errors) if item_rows else ({}, [])
    parsed = Parsed([], errors, res_map, item_map)
    if errors.items:
        return parsed
    if len(res_body) > MAX_RESOURCES or len(item_body) > MAX_ITEMS:
        errors.add(
            SHEET_RESOURCES,
            1,
            None,
            None,
            "too_many_rows",
            f"一次最多导入 {MAX_RESOURCES} 个资源、{MAX_ITEMS} 个信息项",
            f"at most {MAX_RESOURCES} resources and {MAX_ITEMS} items per import",
        )
        return parsed
    if not res_body:
        errors.add(SHEET_RESOURCES, 1, None, None, "no_rows", "没有可导入的资源行", "no resource rows to import")
        return parsed

    def cells(row: list[str], mapping: dict[str, int]) -> dict[str, str]:
        return {k: (row[i] if i < len(row) else "") for k, i in mapping.items()}

    resources: dict[str, _ResourceRow] = {}
    ordered: list[_ResourceRow] = []
    for n, row in res_body:
        raw = cells(row, res_map)
        data: dict[str, Any] = {}
        for col in RESOURCE_COLS:
            if col.key not in res_map:
                continue
            idx = res_map[col.key]
            if col.required and not raw[col.key]:
                errors.add(SHEET_RESOURCES, n, col, idx, "required", f"{col.zh}不能为空", f"{col.key} is required")
                continue
            data[col.key] = _parse_cell(SHEET_RESOURCES, n, col, idx, raw[col.key], errors)
        key = raw.get("key", "")
        if key and key in resources:
            errors.add(
                SHEET_RESOURCES,
                n,
                RESOURCE_COLS[0],
                res_map["key"],
                "key_duplicate",
                f"序号重复: {key}",
                f"duplicate key: {key}",
            )
            continue
        rr = _ResourceRow(row=n, key=key, code=raw.get("code", ""), data=data, items=[])
        if key:
            resources[key] = rr
        ordered.append(rr)
    for n, row in item_body:
        raw = cells(row, item_map)
        data = {}
        for col in ITEM_COLS:
            if col.key not in item_map:
                continue
            idx = item_map[col.key]
            if col.required and not raw[col.key]:
                errors.add(SHEET_ITEMS, n, col, idx, "required", f"{col.zh}不能为空", f"{col.key} is required")
                continue
            value = _parse_cell(SHEET_ITEMS, n, col, idx, raw[col.key], errors)
            if value is not None and value != "":
                data[col.key] = value
        key = raw.get("resource_key", "")
        if key and key not in resources:
            errors.add(
                SHEET_ITEMS,
                n,
                ITEM_COLS[0],
                item_map["resource_key"],
                "resource_key_unknown",
                f"资源序号在资源表中不存在: {key}",
                f"no resource row with key {key}",
            )
            continue
        if key:
            data.pop("resource_key", None)
            resources[key].items.append((n, data))
    # Whole-resource validation: field rules, then rules across fields, each mapped back to its cell.
    for rr in ordered:
        payload = {k: v for k, v in rr.data.items() if k not in ("key", "code") and v is not None and v != ""}
        payload["items"] = [d for _, d in rr.items]
        try:
            rr.content = ResourceContent.model_validate(payload)
        except ValidationError as exc:
            for err in exc.errors():
                path = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in err["loc"]).replace(".[", "[")
                parsed.add(rr, path, "value_invalid", f"取值无效: {err['msg']}", err["msg"])
            continue
        for issue in validate_content(rr.content):
            parsed.add(rr, issue.field, issue.code, issue.message_zh, issue.message_en)
    parsed.rows = ordered
    return parsed


# ---- import ----------------------------------------------------------------------------------------
def import_catalog(
    session: Session,
    *,
    actor: Principal,
    res_rows: Rows | None,
    item_rows: Rows | None,
    org_id: str | None = None,
) -> ImportResult:
    """Import the rows as drafts of ``org_id`` (default: the caller's department). All or nothing."""
    provider = org_id or actor.org_id
    if provider is None:
        raise invalid("org_id", "provider_required", "请指定导入到哪个单位", "organization required")
    identity.get_organization(session, actor=actor, org_id=provider)
    require_editor(actor, provider)
    parsed = parse_rows(res_rows, item_rows)
    rows, errors = parsed.rows, parsed.errors
    if errors.items:
        raise _problem(errors)
    # Rows naming an existing entry must name one of this department's that can be edited now.
    codes = [rr.code for rr in rows if rr.code]
    existing = {r.code: r for r in session.scalars(select(Resource).where(Resource.code.in_(codes)))} if codes else {}
    for rr in rows:
        if not rr.code:
            continue
        target = existing.get(rr.code)
        if target is None or target.provider_org_id != provider:
            parsed.add(
                rr,
                "code",
                "code_unknown",
                f"本单位没有资源代码为 {rr.code} 的资源",
                f"no resource {rr.code} of this organization",
            )
        elif target.status in (Status.pending_publish, Status.pending_revoke):
            parsed.add(
                rr,
                "code",
                "resource_under_review",
                f"资源 {rr.code} 正在审核中, 不能修改",
                f"resource {rr.code} is under review",
            )
    if errors.items:
        raise _problem(errors)
    created = updated = 0
    out: list[dict[str, str]] = []
    for rr in rows:
        assert rr.content is not None
        try:
            if rr.code:
                r = service.replace_content(session, actor=actor, resource_id=existing[rr.code].id, content=rr.content)
                updated += 1
            else:
                data = ResourceCreate(**rr.content.model_dump(), provider_org_id=provider)
                r = service.create_resource(session, actor=actor, data=data)
                created += 1
        except Problem as exc:
            parsed.add(rr, exc.field, exc.code, exc.message_zh, exc.message_en)
            continue
        out.append({"id": r.id, "code": r.code, "name": r.name})
    if errors.items:
        raise _problem(errors)  # the caller's transaction rolls back what was written
    return ImportResult(created=created, updated=updated, resources=out)


# ---- export ----------------------------------------------------------------------------------------
def _cell_out(col: Col, value: Any) -> Any:
    if col.kind == "bool":
        return "是" if value else "否"
    if col.kind == "enum":
        return LABELS_ZH[col.family].get(value, value) if value else ""
    if col.kind == "enums":
        return "；".join(LABELS_ZH[col.family].get(v, v) for v in value or [])
    if isinstance(value, list):
        return "；".join(value)
    return "" if value is None else value


def export_rows(session: Session, *, actor: Principal | None, resources: list[Resource]) -> tuple[list, list]:
    """Header and data rows of both sheets. Owners and reviewers get the working copy (so that a re-import of an
    exported sheet round-trips); everyone else gets the published entry."""
    res_out = [[c.header for c in RESOURCE_COLS]]
    item_out = [[c.header for c in ITEM_COLS]]
    for n, r in enumerate(resources, start=1):
        content = service.working_of(r) if sees_workflow(actor, r.provider_org_id) else service.content_of(r)
        data = content.model_dump(mode="json")
        data.update(key=str(n), code=r.code)
        res_out.append([_cell_out(c, data.get(c.key)) for c in RESOURCE_COLS])
        for item in data["items"]:
            item = dict(item, resource_key=str(n))
            item_out.append([_cell_out(c, item.get(c.key)) for c in ITEM_COLS])
    return res_out, item_out


def _style_header(ws, cols: tuple[Col, ...]) -> None:  # noqa: ANN001
    fill = PatternFill("solid", fgColor="DDEBF7")
    for i, col in enumerate(cols, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = Font(bold=True, color="C00000" if col.required else "000000")
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(i)].width = max(12, min(40, len(col.header) * 2))
    ws.freeze_panes = "A2"


def _add_validations(ws, cols: tuple[Col, ...], rows: int = 2000) -> None:  # noqa: ANN001
    for i, col in enumerate(cols, start=1):
        if col.kind == "enum" and col.family is not None:
            values = ",".join(LABELS_ZH[col.family].values())
            dv = DataValidation(type="list", formula1=f'"{values}"', allow_blank=True)
            dv.error = f"请选择{FAMILY_ZH[col.family]}"
            ws.add_data_validation(dv)
            letter = get_column_letter(i)
            dv.add(f"{letter}2:{letter}{rows + 1}")
        elif col.kind == "bool":
            dv = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
            ws.add_data_validation(dv)
            letter = get_column_letter(i)
            dv.add(f"{letter}2:{letter}{rows + 1}")


def _readme(wb: Workbook) -> None:
    ws = wb.create_sheet("说明")
    ws.append(["政务信息资源目录导入模板 (govshare catalog import template)"])
    ws.append(["工作表「资源」每行一个资源; 工作表「信息项」每行一个信息项, 以「资源序号」关联资源表的「序号」。"])
    ws.append(["红色表头为必填列。资源代码留空则新建草稿, 填写则修改本单位已有资源。枚举列可填中文或英文取值。"])
    ws.append(["导入时全部校验: 任何一处错误都会列出工作表、行、列和原因, 且不导入任何资源。"])
    ws.append([])
    ws.append(["工作表", "列", "字段", "说明"])
    for sheet, cols in ((SHEET_RESOURCES, RESOURCE_COLS), (SHEET_ITEMS, ITEM_COLS)):
        for col in cols:
            values = "、".join(LABELS_ZH[col.family].values()) if col.family else ""
            note = "；".join(p for p in (("必填" if col.required else ""), col.note, values) if p)
            ws.append([sheet, col.zh, col.key, note])
    ws.column_dimensions["A"].width = 10
    ws.column_dimensions["B"].width = 16
    ws.column_dimensions["C"].width = 22
    ws.column_dimensions["D"].width = 90


def workbook_bytes(res_rows: list, item_rows: list, *, template: bool = False) -> bytes:
    wb = Workbook()
    ws_r = wb.active
    ws_r.title = SHEET_RESOURCES
    ws_i = wb.create_sheet(SHEET_ITEMS)
    for row in res_rows:
        ws_r.append(row)
    for row in item_rows:
        ws_i.append(row)
    _style_header(ws_r, RESOURCE_COLS)
    _style_header(ws_i, ITEM_COLS)
    if template:
        _add_validations(ws_r, RESOURCE_COLS)
        _add_validations(ws_i, ITEM_COLS)
    _readme(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows: list) -> bytes:
    """UTF-8 with BOM: Excel in Chinese opens it without garbling."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def template_bytes() -> bytes:
    return workbook_bytes([[c.header for c in RESOURCE_COLS]], [[c.header for c in ITEM_COLS]], template=True)


def write_template(path: Path = TEMPLATE_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(template_bytes())
    return path


if __name__ == "__main__":  # python -m govshare.catalog.spreadsheet: regenerate the shipped template
    print(write_template())
