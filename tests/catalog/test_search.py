"""Search: Chinese relevance (jieba), facets, sorting, stable cursors and visibility, on SQLite and PostgreSQL.

The expected lists are exact: the same data must give the same results, in the same order, on both stores.
"""

from __future__ import annotations

import pytest

from govshare.catalog import service
from govshare.catalog.search import SearchQuery
from govshare.errors import Problem
from govshare.identity.principal import PLATFORM
from tests.catalog.conftest import Cast, create, item, publish


def _search(runtime, actor, **kw):
    with runtime.db.read() as s:
        return service.search(s, actor=actor, query=SearchQuery(**kw))


def _names(result) -> list[str]:
    return [h.name for h in result.items]


@pytest.fixture
def shelf(runtime, cast: Cast) -> dict[str, str]:
    """A small published catalog of two departments, one open entry, one draft each."""
    ids = {}
    ids["人口基础信息"] = publish(
        runtime,
        cast.a_cat,
        cast.reviewer,
        name="人口基础信息",
        keywords=["户籍"],
        items=[item("公民身份号码", "id_number", is_key=True), item("姓名", "name"), item("户籍地址", "hh_addr")],
    )
    ids["流动人口居住登记信息"] = publish(
        runtime,
        cast.a_cat,
        cast.reviewer,
        name="流动人口居住登记信息",
        keywords=["居住证"],
        update_cycle="daily",
        items=[item("居住证编号", "permit_no"), item("居住地址", "addr")],
    )
    ids["企业登记公示信息"] = publish(
        runtime,
        cast.b_cat,
        cast.reviewer,
        classification_kind="base",
        classification_code="102001",
        name="企业登记公示信息",
        summary="依法向社会公示的企业登记信息, 供公众查询企业名称、住所与经营范围。",
        keywords=["企业"],
        share_type="unconditional",
        share_condition="",
        share_basis="",
        share_reason=None,
        open_type="unconditional",
        formats=["database", "self_describing"],
        network="internet",
        items=[
            item("统一社会信用代码", "uscc", is_key=True),
            item("企业名称", "company_name"),
            item("营业执照登记机关", "licence_authority"),  # only an item mentions 营业执照
        ],
    )
    ids["婚姻登记信息"] = publish(
        runtime,
        cast.b_cat,
        cast.reviewer,
        classification_code="101005",
        name="婚姻登记信息",
        summary="结婚、离婚登记信息, 含登记日期与登记机关, 婚姻状况的源头数据。",
        keywords=["婚姻"],
        items=[item("男方姓名", "husband_name", sensitivity="L3"), item("登记日期", "reg_date", data_type="date")],
    )
    ids["人口草稿信息"], _ = create(runtime, cast.a_cat, name="人口迁移草稿信息", items=[item("迁出地", "from_addr")])
    ids["民政草稿信息"], _ = create(
        runtime,
        cast.b_cat,
        name="殡葬服务草稿信息",
        keywords=["殡葬"],
        summary="火化与殡葬服务记录, 用于身后事联办。",
        items=[item("火化日期", "cremation")],
    )
    return ids


def test_chinese_queries_find_by_name_keyword_and_item(runtime, cast: Cast, shelf):
    # For 民政局: two published name hits (tie broken by age); 公安局's draft 人口迁移草稿信息 stays hidden from it
    assert _names(_search(runtime, cast.b_cat, q="人口")) == ["人口基础信息", "流动人口居住登记信息"]
    # For 公安局 its own draft shows too; its summary and keywords mention 人口 (4 + 1) below the name hits (8 + 1)
    own = _search(runtime, cast.a_cat, q="人口")
    assert [(h.name, h.score) for h in own.items] == [
        ("人口迁移草稿信息", 13),
        ("人口基础信息", 9),
        ("流动人口居住登记信息", 9),
    ]
    # 营业执照 occurs only in a data item of 企业登记公示信息
    result = _search(runtime, cast.a_cat, q="营业执照")
    assert _names(result) == ["企业登记公示信息"]
    assert result.items[0].matched_items == ["营业执照登记机关"]
    # multi-word queries intersect; the generic 信息 is dropped next to a specific word
    assert _search(runtime, cast.a_cat, q="婚姻 登记信息").tokens == ["婚姻", "登记"]
    assert _names(_search(runtime, cast.a_cat, q="婚姻 登记信息")) == ["婚姻登记信息"]
    # weights add up per field: name 8, keyword 4, item 2, summary 1; ties go to the older entry
    ranked = _search(runtime, cast.a_cat, q="登记")
    assert [(h.name, h.score) for h in ranked.items] == [
        ("企业登记公示信息", 11),  # name + summary + item 营业执照登记机关
        ("婚姻登记信息", 11),  # name + summary + item 登记日期
        ("流动人口居住登记信息", 8),  # name only
    ]
    assert _search(runtime, cast.a_cat, q="航天飞机").total == 0
    assert _search(runtime, cast.a_cat, q="，。！").total == 0


