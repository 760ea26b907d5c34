"""Lifecycle 草稿 → 发布待审核 → 已发布 | 已驳回 → 撤销待审核 → 已撤销: each transition, who may make it, the audit
trail, versions and their differences — through the service, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from govshare.catalog import service
from govshare.catalog.schemas import ResourceContent, ResourcePatch
from govshare.errors import Problem
from govshare.identity.principal import PLATFORM
from tests.catalog.conftest import Cast, content, create, item, publish


def _actions(runtime, object_id: str) -> list[str]:
    from govshare.audit.service import search

    with runtime.db.read() as s:
        rows, _ = search(s, actor=PLATFORM, audit=runtime.audit, object_id=object_id, limit=100)
    return [r.action for r in reversed(rows)]


def _status(runtime, rid: str) -> str:
    with runtime.db.read() as s:
        return service._get(s, rid).status


def _problem(exc: pytest.ExceptionInfo) -> Problem:
    assert isinstance(exc.value, Problem)
    return exc.value


def test_create_assigns_sequential_codes_per_classification(runtime, cast: Cast):
    _, c1 = create(runtime, cast.a_cat)
    _, c2 = create(runtime, cast.a_cat, name="流动人口登记信息")
    _, c3 = create(runtime, cast.a_cat, name="户籍迁移信息", classification_code="101002")
    assert (c1, c2, c3) == ("101001/000001", "101001/000002", "101002/000001")


def test_only_the_providers_catalog_manager_creates_drafts(runtime, cast: Cast):
    from govshare.catalog.schemas import ResourceCreate

    with runtime.db.write() as s, pytest.raises(Problem) as exc:
        # 民政局's catalog manager cannot draft for 公安局
        service.create_resource(
            s, actor=cast.b_cat, data=ResourceCreate(**content(provider_org_id=cast.world.a.org_id))
        )
    assert _problem(exc).status == 403
    with runtime.db.write() as s, pytest.raises(Problem) as exc:
        # an org admin without the catalog role cannot either
        service.create_resource(s, actor=cast.a_admin, data=ResourceCreate(**content()))
    assert _problem(exc).status == 403


def test_full_publication_path_with_audit(runtime, cast: Cast):
    rid, code = create(runtime, cast.a_cat)
    assert _status(runtime, rid) == "draft"
    with runtime.db.write() as s:
        review = service.submit(s, actor=cast.a_cat, resource_id=rid, note="请审核")
        assert review.kind == "publish" and review.target_version == 1
        assert {c["name"] for c in review.checks["checks"]} == {"uniqueness", "completeness", "relevance", "clarity"}
    assert _status(runtime, rid) == "pending_publish"
    with runtime.db.write() as s:
        r = service.approve(s, actor=cast.reviewer, resource_id=rid, reason="")
        assert (r.status, r.is_listed, r.published_version) == ("published", True, 1)
        assert r.published_at is not None and r.modified_at is not None
    assert _actions(runtime, rid) == ["catalog.resource.create", "catalog.resource.submit", "catalog.resource.approve"]


def test_reject_needs_a_reason_and_returns_the_draft(runtime, cast: Cast):
    rid, _ = create(runtime, cast.a_cat)
    with runtime.db.write() as s:
        service.submit(s, actor=cast.a_cat, resource_id=rid)
    with runtime.db.write() as s, pytest.raises(Problem) as exc:
        service.reject(s, actor=cast.reviewer, resource_id=rid, reason=" ")
    assert _problem(exc).code == "reason_required"
    with runtime.db.write() as s:
        service.reject(s, actor=cast.reviewer, resource_id=rid, reason="摘要未说明数据范围")
    assert _status(runtime, rid) == "rejected"
    with runtime.db.read() as s:
        reviews = service.list_reviews(s, actor=cast.a_cat, resource_id=rid)
    assert reviews[-1].decision == "rejected" and reviews[-1].reason == "摘要未说明数据范围"
    # the provider fixes it and resubmits
    with runtime.db.write() as s:
        service.patch_resource(
            s, actor=cast.a_cat, resource_id=rid, patch=ResourcePatch(summary="更完整的摘要说明, 覆盖全市户籍人口。")
        )
    assert _status(runtime, rid) == "draft"
    with runtime.db.write() as s:
        service.submit(s, actor=cast.a_cat, resource_id=rid)
    assert _status(runtime, rid) == "pending_publish"
    assert _actions(runtime, rid)[-3:] == [
        "catalog.resource.reject",
        "catalog.resource.update",
        "catalog.resource.submit",
    ]


def test_review_rights(runtime, cast: Cast):
    rid, _ = create(runtime, cast.a_cat)
    with runtime.db.write() as s, pytest.raises(Problem) as exc:
        service.approve(s, actor=cast.reviewer, resource_id=rid)  # nothing submitted yet
    assert _problem(exc).code == "invalid_transition"
    with runtime.db.write() as s:
        service.submit(s, actor=cast.a_cat, resource_id=rid)
    for outsider in (cast.a_cat, cast.b_cat, cast.a_admin):
        with runtime.db.write() as s, pytest.raises(Problem) as exc:
            service.approve(s, actor=outsider, resource_id=rid)
        assert _problem(exc).status == 403
    with runtime.db.write() as s, pytest.raises(Problem) as exc:
        service.submit(s, actor=cast.a_cat, resource_id=rid)  # already pending
    assert _problem(exc).code == "invalid_transition"
    with runtime.db.write() as s, pytest.raises(Problem) as exc:
        service.patch_resource(
            s, actor=cast.a_cat, resource_id=rid, patch=ResourcePatch(summary="改动改动改动改动改动")
        )
    assert _problem(exc).code == "resource_under_review"


def test_nobody_approves_their_own_submission(runtime, cast: Cast):
    # 数据局's own entry: its catalog manager drafts and submits; a colleague must approve it.
    rid, _ = create(runtime, cast.reviewer, classification_code="105001", name="电子证照目录信息")
    with runtime.db.write() as s:
        service.submit(s, actor=cast.reviewer, resource_id=rid)
    with runtime.db.write() as s, pytest.raises(Problem) as exc:
        service.approve(s, actor=cast.reviewer, resource_id=rid)
    assert _problem(exc).code == "self_review_forbidden"
    with runtime.db.write() as s:
        service.approve(s, actor=cast.reviewer2, resource_id=rid)
    assert _status(runtime, rid) == "published"


def test_submission_requires_complete_metadata(runtime, cast: Cast):
    rid, _ = create(runtime, cast.a_cat, summary="", formats=[], update_cycle=None)
    with runtime.db.write() as s, pytest.raises(Problem) as exc:
        service.submit(s, actor=cast.a_cat, resource_id=rid)
    p = _problem(exc)
    assert p.status == 422 and p.code == "resource_incomplete"
    assert set(p.extra["missing"]) == {"summary", "formats", "update_cycle"}
    assert _status(runtime, rid) == "draft"


def test_revocation_path_and_refusal(runtime, cast: Cast):
    rid = publish(runtime, cast.a_cat, cast.reviewer)
    with runtime.db.write() as s, pytest.raises(Problem) as exc:
        service.request_revoke(s, actor=cast.b_cat, resource_id=rid, reason="不再维护")
    assert _problem(exc).status == 403
    with runtime.db.write() as s:
        service.request_revoke(s, actor=cast.a_cat, resource_id=rid, reason="系统停用, 数据迁移至新资源")
    assert _status(runtime, rid) == "pending_revoke"
    with runtime.db.read() as s:  # still listed while the revocation waits
        assert service._get(s, rid).is_listed
    with runtime.db.write() as s:
        service.reject(s, actor=cast.reviewer, resource_id=rid, reason="仍有部门在用, 暂不撤销")
    assert _status(runtime, rid) == "published"
    with runtime.db.write() as s:
        service.request_revoke(s, actor=cast.a_cat, resource_id=rid, reason="系统停用")
    with runtime.db.write() as s:
        r = service.approve(s, actor=cast.reviewer, resource_id=rid)
        assert (r.status, r.is_listed) == ("revoked", False)
    assert _actions(runtime, rid)[-4:] == [
        "catalog.resource.revoke_request",
        "catalog.resource.revoke_reject",
        "catalog.resource.revoke_request",
        "catalog.resource.revoke",
    ]
    with runtime.db.write() as s, pytest.raises(Problem) as exc:
        service.delete_resource(s, actor=cast.a_cat, resource_id=rid)  # published once: revoked, never deleted
    assert _problem(exc).code == "cannot_delete"


def test_edit_of_published_entry_is_a_revision_until_approved(runtime, cast: Cast):
    rid = publish(runtime, cast.a_cat, cast.reviewer)
    new = content(summary="修订后的摘要: 增加了联系电话信息项, 并更新了户籍地址的说明。")
    new["items"] = [*new["items"], item("联系电话", "phone", length=11, sensitivity="L3", is_sensitive=True)]
    with runtime.db.write() as s:
        r = service.replace_content(s, actor=cast.a_cat, resource_id=rid, content=ResourceContent(**new))
        assert r.status == "draft" and r.is_listed and r.revision is not None
    # other departments still see version 1 only
    with runtime.db.read() as s:
        seen = service.resource_read(s, actor=cast.b_cat, r=service.get_visible(s, actor=cast.b_cat, resource_id=rid))
        assert seen.status == "published" and seen.version == 1 and seen.revision is None
        assert "phone" not in [i.machine_name for i in seen.items]
        own = service.resource_read(s, actor=cast.a_cat, r=service._get(s, rid))
        assert own.status == "draft" and "phone" in [i.machine_name for i in own.revision.items]
    with runtime.db.write() as s:
        service.submit(s, actor=cast.a_cat, resource_id=rid)
    with runtime.db.write() as s:
        r = service.approve(s, actor=cast.reviewer, resource_id=rid)
        assert r.published_version == 2 and r.revision is None
        assert "phone" in [i.machine_name for i in r.items]
    with runtime.db.read() as s:
        versions = service.list_versions(s, actor=cast.b_cat, resource_id=rid)
        assert [v.version for v in versions] == [1, 2]
        d = service.diff(s, actor=cast.b_cat, resource_id=rid, from_="1", to="2")
        assert d.items_added == ["phone"] and d.items_removed == []
        assert [f.field for f in d.fields] == ["summary"]
        v1 = service.get_version(s, actor=cast.b_cat, resource_id=rid, version=1)
        assert "phone" not in [i["machine_name"] for i in v1.snapshot["items"]]


def test_classification_is_frozen_after_publication_but_recodes_a_draft(runtime, cast: Cast):
    rid, code = create(runtime, cast.a_cat)
    with runtime.db.write() as s:
        r = service.patch_resource(
            s, actor=cast.a_cat, resource_id=rid, patch=ResourcePatch(classification_code="101003")
        )
        assert r.code == "101003/000001" != code
    rid2 = publish(
        runtime,
        cast.a_cat,
        cast.reviewer,
        name="人口死亡注销信息",
        items=[item("公民身份号码", "id_number", is_key=True), item("注销日期", "cancel_date", data_type="date")],
    )
    with runtime.db.write() as s, pytest.raises(Problem) as exc:
        service.patch_resource(s, actor=cast.a_cat, resource_id=rid2, patch=ResourcePatch(classification_code="101009"))
    assert _problem(exc).code == "classification_frozen"


def test_discard_revision_and_delete_draft(runtime, cast: Cast):
    rid = publish(runtime, cast.a_cat, cast.reviewer)
    with runtime.db.write() as s:
        service.patch_resource(s, actor=cast.a_cat, resource_id=rid, patch=ResourcePatch(keywords=["人口", "户口"]))
    with runtime.db.write() as s:
        r = service.discard_revision(s, actor=cast.a_cat, resource_id=rid)
        assert r.status == "published" and r.revision is None and r.keywords == ["户籍", "人口"]
    draft, _ = create(runtime, cast.a_cat, name="临时草稿资源")
    with runtime.db.write() as s:
        service.delete_resource(s, actor=cast.a_cat, resource_id=draft)
    with runtime.db.read() as s, pytest.raises(Problem):
        service.get_visible(s, actor=cast.a_cat, resource_id=draft)
    assert _actions(runtime, draft)[-1] == "catalog.resource.delete"


def test_failed_checks_need_a_reason_to_approve(runtime, cast: Cast):
    publish(runtime, cast.a_cat, cast.reviewer)
    rid, _ = create(runtime, cast.a_cat)  # same name, same items: uniqueness fails
    with runtime.db.write() as s:
        service.submit(s, actor=cast.a_cat, resource_id=rid)
    with runtime.db.write() as s, pytest.raises(Problem) as exc:
        service.approve(s, actor=cast.reviewer, resource_id=rid, reason="")
    assert _problem(exc).code == "approval_reason_required" and "uniqueness" in _problem(exc).extra["failed"]
    with runtime.db.write() as s:
        service.approve(s, actor=cast.reviewer, resource_id=rid, reason="两个资源分属不同业务系统, 经核实保留")
    assert _status(runtime, rid) == "published"


def test_rules_across_fields_are_enforced_on_save(runtime, cast: Cast):
    from govshare.catalog.schemas import ResourceCreate

    bad = content(
        share_type="conditional",
        share_condition="",
        open_type="conditional",
        open_condition="实名申请",
        items=[item("公民身份号码", "id_number", sensitivity="L4", is_sensitive=True)],
    )
    with runtime.db.write() as s, pytest.raises(Problem) as exc:
        service.create_resource(s, actor=cast.a_cat, data=ResourceCreate(**bad))
    p = _problem(exc)
    fields = {e["field"]: e["code"] for e in p.extra["errors"]}
    assert fields == {"share_condition": "share_condition_required", "items[0].sensitivity": "open_resource_l4_item"}
    with runtime.db.read() as s:  # nothing was written, not even a code
        assert service.search(s, actor=PLATFORM, query=service.SearchQuery()).total == 0


def test_served_by_is_set_without_a_new_version(runtime, cast: Cast):
    rid = publish(runtime, cast.a_cat, cast.reviewer)
    from govshare.catalog.vocab import ServedBy

    with runtime.db.write() as s:
        r = service.set_served_by(
            s, actor=PLATFORM, resource_id=rid, served_by=ServedBy.hub_library, ref="lib_population"
        )
        assert (r.served_by, r.published_version, r.status) == ("hub_library", 1, "published")
    with runtime.db.write() as s, pytest.raises(Problem):
        service.set_served_by(s, actor=cast.b_cat, resource_id=rid, served_by=ServedBy.provider_api, ref="x")
    assert _actions(runtime, rid)[-1] == "catalog.resource.served_by"
