"""The search index behind the latency goal: per-token facet counts kept on write, the epoch-keyed result cache,
and the migration that backfills the counts — on SQLite and PostgreSQL.

The facet counts must always equal counting the postings, through every lifecycle step and visibility change; a
one-word search must give exactly what the posting path gives; a cached result must never outlive a write.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from govshare.catalog import search as search_mod
from govshare.catalog import service
from govshare.catalog.schemas import ResourceCreate, ResourcePatch
from govshare.catalog.search import SearchQuery
from govshare.identity.principal import PLATFORM
from tests.catalog.conftest import Cast, content, create, item, publish

#: what an open-catalog entry needs besides the defaults of ``content()``
OPEN = dict(open_type="unconditional", share_type="unconditional", share_condition="", share_basis="",
            share_reason=None, network="internet",
            items=[item("登记编号", "reg_no", is_key=True), item("登记日期", "reg_date")])  # fmt: skip
COUNTS_FROM_POSTINGS = (
    "SELECT token, vis, prov, class3, fkey, count(*) FROM catalog_search_token GROUP BY token, vis, prov, class3, fkey"
    # the pseudo-token of every resource (searches without words)
    " UNION ALL SELECT '', vis, prov, class3, fkey, count(*) FROM catalog_search_doc GROUP BY vis, prov, class3, fkey"
)


def _counts_equal_postings(runtime) -> int:
    with runtime.db.read() as s:
        kept = {
            tuple(r[:5]): r[5]
            for r in s.execute(text("SELECT token, vis, prov, class3, fkey, n FROM catalog_search_facet"))
        }
        counted = {tuple(r[:5]): r[5] for r in s.execute(text(COUNTS_FROM_POSTINGS))}
    assert kept == counted
    assert all(n > 0 for n in kept.values())  # rows reaching zero are deleted
    return len(kept)


def _search(runtime, actor, **kw):
    with runtime.db.read() as s:
        return service.search(s, actor=actor, query=SearchQuery(**kw))


def _dump(result) -> dict:
    return result.model_dump(mode="json")


def test_facet_counts_follow_every_lifecycle_step(runtime, cast: Cast):
    assert _counts_equal_postings(runtime) == 0
    draft, _ = create(runtime, cast.a_cat, name="人口迁移登记信息")
    _counts_equal_postings(runtime)
    rid = publish(
        runtime, cast.b_cat, cast.reviewer, name="婚姻登记信息", keywords=["婚姻"], classification_code="101005"
    )
    _counts_equal_postings(runtime)
    # a revision of the published entry: kept aside (the listed content and its postings do not change)...
    with runtime.db.write() as s:
        service.patch_resource(
            s,
            actor=cast.b_cat,
            resource_id=rid,
            patch=ResourcePatch(
                keywords=["婚姻", "离婚"],
                open_type="unconditional",
                share_type="unconditional",
                share_condition="",
                share_basis="",
                share_reason=None,
                network="internet",
                items=[item("登记日期", "reg_date", data_type="date"), item("登记机关", "authority")],
            ),
        )
    _counts_equal_postings(runtime)
    with runtime.db.write() as s:
        service.submit(s, actor=cast.b_cat, resource_id=rid)
    _counts_equal_postings(runtime)
    # ...until approved: version 2 changes tokens, the open flag (vis) and the packed facets at once
    with runtime.db.write() as s:
        service.approve(s, actor=cast.reviewer, resource_id=rid)
    n_published = _counts_equal_postings(runtime)
    with runtime.db.read() as s:
        assert s.scalar(text("SELECT count(*) FROM catalog_search_facet WHERE token = '离婚' AND vis = 3")) == 1
    with runtime.db.write() as s:
        service.request_revoke(s, actor=cast.b_cat, resource_id=rid, reason="数据已迁移至新资源")
    with runtime.db.write() as s:
        service.reject(s, actor=cast.reviewer, resource_id=rid, reason="仍有部门在用")
    assert _counts_equal_postings(runtime) == n_published
    with runtime.db.write() as s:
        service.request_revoke(s, actor=cast.b_cat, resource_id=rid, reason="数据已迁移至新资源")
    with runtime.db.write() as s:
        service.approve(s, actor=cast.reviewer, resource_id=rid, reason="同意撤销")
    _counts_equal_postings(runtime)
    with runtime.db.read() as s:  # revoked: no longer listed, so its counts moved to vis 0
        assert s.scalar(text("SELECT count(*) FROM catalog_search_facet WHERE token = '离婚' AND vis = 3")) == 0
    # a draft edited (content replaced in place), then deleted
    with runtime.db.write() as s:
        service.patch_resource(s, actor=cast.a_cat, resource_id=draft, patch=ResourcePatch(keywords=["迁移", "户口"]))
    _counts_equal_postings(runtime)
    with runtime.db.write() as s:
        service.delete_resource(s, actor=cast.a_cat, resource_id=draft)
    _counts_equal_postings(runtime)
    with runtime.db.read() as s:
        assert s.scalar(text("SELECT count(*) FROM catalog_search_facet WHERE token = '户口'")) == 0


def test_a_failed_write_leaves_the_counts_untouched(runtime, cast: Cast):
    publish(runtime, cast.a_cat, cast.reviewer, name="人口基础信息")
    before = _counts_equal_postings(runtime)
    with pytest.raises(RuntimeError), runtime.db.write() as s:
        service.create_resource(s, actor=cast.a_cat, data=ResourceCreate(**content(name="人口迁移草稿信息")))
        raise RuntimeError("abort after the projection was written")
    assert _counts_equal_postings(runtime) == before


@pytest.fixture
def shelf(runtime, cast: Cast) -> None:
    """Two departments' published entries (one open), drafts of each, differing in every facet."""
    publish(runtime, cast.a_cat, cast.reviewer, name="人口基础信息", keywords=["户籍"])
    publish(runtime, cast.a_cat, cast.reviewer, name="流动人口居住登记信息", update_cycle="daily",
            items=[item("居住证编号", "permit_no"), item("居住地址", "addr", sensitivity="L3")])  # fmt: skip
    publish(
        runtime, cast.b_cat, cast.reviewer, name="人口婚姻登记信息", classification_code="101005",
        share_type="unconditional", share_condition="", share_basis="", share_reason=None, open_type="unconditional",
        network="internet", formats=["database", "self_describing"],
        items=[item("男方姓名", "husband_name"), item("登记日期", "reg_date", data_type="date")],
    )  # fmt: skip
    publish(runtime, cast.b_cat, cast.reviewer, name="企业人口登记公示信息", classification_kind="base",
            classification_code="102001", formats=["self_describing"])  # fmt: skip
    create(runtime, cast.a_cat, name="人口迁移草稿信息", items=[item("迁出地", "from_addr")])
    create(runtime, cast.b_cat, name="人口殡葬草稿信息", update_cycle="annual")


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"share_type": ["conditional"]},
        {"open_type": ["unconditional"], "format": ["self_describing"]},
        {"update_cycle": ["daily", "annual"]},
        {"level": ["L3"]},
        {"classification": ["1"], "share_type": ["unconditional"]},
        {"classification": ["102"]},
        {"mine": True},
        {"open_only": True},
        {"limit": 1},
        {"facets": False},
        {"facets": False, "level": ["L3"], "classification": ["1"]},
    ],
)
def test_search_of_one_word_or_none_from_counts_equals_counting(runtime, cast: Cast, shelf, monkeypatch, filters):
    providers = {"provider": [cast.world.b.org_id]}
    for actor in (None, cast.a_cat, cast.b_cat, cast.reviewer):
        for extra in ({}, providers):
            for q in ("人口", "登记", "航天", ""):
                kw = {"q": q, **filters, **extra}
                if kw.get("mine") and actor is None:
                    continue
                search_mod.clear_cache()
                monkeypatch.setattr(search_mod, "USE_FACET_COUNTS", True)
                fast = _search(runtime, actor, **kw)
                search_mod.clear_cache()
                monkeypatch.setattr(search_mod, "USE_FACET_COUNTS", False)
                slow = _search(runtime, actor, **kw)
                assert _dump(fast) == _dump(slow), (actor and actor.name, kw)
                if fast.next_cursor:  # the next page too
                    monkeypatch.setattr(search_mod, "USE_FACET_COUNTS", True)
                    nxt = _search(runtime, actor, **kw, cursor=fast.next_cursor)
                    monkeypatch.setattr(search_mod, "USE_FACET_COUNTS", False)
                    assert _dump(nxt) == _dump(_search(runtime, actor, **kw, cursor=fast.next_cursor))


