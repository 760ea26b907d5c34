"""What the catalog screens share between the console and the open-data portal: the search query read from
the address, the facets as the page shows them, and a resource's fields with translated labels.

Only :mod:`govshare.catalog.service` is called; visibility is the service's (``actor=None`` is the public).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import QueryParams

from govshare.catalog import vocab as cv
from govshare.catalog.schemas import ResourceRead, SearchResult
from govshare.catalog.search import SearchQuery
from govshare.web.i18n import N_, Translator
from govshare.web.vocab import catalog_label

#: Facet dimensions in the order the page shows them, with their headings.
FACETS: tuple[tuple[str, str], ...] = (
    ("classification", N_("资源分类")),
    ("provider", N_("提供单位")),
    ("share_type", N_("共享类型")),
    ("open_type", N_("开放类型")),
    ("update_cycle", N_("更新周期")),
    ("format", N_("资源格式")),
    ("level", N_("最高敏感级别")),
)
LIST_PARAMS = ("provider", "classification", "share_type", "open_type", "update_cycle", "format", "level", "status")
SORTS: tuple[tuple[str, str], ...] = (
    ("", N_("默认排序")),
    ("relevance", N_("相关度")),
    ("newest", N_("最近更新")),
    ("name", N_("名称")),
    ("code", N_("资源代码")),
)
PAGE_SIZE = 20

#: Item and resource fields shown on a resource page and in a version diff, with their Chinese names.
FIELD_LABELS: dict[str, str] = {
    "classification_kind": N_("资源分类"),
    "classification_code": N_("分类代码"),
    "name": N_("资源名称"),
    "summary": N_("摘要"),
    "keywords": N_("关键词"),
    "formats": N_("资源格式"),
    "share_type": N_("共享类型"),
    "share_condition": N_("共享条件"),
    "share_basis": N_("共享依据"),
    "share_reason": N_("原因类别"),
    "share_modes": N_("共享方式"),
    "open_type": N_("开放类型"),
    "open_condition": N_("开放条件"),
    "update_cycle": N_("更新周期"),
    "network": N_("网络类型"),
    "related_codes": N_("关联资源代码"),
    "is_data_source": N_("数源部门"),
    "items": N_("信息项"),
    "machine_name": N_("字段名"),
    "data_type": N_("数据类型"),
    "length": N_("长度"),
    "description": N_("描述"),
    "is_key": N_("查询条件"),
    "is_secret": N_("涉密"),
    "is_sensitive": N_("敏感"),
    "sensitivity": N_("敏感级别"),
    "masking": N_("脱敏规则"),
}

#: How a value list field's values are labelled (for facets and diffs).
FAMILY_OF: dict[str, Any] = {
    "classification_kind": cv.ClassificationKind,
    "share_type": cv.ShareType,
    "share_reason": cv.ShareReason,
    "share_modes": cv.ShareMode,
    "open_type": cv.OpenType,
    "update_cycle": cv.UpdateCycle,
    "network": cv.Network,
    "formats": cv.ResourceFormat,
    "format": cv.ResourceFormat,
    "data_type": cv.DataType,
    "sensitivity": cv.Sensitivity,
    "level": cv.Sensitivity,
    "status": cv.Status,
}

CHECK_LABELS = {
    "uniqueness": N_("唯一性"),
    "completeness": N_("完整性"),
    "relevance": N_("关联性"),
    "clarity": N_("表述性"),
}
CHECK_STATUS = {"pass": N_("通过"), "warn": N_("警告"), "fail": N_("未通过")}


def search_query(params: QueryParams, *, public: bool) -> SearchQuery:
    """The search as the address states it. Unknown filter values are left to the service (it refuses them
    with a message the page shows)."""
    lists = {name: [v for v in params.getlist(name) if v] for name in LIST_PARAMS}
    if public:
        lists["status"] = []
    return SearchQuery(
        q=(params.get("q") or "").strip()[:200],
        **lists,
        mine=not public and params.get("mine") == "1",
        open_only=public,
        sort=params.get("sort") or "",
        limit=PAGE_SIZE,
        cursor=params.get("cursor") or None,
    )


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class FacetGroup:
    name: str
    title: str
    options: list[FacetOption] = field(default_factory=list)


def facet_groups(result: SearchResult | None, query: SearchQuery, t: Translator) -> list[FacetGroup]:
    if result is None:
        return []
    groups = []
    for name, title in FACETS:
        chosen = set(getattr(query, name))
        values = result.facets.get(name, [])
        options = []
        for v in values:
            if name in FAMILY_OF:
                text = catalog_label(t, FAMILY_OF[name], v.value)
                if name == "level":
                    text = f"{v.value} {text}"
            elif name == "classification":
                text = f"{v.value} {t.gettext(v.label)}"
            else:
                text = v.label
            options.append(FacetOption(v.value, text, v.count, v.value in chosen))
        # a chosen value with no match left still shows (so it can be unticked)
        for v in sorted(chosen - {o.value for o in options}):
            options.append(FacetOption(v, v, 0, True))
        if options:
            groups.append(FacetGroup(name, title, options))
    return groups


def value_text(t: Translator, name: str, value: Any) -> str:
    """A field's value as people read it: labels for value lists, 是/否, lists joined."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return t.gettext("是") if value else t.gettext("否")
    family = FAMILY_OF.get(name)
    if isinstance(value, list):
        if name == "items":
            return t.gettext("%(n)s 项", n=len(value))
        return "、".join(catalog_label(t, family, v) if family else str(v) for v in value)
    if family is not None:
        return catalog_label(t, family, str(value))
    return str(value)


def resource_rows(r: ResourceRead, t: Translator) -> list[tuple[str, str]]:
    """The metadata table of a resource page."""
    rows: list[tuple[str, str]] = [
        (t.gettext("资源代码"), r.code),
        (t.gettext("提供单位"), r.provider_name),
        (
            t.gettext("资源分类"),
            f"{value_text(t, 'classification_kind', r.classification_kind)} · {r.classification_code} "
            f"{t.gettext(cv.class_label(r.classification_code[:3]))}",
        ),
        (t.gettext("共享类型"), value_text(t, "share_type", r.share_type)),
    ]
    if r.share_type in ("conditional", "none"):
        rows += [
            (t.gettext("共享条件"), value_text(t, "share_condition", r.share_condition)),
            (t.gettext("共享依据"), value_text(t, "share_basis", r.share_basis)),
            (t.gettext("原因类别"), value_text(t, "share_reason", r.share_reason)),
        ]
    rows += [
        (t.gettext("共享方式"), value_text(t, "share_modes", r.share_modes)),
        (t.gettext("开放类型"), value_text(t, "open_type", r.open_type)),
    ]
    if r.open_type == "conditional":
        rows.append((t.gettext("开放条件"), value_text(t, "open_condition", r.open_condition)))
    rows += [
        (t.gettext("更新周期"), value_text(t, "update_cycle", r.update_cycle)),
        (t.gettext("资源格式"), value_text(t, "formats", r.formats)),
        (t.gettext("网络类型"), value_text(t, "network", r.network)),
        (t.gettext("关键词"), value_text(t, "keywords", r.keywords)),
        (t.gettext("关联资源代码"), value_text(t, "related_codes", r.related_codes)),
        (t.gettext("数源部门"), value_text(t, "is_data_source", r.is_data_source)),
    ]
    return rows


def field_label(t: Translator, name: str) -> str:
    return t.gettext(FIELD_LABELS[name]) if name in FIELD_LABELS else name
