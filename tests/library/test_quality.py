"""Data quality: completeness, validity (re-checked against today's schema), uniqueness, timeliness, and the
cross-library consistency rules, stored with history (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest

from govshare.db import utcnow
from govshare.errors import Problem
from govshare.identity.principal import PLATFORM
from govshare.library import service
from govshare.library.models import LibraryTable
from govshare.library.schemas import LibraryTableCreate, LibraryTableUpdate
from govshare.standards.identifiers import make_id_number, make_licence_id, make_uscc
from tests.library.conftest import ENTITY_CODE, LICENCE_CODE, PERSON_CODE, PERSON_HEADER, write_csv
from tests.library.test_tableschema import LOW_INCOME

P1 = make_id_number("331902", dt.date(1980, 5, 6), 12)  # 王芳, alive
P2 = make_id_number("331903", dt.date(1940, 1, 2), 13)  # 李强, deceased
P3 = make_id_number("331904", dt.date(1975, 3, 4), 15)  # 赵敏, alive
GHOST = make_id_number("110105", dt.date(1970, 1, 1), 17)  # in no library
ISSUER = make_uscc("1", "1", "331900", "00000002")
TYPE = make_uscc("1", "1", "100000", "00000001") + "001"


def _persons(tmp_path):
    rows = [
        [P1, "王芳", "女", "1980-05-06", "汉族", "明湖区人民路1号", "331902", "已婚", "正常"],
        [P2, "李强", "男", "1940-01-02", "汉族", "云溪区解放路2号", "331903", "丧偶", "死亡"],
        [P3, "赵敏", "男", "1975-03-04", "汉族", "新港区中山路3号", "331904", "已婚", "正常"],
    ]
    return write_csv(tmp_path / "persons.csv", PERSON_HEADER, rows)


def _licences(tmp_path):
    header = (
        "licence_id licence_type_code licence_type_name licence_number holder_name holder_code holder_code_type "
        "issuer_name issuer_code issue_date valid_from valid_to status"
    ).split()
    entity = make_uscc("9", "1", "331902", "MA000001")

    def row(serial, holder, code, code_type, status):
        ident = make_licence_id(TYPE, ISSUER, serial)
        return [ident, TYPE, "居民身份证", serial, holder, code, code_type, "示范市公安局", ISSUER, "2020-01-01",
                "2020-01-01", "长期", status]  # fmt: skip

    rows = [
        row("L1", "王芳", P1, "111", "有效"),
        row("L2", "王方", P1, "111", "有效"),  # the name disagrees with the population
        row("L3", "李强", P2, "111", "有效"),  # a deceased person's valid licence
        row("L4", "李强", P2, "111", "注销"),  # cancelled: fine
        row("L5", "钱七", GHOST, "111", "有效"),  # holder unknown to the population: not checkable
        row("L6", "某公司", entity, "001", "有效"),  # an entity: outside both person rules
    ]
    return write_csv(tmp_path / "licences.csv", header, rows)


def _entities(tmp_path):
    header = ["uscc", "name", "entity_type", "legal_rep_name", "legal_rep_id_number", "region_code", "status"]
    rows = [
        [make_uscc("9", "1", "331902", "MA000001"), "甲公司", "企业法人", "赵敏", P3, "331902", "存续"],
        [make_uscc("9", "1", "331902", "MA000002"), "乙公司", "企业法人", "钱七", GHOST, "331902", "存续"],
        [make_uscc("9", "1", "331902", "MA000003"), "丙公司", "企业法人", None, None, "331902", "存续"],
    ]
    return write_csv(tmp_path / "entities.csv", header, rows)


def _run(runtime, code):
    with runtime.db.write() as s:
        return service.run_quality(s, actor=PLATFORM, code=code).report


def test_consistency_rules_across_libraries(lib, runtime, world, tmp_path):
    lib.create(LICENCE_CODE, "licence", world.b.org_id)
    lib.create(ENTITY_CODE, "legal_entity", world.b.org_id)
    assert lib.ingest(PERSON_CODE, _persons(tmp_path)).inserted == 3
    assert lib.ingest(LICENCE_CODE, _licences(tmp_path)).inserted == 6
    assert lib.ingest(ENTITY_CODE, _entities(tmp_path)).inserted == 3

    report = _run(runtime, LICENCE_CODE)
    rules = {c["name"]: c for c in report["consistency"]}
    names = rules["holder_name_matches_population"]
    assert (names["checked"], names["violations"], names["unmatched"]) == (4, 1, 1)
    assert names["samples"] == [make_licence_id(TYPE, ISSUER, "L2")]
    dead = rules["deceased_hold_no_valid_licence"]
    assert (dead["checked"], dead["violations"]) == (3, 1)  # L1, L2, L3 are valid and checkable; L3 is wrong
    assert dead["samples"] == [make_licence_id(TYPE, ISSUER, "L3")]
    assert dead["target"]["code"] == PERSON_CODE and dead["rate"] == pytest.approx(2 / 3, abs=1e-6)

    entities = _run(runtime, ENTITY_CODE)
    reps = entities["consistency"][0]
    assert (reps["name"], reps["checked"], reps["violations"]) == ("legal_rep_in_population", 2, 1)
    assert reps["samples"] == [make_uscc("9", "1", "331902", "MA000002")]
    fields = {f["name"]: f for f in entities["fields"]}
    assert fields["legal_rep_id_number"]["completeness"] == pytest.approx(2 / 3, abs=1e-6)
    assert fields["address"]["completeness"] == 0 and fields["address"]["validity"] is None
    assert entities["uniqueness"]["rate"] == 1.0


def test_a_rule_without_its_target_library_is_not_applicable(lib, runtime, world, tmp_path):
    lib.create(ENTITY_CODE, "legal_entity", world.b.org_id)
    lib.create("RK-OTHER", "person", world.b.org_id)  # now there are two person libraries: which one?
    lib.ingest(ENTITY_CODE, _entities(tmp_path))
    rule = _run(runtime, ENTITY_CODE)["consistency"][0]
    assert rule["status"] == "not_applicable" and "2 tables" in rule["reason"]


def test_completeness_validity_timeliness_and_history(lib, runtime, world, tmp_path):
    rows = [
        ["DB00000001", P1, "王芳", "331902", "3", "低保", "1200.5", "2024-01-05"],
        ["DB00000002", P3, "赵敏", "331904", "", "特困", "", "2024-02-05"],
        ["DB00000003", P2, "李强", "331903", "1", "低保边缘", "800", "2024-03-05"],
    ]
    header = ["family_id", "applicant_id_number", "applicant_name", "region_code", "family_size", "category",
              "monthly_income", "approved_date"]  # fmt: skip
    with runtime.db.write() as s:
        service.create_table(
            s,
            actor=PLATFORM,
            data=LibraryTableCreate(
                resource_code="MZ/DBJT/0001", name="低收入家庭专题库", schema=LOW_INCOME, update_cycle="每日",
                provider_org_id=world.b.org_id,
            ),
        )  # fmt: skip
    lib.ingest("MZ/DBJT/0001", write_csv(tmp_path / "db.csv", header, rows))
    first = _run(runtime, "MZ/DBJT/0001")
    fields = {f["name"]: f for f in first["fields"]}
    assert fields["family_size"]["completeness"] == pytest.approx(2 / 3, abs=1e-6)
    assert fields["monthly_income"]["filled"] == 2 and first["dimensions"]["validity"] == 1.0
    assert first["timeliness"]["timely"] is True and first["timeliness"]["cycle_days"] == 1
    applicants = first["consistency"][0]  # the person library is empty: no applicant is found in it
    assert (applicants["checked"], applicants["violations"], applicants["rate"]) == (3, 3, 0.0)

    # Tighten a rule: stored values that passed then fail now, and quality shows it.
    tightened = {**LOW_INCOME, "fields": [dict(f) for f in LOW_INCOME["fields"]]}
    tightened["fields"][6]["maximum"] = 1000  # monthly_income
    with runtime.db.write() as s:
        service.update_table(s, actor=PLATFORM, code="MZ/DBJT/0001", data=LibraryTableUpdate(schema=tightened))
        table = s.query(LibraryTable).filter_by(resource_code="MZ/DBJT/0001").one()
        table.last_verified_at = utcnow() - dt.timedelta(days=3)  # and let it go stale
    second = _run(runtime, "MZ/DBJT/0001")
    fields = {f["name"]: f for f in second["fields"]}
    assert fields["monthly_income"]["invalid"] == 1 and fields["monthly_income"]["validity"] == 0.5
    assert fields["monthly_income"]["invalid_by_rule"] == {"maximum": 1}
    assert second["rows_failing_current_rules"] == 1
    assert second["timeliness"]["timely"] is False and second["timeliness"]["score"] == 0.0
    assert second["score"] < first["score"]

    with runtime.db.read() as s:
        history = service.quality_history(s, actor=PLATFORM, code="MZ/DBJT/0001")
        latest = service.latest_quality(s, actor=PLATFORM, code="MZ/DBJT/0001")
    assert [h.score for h in history] == [second["score"], first["score"]] and latest.id == history[0].id


def test_quality_reports_are_for_the_provider_and_the_platform(lib, runtime, world, tmp_path):
    from govshare.identity import service as identity

    lib.ingest(PERSON_CODE, _persons(tmp_path))
    with runtime.db.read() as s:
        system_b = identity.authenticate_api_key(s, world.b.api_key)
        system_a = identity.authenticate_api_key(s, world.a.api_key)
    with runtime.db.write() as s, pytest.raises(Problem) as err:
        service.run_quality(s, actor=system_b, code=PERSON_CODE)
    assert err.value.status == 403
    with runtime.db.write() as s:
        assert service.run_quality(s, actor=system_a, code=PERSON_CODE).rows == 3
