"""The four review checks (唯一性、完整性、关联性、表述性), duplicate-collection detection (条例809) and
the completeness score, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from govshare.catalog import service
from govshare.catalog.checks import completeness, is_placeholder
from govshare.catalog.schemas import ResourceContent
from govshare.errors import Problem
from tests.catalog.conftest import Cast, content, create, item, publish


def _checks(runtime, actor, rid: str):
    with runtime.db.read() as s:
        report = service.run_checks(s, actor=actor, resource_id=rid)
    return {c.name: c for c in report.checks}, report


def _codes(check) -> set[str]:
    return {f.code for f in check.findings}


# ---- uniqueness --------------------------------------------------------------------------------------
def test_uniqueness_flags_same_name_and_same_items_of_the_same_provider(runtime, cast: Cast):
    first = publish(runtime, cast.a_cat, cast.reviewer)
    same_name, _ = create(runtime, cast.a_cat, items=[item("公民身份号码", "id_number", is_key=True)])
    checks, _ = _checks(runtime, cast.a_cat, same_name)
    assert checks["uniqueness"].status == "fail" and _codes(checks["uniqueness"]) == {"duplicate_name"}
    with runtime.db.read() as s:
        assert checks["uniqueness"].findings[0].refs == [service._get(s, first).code]

    same_items, _ = create(runtime, cast.a_cat, name="户籍人口信息(副本)")
    checks, _ = _checks(runtime, cast.a_cat, same_items)
    assert _codes(checks["uniqueness"]) == {"duplicate_items"}

    # another department may hold an entry of the same name
    other, _ = create(runtime, cast.b_cat)
    checks, _ = _checks(runtime, cast.b_cat, other)
    assert checks["uniqueness"].status == "pass"


def test_revoked_entries_do_not_count_for_uniqueness(runtime, cast: Cast):
    first = publish(runtime, cast.a_cat, cast.reviewer)
    with runtime.db.write() as s:
        service.request_revoke(s, actor=cast.a_cat, resource_id=first, reason="改由新资源提供")
    with runtime.db.write() as s:
        service.approve(s, actor=cast.reviewer, resource_id=first)
    again, _ = create(runtime, cast.a_cat)
    checks, _ = _checks(runtime, cast.a_cat, again)
    assert checks["uniqueness"].status == "pass"


# ---- completeness ------------------------------------------------------------------------------------
def test_completeness_check_and_score(runtime, cast: Cast):
    rid, _ = create(runtime, cast.a_cat, summary="", keywords=[], network=None)
    checks, report = _checks(runtime, cast.a_cat, rid)
    c = checks["completeness"]
    assert c.status == "fail"
    assert {f.field for f in c.findings if f.severity == "fail"} == {"summary", "network"}
    assert {f.field for f in c.findings if f.severity == "warn"} == {"keywords", "related_codes"}
    assert report.completeness.required.missing == ["summary", "network"]
    assert report.completeness.score < 100

    full = ResourceContent(**content(related_codes=["101001/000001"]))
    assert completeness(full).score == 100.0
    # L2/L3 items of an open resource must say how they are masked (分级: opened only masked)
    opened = ResourceContent(**content(open_type="conditional", open_condition="实名申请后开放"))
    missing = completeness(opened).required.missing
    assert missing == ["items[3].masking"]  # 户籍地址 (L3) has no masking pattern; the others do


def test_completeness_score_formula():
    base = content(related_codes=["101001/000001"], keywords=[])  # one recommended field of three + item lengths
    score = completeness(ResourceContent(**base))
    rec = score.recommended
    assert (rec.filled, rec.total) == (rec.total - 1, rec.total)
    expected = round(100 * (0.60 + 0.25 * (rec.total - 1) / rec.total + 0.15), 1)
    assert score.score == expected
    undescribed = content(related_codes=["101001/000001"])
    for it in undescribed["items"]:
        it["description"] = ""
    assert completeness(ResourceContent(**undescribed)).score == 85.0  # items described: 0 of 4


def test_completeness_per_department(runtime, cast: Cast):
    publish(runtime, cast.a_cat, cast.reviewer)
    publish(runtime, cast.a_cat, cast.reviewer, name="流动人口信息", keywords=[], items=[item("居住证号", "permit_no")])
    create(runtime, cast.a_cat, name="草稿资源信息")
    publish(runtime, cast.b_cat, cast.reviewer, name="婚姻登记信息", items=[item("登记日期", "reg_date")])
    with runtime.db.read() as s:
        by_org = {o.org_id: o for o in service.completeness_by_org(s, actor=cast.a_cat)}
        a, b = by_org[cast.world.a.org_id], by_org[cast.world.b.org_id]
        assert a.resources == 2 and a.drafts == 1 and a.minimum < a.maximum
        assert a.average == round((a.minimum + a.maximum) / 2, 1)
        assert b.resources == 1 and b.drafts == 0  # another department's draft count is not shown to 公安局
        only_b = service.completeness_by_org(s, actor=cast.a_cat, org_id=cast.world.b.org_id)
        assert [o.org_id for o in only_b] == [cast.world.b.org_id]


# ---- relevance ---------------------------------------------------------------------------------------
def test_relevance_checks_related_codes(runtime, cast: Cast):
    published = publish(runtime, cast.a_cat, cast.reviewer)
    draft, draft_code = create(runtime, cast.b_cat, name="婚姻登记信息", items=[item("登记日期", "reg_date")])
    revoked = publish(runtime, cast.b_cat, cast.reviewer, name="收养登记信息", items=[item("收养日期", "adopt_date")])
    with runtime.db.write() as s:
        service.request_revoke(s, actor=cast.b_cat, resource_id=revoked, reason="并入婚姻家庭信息")
    with runtime.db.write() as s:
        service.approve(s, actor=cast.reviewer, resource_id=revoked)
    with runtime.db.read() as s:
        pub_code, rev_code = service._get(s, published).code, service._get(s, revoked).code
    rid, own = create(
        runtime,
        cast.a_cat,
        name="人口关联测试信息",
        items=[item("关联号", "rel_no")],
        related_codes=[pub_code, draft_code, rev_code, "101009/000099"],
    )
    checks, _ = _checks(runtime, cast.a_cat, rid)
    findings = {f.field: (f.code, f.severity) for f in checks["relevance"].findings}
    assert findings == {
        "related_codes[1]": ("related_unpublished", "warn"),
        "related_codes[2]": ("related_revoked", "fail"),
        "related_codes[3]": ("related_missing", "fail"),
    }
    ok, _ = create(runtime, cast.a_cat, name="人口关联正常信息", items=[item("号", "n1")], related_codes=[pub_code])
    checks, _ = _checks(runtime, cast.a_cat, ok)
    assert checks["relevance"].status == "pass"


# ---- clarity -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [("无", True), ("暂无", True), ("TBD", True), ("xxxx", True), ("...", True), ("—", True), ("人口信息", False)],
)
def test_placeholder_detection(text, expected):
    assert is_placeholder(text) is expected


def test_clarity_flags_placeholders_and_missing_descriptions(runtime, cast: Cast):
    rid, _ = create(
        runtime,
        cast.a_cat,
        name="测试",
        summary="待补充",
        items=[
            item("xxx", "field_a"),
            item("出生日期", "birth", description="..."),
            item("性别", "sex", description=""),
        ],
    )
    checks, _ = _checks(runtime, cast.a_cat, rid)
    found = {(f.field, f.code, f.severity) for f in checks["clarity"].findings}
    assert found == {
        ("name", "placeholder", "fail"),
        ("summary", "placeholder", "fail"),
        ("items[0].name", "placeholder", "fail"),
        ("items[1].description", "placeholder", "fail"),
        ("items[2].description", "description_missing", "warn"),
    }
    good, _ = create(runtime, cast.a_cat, name="清晰的户籍信息", items=[item("性别", "sex")])
    checks, _ = _checks(runtime, cast.a_cat, good)
    assert checks["clarity"].status == "pass"


# ---- duplicate collection (条例809) -------------------------------------------------------------------
def _population_source(runtime, cast: Cast) -> str:
    """公安局 publishes 人口基础信息 as the designated data source (数源部门)."""
    return publish(
        runtime,
        cast.a_cat,
        cast.reviewer,
        name="人口基础信息",
        is_data_source=True,
        items=[
            item("公民身份号码", "id_number", length=18, is_key=True),
            item("户籍地址", "household_address"),
            item("民族", "ethnicity"),
        ],
    )


def test_draft_overlapping_a_data_source_is_flagged_on_the_draft_and_in_review(runtime, cast: Cast):
    source = _population_source(runtime, cast)
    with runtime.db.read() as s:
        source_code = service._get(s, source).code
    # 民政局 drafts an entry that collects 户籍地址 again
    rid, _ = create(
        runtime,
        cast.b_cat,
        name="低保申请家庭成员信息",
        classification_code="209001",
        classification_kind="theme",
        items=[
            item("公民身份号码", "id_number", length=18, is_key=True),  # a query key: not re-collection
            item("家庭住址", "household_address"),
            item("月收入", "monthly_income", data_type="number"),
        ],
    )
    with runtime.db.read() as s:
        shown = service.resource_read(s, actor=cast.b_cat, r=service._get(s, rid))
    assert [d.code for d in shown.duplicates] == [source_code]
    hit = shown.duplicates[0]
    assert hit.provider_org_id == cast.world.a.org_id and hit.provider_name == cast.world.a.name
    assert [i.machine_name for i in hit.items] == ["household_address"]

    with runtime.db.write() as s:
        review = service.submit(s, actor=cast.b_cat, resource_id=rid)
        assert [d["code"] for d in review.checks["duplicates"]] == [source_code]
        assert review.checks["ok"] is False
    with runtime.db.read() as s:
        queue = service.review_queue(s, actor=cast.reviewer)
        assert [q.resource_id for q in queue] == [rid] and queue[0].checks["duplicates"][0]["code"] == source_code
    with runtime.db.write() as s, pytest.raises(Problem) as exc:
        service.approve(s, actor=cast.reviewer, resource_id=rid)
    assert "duplicate_collection" in exc.value.extra["failed"]


def test_no_flag_without_designated_source_or_within_the_same_department(runtime, cast: Cast):
    # same items, but the publisher is not the designated data source
    publish(runtime, cast.a_cat, cast.reviewer, name="人口地址信息", items=[item("户籍地址", "household_address")])
    rid, _ = create(runtime, cast.b_cat, name="救助对象住址信息", items=[item("户籍地址", "household_address")])
    with runtime.db.read() as s:
        assert service.resource_read(s, actor=cast.b_cat, r=service._get(s, rid)).duplicates == []
    # the source department's own further entries are not re-collection
    _population_source(runtime, cast)
    own, _ = create(runtime, cast.a_cat, name="户籍迁移信息", items=[item("户籍地址", "household_address")])
    _, report = _checks(runtime, cast.a_cat, own)
    assert report.duplicates == []
    # drafts of others are not shown the list of duplicates of another department's draft
    with runtime.db.read() as s, pytest.raises(Problem):
        service.run_checks(s, actor=cast.a_cat, resource_id=rid)
