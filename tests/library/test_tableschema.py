"""Schemas as data: the base libraries, thematic declarations without code, header mapping, evolution."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from govshare.library.base_schemas import BASE_LIBRARIES, base_schema
from govshare.library.schemas import LibraryTableCreate
from govshare.library.tableschema import TableSchema, check_evolution, normalize_header

#: A thematic library declared by 民政局: 低收入家庭 (low-income families).
LOW_INCOME = {
    "fields": [
        {"name": "family_id", "title": "家庭编号", "required": True, "pattern": "DB[0-9]{8}"},
        {"name": "applicant_id_number", "title": "申请人身份证号", "format": "id_number", "required": True},
        {"name": "applicant_name", "title": "申请人姓名", "required": True, "max_length": 50},
        {"name": "region_code", "title": "行政区划代码", "format": "region_code", "required": True},
        {"name": "family_size", "title": "家庭人口数", "type": "integer", "minimum": 1, "maximum": 30},
        {"name": "category", "title": "救助类别", "enum": ["低保", "特困", "低保边缘"], "required": True},
        {"name": "monthly_income", "title": "家庭月收入", "type": "number", "minimum": 0},
        {"name": "approved_date", "title": "认定日期", "type": "date", "not_future": True},
    ],
    "primary_key": ["family_id"],
    "consistency": [
        {"name": "applicant_in_population", "title": "申请人在人口库中存在", "rule": "exists_in",
         "ref_field": "applicant_id_number", "target": {"base": "person"}},
    ],
}  # fmt: skip


def test_five_base_libraries_with_their_keys():
    keys = {base: schema.primary_key for base, (_name, schema) in BASE_LIBRARIES.items()}
    assert keys == {
        "person": ["id_number"],
        "legal_entity": ["uscc"],
        "licence": ["licence_id"],
        "place": ["place_code"],
        "credit": ["record_no"],
    }
    person = base_schema("person")
    assert person.field_names == [
        "id_number", "name", "gender", "birth_date", "ethnicity", "address", "region_code", "marital_status", "status"
    ]  # fmt: skip
    assert base_schema("licence").field("holder_code_type").enum == ["111", "001"]
    assert base_schema("credit").field("kind").enum == ["红名单", "黑名单", "行政许可", "行政处罚"]


def test_thematic_declaration_is_plain_json():
    schema = TableSchema.model_validate(LOW_INCOME)
    assert schema.position("category") == 5
    body = LibraryTableCreate.model_validate(
        {"resource_code": "MZ-DBJT-001", "name": "低收入家庭专题库", "schema": LOW_INCOME, "update_cycle": "每月"}
    )
    assert body.table_schema == schema and body.base is None


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["fields"].append(dict(d["fields"][0])), "duplicate field name"),
        (lambda d: d.update(primary_key=["family_size"]), "must be required"),
        (lambda d: d.update(primary_key=["nope"]), "primary key field not declared"),
        (lambda d: d["fields"][5].update(enum_map={"1": "救助"}), "enum_map maps to values outside enum"),
        (lambda d: d["fields"][0].update(pattern="(unclosed"), "pattern does not compile"),
        (lambda d: d["fields"][4].update(format="id_number"), "needs type string"),
        (lambda d: d["fields"][4].update(minimum=10, maximum=1), "minimum > maximum"),
        (lambda d: d["fields"][0].update(name="Family ID"), "String should match pattern"),
        (lambda d: d["fields"][0].update(colour="red"), "Extra inputs are not permitted"),
        (lambda d: d["consistency"][0].update(ref_field="ghost"), "unknown field ghost"),
        (lambda d: d.update(row_rules=[{"rule": "date_order", "start_field": "approved_date", "end_field": "x"}]),
         "unknown field x"),
        (lambda d: d.update(row_rules=[{"rule": "id_number_consistency", "id_field": "family_id"}]),
         "must have format id_number"),
        (lambda d: d["fields"][2].update(aliases=["家庭编号"]), "would mean both"),
    ],
)  # fmt: skip
def test_invalid_declarations_are_refused_with_a_reason(mutate, message):
    import copy

    doc = copy.deepcopy(LOW_INCOME)
    mutate(doc)
    with pytest.raises(ValidationError) as err:
        TableSchema.model_validate(doc)
    assert message in str(err.value)


def test_base_or_schema_and_reserved_codes():
    with pytest.raises(ValidationError, match="exactly one of base"):
        LibraryTableCreate.model_validate(
            {"resource_code": "X1", "name": "两者都有", "base": "person", "schema": LOW_INCOME}
        )
    with pytest.raises(ValidationError, match="reserved"):
        LibraryTableCreate.model_validate({"resource_code": "ingests", "name": "保留字", "base": "person"})


def test_header_labels_match_name_title_and_aliases():
    person = base_schema("person")
    labels = person.header_map()
    headers = ("id_number", "ID_Number", "公民身份号码", "身份证号", "\ufeff身份证号码", "身 份 证 号")
    headers += ("ＩＤ－ＮＵＭＢＥＲ",)
    for header in headers:
        assert labels[normalize_header(header)] == 0, header


def test_schema_evolution_only_appends():
    old = TableSchema.model_validate(LOW_INCOME)
    phone = {"name": "phone", "title": "电话"}
    grown = TableSchema.model_validate({**LOW_INCOME, "fields": [*LOW_INCOME["fields"], phone]})
    assert check_evolution(old, grown, has_rows=True) == []
    shrunk = TableSchema.model_validate({**LOW_INCOME, "fields": LOW_INCOME["fields"][:-1]})
    assert check_evolution(old, shrunk, has_rows=True)
    swapped = TableSchema.model_validate(
        {**LOW_INCOME, "fields": [LOW_INCOME["fields"][1], LOW_INCOME["fields"][0], *LOW_INCOME["fields"][2:]]}
    )
    assert any("fields may only be appended" in p for p in check_evolution(old, swapped, has_rows=False))
    rekeyed = TableSchema.model_validate({**LOW_INCOME, "primary_key": ["applicant_id_number"]})
    assert check_evolution(old, rekeyed, has_rows=False) == []
    assert check_evolution(old, rekeyed, has_rows=True) == ["the primary key may not change once the table has rows"]