def test_visibility_of_counted_facets(runtime, cast: Cast, shelf):
    # the public sees the one open entry; 民政局 its own draft too; 公安局 its own; reviewers everything
    assert _search(runtime, None, q="人口").total == 1
    assert _search(runtime, cast.a_cat, q="人口").total == 5
    assert _search(runtime, cast.b_cat, q="人口").total == 5
    assert _search(runtime, cast.reviewer, q="人口").total == 6
    providers = {v.value: v.count for v in _search(runtime, cast.a_cat, q="人口").facets["provider"]}
    assert providers == {cast.world.a.org_id: 3, cast.world.b.org_id: 2}  # 民政局's draft is not counted for 公安局


def test_cache_is_never_stale_after_a_write(runtime, cast: Cast):
    rid = publish(runtime, cast.a_cat, cast.reviewer, name="人口基础信息")
    search_mod.clear_cache()
    first = _search(runtime, cast.b_cat, q="人口")
    assert len(search_mod._cache[runtime]) == 1
    assert first.total == 1 and _search(runtime, cast.b_cat, q="人口") == first  # the second one from the cache
    assert len(search_mod._cache[runtime]) == 1
    assert _search(runtime, None, q="人口").total == 0  # not open
    # a new published entry: the next search sees it (the epoch moved)
    publish(runtime, cast.b_cat, cast.reviewer, name="流动人口信息", **OPEN)
    after = _search(runtime, cast.b_cat, q="人口")
    assert after.total == 2 and {h.name for h in after.items} == {"人口基础信息", "流动人口信息"}
    assert _search(runtime, None, q="人口").total == 1
    # a multi-word query (counted from postings) and a filtered one follow the revocation as well
    assert _search(runtime, cast.b_cat, q="人口 基础").total == 1
    assert _search(runtime, cast.b_cat, q="人口", share_type=["conditional"]).total == 1
    with runtime.db.write() as s:
        service.request_revoke(s, actor=cast.a_cat, resource_id=rid, reason="停止共享")
    with runtime.db.write() as s:
        service.approve(s, actor=cast.reviewer, resource_id=rid, reason="同意")
    assert _search(runtime, cast.b_cat, q="人口 基础").total == 0
    assert _search(runtime, cast.b_cat, q="人口", share_type=["conditional"]).total == 0
    assert [h.name for h in _search(runtime, cast.b_cat, q="人口").items] == ["流动人口信息"]
    # the provider still sees its revoked entry (own), with its workflow state
    own = _search(runtime, cast.a_cat, q="人口 基础")
    assert [(h.name, h.status) for h in own.items] == [("人口基础信息", "revoked")]