def test_facets_count_the_matches_and_ignore_their_own_filter(runtime, cast: Cast, shelf):
    everything = _search(runtime, cast.reviewer)
    assert everything.total == 6  # reviewers see the drafts too
    share = {f.value: f.count for f in everything.facets["share_type"]}
    assert share == {"conditional": 5, "unconditional": 1}
    providers = {f.value: f.count for f in everything.facets["provider"]}
    assert providers == {cast.world.a.org_id: 3, cast.world.b.org_id: 3}
    assert {f.label for f in everything.facets["provider"]} == {cast.world.a.name, cast.world.b.name}
    fmt = {f.value: f.count for f in everything.facets["format"]}
    assert fmt == {"database": 6, "self_describing": 1}
    assert {f.value: f.count for f in everything.facets["classification"]} == {"101": 5, "102": 1}
    assert {f.value: f.count for f in everything.facets["level"]} == {"L1": 5, "L3": 1}

    filtered = _search(runtime, cast.reviewer, share_type=["unconditional"], provider=[cast.world.b.org_id])
    assert filtered.total == 1 and _names(filtered) == ["企业登记公示信息"]
    # share_type counts ignore the share_type filter (so a user can widen it) but honour the provider filter
    assert {f.value: f.count for f in filtered.facets["share_type"]} == {"conditional": 2, "unconditional": 1}
    assert {f.value: f.count for f in filtered.facets["provider"]} == {cast.world.b.org_id: 1}
    assert _search(runtime, cast.reviewer, classification=["1"]).total == 6
    assert _search(runtime, cast.reviewer, classification=["102"]).total == 1
    assert _search(runtime, cast.reviewer, format=["self_describing"]).total == 1
    assert _search(runtime, cast.reviewer, level=["L3"]).total == 1
    assert _search(runtime, cast.reviewer, update_cycle=["daily"]).total == 1


def test_visibility_public_staff_own_drafts_reviewers(runtime, cast: Cast, shelf):
    public = _search(runtime, None)
    assert _names(public) == ["企业登记公示信息"]  # only the open catalog
    assert _names(_search(runtime, None, q="人口")) == []
    staff_b = set(_names(_search(runtime, cast.b_cat)))
    assert staff_b == {"人口基础信息", "流动人口居住登记信息", "企业登记公示信息", "婚姻登记信息", "殡葬服务草稿信息"}
    assert "人口迁移草稿信息" not in staff_b  # another department's draft
    assert set(_names(_search(runtime, cast.a_cat, mine=True, status=["draft"]))) == {"人口迁移草稿信息"}
    assert _search(runtime, cast.reviewer, status=["draft"]).total == 2
    assert _names(_search(runtime, cast.a_cat, open_only=True)) == ["企业登记公示信息"]
    # another department's draft is a 404 on direct access, not a 403
    with runtime.db.read() as s, pytest.raises(Problem) as exc:
        service.get_visible(s, actor=cast.b_cat, resource_id=shelf["人口草稿信息"])
    assert exc.value.status == 404
    with runtime.db.read() as s, pytest.raises(Problem) as exc:
        service.get_visible(s, actor=None, resource_id=shelf["人口基础信息"])  # not open
    assert exc.value.status == 404
    with runtime.db.read() as s:
        assert service.get_visible(s, actor=None, resource_id=shelf["企业登记公示信息"]).name == "企业登记公示信息"


def test_revoked_and_revised_entries_in_search(runtime, cast: Cast, shelf):
    from govshare.catalog.schemas import ResourcePatch

    rid = shelf["流动人口居住登记信息"]
    with runtime.db.write() as s:  # a pending change does not show in the published catalog
        service.patch_resource(s, actor=cast.a_cat, resource_id=rid, patch=ResourcePatch(name="流动人口信息(修订)"))
    assert _names(_search(runtime, cast.b_cat, q="修订")) == []
    hit = _search(runtime, cast.b_cat, q="流动人口").items[0]
    assert (hit.name, hit.status) == ("流动人口居住登记信息", "published")
    with runtime.db.write() as s:
        service.discard_revision(s, actor=cast.a_cat, resource_id=rid)
    with runtime.db.write() as s:
        service.request_revoke(s, actor=cast.a_cat, resource_id=rid, reason="停止维护")
    with runtime.db.write() as s:
        service.approve(s, actor=cast.reviewer, resource_id=rid)
    assert _names(_search(runtime, cast.b_cat, q="人口")) == ["人口基础信息"]
    assert "流动人口居住登记信息" in _names(_search(runtime, cast.a_cat, q="人口"))  # own department still sees it


