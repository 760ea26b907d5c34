"""Spreadsheet import and export (.xlsx, .csv): the documented layout, every bad cell reported, all or nothing."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

from govshare.catalog import service, spreadsheet
from govshare.catalog.search import SearchQuery
from govshare.errors import Problem
from tests.catalog.conftest import Cast, publish

RES_HEADER = [
    "序号", "资源代码", "资源名称", "资源分类", "分类代码", "摘要", "关键词", "资源格式", "共享类型", "共享条件",
    "共享依据", "原因类别", "共享方式", "开放类型", "开放条件", "更新周期", "网络类型", "关联资源代码", "数源部门",
]  # fmt: skip
ITEM_HEADER = ["资源序号", "信息项名称", "字段名", "数据类型", "长度", "描述", "查询条件", "共享类型", "涉密", "敏感",
               "敏感级别", "脱敏规则"]  # fmt: skip


def _res(key: str, name: str, **kw: str) -> list:
    row = {
        "序号": key,
        "资源代码": "",
        "资源名称": name,
        "资源分类": "基础",
        "分类代码": "101001",
        "摘要": f"{name}, 由本局业务系统每日更新, 供各部门办事核验使用。",
        "关键词": "人口；户籍",
        "资源格式": "数据库",
        "共享类型": "有条件共享",
        "共享条件": "仅限依法履职按需查询",
        "共享依据": "《中华人民共和国户口登记条例》",
        "原因类别": "涉及敏感信息",
        "共享方式": "接口；库表交换",
        "开放类型": "不予开放",
        "开放条件": "",
        "更新周期": "每日",
        "网络类型": "政务外网",
        "关联资源代码": "",
        "数源部门": "否",
    }
    row.update(kw)
    return [row[h] for h in RES_HEADER]


def _item(key: str, name: str, machine: str, **kw) -> list:
    row = {
        "资源序号": key,
        "信息项名称": name,
        "字段名": machine,
        "数据类型": "字符型",
        "长度": 50,
        "描述": f"{name}的说明",
        "查询条件": "否",
        "共享类型": "",
        "涉密": "否",
        "敏感": "否",
        "敏感级别": "L1",
        "脱敏规则": "",
    }
    row.update(kw)
    return [row[h] for h in ITEM_HEADER]


def _xlsx(res_rows: list[list], item_rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "资源"
    ws.append(RES_HEADER)
    for r in res_rows:
        ws.append(r)
    wi = wb.create_sheet("信息项")
    wi.append(ITEM_HEADER)
    for r in item_rows:
        wi.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _import(runtime, actor, data: bytes, org_id: str | None = None):
    res_rows, item_rows = spreadsheet.read_xlsx(data)
    with runtime.db.write() as s:
        return spreadsheet.import_catalog(s, actor=actor, res_rows=res_rows, item_rows=item_rows, org_id=org_id)


def _count(runtime, actor) -> int:
    with runtime.db.read() as s:
        return service.search(s, actor=actor, query=SearchQuery(mine=True)).total


def test_import_creates_drafts_with_their_items(runtime, cast: Cast):
    data = _xlsx(
        [_res("1", "户籍人口信息"), _res("2", "流动人口信息", 共享类型="conditional", 开放类型="none")],
        [
            _item(
                "1", "公民身份号码", "ID_NUMBER", 查询条件="是", 敏感="是", 敏感级别="L3", 脱敏规则="keep:6:4", 长度=18
            ),
            _item("1", "姓名", "name", 敏感="是", 敏感级别="L2"),
            _item("2", "居住证编号", "permit_no"),
        ],
    )
    result = _import(runtime, cast.a_cat, data)
    assert (result.created, result.updated) == (2, 0)
    with runtime.db.read() as s:
        r = service._get(s, result.resources[0]["id"])
        assert (r.status, r.provider_org_id, r.code) == ("draft", cast.world.a.org_id, "101001/000001")
        assert r.keywords == ["人口", "户籍"] and r.share_modes == ["api", "bulk"] and r.update_cycle == "daily"
        assert [(i.machine_name, i.is_key, i.sensitivity, i.masking, i.length) for i in r.items] == [
            ("id_number", True, "L3", "keep:6:4", 18),
            ("name", False, "L2", None, 50),
        ]
        r2 = service._get(s, result.resources[1]["id"])
        assert r2.share_type == "conditional" and [i.name for i in r2.items] == ["居住证编号"]


def test_mixed_good_and_bad_rows_import_nothing_and_report_every_bad_cell(runtime, cast: Cast):
    data = _xlsx(
        [
            _res("1", "户籍人口信息"),  # good
            _res("2", "流动人口信息", 共享类型="部分共享", 更新周期="每两天"),  # two bad enum cells
            _res("3", "出生人口信息", 共享条件=""),  # 有条件共享 without the condition
            _res("4", "", 分类代码="201001"),  # name missing; 基础 with a 主题 code
        ],
        [
            _item("1", "公民身份号码", "id_number"),  # good
            _item("2", "居住地址", "addr", 长度="五十"),  # not an integer
            _item("3", "姓名", "name", 涉密="可能"),  # not yes/no
            _item("9", "性别", "gender"),  # no such resource row
            _item("1", "照片", "photo", 敏感级别="L5"),  # unknown level
        ],
    )
    with pytest.raises(Problem) as exc:
        _import(runtime, cast.a_cat, data)
    p = exc.value
    assert p.status == 422 and p.code == "import_invalid"
    cells = {(e["sheet"], e["row"], e["column"], e["code"]) for e in p.extra["errors"]}
    assert cells == {
        ("资源", 3, "I", "value_invalid"),  # 共享类型 部分共享
        ("资源", 3, "P", "value_invalid"),  # 更新周期 每两天
        ("资源", 4, "J", "share_condition_required"),
        ("资源", 5, "C", "required"),  # 资源名称 empty
        ("信息项", 3, "E", "int_invalid"),
        ("信息项", 4, "I", "bool_invalid"),
        ("信息项", 5, "A", "resource_key_unknown"),
        ("信息项", 6, "K", "value_invalid"),
    }
    assert all(e["message_zh"] and e["message_en"] and e["header"] for e in p.extra["errors"])
    assert p.extra["error_count"] == len(cells)
    assert _count(runtime, cast.a_cat) == 0  # nothing half-imported, not even the good rows

    # once fixed, rule violations across fields are also placed on their cells
    data = _xlsx(
        [_res("1", "户籍人口信息", 开放类型="无条件开放"), _res("2", "人口信息二", 分类代码="201001")],
        [_item("1", "公民身份号码", "id_number", 敏感级别="L4"), _item("2", "姓名", "name")],
    )
    with pytest.raises(Problem) as exc:
        _import(runtime, cast.a_cat, data)
    cells = {(e["sheet"], e["row"], e["column"], e["code"]) for e in exc.value.extra["errors"]}
    assert cells == {("信息项", 2, "K", "open_resource_l4_item"), ("资源", 3, "E", "classification_kind_mismatch")}
    assert _count(runtime, cast.a_cat) == 0


def test_csv_pair_in_gb18030_imports(runtime, cast: Cast):
    def csv_bytes(header, rows, encoding):
        buf = io.StringIO()
        csv.writer(buf).writerows([header, *rows])
        return buf.getvalue().encode(encoding)

    res = csv_bytes(RES_HEADER, [_res("a", "婚姻登记信息", 分类代码="101005")], "gb18030")
    items = csv_bytes(ITEM_HEADER, [_item("a", "登记日期", "reg_date", 数据类型="日期型", 长度="")], "utf-8-sig")
    with runtime.db.write() as s:
        result = spreadsheet.import_catalog(
            s, actor=cast.b_cat, res_rows=spreadsheet.read_csv(res), item_rows=spreadsheet.read_csv(items)
        )
    assert result.created == 1
    with runtime.db.read() as s:
        r = service._get(s, result.resources[0]["id"])
        assert r.name == "婚姻登记信息" and r.items[0].data_type == "date" and r.items[0].length is None


def test_import_rights(runtime, cast: Cast):
    data = _xlsx([_res("1", "户籍人口信息")], [])
    with pytest.raises(Problem) as exc:
        _import(runtime, cast.b_cat, data, org_id=cast.world.a.org_id)  # into another department
    assert exc.value.status == 403
    with pytest.raises(Problem) as exc:
        _import(runtime, cast.a_admin, data)  # no catalog role
    assert exc.value.status == 403
    with pytest.raises(Problem) as exc:
        spreadsheet.read_xlsx(b"not a workbook")
    assert exc.value.code == "file_unreadable"


def test_export_then_reimport_updates_the_same_entries(runtime, cast: Cast):
    rid = publish(runtime, cast.a_cat, cast.reviewer)
    with runtime.db.read() as s:
        r = service._get(s, rid)
        res_rows, item_rows = spreadsheet.export_rows(s, actor=cast.a_cat, resources=[r])
    data = spreadsheet.workbook_bytes(res_rows, item_rows)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["资源", "信息项", "说明"]
    ws = wb["资源"]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["序号 (key)", "资源代码 (code)", "资源名称 (name)"]
    assert ws.cell(row=2, column=2).value == "101001/000001"
    assert ws.cell(row=2, column=9).value == "有条件共享"  # labels, not codes, for people
    assert [c.value for c in wb["信息项"]["C"]][1:] == ["id_number", "name", "gender", "household_address"]
    # the department edits the summary in Excel and imports the sheet back: a revision of the published entry
    ws.cell(row=2, column=6).value = "在 Excel 中修订的摘要: 本市户籍人口的基本信息。"
    buf = io.BytesIO()
    wb.save(buf)
    result = _import(runtime, cast.a_cat, buf.getvalue())
    assert (result.created, result.updated) == (0, 1)
    with runtime.db.read() as s:
        r = service._get(s, rid)
        assert r.status == "draft" and r.revision["summary"].startswith("在 Excel 中修订")
        assert r.summary != r.revision["summary"]  # the published version is untouched until review
    # a code of another department's entry is refused
    b_rows = [_res("1", "婚姻登记信息", 资源代码="101001/000001")]
    with pytest.raises(Problem) as exc:
        _import(runtime, cast.b_cat, _xlsx(b_rows, []))
    assert {(e["row"], e["column"], e["code"]) for e in exc.value.extra["errors"]} == {(2, "B", "code_unknown")}


def test_shipped_template_matches_the_layout():
    wb = load_workbook(spreadsheet.TEMPLATE_PATH)
    assert wb.sheetnames == ["资源", "信息项", "说明"]
    assert [c.value for c in wb["资源"][1]] == [c.header for c in spreadsheet.RESOURCE_COLS]
    assert [c.value for c in wb["信息项"][1]] == [c.header for c in spreadsheet.ITEM_COLS]
    assert wb["资源"].max_row == 1  # headers only: nothing to import by accident
    # an empty template imports as "no rows", not as a crash
    res_rows, item_rows = spreadsheet.read_xlsx(spreadsheet.TEMPLATE_PATH.read_bytes())
    assert spreadsheet.parse_rows(res_rows, item_rows).errors.items[0]["code"] == "no_rows"