def test_write_sessions_neither_fill_nor_read_the_cache(runtime, cast: Cast):
    publish(runtime, cast.a_cat, cast.reviewer, name="人口基础信息")
    search_mod.clear_cache()
    with runtime.db.write() as s:
        service.create_resource(s, actor=cast.a_cat, data=ResourceCreate(**content(name="人口迁移草稿信息")))
        inside = service.search(s, actor=cast.a_cat, query=SearchQuery(q="人口"))
        assert inside.total == 2  # its own uncommitted draft
        s.rollback()
    assert search_mod._cache.get(runtime) is None
    assert _search(runtime, cast.a_cat, q="人口").total == 1


def test_search_in_a_fresh_read_session_needs_no_transaction(runtime, cast: Cast):
    """A read session that has not begun searches on a connection without a transaction (no BEGIN/ROLLBACK);
    one that already reads in a transaction searches in it, and sees the same."""
    publish(runtime, cast.a_cat, cast.reviewer, name="人口基础信息", **OPEN)
    _search(runtime, None, q="人口")  # loads the per-process directory of departments and provider numbers
    search_mod.clear_cache()
    with runtime.db.read() as s:
        fresh = service.search(s, actor=None, query=SearchQuery(q="人口 基础"))
        assert not s.in_transaction()
    with runtime.db.read() as s:
        s.execute(text("SELECT 1"))
        search_mod.clear_cache()
        begun = service.search(s, actor=None, query=SearchQuery(q="人口 基础"))
    assert fresh.total == 1 and _dump(begun) == _dump(fresh)


