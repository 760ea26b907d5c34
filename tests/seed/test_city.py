"""The demo city: deterministic, complete, and made of valid identifiers."""

from __future__ import annotations

import re

from govshare.identity.principal import OrgKind, OrgLevel, Role
from govshare.seed.city import DEMO_PASSWORD, build_city
from govshare.standards.identifiers import uscc_warnings, validate_uscc
from govshare.standards.regions import city_of, is_fictional, is_valid_region

REQUIRED = (
    "公安局", "民政局", "人力资源和社会保障局", "市场监督管理局", "自然资源和规划局", "不动产登记中心", "教育局",
    "卫生健康委员会", "司法局", "住房公积金管理中心", "税务局", "医疗保障局", "数据局", "财政局", "交通运输局",
    "生态环境局", "住房和城乡建设局", "农业农村局", "文化广电旅游局", "退役军人事务局", "应急管理局", "统计局",
    "城市管理局", "政务服务中心",
)  # fmt: skip


def test_deterministic_for_a_seed() -> None:
    assert build_city(2026) == build_city(2026)
    assert build_city() == build_city(2026)


def test_other_seed_other_city() -> None:
    a, b = build_city(2026), build_city(7)
    assert a != b
    assert [d.uscc for d in a.departments] != [d.uscc for d in b.departments]
    # the structure docs rely on stays the same
    assert [d.short_code for d in a.departments] == [d.short_code for d in b.departments]
    assert [s.username for d in a.departments for s in d.staff] == [s.username for d in b.departments for s in d.staff]


def test_departments() -> None:
    city = build_city()
    assert len(city.departments) >= 22
    names = [d.name for d in city.departments]
    for required in REQUIRED:
        assert any(name.endswith(required) for name in names), required
    assert len(set(names)) == len(names)
    assert len({d.short_code for d in city.departments}) == len(city.departments)
    for dept in city.departments:
        assert dept.level == OrgLevel.city
        assert dept.region_code == city.region_code
        assert re.fullmatch(r"[a-z][a-z0-9_-]{1,31}", dept.short_code)
        assert 1 <= len(dept.systems) <= 3


def test_kinds() -> None:
    city = build_city()
    operators = [d for d in city.departments if d.kind == OrgKind.platform_operator]
    assert len(operators) == 1 and operators[0].name == "示范市数据局"
    assert city.platform_operator is operators[0]
    assert city.department("swj").kind == OrgKind.vertical
    assert city.department("swj").name == "国家税务总局示范市税务局"


def test_every_uscc_validates() -> None:
    city = build_city()
    usccs = [d.uscc for d in city.departments]
    assert len(set(usccs)) == len(usccs)
    for dept in city.departments:
        assert validate_uscc(dept.uscc) == dept.uscc
        assert uscc_warnings(dept.uscc) == []
        assert dept.uscc[:2] in ("11", "12")  # 机构编制: 机关 or 事业单位
        assert dept.uscc[2:8] == city.region_code


def test_region_codes_are_fictional_but_valid() -> None:
    city = build_city()
    assert is_valid_region(city.region_code) and is_fictional(city.region_code)
    for district in city.districts:
        assert is_valid_region(district.code) and is_fictional(district.code)
        assert city_of(district.code) == city.region_code


def test_systems() -> None:
    city = build_city()
    codes = [s.code for d in city.departments for s in d.systems]
    assert len(set(codes)) == len(codes)
    for dept in city.departments:
        for system in dept.systems:
            assert re.fullmatch(r"[a-z][a-z0-9_-]{1,63}", system.code)
            assert system.code.startswith(dept.short_code + "-")
            assert system.name and system.description
    assert any(s.name == "人口管理信息系统" for s in city.department("gaj").systems)
    assert any(s.name == "企业登记系统" for s in city.department("scjgj").systems)
    assert any(s.name == "一窗受理系统" for s in city.department("zwfwzx").systems)


def test_staff() -> None:
    city = build_city()
    usernames = [s.username for d in city.departments for s in d.staff]
    assert len(set(usernames)) == len(usernames)
    for dept in city.departments:
        roles = {r for s in dept.staff for r in s.roles}
        assert {Role.org_admin, Role.catalog_manager, Role.approver} <= roles
        assert (Role.clerk in roles) == dept.service_window
        assert (Role.platform_admin in roles) == (dept.kind == OrgKind.platform_operator)
        for staff in dept.staff:
            assert re.fullmatch(r"[a-z][a-z0-9_]{2,63}", staff.username)
            assert staff.username.startswith(dept.short_code + "_")
            assert staff.password == DEMO_PASSWORD
            assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}", staff.display_name)
    operator = city.platform_operator
    assert {s.username for s in operator.staff} >= {"sjj_platform", "sjj_auditor"}
    assert city.department("gaj").service_window and city.department("zwfwzx").service_window
    assert {"gaj_admin", "zwfwzx_clerk1"} <= set(usernames)