def test_sorting_and_stable_cursor_pagination(runtime, cast: Cast, shelf):
    everything = _names(_search(runtime, cast.reviewer, sort="name", limit=100))
    assert everything == sorted(everything)  # code point order on both stores
    seen, cursor = [], None
    while True:
        page = _search(runtime, cast.reviewer, sort="name", limit=2, cursor=cursor)
        seen += _names(page)
        cursor = page.next_cursor
        if cursor is None:
            break
        if len(seen) == 2:  # an entry added while paging does not shift the pages
            create(runtime, cast.a_cat, name="一个新增资源信息", items=[item("新字段", "new_field")])
    assert seen[:4] == everything[:4] and len(seen) == len(set(seen))
    by_code = [h.code for h in _search(runtime, cast.reviewer, sort="code", limit=100).items]
    assert by_code == sorted(by_code)
    newest = _search(runtime, cast.reviewer, sort="newest", limit=3)
    first = _names(newest)
    second = _names(_search(runtime, cast.reviewer, sort="newest", limit=3, cursor=newest.next_cursor))
    assert not set(first) & set(second)
    # relevance pages too
    rel = _search(runtime, cast.reviewer, q="信息", limit=2)
    rest = _search(runtime, cast.reviewer, q="信息", limit=100, cursor=rel.next_cursor)
    assert len(_names(rel)) + len(_names(rest)) == rel.total


def test_cursor_of_another_query_or_garbage_is_rejected(runtime, cast: Cast, shelf):
    page = _search(runtime, cast.reviewer, limit=1)
    for bad in (page.next_cursor + "x", "not-a-cursor"):
        with pytest.raises(Problem) as exc:
            _search(runtime, cast.reviewer, limit=1, cursor=bad)
        assert exc.value.code == "cursor_invalid"
    with pytest.raises(Problem) as exc:
        _search(runtime, cast.reviewer, limit=1, q="人口", cursor=page.next_cursor)
    assert exc.value.code == "cursor_invalid"
    with pytest.raises(Problem) as exc:
        _search(runtime, cast.reviewer, share_type=["maybe"])
    assert (exc.value.code, exc.value.field) == ("filter_value_invalid", "share_type")


def test_search_over_the_demo_catalog(runtime, world):
    """The realistic catalog: what a clerk would type finds what they need."""
    from govshare.identity import service as identity
    from govshare.identity.schemas import OrganizationCreate
    from govshare.seed.catalog_data import load_demo_catalog
    from tests.conftest import uscc_for

    with runtime.db.write() as s:
        orgs = {"gaj": world.a.org_id, "mzj": world.b.org_id}
        for n, code in enumerate(("scjgj", "rsj", "bdcdjzx", "gjjzx", "jyj", "wjw"), start=20000001):
            org = identity.create_organization(
                s,
                actor=PLATFORM,
                data=OrganizationCreate(
                    name=f"示范市{code}", uscc=uscc_for(n), level="city", region_code="331900", short_code=code
                ),
            )
            orgs[code] = org.id
        assert load_demo_catalog(s, orgs_by_short_code=orgs) >= 40
    top = {
        q: _names(_search(runtime, PLATFORM, q=q, limit=3)) for q in ("人口", "营业执照", "不动产", "公积金", "出生")
    }
    assert top["人口"][0] == "人口基础信息"
    assert top["营业执照"][0] == "营业执照电子证照"
    assert top["不动产"][0] == "不动产登记信息"
    assert top["公积金"][0] == "住房公积金缴存信息"
    assert top["出生"][0] == "出生医学证明信息"
    licences = _search(runtime, PLATFORM, q="电子证照", limit=100)
    assert licences.total >= 8 and all("电子证照" in n for n in _names(licences))
    assert _search(runtime, None, limit=100).total == sum(f.count for f in _search(runtime, None).facets["open_type"])


def test_status_filter_does_not_reveal_other_departments_workflow(runtime, cast: Cast, shelf):
    from govshare.catalog.schemas import ResourcePatch

    with runtime.db.write() as s:  # 公安局 prepares a change to a published entry: its status is draft again
        service.patch_resource(
            s, actor=cast.a_cat, resource_id=shelf["人口基础信息"], patch=ResourcePatch(keywords=["户口"])
        )
    assert set(_names(_search(runtime, cast.a_cat, status=["draft"]))) == {"人口基础信息", "人口迁移草稿信息"}
    assert _names(_search(runtime, cast.b_cat, status=["draft"])) == ["殡葬服务草稿信息"]  # only its own
    published_for_b = set(_names(_search(runtime, cast.b_cat, status=["published"])))
    assert "人口基础信息" in published_for_b and "殡葬服务草稿信息" not in published_for_b
    assert _names(_search(runtime, None, status=["draft"])) == []