def test_hits_are_checked_against_visibility_again(runtime, cast: Cast):
    """The page and its hits are two statements that may see different snapshots: an entry the caller may no
    longer see when the hits are read is left out, as a deleted one is."""
    shown = publish(runtime, cast.a_cat, cast.reviewer, name="人口基础信息", **OPEN)
    hidden, _ = create(runtime, cast.a_cat, name="人口迁移草稿信息")
    with runtime.db.read() as s:
        doc_of = dict(s.execute(text("SELECT resource_id, doc_id FROM catalog_search_doc")).all())
        mine = search_mod.provider_no(s, cast.world.a.org_id)
    page = [search_mod._PageRow(doc_of[rid], 8, 8) for rid in (shown, hidden)]
    with runtime.db.read() as s:
        conn = s.connection()
        public, _ = search_mod._hit_rows(conn, page, ["人口"], "open", False, -1)
        others, _ = search_mod._hit_rows(conn, page, ["人口"], "staff", False, mine + 1)
        own, matched = search_mod._hit_rows(conn, page, ["人口"], "staff", False, mine)
    assert {r.id for r in public.values()} == {r.id for r in others.values()} == {shown}
    assert {r.id for r in own.values()} == {shown, hidden}


def test_migration_backfills_the_counts_of_existing_postings(tmp_path):
    """An existing store at 0006 with postings: upgrading fills catalog_search_facet with their counts."""
    from govshare.config import Settings
    from govshare.migrate import upgrade
    from govshare.runtime import Runtime

    rt = Runtime(Settings(data_dir=tmp_path, log_level="WARNING", log_json=False))
    try:
        upgrade(rt.db, "0006")
        rows = [("人口", 1, 8, 3, 1, 101, 5), ("人口", 2, 8, 3, 1, 101, 5), ("人口", 3, 1, 0, 2, 102, 9),
                ("登记", 1, 2, 3, 1, 101, 5)]  # fmt: skip
        with rt.db.engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO catalog_search_token (token, doc_id, weight, vis, prov, class3, fkey) "
                    "VALUES (:t, :d, :w, :v, :p, :c, :f)"
                ),
                [dict(zip("tdwvpcf", r, strict=True)) for r in rows],
            )
        upgrade(rt.db)
        with rt.db.engine.connect() as c:
            got = sorted(
                tuple(r) for r in c.execute(text("SELECT token, vis, prov, class3, fkey, n FROM catalog_search_facet"))
            )
        assert got == [("人口", 0, 2, 102, 9, 1), ("人口", 3, 1, 101, 5, 2), ("登记", 3, 1, 101, 5, 1)]
    finally:
        rt.close()


def test_migration_0009_counts_every_resource_for_searches_without_words(runtime, cast: Cast, shelf, store):
    """Down to 0008 and up again on a store with entries: the counts of every resource (the pseudo-token '') go
    and come back equal to counting the projection, and a search without words gives the same either way. On
    PostgreSQL the statistics of the facet key's parts go and come back too."""

    def statistics() -> int | None:
        if store.kind != "postgresql":
            return None
        with runtime.db.read() as s:
            return s.scalar(text("SELECT count(*) FROM pg_statistic_ext WHERE stxname LIKE 'st_catalog_search_doc_%'"))

    from alembic import command

    from govshare.migrate import alembic_config, upgrade

    search_mod.clear_cache()
    before = _dump(_search(runtime, cast.a_cat))
    cfg = alembic_config(runtime.db.url)
    with runtime.db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0008")
    with runtime.db.read() as s:
        assert s.scalar(text("SELECT count(*) FROM catalog_search_facet WHERE token = ''")) == 0
    assert statistics() in (None, 0)
    upgrade(runtime.db)
    assert statistics() in (None, 4)
    assert _counts_equal_postings(runtime) > 0
    search_mod.clear_cache()
    assert _dump(_search(runtime, cast.a_cat)) == before and before["total"] == 5


