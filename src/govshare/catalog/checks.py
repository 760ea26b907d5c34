"""Review support: the four automatic checks (唯一性、完整性、关联性、表述性), duplicate-collection detection
(条例809: no department collects again what the designated data-source department already provides), and the
completeness score.

The checks advise the reviewer; they do not decide. Only completeness blocks a submission (an entry without its
required metadata cannot be published); a reviewer who approves despite a failed check or a duplicate must give
a reason, which is audited.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from govshare.catalog.models import Item, Resource
from govshare.catalog.schemas import (
    CheckResult,
    CompletenessPart,
    CompletenessRead,
    DuplicateHit,
    DuplicateItem,
    Finding,
    ResourceContent,
)
from govshare.catalog.text import normalize
from govshare.catalog.vocab import OpenType, ShareType, Status

#: Text that says nothing: what people type to get past a required field.
PLACEHOLDERS = frozenset(
    normalize(p)
    for p in (
        "无", "暂无", "没有", "待定", "待补充", "待完善", "未知", "不详", "略", "同上", "见附件", "详见附件", "测试",
        "测试数据", "示例", "样例", "其他", "test", "testing", "tbd", "todo", "xxx", "n/a", "na", "null", "none",
        "nil", "-", "--", "/", "\\", ".", "..", "...", "…", "……", "。", "?", "？", "0", "1", "123", "abc",
    )
)  # fmt: skip
_ONLY_SYMBOLS = re.compile(r"^[\W_]+$", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff]")

LABELS = {"uniqueness": "唯一性", "completeness": "完整性", "relevance": "关联性", "clarity": "表述性"}
STRING_LIKE = ("string", "number")


def is_placeholder(text: str) -> bool:
    t = normalize(text).strip()
    if not t:
        return False
    if t in PLACEHOLDERS or _ONLY_SYMBOLS.match(t):
        return True
    return len(t) >= 3 and len(set(t)) == 1  # "xxxx", "1111", "。。。"


def _result(name: str, findings: list[Finding]) -> CheckResult:
    status = "fail" if any(f.severity == "fail" for f in findings) else ("warn" if findings else "pass")
    return CheckResult(name=name, label=LABELS[name], status=status, findings=findings)


# ---- completeness ----------------------------------------------------------------------------------
def completeness(content: ResourceContent) -> CompletenessRead:
    """Share of required and recommended metadata filled, and of items described.

    score = 100 × (0.60 × required + 0.25 × recommended + 0.15 × items described), one decimal.
    """
    req: list[tuple[str, bool]] = [
        ("name", bool(content.name)),
        ("classification_code", bool(content.classification_code)),
        ("summary", bool(content.summary) and not is_placeholder(content.summary)),
        ("formats", bool(content.formats)),
        ("share_type", content.share_type is not None),
        ("open_type", content.open_type is not None),
        ("update_cycle", content.update_cycle is not None),
        ("network", content.network is not None),
        ("items", bool(content.items)),
    ]
    if content.share_type != ShareType.none:
        req.append(("share_modes", bool(content.share_modes)))
    if content.share_type in (ShareType.conditional, ShareType.none):
        req += [
            ("share_condition", bool(content.share_condition)),
            ("share_basis", bool(content.share_basis)),
            ("share_reason", content.share_reason is not None),
        ]
    if content.open_type == OpenType.conditional:
        req.append(("open_condition", bool(content.open_condition)))
    is_open = content.open_type in (OpenType.unconditional, OpenType.conditional)
    for i, item in enumerate(content.items):
        req.append((f"items[{i}].data_type", item.data_type is not None))
        req.append((f"items[{i}].sensitivity", item.sensitivity is not None))
        if is_open and item.sensitivity is not None and item.sensitivity.value in ("L2", "L3"):
            # L2–L3 may only be opened masked (分级规则)
            req.append((f"items[{i}].masking", item.masking not in (None, "none")))
    rec: list[tuple[str, bool]] = [
        ("keywords", bool(content.keywords)),
        ("related_codes", bool(content.related_codes)),
        ("items.is_key", any(i.is_key for i in content.items)),
    ]
    for i, item in enumerate(content.items):
        if item.data_type is not None and item.data_type.value in STRING_LIKE:
            rec.append((f"items[{i}].length", item.length is not None))
    described = sum(1 for i in content.items if i.description and not is_placeholder(i.description))
    undescribed = [f"items[{i}].description" for i, it in enumerate(content.items) if not it.description]

    def part(pairs: list[tuple[str, bool]]) -> CompletenessPart:
        return CompletenessPart(
            filled=sum(ok for _, ok in pairs), total=len(pairs), missing=[f for f, ok in pairs if not ok]
        )

    r, c = part(req), part(rec)
    n_items = len(content.items)
    ratio_items = described / n_items if n_items else 0.0
    score = 100 * (0.60 * r.filled / r.total + 0.25 * c.filled / c.total + 0.15 * ratio_items)
    return CompletenessRead(
        score=round(score, 1),
        required=r,
        recommended=c,
        items_described=CompletenessPart(filled=described, total=n_items, missing=undescribed),
    )


def completeness_check(report: CompletenessRead) -> CheckResult:
    findings = [
        Finding(
            field=f,
            code="required_missing",
            severity="fail",
            message_zh=f"必填元数据缺失: {f}",
            message_en=f"required metadata missing: {f}",
        )
        for f in report.required.missing
    ]
    findings += [
        Finding(
            field=f,
            code="recommended_missing",
            severity="warn",
            message_zh=f"建议填写: {f}",
            message_en=f"recommended metadata missing: {f}",
        )
        for f in report.recommended.missing
    ]
    return _result("completeness", findings)


# ---- uniqueness ------------------------------------------------------------------------------------
def uniqueness_check(
    session: Session, content: ResourceContent, *, provider_org_id: str, resource_id: str | None
) -> CheckResult:
    findings: list[Finding] = []
    others = [Resource.provider_org_id == provider_org_id, Resource.status != Status.revoked]
    if resource_id:
        others.append(Resource.id != resource_id)
    same_name = list(session.scalars(select(Resource.code).where(*others, Resource.name == content.name)))
    if same_name:
        findings.append(
            Finding(
                field="name",
                code="duplicate_name",
                severity="fail",
                message_zh=f"本单位已有同名资源: {', '.join(same_name)}",
                message_en=f"the provider already has a resource with this name: {', '.join(same_name)}",
                refs=same_name,
            )
        )
    mine = {i.machine_name for i in content.items}
    if mine:
        # Candidates share one item; their full item sets are then compared.
        probe = sorted(mine)[0]
        cand = select(Item.resource_id).join(Resource).where(*others, Item.machine_name == probe)
        rows = session.execute(
            select(Resource.id, Resource.code, Item.machine_name)
            .join(Item, Item.resource_id == Resource.id)
            .where(Resource.id.in_(cand))
        ).all()
        sets: dict[str, tuple[str, set[str]]] = {}
        for rid, code, machine in rows:
            sets.setdefault(rid, (code, set()))[1].add(machine)
        same_items = sorted(code for code, items in sets.values() if items == mine)
        if same_items:
            findings.append(
                Finding(
                    field="items",
                    code="duplicate_items",
                    severity="fail",
                    message_zh=f"本单位已有信息项完全相同的资源: {', '.join(same_items)}",
                    message_en=f"the provider already has a resource with the same items: {', '.join(same_items)}",
                    refs=same_items,
                )
            )
    return _result("uniqueness", findings)


# ---- relevance -------------------------------------------------------------------------------------
def relevance_check(session: Session, content: ResourceContent, *, own_code: str | None) -> CheckResult:
    findings: list[Finding] = []
    codes = list(content.related_codes)
    if not codes:
        return _result("relevance", findings)
    found = {
        code: (status, listed)
        for code, status, listed in session.execute(
            select(Resource.code, Resource.status, Resource.is_listed).where(Resource.code.in_(codes))
        )
    }
    for j, code in enumerate(codes):
        field = f"related_codes[{j}]"
        if code == own_code:
            findings.append(
                Finding(
                    field=field,
                    code="related_self",
                    severity="fail",
                    message_zh="关联资源不能是资源自身",
                    message_en="a resource cannot relate to itself",
                    refs=[code],
                )
            )
        elif code not in found:
            findings.append(
                Finding(
                    field=field,
                    code="related_missing",
                    severity="fail",
                    message_zh=f"关联资源不存在: {code}",
                    message_en=f"related resource does not exist: {code}",
                    refs=[code],
                )
            )
        elif found[code][0] == Status.revoked:
            findings.append(
                Finding(
                    field=field,
                    code="related_revoked",
                    severity="fail",
                    message_zh=f"关联资源已撤销: {code}",
                    message_en=f"related resource was revoked: {code}",
                    refs=[code],
                )
            )
        elif not found[code][1]:
            findings.append(
                Finding(
                    field=field,
                    code="related_unpublished",
                    severity="warn",
                    message_zh=f"关联资源尚未发布: {code}",
                    message_en=f"related resource is not published yet: {code}",
                    refs=[code],
                )
            )
    return _result("relevance", findings)


# ---- clarity ---------------------------------------------------------------------------------------
def clarity_check(content: ResourceContent) -> CheckResult:
    findings: list[Finding] = []

    def fail(field: str, code: str, zh: str, en: str, severity: str = "fail") -> None:
        findings.append(Finding(field=field, code=code, severity=severity, message_zh=zh, message_en=en))

    if is_placeholder(content.name):
        fail("name", "placeholder", f"资源名称是占位词: {content.name}", "resource name is a placeholder")
    elif not _CJK.search(content.name):
        fail("name", "name_not_chinese", "资源名称应为中文名称", "resource name should be a Chinese name", "warn")
    if content.summary:
        if is_placeholder(content.summary):
            fail("summary", "placeholder", f"摘要是占位词: {content.summary}", "summary is a placeholder")
        elif normalize(content.summary) == normalize(content.name):
            fail("summary", "summary_is_name", "摘要与资源名称相同, 未说明内容", "summary repeats the name", "warn")
        elif len(content.summary) < 10:
            fail(
                "summary", "summary_too_short", "摘要过短 (少于 10 个字)", "summary shorter than 10 characters", "warn"
            )
    for i, item in enumerate(content.items):
        if is_placeholder(item.name):
            fail(f"items[{i}].name", "placeholder", f"信息项名称是占位词: {item.name}", "item name is a placeholder")
        if item.description and is_placeholder(item.description):
            fail(
                f"items[{i}].description",
                "placeholder",
                f"信息项描述是占位词: {item.name}",
                f"item description is a placeholder: {item.machine_name}",
            )
        elif not item.description:
            fail(
                f"items[{i}].description",
                "description_missing",
                f"信息项缺少描述: {item.name}",
                f"item has no description: {item.machine_name}",
                "warn",
            )
    return _result("clarity", findings)


# ---- duplicate collection --------------------------------------------------------------------------
def duplicate_sources(
    session: Session,
    content: ResourceContent,
    *,
    provider_org_id: str,
    resource_id: str | None,
    org_names: dict[str, str],
) -> list[DuplicateHit]:
    """Published resources of *another* department, designated data source (数源部门), that already provide
    some of this draft's items.

    An item matches by its machine name, the identifier of the data element (数据元): Chinese names are too
    generic to compare (every registry has a 登记日期), so departments describe shared data elements with the
    platform's standard machine names (``household_address`` …), as the demo catalog does. The draft's own query
    keys (``is_key``: 公民身份号码, 统一社会信用代码 …) are left out: they are how records are joined, and every
    resource about persons or firms carries them; counting them would flag every such entry.
    """
    items = [i for i in content.items if not i.is_key]
    if not items:
        return []
    machines = {i.machine_name for i in items}
    where = [
        Resource.is_listed.is_(True),
        Resource.is_data_source.is_(True),
        Resource.provider_org_id != provider_org_id,
        Item.machine_name.in_(machines),
    ]
    if resource_id:
        where.append(Resource.id != resource_id)
    rows = session.execute(
        select(Resource.id, Resource.code, Resource.name, Resource.provider_org_id, Item.machine_name)
        .join(Item, Item.resource_id == Resource.id)
        .where(*where)
        .order_by(Resource.code)
    ).all()
    hits: dict[str, DuplicateHit] = {}
    for rid, code, rname, org, machine in rows:
        hit = hits.setdefault(
            rid,
            DuplicateHit(
                resource_id=rid,
                code=code,
                name=rname,
                provider_org_id=org,
                provider_name=org_names.get(org, org),
                items=[],
            ),
        )
        for mine in items:
            if mine.machine_name == machine and all(d.machine_name != mine.machine_name for d in hit.items):
                hit.items.append(DuplicateItem(name=mine.name, machine_name=mine.machine_name))
    return list(hits.values())


def run_all(
    session: Session,
    content: ResourceContent,
    *,
    provider_org_id: str,
    resource_id: str | None,
    own_code: str | None,
    org_names: dict[str, str],
) -> tuple[list[CheckResult], list[DuplicateHit], CompletenessRead]:
    report = completeness(content)
    checks = [
        uniqueness_check(session, content, provider_org_id=provider_org_id, resource_id=resource_id),
        completeness_check(report),
        relevance_check(session, content, own_code=own_code),
        clarity_check(content),
    ]
    dups = duplicate_sources(
        session, content, provider_org_id=provider_org_id, resource_id=resource_id, org_names=org_names
    )
    return checks, dups, report