def test_public_base_url_sets_the_open_catalog_links(runtime, client, cast: Cast):
    import pyshacl
    from rdflib import Graph, URIRef
    from rdflib.namespace import DCAT, RDF

    from tests.catalog.test_dcat import _shapes

    publish(runtime, cast.b_cat, cast.reviewer, name="企业登记公示信息", **OPEN)
    # default: the request's host
    g = Graph().parse(data=client.get("/api/v1/open/catalog.ttl").text, format="turtle")
    assert all(str(s).startswith("http://testserver/") for s in g.subjects(RDF.type, DCAT.Dataset))
    # configured (GOVSHARE_PUBLIC_BASE_URL): every absolute link of the export uses it, whatever the request host
    runtime.settings.public_base_url = "https://data.example.gov.cn/"
    try:
        resp = client.get("/api/v1/open/catalog.ttl", headers={"host": "internal-node-7:8000"})
        assert resp.status_code == 200
        g = Graph().parse(data=resp.text, format="turtle")
        datasets = list(g.subjects(RDF.type, DCAT.Dataset))
        assert datasets and all(str(s).startswith("https://data.example.gov.cn/") for s in datasets)
        iris = {str(t) for triple in g for t in triple if isinstance(t, URIRef)}
        assert not any("internal-node-7" in i or "testserver" in i for i in iris)
        assert any(i.startswith("https://data.example.gov.cn/api/v1/open/catalog.ttl?page=") for i in iris)
        jsonld = client.get("/api/v1/open/catalog.jsonld").text
        assert "https://data.example.gov.cn/" in jsonld and "testserver" not in jsonld
        conforms, _, report = pyshacl.validate(g, shacl_graph=_shapes(), inference="none")
        assert conforms, report
    finally:
        runtime.settings.public_base_url = ""
    assert service.public_base_url("", "http://h:1/") == "http://h:1"
    assert service.public_base_url("  https://x.gov.cn/  ", "http://h:1/") == "https://x.gov.cn"


def test_platform_principal_is_a_reviewer_for_search(runtime, cast: Cast):
    create(runtime, cast.a_cat, name="人口迁移草稿信息")
    assert _search(runtime, PLATFORM, q="人口").total == 1


def test_words_are_joined_rarest_first(runtime, cast: Cast, store):
    """The words of a query are bound rarest first (``:w0`` the rarest): SQLite's nested loop and PostgreSQL's
    generic plan both start from ``:w0``. SQLite estimates from the facet-count rows, PostgreSQL from its own
    statistics of the token column (after ANALYZE)."""
    # 人口 in every entry (the default summary mentions it), 迁移 in one; the update cycles differ, so that each
    # entry has a facet-count row of its own (SQLite's estimate counts those)
    for i, cycle in enumerate(("daily", "weekly", "monthly", "quarterly", "annual", "realtime")):
        create(runtime, cast.a_cat, name=f"户籍人口信息{i}", update_cycle=cycle)
    create(runtime, cast.a_cat, name="人口迁移登记信息")
    with runtime.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("ANALYZE"))
    search_mod.clear_cache()
    assert sorted(["迁移", "人口"]) == ["人口", "迁移"]  # so the order below is not merely the alphabet's
    with runtime.db.prepared_connect() as conn:
        assert search_mod._rarest_first(conn, ["人口", "迁移"]) == ["迁移", "人口"]
        assert search_mod._rarest_first(conn, ["迁移", "人口"]) == ["迁移", "人口"]
        if store.kind == "postgresql":
            freqs = search_mod._token_frequencies(conn)
            assert freqs["人口"] > freqs.get("迁移", 0.0)
